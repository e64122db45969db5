// Entity and character references (XML 1.0 §4.1) under RFC 6120 §11.1's restrictions: only the
// five predefined entities; character references must denote an XML Char.

import { isXmlChar, NAME_CHAR, NAME_START } from "./chars.js";
import { codePointName, fail } from "./failure.js";

/** parseReference's result when the reference continues past the available bytes. */
export const REF_INCOMPLETE = -2;

// Longer references are refused rather than buffered (only leading zeros could make one legal).
const MAX_REF = 32;

const PREDEFINED = "lt gt amp quot apos";

function tooLong(): never {
  return fail("not-well-formed", `reference longer than ${MAX_REF} bytes or missing ';'`);
}

/**
 * Parses the reference starting with '&' at buf[i]. Returns `codePoint * 64 + byteLength`, or
 * REF_INCOMPLETE when `end` cuts it short; throws on anything restricted XML does not allow.
 */
export function parseReference(buf: Uint8Array, i: number, end: number): number {
  const lim = Math.min(end, i + MAX_REF);
  let j = i + 1;
  if (j >= lim) return REF_INCOMPLETE;
  let c = buf[j]!;
  if (c === 0x23 /* # */) {
    j++;
    if (j >= lim) return REF_INCOMPLETE;
    const hex = buf[j] === 0x78; /* x */
    if (hex) j++;
    const digits = j;
    let v = 0;
    for (; j < lim; j++) {
      c = buf[j]!;
      if (c === 0x3b /* ; */) break;
      let d: number;
      const l = c | 0x20;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (hex && l >= 0x61 && l <= 0x66) d = l - 0x61 + 10;
      else return fail("not-well-formed", "malformed character reference");
      v = v * (hex ? 16 : 10) + d;
      if (v > 0x10ffff) v = 0x110000;
    }
    if (j >= lim) return lim === end ? REF_INCOMPLETE : tooLong();
    if (j === digits) fail("not-well-formed", "empty character reference");
    if (!isXmlChar(v)) {
      const what = v > 0x10ffff ? "a value above U+10FFFF" : codePointName(v);
      fail("not-well-formed", `character reference to ${what}, which is not an XML character`);
    }
    return v * 64 + (j + 1 - i);
  }
  if (NAME_START[c] !== 1 && c < 0x80 && c !== 0x3a) {
    fail("not-well-formed", "'&' must start a reference (write &amp; for a literal '&')");
  }
  for (j++; j < lim; j++) {
    c = buf[j]!;
    if (c === 0x3b) break;
    if (NAME_CHAR[c] !== 1 && c < 0x80) fail("not-well-formed", "malformed entity reference");
  }
  if (j >= lim) return lim === end ? REF_INCOMPLETE : tooLong();
  const cp = predefined(buf, i + 1, j);
  if (cp < 0) {
    const name = new TextDecoder().decode(buf.subarray(i + 1, j));
    fail(
      "restricted-xml",
      `entity reference &${name}; is not allowed (restricted XML permits only ${PREDEFINED})`,
    );
  }
  return cp * 64 + (j + 1 - i);
}

// Matches the five predefined entity names on bytes, without decoding.
function predefined(buf: Uint8Array, s: number, e: number): number {
  const a = buf[s];
  const b = buf[s + 1];
  switch (e - s) {
    case 2:
      if (b !== 0x74 /* t */) return -1;
      return a === 0x6c /* l */ ? 0x3c : a === 0x67 /* g */ ? 0x3e : -1;
    case 3:
      return a === 0x61 && b === 0x6d && buf[s + 2] === 0x70 ? 0x26 : -1; // amp
    case 4:
      if (a === 0x71 && b === 0x75 && buf[s + 2] === 0x6f && buf[s + 3] === 0x74) return 0x22; // quot
      if (a === 0x61 && b === 0x70 && buf[s + 2] === 0x6f && buf[s + 3] === 0x73) return 0x27; // apos
      return -1;
    default:
      return -1;
  }
}
