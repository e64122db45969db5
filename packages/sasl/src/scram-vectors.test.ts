// Test vectors of RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256), client and server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScramClient } from "./client.js";
import { memoryContext } from "./fixtures.js";
import {
  deriveScramCredentials,
  deriveScramCredentialsAsync,
  type HashName,
} from "./scram-crypto.js";
import { createSaslServer } from "./server.js";

interface Vector {
  rfc: string;
  mechanism: string;
  hash: HashName;
  clientNonce: string;
  serverNonce: string;
  salt: string;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}

const VECTORS: Vector[] = [
  {
    rfc: "RFC 5802 §5",
    mechanism: "SCRAM-SHA-1",
    hash: "sha1",
    clientNonce: "fyko+d2lbbFgONRv9qkxdawL",
    serverNonce: "3rfcNHYJY1ZVvWVs7j",
    salt: "QSXCR+Q6sek8bf92",
    clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    clientFinal:
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
  },
  {
    rfc: "RFC 7677 §3",
    mechanism: "SCRAM-SHA-256",
    hash: "sha256",
    clientNonce: "rOprNGfwEbeRWgbNEkqO",
    serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
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
  describe(`${v.rfc} ${v.mechanism} test vector`, () => {
    const salt = Buffer.from(v.salt, "base64");

    it("client produces the exact client messages and verifies the server", () => {
      const client = createScramClient(v.mechanism, {
        username: "user",
        password: "pencil",
        nonce: v.clientNonce,
      });
      assert.equal(client.first().toString(), v.clientFirst);
      assert.equal(client.final(Buffer.from(v.serverFirst)).toString(), v.clientFinal);
      assert.equal(client.verify(Buffer.from(v.serverFinal)), true);
    });

    it("server produces the exact server messages with an injected nonce", async () => {
      const creds = deriveScramCredentials("pencil", v.hash, { salt, iterations: 4096 });
      const ctx = memoryContext({}, { lookup: async (u) => (u === "user" ? creds : undefined) });
      const server = createSaslServer(v.mechanism, ctx, { nonce: () => v.serverNonce })!;
      const first = await server.step(Buffer.from(v.clientFirst));
      assert.deepEqual(first, { kind: "challenge", data: Buffer.from(v.serverFirst) });
      const final = await server.step(Buffer.from(v.clientFinal));
      assert.deepEqual(final, {
        kind: "success",
        data: Buffer.from(v.serverFinal),
        username: "user",
      });
    });

    it("sync and async derivation agree", async () => {
      const a = deriveScramCredentials("pencil", v.hash, { salt });
      const b = await deriveScramCredentialsAsync("pencil", v.hash, { salt });
      assert.deepEqual(a, b);
      assert.equal(a.iterations, 4096);
    });

    it("client rejects a forged server signature", () => {
      const client = createScramClient(v.mechanism, {
        username: "user",
        password: "pencil",
        nonce: v.clientNonce,
      });
      client.first();
      client.final(Buffer.from(v.serverFirst));
      assert.equal(client.verify(Buffer.from("v=AAAA")), false);
    });
  });
}
