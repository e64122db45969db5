// Numbered SQLite schema migrations, applied in order inside one write transaction at open.

import type { Database } from "better-sqlite3";
import { StorageError } from "../errors.js";

/** One schema step; `version` numbers are dense and never reused once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Kept as TS strings so that tsc puts them in dist/ (it would not copy .sql files).
// STRICT tables make SQLite refuse wrongly typed values instead of silently storing them.
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
      CREATE TABLE accounts (
        username   TEXT PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL,              -- ms since the epoch
        roles      TEXT NOT NULL DEFAULT '[]',    -- JSON array of strings
        disabled   INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
      ) STRICT, WITHOUT ROWID;

      -- One row per hash function, so SCRAM-SHA-512 later needs no schema change.
      CREATE TABLE scram_credentials (
        username   TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        hash       TEXT NOT NULL,                 -- 'sha1', 'sha256'
        iterations INTEGER NOT NULL,
        salt       BLOB NOT NULL,
        stored_key BLOB NOT NULL,
        server_key BLOB NOT NULL,
        PRIMARY KEY (username, hash)
      ) STRICT, WITHOUT ROWID;

      -- AUTOINCREMENT: ids are never reused, so a late remove() cannot hit a newer message.
      CREATE TABLE offline_messages (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        sender   TEXT NOT NULL,
        stamp    INTEGER NOT NULL,                -- ms since the epoch
        bytes    INTEGER NOT NULL,                -- UTF-8 size of stanza, for the quota
        stanza   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX offline_messages_by_user ON offline_messages (username, id);

      -- Host data and user data apart, so user rows can cascade from accounts.
      CREATE TABLE host_kv (
        store TEXT NOT NULL,
        key   TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (store, key)
      ) STRICT;
      CREATE TABLE user_kv (
        username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        store    TEXT NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (username, store, key)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "rosters, archives, pubsub",
    sql: `
      -- One row per account that has ever written its roster; no row reads as version 0.
      CREATE TABLE roster_versions (
        username TEXT PRIMARY KEY NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        version  INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE roster_items (
        username     TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        jid          TEXT NOT NULL,
        name         TEXT,                          -- NULL: no name given ('' is a name)
        subscription TEXT NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
        ask          INTEGER NOT NULL CHECK (ask IN (0, 1)),
        approved     INTEGER NOT NULL CHECK (approved IN (0, 1)),
        groups       TEXT NOT NULL,                 -- JSON array of strings, client order
        PRIMARY KEY (username, jid)
      ) STRICT, WITHOUT ROWID;

      -- seq (the rowid) is the archive order; new rows always get max(seq) + 1.
      -- Every index of a rowid table ends with the rowid, so (username, peer) and
      -- (username, stamp) are also ordered by seq within equal values.
      CREATE TABLE archive (
        seq      INTEGER PRIMARY KEY,
        username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        id       TEXT NOT NULL,                     -- XEP-0359 stanza-id
        stamp    INTEGER NOT NULL,                  -- ms since the epoch
        peer     TEXT NOT NULL,                     -- bare JID of the other party ("with")
        stanza   TEXT NOT NULL                      -- last: filters never read its overflow pages
      ) STRICT;
      CREATE UNIQUE INDEX archive_by_id ON archive (username, id);
      CREATE INDEX archive_by_user ON archive (username);
      CREATE INDEX archive_by_peer ON archive (username, peer);
      CREATE INDEX archive_by_stamp ON archive (username, stamp);

      CREATE TABLE pubsub_nodes (
        owner  TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        name   TEXT NOT NULL,
        config TEXT NOT NULL,                       -- JSON object of strings and string arrays
        PRIMARY KEY (owner, name)
      ) STRICT, WITHOUT ROWID;
      -- seq orders items; republishing deletes and re-inserts, so the item becomes newest.
      CREATE TABLE pubsub_items (
        seq       INTEGER PRIMARY KEY,
        owner     TEXT NOT NULL,
        node      TEXT NOT NULL,
        id        TEXT NOT NULL,
        publisher TEXT NOT NULL,
        stamp     INTEGER NOT NULL,                 -- ms since the epoch
        payload   TEXT NOT NULL,
        UNIQUE (owner, node, id),
        FOREIGN KEY (owner, node) REFERENCES pubsub_nodes (owner, name) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX pubsub_items_by_node ON pubsub_items (owner, node);
    `,
  },
  {
    version: 3,
    name: "upload files",
    sql: `
      -- XEP-0363 slots and files. No foreign key to accounts: a file has bytes on disk, so the
      -- upload module deletes an account's files itself (a cascade would orphan the bytes).
      CREATE TABLE files (
        id           TEXT PRIMARY KEY NOT NULL,
        owner        TEXT NOT NULL,
        name         TEXT NOT NULL,
        size         INTEGER NOT NULL CHECK (size >= 0),
        type         TEXT NOT NULL,
        secret_hash  TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN
                       ('reserved', 'uploading', 'scanning', 'clean', 'not-scanned', 'infected')),
        created      INTEGER NOT NULL,            -- ms since the epoch
        slot_expires INTEGER NOT NULL,            -- ms since the epoch
        stored       INTEGER,                     -- ms since the epoch; NULL before the verdict
        sha256       TEXT,
        reason       TEXT
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX files_by_owner ON files (owner, created);
      CREATE INDEX files_by_created ON files (created);
      CREATE INDEX files_by_slot ON files (slot_expires) WHERE state IN ('reserved', 'uploading', 'scanning');
    `,
  },
  {
    version: 4,
    name: "audit log",
    sql: `
      -- Append-only audit log: each row's hash covers the previous row's hash (a chain).
      -- Rows are never updated or deleted by Hato; hato audit verify detects who did.
      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
        time      INTEGER NOT NULL,             -- ms since the epoch
        kind      TEXT NOT NULL,
        actor     TEXT,
        subject   TEXT,
        address   TEXT,
        details   TEXT NOT NULL,                -- canonical JSON
        prev_hash TEXT NOT NULL,                -- hex SHA-256
        hash      TEXT NOT NULL                 -- hex SHA-256
      ) STRICT;
      -- Signed heads of the chain (Ed25519, key outside the database): detect a cut tail.
      CREATE TABLE audit_heads (
        seq       INTEGER NOT NULL,
        hash      TEXT NOT NULL,
        time      INTEGER NOT NULL,             -- ms since the epoch
        signature TEXT NOT NULL                 -- base64
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: "key transparency log",
    sql: `
      -- Append-only Merkle log of published device keys (docs/key-transparency.md). Rows are
      -- never updated or deleted, not even with the account: the tree's leaves cannot change.
      CREATE TABLE keylog_leaves (
        idx    INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
        jid    TEXT NOT NULL,                   -- bare JID
        ns     TEXT NOT NULL,
        device INTEGER NOT NULL,
        ik     TEXT NOT NULL,                   -- hex SHA-256 of the identity key
        at     TEXT NOT NULL,                   -- ISO 8601
        hash   TEXT NOT NULL                    -- hex RFC 9162 leaf hash
      ) STRICT;
      CREATE INDEX keylog_by_jid ON keylog_leaves (jid, idx);
      -- Signed tree heads (Ed25519, key outside the database).
      CREATE TABLE keylog_heads (
        size      INTEGER NOT NULL,
        root      TEXT NOT NULL,                -- hex
        timestamp INTEGER NOT NULL,             -- ms since the epoch
        signature TEXT NOT NULL                 -- base64
      ) STRICT;
    `,
  },
];

/** The newest schema version this code knows. */
export const latestVersion = migrations.reduce((max, m) => Math.max(max, m.version), 0);

