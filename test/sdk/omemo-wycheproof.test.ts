// Project Wycheproof's HKDF-SHA-256 and HMAC-SHA-256 vectors against the primitives OMEMO
// uses: WebCrypto (the SDK's payload and key derivation) and the Signal library's HKDF and
// MAC (which sit on WebCrypto's HMAC). The vectors come from Debian's librust-hkdf-dev and
// librust-hmac-dev (installed by scripts/provision.sh), where RustCrypto ships them converted
// to "blobby" files that keep the valid cases only: Wycheproof's invalid HKDF cases ask for
// more than 255 × 32 bytes, and its invalid HMAC cases are modified tags, which this test
// makes itself (a flipped bit, a wrong length) and expects refused. Wycheproof's X25519,
// AES-GCM and AES-CBC-PKCS5 vectors are in no Debian package of this release nor in any npm
// package here: docs/e2ee.md says where we looked.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as signalInternal from "@privacyresearch/libsignal-protocol-typescript/lib/internal/index.js";
import { blobRows, crateTestData } from "../support/blobby.js";

const toHex = (b: ArrayBuffer | Uint8Array) =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");
const ab = (b: Uint8Array) => b.slice().buffer as ArrayBuffer;

function vectors(crate: string, file: string, width: number): Uint8Array[][] {
  const data = crateTestData(crate, file);
  assert.ok(
    data !== undefined,
    `${file} of the Rust crate ${crate} is missing: install the Debian package librust-${crate}-dev (scripts/provision.sh)`,
  );
  return blobRows(data, width);
}

/** An HMAC key as WebCrypto takes it: RFC 2104 pads a key to the block size with zeros, so an empty key is 64 zero bytes. */
const hmacKey = (k: Uint8Array) => (k.length === 0 ? new Uint8Array(64) : k);

test("Wycheproof HKDF-SHA-256 (all its valid cases) in WebCrypto and in the Signal library's HKDF", async () => {
  const rows = vectors("hkdf", "wycheproof-sha256.blb", 4);
  assert.equal(rows.length, HKDF_CASES, "the number of cases in the file");
  let viaLibrary = 0;
  for (const [i, [ikm, salt, info, okm]] of rows.entries()) {
    const key = await crypto.subtle.importKey("raw", ikm!, "HKDF", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: salt!, info: info! },
      key,
      okm!.length * 8,
    );
    assert.equal(toHex(bits), toHex(okm!), `case ${i}`);
    // The library's HKDF always derives 96 bytes; compare what the vector covers of them.
    const [t1, t2, t3] = await signalInternal.crypto.HKDF(ab(ikm!), ab(hmacKey(salt!)), ab(info!));
    const lib = Buffer.concat([new Uint8Array(t1!), new Uint8Array(t2!), new Uint8Array(t3!)]);
    const n = Math.min(96, okm!.length);
    assert.equal(toHex(lib.subarray(0, n)), toHex(okm!.subarray(0, n)), `case ${i} (library)`);
    viaLibrary++;
  }
  assert.equal(viaLibrary, rows.length);
});

test("Wycheproof HMAC-SHA-256 (all its valid cases, truncated tags too) in WebCrypto and the Signal library's MAC check", async () => {
  const rows = vectors("hmac", "wycheproof-sha256.blb", 3);
  assert.equal(rows.length, HMAC_CASES, "the number of cases in the file");
  let truncated = 0;
  for (const [i, [key, msg, tag]] of rows.entries()) {
    const k = await crypto.subtle.importKey(
      "raw",
      hmacKey(key!),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, msg!));
    // Wycheproof's truncated tags are the leftmost bytes (as Signal's 8-byte message MAC).
    assert.equal(toHex(mac.subarray(0, tag!.length)), toHex(tag!), `case ${i}`);
    if (tag!.length === 32)
      assert.ok(await crypto.subtle.verify("HMAC", k, tag!, msg!), `case ${i}`);
    else truncated++;
    // The library's check (the one that guards every SignalMessage) accepts the tag…
    await signalInternal.verifyMAC(ab(msg!), ab(hmacKey(key!)), ab(tag!), tag!.length);
    // …and refuses it with one bit flipped, and a tag of another length.
    const bad = tag!.slice();
    bad[bad.length - 1]! ^= 1;
    await assert.rejects(
      signalInternal.verifyMAC(ab(msg!), ab(hmacKey(key!)), ab(bad), bad.length),
      /Bad MAC/,
      `case ${i} flipped`,
    );
    await assert.rejects(
      signalInternal.verifyMAC(ab(msg!), ab(hmacKey(key!)), ab(tag!), tag!.length + 1),
      /Bad MAC length/,
    );
  }
  assert.ok(truncated > 0, "the file has truncated tags");
});

/** Case counts of the files as Debian ships them (a truncated or misread file fails here). */
const HKDF_CASES = 102;
const HMAC_CASES = 66;
