// JID domainparts (RFC 7622 §3.2): IDNA2008, Punycode (RFC 3492) and IP literals (RFC 3986).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { enforceDomain, enforceDomainSlow } from "./domain.js";
import { prepDomain } from "./index.js";
import { punycodeDecode, punycodeEncode } from "./punycode.js";

describe("domain mapping", () => {
  it("lowercases and strips one trailing dot", () => {
    assert.equal(prepDomain("Example.COM"), "example.com");
    assert.equal(prepDomain("example.com."), "example.com");
    assert.equal(prepDomain("example.com.."), null);
    assert.equal(prepDomain("."), null);
    assert.equal(prepDomain(""), null);
  });
  it("maps ideographic and fullwidth full stops and fullwidth letters", () => {
    assert.equal(prepDomain("例え。テスト"), "例え.テスト");
    assert.equal(prepDomain("example．com"), "example.com");
    assert.equal(prepDomain("example｡com"), "example.com");
    assert.equal(prepDomain("ＥＸＡＭＰＬＥ.com"), "example.com");
    assert.equal(prepDomain("example.com。"), "example.com");
  });
  it("maps Cherokee to capitals, the only case-folded form IDNA2008 allows", () => {
    assert.equal(prepDomain("\uab70\uab71.example"), "\u13a0\u13a1.example");
    assert.equal(prepDomain("\u13a0\u13a1.example"), "\u13a0\u13a1.example");
  });
  it("outputs U-labels: A-labels are decoded, U-labels kept", () => {
    assert.equal(prepDomain("xn--bcher-kva.example"), "bücher.example");
    assert.equal(prepDomain("XN--BCHER-KVA.Example"), "bücher.example");
    assert.equal(prepDomain("Bücher.example"), "bücher.example");
    assert.equal(prepDomain("fußball.example"), "fußball.example");
  });
});

describe("domain labels (RFC 5890, 5891, 5892)", () => {
  it("rejects empty labels and characters outside letters, digits and hyphen", () => {
    for (const d of ["a..b", ".a", "a b.com", "a/b", "a@b", "a_b.com", "a:b", "♚.example"]) {
      assert.equal(prepDomain(d), null, d);
    }
  });
  it("applies the hyphen rules", () => {
    assert.equal(prepDomain("a-b.example"), "a-b.example");
    for (const d of ["-a.example", "a-.example", "ab--c.example", "ü-.example"]) {
      assert.equal(prepDomain(d), null, d);
    }
  });
  it("limits labels to 63 octets, as A-labels for non-ASCII ones", () => {
    assert.equal(prepDomain(`${"a".repeat(63)}.example`), `${"a".repeat(63)}.example`);
    assert.equal(prepDomain(`${"a".repeat(64)}.example`), null);
    // "xn--" + Punycode of 57 ü is 63 octets, of 58 ü it is 64.
    assert.equal(prepDomain(`${"ü".repeat(57)}.example`), `${"ü".repeat(57)}.example`);
    assert.equal(prepDomain(`${"ü".repeat(58)}.example`), null);
    assert.equal(prepDomain(`${"日本語ドメイン名例".repeat(4)}.example`), null);
  });
  it("rejects invalid or non-canonical A-labels", () => {
    for (const d of ["xn--.example", "xn--abc-.example", "xn--ls8h.example", "xn--a.example"]) {
      assert.equal(prepDomain(d), null, d);
    }
    assert.equal(prepDomain("xn--bcher-kva9.example"), null); // trailing garbage
  });
  it("rejects code points IDNA2008 disallows and labels starting with a mark", () => {
    assert.equal(prepDomain("\u0301a.example"), null);
    assert.equal(prepDomain("a\u200bb.example"), null);
    assert.equal(prepDomain("\u1fb3.example"), null); // unstable under case folding
    assert.equal(prepDomain("\u1c80.example"), null); // folds to в, so it is unstable
    assert.equal(prepDomain("\u0131.example"), "\u0131.example"); // dotless ı folds to itself
    assert.equal(prepDomain("ab\u00b7.example"), null);
    assert.equal(prepDomain("l\u00b7l.example"), "l\u00b7l.example");
  });
  it("applies the Bidi Rule to every label of a domain with right-to-left labels", () => {
    assert.equal(prepDomain("עברית.example"), "עברית.example");
    assert.equal(prepDomain("3com.עברית"), null);
    assert.equal(prepDomain("3com.example"), "3com.example");
  });
  it("rejects a numeric last label unless the whole name is a dotted-quad IPv4 address", () => {
    for (const d of ["127.1", "2130706433", "1.2.3.256", "01.2.3.4", "example.123"]) {
      assert.equal(prepDomain(d), null, d);
    }
    assert.equal(prepDomain("123.example"), "123.example");
  });
});

