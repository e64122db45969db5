// SASL exchange lifecycle (RFC 6120 §6.4, RFC 4422 §3): step order, single use, mechanism choice.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScramClient } from "./client.js";
import type { SaslContext } from "./context.js";
import { assertFailure, feed, memoryContext } from "./fixtures.js";
import { createSaslServer, MECHANISMS } from "./server.js";

const USERS = { juliet: "r0m30myr0m30" };

describe("step order and single use", () => {
  it("steps after success fail", async () => {
    const server = createSaslServer("SCRAM-SHA-256", memoryContext(USERS))!;
    const client = createScramClient("SCRAM-SHA-256", {
      username: "juliet",
      password: USERS.juliet,
    });
    const first = await server.step(client.first());
    const final = await server.step(
      client.final(first.kind === "challenge" ? first.data : Buffer.alloc(0)),
    );
    assert.equal(final.kind, "success");
    assertFailure(
      await server.step(Buffer.from("c=biws")),
      "malformed-request",
      /already finished/,
    );
    assertFailure(await server.step(null), "malformed-request", /already finished/);
  });
  it("steps after a failure fail", async () => {
    const [first, second] = await feed(
      "SCRAM-SHA-256",
      memoryContext(USERS),
      "bogus",
      "n,,n=juliet,r=a",
    );
    assertFailure(first, "malformed-request", /GS2 header/);
    assertFailure(second, "malformed-request", /already finished/);
  });
  it("a null response is only valid first", async () => {
    const server = createSaslServer("SCRAM-SHA-1", memoryContext(USERS))!;
    assert.equal((await server.step(null)).kind, "challenge");
    assertFailure(await server.step(null), "malformed-request", /empty response/);
  });
  it("a null response in place of client-final-message fails", async () => {
    const server = createSaslServer("SCRAM-SHA-1", memoryContext(USERS))!;
    assert.equal((await server.step(Buffer.from("n,,n=juliet,r=abc"))).kind, "challenge");
    assertFailure(await server.step(null), "malformed-request", /empty response/);
  });
  it("a second step while the first is pending fails", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const base = memoryContext(USERS);
    const lookup: SaslContext["lookup"] = async (u, h) => {
      await gate;
      return base.lookup(u, h);
    };
    const ctx = memoryContext(USERS, { lookup });
    const server = createSaslServer("SCRAM-SHA-256", ctx)!;
    const pending = server.step(Buffer.from("n,,n=juliet,r=abc"));
    assertFailure(await server.step(Buffer.from("c=biws")), "malformed-request", /in progress/);
    release();
    assert.equal((await pending).kind, "challenge");
  });
  it("a mechanism that was not offered fails with invalid-mechanism", async () => {
    const ctx = memoryContext(USERS, { mechanismsOffered: ["SCRAM-SHA-1"] });
    const [step] = await feed("SCRAM-SHA-256", ctx, "n,,n=juliet,r=abc");
    assertFailure(step, "invalid-mechanism", /not offered/);
  });
  it("unknown mechanisms have no server; names are case-sensitive", () => {
    assert.equal(createSaslServer("DIGEST-MD5", memoryContext(USERS)), undefined);
    assert.equal(createSaslServer("scram-sha-1", memoryContext(USERS)), undefined);
    for (const m of MECHANISMS) assert.ok(createSaslServer(m, memoryContext(USERS)));
  });
});
