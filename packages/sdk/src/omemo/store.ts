// OMEMO key storage: the port every backend implements (memory here for tests and bots; the
// web client's IndexedDB store comes later). Async throughout so that IndexedDB fits, and
// plain data only (numbers, strings, Uint8Array) so that structured clone can store it.

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

/** Everything OMEMO keeps per account and device. */
export interface OmemoStore {
  loadOwn(): Promise<OwnDevice | undefined>;
  saveOwn(own: OwnDevice): Promise<void>;
  loadPreKey(id: number): Promise<KeyPair | undefined>;
  storePreKey(id: number, pair: KeyPair): Promise<void>;
  removePreKey(id: number): Promise<void>;
  /** Ids of the pre-keys we hold (unused ones). */
  preKeyIds(): Promise<number[]>;
  /** libsignal's serialized session record for `address` (`jid.device`). */
  loadSession(address: string): Promise<string | undefined>;
  storeSession(address: string, record: string): Promise<void>;
  removeSession(address: string): Promise<void>;
  loadIdentity(jid: string, device: number): Promise<RemoteIdentity | undefined>;
  saveIdentity(jid: string, device: number, identity: RemoteIdentity): Promise<void>;
  /** All devices of `jid` whose identity we know. */
  identities(jid: string): Promise<Map<number, RemoteIdentity>>;
  /** The last device list we saw for `jid` (ourselves included). */
  loadDevices(jid: string): Promise<number[] | undefined>;
  saveDevices(jid: string, devices: number[]): Promise<void>;
}

const copy = (b: Uint8Array) => new Uint8Array(b);
const copyPair = (p: KeyPair): KeyPair => ({ pub: copy(p.pub), priv: copy(p.priv) });
const copySpk = <T extends SignedPreKey>(k: T): T => ({
  ...k,
  pair: copyPair(k.pair),
  signature: copy(k.signature),
});
const copyOwn = (o: OwnDevice): OwnDevice => ({
  ...o,
  identity: copyPair(o.identity),
  signedPreKey: copySpk(o.signedPreKey),
  ...(o.oldSignedPreKeys === undefined
    ? {}
    : { oldSignedPreKeys: o.oldSignedPreKeys.map(copySpk) }),
});

/**
 * OmemoStore in memory. Keep the object to "restart" a client with the same keys and
 * sessions (tests do); values are copied in and out as a real database would.
 */
export class MemoryOmemoStore implements OmemoStore {
  private own: OwnDevice | undefined;
  private preKeys = new Map<number, KeyPair>();
  private sessions = new Map<string, string>();
  private ids = new Map<string, Map<number, RemoteIdentity>>();
  private devices = new Map<string, number[]>();

  async loadOwn(): Promise<OwnDevice | undefined> {
    return this.own === undefined ? undefined : copyOwn(this.own);
  }
  async saveOwn(own: OwnDevice): Promise<void> {
    this.own = copyOwn(own);
  }
  async loadPreKey(id: number): Promise<KeyPair | undefined> {
    const p = this.preKeys.get(id);
    return p === undefined ? undefined : copyPair(p);
  }
  async storePreKey(id: number, pair: KeyPair): Promise<void> {
    this.preKeys.set(id, copyPair(pair));
  }
  async removePreKey(id: number): Promise<void> {
    this.preKeys.delete(id);
  }
  async preKeyIds(): Promise<number[]> {
    return [...this.preKeys.keys()];
  }
  async loadSession(address: string): Promise<string | undefined> {
    return this.sessions.get(address);
  }
  async storeSession(address: string, record: string): Promise<void> {
    this.sessions.set(address, record);
  }
  async removeSession(address: string): Promise<void> {
    this.sessions.delete(address);
  }
  async loadIdentity(jid: string, device: number): Promise<RemoteIdentity | undefined> {
    const r = this.ids.get(jid)?.get(device);
    return r === undefined ? undefined : { ...r, key: copy(r.key) };
  }
  async saveIdentity(jid: string, device: number, identity: RemoteIdentity): Promise<void> {
    const m = this.ids.get(jid) ?? new Map<number, RemoteIdentity>();
    this.ids.set(jid, m);
    m.set(device, { ...identity, key: copy(identity.key) });
  }
  async identities(jid: string): Promise<Map<number, RemoteIdentity>> {
    const out = new Map<number, RemoteIdentity>();
    for (const [d, r] of this.ids.get(jid) ?? []) out.set(d, { ...r, key: copy(r.key) });
    return out;
  }
  async loadDevices(jid: string): Promise<number[] | undefined> {
    const d = this.devices.get(jid);
    return d === undefined ? undefined : [...d];
  }
  async saveDevices(jid: string, devices: number[]): Promise<void> {
    this.devices.set(jid, [...devices]);
  }
}
