// The built-in engine's walk over one file: every item (the file, and each member of the
// archives in it, recursively) goes through the name and content rules; archives are opened
// within limits, and whatever cannot be opened in full is refused rather than passed.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import {
  type Container,
  EICAR_SHA256,
  HEAD_BYTES,
  isEicar,
  type Kind,
  MacroSearch,
  sniff,
} from "./magic.js";
import { checkName, printable } from "./names.js";
import { walkTar } from "./tar.js";
import { ScannerUnavailable } from "./types.js";
import {
  mib,
  NESTED_ARCHIVE_MAX_BYTES,
  type Outcome,
  RATIO_FLOOR,
  ratioRefusal,
  refused,
  type Walk,
} from "./walk.js";
import { walkZip } from "./zip.js";

/** Where an item is: the uploaded file, or a member of an archive in it. */
export interface Item {
  /** The item's own name (for name rules). */
  name: string;
  /** 0 for the uploaded file, 1 for members of its archive, and so on. */
  depth: number;
  /** Its path from the uploaded file: "a.zip", then "a.zip → b/c.exe". */
  label: string;
}

/** How reasons name an item. */
export const describe = (item: Item) =>
  item.depth === 0
    ? `the file (${printable(item.label)})`
    : `a file in the archive (${printable(item.label)})`;

/** Reads the top-level file on disk and everything in it. */
export async function inspectFile(walk: Walk, path: string, name: string): Promise<Outcome> {
  const item: Item = { name, depth: 0, label: name };
  const named = checkName(name, describe(item));
  if (named) return { status: "infected", ...named };
  const seen = await readItem(walk, item, createReadStream(path), false);
  if (seen.outcome) return seen.outcome;
  if (!seen.container) return null;
  return openContainer(walk, item, seen.container, {
    zip: { path },
    stream: () => createReadStream(path),
    size: seen.size,
  });
}

/** Inspects a member of an archive, arriving as chunks. */
export async function inspectMember(
  walk: Walk,
  item: Item,
  chunks: AsyncIterable<Uint8Array>,
): Promise<Outcome> {
  walk.tick();
  const named = checkName(item.name, describe(item));
  if (named) return { status: "infected", ...named };
  const seen = await readItem(walk, item, chunks, true);
  if (seen.outcome) return seen.outcome;
  if (!seen.container) return null;
  const buf = Buffer.concat(seen.kept);
  return openContainer(walk, item, seen.container, {
    zip: { buffer: buf },
    stream: () => Readable.from([buf]),
    size: buf.length,
  });
}

interface Seen {
  outcome: Outcome;
  container: Container | null;
  size: number;
  kept: Buffer[];
}

