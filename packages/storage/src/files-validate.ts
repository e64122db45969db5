// Argument checks of the files port, shared by every adapter.

import { StorageError } from "./errors.js";
import type { FileChanges, FileQuota, FileRecord, FileState } from "./ports.js";
import { checkCount, checkDate, checkText, checkUsername } from "./validate.js";

export const FILE_STATES: readonly FileState[] = [
  "reserved",
  "uploading",
  "scanning",
  "clean",
  "not-scanned",
  "infected",
];

function invalid(detail: string): never {
  throw new StorageError("HATO_ERR_STORAGE_INVALID_ARGUMENT", detail);
}

/** Checks a slot id: non-empty text. */
export function checkFileId(id: unknown): asserts id is string {
  checkText("id", id);
  if (id === "") invalid("id must not be empty");
}

/** Checks a file state name. */
export function checkFileState(what: string, state: unknown): asserts state is FileState {
  if (!FILE_STATES.includes(state as FileState)) invalid(`${what} must be a file state`);
}

/** Checks optional fields written with a transition. */
export function checkFileChanges(c: FileChanges): void {
  if (c.stored !== undefined) checkDate("stored", c.stored);
  if (c.sha256 !== undefined) checkText("sha256", c.sha256);
  if (c.reason !== undefined) checkText("reason", c.reason);
}

/** Checks a whole record before it is stored. */
export function checkFileRecord(f: FileRecord): void {
  checkFileId(f.id);
  checkUsername(f.owner);
  checkText("name", f.name);
  checkCount("size", f.size);
  checkText("type", f.type);
  checkText("secretHash", f.secretHash);
  checkFileState("state", f.state);
  checkDate("created", f.created);
  checkDate("slotExpires", f.slotExpires);
  checkFileChanges(f);
}

/** Checks quota numbers. */
export function checkFileQuota(q: FileQuota): void {
  checkCount("userBytes", q.userBytes);
  checkCount("totalBytes", q.totalBytes);
}

/** A deep copy, so callers never share a stored object (a database could not). */
export function copyFile(f: FileRecord): FileRecord {
  const out: FileRecord = {
    id: f.id,
    owner: f.owner,
    name: f.name,
    size: f.size,
    type: f.type,
    secretHash: f.secretHash,
    state: f.state,
    created: new Date(f.created.getTime()),
    slotExpires: new Date(f.slotExpires.getTime()),
  };
  if (f.stored !== undefined) out.stored = new Date(f.stored.getTime());
  if (f.sha256 !== undefined) out.sha256 = f.sha256;
  if (f.reason !== undefined) out.reason = f.reason;
  return out;
}

/** States before a verdict: slots that may expire unused or uploads a crash cut off. */
export const UNSTORED: readonly FileState[] = ["reserved", "uploading", "scanning"];
