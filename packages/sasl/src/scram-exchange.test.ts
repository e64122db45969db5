// Full SCRAM exchanges (RFC 5802, RFC 7677, -PLUS with RFC 9266 / RFC 5929 channel bindings).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChannelBindingType } from "./channel-binding.js";
import { createScramClient } from "./client.js";
import { fakeChannelBinding, memoryContext, runScram } from "./fixtures.js";
import { createSaslServer, makeFakeSalt } from "./server.js";

const USERS = { juliet: "r0m30myr0m30", "a,b=c": "comma,equals=" };
const CB_TYPES: ChannelBindingType[] = ["tls-exporter", "tls-server-end-point"];

describe("client and server complete every mechanism", () => {
  for (const mechanism of ["SCRAM-SHA-1", "SCRAM-SHA-256"]) {
    it(`${mechanism} without channel binding ("n")`, async () => {
      const ctx = memoryContext(USERS);
      const run = await runScram(mechanism, ctx, { username: "juliet", password: USERS.juliet });
      assert.equal(run.result.kind, "success");
      assert.equal(run.verified, true);
      assert.deepEqual(ctx.lookups, ["juliet"]);
    });
    for (const type of CB_TYPES) {
      it(`${mechanism}-PLUS with ${type}`, async () => {
        const cb = fakeChannelBinding();
        const ctx = memoryContext(USERS, { channelBinding: cb });
        const run = await runScram(`${mechanism}-PLUS`, ctx, {
          username: "juliet",
          password: USERS.juliet,
          channelBinding: { type, data: cb.data.get(type)! },
        });
        assert.equal(run.result.kind, "success");
        assert.equal(run.result.kind === "success" && run.result.username, "juliet");
        assert.equal(run.verified, true);
      });
    }
  }

  it("handles usernames that need saslname escaping", async () => {
    const run = await runScram("SCRAM-SHA-256", memoryContext(USERS), {
      username: "a,b=c",
      password: USERS["a,b=c"],
    });
    assert.equal(run.result.kind === "success" && run.result.username, "a,b=c");
  });

  it("sends an empty challenge when there is no initial response", async () => {
    const server = createSaslServer("SCRAM-SHA-256", memoryContext(USERS))!;
    assert.deepEqual(await server.step(null), { kind: "challenge", data: Buffer.alloc(0) });
    const client = createScramClient("SCRAM-SHA-256", {
      username: "juliet",
      password: USERS.juliet,
    });
    const first = await server.step(client.first());
    assert.equal(first.kind, "challenge");
    const final = await server.step(
      client.final(first.kind === "challenge" ? first.data : Buffer.alloc(0)),
    );
    assert.equal(final.kind, "success");
  });

  it("looks up the username returned by prepUsername", async () => {
    const ctx = memoryContext(USERS, { prepUsername: (s) => s.toLowerCase() });
    const run = await runScram("SCRAM-SHA-1", ctx, { username: "JULIET", password: USERS.juliet });
    assert.equal(run.result.kind === "success" && run.result.username, "juliet");
  });

  it("generates server nonces of at least 18 random bytes that extend the client nonce", async () => {
    const ctx = memoryContext(USERS);
    const server = createSaslServer("SCRAM-SHA-256", ctx)!;
    const step = await server.step(Buffer.from("n,,n=juliet,r=clientnonce"));
    assert.equal(step.kind, "challenge");
    const nonce = /^r=clientnonce([^,]+),/.exec(
      step.kind === "challenge" ? step.data.toString() : "",
    );
    assert.ok(nonce && Buffer.from(nonce[1]!, "base64").length >= 18);
  });
});

