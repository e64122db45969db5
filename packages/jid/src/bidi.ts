// The Bidi Rule for labels and identifiers containing right-to-left characters (RFC 5893 §2).
//
// JavaScript has no Bidi_Class property, so bidiClass() derives it from code point ranges and
// General_Category, with R and AL merged (the rule treats them alike): marks are NSM, letters
// and digits are R inside the right-to-left blocks and L outside, with listed exceptions
// (Arabic-Indic digits AN, Extended Arabic-Indic digits EN, some modifier letters ON, ...).
// Checked against Python's unicodedata (Unicode 14): every code point that IDNA2008 or the
// IdentifierClass allows gets its real class. Symbols and punctuation are only roughly
// classed (mostly ON), but those are disallowed wherever the Bidi Rule applies.

import { memoByCodePoint } from "./memo.js";

/** Bidi_Class values the rule distinguishes; R stands for both R and AL. */
export type BidiClass =
  | "L"
  | "R"
  | "AN"
  | "EN"
  | "ES"
  | "CS"
  | "ET"
  | "ON"
  | "BN"
  | "NSM"
  | "WS"
  | "B"
  | "S";

function asciiClass(cp: number): BidiClass {
  if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return "L";
  if (cp >= 0x30 && cp <= 0x39) return "EN";
  if (cp === 0x2b || cp === 0x2d) return "ES";
  if (cp === 0x2c || cp === 0x2e || cp === 0x2f || cp === 0x3a) return "CS";
  if (cp >= 0x23 && cp <= 0x25) return "ET";
  if (cp === 0x20 || cp === 0x0c) return "WS";
  if (cp === 0x0a || cp === 0x0d || (cp >= 0x1c && cp <= 0x1e)) return "B";
  if (cp === 0x09 || cp === 0x0b || cp === 0x1f) return "S";
  if (cp < 0x20 || cp === 0x7f) return "BN";
  return "ON";
}

function isRtlBlock(cp: number): boolean {
  return (
    (cp >= 0x0590 && cp <= 0x08ff) ||
    (cp >= 0xfb1d && cp <= 0xfdff) ||
    (cp >= 0xfe70 && cp <= 0xfeff) ||
    (cp >= 0x10800 && cp <= 0x10fff) ||
    (cp >= 0x1e800 && cp <= 0x1efff)
  );
}

function inRanges(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true;
  return false;
}

// Non-R classes inside the right-to-left blocks.
const RTL_AN: ReadonlyArray<readonly [number, number]> = [
  [0x0600, 0x0605],
  [0x0660, 0x0669],
  [0x066b, 0x066c],
  [0x06dd, 0x06dd],
  [0x0890, 0x0891],
  [0x08e2, 0x08e2],
  [0x10d30, 0x10d39],
  [0x10e60, 0x10e7e],
];
const RTL_ON: ReadonlyArray<readonly [number, number]> = [
  [0x0606, 0x0607],
  [0x060e, 0x060f],
  [0x06de, 0x06de],
  [0x06e9, 0x06e9],
  [0x07f6, 0x07f9],
  [0xfd3e, 0xfd3f],
  [0xfdfd, 0xfdfd],
  [0x1eef0, 0x1eef1],
];

const MARK = /^[\p{Mn}\p{Me}]$/u;
const FORMAT = /^\p{Cf}$/u;
const SEPARATOR_SPACE = /^[\p{Zs}\p{Zl}]$/u;
const CURRENCY = /^\p{Sc}$/u;
const SYMBOL_OR_PUNCT = /^[\p{S}\p{P}\p{No}]$/u;
const EUROPEAN_NUMBER: ReadonlyArray<readonly [number, number]> = [
  [0x00b2, 0x00b3],
  [0x00b9, 0x00b9],
  [0x2070, 0x2070],
  [0x2074, 0x2079],
  [0x2080, 0x2089],
  [0x2488, 0x249b],
  [0xff10, 0xff19],
  [0x1d7ce, 0x1d7ff],
  [0x1f100, 0x1f10a],
];

