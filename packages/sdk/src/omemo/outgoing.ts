// The <key/> elements of an outgoing OMEMO message: one per device that may read it, each
// through that device's Signal session (built from its bundle when there is none yet).

import { type Element, xml } from "@hato/xml";
import { toBase64 } from "../base64.js";
import { NS_OMEMO } from "../ns.js";
import { ab, bytes } from "./bytes.js";
import { parseBundle } from "./keys.js";
import { loadSignal } from "./load.js";
import type { OmemoStore, OwnDevice } from "./store.js";
import { anyVerified, effectiveTrust, judgeKey, maySendTo } from "./trust.js";
import type { Verification } from "./verify.js";

/**
 * A second opinion on a device key before it gets blind trust: the reason to refuse it, or
 * undefined. The key log watcher gives one (docs/key-transparency.md): a contact's device whose
 * key the organisation's log does not hold gets no messages.
 */
export type KeyVetter = (
  jid: string,
  device: number,
  identityKey: Uint8Array,
  /** The OMEMO namespace the device is in: the log keeps each namespace's keys apart. */
  ns?: string,
) => Promise<string | undefined>;

/** What building keys needs from Omemo. */
export interface Outgoing {
  store: OmemoStore;
  self(): string;
  /** The device's bundle element from PEP. */
  bundle(jid: string, device: number): Promise<Element | undefined>;
  verification: Verification;
  vet: KeyVetter | undefined;
}

/** Keys collected for one message, and why devices got none. */
export interface KeysOut {
  keys: Element[];
  reasons: string[];
}

/** Adds a <key/> for each of `devices` of `jid` (not our own device) to `out`; returns how many. */
export async function keysFor(
  ctx: Outgoing,
  own: OwnDevice,
  jid: string,
  devices: number[],
  keyMaterial: Uint8Array,
  out: KeysOut,
): Promise<number> {
  let n = 0;
  for (const device of devices) {
    if (jid === ctx.self() && device === own.deviceId) continue;
    try {
      const key = await keyFor(ctx, own, jid, device, keyMaterial);
      if (key === undefined) {
        out.reasons.push(`${jid} device ${device}: not trusted`);
        continue;
      }
      out.keys.push(key);
      n++;
    } catch (err) {
      out.reasons.push(`${jid} device ${device}: ${(err as Error).message}`);
    }
  }
  return n;
}

/** One <key/> for a device, or undefined when it may not read our messages; throws with a reason. */
export async function keyFor(
  ctx: Outgoing,
  own: OwnDevice,
  jid: string,
  device: number,
  keyMaterial: Uint8Array,
): Promise<Element | undefined> {
  const { store, verification } = ctx;
  const { libsignal, signalStorage, address } = await loadSignal();
  const storage = signalStorage(store, own, jid, device, () => undefined);
  const addr = address(jid, device);
  if ((await store.loadSession(addr.toString())) === undefined) {
    const bundle = parseBundle(await ctx.bundle(jid, device));
    const verdict = await judgeKey(store, jid, device, bundle.identityKey);
    if (!verdict.ok) {
      verification.keyRefused(jid, device, verdict.presented, verdict.reason);
      throw new Error(verdict.reason);
    }
    if (!maySendTo(verdict.identity.trust)) {
      // Remember it anyway, so that the user sees it and can verify it.
      if (verdict.isNew) await store.saveIdentity(jid, device, verdict.identity);
      if (verdict.isNew) await verification.announce(jid, device);
      return undefined;
    }
    if (verdict.identity.trust === "blind" && ctx.vet !== undefined) {
      // No session is built: once the log holds the key, the next message builds it.
      const refusal = await ctx.vet(jid, device, bundle.identityKey, NS_OMEMO);
      if (refusal !== undefined) throw new Error(refusal);
    }
    // The device's own PreKey message may have built a session while we fetched and vetted:
    // building a second one now would leave the two sides on different sessions.
    if ((await store.loadSession(addr.toString())) === undefined) {
      const pre = bundle.preKeys[Math.floor(Math.random() * bundle.preKeys.length)]!;
      await new libsignal.SessionBuilder(storage, addr).processPreKey({
        identityKey: ab(bundle.identityKey),
        registrationId: device,
        signedPreKey: {
          keyId: bundle.signedPreKey.id,
          publicKey: ab(bundle.signedPreKey.pub),
          signature: ab(bundle.signedPreKey.signature),
        },
        preKey: { keyId: pre.id, publicKey: ab(pre.pub) },
      });
    }
    if (verdict.isNew) await verification.announce(jid, device);
  }
  const identity = await store.loadIdentity(jid, device);
  const strict = await anyVerified(store, jid); // blind stops counting after a verification
  if (identity !== undefined && !maySendTo(effectiveTrust(identity.trust, strict)))
    return undefined;
  const msg = await new libsignal.SessionCipher(storage, addr).encrypt(ab(keyMaterial));
  if (msg.body === undefined) throw new Error("the Signal session produced no message");
  return xml(
    "key",
    { rid: String(device), ...(msg.type === 3 ? { prekey: "true" } : {}) },
    toBase64(bytes(msg.body)),
  );
}
