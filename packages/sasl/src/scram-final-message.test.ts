// SCRAM client-final-message checks (RFC 5802 §5.1, §7): nonce, channel binding, proof, grammar.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScramClient } from "./client.js";
import type { SaslContext } from "./context.js";
import { assertFailure, memoryContext } from "./fixtures.js";
import { createSaslServer } from "./server.js";

const USERS = { juliet: "r0m30myr0m30" };

// Runs a valid client-first, then sends `edit(validFinal, combinedNonce)` as the final message.
async function tamperFinal(
  edit: (final: string, nonce: string) => string | Buffer,
  mechanism = "SCRAM-SHA-256",
  ctx: SaslContext = memoryContext(USERS),
  channelBinding?: { type: "tls-exporter"; data: Buffer },
) {
  const server = createSaslServer(mechanism, ctx)!;
  const client = createScramClient(mechanism, {
    username: "juliet",
    password: USERS.juliet,
    ...(channelBinding ? { channelBinding } : {}),
  });
  const first = await server.step(client.first());
  assert.equal(first.kind, "challenge");
  const serverFirst = first.kind === "challenge" ? first.data : Buffer.alloc(0);
  const nonce = /^r=([^,]+)/.exec(serverFirst.toString())![1]!;
  const good = client.final(serverFirst).toString();
  const edited = edit(good, nonce);
  return server.step(typeof edited === "string" ? Buffer.from(edited) : edited);
}

describe("client-final-message is rejected when", () => {
  const proofOf = (f: string) => f.slice(f.lastIndexOf(",p=") + 3);

  it("the nonce differs from the combined nonce", async () => {
    const step = await tamperFinal((f, n) => f.replace(`r=${n}`, `r=${n}x`));
    assertFailure(step, "not-authorized", /nonce does not match/);
  });
  it("c= is not base64(gs2-header) exactly", async () => {
    assertFailure(
      await tamperFinal((f) => f.replace("c=biws", "c=eSws")),
      "not-authorized",
      /channel binding/,
    );
  });
  it("c= carries channel binding data of another connection", async () => {
    const ctx = memoryContext(USERS);
    const step = await tamperFinal((f) => f, "SCRAM-SHA-256-PLUS", ctx, {
      type: "tls-exporter",
      data: Buffer.alloc(32, 9),
    });
    assertFailure(step, "not-authorized", /channel binding data does not match/);
  });
  it("the proof is wrong", async () => {
    const step = await tamperFinal((f) => {
      const proof = Buffer.from(proofOf(f), "base64");
      proof[0]! ^= 1;
      return f.replace(proofOf(f), proof.toString("base64"));
    });
    assertFailure(step, "not-authorized", /^authentication failed$/);
  });
  it("the proof is missing", async () => {
    assertFailure(
      await tamperFinal((f) => f.slice(0, f.lastIndexOf(","))),
      "malformed-request",
      /proof/,
    );
  });
  it("attributes are out of order", async () => {
    const step = await tamperFinal((f) => {
      const [c, r, p] = f.split(",");
      return [r, c, p].join(",");
    });
    assertFailure(step, "malformed-request", /must start with channel binding/);
  });
  it("an extension precedes the proof", async () => {
    const step = await tamperFinal((f) => f.replace(",p=", ",x=1,p="));
    assertFailure(step, "malformed-request", /extension attributes are not supported/);
  });
  it("a mandatory extension precedes the proof", async () => {
    const step = await tamperFinal((f) => f.replace(",p=", ",m=1,p="));
    assertFailure(step, "malformed-request", /mandatory extension/);
  });
  it("the proof is not base64", async () => {
    assertFailure(
      await tamperFinal((f) => f.replace(proofOf(f), "!!!!")),
      "malformed-request",
      /base64/,
    );
  });
  it("the proof is non-canonical base64", async () => {
    // "QR==" decodes like "QQ==" but has non-zero padding bits.
    assertFailure(
      await tamperFinal((f) => f.replace(proofOf(f), "QR==")),
      "malformed-request",
      /base64/,
    );
  });
  it("the proof has the wrong length", async () => {
    const step = await tamperFinal((f) =>
      f.replace(proofOf(f), Buffer.alloc(20).toString("base64")),
    );
    assertFailure(step, "malformed-request", /wrong length/);
  });
  it("c= is not base64", async () => {
    assertFailure(
      await tamperFinal((f) => f.replace("c=biws", "c=b-ws")),
      "malformed-request",
      /base64/,
    );
  });
  it("it is not UTF-8", async () => {
    assertFailure(await tamperFinal(() => Buffer.from([0xff, 0xfe])), "malformed-request", /UTF-8/);
  });
  it("it is longer than 4 KiB", async () => {
    const step = await tamperFinal((f) => f.replace(",p=", `,x=${"a".repeat(4096)},p=`));
    assertFailure(step, "malformed-request", /exceeds 4096 bytes/);
  });
  it("failures after the first step still name the user for throttling", async () => {
    const step = await tamperFinal((f) => f.replace("c=biws", "c=eSws"));
    assert.equal(step.kind === "failure" && step.username, "juliet");
  });
});
