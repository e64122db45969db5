// Storage contract, audit part: append-only entries in seq order, and signed heads.

import assert from "node:assert/strict";
import type { AuditEntry } from "../ports.js";
import { INVALID, type OpenStorage, rejectsWith, test } from "./fixtures.js";

/** A sample entry; `extra` overrides fields. */
export function auditEntry(seq: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq,
    time: new Date(1_700_000_000_000 + seq),
    kind: "auth-succeeded",
    details: '{"mechanism":"SCRAM-SHA-256"}',
    prevHash: (seq - 1).toString(16).padStart(64, "0"),
    hash: seq.toString(16).padStart(64, "0"),
    ...extra,
  };
}

/** Defines the AuditStore tests. */
export function auditTests(open: OpenStorage): void {
  test(open, "an empty log has no last entry, no entries and no heads", async (s) => {
    assert.equal(await s.audit.last(), undefined);
    assert.deepEqual(await s.audit.list({ limit: 10 }), []);
    assert.deepEqual(await s.audit.heads(), []);
  });

  test(open, "entries read back equal, in seq order, optional fields kept or absent", async (s) => {
    const one = auditEntry(1, { actor: "alice", address: "192.0.2.1", details: "{}" });
    const two = auditEntry(2, { kind: "session-closed", subject: "r\u00e9sum\u00e9 \u6771" });
    const three = auditEntry(3);
    for (const e of [one, two, three]) await s.audit.append(e);
    assert.deepEqual(await s.audit.list({ limit: 10 }), [one, two, three]);
    assert.deepEqual(await s.audit.last(), three);
    assert.deepEqual(await s.audit.list({ afterSeq: 1, limit: 1 }), [two]);
    assert.deepEqual(await s.audit.list({ afterSeq: 3, limit: 5 }), []);
    assert.deepEqual(await s.audit.list({ limit: 0 }), []);
  });

  test(open, "append refuses a seq that does not follow the last one", async (s) => {
    await rejectsWith(() => s.audit.append(auditEntry(2)), INVALID);
    await s.audit.append(auditEntry(1));
    await rejectsWith(() => s.audit.append(auditEntry(1)), INVALID);
    await rejectsWith(() => s.audit.append(auditEntry(3)), INVALID);
    await s.audit.append(auditEntry(2));
    assert.equal((await s.audit.list({ limit: 10 })).length, 2);
  });

  test(open, "append refuses malformed entries", async (s) => {
    await rejectsWith(() => s.audit.append(auditEntry(0)), INVALID);
    await rejectsWith(() => s.audit.append(auditEntry(1, { kind: "" })), INVALID);
    await rejectsWith(() => s.audit.append(auditEntry(1, { time: new Date(Number.NaN) })), INVALID);
    await rejectsWith(
      () => s.audit.append(auditEntry(1, { details: 5 as unknown as string })),
      INVALID,
    );
    await rejectsWith(() => s.audit.append(auditEntry(1, { actor: "a\u0000b" })), INVALID);
    await rejectsWith(() => s.audit.list({ limit: -1 }), INVALID);
    assert.equal(await s.audit.last(), undefined);
  });

  test(open, "stored entries do not change when the caller's object does", async (s) => {
    const e = auditEntry(1);
    await s.audit.append(e);
    e.time.setTime(0);
    const [read] = await s.audit.list({ limit: 1 });
    assert.equal(read?.time.getTime(), 1_700_000_000_001);
  });

  test(open, "signed heads read back by seq", async (s) => {
    const late = { seq: 5, hash: "e".repeat(64), time: new Date(20), signature: "c2ln" };
    const early = { seq: 2, hash: "b".repeat(64), time: new Date(10), signature: "c2lnMg==" };
    await s.audit.addHead(late);
    await s.audit.addHead(early);
    assert.deepEqual(await s.audit.heads(), [early, late]);
    await rejectsWith(() => s.audit.addHead({ ...early, seq: 0 }), INVALID);
  });
}
