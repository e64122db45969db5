// XEP-0454 pieces without a server: aesgcm:// links parsed strictly (message bodies are
// hostile), the link format, and AES-256-GCM files against node:crypto.

import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { encryptedFileOf, formatAesgcmLink, parseAesgcmLink } from "@hato/sdk";
import { decryptFile, encryptFile } from "@hato/sdk/internal";

const IV = "0102030405060708090a0b0c";
const KEY = "a1".repeat(32);

describe("aesgcm:// links", () => {
  it("parses the link Conversations, Dino and Profanity send", () => {
    const l = parseAesgcmLink(
      ` aesgcm://upload.example.org:5281/slot/Ab9/My%20Photo.jpg#${IV}${KEY}\n`,
    );
    assert.ok(l !== undefined);
    assert.equal(l.url, "https://upload.example.org:5281/slot/Ab9/My%20Photo.jpg");
    assert.equal(l.name, "My Photo.jpg");
    assert.equal(Buffer.from(l.iv).toString("hex"), IV);
    assert.equal(Buffer.from(l.key).toString("hex"), KEY);
    // Older clients' 16-byte IVs, upper-case hex.
    const old = parseAesgcmLink(`aesgcm://h.example/f#${"0F".repeat(16)}${KEY.toUpperCase()}`);
    assert.equal(old?.iv.length, 16);
    assert.equal(old?.key.length, 32);
  });

  it("anything else is plain text", () => {
    const ok = `#${IV}${KEY}`;
    for (const bad of [
      `aesgcm://h.example/f#${IV}${KEY.slice(2)}`, // a 31-byte key
      `aesgcm://h.example/f#${IV}${KEY}00`, // too long
      `aesgcm://h.example/f#${IV.slice(0, -1)}g${KEY}`, // not hex
      "aesgcm://h.example/f", // no fragment
      `aesgcm://user@h.example/f${ok}`, // credentials
      `aesgcm://h.example${ok}`, // no path
      `aesgcm:///f${ok}`, // no host
      `aesgcm://-h.example/f${ok}`, // not a host name
      `aesgcm://h.example:99999/f${ok}`, // no such port
      `aesgcm://h.example/a b${ok}`, // a space
      `aesgcm://h.example/a\\b${ok}`, // a backslash
      `aesgcm://h.example/a<b>${ok}`, // markup
      `aesgcm://[::1]/f${ok}`, // IPv6 literals are not taken
      `https://h.example/f${ok}`, // another scheme
      `look: aesgcm://h.example/f${ok}`, // more than the link
      `aesgcm://h.example/${"a".repeat(2100)}${ok}`, // too long
    ])
      assert.equal(parseAesgcmLink(bad), undefined, bad);
    assert.equal(encryptedFileOf(`aesgcm://h.example/f${ok} and more`), undefined);
  });

  it("the link of an upload URL round-trips", () => {
    const iv = Buffer.from(IV, "hex");
    const key = Buffer.from(KEY, "hex");
    const link = formatAesgcmLink("https://h.example:5443/upload/s/x/report.pdf", iv, key);
    assert.equal(link, `aesgcm://h.example:5443/upload/s/x/report.pdf#${IV}${KEY}`);
    assert.deepEqual(encryptedFileOf(link), {
      link,
      url: "https://h.example:5443/upload/s/x/report.pdf",
      name: "report.pdf",
    });
    assert.throws(() => formatAesgcmLink("http://h.example/f", iv, key));
  });
});

describe("AES-256-GCM files", () => {
  it("what the SDK encrypts, node:crypto decrypts (ciphertext then the 16-byte tag)", async () => {
    const plain = randomBytes(1000);
    const enc = await encryptFile(plain);
    assert.equal(enc.key.length, 32);
    assert.equal(enc.iv.length, 12);
    assert.equal(enc.data.length, plain.length + 16);
    const d = createDecipheriv("aes-256-gcm", enc.key, enc.iv);
    d.setAuthTag(enc.data.subarray(plain.length));
    assert.deepEqual(
      Buffer.concat([d.update(enc.data.subarray(0, plain.length)), d.final()]),
      plain,
    );
  });

  it("what node:crypto encrypts (also with a 16-byte IV), the SDK decrypts; altered bytes do not", async () => {
    for (const ivLength of [12, 16]) {
      const key = randomBytes(32);
      const iv = randomBytes(ivLength);
      const c = createCipheriv("aes-256-gcm", key, iv);
      const plain = Buffer.from("a file from another client");
      const data = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
      assert.deepEqual(Buffer.from((await decryptFile(data, iv, key))!), plain);
      for (const at of [0, data.length - 1]) {
        const bad = Buffer.from(data);
        bad[at]! ^= 1;
        assert.equal(await decryptFile(bad, iv, key), undefined, `byte ${at} altered`);
      }
      assert.equal(await decryptFile(data.subarray(0, 15), iv, key), undefined);
    }
  });
});
