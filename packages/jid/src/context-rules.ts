// Contextual rules for CONTEXTJ and CONTEXTO code points (RFC 5892 Appendix A), used by PRECIS.
//
// Approximations, because JavaScript exposes neither Canonical_Combining_Class nor Joining_Type:
// - "Virama" (ccc=9) is detected exactly, through canonical reordering: a mark with ccc 9 sorts
//   after U+3099 (ccc 8) and before U+05B0 (ccc 10) under NFD.
// - Joining_Type: T is any Mn, Me or Cf; R is a hard-coded list of the right-joining Arabic,
//   Syriac and Arabic Extended-B letters; U is U+0621 and U+0674; every other letter of a
//   joining script is taken as D (dual-joining). Left-joining (L) letters, a handful in
//   Manichaean, Phags-pa and Hanifi Rohingya, are therefore treated as D.

const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const KANA_OR_HAN = /^[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]$/u;
const TRANSPARENT = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const JOINING_SCRIPT =
  /^[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Mandaic}\p{Script=Manichaean}\p{Script=Phags_Pa}\p{Script=Psalter_Pahlavi}\p{Script=Sogdian}\p{Script=Hanifi_Rohingya}\p{Script=Adlam}\p{Script=Old_Uyghur}\p{Script=Chorasmian}]$/u;
const LETTER = /^\p{L}$/u;

// Right-joining letters (Joining_Type R) of Arabic, Syriac and Arabic Extended-A/B.
const RIGHT_JOINING: ReadonlyArray<readonly [number, number]> = [
  [0x0622, 0x0625],
  [0x0627, 0x0627],
  [0x0629, 0x0629],
  [0x062f, 0x0632],
  [0x0648, 0x0648],
  [0x0671, 0x0673],
  [0x0675, 0x0677],
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
  [0x0870, 0x0882],
  [0x088e, 0x088e],
  [0x08aa, 0x08ac],
  [0x08ae, 0x08ae],
  [0x08b1, 0x08b2],
  [0x08b9, 0x08b9],
];

type JoiningType = "T" | "R" | "D" | "U";

function joiningType(cp: number): JoiningType {
  if (cp === 0x200c || cp === 0x200d) return "U"; // ZWNJ is U, ZWJ is C: neither qualifies
  const ch = String.fromCodePoint(cp);
  if (TRANSPARENT.test(ch)) return "T";
  if (cp === 0x0621 || cp === 0x0674) return "U";
  for (const [lo, hi] of RIGHT_JOINING) if (cp >= lo && cp <= hi) return "R";
  return LETTER.test(ch) && JOINING_SCRIPT.test(ch) ? "D" : "U";
}

/** Whether a mark has Canonical_Combining_Class 9 (Virama), probed through NFD reordering. */
export function isVirama(cp: number): boolean {
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
