// OMEMO verification building blocks without a server: fingerprints, the short comparison
// code, the QR URI (Conversations' format) and its strict parser, the trust rule after a
// verification.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import {
  comparisonCode,
  fingerprintHex,
  formatFingerprint,
  parseVerificationUri,
  VerificationError,
  verificationUri,
} from "@hato/sdk";
import { effectiveTrust, maySendTo } from "@hato/sdk/internal";

const key = (n: number) => {
  const k = new Uint8Array(33).fill(n);
  k[0] = 5;
  return k;
};
const hex = (n: number) => n.toString(16).padStart(2, "0").repeat(32);

test("the fingerprint is the key's 32 bytes in hex without the 0x05 type byte, as Conversations shows it", () => {
  assert.equal(fingerprintHex(key(0xab)), "ab".repeat(32));
  assert.equal(formatFingerprint("ab".repeat(32)), Array(8).fill("abababab").join(" "));
});

test("the comparison code is the same from both sides, six groups of five digits, and changes with any input", async () => {
  const alice = { jid: "alice@example.org", key: key(1) };
  const bob = { jid: "bob@example.org", key: key(2) };
  const code = await comparisonCode(alice, bob);
  assert.match(code, /^\d{5}( \d{5}){5}$/);
  assert.equal(await comparisonCode(bob, alice), code);
  assert.equal(
    await comparisonCode({ ...bob, jid: "Bob@Example.org" }, alice),
    code,
    "bare JIDs compare case-free",
  );
  assert.notEqual(await comparisonCode(alice, { ...bob, key: key(3) }), code);
  assert.notEqual(await comparisonCode(alice, { ...bob, jid: "mallory@example.org" }), code);
  // The derivation as docs/e2ee.md writes it, recomputed here with node:crypto.
  const side = (jid: string, n: number) => {
    const j = Buffer.from(jid);
    return Buffer.concat([Buffer.from([j.length >> 8, j.length & 255]), j, Buffer.alloc(32, n)]);
  };
  const [x, y] = [side("alice@example.org", 1), side("bob@example.org", 2)].sort(Buffer.compare);
  const h = createHash("sha256")
    .update(Buffer.concat([Buffer.from("Hato OMEMO comparison code v1\0"), x!, y!]))
    .digest();
  const groups = [0, 1, 2, 3, 4, 5].map((g) =>
    String(Number(h.readUIntBE(g * 5, 5) % 100000)).padStart(5, "0"),
  );
  assert.equal(code, groups.join(" "));
});

test("the QR URI has Conversations' format and parses back", () => {
  const uri = verificationUri("Alice@Example.org", [
    { device: 12345, key: key(1) },
    { device: 678, key: key(2) },
  ]);
  assert.equal(uri, `xmpp:alice@example.org?omemo-sid-12345=${hex(1)};omemo-sid-678=${hex(2)}`);
  assert.deepEqual(parseVerificationUri(uri), {
    jid: "alice@example.org",
    devices: [
      { device: 12345, fingerprint: hex(1) },
      { device: 678, fingerprint: hex(2) },
    ],
  });
  // What Conversations' own codes may carry besides: other parameters, upper case, the 05 prefix.
  assert.deepEqual(
    parseVerificationUri(
      `XMPP:bob%2Bx@example.org?roster;omemo-sid-7=05${hex(0xcd).toUpperCase()}`,
    ),
    { jid: "bob+x@example.org", devices: [{ device: 7, fingerprint: hex(0xcd) }] },
  );
});

test("hostile or broken codes are refused with the reason", () => {
  const good = `omemo-sid-1=${hex(1)}`;
  const cases: [string, RegExp][] = [
    ["https://example.org/", /not an xmpp: URI/],
    [`xmpp://alice@example.org?${good}`, /account to act as/],
    [`xmpp:example.org?${good}`, /user@domain/],
    [`xmpp:a@b@example.org?${good}`, /user@domain/],
    [`xmpp:alice@example.org/phone?${good}`, /cannot have/],
    [`xmpp:%E0%A4%A@example.org?${good}`, /percent-encoding/],
    [`xmpp:alice@example.org?${good} `, /spaces or control/],
    ["xmpp:alice@example.org", /no OMEMO fingerprint/],
    ["xmpp:alice@example.org?roster", /no OMEMO fingerprint/],
    [`xmpp:alice@example.org?omemo-sid-1=${hex(1).slice(2)}`, /not 64 hex digits/],
    [`xmpp:alice@example.org?omemo-sid-1=${hex(1)}zz`, /malformed parameter/],
    [`xmpp:alice@example.org?omemo-sid-0=${hex(1)}`, /malformed parameter/],
    [`xmpp:alice@example.org?omemo-sid-01=${hex(1)}`, /malformed parameter/],
    [`xmpp:alice@example.org?omemo-sid-4294967296=${hex(1)}`, /out of range/],
    [`xmpp:alice@example.org?omemo-sid--1=${hex(1)}`, /malformed parameter/],
    [`xmpp:alice@example.org?${good};${good}`, /listed twice/],
    [
      `xmpp:alice@example.org?${Array.from({ length: 33 }, (_, i) => `omemo-sid-${i + 1}=${hex(1)}`).join(";")}`,
      /more than 32 devices/,
    ],
    [`xmpp:alice@example.org?${"x;".repeat(70)}${good}`, /too many parameters/],
    [`xmpp:alice@example.org?${good}${"a".repeat(5000)}`, /longer than 4096/],
  ];
  for (const [uri, why] of cases) {
    assert.throws(
      () => parseVerificationUri(uri),
      (e: unknown) => e instanceof VerificationError && why.test(e.message),
      uri.slice(0, 80),
    );
  }
});

test("after a verification, blind trust stops counting: only verified devices may get messages", () => {
  assert.equal(maySendTo(effectiveTrust("blind", false)), true);
  assert.equal(maySendTo(effectiveTrust("blind", true)), false);
  assert.equal(maySendTo(effectiveTrust("verified", true)), true);
  assert.equal(maySendTo(effectiveTrust("untrusted", false)), false);
});
