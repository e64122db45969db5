// The web client's JavaScript budget: what a browser must download before the first screen
// (the entry module and everything it imports statically), gzipped as a server would send it.

import { readFile } from "node:fs/promises";
import { dirname, join, normalize, relative } from "node:path";
import { gzipSync } from "node:zlib";

/** The budget: the initial JavaScript under 150 KB gzipped. */
export const BUDGET_BYTES = 150 * 1024;

export interface InitialJs {
  /** Each file (relative to the dist folder) and its gzipped size (zlib level 9). */
  files: { path: string; gzipBytes: number; rawBytes: number }[];
  totalGzipBytes: number;
}

const attr = (tag: string, name: string): string | undefined =>
  new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, "i").exec(tag)?.[1];

/**
 * The scripts index.html loads at once: `<script src>` (module or classic) and
 * `<link rel="modulepreload">`; absolute paths are taken from the dist root.
 */
export function entryScripts(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/<script\b[^>]*>/gi)) {
    const src = attr(m[0], "src");
    if (src) found.push(src);
  }
  for (const m of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = attr(m[0], "rel")?.toLowerCase().split(/\s+/) ?? [];
    const href = attr(m[0], "href");
    if (
      href &&
      (rel.includes("modulepreload") || (rel.includes("preload") && /\.m?js$/.test(href)))
    )
      found.push(href);
  }
  return found;
}

/**
 * Static imports and re-exports of a module (`import x from "./a.js"`, `import "./b.js"`,
 * `export * from "./c.js"`), relative ones only; `import("./d.js")` is lazy and not counted.
 * A string in the code that merely looks like an import is counted too: the error is on the
 * safe side.
 */
export function staticImports(code: string): string[] {
  const out: string[] = [];
  const re = /\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

/**
 * Finds the initial JavaScript of a built client in `dist` and gzips each file (level 9);
 * `base` is the path the client is served under (`/admin/` for the admin console).
 */
export async function initialJs(dist: string, base = "/"): Promise<InitialJs> {
  const html = await readFile(join(dist, "index.html"), "utf8");
  const seen = new Set<string>();
  const queue: string[] = [];
  const enqueue = (file: string) => {
    const rel = relative(dist, file);
    if (rel.startsWith("..")) throw new Error(`script outside the dist folder: ${file}`);
    if (!seen.has(rel)) {
      seen.add(rel);
      queue.push(rel);
    }
  };
  for (const src of entryScripts(html)) {
    if (/^(?:[a-z]+:)?\/\//i.test(src)) throw new Error(`a script from elsewhere: ${src}`);
    const local = src.startsWith(base) ? src.slice(base.length) : src.replace(/^\//, "");
    enqueue(join(dist, normalize(local.split(/[?#]/)[0]!)));
  }
  if (queue.length === 0) throw new Error("index.html loads no script");
  const files: InitialJs["files"] = [];
  while (queue.length > 0) {
    const rel = queue.shift()!;
    const bytes = await readFile(join(dist, rel));
    files.push({
      path: rel,
      rawBytes: bytes.length,
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
    });
    for (const imp of staticImports(bytes.toString("utf8")))
      enqueue(join(dirname(join(dist, rel)), imp.split(/[?#]/)[0]!));
  }
  return { files, totalGzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0) };
}
