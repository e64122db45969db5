// archive.retention-days with a real `hato start` and slixmpp: messages sent through the
// server are aged in the database (stamps moved into the past while it is stopped); at the
// next start retention deletes them from the archive and offline storage, the marker text is
// gone from the database file and its WAL, a fresh message stays, the audit log has a
// `retention-purged` entry with counts, and `hato audit verify` passes.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { agentPool, type MamPage } from "../support/agents.js";
import { type Hato, startHato } from "../support/hato.js";

const DAY = 86_400_000;

function inDatabase(db: string, marker: string): boolean {
  const needle = Buffer.from(marker);
  return [db, `${db}-wal`].some((f) => existsSync(f) && readFileSync(f).includes(needle));
}

describe("archive retention with a real server and slixmpp", () => {
  let hato: Hato;
  let dir: string;
  const pool = agentPool();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hato-retention-"));
    const config = join(dir, "hato.yaml");
    await writeFile(config, "policy:\n  archive: { retention-days: 1 }\n");
    hato = await startHato({
      users: { alice: "alice-secret", bob: "bob-secret", carol: "carol-secret" },
      flags: { config },
    });
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("old messages are deleted at start, from the archive, offline storage and the file", async () => {
    const marker = `retention-${randomBytes(6).toString("hex")}`;
    const login = (user: string) =>
      pool.start("slixmpp", hato, { user, password: `${user}-secret`, tls: "starttls" });
    const alice = login("alice");
    const bob = login("bob");
    await Promise.all([alice.online(), bob.online()]);
    alice.send("bob@localhost", `${marker} for bob`);
    alice.send("carol@localhost", `${marker} for carol (offline)`);
    await bob.message((m) => m.body === `${marker} for bob`);
    await pool.stopAll();

    // Two days pass: the stored stamps move back (the server is stopped meanwhile).
    await hato.shutdown();
    const db = join(hato.dataDir, "hato.db");
    const sql = new Database(db);
    const aged = sql.prepare("UPDATE archive SET stamp = stamp - ?").run(2 * DAY).changes;
    const agedOffline = sql.prepare("UPDATE offline_messages SET stamp = stamp - ?").run(2 * DAY);
    sql.close();
    assert.equal(aged, 4, "alice's two copies, bob's and carol's");
    assert.equal(agedOffline.changes, 1);
    assert.ok(inDatabase(db, marker), "the text is in the database before retention");

    // Retention runs at start.
    await hato.start();
    let entry: { details: Record<string, unknown> } | undefined;
    for (let i = 0; i < 300 && entry === undefined; i++) {
      const out = await hato.cli(["audit", "export"]);
      entry = out.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { kind: string; details: Record<string, unknown> })
        .find((e) => e.kind === "retention-purged");
      if (entry === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(entry, `no retention-purged entry; the server's log:\n${hato.log()}`);
    assert.deepEqual(entry.details, {
      archive: 4,
      offline: 1,
      files: 0,
      users: {
        alice: { archive: 2, offline: 0, files: 0 },
        bob: { archive: 1, offline: 0, files: 0 },
        carol: { archive: 1, offline: 1, files: 0 },
      },
    });

    // A fresh message is kept; the old ones are gone from bob's archive.
    const alice2 = login("alice");
    const bob2 = login("bob");
    await Promise.all([alice2.online(), bob2.online()]);
    alice2.send("bob@localhost", "fresh");
    await bob2.message((m) => m.body === "fresh");
    const page = await bob2.cmd<MamPage>("mam", { with: "alice@localhost", max: 10 });
    assert.deepEqual(
      page.messages.map((m) => m.body),
      ["fresh"],
    );
    await pool.stopAll();
    await hato.shutdown();
    assert.ok(!inDatabase(db, marker), "the deleted text is nowhere in the database files");
    const verify = await hato.cli(["audit", "verify"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
