// The audit log end to end: what a running server records, and `hato audit verify|export` on a
// SQLite file tampered with behind the server's back.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Accounts, AuditLog, entryHash } from "@hato/core";
import { openSqliteStorage } from "@hato/storage";
import Database from "better-sqlite3";
import { CLI, startHato } from "../support/hato.js";
import { auditEntryWhere, RawClient, startServer, type TestServer } from "../support/inproc.js";
import { removeAtExit, run } from "../support/process.js";

const PASSWORD = "correct horse battery";
const WRONG = "incorrect donkey";

describe("audit log: what the server records", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await t.addUser("alice", PASSWORD);
  });
  after(() => t?.stop());

  it("a login, a failed login, a session opened and closed, with the right fields and no password", async () => {
    const bad = await RawClient.connect(t.c2sPort);
    await bad.starttls(t.ca);
    assert.equal((await bad.authenticate("alice", WRONG)).name, "failure");
    bad.close();
    const failed = await auditEntryWhere(t, (e) => e.kind === "auth-failed");
    assert.equal(failed.actor, "alice");
    assert.equal(failed.address, "127.0.0.1");
    assert.deepEqual(JSON.parse(failed.details), {
      condition: "not-authorized",
      mechanism: "SCRAM-SHA-256",
    });

    const { client, jid } = await RawClient.login(t, "alice", PASSWORD, "laptop");
    const login = await auditEntryWhere(t, (e) => e.kind === "auth-succeeded");
    assert.equal(login.actor, "alice");
    assert.equal(login.address, "127.0.0.1");
    assert.deepEqual(JSON.parse(login.details), { mechanism: "SCRAM-SHA-256" });
    const opened = await auditEntryWhere(t, (e) => e.kind === "session-opened");
    assert.equal(opened.actor, "alice");
    assert.equal(opened.address, "127.0.0.1");
    assert.equal(JSON.parse(opened.details).resource, jid.split("/")[1]);
    assert.equal(JSON.parse(opened.details).resource, "laptop");

    client.close();
    const closed = await auditEntryWhere(t, (e) => e.kind === "session-closed");
    assert.equal(closed.actor, "alice");
    assert.equal(closed.address, "127.0.0.1");
    assert.equal(JSON.parse(closed.details).resource, "laptop");
    assert.equal(typeof JSON.parse(closed.details).reason, "string");

    const all = await t.storage.audit.list({ limit: 10_000 });
    const text = JSON.stringify(all);
    assert.ok(!text.includes(PASSWORD) && !text.includes(WRONG), "no password in the log");
    const kinds = all.map((e) => e.kind);
    assert.ok(
      kinds.indexOf("auth-failed") < kinds.indexOf("auth-succeeded") &&
        kinds.indexOf("auth-succeeded") < kinds.indexOf("session-opened") &&
        kinds.indexOf("session-opened") < kinds.indexOf("session-closed"),
      `in order: ${kinds.join(", ")}`,
    );
  });
});

describe("audit log: upload verdicts and account changes", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t?.stop());

  it("an upload verdict is recorded with the uploader, the slot and the scanner's words", async () => {
    await t.server.bus.fire("upload-verdict", {
      user: "carol",
      slot: "slot-1",
      name: "invoice.pdf.exe",
      size: 1234,
      sha256: "ab".repeat(32),
      verdict: "infected",
      engine: "builtin",
      reason: "a Windows program",
    });
    const e = await auditEntryWhere(t, (x) => x.kind === "upload-verdict");
    assert.equal(e.actor, "carol");
    assert.equal(e.subject, "slot-1");
    assert.deepEqual(JSON.parse(e.details), {
      engine: "builtin",
      name: "invoice.pdf.exe",
      reason: "a Windows program",
      sha256: "ab".repeat(32),
      size: 1234,
      verdict: "infected",
    });
  });

  it("accounts created and deleted through the running server are recorded", async () => {
    const accounts = new Accounts(t.storage, "localhost", 4096, t.server.bus);
    await accounts.add("dave@localhost", "dave-password");
    await accounts.del("dave@localhost");
    await auditEntryWhere(t, (e) => e.kind === "user-created" && e.subject === "dave");
    await auditEntryWhere(t, (e) => e.kind === "user-deleted" && e.subject === "dave");
    const text = JSON.stringify(await t.storage.audit.list({ limit: 10_000 }));
    assert.ok(!text.includes("dave-password"));
  });
});

