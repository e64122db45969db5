// XEP-0454 (OMEMO media sharing) file encryption: AES-256-GCM, the 16-byte tag after the ciphertext.

import { createDecipheriv, createHash } from "node:crypto";

/** The GCM authentication tag XEP-0454 appends to the ciphertext. */
export const TAG_BYTES = 16;

/** Bytes of a hex string of exactly `lengths` bytes (any of them), or undefined. */
export function hexBytes(value: unknown, ...lengths: number[]): Buffer | undefined {
  if (typeof value !== "string" || !/^(?:[0-9a-fA-F]{2})+$/.test(value)) return undefined;
  return lengths.includes(value.length / 2) ? Buffer.from(value, "hex") : undefined;
}

/** SHA-256 of bytes, hex. */
export const sha256Hex = (...parts: Buffer[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

/**
 * SHA-256(key ‖ iv), hex: names the key a verdict was found with. GCM does not commit to its
 * key, so the ciphertext's hash alone would not say which plaintext was scanned.
 */
export const keyHash = (key: Buffer, iv: Buffer): string => sha256Hex(key, iv);

/**
 * The plaintext of an XEP-0454 file (ciphertext then tag), or undefined when the tag does not
 * verify (wrong key or IV, or altered bytes): nothing unauthenticated is ever returned.
 */
export function decryptAesGcm(file: Buffer, key: Buffer, iv: Buffer): Buffer | undefined {
  if (file.length < TAG_BYTES || key.length !== 32) return undefined;
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(file.subarray(file.length - TAG_BYTES));
  const body = decipher.update(file.subarray(0, file.length - TAG_BYTES));
  try {
    return Buffer.concat([body, decipher.final()]);
  } catch {
    body.fill(0);
    return undefined;
  }
}
