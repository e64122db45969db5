// The audit log writer: one append in flight at a time (the chain never forks), heads signed
// every N entries, every M seconds and at close.

import type { KeyObject } from "node:crypto";
import { type AuditEntry, type AuditStore, StorageError } from "@hato/storage";
import type { Logger } from "../logger.js";
import { canonicalJson, entryHash, signHead, ZERO_HASH } from "./chain.js";

/** What an entry says besides its kind; `details` must never hold passwords or message bodies. */
export interface AuditFields {
  actor?: string;
  subject?: string;
  address?: string;
  details?: Record<string, unknown>;
}

export interface AuditLogOptions {
  store: AuditStore;
  /** The Ed25519 private key that signs heads; without one no head is signed. */
  key?: KeyObject;
  /** Sign after this many new entries. */
  signEveryEntries: number;
  /** Sign new entries at the latest after this many seconds. */
  signEverySeconds: number;
  log?: Logger;
  now?: () => Date;
}

// Another process (the CLI next to a running server) may append between our read of the last
// entry and our append: the store refuses the stale seq and we read again.
const RETRIES = 5;

/** Appends chained entries to the audit port and signs the chain's head now and then. */
export class AuditLog {
  private queue: Promise<unknown> = Promise.resolve();
  private unsigned = 0;
  private lastSigned: { seq: number; hash: string } | undefined;
  private head: { seq: number; hash: string } | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => Date;

  constructor(private readonly opts: AuditLogOptions) {
    this.now = opts.now ?? (() => new Date());
    if (opts.key !== undefined) {
      this.timer = setInterval(() => {
        if (this.unsigned > 0) void this.sign().catch((err) => this.fail("sign", err));
      }, opts.signEverySeconds * 1000);
      this.timer.unref();
    }
  }

  /** Appends an entry once the ones before it are stored; resolves with the stored entry. */
  record(kind: string, fields: AuditFields = {}): Promise<AuditEntry> {
    const run = this.queue.then(() => this.append(kind, fields));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Like `record`, for observers that must not wait: failures go to the log. */
  note(kind: string, fields: AuditFields = {}): void {
    this.record(kind, fields).catch((err) => this.fail(kind, err));
  }

  /** Signs the current head (if it changed since the last signature), after pending appends. */
  sign(): Promise<void> {
    const run = this.queue.then(() => this.signNow());
    this.queue = run.catch(() => {});
    return run;
  }

  /** Waits for pending appends, signs the head and stops the timer (later entries still append). */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.sign().catch((err) => this.fail("sign", err));
    this.closed = true;
  }

  private async append(kind: string, fields: AuditFields): Promise<AuditEntry> {
    for (let attempt = 0; ; attempt++) {
      const last = await this.opts.store.last();
      const partial: Omit<AuditEntry, "hash"> = {
        seq: (last?.seq ?? 0) + 1,
        time: this.now(),
        kind,
        details: canonicalJson(fields.details ?? {}),
        prevHash: last?.hash ?? ZERO_HASH,
      };
      if (fields.actor !== undefined) partial.actor = fields.actor;
      if (fields.subject !== undefined) partial.subject = fields.subject;
      if (fields.address !== undefined) partial.address = fields.address;
      const entry: AuditEntry = { ...partial, hash: entryHash(partial) };
      try {
        await this.opts.store.append(entry);
      } catch (err) {
        const conflict =
          err instanceof StorageError && err.code === "HATO_ERR_STORAGE_INVALID_ARGUMENT";
        if (conflict && attempt < RETRIES && (await this.opts.store.last())?.seq !== last?.seq)
          continue;
        throw err;
      }
      this.head = { seq: entry.seq, hash: entry.hash };
      if (++this.unsigned >= this.opts.signEveryEntries) await this.signNow();
      return entry;
    }
  }

  /**
   * Signs the head this writer appended last: what it knows it wrote, not what the database
   * says now (someone with database access must not get a forged chain signed).
   */
  private async signNow(): Promise<void> {
    const key = this.opts.key;
    const head = this.head;
    if (key === undefined || head === undefined) return;
    if (this.lastSigned?.seq !== head.seq) {
      await this.opts.store.addHead(signHead(key, { ...head, time: this.now() }));
      this.lastSigned = head;
    }
    this.unsigned = 0;
  }

  private fail(what: string, err: unknown): void {
    this.opts.log?.error("audit log write failed", { what, err });
  }

  /** The newest entry this writer appended (for tests and status pages). */
  get lastWritten(): { seq: number; hash: string } | undefined {
    return this.head;
  }
}
