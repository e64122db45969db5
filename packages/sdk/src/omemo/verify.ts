// Trust and verification of OMEMO devices (issue 7): what the user sees of a contact's
// devices (fingerprint, trust, first seen), verifying them by QR code or short code, learning
// new devices, and the explicit acceptance of a changed identity key. Used through Omemo
// (`client.omemo`); the rule itself is in trust.ts. Namespace-aware: the legacy namespace is
// always there, OMEMO 2 joins as a second TrustSpace (addSpace) when the client has both.

import { bare } from "../jid.js";
import { NS_OMEMO } from "../ns.js";
import {
  comparisonCode,
  fingerprintHex,
  parseVerificationUri,
  VerificationError,
  verificationUri,
} from "./fingerprint.js";
import type { OmemoStore, OwnDevice, Trust } from "./store.js";
import { effectiveTrust, judgeKey, sameBytes } from "./trust.js";
import type { DeviceFingerprint, TrustSpace, UriVerified, VerifyHost } from "./verify-types.js";

export type {
  DeviceFingerprint,
  KeyChangeInfo,
  NewDeviceInfo,
  TrustSpace,
  UriVerified,
  VerifyHost,
} from "./verify-types.js";

export class Verification {
  /** Changed keys seen and refused, per `namespace\njid\ndevice`, until the user accepts one. */
  private readonly changed = new Map<string, Uint8Array>();
  /**
   * Devices whose bundle could not be read: not asked again on notifications (a hostile
   * contact could list 100 devices without bundles in every publication), only when the user
   * refreshes.
   */
  private readonly unreadable = new Set<string>();
  /** The namespaces, legacy first (a device id in both is looked up there first). */
  private readonly spaces: TrustSpace[];

  constructor(
    private readonly host: VerifyHost,
    store: OmemoStore,
  ) {
    this.spaces = [
      {
        namespace: NS_OMEMO,
        store,
        own: () => {
          const own = host.own();
          return own === undefined ? undefined : { device: own.deviceId, key: own.identity.pub };
        },
        devices: (jid) => host.devices(jid),
        bundleIdentity: (jid, device) => host.bundleIdentity(jid, device),
      },
    ];
  }

  /** Adds a namespace (OMEMO 2) whose devices are shown and verified beside the legacy ones. */
  addSpace(space: TrustSpace): void {
    this.spaces.push(space);
  }

  private space(namespace = NS_OMEMO): TrustSpace {
    const s = this.spaces.find((x) => x.namespace === namespace);
    if (s === undefined) throw new VerificationError(`OMEMO namespace ${namespace} is not in use`);
    return s;
  }

  /** The space that knows `jid`'s `device` (the one named, else legacy first), and the key. */
  private async find(jid: string, device: number, namespace?: string) {
    for (const space of namespace === undefined ? this.spaces : [this.space(namespace)]) {
      const r = await space.store.loadIdentity(jid, device);
      if (r !== undefined) return { space, r };
    }
    throw new VerificationError(`no key known for ${jid}'s device ${device}`);
  }

  private async contactVerified(jid: string): Promise<boolean> {
    for (const s of this.spaces)
      for (const r of (await s.store.identities(jid)).values())
        if (r.trust === "verified") return true;
    return false;
  }

  private async knownCount(jid: string): Promise<number> {
    let n = 0;
    for (const s of this.spaces) n += (await s.store.identities(jid)).size;
    return n;
  }

  /** The devices of `jid` we know in every namespace, with fingerprints and trust (nothing fetched). */
  async fingerprints(jid: string): Promise<DeviceFingerprint[]> {
    const j = bare(jid);
    const verified = await this.contactVerified(j);
    const out: DeviceFingerprint[] = [];
    for (const space of this.spaces) {
      const listed = new Set((await space.store.loadDevices(j)) ?? []);
      for (const [device, r] of await space.store.identities(j)) {
        const changed = this.changed.get(`${space.namespace}\n${j}\n${device}`);
        out.push({
          device,
          namespace: space.namespace,
          fingerprint: fingerprintHex(r.key),
          trust: effectiveTrust(r.trust, verified),
          since: r.since,
          listed: listed.has(device),
          ...(changed === undefined ? {} : { changedTo: fingerprintHex(changed) }),
        });
      }
    }
    // Legacy devices first (as before OMEMO 2 joined), each namespace's in the order seen.
    const rank = (f: DeviceFingerprint) =>
      this.spaces.findIndex((x) => x.namespace === f.namespace);
    return out.sort(
      (a, b) => rank(a) - rank(b) || a.since.localeCompare(b.since) || a.device - b.device,
    );
  }

