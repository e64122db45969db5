// The primitives OMEMO 2 needs, all from WebCrypto (Node 20 and Chromium): X25519, Ed25519,
// HKDF-SHA-256, HMAC-SHA-256, AES-256-CBC and SHA-512. Nothing here is a primitive of ours;
// the one piece of arithmetic (Ed25519 public key to X25519) is an encoding, see edToX25519.

import { fromBase64 } from "../base64.js";
import { randomBytes, utf8 } from "../platform.js";

/** The parts of SubtleCrypto used here, declared narrowly (the SDK has no DOM types). */
interface Subtle {
  importKey(f: string, k: unknown, a: unknown, x: boolean, u: string[]): Promise<unknown>;
  exportKey(f: string, k: unknown): Promise<ArrayBuffer | { x?: string; d?: string }>;
  generateKey(
    a: unknown,
    x: boolean,
    u: string[],
  ): Promise<{ privateKey: unknown; publicKey: unknown }>;
  deriveBits(a: unknown, k: unknown, length: number): Promise<ArrayBuffer>;
  sign(a: unknown, k: unknown, d: Uint8Array): Promise<ArrayBuffer>;
  verify(a: unknown, k: unknown, s: Uint8Array, d: Uint8Array): Promise<boolean>;
  encrypt(a: unknown, k: unknown, d: Uint8Array): Promise<ArrayBuffer>;
  decrypt(a: unknown, k: unknown, d: Uint8Array): Promise<ArrayBuffer>;
  digest(a: string, d: Uint8Array): Promise<ArrayBuffer>;
}

function subtle(): Subtle {
  const c = (globalThis as unknown as { crypto?: { subtle?: Subtle } }).crypto;
  if (c?.subtle === undefined) throw new Error("WebCrypto (globalThis.crypto.subtle) is missing");
  return c.subtle;
}

/** A raw 32-byte key pair (X25519 private scalar or Ed25519 seed, and public key). */
export interface RawPair {
  priv: Uint8Array;
  pub: Uint8Array;
}

