// In-memory files port (XEP-0363 upload slots and files' metadata), for tests.

import {
  checkFileChanges,
  checkFileId,
  checkFileQuota,
  checkFileRecord,
  checkFileState,
  copyFile,
  UNSTORED,
} from "./files-validate.js";
import type { FileRecord, FileStore } from "./ports.js";
import { checkCount, checkDate, checkUsername } from "./validate.js";

const oldestFirst = (a: FileRecord, b: FileRecord) =>
  a.created.getTime() - b.created.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The files port over a Map; `live` throws once the storage is closed. */
export function memoryFiles(live: () => void): FileStore {
  const files = new Map<string, FileRecord>();
  const sum = (owner?: string) => {
    let n = 0;
    for (const f of files.values()) if (owner === undefined || f.owner === owner) n += f.size;
    return n;
  };
  return {
    async reserve(file, quota) {
      live();
      checkFileRecord(file);
      checkFileQuota(quota);
      if (files.has(file.id)) return "duplicate-id";
      if (sum(file.owner) + file.size > quota.userBytes) return "user-quota";
      if (sum() + file.size > quota.totalBytes) return "total-quota";
      files.set(file.id, copyFile(file));
      return "reserved";
    },
    async get(id) {
      live();
      checkFileId(id);
      const f = files.get(id);
      return f && copyFile(f);
    },
    async transition(id, from, to, changes = {}) {
      live();
      checkFileId(id);
      checkFileState("from", from);
      checkFileState("to", to);
      checkFileChanges(changes);
      const f = files.get(id);
      if (f === undefined || f.state !== from) return false;
      files.set(id, copyFile({ ...f, ...changes, state: to }));
      return true;
    },
    async delete(id) {
      live();
      checkFileId(id);
      return files.delete(id);
    },
    async usage(owner) {
      live();
      checkUsername(owner);
      return sum(owner);
    },
    async totalUsage() {
      live();
      return sum();
    },
    async list(owner) {
      live();
      checkUsername(owner);
      return [...files.values()]
        .filter((f) => f.owner === owner)
        .sort(oldestFirst)
        .map(copyFile);
    },
    async expired({ slotsBefore, filesBefore, limit }) {
      live();
      checkDate("slotsBefore", slotsBefore);
      if (filesBefore !== undefined) checkDate("filesBefore", filesBefore);
      checkCount("limit", limit);
      return [...files.values()]
        .filter(
          (f) =>
            (UNSTORED.includes(f.state) && f.slotExpires < slotsBefore) ||
            (filesBefore !== undefined && f.created < filesBefore),
        )
        .sort(oldestFirst)
        .slice(0, limit)
        .map(copyFile);
    },
  };
}
