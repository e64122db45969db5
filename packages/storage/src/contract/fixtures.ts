// Shared helpers of the storage contract: fresh storage per test, sample accounts, a seeded PRNG.

import assert from "node:assert/strict";
import { it } from "node:test";
import type { Account, OfflineLimits, Storage } from "../ports.js";

/** Returns a fresh, empty storage (possibly asynchronously). */
export type OpenStorage = () => Promise<Storage> | Storage;

/** Defines one test that gets its own storage, closed afterwards even if the test fails. */
export function test(open: OpenStorage, title: string, body: (s: Storage) => Promise<void>): void {
  it(title, async () => {
    const storage = await open();
    try {
      await body(storage);
    } finally {
      await storage.close();
    }
  });
}

function bytes(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (seed * 31 + i * 7 + 1) & 255));
}

/** Distinct SCRAM verifiers per seed. */
export function scram(seed: number): Account["scram"] {
  return {
    sha1: {
      iterations: 4096,
      salt: bytes(16, seed),
      storedKey: bytes(20, seed + 1),
      serverKey: bytes(20, seed + 2),
    },
    sha256: {
      iterations: 5000 + seed,
      salt: bytes(24, seed + 3),
      storedKey: bytes(32, seed + 4),
      serverKey: bytes(32, seed + 5),
    },
  };
}

/** A sample account; `extra` overrides fields. */
export function account(username: string, seed = 1, extra: Partial<Account> = {}): Account {
  return {
    username,
    createdAt: new Date(1_700_000_000_123 + seed),
    scram: scram(seed),
    roles: [],
    ...extra,
  };
}

/** What a store must give back for `a`: equal values, with `disabled` always present. */
export function readBack(a: Account): Account {
  return { ...a, disabled: a.disabled === true };
}

/** Asserts that a storage call rejects with the given HATO_ERR_STORAGE_* code. */
export async function rejectsWith(call: () => Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code);
    return true;
  });
}

export const INVALID = "HATO_ERR_STORAGE_INVALID_ARGUMENT";

/** Limits that never refuse. */
export const NO_LIMIT: OfflineLimits = {
  maxPerUser: Number.POSITIVE_INFINITY,
  maxBytesPerUser: Number.POSITIVE_INFINITY,
};

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names mixing ASCII, BMP and astral characters, which sort differently as UTF-16 and as code points. */
export function randomNames(count: number, seed: number): string[] {
  const next = prng(seed);
  const alphabet = [
    "a",
    "b",
    "z",
    "0",
    "é",
    "ß",
    "ж",
    "東",
    "\u{FF21}",
    "\u{E000}",
    "\u{1F600}",
    "\u{10400}",
  ];
  const names = new Set<string>();
  while (names.size < count) {
    const length = 1 + Math.floor(next() * 6);
    names.add(
      Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""),
    );
  }
  return [...names];
}

/** Code point order, written independently of the adapters' helper. */
export function byCodePoint(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
