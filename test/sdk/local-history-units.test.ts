// The local history's rules without a server: limits, one record per message, and lookups
// that never let one kept text stand for two archived messages.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type HistoryRecord, LOCAL_HISTORY_LIMITS, MemoryHistoryStore } from "@hato/sdk";
import { LocalHistory } from "@hato/sdk/internal";

const rec = (over: Partial<HistoryRecord> = {}): HistoryRecord => ({
  peer: "bob@example.org",
  outgoing: false,
  id: "m1",
  body: "hello",
  time: 1000,
  ...over,
});

/** Runs `fn` with smaller limits, restoring them afterwards. */
async function withLimits(l: Partial<typeof LOCAL_HISTORY_LIMITS>, fn: () => Promise<void>) {
  const saved = { ...LOCAL_HISTORY_LIMITS };
  Object.assign(LOCAL_HISTORY_LIMITS, l);
  try {
    await fn();
  } finally {
    Object.assign(LOCAL_HISTORY_LIMITS, saved);
  }
}

test("a message is kept once: a second copy only adds the stanza-id the first lacked", async () => {
  const store = new MemoryHistoryStore();
  const h = new LocalHistory(store);
  assert.equal(await h.record(rec({ outgoing: true, originId: "m1" })), true);
  await h.record(rec({ outgoing: true, originId: "m1", stanzaId: "s1", body: "other" }));
  await h.record(rec({ outgoing: true, originId: "m1", stanzaId: "s1" }));
  const all = await store.list("bob@example.org");
  assert.equal(all.length, 1);
  assert.equal(all[0]!.stanzaId, "s1");
  assert.equal(all[0]!.body, "hello", "the first text stays");
  // The same id the other way is another message; the same stanza-id is the same one.
  await h.record(rec({ id: "m1" }));
  await h.record(rec({ id: "m2", stanzaId: "s1" }));
  assert.equal(store.size, 2);
});

test("lookup: by stanza-id, else by id once; a record never stands for two archived messages", async () => {
  const store = new MemoryHistoryStore();
  const h = new LocalHistory(store);
  await h.record(rec({ outgoing: true, id: "o1", body: "mine" }));
  await h.record(rec({ id: "i1", stanzaId: "s9", body: "theirs" }));
  assert.equal((await h.lookup("bob@example.org", true, "s1", "o1"))?.body, "mine");
  assert.equal((await store.get("bob@example.org", true, "o1"))?.stanzaId, "s1", "learnt");
  assert.equal(await h.lookup("bob@example.org", true, "s2", "o1"), undefined, "a second copy");
  assert.equal((await h.lookup("bob@example.org", true, "s1", undefined))?.body, "mine");
  assert.equal((await h.lookup("bob@example.org", false, "s9", "x"))?.body, "theirs");
  assert.equal(await h.lookup("bob@example.org", true, "s9", "x"), undefined, "wrong direction");
  assert.equal(await h.lookup("carol@example.org", false, "s9", "i1"), undefined, "other peer");
  assert.equal(await h.lookup("bob@example.org", false, "s3", "i1"), undefined, "has its own");
});

test("limits: the oldest go first, per conversation and in all; oversized records are refused", async () => {
  await withLimits({ perPeer: 3, total: 5 }, async () => {
    const store = new MemoryHistoryStore();
    const h = new LocalHistory(store);
    for (let i = 1; i <= 4; i++) await h.record(rec({ id: `b${i}`, time: i * 10 }));
    assert.deepEqual(
      (await store.list("bob@example.org")).map((r) => r.id),
      ["b2", "b3", "b4"],
    );
    for (let i = 1; i <= 3; i++)
      await h.record(rec({ peer: "carol@example.org", id: `c${i}`, time: 100 + i }));
    assert.equal(store.size, 5);
    assert.deepEqual(
      (await store.list("bob@example.org")).map((r) => r.id),
      ["b3", "b4"],
      "b2 was the oldest of all",
    );
  });
  const h = new LocalHistory(new MemoryHistoryStore());
  const big = "x".repeat(LOCAL_HISTORY_LIMITS.bodyChars + 1);
  assert.equal(await h.record(rec({ body: big })), false);
  assert.equal(await h.record(rec({ id: "i".repeat(LOCAL_HISTORY_LIMITS.idChars + 1) })), false);
  assert.equal(await h.record(rec({ id: "" })), false);
  assert.equal(await h.record(rec({ time: Number.NaN })), false);
});
