// OMEMO 2 (urn:xmpp:omemo:2) between SDK clients over a real Hato server, beside the legacy
// namespace: keys in PEP, the namespace chosen per peer (legacy by default), messages both
// ways, the wire format and archive, and visible failures for tampering and replay.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ChatMessage, type HatoClient, MemoryOmemo2Store, MemoryOmemoStore } from "@hato/sdk";
import { type Element, parseElement, xml } from "@hato/xml";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const NS2 = "urn:xmpp:omemo:2";
const LEGACY = "eu.siacs.conversations.axolotl";
let world: SdkWorld;
const stores = {
  alice: new MemoryOmemo2Store(),
  bob: new MemoryOmemo2Store(),
  carol: new MemoryOmemo2Store(),
};
let alice: HatoClient;
let bob: HatoClient;
let carol: HatoClient;

before(async () => {
  world = await sdkWorld(["alice", "bob", "carol"]);
  // alice and bob speak both namespaces; carol only OMEMO 2.
  alice = world.client("alice", { omemo: new MemoryOmemoStore(), omemo2: stores.alice });
  bob = world.client("bob", { omemo: new MemoryOmemoStore(), omemo2: stores.bob });
  carol = world.client("carol", { omemo2: stores.carol });
  await Promise.all([alice.connect(), bob.connect(), carol.connect()]);
  await befriend(alice, bob);
  await befriend(alice, carol);
});
after(() => world.stop());

const incoming = (c: HatoClient, peer: string, pred: (m: ChatMessage) => boolean = () => true) =>
  nextEvent(c, "message", (m) => m.peer === peer && !m.outgoing && pred(m)).then(([m]) => m);

function writeRaw(c: HatoClient, el: Element): void {
  (c as unknown as { conn: { write(el: Element): void } }).conn.write(el);
}

async function archived(user: string): Promise<Element[]> {
  const page = await world.server.storage.archive.query(user, { limit: 1000 });
  return page!.messages.map((m) => parseElement(m.stanza));
}

test("keys are published: devices item 'current' and one bundle item per device, both open", async () => {
  const own = (await stores.carol.loadOwn())!;
  assert.ok(own.deviceId > 0 && own.deviceId < 2 ** 31);
  assert.equal(carol.omemo2?.deviceId, own.deviceId);
  assert.equal((await stores.carol.preKeyIds()).length, 100);
  const devices = await world.server.storage.pubsub.node("carol", "urn:xmpp:omemo:2:devices");
  assert.equal(devices?.config.access_model, "open");
  const items = await world.server.storage.pubsub.items("carol", "urn:xmpp:omemo:2:devices");
  assert.equal(items[0]?.id, "current");
  assert.match(items[0]!.payload, new RegExp(`<device id=["']${own.deviceId}["']`));
  const bundles = await world.server.storage.pubsub.node("carol", "urn:xmpp:omemo:2:bundles");
  assert.equal(bundles?.config.access_model, "open");
  const b = await world.server.storage.pubsub.items("carol", "urn:xmpp:omemo:2:bundles");
  assert.deepEqual(
    b.map((i) => i.id),
    [String(own.deviceId)],
  );
  // carol has no legacy store: no legacy node.
  assert.equal(await world.server.storage.pubsub.node("carol", `${LEGACY}.devicelist`), undefined);
});

test("the server's key log records the OMEMO 2 device with its Ed25519 identity key", async () => {
  const own = (await stores.carol.loadOwn())!;
  const log = carol.keylog();
  const keys = await log.keysOf(carol.jid, await log.head());
  const mine = keys.filter((k) => k.ns === NS2);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.device, own.deviceId);
  const { createHash } = await import("node:crypto");
  assert.equal(mine[0]!.ik, createHash("sha256").update(own.identity.pub).digest("hex"));
});

test("to a peer with only OMEMO 2 devices: OMEMO 2 both ways; carol's used pre-key is replaced", async () => {
  const got = incoming(carol, alice.jid);
  const sent = await alice.sendEncrypted(carol.jid, "the heron flies at noon");
  assert.equal(sent.encryption, "omemo");
  const m = await got;
  assert.equal(m.body, "the heron flies at noon");
  assert.equal(m.encryption, "omemo");
  assert.equal((await stores.carol.preKeyIds()).length, 100, "the used pre-key was replaced");
  const back = incoming(alice, carol.jid);
  await carol.sendEncrypted(alice.jid, "copied, heron at noon");
  const r = await back;
  assert.equal(r.body, "copied, heron at noon");
  assert.equal(r.encryption, "omemo");
  const again = incoming(carol, alice.jid);
  await alice.sendEncrypted(carol.jid, "and again");
  assert.equal((await again).body, "and again");
});

