// The web client's uploads with ClamAV's clamd as the scanner (the production choice): a real
// clamd with the test's own signature database. A clean file reaches bob; the EICAR file and a
// file carrying the test-only signature are blocked with clamd's finding, and never served.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { eicar, httpsGet } from "../sdk/files.js";
import {
  launchBrowser,
  newUser,
  type TestBrowser,
  type WatchedPage,
  WEB_FLAGS,
} from "../support/browser.js";
import { type Clamd, startClamd, TEST_MARKER } from "../support/clamd.js";
import { mutualContacts, startServer, type TestServer } from "../support/inproc.js";
import { messageLog, openChat } from "./ui.js";

const MAX_BYTES = 8 * 1024 * 1024;

async function attach(page: Page, name: string, buffer: Buffer): Promise<void> {
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Attach file" }).click();
  await (await chooser).setFiles([{ name, mimeType: "text/plain", buffer }]);
}

describe("web client uploads scanned by a real clamd", () => {
  let clamd: Clamd;
  let t: TestServer;
  let b: TestBrowser;
  let alice: WatchedPage;
  let bob: WatchedPage;
  let data: string;
  before(async () => {
    clamd = await startClamd({ maxBytes: MAX_BYTES });
    data = await mkdtemp(join(tmpdir(), "hato-web-clamd-"));
    t = await startServer({
      ...WEB_FLAGS,
      data,
      "scan.engine": "clamd",
      "scan.clamd-address": clamd.address,
      "upload.max-file-bytes": String(MAX_BYTES),
    });
    await t.addUser("alice", "alice-pw");
    await t.addUser("bob", "bob-pw");
    await mutualContacts(t, "alice", "bob", { a: "Alice", b: "Bob" });
    b = await launchBrowser();
    alice = await b.newPage();
    bob = await b.newPage();
    const url = `https://localhost:${t.tlsPort}/`;
    await newUser(alice.page, { url, jid: "alice@localhost", password: "alice-pw" });
    await newUser(bob.page, { url, jid: "bob@localhost", password: "bob-pw" });
    await openChat(alice.page, "Bob");
    await openChat(bob.page, "Alice");
  });
  after(async () => {
    await b?.close();
    await t?.stop();
    await clamd?.close();
    await rm(data, { recursive: true, force: true });
  });

  it("a clean file is shared; EICAR and the test signature are blocked with clamd's finding and never served", async () => {
    const { page } = alice;
    const puts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "PUT") puts.push(r.url());
    });

    await attach(page, "notes.txt", Buffer.from("meeting notes, nothing else\n"));
    await messageLog(bob.page).getByRole("link", { name: "Download notes.txt" }).waitFor();

    for (const [name, bytes, finding] of [
      ["eicar.txt", Buffer.from(eicar(), "latin1"), /Hato\.Test\.EICAR|EICAR/],
      ["marked.txt", Buffer.concat([Buffer.from("prefix "), TEST_MARKER]), /Hato\.Test\.Marker/],
    ] as const) {
      const before = puts.length;
      await attach(page, name, bytes);
      const blocked = messageLog(page).getByText(new RegExp(`^Blocked: .*${finding.source}`));
      await blocked.waitFor({ timeout: 30_000 });
      assert.equal(puts.length, before + 1);
      const url = puts.at(-1)!;
      assert.equal((await httpsGet(url, t.ca)).status, 404, `${name} is never served`);
      assert.equal(await bob.page.locator(`a[href="${url}"]`).count(), 0);
    }

    // A later file still goes through, and bob never saw the blocked ones.
    await attach(page, "after.txt", Buffer.from("ok\n"));
    await messageLog(bob.page).getByRole("link", { name: "Download after.txt" }).waitFor();
    for (const name of ["eicar.txt", "marked.txt"])
      assert.equal(
        await messageLog(bob.page)
          .getByRole("link", { name: `Download ${name}` })
          .count(),
        0,
      );
    alice.assertClean([/422/, /Failed to load resource/i]);
    bob.assertClean();
  });
});
