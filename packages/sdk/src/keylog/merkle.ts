// RFC 9162 §2.1 Merkle trees over SHA-256 (WebCrypto, no Node built-ins): the tree hash MTH,
// inclusion proofs (PATH) and consistency proofs (PROOF), generated and verified as the RFC
// writes them. Hashes are 32-byte Uint8Arrays; leaves are given as their leaf hashes.

import { subtle } from "../platform.js";

export type Hash = Uint8Array;

/** SHA-256 output length; every hash in a proof must have it. */
export const HASH_BYTES = 32;
/** Proofs longer than this cannot belong to a tree of at most 2^63 leaves. */
const MAX_PROOF = 64;

async function sha256(data: Uint8Array): Promise<Hash> {
  return new Uint8Array(await subtle().digest("SHA-256", data));
}

/** HASH(0x00 || d): the leaf hash (§2.1.1), distinct from every node hash. */
export function hashLeaf(data: Uint8Array): Promise<Hash> {
  const buf = new Uint8Array(1 + data.length);
  buf[0] = 0x00;
  buf.set(data, 1);
  return sha256(buf);
}

/** HASH(0x01 || left || right): an interior node (§2.1.1). */
export function hashChildren(left: Hash, right: Hash): Promise<Hash> {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

/** MTH({}) = HASH(): the hash of the empty string. */
export function emptyRoot(): Promise<Hash> {
  return sha256(new Uint8Array(0));
}

/** k: the largest power of two strictly less than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over the leaves' hashes (§2.1.1). */
export async function rootOf(leaves: readonly Hash[]): Promise<Hash> {
  const n = leaves.length;
  if (n === 0) return emptyRoot();
  if (n === 1) return leaves[0]!;
  const k = splitPoint(n);
  return hashChildren(await rootOf(leaves.slice(0, k)), await rootOf(leaves.slice(k)));
}

/** PATH(m, D[n]) (§2.1.3.1): the inclusion proof of leaf m, leaf's sibling first. */
export async function inclusionPath(m: number, leaves: readonly Hash[]): Promise<Hash[]> {
  const n = leaves.length;
  if (!(Number.isSafeInteger(m) && m >= 0 && m < n)) throw new RangeError("no such leaf");
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k)
    return [...(await inclusionPath(m, leaves.slice(0, k))), await rootOf(leaves.slice(k))];
  return [...(await inclusionPath(m - k, leaves.slice(k))), await rootOf(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (§2.1.4.1), for 0 < m <= n. */
export async function consistencyPath(m: number, leaves: readonly Hash[]): Promise<Hash[]> {
  if (!(Number.isSafeInteger(m) && m > 0 && m <= leaves.length)) {
    throw new RangeError("consistency proofs need 0 < m <= n");
  }
  return subproof(m, leaves, true);
}

async function subproof(m: number, leaves: readonly Hash[], b: boolean): Promise<Hash[]> {
  const n = leaves.length;
  if (m === n) return b ? [] : [await rootOf(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...(await subproof(m, leaves.slice(0, k), b)), await rootOf(leaves.slice(k))];
  return [...(await subproof(m - k, leaves.slice(k), false)), await rootOf(leaves.slice(0, k))];
}

/** Constant-shape comparison of two hashes. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const odd = (x: number) => x % 2 === 1;
// Sizes go up to 2^53: halve arithmetically, since >> works on 32 bits only.
const half = (x: number) => Math.floor(x / 2);

function wellFormed(proof: readonly Hash[]): boolean {
  return proof.length <= MAX_PROOF && proof.every((p) => p.length === HASH_BYTES);
}

/**
 * The root that an inclusion proof and a leaf hash imply (§2.1.3.2 steps 1-4), or undefined
 * when the proof cannot be one for this index and size.
 */
export async function rootFromInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
): Promise<Hash | undefined> {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size))) return undefined;
  if (index < 0 || index >= size || leaf.length !== HASH_BYTES || !wellFormed(proof)) {
    return undefined;
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (odd(fn) || fn === sn) {
      r = await hashChildren(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

/** §2.1.3.2: does `proof` show that `leaf` is leaf `index` of the tree of `size` with `root`? */
export async function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): Promise<boolean> {
  const r = await rootFromInclusion(index, size, leaf, proof);
  return r !== undefined && sameHash(r, root);
}

/**
 * §2.1.4.2: does `proof` show that the tree of `size1` with `root1` is a prefix of the tree of
 * `size2` with `root2`? Equal sizes need an empty proof and equal roots; from the empty tree
 * every tree follows (with an empty proof); a tree never shrinks.
 */
export async function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): Promise<boolean> {
  if (!(Number.isSafeInteger(size1) && Number.isSafeInteger(size2))) return false;
  if (size1 < 0 || size2 < size1 || !wellFormed(proof)) return false;
  if (size1 === size2) return proof.length === 0 && sameHash(root1, root2);
  if (size1 === 0) return proof.length === 0;
  // 1. An empty path fails.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // 3.-4. fn = first - 1, sn = second - 1, shifted right while LSB(fn) is set.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr and sr start at the first value.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6. Each subsequent value c.
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await hashChildren(c, fr);
      sr = await hashChildren(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Both roots match and sn reached 0.
  return sameHash(fr, root1) && sameHash(sr, root2) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}