/** Runs `hato audit SUB --data DIR` with no hato.yaml around. */
function audit(dir: string, sub: string) {
  return run(process.execPath, [CLI, "audit", sub, "--data", dir], { cwd: dir, timeoutMs: 30_000 });
}

describe("hato audit verify and export on a tampered SQLite file", () => {
  const root = mkdtempSync(join(tmpdir(), "hato-audit-"));
  removeAtExit(root);
  const pristine = join(root, "pristine");
  let copies = 0;
  const ENTRIES = 20;

  before(async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    mkdirSync(pristine, { mode: 0o700 });
    writeFileSync(
      join(pristine, "audit-key.pem"),
      privateKey.export({ type: "pkcs8", format: "pem" }),
      { mode: 0o600 },
    );
    const storage = openSqliteStorage(join(pristine, "hato.db"));
    const log = new AuditLog({
      store: storage.audit,
      key: privateKey,
      signEveryEntries: 5,
      signEverySeconds: 3600,
    });
    for (let i = 1; i <= ENTRIES; i++) {
      await log.record(i % 2 ? "auth-succeeded" : "session-closed", {
        actor: `user${i}`,
        address: "192.0.2.1",
        details: { n: i, text: 'quote " and \u6771' },
      });
    }
    await log.close();
    await storage.close();
  });

  /** A copy of the pristine data folder, changed through SQL by `tamper`. */
  function tampered(tamper: (db: Database.Database) => void): string {
    const dir = join(root, `copy-${++copies}`);
    cpSync(pristine, dir, { recursive: true });
    const db = new Database(join(dir, "hato.db"));
    tamper(db);
    db.close();
    return dir;
  }

  it("an intact log: exit 0 with a summary", async () => {
    const r = await audit(pristine, "verify");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${ENTRIES} entries, chain intact, last signed head at seq 20`);
  });

  it("export prints valid JSON Lines, one per entry, in order", async () => {
    const r = await audit(pristine, "export");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines.pop(), "", "ends with a newline");
    assert.equal(lines.length, ENTRIES);
    const parsed = lines.map((l) => JSON.parse(l));
    assert.deepEqual(
      parsed.map((e) => e.seq),
      Array.from({ length: ENTRIES }, (_, i) => i + 1),
    );
    assert.deepEqual(parsed[2].details, { n: 3, text: 'quote " and \u6771' });
    assert.equal(parsed[2].actor, "user3");
    assert.equal(parsed[2].time, new Date(parsed[2].time).toISOString());
    assert.equal(parsed[3].prevHash, parsed[2].hash);
  });

  const cases: [string, (db: Database.Database) => void, RegExp][] = [
    [
      "an edited entry",
      (db) => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 12").run(),
      /^hato: audit log tampered: entry 12 was edited$/m,
    ],
    [
      "an edited time",
      (db) => db.prepare("UPDATE audit_log SET time = time + 1 WHERE seq = 1").run(),
      /entry 1 was edited$/m,
    ],
    [
      "an edited prevHash",
      (db) => db.prepare("UPDATE audit_log SET prev_hash = hash WHERE seq = 5").run(),
      /entry 5 was edited$/m,
    ],
    [
      "an edited hash",
      (db) => db.prepare("UPDATE audit_log SET hash = prev_hash WHERE seq = 6").run(),
      /entry 6 was edited$/m,
    ],
    [
      "a deleted entry",
      (db) => db.prepare("DELETE FROM audit_log WHERE seq = 7").run(),
      /entry 7 is missing or entries were reordered$/m,
    ],
    [
      "two entries swapped",
      (db) => {
        db.prepare("UPDATE audit_log SET seq = 1000 WHERE seq = 9").run();
        db.prepare("UPDATE audit_log SET seq = 9 WHERE seq = 10").run();
        db.prepare("UPDATE audit_log SET seq = 10 WHERE seq = 1000").run();
      },
      /entry 9 is missing or entries were reordered$/m,
    ],
    [
      "the first entry deleted",
      (db) => db.prepare("DELETE FROM audit_log WHERE seq = 1").run(),
      /entry 1 is missing or entries were reordered$/m,
    ],
    [
      "a cut-off tail",
      (db) => db.prepare("DELETE FROM audit_log WHERE seq > 17").run(),
      /the log ends at 17 but a signed head covers 20: the tail was cut$/m,
    ],
    [
      "a chain recomputed without the key",
      (db) => recompute(db, 4, false),
      /head signature invalid: the chain was recomputed/,
    ],
    [
      "a chain recomputed without the key, heads' hashes rewritten too",
      (db) => recompute(db, 4, true),
      /head signature invalid: the chain was recomputed/,
    ],
  ];
  for (const [what, tamper, message] of cases) {
    it(`${what} is detected: exit 1, saying where`, async () => {
      const r = await audit(tampered(tamper), "verify");
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, message);
    });
  }

  it("without the key the chain is still checked, and verify says the signatures were not", async () => {
    const dir = tampered(() => {});
    rmSync(join(dir, "audit-key.pem"));
    const r = await audit(dir, "verify");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /20 entries, chain intact, last signed head at seq 20 \(signatures not checked/,
    );
    assert.match(r.stderr, /audit-key\.pem is missing/);
  });
});

/**
 * What someone with write access to the database but without the key can do: change entry
 * `from`, then recompute every hash after it so the chain itself is intact again; with
 * `heads`, also rewrite the signed heads' hashes (their signatures cannot be redone).
 */
function recompute(db: Database.Database, from: number, heads: boolean): void {
  type Row = {
    seq: number;
    time: number;
    kind: string;
    actor: string | null;
    subject: string | null;
    address: string | null;
    details: string;
    prev_hash: string;
    hash: string;
  };
  db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?").run(from);
  const rows = db.prepare("SELECT * FROM audit_log ORDER BY seq").all() as Row[];
  let prev = "0".repeat(64);
  const update = db.prepare("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?");
  const updateHead = db.prepare("UPDATE audit_heads SET hash = ? WHERE seq = ?");
  for (const r of rows) {
    const e = {
      seq: r.seq,
      time: new Date(r.time),
      kind: r.kind,
      details: r.details,
      prevHash: prev,
      ...(r.actor === null ? {} : { actor: r.actor }),
      ...(r.subject === null ? {} : { subject: r.subject }),
      ...(r.address === null ? {} : { address: r.address }),
    };
    const hash = entryHash(e);
    update.run(prev, hash, r.seq);
    if (heads) updateHead.run(hash, r.seq);
    prev = hash;
  }
}

describe("hato start keeps the audit key outside the database and signs the head at shutdown", () => {
  it("audit-key.pem is 0600; account changes and the shutdown head verify", async () => {
    const hato = await startHato({ users: { bob: "bob-password" } });
    try {
      const key = statSync(join(hato.dataDir, "audit-key.pem"));
      assert.equal(key.mode & 0o777, 0o600);
      await hato.shutdown();
      const r = await run(process.execPath, [CLI, "audit", "verify", "--data", hato.dataDir], {
        cwd: hato.dataDir,
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^(\d+) entries, chain intact, last signed head at seq \1$/m);
      const exported = await run(
        process.execPath,
        [CLI, "audit", "export", "--data", hato.dataDir],
        { cwd: hato.dataDir, timeoutMs: 30_000 },
      );
      const entries = exported.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      const created = entries.filter((e) => e.kind === "user-created").map((e) => e.subject);
      assert.ok(created.includes("bob"), `user-created bob in ${exported.stdout}`);
      assert.ok(!exported.stdout.includes("bob-password"));
    } finally {
      await hato.stop();
    }
  });
});