  /**
   * Fetches `jid`'s device lists and the bundles of devices we do not know yet, remembering
   * their keys (blind or untrusted by the rule); a known device's key is not fetched again.
   * `listed`: the device list of `namespace` when the caller has it (a notification).
   * Returns the reasons for devices that could not be read.
   */
  async refresh(jid: string, listed?: number[], namespace?: string): Promise<string[]> {
    const j = bare(jid);
    const problems: string[] = [];
    const spaces =
      listed !== undefined
        ? [this.space(namespace)]
        : namespace
          ? [this.space(namespace)]
          : this.spaces;
    for (const space of spaces) {
      let ids = listed;
      if (ids === undefined) {
        try {
          ids = await space.devices(j);
        } catch (err) {
          if (space.namespace === NS_OMEMO) throw err;
          problems.push(`${space.namespace}: ${(err as Error).message}`);
          continue;
        }
      }
      for (const device of ids) {
        if (j === this.host.self() && device === space.own()?.device) continue;
        if ((await space.store.loadIdentity(j, device)) !== undefined) continue;
        const id = `${space.namespace}\n${j}\n${device}`;
        if (listed !== undefined && this.unreadable.has(id)) continue;
        try {
          await this.learn(space, j, device, await space.bundleIdentity(j, device));
          this.unreadable.delete(id);
        } catch (err) {
          this.unreadable.add(id);
          problems.push(`device ${device}: ${(err as Error).message}`);
        }
      }
    }
    return problems;
  }

  /** Judges and saves a device's key seen in its bundle (new device or key change reported). */
  private async learn(space: TrustSpace, jid: string, device: number, key: Uint8Array) {
    const verdict = await judgeKey(space.store, jid, device, key);
    if (!verdict.ok) {
      this.keyRefused(jid, device, verdict.presented, verdict.reason, space.namespace);
      return;
    }
    if (!verdict.isNew) return;
    const before = await this.knownCount(jid);
    await space.store.saveIdentity(jid, device, verdict.identity);
    this.host.newDevice(jid, device, {
      namespace: space.namespace,
      fingerprint: fingerprintHex(key),
      trust: verdict.identity.trust,
      firstOfContact: before === 0,
    });
  }

  /** Tells of a new device whose identity was just saved (a session set up, or refused by the rule). */
  async announce(jid: string, device: number, namespace = NS_OMEMO): Promise<void> {
    const r = await this.space(namespace).store.loadIdentity(jid, device);
    if (r === undefined) return;
    this.host.newDevice(jid, device, {
      namespace,
      fingerprint: fingerprintHex(r.key),
      trust: r.trust,
      firstOfContact: (await this.knownCount(jid)) === 1,
    });
  }

  /** A known device presented another key: remember it for acceptNewKey, tell the user once. */
  keyRefused(
    jid: string,
    device: number,
    presented: Uint8Array,
    reason: string,
    namespace = NS_OMEMO,
  ): void {
    const id = `${namespace}\n${jid}\n${device}`;
    const seen = this.changed.get(id);
    if (seen !== undefined && sameBytes(seen, presented)) return;
    this.changed.set(id, presented);
    void this.space(namespace)
      .store.loadIdentity(jid, device)
      .then((old) =>
        this.host.keyChanged(jid, {
          device,
          namespace,
          old: old === undefined ? "" : fingerprintHex(old.key),
          new: fingerprintHex(presented),
          reason,
        }),
      );
  }

  /** Our (legacy) device's id and fingerprint. */
  ownFingerprint(): { device: number; fingerprint: string } {
    const own = this.requireOwn();
    return { device: own.deviceId, fingerprint: fingerprintHex(own.identity.pub) };
  }

  /** Our devices in every namespace that is set up. */
  ownFingerprints(): { namespace: string; device: number; fingerprint: string }[] {
    return this.spaces.flatMap((s) => {
      const own = s.own();
      return own === undefined
        ? []
        : [{ namespace: s.namespace, device: own.device, fingerprint: fingerprintHex(own.key) }];
    });
  }

  /**
   * Our QR code's content (Conversations' format): our JID, device ids and fingerprints, the
   * legacy device first, then our OMEMO 2 device (unless its id is the legacy one's).
   */
  verificationUri(): string {
    this.requireOwn();
    const devices: { device: number; key: Uint8Array }[] = [];
    for (const s of this.spaces) {
      const own = s.own();
      if (own !== undefined && !devices.some((d) => d.device === own.device)) devices.push(own);
    }
    return verificationUri(this.host.self(), devices);
  }

