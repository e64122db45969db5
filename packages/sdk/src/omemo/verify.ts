// Trust and verification of OMEMO devices (issue 7): what the user sees of a contact's
// devices (fingerprint, trust, first seen), verifying them by QR code or short code, learning
// new devices, and the explicit acceptance of a changed identity key. Used through Omemo
// (`client.omemo`); the rule itself is in trust.ts.

import { bare } from "../jid.js";
import {
  comparisonCode,
  fingerprintHex,
  parseVerificationUri,
  VerificationError,
  verificationUri,
} from "./fingerprint.js";
import type { OmemoStore, OwnDevice, Trust } from "./store.js";
import { anyVerified, effectiveTrust, judgeKey, sameBytes } from "./trust.js";

/** One device of a contact as the Security panel shows it. */
export interface DeviceFingerprint {
  device: number;
  /** The identity key as 64 hex digits (see fingerprintHex). */
  fingerprint: string;
  /** The trust that counts (a "blind" device of a contact with a verified device is "untrusted"). */
  trust: Trust;
  /** ISO time we first saw this key. */
  since: string;
  /** Whether the contact's last device list still names it. */
  listed: boolean;
  /** Set when the device presented another identity key, refused until accepted. */
  changedTo?: string;
}

/** A contact's device we had not seen before. */
export interface NewDeviceInfo {
  fingerprint: string;
  trust: Trust;
  /** True when it is the first device of this contact we know (no notice needed then). */
  firstOfContact: boolean;
}

/** A known device that presented another identity key (refused until the user accepts it). */
export interface KeyChangeInfo {
  device: number;
  old: string;
  new: string;
  reason: string;
}

/** What verification needs from Omemo. */
export interface VerifyHost {
  self(): string;
  own(): OwnDevice | undefined;
  /** The device list of `jid` (fetched). */
  devices(jid: string): Promise<number[]>;
  /** The identity key in the bundle `jid` published for `device` (throws when unusable). */
  bundleIdentity(jid: string, device: number): Promise<Uint8Array>;
  newDevice(jid: string, device: number, info: NewDeviceInfo): void;
  keyChanged(jid: string, info: KeyChangeInfo): void;
}

/** The devices of one contact's QR code that were verified. */
export interface UriVerified {
  jid: string;
  devices: number[];
}

export class Verification {
  /** Changed keys seen and refused, per `jid\ndevice`, until the user accepts one. */
  private readonly changed = new Map<string, Uint8Array>();
  /**
   * Devices whose bundle could not be read: not asked again on notifications (a hostile
   * contact could list 100 devices without bundles in every publication), only when the user
   * refreshes.
   */
  private readonly unreadable = new Set<string>();

  constructor(
    private readonly host: VerifyHost,
    private readonly store: OmemoStore,
  ) {}

  /** The devices of `jid` we know, with fingerprints and trust (nothing fetched). */
  async fingerprints(jid: string): Promise<DeviceFingerprint[]> {
    const j = bare(jid);
    const ids = await this.store.identities(j);
    const listed = new Set((await this.store.loadDevices(j)) ?? []);
    const verified = [...ids.values()].some((r) => r.trust === "verified");
    return [...ids]
      .map(([device, r]) => {
        const changed = this.changed.get(`${j}\n${device}`);
        return {
          device,
          fingerprint: fingerprintHex(r.key),
          trust: effectiveTrust(r.trust, verified),
          since: r.since,
          listed: listed.has(device),
          ...(changed === undefined ? {} : { changedTo: fingerprintHex(changed) }),
        };
      })
      .sort((a, b) => a.since.localeCompare(b.since) || a.device - b.device);
  }

  /**
   * Fetches `jid`'s device list and the bundles of devices we do not know yet, remembering
   * their keys (blind or untrusted by the rule); a known device's key is not fetched again.
   * `listed`: the device list when the caller has it (a notification).
   * Returns the reasons for devices that could not be read.
   */
  async refresh(jid: string, listed?: number[]): Promise<string[]> {
    const j = bare(jid);
    const problems: string[] = [];
    for (const device of listed ?? (await this.host.devices(j))) {
      if (j === this.host.self() && device === this.host.own()?.deviceId) continue;
      if ((await this.store.loadIdentity(j, device)) !== undefined) continue;
      const id = `${j}\n${device}`;
      if (listed !== undefined && this.unreadable.has(id)) continue;
      try {
        await this.learn(j, device, await this.host.bundleIdentity(j, device));
        this.unreadable.delete(id);
      } catch (err) {
        this.unreadable.add(id);
        problems.push(`device ${device}: ${(err as Error).message}`);
      }
    }
    return problems;
  }

  /** Judges and saves a device's key seen in its bundle (new device or key change reported). */
  private async learn(jid: string, device: number, key: Uint8Array): Promise<void> {
    const verdict = await judgeKey(this.store, jid, device, key);
    if (!verdict.ok) {
      this.keyRefused(jid, device, verdict.presented, verdict.reason);
      return;
    }
    if (!verdict.isNew) return;
    const before = (await this.store.identities(jid)).size;
    await this.store.saveIdentity(jid, device, verdict.identity);
    this.host.newDevice(jid, device, {
      fingerprint: fingerprintHex(key),
      trust: verdict.identity.trust,
      firstOfContact: before === 0,
    });
  }

