// Base64 (RFC 4648 §4) without Buffer or atob, for SASL and avatar bytes.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as padded base64. */
export function toBase64(b: Uint8Array): string {
  let s = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s +=
      ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (i < b.length) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
    s += i + 1 < b.length ? `${ALPHABET[(n >> 6) & 63]!}=` : "==";
  }
  return s;
}

/**
 * Decodes base64, ignoring whitespace (vCard BINVAL is often folded). Returns undefined for
 * any other character, bad padding, or when the result would exceed `maxBytes`.
 */
export function fromBase64(
  text: string,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Uint8Array | undefined {
  const s = text.replace(/[\t\n\r ]/g, "");
  if (s.length % 4 !== 0) return undefined;
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const size = (s.length / 4) * 3 - pad;
  if (size > maxBytes) return undefined;
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      const last = i + 4 === s.length;
      if (c === 61 /* = */ && last && j >= 4 - pad) {
        n <<= 6;
        continue;
      }
      const v = c < 128 ? LOOKUP[c]! : -1;
      if (v < 0) return undefined;
      n = (n << 6) | v;
    }
    if (o < size) out[o++] = (n >> 16) & 255;
    if (o < size) out[o++] = (n >> 8) & 255;
    if (o < size) out[o++] = n & 255;
  }
  return out;
}
