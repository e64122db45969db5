// SCRAM server hardening (RFC 5802 §5-§7, §9): GS2 header, downgrade, grammar, single use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScramClient } from "./client.js";
import type { SaslContext, SaslStep } from "./context.js";
import { fakeChannelBinding, feed, memoryContext } from "./fixtures.js";
import { createSaslServer, MECHANISMS } from "./server.js";

const USERS = { juliet: "r0m30myr0m30" };

function assertFailure(step: SaslStep | undefined, condition: string, text: RegExp) {
  assert.equal(step?.kind, "failure", `expected a failure, got ${JSON.stringify(step)}`);
  if (step?.kind !== "failure") return;
  assert.equal(step.condition, condition, step.text);
  assert.match(step.text, text);
}

describe("client-first-message is rejected when", () => {
  const cases: [string, string, string | Buffer, string, RegExp][] = [
    [
      "PLUS mechanism with n",
      "SCRAM-SHA-256-PLUS",
      "n,,n=juliet,r=abc",
      "malformed-request",
      /requires channel binding/,
    ],
    [
      "PLUS mechanism with y",
      "SCRAM-SHA-1-PLUS",
      "y,,n=juliet,r=abc",
      "malformed-request",
      /requires channel binding/,
    ],
    [
      "y although -PLUS was offered (downgrade)",
      "SCRAM-SHA-256",
      "y,,n=juliet,r=abc",
      "not-authorized",
      /downgrade/,
    ],
    [
      "p= with a non-PLUS mechanism",
      "SCRAM-SHA-256",
      "p=tls-exporter,,n=juliet,r=abc",
      "malformed-request",
      /-PLUS/,
    ],
    [
      "p= with a type the server lacks",
      "SCRAM-SHA-256-PLUS",
      "p=tls-unique,,n=juliet,r=abc",
      "malformed-request",
      /unsupported channel binding type tls-unique/,
    ],
    [
      "bad channel binding flag",
      "SCRAM-SHA-256",
      "x,,n=juliet,r=abc",
      "malformed-request",
      /channel binding flag/,
    ],
    [
      "GS2 header without its second comma",
      "SCRAM-SHA-256",
      "n,n=juliet",
      "malformed-request",
      /GS2 header/,
    ],
    [
      "authzid not written as a=",
      "SCRAM-SHA-256",
      "n,b=juliet,n=juliet,r=abc",
      "malformed-request",
      /authzid/,
    ],
    [
      "authzid with a bad escape",
      "SCRAM-SHA-256",
      "n,a=jul=41iet,n=juliet,r=abc",
      "malformed-request",
      /authzid/,
    ],
    [
      "mandatory extension m=",
      "SCRAM-SHA-256",
      "n,,m=x,n=juliet,r=abc",
      "malformed-request",
      /mandatory extension/,
    ],
    [
      "attributes out of order",
      "SCRAM-SHA-256",
      "n,,r=abc,n=juliet",
      "malformed-request",
      /start with the username/,
    ],
    ["nonce missing", "SCRAM-SHA-256", "n,,n=juliet", "malformed-request", /nonce/],
    [
      "nonce empty",
      "SCRAM-SHA-256",
      "n,,n=juliet,r=",
      "malformed-request",
      /nonce must be printable/,
    ],
    [
      "nonce not printable",
      "SCRAM-SHA-256",
      "n,,n=juliet,r=ab\u00e9",
      "malformed-request",
      /nonce must be printable/,
    ],
    [
      "an extension follows the nonce",
      "SCRAM-SHA-256",
      "n,,n=juliet,r=abc,x=1",
      "malformed-request",
      /extension/,
    ],
    [
      "username escape other than =2C/=3D",
      "SCRAM-SHA-256",
      "n,,n=jul=41iet,r=abc",
      "malformed-request",
      /saslname/,
    ],
    ["username with a bare =", "SCRAM-SHA-256", "n,,n=a=b,r=abc", "malformed-request", /saslname/],
    ["username empty", "SCRAM-SHA-256", "n,,n=,r=abc", "malformed-request", /saslname/],
    [
      "not UTF-8",
      "SCRAM-SHA-256",
      Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xc3, 0x28]),
      "malformed-request",
      /UTF-8/,
    ],
    ["it contains NUL", "SCRAM-SHA-256", "n,,n=jul\0iet,r=abc", "malformed-request", /NUL/],
    [
      "it is longer than 4 KiB",
      "SCRAM-SHA-256",
      `n,,n=juliet,r=${"a".repeat(4096)}`,
      "malformed-request",
      /exceeds 4096 bytes/,
    ],
    ["it is empty", "SCRAM-SHA-256", "", "malformed-request", /empty/],
  ];
  for (const [name, mechanism, message, condition, text] of cases) {
    it(name, async () => {
      const server = createSaslServer(mechanism, memoryContext(USERS))!;
      assertFailure(await server.step(Buffer.from(message)), condition, text);
    });
  }

  it("PLUS with a supported type but no channel binding on this stream", async () => {
    const ctx = memoryContext(USERS, { channelBinding: undefined });
    const [step] = await feed("SCRAM-SHA-256-PLUS", ctx, "p=tls-exporter,,n=juliet,r=abc");
    assertFailure(step, "malformed-request", /unsupported channel binding type/);
  });

  it("p= names a type this connection does not provide", async () => {
    const ctx = memoryContext(USERS, {
      channelBinding: fakeChannelBinding(["tls-server-end-point"]),
    });
    const [step] = await feed("SCRAM-SHA-256-PLUS", ctx, "p=tls-exporter,,n=juliet,r=abc");
    assertFailure(step, "malformed-request", /unsupported channel binding type/);
  });
});

describe("channel binding flags that are accepted", () => {
  it("y when no -PLUS mechanism was offered", async () => {
    const ctx = memoryContext(USERS, { mechanismsOffered: ["SCRAM-SHA-256", "SCRAM-SHA-1"] });
    const [step] = await feed("SCRAM-SHA-256", ctx, "y,,n=juliet,r=abc");
    assert.equal(step?.kind, "challenge");
  });

  it("n even when -PLUS was offered (client without channel binding)", async () => {
    const [step] = await feed("SCRAM-SHA-256", memoryContext(USERS), "n,,n=juliet,r=abc");
    assert.equal(step?.kind, "challenge");
  });
});

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
