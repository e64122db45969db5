// The web client's IndexedDB OMEMO 2 store in Chromium: the same answers as the SDK's
// MemoryOmemo2Store for the same calls (values copied in and out, sessions as ratchet state,
// identities per contact, removals), one database per account named `hato-omemo2:<bare jid>`,
// and everything still there after a page reload.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type StorePage, startStorePage } from "./store-page.js";

/**
 * The same calls on a store (run in the page): returns what each read answered, as JSON.
 * `make` is "memory" (the SDK's MemoryOmemoStore) or "idb" (the web client's store).
 */
const EXERCISE = `async (make) => {
  const lib = await import(location.origin + "/lib.js");
  const s = make === "memory" ? new lib.MemoryOmemo2Store() : await lib.openOmemo2Store("alice@localhost");
  const b = (n, len = 32) => new Uint8Array(len).fill(n);
  const session = (n, skipped) => ({
    ratchet: { ad: b(n, 64), root: b(n + 1), own: { pub: b(n + 2), priv: b(n + 3) }, other: b(n + 4),
      sending: { key: b(n + 5), n: n }, pn: 3,
      skipped: skipped ? [{ pub: b(n + 6), n: 9, key: b(n + 7) }] : [] },
    ...(skipped ? { from: { pkId: 5, spkId: 1, ek: b(n + 8) } } : { kex: { pkId: 6, spkId: 2, ek: b(n + 9) } }),
  });
  const out = {};
  out.ownBefore = (await s.loadOwn()) ?? null;
  const own = { deviceId: 4242, identity: { pub: b(1), priv: b(2, 32) },
    signedPreKey: { id: 1, pair: { pub: b(3), priv: b(4, 32) }, signature: b(5, 64) }, nextPreKeyId: 101 };
  await s.saveOwn(own);
  own.identity.priv[0] = 99; // the store keeps a copy, not our object
  const o = await s.loadOwn();
  o.signedPreKey.signature[0] = 77; // and hands out copies
  out.own = await s.loadOwn();
  for (const id of [1, 2, 3]) await s.storePreKey(id, { pub: b(10 + id), priv: b(20 + id, 32) });
  await s.removePreKey(2);
  out.preKeyIds = (await s.preKeyIds()).sort((x, y) => x - y);
  out.preKey3 = await s.loadPreKey(3);
  out.preKey2 = (await s.loadPreKey(2)) ?? null;
  await s.storeSession("bob@localhost.7", session(40, false));
  await s.storeSession("bob@localhost.8", session(50, false));
  const s7 = session(60, true);
  await s.storeSession("bob@localhost.7", s7);
  s7.ratchet.skipped[0].key[0] = 1; // a copy again
  (await s.loadSession("bob@localhost.7")).ratchet.root[0] = 1;
  await s.removeSession("bob@localhost.8");
  out.sessions = [(await s.loadSession("bob@localhost.7")) ?? null, (await s.loadSession("bob@localhost.8")) ?? null];
  const since = "2026-01-01T00:00:00.000Z";
  await s.saveIdentity("bob@localhost", 7, { key: b(30), trust: "blind", since });
  await s.saveIdentity("bob@localhost", 2147483647, { key: b(31), trust: "verified", since });
  await s.saveIdentity("bob@localhost.evil", 1, { key: b(32), trust: "untrusted", since });
  await s.saveIdentity("bo", 1, { key: b(33), trust: "untrusted", since });
  await s.saveIdentity("bob@localhost", 7, { key: b(30), trust: "verified", since });
  out.identity7 = await s.loadIdentity("bob@localhost", 7);
  out.identityNone = (await s.loadIdentity("carol@localhost", 7)) ?? null;
  out.bobIdentities = [...(await s.identities("bob@localhost"))].sort((x, y) => x[0] - y[0]);
  out.nobody = [...(await s.identities("nobody@localhost"))];
  await s.saveDevices("bob@localhost", [7, 2147483647]);
  await s.saveDevices("bob@localhost", [7]);
  out.devices = await s.loadDevices("bob@localhost");
  out.noDevices = (await s.loadDevices("carol@localhost")) ?? null;
  // Uint8Array as arrays, so that the answers compare as JSON.
  return JSON.parse(JSON.stringify(out, (_k, v) => (v instanceof Uint8Array ? { bytes: [...v] } : v)));
}`;

/** What the IndexedDB store reads back after a reload (in a fresh page, no writes). */
const REREAD = `async () => {
  const lib = await import(location.origin + "/lib.js");
  const s = await lib.openOmemo2Store("alice@localhost");
  const out = {
    own: await s.loadOwn(),
    preKeyIds: (await s.preKeyIds()).sort((x, y) => x - y),
    session: await s.loadSession("bob@localhost.7"),
    bobIdentities: [...(await s.identities("bob@localhost"))].sort((x, y) => x[0] - y[0]),
    devices: await s.loadDevices("bob@localhost"),
    databases: (await indexedDB.databases()).map((d) => d.name).sort(),
    ownIsBytes: (await s.loadOwn()).identity.priv instanceof Uint8Array,
  };
  return JSON.parse(JSON.stringify(out, (_k, v) => (v instanceof Uint8Array ? { bytes: [...v] } : v)));
}`;

describe("the web client's IndexedDB OMEMO 2 store", () => {
  let store: StorePage;
  before(async () => {
    store = await startStorePage(
      "idb-omemo2-store.ts",
      ["openOmemo2Store", "omemo2DbName"],
      ["MemoryOmemo2Store"],
    );
  });
  after(() => store?.close());

  it("answers as MemoryOmemo2Store does, and keeps it all across a reload", async () => {
    const { w, idb } = await store.compare(EXERCISE);
    // A few of the answers spelled out, so that both stores being wrong the same way shows.
    assert.equal(idb.ownBefore, null);
    assert.deepEqual(idb.preKeyIds, [1, 3]);
    const sessions = idb.sessions as [Record<string, unknown>, null];
    assert.equal(sessions[1], null);
    assert.deepEqual(
      (sessions[0].from as { pkId: number }).pkId,
      5,
      "the newer session of device 7",
    );
    assert.equal(sessions[0].kex, undefined);
    assert.deepEqual(
      (sessions[0].ratchet as { skipped: { key: { bytes: number[] } }[] }).skipped[0]!.key.bytes[0],
      67,
      "a copy was stored, and copies handed out",
    );
    assert.deepEqual(
      (idb.bobIdentities as [number, unknown][]).map(([d]) => d),
      [7, 2147483647],
      "only bob's devices, not bob@localhost.evil's or bo's",
    );
    assert.equal(
      (idb.own as { identity: { priv: { bytes: number[] } } }).identity.priv.bytes[0],
      2,
    );

    await w.page.reload();
    const again = (await w.page.evaluate(`(${REREAD})()`)) as Record<string, unknown>;
    assert.deepEqual(again.own, idb.own);
    assert.deepEqual(again.preKeyIds, [1, 3]);
    assert.deepEqual(again.session, sessions[0]);
    assert.deepEqual(again.bobIdentities, idb.bobIdentities);
    assert.deepEqual(again.devices, [7]);
    assert.equal(again.ownIsBytes, true, "keys come back as Uint8Array (structured clone)");
    assert.deepEqual(again.databases, ["hato-omemo2:alice@localhost"]);
    // This bare page has no favicon; the browser asks for one.
    w.assertClean([/Failed to load resource: .* 404/]);
  });
});
