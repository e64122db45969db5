// RFC 9162 §2.1 Merkle tree kept by the server: every complete subtree's hash is cached as
// leaves arrive, so the tree hash of any size, PATH and PROOF cost O(log n) hashes each.

import { createHash } from "node:crypto";

/** HASH(0x00 || d) (§2.1.1). */
export function hashLeaf(data: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.of(0x00)).update(data).digest();
}

/** HASH(0x01 || left || right) (§2.1.1). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.of(0x01)).update(left).update(right).digest();
}

/** MTH({}): the hash of the empty string. */
export const EMPTY_ROOT = createHash("sha256").digest();

/** k: the largest power of two strictly less than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** An append-only Merkle tree over leaf hashes. */
export class MerkleTree {
  /** levels[h][i]: MTH of the 2^h leaves from i * 2^h, for every complete such subtree. */
  private levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Adds a leaf hash (32 bytes) at index `size`. */
  append(leafHash: Buffer): void {
    let h = 0;
    this.levels[0]!.push(leafHash);
    let i = this.levels[0]!.length - 1;
    // Each odd index completes a pair: its parent subtree is now complete too.
    while (i % 2 === 1) {
      const level = this.levels[h]!;
      const parent = hashChildren(level[i - 1]!, level[i]!);
      h++;
      if (this.levels[h] === undefined) this.levels[h] = [];
      this.levels[h]!.push(parent);
      i = (i - 1) / 2;
    }
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Buffer | undefined {
    return this.levels[0]![index];
  }

  /** MTH(D[start:end]); the recursion only ever asks for aligned power-of-two ranges. */
  private range(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    if (isPowerOfTwo(n) && start % n === 0) {
      const cached = this.levels[Math.log2(n)]?.[start / n];
      if (cached !== undefined) return cached;
    }
    const k = splitPoint(n);
    return hashChildren(this.range(start, start + k), this.range(start + k, end));
  }

  private checkSize(size: number): void {
    if (!(Number.isSafeInteger(size) && size >= 0 && size <= this.size)) {
      throw new RangeError(`size must be between 0 and ${this.size}`);
    }
  }

  /** The tree hash of the first `size` leaves (default: all). */
  root(size = this.size): Buffer {
    this.checkSize(size);
    return this.range(0, size);
  }

  /** PATH(m, D[size]) (§2.1.3.1): the inclusion proof of leaf m in the tree of `size`. */
  inclusion(m: number, size = this.size): Buffer[] {
    this.checkSize(size);
    if (!(Number.isSafeInteger(m) && m >= 0 && m < size)) throw new RangeError("no such leaf");
    const path = (m: number, start: number, end: number): Buffer[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = splitPoint(n);
      if (m < k) return [...path(m, start, start + k), this.range(start + k, end)];
      return [...path(m - k, start + k, end), this.range(start, start + k)];
    };
    return path(m, 0, size);
  }

  /** PROOF(m, D[size]) (§2.1.4.1), for 0 < m <= size. */
  consistency(m: number, size = this.size): Buffer[] {
    this.checkSize(size);
    if (!(Number.isSafeInteger(m) && m > 0 && m <= size)) {
      throw new RangeError("consistency proofs need 0 < m <= size");
    }
    const subproof = (m: number, start: number, end: number, b: boolean): Buffer[] => {
      const n = end - start;
      if (m === n) return b ? [] : [this.range(start, end)];
      const k = splitPoint(n);
      if (m <= k) return [...subproof(m, start, start + k, b), this.range(start + k, end)];
      return [...subproof(m - k, start + k, end, false), this.range(start, start + k)];
    };
    return subproof(m, 0, size, true);
  }

  /** A tree with the same leaves except `index` (a malicious server's rewrite, for tests). */
  withLeaf(index: number, leafHash: Buffer): MerkleTree {
    const t = new MerkleTree();
    for (const [i, h] of this.levels[0]!.entries()) t.append(i === index ? leafHash : h);
    return t;
  }
}
