// OMEMO session repair (client.repairOmemo): a session broken on one side (lost, or replaced by
// garbage) makes messages fail visibly; the repair drops it, builds a new one from the peer's
// bundle and sends a key-transport message (XEP-0384 0.3 "Key transport": keys, no payload),
// which shows no chat message; then messages flow both ways again. Encrypted corrections too.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ChatMessage, type HatoClient, MemoryOmemoStore } from "@hato/sdk";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const NS = "eu.siacs.conversations.axolotl";
let world: SdkWorld;
const stores = { alice: new MemoryOmemoStore(), bob: new MemoryOmemoStore() };
let alice: HatoClient;
let bob: HatoClient;
/** Every message event each client saw, in order. */
const seen: Record<"alice" | "bob", ChatMessage[]> = { alice: [], bob: [] };

before(async () => {
  world = await sdkWorld(["alice", "bob"]);
  alice = world.client("alice", { omemo: stores.alice });
  bob = world.client("bob", { omemo: stores.bob });
  alice.on("message", (m) => seen.alice.push(m));
  bob.on("message", (m) => seen.bob.push(m));
  await alice.connect();
  await bob.connect();
  await befriend(alice, bob);
});
after(() => world.stop());

const incoming = (c: HatoClient, peer: string, pred: (m: ChatMessage) => boolean = () => true) =>
  nextEvent(c, "message", (m) => m.peer === peer && !m.outgoing && pred(m)).then(([m]) => m);

/** Sends `text` from `a` to `b` encrypted and returns what `b` got. */
async function roundTrip(a: HatoClient, b: HatoClient, text: string): Promise<ChatMessage> {
  const got = incoming(b, a.jid, (m) => m.body === text || m.encryption === "failed");
  await a.sendEncrypted(b.jid, text);
  return got;
}

/**
 * Resolves once the session record at `address` differs from what it is now: the sign that a
 * key transport was handled (it shows no message to wait for).
 */
async function sessionChanged(store: MemoryOmemoStore, address: string): Promise<void> {
  const was = await store.loadSession(address);
  const deadline = Date.now() + 20_000;
  while ((await store.loadSession(address)) === was) {
    if (Date.now() > deadline) throw new Error(`the session ${address} never changed`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a lost session fails visibly; repairOmemo makes messages flow both ways again", async () => {
  assert.equal((await roundTrip(alice, bob, "before the break")).encryption, "omemo");
  assert.equal((await roundTrip(bob, alice, "reply before the break")).encryption, "omemo");

  // Bob loses his session with alice's device (a restored backup, a cleared store).
  const aliceDevice = (await stores.alice.loadOwn())!.deviceId;
  await stores.bob.removeSession(`alice@localhost.${aliceDevice}`);
  const broken = await roundTrip(alice, bob, "lost in the break");
  assert.equal(broken.encryption, "failed");
  assert.equal(broken.body, "");
  assert.match(broken.problem ?? "", /no session/);

  // Bob repairs: a key-transport message goes to alice, and nothing shows at alice.
  const before = seen.alice.length;
  const bobDevice = (await stores.bob.loadOwn())!.deviceId;
  const replaced = sessionChanged(stores.alice, `bob@localhost.${bobDevice}`);
  await bob.repairOmemo(alice.jid, aliceDevice);
  // Alice answers once her session was replaced by the key transport's PreKey session (a
  // message she encrypted before that is for the lost session, and fails at bob too).
  await replaced;
  assert.equal((await roundTrip(alice, bob, "after the repair")).body, "after the repair");
  assert.equal((await roundTrip(bob, alice, "and back again")).body, "and back again");
  const shown = seen.alice.slice(before).filter((m) => !m.outgoing);
  assert.deepEqual(
    shown.map((m) => m.body),
    ["and back again"],
    "the key transport showed no message at alice",
  );
});

test("a corrupted session record is repaired for all of the peer's devices at once", async () => {
  const bobDevice = (await stores.bob.loadOwn())!.deviceId;
  await stores.alice.storeSession(`bob@localhost.${bobDevice}`, "{not a session record}");
  await assert.rejects(alice.sendEncrypted(bob.jid, "cannot go"), /cannot encrypt/);
  const aliceDevice = (await stores.alice.loadOwn())!.deviceId;
  const replaced = sessionChanged(stores.bob, `alice@localhost.${aliceDevice}`);
  await alice.repairOmemo(bob.jid);
  await replaced;
  assert.equal((await roundTrip(alice, bob, "repaired from alice")).body, "repaired from alice");
  assert.equal((await roundTrip(bob, alice, "and bob answers")).body, "and bob answers");
});

test("the key transport on the wire: header, keys and IV, no payload, no body", async () => {
  const { xml } = await import("@hato/xml");
  const enc = await alice.omemo!.repair(bob.jid);
  assert.equal(enc.xmlns, NS);
  assert.equal(enc.getChild("payload"), undefined);
  const header = enc.getChild("header");
  assert.ok(header?.getChild("iv"));
  const keys = header?.getChildren("key") ?? [];
  assert.equal(keys.length, 1);
  assert.equal(keys[0]?.attr("prekey"), "true", "a fresh session starts with a PreKey message");
  // Sent as repairOmemo sends it, bob shows nothing and the next message still decrypts.
  const before = seen.bob.length;
  (alice as unknown as { conn: { write(el: unknown): void } }).conn.write(
    xml("message", { type: "chat", to: bob.jid, id: "kt1" }, enc),
  );
  assert.equal((await roundTrip(alice, bob, "after the transport")).body, "after the transport");
  assert.deepEqual(
    seen.bob.slice(before).map((m) => m.body),
    ["after the transport"],
  );
});

test("an encrypted correction replaces the text and stays encrypted; a plain one is marked", async () => {
  const got = incoming(bob, alice.jid, (m) => m.body === "meet at 5");
  const sent = await alice.sendEncrypted(bob.jid, "meet at 5");
  await got;
  const upd = nextEvent(bob, "updated", (m) => m.id === sent.id && m.body === "meet at 6");
  await alice.correctEncrypted(bob.jid, sent.id, "meet at 6");
  const [m] = await upd;
  assert.equal(m.corrected, true);
  assert.equal(m.encryption, "omemo");
  const plain = nextEvent(bob, "updated", (x) => x.id === sent.id && x.body === "meet at 7");
  alice.correct(bob.jid, sent.id, "meet at 7");
  assert.equal((await plain)[0].encryption, "none", "a plaintext correction is not encrypted");
});
