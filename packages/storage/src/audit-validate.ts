// Argument checks and copies shared by the audit log adapters.

import { StorageError } from "./errors.js";
import type { AuditEntry, AuditSignedHead } from "./ports.js";
import { checkCount, checkDate, checkLimit, checkText } from "./validate.js";

function invalid(detail: string): never {
  throw new StorageError("HATO_ERR_STORAGE_INVALID_ARGUMENT", detail);
}

function checkSeq(seq: unknown): asserts seq is number {
  if (!(Number.isSafeInteger(seq) && (seq as number) >= 1)) invalid("seq must be an integer >= 1");
}

/** Checks an entry before it is appended. */
export function checkAuditEntry(e: AuditEntry): void {
  if (typeof e !== "object" || e === null) invalid("entry must be an object");
  checkSeq(e.seq);
  checkDate("time", e.time);
  checkText("kind", e.kind);
  if (e.kind === "") invalid("kind must not be empty");
  for (const f of ["actor", "subject", "address"] as const) {
    if (e[f] !== undefined) checkText(f, e[f]);
  }
  checkText("details", e.details);
  checkText("prevHash", e.prevHash);
  checkText("hash", e.hash);
}

/** Checks a signed head before it is stored. */
export function checkAuditHead(h: AuditSignedHead): void {
  if (typeof h !== "object" || h === null) invalid("head must be an object");
  checkSeq(h.seq);
  checkText("hash", h.hash);
  checkDate("time", h.time);
  checkText("signature", h.signature);
}

/** Checks list options. */
export function checkAuditList(opts: { afterSeq?: number; limit: number }): void {
  if (typeof opts !== "object" || opts === null) invalid("options must be an object");
  checkLimit("afterSeq", opts.afterSeq);
  checkCount("limit", opts.limit);
}

/** The next seq must follow the last one. */
export function checkNextSeq(seq: number, last: number): void {
  if (seq !== last + 1) invalid(`seq must be ${last + 1}, not ${seq}`);
}

/** A copy that shares nothing mutable with the caller. */
export function copyAuditEntry(e: AuditEntry): AuditEntry {
  const c: AuditEntry = {
    seq: e.seq,
    time: new Date(e.time.getTime()),
    kind: e.kind,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
  if (e.actor !== undefined) c.actor = e.actor;
  if (e.subject !== undefined) c.subject = e.subject;
  if (e.address !== undefined) c.address = e.address;
  return c;
}

export function copyAuditHead(h: AuditSignedHead): AuditSignedHead {
  return { seq: h.seq, hash: h.hash, time: new Date(h.time.getTime()), signature: h.signature };
}
