// SASLprep (RFC 4013, a stringprep profile of RFC 3454) for SCRAM and PLAIN passwords.
//
// Why SASLprep and not OpaqueString (RFC 8265): RFC 5802 and RFC 7677 name SASLprep, and the
// XMPP clients we interoperate with (libstrophe, Smack, Gajim, Conversations) hash with it.
// The two agree on ASCII and on NFC-stable text; they differ on compatibility characters
// (NFKC here, NFC there). Deviation from the letter of RFC 3454: the tables are Unicode 3.2,
// while this code uses the Unicode data of the running Node (String#normalize and \p{...}).
// Table D.1 (RandALCat) is reproduced exactly; D.2 (LCat) is approximated by letters and
// spacing marks outside right-to-left scripts, which only matters for the bidi rule.
import { SaslError } from "./errors.js";

// RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020 (RFC 4013 §2.1).
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
// RFC 3454 B.1: "commonly mapped to nothing" (RFC 4013 §2.1).
// An alternation, not one class: joiners and variation selectors are matched one by one.
const MAPPED_TO_NOTHING =
  /\u00AD|\u034F|\u1806|[\u180B-\u180D]|\u200B|\u200C|\u200D|\u2060|[\uFE00-\uFE0F]|\uFEFF/gu;

// RFC 4013 §2.3 prohibited output: C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9.
const PROHIBITED = new RegExp(
  [
    "[\\u00A0\\u1680\\u2000-\\u200B\\u202F\\u205F\\u3000]", // C.1.2
    "[\\u0000-\\u001F\\u007F]", // C.2.1
    "[\\u0080-\\u009F\\u06DD\\u070F\\u180E\\u200C\\u200D\\u2028\\u2029\\u2060-\\u2063]", // C.2.2
    "[\\u206A-\\u206F\\uFEFF\\uFFF9-\\uFFFC\\u{1D173}-\\u{1D17A}]", // C.2.2
    "\\p{Co}", // C.3 private use
    "\\p{Noncharacter_Code_Point}", // C.4
    "\\p{Cs}", // C.5 (lone surrogates in a JS string)
    "[\\uFFF9-\\uFFFD]", // C.6
    "[\\u2FF0-\\u2FFB]", // C.7
    "[\\u0340\\u0341\\u200E\\u200F\\u202A-\\u202E\\u206A-\\u206F]", // C.8
    "[\\u{E0001}\\u{E0020}-\\u{E007F}]", // C.9
  ].join("|"),
  "u",
);

// RFC 3454 D.1, verbatim.
const RAND_AL_CAT = new RegExp(
  "[\\u05BE\\u05C0\\u05C3\\u05D0-\\u05EA\\u05F0-\\u05F4\\u061B\\u061F\\u0621-\\u063A" +
    "\\u0640-\\u064A\\u066D-\\u066F\\u0671-\\u06D5\\u06DD\\u06E5\\u06E6\\u06FA-\\u06FE" +
    "\\u0700-\\u070D\\u0710\\u0712-\\u072C\\u0780-\\u07A5\\u07B1\\u200F\\uFB1D\\uFB1F-\\uFB28" +
    "\\uFB2A-\\uFB36\\uFB38-\\uFB3C\\uFB3E\\uFB40\\uFB41\\uFB43\\uFB44\\uFB46-\\uFBB1" +
    "\\uFBD3-\\uFD3D\\uFD50-\\uFD8F\\uFD92-\\uFDC7\\uFDF0-\\uFDFC\\uFE70-\\uFE74\\uFE76-\\uFEFC]",
  "u",
);
const RTL_SCRIPT =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}]/u;
const LETTER_LIKE = /[\p{L}\p{Mc}]/u;
const UNASSIGNED = /\p{Cn}/u;

export interface SaslPrepOptions {
  /** RFC 3454 §7: queries may contain unassigned code points, stored strings may not. */
  allowUnassigned?: boolean;
}

/** Applies SASLprep; throws SaslError HATO_ERR_SASL_PREP when the result is prohibited or empty. */
export function saslPrep(input: string, opts: SaslPrepOptions = {}): string {
  const result = trySaslPrep(input, opts);
  if (result === null) throw new SaslError("HATO_ERR_SASL_PREP");
  return result;
}

/** Applies SASLprep and returns null instead of throwing. */
export function trySaslPrep(input: string, opts: SaslPrepOptions = {}): string | null {
  // Lone surrogates survive normalize() unchanged, so test before mapping too.
  if (/\p{Cs}/u.test(input)) return null;
  const mapped = input.replace(NON_ASCII_SPACE, " ").replace(MAPPED_TO_NOTHING, "");
  const out = mapped.normalize("NFKC");
  if (out.length === 0) return null;
  if (PROHIBITED.test(out)) return null;
  if (!opts.allowUnassigned && UNASSIGNED.test(out)) return null;
  return bidiOk(out) ? out : null;
}

// RFC 3454 §6: with any RandALCat character, no LCat may appear and both ends must be RandALCat.
function bidiOk(s: string): boolean {
  const chars = Array.from(s);
  if (!chars.some((c) => RAND_AL_CAT.test(c))) return true;
  if (chars.some((c) => LETTER_LIKE.test(c) && !RTL_SCRIPT.test(c) && !RAND_AL_CAT.test(c))) {
    return false;
  }
  return RAND_AL_CAT.test(chars[0]!) && RAND_AL_CAT.test(chars[chars.length - 1]!);
}
