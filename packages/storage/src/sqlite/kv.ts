// SQLite KeyValueStore: host data in host_kv, user data in user_kv (cascading from accounts).

import type { Database } from "better-sqlite3";
import type { KeyValueStore } from "../ports.js";
import { checkKvOwner, checkText } from "../validate.js";

/** Builds the key-value port over an open, migrated database; `live` throws once closed. */
export function sqliteKv(db: Database, live: () => void): KeyValueStore {
  const hostGet = db.prepare<[string, string], { value: string }>(
    "SELECT value FROM host_kv WHERE store = ? AND key = ?",
  );
  const hostPut = db.prepare(
    `INSERT INTO host_kv (store, key, value) VALUES (?, ?, ?)
     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`,
  );
  const hostDel = db.prepare("DELETE FROM host_kv WHERE store = ? AND key = ?");
  const hostKeys = db.prepare<[string], { key: string }>(
    "SELECT key FROM host_kv WHERE store = ? ORDER BY key",
  );
  const userGet = db.prepare<[string, string, string], { value: string }>(
    "SELECT value FROM user_kv WHERE username = ? AND store = ? AND key = ?",
  );
  const userPut = db.prepare(
    `INSERT INTO user_kv (username, store, key, value) VALUES (?, ?, ?, ?)
     ON CONFLICT (username, store, key) DO UPDATE SET value = excluded.value`,
  );
  const userDel = db.prepare("DELETE FROM user_kv WHERE username = ? AND store = ? AND key = ?");
  const userKeys = db.prepare<[string, string], { key: string }>(
    "SELECT key FROM user_kv WHERE username = ? AND store = ? ORDER BY key",
  );
  const exists = db.prepare<[string], { n: number }>(
    "SELECT 1 AS n FROM accounts WHERE username = ?",
  );

  const userSet = db.transaction(
    (store: string, username: string, key: string, value: string | undefined): boolean => {
      if (exists.get(username) === undefined) return false;
      if (value === undefined) userDel.run(username, store, key);
      else userPut.run(username, store, key, value);
      return true;
    },
  );

  return {
    async get(store, username, key) {
      live();
      checkKvOwner(store, username);
      checkText("key", key);
      const row = username === "" ? hostGet.get(store, key) : userGet.get(username, store, key);
      return row?.value;
    },
    async set(store, username, key, value) {
      live();
      checkKvOwner(store, username);
      checkText("key", key);
      if (value !== undefined) checkText("value", value);
      if (username !== "") return userSet.immediate(store, username, key, value);
      if (value === undefined) hostDel.run(store, key);
      else hostPut.run(store, key, value);
      return true;
    },
    async keys(store, username) {
      live();
      checkKvOwner(store, username);
      const rows = username === "" ? hostKeys.all(store) : userKeys.all(username, store);
      return rows.map((r) => r.key);
    },
  };
}
