// A module bundled for a test page: Vite builds an entry (re-exports of the SDK or the web
// client's sources) into one ES file in a temporary folder with an empty index.html, which a
// test server then serves as its web root, so that the page can import what the test calls.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";

/** A folder to serve (`web.root`) holding `index.html` and the bundled module. */
export interface PageBundle {
  root: string;
  remove(): Promise<void>;
}

/** Bundles the ES module `entry` (source text) as `fileName` next to an empty page. */
export async function bundleForPage(entry: string, fileName = "lib.js"): Promise<PageBundle> {
  const www = await mkdtemp(join(tmpdir(), "hato-page-"));
  await writeFile(join(www, "entry.js"), entry);
  const root = join(www, "out");
  await build({
    configFile: false,
    logLevel: "silent",
    root: www,
    build: {
      outDir: root,
      emptyOutDir: true,
      minify: false,
      lib: { entry: join(www, "entry.js"), formats: ["es"], fileName: () => fileName },
    },
  });
  await writeFile(join(root, "index.html"), "<!doctype html><title>test page</title>\n");
  return { root, remove: () => rm(www, { recursive: true, force: true }) };
}
