// OMEMO key storage: the port every backend implements (memory here for tests and bots; the
// web client's IndexedDB store is in packages/web). Async throughout so that IndexedDB fits,
// and plain data only (numbers, strings, Uint8Array) so that structured clone can store it.

import { deepCopy } from "../platform.js";

/** A Curve25519 key pair; public keys carry libsignal's 0x05 type byte (33 bytes). */
export interface KeyPair {
  pub: Uint8Array;
  priv: Uint8Array;
}

/** A signed pre-key: its id, key pair, the identity key's signature of its public key. */
export interface SignedPreKey {
  id: number;
  pair: KeyPair;
  signature: Uint8Array;
  /** When it was made (ms since 1970); absent in keys made before rotation existed. */
  created?: number;
}

/** A replaced signed pre-key, kept for a grace period (PreKey messages built on it still decrypt). */
export interface RetiredSignedPreKey extends SignedPreKey {
  /** When it was replaced (ms since 1970). */
  retired: number;
}

/** This device's long-term keys. */
export interface OwnDevice {
  /** Random 31-bit device id (1 … 2^31-1), unique among our account's devices. */
  deviceId: number;
  identity: KeyPair;
  /** The signed pre-key in our published bundle. */
  signedPreKey: SignedPreKey;
  /** Signed pre-keys replaced by rotation and still in their grace period (absent: none). */
  oldSignedPreKeys?: RetiredSignedPreKey[];
  /** The id the next generated pre-key gets (ids are never reused). */
  nextPreKeyId: number;
  /**
   * ISO time the keys were created: encrypted history from before it cannot be on this device
   * (absent for devices created before it was recorded).
   */
  created?: string;
}

/**
 * How far we trust a remote device's identity key: "blind" (trusted until the user verifies
 * a device of that contact), "verified" (by the user), "untrusted" (a new device after the
 * user verified another one, or refused by the user).
 */
export type Trust = "blind" | "verified" | "untrusted";

/** A remote device's identity key as we first saw it, and our trust in it. */
export interface RemoteIdentity {
  key: Uint8Array;
  trust: Trust;
  /** ISO time we first saw this key. */
  since: string;
}

/**
 * Everything OMEMO keeps per account and device, for either namespace: `Own`, `Pair` and
 * `Session` are the namespace's record types (async, plain data, so that IndexedDB fits).
 */
export interface KeyStore<Own, Pair, Session> {
  loadOwn(): Promise<Own | undefined>;
  saveOwn(own: Own): Promise<void>;
  loadPreKey(id: number): Promise<Pair | undefined>;
  storePreKey(id: number, pair: Pair): Promise<void>;
  removePreKey(id: number): Promise<void>;
  /** Ids of the pre-keys we hold (unused ones). */
  preKeyIds(): Promise<number[]>;
  /** The session with the device at `address` (`jid.device`). */
  loadSession(address: string): Promise<Session | undefined>;
  storeSession(address: string, session: Session): Promise<void>;
  removeSession(address: string): Promise<void>;
  loadIdentity(jid: string, device: number): Promise<RemoteIdentity | undefined>;
  saveIdentity(jid: string, device: number, identity: RemoteIdentity): Promise<void>;
  /** All devices of `jid` whose identity we know. */
  identities(jid: string): Promise<Map<number, RemoteIdentity>>;
  /** The last device list we saw for `jid` (ourselves included). */
  loadDevices(jid: string): Promise<number[] | undefined>;
  saveDevices(jid: string, devices: number[]): Promise<void>;
}

/** The legacy namespace's store: sessions are libsignal's serialized session records. */
export type OmemoStore = KeyStore<OwnDevice, KeyPair, string>;

/**
 * A key store in memory for either namespace (`Own`, `Pair`, `Session` are the namespace's
 * record types). Keep the object to "restart" a client with the same keys and sessions (tests
 * do); values are copied in and out as a real database would.
 */
export class MemoryKeyStore<Own, Pair, Session> implements KeyStore<Own, Pair, Session> {
  private own: Own | undefined;
  private preKeys = new Map<number, Pair>();
  private sessions = new Map<string, Session>();
  private ids = new Map<string, Map<number, RemoteIdentity>>();
  private devices = new Map<string, number[]>();

  async loadOwn(): Promise<Own | undefined> {
    return deepCopy(this.own);
  }
  async saveOwn(own: Own): Promise<void> {
    this.own = deepCopy(own);
  }
  async loadPreKey(id: number): Promise<Pair | undefined> {
    return deepCopy(this.preKeys.get(id));
  }
  async storePreKey(id: number, pair: Pair): Promise<void> {
    this.preKeys.set(id, deepCopy(pair));
  }
  async removePreKey(id: number): Promise<void> {
    this.preKeys.delete(id);
  }
  async preKeyIds(): Promise<number[]> {
    return [...this.preKeys.keys()];
  }
  async loadSession(address: string): Promise<Session | undefined> {
    return deepCopy(this.sessions.get(address));
  }
  async storeSession(address: string, record: Session): Promise<void> {
    this.sessions.set(address, deepCopy(record));
  }
  async removeSession(address: string): Promise<void> {
    this.sessions.delete(address);
  }
  async loadIdentity(jid: string, device: number): Promise<RemoteIdentity | undefined> {
    return deepCopy(this.ids.get(jid)?.get(device));
  }
  async saveIdentity(jid: string, device: number, identity: RemoteIdentity): Promise<void> {
    const m = this.ids.get(jid) ?? new Map<number, RemoteIdentity>();
    this.ids.set(jid, m);
    m.set(device, deepCopy(identity));
  }
  async identities(jid: string): Promise<Map<number, RemoteIdentity>> {
    return deepCopy(this.ids.get(jid) ?? new Map<number, RemoteIdentity>());
  }
  async loadDevices(jid: string): Promise<number[] | undefined> {
    return deepCopy(this.devices.get(jid));
  }
  async saveDevices(jid: string, devices: number[]): Promise<void> {
    this.devices.set(jid, [...devices]);
  }
}

/** OmemoStore in memory (tests and bots). */
export class MemoryOmemoStore
  extends MemoryKeyStore<OwnDevice, KeyPair, string>
  implements OmemoStore {}
