// The legacy OMEMO payload (XEP-0384 0.3.0 as deployed): AES-128-GCM under a random 16-byte
// key and 12-byte IV; the key followed by the 16-byte GCM tag (32 bytes) is what each Signal
// session encrypts, and <payload/> carries the ciphertext without the tag.

import { randomBytes } from "../platform.js";

interface GcmSubtle {
  importKey(f: "raw", k: Uint8Array, a: string, x: boolean, u: string[]): Promise<unknown>;
  encrypt(a: { name: string; iv: Uint8Array }, k: unknown, d: Uint8Array): Promise<ArrayBuffer>;
  decrypt(a: { name: string; iv: Uint8Array }, k: unknown, d: Uint8Array): Promise<ArrayBuffer>;
}

function gcm(): GcmSubtle {
  const c = (globalThis as unknown as { crypto?: { subtle?: GcmSubtle } }).crypto;
  if (c?.subtle === undefined) throw new Error("WebCrypto (globalThis.crypto.subtle) is missing");
  return c.subtle;
}

/** An encrypted payload and the key material for the Signal sessions. */
export interface Sealed {
  iv: Uint8Array;
  payload: Uint8Array;
  /** key (16) ‖ tag (16) */
  keyMaterial: Uint8Array;
}

/** Encrypts `plain` under a fresh key. */
export async function seal(plain: Uint8Array): Promise<Sealed> {
  const key = randomBytes(16);
  const iv = randomBytes(12);
  const k = await gcm().importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const out = new Uint8Array(await gcm().encrypt({ name: "AES-GCM", iv }, k, plain));
  const tag = out.slice(out.length - 16);
  const keyMaterial = new Uint8Array(32);
  keyMaterial.set(key);
  keyMaterial.set(tag, 16);
  return { iv, payload: out.slice(0, out.length - 16), keyMaterial };
}

/**
 * Decrypts a payload. `keyMaterial` is key ‖ tag (32 bytes), or a bare 16-byte key from old
 * clients that appended the tag to the payload. Throws when authentication fails.
 */
export async function open(
  keyMaterial: Uint8Array,
  iv: Uint8Array,
  payload: Uint8Array,
): Promise<Uint8Array> {
  let data: Uint8Array;
  if (keyMaterial.length === 32) {
    data = new Uint8Array(payload.length + 16);
    data.set(payload);
    data.set(keyMaterial.slice(16), payload.length);
  } else if (keyMaterial.length === 16) data = payload;
  else throw new Error(`the message key is ${keyMaterial.length} bytes, not 32`);
  const k = await gcm().importKey("raw", keyMaterial.slice(0, 16), "AES-GCM", false, ["decrypt"]);
  try {
    return new Uint8Array(await gcm().decrypt({ name: "AES-GCM", iv }, k, data));
  } catch {
    throw new Error(
      "the payload failed authentication (AES-GCM tag mismatch): tampered or corrupt",
    );
  }
}
