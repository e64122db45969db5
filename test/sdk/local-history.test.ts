// History survives encryption: the client keeps the text of what it decrypted and sent (the
// archive holds only OMEMO ciphertext) and history pages take it from there, never from the
// ratchet. A restarted client reads its encrypted history; a new device says plainly that
// older encrypted history is not available to it.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type ChatMessage,
  ENCRYPTED_BEFORE_DEVICE,
  ENCRYPTED_HISTORY,
  type HatoClient,
  MemoryHistoryStore,
  MemoryOmemoStore,
} from "@hato/sdk";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

let world: SdkWorld;
const omemo = {
  alice: new MemoryOmemoStore(),
  bob: new MemoryOmemoStore(),
  bob2: new MemoryOmemoStore(),
};
const kept = {
  alice: new MemoryHistoryStore(),
  bob: new MemoryHistoryStore(),
  bob2: new MemoryHistoryStore(),
};
let alice: HatoClient;
let bob: HatoClient;

before(async () => {
  world = await sdkWorld(["alice", "bob"]);
  alice = world.client("alice", { omemo: omemo.alice, history: kept.alice });
  bob = world.client("bob", { omemo: omemo.bob, history: kept.bob });
  await alice.connect();
  await bob.connect();
  await befriend(alice, bob);
});
after(() => world.stop());

const incoming = (c: HatoClient, peer: string, body: string) =>
  nextEvent(c, "message", (m) => m.peer === peer && !m.outgoing && m.body === body).then(
    ([m]) => m,
  );

/** Waits until `store` keeps `body` (it is written right after the message event). */
async function keeps(store: MemoryHistoryStore, peer: string, body: string): Promise<void> {
  while (!(await store.list(peer)).some((r) => r.body === body))
    await new Promise((r) => setTimeout(r, 10));
}

/** Counts calls to the client's OMEMO decrypt and cannotDecrypt events while `run` runs. */
async function withoutDecrypting<T>(c: HatoClient, run: () => Promise<T>): Promise<T> {
  const o = c.omemo!;
  const real = o.decrypt;
  let calls = 0;
  o.decrypt = (...args) => {
    calls++;
    return real.apply(o, args);
  };
  const refused: string[] = [];
  const off = c.on("cannotDecrypt", (_p, reason) => refused.push(reason));
  try {
    const out = await run();
    assert.equal(calls, 0, "no archived message went to the ratchet");
    assert.deepEqual(refused, [], "no replay reported");
    return out;
  } finally {
    o.decrypt = real;
    off();
  }
}

const texts = (ms: ChatMessage[]) => ms.map((m) => `${m.outgoing ? ">" : "<"} ${m.body}`);

/** The conversation as bob sees it (alice sees the arrows the other way). */
const CONVERSATION = [
  "< the eagle lands at dawn",
  "> the owl replies at dusk",
  "< a third, on the ratchet",
  "> from bob's second device",
  "< while bob was away",
];

test("an encrypted conversation is kept locally: each message once", async () => {
  const bob2 = world.client("bob", { omemo: omemo.bob2, history: kept.bob2, resource: "two" });
  await bob2.connect();
  let got = incoming(bob, alice.jid, "the eagle lands at dawn");
  await alice.sendEncrypted(bob.jid, "the eagle lands at dawn");
  await got;
  got = incoming(alice, bob.jid, "the owl replies at dusk");
  await bob.sendEncrypted(alice.jid, "the owl replies at dusk");
  await got;
  got = incoming(bob, alice.jid, "a third, on the ratchet");
  await alice.sendEncrypted(bob.jid, "a third, on the ratchet");
  await got;
  // Sent by bob's other device: bob's first device keeps the carbon as its own message.
  const carbon = nextEvent(bob, "message", (m) => m.outgoing && m.body.startsWith("from bob's"));
  got = incoming(alice, bob.jid, "from bob's second device");
  await bob2.sendEncrypted(alice.jid, "from bob's second device");
  await Promise.all([got, carbon]);
  await keeps(kept.bob, alice.jid, "from bob's second device");
  await bob2.disconnect();
  // Sent while bob is offline: delivered live at the next login, and archived too.
  await bob.disconnect();
  await alice.sendEncrypted(bob.jid, "while bob was away");

  const records = await kept.bob.list(alice.jid);
  assert.deepEqual(
    records.map((r) => `${r.outgoing ? ">" : "<"} ${r.body}`),
    CONVERSATION.slice(0, 4),
  );
  assert.ok(
    records.filter((r) => !r.outgoing).every((r) => r.stanzaId !== undefined),
    "incoming messages are kept with our server's stanza-id",
  );
  assert.ok(records.filter((r) => r.outgoing).every((r) => r.originId === r.id));
  assert.deepEqual(
    (await kept.alice.list(bob.jid)).map((r) => r.body).sort(),
    CONVERSATION.map((t) => t.slice(2)).sort(),
    "alice keeps what she sent and what she decrypted",
  );
});

