// Contextual rules for CONTEXTJ and CONTEXTO code points (RFC 5892 Appendix A), used by PRECIS.
//
// Approximations, because JavaScript exposes neither Canonical_Combining_Class nor Joining_Type:
// - "Virama" (ccc=9) is detected exactly, through canonical reordering: a mark with ccc 9 sorts
//   after U+3099 (ccc 8) and before U+05B0 (ccc 10) under NFD.
// - Joining_Type: T is any Mn, Me or Cf; R and U come from short lists; every other letter of
//   a joining script is taken as D (dual-joining). Left-joining (L) letters, a handful in
//   Manichaean, Phags-pa and Hanifi Rohingya, are therefore treated as D, which the ZWNJ rule
//   accepts on the same side. Checked against Python's `idna` tables: this matches for every
//   letter IDNA2008 allows (Unicode 14).

const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const KANA_OR_HAN = /^[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]$/u;
const TRANSPARENT = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const JOINING_SCRIPT =
  /^[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Mandaic}\p{Script=Manichaean}\p{Script=Phags_Pa}\p{Script=Psalter_Pahlavi}\p{Script=Sogdian}\p{Script=Hanifi_Rohingya}\p{Script=Adlam}\p{Script=Old_Uyghur}\p{Script=Chorasmian}]$/u;
const LETTER = /^\p{L}$/u;

// Joining_Type R and U among the letters of joining scripts that IDNA2008 allows, from the
// ArabicShaping.txt data of Unicode 15 (letters with compatibility decompositions left out).
const RIGHT_JOINING: ReadonlyArray<readonly [number, number]> = [
  [0x0622, 0x0625],
  [0x0627, 0x0627],
  [0x0629, 0x0629],
  [0x062f, 0x0632],
  [0x0648, 0x0648],
  [0x0671, 0x0673],
  [0x0688, 0x0699],
  [0x06c0, 0x06c0],
  [0x06c3, 0x06cb],
  [0x06cd, 0x06cd],
  [0x06cf, 0x06cf],
  [0x06d2, 0x06d3],
  [0x06d5, 0x06d5],
  [0x06ee, 0x06ef],
  [0x0710, 0x0710],
  [0x0715, 0x0719],
  [0x071e, 0x071e],
  [0x0728, 0x0728],
  [0x072a, 0x072a],
  [0x072c, 0x072c],
  [0x072f, 0x072f],
  [0x074d, 0x074d],
  [0x0759, 0x075b],
  [0x076b, 0x076c],
  [0x0771, 0x0771],
  [0x0773, 0x0774],
  [0x0778, 0x0779],
  [0x0840, 0x0840],
  [0x0846, 0x0847],
  [0x0849, 0x0849],
  [0x0854, 0x0854],
  [0x0856, 0x0858],
  [0x0867, 0x0867],
  [0x0869, 0x086a],
  [0x0870, 0x0882],
  [0x088e, 0x088e],
  [0x08aa, 0x08ac],
  [0x08ae, 0x08ae],
  [0x08b1, 0x08b2],
  [0x08b9, 0x08b9],
  [0x10ac5, 0x10ac5],
  [0x10ac7, 0x10ac7],
  [0x10ac9, 0x10aca],
  [0x10ace, 0x10ad2],
  [0x10add, 0x10add],
  [0x10ae1, 0x10ae1],
  [0x10ae4, 0x10ae4],
  [0x10b81, 0x10b81],
  [0x10b83, 0x10b85],
  [0x10b89, 0x10b89],
  [0x10b8c, 0x10b8c],
  [0x10b8e, 0x10b8f],
  [0x10b91, 0x10b91],
  [0x10d22, 0x10d22],
  [0x10ec2, 0x10ec2],
  [0x10f33, 0x10f33],
  [0x10f74, 0x10f75],
  [0x10fb4, 0x10fb6],
  [0x10fb9, 0x10fba],
  [0x10fbd, 0x10fbd],
  [0x10fc2, 0x10fc3],
];
const NON_JOINING: ReadonlyArray<readonly [number, number]> = [
  [0x0621, 0x0621],
  [0x0674, 0x0674],
  [0x06e5, 0x06e6],
  [0x07f4, 0x07f5],
  [0x0861, 0x0861],
  [0x0866, 0x0866],
  [0x0883, 0x0885],
  [0x0887, 0x0887],
  [0x08ad, 0x08ad],
  [0x08c9, 0x08c9],
  [0x1880, 0x1884],
  [0xa873, 0xa873],
  [0xfe73, 0xfe73],
  [0x10ac6, 0x10ac6],
  [0x10acb, 0x10acc],
  [0x10ae2, 0x10ae3],
  [0x10f45, 0x10f45],
  [0x10fb1, 0x10fb1],
  [0x10fb7, 0x10fb7],
  [0x10fc0, 0x10fc0],
];

