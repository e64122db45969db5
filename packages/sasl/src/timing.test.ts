// SCRAM anti-enumeration (RFC 5802 §9): unknown users cost the same crypto work, compared in constant time.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { describe, it, mock } from "node:test";
import { createScramClient, plainResponse } from "./client.js";
import type { SaslStep } from "./context.js";
import { memoryContext } from "./fixtures.js";
import { createSaslServer } from "./server.js";

const USERS = { juliet: "r0m30myr0m30" };
const SPIED = ["createHmac", "createHash", "timingSafeEqual", "pbkdf2"] as const;

// Counts node:crypto calls made while `run` executes (named imports follow via syncBuiltinESMExports).
async function countCrypto(run: () => Promise<SaslStep>) {
  const spies = SPIED.map((name) => mock.method(crypto, name));
  syncBuiltinESMExports();
  try {
    const result = await run();
    const calls = Object.fromEntries(SPIED.map((name, i) => [name, spies[i]!.mock.callCount()]));
    const equalArgs = spies[2]!.mock.calls.map((c) => (c.arguments[0] as Buffer).length);
    return { result, calls, equalArgs };
  } finally {
    mock.restoreAll();
    syncBuiltinESMExports();
  }
}

async function scramFinalWork(username: string, password: string) {
  const server = createSaslServer("SCRAM-SHA-256", memoryContext(USERS))!;
  const client = createScramClient("SCRAM-SHA-256", { username, password });
  const first = await server.step(client.first());
  assert.equal(first.kind, "challenge");
  const final = client.final(first.kind === "challenge" ? first.data : Buffer.alloc(0));
  return countCrypto(() => server.step(final));
}

describe("timing class of failures", () => {
  it("SCRAM: unknown user and wrong password do the same final-step work", async () => {
    const wrong = await scramFinalWork("juliet", "wrong");
    const unknown = await scramFinalWork("romeo", "wrong");
    assert.equal(wrong.result.kind === "failure" && wrong.result.condition, "not-authorized");
    assert.deepEqual(unknown.calls, wrong.calls);
    assert.deepEqual(unknown.equalArgs, wrong.equalArgs);
  });

  it("SCRAM: the proof is checked with timingSafeEqual on a full StoredKey", async () => {
    const ok = await scramFinalWork("juliet", USERS.juliet);
    assert.equal(ok.result.kind, "success");
    assert.ok(ok.equalArgs.includes(32), `timingSafeEqual lengths: ${ok.equalArgs}`);
  });

  it("PLAIN: unknown user and wrong password both run PBKDF2 and compare in constant time", async () => {
    const ctx = memoryContext(USERS);
    const plain = (user: string) =>
      countCrypto(() => createSaslServer("PLAIN", ctx)!.step(plainResponse(user, "wrong")));
    const wrong = await plain("juliet");
    const unknown = await plain("romeo");
    assert.equal(wrong.calls["pbkdf2"], 1);
    assert.equal(unknown.calls["pbkdf2"], 1);
    assert.ok(wrong.calls["timingSafeEqual"]! >= 1);
  });
});
