// Verification of OMEMO 2 (urn:xmpp:omemo:2) devices through client.omemo, as for legacy
// ones: fingerprints (the Ed25519 key in hex), the short code and QR URI, the rule after a
// verification across both namespaces, new devices and changed keys announced and refused.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  comparisonCode,
  fingerprintHex,
  type HatoClient,
  MemoryOmemo2Store,
  MemoryOmemoStore,
  OmemoError,
  VerificationError,
  verificationUri,
} from "@hato/sdk";
import { befriend, nextEvent, type SdkWorld, sdkWorld } from "../support/sdk.js";

const NS2 = "urn:xmpp:omemo:2";
const LEGACY = "eu.siacs.conversations.axolotl";
let world: SdkWorld;
const aliceStore2 = new MemoryOmemo2Store();
const carolStore = new MemoryOmemo2Store();
let alice: HatoClient;
let bob: HatoClient;
let carol: HatoClient;
let dave: HatoClient;

before(async () => {
  world = await sdkWorld(["alice", "bob", "carol", "dave"]);
  alice = world.client("alice", { omemo: new MemoryOmemoStore(), omemo2: aliceStore2 });
  bob = world.client("bob", { omemo: new MemoryOmemoStore(), omemo2: new MemoryOmemo2Store() });
  carol = world.client("carol", { omemo2: carolStore }); // OMEMO 2 only
  dave = world.client("dave", { omemo: new MemoryOmemoStore(), omemo2: new MemoryOmemo2Store() });
  await Promise.all([alice.connect(), bob.connect(), carol.connect(), dave.connect()]);
  await Promise.all([befriend(alice, bob), befriend(alice, carol), befriend(alice, dave)]);
});
after(() => world.stop());

const rids = (
  els: Awaited<ReturnType<NonNullable<HatoClient["omemo2"]>["encrypt"]>>,
  jid: string,
) =>
  els[0]!
    .getChild("header")!
    .getChildren("keys")
    .filter((k) => k.attr("jid") === jid)
    .flatMap((k) => k.getChildren("key").map((x) => Number(x.attr("rid"))));

test("an OMEMO 2 device's fingerprint is its Ed25519 identity key in hex, namespace named", async () => {
  await alice.sendEncrypted(carol.jid, "hello");
  const own = (await carolStore.loadOwn())!;
  const fps = await alice.omemo!.fingerprints(carol.jid);
  assert.equal(fps.length, 1);
  assert.equal(fps[0]!.namespace, NS2);
  assert.equal(fps[0]!.device, own.deviceId);
  assert.equal(fps[0]!.fingerprint, Buffer.from(own.identity.pub).toString("hex"));
  assert.equal(fps[0]!.fingerprint.length, 64);
  assert.equal(fps[0]!.trust, "blind");
  const mine = alice.omemo!.ownFingerprints();
  assert.deepEqual(
    mine.map((m) => m.namespace),
    [LEGACY, NS2],
  );
  const own2 = (await aliceStore2.loadOwn())!;
  assert.equal(mine[1]!.fingerprint, fingerprintHex(own2.identity.pub));
  // Our QR code names both our devices.
  assert.match(
    alice.omemo!.verificationUri(),
    new RegExp(`omemo-sid-${own2.deviceId}=${mine[1]!.fingerprint}`),
  );
});

test("the short code for an OMEMO 2 device is the one the other side computes", async () => {
  const own = (await carolStore.loadOwn())!;
  const aliceOwn2 = (await aliceStore2.loadOwn())!;
  const code = await alice.omemo!.comparisonCode(carol.jid, own.deviceId);
  const theirs = await comparisonCode(
    { jid: carol.jid, key: own.identity.pub },
    { jid: alice.jid, key: aliceOwn2.identity.pub },
  );
  assert.equal(code, theirs);
  assert.match(code, /^\d{5}( \d{5}){5}$/);
});

test("verify by URI: a wrong fingerprint verifies nothing, the right one verifies the OMEMO 2 device", async () => {
  const own = (await carolStore.loadOwn())!;
  const wrong = verificationUri(carol.jid, [
    { device: own.deviceId, key: new Uint8Array(32).fill(7) },
  ]);
  await assert.rejects(alice.omemo!.verifyFromUri(wrong), VerificationError);
  assert.equal((await alice.omemo!.fingerprints(carol.jid))[0]!.trust, "blind");
  const right = verificationUri(carol.jid, [{ device: own.deviceId, key: own.identity.pub }]);
  assert.deepEqual(await alice.omemo!.verifyFromUri(right), {
    jid: carol.jid,
    devices: [own.deviceId],
  });
  assert.equal((await alice.omemo!.fingerprints(carol.jid))[0]!.trust, "verified");
});

