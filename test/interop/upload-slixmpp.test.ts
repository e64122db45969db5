// Interop with slixmpp's XEP-0363 plugin (Debian's python3-slixmpp) through a real `hato
// start`, with the built-in scanner and with a real clamd: a clean file goes up and comes back
// byte-identical; the EICAR test file and a test signature are refused and never downloadable;
// a file over the limit is refused by disco; clamd down means 503, nothing kept.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Clamd, startClamd, TEST_MARKER } from "../support/clamd.js";
import { type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";
import { fetchFile } from "../support/upload.js";

/** The EICAR test file, built from two halves so this repository holds no complete signature. */
const EICAR = Buffer.from(
  ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STAND", "ARD-ANTIVIRUS-TEST-FILE!$H+H*"].join(""),
);

/** Uploads one file as alice with slixmpp; the script's JSON answer. */
async function slixmppUpload(hato: Hato, name: string, bytes: Buffer, type = "") {
  const file = join(hato.dataDir, "..", name);
  await writeFile(file, bytes);
  const r = await runPython(
    "slixmpp-upload.py",
    [
      "--jid",
      "alice@localhost",
      "--password",
      "alice-secret",
      "--port",
      String(hato.c2sPort),
      "--ca",
      hato.caFile,
      "--file",
      file,
      "--type",
      type,
    ],
    { SSL_CERT_FILE: hato.caFile },
  );
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
    url?: string;
    max?: number;
    error?: string;
    status?: number;
    body?: string;
  };
}

describe("slixmpp HTTP File Upload", () => {
  let hato: Hato;
  before(async () => {
    hato = await startHato({
      users: { alice: "alice-secret" },
      flags: { "upload-max-file-bytes": String(1024 * 1024) },
    });
  });
  after(() => hato?.stop());

  const upload = (name: string, bytes: Buffer, type = "") => slixmppUpload(hato, name, bytes, type);

  it("uploads a clean file; the GET URL gives back the same bytes as an attachment", async () => {
    const bytes = randomBytes(200_000);
    const r = await upload("report.bin", bytes);
    assert.ok(r.url, JSON.stringify(r));
    assert.equal(r.max, 1024 * 1024);
    assert.match(
      r.url,
      new RegExp(`^https://localhost:${hato.tlsPort}/upload/[\\w-]+/[\\w-]+/report\\.bin$`),
    );
    const ca = await readFile(hato.caFile, "utf8");
    const got = await fetchFile(ca, r.url);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(bytes), "byte-identical");
    assert.equal(got.headers["content-type"], "application/octet-stream");
    assert.match(got.headers["content-disposition"]!, /^attachment; filename="report\.bin"/);
    assert.equal(got.headers["hato-scan"], "clean");
  });

  it("a released file survives a restart (SQLite metadata, bytes in the data folder)", async () => {
    const bytes = randomBytes(5000);
    const r = await upload("kept.bin", bytes);
    assert.ok(r.url, JSON.stringify(r));
    await hato.restart();
    const got = await fetchFile(
      await readFile(hato.caFile, "utf8"),
      r.url.replace(/:\d+\//, `:${hato.tlsPort}/`),
    );
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(bytes));
  });

  it("the EICAR test file is refused with 422 and the reason, and never downloadable", async () => {
    const r = await upload("eicar.txt", EICAR, "text/plain");
    assert.equal(r.error, "http", JSON.stringify(r));
    assert.equal(r.status, 422);
    const body = JSON.parse(r.body!) as { error: string; reason: string };
    assert.equal(body.error, "infected");
    assert.match(body.reason, /EICAR/i);
    assert.match(hato.log(), /upload verdict.*infected/);
    // Quarantined (kept for the admin), and not among the files that are served.
    const quarantined = await readdir(join(hato.dataDir, "uploads", "quarantine"));
    assert.equal(quarantined.length, 1);
    assert.ok(!(await readdir(join(hato.dataDir, "uploads", "files"))).includes(quarantined[0]!));
  });

  it("a file above the advertised max-file-size is refused by the client before any slot", async () => {
    const r = await upload("big.bin", Buffer.alloc(1024 * 1024 + 1));
    assert.equal(r.error, "too-big", JSON.stringify(r));
    assert.equal(r.max, 1024 * 1024);
  });
});

describe("slixmpp HTTP File Upload scanned by a real clamd", () => {
  let hato: Hato;
  let clamd: Clamd;
  before(async () => {
    clamd = await startClamd({ maxBytes: 1024 * 1024 });
    hato = await startHato({
      users: { alice: "alice-secret" },
      flags: {
        "upload-max-file-bytes": String(1024 * 1024),
        "scan-engine": "clamd",
        "scan-clamd-address": clamd.address,
      },
    });
  });
  after(async () => {
    await hato?.stop();
    await clamd?.close();
  });

  it("a clean file: 201 after clamd's verdict, byte-identical back", async () => {
    const bytes = randomBytes(300_000);
    const r = await slixmppUpload(hato, "photo.jpg", bytes, "image/jpeg");
    assert.ok(r.url, JSON.stringify(r));
    const got = await fetchFile(await readFile(hato.caFile, "utf8"), r.url);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(bytes));
    assert.equal(got.headers["content-type"], "image/jpeg");
  });

  it("EICAR and the test database's signature: 422 infected, named by clamd", async () => {
    for (const [name, bytes, signature] of [
      ["eicar.com", EICAR, /Hato\.Test\.EICAR|Eicar/i],
      ["marked.bin", Buffer.concat([randomBytes(1000), TEST_MARKER]), /Hato\.Test\.Marker/],
    ] as const) {
      const r = await slixmppUpload(hato, name, bytes);
      assert.equal(r.status, 422, JSON.stringify(r));
      const body = JSON.parse(r.body!) as { error: string; reason: string };
      assert.equal(body.error, "infected");
      assert.match(body.reason, signature);
    }
  });

  it("clamd down: 503 scanner-unavailable, fail closed", async () => {
    await clamd.stop();
    const r = await slixmppUpload(hato, "late.txt", Buffer.from("hello"), "text/plain");
    assert.equal(r.status, 503, JSON.stringify(r));
    assert.equal((JSON.parse(r.body!) as { error: string }).error, "scanner-unavailable");
  });
});
