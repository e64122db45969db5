// Tests of the migration runner: order, atomicity, and the version it records.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { latestVersion, type Migration, migrate, migrations, schemaVersion } from "./migrations.js";

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
});
