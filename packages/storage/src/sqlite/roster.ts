// SQLite RosterStore: one row per item, the version per account, both written in one transaction.

import type { Database } from "better-sqlite3";
import type { RosterItem, RosterStore, Subscription } from "../ports.js";
import { checkName, checkRosterItem, checkUsername } from "../validate.js";

interface ItemRow {
  jid: string;
  name: string | null;
  subscription: Subscription;
  ask: number;
  approved: number;
  groups: string;
}

function toItem(r: ItemRow): RosterItem {
  const item: RosterItem = {
    jid: r.jid,
    subscription: r.subscription,
    groups: JSON.parse(r.groups) as string[],
  };
  if (r.name !== null) item.name = r.name;
  if (r.ask === 1) item.ask = true;
  if (r.approved === 1) item.approved = true;
  return item;
}

/** Builds the roster port over an open, migrated database; `live` throws once closed. */
export function sqliteRoster(db: Database, live: () => void): RosterStore {
  const exists = db.prepare<[string], { n: number }>(
    "SELECT 1 AS n FROM accounts WHERE username = ?",
  );
  const version = db.prepare<[string], { version: number }>(
    "SELECT version FROM roster_versions WHERE username = ?",
  );
  const bump = db.prepare<[string], { version: number }>(
    `INSERT INTO roster_versions (username, version) VALUES (?, 1)
     ON CONFLICT (username) DO UPDATE SET version = version + 1
     RETURNING version`,
  );
  const columns = "jid, name, subscription, ask, approved, groups";
  const all = db.prepare<[string], ItemRow>(
    `SELECT ${columns} FROM roster_items WHERE username = ? ORDER BY jid`,
  );
  const one = db.prepare<[string, string], ItemRow>(
    `SELECT ${columns} FROM roster_items WHERE username = ? AND jid = ?`,
  );
  const put = db.prepare(
    `INSERT INTO roster_items (username, jid, name, subscription, ask, approved, groups)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (username, jid) DO UPDATE SET
       name = excluded.name, subscription = excluded.subscription, ask = excluded.ask,
       approved = excluded.approved, groups = excluded.groups`,
  );
  const remove = db.prepare("DELETE FROM roster_items WHERE username = ? AND jid = ?");
  const countFor = db.prepare<[string], { n: number }>(
    "SELECT count(*) AS n FROM roster_items WHERE username = ?",
  );
  // No index on jid: this runs once per account deletion, a full scan is fine there.
  const holders = db.prepare<[string], { username: string }>(
    "SELECT username FROM roster_items WHERE jid = ? ORDER BY username",
  );

  // One read transaction, so the version always describes exactly the items returned.
  const get = db.transaction((username: string) => ({
    version: version.get(username)?.version ?? 0,
    items: all.all(username).map(toItem),
  }));

  const set = db.transaction(
    (username: string, jid: string, item: RosterItem | undefined): number | undefined => {
      if (exists.get(username) === undefined) return undefined;
      if (item === undefined) {
        if (remove.run(username, jid).changes === 0) return undefined;
      } else {
        const name = item.name ?? null;
        const flags = [item.ask === true ? 1 : 0, item.approved === true ? 1 : 0];
        put.run(username, jid, name, item.subscription, ...flags, JSON.stringify(item.groups));
      }
      return bump.get(username)!.version;
    },
  );

  return {
    async get(username) {
      live();
      checkUsername(username);
      return get(username);
    },
    async item(username, jid) {
      live();
      checkUsername(username);
      checkName("jid", jid);
      const row = one.get(username, jid);
      return row && toItem(row);
    },
    async set(username, jid, item) {
      live();
      checkUsername(username);
      checkName("jid", jid);
      if (item !== undefined) checkRosterItem(jid, item);
      return set.immediate(username, jid, item);
    },
    async count(username) {
      live();
      checkUsername(username);
      return countFor.get(username)!.n;
    },
    async holders(jid) {
      live();
      checkName("jid", jid);
      return holders.all(jid).map((r) => r.username);
    },
  };
}
