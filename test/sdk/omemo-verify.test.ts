// OMEMO trust and verification between SDK clients over a real Hato server: fingerprints,
// the short code on both sides, verification from a scanned URI (match, mismatch, unknown
// device), the rule after a verification (only verified devices get messages, also devices
// known before), a new device announced, and a changed identity key refused, announced and
// accepted explicitly.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type ChatMessage,
  fingerprintHex,
  type HatoClient,
  MemoryOmemoStore,
  VerificationError,
  verificationUri,
} from "@hato/sdk";
import { createOwnDevice } from "@hato/sdk/internal";
import { type Element, parseElement, serialize } from "@hato/xml";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const NS = "eu.siacs.conversations.axolotl";
let world: SdkWorld;
const stores = { alice: new MemoryOmemoStore(), bob: new MemoryOmemoStore() };
let alice: HatoClient;
let bob: HatoClient;
let bobId: number;

before(async () => {
  world = await sdkWorld(["alice", "bob", "carol"]);
  alice = world.client("alice", { omemo: stores.alice });
  bob = world.client("bob", { omemo: stores.bob });
  await alice.connect();
  await bob.connect();
  await befriend(alice, bob);
  bobId = (await stores.bob.loadOwn())!.deviceId;
});
after(() => world.stop());

const incoming = (c: HatoClient, peer: string, pred: (m: ChatMessage) => boolean = () => true) =>
  nextEvent(c, "message", (m) => m.peer === peer && !m.outgoing && pred(m)).then(([m]) => m);

/** The device ids an encrypted message from `from` to `to` carries a key for. */
async function recipients(from: HatoClient, to: string): Promise<number[]> {
  const [enc] = (await from.omemo!.encrypt(to, "who gets this?")) as [Element];
  return parseElement(serialize(enc)) // as received: children carry their namespace
    .getChild("header", NS)!
    .getChildren("key", NS)
    .map((k) => Number(k.attr("rid")));
}

/** A further device of `user` with its own store (connected). */
async function newDevice(user: string, resource: string, store = new MemoryOmemoStore()) {
  const c = world.client(user, { omemo: store, resource });
  await c.connect();
  return { client: c, store, id: (await store.loadOwn())!.deviceId };
}

test("fingerprints, our own fingerprint and QR URI, and the same short code on both sides", async () => {
  const got = incoming(bob, alice.jid);
  await alice.sendEncrypted(bob.jid, "hello");
  await got;
  const [fp] = await alice.omemo!.fingerprints(bob.jid);
  const bobKey = (await stores.bob.loadOwn())!.identity.pub;
  assert.equal(fp?.device, bobId);
  assert.equal(fp?.fingerprint, fingerprintHex(bobKey));
  assert.equal(fp?.trust, "blind");
  assert.equal(fp?.listed, true);
  assert.ok(!Number.isNaN(Date.parse(fp?.since ?? "")));
  assert.deepEqual(bob.omemo!.ownFingerprint(), { device: bobId, fingerprint: fp?.fingerprint });
  assert.equal(
    bob.omemo!.verificationUri(),
    `xmpp:bob@localhost?omemo-sid-${bobId}=${fingerprintHex(bobKey)}`,
  );
  const aliceId = alice.omemo!.deviceId!;
  const code = await alice.omemo!.comparisonCode(bob.jid, bobId);
  assert.match(code, /^\d{5}( \d{5}){5}$/);
  assert.equal(await bob.omemo!.comparisonCode(alice.jid, aliceId), code);
  await assert.rejects(alice.omemo!.comparisonCode(bob.jid, 4242), VerificationError);
});

test("a scanned code of another key or an unknown device verifies nothing", async () => {
  const other = await createOwnDevice(new MemoryOmemoStore(), bobId);
  await assert.rejects(
    alice.omemo!.verifyFromUri(
      verificationUri(bob.jid, [{ device: bobId, key: other.identity.pub }]),
    ),
    (e: unknown) => e instanceof VerificationError && /does not match/.test(e.message),
  );
  await assert.rejects(
    alice.omemo!.verifyFromUri(
      verificationUri(bob.jid, [{ device: 4242, key: other.identity.pub }]),
    ),
    (e: unknown) => e instanceof VerificationError && /no device 4242/.test(e.message),
  );
  await assert.rejects(
    alice.omemo!.verifyFromUri("xmpp:bob@localhost?roster"),
    /no OMEMO fingerprint/,
  );
  assert.deepEqual(
    (await alice.omemo!.fingerprints(bob.jid)).map((f) => f.trust),
    ["blind"],
  );
});

