// Encrypted files in the web client (XEP-0454), alice and bob in Chromium with OMEMO on: a file
// attached in an encrypted chat goes out as an aesgcm:// link; bob sees a card and nothing is
// fetched until he clicks Download; the file is decrypted in his browser and saved; the upload
// store holds ciphertext only. With scanning required, EICAR is blocked by the hand-off and a
// clean file downloads with its clean verdict.

import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { eicar } from "../sdk/files.js";
import { axeCheck, describeViolations, screenshot, type WatchedPage } from "../support/browser.js";
import type { TestServer } from "../support/inproc.js";
import { messageLog } from "./ui.js";
import { attach, startUploadWorld, type UploadWorld } from "./upload-world.js";

/** Must never be on the server: the plaintext's marker. */
const MARKER = "BROWSER-PLAINTEXT-MARKER-52af";

/** The newest Download button of an encrypted file in the open conversation. */
const downloadButton = (page: Page): Locator =>
  messageLog(page)
    .getByRole("button", { name: /^Download / })
    .last();

/** Every file under `dir`, with its bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

describe("encrypted files in the web client", () => {
  let w: UploadWorld;
  let t: TestServer;
  let alice: WatchedPage;
  let bob: WatchedPage;

  /** Sets files.scanning-required for everyone, as a policy reload does. */
  async function scanningRequired(on: boolean): Promise<void> {
    const s = t.server;
    const before = s.policy.current.doc;
    assert.ok(
      s.policy.applyText(on ? "files: { scanning-required: true }\n" : "files: { enabled: true }\n")
        .ok,
    );
    await s.bus.fire("policy-reloaded", {
      how: "file",
      ok: true,
      before,
      after: s.policy.current.doc,
      errors: [],
    });
  }

  before(async () => {
    w = await startUploadWorld({}, { encrypted: true });
    ({ t, alice, bob } = w);
    for (const p of [alice.page, bob.page])
      await p.getByTestId("e2ee-state").filter({ hasText: "End-to-end encrypted" }).waitFor();
  });
  after(() => w?.close());

  it("a file sent encrypted: bob decrypts it on click and saves it; the server holds ciphertext", async () => {
    const plain = Buffer.from(`board minutes\n${MARKER}\n`.repeat(20));
    const asked: string[] = [];
    bob.page.on("request", (r) => asked.push(`${r.method()} ${r.url()}`));
    await attach(alice.page, [{ name: "minutes.txt", mimeType: "text/plain", buffer: plain }]);
    // Alice's message: the card with the file's real name and size.
    const own = messageLog(alice.page).locator(".enc-file").filter({ hasText: "minutes.txt" });
    await own.waitFor();
    await messageLog(alice.page).locator(".msg.upload").waitFor({ state: "detached" });
    // Nobody requires scanning: the key stayed secret, and the row says the file was not scanned.
    await messageLog(alice.page).getByText("Not scanned (end-to-end encrypted)").waitFor();

    // Bob's: a card, nothing fetched until he asks.
    const button = downloadButton(bob.page);
    await button.waitFor();
    const card = messageLog(bob.page).locator(".enc-file").last();
    assert.match((await card.textContent()) ?? "", /Encrypted file/);
    assert.deepEqual(
      asked.filter((r) => r.includes("/upload/")),
      [],
      "the file is not fetched by itself",
    );
    await screenshot(bob.page, "encrypted-file-card");
    const v1 = await axeCheck(bob.page);
    assert.deepEqual(v1, [], describeViolations(v1));
    await button.click();
    // Nobody scanned it (no rule requires it): bob is warned before anything is saved.
    await messageLog(bob.page)
      .getByText(/This file was not scanned for malware/)
      .waitFor();
    const v2 = await axeCheck(bob.page);
    assert.deepEqual(v2, [], describeViolations(v2));
    const download = bob.page.waitForEvent("download");
    await messageLog(bob.page).getByRole("button", { name: "Save anyway" }).click();
    const d = await download;
    const saved = await readFile((await d.path())!);
    assert.deepEqual(saved, plain, "bob's browser decrypted the file");
    assert.ok(asked.some((r) => r.startsWith("GET ") && r.includes("/upload/")));
    assert.equal(bob.page.url(), `https://localhost:${t.tlsPort}/`, "the page stays where it was");

    // The upload store: ciphertext only.
    const stored = await filesUnder(w.data);
    assert.ok(stored.length > 0);
    for (const f of stored) assert.ok(!f.bytes.includes(MARKER), `${f.path} holds the plaintext`);
    alice.assertClean();
    bob.assertClean();
  });

  it("scanning required: EICAR is blocked by the hand-off and never sent; a clean file downloads as clean", async () => {
    await scanningRequired(true);
    try {
      const before = await messageLog(bob.page).locator(".enc-file").count();
      await attach(alice.page, [
        { name: "eicar.txt", mimeType: "text/plain", buffer: Buffer.from(eicar(), "latin1") },
      ]);
      await messageLog(alice.page)
        .getByText(/^Blocked: .*EICAR/i)
        .waitFor();
      await attach(alice.page, [
        { name: "clean.txt", mimeType: "text/plain", buffer: Buffer.from("nothing to see") },
      ]);
      await messageLog(bob.page).locator(".enc-file").nth(before).waitFor();
      assert.equal(
        await messageLog(bob.page).locator(".enc-file").count(),
        before + 1,
        "only the clean file reached bob",
      );
      await messageLog(alice.page).getByText("Scanned, clean").waitFor();
      const download = bob.page.waitForEvent("download");
      await downloadButton(bob.page).click();
      const d = await download;
      assert.equal((await readFile((await d.path())!)).toString(), "nothing to see");
      await messageLog(bob.page)
        .getByText(/scanned by your organisation: clean/)
        .waitFor();
      alice.assertClean([/422/, /Failed to load resource/i]);
      bob.assertClean();
    } finally {
      await scanningRequired(false);
    }
  });
});
