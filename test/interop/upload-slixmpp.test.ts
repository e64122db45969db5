// Interop with slixmpp's XEP-0363 plugin (Debian's python3-slixmpp) through a real `hato
// start` with the built-in scanner: a clean file goes up and comes back byte-identical; the
// EICAR test file is refused and never downloadable; a file over the limit is refused by disco.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Hato, startHato } from "../support/hato.js";
import { runPython } from "../support/python.js";
import { fetchFile } from "../support/upload.js";

/** The EICAR test file, built from two halves so this repository holds no complete signature. */
const EICAR = Buffer.from(
  ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STAND", "ARD-ANTIVIRUS-TEST-FILE!$H+H*"].join(""),
);

describe("slixmpp HTTP File Upload", () => {
  let hato: Hato;
  before(async () => {
    hato = await startHato({
      users: { alice: "alice-secret" },
      flags: { "upload-max-file-bytes": String(1024 * 1024) },
    });
  });
  after(() => hato?.stop());

  const upload = async (name: string, bytes: Buffer, type = "") => {
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
  };

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

  it("the EICAR test file is refused with 422 and the reason, and never downloadable", async () => {
    const r = await upload("eicar.txt", EICAR, "text/plain");
    assert.equal(r.error, "http", JSON.stringify(r));
    assert.equal(r.status, 422);
    const body = JSON.parse(r.body!) as { error: string; reason: string };
    assert.equal(body.error, "infected");
    assert.match(body.reason, /EICAR/i);
    assert.match(hato.log(), /upload verdict.*infected/);
  });

  it("a file above the advertised max-file-size is refused by the client before any slot", async () => {
    const r = await upload("big.bin", Buffer.alloc(1024 * 1024 + 1));
    assert.equal(r.error, "too-big", JSON.stringify(r));
    assert.equal(r.max, 1024 * 1024);
  });
});
