// SCRAM client (RFC 5802) defences against bad servers, GS2 flags and PLAIN (RFC 4616) encoding.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScramClient, plainResponse } from "./client.js";

const NONCE = "clientnonce";
const SALT = Buffer.alloc(16, 3).toString("base64");

function clientAfterFirst(extra: Record<string, unknown> = {}) {
  const client = createScramClient("SCRAM-SHA-256", {
    username: "juliet",
    password: "pw",
    nonce: NONCE,
    ...extra,
  });
  client.first();
  return client;
}

const BAD_SERVER = { code: "HATO_ERR_SASL_SERVER_MESSAGE" };

describe("SCRAM client", () => {
  it("writes the GS2 header: n, y, p=<type> and an escaped authzid", () => {
    const make = (mechanism: string, opts: object) =>
      createScramClient(mechanism, { username: "a,b", password: "pw", nonce: NONCE, ...opts })
        .first()
        .toString();
    const channelBinding = { type: "tls-exporter" as const, data: Buffer.alloc(32) };
    assert.equal(make("SCRAM-SHA-1", {}), `n,,n=a=2Cb,r=${NONCE}`);
    assert.equal(make("SCRAM-SHA-1", { channelBinding }), `y,,n=a=2Cb,r=${NONCE}`);
    assert.equal(
      make("SCRAM-SHA-1-PLUS", { channelBinding }),
      `p=tls-exporter,,n=a=2Cb,r=${NONCE}`,
    );
    assert.equal(make("SCRAM-SHA-256", { authzid: "x=y" }), `n,a=x=3Dy,n=a=2Cb,r=${NONCE}`);
  });
  it("puts gs2-header and channel binding data into c=", () => {
    const data = Buffer.from("cbdata");
    const client = createScramClient("SCRAM-SHA-256-PLUS", {
      username: "u",
      password: "pw",
      nonce: NONCE,
      channelBinding: { type: "tls-server-end-point", data },
    });
    client.first();
    const final = client.final(Buffer.from(`r=${NONCE}srv,s=${SALT},i=4096`)).toString();
    const c = Buffer.concat([Buffer.from("p=tls-server-end-point,,"), data]).toString("base64");
    assert.ok(final.startsWith(`c=${c},r=${NONCE}srv,p=`));
  });
  it("refuses a server nonce that does not extend its own", () => {
    assert.throws(
      () => clientAfterFirst().final(Buffer.from(`r=other,s=${SALT},i=4096`)),
      BAD_SERVER,
    );
    assert.throws(
      () => clientAfterFirst().final(Buffer.from(`r=${NONCE},s=${SALT},i=4096`)),
      BAD_SERVER,
    );
  });
  it("refuses too few or too many iterations", () => {
    for (const i of ["4095", "0", "-1", "abc", "99999999999", ""]) {
      assert.throws(
        () => clientAfterFirst().final(Buffer.from(`r=${NONCE}s,s=${SALT},i=${i}`)),
        BAD_SERVER,
      );
    }
  });
  it("refuses a bad salt, a mandatory extension and attribute disorder", () => {
    const bad = [
      `r=${NONCE}s,s=!!,i=4096`,
      `m=x,r=${NONCE}s,s=${SALT},i=4096`,
      `s=${SALT},r=${NONCE}s,i=4096`,
    ];
    for (const msg of bad)
      assert.throws(() => clientAfterFirst().final(Buffer.from(msg)), BAD_SERVER);
  });
  it("ignores optional extensions after i= (e.g. XEP-0474 d=)", () => {
    const final = clientAfterFirst().final(Buffer.from(`r=${NONCE}s,s=${SALT},i=4096,d=abc`));
    assert.match(final.toString(), /^c=biws,r=clientnonces,p=/);
  });
  it("treats e= and garbage server-final messages as failed verification", () => {
    for (const msg of ["e=invalid-proof", "v=", "garbage", "v=!!"]) {
      const client = clientAfterFirst();
      client.final(Buffer.from(`r=${NONCE}s,s=${SALT},i=4096`));
      assert.equal(client.verify(Buffer.from(msg)), false);
    }
  });
  it("enforces the call order", () => {
    const client = createScramClient("SCRAM-SHA-1", { username: "u", password: "p" });
    assert.throws(() => client.final(Buffer.from("r=x")), { code: "HATO_ERR_SASL_STATE" });
    client.first();
    assert.throws(() => client.first(), { code: "HATO_ERR_SASL_STATE" });
    assert.throws(() => client.verify(Buffer.from("v=")), { code: "HATO_ERR_SASL_STATE" });
  });
  it("rejects unknown mechanisms and -PLUS without channel binding", () => {
    assert.throws(() => createScramClient("SCRAM-MD5", { username: "u", password: "p" }), {
      code: "HATO_ERR_SASL_ARGUMENT",
    });
    assert.throws(() => createScramClient("SCRAM-SHA-1-PLUS", { username: "u", password: "p" }), {
      code: "HATO_ERR_SASL_ARGUMENT",
    });
  });
});

describe("plainResponse", () => {
  it("joins authzid, authcid and password with NUL in UTF-8", () => {
    assert.deepEqual(plainResponse("juliet", "pässword"), Buffer.from("\0juliet\0pässword"));
    assert.deepEqual(plainResponse("juliet", "p", "juliet"), Buffer.from("juliet\0juliet\0p"));
  });
});
