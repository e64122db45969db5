// The web client's and the admin console's files: only regular files inside the root (symlinks
// may not lead out), no listings, no dotfiles; hashed /assets/ cached for good, everything else
// revalidated (or, for the admin console's pages, never stored).

import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
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
 * The folder to serve: the setting when given, else the built package (`@hato/web` or
 * `@hato/admin`, its `dist`) when that package is installed and built, else undefined.
 */
export async function resolveWebRoot(
  setting: string,
  pkg: "web" | "admin" = "web",
  settingName = "web.root",
): Promise<string | undefined> {
  if (setting !== "") {
    const root = resolve(setting);
    // A mistyped folder should stop the start, not turn into 404s for every user.
    if (!(await stat(root).catch(() => undefined))?.isDirectory())
      throw new HatoError(HatoErrors.CONFIG_INVALID, `${settingName}: ${root} is not a folder`);
    return root;
  }
  for (const dir of webPackageDirs(pkg)) {
    const dist = join(dir, "dist");
    if ((await stat(join(dist, "index.html")).catch(() => undefined))?.isFile()) return dist;
  }
  return undefined;
}

/** Where the installed package may be: as Node resolves it, else any node_modules above us. */
function webPackageDirs(pkg: "web" | "admin"): string[] {
  const dirs: string[] = [];
  try {
    dirs.push(dirname(createRequire(import.meta.url).resolve(`@hato/${pkg}/package.json`)));
  } catch {
    // an `exports` map without ./package.json, or not installed: look for the folder itself
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    dirs.push(join(dir, "node_modules", "@hato", pkg));
    const up = dirname(dir);
    if (up === dir) return dirs;
    dir = up;
  }
}

/** How a tree of files is served, beyond the shared security headers. */
export interface StaticOptions {
  /** The error code and reason when there is no root. */
  notBuilt: { error: string; reason: string };
  /** Headers set after the security headers (so they may override them). */
  headers?: Readonly<Record<string, string>>;
  /** Headers of HTML pages only, computed per request (a CSP naming the request's host). */
  pageHeaders?: (req: IncomingMessage) => Readonly<Record<string, string>>;
  /** `Cache-Control` of everything outside /assets/; default "no-cache" (revalidate). */
  cacheControl?: string;
}

/**
 * Serves files under `root` (paths relative to it, starting with `/`); undefined root answers
 * that the files are not built.
 */
export function staticFiles(root: string | undefined, opts: StaticOptions): HttpHandler {
  let realRoot: Promise<string> | undefined;
  return async (req, res, path) => {
    if (root === undefined) return sendError(res, 404, opts.notBuilt.error, opts.notBuilt.reason);
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
    for (const [name, value] of Object.entries(opts.headers ?? {})) res.setHeader(name, value);
    const type = TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
    if (type.startsWith("text/html") && opts.pageHeaders)
      for (const [name, value] of Object.entries(opts.pageHeaders(req))) res.setHeader(name, value);
    res.setHeader("ETag", etag);
    res.setHeader("Last-Modified", info.mtime.toUTCString());
    res.setHeader(
      "Cache-Control",
      immutable ? "public, max-age=31536000, immutable" : (opts.cacheControl ?? "no-cache"),
    );
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
      "Content-Type": type,
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
