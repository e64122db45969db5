// The web client's uploads with ClamAV's clamd as the scanner (the production choice): a real
// clamd with the test's own signature database. A clean file reaches bob; the EICAR file and a
// file carrying the test-only signature are blocked with clamd's finding, and never served.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eicar, httpsGet } from "../sdk/files.js";
import type { WatchedPage } from "../support/browser.js";
import { type Clamd, startClamd, TEST_MARKER } from "../support/clamd.js";
import type { TestServer } from "../support/inproc.js";
import { messageLog } from "./ui.js";
import { attach, startUploadWorld, type UploadWorld } from "./upload-world.js";

const MAX_BYTES = 8 * 1024 * 1024;

describe("web client uploads scanned by a real clamd", () => {
  let clamd: Clamd;
  let w: UploadWorld;
  let t: TestServer;
  let alice: WatchedPage;
  let bob: WatchedPage;
  before(async () => {
    clamd = await startClamd({ maxBytes: MAX_BYTES });
    w = await startUploadWorld({
      "scan.engine": "clamd",
      "scan.clamd-address": clamd.address,
      "upload.max-file-bytes": String(MAX_BYTES),
    });
    ({ t, alice, bob } = w);
  });
  after(async () => {
    await w?.close();
    await clamd?.close();
  });

  it("a clean file is shared; EICAR and the test signature are blocked with clamd's finding and never served", async () => {
    const { page } = alice;
    const puts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "PUT") puts.push(r.url());
    });

    await attach(page, [
      {
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("meeting notes, nothing else\n"),
      },
    ]);
    await messageLog(bob.page).getByRole("link", { name: "Download notes.txt" }).waitFor();

    for (const [name, bytes, finding] of [
      ["eicar.txt", Buffer.from(eicar(), "latin1"), /Hato\.Test\.EICAR|EICAR/],
      ["marked.txt", Buffer.concat([Buffer.from("prefix "), TEST_MARKER]), /Hato\.Test\.Marker/],
    ] as const) {
      const before = puts.length;
      await attach(page, [{ name, mimeType: "text/plain", buffer: bytes }]);
      const blocked = messageLog(page).getByText(new RegExp(`^Blocked: .*${finding.source}`));
      await blocked.waitFor({ timeout: 30_000 });
      assert.equal(puts.length, before + 1);
      const url = puts.at(-1)!;
      assert.equal((await httpsGet(url, t.ca)).status, 404, `${name} is never served`);
      assert.equal(await bob.page.locator(`a[href="${url}"]`).count(), 0);
    }

    // A later file still goes through, and bob never saw the blocked ones.
    await attach(page, [
      { name: "after.txt", mimeType: "text/plain", buffer: Buffer.from("ok\n") },
    ]);
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
