// Storage contract, ArchiveStore paging: RSM after/before/limit both ways, `complete`, a model check.

import assert from "node:assert/strict";
import type { ArchivedMessage, ArchiveQuery } from "../ports.js";
import { appendAll, ids, msg, T0, withUsers } from "./archive.js";
import { type OpenStorage, prng, test } from "./fixtures.js";

/** Which of `all` (in append order) a query's filters keep; written apart from any adapter. */
function reference(all: ArchivedMessage[], q: Omit<ArchiveQuery, "limit">): ArchivedMessage[] {
  return all.filter(
    (m) =>
      (q.with === undefined || m.with === q.with) &&
      (q.start === undefined || m.stamp.getTime() >= q.start.getTime()) &&
      (q.end === undefined || m.stamp.getTime() <= q.end.getTime()) &&
      (q.ids === undefined || q.ids.includes(m.id)),
  );
}

/** Defines the ArchiveStore paging tests. */
export function archivePagingTests(open: OpenStorage): void {
  test(open, "forward paging with after", async (s) => {
    await withUsers(s, "alice");
    await appendAll(
      s,
      "alice",
      Array.from({ length: 7 }, (_, i) => msg(i)),
    );
    const page = (after?: string) => s.archive.query("alice", { limit: 3, after });
    const first = await page();
    assert.deepEqual(ids(first), ["id-0", "id-1", "id-2"]);
    assert.deepEqual([first?.complete, first?.count], [false, 7]);
    const second = await page("id-2");
    assert.deepEqual(ids(second), ["id-3", "id-4", "id-5"]);
    assert.deepEqual([second?.complete, second?.count], [false, 7]);
    const third = await page("id-5");
    assert.deepEqual(ids(third), ["id-6"]);
    assert.deepEqual([third?.complete, third?.count], [true, 7]);
    assert.deepEqual(await page("id-6"), { messages: [], complete: true, count: 7 });
    // A page that ends exactly at the last message is complete.
    const exact = await s.archive.query("alice", { limit: 3, after: "id-3" });
    assert.deepEqual([ids(exact), exact?.complete], [["id-4", "id-5", "id-6"], true]);
  });

  test(open, "backward paging with before, and before=true for the last page", async (s) => {
    await withUsers(s, "alice");
    await appendAll(
      s,
      "alice",
      Array.from({ length: 7 }, (_, i) => msg(i)),
    );
    const page = (before: string | true, limit = 3) => s.archive.query("alice", { limit, before });
    const last = await page(true);
    assert.deepEqual(ids(last), ["id-4", "id-5", "id-6"]); // oldest first within the page
    assert.deepEqual([last?.complete, last?.count], [false, 7]);
    const earlier = await page("id-4");
    assert.deepEqual(ids(earlier), ["id-1", "id-2", "id-3"]);
    assert.equal(earlier?.complete, false);
    const first = await page("id-1");
    assert.deepEqual([ids(first), first?.complete], [["id-0"], true]);
    assert.deepEqual(await page("id-0"), { messages: [], complete: true, count: 7 });
    const exact = await page("id-3");
    assert.deepEqual([ids(exact), exact?.complete], [["id-0", "id-1", "id-2"], true]);
    const all = await page(true, 100);
    assert.deepEqual([all?.messages.length, all?.complete], [7, true]);
  });

  test(open, "after and before together bound a window", async (s) => {
    await withUsers(s, "alice");
    await appendAll(
      s,
      "alice",
      Array.from({ length: 7 }, (_, i) => msg(i)),
    );
    const wide = await s.archive.query("alice", { limit: 10, after: "id-1", before: "id-5" });
    assert.deepEqual([ids(wide), wide?.complete, wide?.count], [["id-2", "id-3", "id-4"], true, 7]);
    // With before, the page is the one nearest the before anchor.
    const narrow = await s.archive.query("alice", { limit: 2, after: "id-1", before: "id-5" });
    assert.deepEqual([ids(narrow), narrow?.complete], [["id-3", "id-4"], false]);
    const lastAfter = await s.archive.query("alice", { limit: 2, after: "id-1", before: true });
    assert.deepEqual([ids(lastAfter), lastAfter?.complete], [["id-5", "id-6"], false]);
    const crossed = await s.archive.query("alice", { limit: 5, after: "id-5", before: "id-2" });
    assert.deepEqual([ids(crossed), crossed?.complete], [[], true]);
  });

  test(open, "limit 0 gives only the count", async (s) => {
    await withUsers(s, "alice");
    await appendAll(s, "alice", [msg(1), msg(2)]);
    assert.deepEqual(await s.archive.query("alice", { limit: 0 }), {
      messages: [],
      complete: false,
      count: 2,
    });
    assert.deepEqual(await s.archive.query("alice", { limit: 0, after: "id-2" }), {
      messages: [],
      complete: true,
      count: 2,
    });
  });

  test(open, "paging a random archive both ways matches a model", async (s) => {
    await withUsers(s, "alice", "bob");
    const next = prng(42);
    const peers = ["p0@x", "p1@x", "p2@x", "\u{1F600}@x"];
    const all = Array.from({ length: 80 }, (_, i) =>
      msg(i, peers[Math.floor(next() * peers.length)], T0 + Math.floor(next() * 100) * 1000),
    );
    await appendAll(s, "alice", all);
    await appendAll(s, "bob", all.slice(0, 10)); // another archive must not leak in
    const pick = (): Date => new Date(T0 + Math.floor(next() * 100) * 1000);
    for (let round = 0; round < 40; round++) {
      const filters: Omit<ArchiveQuery, "limit"> = {};
      if (next() < 0.5) filters.with = peers[Math.floor(next() * peers.length)];
      if (next() < 0.4) filters.start = pick();
      if (next() < 0.4) filters.end = pick();
      if (next() < 0.2) filters.ids = all.filter(() => next() < 0.3).map((m) => m.id);
      const limit = 1 + Math.floor(next() * 9);
      const want = reference(all, filters);
      const label = JSON.stringify({ round, filters, limit });

      const forward: ArchivedMessage[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await s.archive.query("alice", { ...filters, limit, after });
        assert.ok(page, label);
        assert.equal(page.count, want.length, label);
        assert.ok(page.messages.length <= limit, label);
        forward.push(...page.messages);
        assert.equal(page.complete, forward.length === want.length, label);
        if (page.complete) break;
        after = page.messages.at(-1)!.id;
      }
      assert.deepEqual(forward, want, label);

      const backward: ArchivedMessage[] = [];
      let before: string | true = true;
      for (;;) {
        const page = await s.archive.query("alice", { ...filters, limit, before });
        assert.ok(page, label);
        assert.equal(page.count, want.length, label);
        backward.unshift(...page.messages);
        assert.equal(page.complete, backward.length === want.length, label);
        if (page.complete) break;
        before = page.messages[0]!.id;
      }
      assert.deepEqual(backward, want, label);
    }
  });
}
