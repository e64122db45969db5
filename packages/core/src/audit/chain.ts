// The audit log's hash chain and signed heads: canonical forms, hashing, signing, verifying.

import { createHash, type KeyObject, sign, verify } from "node:crypto";
import type { AuditEntry, AuditSignedHead, AuditStore } from "@hato/storage";

/** The first entry's `prevHash`: 32 zero bytes, in hex. */
export const ZERO_HASH = "0".repeat(64);

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** The bytes an entry's hash covers: every field but `hash`, absent ones as null. */
export function canonicalEntry(e: Omit<AuditEntry, "hash">): string {
  return canonicalJson({
    seq: e.seq,
    time: e.time.getTime(),
    kind: e.kind,
    actor: e.actor ?? null,
    subject: e.subject ?? null,
    address: e.address ?? null,
    details: e.details,
    prevHash: e.prevHash,
  });
}

/** SHA-256 (hex) of the entry's canonical form. */
export function entryHash(e: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(canonicalEntry(e), "utf8").digest("hex");
}

/** The bytes a head signature covers. */
export function canonicalHead(h: { seq: number; hash: string; time: Date }): string {
  return canonicalJson({ seq: h.seq, hash: h.hash, time: h.time.getTime() });
}

/** Signs the head `{seq, hash, time}` with an Ed25519 private key. */
export function signHead(
  key: KeyObject,
  head: { seq: number; hash: string; time: Date },
): AuditSignedHead {
  const signature = sign(null, Buffer.from(canonicalHead(head), "utf8"), key).toString("base64");
  return { seq: head.seq, hash: head.hash, time: new Date(head.time.getTime()), signature };
}

/** Whether a head's signature is valid for `key` (the public key, or the private one). */
export function headSignatureValid(key: KeyObject, head: AuditSignedHead): boolean {
  try {
    return verify(
      null,
      Buffer.from(canonicalHead(head), "utf8"),
      key,
      Buffer.from(head.signature, "base64"),
    );
  } catch {
    return false;
  }
}

/** What `verifyAuditLog` found. */
export type AuditVerdict =
  | { ok: true; entries: number; lastSignedSeq: number | undefined; summary: string }
  | { ok: false; seq: number; problem: string };

const PAGE = 1000;

/**
 * Walks the whole log in stored order and checks, entry by entry: seq numbers without gaps,
 * each `prevHash` equal to the previous entry's hash, each hash recomputed; then every signed
 * head against `key` (without a key only the chain is checked) and against the entry it names.
 * Stops at the first problem and says where.
 */
export async function verifyAuditLog(
  store: AuditStore,
  key: KeyObject | undefined,
): Promise<AuditVerdict> {
  const hashes = new Map<number, string>();
  const heads = await store.heads();
  const wanted = new Set(heads.map((h) => h.seq));
  let expected = 1;
  let prev = ZERO_HASH;
  for (;;) {
    const page = await store.list({ afterSeq: expected - 1, limit: PAGE });
    for (const e of page) {
      const linked = e.prevHash === prev;
      // An entry whose own fields still give its hash but that does not follow its
      // predecessor was moved here; one that would, had its prevHash not been changed, was edited.
      const edited =
        !linked && e.seq === expected && entryHash({ ...e, prevHash: prev }) === e.hash;
      if ((e.seq !== expected || !linked) && !edited) {
        return {
          ok: false,
          seq: expected,
          problem: `entry ${expected} is missing or entries were reordered`,
        };
      }
      if (edited || entryHash(e) !== e.hash)
        return { ok: false, seq: e.seq, problem: `entry ${e.seq} was edited` };
      if (wanted.has(e.seq)) hashes.set(e.seq, e.hash);
      prev = e.hash;
      expected++;
    }
    if (page.length < PAGE) break;
  }
  const last = expected - 1;
  let lastSigned: number | undefined;
  for (const h of heads) {
    if (key !== undefined && !headSignatureValid(key, h)) {
      return {
        ok: false,
        seq: h.seq,
        problem: `head signature invalid: the chain was recomputed (the signature of the head at seq ${h.seq} does not verify)`,
      };
    }
    if (h.seq > last) {
      return {
        ok: false,
        seq: last + 1,
        problem: `the log ends at ${last} but a signed head covers ${h.seq}: the tail was cut`,
      };
    }
    if (hashes.get(h.seq) !== h.hash) {
      return {
        ok: false,
        seq: h.seq,
        problem: `head signature invalid: the chain was recomputed (entry ${h.seq} is not what the head signed at seq ${h.seq})`,
      };
    }
    lastSigned = Math.max(lastSigned ?? 0, h.seq);
  }
  const signed =
    lastSigned === undefined
      ? "no signed head yet"
      : `last signed head at seq ${lastSigned}${key === undefined ? " (signatures not checked: no key)" : ""}`;
  return {
    ok: true,
    entries: last,
    lastSignedSeq: lastSigned,
    summary: `${last} entries, chain intact, ${signed}`,
  };
}
