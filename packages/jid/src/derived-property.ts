// Derived properties of code points: PRECIS (RFC 8264 §9) and IDNA2008 (RFC 5892 §3).
//
// Both RFCs define their tables by an algorithm over Unicode properties; we run that algorithm
// at run time with the Unicode data built into the JavaScript engine (String.prototype.normalize
// and \p{...} property escapes), so results follow the engine's Unicode version, as PRECIS's
// "version agility" intends. Where JavaScript has no matching property we approximate:
// - Hangul_Syllable_Type L/V/T ("OldHangulJamo") is taken as the three conjoining jamo blocks,
//   which is exact for assigned code points.
// - IDNA's "Unstable" uses casefold(), which JavaScript lacks; toLowerCase(toUpperCase()) with
//   Cherokee folded to capitals stands in for it. Checked against the tables of Python's
//   `idna` package (Unicode 14 code points): the IDNA2008 property matches for all of them.
// - BackwardCompatible is empty in both RFCs, so it is not represented.

import { memoByCodePoint } from "./memo.js";

/** Result of the PRECIS derived-property algorithm; FREE_PVAL means ID_DISALLOWED/FREE_PVAL. */
export type PrecisProperty =
  | "PVALID"
  | "FREE_PVAL"
  | "CONTEXTJ"
  | "CONTEXTO"
  | "DISALLOWED"
  | "UNASSIGNED";

/** Result of the IDNA2008 derived-property algorithm. */
export type IdnaProperty = "PVALID" | "CONTEXTJ" | "CONTEXTO" | "DISALLOWED" | "UNASSIGNED";

// RFC 5892 §2.6 Exceptions, shared by PRECIS (RFC 8264 §9.6).
const EXCEPTIONS = new Map<number, "PVALID" | "CONTEXTO" | "DISALLOWED">([
  [0x00df, "PVALID"],
  [0x03c2, "PVALID"],
  [0x06fd, "PVALID"],
  [0x06fe, "PVALID"],
  [0x0f0b, "PVALID"],
  [0x3007, "PVALID"],
  [0x00b7, "CONTEXTO"],
  [0x0375, "CONTEXTO"],
  [0x05f3, "CONTEXTO"],
  [0x05f4, "CONTEXTO"],
  [0x30fb, "CONTEXTO"],
  [0x0640, "DISALLOWED"],
  [0x07fa, "DISALLOWED"],
  [0x302e, "DISALLOWED"],
  [0x302f, "DISALLOWED"],
  [0x3031, "DISALLOWED"],
  [0x3032, "DISALLOWED"],
  [0x3033, "DISALLOWED"],
  [0x3034, "DISALLOWED"],
  [0x3035, "DISALLOWED"],
  [0x303b, "DISALLOWED"],
]);
for (let cp = 0x0660; cp <= 0x0669; cp++) EXCEPTIONS.set(cp, "CONTEXTO");
for (let cp = 0x06f0; cp <= 0x06f9; cp++) EXCEPTIONS.set(cp, "CONTEXTO");

const UNASSIGNED = /^\p{Cn}$/u;
const NONCHARACTER = /^\p{Noncharacter_Code_Point}$/u;
const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u;
const IDNA_IGNORABLE =
  /^[\p{Default_Ignorable_Code_Point}\p{White_Space}\p{Noncharacter_Code_Point}]$/u;
const CONTROL = /^\p{Cc}$/u;
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const OTHER_LETTER_DIGITS = /^[\p{Lt}\p{Nl}\p{No}\p{Me}]$/u;
const SPACES = /^\p{Zs}$/u;
const SYMBOLS = /^[\p{Sm}\p{Sc}\p{Sk}\p{So}]$/u;
const PUNCTUATION = /^\p{P}$/u;

function isUnassigned(ch: string): boolean {
  return UNASSIGNED.test(ch) && !NONCHARACTER.test(ch);
}

function isJoinControl(cp: number): boolean {
  return cp === 0x200c || cp === 0x200d;
}

function isOldHangulJamo(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xd7b0 && cp <= 0xd7ff)
  );
}

function computePrecisProperty(cp: number): PrecisProperty {
  const exception = EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  const ch = String.fromCodePoint(cp);
  if (isUnassigned(ch)) return "UNASSIGNED";
  if (cp >= 0x21 && cp <= 0x7e) return "PVALID"; // ASCII7
  if (isJoinControl(cp)) return "CONTEXTJ";
  if (isOldHangulJamo(cp)) return "DISALLOWED";
  if (IGNORABLE.test(ch)) return "DISALLOWED";
  if (CONTROL.test(ch)) return "DISALLOWED";
  if (ch.normalize("NFKC") !== ch) return "FREE_PVAL"; // HasCompat
  if (LETTER_DIGITS.test(ch)) return "PVALID";
  if (OTHER_LETTER_DIGITS.test(ch)) return "FREE_PVAL";
  if (SPACES.test(ch) || SYMBOLS.test(ch) || PUNCTUATION.test(ch)) return "FREE_PVAL";
  return "DISALLOWED";
}

const CHEROKEE = /[\u13a0-\u13ff\uab70-\uabbf]/g;

// Full case folding, approximated as lowercase-of-uppercase, which folds letters such as
// U+1C80 (rounded ve) and U+0345 the way CaseFolding.txt does. Exceptions: Cherokee folds to
// its capitals, and dotless ı folds to itself (its fold to i is Turkic-only).
function caseFold(s: string): string {
  return s
    .split("\u0131")
    .map((part) => part.toUpperCase().toLowerCase())
    .join("\u0131")
    .replace(CHEROKEE, (c) => c.toUpperCase());
}

function computeIdnaProperty(cp: number): IdnaProperty {
  const exception = EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  const ch = String.fromCodePoint(cp);
  if (isUnassigned(ch)) return "UNASSIGNED";
  if (cp === 0x2d || (cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a)) return "PVALID";
  if (isJoinControl(cp)) return "CONTEXTJ";
  // Unstable: NFKC(casefold(NFKC(cp))) != cp. Folding the decomposed form catches code points
  // that contain U+0345 only in their decomposition (e.g. U+1FB3), as canonical caseless
  // matching (Unicode §3.13) does.
  if (caseFold(ch.normalize("NFKD")).normalize("NFKC") !== ch) return "DISALLOWED";
  if (IDNA_IGNORABLE.test(ch)) return "DISALLOWED";
  if (
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0x1d100 && cp <= 0x1d24f) // IgnorableBlocks: musical symbols and Greek notation
  ) {
    return "DISALLOWED";
  }
  if (isOldHangulJamo(cp)) return "DISALLOWED";
  if (LETTER_DIGITS.test(ch)) return "PVALID";
  return "DISALLOWED";
}

/** PRECIS derived property of one code point (RFC 8264 §8, §9). */
export const precisProperty = memoByCodePoint<PrecisProperty>(
  ["PVALID", "FREE_PVAL", "CONTEXTJ", "CONTEXTO", "DISALLOWED", "UNASSIGNED"],
  computePrecisProperty,
);

/** IDNA2008 derived property of one code point (RFC 5892 §3). */
export const idnaProperty = memoByCodePoint<IdnaProperty>(
  ["PVALID", "CONTEXTJ", "CONTEXTO", "DISALLOWED", "UNASSIGNED"],
  computeIdnaProperty,
);

/** Formats a code point as U+XXXX for error reasons. */
export function formatCodePoint(cp: number): string {
  return "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
}

/** Length of a string in UTF-8 octets (lone surrogates count as 3, as WTF-8 would). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // two UTF-16 units already counted, four octets in total
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}
