// Argument checks and copies shared by the key log adapters.

import { StorageError } from "./errors.js";
import type { KeyLogHead, KeyLogLeaf } from "./ports.js";
import { checkCount, checkText } from "./validate.js";

function invalid(detail: string): never {
  throw new StorageError("HATO_ERR_STORAGE_INVALID_ARGUMENT", detail);
}

const HEX64 = /^[0-9a-f]{64}$/;

function checkIndex(what: string, n: unknown): asserts n is number {
  if (!(Number.isSafeInteger(n) && (n as number) >= 0)) invalid(`${what} must be an integer >= 0`);
}

/** Checks a leaf before it is appended. */
export function checkKeyLogLeaf(l: KeyLogLeaf): void {
  if (typeof l !== "object" || l === null) invalid("leaf must be an object");
  checkIndex("index", l.index);
  for (const f of ["jid", "ns", "at"] as const) {
    checkText(f, l[f]);
    if (l[f] === "") invalid(`${f} must not be empty`);
  }
  if (!(Number.isSafeInteger(l.device) && l.device >= 0)) invalid("device must be an integer");
  if (!HEX64.test(l.ik)) invalid("ik must be 64 lowercase hex digits");
  if (!HEX64.test(l.hash)) invalid("hash must be 64 lowercase hex digits");
}

/** Checks a head before it is stored. */
export function checkKeyLogHead(h: KeyLogHead): void {
  if (typeof h !== "object" || h === null) invalid("head must be an object");
  checkIndex("size", h.size);
  if (!HEX64.test(h.root)) invalid("root must be 64 lowercase hex digits");
  checkIndex("timestamp", h.timestamp);
  checkText("signature", h.signature);
}

/** Checks list options. */
export function checkKeyLogRange(opts: { from: number; limit: number }): void {
  if (typeof opts !== "object" || opts === null) invalid("options must be an object");
  checkIndex("from", opts.from);
  checkCount("limit", opts.limit);
}

/** The next leaf must sit right after the last one. */
export function checkNextIndex(index: number, size: number): void {
  if (index !== size) invalid(`index must be ${size}, not ${index}`);
}

export const copyLeaf = (l: KeyLogLeaf): KeyLogLeaf => ({ ...l });
export const copyHead = (h: KeyLogHead): KeyLogHead => ({ ...h });
