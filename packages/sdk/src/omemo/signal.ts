// The Signal protocol (X3DH + Double Ratchet) comes from @privacyresearch/libsignal-protocol-typescript
// (GPL-3.0, compatible with our AGPL): a maintained TypeScript port of Signal's
// libsignal-protocol-javascript that runs on WebCrypto in browsers and Node alike, speaks the
// same version-3 wire format (SignalMessage / PreKeySignalMessage protobufs, 33-byte 0x05
// keys) as the libsignal-protocol-java/-c that Conversations, Dino, Gajim and Profanity
// use, and so needs no primitives of ours. This file adapts our OmemoStore to its storage.

import * as libsignal from "@privacyresearch/libsignal-protocol-typescript";
import { deepCopy } from "../platform.js";
import { ab, bytes } from "./bytes.js";
import { findSignedPreKey } from "./rotation.js";
import type { KeyPair, OmemoStore, OwnDevice } from "./store.js";
import { judgeKey, sameBytes } from "./trust.js";

export { libsignal };

/** Loaded on first use (see loadSignal): the web client pays for the library only with OMEMO on. */

const pairOut = (p: KeyPair): libsignal.KeyPairType => ({ pubKey: ab(p.pub), privKey: ab(p.priv) });

/**
 * The library's cipher, except how a message is tried on the sessions of a record. A record
 * holds several sessions with one device when both sides started one at the same moment (each
 * sent its first message before the other's arrived). libsignal-protocol-typescript 0.0.16 tries
 * the message on each session in turn, and a try that fails leaves its session changed (its
 * ratchet stepped with the other session's key); the next message on that session then fails
 * with "Bad MAC" on both sides, for good. Here every try works on a copy, and only the copy that
 * decrypted is kept, as libsignal-java does. (The library's methods around it take the copy as
 * they would take the original: the record stores sessions by base key.)
 */
export class SessionCipher extends libsignal.SessionCipher {
  override async decryptWithSessionList(
    buffer: ArrayBuffer,
    sessionList: libsignal.SessionType[],
    errors: unknown[],
  ): Promise<{ plaintext: ArrayBuffer; session: libsignal.SessionType }> {
    // The library's order: the open session first, then the most recently closed.
    for (const session of [...sessionList].reverse()) {
      const copy = deepCopy(session);
      try {
        return { plaintext: await this.doDecryptWhisperMessage(buffer, copy), session: copy };
      } catch (err) {
        // A repeated counter is final: the message is a replay, whichever session it was for.
        if ((err as Error).name === "MessageCounterError") throw err;
        errors.push(err);
      }
    }
    throw errors[0] ?? new Error("No session to decrypt the message with");
  }
}

/** The Signal address of a remote device: name = bare JID, device id = OMEMO device id. */
export function address(jid: string, device: number): libsignal.SignalProtocolAddress {
  return new libsignal.SignalProtocolAddress(jid, device);
}

/**
 * The library's StorageType for talking to one remote device (`jid`, `device`). The library
 * asks trust questions by name only, without the device; binding the adapter to one device
 * lets us answer per device. Pre-keys it consumes are reported through `used`.
 */
export function signalStorage(
  store: OmemoStore,
  own: OwnDevice,
  jid: string,
  device: number,
  used: (id: number) => void,
): libsignal.StorageType {
  return {
    getIdentityKeyPair: async () => pairOut(own.identity),
    // Conversations and libsignal-based clients use the device id as the registration id.
    getLocalRegistrationId: async () => own.deviceId,
    isTrustedIdentity: async (_name, key) => {
      const known = await store.loadIdentity(jid, device);
      return known === undefined || sameBytes(known.key, bytes(key));
    },
    saveIdentity: async (_address, key) => {
      const verdict = await judgeKey(store, jid, device, bytes(key));
      if (verdict.ok && verdict.isNew) await store.saveIdentity(jid, device, verdict.identity);
      return !verdict.ok;
    },
    loadPreKey: async (id) => {
      const p = await store.loadPreKey(Number(id));
      return p === undefined ? undefined : pairOut(p);
    },
    storePreKey: async (id, pair) =>
      store.storePreKey(Number(id), { pub: bytes(pair.pubKey), priv: bytes(pair.privKey) }),
    removePreKey: async (id) => {
      await store.removePreKey(Number(id));
      used(Number(id));
    },
    storeSession: (addr, record) => store.storeSession(addr, record),
    loadSession: (addr) => store.loadSession(addr),
    // The current signed pre-key or a replaced one still in its grace period (rotation.ts).
    loadSignedPreKey: async (id) => {
      const k = findSignedPreKey(own, Number(id));
      return k === undefined ? undefined : pairOut(k.pair);
    },
    storeSignedPreKey: async () => undefined, // ours live in OwnDevice
    removeSignedPreKey: async () => undefined,
  };
}
