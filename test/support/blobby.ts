// Reader for RustCrypto's "blobby" test-vector files (.blb), the form in which Debian's
// librust-hkdf-dev and librust-hmac-dev ship Project Wycheproof's HKDF and HMAC vectors
// (under /usr/share/cargo/registry/<crate>-<version>/tests/data/). Format (blobby 0.3): a
// VLQ count of deduplicated blobs, each as VLQ length + bytes; then the blobs, each a VLQ
// whose low bit says "index into the deduplicated ones" (1) or "length of inline bytes" (0).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Git-flavoured VLQ (7 bits a byte, high bit = more, each continuation adds 1 before shifting). */
function vlq(data: Uint8Array, at: { pos: number }): number {
  let b = data[at.pos++];
  if (b === undefined) throw new Error("blobby: unexpected end");
  let val = b & 0x7f;
  for (let n = 0; b & 0x80; n++) {
    if (n === 3) throw new Error("blobby: VLQ longer than 4 bytes");
    b = data[at.pos++];
    if (b === undefined) throw new Error("blobby: unexpected end");
    val = ((val + 1) << 7) + (b & 0x7f);
  }
  return val;
}

function take(data: Uint8Array, at: { pos: number }, n: number): Uint8Array {
  if (at.pos + n > data.length) throw new Error("blobby: blob runs past the end");
  const out = data.subarray(at.pos, at.pos + n);
  at.pos += n;
  return out;
}

/** The file's blobs, grouped in rows of `width` (a row per test case). */
export function blobRows(data: Uint8Array, width: number): Uint8Array[][] {
  const at = { pos: 0 };
  const dedup: Uint8Array[] = [];
  for (let n = vlq(data, at); n > 0; n--) dedup.push(take(data, at, vlq(data, at)));
  const blobs: Uint8Array[] = [];
  while (at.pos < data.length) {
    const v = vlq(data, at);
    if (v & 1) {
      const d = dedup[v >> 1];
      if (d === undefined) throw new Error("blobby: bad index");
      blobs.push(d);
    } else blobs.push(take(data, at, v >> 1));
  }
  if (blobs.length % width !== 0)
    throw new Error(`blobby: ${blobs.length} blobs, not rows of ${width}`);
  const rows: Uint8Array[][] = [];
  for (let i = 0; i < blobs.length; i += width) rows.push(blobs.slice(i, i + width));
  return rows;
}

/** Where Debian installs Rust crates' sources (the Debian package librust-<crate>-dev). */
export const CARGO_REGISTRY = "/usr/share/cargo/registry";

/**
 * The bytes of `tests/data/<file>` of the installed crate `crate` (any version), or
 * undefined when the Debian package is not installed.
 */
export function crateTestData(crate: string, file: string): Uint8Array | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync(CARGO_REGISTRY).filter((d) => new RegExp(`^${crate}-[0-9]`).test(d));
  } catch {
    return undefined;
  }
  for (const d of dirs.sort().reverse()) {
    try {
      return new Uint8Array(readFileSync(join(CARGO_REGISTRY, d, "tests", "data", file)));
    } catch {}
  }
  return undefined;
}
