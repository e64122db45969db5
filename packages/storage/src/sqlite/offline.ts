// SQLite OfflineStore: quota check and insert in one IMMEDIATE transaction, ids never reused.

import type { Database } from "better-sqlite3";
import type { OfflineLimits, OfflineMessage, OfflinePushResult, OfflineStore } from "../ports.js";
import {
  checkDate,
  checkId,
  checkLimit,
  checkLimits,
  checkText,
  checkUsername,
  utf8Bytes,
} from "../validate.js";

interface MessageRow {
  id: number;
  sender: string;
  stamp: number;
  stanza: string;
}

interface NewMessage {
  stanza: string;
  stamp: Date;
  from: string;
}

/** Builds the offline-message port over an open, migrated database; `live` throws once closed. */
export function sqliteOffline(db: Database, live: () => void): OfflineStore {
  const exists = db.prepare<[string], { n: number }>(
    "SELECT 1 AS n FROM accounts WHERE username = ?",
  );
  const usage = db.prepare<[string], { n: number; bytes: number }>(
    "SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM offline_messages WHERE username = ?",
  );
  const insert = db.prepare(
    "INSERT INTO offline_messages (username, sender, stamp, bytes, stanza) VALUES (?, ?, ?, ?, ?)",
  );
  const select = db.prepare<[string, number], MessageRow>(
    "SELECT id, sender, stamp, stanza FROM offline_messages WHERE username = ? ORDER BY id LIMIT ?",
  );
  const removeOne = db.prepare("DELETE FROM offline_messages WHERE username = ? AND id = ?");
  const countFor = db.prepare<[string], { n: number }>(
    "SELECT count(*) AS n FROM offline_messages WHERE username = ?",
  );
  const purgeBefore = db.prepare("DELETE FROM offline_messages WHERE username = ? AND stamp < ?");

  const push = db.transaction(
    (username: string, msg: NewMessage, limits: OfflineLimits): OfflinePushResult => {
      if (exists.get(username) === undefined) return "no-such-user";
      const bytes = utf8Bytes(msg.stanza);
      const used = usage.get(username)!;
      if (used.n + 1 > limits.maxPerUser || used.bytes + bytes > limits.maxBytesPerUser) {
        return "quota-exceeded";
      }
      insert.run(username, msg.from, msg.stamp.getTime(), bytes, msg.stanza);
      return "stored";
    },
  );

  const remove = db.transaction((username: string, ids: (number | string)[]) => {
    for (const id of ids) removeOne.run(username, id);
  });

  return {
    async push(username, msg, limits) {
      live();
      checkUsername(username);
      checkText("stanza", msg.stanza);
      checkText("from", msg.from);
      checkDate("stamp", msg.stamp);
      checkLimits(limits);
      // IMMEDIATE: a deferred read-then-write could fail with SQLITE_BUSY_SNAPSHOT, without
      // waiting, when another process (the CLI) wrote in between.
      return push.immediate(username, msg, limits);
    },
    async peek(username, max) {
      live();
      checkUsername(username);
      checkLimit("max", max);
      return select.all(username, max ?? -1).map(
        (r): OfflineMessage => ({
          id: r.id,
          stanza: r.stanza,
          stamp: new Date(r.stamp),
          from: r.sender,
        }),
      );
    },
    async remove(username, ids) {
      live();
      checkUsername(username);
      for (const id of ids) checkId(id);
      remove.immediate(username, ids);
    },
    async count(username) {
      live();
      checkUsername(username);
      return countFor.get(username)!.n;
    },
    async purge(username, before) {
      live();
      checkUsername(username);
      checkDate("before", before);
      return purgeBefore.run(username, before.getTime()).changes;
    },
  };
}
