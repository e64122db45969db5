// RFC 6120 §6 transcripts: SCRAM, PLAIN, channel binding, throttling, no account enumeration.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TLSSocket } from "node:tls";
import { createScramClient, plainResponse } from "@hato/sasl";
import { NS_SASL } from "@hato/xml";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";

async function tlsClient(t: TestServer): Promise<RawClient> {
  const c = await RawClient.connect(t.tlsPort, { tls: { ca: t.ca } });
  c.open();
  await c.expectName("features");
  return c;
}

function b64(s: Buffer | string): string {
  return Buffer.from(s).toString("base64");
}

/** Runs a SCRAM exchange by hand and returns the server-first attributes and the outcome. */
async function scram(
  c: RawClient,
  mech: string,
  user: string,
  password: string,
  cb?: { type: "tls-exporter" | "tls-server-end-point"; data: Buffer },
) {
  const client = createScramClient(mech, { username: user, password, channelBinding: cb });
  c.send(`<auth xmlns='${NS_SASL}' mechanism='${mech}'>${b64(client.first())}</auth>`);
  const challenge = await c.expect(
    (e) => e.name === "challenge" || e.name === "failure",
    "challenge",
  );
  if (challenge.name === "failure") return { serverFirst: "", outcome: challenge };
  const serverFirst = Buffer.from(challenge.text(), "base64").toString();
  c.send(`<response xmlns='${NS_SASL}'>${b64(client.final(Buffer.from(serverFirst)))}</response>`);
  const outcome = await c.expect((e) => e.name === "success" || e.name === "failure", "outcome");
  if (outcome.name === "success")
    assert.ok(client.verify(Buffer.from(outcome.text(), "base64")), "server signature verifies");
  return { serverFirst, outcome };
}

const condition = (failure: { elements(): { name: string }[] }) =>
  failure.elements().find((e) => e.name !== "text")?.name;

