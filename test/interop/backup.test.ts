// `hato backup` of a running server (users, messages sent by slixmpp, an uploaded file, audit
// entries) and `hato restore` into a new data folder: a server started from it has the
// history and the file, and `hato audit verify` passes. Refusals: a non-empty target, a
// running server on the target, a damaged backup.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { agentPool, type MamPage } from "../support/agents.js";
import { CLI, type Hato, startHato } from "../support/hato.js";
import { removeAtExit, run } from "../support/process.js";
import { runPython } from "../support/python.js";
import { fetchFile } from "../support/upload.js";

const hatoCli = (args: string[]) =>
  run(process.execPath, [CLI, ...args], { cwd: tmpdir(), timeoutMs: 30_000 });

describe("hato backup and restore", () => {
  let hato: Hato;
  let restored: Hato | undefined;
  let root: string;
  const pool = agentPool();
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "hato-backup-"));
    removeAtExit(root);
    hato = await startHato({ users: { alice: "alice-secret", bob: "bob-secret" } });
  });
  after(async () => {
    await pool.stopAll();
    await restored?.stop();
    await hato?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("backs up a running server and restores it into a new folder that a server starts from", async () => {
    const marker = `backed-up ${randomBytes(4).toString("hex")}`;
    const alice = pool.start("slixmpp", hato, {
      user: "alice",
      password: "alice-secret",
      tls: "starttls",
    });
    const bob = pool.start("slixmpp", hato, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
    });
    await Promise.all([alice.online(), bob.online()]);
    for (const n of [1, 2, 3]) alice.send("bob@localhost", `${marker} ${n}`);
    for (const n of [1, 2, 3]) await bob.message((m) => m.body === `${marker} ${n}`);

    // An uploaded file, with slixmpp's XEP-0363 plugin.
    const bytes = randomBytes(3000);
    const file = join(root, "photo.bin");
    await writeFile(file, bytes);
    const up = await runPython(
      "slixmpp-upload.py",
      [
        ...["--jid", "alice@localhost", "--password", "alice-secret"],
        ...["--port", String(hato.c2sPort), "--ca", hato.caFile, "--file", file, "--type", ""],
      ],
      { SSL_CERT_FILE: hato.caFile },
    );
    assert.equal(up.code, 0, up.stderr);
    const url = (JSON.parse(up.stdout.trim().split("\n").at(-1)!) as { url: string }).url;
    assert.ok(url);

    // The backup, while the server runs.
    const out = join(root, "backup");
    const b = await hato.cli(["backup", "--out", out]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /keep it as safe as the server/);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as {
      files: { path: string; sha256: string }[];
    };
    const listed = manifest.files.map((f) => f.path);
    for (const p of ["hato.db", "audit-key.pem", "secret"]) assert.ok(listed.includes(p), p);
    assert.ok(
      listed.some((p) => p.startsWith("uploads/files/")),
      listed.join(" "),
    );
    assert.ok(manifest.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256)));
    // A second backup into the same folder is refused.
    const again = await hato.cli(["backup", "--out", out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not empty/);

    // Refusals: onto the running server's data folder, into a non-empty folder, a damaged copy.
    const onLive = await hatoCli(["restore", out, "--data", hato.dataDir]);
    assert.equal(onLive.code, 1);
    assert.match(onLive.stderr, /a Hato server is running on/);
    const full = join(root, "full");
    await cp(out, full, { recursive: true });
    const notEmpty = await hatoCli(["restore", out, "--data", full]);
    assert.equal(notEmpty.code, 1);
    assert.match(notEmpty.stderr, /is not empty/);
    const damaged = join(root, "damaged");
    await cp(out, damaged, { recursive: true });
    const key = join(damaged, "audit-key.pem");
    await writeFile(key, `${await readFile(key, "utf8")}\n`);
    const bad = await hatoCli(["restore", damaged, "--data", join(root, "nowhere")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /audit-key\.pem has \d+ bytes, the manifest says/);
    assert.ok(!existsSync(join(root, "nowhere", "hato.db")));

    // Restore into a new folder and start a server from it.
    const data = join(root, "restored");
    const r = await hatoCli(["restore", out, "--data", data]);
    assert.equal(r.code, 0, r.stderr);
    await hato.shutdown(); // the old server goes; the restored one takes over
    restored = await startHato({ flags: { data } });
    const bob2 = pool.start("slixmpp", restored, {
      user: "bob",
      password: "bob-secret",
      tls: "starttls",
    });
    await bob2.online();
    const page = await bob2.cmd<MamPage>("mam", { with: "alice@localhost", max: 10 });
    assert.deepEqual(
      page.messages.map((m) => m.body),
      [1, 2, 3].map((n) => `${marker} ${n}`),
    );
    const got = await fetchFile(
      await readFile(restored.caFile, "utf8"),
      url.replace(/:\d+\//, `:${restored.tlsPort}/`),
    );
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(bytes), "the file comes back byte-identical");

    await restored.shutdown();
    const verify = await hatoCli(["audit", "verify", "--data", data]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const exported = await hatoCli(["audit", "export", "--data", data]);
    const kinds = exported.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    assert.ok(kinds.includes("upload-verdict") && kinds.includes("auth-succeeded"));
    assert.ok(kinds.includes("backup-restored"));
  });
});
