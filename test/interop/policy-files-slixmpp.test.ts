// files.scanning-required and account deletion with a real `hato start` and slixmpp.
// Scanning: clamd is configured but down and scan.when-down is accept; bob's organisation does
// not require scanning and gets his file kept as not scanned, alice's does and gets no slot,
// with the reason, recorded in the audit log. Deletion: `hato user del` through the running
// server purges bob's files (bytes too) and archive, reserves his name, and says what went.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { agentPool } from "../support/agents.js";
import { freePort, type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";

async function upload(hato: Hato, dir: string, user: string) {
  const file = join(dir, `${user}.bin`);
  await writeFile(file, randomBytes(2000));
  const r = await runPython(
    "slixmpp-upload.py",
    [
      ...["--jid", `${user}@localhost`, "--password", `${user}-secret`],
      ...["--port", String(hato.c2sPort), "--ca", hato.caFile, "--file", file, "--type", ""],
    ],
    { SSL_CERT_FILE: hato.caFile },
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
    url?: string;
    error?: string;
    condition?: string;
    text?: string;
  };
}

async function auditEntries(hato: Hato) {
  const out = await hato.cli(["audit", "export"]);
  return out.stdout
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          kind: string;
          actor?: string;
          subject?: string;
          details: Record<string, unknown>;
        },
    );
}

describe("files.scanning-required and account deletion with slixmpp", () => {
  let hato: Hato;
  let dir: string;
  const pool = agentPool();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hato-scanreq-"));
    const config = join(dir, "hato.yaml");
    await writeFile(
      config,
      [
        "policy:",
        "  groups: { finance: [alice] }",
        "  overrides:",
        "    finance: { files: { scanning-required: true } }",
      ].join("\n"),
    );
    hato = await startHato({
      users: { alice: "alice-secret", bob: "bob-secret", carol: "carol-secret" },
      flags: {
        config,
        "scan-engine": "clamd",
        // Nothing listens there: clamd is down.
        "scan-clamd-address": `tcp://127.0.0.1:${await freePort()}`,
        "scan-when-down": "accept",
      },
    });
  });
  after(async () => {
    await pool.stopAll();
    await hato?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("with the scanner down, alice (scanning required) gets no slot and bob's file is kept unscanned", async () => {
    const mine = await upload(hato, dir, "alice");
    assert.equal(mine.error, "iq", JSON.stringify(mine));
    assert.equal(mine.condition, "service-unavailable");
    assert.match(
      mine.text ?? "",
      /requires every file to be scanned, and the virus scanner is not available/,
    );
    const his = await upload(hato, dir, "bob");
    assert.ok(his.url, JSON.stringify(his));
    assert.deepEqual(
      await readdir(join(hato.dataDir, "uploads", "files")).then((l) => l.length),
      1,
    );

    const entries = await auditEntries(hato);
    const denied = entries.filter((e) => e.kind === "policy-denied");
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.actor, "alice");
    assert.equal(denied[0]!.details.rule, "files");
    const verdict = entries.find((e) => e.kind === "upload-verdict");
    assert.equal(verdict?.actor, "bob");
    assert.equal(verdict?.details.verdict, "not-scanned");
  });

  it("hato user del purges bob's archive and file, reserves the name; hato user release frees it", async () => {
    const carol = pool.start("slixmpp", hato, {
      user: "carol",
      password: "carol-secret",
      tls: "starttls",
    });
    const bob = pool.start("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
    });
    await Promise.all([carol.online(), bob.online()]);
    carol.send("bob@localhost", "see you");
    await bob.message((m) => m.body === "see you");

    const del = await hato.cli(["user", "del", "bob@localhost"]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /deleted bob@localhost and closed its sessions: 1 archived messages/);
    assert.match(del.stdout, /1 files/);
    assert.match(del.stdout, /stays reserved/);
    assert.deepEqual(await readdir(join(hato.dataDir, "uploads", "files")), []);

    const add = await hato.cli(["user", "add", "bob@localhost", "--password", "new-bob"]);
    assert.equal(add.code, 1);
    assert.match(add.stderr, /belonged to a deleted account and stays reserved/);
    assert.match(add.stderr, /HATO_ERR_USER_RESERVED/);
    const reserved = await hato.cli(["user", "reserved"]);
    assert.equal(reserved.stdout, "bob@localhost\n");
    const release = await hato.cli(["user", "release", "bob@localhost"]);
    assert.equal(release.code, 0, release.stderr);
    const readd = await hato.cli(["user", "add", "bob@localhost", "--password", "new-bob"]);
    assert.equal(readd.code, 0, readd.stderr);

    const entries = await auditEntries(hato);
    const deleted = entries.find((e) => e.kind === "user-deleted");
    assert.equal(deleted?.subject, "bob");
    assert.equal((deleted?.details.purged as { files: number } | undefined)?.files, 1);
    assert.ok(entries.some((e) => e.kind === "user-released" && e.subject === "bob"));
  });
});
