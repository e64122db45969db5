// The built web client's index.html has no inline script or style (the server's CSP forbids
// both). The JavaScript budget is checked in test/browser/budget.test.ts.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const WEB = fileURLToPath(new URL("../../../packages/web/", import.meta.url));
const DIST = join(WEB, "dist");

/** Builds the client when the tree has none yet (npm install builds it; a fresh clone may not). */
async function ensureBuilt(): Promise<void> {
  if (existsSync(join(DIST, "index.html"))) return;
  await new Promise<void>((resolve, reject) => {
    execFile(
      join(WEB, "..", "..", "node_modules", ".bin", "vite"),
      ["build"],
      { cwd: WEB },
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

test("index.html has no inline script, inline style or style attribute", async () => {
  await ensureBuilt();
  const html = await readFile(join(DIST, "index.html"), "utf8");
  for (const tag of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    assert.match(tag[0], /\bsrc="/, `inline script: ${tag[0]}`);
    assert.equal(tag[1]!.trim(), "", `inline script body: ${tag[0]}`);
  }
  assert.doesNotMatch(html, /<style\b/, "inline <style>");
  assert.doesNotMatch(html, /\sstyle=/, "style attribute");
  assert.doesNotMatch(html, /\son[a-z]+=/, "inline event handler");
  assert.match(html, /<link\b[^>]*rel="stylesheet"[^>]*href="\/assets\/[^"]+\.css"/);
});
