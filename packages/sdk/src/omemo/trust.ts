// The trust policy: blind trust before verification (issue 7). A contact's devices are
// trusted ("blind") until the user verifies one of them; from then on only verified devices
// get messages, including devices that were blind-trusted before. A device whose identity key
// changes is never trusted silently.

import type { OmemoStore, RemoteIdentity, Trust } from "./store.js";

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The verdict on an identity key a device presents (in a bundle or a PreKeySignalMessage). */
export type KeyVerdict =
  | { ok: true; identity: RemoteIdentity; isNew: boolean }
  | { ok: false; reason: string; presented: Uint8Array };

type IdentityLister = Pick<OmemoStore, "identities">;

/**
 * The stores of an account's other OMEMO namespace, per store: the rule is per contact, not
 * per namespace (a verified OMEMO 2 device makes the contact's legacy devices untrusted and
 * the other way round), and every check of it goes through anyVerified. See linkTrust.
 */
const linked = new WeakMap<IdentityLister, IdentityLister>();

/** Makes two namespaces' stores of one account share the trust rule (both directions). */
export function linkTrust(a: IdentityLister, b: IdentityLister): void {
  linked.set(a, b);
  linked.set(b, a);
}

const verifiedIn = async (store: IdentityLister, jid: string) =>
  [...(await store.identities(jid)).values()].some((r) => r.trust === "verified");

/** Whether the user has verified any device of `jid` (in this store or its linked one). */
export async function anyVerified(store: IdentityLister, jid: string): Promise<boolean> {
  if (await verifiedIn(store, jid)) return true;
  const other = linked.get(store);
  return other !== undefined && (await verifiedIn(other, jid));
}

/**
 * The trust that counts: "blind" stops counting once the user verified a device of the same
 * contact (stored "blind" stays, so that un-verifying restores the old state).
 */
export function effectiveTrust(trust: Trust, contactHasVerified: boolean): Trust {
  return trust === "blind" && contactHasVerified ? "untrusted" : trust;
}

/**
 * Checks `key` for `jid`'s `device`: a known device must present the key we first saw (a
 * changed key is refused with a reason); a new device gets "blind" trust unless the user has
 * verified some device of `jid`, then "untrusted". New identities are not saved here: the
 * caller saves them once the session with them is established.
 */
export async function judgeKey(
  store: Pick<OmemoStore, "loadIdentity" | "identities">,
  jid: string,
  device: number,
  key: Uint8Array,
): Promise<KeyVerdict> {
  const known = await store.loadIdentity(jid, device);
  if (known !== undefined) {
    if (!sameBytes(known.key, key)) {
      return {
        ok: false,
        reason: `the identity key of ${jid}'s device ${device} changed: refused until the user accepts the new key`,
        presented: key,
      };
    }
    return { ok: true, identity: known, isNew: false };
  }
  const trust: Trust = (await anyVerified(store, jid)) ? "untrusted" : "blind";
  return { ok: true, identity: { key, trust, since: new Date().toISOString() }, isNew: true };
}

/** Whether messages may be encrypted to a device with this trust (the effective one). */
export function maySendTo(trust: Trust): boolean {
  return trust === "blind" || trust === "verified";
}
