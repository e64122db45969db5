// UTF-8 is validated byte by byte (RFC 3629), wherever the chunk boundaries fall.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { feed, HEADER, rejectsStanza, split, stanza } from "./parser-harness.js";

const b = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

const INVALID: [string, number[]][] = [
  ["a stray continuation byte", [0x80]],
  ["a continuation byte after ASCII", [0x41, 0xbf]],
  ["overlong 2-byte NUL", [0xc0, 0x80]],
  ["overlong 2-byte '/'", [0xc0, 0xaf]],
  ["lead byte C1", [0xc1, 0xbf]],
  ["overlong 3-byte", [0xe0, 0x80, 0xaf]],
  ["overlong 3-byte U+07FF", [0xe0, 0x9f, 0xbf]],
  ["overlong 4-byte", [0xf0, 0x80, 0x80, 0xaf]],
  ["overlong 4-byte U+FFFF", [0xf0, 0x8f, 0xbf, 0xbf]],
  ["surrogate U+D800", [0xed, 0xa0, 0x80]],
  ["surrogate U+DFFF", [0xed, 0xbf, 0xbf]],
  ["encoded surrogate pair", [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
  ["U+110000", [0xf4, 0x90, 0x80, 0x80]],
  ["lead byte F5", [0xf5, 0x80, 0x80, 0x80]],
  ["lead byte FF", [0xff]],
  ["lead byte FE", [0xfe]],
  ["truncated 2-byte", [0xc3, 0x41]],
  ["truncated 3-byte", [0xe2, 0x82, 0x41]],
  ["truncated 4-byte", [0xf0, 0x9f, 0x98, 0x41]],
  ["truncated before markup", [0xe2, 0x82]],
];

describe("invalid UTF-8", () => {
  for (const [what, seq] of INVALID) {
    it(`refuses ${what} in text, attribute values, CDATA, names and between stanzas`, () => {
      rejectsStanza(b("<m>", seq, "</m>"), "not-well-formed", /invalid UTF-8 at byte \d+/);
      rejectsStanza(b("<m a='", seq, "'/>"), "not-well-formed", /invalid UTF-8/);
      rejectsStanza(b("<m><![CDATA[", seq, "]]></m>"), "not-well-formed", /invalid UTF-8/);
      rejectsStanza(b("<m", seq, "/>"), "not-well-formed");
      rejectsStanza(b("<m", seq, ">"), "not-well-formed");
      rejectsStanza(b("<m ab", seq, "='1'/>"), "not-well-formed");
      rejectsStanza(b(seq, "<m/>"), "not-well-formed");
    });
  }

  it("reports the absolute byte offset", () => {
    const err = rejectsStanza(b("<m>ok", [0xc0, 0x80], "</m>"), "not-well-formed");
    assert.match(err.text, new RegExp(`at byte ${HEADER.length + 5} \\(sequence starting 0xc0\\)`));
  });

  it("does not let a truncated sequence swallow the '>' that follows (the Zoom class)", () => {
    // A lenient decoder eats '>' as a continuation byte and then sees a different tag structure.
    rejectsStanza(b("<message to='a'", [0xe3], "><body>x</body></message>"), "not-well-formed");
    rejectsStanza(b("<message><x", [0xf0, 0x9f], "/><body>x</body></message>"), "not-well-formed");
  });
});

describe("valid UTF-8", () => {
  const samples = [
    "é",
    "€",
    "日本語",
    "😀",
    "\u{10FFFF}",
    "\uFFFD",
    "\u0080",
    "\u07FF",
    "\u0800",
    "\uD7FF",
    "\uE000",
    "\u{10000}",
  ];
  it("decodes 1- to 4-byte characters at every chunk boundary", () => {
    for (const s of samples) {
      const el = stanza(`<m a='${s}'>${s}x${s}<![CDATA[${s}]]></m>`);
      assert.deepEqual(el.children, [`${s}x${s}${s}`]);
      assert.equal(el.attrs.a, s);
    }
  });

  it("gives the same tree for every two-way split of a multilingual stanza", () => {
    const doc = Buffer.from(
      `${HEADER}<message xml:lang='ja'><body>こんにちは 😀 Grüße Ω</body><日本 属性='値'/></message>`,
    );
    const whole = feed([doc]);
    assert.equal(whole.at(-1)!.kind, "stanza");
    for (let cut = 1; cut < doc.length; cut++) {
      assert.deepEqual(feed([doc.subarray(0, cut), doc.subarray(cut)]), whole, `split at ${cut}`);
    }
    assert.deepEqual(feed(split(doc, [3, 1, 2])), whole);
  });

  it("keeps a split sequence pending until its last byte arrives", () => {
    const events = feed([
      Buffer.from(HEADER + "<m>"),
      Buffer.from([0xf0]),
      Buffer.from([0x9f, 0x98]),
      Buffer.from([0x80, 0x3c, 0x2f, 0x6d, 0x3e]),
    ]);
    assert.deepEqual((events.at(-1) as { el: { children: string[] } }).el.children, ["😀"]);
  });
});
