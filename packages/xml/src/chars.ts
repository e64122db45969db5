// Byte classes, UTF-8 validation and XML 1.0 character rules (XML 1.0 §2.2, §2.3) for the parser.
//
// Everything here works on bytes so the parser never builds strings one character at a time.

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const isAsciiNameStart = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

/** ASCII bytes that may start an NCName (the colon is handled by the QName check). */
export const NAME_START = table(isAsciiNameStart);
/** ASCII bytes that may continue a QName (colon included). */
export const NAME_CHAR = table(
  (c) => isAsciiNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x3a,
);
/** Bytes of character data that need no attention: printable ASCII, tab and LF. */
export const TEXT_PLAIN = table(
  (c) =>
    (c >= 0x20 && c < 0x80 && c !== 0x3c && c !== 0x26 && c !== 0x5d) || c === 0x09 || c === 0x0a,
);
/** Bytes of an attribute value that need no attention (whitespace is normalised, so special). */
export const ATTR_PLAIN = table(
  (c) => c >= 0x20 && c < 0x80 && c !== 0x3c && c !== 0x26 && c !== 0x22 && c !== 0x27,
);
/** Bytes inside a CDATA section that need no attention. */
export const CDATA_PLAIN = table(
  (c) => (c >= 0x20 && c < 0x80 && c !== 0x5d) || c === 0x09 || c === 0x0a,
);

/** XML whitespace (S): space, tab, CR, LF. */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Result of decodeCodePoint when the sequence continues past the end of the data. */
export const INCOMPLETE = -2;
/** Result of decodeCodePoint for an ill-formed sequence. */
export const INVALID = -1;
/**
 * Decodes the UTF-8 sequence at buf[i] (whose lead byte is >= 0x80), rejecting what RFC 3629
 * forbids: stray continuation bytes, overlong forms, surrogates and values above U+10FFFF.
 * Returns `codePoint * 8 + byteLength`, INVALID, or INCOMPLETE when the valid prefix reaches
 * `end` (packed so the hot loops need no second return channel).
 */
export function decodeCodePoint(buf: Uint8Array, i: number, end: number): number {
  const b0 = buf[i]!;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  let cp: number;
  if (b0 < 0xc2) return INVALID;
  if (b0 < 0xe0) {
    need = 1;
    cp = b0 & 0x1f;
  } else if (b0 < 0xf0) {
    need = 2;
    cp = b0 & 0x0f;
    if (b0 === 0xe0) lo = 0xa0;
    else if (b0 === 0xed) hi = 0x9f;
  } else if (b0 < 0xf5) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 === 0xf0) lo = 0x90;
    else if (b0 === 0xf4) hi = 0x8f;
  } else {
    return INVALID;
  }
  for (let k = 1; k <= need; k++) {
    if (i + k >= end) return INCOMPLETE;
    const b = buf[i + k]!;
    if (b < lo || b > hi) return INVALID;
    lo = 0x80;
    hi = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
  }
  return cp * 8 + need + 1;
}

/** XML 1.0 Char (production [2]). */
export function isXmlChar(cp: number): boolean {
  return cp >= 0x20
    ? cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
    : cp === 0x09 || cp === 0x0a || cp === 0x0d;
}

/** NameStartChar (XML 1.0 5th ed. production [4]) for code points, colon excluded. */
export function isNameStartCp(cp: number): boolean {
  if (cp < 0x80) return NAME_START[cp] === 1;
  return (
    (cp >= 0xc0 && cp <= 0xd6) ||
    (cp >= 0xd8 && cp <= 0xf6) ||
    (cp >= 0xf8 && cp <= 0x2ff) ||
    (cp >= 0x370 && cp <= 0x37d) ||
    (cp >= 0x37f && cp <= 0x1fff) ||
    (cp >= 0x200c && cp <= 0x200d) ||
    (cp >= 0x2070 && cp <= 0x218f) ||
    (cp >= 0x2c00 && cp <= 0x2fef) ||
    (cp >= 0x3001 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfdcf) ||
    (cp >= 0xfdf0 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0xeffff)
  );
}

/** NameChar (production [4a]) for code points >= 0x80. */
export function isNameCharCp(cp: number): boolean {
  return (
    isNameStartCp(cp) ||
    cp === 0xb7 ||
    (cp >= 0x300 && cp <= 0x36f) ||
    cp === 0x203f ||
    cp === 0x2040
  );
}

// Decoding slices: Buffer's native slicers on Node, TextDecoder elsewhere (browser SDK).
interface NodeBytes extends Uint8Array {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const hasSlicers =
  NodeBuffer !== undefined && typeof NodeBuffer.prototype.latin1Slice === "function";
const decoder = new TextDecoder();

/** Views the bytes as a Node Buffer when available (no copy), so the fast slicers apply. */
export function asBytes(chunk: Uint8Array): Uint8Array {
  if (!hasSlicers || chunk instanceof NodeBuffer!) return chunk;
  return NodeBuffer!.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Joins a carried-over tail with a new chunk. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = hasSlicers
    ? NodeBuffer!.allocUnsafe(a.length + b.length)
    : new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Copies bytes [start, end) out of a buffer the caller may reuse. */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = hasSlicers ? NodeBuffer!.allocUnsafe(end - start) : new Uint8Array(end - start);
  out.set(buf.subarray(start, end), 0);
  return out;
}

const fromCodes = String.fromCharCode;

/** Decodes bytes known to be ASCII. */
export function decodeAscii(buf: Uint8Array, start: number, end: number): string {
  // Short values ("chat", "en", ids) are the common case; one fromCharCode call costs about
  // half of a native slice call.
  const b = buf;
  const s = start;
  switch (end - start) {
    case 1:
      return fromCodes(b[s]!);
    case 2:
      return fromCodes(b[s]!, b[s + 1]!);
    case 3:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8:
      return fromCodes(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
      );
  }
  if (hasSlicers) return (buf as NodeBytes).latin1Slice(start, end);
  return decoder.decode(buf.subarray(start, end));
}

/** Decodes bytes already validated as UTF-8. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (hasSlicers) return (buf as NodeBytes).utf8Slice(start, end);
  return decoder.decode(buf.subarray(start, end));
}