let carol2Device = 0;
const carol2Store = new MemoryOmemo2Store();

test("a new OMEMO 2 device after a verification is announced, untrusted, and gets no key", async () => {
  const announced = nextEvent(
    alice,
    "omemoNewDevice",
    (jid, _d, info) => jid === carol.jid && info.namespace === NS2,
  );
  const carol2 = world.client("carol", { omemo2: carol2Store });
  await carol2.connect();
  carol2Device = (await carol2Store.loadOwn())!.deviceId;
  const [, device, info] = await announced;
  assert.equal(device, carol2Device);
  assert.equal(info.trust, "untrusted");
  assert.equal(info.fingerprint, fingerprintHex((await carol2Store.loadOwn())!.identity.pub));
  const els = await alice.omemo2!.encrypt(carol.jid, "only to the verified device");
  const to = rids(els, carol.jid);
  assert.deepEqual(to, [(await carolStore.loadOwn())!.deviceId]);
  const fps = await alice.omemo!.fingerprints(carol.jid);
  assert.equal(fps.find((f) => f.device === carol2Device)?.trust, "untrusted");
  await carol2.disconnect();
});

test("a changed OMEMO 2 key is refused and announced; accepting it starts the device over", async () => {
  // alice holds another key for carol's second device than the one its bundle presents.
  const real = (await carol2Store.loadOwn())!.identity.pub;
  const held = (await aliceStore2.loadIdentity(carol.jid, carol2Device))!;
  await aliceStore2.saveIdentity(carol.jid, carol2Device, {
    ...held,
    key: new Uint8Array(32).fill(9),
    trust: "verified",
  });
  const changed = nextEvent(
    alice,
    "omemoKeyChanged",
    (jid, i) => jid === carol.jid && i.device === carol2Device,
  );
  const els = await alice.omemo2!.encrypt(carol.jid, "the changed device gets nothing");
  assert.ok(!rids(els, carol.jid).includes(carol2Device));
  const [, info] = await changed;
  assert.equal(info.namespace, NS2);
  assert.equal(info.new, fingerprintHex(real));
  assert.equal(info.old, "09".repeat(32));
  const fp = (await alice.omemo!.fingerprints(carol.jid)).find((f) => f.device === carol2Device)!;
  assert.equal(fp.changedTo, fingerprintHex(real));
  const now = await alice.omemo!.acceptNewKey(carol.jid, carol2Device, NS2);
  assert.equal(now.fingerprint, fingerprintHex(real));
  assert.equal(now.trust, "untrusted"); // carol has a verified device: the rule holds
  assert.equal(now.changedTo, undefined);
});

test("verifying a legacy device makes the contact's OMEMO 2 devices untrusted (and OMEMO 2 sends refuse)", async () => {
  await alice.omemo!.refreshDevices(bob.jid);
  const fps = await alice.omemo!.fingerprints(bob.jid);
  assert.deepEqual(new Set(fps.map((f) => f.namespace)), new Set([LEGACY, NS2]));
  assert.ok(fps.every((f) => f.trust === "blind"));
  const legacy = fps.find((f) => f.namespace === LEGACY)!;
  await alice.omemo!.setTrust(bob.jid, legacy.device, "verified", LEGACY);
  const after = await alice.omemo!.fingerprints(bob.jid);
  assert.equal(after.find((f) => f.namespace === NS2)!.trust, "untrusted");
  await assert.rejects(alice.omemo2!.encrypt(bob.jid, "x"), OmemoError);
});

test("verifying an OMEMO 2 device makes the contact's legacy devices untrusted (and legacy sends refuse)", async () => {
  await alice.omemo!.refreshDevices(dave.jid);
  const fps = await alice.omemo!.fingerprints(dave.jid);
  const v2 = fps.find((f) => f.namespace === NS2)!;
  const code = await alice.omemo!.comparisonCode(dave.jid, v2.device, NS2);
  assert.match(code, /^\d{5}( \d{5}){5}$/);
  await alice.omemo!.setTrust(dave.jid, v2.device, "verified", NS2);
  const after = await alice.omemo!.fingerprints(dave.jid);
  assert.equal(after.find((f) => f.namespace === LEGACY)!.trust, "untrusted");
  await assert.rejects(alice.sendEncrypted(dave.jid, "x"), OmemoError);
});
