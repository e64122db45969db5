// RFC 7622 §3.5 examples of valid and invalid JIDs, with the RFC's notes as expectations.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jid, parseJid } from "./index.js";

function parts(input: string): [string, string, string] {
  const j = jid(input);
  return [j.local, j.domain, j.resource];
}

describe("RFC 7622 §3.5.1 valid JIDs", () => {
  it("1. juliet@example.com", () => {
    assert.deepEqual(parts("juliet@example.com"), ["juliet", "example.com", ""]);
  });
  it("2. juliet@example.com/foo", () => {
    assert.deepEqual(parts("juliet@example.com/foo"), ["juliet", "example.com", "foo"]);
  });
  it("3. juliet@example.com/foo bar: a space is allowed in the resource", () => {
    assert.deepEqual(parts("juliet@example.com/foo bar"), ["juliet", "example.com", "foo bar"]);
  });
  it("4. juliet@example.com/foo@bar: '@' is allowed in the resource", () => {
    assert.deepEqual(parts("juliet@example.com/foo@bar"), ["juliet", "example.com", "foo@bar"]);
  });
  it("5. foo\\20bar@example.com: a backslash is allowed in the local part", () => {
    assert.deepEqual(parts("foo\\20bar@example.com"), ["foo\\20bar", "example.com", ""]);
  });
  it("6, 7. fussball and fußball are both valid and distinct", () => {
    const ss = jid("fussball@example.com");
    const eszett = jid("fußball@example.com");
    assert.equal(eszett.local, "fußball");
    assert.equal(ss.equals(eszett), false);
  });
  it("8. π@example.com", () => {
    assert.deepEqual(parts("π@example.com"), ["π", "example.com", ""]);
  });
  it("9, 10, 11. Σ maps to σ and matches it; final ς stays distinct", () => {
    const capital = jid("Σ@example.com/foo");
    const small = jid("σ@example.com/foo");
    const final = jid("ς@example.com/foo");
    assert.equal(capital.toString(), "σ@example.com/foo");
    assert.equal(capital.equals(small), true);
    assert.equal(final.local, "ς");
    assert.equal(final.equals(capital), false);
    assert.equal(final.equals(small), false);
  });
  it("12. king@example.com/♚: symbols are allowed in the resource", () => {
    assert.deepEqual(parts("king@example.com/♚"), ["king", "example.com", "♚"]);
  });
  it("13. example.com", () => {
    assert.deepEqual(parts("example.com"), ["", "example.com", ""]);
  });
  it("14. example.com/foobar", () => {
    assert.deepEqual(parts("example.com/foobar"), ["", "example.com", "foobar"]);
  });
  it("15. a.example.com/b@example.net: the resource is b@example.net", () => {
    assert.deepEqual(parts("a.example.com/b@example.net"), ["", "a.example.com", "b@example.net"]);
  });
});

describe("RFC 7622 §3.5.2 invalid JIDs", () => {
  const invalid: Array<[string, string, RegExp]> = [
    ['"juliet@example.com"', "quotation marks are disallowed in local parts", /'"'/],
    ["foo bar@example.com", "spaces are disallowed in local parts", /U\+0020/],
    ["juliet@test@example.com", "'@' is disallowed in the domain", /U\+0040/],
    ["henryⅣ@example.com", "ROMAN NUMERAL FOUR (U+2163) is disallowed", /U\+2173/],
    ["♚@example.com", "symbols are disallowed in local parts", /U\+265A/],
    ["juliet@", "the domain is missing", /domain is missing/],
    ["/foobar", "the local part and domain are missing", /domain is missing/],
  ];
  for (const [input, why, reason] of invalid) {
    it(`${input}: ${why}`, () => {
      const result = parseJid(input);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }
});

describe("further invalid forms (RFC 6122 era examples and empty parts)", () => {
  for (const input of [
    "juliet@@example.com",
    "@example.com/",
    "@example.com",
    "juliet@example.com/",
    "",
    "@",
    "/",
    "@/",
  ]) {
    it(JSON.stringify(input), () => assert.equal(parseJid(input).ok, false));
  }
  it("throws from jid() with the reason", () => {
    assert.throws(() => jid("juliet@"), /Invalid JID "juliet@": domain is missing/);
  });
});

describe("RFC 7622 errata", () => {
  it("erratum 4560: a leading space in the resourcepart is valid (example 18 was wrong)", () => {
    assert.deepEqual(parts("juliet@example.com/ foo"), ["juliet", "example.com", " foo"]);
  });
});
