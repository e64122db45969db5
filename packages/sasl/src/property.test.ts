// Property tests (fast-check) for SCRAM (RFC 5802) and PLAIN (RFC 4616): round trips and hostile input.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { SaslStep } from "./context.js";
import { fakeChannelBinding, memoryContext, runScram } from "./fixtures.js";
import { trySaslPrep } from "./saslprep.js";
import { createSaslServer, MECHANISMS } from "./server.js";

const username = fc
  .string({ unit: "binary", minLength: 1, maxLength: 40 })
  .filter((s) => !s.includes("\0"));
const password = fc
  .string({ unit: "binary", minLength: 1, maxLength: 40 })
  .filter((s) => trySaslPrep(s) !== null);
const scram = fc.constantFrom(...MECHANISMS.filter((m) => m !== "PLAIN"));

function assertFailureWithText(step: SaslStep) {
  assert.equal(step.kind, "failure", JSON.stringify(step));
  assert.ok(step.kind === "failure" && step.text.length > 0);
}

// Fragments of the SCRAM grammar, so random messages get past the first checks.
const fragment = fc.constantFrom(
  "n",
  "y",
  "p=tls-exporter",
  "p=tls-server-end-point",
  "p=x",
  ",",
  "=",
  "a=",
  "n=",
  "r=",
  "c=",
  "p=",
  "m=",
  "s=",
  "i=",
  "=2C",
  "=3D",
  "=4",
  "biws",
  "juliet",
  "abc",
  "\0",
  "\u00e9",
  "==",
  "AAAA",
);
const grammarish = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(""));

describe("properties", () => {
  it("random username/password pairs authenticate with every SCRAM mechanism", async () => {
    await fc.assert(
      fc.asyncProperty(username, password, scram, async (user, pass, mechanism) => {
        const cb = fakeChannelBinding();
        const ctx = memoryContext({ [user]: pass }, { channelBinding: cb, prepUsername: (s) => s });
        const type = "tls-exporter" as const;
        const run = await runScram(mechanism, ctx, {
          username: user,
          password: pass,
          ...(mechanism.endsWith("-PLUS")
            ? { channelBinding: { type, data: cb.data.get(type)! } }
            : {}),
        });
        assert.equal(run.result.kind === "success" && run.result.username, user);
        assert.equal(run.verified, true);
      }),
      { numRuns: 40 },
    );
  });

  it("random bytes as client-first-message always fail with a text", async () => {
    const ctx = memoryContext({ juliet: "pw" });
    await fc.assert(
      fc.asyncProperty(scram, fc.uint8Array({ maxLength: 300 }), async (mechanism, bytes) => {
        assertFailureWithText(await createSaslServer(mechanism, ctx)!.step(Buffer.from(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  it("grammar-shaped strings never throw and end in a failure", async () => {
    const ctx = memoryContext({ juliet: "pw" });
    await fc.assert(
      fc.asyncProperty(scram, grammarish, grammarish, async (mechanism, first, final) => {
        const server = createSaslServer(mechanism, ctx)!;
        const a = await server.step(Buffer.from(first));
        if (a.kind === "challenge") assertFailureWithText(await server.step(Buffer.from(final)));
        else assertFailureWithText(a);
      }),
      { numRuns: 500 },
    );
  });

  it("random bytes as client-final-message always fail with a text", async () => {
    const ctx = memoryContext({ juliet: "pw" });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const server = createSaslServer("SCRAM-SHA-256", ctx)!;
        assert.equal((await server.step(Buffer.from("n,,n=juliet,r=abc"))).kind, "challenge");
        assertFailureWithText(await server.step(Buffer.from(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes as a PLAIN message always fail with a text", async () => {
    const ctx = memoryContext({ juliet: "pw" });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), async (bytes) => {
        assertFailureWithText(await createSaslServer("PLAIN", ctx)!.step(Buffer.from(bytes)));
      }),
      { numRuns: 200 },
    );
  });
});
