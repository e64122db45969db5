// Tests of the migration runner: order, atomicity, and the version it records.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { account, NO_LIMIT, readBack } from "../contract/fixtures.js";
import { sqliteAccounts } from "./accounts.js";
import { sqliteKv } from "./kv.js";
import { latestVersion, type Migration, migrate, migrations, schemaVersion } from "./migrations.js";
import { sqliteOffline } from "./offline.js";
import { openSqliteStorage } from "./open.js";

const tables = (db: Database.Database): string[] =>
  db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    )
    .all()
    .map((r) => r.name);

describe("sqlite migrations", () => {
  it("are numbered 1..n without gaps", () => {
    assert.deepEqual(
      migrations.map((m) => m.version),
      Array.from({ length: migrations.length }, (_, i) => i + 1),
    );
    assert.equal(latestVersion, migrations.length);
  });

  it("apply in version order whatever the list order", () => {
    const db = new Database(":memory:");
    const list: Migration[] = [
      { version: 2, name: "second", sql: "ALTER TABLE t ADD COLUMN b TEXT" },
      { version: 1, name: "first", sql: "CREATE TABLE t (a TEXT)" },
    ];
    migrate(db, "test.db", list);
    assert.equal(schemaVersion(db), 2);
    assert.deepEqual(tables(db), ["schema_version", "t"]);
    db.close();
  });

  it("roll back entirely when one step fails", () => {
    const db = new Database(":memory:");
    migrate(db, "test.db", migrations);
    const broken: Migration[] = [
      ...migrations,
      { version: latestVersion + 1, name: "half", sql: "CREATE TABLE half (x); THIS IS NOT SQL" },
    ];
    assert.throws(() => migrate(db, "test.db", broken), /syntax error/);
    assert.equal(schemaVersion(db), latestVersion);
    assert.ok(!tables(db).includes("half"));
    db.close();
  });

  it("refuse a schema newer than the list", () => {
    const db = new Database(":memory:");
    migrate(db, "test.db", migrations);
    assert.throws(
      () => migrate(db, "test.db", migrations.slice(0, 0)),
      (err: Error & { code?: string }) => err.code === "HATO_ERR_STORAGE_SCHEMA_TOO_NEW",
    );
    db.close();
  });

  it("upgrade a version 1 file to the latest, keeping its data", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "hato-migrate-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "v1.sqlite");
    // Written by the version 1 schema through the ports that existed then.
    const old = new Database(file);
    old.pragma("foreign_keys = ON");
    migrate(old, file, migrations.slice(0, 1));
    assert.equal(schemaVersion(old), 1);
    const live = (): void => {};
    const alice = account("alice", 4, { roles: ["admin"] });
    await sqliteAccounts(old, live).create(alice);
    await sqliteAccounts(old, live).create(account("bob", 5));
    const offline = sqliteOffline(old, live);
    const sent = [1, 2, 3].map((n) => ({
      stanza: `<message><body>${n} \u6771</body></message>`,
      stamp: new Date(1_700_000_000_000 + n),
      from: `friend${n}@example.org/phone`,
    }));
    for (const m of sent) assert.equal(await offline.push("alice", m, NO_LIMIT), "stored");
    await sqliteKv(old, live).set("vcard", "alice", "vcard", "<vCard xmlns='vcard-temp'/>");
    old.close();

    const s = openSqliteStorage(file);
    try {
      const raw = new Database(file, { readonly: true });
      assert.equal(schemaVersion(raw), latestVersion);
      raw.close();
      assert.deepEqual(await s.accounts.get("alice"), readBack(alice));
      assert.deepEqual(await s.accounts.list(), ["alice", "bob"]);
      assert.deepEqual(
        (await s.offline.peek("alice")).map(({ stanza, stamp, from }) => ({ stanza, stamp, from })),
        sent,
      );
      assert.equal(await s.kv.get("vcard", "alice", "vcard"), "<vCard xmlns='vcard-temp'/>");
      // The new tables work for accounts made before them, and go with the account.
      const item = { jid: "bob@example.org", subscription: "both" as const, groups: [] };
      assert.equal(await s.roster.set("alice", item.jid, item), 1);
      const msg = { id: "s1", stamp: new Date(5), with: "bob@example.org", stanza: "<m/>" };
      assert.equal(await s.archive.append("alice", msg), "stored");
      assert.equal(await s.pubsub.putNode("alice", { name: "n", config: {} }), true);
      assert.equal(await s.accounts.delete("alice"), true);
      assert.equal(await s.roster.count("alice"), 0);
      assert.equal((await s.archive.query("alice", { limit: 1 }))?.count, 0);
      assert.deepEqual(await s.pubsub.nodes("alice"), []);
      assert.deepEqual(await s.accounts.list(), ["bob"]);
    } finally {
      await s.close();
    }
  });
  it("upgrade a version 2 file to the latest: the files table arrives, old data stays", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "hato-migrate-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "v2.sqlite");
    const old = new Database(file);
    old.pragma("foreign_keys = ON");
    migrate(old, file, migrations.slice(0, 2));
    await sqliteAccounts(old, (): void => {}).create(account("alice", 4));
    old.close();
    const s = openSqliteStorage(file);
    try {
      assert.deepEqual(await s.accounts.list(), ["alice"]);
      const f = {
        id: "slot1",
        owner: "alice",
        name: "a.txt",
        size: 3,
        type: "text/plain",
        secretHash: "00".repeat(32),
        state: "reserved" as const,
        created: new Date(1),
        slotExpires: new Date(2),
      };
      assert.equal(await s.files.reserve(f, { userBytes: 10, totalBytes: 10 }), "reserved");
      assert.deepEqual(await s.files.get("slot1"), f);
    } finally {
      await s.close();
    }
    const again = openSqliteStorage(file);
    assert.equal(await again.files.usage("alice"), 3);
    await again.close();
  });

  it("upgrade a version 3 file to the latest: the audit tables arrive, old data stays", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "hato-migrate-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "v3.sqlite");
    const old = new Database(file);
    old.pragma("foreign_keys = ON");
    migrate(old, file, migrations.slice(0, 3));
    assert.ok(!tables(old).includes("audit_log"));
    await sqliteAccounts(old, (): void => {}).create(account("alice", 4));
    old.close();
    const s = openSqliteStorage(file);
    try {
      assert.deepEqual(await s.accounts.list(), ["alice"]);
      const e = {
        seq: 1,
        time: new Date(5),
        kind: "user-created",
        subject: "alice",
        details: "{}",
        prevHash: "0".repeat(64),
        hash: "1".repeat(64),
      };
      await s.audit.append(e);
      assert.deepEqual(await s.audit.last(), e);
    } finally {
      await s.close();
    }
    const again = openSqliteStorage(file, { readonly: true });
    assert.equal((await again.audit.list({ limit: 5 })).length, 1);
    await again.close();
  });
});
