// OMEMO (XEP-0384 0.3.0, eu.siacs.conversations.axolotl) between SDK clients over a real
// Hato server: keys published in PEP, messages encrypted both ways, a second device, a
// restart, an archive without plaintext, and visible failures for tampering, replay and a
// swapped identity key.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ChatMessage, type HatoClient, MemoryOmemoStore } from "@hato/sdk";
import { createOwnDevice } from "@hato/sdk/internal";
import type { Element } from "@hato/xml";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const NS = "eu.siacs.conversations.axolotl";
let world: SdkWorld;
const stores = {
  alice: new MemoryOmemoStore(),
  bob: new MemoryOmemoStore(),
  bob2: new MemoryOmemoStore(),
};
let alice: HatoClient;
let bob: HatoClient;

before(async () => {
  world = await sdkWorld(["alice", "bob"]);
  alice = world.client("alice", { omemo: stores.alice });
  bob = world.client("bob", { omemo: stores.bob });
  await alice.connect();
  await bob.connect();
  await befriend(alice, bob);
});
after(() => world.stop());

/** The next message `c` receives (not its own sending) from `peer`. */
const incoming = (c: HatoClient, peer: string, pred: (m: ChatMessage) => boolean = () => true) =>
  nextEvent(c, "message", (m) => m.peer === peer && !m.outgoing && pred(m)).then(([m]) => m);

/** Writes a raw stanza on `c`'s stream (for forged and replayed messages only). */
function writeRaw(c: HatoClient, el: Element): void {
  (c as unknown as { conn: { write(el: Element): void } }).conn.write(el);
}

/** An encrypted message stanza from `from` to `to`, as sendEncrypted would build it. */
async function encryptedStanza(from: HatoClient, to: string, body: string, id: string) {
  const { xml } = await import("@hato/xml");
  const els = await from.omemo!.encrypt(to, body);
  return xml("message", { type: "chat", to, id }, xml("body", null, "fallback"), ...els);
}

test("keys are published in PEP: device list and bundle, access model open", async () => {
  const own = await stores.alice.loadOwn();
  assert.ok(own !== undefined && own.deviceId > 0 && own.deviceId < 2 ** 31);
  assert.equal((await stores.alice.preKeyIds()).length, 100);
  const node = await world.server.storage.pubsub.node(
    "alice",
    "eu.siacs.conversations.axolotl.devicelist",
  );
  assert.equal(node?.config.access_model, "open");
  const bundle = await world.server.storage.pubsub.node(
    "alice",
    `eu.siacs.conversations.axolotl.bundles:${own.deviceId}`,
  );
  assert.equal(bundle?.config.access_model, "open");
});

