// The web client's sending rules for end-to-end encryption (packages/web/src/state/e2ee.ts),
// over a stand-in client: encrypted by default, nothing sent when encryption fails, plain
// text only after the user's explicit choice for that chat, never under `encryption: required`,
// and messages sent in the order they were written.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type HatoClient, OmemoError, type PolicyLine } from "@hato/sdk";
import { E2ee, encryptionRequired } from "@hato/web/state/e2ee.js";

const REQUIRED: PolicyLine[] = [
  {
    rule: "encryption",
    text: "1:1 messages must be end-to-end encrypted (OMEMO); plaintext ones are refused",
  },
];
const OPTIONAL: PolicyLine[] = [{ rule: "encryption", text: "end-to-end encryption is optional" }];

/** A stand-in HatoClient: `devices` per peer; peers in `noOmemo` make sendEncrypted fail. */
function world(o: { devices?: Record<string, number[]>; slow?: string } = {}) {
  const wire: string[] = [];
  const noOmemo = (peer: string) => (o.devices?.[peer] ?? []).length === 0;
  const client = {
    omemo: { deviceId: 1, devices: async (peer: string) => o.devices?.[peer] ?? [] },
    send: (peer: string, body: string) => void wire.push(`plain ${peer} ${body}`),
    correct: (peer: string, id: string, body: string) =>
      void wire.push(`plain-correct ${peer} ${id} ${body}`),
    sendEncrypted: async (peer: string, body: string) => {
      if (body === o.slow) await new Promise((r) => setTimeout(r, 30));
      if (noOmemo(peer))
        throw new OmemoError(`cannot encrypt to ${peer}: no trusted OMEMO device`, []);
      wire.push(`omemo ${peer} ${body}`);
    },
    correctEncrypted: async (peer: string, id: string, body: string) => {
      if (noOmemo(peer)) throw new OmemoError("cannot encrypt", []);
      wire.push(`omemo-correct ${peer} ${id} ${body}`);
    },
    repairOmemo: async (peer: string) => void wire.push(`repair ${peer}`),
  };
  const host = {
    client: client as unknown as HatoClient,
    policy: undefined as PolicyLine[] | undefined,
    changes: 0,
    errors: [] as string[],
    changed() {
      host.changes++;
    },
    error(text: string) {
      host.errors.push(text);
    },
  };
  return { wire, host, e2ee: new E2ee(host) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("the policy line decides whether encryption is required", () => {
  assert.equal(encryptionRequired(REQUIRED), true);
  assert.equal(encryptionRequired(OPTIONAL), false);
  assert.equal(encryptionRequired(undefined), false);
  assert.equal(encryptionRequired([{ rule: "files", text: "must be scanned" }]), false);
});

test("a peer with OMEMO: encrypted, the state says so, corrections too", async () => {
  const { wire, e2ee } = world({ devices: { "bob@x": [7] } });
  assert.equal(e2ee.of("bob@x").state, "checking");
  await settle();
  await settle();
  assert.equal(e2ee.of("bob@x").state, "on");
  assert.equal(await e2ee.send("bob@x", "hi"), true);
  assert.equal(await e2ee.correct("bob@x", "m1", "hello"), true);
  assert.deepEqual(wire, ["omemo bob@x hi", "omemo-correct bob@x m1 hello"]);
});

test("a peer without OMEMO: nothing sent until the explicit choice, which is per chat", async () => {
  const { wire, e2ee } = world({ devices: { "bob@x": [7] } });
  assert.equal(await e2ee.send("carol@x", "secret"), false);
  assert.equal(e2ee.of("carol@x").state, "unavailable");
  assert.equal(e2ee.of("carol@x").noDevice, true);
  assert.deepEqual(wire, []);
  e2ee.allowPlain("carol@x");
  assert.equal(e2ee.of("carol@x").state, "off");
  assert.equal(await e2ee.send("carol@x", "hello"), true);
  assert.equal(await e2ee.correct("carol@x", "m2", "hello!"), true);
  assert.equal(await e2ee.send("bob@x", "still sealed"), true);
  assert.deepEqual(wire, [
    "plain carol@x hello",
    "plain-correct carol@x m2 hello!",
    "omemo bob@x still sealed",
  ]);
  e2ee.encryptAgain("carol@x");
  assert.equal(await e2ee.send("carol@x", "again"), false);
  assert.equal(wire.length, 3);
});

test("under encryption: required there is no plain text, whatever was chosen before", async () => {
  const { wire, host, e2ee } = world();
  e2ee.allowPlain("carol@x");
  assert.equal(e2ee.of("carol@x").state, "off");
  host.policy = REQUIRED;
  assert.equal(e2ee.required, true);
  assert.equal(e2ee.of("carol@x").state, "checking", "the earlier choice is void");
  e2ee.allowPlain("carol@x");
  assert.notEqual(e2ee.of("carol@x").state, "off", "and cannot be made again");
  assert.equal(await e2ee.send("carol@x", "secret"), false);
  assert.equal(await e2ee.correct("carol@x", "m1", "secret"), false);
  assert.deepEqual(wire, []);
  host.policy = OPTIONAL;
  assert.equal(e2ee.required, false);
});

test("messages go out in the order they were written, even when one encrypts slowly", async () => {
  const { wire, e2ee } = world({ devices: { "bob@x": [7] }, slow: "first" });
  const sent = [e2ee.send("bob@x", "first"), e2ee.send("bob@x", "second")];
  assert.deepEqual(await Promise.all(sent), [true, true]);
  assert.deepEqual(wire, ["omemo bob@x first", "omemo bob@x second"]);
});

test("Fix session repairs, and only messages that failed live offer it", async () => {
  const { wire, e2ee } = world({ devices: { "dave@x": [3] } });
  const failed = {
    id: "f1",
    peer: "dave@x",
    outgoing: false,
    body: "",
    time: new Date(),
    encryption: "failed" as const,
    problem: "Bad MAC",
  };
  assert.equal(e2ee.canFix(failed), false, "an archived failure is not fixable here");
  e2ee.seen(failed);
  assert.equal(e2ee.canFix(failed), true);
  assert.equal(e2ee.canFix({ ...failed, encryption: "omemo" }), false);
  await e2ee.repair("dave@x");
  assert.equal(e2ee.of("dave@x").repair, "done");
  assert.deepEqual(wire, ["repair dave@x"]);
});

test("when our own device is not set up, the chat says so instead of blaming the peer", async () => {
  const { e2ee, host } = world({ devices: { "bob@x": [7] } });
  const client = host.client as unknown as {
    omemo: { deviceId: number | undefined };
    sendEncrypted: () => Promise<void>;
  };
  client.omemo.deviceId = undefined;
  client.sendEncrypted = async () => {
    throw new OmemoError("OMEMO is not set up on this device yet", []);
  };
  assert.equal(await e2ee.send("bob@x", "hi"), false);
  const c = e2ee.of("bob@x");
  assert.equal(c.state, "unavailable");
  assert.equal(c.noDevice, undefined);
  assert.match(c.problem ?? "", /not set up on this device/);
});