/** One pass over an item's bytes: hash, head, macro search, and a copy if it is an archive. */
async function readItem(
  walk: Walk,
  item: Item,
  chunks: AsyncIterable<Uint8Array>,
  member: boolean,
): Promise<Seen> {
  const hash = createHash("sha256");
  const macros = new MacroSearch();
  const headParts: Buffer[] = [];
  let headLen = 0;
  let size = 0;
  let kind: Kind | null = null;
  const kept: Buffer[] = [];
  // Chunks that arrived before the first bytes said what the item is.
  const early: Buffer[] = [];
  const settle = (k: Kind) => {
    if (k.kind === "ole") for (const c of early) macros.push(c);
    if (member && k.kind === "container") kept.push(...early);
    early.length = 0;
  };
  const what = describe(item);
  const done = (outcome: Outcome): Seen => ({ outcome, container: null, size, kept });
  for await (const raw of chunks) {
    walk.tick();
    const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    size += chunk.length;
    if (member) {
      const over = walk.expand(chunk.length);
      if (over) return done(over);
    }
    hash.update(chunk);
    if (headLen < HEAD_BYTES) {
      headParts.push(chunk.subarray(0, HEAD_BYTES - headLen));
      headLen += Math.min(chunk.length, HEAD_BYTES - headLen);
    }
    if (kind === null) {
      early.push(chunk);
      if (headLen < 512) continue;
      kind = sniff(Buffer.concat(headParts), what);
      if (kind.kind === "finding") return done({ status: "infected", ...kind.finding });
      settle(kind);
    } else if (kind.kind === "ole") {
      macros.push(chunk);
    } else if (member && kind.kind === "container") {
      kept.push(chunk);
    }
    if (member && kind.kind === "container" && size > NESTED_ARCHIVE_MAX_BYTES) {
      return done(
        refused(
          `${what} holds an archive larger than ${mib(NESTED_ARCHIVE_MAX_BYTES)}, so it cannot be scanned`,
        ),
      );
    }
  }
  const head = Buffer.concat(headParts);
  if (kind === null) {
    kind = sniff(head, what);
    settle(kind);
  }
  const digest = hash.digest("hex");
  if (digest === EICAR_SHA256 || isEicar(head, size)) {
    return done({
      status: "infected",
      signature: "EICAR-Test-File",
      reason: `${what} is the EICAR anti-virus test file`,
    });
  }
  if (walk.deny.has(digest)) {
    return done({
      status: "infected",
      signature: "Hato.DenyList",
      reason: `${what} is on this server's list of known harmful files`,
    });
  }
  switch (kind.kind) {
    case "finding":
      return done({ status: "infected", ...kind.finding });
    case "ole":
      return macros.found
        ? done({
            status: "infected",
            signature: "Hato.Macro.VBA",
            reason: `${what} is a document with macros — documents with macros cannot be shared`,
          })
        : done(null);
    case "opaque":
      return done(
        refused(
          `${what} is a ${kind.format} archive, which this server's scanner cannot look into — send a zip file instead`,
        ),
      );
    case "container":
      return { outcome: null, container: kind.container, size, kept };
    default:
      return done(null);
  }
}

interface Source {
  zip: { path: string } | { buffer: Buffer };
  stream: () => Readable;
  size: number;
}

async function openContainer(
  walk: Walk,
  item: Item,
  container: Container,
  source: Source,
): Promise<Outcome> {
  const level = item.depth + 1;
  const what = `the archive (${printable(item.label)})`;
  if (level > walk.limits.maxDepth) {
    return refused(
      `${what} nests archives more than ${walk.limits.maxDepth} deep, so it cannot be scanned`,
    );
  }
  const child = (name: string): Item => ({
    name,
    depth: level,
    label: `${item.label} → ${name}`,
  });
  switch (container) {
    case "zip":
      return walkZip(walk, source.zip, what, (entry, chunks) =>
        inspectMember(walk, child(entry), chunks),
      );
    case "tar":
      return walkTar(walk, source.stream(), what, (entry, chunks) =>
        inspectMember(walk, child(entry), chunks),
      );
    case "gzip":
      return gunzipOne(walk, source, what, child(gunzippedName(item.name)));
  }
}

/** `a.tar.gz` → `a.tar`, `a.tgz` → `a.tar`, `a.svgz` → `a.svg`, `a.gz` → `a`. */
export function gunzippedName(name: string): string {
  const base = name.split(/[/\\]/).at(-1) ?? "";
  if (/\.tgz$/i.test(base)) return base.slice(0, -4) + ".tar";
  if (/\.svgz$/i.test(base)) return base.slice(0, -1);
  if (/\.gz$/i.test(base)) return base.slice(0, -3);
  return base;
}

/** Expands a gzip file (one or more members make one content) through the item rules. */
async function gunzipOne(walk: Walk, source: Source, what: string, inner: Item): Promise<Outcome> {
  const outcome = walk.count(1);
  if (outcome) return outcome;
  const gunzip = createGunzip();
  const input = source.stream();
  input.on("error", (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  let out = 0;
  let bomb = false;
  async function* guarded(): AsyncIterable<Uint8Array> {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      out += chunk.length;
      if (out > RATIO_FLOOR && out > walk.limits.maxRatio * Math.max(source.size, 1)) {
        bomb = true;
        return;
      }
      yield chunk;
    }
  }
  try {
    const result = await inspectMember(walk, inner, guarded());
    if (bomb) return ratioRefusal(what, walk);
    return result;
  } catch (err) {
    if (err instanceof ScannerUnavailable) throw err;
    return refused(`${what} is damaged and cannot be scanned`);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}