test("restarted with the same stores, history shows the decrypted texts in order, once", async () => {
  bob = world.client("bob", { omemo: omemo.bob, history: kept.bob });
  const away = incoming(bob, alice.jid, "while bob was away");
  await bob.connect();
  await away;
  await keeps(kept.bob, alice.jid, "while bob was away");
  // Alice's plain message sits between the encrypted ones in the archive.
  const plain = incoming(bob, alice.jid, "plain words");
  alice.send(bob.jid, "plain words");
  await plain;

  const page = await withoutDecrypting(bob, () => bob.history(alice.jid, { max: 50 }));
  assert.deepEqual(texts(page.messages), [...CONVERSATION, "< plain words"]);
  assert.deepEqual(
    page.messages.map((m) => m.encryption),
    [...CONVERSATION.map(() => "omemo"), undefined],
  );
  assert.ok(!page.messages.some((m) => m.body.includes("conversations.im/omemo")));
  // The live copy and the archived copy of "while bob was away" are one record.
  const records = await kept.bob.list(alice.jid);
  assert.equal(records.length, CONVERSATION.length);
  assert.equal(new Set(records.map((r) => r.body)).size, records.length);
  assert.ok(
    records.every((r) => r.stanzaId !== undefined),
    "our own messages learnt their stanza-id from the archive page",
  );
  // The same page again (a reload of the view) finds each text by its stanza-id.
  const again = await withoutDecrypting(bob, () => bob.history(alice.jid, { max: 50 }));
  assert.deepEqual(texts(again.messages), texts(page.messages));
  assert.equal((await kept.bob.list(alice.jid)).length, CONVERSATION.length);

  // Alice, restarted too, reads everything she sent and decrypted.
  await alice.disconnect();
  alice = world.client("alice", { omemo: omemo.alice, history: kept.alice });
  await alice.connect();
  const hers = await withoutDecrypting(alice, () => alice.history(bob.jid, { max: 50 }));
  assert.deepEqual(
    texts(hers.messages),
    [...CONVERSATION, "< plain words"].map((t) =>
      t[0] === ">" ? `<${t.slice(1)}` : `>${t.slice(1)}`,
    ),
  );
});

test("a new device of bob: older encrypted history is unavailable with the reason, new messages readable", async () => {
  const fresh = { omemo: new MemoryOmemoStore(), history: new MemoryHistoryStore() };
  const bob3 = world.client("bob", { ...fresh, resource: "three" });
  await bob3.connect();
  const got = incoming(bob3, alice.jid, "hello, new device");
  await alice.sendEncrypted(bob.jid, "hello, new device");
  await got;
  await keeps(fresh.history, alice.jid, "hello, new device");
  const atAlice = incoming(alice, bob.jid, "typed on the new device");
  await bob3.sendEncrypted(alice.jid, "typed on the new device");
  await atAlice;

  const page = await withoutDecrypting(bob3, () => bob3.history(alice.jid, { max: 50 }));
  const old = page.messages.slice(0, CONVERSATION.length);
  assert.deepEqual(
    old.map((m) => [m.body, m.encryption, m.unavailable, m.problem]),
    CONVERSATION.map(() => ["", "failed", "before-device", ENCRYPTED_BEFORE_DEVICE]),
  );
  assert.deepEqual(texts(page.messages.slice(CONVERSATION.length)), [
    "< plain words",
    "< hello, new device",
    "> typed on the new device",
  ]);
  assert.equal(page.messages.at(-1)!.encryption, "omemo");
  await bob3.disconnect();
});

