// The harness of the web client's IndexedDB store tests: the store and its SDK memory twin
// bundled for a test page (support/page-bundle.ts), served by an in-process server and opened
// in Chromium, where one script runs the same calls on both and the answers must agree.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, REPO, type TestBrowser, type WatchedPage } from "../support/browser.js";
import { startServer, type TestServer } from "../support/inproc.js";
import { bundleForPage, type PageBundle } from "../support/page-bundle.js";

export interface StorePage {
  /**
   * Opens the page and runs `exercise` (the source of an async function of "memory" | "idb")
   * on both stores; asserts the answers are equal and returns the IndexedDB one and the page.
   */
  compare(exercise: string): Promise<{ w: WatchedPage; idb: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * Serves a page that can import `storeExports` from the web client's `crypto/<file>` and
 * `sdkExports` from @hato/sdk (as `location.origin + "/lib.js"`).
 */
export async function startStorePage(
  file: string,
  storeExports: string[],
  sdkExports: string[],
): Promise<StorePage> {
  const store = join(REPO, "packages", "web", "src", "crypto", file);
  const sdk = fileURLToPath(import.meta.resolve("@hato/sdk"));
  const bundle: PageBundle = await bundleForPage(
    `export { ${storeExports.join(", ")} } from ${JSON.stringify(store)};\n` +
      `export { ${sdkExports.join(", ")} } from ${JSON.stringify(sdk)};\n`,
  );
  const t: TestServer = await startServer({ "web.root": bundle.root });
  const b: TestBrowser = await launchBrowser();
  return {
    async compare(exercise) {
      const w = await b.newPage();
      await w.page.goto(`https://localhost:${t.tlsPort}/`);
      const memory = await w.page.evaluate(`(${exercise})("memory")`);
      const idb = (await w.page.evaluate(`(${exercise})("idb")`)) as Record<string, unknown>;
      assert.deepEqual(idb, memory);
      return { w, idb };
    },
    async close() {
      await b.close();
      await t.stop();
      await bundle.remove();
    },
  };
}
