// Two devices that start sessions with each other at the same moment (each sends its first
// message before the other's arrives) each hold two Signal sessions, and messages keep crossing
// between them. Every message must still decrypt: trying the wrong session first may not change
// it (libsignal-protocol-typescript's own session list does; signal.ts tries copies).

import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryOmemoStore, type OwnDevice } from "@hato/sdk";
import {
  bundleElement,
  createOwnDevice,
  type IncomingKey,
  keyFor,
  type Outgoing,
  unwrapKey,
} from "@hato/sdk/internal";
import { type Element, parseElement, serialize } from "@hato/xml";

interface Device {
  jid: string;
  own: OwnDevice;
  store: MemoryOmemoStore;
  bundle: Element;
}

async function device(jid: string, id: number): Promise<Device> {
  const store = new MemoryOmemoStore();
  const own = await createOwnDevice(store, id);
  return { jid, own, store, bundle: parseElement(serialize(await bundleElement(store, own))) };
}

/** The key for `to` of a message from `from`, as `to` reads it off the wire. */
async function wrap(from: Device, to: Device, material: Uint8Array): Promise<IncomingKey> {
  const ctx: Outgoing = {
    store: from.store,
    self: () => from.jid,
    bundle: async () => to.bundle,
    // New devices are announced to the user; nobody listens here.
    verification: { announce: async () => undefined, keyRefused: () => undefined } as never,
    vet: undefined,
  };
  const el = await keyFor(ctx, from.own, to.jid, to.own.deviceId, material);
  assert.ok(el !== undefined, `${from.jid} may send to ${to.jid}`);
  return {
    sid: from.own.deviceId,
    key: new Uint8Array(Buffer.from(el.text(), "base64")),
    iv: new Uint8Array(12),
    prekey: el.attr("prekey") === "true",
    payload: undefined,
  };
}

async function unwrap(to: Device, from: Device, k: IncomingKey): Promise<Uint8Array> {
  const hooks = { refused: () => undefined, usedPreKey: () => undefined };
  return (await unwrapKey(to.store, to.own, from.jid, k, hooks)).keyMaterial;
}

const material = (n: number) => new Uint8Array(32).fill(n);

test("sessions started at the same moment from both sides: every later message decrypts, crossing or not", async () => {
  const alice = await device("alice@x", 1001);
  const bob = await device("bob@x", 2002);
  let n = 0;
  // Both send first: each builds a session from the other's bundle (two sessions in all).
  const a1 = await wrap(alice, bob, material(++n));
  const b1 = await wrap(bob, alice, material(++n));
  assert.ok(a1.prekey && b1.prekey);
  assert.deepEqual(await unwrap(bob, alice, a1), material(1));
  assert.deepEqual(await unwrap(alice, bob, b1), material(2));
  // Then rounds where both write before reading (crossing) and rounds where they take turns.
  for (let round = 0; round < 6; round++) {
    const crossing = round % 2 === 0;
    if (crossing) {
      const [ma, mb] = [material(++n), material(++n)];
      const a = await wrap(alice, bob, ma);
      const b = await wrap(bob, alice, mb);
      assert.deepEqual(await unwrap(bob, alice, a), ma, `round ${round}: bob reads alice`);
      assert.deepEqual(await unwrap(alice, bob, b), mb, `round ${round}: alice reads bob`);
    } else {
      const ma = material(++n);
      assert.deepEqual(await unwrap(bob, alice, await wrap(alice, bob, ma)), ma, `round ${round}`);
      const mb = material(++n);
      assert.deepEqual(await unwrap(alice, bob, await wrap(bob, alice, mb)), mb, `round ${round}`);
    }
  }
});
