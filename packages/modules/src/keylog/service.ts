// The key transparency log's logic: appends device keys, keeps the Merkle tree, signs heads,
// answers proofs. One instance per server; appends are serialised so indexes never race.

import { type KeyObject, sign } from "node:crypto";
import type { KeyLogHead, KeyLogLeaf, KeyLogStore } from "@hato/storage";
import { canonicalLeaf, headMessage, type LeafFields } from "./leaf.js";
import { hashLeaf, MerkleTree } from "./tree.js";

/** Limits of one log. */
export interface KeyLogLimits {
  /** New device keys one address may log per 24 hours (`keylog.new-keys-per-day`). */
  leavesPerUserPerDay: number;
  /** Leaves (with proofs) one answer carries at most: the address's newest (`keylog.leaves-per-answer`). */
  leavesPerAnswer: number;
}

export const DEFAULT_LIMITS: KeyLogLimits = { leavesPerUserPerDay: 20, leavesPerAnswer: 64 };

/** A signed head as the IQ serves it, with the public key (raw Ed25519, base64). */
export interface ServedHead extends KeyLogHead {
  key: string;
}

/** Test hooks: a server that lies, to prove that clients notice. Never set outside tests. */
export interface KeyLogFaults {
  /** Heads are signed with this key instead (while the served public key stays the real one). */
  signWith?: KeyObject;
  /** The tree served has this leaf's hash replaced (history rewritten and re-signed). */
  swapLeaf?: { index: number; ik: string };
  /** Every inclusion and consistency proof served has one bit of its first node flipped. */
  tamperProofs?: boolean;
  /** Keys are published without being logged (a server slipping a device in unseen). */
  skipLogging?: boolean;
}

/** A proof with one bit flipped (the tamperProofs fault). */
function tampered(proof: Buffer[]): Buffer[] {
  if (proof.length === 0) return proof;
  const first = Buffer.from(proof[0]!);
  first[0] = first[0]! ^ 1;
  return [first, ...proof.slice(1)];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** What admit() did: logged a new leaf, found the key logged already, or refused it. */
export type Appended = "new" | "known" | "over-limit";

/** The append-only log of device keys and its signed heads. */
export class KeyLogService {
  private tree = new MerkleTree();
  private leaves: KeyLogLeaf[] | undefined;
  private head: KeyLogHead | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** The current head was made under a test fault. */
  private lied = false;
  readonly publicKey: string;

  constructor(
    private readonly store: KeyLogStore,
    private readonly key: KeyObject,
    readonly limits: KeyLogLimits = DEFAULT_LIMITS,
    readonly faults: KeyLogFaults = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    const jwk = key.export({ format: "jwk" }) as { x?: string };
    if (jwk.x === undefined) throw new Error("the key log needs an Ed25519 private key");
    this.publicKey = Buffer.from(jwk.x, "base64url").toString("base64");
  }

  /** Reads every stored leaf back into the tree (at start), then signs a head. */
  async load(): Promise<void> {
    const total = await this.store.size();
    const all: KeyLogLeaf[] = [];
    for (let from = 0; from < total; from += 1000) {
      all.push(...(await this.store.list({ from, limit: 1000 })));
    }
    for (const l of all) this.tree.append(Buffer.from(l.hash, "hex"));
    this.leaves = all;
    await this.signHead();
  }

  /** Serialises a step with every other append. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Appends the key unless it is logged or beyond the allowance; true when a leaf was added. */
  async append(jid: string, key: { ns: string; device: number; ik: string }): Promise<boolean> {
    return (await this.admit(jid, key)) === "new";
  }

  /**
   * Logs the key unless this exact (jid, ns, device, ik) is logged already, within `jid`'s
   * daily allowance; signs a new head. The check and the append run as one step, serialised
   * with every other append, so two publishes racing for the day's last slot cannot both
   * pass. "over-limit": nothing was logged (the publish must be refused). Rejects when the
   * store fails (the publish must be refused too: a key is never published unlogged).
   */
  admit(jid: string, key: { ns: string; device: number; ik: string }): Promise<Appended> {
    if (this.faults.skipLogging) return Promise.resolve("known"); // read now, not when queued
    return this.serial(async (): Promise<Appended> => {
      if (await this.store.has({ jid, ...key })) return "known";
      const since = new Date(this.now().getTime() - DAY_MS).toISOString();
      if ((await this.store.countSince(jid, since)) >= this.limits.leavesPerUserPerDay)
        return "over-limit";
      const fields: LeafFields = { jid, ...key, at: this.now().toISOString() };
      const hash = hashLeaf(Buffer.from(canonicalLeaf(fields), "utf8"));
      const leaf: KeyLogLeaf = { index: this.tree.size, ...fields, hash: hash.toString("hex") };
      await this.store.append(leaf);
      this.tree.append(hash);
      this.leaves?.push(leaf);
      await this.signHead();
      return "new";
    });
  }

  /** The tree the server serves: the real one, or a rewritten one under a test fault. */
  private served(): MerkleTree {
    const swap = this.faults.swapLeaf;
    const leaf = swap === undefined ? undefined : this.leaves?.[swap.index];
    if (swap === undefined || leaf === undefined) return this.tree;
    const forged = canonicalLeaf({ ...leaf, ik: swap.ik });
    return this.tree.withLeaf(swap.index, hashLeaf(Buffer.from(forged, "utf8")));
  }

  private faulty(): boolean {
    return this.faults.signWith !== undefined || this.faults.swapLeaf !== undefined;
  }

  private async signHead(): Promise<void> {
    this.lied = this.faulty();
    const tree = this.served();
    const body = {
      size: tree.size,
      root: tree.root().toString("hex"),
      timestamp: this.now().getTime(),
    };
    const signature = sign(null, headMessage(body), this.faults.signWith ?? this.key).toString(
      "base64",
    );
    this.head = { ...body, signature };
    await this.store.addHead(this.head);
  }

  /** The latest signed head, with the public key. */
  async latest(): Promise<ServedHead> {
    // Under a test fault (or just after one) the head is signed afresh on every request.
    if (this.faulty() || this.lied) await this.serial(() => this.signHead());
    if (this.head === undefined) throw new Error("the key log is not loaded");
    return { ...this.head, key: this.publicKey };
  }

  get size(): number {
    return this.tree.size;
  }

  /** The newest leaves of `jid` below `size`, each with its inclusion proof in that tree. */
  async leavesOf(jid: string, size: number): Promise<{ leaf: KeyLogLeaf; proof: Buffer[] }[]> {
    const tree = this.served();
    const mine = await this.store.byJid(jid, this.limits.leavesPerAnswer + 64);
    return mine
      .filter((l) => l.index < size)
      .slice(-this.limits.leavesPerAnswer)
      .map((leaf) => {
        const proof = tree.inclusion(leaf.index, size);
        return { leaf, proof: this.faults.tamperProofs ? tampered(proof) : proof };
      });
  }

  /** PROOF(from, D[to]) in the served tree. */
  consistency(from: number, to: number): Buffer[] {
    const proof = this.served().consistency(from, to);
    return this.faults.tamperProofs ? tampered(proof) : proof;
  }
}
