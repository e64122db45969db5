// The built-in scanning engine, Hato's embedded default: a SHA-256 deny-list, the EICAR test
// file, programs and scripts by magic bytes and by name, and archives opened within limits.
// It knows no viruses by signature: clamd is the production choice (docs/scanning.md).

import { readFileSync } from "node:fs";
import { inspectFile } from "./inspect.js";
import { EICAR_SHA256 } from "./magic.js";
import { type ScanInput, type Scanner, ScannerUnavailable, type Verdict } from "./types.js";
import { type ArchiveLimits, Walk } from "./walk.js";

export interface BuiltinOptions {
  limits: ArchiveLimits;
  /** Lowercase hex SHA-256 digests of files to refuse (EICAR's is always added). */
  denyList?: Iterable<string>;
  timeoutSeconds: number;
}

/**
 * Parses a deny-list: one SHA-256 per line in hex, optionally followed by anything (so
 * `sha256sum` output works); `#` starts a comment. Throws on a line that is not a hash.
 */
export function parseDenyList(text: string, source = "deny-list"): Set<string> {
  const out = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.replace(/#.*/, "").trim();
    if (t === "") return;
    const hash = t.split(/\s+/)[0]!.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hash)) {
      throw new Error(`scan.deny-list: ${source}, line ${i + 1}: not a SHA-256 digest in hex`);
    }
    out.add(hash);
  });
  return out;
}

/** Reads a deny-list file (see `parseDenyList`). */
export function readDenyList(path: string): Set<string> {
  return parseDenyList(readFileSync(path, "utf8"), path);
}

/** The built-in engine. */
export function createBuiltinScanner(options: BuiltinOptions): Scanner {
  const deny = new Set(options.denyList ?? []);
  deny.add(EICAR_SHA256);
  return {
    engine: "builtin",
    async scan(file: ScanInput): Promise<Verdict> {
      const walk = new Walk(
        options.limits,
        deny,
        Date.now() + options.timeoutSeconds * 1000,
        options.timeoutSeconds,
      );
      let found: Awaited<ReturnType<typeof inspectFile>>;
      try {
        found = await inspectFile(walk, file.path, file.name);
      } catch (err) {
        // A file that cannot be read, or a bug: no verdict, so the upload fails closed.
        if (err instanceof ScannerUnavailable) throw err;
        throw new ScannerUnavailable(`the built-in scanner failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (!found) return { status: "clean", engine: "builtin" };
      if (found.status === "refused") {
        return { status: "refused", engine: "builtin", reason: found.reason };
      }
      return {
        status: "infected",
        engine: "builtin",
        signature: found.signature,
        reason: found.reason,
      };
    },
    async close() {},
  };
}
