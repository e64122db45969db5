// RFC 7622 JIDs: splitting (§3.1), the Jid value, length limits and canonical round trips.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { jid, makeJid, parseJid, prepDomain, prepLocal, prepResource } from "./index.js";
import { clearJidCache, parseJidUncached } from "./jid.js";

describe("splitting (RFC 7622 §3.1)", () => {
  it("splits the resource at the first '/', then the local part at the first '@'", () => {
    const j = jid("a@b.example/c/d@e/f");
    assert.deepEqual([j.local, j.domain, j.resource], ["a", "b.example", "c/d@e/f"]);
  });
  it("an '@' after the first '/' belongs to the resource", () => {
    const j = jid("b.example/@c");
    assert.deepEqual([j.local, j.domain, j.resource], ["", "b.example", "@c"]);
  });
  it("rejects an empty local part or resource whose separator is present", () => {
    assert.deepEqual(parseJid("@d.example"), {
      ok: false,
      reason: "local part is empty but '@' is present",
    });
    assert.deepEqual(parseJid("u@d.example/"), {
      ok: false,
      reason: "resource is empty but '/' is present",
    });
  });
});

describe("case and canonical form", () => {
  it("maps local part and domain to lowercase and keeps the resource's case", () => {
    const j = jid("JULIET@Example.COM/Balcony");
    assert.equal(j.toString(), "juliet@example.com/Balcony");
    assert.equal(j.equals(jid("juliet@example.com/Balcony")), true);
    assert.equal(j.equals(jid("juliet@example.com/balcony")), false);
  });
  it("maps non-ASCII letters to lowercase too", () => {
    assert.equal(jid("ÉLODIE@BÜCHER.example").toString(), "élodie@bücher.example");
  });
  it("normalises to NFC in every part", () => {
    const j = jid("e\u0301@e\u0301.example/e\u0301");
    assert.deepEqual([j.local, j.domain, j.resource], ["é", "é.example", "é"]);
  });
  it("serialises to JSON as its string form", () => {
    assert.equal(JSON.stringify({ to: jid("a@b.example/c") }), '{"to":"a@b.example/c"}');
  });
});

describe("the Jid value", () => {
  it("bare drops the resource and is cached; a bare JID is its own bare", () => {
    const full = jid("a@b.example/c");
    assert.equal(full.isBare(), false);
    assert.equal(full.bare.toString(), "a@b.example");
    assert.equal(full.bare, full.bare);
    assert.equal(full.bare.isBare(), true);
    const bare = jid("a@b.example");
    assert.equal(bare.bare, bare);
    assert.equal(full.bare.equals(bare), true);
  });
  it("makeJid prepares each part; '' and undefined mean absent", () => {
    const made = makeJid("Juliet", "Example.com", "Balcony");
    assert.equal(made.ok && made.jid.toString(), "juliet@example.com/Balcony");
    const domainOnly = makeJid("", "example.com");
    assert.equal(domainOnly.ok && domainOnly.jid.toString(), "example.com");
    assert.equal(makeJid("", "example.com", "").ok && true, true);
    assert.equal(makeJid("a@b", "example.com").ok, false);
    assert.equal(makeJid("a", "").ok, false);
    const slashy = makeJid("a", "example.com", "x/y@z");
    assert.equal(slashy.ok && slashy.jid.toString(), "a@example.com/x/y@z");
  });
  it("returns the same answer from the cache as without it", () => {
    clearJidCache();
    for (const input of ["π@例え.テスト/♚", "ab١@example.com", "Σ@ΕΛΛΗΝΙΚΆ.example"]) {
      const first = parseJid(input);
      assert.deepEqual(parseJid(input), first);
      assert.deepEqual(parseJidUncached(input), first);
    }
  });
});

describe("length limits (RFC 7622 §3.2–3.4: 1023 octets per part)", () => {
  const label = "a".repeat(63);
  const domain1023 = Array.from({ length: 16 }, () => label).join(".");
  it("accepts parts of exactly 1023 octets", () => {
    assert.equal(domain1023.length, 1023);
    const j = jid(`${"l".repeat(1023)}@${domain1023}/${"r".repeat(1023)}`);
    assert.equal(j.toString().length, 1023 * 3 + 2);
    assert.equal(prepLocal("é".repeat(511))?.length, 511); // 1022 octets
    assert.equal(prepResource("😀".repeat(255) + "abc"), "😀".repeat(255) + "abc");
  });
  it("rejects parts of 1024 octets", () => {
    assert.equal(parseJid(`${"l".repeat(1024)}@example.com`).ok, false);
    assert.equal(parseJid(`example.com/${"r".repeat(1024)}`).ok, false);
    assert.equal(prepDomain(`${domain1023}a`), null);
    assert.equal(prepLocal("é".repeat(512)), null);
    assert.equal(prepResource("😀".repeat(256)), null);
  });
  it("rejects huge inputs quickly", () => {
    const started = performance.now();
    assert.equal(parseJid(`${"é".repeat(1_000_000)}@example.com`).ok, false);
    assert.ok(performance.now() - started < 100);
  });
});

const localChars = [..."abcxyzABCXYZ0189!#$%*+-=?^_`{|}~.\\éÉßπΣσςЖжøÅñ日本語한국"];
const labelChars = [..."abcxyzABCXYZ0189-éüÖß日本жЖ"];
const resourceChars = [..."abcXYZ019 !\"#&'()*+,-./:;<=>?@[\\]^_`{|}~éÉßΣ♚😀\u00a0\u3000日本"];
const text = (chars: string[], maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength });
const validLocal = text(localChars, 12).filter((s) => prepLocal(s) !== null);
const validDomain = fc
  .array(text(labelChars, 10), { minLength: 1, maxLength: 4 })
  .map((labels) => labels.join("."))
  .filter((s) => prepDomain(s) !== null);
const validResource = text(resourceChars, 12).filter((s) => prepResource(s) !== null);

describe("round trips (property tests)", () => {
  it("parseJid(j.toString()) equals j for JIDs built from valid parts", () => {
    fc.assert(
      fc.property(
        fc.option(validLocal, { nil: "" }),
        validDomain,
        fc.option(validResource, { nil: undefined }),
        (local, domain, resource) => {
          const made = makeJid(local, domain, resource);
          assert.ok(made.ok, !made.ok ? made.reason : "");
          const reparsed = parseJid(made.jid.toString());
          assert.ok(reparsed.ok);
          assert.ok(reparsed.jid.equals(made.jid));
          assert.equal(reparsed.jid.toString(), made.jid.toString());
        },
      ),
      { numRuns: 500 },
    );
  });
  it("any string either fails with a reason or yields a JID that round trips", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (input) => {
        const result = parseJid(input);
        if (!result.ok) {
          assert.ok(result.reason.length > 0);
          return;
        }
        const again = parseJid(result.jid.toString());
        assert.ok(again.ok && again.jid.equals(result.jid));
      }),
      { numRuns: 1000 },
    );
  });
  it("preparation is idempotent", () => {
    const anyText = fc.string({ unit: "grapheme", maxLength: 20 });
    fc.assert(
      fc.property(anyText, (s) => {
        for (const prep of [prepLocal, prepResource, prepDomain]) {
          const once = prep(s);
          if (once !== null) assert.equal(prep(once), once);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