/** Reads the schema version (0 for a database without Hato's tables). */
export function schemaVersion(db: Database): number {
  const table = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (table === undefined) return 0;
  const row = db.prepare("SELECT max(version) AS v FROM schema_version").get() as {
    v: number | null;
  };
  return row.v ?? 0;
}

function tooNew(file: string, version: number, known: number): StorageError {
  return new StorageError(
    "HATO_ERR_STORAGE_SCHEMA_TOO_NEW",
    `${file} has schema version ${version}, this Hato knows up to ${known}; ` +
      "upgrade Hato (or restore a backup made for this version)",
  );
}

/** Brings the schema up to `latestVersion`; throws if the database is newer than the code. */
export function migrate(db: Database, file: string, list: readonly Migration[] = migrations): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new
  // file at once migrate it once: the second waits (busy_timeout), then finds nothing to do.
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
      version    INTEGER PRIMARY KEY NOT NULL,
      name       TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`);
    const current = schemaVersion(db);
    const known = list.reduce((max, m) => Math.max(max, m.version), 0);
    if (current > known) throw tooNew(file, current, known);
    const record = db.prepare(
      "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
    );
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }
  }).immediate();
}

/** Throws HATO_ERR_STORAGE_SCHEMA_TOO_NEW, without writing, if the file is newer than the code. */
export function refuseNewer(db: Database, file: string): number {
  const current = schemaVersion(db);
  if (current > latestVersion) throw tooNew(file, current, latestVersion);
  return current;
}

/** Checks, without writing, that a database opened read-only has exactly the current schema. */
export function checkReadonlySchema(db: Database, file: string): void {
  const current = refuseNewer(db, file);
  if (current < latestVersion) {
    throw new StorageError(
      "HATO_ERR_STORAGE_SCHEMA_TOO_OLD",
      `${file} has schema version ${current}, this Hato needs ${latestVersion}; open it read-write once`,
    );
  }
}