test("the wire format: <keys jid> per account, kex only until answered, payload, EME", async () => {
  const toCarol = (await archived("carol")).filter((m) => m.getChild("encrypted", NS2));
  assert.equal(toCarol.length, 3);
  const [first, , third] = toCarol.map((m) => m.getChild("encrypted", NS2)!);
  const carolId = String((await stores.carol.loadOwn())!.deviceId);
  const key = (enc: Element) =>
    enc
      .getChild("header", NS2)!
      .getChildren("keys", NS2)
      .find((k) => k.attr("jid") === carol.jid)!
      .getChildren("key", NS2)
      .find((k) => k.attr("rid") === carolId)!;
  assert.equal(first!.getChild("header", NS2)!.attr("sid"), String(alice.omemo2!.deviceId));
  assert.equal(key(first!).attr("kex"), "true", "the first message carries the key exchange");
  assert.equal(key(third!).attr("kex"), undefined, "after carol's answer, no key exchange");
  assert.ok(first!.getChildText("payload", NS2));
  const msg = toCarol[0]!;
  assert.equal(msg.getChild("encryption", "urn:xmpp:eme:0")?.attr("namespace"), NS2);
  assert.ok(msg.getChild("store", "urn:xmpp:hints"));
});

test("messages sent at once each use their own message key", async () => {
  const bodies = ["one at once", "two at once", "three at once"];
  const got = Promise.all(bodies.map((b) => incoming(carol, alice.jid, (m) => m.body === b)));
  // A reused message key shows as a failure ("already decrypted"): fail on the first one.
  const failed = nextEvent(carol, "cannotDecrypt").then(([, reason]) => {
    throw new Error(`carol could not decrypt: ${reason}`);
  });
  await Promise.all(bodies.map((b) => alice.sendEncrypted(carol.jid, b)));
  for (const m of await Promise.race([got, failed])) assert.equal(m.encryption, "omemo");
});

test("to a peer with both: the legacy namespace, as deployed clients read it", async () => {
  const got = incoming(bob, alice.jid);
  await alice.sendEncrypted(bob.jid, "legacy by default");
  assert.equal((await got).body, "legacy by default");
  const last = (await archived("bob")).filter((m) => m.getChild("body")).at(-1)!;
  assert.ok(last.getChild("encrypted", LEGACY), "sent in eu.siacs.conversations.axolotl");
  assert.equal(last.getChild("encrypted", NS2), undefined);
});

test("no archive holds a readable body, and history does not show the fallback text", async () => {
  for (const user of ["alice", "carol"]) {
    const all = (await world.server.storage.archive.query(user, { limit: 1000 }))!.messages
      .map((m) => m.stanza)
      .join("\n");
    assert.ok(all.includes(NS2));
    for (const secret of ["heron", "noon", "and again"])
      assert.ok(!all.includes(secret), `${user}'s archive shows "${secret}"`);
  }
  const fresh = world.client("carol", { resource: "fresh" });
  await fresh.connect();
  const page = await fresh.history(alice.jid, { max: 50 });
  await fresh.disconnect();
  assert.ok(page.messages.length >= 3);
  for (const h of page.messages) {
    assert.equal(h.encryption, "failed");
    assert.equal(h.body, "");
  }
});

test("a second device: both of carol's devices read alice; a carbon of carol's reply decrypts", async () => {
  const carol2 = world.client("carol", { omemo2: new MemoryOmemo2Store(), resource: "second" });
  await carol2.connect();
  const listed = await carol.omemo2!.devices(carol.jid);
  assert.deepEqual(
    [...listed].sort(),
    [carol.omemo2!.deviceId, carol2.omemo2!.deviceId].sort(),
    "the second device joined the list, keeping the first",
  );
  const one = incoming(carol, alice.jid, (m) => m.body === "to both of you");
  const two = incoming(carol2, alice.jid, (m) => m.body === "to both of you");
  await alice.sendEncrypted(carol.jid, "to both of you");
  assert.equal((await one).encryption, "omemo");
  assert.equal((await two).encryption, "omemo");

  const reply = incoming(alice, carol.jid, (m) => m.body === "from the second device");
  const carbon = nextEvent(
    carol,
    "message",
    (m) => m.outgoing && m.body === "from the second device",
  );
  await carol2.sendEncrypted(alice.jid, "from the second device");
  assert.equal((await reply).encryption, "omemo");
  assert.equal((await carbon)[0].encryption, "omemo");
  await carol2.disconnect();
});