  /** Tells of a new device whose identity was just saved (a session set up, or refused by the rule). */
  async announce(jid: string, device: number): Promise<void> {
    const ids = await this.store.identities(jid);
    const r = ids.get(device);
    if (r === undefined) return;
    this.host.newDevice(jid, device, {
      fingerprint: fingerprintHex(r.key),
      trust: r.trust,
      firstOfContact: ids.size === 1,
    });
  }

  /** A known device presented another key: remember it for acceptNewKey, tell the user once. */
  keyRefused(jid: string, device: number, presented: Uint8Array, reason: string): void {
    const id = `${jid}\n${device}`;
    const seen = this.changed.get(id);
    if (seen !== undefined && sameBytes(seen, presented)) return;
    this.changed.set(id, presented);
    void this.store.loadIdentity(jid, device).then((old) =>
      this.host.keyChanged(jid, {
        device,
        old: old === undefined ? "" : fingerprintHex(old.key),
        new: fingerprintHex(presented),
        reason,
      }),
    );
  }

  /** Our device's id and fingerprint. */
  ownFingerprint(): { device: number; fingerprint: string } {
    const own = this.requireOwn();
    return { device: own.deviceId, fingerprint: fingerprintHex(own.identity.pub) };
  }

  /** Our QR code's content (Conversations' format): our JID, device id and fingerprint. */
  verificationUri(): string {
    const own = this.requireOwn();
    return verificationUri(this.host.self(), [{ device: own.deviceId, key: own.identity.pub }]);
  }

  /** The short code to compare with `jid`'s `device` (both sides compute the same). */
  async comparisonCode(jid: string, device: number): Promise<string> {
    const own = this.requireOwn();
    const r = await this.store.loadIdentity(bare(jid), device);
    if (r === undefined) throw new VerificationError(`no key known for ${jid}'s device ${device}`);
    return comparisonCode({ jid: this.host.self(), key: own.identity.pub }, { jid, key: r.key });
  }

  /**
   * Verifies the devices a scanned code lists when every fingerprint matches the key we hold
   * (unknown devices are looked up first). All or nothing: one mismatch or unknown device
   * refuses the whole code with a VerificationError saying which and why.
   */
  async verifyFromUri(uri: string): Promise<UriVerified> {
    const { jid, devices } = parseVerificationUri(uri);
    const own = this.requireOwn();
    const keys = new Map<number, Uint8Array>();
    for (const d of devices) {
      if (jid === this.host.self() && d.device === own.deviceId) {
        keys.set(d.device, own.identity.pub);
        continue;
      }
      let r = await this.store.loadIdentity(jid, d.device);
      if (r === undefined) {
        await this.refresh(jid);
        r = await this.store.loadIdentity(jid, d.device);
      }
      if (r === undefined)
        throw new VerificationError(
          `${jid} has no device ${d.device} that we know of: nothing was verified`,
        );
      keys.set(d.device, r.key);
    }
    for (const d of devices) {
      if (fingerprintHex(keys.get(d.device)!) !== d.fingerprint)
        throw new VerificationError(
          `the fingerprint of ${jid}'s device ${d.device} does not match the key we hold: nothing was verified (someone may be impersonating ${jid})`,
        );
    }
    const verified: number[] = [];
    for (const d of devices) {
      if (jid === this.host.self() && d.device === own.deviceId) continue;
      await this.setTrust(jid, d.device, "verified");
      verified.push(d.device);
    }
    return { jid, devices: verified };
  }

  /**
   * Sets the trust in a device. Verifying one makes the contact's blind devices "untrusted"
   * for good (the rule: after a verification only verified devices get messages).
   */
  async setTrust(jid: string, device: number, trust: Trust): Promise<void> {
    const j = bare(jid);
    const r = await this.store.loadIdentity(j, device);
    if (r === undefined) throw new VerificationError(`no key known for ${j}'s device ${device}`);
    await this.store.saveIdentity(j, device, { ...r, trust });
    if (trust !== "verified") return;
    for (const [d, other] of await this.store.identities(j))
      if (other.trust === "blind")
        await this.store.saveIdentity(j, d, { ...other, trust: "untrusted" });
  }

  /**
   * The user accepts the new identity key a device presented: it replaces the old one, the
   * device starts over as the rule says ("blind" while nothing of the contact is verified,
   * else "untrusted") and its old session is dropped. The key is the one refused before, or
   * the one in its bundle now.
   */
  async acceptNewKey(jid: string, device: number): Promise<DeviceFingerprint> {
    const j = bare(jid);
    const key = this.changed.get(`${j}\n${device}`) ?? (await this.host.bundleIdentity(j, device));
    const old = await this.store.loadIdentity(j, device);
    const strict = old?.trust === "verified" || (await anyVerified(this.store, j));
    await this.store.saveIdentity(j, device, {
      key,
      trust: strict ? "untrusted" : "blind",
      since: new Date().toISOString(),
    });
    await this.store.removeSession(`${j}.${device}`);
    this.changed.delete(`${j}\n${device}`);
    const now = (await this.fingerprints(j)).find((f) => f.device === device);
    return now!;
  }

  private requireOwn(): OwnDevice {
    const own = this.host.own();
    if (own === undefined) throw new VerificationError("OMEMO is not set up on this device yet");
    return own;
  }
}
