// Storage contract, files part: upload slots, quotas checked atomically, state transitions, expiry.

import assert from "node:assert/strict";
import type { FileRecord } from "../ports.js";
import { INVALID, type OpenStorage, rejectsWith, test } from "./fixtures.js";

const BIG = { userBytes: 1e12, totalBytes: 1e12 };

/** A sample slot; `extra` overrides fields. */
export function slot(id: string, owner: string, size: number, extra: Partial<FileRecord> = {}) {
  return {
    id,
    owner,
    name: "photo.jpg",
    size,
    type: "image/jpeg",
    secretHash: "ab".repeat(32),
    state: "reserved" as const,
    created: new Date(1_700_000_000_000),
    slotExpires: new Date(1_700_000_300_000),
    ...extra,
  } satisfies FileRecord;
}

/** Defines the FileStore tests. */
export function filesTests(open: OpenStorage): void {
  test(open, "a reserved slot reads back equal, unknown ids read as undefined", async (s) => {
    const f = slot("s1", "alice", 10, { name: "r\u00e9sum\u00e9 \u6771.pdf", type: "" });
    assert.equal(await s.files.reserve(f, BIG), "reserved");
    assert.deepEqual(await s.files.get("s1"), f);
    assert.equal(await s.files.get("nope"), undefined);
    assert.equal(await s.files.reserve(f, BIG), "duplicate-id");
  });

  test(open, "quotas: per user and in total, counting every state", async (s) => {
    const q = { userBytes: 100, totalBytes: 150 };
    assert.equal(await s.files.reserve(slot("a1", "alice", 60), q), "reserved");
    assert.equal(await s.files.reserve(slot("a2", "alice", 41), q), "user-quota");
    assert.equal(await s.files.reserve(slot("a3", "alice", 40), q), "reserved");
    assert.equal(await s.files.reserve(slot("b1", "bob", 51), q), "total-quota");
    assert.equal(await s.files.reserve(slot("b2", "bob", 50), q), "reserved");
    assert.equal(await s.files.usage("alice"), 100);
    assert.equal(await s.files.usage("bob"), 50);
    assert.equal(await s.files.usage("carol"), 0);
    assert.equal(await s.files.totalUsage(), 150);
    assert.equal(await s.files.transition("a1", "reserved", "uploading"), true);
    assert.equal(await s.files.usage("alice"), 100);
    assert.equal(await s.files.delete("a1"), true);
    assert.equal(await s.files.delete("a1"), false);
    assert.equal(await s.files.usage("alice"), 40);
    assert.equal(await s.files.reserve(slot("a4", "alice", 60), q), "reserved");
  });

  test(open, "concurrent reservations never exceed the quota", async (s) => {
    const q = { userBytes: 1000, totalBytes: 1e9 };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => s.files.reserve(slot(`c${i}`, "alice", 100), q)),
    );
    assert.equal(results.filter((r) => r === "reserved").length, 10);
    assert.equal(await s.files.usage("alice"), 1000);
  });

  test(open, "transitions happen only from the stated state, once", async (s) => {
    await s.files.reserve(slot("s1", "alice", 5), BIG);
    assert.equal(await s.files.transition("s1", "scanning", "clean"), false);
    const twice = await Promise.all([
      s.files.transition("s1", "reserved", "uploading"),
      s.files.transition("s1", "reserved", "uploading"),
    ]);
    assert.deepEqual(twice.sort(), [false, true]);
    const stored = new Date(1_700_000_100_000);
    assert.equal(
      await s.files.transition("s1", "uploading", "scanning", { sha256: "cd".repeat(32) }),
      true,
    );
    assert.equal(
      await s.files.transition("s1", "scanning", "infected", { stored, reason: "EICAR" }),
      true,
    );
    assert.deepEqual(await s.files.get("s1"), {
      ...slot("s1", "alice", 5),
      state: "infected",
      sha256: "cd".repeat(32),
      stored,
      reason: "EICAR",
    });
    assert.equal(await s.files.transition("ghost", "reserved", "uploading"), false);
  });

  test(open, "list: one owner's files, oldest first", async (s) => {
    await s.files.reserve(slot("x2", "alice", 1, { created: new Date(20) }), BIG);
    await s.files.reserve(slot("x1", "alice", 1, { created: new Date(10) }), BIG);
    await s.files.reserve(slot("y1", "bob", 1, { created: new Date(5) }), BIG);
    assert.deepEqual(
      (await s.files.list("alice")).map((f) => f.id),
      ["x1", "x2"],
    );
    assert.deepEqual(await s.files.list("carol"), []);
  });

  test(open, "expired: unused slots past their deadline and files past the age", async (s) => {
    const t = (n: number) => new Date(1_700_000_000_000 + n * 1000);
    await s.files.reserve(slot("old-slot", "a", 1, { created: t(0), slotExpires: t(10) }), BIG);
    await s.files.reserve(slot("new-slot", "a", 1, { created: t(5), slotExpires: t(100) }), BIG);
    await s.files.reserve(slot("stored", "a", 1, { created: t(1), slotExpires: t(11) }), BIG);
    await s.files.transition("stored", "reserved", "uploading");
    await s.files.transition("stored", "uploading", "scanning");
    await s.files.transition("stored", "scanning", "clean", { stored: t(3) });
    await s.files.reserve(slot("stuck", "a", 1, { created: t(2), slotExpires: t(12) }), BIG);
    await s.files.transition("stuck", "reserved", "uploading");
    const ids = async (opts: { slotsBefore: Date; filesBefore?: Date; limit: number }) =>
      (await s.files.expired(opts)).map((f) => f.id);
    assert.deepEqual(await ids({ slotsBefore: t(50), limit: 10 }), ["old-slot", "stuck"]);
    assert.deepEqual(await ids({ slotsBefore: t(50), limit: 1 }), ["old-slot"]);
    assert.deepEqual(await ids({ slotsBefore: t(0), filesBefore: t(2), limit: 10 }), [
      "old-slot",
      "stored",
    ]);
    assert.deepEqual(await ids({ slotsBefore: t(0), limit: 10 }), []);
  });

  test(open, "invalid arguments reject with HATO_ERR_STORAGE_INVALID_ARGUMENT", async (s) => {
    await rejectsWith(() => s.files.reserve(slot("", "a", 1), BIG), INVALID);
    await rejectsWith(() => s.files.reserve(slot("x", "", 1), BIG), INVALID);
    await rejectsWith(() => s.files.reserve(slot("x", "a", -1), BIG), INVALID);
    await rejectsWith(() => s.files.reserve(slot("x", "a", 1, { name: "a\u0000" }), BIG), INVALID);
    await rejectsWith(
      () => s.files.reserve(slot("x", "a", 1, { state: "lost" as never }), BIG),
      INVALID,
    );
    await rejectsWith(() => s.files.transition("x", "reserved", "gone" as never), INVALID);
    await rejectsWith(
      () => s.files.reserve(slot("x", "a", 1), { userBytes: -1, totalBytes: 1 }),
      INVALID,
    );
    assert.equal(await s.files.totalUsage(), 0);
  });
}