export type JoiningType = "T" | "R" | "D" | "U";

function inRanges(cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true;
  return false;
}

/** Approximate Joining_Type (see the header for what is approximated). */
export function joiningType(cp: number): JoiningType {
  if (cp === 0x200c || cp === 0x200d) return "U"; // ZWNJ is U, ZWJ is C: neither qualifies
  const ch = String.fromCodePoint(cp);
  if (TRANSPARENT.test(ch) || cp === 0x1e94b) return "T"; // ADLAM NASALIZATION MARK is Lm
  if (inRanges(cp, NON_JOINING)) return "U";
  if (inRanges(cp, RIGHT_JOINING)) return "R";
  return LETTER.test(ch) && JOINING_SCRIPT.test(ch) ? "D" : "U";
}

/** Whether a mark has Canonical_Combining_Class 9 (Virama), probed through NFD reordering. */
export function isVirama(cp: number): boolean {
  if (cp === 0x3099 || cp === 0x05b0) return false; // the probes themselves
  const m = String.fromCodePoint(cp);
  if (m.normalize("NFD") !== m) return false;
  return (
    (m + "\u3099").normalize("NFD") === "\u3099" + m &&
    ("\u05b0" + m).normalize("NFD") === m + "\u05b0"
  );
}

function scriptIs(re: RegExp, cp: number | undefined): boolean {
  return cp !== undefined && re.test(String.fromCodePoint(cp));
}

function zwnjJoins(cps: readonly number[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && joiningType(cps[j]!) === "T") j--;
  if (j < 0 || joiningType(cps[j]!) !== "D") return false; // L is folded into D
  let k = i + 1;
  while (k < cps.length && joiningType(cps[k]!) === "T") k++;
  if (k >= cps.length) return false;
  const after = joiningType(cps[k]!);
  return after === "R" || after === "D";
}

/** Whether the CONTEXTJ/CONTEXTO code point at index i is allowed where it stands. */
export function contextAllows(cps: readonly number[], i: number): boolean {
  const cp = cps[i]!;
  const before = i > 0 ? cps[i - 1] : undefined;
  const after = i + 1 < cps.length ? cps[i + 1] : undefined;
  switch (cp) {
    case 0x200c: // ZERO WIDTH NON-JOINER (A.1)
      return (before !== undefined && isVirama(before)) || zwnjJoins(cps, i);
    case 0x200d: // ZERO WIDTH JOINER (A.2)
      return before !== undefined && isVirama(before);
    case 0x00b7: // MIDDLE DOT (A.3): only between two 'l', as in Catalan
      return before === 0x6c && after === 0x6c;
    case 0x0375: // GREEK LOWER NUMERAL SIGN (A.4)
      return scriptIs(GREEK, after);
    case 0x05f3: // HEBREW PUNCTUATION GERESH (A.5)
    case 0x05f4: // HEBREW PUNCTUATION GERSHAYIM (A.6)
      return scriptIs(HEBREW, before);
    case 0x30fb: // KATAKANA MIDDLE DOT (A.7)
      return cps.some((c) => scriptIs(KANA_OR_HAN, c));
  }
  if (cp >= 0x0660 && cp <= 0x0669) return !cps.some((c) => c >= 0x06f0 && c <= 0x06f9); // A.8
  if (cp >= 0x06f0 && cp <= 0x06f9) return !cps.some((c) => c >= 0x0660 && c <= 0x0669); // A.9
  return false;
}
