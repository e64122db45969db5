// SASLprep (RFC 4013): the §3 examples plus mapping, prohibition, bidi and unassigned rules.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { saslPrep, trySaslPrep } from "./saslprep.js";
import { deriveScramCredentials } from "./scram-crypto.js";

describe("SASLprep", () => {
  it("reproduces the examples of RFC 4013 §3", () => {
    assert.equal(saslPrep("I\u00ADX"), "IX"); // soft hyphen mapped to nothing
    assert.equal(saslPrep("user"), "user");
    assert.equal(saslPrep("USER"), "USER"); // no case folding
    assert.equal(saslPrep("\u00AA"), "a"); // NFKC
    assert.equal(saslPrep("\u2168"), "IX"); // NFKC
    assert.throws(() => saslPrep("\u0007"), { code: "HATO_ERR_SASL_PREP" }); // prohibited
    assert.throws(() => saslPrep("\u0627\u0031"), { code: "HATO_ERR_SASL_PREP" }); // bidi
  });
  it("maps non-ASCII spaces to SPACE and B.1 characters to nothing", () => {
    assert.equal(saslPrep("a\u00A0b\u3000c"), "a b c");
    assert.equal(saslPrep("a\u200Db\uFEFFc"), "abc");
  });
  it("prohibits controls, private use, non-characters, surrogates and tags", () => {
    for (const s of [
      "a\u0000",
      "a\u0085",
      "a\uE000",
      "a\uFDD0",
      "a\uD800",
      "a\u{E0041}",
      "a\u202E",
    ]) {
      assert.equal(trySaslPrep(s), null, JSON.stringify(s));
    }
  });
  it("accepts right-to-left text that starts and ends with RandALCat", () => {
    assert.equal(saslPrep("\u0627\u0031\u0628"), "\u0627\u0031\u0628");
    assert.equal(trySaslPrep("\u0627a\u0628"), null); // mixes in an L character
  });
  it("refuses unassigned code points in stored strings, allows them in queries", () => {
    assert.equal(trySaslPrep("a\u{E0080}"), null);
    assert.equal(trySaslPrep("a\u{E0080}", { allowUnassigned: true }), "a\u{E0080}");
  });
  it("refuses strings that map to nothing", () => {
    assert.equal(trySaslPrep(""), null);
    assert.equal(trySaslPrep("\u00AD"), null);
  });
  it("makes equivalent passwords derive the same credentials", () => {
    const salt = Buffer.alloc(16, 5);
    const a = deriveScramCredentials("I\u00ADX", "sha256", { salt });
    assert.deepEqual(deriveScramCredentials("IX", "sha256", { salt }), a);
    assert.throws(() => deriveScramCredentials("\u0007", "sha256"), { code: "HATO_ERR_SASL_PREP" });
  });
  it("derivation refuses weak parameters", () => {
    assert.throws(() => deriveScramCredentials("x", "sha1", { iterations: 1000 }), {
      code: "HATO_ERR_SASL_ARGUMENT",
    });
    assert.throws(() => deriveScramCredentials("x", "sha1", { salt: Buffer.alloc(0) }), {
      code: "HATO_ERR_SASL_ARGUMENT",
    });
    const c = deriveScramCredentials("x", "sha256");
    assert.equal(c.salt.length, 16);
    assert.equal(c.iterations, 4096);
    assert.equal(c.storedKey.length, 32);
  });
});
