// Query plans of the SQLite archive: every page and count is an index search, never a table scan.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { type ArchiveShape, anchorSql, countSql, pageSql, purgeBeforeSql } from "./archive.js";
import { migrate } from "./migrations.js";

const none: ArchiveShape = {
  with: false,
  start: false,
  end: false,
  ids: false,
  after: false,
  before: false,
  backward: false,
};

function plan(db: Database.Database, sql: string): string[] {
  const params = (sql.match(/\?/g) ?? []).length;
  return db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...Array(params).fill(null))
    .map((r) => r.detail);
}

/** Every step that reads the archive table searches an index or the rowid. */
function assertNoScan(steps: string[], label: string): void {
  for (const step of steps) {
    assert.ok(!/^SCAN archive\b/.test(step), `${label}: ${steps.join(" | ")}`);
  }
  assert.ok(
    steps.some((s) => /^SEARCH archive USING/.test(s)),
    `${label}: ${steps.join(" | ")}`,
  );
}

describe("sqlite archive query plans", () => {
  const db = new Database(":memory:");
  migrate(db, "plans.db");

  // The queries a MAM client makes all the time: they must follow an index in seq order.
  const ordered: Record<string, Partial<ArchiveShape>> = {
    "first page": {},
    "last page": { backward: true },
    "after an id": { after: true },
    "before an id": { before: true, backward: true },
    "after and before": { after: true, before: true, backward: true },
    "with a JID": { with: true },
    "with a JID, last page": { with: true, backward: true },
    "with a JID, after an id": { with: true, after: true },
    "with a JID, before an id": { with: true, before: true, backward: true },
  };
  for (const [label, parts] of Object.entries(ordered)) {
    it(`${label}: an index range in seq order, no sort`, () => {
      const shape = { ...none, ...parts };
      const steps = plan(db, pageSql(shape));
      assertNoScan(steps, label);
      assert.ok(!steps.some((s) => s.includes("TEMP B-TREE")), `${label}: ${steps.join(" | ")}`);
      const index = shape.with ? "archive_by_peer" : "archive_by_user";
      assert.ok(
        steps.some((s) => s.includes(`COVERING INDEX ${index}`)),
        `${label}: ${steps.join(" | ")}`,
      );
    });
  }

  it("time bounds search the stamp index and sort only seqs", () => {
    for (const parts of [{ start: true }, { end: true }, { start: true, end: true }]) {
      for (const backward of [false, true]) {
        const steps = plan(db, pageSql({ ...none, ...parts, backward }));
        assertNoScan(steps, JSON.stringify(parts));
        assert.ok(
          steps.some((s) => /COVERING INDEX archive_by_stamp \(username=\? AND stamp[<>]/.test(s)),
          steps.join(" | "),
        );
      }
    }
  });

  it("an id list looks each id up in the unique index", () => {
    for (const parts of [{ ids: true }, { ids: true, with: true, start: true }]) {
      const steps = plan(db, pageSql({ ...none, ...parts }));
      assertNoScan(steps, "ids");
      assert.ok(
        steps.some((s) => s.includes("archive_by_id (username=? AND id=?)")),
        steps.join(" | "),
      );
    }
  });

  it("counts for every filter combination search an index", () => {
    for (let bits = 0; bits < 16; bits++) {
      const shape = {
        ...none,
        with: (bits & 1) !== 0,
        start: (bits & 2) !== 0,
        end: (bits & 4) !== 0,
        ids: (bits & 8) !== 0,
      };
      assertNoScan(plan(db, countSql(shape)), JSON.stringify(shape));
    }
  });

  it("the id anchor and purge by date use indexes", () => {
    const anchor = plan(db, anchorSql);
    assert.ok(
      anchor.some((s) => s.includes("archive_by_id")),
      anchor.join(" | "),
    );
    const purge = plan(db, purgeBeforeSql);
    assert.ok(
      purge.some((s) => s.includes("archive_by_stamp")),
      purge.join(" | "),
    );
  });
});
