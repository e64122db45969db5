// Built-in scanner rules on content: the EICAR test file, magic bytes of programs and scripts,
// and the containers the built-in engine opens (zip, gzip, tar) or cannot open (and so refuses).

import { createHash } from "node:crypto";
import type { Finding } from "./names.js";

/** Bytes of a file's start the content rules look at. */
export const HEAD_BYTES = 4096;

/**
 * The EICAR anti-virus test file (eicar.org), built from parts so that no file of this
 * repository matches it and scanners on developers' machines leave the repository alone.
 */
export const EICAR = Buffer.from(
  ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-", "TEST-FILE!$H+H*"].join(""),
  "latin1",
);
/** SHA-256 of the 68-byte EICAR file, on the built-in deny-list. */
export const EICAR_SHA256 = createHash("sha256").update(EICAR).digest("hex");

/**
 * The EICAR test file as its specification defines it: the 68 characters at the very start,
 * optionally followed by whitespace only (space, tab, LF, CR, Ctrl-Z), 128 bytes at most.
 */
export function isEicar(head: Uint8Array, size: number): boolean {
  if (size < EICAR.length || size > 128 || head.length < size) return false;
  if (!EICAR.equals(head.subarray(0, EICAR.length))) return false;
  for (let i = EICAR.length; i < size; i++) {
    const b = head[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x1a) return false;
  }
  return true;
}

export type Container = "zip" | "gzip" | "tar";

/** What the first bytes say a file is, for the kinds that matter to the rules. */
export type Kind =
  | { kind: "finding"; finding: Finding }
  | { kind: "container"; container: Container }
  | { kind: "opaque"; format: string }
  | { kind: "ole" }
  | { kind: "data" };

const starts = (b: Uint8Array, sig: readonly number[], at = 0) =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const u32be = (b: Uint8Array, at: number) =>
  b.length >= at + 4
    ? ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
    : 0;

const program = (what: string, sig: string, label: string): Kind => ({
  kind: "finding",
  finding: {
    signature: `Hato.Executable.${sig}`,
    reason: `${what} contains ${label} — programs cannot be shared`,
  },
});

/** Sniffs the start of a file. `what` names it in reasons ("the file (a.pdf)"). */
export function sniff(head: Uint8Array, what: string): Kind {
  if (starts(head, ascii("MZ"))) return program(what, "PE", "a Windows program");
  if (starts(head, [0x7f, 0x45, 0x4c, 0x46])) return program(what, "ELF", "a Linux program");
  for (const m of [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabf]) {
    if (u32be(head, 0) === m) return program(what, "MachO", "a macOS program");
  }
  if (u32be(head, 0) === 0xcafebabe) {
    // The same magic starts Mach-O universal binaries and Java classes. A universal binary
    // has its architecture count next (a handful); a class its version (major 45 and up).
    return u32be(head, 4) < 45
      ? program(what, "MachO", "a macOS program")
      : program(what, "Java", "a Java program");
  }
  if (starts(head, ascii("dex\n"))) return program(what, "Dex", "an Android program");
  if (starts(head, [0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0])) {
    return program(what, "Lnk", "a Windows shortcut");
  }
  if (starts(head, ascii("#!"))) {
    return {
      kind: "finding",
      finding: {
        signature: "Hato.Script.Shebang",
        reason: `${what} is a script that can run as a program — scripts cannot be shared`,
      },
    };
  }
  if (
    starts(head, ascii("PK\x03\x04")) ||
    starts(head, ascii("PK\x05\x06")) ||
    starts(head, ascii("PK\x07\x08"))
  ) {
    return { kind: "container", container: "zip" };
  }
  if (starts(head, [0x1f, 0x8b])) return { kind: "container", container: "gzip" };
  if (starts(head, ascii("ustar"), 257)) return { kind: "container", container: "tar" };
  if (starts(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return { kind: "ole" };
  const opaque: [number[], string][] = [
    [ascii("Rar!\x1a\x07"), "RAR"],
    [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], "7-Zip"],
    [ascii("MSCF"), "Windows cabinet"],
    [ascii("BZh"), "bzip2"],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz"],
    [[0x28, 0xb5, 0x2f, 0xfd], "Zstandard"],
    [ascii("xar!"), "XAR"],
    [[0x60, 0xea], "ARJ"],
  ];
  for (const [sig, format] of opaque) if (starts(head, sig)) return { kind: "opaque", format };
  if (starts(head, ascii("-lh"), 2)) return { kind: "opaque", format: "LHA" };
  return { kind: "data" };
}

/** Finds the name of an OLE compound file's VBA macro storage, in chunks that arrive in order. */
export class MacroSearch {
  private static readonly needle = Buffer.from("_VBA_PROJECT", "utf16le");
  private tail = Buffer.alloc(0);
  found = false;

  push(chunk: Uint8Array): void {
    if (this.found) return;
    const buf = Buffer.concat([this.tail, chunk]);
    if (buf.includes(MacroSearch.needle)) this.found = true;
    this.tail = buf.subarray(Math.max(0, buf.length - MacroSearch.needle.length + 1));
  }
}
