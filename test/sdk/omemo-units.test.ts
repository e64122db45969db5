// OMEMO building blocks without a server: the blind-trust policy, device ids, bundle and
// device list parsing, the PreKeySignalMessage identity reader, the memory store's copies.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryOmemoStore } from "@hato/sdk";
import {
  judgeKey,
  maySendTo,
  newDeviceId,
  parseBundle,
  parseDeviceList,
  preKeyMessageIdentity,
} from "@hato/sdk/internal";
import { type Element, parseElement, serialize, xml } from "@hato/xml";

const NS = "eu.siacs.conversations.axolotl";
const key = (n: number) => new Uint8Array(33).fill(n);
/** As received: serialised and parsed again, so children carry their namespace. */
const wire = (e: Element) => parseElement(serialize(e));

test("blind trust: new devices trusted until one is verified, then untrusted; a changed key refused", async () => {
  const store = new MemoryOmemoStore();
  const first = await judgeKey(store, "bob@x", 1, key(1));
  assert.ok(first.ok && first.isNew && first.identity.trust === "blind");
  await store.saveIdentity("bob@x", 1, first.identity);
  const again = await judgeKey(store, "bob@x", 1, key(1));
  assert.ok(again.ok && !again.isNew);
  const changed = await judgeKey(store, "bob@x", 1, key(2));
  assert.ok(!changed.ok);
  assert.match(changed.reason, /identity key of bob@x's device 1 changed/);
  assert.ok((await judgeKey(store, "bob@x", 2, key(3))).ok, "blind while nothing is verified");
  await store.saveIdentity("bob@x", 1, { ...first.identity, trust: "verified" });
  const later = await judgeKey(store, "bob@x", 2, key(3));
  assert.ok(later.ok && later.identity.trust === "untrusted");
  assert.equal(maySendTo("untrusted"), false);
  assert.equal(maySendTo("verified"), true);
  assert.equal(maySendTo("blind"), true);
});

test("device ids are 31-bit, non-zero, and avoid our other devices' ids", () => {
  for (let i = 0; i < 200; i++) {
    const id = newDeviceId([5, 6]);
    assert.ok(Number.isInteger(id) && id >= 1 && id < 2 ** 31 && id !== 5 && id !== 6);
  }
});

test("bundles with missing or mis-sized keys are refused with the reason", () => {
  const b64 = (n: number, len: number) => Buffer.alloc(len, n).toString("base64");
  const bundle = (ik: string, sig = b64(9, 64), pre = b64(4, 33)) =>
    wire(
      xml(
        "bundle",
        { xmlns: NS },
        xml("signedPreKeyPublic", { signedPreKeyId: "1" }, b64(5, 33)),
        xml("signedPreKeySignature", null, sig),
        xml("identityKey", null, ik),
        xml("prekeys", null, xml("preKeyPublic", { preKeyId: "7" }, pre)),
      ),
    );
  const ok = parseBundle(bundle(b64(1, 33)));
  assert.equal(ok.preKeys[0]?.id, 7);
  assert.throws(() => parseBundle(undefined), /no bundle/);
  assert.throws(() => parseBundle(bundle(b64(1, 32))), /identity key/);
  assert.throws(() => parseBundle(bundle(b64(1, 33), b64(9, 63))), /signature/);
  assert.throws(() => parseBundle(bundle(b64(1, 33), b64(9, 64), "!!")), /no pre-keys/);
});

test("device lists: invalid, zero, out-of-range and repeated ids are skipped", () => {
  const list = wire(
    xml(
      "list",
      { xmlns: NS },
      ...["12", "0", "-3", "x", "2147483648", "12", "2147483647"].map((id) =>
        xml("device", { id }),
      ),
    ),
  );
  assert.deepEqual(parseDeviceList(list), [12, 2147483647]);
});

test("the PreKeySignalMessage reader finds field 3 and refuses truncated input", () => {
  // version byte, field 1 varint 5, field 3 length 2 "ab"
  const msg = new Uint8Array([0x33, 0x08, 0x05, 0x1a, 0x02, 0x61, 0x62]);
  assert.deepEqual([...preKeyMessageIdentity(msg)!], [0x61, 0x62]);
  assert.equal(preKeyMessageIdentity(new Uint8Array([0x33, 0x1a, 0x09, 0x61])), undefined);
  assert.equal(preKeyMessageIdentity(new Uint8Array([0x33, 0x08])), undefined);
  assert.equal(preKeyMessageIdentity(new Uint8Array([0x33, 0x0d, 0, 0, 0, 0])), undefined);
});

test("the memory store hands out copies, as a database would", async () => {
  const store = new MemoryOmemoStore();
  const pair = { pub: key(1), priv: key(2) };
  await store.storePreKey(1, pair);
  pair.pub[0] = 99;
  const back = await store.loadPreKey(1);
  assert.equal(back?.pub[0], 1);
  back!.pub[0] = 77;
  assert.equal((await store.loadPreKey(1))?.pub[0], 1);
});
