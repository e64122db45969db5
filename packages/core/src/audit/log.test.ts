// The audit log writer and verifier over the memory adapter: chain, serialised appends, signed heads.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { openMemoryStorage } from "@hato/storage";
import {
  canonicalJson,
  entryHash,
  headSignatureValid,
  verifyAuditLog,
  ZERO_HASH,
} from "./chain.js";
import { AuditLog } from "./log.js";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");

describe("audit log", () => {
  it("canonical JSON sorts keys at every level and drops undefined", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined }, z: null }),
      '{"a":{"d":[1,{"e":3,"f":2}]},"b":1,"z":null}',
    );
  });

  it("chains entries from 32 zero bytes, each hash over the entry and the previous hash", async () => {
    const s = openMemoryStorage();
    const log = new AuditLog({ store: s.audit, signEveryEntries: 100, signEverySeconds: 60 });
    const a = await log.record("auth-succeeded", {
      actor: "alice",
      address: "192.0.2.7",
      details: { mechanism: "PLAIN" },
    });
    const b = await log.record("session-closed", { actor: "alice" });
    assert.equal(a.seq, 1);
    assert.equal(a.prevHash, ZERO_HASH);
    assert.equal(a.details, '{"mechanism":"PLAIN"}');
    assert.equal(a.hash, entryHash(a));
    assert.equal(b.prevHash, a.hash);
    assert.equal(b.details, "{}");
    assert.deepEqual(await s.audit.list({ limit: 10 }), [a, b]);
    await log.close();
    assert.deepEqual(await s.audit.heads(), [], "no key: no head signed");
    const v = await verifyAuditLog(s.audit, undefined);
    assert.ok(v.ok);
    assert.equal(v.summary, "2 entries, chain intact, no signed head yet");
  });

  it("concurrent records are serialised: one chain, no fork, seqs in call order", async () => {
    const s = openMemoryStorage();
    const log = new AuditLog({ store: s.audit, signEveryEntries: 1000, signEverySeconds: 60 });
    const entries = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.record("test", { details: { i } })),
    );
    assert.deepEqual(
      entries.map((e) => e.seq),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      entries.map((e) => JSON.parse(e.details).i),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.ok((await verifyAuditLog(s.audit, undefined)).ok);
  });

  it("signs the head every N entries and at close, with a signature the public key checks", async () => {
    const s = openMemoryStorage();
    const log = new AuditLog({
      store: s.audit,
      key: privateKey,
      signEveryEntries: 3,
      signEverySeconds: 3600,
    });
    for (let i = 0; i < 7; i++) await log.record("test");
    assert.deepEqual(
      (await s.audit.heads()).map((h) => h.seq),
      [3, 6],
    );
    await log.close();
    const heads = await s.audit.heads();
    assert.deepEqual(
      heads.map((h) => h.seq),
      [3, 6, 7],
    );
    for (const h of heads) assert.ok(headSignatureValid(publicKey, h));
    assert.ok(!headSignatureValid(publicKey, { ...heads[0]!, seq: 4 }));
    const v = await verifyAuditLog(s.audit, publicKey);
    assert.ok(v.ok);
    assert.equal(v.summary, "7 entries, chain intact, last signed head at seq 7");
    // Another key did not sign these heads.
    const other = generateKeyPairSync("ed25519").publicKey;
    const bad = await verifyAuditLog(s.audit, other);
    assert.ok(!bad.ok);
    assert.match(bad.problem, /^head signature invalid: the chain was recomputed/);
  });

  it("signs new entries after sign-every-seconds even below N", async () => {
    const s = openMemoryStorage();
    const log = new AuditLog({
      store: s.audit,
      key: privateKey,
      signEveryEntries: 1000,
      signEverySeconds: 1,
    });
    await log.record("test");
    const deadline = Date.now() + 5000;
    while ((await s.audit.heads()).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      (await s.audit.heads()).map((h) => h.seq),
      [1],
    );
    await log.close();
    assert.equal((await s.audit.heads()).length, 1, "nothing new: no second head");
  });
});
