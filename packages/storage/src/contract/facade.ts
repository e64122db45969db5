// Storage contract, whole-storage part: delete cascades, close, interleaving across ports.

import assert from "node:assert/strict";
import { it } from "node:test";
import { account, NO_LIMIT, type OpenStorage, rejectsWith, test } from "./fixtures.js";

const stamp = new Date(1_700_000_000_000);

/** Defines tests that span several ports of one storage. */
export function facadeTests(open: OpenStorage): void {
  test(open, "deleting an account deletes all of that user's data, and only that", async (s) => {
    for (const name of ["alice", "bob"]) {
      await s.accounts.create(account(name));
      await s.offline.push(name, { stanza: `<m>${name}</m>`, stamp, from: "x@y" }, NO_LIMIT);
      await s.kv.set("settings", name, "theme", "dark");
      await s.kv.set("roster-meta", name, "ver", "1");
      await s.roster.set(name, "x@y", { jid: "x@y", subscription: "both", groups: [] });
      await s.archive.append(name, { id: "a1", stamp, with: "x@y", stanza: "<m/>" });
      await s.pubsub.putNode(name, { name: "n", config: {} });
      await s.pubsub.publish(name, "n", { id: "i", payload: "<p/>", publisher: "x@y", stamp }, 1);
    }
    await s.kv.set("settings", "", "alice", "host data that mentions alice");
    assert.equal(await s.accounts.delete("alice"), true);
    assert.equal(await s.offline.count("alice"), 0);
    assert.deepEqual(await s.kv.keys("settings", "alice"), []);
    // A new account with the same name must not inherit anything.
    await s.accounts.create(account("alice", 2));
    assert.deepEqual(await s.offline.peek("alice"), []);
    assert.equal(await s.kv.get("settings", "alice", "theme"), undefined);
    assert.equal(await s.kv.get("roster-meta", "alice", "ver"), undefined);
    assert.deepEqual(await s.roster.get("alice"), { version: 0, items: [] });
    assert.equal((await s.archive.query("alice", { limit: 9 }))?.count, 0);
    assert.deepEqual(await s.pubsub.nodes("alice"), []);
    assert.equal(await s.roster.count("bob"), 1);
    assert.equal((await s.archive.query("bob", { limit: 9 }))?.count, 1);
    assert.equal((await s.pubsub.items("bob", "n")).length, 1);
    assert.equal(await s.offline.count("bob"), 1);
    assert.equal(await s.kv.get("settings", "bob", "theme"), "dark");
    assert.equal(await s.kv.get("settings", "", "alice"), "host data that mentions alice");
  });

  test(open, "pushes racing an account delete leave nothing behind", async (s) => {
    await s.accounts.create(account("alice"));
    const msg = { stanza: "<m/>", stamp, from: "x@y" };
    const pushes = Array.from({ length: 10 }, () => s.offline.push("alice", msg, NO_LIMIT));
    const [deleted] = await Promise.all([s.accounts.delete("alice"), ...pushes]);
    assert.equal(deleted, true);
    const late = await Promise.all([
      s.offline.push("alice", msg, NO_LIMIT),
      s.kv.set("settings", "alice", "k", "v"),
      s.roster.set("alice", "x@y", { jid: "x@y", subscription: "none", groups: [] }),
      s.archive.append("alice", { id: "a", stamp, with: "x@y", stanza: "<m/>" }),
      s.pubsub.putNode("alice", { name: "n", config: {} }),
    ]);
    assert.deepEqual(late, ["no-such-user", false, undefined, "no-such-user", false]);
    await s.accounts.create(account("alice"));
    assert.equal(await s.offline.count("alice"), 0);
    assert.deepEqual(await s.kv.keys("settings", "alice"), []);
  });

  test(open, "interleaved creates of one username: exactly one wins", async (s) => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.accounts.create(account("alice", i))),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await s.accounts.count(), 1);
  });

  test(open, "many interleaved operations on many users stay consistent", async (s) => {
    const names = Array.from({ length: 20 }, (_, i) => `user${i}`);
    await Promise.all(names.map((name, i) => s.accounts.create(account(name, i))));
    await Promise.all(
      names.flatMap((name, i) => [
        s.offline.push(name, { stanza: `<m>${i}</m>`, stamp, from: "x@y" }, NO_LIMIT),
        s.kv.set("s", name, "n", String(i)),
        s.accounts.update(name, { roles: [`r${i}`] }),
        i % 2 === 0 ? s.accounts.delete(name) : s.accounts.count(),
      ]),
    );
    assert.equal(await s.accounts.count(), 10);
    for (const [i, name] of names.entries()) {
      const alive = i % 2 === 1;
      assert.equal(await s.offline.count(name), alive ? 1 : 0, name);
      assert.equal(await s.kv.get("s", name, "n"), alive ? String(i) : undefined, name);
      assert.deepEqual((await s.accounts.get(name))?.roles, alive ? [`r${i}`] : undefined, name);
    }
  });

  it("close is idempotent and every later call rejects with HATO_ERR_STORAGE_CLOSED", async () => {
    const s = await open();
    await s.accounts.create(account("alice"));
    await s.close();
    await s.close();
    const closed = "HATO_ERR_STORAGE_CLOSED";
    await rejectsWith(() => s.accounts.get("alice"), closed);
    await rejectsWith(() => s.accounts.create(account("bob")), closed);
    await rejectsWith(() => s.accounts.list(), closed);
    await rejectsWith(() => s.accounts.count(), closed);
    await rejectsWith(
      () => s.offline.push("alice", { stanza: "<m/>", stamp, from: "x@y" }, NO_LIMIT),
      closed,
    );
    await rejectsWith(() => s.offline.peek("alice"), closed);
    await rejectsWith(() => s.kv.set("s", "", "k", "v"), closed);
    await rejectsWith(() => s.kv.keys("s", ""), closed);
    await rejectsWith(() => s.roster.get("alice"), closed);
    await rejectsWith(() => s.roster.set("alice", "x@y", undefined), closed);
    await rejectsWith(() => s.archive.query("alice", { limit: 1 }), closed);
    await rejectsWith(() => s.archive.purge("alice"), closed);
    await rejectsWith(() => s.pubsub.nodes("alice"), closed);
    await rejectsWith(() => s.pubsub.items("alice", "n"), closed);
  });

  it("each open gives an independent, empty storage", async () => {
    const a = await open();
    await a.accounts.create(account("alice"));
    const b = await open();
    try {
      assert.equal(await b.accounts.count(), 0);
    } finally {
      await a.close();
      await b.close();
    }
  });
}
