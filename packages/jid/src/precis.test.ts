// PRECIS profiles (RFC 8264–8266), context rules (RFC 5892 App. A) and the Bidi Rule (RFC 5893).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { nicknameKey, prepLocal, prepNickname, prepResource } from "./index.js";
import { enforceLocal, enforceLocalSlow, enforceResource, enforceResourceSlow } from "./precis.js";

describe("local part: UsernameCaseMapped (RFC 8265 §3.3) and RFC 7622 §3.3.1", () => {
  it("maps case and fullwidth/halfwidth characters", () => {
    assert.equal(prepLocal("Juliet"), "juliet");
    assert.equal(prepLocal("ＪＵＬＩＥＴ"), "juliet");
    assert.equal(prepLocal("ｶﾞ"), "ガ"); // halfwidth katakana and voiced mark compose
    assert.equal(prepLocal("ÅNGSTRÖM"), "ångström");
  });
  it("excludes \" & ' / : < > @ even though IdentifierClass allows them", () => {
    for (const c of ['"', "&", "'", "/", ":", "<", ">", "@"]) {
      assert.equal(prepLocal(`a${c}b`), null, c);
    }
    assert.equal(prepLocal("a!#$%*+-=?^_`{|}~.\\b"), "a!#$%*+-=?^_`{|}~.\\b");
  });
  it("rejects what IdentifierClass does not allow", () => {
    const rejected = [
      "foo bar", // space
      "a\u00a0b", // NO-BREAK SPACE, even after width mapping
      "henry\u2163", // ROMAN NUMERAL FOUR (HasCompat, Nl)
      "\u01c5", // titlecase Dž, lowercased to ǆ, which has a compatibility decomposition
      "♚",
      "a\u0007", // control
      "a\u200b", // ZERO WIDTH SPACE, default ignorable
      "a\ufffe", // noncharacter
      "a\u0378", // unassigned
      "a\ue000", // private use
      "a\ud800", // lone surrogate
      "\u1100", // old Hangul jamo, alone
      "\u0640", // ARABIC TATWEEL, an exception
      "",
    ];
    for (const s of rejected) assert.equal(prepLocal(s), null, JSON.stringify(s));
  });
  it("checks the class after mapping: conjoining jamo compose to a syllable", () => {
    assert.equal(prepLocal("\u1100\u1161"), "가");
  });
  it("keeps ß and ς (PVALID exceptions) and lowercases Σ", () => {
    assert.equal(prepLocal("Straße"), "straße");
    assert.equal(prepLocal("Σ"), "σ");
  });
});

describe("contextual rules (RFC 5892 Appendix A)", () => {
  it("ZERO WIDTH NON-JOINER between joining Arabic-script letters or after a virama", () => {
    assert.equal(prepLocal("می\u200cخواهم"), "می\u200cخواهم");
    assert.equal(prepLocal("क्\u200cष"), "क्\u200cष");
    assert.equal(prepLocal("a\u200cb"), null);
    assert.equal(prepLocal("\u0648\u200c\u062e"), null); // WAW joins only to the right
  });
  it("ZERO WIDTH JOINER only after a virama", () => {
    assert.equal(prepLocal("क्\u200dष"), "क्\u200dष");
    assert.equal(prepLocal("a\u200db"), null);
  });
  it("MIDDLE DOT only between two l (Catalan)", () => {
    assert.equal(prepLocal("col·legi"), "col·legi");
    assert.equal(prepLocal("a·b"), null);
  });
  it("GREEK KERAIA before Greek, GERESH after Hebrew, KATAKANA MIDDLE DOT with kana", () => {
    assert.equal(prepLocal("\u0375α"), "\u0375α");
    assert.equal(prepLocal("\u0375a"), null);
    assert.equal(prepLocal("א\u05f3"), "א\u05f3");
    assert.equal(prepLocal("a\u05f3"), null);
    assert.equal(prepLocal("カ・カ"), "カ・カ");
    assert.equal(prepLocal("a・b"), null);
  });
  it("Arabic-Indic and Extended Arabic-Indic digits do not mix", () => {
    assert.equal(prepLocal("عربي١٢"), "عربي١٢");
    assert.equal(prepLocal("عربي۱۲"), "عربي۱۲");
    assert.equal(prepLocal("عربي١۲"), null);
  });
});

