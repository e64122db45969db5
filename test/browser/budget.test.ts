// The initial JavaScript of the built web client stays under 150 KB gzipped (issue 4), and the
// counting itself is checked on a made-up client that is over budget.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ADMIN_DIST, WEB_DIST } from "../support/browser.js";
import { BUDGET_BYTES, entryScripts, initialJs, staticImports } from "./budget.js";

/**
 * The admin console's own budget: it is a few forms and tables over Preact, so a tenth of the
 * chat client's is ample, and a dependency that slipped in shows up here.
 */
const ADMIN_BUDGET_BYTES = 40 * 1024;

describe("the admin console's JavaScript budget", () => {
  it("the built console's initial JavaScript (gzip -9) is under 40 KB", async (t) => {
    assert.ok(
      existsSync(join(ADMIN_DIST, "index.html")),
      "packages/admin/dist/index.html is missing: build it (npx vite build in packages/admin)",
    );
    const js = await initialJs(ADMIN_DIST, "/admin/");
    const kb = (n: number) => (n / 1024).toFixed(1);
    for (const f of js.files)
      t.diagnostic(`${f.path}: ${kb(f.rawBytes)} KB, ${kb(f.gzipBytes)} KB gzipped`);
    console.log(
      `admin console initial JavaScript: ${kb(js.totalGzipBytes)} KB gzipped (budget 40 KB)`,
    );
    assert.ok(js.files.length >= 1, "the entry script was found");
    assert.ok(
      js.totalGzipBytes < ADMIN_BUDGET_BYTES,
      `the admin console's initial JavaScript is ${js.totalGzipBytes} bytes gzipped, over ${ADMIN_BUDGET_BYTES}`,
    );
  });
});

describe("the web client's JavaScript budget", () => {
  it("the built client's initial JavaScript (entry and static imports, gzip -9) is under 150 KB", async (t) => {
    assert.ok(
      existsSync(join(WEB_DIST, "index.html")),
      "packages/web/dist/index.html is missing: the web client is built by `npm install` (or `npx vite build` in packages/web)",
    );
    const js = await initialJs(WEB_DIST);
    const kb = (n: number) => (n / 1024).toFixed(1);
    for (const f of js.files)
      t.diagnostic(`${f.path}: ${kb(f.rawBytes)} KB, ${kb(f.gzipBytes)} KB gzipped`);
    t.diagnostic(
      `initial JavaScript: ${js.totalGzipBytes} bytes gzipped (${kb(js.totalGzipBytes)} KB of ${kb(BUDGET_BYTES)} KB) in ${js.files.length} file(s)`,
    );
    console.log(
      `web client initial JavaScript: ${kb(js.totalGzipBytes)} KB gzipped (budget 150 KB)`,
    );
    assert.ok(
      js.totalGzipBytes < BUDGET_BYTES,
      `initial JavaScript is ${js.totalGzipBytes} bytes gzipped, over the ${BUDGET_BYTES}-byte budget`,
    );
    // Both OMEMO implementations are chunks of their own, loaded on first use, never at start.
    const built = await readdir(join(WEB_DIST, "assets"));
    for (const chunk of [/^omemo2-.*\.js$/, /^signal-.*\.js$/]) {
      assert.ok(
        built.some((f) => chunk.test(f)),
        `a chunk ${chunk} was built: ${built.join(", ")}`,
      );
      assert.ok(
        !js.files.some((f) => chunk.test(f.path.split("/").at(-1) ?? "")),
        `${chunk} is not loaded at start: ${js.files.map((f) => f.path).join(", ")}`,
      );
    }
  });

  it("counts the entry, modulepreloads and static imports (transitively), not lazy imports, and a big client is over budget", async () => {
    const dist = await mkdtemp(join(tmpdir(), "hato-budget-"));
    try {
      await mkdir(join(dist, "assets"));
      await writeFile(
        join(dist, "index.html"),
        `<!doctype html><html><head>
<script type="module" crossorigin src="/assets/index-abc.js"></script>
<link rel="modulepreload" crossorigin href="/assets/vendor-def.js">
<link rel="stylesheet" href="/assets/index-abc.css">
</head><body><div id="app"></div></body></html>`,
      );
      await writeFile(
        join(dist, "assets", "index-abc.js"),
        `import{h as e}from"./vendor-def.js";import"./side.js";const l=()=>import("./lazy.js");e(l);`,
      );
      await writeFile(
        join(dist, "assets", "vendor-def.js"),
        `export*from"./deep.js";export const h=1;`,
      );
      await writeFile(join(dist, "assets", "side.js"), "console.log(1);");
      // Hex of 200 KiB of random bytes gzips to about 210 KB: alone it breaks the budget.
      await writeFile(
        join(dist, "assets", "deep.js"),
        `export const x="${randomBytes(200 * 1024).toString("hex")}";`,
      );
      await writeFile(
        join(dist, "assets", "lazy.js"),
        `export const y="${randomBytes(400 * 1024).toString("hex")}";`,
      );
      await writeFile(join(dist, "assets", "index-abc.css"), "body{}");

      const js = await initialJs(dist);
      assert.deepEqual(js.files.map((f) => f.path).sort(), [
        "assets/deep.js",
        "assets/index-abc.js",
        "assets/side.js",
        "assets/vendor-def.js",
      ]);
      assert.ok(js.totalGzipBytes > BUDGET_BYTES, `${js.totalGzipBytes} should be over budget`);
      assert.ok(
        js.totalGzipBytes < 300 * 1024,
        "the lazy chunk (about 420 KB gzipped) is not counted",
      );

      // Without the big static import the same client fits.
      await writeFile(join(dist, "assets", "deep.js"), "export const x=1;");
      assert.ok((await initialJs(dist)).totalGzipBytes < 1024);
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  });

  it("reads script and preload tags in any attribute order and quoting", () => {
    assert.deepEqual(
      entryScripts(
        `<script src='/a.js' type=module></script><script>inline</script><link href="/b.js" rel="modulepreload"><link rel=icon href="/f.ico">`,
      ),
      ["/a.js", "/b.js"],
    );
    assert.deepEqual(
      staticImports(
        `import{a as b,c}from"./x.js";import * as n from '../y.js';export{z}from"./z.js";import("./lazy.js");fetch("./not.js")`,
      ),
      ["./x.js", "../y.js", "./z.js"],
    );
  });
});