// Letters and marks that IDNA2008 or the IdentifierClass allow but whose Bidi_Class the
// category heuristic gets wrong: modifier letters that are ON, and a few marks that are L.
const OVERRIDES = new Map<number, BidiClass>([
  [0x0cbf, "L"],
  [0x0cc6, "L"],
  [0x0f0b, "L"],
  [0x11a07, "L"],
  [0x11a08, "L"],
  [0x11c3f, "L"],
  [0x1171e, "NSM"],
  [0x02ec, "ON"],
  [0x2e2f, "ON"],
  [0xa67f, "ON"],
  [0xa788, "ON"],
]);
for (const [lo, hi] of [
  [0x02b9, 0x02ba],
  [0x02c6, 0x02cf],
  [0xa717, 0xa71f],
] as const) {
  for (let cp = lo; cp <= hi; cp++) OVERRIDES.set(cp, "ON");
}

function computeBidiClass(cp: number): BidiClass {
  if (cp < 0x80) return asciiClass(cp);
  const override = OVERRIDES.get(cp);
  if (override !== undefined) return override;
  const ch = String.fromCodePoint(cp);
  if (MARK.test(ch)) return "NSM";
  if (isRtlBlock(cp)) {
    if (inRanges(cp, RTL_AN)) return "AN";
    if (cp >= 0x06f0 && cp <= 0x06f9) return "EN";
    if (cp === 0x0609 || cp === 0x060a || cp === 0x066a) return "ET";
    if (cp === 0x060c) return "CS";
    if (inRanges(cp, RTL_ON)) return "ON";
    return "R";
  }
  if (cp === 0x200f) return "R"; // RIGHT-TO-LEFT MARK
  if (cp === 0x200e) return "L"; // LEFT-TO-RIGHT MARK
  if (cp === 0x0085 || cp === 0x2029) return "B";
  if (cp < 0xa0) return "BN";
  if (FORMAT.test(ch)) return "BN";
  if (SEPARATOR_SPACE.test(ch)) return "WS";
  if (inRanges(cp, EUROPEAN_NUMBER)) return "EN";
  if (cp === 0xa0 || cp === 0x2044) return "CS";
  if (CURRENCY.test(ch) || cp === 0xb0 || cp === 0xb1 || (cp >= 0x2030 && cp <= 0x2034)) {
    return "ET";
  }
  if (SYMBOL_OR_PUNCT.test(ch)) return "ON";
  return "L";
}

/** Approximate Bidi_Class of a code point (see the header for what is approximated). */
export const bidiClass = memoByCodePoint<BidiClass>(
  ["L", "R", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM", "WS", "B", "S"],
  computeBidiClass,
);

/** Whether a string holds a right-to-left character (Bidi_Class R, AL or AN), RFC 5893 §1.4. */
export function hasRtl(cps: readonly number[]): boolean {
  for (const cp of cps) {
    if (cp < 0x0590) continue;
    const c = bidiClass(cp);
    if (c === "R" || c === "AN") return true;
  }
  return false;
}

const RTL_ALLOWED = new Set<BidiClass>(["R", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"]);
const LTR_ALLOWED = new Set<BidiClass>(["L", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"]);

/** Checks the six conditions of the Bidi Rule; returns null when met, else what failed. */
export function bidiRuleError(cps: readonly number[]): string | null {
  if (cps.length === 0) return null;
  const classes = cps.map(bidiClass);
  const first = classes[0]!;
  if (first !== "L" && first !== "R") return "must start with a letter of a definite direction";
  const rtl = first === "R";
  const allowed = rtl ? RTL_ALLOWED : LTR_ALLOWED;
  for (const c of classes) {
    if (!allowed.has(c)) return "mixes left-to-right and right-to-left characters";
  }
  let end = classes.length - 1;
  while (classes[end] === "NSM") end--;
  const last = classes[end]!;
  if (rtl) {
    if (last !== "R" && last !== "EN" && last !== "AN") {
      return "a right-to-left string must end with a right-to-left letter or a digit";
    }
    if (classes.includes("EN") && classes.includes("AN")) {
      return "mixes European and Arabic-Indic digits";
    }
  } else if (last !== "L" && last !== "EN") {
    return "a left-to-right string must end with a left-to-right letter or a digit";
  }
  return null;
}
