// SQLite AccountStore: accounts, their SCRAM verifiers (one row per hash) and cascading delete.

import type { Database } from "better-sqlite3";
import { StorageError } from "../errors.js";
import type { Account, AccountChanges, AccountStore, StoredScram } from "../ports.js";
import {
  checkAccount,
  checkChanges,
  checkLimit,
  checkScram,
  checkText,
  checkUsername,
} from "../validate.js";

interface AccountRow {
  username: string;
  created_at: number;
  roles: string;
  disabled: number;
  // null when a LEFT JOIN finds no verifier (a damaged database)
  hash: string | null;
  iterations: number;
  salt: Buffer;
  stored_key: Buffer;
  server_key: Buffer;
}

const HASHES = ["sha1", "sha256"] as const;

function toAccount(rows: AccountRow[]): Account | undefined {
  const first = rows[0];
  if (first === undefined) return undefined;
  const scram: Partial<Record<string, StoredScram>> = {};
  for (const r of rows) {
    if (r.hash === null) continue;
    scram[r.hash] = {
      iterations: r.iterations,
      salt: r.salt,
      storedKey: r.stored_key,
      serverKey: r.server_key,
    };
  }
  const { sha1, sha256 } = scram;
  if (sha1 === undefined || sha256 === undefined) {
    throw new StorageError(
      "HATO_ERR_STORAGE_CORRUPT",
      `account ${first.username} lacks a verifier`,
    );
  }
  return {
    username: first.username,
    createdAt: new Date(first.created_at),
    scram: { sha1, sha256 },
    roles: JSON.parse(first.roles) as string[],
    disabled: first.disabled === 1,
  };
}

/** Builds the account port over an open, migrated database; `live` throws once closed. */
export function sqliteAccounts(db: Database, live: () => void): AccountStore {
  // One joined read gives a consistent snapshot of the account and its verifiers.
  const select = db.prepare<[string], AccountRow>(
    `SELECT a.username, a.created_at, a.roles, a.disabled,
            s.hash, s.iterations, s.salt, s.stored_key, s.server_key
       FROM accounts a LEFT JOIN scram_credentials s ON s.username = a.username
      WHERE a.username = ?`,
  );
  const insert = db.prepare(
    `INSERT INTO accounts (username, created_at, roles, disabled) VALUES (?, ?, ?, ?)
     ON CONFLICT (username) DO NOTHING`,
  );
  const exists = db.prepare<[string], { n: number }>(
    "SELECT 1 AS n FROM accounts WHERE username = ?",
  );
  const dropScram = db.prepare("DELETE FROM scram_credentials WHERE username = ?");
  const putScram = db.prepare(
    `INSERT INTO scram_credentials (username, hash, iterations, salt, stored_key, server_key)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const setRoles = db.prepare("UPDATE accounts SET roles = ? WHERE username = ?");
  const setDisabled = db.prepare("UPDATE accounts SET disabled = ? WHERE username = ?");
  // Offline messages, user key-value data and verifiers go with it through ON DELETE CASCADE.
  const remove = db.prepare("DELETE FROM accounts WHERE username = ?");
  const listAll = db.prepare<[string, number], { username: string }>(
    "SELECT username FROM accounts WHERE username > ? ORDER BY username LIMIT ?",
  );
  const countAll = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM accounts");

  const writeScram = (username: string, scram: Account["scram"]): void => {
    dropScram.run(username);
    for (const hash of HASHES) {
      const s = scram[hash];
      putScram.run(username, hash, s.iterations, s.salt, s.storedKey, s.serverKey);
    }
  };

  const create = db.transaction((a: Account): boolean => {
    const disabled = a.disabled === true ? 1 : 0;
    const done = insert.run(a.username, a.createdAt.getTime(), JSON.stringify(a.roles), disabled);
    if (done.changes === 0) return false;
    writeScram(a.username, a.scram);
    return true;
  });

  const setCredentials = db.transaction((username: string, scram: Account["scram"]): boolean => {
    if (exists.get(username) === undefined) return false;
    writeScram(username, scram);
    return true;
  });

  const update = db.transaction((username: string, changes: AccountChanges): boolean => {
    if (exists.get(username) === undefined) return false;
    if (changes.roles !== undefined) setRoles.run(JSON.stringify(changes.roles), username);
    if (changes.disabled !== undefined) setDisabled.run(changes.disabled ? 1 : 0, username);
    return true;
  });

  return {
    async get(username) {
      live();
      checkUsername(username);
      return toAccount(select.all(username));
    },
    async create(account) {
      live();
      checkAccount(account);
      return create.immediate(account);
    },
    async setCredentials(username, scram) {
      live();
      checkUsername(username);
      checkScram(scram);
      return setCredentials.immediate(username, scram);
    },
    async update(username, changes) {
      live();
      checkUsername(username);
      checkChanges(changes);
      return update.immediate(username, changes);
    },
    async delete(username) {
      live();
      checkUsername(username);
      return remove.run(username).changes > 0;
    },
    async list(opts = {}) {
      live();
      if (opts.after !== undefined) checkText("after", opts.after);
      checkLimit("limit", opts.limit);
      // "" sorts before every username; LIMIT -1 means no limit in SQLite.
      return listAll.all(opts.after ?? "", opts.limit ?? -1).map((r) => r.username);
    },
    async count() {
      live();
      return countAll.get()!.n;
    },
  };
}
