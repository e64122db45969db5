// Runs the storage contract against SQLite, plus what only a file database has: persistence,
// file mode, schema versions, read-only opens and a second connection (the CLI).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { account, NO_LIMIT } from "./contract/fixtures.js";
import { runStorageContract } from "./contract.js";
import { latestVersion } from "./sqlite/migrations.js";
import { openSqliteStorage } from "./sqlite/open.js";

const dir = mkdtempSync(join(tmpdir(), "hato-storage-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshFile = (): string => join(dir, `db-${++counter}.sqlite`);

runStorageContract("sqlite", () => openSqliteStorage(freshFile()));

/** Sets the stored schema version behind the adapter's back. */
function forceVersion(file: string, version: number): void {
  const raw = new Database(file);
  raw
    .prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', 0)")
    .run(version);
  raw.close();
}

describe("sqlite file", () => {
  it("data survives close and reopen", async () => {
    const file = freshFile();
    const first = openSqliteStorage(file);
    const alice = account("alice", 3, { roles: ["admin"], disabled: true });
    await first.accounts.create(alice);
    await first.offline.push(
      "alice",
      { stanza: "<m>\u6771</m>", stamp: new Date(42), from: "b@x" },
      NO_LIMIT,
    );
    await first.kv.set("settings", "alice", "theme", "dark");
    await first.kv.set("motd", "", "text", "hi");
    const item = {
      jid: "bob@x",
      name: "Bob",
      subscription: "to" as const,
      ask: true,
      groups: ["g"],
    };
    await first.roster.set("alice", item.jid, item);
    const archived = { id: "s1", stamp: new Date(7), with: "bob@x", stanza: "<m>\u6771</m>" };
    await first.archive.append("alice", archived);
    const node = { name: "urn:example", config: { "pubsub#access_model": ["open"] } };
    await first.pubsub.putNode("alice", node);
    const published = { id: "current", payload: "<p/>", publisher: "alice@x", stamp: new Date(8) };
    await first.pubsub.publish("alice", node.name, published, 1);
    await first.close();

    const again = openSqliteStorage(file);
    try {
      assert.deepEqual(await again.accounts.get("alice"), alice);
      const [m] = await again.offline.peek("alice");
      assert.deepEqual(
        { ...m, id: 0 },
        { id: 0, stanza: "<m>\u6771</m>", stamp: new Date(42), from: "b@x" },
      );
      assert.equal(await again.kv.get("settings", "alice", "theme"), "dark");
      assert.equal(await again.kv.get("motd", "", "text"), "hi");
      assert.deepEqual(await again.roster.get("alice"), { version: 1, items: [item] });
      assert.deepEqual((await again.archive.query("alice", { limit: 5 }))?.messages, [archived]);
      assert.deepEqual(await again.pubsub.nodes("alice"), [node]);
      assert.deepEqual(await again.pubsub.items("alice", node.name), [published]);
    } finally {
      await again.close();
    }
  });

  it("is created with mode 0600, its WAL too, and uses WAL", async () => {
    const file = freshFile();
    const s = openSqliteStorage(file);
    await s.accounts.create(account("alice")); // makes SQLite create -wal and -shm
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(`${file}-wal`).mode & 0o777, 0o600);
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    raw.close();
    await s.close();
  });

  it("records the schema version once per migration, however often it is opened", async () => {
    const file = freshFile();
    for (let i = 0; i < 3; i++) await openSqliteStorage(file).close();
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare("SELECT version FROM schema_version ORDER BY version").all();
    raw.close();
    assert.deepEqual(
      rows,
      Array.from({ length: latestVersion }, (_, i) => ({ version: i + 1 })),
    );
  });

  it("refuses a database whose schema is newer than the code, without changing it", async () => {
    const file = freshFile();
    await openSqliteStorage(file).close();
    forceVersion(file, latestVersion + 1);
    const before = statSync(file).mtimeMs;
    for (const readonly of [false, true]) {
      assert.throws(
        () => openSqliteStorage(file, { readonly }),
        (err: Error & { code?: string }) =>
          err.code === "HATO_ERR_STORAGE_SCHEMA_TOO_NEW" &&
          err.message.includes(`version ${latestVersion + 1}`) &&
          err.message.includes(`up to ${latestVersion}`),
      );
    }
    assert.equal(statSync(file).mtimeMs, before);
  });

  it("read-only: reads work, writes reject, nothing is created", async () => {
    const file = freshFile();
    const writer = openSqliteStorage(file);
    await writer.accounts.create(account("alice"));
    const reader = openSqliteStorage(file, { readonly: true });
    try {
      assert.deepEqual(await reader.accounts.list(), ["alice"]);
      await writer.accounts.create(account("bob")); // committed by another connection
      assert.equal(await reader.accounts.count(), 2);
      await assert.rejects(reader.accounts.create(account("carol")), /readonly/i);
      await assert.rejects(reader.kv.set("s", "", "k", "v"), /readonly/i);
    } finally {
      await reader.close();
      await writer.close();
    }
    const missing = join(dir, "missing.sqlite");
    assert.throws(() => openSqliteStorage(missing, { readonly: true }));
    assert.throws(() => statSync(missing));
  });

  it("read-only refuses a database that still needs migrating", async () => {
    const file = freshFile();
    new Database(file).close(); // an empty SQLite file: schema version 0
    assert.throws(
      () => openSqliteStorage(file, { readonly: true }),
      (err: Error & { code?: string }) => err.code === "HATO_ERR_STORAGE_SCHEMA_TOO_OLD",
    );
  });

  it("an account whose verifiers were deleted behind its back reads as corrupt", async () => {
    const file = freshFile();
    const s = openSqliteStorage(file);
    await s.accounts.create(account("alice"));
    const raw = new Database(file);
    raw.prepare("DELETE FROM scram_credentials WHERE username = 'alice'").run();
    raw.close();
    await assert.rejects(s.accounts.get("alice"), { code: "HATO_ERR_STORAGE_CORRUPT" });
    await s.close();
  });

  it("two connections to one file (server and CLI) share quota and data", async () => {
    const file = freshFile();
    const server = openSqliteStorage(file);
    const cli = openSqliteStorage(file, { synchronous: "full" });
    try {
      await cli.accounts.create(account("alice"));
      const limits = { maxPerUser: 3, maxBytesPerUser: 1000 };
      const msg = { stanza: "<m/>", stamp: new Date(1), from: "x@y" };
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? server : cli).offline.push("alice", msg, limits),
        ),
      );
      assert.equal(results.filter((r) => r === "stored").length, 3);
      const versions = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? server : cli).roster.set("alice", `c${i}@x`, {
            jid: `c${i}@x`,
            subscription: "none",
            groups: [],
          }),
        ),
      );
      assert.deepEqual(
        versions.sort((a, b) => a! - b!),
        [1, 2, 3, 4, 5, 6],
      );
      assert.equal(await cli.accounts.delete("alice"), true);
      assert.equal(await server.offline.count("alice"), 0);
    } finally {
      await server.close();
      await cli.close();
    }
  });
});