/** An OMEMO 2 message stanza from alice to carol, as sendEncrypted would build it. */
async function stanza(body: string, id: string): Promise<Element> {
  const els = await alice.omemo2!.encrypt(carol.jid, body);
  return xml("message", { type: "chat", to: carol.jid, id }, xml("body", null, "fallback"), ...els);
}

test("tampered payload, tampered key and a replay each fail visibly, never as plaintext", async () => {
  const tp = await stanza("do not read me", "t2p");
  // Elements built in code leave children's xmlns unset: look them up by name.
  const p = tp.getChild("encrypted", NS2)!.getChild("payload")!;
  const bytes = Buffer.from(p.text(), "base64");
  bytes[3]! ^= 1;
  p.children.splice(0, p.children.length, bytes.toString("base64"));
  const failed = nextEvent(carol, "cannotDecrypt", (_p, _r, id) => id === "t2p");
  const shown = incoming(carol, alice.jid, (m) => m.id === "t2p");
  writeRaw(alice, tp);
  assert.match((await failed)[1], /HMAC mismatch/);
  const m = await shown;
  assert.equal(m.encryption, "failed");
  assert.equal(m.body, "");

  const tk = await stanza("nor me", "t2k");
  const carolId = String((await stores.carol.loadOwn())!.deviceId);
  const key = tk
    .getChild("encrypted", NS2)!
    .getChild("header")!
    .getChildren("keys")
    .flatMap((k) => k.getChildren("key"))
    .find((k) => k.attr("rid") === carolId)!;
  const raw = Buffer.from(key.text(), "base64");
  raw[4]! ^= 1; // inside the 16-byte MAC
  key.children.splice(0, key.children.length, raw.toString("base64"));
  const refused = nextEvent(carol, "cannotDecrypt", (_p, _r, id) => id === "t2k");
  writeRaw(alice, tk);
  assert.match((await refused)[1], /authentication failed/);

  const once = await stanza("only once", "r2a");
  const first = incoming(carol, alice.jid, (x) => x.id === "r2a");
  writeRaw(alice, once);
  assert.equal((await first).body, "only once");
  once.attrs.id = "r2b";
  const replay = nextEvent(carol, "cannotDecrypt", (_p, _r, id) => id === "r2b");
  writeRaw(alice, once);
  assert.match((await replay)[1], /replay|already decrypted/);
});

test("malformed OMEMO 2 elements fail with a reason", async () => {
  const cases: [string, Element, RegExp][] = [
    ["m1", xml("encrypted", { xmlns: NS2 }, xml("header", {})), /sender device id/],
    [
      "m2",
      xml(
        "encrypted",
        { xmlns: NS2 },
        xml("header", { sid: "5" }, xml("keys", { jid: carol.jid })),
      ),
      /not encrypted for this device/,
    ],
    [
      "m3",
      xml(
        "encrypted",
        { xmlns: NS2 },
        xml(
          "header",
          { sid: "5" },
          xml(
            "keys",
            { jid: carol.jid },
            xml("key", { rid: String(carol.omemo2!.deviceId), kex: "true" }, "AAAA"),
          ),
        ),
      ),
      /protobuf|truncated|missing/,
    ],
  ];
  for (const [id, enc, reason] of cases) {
    const failed = nextEvent(carol, "cannotDecrypt", (_p, _r, i) => i === id);
    writeRaw(alice, xml("message", { type: "chat", to: carol.jid, id }, enc));
    assert.match((await failed)[1], reason);
  }
});

