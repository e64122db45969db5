// The web client's files: only regular files inside the root (symlinks may not lead out),
// no listings, no dotfiles; hashed /assets/ cached for good, everything else revalidated.

import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { HatoError, HatoErrors } from "../errors.js";
import { secureHeaders, sendError } from "./headers.js";
import type { HttpHandler } from "./router.js";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

/**
 * The folder to serve: the setting when given, else the built `@hato/web` (its `dist`) when
 * that package is installed and built, else undefined.
 */
export async function resolveWebRoot(setting: string): Promise<string | undefined> {
  if (setting !== "") {
    const root = resolve(setting);
    // A mistyped folder should stop the start, not turn into 404s for every user.
    if (!(await stat(root).catch(() => undefined))?.isDirectory())
      throw new HatoError(HatoErrors.CONFIG_INVALID, `web.root: ${root} is not a folder`);
    return root;
  }
  for (const dir of webPackageDirs()) {
    const dist = join(dir, "dist");
    if ((await stat(join(dist, "index.html")).catch(() => undefined))?.isFile()) return dist;
  }
  return undefined;
}

/** Where the installed @hato/web may be: as Node resolves it, else any node_modules above us. */
function webPackageDirs(): string[] {
  const dirs: string[] = [];
  try {
    dirs.push(dirname(createRequire(import.meta.url).resolve("@hato/web/package.json")));
  } catch {
    // an `exports` map without ./package.json, or not installed: look for the folder itself
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    dirs.push(join(dir, "node_modules", "@hato", "web"));
    const up = dirname(dir);
    if (up === dir) return dirs;
    dir = up;
  }
}

/** Serves files under `root`; undefined root answers that the web client is not built. */
export function staticFiles(root: string | undefined): HttpHandler {
  let realRoot: Promise<string> | undefined;
  return async (req, res, path) => {
    if (root === undefined) {
      return sendError(
        res,
        404,
        "web-client-not-built",
        "the web client is not built (npm run build -w @hato/web) and web.root is not set",
      );
    }
    realRoot ??= realpath(root);
    const notFound = () => sendError(res, 404, "not-found", `nothing is served at ${path}`);
    const rel = path === "/" ? "index.html" : path.slice(1);
    // No listings and no hidden files (.git, .env...).
    if (rel === "" || rel.endsWith("/") || rel.split("/").some((s) => s.startsWith(".")))
      return notFound();
    let base: string;
    let file: string;
    try {
      base = await realRoot;
      file = await realpath(join(base, rel));
    } catch {
      return notFound();
    }
    if (!file.startsWith(base + sep)) return notFound();
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return notFound();

    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const immutable = path.startsWith("/assets/");
    secureHeaders(res);
    res.setHeader("ETag", etag);
    res.setHeader("Last-Modified", info.mtime.toUTCString());
    res.setHeader("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    const inm = req.headers["if-none-match"];
    const ims = req.headers["if-modified-since"];
    const fresh =
      inm !== undefined
        ? inm.split(",").some((t) => t.trim() === etag || t.trim() === "*")
        : ims !== undefined && Date.parse(ims) >= Math.floor(info.mtimeMs / 1000) * 1000;
    if (fresh) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": String(info.size),
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  };
}
