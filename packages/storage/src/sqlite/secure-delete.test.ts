// Deleted rows leave the SQLite files: secure_delete zeroes them in the pages, and compact()
// empties the write-ahead log whose older frames still hold them. Checked on the raw bytes.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { account } from "../contract/fixtures.js";
import { backupSqlite, openSqliteStorage } from "./open.js";

const dir = mkdtempSync(join(tmpdir(), "hato-secure-delete-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Whether `marker` occurs in the database file or its -wal. */
function onDisk(file: string, marker: string): boolean {
  const needle = Buffer.from(marker);
  return [file, `${file}-wal`].some((f) => existsSync(f) && readFileSync(f).includes(needle));
}

describe("sqlite secure delete", () => {
  it("purged archive and offline messages are gone from the file and its WAL", async () => {
    const file = join(dir, "purge.db");
    const s = openSqliteStorage(file);
    await s.accounts.create(account("alice"));
    const old = `old-${randomBytes(8).toString("hex")}`;
    const kept = `kept-${randomBytes(8).toString("hex")}`;
    const stamp = new Date(Date.now() - 10 * 86_400_000);
    for (let i = 0; i < 50; i++) {
      await s.archive.append("alice", {
        id: `o${i}`,
        stamp,
        with: "bob@example.org",
        stanza: `<message><body>${old} ${i}</body></message>`,
      });
    }
    await s.offline.push(
      "alice",
      { stanza: `<message><body>${old} offline</body></message>`, stamp, from: "bob@x" },
      { maxPerUser: 100, maxBytesPerUser: 1e6 },
    );
    await s.archive.append("alice", {
      id: "k",
      stamp: new Date(),
      with: "bob@example.org",
      stanza: `<message><body>${kept}</body></message>`,
    });
    await s.compact(); // as after a while of normal operation: the rows are in the main file
    assert.ok(onDisk(file, old), "the marker is on disk before the purge");

    const cutoff = new Date(Date.now() - 86_400_000);
    assert.equal(await s.archive.purge("alice", cutoff), 50);
    assert.equal(await s.offline.purge("alice", cutoff), 1);
    assert.equal(await s.compact(), true);
    assert.ok(!onDisk(file, old), "the purged text is nowhere in the files");
    assert.ok(onDisk(file, kept), "newer messages stay");
    await s.close();
  });

  it("a deleted account's archive is gone from the file too", async () => {
    const file = join(dir, "account.db");
    const s = openSqliteStorage(file);
    await s.accounts.create(account("carol"));
    const marker = `gone-${randomBytes(8).toString("hex")}`;
    await s.archive.append("carol", {
      id: "x",
      stamp: new Date(),
      with: "bob@example.org",
      stanza: `<message><body>${marker}</body></message>`,
    });
    assert.ok(onDisk(file, marker));
    await s.accounts.delete("carol");
    await s.compact();
    assert.ok(!onDisk(file, marker));
    await s.close();
  });

  it("backupSqlite copies a database that is open for writing into one file", async () => {
    const file = join(dir, "live.db");
    const s = openSqliteStorage(file);
    await s.accounts.create(account("dave"));
    const dest = join(dir, "copy.db");
    await backupSqlite(file, dest);
    assert.ok(!existsSync(`${dest}-wal`));
    const copy = openSqliteStorage(dest);
    assert.ok(await copy.accounts.get("dave"));
    await copy.close();
    await s.close();
  });
});