test("a device that lost its local history: the messages it could read are 'not available'", async () => {
  await bob.disconnect();
  kept.bob = new MemoryHistoryStore();
  bob = world.client("bob", { omemo: omemo.bob, history: kept.bob });
  await bob.connect();
  const page = await withoutDecrypting(bob, () => bob.history(alice.jid, { max: 50 }));
  const failed = page.messages.filter((m) => m.encryption === "failed");
  // The conversation, "hello, new device" and the carbon of "typed on the new device".
  assert.equal(failed.length, CONVERSATION.length + 2);
  for (const m of failed) {
    assert.equal(m.unavailable, "not-kept", "the device existed: not a new-device notice");
    assert.equal(m.problem, ENCRYPTED_HISTORY);
    assert.equal(m.body, "");
  }
});

test("an encrypted correction is kept and applied to the archived message, on both sides", async () => {
  const first = incoming(bob, alice.jid, "teh owl");
  const sent = await alice.sendEncrypted(bob.jid, "teh owl");
  await first;
  const fixed = nextEvent(bob, "updated", (m) => m.body === "the owl");
  await alice.correctEncrypted(bob.jid, sent.id, "the owl");
  await fixed;
  await keeps(kept.bob, alice.jid, "the owl");
  for (const [who, peer, store] of [
    ["bob", alice.jid, kept.bob],
    ["alice", bob.jid, kept.alice],
  ] as const) {
    const c = who === "bob" ? bob : alice;
    await c.disconnect();
    const again = world.client(who, { omemo: omemo[who], history: store });
    await again.connect();
    if (who === "bob") bob = again;
    else alice = again;
    const page = await withoutDecrypting(again, () => again.history(peer, { max: 50 }));
    const last = page.messages.at(-1)!;
    assert.deepEqual(
      [last.body, last.corrected, last.encryption, last.unavailable],
      ["the owl", true, "omemo", undefined],
      `${who} sees the corrected text`,
    );
    assert.ok(
      !page.messages.some((m) => m.body === "teh owl" || (m.body === "" && m.id === sent.id)),
    );
  }
});

test("a copy delivered again (same stanza-id) shows its kept text; the ratchet never sees it twice", async () => {
  const { xml, parseElement, serialize } = await import("@hato/xml");
  const els = await alice.omemo!.encrypt(bob.jid, "said once");
  // As our server delivers it: from alice's full JID, stamped with bob's archive id. A session
  // that ended before bob acknowledged it gets the same stanza again (XEP-0198).
  const copy = (stanzaId: string, id = "again1") =>
    parseElement(
      serialize(
        xml(
          "message",
          { type: "chat", from: `${alice.jid}/x`, to: bob.jid, id },
          xml("body", null, "fallback"),
          ...els,
          xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: bob.jid, id: stanzaId }),
        ),
      ),
    );
  const deliver = (el: ReturnType<typeof copy>) =>
    (bob as unknown as { stanza(el: unknown): void }).stanza(el);
  const o = bob.omemo!;
  const real = o.decrypt;
  let calls = 0;
  o.decrypt = (...args) => {
    calls++;
    return real.apply(o, args);
  };
  const refused: string[] = [];
  const off = bob.on("cannotDecrypt", (_p, reason) => refused.push(reason));
  try {
    const shown = incoming(bob, alice.jid, "said once");
    deliver(copy("redelivered-1"));
    await shown;
    await keeps(kept.bob, alice.jid, "said once");
    deliver(copy("redelivered-1"));
    // A copy with another stanza-id is a new stanza with a spent key: a replay, reported.
    // (Messages are handled in order: once it is refused, the copy before it was handled.)
    const replay = nextEvent(bob, "cannotDecrypt", (_p, _r, id) => id === "again2");
    deliver(copy("redelivered-2", "again2"));
    assert.match((await replay)[1], /replay|already decrypted/);
    assert.equal(calls, 2, "the same stanza again was not decrypted");
    assert.equal(refused.length, 1);
    assert.equal((await kept.bob.list(alice.jid)).filter((r) => r.body === "said once").length, 1);
  } finally {
    o.decrypt = real;
    off();
  }
});
