// SQLite ArchiveStore: rows ordered by seq; each filter shape gets its own statement, prepared once.

import type { Database, Statement } from "better-sqlite3";
import type {
  ArchiveAppendResult,
  ArchivedMessage,
  ArchivePage,
  ArchiveQuery,
  ArchiveStore,
} from "../ports.js";
import { checkArchived, checkArchiveQuery, checkDate, checkUsername } from "../validate.js";

interface MessageRow {
  id: string;
  stamp: number;
  peer: string;
  stanza: string;
}

/** Which filters and anchors a query uses; one SQL text per shape. */
export interface ArchiveShape {
  with: boolean;
  start: boolean;
  end: boolean;
  ids: boolean;
  after: boolean;
  before: boolean;
  /** Newest first (a `before` query): the page nearest the anchor. */
  backward: boolean;
}

/** The shape of a query. */
export function shapeOf(q: ArchiveQuery): ArchiveShape {
  return {
    with: q.with !== undefined,
    start: q.start !== undefined,
    end: q.end !== undefined,
    ids: q.ids !== undefined,
    after: q.after !== undefined,
    before: typeof q.before === "string",
    backward: q.before !== undefined,
  };
}

// Separate conditions (rather than `? IS NULL OR peer = ?`) so the planner can use an index.
function filters(shape: ArchiveShape): string {
  let sql = "username = ?";
  if (shape.with) sql += " AND peer = ?";
  if (shape.start) sql += " AND stamp >= ?";
  if (shape.end) sql += " AND stamp <= ?";
  if (shape.ids) sql += " AND id IN (SELECT value FROM json_each(?))";
  return sql;
}

/** SQL counting the messages that match the filters (anchors do not narrow the count). */
export function countSql(shape: ArchiveShape): string {
  return `SELECT count(*) AS n FROM archive WHERE ${filters(shape)}`;
}

/**
 * SQL of one page: one row more than the limit tells whether the page is complete. The inner
 * query picks and orders seqs only, so when an index does not give seq order (time and id
 * filters) the sort handles integers from the index, and only the page's rows are read.
 */
export function pageSql(shape: ArchiveShape): string {
  // An id list is small and the unique index finds each one; without the hint the planner
  // would walk the user's whole archive, testing each row against the list.
  const from = shape.ids ? "archive INDEXED BY archive_by_id" : "archive";
  let inner = `SELECT seq FROM ${from} WHERE ${filters(shape)}`;
  if (shape.after) inner += " AND seq > ?";
  if (shape.before) inner += " AND seq < ?";
  const order = `ORDER BY seq ${shape.backward ? "DESC" : "ASC"}`;
  return `SELECT id, stamp, peer, stanza FROM archive WHERE seq IN (${inner} ${order} LIMIT ?) ${order}`;
}

/** SQL finding the seq of an after/before anchor. */
export const anchorSql = "SELECT seq FROM archive WHERE username = ? AND id = ?";
/** SQL of a purge by date. */
export const purgeBeforeSql = "DELETE FROM archive WHERE username = ? AND stamp < ?";

function filterArgs(username: string, q: ArchiveQuery): (string | number)[] {
  const args: (string | number)[] = [username];
  if (q.with !== undefined) args.push(q.with);
  if (q.start !== undefined) args.push(q.start.getTime());
  if (q.end !== undefined) args.push(q.end.getTime());
  if (q.ids !== undefined) args.push(JSON.stringify(q.ids));
  return args;
}

/** Builds the archive port over an open, migrated database; `live` throws once closed. */
export function sqliteArchive(db: Database, live: () => void): ArchiveStore {
  const exists = db.prepare<[string], { n: number }>(
    "SELECT 1 AS n FROM accounts WHERE username = ?",
  );
  const insert = db.prepare(
    `INSERT INTO archive (username, id, stamp, peer, stanza) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (username, id) DO NOTHING`,
  );
  const seqOf = db.prepare<[string, string], { seq: number }>(anchorSql);
  const purgeAll = db.prepare("DELETE FROM archive WHERE username = ?");
  const purgeBefore = db.prepare(purgeBeforeSql);

  // At most 2^4 filter shapes for counts, times 6 anchor shapes for pages; each prepared once.
  const statements = new Map<string, Statement<unknown[], unknown>>();
  const prepared = <Row>(sql: string): Statement<unknown[], Row> => {
    let s = statements.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s as Statement<unknown[], Row>;
  };

  const append = db.transaction((username: string, m: ArchivedMessage): ArchiveAppendResult => {
    if (exists.get(username) === undefined) return "no-such-user";
    const done = insert.run(username, m.id, m.stamp.getTime(), m.with, m.stanza);
    return done.changes === 0 ? "duplicate-id" : "stored";
  });

  // One read transaction: anchors, page and count all see the same archive.
  const query = db.transaction((username: string, q: ArchiveQuery): ArchivePage | undefined => {
    const shape = shapeOf(q);
    const args = filterArgs(username, q);
    if (q.after !== undefined) {
      const row = seqOf.get(username, q.after);
      if (row === undefined) return undefined;
      args.push(row.seq);
    }
    if (typeof q.before === "string") {
      const row = seqOf.get(username, q.before);
      if (row === undefined) return undefined;
      args.push(row.seq);
    }
    const count = prepared<{ n: number }>(countSql(shape)).get(...filterArgs(username, q))!.n;
    const rows = prepared<MessageRow>(pageSql(shape)).all(...args, q.limit + 1);
    const complete = rows.length <= q.limit;
    if (!complete) rows.pop();
    if (shape.backward) rows.reverse();
    const messages = rows.map(
      (r): ArchivedMessage => ({
        id: r.id,
        stamp: new Date(r.stamp),
        with: r.peer,
        stanza: r.stanza,
      }),
    );
    return { messages, complete, count };
  });

  return {
    async append(username, msg) {
      live();
      checkUsername(username);
      checkArchived(msg);
      return append.immediate(username, msg);
    },
    async query(username, q) {
      live();
      checkUsername(username);
      checkArchiveQuery(q);
      return query(username, q);
    },
    async purge(username, before) {
      live();
      checkUsername(username);
      if (before !== undefined) checkDate("before", before);
      const done =
        before === undefined ? purgeAll.run(username) : purgeBefore.run(username, before.getTime());
      return done.changes;
    },
  };
}