test("a message in the namespace a client does not speak fails visibly, not as its fallback text", async () => {
  const failed = nextEvent(carol, "cannotDecrypt", (_p, _r, id) => id === "legacy1");
  const shown = incoming(carol, alice.jid, (m) => m.id === "legacy1");
  writeRaw(
    alice,
    xml(
      "message",
      { type: "chat", to: carol.jid, id: "legacy1" },
      xml("body", null, "I sent you an OMEMO encrypted message but …"),
      xml(
        "encrypted",
        { xmlns: LEGACY },
        xml("header", { sid: "5" }),
        xml("payload", null, "AAAA"),
      ),
    ),
  );
  assert.match(
    (await failed)[1],
    /eu\.siacs\.conversations\.axolotl, which this client does not speak/,
  );
  const m = await shown;
  assert.equal(m.encryption, "failed");
  assert.equal(m.body, "");
});

test("OMEMO 2 corrections stay encrypted; an OMEMO 2-only client marks plain text", async () => {
  const got = incoming(carol, alice.jid, (m) => m.body === "meet at 5");
  const sent = await alice.sendEncrypted(carol.jid, "meet at 5");
  await got;
  const upd = nextEvent(carol, "updated", (m) => m.id === sent.id && m.body === "meet at 6");
  await alice.correctEncrypted(carol.jid, sent.id, "meet at 6");
  const [m] = await upd;
  assert.equal(m.corrected, true);
  assert.equal(m.encryption, "omemo");
  const plain = incoming(alice, carol.jid, (x) => x.body === "plain words");
  assert.equal(carol.send(alice.jid, "plain words").encryption, "none");
  assert.equal((await plain).encryption, "none");
});

test("a lost OMEMO 2 session: repairOmemo sends a key exchange that shows nothing, then messages flow", async () => {
  const aliceDevice = alice.omemo2!.deviceId!;
  const carolDevice = carol.omemo2!.deviceId!;
  await stores.carol.removeSession(`${alice.jid}.${aliceDevice}`);
  const broken = nextEvent(carol, "cannotDecrypt", (peer) => peer === alice.jid);
  await alice.sendEncrypted(carol.jid, "lost in the break");
  assert.match((await broken)[1], /no session/);

  const shownAtAlice: string[] = [];
  const off = alice.on("message", (m) => {
    if (!m.outgoing && m.peer === carol.jid) shownAtAlice.push(m.body);
  });
  // The key exchange shows no message: wait for alice's session to become the one carol started.
  const address = `${carol.jid}.${carolDevice}`;
  const before = (await stores.alice.loadSession(address))?.from;
  await carol.repairOmemo(alice.jid, aliceDevice);
  const deadline = Date.now() + 20_000;
  while ((await stores.alice.loadSession(address))?.from?.ek.join() === before?.ek.join()) {
    if (Date.now() > deadline) throw new Error("alice never took carol's key exchange");
    await new Promise((r) => setTimeout(r, 20));
  }
  const there = incoming(carol, alice.jid, (m) => m.body === "after the repair");
  await alice.sendEncrypted(carol.jid, "after the repair");
  assert.equal((await there).encryption, "omemo");
  const back = incoming(alice, carol.jid, (m) => m.body === "and back again");
  await carol.sendEncrypted(alice.jid, "and back again");
  assert.equal((await back).encryption, "omemo");
  off();
  assert.deepEqual(shownAtAlice, ["and back again"], "the key exchange showed no message");
});

test("a swapped identity key in a bundle is refused with the reason", async () => {
  // The server (or a thief of carol's password) replaces carol's bundles with other keys.
  const { randomBytes } = await import("node:crypto");
  for (const device of await carol.omemo2!.devices(carol.jid))
    await alice.omemo2!.store.removeSession(`${carol.jid}.${device}`);
  const items = await world.server.storage.pubsub.items("carol", "urn:xmpp:omemo:2:bundles");
  assert.equal(items.length, 2);
  for (const item of items) {
    const ik = randomBytes(32).toString("base64");
    const payload = item.payload.replace(/<ik>[^<]+<\/ik>/, `<ik>${ik}</ik>`);
    await world.server.storage.pubsub.publish(
      "carol",
      "urn:xmpp:omemo:2:bundles",
      { ...item, payload },
      100,
    );
  }
  await assert.rejects(
    alice.sendEncrypted(carol.jid, "to a swapped key"),
    /identity key of carol@localhost's device \d+ changed.*identity key of carol@localhost's device \d+ changed/,
  );
});
