// Storage contract, ArchiveStore part: append, filters, exact counts, anchors, purge, account lifetime.

import assert from "node:assert/strict";
import type { ArchivedMessage, ArchivePage, ArchiveQuery, Storage } from "../ports.js";
import { account, INVALID, type OpenStorage, rejectsWith, test } from "./fixtures.js";

export const T0 = 1_700_000_000_000;

/** Message n: id "id-n", stamp T0 + n s. */
export function msg(n: number, peer = "bob@example.org", stamp = T0 + n * 1000): ArchivedMessage {
  return {
    id: `id-${n}`,
    stamp: new Date(stamp),
    with: peer,
    stanza: `<message id='m${n}'><body>${n}</body></message>`,
  };
}

export async function withUsers(s: Storage, ...names: string[]): Promise<void> {
  for (const name of names) await s.accounts.create(account(name));
}

export async function appendAll(
  s: Storage,
  username: string,
  msgs: ArchivedMessage[],
): Promise<void> {
  for (const m of msgs) assert.equal(await s.archive.append(username, m), "stored", m.id);
}

export const ids = (page: ArchivePage | undefined): string[] | undefined =>
  page?.messages.map((m) => m.id);

/** Defines the ArchiveStore tests. */
export function archiveTests(open: OpenStorage): void {
  test(open, "an empty archive, or one without an account, has nothing", async (s) => {
    await withUsers(s, "alice");
    const empty = { messages: [], complete: true, count: 0 };
    for (const user of ["alice", "ghost"]) {
      assert.deepEqual(await s.archive.query(user, { limit: 10 }), empty);
      assert.deepEqual(await s.archive.query(user, { limit: 10, before: true }), empty);
      assert.deepEqual(await s.archive.query(user, { limit: 0 }), empty);
      assert.equal(await s.archive.query(user, { limit: 10, after: "id-1" }), undefined);
      assert.equal(await s.archive.query(user, { limit: 10, before: "id-1" }), undefined);
      assert.equal(await s.archive.purge(user), 0);
    }
  });

  test(open, "append refuses users without an account and duplicate ids", async (s) => {
    assert.equal(await s.archive.append("ghost", msg(1)), "no-such-user");
    await withUsers(s, "ghost", "alice", "bob");
    assert.equal((await s.archive.query("ghost", { limit: 10 }))?.count, 0);
    assert.equal(await s.archive.append("alice", msg(1)), "stored");
    const again = { ...msg(2), id: "id-1" };
    assert.equal(await s.archive.append("alice", again), "duplicate-id");
    assert.deepEqual((await s.archive.query("alice", { limit: 10 }))?.messages, [msg(1)]);
    assert.equal(await s.archive.append("bob", again), "stored"); // ids are per archive
    assert.deepEqual((await s.archive.query("bob", { limit: 10 }))?.messages, [again]);
  });

  test(open, "messages come back oldest appended first, with every field", async (s) => {
    await withUsers(s, "alice");
    // Stamps deliberately out of order: append order wins (clocks can step back).
    const sent = [
      msg(1, "bob@example.org", T0 + 5000),
      msg(2, "\u6771@\u4eac", T0 + 1),
      msg(3, "alice@example.org", T0 + 9),
      { ...msg(4), stanza: `<message><body>${"\u00e9\u{1F600}".repeat(100_000)}</body></message>` },
    ];
    await appendAll(s, "alice", sent);
    assert.deepEqual(await s.archive.query("alice", { limit: 10 }), {
      messages: sent,
      complete: true,
      count: 4,
    });
    for (const before of [undefined, true] as const) {
      const huge = await s.archive.query("alice", { limit: Number.MAX_SAFE_INTEGER, before });
      assert.deepEqual(huge, { messages: sent, complete: true, count: 4 });
    }
  });

  test(open, "with, start, end (inclusive) and ids filter, alone and combined", async (s) => {
    await withUsers(s, "alice");
    const bob = "bob@example.org";
    const carol = "carol@example.org";
    // id-n has stamp T0 + n s; peers alternate bob, carol.
    await appendAll(
      s,
      "alice",
      Array.from({ length: 10 }, (_, i) => msg(i, i % 2 ? carol : bob)),
    );
    const q = async (query: Omit<ArchiveQuery, "limit">, limit = 100) => {
      const page = await s.archive.query("alice", { ...query, limit });
      return [ids(page), page?.count, page?.complete];
    };
    const at = (n: number) => new Date(T0 + n * 1000);
    assert.deepEqual(await q({ with: carol }), [["id-1", "id-3", "id-5", "id-7", "id-9"], 5, true]);
    assert.deepEqual(await q({ with: "nobody@x" }), [[], 0, true]);
    assert.deepEqual(await q({ start: at(7) }), [["id-7", "id-8", "id-9"], 3, true]);
    assert.deepEqual(await q({ end: at(1) }), [["id-0", "id-1"], 2, true]);
    assert.deepEqual(await q({ start: at(3), end: at(5) }), [["id-3", "id-4", "id-5"], 3, true]);
    assert.deepEqual(await q({ start: at(4), end: at(4) }), [["id-4"], 1, true]);
    assert.deepEqual(await q({ start: at(5), end: at(4) }), [[], 0, true]);
    assert.deepEqual(await q({ start: new Date(T0 + 3001) }), [
      ["id-4", "id-5", "id-6", "id-7", "id-8", "id-9"],
      6,
      true,
    ]);
    assert.deepEqual(await q({ ids: ["id-8", "id-2", "nope", "id-2"] }), [
      ["id-2", "id-8"],
      2,
      true,
    ]);
    assert.deepEqual(await q({ ids: [] }), [[], 0, true]);
    assert.deepEqual(await q({ with: bob, start: at(3), end: at(8) }), [
      ["id-4", "id-6", "id-8"],
      3,
      true,
    ]);
    assert.deepEqual(await q({ with: bob, start: at(3), ids: ["id-0", "id-4", "id-5", "id-8"] }), [
      ["id-4", "id-8"],
      2,
      true,
    ]);
    // Paging inside the filtered set: count stays the filtered total.
    assert.deepEqual(await q({ with: carol }, 2), [["id-1", "id-3"], 5, false]);
    assert.deepEqual(await q({ with: carol, after: "id-3" }, 2), [["id-5", "id-7"], 5, false]);
    assert.deepEqual(await q({ with: carol, after: "id-7" }, 2), [["id-9"], 5, true]);
    assert.deepEqual(await q({ with: carol, before: true }, 2), [["id-7", "id-9"], 5, false]);
    assert.deepEqual(await q({ with: carol, before: "id-3" }, 2), [["id-1"], 5, true]);
    // Anchors need not match the filters themselves.
    assert.deepEqual(await q({ with: carol, after: "id-4" }, 2), [["id-5", "id-7"], 5, false]);
    assert.deepEqual(await q({ with: bob, before: "id-3" }, 5), [["id-0", "id-2"], 5, true]);
    assert.deepEqual(await q({ start: at(6), after: "id-2" }, 2), [["id-6", "id-7"], 4, false]);
    assert.deepEqual(await q({ end: at(3), before: "id-9" }, 2), [["id-2", "id-3"], 4, false]);
  });

  test(open, "an unknown after or before id gives undefined (item-not-found)", async (s) => {
    await withUsers(s, "alice", "bob");
    await appendAll(s, "alice", [msg(1), msg(2)]);
    await appendAll(s, "bob", [msg(3)]);
    for (const anchor of ["id-3", "nope", "ID-1", ""]) {
      assert.equal(await s.archive.query("alice", { limit: 5, after: anchor }), undefined);
      assert.equal(await s.archive.query("alice", { limit: 5, before: anchor }), undefined);
    }
    assert.equal(
      await s.archive.query("alice", { limit: 5, after: "id-1", before: "nope" }),
      undefined,
    );
    assert.equal(
      await s.archive.query("alice", { limit: 5, after: "nope", before: true }),
      undefined,
    );
  });

  test(open, "purge with a date deletes strictly older messages; without, all", async (s) => {
    await withUsers(s, "alice", "bob");
    await appendAll(
      s,
      "alice",
      Array.from({ length: 6 }, (_, i) => msg(i)),
    );
    await appendAll(s, "bob", [msg(0)]);
    assert.equal(await s.archive.purge("alice", new Date(T0 + 2000)), 2);
    assert.deepEqual(ids(await s.archive.query("alice", { limit: 10 })), [
      "id-2",
      "id-3",
      "id-4",
      "id-5",
    ]);
    assert.equal(await s.archive.purge("alice", new Date(T0 + 2000)), 0);
    assert.equal(await s.archive.purge("alice", new Date(0)), 0);
    assert.equal(await s.archive.query("alice", { limit: 10, after: "id-1" }), undefined);
    assert.equal(await s.archive.append("alice", msg(0)), "stored"); // a purged id is free again
    assert.equal(await s.archive.purge("alice"), 5);
    assert.deepEqual(await s.archive.query("alice", { limit: 10 }), {
      messages: [],
      complete: true,
      count: 0,
    });
    assert.equal((await s.archive.query("bob", { limit: 10 }))?.count, 1);
  });

  test(open, "returned and passed objects are copies", async (s) => {
    await withUsers(s, "alice");
    const m = msg(1);
    await s.archive.append("alice", m);
    m.stamp.setTime(0);
    m.stanza = "<mutated/>";
    const page = await s.archive.query("alice", { limit: 10 });
    page!.messages[0]!.stamp.setTime(1);
    page!.messages[0]!.with = "mutated@x";
    page!.messages.pop();
    assert.deepEqual((await s.archive.query("alice", { limit: 10 }))?.messages, [msg(1)]);
  });

  test(open, "deleting the account deletes its archive", async (s) => {
    await withUsers(s, "alice", "bob");
    await appendAll(s, "alice", [msg(1), msg(2)]);
    await appendAll(s, "bob", [msg(1)]);
    assert.equal(await s.accounts.delete("alice"), true);
    assert.equal(await s.archive.append("alice", msg(3)), "no-such-user");
    await withUsers(s, "alice");
    assert.equal((await s.archive.query("alice", { limit: 10 }))?.count, 0);
    assert.equal(await s.archive.append("alice", msg(1)), "stored");
    assert.equal((await s.archive.query("bob", { limit: 10 }))?.count, 1);
  });

  test(open, "interleaved appends of one id: exactly one is stored", async (s) => {
    await withUsers(s, "alice");
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.archive.append("alice", { ...msg(i), id: "same" })),
    );
    assert.equal(results.filter((r) => r === "stored").length, 1);
    assert.equal(results.filter((r) => r === "duplicate-id").length, 9);
    assert.equal((await s.archive.query("alice", { limit: 10 }))?.count, 1);
  });

  test(open, "invalid arguments reject with HATO_ERR_STORAGE_INVALID_ARGUMENT", async (s) => {
    await withUsers(s, "alice");
    const bad: Partial<Record<keyof ArchivedMessage, unknown>>[] = [
      { id: "" },
      { id: 7 },
      { id: "a\u0000" },
      { with: "" },
      { with: "\uD800@x" },
      { with: undefined },
      { stanza: 42 },
      { stanza: "<m>\uDC00</m>" },
      { stamp: new Date(Number.NaN) },
      { stamp: T0 },
    ];
    for (const extra of bad) {
      await rejectsWith(() => s.archive.append("alice", { ...msg(1), ...extra } as never), INVALID);
    }
    await rejectsWith(() => s.archive.append("", msg(1)), INVALID);
    await rejectsWith(() => s.archive.append("alice", null as never), INVALID);
    const badQueries: Record<string, unknown>[] = [
      { limit: -1 },
      { limit: 1.5 },
      { limit: "10" },
      {},
      { limit: 1, with: 5 },
      { limit: 1, with: "a\u0000" },
      { limit: 1, start: "2020-01-01" },
      { limit: 1, end: new Date("x") },
      { limit: 1, after: 3 },
      { limit: 1, before: false },
      { limit: 1, before: "\uDBFF" },
      { limit: 1, ids: "id-1" },
      { limit: 1, ids: [1] },
    ];
    for (const query of badQueries) {
      await rejectsWith(() => s.archive.query("alice", query as never), INVALID);
    }
    await rejectsWith(() => s.archive.query("a\u0000", { limit: 1 }), INVALID);
    await rejectsWith(() => s.archive.query("alice", null as never), INVALID);
    await rejectsWith(() => s.archive.purge("alice", new Date("x")), INVALID);
    await rejectsWith(() => s.archive.purge("alice", T0 as never), INVALID);
    await rejectsWith(() => s.archive.purge(""), INVALID);
    assert.equal((await s.archive.query("alice", { limit: 1 }))?.count, 0);
  });
}
