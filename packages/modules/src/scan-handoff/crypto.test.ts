import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { describe, it } from "node:test";
import { decryptAesGcm, hexBytes, keyHash } from "./crypto.js";
import { RateLimiter, TokenStore } from "./tokens.js";

const key = Buffer.alloc(32, 1);
const iv = Buffer.alloc(12, 2);
function encrypt(plain: Buffer, k = key, i = iv): Buffer {
  const c = createCipheriv("aes-256-gcm", k, i);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

describe("XEP-0454 decryption", () => {
  it("gives the plaintext back when the tag verifies, with 12- and 16-byte IVs", () => {
    assert.equal(decryptAesGcm(encrypt(Buffer.from("hi")), key, iv)?.toString(), "hi");
    const iv16 = Buffer.alloc(16, 3);
    assert.equal(decryptAesGcm(encrypt(Buffer.from("x"), key, iv16), key, iv16)?.toString(), "x");
    assert.equal(decryptAesGcm(encrypt(Buffer.alloc(0)), key, iv)?.length, 0);
  });

  it("gives nothing for another key, another IV, a flipped bit or a file shorter than a tag", () => {
    const file = encrypt(Buffer.from("secret plans"));
    assert.equal(decryptAesGcm(file, Buffer.alloc(32, 9), iv), undefined);
    assert.equal(decryptAesGcm(file, key, Buffer.alloc(12, 9)), undefined);
    const flipped = Buffer.from(file);
    flipped[0]! ^= 1;
    assert.equal(decryptAesGcm(flipped, key, iv), undefined);
    assert.equal(decryptAesGcm(Buffer.alloc(15), key, iv), undefined);
  });

  it("names a key by SHA-256(key ‖ iv); hex inputs must have the exact length", () => {
    assert.equal(
      keyHash(key, iv),
      createHash("sha256")
        .update(Buffer.concat([key, iv]))
        .digest("hex"),
    );
    assert.equal(hexBytes("ab".repeat(32), 32)?.length, 32);
    assert.equal(hexBytes("ab".repeat(31), 32), undefined);
    assert.equal(hexBytes("zz".repeat(32), 32), undefined);
    assert.equal(hexBytes("ab".repeat(16), 12, 16)?.length, 16);
    assert.equal(hexBytes(42, 32), undefined);
  });
});

describe("hand-off tokens and rate", () => {
  it("a token names its user until it expires; a user holds at most 8", () => {
    const store = new TokenStore(1000);
    const { token } = store.issue("alice", 0);
    assert.equal(store.user(token, 999), "alice");
    assert.equal(store.user(token, 1000), undefined);
    assert.equal(store.user("other", 0), undefined);
    const many = Array.from({ length: 9 }, () => store.issue("bob", 0).token);
    assert.equal(store.user(many[0]!, 1), undefined);
    assert.equal(store.user(many[8]!, 1), "bob");
    store.forget("bob");
    assert.equal(store.user(many[8]!, 1), undefined);
  });

  it("counts per user in a sliding minute", () => {
    const rate = new RateLimiter(2);
    assert.equal(rate.take("a", 0), undefined);
    assert.equal(rate.take("a", 10_000), undefined);
    assert.equal(rate.take("a", 20_000), 40);
    assert.equal(rate.take("b", 20_000), undefined);
    assert.equal(rate.take("a", 60_001), undefined);
  });
});
