// SQLite audit log port: append-only rows in `audit_log`, signed heads in `audit_heads`.

import type { Database } from "better-sqlite3";
import {
  checkAuditEntry,
  checkAuditHead,
  checkAuditList,
  checkNextSeq,
} from "../audit-validate.js";
import type { AuditEntry, AuditSignedHead, AuditStore } from "../ports.js";

interface Row {
  seq: number;
  time: number;
  kind: string;
  actor: string | null;
  subject: string | null;
  address: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

function fromRow(r: Row): AuditEntry {
  const e: AuditEntry = {
    seq: r.seq,
    time: new Date(r.time),
    kind: r.kind,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
  if (r.actor !== null) e.actor = r.actor;
  if (r.subject !== null) e.subject = r.subject;
  if (r.address !== null) e.address = r.address;
  return e;
}

/** The audit port over the `audit_log` and `audit_heads` tables. */
export function sqliteAudit(db: Database, live: () => void): AuditStore {
  const lastRow = db.prepare("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1");
  const insert = db.prepare(
    `INSERT INTO audit_log (seq, time, kind, actor, subject, address, details, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const after = db.prepare("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?");
  const insertHead = db.prepare(
    "INSERT INTO audit_heads (seq, hash, time, signature) VALUES (?, ?, ?, ?)",
  );
  const allHeads = db.prepare(
    "SELECT seq, hash, time, signature FROM audit_heads ORDER BY seq, time, rowid",
  );
  const append = db.transaction((e: AuditEntry) => {
    const last = lastRow.get() as Row | undefined;
    checkNextSeq(e.seq, last?.seq ?? 0);
    insert.run(
      e.seq,
      e.time.getTime(),
      e.kind,
      e.actor ?? null,
      e.subject ?? null,
      e.address ?? null,
      e.details,
      e.prevHash,
      e.hash,
    );
  });
  return {
    async append(entry) {
      live();
      checkAuditEntry(entry);
      append.immediate(entry);
    },
    async last() {
      live();
      const r = lastRow.get() as Row | undefined;
      return r === undefined ? undefined : fromRow(r);
    },
    async list(opts) {
      live();
      checkAuditList(opts);
      return (after.all(opts.afterSeq ?? 0, opts.limit) as Row[]).map(fromRow);
    },
    async addHead(head) {
      live();
      checkAuditHead(head);
      insertHead.run(head.seq, head.hash, head.time.getTime(), head.signature);
    },
    async heads() {
      live();
      return (
        allHeads.all() as { seq: number; hash: string; time: number; signature: string }[]
      ).map(
        (h): AuditSignedHead => ({
          seq: h.seq,
          hash: h.hash,
          time: new Date(h.time),
          signature: h.signature,
        }),
      );
    },
  };
}
