// SQLite files port: XEP-0363 slots and files' metadata; quotas checked in the same transaction.

import type { Database } from "better-sqlite3";
import {
  checkFileChanges,
  checkFileId,
  checkFileQuota,
  checkFileRecord,
  checkFileState,
} from "../files-validate.js";
import type { FileRecord, FileState, FileStore } from "../ports.js";
import { checkCount, checkDate, checkUsername } from "../validate.js";

interface Row {
  id: string;
  owner: string;
  name: string;
  size: number;
  type: string;
  secret_hash: string;
  state: string;
  created: number;
  slot_expires: number;
  stored: number | null;
  sha256: string | null;
  reason: string | null;
}

function fromRow(r: Row): FileRecord {
  const f: FileRecord = {
    id: r.id,
    owner: r.owner,
    name: r.name,
    size: r.size,
    type: r.type,
    secretHash: r.secret_hash,
    state: r.state as FileState,
    created: new Date(r.created),
    slotExpires: new Date(r.slot_expires),
  };
  if (r.stored !== null) f.stored = new Date(r.stored);
  if (r.sha256 !== null) f.sha256 = r.sha256;
  if (r.reason !== null) f.reason = r.reason;
  return f;
}

const COLUMNS =
  "id, owner, name, size, type, secret_hash, state, created, slot_expires, stored, sha256, reason";

/** Builds the files port over an open, migrated database; `live` throws once closed. */
export function sqliteFiles(db: Database, live: () => void): FileStore {
  const insert = db.prepare(
    `INSERT INTO files (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM files WHERE id = ?`);
  const userSum = db.prepare<[string], { n: number }>(
    "SELECT coalesce(sum(size), 0) AS n FROM files WHERE owner = ?",
  );
  const allSum = db.prepare<[], { n: number }>("SELECT coalesce(sum(size), 0) AS n FROM files");
  const move = db.prepare(
    `UPDATE files SET state = ?, stored = coalesce(?, stored), sha256 = coalesce(?, sha256),
       reason = coalesce(?, reason) WHERE id = ? AND state = ?`,
  );
  const remove = db.prepare("DELETE FROM files WHERE id = ?");
  const byOwner = db.prepare<[string], Row>(
    `SELECT ${COLUMNS} FROM files WHERE owner = ? ORDER BY created, id`,
  );
  const due = db.prepare<[number, number, number], Row>(
    `SELECT ${COLUMNS} FROM files
     WHERE (state IN ('reserved', 'uploading', 'scanning') AND slot_expires < ?) OR created < ?
     ORDER BY created, id LIMIT ?`,
  );

  const reserve = db.transaction((f: FileRecord, userBytes: number, totalBytes: number) => {
    if (byId.get(f.id) !== undefined) return "duplicate-id" as const;
    if (userSum.get(f.owner)!.n + f.size > userBytes) return "user-quota" as const;
    if (allSum.get()!.n + f.size > totalBytes) return "total-quota" as const;
    insert.run(
      f.id,
      f.owner,
      f.name,
      f.size,
      f.type,
      f.secretHash,
      f.state,
      f.created.getTime(),
      f.slotExpires.getTime(),
      f.stored?.getTime() ?? null,
      f.sha256 ?? null,
      f.reason ?? null,
    );
    return "reserved" as const;
  });

  return {
    async reserve(file, quota) {
      live();
      checkFileRecord(file);
      checkFileQuota(quota);
      return reserve.immediate(file, quota.userBytes, quota.totalBytes);
    },
    async get(id) {
      live();
      checkFileId(id);
      const row = byId.get(id);
      return row && fromRow(row);
    },
    async transition(id, from, to, changes = {}) {
      live();
      checkFileId(id);
      checkFileState("from", from);
      checkFileState("to", to);
      checkFileChanges(changes);
      const r = move.run(
        to,
        changes.stored?.getTime() ?? null,
        changes.sha256 ?? null,
        changes.reason ?? null,
        id,
        from,
      );
      return r.changes === 1;
    },
    async delete(id) {
      live();
      checkFileId(id);
      return remove.run(id).changes === 1;
    },
    async usage(owner) {
      live();
      checkUsername(owner);
      return userSum.get(owner)!.n;
    },
    async totalUsage() {
      live();
      return allSum.get()!.n;
    },
    async list(owner) {
      live();
      checkUsername(owner);
      return byOwner.all(owner).map(fromRow);
    },
    async expired({ slotsBefore, filesBefore, limit }) {
      live();
      checkDate("slotsBefore", slotsBefore);
      if (filesBefore !== undefined) checkDate("filesBefore", filesBefore);
      checkCount("limit", limit);
      // -Infinity would not bind: the smallest integer SQLite stores stands for "none".
      const before = filesBefore?.getTime() ?? Number.MIN_SAFE_INTEGER;
      return due.all(slotsBefore.getTime(), before, limit).map(fromRow);
    },
  };
}
