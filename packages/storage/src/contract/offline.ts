// Storage contract, OfflineStore part: order, peek-then-remove, quotas by count and bytes.

import assert from "node:assert/strict";
import type { Storage } from "../ports.js";
import { account, INVALID, NO_LIMIT, type OpenStorage, rejectsWith, test } from "./fixtures.js";

function msg(n: number, from = "sender@example.org/phone") {
  return {
    stanza: `<message id='m${n}'><body>${n}</body></message>`,
    stamp: new Date(1_700_000_000_000 + n),
    from,
  };
}

async function withUsers(s: Storage, ...names: string[]): Promise<void> {
  for (const name of names) await s.accounts.create(account(name));
}

/** Defines the OfflineStore tests. */
export function offlineTests(open: OpenStorage): void {
  test(open, "a user without messages, or without an account, has none", async (s) => {
    await withUsers(s, "alice");
    assert.deepEqual(await s.offline.peek("alice"), []);
    assert.equal(await s.offline.count("alice"), 0);
    assert.deepEqual(await s.offline.peek("ghost"), []);
    assert.equal(await s.offline.count("ghost"), 0);
    await s.offline.remove("ghost", [1, "2"]);
  });

  test(open, "push for a user without an account is refused", async (s) => {
    assert.equal(await s.offline.push("ghost", msg(1), NO_LIMIT), "no-such-user");
    await withUsers(s, "ghost");
    assert.equal(await s.offline.count("ghost"), 0);
  });

  test(open, "messages come back oldest pushed first, with every field", async (s) => {
    await withUsers(s, "alice");
    // Stamps deliberately out of order: push order wins (clocks can step back).
    const sent = [msg(3, "a@x/1"), msg(1, "b@y"), msg(2, "\u6771@\u4eac/\u{1F600}")];
    for (const m of sent) assert.equal(await s.offline.push("alice", m, NO_LIMIT), "stored");
    const got = await s.offline.peek("alice");
    assert.deepEqual(
      got.map(({ stanza, stamp, from }) => ({ stanza, stamp, from })),
      sent,
    );
    assert.equal(new Set(got.map((m) => m.id)).size, 3);
    assert.equal(await s.offline.count("alice"), 3);
  });

  test(open, "peek honours max and does not remove", async (s) => {
    await withUsers(s, "alice");
    for (let i = 0; i < 5; i++) await s.offline.push("alice", msg(i), NO_LIMIT);
    assert.deepEqual(
      (await s.offline.peek("alice", 2)).map((m) => m.stanza),
      [msg(0).stanza, msg(1).stanza],
    );
    assert.deepEqual(await s.offline.peek("alice", 0), []);
    assert.equal((await s.offline.peek("alice", 99)).length, 5);
    assert.equal(await s.offline.count("alice"), 5);
    assert.deepEqual(await s.offline.peek("alice"), await s.offline.peek("alice"));
  });

  test(open, "remove deletes exactly the given ids of that user", async (s) => {
    await withUsers(s, "alice", "bob");
    for (let i = 0; i < 4; i++) await s.offline.push("alice", msg(i), NO_LIMIT);
    await s.offline.push("bob", msg(9), NO_LIMIT);
    const [a0, a1, a2, a3] = await s.offline.peek("alice");
    const [b0] = await s.offline.peek("bob");
    await s.offline.remove("alice", [a1!.id, a3!.id]);
    assert.deepEqual(await s.offline.peek("alice"), [a0, a2]);
    await s.offline.remove("alice", [b0!.id]); // another user's id: untouched
    assert.deepEqual(await s.offline.peek("bob"), [b0]);
    await s.offline.remove("alice", []);
    await s.offline.remove("alice", [a1!.id, 987654321, "no-such-id"]);
    assert.deepEqual(await s.offline.peek("alice"), [a0, a2]);
  });

  test(
    open,
    "a crash between peek and remove re-delivers: peek sees the same messages",
    async (s) => {
      await withUsers(s, "alice");
      await s.offline.push("alice", msg(1), NO_LIMIT);
      const first = await s.offline.peek("alice");
      await s.offline.push("alice", msg(2), NO_LIMIT); // arrives during delivery
      await s.offline.remove(
        "alice",
        first.map((m) => m.id),
      );
      assert.deepEqual(
        (await s.offline.peek("alice")).map((m) => m.stanza),
        [msg(2).stanza],
      );
    },
  );

  test(open, "ids are not reused after removal", async (s) => {
    await withUsers(s, "alice");
    await s.offline.push("alice", msg(1), NO_LIMIT);
    const [old] = await s.offline.peek("alice");
    await s.offline.remove("alice", [old!.id]);
    await s.offline.push("alice", msg(2), NO_LIMIT);
    const [fresh] = await s.offline.peek("alice");
    assert.notEqual(String(fresh!.id), String(old!.id));
    await s.offline.remove("alice", [old!.id]); // a late, repeated remove
    assert.equal(await s.offline.count("alice"), 1);
  });

  test(open, "quota by count", async (s) => {
    await withUsers(s, "alice");
    const limits = { maxPerUser: 3, maxBytesPerUser: 1_000_000 };
    for (let i = 0; i < 3; i++)
      assert.equal(await s.offline.push("alice", msg(i), limits), "stored");
    assert.equal(await s.offline.push("alice", msg(3), limits), "quota-exceeded");
    assert.equal(await s.offline.count("alice"), 3);
    const [oldest] = await s.offline.peek("alice", 1);
    await s.offline.remove("alice", [oldest!.id]);
    assert.equal(await s.offline.push("alice", msg(4), limits), "stored");
    assert.equal(
      await s.offline.push("alice", msg(5), { maxPerUser: 0, maxBytesPerUser: 1e6 }),
      "quota-exceeded",
    );
  });

  test(open, "quota by UTF-8 bytes of the stanza, boundary included", async (s) => {
    await withUsers(s, "alice");
    const stanza = "<m>\u00e9\u6771\u{1F600}</m>"; // 7 ASCII + 2 + 3 + 4 = 16 bytes
    const one = { stanza, stamp: new Date(0), from: "x@y" };
    const limits = { maxPerUser: 100, maxBytesPerUser: 32 };
    assert.equal(await s.offline.push("alice", one, limits), "stored");
    assert.equal(await s.offline.push("alice", one, limits), "stored"); // exactly 32
    assert.equal(await s.offline.push("alice", { ...one, stanza: "x" }, limits), "quota-exceeded");
    assert.equal(await s.offline.count("alice"), 2);
    await withUsers(s, "bob");
    const tooBig = { maxPerUser: 100, maxBytesPerUser: 15 };
    assert.equal(await s.offline.push("bob", one, tooBig), "quota-exceeded");
    assert.equal(await s.offline.count("bob"), 0);
  });

  test(open, "quotas are per user", async (s) => {
    await withUsers(s, "alice", "bob");
    const limits = { maxPerUser: 1, maxBytesPerUser: 1000 };
    assert.equal(await s.offline.push("alice", msg(1), limits), "stored");
    assert.equal(await s.offline.push("alice", msg(2), limits), "quota-exceeded");
    assert.equal(await s.offline.push("bob", msg(3), limits), "stored");
  });

  test(open, "a large stanza round-trips", async (s) => {
    await withUsers(s, "alice");
    const stanza = `<message><body>${"\u00e9x\u{1F600}".repeat(150_000)}</body></message>`;
    assert.equal(
      await s.offline.push("alice", { stanza, stamp: new Date(5), from: "a@b" }, NO_LIMIT),
      "stored",
    );
    assert.equal((await s.offline.peek("alice"))[0]?.stanza, stanza);
  });

  test(open, "interleaved pushes never exceed the quota", async (s) => {
    await withUsers(s, "alice");
    const limits = { maxPerUser: 5, maxBytesPerUser: 1_000_000 };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.offline.push("alice", msg(i), limits)),
    );
    assert.equal(results.filter((r) => r === "stored").length, 5);
    assert.equal(results.filter((r) => r === "quota-exceeded").length, 15);
    assert.equal(await s.offline.count("alice"), 5);
  });

  test(open, "invalid arguments reject with HATO_ERR_STORAGE_INVALID_ARGUMENT", async (s) => {
    await withUsers(s, "alice");
    await rejectsWith(() => s.offline.push("", msg(1), NO_LIMIT), INVALID);
    await rejectsWith(
      () => s.offline.push("alice", { ...msg(1), stamp: new Date("x") }, NO_LIMIT),
      INVALID,
    );
    await rejectsWith(
      () => s.offline.push("alice", { ...msg(1), stanza: "\uDC00" }, NO_LIMIT),
      INVALID,
    );
    await rejectsWith(
      () => s.offline.push("alice", msg(1), { maxPerUser: -1, maxBytesPerUser: 1 }),
      INVALID,
    );
    await rejectsWith(
      () => s.offline.push("alice", msg(1), { maxPerUser: 1, maxBytesPerUser: Number.NaN }),
      INVALID,
    );
    await rejectsWith(() => s.offline.peek("alice", -1), INVALID);
    await rejectsWith(() => s.offline.remove("alice", [{} as never]), INVALID);
    assert.equal(await s.offline.count("alice"), 0);
  });

  test(open, "purge deletes only this user's messages stored before the time", async (s) => {
    await withUsers(s, "alice", "bob");
    for (const n of [1, 2, 3]) await s.offline.push("alice", msg(n), NO_LIMIT);
    await s.offline.push("bob", msg(1), NO_LIMIT);
    assert.equal(await s.offline.purge("alice", msg(3).stamp), 2);
    assert.deepEqual(
      (await s.offline.peek("alice")).map((m) => m.stanza),
      [msg(3).stanza],
    );
    assert.equal(await s.offline.count("bob"), 1);
    assert.equal(await s.offline.purge("ghost", new Date()), 0);
    await rejectsWith(() => s.offline.purge("alice", new Date(Number.NaN)), INVALID);
  });
}