test("after verifying one device, devices known before and new ones get no messages", async () => {
  const bob2 = await newDevice("bob", "two");
  // Alice learns bob2 from the device list notification or, at the latest, when she sends.
  assert.deepEqual((await recipients(alice, bob.jid)).sort(), [bobId, bob2.id].sort());
  assert.equal((await alice.omemo!.fingerprints(bob.jid)).length, 2);

  const verified = await alice.omemo!.verifyFromUri(bob.omemo!.verificationUri());
  assert.deepEqual(verified, { jid: bob.jid, devices: [bobId] });
  const trust = new Map((await alice.omemo!.fingerprints(bob.jid)).map((f) => [f.device, f.trust]));
  assert.equal(trust.get(bobId), "verified");
  assert.equal(
    trust.get(bob2.id),
    "untrusted",
    "blind-trusted before, no longer after the verification",
  );
  assert.deepEqual(await recipients(alice, bob.jid), [bobId]);

  const announced = nextEvent(
    alice,
    "omemoNewDevice",
    (jid, d) => jid === bob.jid && d !== bob2.id,
  );
  const bob3 = await newDevice("bob", "three");
  await alice.omemo!.refreshDevices(bob.jid);
  const [, device, info] = await announced;
  assert.equal(device, bob3.id);
  assert.equal(info.trust, "untrusted");
  assert.equal(info.firstOfContact, false);
  assert.equal(info.fingerprint, bob3.client.omemo!.ownFingerprint().fingerprint);
  assert.deepEqual(await recipients(alice, bob.jid), [bobId]);

  // Verifying the new device by its code lets it get messages again.
  await alice.omemo!.verifyFromUri(bob3.client.omemo!.verificationUri());
  assert.deepEqual((await recipients(alice, bob.jid)).sort(), [bobId, bob3.id].sort());
  await bob2.client.disconnect();
  await bob3.client.disconnect();
});

test("a changed identity key is refused and announced until the user accepts it; the device starts over", async () => {
  const carol = world.client("carol", { omemo: new MemoryOmemoStore() });
  await carol.connect();
  await befriend(carol, bob);
  const first = incoming(bob, carol.jid);
  await carol.sendEncrypted(bob.jid, "hi bob");
  await first;
  const carolId = carol.omemo!.deviceId!;
  const oldFp = carol.omemo!.ownFingerprint().fingerprint;
  await carol.disconnect();

  // Someone publishes another key under carol's device id and writes to bob.
  const forged = new MemoryOmemoStore();
  await createOwnDevice(forged, carolId);
  const mallory = world.client("carol", { omemo: forged, resource: "mallory" });
  await mallory.connect();
  const changed = nextEvent(bob, "omemoKeyChanged", (jid) => jid === carol.jid);
  const refused = incoming(bob, carol.jid, (m) => m.encryption === "failed");
  await mallory.sendEncrypted(bob.jid, "it is me, carol");
  const [, info] = await changed;
  assert.equal(info.device, carolId);
  assert.equal(info.old, oldFp);
  assert.equal(info.new, mallory.omemo!.ownFingerprint().fingerprint);
  assert.match(info.reason, /identity key of carol@localhost's device \d+ changed/);
  assert.match((await refused).problem ?? "", /identity key/);
  const [shown] = await bob.omemo!.fingerprints(carol.jid);
  assert.equal(shown?.fingerprint, oldFp, "the old key stays until the user accepts");
  assert.equal(shown?.changedTo, info.new);

  // The user accepts: blind again (nothing of carol's verified), the new key's messages decrypt.
  const accepted = await bob.omemo!.acceptNewKey(carol.jid, carolId);
  assert.equal(accepted.fingerprint, info.new);
  assert.equal(accepted.trust, "blind");
  assert.equal(accepted.changedTo, undefined);
  const after = incoming(bob, carol.jid, (m) => m.encryption === "omemo");
  await mallory.sendEncrypted(bob.jid, "accepted now");
  assert.equal((await after).body, "accepted now");

  // A listed device without a bundle: reported by refreshDevices, never announced or shown.
  const publish = mallory.omemo as unknown as { publishDevices(ids: number[]): Promise<unknown> };
  await publish.publishDevices([carolId, 777]);
  const problems = await bob.omemo!.refreshDevices(carol.jid);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^device 777: /);
  assert.deepEqual(
    (await bob.omemo!.fingerprints(carol.jid)).map((f) => f.device),
    [carolId],
  );
  await mallory.disconnect();
});

test("accepting a changed key of a verified device leaves it untrusted", async () => {
  // Alice verified bob's first device above; now a client publishes another key under its id.
  const forged = new MemoryOmemoStore();
  await createOwnDevice(forged, bobId);
  const mallory = world.client("bob", { omemo: forged, resource: "mallory" });
  await mallory.connect();
  const changed = nextEvent(alice, "omemoKeyChanged", (jid) => jid === bob.jid);
  const refused = incoming(alice, bob.jid, (m) => m.encryption === "failed");
  await mallory.sendEncrypted(alice.jid, "it is me, bob");
  assert.equal((await changed)[1].device, bobId);
  await refused;
  const accepted = await alice.omemo!.acceptNewKey(bob.jid, bobId);
  assert.equal(accepted.trust, "untrusted", "a verified device must be verified again");
  assert.equal(accepted.fingerprint, mallory.omemo!.ownFingerprint().fingerprint);
  await mallory.disconnect();
});
