// The web client's IndexedDB history store (hato-history:<bare jid>) in Chromium: the same
// answers as the SDK's MemoryHistoryStore for the same calls (lookups by id and stanza-id,
// replacing a record, copies handed out, the limits per conversation and in all), and
// everything still there after a page reload.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type StorePage, startStorePage } from "./store-page.js";

/** The same calls on a store (run in the page), with small limits; returns what the reads answered. */
const EXERCISE = `async (make) => {
  const lib = await import(location.origin + "/lib.js");
  const saved = { ...lib.LOCAL_HISTORY_LIMITS };
  Object.assign(lib.LOCAL_HISTORY_LIMITS, { perPeer: 3, total: 5 });
  try {
    const s = make === "memory" ? new lib.MemoryHistoryStore() : await lib.openHistoryStore("alice@localhost");
    const r = (peer, outgoing, id, time, extra = {}) => ({ peer, outgoing, id, body: "text " + id, time, ...extra });
    const bob = "bob@localhost";
    const out = {};
    out.none = (await s.get(bob, false, "m1")) ?? null;
    await s.put(r(bob, false, "m1", 10, { stanzaId: "s1" }));
    await s.put(r(bob, true, "m1", 20, { originId: "m1" }));
    await s.put(r(bob, true, "m1", 20, { originId: "m1", stanzaId: "s2" }));
    out.incoming = await s.get(bob, false, "m1");
    out.outgoing = await s.get(bob, true, "m1");
    out.byS1 = await s.byStanzaId(bob, "s1");
    out.byS2 = await s.byStanzaId(bob, "s2");
    out.otherPeer = (await s.byStanzaId("carol@localhost", "s1")) ?? null;
    const got = await s.get(bob, false, "m1");
    got.body = "changed";
    out.copied = (await s.get(bob, false, "m1")).body;
    for (const i of [3, 4]) await s.put(r(bob, false, "m" + i, i * 10));
    out.bobAfterPerPeer = (await s.list(bob)).map((x) => x.id + (x.outgoing ? ">" : "<"));
    for (const i of [1, 2, 3]) await s.put(r("carol@localhost", false, "c" + i, 100 + i));
    out.bob = (await s.list(bob)).map((x) => x.id + (x.outgoing ? ">" : "<"));
    out.carol = (await s.list("carol@localhost")).map((x) => x.id);
    out.byS1After = (await s.byStanzaId(bob, "s1")) ?? null;
    out.byS2After = (await s.byStanzaId(bob, "s2")) ?? null;
    return out;
  } finally {
    Object.assign(lib.LOCAL_HISTORY_LIMITS, saved);
  }
}`;

/** What the IndexedDB store reads back after a reload (a fresh page, no writes). */
const REREAD = `async () => {
  const lib = await import(location.origin + "/lib.js");
  const s = await lib.openHistoryStore("alice@localhost");
  return {
    bob: await s.list("bob@localhost"),
    carol: (await s.list("carol@localhost")).map((x) => x.id),
    databases: (await indexedDB.databases()).map((d) => d.name).sort(),
  };
}`;

describe("the web client's IndexedDB history store", () => {
  let store: StorePage;
  before(async () => {
    store = await startStorePage(
      "idb-history.ts",
      ["openHistoryStore"],
      ["MemoryHistoryStore", "LOCAL_HISTORY_LIMITS"],
    );
  });
  after(() => store?.close());

  it("answers as MemoryHistoryStore does, within the limits, and keeps it across a reload", async () => {
    const { w, idb } = await store.compare(EXERCISE);
    // Spelled out, so that both stores being wrong the same way shows.
    assert.equal(idb.none, null);
    assert.deepEqual(idb.outgoing, {
      peer: "bob@localhost",
      outgoing: true,
      id: "m1",
      originId: "m1",
      stanzaId: "s2",
      body: "text m1",
      time: 20,
    });
    assert.equal((idb.byS1 as { outgoing: boolean }).outgoing, false);
    assert.equal(idb.otherPeer, null, "a stanza-id counts only in its conversation");
    assert.equal(idb.copied, "text m1", "records are handed out as copies");
    assert.deepEqual(idb.bobAfterPerPeer, ["m1>", "m3<", "m4<"], "3 per conversation: m1< went");
    assert.deepEqual(idb.bob, ["m3<", "m4<"], "5 in all: the oldest of all (m1>) went");
    assert.deepEqual(idb.carol, ["c1", "c2", "c3"]);
    assert.equal(idb.byS1After, null);
    assert.equal(idb.byS2After, null);

    await w.page.reload();
    const again = (await w.page.evaluate(`(${REREAD})()`)) as Record<string, unknown>;
    assert.deepEqual(
      (again.bob as { id: string; body: string; time: number }[]).map((x) => [
        x.id,
        x.body,
        x.time,
      ]),
      [
        ["m3", "text m3", 30],
        ["m4", "text m4", 40],
      ],
    );
    assert.deepEqual(again.carol, ["c1", "c2", "c3"]);
    assert.deepEqual(again.databases, ["hato-history:alice@localhost"]);
    // This bare page has no favicon; the browser asks for one.
    w.assertClean([/Failed to load resource: .* 404/]);
  });
});
