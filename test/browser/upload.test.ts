// File sharing in the web client (issue 5), alice and bob in Chromium: a clean PNG goes
// uploading → scanning → sent and bob sees its preview (a blob: image); the EICAR test file is
// blocked with the scanner's reason, bob never gets a link and its URL answers 404; SVG and
// HTML files are only ever download links; a file dropped on the conversation is shared.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { eicar, httpsGet, pngBytes } from "../sdk/files.js";
import { screenshot, type WatchedPage } from "../support/browser.js";
import { RawClient, type TestServer } from "../support/inproc.js";
import { messageLog } from "./ui.js";
import { attach, startUploadWorld, type UploadWorld } from "./upload-world.js";

/** The download link of a file in the open conversation. */
const downloadLink = (page: Page, name: string): Locator =>
  messageLog(page).getByRole("link", { name: `Download ${name}` });

/** Limits the page's upload speed (bytes per second) through the DevTools protocol; -1 lifts it. */
async function throttleUploads(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

describe("sharing files in the web client", () => {
  let w: UploadWorld;
  let t: TestServer;
  let alice: WatchedPage;
  let bob: WatchedPage;
  before(async () => {
    // The upload module as shipped: the built-in scanner, files in a data folder of the test's.
    w = await startUploadWorld();
    ({ t, alice, bob } = w);
  });
  after(() => w?.close());

  it("a clean PNG: progress, scanning, sent with its preview; bob sees the preview as a blob: image", async () => {
    const { page } = alice;
    // About 1.2 MB at 400 KB/s: the progress bar is on screen for a few seconds.
    const png = pngBytes(640, 640, true);
    await throttleUploads(page, 400_000);
    // Every state the upload's row goes through, as the page shows it (scanning may be brief).
    await page.evaluate(`(() => {
      globalThis.hatoStates = [];
      const seen = () => {
        for (const p of document.querySelectorAll(".msg.upload .progress span")) {
          const s = p.textContent.replace(/\\d+%/, "N%");
          if (globalThis.hatoStates.at(-1) !== s) globalThis.hatoStates.push(s);
        }
      };
      new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await attach(page, [{ name: "sunset.png", mimeType: "image/png", buffer: png }]);

    const progress = page.getByRole("progressbar", { name: "Uploading sunset.png" });
    await progress.waitFor();
    await page.getByText(/^Uploading [1-9]\d?%$/).waitFor();
    await screenshot(page, "upload-progress");

    const own = messageLog(page).getByRole("img", { name: "sunset.png" });
    await own.waitFor();
    assert.match((await own.getAttribute("src")) ?? "", /^blob:/);
    await messageLog(page).getByText("Scanned, clean").waitFor();
    await progress.waitFor({ state: "detached" });
    await throttleUploads(page, -1);
    assert.deepEqual(await page.evaluate("globalThis.hatoStates"), [
      "Uploading N%",
      "Scanning for malware…",
    ]);

    const seen = messageLog(bob.page).getByRole("img", { name: "sunset.png" });
    await seen.waitFor();
    assert.match((await seen.getAttribute("src")) ?? "", /^blob:/, "bob's preview is a blob: URL");
    // The image really decoded (a PNG, not a broken image).
    assert.equal(
      await bob.page.evaluate(
        `(() => { const i = document.querySelector('[role=log] img[alt="sunset.png"]'); return i.complete && i.naturalWidth; })()`,
      ),
      640,
    );
    await downloadLink(bob.page, "sunset.png").waitFor();
    await screenshot(bob.page, "image-preview");
  });

  it("the EICAR test file is blocked with the scanner's reason: bob gets nothing, its URL answers 404", async () => {
    const { page } = alice;
    const puts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "PUT") puts.push(r.url());
    });
    await attach(page, [
      { name: "eicar.txt", mimeType: "text/plain", buffer: Buffer.from(eicar(), "latin1") },
    ]);
    const blocked = messageLog(page).getByText(/^Blocked: .+/);
    await blocked.waitFor();
    assert.match((await blocked.textContent()) ?? "", /EICAR|malware|virus|infected/i);
    await screenshot(page, "upload-blocked");

    assert.equal(puts.length, 1);
    const url = puts[0]!;
    assert.equal((await httpsGet(url, t.ca)).status, 404, "the blocked file is never served");

    // Bob's conversation gets no message about it: a later message arrives, the link never does.
    await attach(page, [{ name: "after.txt", mimeType: "text/plain", buffer: Buffer.from("ok") }]);
    await downloadLink(bob.page, "after.txt").waitFor();
    assert.equal(await downloadLink(bob.page, "eicar.txt").count(), 0);
    assert.equal(await bob.page.locator(`a[href="${url}"]`).count(), 0);
  });

  it("SVG and HTML files are download links only, never rendered, and a click downloads", async () => {
    const svg = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>window.hatoPwned=1</script><rect width="10" height="10"/></svg>`,
    );
    const html = Buffer.from(`<!doctype html><script>window.hatoPwned=1</script><p>hi</p>`);
    await attach(alice.page, [
      { name: "drawing.svg", mimeType: "image/svg+xml", buffer: svg },
      { name: "page.html", mimeType: "text/html", buffer: html },
    ]);
    for (const w of [alice, bob]) {
      for (const name of ["drawing.svg", "page.html"]) {
        const link = downloadLink(w.page, name);
        await link.waitFor();
        assert.equal(await link.getAttribute("download"), name);
        assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
      }
      assert.equal(
        await messageLog(w.page)
          .getByRole("img", { name: /drawing|page/ })
          .count(),
        0,
      );
      assert.equal(await w.page.locator("iframe, object, embed").count(), 0);
      assert.equal(await w.page.evaluate("globalThis.hatoPwned"), undefined);
    }
    const download = bob.page.waitForEvent("download");
    await downloadLink(bob.page, "drawing.svg").click();
    const d = await download;
    assert.equal(d.suggestedFilename(), "drawing.svg");
    assert.equal(bob.page.url(), `https://localhost:${t.tlsPort}/`, "the page stays where it was");
    assert.equal(await bob.page.evaluate("globalThis.hatoPwned"), undefined);
  });

  it("a file dropped on the conversation is shared", async () => {
    const dataTransfer = await alice.page.evaluateHandle(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["dropped with care"], "dropped.txt", { type: "text/plain" }));
      return dt;
    })()`);
    const log = messageLog(alice.page);
    await log.dispatchEvent("dragenter", { dataTransfer });
    await log.dispatchEvent("dragover", { dataTransfer });
    await log.dispatchEvent("drop", { dataTransfer });
    await downloadLink(alice.page, "dropped.txt").waitFor();
    await downloadLink(bob.page, "dropped.txt").waitFor();
    alice.assertClean([/422/, /Failed to load resource/i]);
    bob.assertClean();
  });

  it("files from other clients: an image of another origin is a link only (never fetched), a missing upload reads 'not available'", async () => {
    const elsewhere = "https://images.example.net/cat.png";
    const missing = `https://localhost:${t.tlsPort}/upload/AAAAAAAAAAAAAAAAAAAAAA/${"B".repeat(43)}/gone.png`;
    const asked: string[] = [];
    bob.page.on("request", (r) => asked.push(r.url()));
    const { client } = await RawClient.login(t, "alice", "alice-pw", "other-client");
    try {
      for (const [id, url] of [
        ["f1", elsewhere],
        ["f2", missing],
      ] as const)
        client.send(
          `<message to='bob@localhost' type='chat' id='${id}'><body>${url}</body><x xmlns='jabber:x:oob'><url>${url}</url></x></message>`,
        );
      const link = downloadLink(bob.page, "cat.png");
      await link.waitFor();
      assert.equal(await link.getAttribute("href"), elsewhere);
      assert.equal(await messageLog(bob.page).getByRole("img", { name: "cat.png" }).count(), 0);
      await messageLog(bob.page)
        .getByText(/gone\.png: not available/)
        .waitFor();
      assert.equal(await downloadLink(bob.page, "gone.png").count(), 0);
      assert.ok(!asked.some((u) => u.startsWith("https://images.example.net/")), "never fetched");
      assert.ok(asked.includes(missing), "the missing upload was asked for (and answered 404)");
    } finally {
      client.close();
    }
    bob.assertClean([/404/, /Failed to load resource/i]);
  });
});
