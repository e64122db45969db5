// Opens the embedded SQLite database: private file, WAL, pragmas, migrations, then the ports.

import { closeSync, constants, fchmodSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { StorageError } from "../errors.js";
import type { Storage } from "../ports.js";
import { sqliteAccounts } from "./accounts.js";
import { sqliteArchive } from "./archive.js";
import { sqliteAudit } from "./audit.js";
import { sqliteFiles } from "./files.js";
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
    async close() {
      if (db.open) db.close();
    },
  };
}
