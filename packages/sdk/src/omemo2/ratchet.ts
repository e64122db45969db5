// The Double Ratchet (Signal's public-domain specification) with OMEMO 2's parameters
// (XEP-0384): root chain HKDF-SHA-256 "OMEMO Root Chain", message chains HMAC-SHA-256
// with 0x01 (message key) and 0x02 (next chain key), and the AEAD: HKDF to 80 bytes
// ("OMEMO Message Key Material"), AES-256-CBC, HMAC-SHA-256 truncated to 16 bytes over the
// associated data and the OMEMOMessage. State is plain data so that any store can keep it.

import {
  aesCbc,
  concat,
  hkdf,
  hmacSha256,
  type RawPair,
  sameBytes,
  x25519,
  x25519Pair,
} from "./crypto.js";
import { decodeAuthenticated, decodeMessage, encodeAuthenticated, encodeMessage } from "./proto.js";

/** Most message keys one message may make us skip, and most kept per session. */
export const MAX_SKIP = 1000;

interface Chain {
  key: Uint8Array;
  n: number;
}

/** One session's ratchet state. */
export interface RatchetState {
  /** IK_initiator ‖ IK_responder, from X3DH. */
  ad: Uint8Array;
  root: Uint8Array;
  own: RawPair;
  other: Uint8Array;
  sending: Chain;
  receiving?: Chain;
  /** Length of the previous sending chain (the header's pn). */
  pn: number;
  skipped: { pub: Uint8Array; n: number; key: Uint8Array }[];
}

const ZERO = new Uint8Array(32);

/** One step of the root chain: (new root key, new chain key). */
export async function rootStep(
  root: Uint8Array,
  dh: Uint8Array,
): Promise<[Uint8Array, Uint8Array]> {
  const out = await hkdf(dh, root, "OMEMO Root Chain", 64);
  return [out.slice(0, 32), out.slice(32)];
}

/** One step of a message chain: the message key; the chain key advances. */
export async function chainStep(c: Chain): Promise<Uint8Array> {
  const mk = await hmacSha256(c.key, Uint8Array.of(0x01));
  c.key = await hmacSha256(c.key, Uint8Array.of(0x02));
  c.n++;
  return mk;
}

async function keys(mk: Uint8Array): Promise<[Uint8Array, Uint8Array, Uint8Array]> {
  const m = await hkdf(mk, ZERO, "OMEMO Message Key Material", 80);
  return [m.slice(0, 32), m.slice(32, 64), m.slice(64)];
}

/** The initiator's state after X3DH: a sending chain towards the peer's signed pre-key. */
export async function initActive(
  secret: Uint8Array,
  ad: Uint8Array,
  peerSpk: Uint8Array,
): Promise<RatchetState> {
  const own = await x25519Pair();
  const [root, ck] = await rootStep(secret, await x25519(own.priv, peerSpk));
  return { ad, root, own, other: peerSpk, sending: { key: ck, n: 0 }, pn: 0, skipped: [] };
}

/** The responder's state after X3DH: our signed pre-key pair is the first ratchet key. */
export async function initPassive(
  secret: Uint8Array,
  ad: Uint8Array,
  spk: RawPair,
  theirRatchet: Uint8Array,
): Promise<RatchetState> {
  const [root1, ckr] = await rootStep(secret, await x25519(spk.priv, theirRatchet));
  const own = await x25519Pair();
  const [root, cks] = await rootStep(root1, await x25519(own.priv, theirRatchet));
  return {
    ad,
    root,
    own,
    other: theirRatchet,
    receiving: { key: ckr, n: 0 },
    sending: { key: cks, n: 0 },
    pn: 0,
    skipped: [],
  };
}

