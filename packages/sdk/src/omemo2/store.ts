// OMEMO 2's key storage port and an in-memory store. Separate from the legacy OmemoStore
// because the keys differ (an Ed25519 identity, sessions as our own ratchet state); the same
// shape otherwise (async, plain data: numbers, strings, Uint8Array) so that IndexedDB fits.

import { type KeyStore, MemoryKeyStore } from "../omemo/store.js";
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
  /**
   * The session a key exchange from the peer replaced. When both sides started a session at
   * the same moment, the peer's messages may still come through this one: they decrypt here,
   * and it becomes the current session again (omemo2.ts, decryptKey).
   */
  previous?: Omit<Omemo2Session, "previous">;
}

/** OMEMO 2's store: sessions are our own ratchet state. */
export type Omemo2Store = KeyStore<Omemo2Own, RawPair, Omemo2Session>;

/** Omemo2Store in memory; keep the object to restart a client with the same keys and sessions. */
export class MemoryOmemo2Store
  extends MemoryKeyStore<Omemo2Own, RawPair, Omemo2Session>
  implements Omemo2Store {}
