// The SDK's SCRAM client (WebCrypto) against the RFC 5802 §5 and RFC 7677 §3 test vectors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ScramHash, scramClient } from "@hato/sdk";

const VECTORS: {
  rfc: string;
  hash: ScramHash;
  cnonce: string;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}[] = [
  {
    rfc: "RFC 5802 §5 SCRAM-SHA-1",
    hash: "SHA-1",
    cnonce: "fyko+d2lbbFgONRv9qkxdawL",
    clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    clientFinal:
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
  },
  {
    rfc: "RFC 7677 §3 SCRAM-SHA-256",
    hash: "SHA-256",
    cnonce: "rOprNGfwEbeRWgbNEkqO",
    clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    serverFirst:
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    clientFinal:
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
  },
];

for (const v of VECTORS) {
  describe(`${v.rfc} test vector`, () => {
    it("produces the client-first and client-final messages of the RFC", async () => {
      const c = scramClient(v.hash, "user", "pencil", v.cnonce);
      assert.equal(c.first(), v.clientFirst);
      assert.equal(await c.final(v.serverFirst), v.clientFinal);
    });

    it("accepts the RFC's server signature and refuses any other", async () => {
      const c = scramClient(v.hash, "user", "pencil", v.cnonce);
      await c.final(v.serverFirst);
      assert.equal(await c.verify(v.serverFinal), true);
      const forged = `v=${v.serverFinal.slice(2, 6) === "AAAA" ? "BBBB" : "AAAA"}${v.serverFinal.slice(6)}`;
      assert.equal(await c.verify(forged), false);
      assert.equal(await c.verify("e=other-error"), false);
    });
  });
}

describe("SCRAM client refuses unsafe server messages", () => {
  const first = (serverFirst: string) =>
    scramClient("SHA-256", "user", "pencil", "abc").final(serverFirst);

  it("a server nonce that does not extend ours", async () => {
    await assert.rejects(first("r=xyz123,s=QSXCR+Q6sek8bf92,i=4096"), /nonce/);
  });

  it("a server nonce equal to ours (the server added nothing)", async () => {
    await assert.rejects(first("r=abc,s=QSXCR+Q6sek8bf92,i=4096"), /nonce/);
  });

  it("an iteration count too low to protect the password, or high enough to freeze us", async () => {
    await assert.rejects(first("r=abcdef,s=QSXCR+Q6sek8bf92,i=1"), /iteration/);
    await assert.rejects(first("r=abcdef,s=QSXCR+Q6sek8bf92,i=2000000000"), /iteration/);
  });

  it("a mandatory extension it does not know", async () => {
    await assert.rejects(first("m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096"), /extension/);
  });

  it("escapes = and , in the username (RFC 5802 §5.1)", () => {
    assert.equal(scramClient("SHA-1", "a=b,c", "p", "n").first(), "n,,n=a=3Db=2Cc,r=n");
  });
});