describe("IP literals", () => {
  it("accepts IPv4 addresses as they are", () => {
    assert.equal(prepDomain("192.0.2.1"), "192.0.2.1");
    assert.equal(prepDomain("255.255.255.255"), "255.255.255.255");
  });
  it("accepts bracketed IPv6 addresses in RFC 5952 form", () => {
    assert.equal(prepDomain("[::1]"), "[::1]");
    assert.equal(prepDomain("[::]"), "[::]");
    assert.equal(prepDomain("[2001:DB8:0:0:0:0:0:1]"), "[2001:db8::1]");
    assert.equal(prepDomain("[2001:db8:0:1:0:0:0:1]"), "[2001:db8:0:1::1]");
    assert.equal(prepDomain("[2001:db8:0:0:1:0:0:1]"), "[2001:db8::1:0:0:1]");
    assert.equal(prepDomain("[2001:db8::0:1]"), "[2001:db8::1]");
    assert.equal(prepDomain("[1:2:3:4:5:6:7::]"), "[1:2:3:4:5:6:7:0]");
    assert.equal(prepDomain("[::ffff:192.0.2.1]"), "[::ffff:192.0.2.1]");
    assert.equal(prepDomain("[::FFFF:c000:0201]"), "[::ffff:192.0.2.1]");
    assert.equal(prepDomain("[64:ff9b::192.0.2.1]"), "[64:ff9b::c000:201]");
  });
  it("rejects malformed literals", () => {
    const bad = [
      "[::1",
      "[]",
      "[1:2:3:4:5:6:7:8:9]",
      "[1:2:3:4:5:6:7]",
      "[1::2::3]",
      "[:::]",
      "[12345::]",
      "[::1.2.3.4:5]",
      "[1.2.3.4::]",
      "[::1%eth0]",
      "[v1.fe]",
      "[::1]x",
      "[1:2:3:4:5:6:7:8::]",
    ];
    for (const d of bad) assert.equal(prepDomain(d), null, d);
  });
});

describe("Punycode (RFC 3492 §7.1 samples)", () => {
  const samples: Array<[string, string]> = [
    ["ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"],
    ["他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"],
    ["3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"],
    ["Hello-Another-Way-それぞれの場所", "Hello-Another-Way--fc4qua05auwb3674vfr0b"],
    ["-> $1.00 <-", "-> $1.00 <--"],
    ["bücher", "bcher-kva"],
  ];
  for (const [unicode, encoded] of samples) {
    it(encoded, () => {
      assert.equal(punycodeEncode(unicode), encoded);
      assert.equal(punycodeDecode(encoded), unicode);
    });
  }
  it("round trips any string and rejects malformed input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (s) => {
        const encoded = punycodeEncode(s);
        assert.ok(encoded !== null);
        assert.equal(punycodeDecode(encoded), s);
      }),
    );
    assert.equal(punycodeDecode("99999999999"), null);
    assert.equal(punycodeDecode("ü-abc"), null);
  });
});

describe("the host-name fast path returns exactly what the general path returns", () => {
  const chars = [..."abcXYZ0129-._ü[]:Kİ。"];
  it("for random strings over a tricky alphabet", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...chars), maxLength: 20 }), (s) =>
        assert.deepEqual(enforceDomain(s), enforceDomainSlow(s)),
      ),
      { numRuns: 3000 },
    );
  });
  it("for host names near the limits", () => {
    const long = Array.from({ length: 16 }, () => "a".repeat(63)).join(".");
    for (const s of [long, long + "a", "a".repeat(63), "a".repeat(64), "1.2.3.4", "a.1"]) {
      assert.deepEqual(enforceDomain(s), enforceDomainSlow(s));
    }
  });
});
