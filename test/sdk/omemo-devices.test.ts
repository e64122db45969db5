// Device list caching (packages/sdk/src/omemo/devices.ts) over a real Hato server: sending
// reads a contact's list from PEP only when it is unknown or stale, a contact's new device
// still gets the next message (the PEP notification updates the cache), a stranger's new
// device too (its message makes the cached list stale), and an old cache is read again.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ChatMessage, type HatoClient, MemoryOmemoStore } from "@hato/sdk";
import type { Element } from "@hato/xml";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const NODE = "eu.siacs.conversations.axolotl.devicelist";
const HOUR = 3_600_000;
let world: SdkWorld;
let now = Date.parse("2026-01-01T00:00:00Z");
const aliceStore = new MemoryOmemoStore();
let alice: HatoClient;
let bob: HatoClient;
/** Device list reads (pubsub items of the devicelist node) alice sent, per JID read. */
const reads = new Map<string, number>();

before(async () => {
  world = await sdkWorld(["alice", "bob", "frank"]);
  alice = world.client("alice", {
    omemo: aliceStore,
    omemoTiming: { now: () => now, deviceListAge: HOUR },
  });
  bob = world.client("bob", { omemo: new MemoryOmemoStore() });
  // Count alice's device list reads where OMEMO sends its IQs.
  type Request = (t: string, to: string | undefined, p: Element, d?: boolean) => Promise<Element>;
  const host = (alice.omemo as unknown as { host: { request: Request } }).host;
  const request = host.request;
  host.request = (type: string, to: string | undefined, payload: Element, direct?: boolean) => {
    const node = payload.getChild("items")?.attr("node");
    if (type === "get" && node === NODE) {
      const jid = to ?? alice.jid;
      reads.set(jid, (reads.get(jid) ?? 0) + 1);
    }
    return request(type, to, payload, direct);
  };
  await alice.connect();
  await bob.connect();
  await befriend(alice, bob);
});
after(() => world.stop());

const incoming = (c: HatoClient, peer: string, pred: (m: ChatMessage) => boolean = () => true) =>
  nextEvent(c, "message", (m) => m.peer === peer && !m.outgoing && pred(m)).then(([m]) => m);

/** Waits (bounded, as a failure deadline, not a measurement) until `check()` holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never happened: ${what}`);
}

const readsOf = (jid: string) => reads.get(jid) ?? 0;

test("sending to a contact reads its device list at most once, then uses the cache", async () => {
  const first = incoming(bob, alice.jid, (m) => m.body === "one");
  await alice.sendEncrypted(bob.jid, "one");
  await first;
  const afterFirst = readsOf(bob.jid);
  assert.ok(afterFirst <= 1, `read ${afterFirst} times for one message`);
  for (const body of ["two", "three", "four"]) {
    const got = incoming(bob, alice.jid, (m) => m.body === body);
    await alice.sendEncrypted(bob.jid, body);
    await got;
  }
  assert.equal(readsOf(bob.jid), afterFirst, "no read while the cached list is fresh");
  assert.equal(alice.omemo!.deviceLists.fetches, readsOf(bob.jid) + readsOf(alice.jid));
});

/** A message that never comes fails the test instead of hanging it (a deadline, not a measurement). */
const DEADLINE = { timeout: 60_000 };

test(
  "a contact's new device gets the next message: the PEP notification updates the cache",
  DEADLINE,
  async () => {
    const bob2Store = new MemoryOmemoStore();
    const bob2 = world.client("bob", { omemo: bob2Store, resource: "second" });
    await bob2.connect();
    const id2 = bob2.omemo!.deviceId!;
    await eventually(
      async () => (await aliceStore.loadDevices(bob.jid))?.includes(id2) === true,
      "alice heard of bob's second device",
    );
    const before = readsOf(bob.jid);
    const one = incoming(bob, alice.jid, (m) => m.body === "to both devices");
    const two = incoming(bob2, alice.jid, (m) => m.body === "to both devices");
    await alice.sendEncrypted(bob.jid, "to both devices");
    assert.equal((await two).encryption, "omemo");
    assert.equal((await one).encryption, "omemo");
    assert.equal(readsOf(bob.jid), before, "the notification was enough");
    await bob2.disconnect();
  },
);

test(
  "a stranger's new device (no notifications) gets messages once it has written",
  DEADLINE,
  async () => {
    const frank = world.client("frank", { omemo: new MemoryOmemoStore() });
    await frank.connect();
    const hello = incoming(frank, alice.jid, (m) => m.body === "hello frank");
    await alice.sendEncrypted(frank.jid, "hello frank");
    await hello;
    // frank is no contact of alice's: his server sends her no notification of a new device.
    const frank2 = world.client("frank", { omemo: new MemoryOmemoStore(), resource: "two" });
    await frank2.connect();
    const id2 = frank2.omemo!.deviceId!;
    assert.ok(!(await aliceStore.loadDevices(frank.jid))?.includes(id2), "alice's cache lacks it");
    // The new device writes to alice: a device her cached list lacks makes that list stale…
    const fromTwo = incoming(alice, frank.jid, (m) => m.body === "from my new device");
    await frank2.sendEncrypted(alice.jid, "from my new device");
    assert.equal((await fromTwo).encryption, "omemo");
    // …so her next message is encrypted to it too.
    const before = readsOf(frank.jid);
    const atTwo = incoming(frank2, alice.jid, (m) => m.body === "both of you, frank");
    await alice.sendEncrypted(frank.jid, "both of you, frank");
    assert.equal((await atTwo).encryption, "omemo");
    assert.equal(readsOf(frank.jid), before + 1, "the list was read again");
    await frank2.disconnect();
  },
);

test("a cached list older than deviceListAge is read again; a new session forgets the cache", async () => {
  const send = async (body: string) => {
    const got = incoming(bob, alice.jid, (m) => m.body === body);
    await alice.sendEncrypted(bob.jid, body);
    await got;
  };
  await send("fresh");
  const before = readsOf(bob.jid);
  now += HOUR + 1;
  await send("stale");
  assert.equal(readsOf(bob.jid), before + 1, "read again after deviceListAge");
  await send("fresh again");
  assert.equal(readsOf(bob.jid), before + 1);
  await alice.disconnect();
  await alice.connect();
  // The last item notification may have come in since login; either way at most one read.
  await send("new session");
  assert.ok(readsOf(bob.jid) <= before + 2);
});