/** The AEAD of XEP-0384: an OMEMOAuthenticatedMessage for `plain` under message key `mk`. */
export async function sealMessage(
  mk: Uint8Array,
  ad: Uint8Array,
  header: { n: number; pn: number; dhPub: Uint8Array },
  plain: Uint8Array,
): Promise<Uint8Array> {
  const [enc, auth, iv] = await keys(mk);
  const message = encodeMessage({ ...header, ciphertext: await aesCbc("encrypt", enc, iv, plain) });
  const mac = (await hmacSha256(auth, concat(ad, message))).slice(0, 16);
  return encodeAuthenticated(mac, message);
}

/** Checks the MAC over `ad` ‖ `message` (the OMEMOMessage as received) and decrypts `ciphertext`. */
export async function openMessage(
  mk: Uint8Array,
  ad: Uint8Array,
  mac: Uint8Array,
  message: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const [enc, auth, iv] = await keys(mk);
  const expected = (await hmacSha256(auth, concat(ad, message))).slice(0, 16);
  if (!sameBytes(expected, mac))
    throw new Error("message authentication failed: tampered, or not for this session");
  try {
    return await aesCbc("decrypt", enc, iv, ciphertext);
  } catch {
    throw new Error("the key material does not decrypt (bad padding)");
  }
}

/** Encrypts `plain` (the key material) as an OMEMOAuthenticatedMessage; advances `s`. */
export async function ratchetEncrypt(s: RatchetState, plain: Uint8Array): Promise<Uint8Array> {
  const header = { n: s.sending.n, pn: s.pn, dhPub: s.own.pub };
  return sealMessage(await chainStep(s.sending), s.ad, header, plain);
}

function clone(s: RatchetState): RatchetState {
  return {
    ...s,
    own: { ...s.own },
    sending: { ...s.sending },
    ...(s.receiving ? { receiving: { ...s.receiving } } : {}),
    skipped: [...s.skipped],
  };
}

async function skipTo(s: RatchetState, until: number): Promise<void> {
  const r = s.receiving;
  if (r === undefined) return;
  if (until - r.n > MAX_SKIP)
    throw new Error(`the message skips more than ${MAX_SKIP} message keys`);
  while (r.n < until) {
    const n = r.n;
    s.skipped.push({ pub: s.other, n, key: await chainStep(r) });
  }
  if (s.skipped.length > MAX_SKIP) s.skipped.splice(0, s.skipped.length - MAX_SKIP);
}

/**
 * Decrypts an OMEMOAuthenticatedMessage. Returns the new state (the old one is untouched, so a
 * forged message changes nothing) and the plaintext. Throws with the reason on any failure.
 */
export async function ratchetDecrypt(
  state: RatchetState,
  authenticated: Uint8Array,
): Promise<{ state: RatchetState; plain: Uint8Array }> {
  const { mac, message } = decodeAuthenticated(authenticated);
  const header = decodeMessage(message);
  if (header.ciphertext === undefined) throw new Error("the OMEMOMessage has no ciphertext");
  const s = clone(state);
  let mk: Uint8Array;
  const i = s.skipped.findIndex((k) => k.n === header.n && sameBytes(k.pub, header.dhPub));
  if (i >= 0) {
    mk = s.skipped[i]!.key;
    s.skipped.splice(i, 1);
  } else {
    if (!sameBytes(header.dhPub, s.other)) {
      await skipTo(s, header.pn);
      s.other = header.dhPub;
      const [root1, ckr] = await rootStep(s.root, await x25519(s.own.priv, s.other));
      s.receiving = { key: ckr, n: 0 };
      s.pn = s.sending.n;
      s.own = await x25519Pair();
      const [root, cks] = await rootStep(root1, await x25519(s.own.priv, s.other));
      s.root = root;
      s.sending = { key: cks, n: 0 };
    }
    const r = s.receiving;
    if (r === undefined) throw new Error("no receiving chain in this session yet");
    if (header.n < r.n)
      throw new Error("this message was already decrypted (a replay) or its key is gone");
    await skipTo(s, header.n);
    mk = await chainStep(r);
  }
  const plain = await openMessage(mk, s.ad, mac, message, header.ciphertext);
  return { state: s, plain };
}
