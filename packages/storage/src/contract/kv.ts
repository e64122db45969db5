// Storage contract, KeyValueStore part: namespacing by store and owner, deletes, sizes, order.

import assert from "node:assert/strict";
import { account, byCodePoint, INVALID, type OpenStorage, rejectsWith, test } from "./fixtures.js";

/** Defines the KeyValueStore tests. */
export function kvTests(open: OpenStorage): void {
  test(open, "missing keys read as undefined, empty stores list no keys", async (s) => {
    await s.accounts.create(account("alice"));
    assert.equal(await s.kv.get("settings", "alice", "theme"), undefined);
    assert.equal(await s.kv.get("settings", "", "theme"), undefined);
    assert.equal(await s.kv.get("settings", "ghost", "theme"), undefined);
    assert.deepEqual(await s.kv.keys("settings", "alice"), []);
    assert.deepEqual(await s.kv.keys("settings", "ghost"), []);
  });

  test(open, "set, overwrite, delete with undefined", async (s) => {
    await s.accounts.create(account("alice"));
    assert.equal(await s.kv.set("settings", "alice", "theme", "dark"), true);
    assert.equal(await s.kv.get("settings", "alice", "theme"), "dark");
    assert.equal(await s.kv.set("settings", "alice", "theme", "light"), true);
    assert.equal(await s.kv.get("settings", "alice", "theme"), "light");
    assert.equal(await s.kv.set("settings", "alice", "theme", undefined), true);
    assert.equal(await s.kv.get("settings", "alice", "theme"), undefined);
    assert.deepEqual(await s.kv.keys("settings", "alice"), []);
    assert.equal(await s.kv.set("settings", "alice", "never-set", undefined), true);
  });

  test(open, "the empty string is a value, and a key", async (s) => {
    await s.kv.set("s", "", "", "");
    assert.equal(await s.kv.get("s", "", ""), "");
    assert.deepEqual(await s.kv.keys("s", ""), [""]);
  });

  test(open, 'host data (username "") needs no account', async (s) => {
    assert.equal(await s.kv.set("motd", "", "text", "hello"), true);
    assert.equal(await s.kv.get("motd", "", "text"), "hello");
    assert.deepEqual(await s.kv.keys("motd", ""), ["text"]);
  });

  test(open, "writes for a user without an account are refused", async (s) => {
    assert.equal(await s.kv.set("settings", "ghost", "k", "v"), false);
    assert.equal(await s.kv.set("settings", "ghost", "k", undefined), false);
    await s.accounts.create(account("ghost"));
    assert.equal(await s.kv.get("settings", "ghost", "k"), undefined);
  });

  test(open, "stores, users and the host are separate namespaces", async (s) => {
    await s.accounts.create(account("alice"));
    await s.accounts.create(account("Alice"));
    await s.kv.set("a", "alice", "k", "a/alice");
    await s.kv.set("b", "alice", "k", "b/alice");
    await s.kv.set("a", "Alice", "k", "a/Alice");
    await s.kv.set("a", "", "k", "a/host");
    assert.equal(await s.kv.get("a", "alice", "k"), "a/alice");
    assert.equal(await s.kv.get("b", "alice", "k"), "b/alice");
    assert.equal(await s.kv.get("a", "Alice", "k"), "a/Alice");
    assert.equal(await s.kv.get("a", "", "k"), "a/host");
    assert.equal(await s.kv.get("b", "", "k"), undefined);
    await s.kv.set("a", "alice", "k", undefined);
    assert.equal(await s.kv.get("b", "alice", "k"), "b/alice");
    assert.equal(await s.kv.get("a", "", "k"), "a/host");
  });

  test(open, "keys are sorted by code point", async (s) => {
    await s.accounts.create(account("alice"));
    const keys = ["\u{1F600}", "\u{FF21}", "b", "B", "\u6771", "a.b", "a", "\u{E000}"];
    for (const key of keys) await s.kv.set("s", "alice", key, key);
    assert.deepEqual(await s.kv.keys("s", "alice"), [...keys].sort(byCodePoint));
    for (const key of keys) assert.equal(await s.kv.get("s", "alice", key), key);
  });

  test(open, "large values round-trip", async (s) => {
    await s.accounts.create(account("alice"));
    const value = JSON.stringify({ blob: "\u00e9\u{1F600}x".repeat(300_000) });
    await s.kv.set("big", "alice", "doc", value);
    await s.kv.set("big", "", "doc", value);
    assert.equal(await s.kv.get("big", "alice", "doc"), value);
    assert.equal(await s.kv.get("big", "", "doc"), value);
  });

  test(
    open,
    "interleaved writes: distinct keys all land, one key ends with a written value",
    async (s) => {
      await s.accounts.create(account("alice"));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => s.kv.set("s", "alice", `k${i}`, `${i}`)),
      );
      assert.equal((await s.kv.keys("s", "alice")).length, 50);
      const written = Array.from({ length: 20 }, (_, i) => `v${i}`);
      await Promise.all(written.map((v) => s.kv.set("s", "", "same", v)));
      assert.ok(written.includes((await s.kv.get("s", "", "same")) as string));
    },
  );

  test(open, "invalid arguments reject with HATO_ERR_STORAGE_INVALID_ARGUMENT", async (s) => {
    await rejectsWith(() => s.kv.get("", "", "k"), INVALID);
    await rejectsWith(() => s.kv.set("s", "", "k", "nul\u0000"), INVALID);
    await rejectsWith(() => s.kv.set("s", "", "\uD800", "v"), INVALID);
    await rejectsWith(() => s.kv.set("s", "", "k", 42 as never), INVALID);
    await rejectsWith(() => s.kv.keys("s", "a\u0000"), INVALID);
    assert.deepEqual(await s.kv.keys("s", ""), []);
  });
}
