// PLAIN (RFC 4616) server: message split, limits, authzid, verification over SCRAM credentials.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { plainResponse } from "./client.js";
import type { SaslStep } from "./context.js";
import { assertFailure, memoryContext } from "./fixtures.js";
import { checkScramPassword, deriveScramCredentials } from "./scram-crypto.js";
import { createSaslServer, makePlainVerifier } from "./server.js";

const USERS = { juliet: "r0m30myr0m30", spaced: "pass word" };

async function plain(message: Buffer, ctx = memoryContext(USERS)): Promise<SaslStep> {
  return createSaslServer("PLAIN", ctx)!.step(message);
}

describe("PLAIN", () => {
  it("authenticates with the right password", async () => {
    assert.deepEqual(await plain(plainResponse("juliet", USERS.juliet)), {
      kind: "success",
      username: "juliet",
    });
  });
  it("accepts an authzid equal to the authcid", async () => {
    const step = await plain(plainResponse("juliet", USERS.juliet, "juliet"));
    assert.equal(step.kind === "success" && step.authzid, "juliet");
  });
  it("refuses an authzid different from the authcid", async () => {
    const step = await plain(plainResponse("juliet", USERS.juliet, "romeo"));
    assertFailure(step, "invalid-authzid", /authzid/);
  });
  it("fails a wrong password and an unknown user identically", async () => {
    const wrong = await plain(plainResponse("juliet", "nope"));
    const unknown = await plain(plainResponse("romeo", "nope"));
    assert.deepEqual(wrong, {
      kind: "failure",
      condition: "not-authorized",
      text: "authentication failed",
      username: "juliet",
    });
    assert.deepEqual(unknown, { ...wrong, username: "romeo" });
  });
  it("applies SASLprep to the password (non-ASCII space maps to U+0020)", async () => {
    assert.equal((await plain(plainResponse("spaced", "pass\u00A0word"))).kind, "success");
  });
  it("refuses an empty password", async () => {
    assertFailure(await plain(plainResponse("juliet", "")), "malformed-request", /empty password/);
  });
  it("refuses an empty authcid", async () => {
    assertFailure(
      await plain(plainResponse("", "x")),
      "malformed-request",
      /empty authentication identity/,
    );
  });
  it("needs exactly two NUL separators", async () => {
    assertFailure(await plain(Buffer.from("juliet\0secret")), "malformed-request", /NUL/);
    assertFailure(await plain(Buffer.from("\0juliet\0sec\0ret")), "malformed-request", /NUL/);
    assertFailure(await plain(Buffer.alloc(0)), "malformed-request", /NUL/);
  });
  it("caps field and message lengths", async () => {
    assertFailure(
      await plain(plainResponse("juliet", "x".repeat(1024))),
      "malformed-request",
      /1023 bytes/,
    );
    assertFailure(await plain(Buffer.alloc(5000)), "malformed-request", /too long/);
  });
  it("refuses invalid UTF-8", async () => {
    const msg = Buffer.concat([Buffer.from("\0juliet\0"), Buffer.from([0xc0, 0x80])]);
    assertFailure(await plain(msg), "malformed-request", /UTF-8/);
  });
  it("fails with not-authorized when prepUsername rejects the authcid", async () => {
    const ctx = memoryContext(USERS, { prepUsername: () => null });
    assert.deepEqual(await plain(plainResponse("juliet", USERS.juliet), ctx), {
      kind: "failure",
      condition: "not-authorized",
      text: "authentication failed",
    });
  });
  it("passes the prepared username and the raw password to verifyPlain", async () => {
    const seen: string[][] = [];
    const ctx = memoryContext(USERS, {
      prepUsername: (s) => s.toLowerCase(),
      verifyPlain: async (u, p) => {
        seen.push([u, p]);
        return true;
      },
    });
    assert.equal((await plain(plainResponse("JULIET", "p\u00A0w"), ctx)).kind, "success");
    assert.deepEqual(seen, [["juliet", "p\u00A0w"]]);
  });
  it("maps a throwing verifyPlain to temporary-auth-failure", async () => {
    const ctx = memoryContext(USERS, {
      verifyPlain: async () => {
        throw new Error("db down");
      },
    });
    assertFailure(
      await plain(plainResponse("juliet", "x"), ctx),
      "temporary-auth-failure",
      /verification/,
    );
  });
  it("sends an empty challenge without an initial response, and is single-use", async () => {
    const server = createSaslServer("PLAIN", memoryContext(USERS))!;
    assert.deepEqual(await server.step(null), { kind: "challenge", data: Buffer.alloc(0) });
    assert.equal((await server.step(plainResponse("juliet", USERS.juliet))).kind, "success");
    assertFailure(
      await server.step(plainResponse("juliet", USERS.juliet)),
      "malformed-request",
      /finished/,
    );
  });
  it("is refused with invalid-mechanism where it was not offered (no TLS)", async () => {
    const ctx = memoryContext(USERS, { mechanismsOffered: ["SCRAM-SHA-256", "SCRAM-SHA-1"] });
    assertFailure(
      await plain(plainResponse("juliet", USERS.juliet), ctx),
      "invalid-mechanism",
      /not offered/,
    );
  });
});

describe("makePlainVerifier and checkScramPassword", () => {
  it("still runs PBKDF2 with the fake salt for unknown users", async () => {
    const salts: string[] = [];
    const verify = makePlainVerifier({
      lookup: async () => undefined,
      fakeSalt: (u) => {
        salts.push(u);
        return Buffer.alloc(16, 1);
      },
      iterations: 4096,
    });
    assert.equal(await verify("romeo", "x"), false);
    assert.deepEqual(salts, ["romeo"]);
  });
  it("checks both StoredKey and ServerKey", async () => {
    const creds = deriveScramCredentials("pencil", "sha1");
    assert.equal(await checkScramPassword("pencil", creds, "sha1"), true);
    assert.equal(
      await checkScramPassword("pencil", { ...creds, serverKey: Buffer.alloc(20) }, "sha1"),
      false,
    );
    assert.equal(await checkScramPassword("pencil", undefined, "sha1"), false);
  });
});
