// Retention (docs/policy.md): messages and files older than the policy's days are deleted per
// user, from the archive, offline storage and the upload folders, and the deleted text is no
// longer anywhere in the SQLite files; each run is one `retention-purged` audit entry.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { HatoModule } from "@hato/core";
import { createRetention, createUpload } from "@hato/modules";
import { openSqliteStorage } from "@hato/storage";
import { RawClient, startServer, type TestServer } from "../support/inproc.js";
import { pause } from "../support/stanzas.js";
import { TestScanner } from "../support/upload.js";

const DAY = 86_400_000;

/** Whether `marker` occurs in the database file or its write-ahead log. */
function inDatabase(db: string, marker: string): boolean {
  const needle = Buffer.from(marker);
  return [db, `${db}-wal`].some((f) => existsSync(f) && readFileSync(f).includes(needle));
}

describe("retention", () => {
  let t: TestServer;
  let data: string;
  let db: string;
  let clock = Date.now();
  const runs: { archive: number; offline: number; files: number; users: object }[] = [];
  let ran: (() => void) | undefined;
  const nextRun = () => new Promise<void>((r) => (ran = r));

  before(async () => {
    data = await mkdtemp(join(tmpdir(), "hato-retention-"));
    db = join(data, "hato.db");
    const watcher: HatoModule = {
      name: "retention-watcher",
      load(api) {
        api.hook(
          "retention-purged",
          (r) => {
            runs.push(r);
            ran?.();
          },
          -10,
        );
      },
    };
    t = await startServer({ data }, openSqliteStorage(db), [
      createRetention({ now: () => clock }),
      createUpload({ scanner: new TestScanner(() => ({ status: "clean", engine: "test" })) }),
      watcher,
    ]);
    for (const u of ["alice", "bob", "carol", "dave"]) await t.addUser(u, `pw-${u}`);
    const r = t.server.policy.applyText(
      [
        "groups: { legal: [dave] }",
        "archive: { retention-days: 2 }",
        "files: { retention-days: 2 }",
        "overrides:",
        "  legal: { archive: { retention-days: 30 } }",
      ].join("\n"),
    );
    assert.ok(r.ok);
  });
  after(async () => {
    await t.stop();
    await t.storage.close();
    await rm(data, { recursive: true, force: true });
  });

  it("deletes old messages (archive and offline) and files, and the text leaves the database file", async () => {
    const marker = `retention-marker-${randomBytes(6).toString("hex")}`;
    const legal = `legal-hold-${randomBytes(6).toString("hex")}`;
    const alice = (await RawClient.login(t, "alice", "pw-alice", "desk")).client;
    const bob = (await RawClient.login(t, "bob", "pw-bob", "desk")).client;
    const dave = (await RawClient.login(t, "dave", "pw-dave", "desk")).client;
    alice.send(
      `<message id='r1' type='chat' to='bob@localhost'><body>${marker} to bob</body></message>`,
    );
    await bob.expect((e) => e.getChildText("body") === `${marker} to bob`);
    // carol is offline: stored for her (and archived for alice and her).
    alice.send(
      `<message id='r2' type='chat' to='carol@localhost'><body>${marker} to carol</body></message>`,
    );
    dave.send(`<message id='r3' type='chat' to='alice@localhost'><body>${legal}</body></message>`);
    await alice.expect((e) => e.getChildText("body") === legal);
    await pause();
    assert.equal(await t.storage.offline.count("carol"), 1);

    // An uploaded file and a quarantined one of alice's, with their bytes.
    const uploads = join(data, "uploads");
    for (const [id, state, folder] of [
      ["releasedfile0000001", "clean", "files"],
      ["quarantinedfile0001", "infected", "quarantine"],
    ] as const) {
      await t.storage.files.reserve(
        {
          id,
          owner: "alice",
          name: `${id}.bin`,
          size: 4,
          type: "",
          secretHash: "0".repeat(64),
          state: "reserved",
          created: new Date(clock),
          slotExpires: new Date(clock + 60_000),
        },
        { userBytes: 1e9, totalBytes: 1e9 },
      );
      await t.storage.files.transition(id, "reserved", "uploading");
      await t.storage.files.transition(id, "uploading", "scanning");
      await t.storage.files.transition(id, "scanning", state, { stored: new Date(clock) });
      await mkdir(join(uploads, folder), { recursive: true });
      await writeFile(join(uploads, folder, id), "data");
    }

    await t.storage.compact(); // as after a while: the rows sit in the main file
    assert.ok(inDatabase(db, marker), "the marker is in the database before retention");

    // One day later: nothing is old enough yet, so a policy change runs and deletes nothing.
    clock += 1 * DAY;
    await t.server.bus.fire("policy-reloaded", {
      how: "command",
      ok: true,
      before: {},
      after: {},
      errors: [],
    });
    await pause();
    assert.equal(runs.length, 0);

    // Three days later: alice's, bob's and carol's copies are past 2 days; dave keeps 30.
    clock += 2 * DAY;
    const done = nextRun();
    await t.server.bus.fire("policy-reloaded", {
      how: "command",
      ok: true,
      before: {},
      after: {},
      errors: [],
    });
    await done;
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.deepEqual(run.users, {
      alice: { archive: 3, offline: 0, files: 2 },
      bob: { archive: 1, offline: 0, files: 0 },
      carol: { archive: 1, offline: 1, files: 0 },
    });
    assert.deepEqual([run.archive, run.offline, run.files], [5, 1, 2]);
    assert.equal(await t.storage.offline.count("carol"), 0);
    assert.equal(
      (await t.storage.archive.query("dave", { limit: 10 }))!.count,
      1,
      "dave's archive follows his group's 30 days",
    );
    assert.deepEqual(await t.storage.files.list("alice"), []);
    assert.ok(!existsSync(join(uploads, "files", "releasedfile0000001")));
    assert.ok(!existsSync(join(uploads, "quarantine", "quarantinedfile0001")));

    assert.ok(!inDatabase(db, marker), "the deleted text is gone from the database files");
    assert.ok(inDatabase(db, legal), "kept messages are still there");

    // The audit log: one entry with the counts, never the text.
    await pause();
    const entries = await t.storage.audit.list({ limit: 10_000 });
    const entry = entries.find((e) => e.kind === "retention-purged");
    assert.ok(entry);
    assert.deepEqual(JSON.parse(entry.details), {
      archive: 5,
      offline: 1,
      files: 2,
      users: run.users,
    });
    assert.ok(!JSON.stringify(entries).includes(marker));
    for (const c of [alice, bob, dave]) c.close();
  });
});
