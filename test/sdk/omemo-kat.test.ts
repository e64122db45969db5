// Known-answer tests for the primitives OMEMO rests on: X25519 (RFC 7748 §5.2) in the curve
// implementation the Signal library uses, HKDF-SHA-256 (RFC 5869 appendix A) in WebCrypto and
// in the library, AES-128-GCM (the GCM specification's test cases 1-2) in our payload code.

import assert from "node:assert/strict";
import { test } from "node:test";
import { openPayload, sealPayload } from "@hato/sdk/internal";
import { Curve25519Wrapper } from "@privacyresearch/curve25519-typescript";
import * as signalInternal from "@privacyresearch/libsignal-protocol-typescript/lib/internal/index.js";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => Number.parseInt(h, 16)));
const toHex = (b: ArrayBuffer | Uint8Array) =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");
const ab = (b: Uint8Array) => b.slice().buffer as ArrayBuffer;

test("X25519: RFC 7748 §5.2 vectors in the library's curve25519", async () => {
  const curve = await Curve25519Wrapper.create();
  const vectors = [
    [
      "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
      "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
      "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
    ],
    [
      "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
      "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
      "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
    ],
  ] as const;
  // The wrapper's sharedSecret runs the ladder on the scalar as given; the library only ever
  // passes private keys that keyPair() clamped, so RFC 7748's decodeScalar25519 is applied here.
  const clamp = (k: Uint8Array) => {
    const c = k.slice();
    c[0]! &= 248;
    c[31]! &= 127;
    c[31]! |= 64;
    return c;
  };
  for (const [scalar, u, out] of vectors) {
    assert.equal(toHex(curve.sharedSecret(ab(hex(u)), ab(clamp(hex(scalar))))), out);
  }
  // §6.1 Diffie-Hellman: Alice's public key from her private key.
  const alice = curve.keyPair(
    ab(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")),
  );
  assert.equal(
    toHex(alice.pubKey),
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
  );
});

const RFC5869 = [
  {
    ikm: "0b".repeat(22),
    salt: "000102030405060708090a0b0c",
    info: "f0f1f2f3f4f5f6f7f8f9",
    okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  },
  {
    ikm: "0b".repeat(22),
    salt: "",
    info: "",
    okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  },
];

test("HKDF-SHA-256: RFC 5869 test cases 1 and 3 in WebCrypto", async () => {
  for (const v of RFC5869) {
    const key = await crypto.subtle.importKey("raw", hex(v.ikm), "HKDF", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: v.salt === "" ? new Uint8Array() : hex(v.salt),
        info: v.info === "" ? new Uint8Array() : hex(v.info),
      },
      key,
      42 * 8,
    );
    assert.equal(toHex(bits), v.okm);
  }
});

test("HKDF-SHA-256: the Signal library's HKDF gives RFC 5869 test case 1's first 32 bytes", async () => {
  // The library's HKDF always derives 3 × 32 bytes; T(1) is the first block of the RFC's OKM.
  const v = RFC5869[0]!;
  const [t1, t2] = await signalInternal.crypto.HKDF(
    ab(hex(v.ikm)),
    ab(hex(v.salt)),
    ab(hex(v.info)),
  );
  assert.equal(toHex(t1!), v.okm.slice(0, 64));
  assert.equal(toHex(t2!).slice(0, 20), v.okm.slice(64));
});

test("AES-128-GCM: GCM spec test cases 1 and 2 through the OMEMO payload code", async () => {
  const zeroKey = new Uint8Array(16);
  const zeroIv = new Uint8Array(12);
  // Test case 1: empty plaintext, tag 58e2fcce…
  const empty = await openPayload(
    new Uint8Array([...zeroKey, ...hex("58e2fccefa7e3061367f1d57a4e7455a")]),
    zeroIv,
    new Uint8Array(),
  );
  assert.equal(empty.length, 0);
  // Test case 2: 16 zero bytes.
  const plain = await openPayload(
    new Uint8Array([...zeroKey, ...hex("ab6e47d42cec13bdf53a67b21257bddf")]),
    zeroIv,
    hex("0388dace60b6a392f328c2b971b2fe78"),
  );
  assert.equal(toHex(plain), "00".repeat(16));
  // A flipped tag bit is refused, with the reason.
  await assert.rejects(
    openPayload(
      new Uint8Array([...zeroKey, ...hex("ab6e47d42cec13bdf53a67b21257bdde")]),
      zeroIv,
      hex("0388dace60b6a392f328c2b971b2fe78"),
    ),
    /failed authentication/,
  );
});

test("the payload: 16-byte key and 12-byte IV, key ‖ tag is 32 bytes, round trip", async () => {
  const s = await sealPayload(new TextEncoder().encode("hello"));
  assert.equal(s.iv.length, 12);
  assert.equal(s.keyMaterial.length, 32);
  assert.equal(s.payload.length, 5); // the tag travels with the key, not the payload
  assert.equal(
    new TextDecoder().decode(await openPayload(s.keyMaterial, s.iv, s.payload)),
    "hello",
  );
});