  /**
   * The short code to compare with `jid`'s `device` (both sides compute the same), from our
   * device and key in the namespace of that device (the one named, else legacy first).
   */
  async comparisonCode(jid: string, device: number, namespace?: string): Promise<string> {
    const { space, r } = await this.find(bare(jid), device, namespace);
    const own = space.own();
    if (own === undefined)
      throw new VerificationError(`${space.namespace} is not set up on this device yet`);
    return comparisonCode({ jid: this.host.self(), key: own.key }, { jid, key: r.key });
  }

  /**
   * Verifies the devices a scanned code lists when every fingerprint matches a key we hold
   * (unknown devices are looked up first). A device id known in both namespaces is verified in
   * each one whose key matches. All or nothing: one mismatch or unknown device refuses the
   * whole code with a VerificationError saying which and why.
   */
  async verifyFromUri(uri: string): Promise<UriVerified> {
    const { jid, devices } = parseVerificationUri(uri);
    this.requireOwn();
    const matches: { space: TrustSpace; device: number }[] = [];
    let refreshed = false;
    for (const d of devices) {
      if (jid === this.host.self() && this.spaces.some((s) => s.own()?.device === d.device)) {
        const own = this.spaces.map((s) => s.own()).filter((o) => o?.device === d.device);
        if (!own.some((o) => fingerprintHex(o!.key) === d.fingerprint))
          throw this.mismatch(jid, d.device);
        continue;
      }
      let known = await this.keysOf(jid, d.device);
      if (known.length === 0 && !refreshed) {
        refreshed = true;
        await this.refresh(jid);
        known = await this.keysOf(jid, d.device);
      }
      if (known.length === 0)
        throw new VerificationError(
          `${jid} has no device ${d.device} that we know of: nothing was verified`,
        );
      const ok = known.filter((k) => fingerprintHex(k.key) === d.fingerprint);
      if (ok.length === 0) throw this.mismatch(jid, d.device);
      for (const k of ok) matches.push({ space: k.space, device: d.device });
    }
    const verified: number[] = [];
    for (const m of matches) {
      await this.setTrust(jid, m.device, "verified", m.space.namespace);
      if (!verified.includes(m.device)) verified.push(m.device);
    }
    return { jid, devices: verified };
  }

  private async keysOf(jid: string, device: number) {
    const out: { space: TrustSpace; key: Uint8Array }[] = [];
    for (const space of this.spaces) {
      const r = await space.store.loadIdentity(jid, device);
      if (r !== undefined) out.push({ space, key: r.key });
    }
    return out;
  }

  private mismatch(jid: string, device: number): VerificationError {
    return new VerificationError(
      `the fingerprint of ${jid}'s device ${device} does not match the key we hold: nothing was verified (someone may be impersonating ${jid})`,
    );
  }

  /**
   * Sets the trust in a device (of `namespace`, else the first namespace that knows it).
   * Verifying one makes the contact's blind devices "untrusted" for good, in every namespace
   * (the rule: after a verification only verified devices get messages).
   */
  async setTrust(jid: string, device: number, trust: Trust, namespace?: string): Promise<void> {
    const j = bare(jid);
    const { space, r } = await this.find(j, device, namespace);
    await space.store.saveIdentity(j, device, { ...r, trust });
    if (trust !== "verified") return;
    for (const s of this.spaces)
      for (const [d, other] of await s.store.identities(j))
        if (other.trust === "blind")
          await s.store.saveIdentity(j, d, { ...other, trust: "untrusted" });
  }

  /**
   * The user accepts the new identity key a device presented: it replaces the old one, the
   * device starts over as the rule says ("blind" while nothing of the contact is verified,
   * else "untrusted") and its old session is dropped. The key is the one refused before, or
   * the one in its bundle now.
   */
  async acceptNewKey(jid: string, device: number, namespace?: string): Promise<DeviceFingerprint> {
    const j = bare(jid);
    const space =
      namespace !== undefined
        ? this.space(namespace)
        : (this.spaces.find((s) => this.changed.has(`${s.namespace}\n${j}\n${device}`)) ??
          this.spaces[0]!);
    const id = `${space.namespace}\n${j}\n${device}`;
    const key = this.changed.get(id) ?? (await space.bundleIdentity(j, device));
    const old = await space.store.loadIdentity(j, device);
    const strict = old?.trust === "verified" || (await this.contactVerified(j));
    await space.store.saveIdentity(j, device, {
      key,
      trust: strict ? "untrusted" : "blind",
      since: new Date().toISOString(),
    });
    await space.store.removeSession(`${j}.${device}`);
    this.changed.delete(id);
    const now = (await this.fingerprints(j)).find(
      (f) => f.device === device && f.namespace === space.namespace,
    );
    return now!;
  }

  private requireOwn(): OwnDevice {
    const own = this.host.own();
    if (own === undefined) throw new VerificationError("OMEMO is not set up on this device yet");
    return own;
  }
}