// PKCS#8 prefixes of RFC 8410 for a 32-byte private key (X25519 OID 1.3.101.110, Ed25519 .112).
const PKCS8_X25519 = Uint8Array.of(48, 46, 2, 1, 0, 48, 5, 6, 3, 43, 101, 110, 4, 34, 4, 32);
const PKCS8_ED25519 = Uint8Array.of(48, 46, 2, 1, 0, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function pkcs8(prefix: Uint8Array, priv: Uint8Array): Uint8Array {
  if (priv.length !== 32) throw new Error("a private key must be 32 bytes");
  return concat(prefix, priv);
}

/** A JWK's base64url field as bytes. */
function fromBase64Url(s: string): Uint8Array {
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  const out = fromBase64(std + "=".repeat((4 - (std.length % 4)) % 4));
  if (out === undefined) throw new Error("a JWK field is not base64url");
  return out;
}

/** The public key of a private key (X25519 scalar or Ed25519 seed), read from its JWK. */
async function publicOf(alg: "X25519" | "Ed25519", priv: Uint8Array): Promise<Uint8Array> {
  const usages = alg === "X25519" ? ["deriveBits"] : ["sign"];
  const key = await subtle().importKey(
    "pkcs8",
    pkcs8(alg === "X25519" ? PKCS8_X25519 : PKCS8_ED25519, priv),
    { name: alg },
    true,
    usages,
  );
  const jwk = (await subtle().exportKey("jwk", key)) as { x?: string };
  if (jwk.x === undefined) throw new Error(`${alg}: no public key in the JWK`);
  return fromBase64Url(jwk.x);
}

const random32 = (): Uint8Array => randomBytes(32);

/** A fresh X25519 key pair (random scalar; X25519 clamps it when used, RFC 7748 §5). */
export async function x25519Pair(): Promise<RawPair> {
  const priv = random32();
  return { priv, pub: await publicOf("X25519", priv) };
}

/** The X25519 public key of a private scalar. */
export function x25519Public(priv: Uint8Array): Promise<Uint8Array> {
  return publicOf("X25519", priv);
}

/** X25519(priv, pub): the 32-byte shared secret; refuses the all-zero output (a low-order key). */
export async function x25519(priv: Uint8Array, pub: Uint8Array): Promise<Uint8Array> {
  if (pub.length !== 32) throw new Error("an X25519 public key must be 32 bytes");
  const s = subtle();
  const k = await s.importKey("pkcs8", pkcs8(PKCS8_X25519, priv), { name: "X25519" }, false, [
    "deriveBits",
  ]);
  const p = await s.importKey("raw", pub, { name: "X25519" }, false, []);
  return new Uint8Array(await s.deriveBits({ name: "X25519", public: p }, k, 256));
}

/** A fresh Ed25519 identity: the 32-byte seed and the public key. */
export async function ed25519Pair(): Promise<RawPair> {
  const priv = random32();
  return { priv, pub: await publicOf("Ed25519", priv) };
}

export async function ed25519Sign(seed: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey(
    "pkcs8",
    pkcs8(PKCS8_ED25519, seed),
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  return new Uint8Array(await subtle().sign({ name: "Ed25519" }, k, data));
}

export async function ed25519Verify(
  pub: Uint8Array,
  sig: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  if (pub.length !== 32 || sig.length !== 64) return false;
  try {
    const k = await subtle().importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return await subtle().verify({ name: "Ed25519" }, k, sig, data);
  } catch {
    return false;
  }
}

/**
 * The X25519 private scalar that belongs to an Ed25519 seed: the first half of SHA-512(seed)
 * (RFC 8032 §5.1.5; X25519 clamps it as Ed25519 does), so that X25519 with it matches the
 * peer's conversion of our Ed25519 public key.
 */
export async function seedToX25519(seed: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest("SHA-512", seed)).slice(0, 32);
}

const P = (1n << 255n) - 19n;

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = b % P;
  while (e > 0n) {
    if (e & 1n) r = (r * x) % P;
    x = (x * x) % P;
    e >>= 1n;
  }
  return r;
}

/**
 * An Ed25519 public key in its X25519 (Montgomery) form: u = (1 + y) / (1 − y) mod p, the
 * birational map of RFC 7748 §4.1 applied to the key's y coordinate (little-endian, sign bit
 * cleared). An encoding of the same point, not a primitive: no secret is involved.
 */
export function edToX25519(ed: Uint8Array): Uint8Array {
  if (ed.length !== 32) throw new Error("an Ed25519 public key must be 32 bytes");
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? ed[i]! & 0x7f : ed[i]!);
  if (y >= P) throw new Error("the Ed25519 public key is not canonical");
  const den = (1n - y + P) % P;
  if (den === 0n) throw new Error("the Ed25519 public key has no X25519 form");
  let u = ((1n + y) * modPow(den, P - 2n)) % P;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

/** HKDF-SHA-256 (RFC 5869). */
export async function hkdf(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: string,
  length: number,
): Promise<Uint8Array> {
  const k = await subtle().importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle().deriveBits(
    { name: "HKDF", hash: "SHA-256", salt, info: utf8(info) },
    k,
    length * 8,
  );
  return new Uint8Array(bits);
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return new Uint8Array(await subtle().sign("HMAC", k, data));
}

/** AES-256-CBC with PKCS#7 padding (WebCrypto pads and unpads). */
export async function aesCbc(
  mode: "encrypt" | "decrypt",
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  const k = await subtle().importKey("raw", key, "AES-CBC", false, [mode]);
  const alg = { name: "AES-CBC", iv };
  return new Uint8Array(
    mode === "encrypt"
      ? await subtle().encrypt(alg, k, data)
      : await subtle().decrypt(alg, k, data),
  );
}

/** Constant-time comparison of two MACs. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
