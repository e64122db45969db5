// The public shapes of OMEMO trust and verification (verify.ts): what the Security panel shows
// of a device, what the new-device and key-changed events carry, and the ports Verification
// needs.

import type { OmemoStore, OwnDevice, Trust } from "./store.js";

/** One device of a contact as the Security panel shows it. */
export interface DeviceFingerprint {
  device: number;
  /** Its OMEMO namespace: NS_OMEMO (legacy) or urn:xmpp:omemo:2. */
  namespace: string;
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
  namespace: string;
  fingerprint: string;
  trust: Trust;
  /** True when it is the first device of this contact we know (no notice needed then). */
  firstOfContact: boolean;
}

/** A known device that presented another identity key (refused until the user accepts it). */
export interface KeyChangeInfo {
  device: number;
  namespace: string;
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

/** One namespace's keys as verification sees them (the legacy one, OMEMO 2). */
export interface TrustSpace {
  namespace: string;
  store: Pick<
    OmemoStore,
    "loadIdentity" | "saveIdentity" | "identities" | "loadDevices" | "removeSession"
  >;
  /** Our device in this namespace (undefined before it is set up). */
  own(): { device: number; key: Uint8Array } | undefined;
  devices(jid: string): Promise<number[]>;
  bundleIdentity(jid: string, device: number): Promise<Uint8Array>;
}

/** The devices of one contact's QR code that were verified. */
export interface UriVerified {
  jid: string;
  devices: number[];
}
