// SQLite key transparency log port: append-only leaves in `keylog_leaves`, heads in `keylog_heads`.

import type { Database } from "better-sqlite3";
import {
  checkKeyLogHead,
  checkKeyLogLeaf,
  checkKeyLogRange,
  checkNextIndex,
} from "../keylog-validate.js";
import type { KeyLogHead, KeyLogLeaf, KeyLogStore } from "../ports.js";
import { checkCount, checkText } from "../validate.js";

interface Row {
  idx: number;
  jid: string;
  ns: string;
  device: number;
  ik: string;
  at: string;
  hash: string;
}

const fromRow = (r: Row): KeyLogLeaf => ({
  index: r.idx,
  jid: r.jid,
  ns: r.ns,
  device: r.device,
  ik: r.ik,
  at: r.at,
  hash: r.hash,
});

/** The key log port over the `keylog_leaves` and `keylog_heads` tables. */
export function sqliteKeyLog(db: Database, live: () => void): KeyLogStore {
  const count = db.prepare("SELECT count(*) AS n FROM keylog_leaves");
  const insert = db.prepare(
    "INSERT INTO keylog_leaves (idx, jid, ns, device, ik, at, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const range = db.prepare("SELECT * FROM keylog_leaves WHERE idx >= ? ORDER BY idx LIMIT ?");
  const ofJid = db.prepare(
    "SELECT * FROM (SELECT * FROM keylog_leaves WHERE jid = ? ORDER BY idx DESC LIMIT ?) ORDER BY idx",
  );
  const exact = db.prepare(
    "SELECT 1 FROM keylog_leaves WHERE jid = ? AND ns = ? AND device = ? AND ik = ? LIMIT 1",
  );
  const since = db.prepare("SELECT count(*) AS n FROM keylog_leaves WHERE jid = ? AND at >= ?");
  const insertHead = db.prepare(
    "INSERT INTO keylog_heads (size, root, timestamp, signature) VALUES (?, ?, ?, ?)",
  );
  const newestHead = db.prepare(
    "SELECT size, root, timestamp, signature FROM keylog_heads ORDER BY size DESC, timestamp DESC, rowid DESC LIMIT 1",
  );
  const size = () => (count.get() as { n: number }).n;
  const append = db.transaction((l: KeyLogLeaf) => {
    checkNextIndex(l.index, size());
    insert.run(l.index, l.jid, l.ns, l.device, l.ik, l.at, l.hash);
  });
  return {
    async append(leaf) {
      live();
      checkKeyLogLeaf(leaf);
      append.immediate(leaf);
    },
    async size() {
      live();
      return size();
    },
    async list(opts) {
      live();
      checkKeyLogRange(opts);
      return (range.all(opts.from, opts.limit) as Row[]).map(fromRow);
    },
    async byJid(jid, limit) {
      live();
      checkText("jid", jid);
      checkCount("limit", limit);
      return (ofJid.all(jid, limit) as Row[]).map(fromRow);
    },
    async has(k) {
      live();
      return exact.get(k.jid, k.ns, k.device, k.ik) !== undefined;
    },
    async countSince(jid, from) {
      live();
      checkText("jid", jid);
      checkText("since", from);
      return (since.get(jid, from) as { n: number }).n;
    },
    async addHead(head) {
      live();
      checkKeyLogHead(head);
      insertHead.run(head.size, head.root, head.timestamp, head.signature);
    },
    async lastHead() {
      live();
      return newestHead.get() as KeyLogHead | undefined;
    },
  };
}
