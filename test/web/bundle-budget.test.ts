// The web client's initial JavaScript stays under 150 KB gzipped, and its index.html has no
// inline script or style (the server's CSP forbids both).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const WEB = fileURLToPath(new URL("../../../packages/web/", import.meta.url));
const DIST = join(WEB, "dist");
const BUDGET = 150 * 1024;

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

/** The scripts index.html loads at start: entry modules and their modulepreloads. */
function initialScripts(html: string): string[] {
  const srcs = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
  const preloads = [...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)];
  return [...srcs, ...preloads.map((m) => m[1]!)];
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

test("the initial JavaScript is under 150 KB gzipped", async (t) => {
  await ensureBuilt();
  const html = await readFile(join(DIST, "index.html"), "utf8");
  const scripts = initialScripts(html);
  assert.ok(scripts.length > 0, "index.html loads no script");
  let total = 0;
  for (const src of scripts) {
    const bytes = await readFile(join(DIST, src.replace(/^\//, "")));
    total += gzipSync(bytes, { level: 9 }).length;
  }
  t.diagnostic(`initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget 150 KB)`);
  assert.ok(total < BUDGET, `initial JavaScript is ${total} bytes gzipped, budget ${BUDGET}`);
});
