// Zip archives for the built-in engine (yauzl, one entry at a time): every member goes through
// the rules; encrypted, damaged, over-limit or bomb-like archives are refused.

import { Readable } from "node:stream";
import yauzl from "yauzl";
import { ScannerUnavailable } from "./types.js";
import {
  escapeRefusal,
  type Outcome,
  RATIO_FLOOR,
  ratioRefusal,
  refused,
  type Walk,
} from "./walk.js";

const OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: true,
  decodeStrings: true,
  validateEntrySizes: true,
  strictFileNames: false,
};

const openZip = (source: { path: string } | { buffer: Buffer }) =>
  new Promise<yauzl.ZipFile>((resolve, reject) => {
    const done = (err: Error | null, zip?: yauzl.ZipFile) => (err ? reject(err) : resolve(zip!));
    if ("path" in source) yauzl.open(source.path, OPTIONS, done);
    else yauzl.fromBuffer(source.buffer, OPTIONS, done);
  });

const openEntry = (zip: yauzl.ZipFile, entry: yauzl.Entry) =>
  new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream!))),
  );

/** Walks a zip archive; `what` names it in reasons; `member` inspects one entry's bytes. */
export async function walkZip(
  walk: Walk,
  source: { path: string } | { buffer: Buffer },
  what: string,
  member: (name: string, chunks: AsyncIterable<Uint8Array>) => Promise<Outcome>,
): Promise<Outcome> {
  const damaged = refused(`${what} is damaged, so it cannot be scanned`);
  const encrypted = refused(`${what} is encrypted, so it cannot be scanned`);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(source);
  } catch {
    return damaged;
  }
  try {
    const counted = walk.count(zip.entryCount);
    if (counted) return counted;
    // yauzl reports a damaged central directory as an "error" event, at any time.
    let failure: Error | null = null;
    let waiting: ((e: yauzl.Entry | null | Error) => void) | null = null;
    zip.on("error", (err: Error) => {
      failure = err;
      waiting?.(err);
    });
    zip.on("entry", (e: yauzl.Entry) => waiting?.(e));
    zip.on("end", () => waiting?.(null));
    const next = () =>
      new Promise<yauzl.Entry | null>((resolve, reject) => {
        if (failure) return reject(failure);
        waiting = (e) => {
          waiting = null;
          if (e instanceof Error) reject(e);
          else resolve(e);
        };
        zip.readEntry();
      });
    for (;;) {
      walk.tick();
      let entry: yauzl.Entry | null;
      try {
        entry = await next();
      } catch (err) {
        if (/encrypt/i.test(String(err))) return encrypted;
        if (/absolute path|invalid relative path/.test(String(err))) return escapeRefusal(what);
        return damaged;
      }
      if (!entry) return null;
      if ((entry.generalPurposeBitFlag & 0x1) !== 0) return encrypted;
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        return refused(
          `${what} uses a compression method this server cannot read, so it cannot be scanned`,
        );
      }
      if (
        entry.uncompressedSize > RATIO_FLOOR &&
        entry.uncompressedSize > walk.limits.maxRatio * Math.max(entry.compressedSize, 1)
      ) {
        return ratioRefusal(what, walk);
      }
      if (entry.uncompressedSize > walk.limits.maxExpandedBytes - walk.expanded) {
        const over = walk.expand(entry.uncompressedSize);
        if (over) return over;
      }
      const isDir = entry.fileName.endsWith("/");
      let stream: Readable;
      try {
        stream =
          isDir && entry.uncompressedSize === 0 ? Readable.from([]) : await openEntry(zip, entry);
      } catch {
        return damaged;
      }
      try {
        const found = await member(entry.fileName, stream);
        if (found) return found;
      } catch (err) {
        if (err instanceof ScannerUnavailable) throw err;
        return damaged;
      } finally {
        stream.destroy();
      }
    }
  } finally {
    zip.close();
  }
}