test("alice and bob exchange encrypted messages both ways; bob's used pre-key is replaced", async () => {
  const got = incoming(bob, alice.jid);
  const sent = await alice.sendEncrypted(bob.jid, "the eagle lands at dawn");
  assert.equal(sent.encryption, "omemo");
  const m = await got;
  assert.equal(m.body, "the eagle lands at dawn");
  assert.equal(m.encryption, "omemo");
  const ids = await stores.bob.preKeyIds();
  assert.equal(ids.length, 100, "the used pre-key was replaced");
  const bobId = (await stores.bob.loadOwn())!.deviceId;
  const items = await world.server.storage.pubsub.items(
    "bob",
    `eu.siacs.conversations.axolotl.bundles:${bobId}`,
  );
  const published = [...items[0]!.payload.matchAll(/preKeyId=["'](\d+)/g)].map((x) => Number(x[1]));
  assert.deepEqual(
    published.sort((a, b) => a - b),
    ids.sort((a, b) => a - b),
    "the bundle was republished",
  );
  const back = incoming(alice, bob.jid);
  await bob.sendEncrypted(alice.jid, "the owl replies at dusk");
  assert.equal((await back).body, "the owl replies at dusk");
  const again = incoming(bob, alice.jid);
  await alice.sendEncrypted(bob.jid, "a third, on the ratchet");
  assert.equal((await again).body, "a third, on the ratchet");
});

test("a plain message in an OMEMO client is reported as unencrypted", async () => {
  const got = incoming(bob, alice.jid);
  assert.equal(alice.send(bob.jid, "plain words").encryption, "none");
  const m = await got;
  assert.equal(m.body, "plain words");
  assert.equal(m.encryption, "none");
});

test("a second device of bob gets messages too, and bob's first device sees its sent copy", async () => {
  const bob2 = world.client("bob", { omemo: stores.bob2, resource: "second" });
  await bob2.connect();
  const ids = await stores.bob2.loadDevices("bob@localhost");
  assert.equal(ids?.length, 2, "the second device kept the first one in the list");
  const one = incoming(bob, alice.jid, (m) => m.body === "to both of you");
  const two = incoming(bob2, alice.jid, (m) => m.body === "to both of you");
  await alice.sendEncrypted(bob.jid, "to both of you");
  await Promise.all([one, two]);
  const atAlice = incoming(alice, bob.jid, (m) => m.body === "from the second device");
  const carbon = nextEvent(
    bob,
    "message",
    (m) => m.outgoing && m.body === "from the second device",
  );
  await bob2.sendEncrypted(alice.jid, "from the second device");
  await atAlice;
  assert.equal((await carbon)[0].encryption, "omemo");
  await bob2.disconnect();
});

test("a device list that drops our device gets it back, other devices kept; contacts hear of it", async () => {
  const { xml } = await import("@hato/xml");
  const bobId = (await stores.bob.loadOwn())!.deviceId;
  // Another client of bob's (here bob's own stream, raw) publishes a list without bob's device.
  writeRaw(
    bob,
    xml(
      "iq",
      { type: "set", id: "drop1" },
      xml(
        "pubsub",
        { xmlns: "http://jabber.org/protocol/pubsub" },
        xml(
          "publish",
          { node: `${NS}.devicelist` },
          xml(
            "item",
            { id: "current" },
            xml("list", { xmlns: NS }, xml("device", { id: "12345" })),
          ),
        ),
      ),
    ),
  );
  // Notifications (XEP-0115 +notify) bring the lists; wait until both sides settled.
  const listed = async () => {
    const items = await world.server.storage.pubsub.items("bob", `${NS}.devicelist`);
    return items[0]?.payload ?? "";
  };
  const ids = async () => [...(await listed()).matchAll(/id=["'](\d+)/g)].map((x) => Number(x[1]));
  // First the list without bob's device, then bob's client puts itself back next to 12345.
  while (!(await ids()).includes(12345)) await new Promise((r) => setTimeout(r, 20));
  while (!(await ids()).includes(bobId)) await new Promise((r) => setTimeout(r, 20));
  assert.ok((await ids()).includes(12345), "the other device stays listed");
  // alice hears both lists, in order: the one without bob's device, then the one with it back.
  const aliceHas = async (id: number) =>
    ((await stores.alice.loadDevices(bob.jid)) ?? []).includes(id);
  while (!(await aliceHas(12345)) || !(await aliceHas(bobId)))
    await new Promise((r) => setTimeout(r, 20));
});

test("after a restart, alice's sessions come back from her store", async () => {
  const deviceId = (await stores.alice.loadOwn())!.deviceId;
  await alice.disconnect();
  // Sent while alice is offline: the server keeps it and delivers it as she logs in, while
  // her OMEMO set-up is still running.
  await bob.sendEncrypted(alice.jid, "welcome back");
  alice = world.client("alice", { omemo: stores.alice });
  const got = incoming(alice, bob.jid, (m) => m.body === "welcome back");
  await alice.connect();
  assert.equal(alice.omemo?.deviceId, deviceId);
  assert.equal((await got).encryption, "omemo");
  const back = incoming(bob, alice.jid, (m) => m.body === "thanks");
  await alice.sendEncrypted(bob.jid, "thanks");
  await back;
});

test("the wire format is XEP-0384 0.3.0's, with the fallback body, a store hint and XEP-0380", async () => {
  const { parseElement: parse } = await import("@hato/xml");
  const page = await world.server.storage.archive.query("bob", { limit: 1000 });
  const stored = page!.messages
    .map((m) => parse(m.stanza))
    .find((m) => m.getChild("encrypted", NS) !== undefined)!;
  const enc = stored.getChild("encrypted", NS)!;
  const header = enc.getChild("header", NS)!;
  assert.match(header.attr("sid") ?? "", /^[1-9]\d*$/);
  const keys = header.getChildren("key", NS);
  assert.ok(keys.length >= 1 && keys.every((k) => /^[1-9]\d*$/.test(k.attr("rid") ?? "")));
  assert.ok(
    keys.some((k) => k.attr("prekey") === "true"),
    "the first message carries a pre-key message",
  );
  assert.equal(Buffer.from(header.getChildText("iv", NS)!, "base64").length, 12);
  assert.equal(header.elements().at(-1)?.name, "iv", "keys, then the IV");
  assert.ok(Buffer.from(enc.getChildText("payload", NS)!, "base64").length > 0);
  assert.match(stored.getChildText("body") ?? "", /OMEMO/);
  assert.ok(stored.getChild("store", "urn:xmpp:hints"));
  const eme = stored.getChild("encryption", "urn:xmpp:eme:0");
  assert.equal(eme?.attr("namespace"), NS);
  assert.equal(eme?.attr("name"), "OMEMO");
});

test("malformed OMEMO elements each give a visible failure with the reason", async () => {
  const { xml } = await import("@hato/xml");
  const bobId = (await stores.bob.loadOwn())!.deviceId;
  const cases: [string, ReturnType<typeof xml>, RegExp][] = [
    ["m1", xml("encrypted", { xmlns: NS }, xml("payload", null, "AAAA")), /sender device id/],
    ["m2", xml("encrypted", { xmlns: NS }, xml("header", { sid: "-4" })), /sender device id/],
    [
      "m3",
      xml(
        "encrypted",
        { xmlns: NS },
        xml("header", { sid: "7" }, xml("key", { rid: "1" }, "AAAA"), xml("iv", null, "AAAA")),
      ),
      /not encrypted for this device/,
    ],
    [
      "m4",
      xml(
        "encrypted",
        { xmlns: NS },
        xml(
          "header",
          { sid: "7" },
          xml("key", { rid: String(bobId) }, "not base64!"),
          xml("iv", null, "AAAA"),
        ),
      ),
      /not valid base64/,
    ],
    [
      "m5",
      xml(
        "encrypted",
        { xmlns: NS },
        xml(
          "header",
          { sid: "7" },
          xml("key", { rid: String(bobId), prekey: "true" }, "MwAA"),
          xml("iv", null, "AAAAAAAAAAAAAAAA"),
        ),
      ),
      /malformed PreKeySignalMessage/,
    ],
    [
      "m6",
      xml(
        "encrypted",
        { xmlns: NS },
        xml(
          "header",
          { sid: "7" },
          xml("key", { rid: String(bobId) }, "MwAA"),
          xml("iv", null, "AAAAAAAAAAAAAAAA"),
        ),
      ),
      /no session|refused/,
    ],
  ];
  for (const [id, enc, reason] of cases) {
    const failed = nextEvent(bob, "cannotDecrypt", (_p, _r, got) => got === id);
    const shown = incoming(bob, alice.jid, (m) => m.id === id);
    writeRaw(
      alice,
      xml("message", { type: "chat", to: bob.jid, id }, xml("body", null, "fallback"), enc),
    );
    assert.match((await failed)[1], reason, id);
    const m = await shown;
    assert.equal(m.encryption, "failed");
    assert.equal(m.body, "", "the fallback text is not shown as the message");
  }
});

test("the server's archive holds no readable body", async () => {
  for (const user of ["alice", "bob"]) {
    const page = await world.server.storage.archive.query(user, { limit: 1000 });
    const all = page!.messages.map((m) => m.stanza).join("\n");
    assert.ok(all.includes("eu.siacs.conversations.axolotl"), "encrypted messages are archived");
    for (const secret of [
      "eagle",
      "owl",
      "ratchet",
      "both of you",
      "second device",
      "welcome back",
      "thanks",
    ])
      assert.ok(!all.includes(secret), `${user}'s archive shows "${secret}"`);
  }
  // Alice restarted: what she decrypted before is not on this device any more, and history says
  // so instead of showing the fallback text; what this session decrypted or sent is readable.
  const page = await alice.history(bob.jid, { max: 50 });
  const eagle = page.messages.find((m) => m.outgoing && m.encryption === "failed");
  assert.ok(eagle, "an earlier encrypted message is marked as not readable here");
  assert.equal(eagle.body, "");
  assert.match(eagle.problem ?? "", /not available on this device/);
  assert.ok(page.messages.some((m) => m.body === "welcome back" && m.encryption === "omemo"));
  assert.ok(page.messages.some((m) => m.body === "thanks" && m.encryption === "omemo"));
  assert.ok(page.messages.some((m) => m.body === "plain words" && m.encryption === undefined));
  assert.ok(
    !page.messages.some((m) => m.body.includes("conversations.im/omemo")),
    "no fallback text",
  );
});

test("tampered payload and tampered key each give a visible failure, never plaintext", async () => {
  const payload = await encryptedStanza(alice, bob.jid, "do not read me", "tp1");
  const p = payload.getChild("encrypted")!.getChild("payload")!;
  const text = p.text();
  p.children.splice(
    0,
    p.children.length,
    text[0] === "A" ? `B${text.slice(1)}` : `A${text.slice(1)}`,
  );
  const failed = nextEvent(bob, "cannotDecrypt", (_peer, _r, id) => id === "tp1");
  const shown = incoming(bob, alice.jid, (m) => m.id === "tp1");
  writeRaw(alice, payload);
  assert.match((await failed)[1], /failed authentication/);
  const m = await shown;
  assert.equal(m.encryption, "failed");
  assert.equal(m.body, "");

  const keyed = await encryptedStanza(alice, bob.jid, "nor me", "tk1");
  const bobId = (await stores.bob.loadOwn())!.deviceId;
  const key = keyed
    .getChild("encrypted")!
    .getChild("header")!
    .getChildren("key")
    .find((k) => k.attr("rid") === String(bobId))!;
  const raw = Buffer.from(key.text(), "base64");
  raw[raw.length - 3]! ^= 1; // inside the 8-byte MAC
  key.children.splice(0, key.children.length, raw.toString("base64"));
  const refused = nextEvent(bob, "cannotDecrypt", (_peer, _r, id) => id === "tk1");
  writeRaw(alice, keyed);
  assert.match((await refused)[1], /Bad MAC|authentication/);
});

test("a replayed message is refused visibly", async () => {
  const el = await encryptedStanza(alice, bob.jid, "only once", "rp1");
  const first = incoming(bob, alice.jid, (m) => m.id === "rp1");
  writeRaw(alice, el);
  assert.equal((await first).body, "only once");
  el.attrs.id = "rp2";
  const replay = nextEvent(bob, "cannotDecrypt", (_peer, _r, id) => id === "rp2");
  writeRaw(alice, el);
  assert.match((await replay)[1], /replay|already decrypted/);
});

test("a swapped identity key for a known device is refused with the reason", async () => {
  // The server (or a thief of alice's password) publishes a new key under alice's device id.
  const deviceId = (await stores.alice.loadOwn())!.deviceId;
  const forged = new MemoryOmemoStore();
  await createOwnDevice(forged, deviceId);
  const mallory = world.client("alice", { omemo: forged, resource: "mallory" });
  await mallory.connect();
  const refused = nextEvent(bob, "cannotDecrypt", (peer) => peer === alice.jid);
  const shown = incoming(
    bob,
    alice.jid,
    (m) => m.encryption === "failed" && /identity key/.test(m.problem ?? ""),
  );
  await mallory.sendEncrypted(bob.jid, "trust me, it is alice");
  assert.match((await refused)[1], /identity key of alice@localhost's device \d+ changed/);
  assert.equal((await shown).body, "");
  await mallory.disconnect();
});
