// Opens the embedded SQLite database: private file, WAL, pragmas, migrations, then the ports.

import { closeSync, constants, fchmodSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { StorageError } from "../errors.js";
import type { Storage } from "../ports.js";
import { sqliteAccounts } from "./accounts.js";
import { sqliteArchive } from "./archive.js";
import { sqliteAudit } from "./audit.js";
import { sqliteFiles } from "./files.js";
import { sqliteKeyLog } from "./keylog.js";
import { sqliteKv } from "./kv.js";
import { checkReadonlySchema, migrate, refuseNewer } from "./migrations.js";
import { sqliteOffline } from "./offline.js";
import { sqlitePubsub } from "./pubsub.js";
import { sqliteRoster } from "./roster.js";

/** Options of openSqliteStorage. */
export interface SqliteOptions {
  /** Open an existing, already migrated file without ever writing to it. */
  readonly?: boolean;
  /**
   * "normal" (default): with WAL a process crash loses nothing committed and the file never
   * corrupts; only an OS crash or power loss may drop the last commits. "full" adds an fsync
   * per commit, which would cap message-archive throughput later.
   */
  synchronous?: "normal" | "full";
  /** How long to wait for another process's write lock (the CLI next to the server). */
  busyTimeoutMs?: number;
}

/** Creates `file` readable by its owner only, unless it exists; the folder is the caller's. */
function createPrivateFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return;
    throw err;
  }
  try {
    fchmodSync(fd, 0o600); // the umask may have narrowed it; SQLite gives -wal and -shm this mode
  } finally {
    closeSync(fd);
  }
}

/** Opens (creating and migrating when writable) a SQLite database file as Storage. */
export function openSqliteStorage(file: string, opts: SqliteOptions = {}): Storage {
  const readonly = opts.readonly === true;
  if (!readonly && file !== ":memory:") createPrivateFile(file);
  const db = new Database(file, {
    readonly,
    fileMustExist: readonly,
    timeout: opts.busyTimeoutMs ?? 5000, // sets busy_timeout
  });
  try {
    db.pragma("foreign_keys = ON");
    // Our schema calls no SQL functions; a tampered file must not make us run any.
    db.pragma("trusted_schema = OFF");
    db.pragma(`synchronous = ${opts.synchronous === "full" ? "FULL" : "NORMAL"}`);
    // Always on: a deleted message, file name or account must not stay readable in free
    // pages of the file (retention and account deletion promise that it is gone). It costs
    // writes of zeros on delete only, and Hato deletes far less often than it reads or inserts.
    db.pragma("secure_delete = ON");
    if (readonly) {
      checkReadonlySchema(db, file);
    } else {
      // Refuse a newer database before touching it at all (not even its journal mode).
      refuseNewer(db, file);
      db.pragma("journal_mode = WAL");
      migrate(db, file);
    }
  } catch (err) {
    db.close();
    throw err;
  }

  const live = (): void => {
    if (!db.open) throw new StorageError("HATO_ERR_STORAGE_CLOSED");
  };
  return {
    accounts: sqliteAccounts(db, live),
    offline: sqliteOffline(db, live),
    kv: sqliteKv(db, live),
    roster: sqliteRoster(db, live),
    archive: sqliteArchive(db, live),
    pubsub: sqlitePubsub(db, live),
    files: sqliteFiles(db, live),
    audit: sqliteAudit(db, live),
    keylog: sqliteKeyLog(db, live),
    async compact() {
      live();
      if (readonly) return true;
      // The WAL keeps the frames written before a delete (with the deleted rows in them) until
      // a checkpoint; TRUNCATE copies the newest pages into the file and empties the log.
      const [r] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
      return r === undefined || r.busy === 0;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/**
 * Copies a live database into `dest` with SQLite's online backup API: a consistent snapshot
 * while the server keeps writing (pages written meanwhile are copied again). `dest` must not
 * exist; it is created readable by its owner only.
 */
export async function backupSqlite(file: string, dest: string): Promise<void> {
  createPrivateFile(dest);
  const db = new Database(file, { fileMustExist: true, timeout: 5000 });
  try {
    await db.backup(dest);
  } finally {
    db.close();
  }
  // The copy says WAL mode in its header like the source; switching it to a rollback journal
  // makes it one self-contained file (no -wal, -shm) until a server opens it again.
  const copy = new Database(dest);
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
}

/** SQLite's own integrity check of a database file, read-only: "ok" or what is wrong. */
export function checkSqliteIntegrity(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}
