// Signed pre-key rotation (packages/sdk/src/omemo/rotation.ts) over a real Hato server: a key
// older than signedPreKeyAge is replaced at login and by the periodic check while online,
// the bundle is republished, a PreKey message built on the replaced key still decrypts during
// the grace period, and fails visibly (never silently) once the key is deleted.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ChatMessage, type HatoClient, MemoryOmemoStore } from "@hato/sdk";
import { type Element, xml } from "@hato/xml";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const NS = "eu.siacs.conversations.axolotl";
const DAY = 24 * 3_600_000;
let world: SdkWorld;
/** Carol's clock: the tests move it instead of waiting days. */
let now = Date.parse("2026-01-01T00:00:00Z");
const carolTiming = { now: () => now, checkEvery: 3_600_000 };
const carolStore = new MemoryOmemoStore();
let carol: HatoClient;
let dave: HatoClient;

before(async () => {
  world = await sdkWorld(["carol", "dave", "erin"]);
  carol = world.client("carol", { omemo: carolStore, omemoTiming: carolTiming });
  dave = world.client("dave", { omemo: new MemoryOmemoStore() });
  await carol.connect();
  await dave.connect();
  await befriend(carol, dave);
});
after(() => world.stop());

const incoming = (c: HatoClient, peer: string, pred: (m: ChatMessage) => boolean = () => true) =>
  nextEvent(c, "message", (m) => m.peer === peer && !m.outgoing && pred(m)).then(([m]) => m);

function writeRaw(c: HatoClient, el: Element): void {
  (c as unknown as { conn: { write(el: Element): void } }).conn.write(el);
}

/** The signedPreKeyId in carol's bundle as the server holds it. */
async function publishedSpkId(): Promise<number> {
  const own = (await carolStore.loadOwn())!;
  const items = await world.server.storage.pubsub.items("carol", `${NS}.bundles:${own.deviceId}`);
  const m = /signedPreKeyId=["'](\d+)/.exec(items[0]!.payload);
  assert.ok(m, "the bundle has a signed pre-key");
  return Number(m[1]);
}

/** Waits (bounded, as a failure deadline, not a measurement) until `check()` holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never happened: ${what}`);
}

test("a new device's signed pre-key is dated and published", async () => {
  const own = (await carolStore.loadOwn())!;
  assert.equal(own.signedPreKey.created, now);
  assert.equal(own.oldSignedPreKeys, undefined);
  assert.equal(await publishedSpkId(), own.signedPreKey.id);
});

test("at login, a signed pre-key older than signedPreKeyAge is replaced and the bundle republished", async () => {
  const before = (await carolStore.loadOwn())!;
  await carol.disconnect();
  now += 3 * DAY;
  await carol.connect();
  assert.equal(
    (await carolStore.loadOwn())!.signedPreKey.id,
    before.signedPreKey.id,
    "3 days: kept",
  );
  await carol.disconnect();
  now += 5 * DAY;
  await carol.connect();
  const own = (await carolStore.loadOwn())!;
  assert.notEqual(own.signedPreKey.id, before.signedPreKey.id, "8 days: replaced");
  assert.equal(own.signedPreKey.created, now);
  assert.deepEqual(
    own.oldSignedPreKeys?.map((k) => [k.id, k.retired]),
    [[before.signedPreKey.id, now]],
    "the old key is kept for its grace period",
  );
  assert.equal(await publishedSpkId(), own.signedPreKey.id);
  assert.equal(own.identity.pub.length, 33);
  assert.deepEqual(own.identity, before.identity, "the identity key stays");
});

test("while online, the periodic check replaces the signed pre-key when it is due", async () => {
  const store = new MemoryOmemoStore();
  let clock = now;
  const erin = world.client("erin", {
    omemo: store,
    omemoTiming: { now: () => clock, checkEvery: 10 },
  });
  await erin.connect();
  const first = (await store.loadOwn())!.signedPreKey.id;
  clock += 7 * DAY;
  await eventually(
    async () => (await store.loadOwn())!.signedPreKey.id !== first,
    "the periodic check replaced the signed pre-key",
  );
  const own = (await store.loadOwn())!;
  await eventually(async () => {
    const items = await world.server.storage.pubsub.items("erin", `${NS}.bundles:${own.deviceId}`);
    return (
      items[0]!.payload.includes(`signedPreKeyId="${own.signedPreKey.id}"`) ||
      items[0]!.payload.includes(`signedPreKeyId='${own.signedPreKey.id}'`)
    );
  }, "the new bundle was published");
  await erin.disconnect();
});

test("a PreKey message built on the replaced key decrypts during the grace period", async () => {
  // Dave fetches carol's bundle and builds his first message on her current signed pre-key…
  const els = await dave.omemo!.encrypt(carol.jid, "built before the rotation");
  const used = (await carolStore.loadOwn())!.signedPreKey.id;
  // …then carol replaces that key before the message arrives.
  now += 8 * DAY;
  await carol.omemo!.maintain();
  const own = (await carolStore.loadOwn())!;
  assert.notEqual(own.signedPreKey.id, used);
  assert.ok(own.oldSignedPreKeys?.some((k) => k.id === used));
  const got = incoming(carol, dave.jid);
  writeRaw(dave, xml("message", { type: "chat", to: carol.jid, id: "grace1" }, ...els));
  const m = await got;
  assert.equal(m.encryption, "omemo", m.problem);
  assert.equal(m.body, "built before the rotation");
});

test("past the grace period the old key is deleted: a message built on it fails visibly", async () => {
  const erin = world.client("erin", { omemo: new MemoryOmemoStore(), resource: "late" });
  await erin.connect();
  const els = await erin.omemo!.encrypt(carol.jid, "too late");
  const used = (await carolStore.loadOwn())!.signedPreKey.id;
  now += 8 * DAY;
  await carol.omemo!.maintain(); // replaced: `used` in its grace period
  assert.ok((await carolStore.loadOwn())!.oldSignedPreKeys?.some((k) => k.id === used));
  now += 31 * DAY;
  await carol.omemo!.maintain(); // past the grace period: deleted
  const own = (await carolStore.loadOwn())!;
  assert.ok(!own.oldSignedPreKeys?.some((k) => k.id === used), "deleted after the grace period");
  assert.ok(own.oldSignedPreKeys!.length <= 1);
  const failed = nextEvent(carol, "cannotDecrypt", (peer) => peer === erin.jid);
  const got = incoming(carol, erin.jid);
  writeRaw(erin, xml("message", { type: "chat", to: carol.jid, id: "late1" }, ...els));
  const m = await got;
  assert.equal(m.encryption, "failed");
  assert.equal(m.body, "");
  assert.match(m.problem ?? "", /retired/);
  assert.match((await failed)[1], /retired/);
  await erin.disconnect();
});
