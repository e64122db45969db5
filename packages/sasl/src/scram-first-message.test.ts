// SCRAM client-first-message checks (RFC 5802 §5.1, §6, §7): GS2 header, downgrade, grammar.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertFailure, fakeChannelBinding, feed, memoryContext } from "./fixtures.js";
import { createSaslServer } from "./server.js";

const USERS = { juliet: "r0m30myr0m30" };

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