describe("Bidi Rule (RFC 5893) in local parts", () => {
  it("accepts right-to-left parts that follow the rule", () => {
    assert.equal(prepLocal("עברית"), "עברית");
    assert.equal(prepLocal("עברית123"), "עברית123");
    assert.equal(prepLocal("عربي"), "عربي");
  });
  it("rejects mixed or badly ended right-to-left parts", () => {
    assert.equal(prepLocal("abcעברית"), null); // LTR start, RTL inside
    assert.equal(prepLocal("עבריתabc"), null); // RTL start, L inside
    assert.equal(prepLocal("123עברית"), null); // must start with a strong letter
    assert.equal(prepLocal("עברית-"), null); // must end with R, AL, EN or AN
    assert.equal(prepLocal("עברית1٢"), null); // EN and AN together
    assert.equal(prepLocal("ab١"), null); // AN counts as right-to-left
  });
  it("leaves purely left-to-right parts alone", () => {
    assert.equal(prepLocal("123abc-"), "123abc-");
  });
});

describe("resource: OpaqueString (RFC 8265 §4.2)", () => {
  it("keeps case, maps non-ASCII spaces to U+0020 and normalises to NFC", () => {
    assert.equal(prepResource("Foo Bar"), "Foo Bar");
    assert.equal(prepResource("foo\u00a0bar\u3000"), "foo bar ");
    assert.equal(prepResource(" "), " ");
    assert.equal(prepResource("Re\u0301sume\u0301"), "Résumé");
    assert.equal(prepResource("ＦＵＬＬ"), "ＦＵＬＬ"); // no width mapping
  });
  it("allows symbols and punctuation, including ones a local part refuses", () => {
    assert.equal(prepResource("♚ 😀 €5 <a&b>"), "♚ 😀 €5 <a&b>");
  });
  it("rejects controls, ignorables, unassigned and unpaired code points", () => {
    for (const s of ["a\u0000", "a\n", "a\u200b", "a\u0378", "a\ud800", "a\ue000", "a\u2028"]) {
      assert.equal(prepResource(s), null, JSON.stringify(s));
    }
  });
  it("applies CONTEXTJ to joiners, so emoji ZWJ sequences are refused (as RFC 8264 says)", () => {
    assert.equal(prepResource("👨\u200d👩\u200d👧"), null);
  });
});

describe("nickname (RFC 8266)", () => {
  it("tidies spaces and applies NFKC but keeps case for display", () => {
    assert.equal(prepNickname("  Foo \u00a0  Bar  "), "Foo Bar");
    assert.equal(prepNickname("Ｆｏｏ"), "Foo");
    assert.equal(prepNickname("ℌ"), "H");
    assert.equal(prepNickname("♚ King"), "♚ King");
  });
  it("compares through a lowercased key", () => {
    assert.equal(nicknameKey("  Foo   BAR "), "foo bar");
    assert.equal(nicknameKey("Ｆｏｏ"), nicknameKey("foo"));
  });
  it("rejects empty, all-space and disallowed nicknames", () => {
    for (const s of ["", "   ", "\u3000", "a\u0007", "a\u200b"]) {
      assert.equal(prepNickname(s), null, JSON.stringify(s));
    }
  });
  it("reapplies the rules until stable: NFKC can create spaces to tidy", () => {
    // U+00A8 DIAERESIS decomposes under NFKC to SPACE + COMBINING DIAERESIS.
    const once = prepNickname("a \u00a8");
    assert.ok(once !== null);
    assert.equal(prepNickname(once), once);
  });
});

describe("ASCII fast paths return exactly what the general path returns", () => {
  const ascii = fc.string({ unit: "binary-ascii", maxLength: 30 });
  it("local part", () => {
    fc.assert(
      fc.property(ascii, (s) => assert.deepEqual(enforceLocal(s), enforceLocalSlow(s))),
      { numRuns: 2000 },
    );
  });
  it("resource", () => {
    fc.assert(
      fc.property(ascii, (s) => assert.deepEqual(enforceResource(s), enforceResourceSlow(s))),
      { numRuns: 2000 },
    );
  });
  it("long ASCII strings near the length limit", () => {
    for (const n of [1022, 1023, 1024]) {
      const s = "Ab1!".repeat(256).slice(0, n);
      assert.deepEqual(enforceLocal(s), enforceLocalSlow(s));
      assert.deepEqual(enforceResource(s), enforceResourceSlow(s));
    }
  });
});
