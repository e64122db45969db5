// OMEMO 2's key storage port and an in-memory store. Separate from the legacy OmemoStore
// because the keys differ (an Ed25519 identity, sessions as our own ratchet state); the same
// shape otherwise (async, plain data: numbers, strings, Uint8Array) so that IndexedDB fits.

import type { RemoteIdentity } from "../omemo/store.js";
import type { RawPair } from "./crypto.js";
import type { RatchetState } from "./ratchet.js";

/** This device's long-term OMEMO 2 keys. */
export interface Omemo2Own {
  deviceId: number;
  /** Ed25519: `priv` is the 32-byte seed. */
  identity: RawPair;
  signedPreKey: { id: number; pair: RawPair; signature: Uint8Array };
  nextPreKeyId: number;
}

/** A session with one remote device. */
export interface Omemo2Session {
  ratchet: RatchetState;
  /**
   * Set while a session we started is unconfirmed: every message repeats the key exchange
   * (XEP-0384) until the peer has answered through the session.
   */
  kex?: { pkId: number; spkId: number; ek: Uint8Array };
  /** For a session the peer started: its key exchange, to recognise a repeated one. */
  from?: { pkId: number; spkId: number; ek: Uint8Array };
}

export interface Omemo2Store {
  loadOwn(): Promise<Omemo2Own | undefined>;
  saveOwn(own: Omemo2Own): Promise<void>;
  loadPreKey(id: number): Promise<RawPair | undefined>;
  storePreKey(id: number, pair: RawPair): Promise<void>;
  removePreKey(id: number): Promise<void>;
  preKeyIds(): Promise<number[]>;
  /** Sessions by address `jid.device`. */
  loadSession(address: string): Promise<Omemo2Session | undefined>;
  storeSession(address: string, session: Omemo2Session): Promise<void>;
  removeSession(address: string): Promise<void>;
  loadIdentity(jid: string, device: number): Promise<RemoteIdentity | undefined>;
  saveIdentity(jid: string, device: number, identity: RemoteIdentity): Promise<void>;
  identities(jid: string): Promise<Map<number, RemoteIdentity>>;
  loadDevices(jid: string): Promise<number[] | undefined>;
  saveDevices(jid: string, devices: number[]): Promise<void>;
}

/** A deep copy of plain data (what a database's structured clone does). */
const clone = <T>(v: T): T =>
  (globalThis as unknown as { structuredClone<U>(x: U): U }).structuredClone(v);

/** Omemo2Store in memory; keep the object to restart a client with the same keys and sessions. */
export class MemoryOmemo2Store implements Omemo2Store {
  private own: Omemo2Own | undefined;
  private preKeys = new Map<number, RawPair>();
  private sessions = new Map<string, Omemo2Session>();
  private ids = new Map<string, Map<number, RemoteIdentity>>();
  private devices = new Map<string, number[]>();

  async loadOwn(): Promise<Omemo2Own | undefined> {
    return clone(this.own);
  }
  async saveOwn(own: Omemo2Own): Promise<void> {
    this.own = clone(own);
  }
  async loadPreKey(id: number): Promise<RawPair | undefined> {
    return clone(this.preKeys.get(id));
  }
  async storePreKey(id: number, pair: RawPair): Promise<void> {
    this.preKeys.set(id, clone(pair));
  }
  async removePreKey(id: number): Promise<void> {
    this.preKeys.delete(id);
  }
  async preKeyIds(): Promise<number[]> {
    return [...this.preKeys.keys()];
  }
  async loadSession(address: string): Promise<Omemo2Session | undefined> {
    return clone(this.sessions.get(address));
  }
  async storeSession(address: string, session: Omemo2Session): Promise<void> {
    this.sessions.set(address, clone(session));
  }
  async removeSession(address: string): Promise<void> {
    this.sessions.delete(address);
  }
  async loadIdentity(jid: string, device: number): Promise<RemoteIdentity | undefined> {
    return clone(this.ids.get(jid)?.get(device));
  }
  async saveIdentity(jid: string, device: number, identity: RemoteIdentity): Promise<void> {
    const m = this.ids.get(jid) ?? new Map<number, RemoteIdentity>();
    this.ids.set(jid, m);
    m.set(device, clone(identity));
  }
  async identities(jid: string): Promise<Map<number, RemoteIdentity>> {
    return clone(this.ids.get(jid) ?? new Map<number, RemoteIdentity>());
  }
  async loadDevices(jid: string): Promise<number[] | undefined> {
    return clone(this.devices.get(jid));
  }
  async saveDevices(jid: string, devices: number[]): Promise<void> {
    this.devices.set(jid, [...devices]);
  }
}