describe("RFC 6120 SASL", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({
      "limits.auth-failures-per-account": "3",
      "limits.auth-failures-per-address": "1000",
    });
    await t.addUser("alice", "correct horse");
    await t.addUser("victim", "battery staple");
    await t.addUser("dave", "dave's password");
  });
  after(() => t.stop());

  for (const mech of ["SCRAM-SHA-256", "SCRAM-SHA-1"]) {
    it(`client authenticates with ${mech}; server proves it knows the key`, async () => {
      const c = await tlsClient(t);
      const { outcome } = await scram(c, mech, "alice", "correct horse");
      assert.equal(outcome.name, "success");
      c.close();
    });
  }

  it("client authenticates with SCRAM-SHA-256-PLUS bound to tls-exporter (TLS 1.3)", async () => {
    const c = await tlsClient(t);
    const data = (c.socket as TLSSocket).exportKeyingMaterial(
      32,
      "EXPORTER-Channel-Binding",
      Buffer.alloc(0),
    );
    const { outcome } = await scram(c, "SCRAM-SHA-256-PLUS", "alice", "correct horse", {
      type: "tls-exporter",
      data,
    });
    assert.equal(outcome.name, "success");
    c.close();
  });

  it("channel-binding data from another TLS connection (a MITM) fails", async () => {
    const c = await tlsClient(t);
    const { outcome } = await scram(c, "SCRAM-SHA-256-PLUS", "alice", "correct horse", {
      type: "tls-exporter",
      data: Buffer.alloc(32, 1),
    });
    assert.equal(outcome.name, "failure");
    c.close();
  });

  it("client claims no channel binding support (y) although -PLUS was offered: downgrade refused", async () => {
    const c = await tlsClient(t);
    const first = Buffer.from("y,,n=alice,r=abcdefghijklmnop");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256'>${b64(first)}</auth>`);
    const f = await c.expectName("failure");
    assert.ok(f.getChildText("text"), "failure explains itself");
    c.close();
  });

  it("PLAIN inside TLS works; an authorization identity for someone else is refused", async () => {
    const c = await tlsClient(t);
    c.send(
      `<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${b64(plainResponse("alice", "correct horse"))}</auth>`,
    );
    assert.equal(
      (await c.expect((e) => e.name === "success" || e.name === "failure")).name,
      "success",
    );
    c.close();
    const d = await tlsClient(t);
    d.send(
      `<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${b64("victim@localhost\0alice\0correct horse")}</auth>`,
    );
    const f = await d.expectName("failure");
    assert.equal(condition(f), "invalid-authzid");
    d.close();
  });

  it("an unknown user gets a normal-looking challenge and fails only at the end, like a wrong password", async () => {
    const c = await tlsClient(t);
    const wrong = await scram(c, "SCRAM-SHA-256", "dave", "wrong password");
    c.close();
    const d = await tlsClient(t);
    const unknown = await scram(d, "SCRAM-SHA-256", "nobody-here", "whatever");
    d.close();
    const shape = (sf: string) => sf.replace(/r=[^,]+/, "r=").replace(/s=[^,]+/, "s=");
    assert.equal(
      shape(unknown.serverFirst),
      shape(wrong.serverFirst),
      "same attributes and iteration count",
    );
    assert.equal(unknown.outcome.name, "failure");
    assert.equal(condition(unknown.outcome), condition(wrong.outcome));
    assert.equal(unknown.outcome.getChildText("text"), wrong.outcome.getChildText("text"));
    // The fake salt is stable, as a real one would be.
    const e = await tlsClient(t);
    const again = await scram(e, "SCRAM-SHA-256", "nobody-here", "whatever");
    e.close();
    assert.equal(
      /s=([^,]+)/.exec(again.serverFirst)?.[1],
      /s=([^,]+)/.exec(unknown.serverFirst)?.[1],
    );
  });

  it("brute force on one account: after the limit even the right password gets temporary-auth-failure", async () => {
    for (let i = 0; i < 3; i++) {
      const c = await tlsClient(t);
      const { outcome } = await scram(c, "SCRAM-SHA-256", "victim", `guess ${i}`);
      assert.equal(outcome.name, "failure");
      c.close();
    }
    const c = await tlsClient(t);
    const { outcome } = await scram(c, "SCRAM-SHA-256", "victim", "battery staple");
    assert.equal(condition(outcome), "temporary-auth-failure");
    c.close();
    // The same lockout for a name that does not exist: no enumeration through the throttle.
    for (let i = 0; i < 4; i++) {
      const d = await tlsClient(t);
      const r = await scram(d, "SCRAM-SHA-256", "ghost", `guess ${i}`);
      d.close();
      if (i === 3) assert.equal(condition(r.outcome), "temporary-auth-failure");
    }
  });

  it("an unknown mechanism gets invalid-mechanism", async () => {
    const c = await tlsClient(t);
    c.send(`<auth xmlns='${NS_SASL}' mechanism='DIGEST-MD5'/>`);
    assert.equal(condition(await c.expectName("failure")), "invalid-mechanism");
    c.close();
  });

  it("bad base64 gets incorrect-encoding", async () => {
    const c = await tlsClient(t);
    c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>!!!not base64!!!</auth>`);
    assert.equal(condition(await c.expectName("failure")), "incorrect-encoding");
    c.close();
  });

  it("stanzas before authentication close the stream with not-authorized", async () => {
    const c = await tlsClient(t);
    c.send("<message to='alice@localhost'><body>hi</body></message>");
    assert.equal((await c.expectStreamError()).condition, "not-authorized");
  });
});

describe("login throttling per address", () => {
  it("too many failures from one address lock that address out", async () => {
    const t = await startServer({
      "limits.auth-failures-per-address": "2",
      "limits.auth-failures-per-account": "100",
    });
    try {
      await t.addUser("bob", "pw-bob");
      for (let i = 0; i < 2; i++) {
        const c = await tlsClient(t);
        await scram(c, "SCRAM-SHA-256", `user${i}`, "x");
        c.close();
      }
      const c = await tlsClient(t);
      c.send(
        `<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${b64(plainResponse("bob", "pw-bob"))}</auth>`,
      );
      assert.equal(condition(await c.expectName("failure")), "temporary-auth-failure");
      c.close();
    } finally {
      await t.stop();
    }
  });
});