describe("failed authentication", () => {
  it("wrong password fails with not-authorized at the final step", async () => {
    const run = await runScram("SCRAM-SHA-256", memoryContext(USERS), {
      username: "juliet",
      password: "wrong",
    });
    assert.equal(run.first?.kind, "challenge");
    assert.deepEqual(run.result, {
      kind: "failure",
      condition: "not-authorized",
      text: "authentication failed",
      username: "juliet",
    });
  });

  it("unknown user looks like a known one until the same final failure", async () => {
    const ctx = memoryContext(USERS);
    const known = await runScram("SCRAM-SHA-256", ctx, { username: "juliet", password: "x" });
    const unknown = await runScram("SCRAM-SHA-256", ctx, { username: "romeo", password: "x" });
    const again = await runScram("SCRAM-SHA-256", ctx, { username: "romeo", password: "y" });
    const shape = /^r=[\x21-\x2B\x2D-\x7E]+,s=([A-Za-z0-9+/=]+),i=4096$/;
    const text = (s: typeof known.first) => (s?.kind === "challenge" ? s.data.toString() : "");
    const knownSalt = shape.exec(text(known.first))?.[1];
    const unknownSalt = shape.exec(text(unknown.first))?.[1];
    assert.ok(knownSalt && unknownSalt);
    assert.equal(
      Buffer.from(knownSalt, "base64").length,
      Buffer.from(unknownSalt, "base64").length,
    );
    assert.equal(shape.exec(text(again.first))?.[1], unknownSalt, "fake salt is stable");
    assert.deepEqual(unknown.result, { ...known.result, username: "romeo" });
  });

  it("a username rejected by prepUsername fails the same way, without a lookup", async () => {
    const ctx = memoryContext(USERS, { prepUsername: (s) => (s === "bad" ? null : s) });
    const run = await runScram("SCRAM-SHA-1", ctx, { username: "bad", password: "x" });
    assert.equal(run.first?.kind, "challenge");
    assert.deepEqual(run.result, {
      kind: "failure",
      condition: "not-authorized",
      text: "authentication failed",
    });
    assert.deepEqual(ctx.lookups, []);
  });

  it("a failing credential store gives temporary-auth-failure", async () => {
    const ctx = memoryContext(USERS, {
      lookup: async () => {
        throw new Error("db down");
      },
    });
    const run = await runScram("SCRAM-SHA-256", ctx, { username: "juliet", password: "x" });
    assert.equal(run.result.kind === "failure" && run.result.condition, "temporary-auth-failure");
  });
});

describe("authorization identity (a=)", () => {
  const opts = { username: "juliet", password: USERS.juliet };

  it("equal to the authenticated user is allowed and reported", async () => {
    const run = await runScram("SCRAM-SHA-256", memoryContext(USERS), {
      ...opts,
      authzid: "juliet",
    });
    assert.deepEqual(run.result.kind === "success" && run.result.authzid, "juliet");
    assert.equal(run.verified, true);
  });

  it("different from the authenticated user fails with invalid-authzid", async () => {
    const run = await runScram("SCRAM-SHA-256", memoryContext(USERS), {
      ...opts,
      authzid: "romeo",
    });
    assert.equal(run.result.kind === "failure" && run.result.condition, "invalid-authzid");
  });

  it("is only judged after the proof: a wrong password stays not-authorized", async () => {
    const run = await runScram("SCRAM-SHA-256", memoryContext(USERS), {
      ...opts,
      password: "wrong",
      authzid: "romeo",
    });
    assert.equal(run.result.kind === "failure" && run.result.condition, "not-authorized");
  });

  it("ctx.authorize can allow the user's bare JID", async () => {
    const ctx = memoryContext(USERS, { authorize: (u, a) => a === u || a === `${u}@example.com` });
    const run = await runScram("SCRAM-SHA-1", ctx, { ...opts, authzid: "juliet@example.com" });
    assert.equal(run.result.kind === "success" && run.result.authzid, "juliet@example.com");
  });
});

describe("makeFakeSalt", () => {
  it("is deterministic per secret, hash and username, and 16 bytes long", () => {
    const a = makeFakeSalt(Buffer.alloc(32, 1));
    const b = makeFakeSalt(Buffer.alloc(32, 2));
    assert.deepEqual(a("romeo", "sha256"), a("romeo", "sha256"));
    assert.equal(a("romeo", "sha256").length, 16);
    assert.notDeepEqual(a("romeo", "sha256"), a("romeo", "sha1"));
    assert.notDeepEqual(a("romeo", "sha256"), a("romeo2", "sha256"));
    assert.notDeepEqual(a("romeo", "sha256"), b("romeo", "sha256"));
  });

  it("refuses a short server secret", () => {
    assert.throws(() => makeFakeSalt(Buffer.alloc(8)), { code: "HATO_ERR_SASL_ARGUMENT" });
  });
});
