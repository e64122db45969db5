// XEP-0454 file encryption over WebCrypto: AES-256-GCM under a random 32-byte key and 12-byte
// IV, the 16-byte tag appended to the ciphertext (what Conversations, Dino and Profanity do).

import { randomBytes } from "../platform.js";

interface GcmSubtle {
  importKey(f: "raw", k: Uint8Array, a: string, x: boolean, u: string[]): Promise<unknown>;
  encrypt(a: { name: string; iv: Uint8Array }, k: unknown, d: Uint8Array): Promise<ArrayBuffer>;
  decrypt(a: { name: string; iv: Uint8Array }, k: unknown, d: Uint8Array): Promise<ArrayBuffer>;
  digest(a: string, d: Uint8Array): Promise<ArrayBuffer>;
}

function subtle(): GcmSubtle {
  const c = (globalThis as unknown as { crypto?: { subtle?: GcmSubtle } }).crypto;
  if (c?.subtle === undefined) throw new Error("WebCrypto (globalThis.crypto.subtle) is missing");
  return c.subtle;
}

/** The GCM tag's length, appended to the ciphertext. */
export const TAG_BYTES = 16;

/** An encrypted file: ciphertext ‖ tag, and what decrypts it. */
export interface EncryptedBytes {
  data: Uint8Array;
  iv: Uint8Array;
  key: Uint8Array;
}

/** Encrypts a file under a fresh random key and IV. */
export async function encryptFile(plain: Uint8Array): Promise<EncryptedBytes> {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const k = await subtle().importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const data = new Uint8Array(await subtle().encrypt({ name: "AES-GCM", iv }, k, plain));
  return { data, iv, key };
}

/**
 * The plaintext of ciphertext ‖ tag, or undefined when the tag does not verify (altered bytes,
 * another key or IV): nothing unauthenticated is ever returned.
 */
export async function decryptFile(
  data: Uint8Array,
  iv: Uint8Array,
  key: Uint8Array,
): Promise<Uint8Array | undefined> {
  if (data.length < TAG_BYTES || key.length !== 32) return undefined;
  const k = await subtle().importKey("raw", key, "AES-GCM", false, ["decrypt"]);
  try {
    return new Uint8Array(await subtle().decrypt({ name: "AES-GCM", iv }, k, data));
  } catch {
    return undefined;
  }
}

/** SHA-256 of the concatenated parts, lower-case hex. */
export async function sha256Hex(...parts: Uint8Array[]): Promise<string> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const d = new Uint8Array(await subtle().digest("SHA-256", all));
  let s = "";
  for (const x of d) s += x.toString(16).padStart(2, "0");
  return s;
}
