// The organisation's rate limits (docs/policy.md, `rate-limits`): token buckets per user
// (stanzas and bytes per second, shared by all of a user's sessions) and per client address
// (logins per minute), and the coalescing of their denials so a flood cannot flood the audit log.

/**
 * How many seconds of the rate a bucket holds when full. A client that connects sends a burst
 * (roster, disco, carbons, archive query, presence, bookmarks, avatars: 15-30 stanzas in its
 * first second), and a user who comes back from a tunnel sends what queued up meanwhile; five
 * seconds of rate lets those through at once while the sustained rate stays the one written.
 */
export const BURST_SECONDS = 5;
/** The smallest stanza burst, so that even a low rate lets a client log in. */
export const MIN_STANZA_BURST = 30;

/** A token bucket that may run into debt (bytes already read cannot be refused). */
class Bucket {
  private tokens: number;
  private at: number;

  constructor(full: number, now: number) {
    this.tokens = full;
    this.at = now;
  }

  private refill(rate: number, burst: number, now: number): void {
    this.tokens = Math.min(burst, this.tokens + ((now - this.at) / 1000) * rate);
    this.at = now;
  }

  /** Takes `cost` if there is that much; false (and nothing taken) if not. */
  take(cost: number, rate: number, burst: number, now: number): boolean {
    this.refill(rate, burst, now);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Takes `cost` even into debt; returns the milliseconds until the debt is paid (0: none). */
  charge(cost: number, rate: number, burst: number, now: number): number {
    this.refill(rate, burst, now);
    this.tokens -= cost;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / rate) * 1000);
  }

  /** Milliseconds until one whole token is there again. */
  waitMs(rate: number): number {
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / rate) * 1000);
  }

  full(rate: number, burst: number, now: number): boolean {
    this.refill(rate, burst, now);
    return this.tokens >= burst;
  }
}

/** A user's rates as the policy says now (read on every use: a reload applies at once). */
export interface UserRateRules {
  stanzasPerSecond: number | undefined;
  bytesPerSecond: number | undefined;
}

export type StanzaVerdict = { ok: true } | { ok: false; limit: number; waitMs: number };

/** Stanza and byte buckets per user, shared by all of the user's sessions. */
export class UserRates {
  private readonly users = new Map<string, { stanzas?: Bucket; bytes?: Bucket }>();

  constructor(
    private readonly rulesOf: (username: string) => UserRateRules,
    private readonly now: () => number = Date.now,
  ) {}

  /** One stanza from `username`: allowed, or over the user's rate (and when a token returns). */
  stanza(username: string): StanzaVerdict {
    const rate = this.rulesOf(username).stanzasPerSecond;
    if (rate === undefined) return { ok: true };
    const burst = Math.max(rate * BURST_SECONDS, MIN_STANZA_BURST);
    const now = this.now();
    const u = this.entry(username);
    u.stanzas ??= new Bucket(burst, now);
    if (u.stanzas.take(1, rate, burst, now)) return { ok: true };
    return { ok: false, limit: rate, waitMs: u.stanzas.waitMs(rate) };
  }

  /**
   * `n` bytes read from one of the user's connections; returns how long to stop reading so
   * the user stays within the rate (0: go on).
   */
  bytes(username: string, n: number): { waitMs: number; limit: number } {
    const rate = this.rulesOf(username).bytesPerSecond;
    if (rate === undefined) return { waitMs: 0, limit: 0 };
    const burst = rate * BURST_SECONDS;
    const now = this.now();
    const u = this.entry(username);
    u.bytes ??= new Bucket(burst, now);
    return { waitMs: u.bytes.charge(n, rate, burst, now), limit: rate };
  }

  /** Forgets a user (the last session closed): memory follows the users online. */
  forget(username: string): void {
    this.users.delete(username);
  }

  get size(): number {
    return this.users.size;
  }

  private entry(username: string): { stanzas?: Bucket; bytes?: Bucket } {
    let u = this.users.get(username);
    if (u === undefined) {
      u = {};
      this.users.set(username, u);
    }
    return u;
  }
}

export type LoginVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Logins per minute per client address (`rate-limits.logins-per-minute-per-address`, a base
 * rule): a bucket of one minute's logins that refills continuously, so the answer can say
 * when the next login will be let in. Bounded: at most `maxAddresses` addresses are
 * remembered; the least recently seen is forgotten first, and full buckets are swept.
 */
export class LoginLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: () => number | undefined,
    private readonly maxAddresses = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** One login from `address`: let in, or refused with the seconds until one would be. */
  take(address: string): LoginVerdict {
    const limit = this.perMinute();
    if (limit === undefined) return { ok: true };
    const rate = limit / 60;
    const now = this.now();
    let b = this.buckets.get(address);
    if (b === undefined) {
      if (this.buckets.size >= this.maxAddresses) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = new Bucket(limit, now);
    }
    // Re-inserted on every use: the map's order is least recently seen first.
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (b.take(1, rate, limit, now)) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(b.waitMs(rate) / 1000)) };
  }

  /** Forgets addresses whose bucket is full again (they are as good as new). */
  expire(): void {
    const limit = this.perMinute();
    if (limit === undefined) {
      this.buckets.clear();
      return;
    }
    const now = this.now();
    for (const [a, b] of this.buckets) if (b.full(limit / 60, limit, now)) this.buckets.delete(a);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** A policy denial as the `policy-denied` event carries it. */
export interface Denial {
  user: string;
  rule: string;
  text: string;
  address?: string;
  /** Denials of this kind this entry stands for (1 when absent). */
  count?: number;
}

/**
 * Turns a flood of the same denial into few audit entries: the first is reported at once;
 * repeats within `intervalMs` are counted and reported as one denial with their count when
 * the interval ends. At most `maxKeys` kinds are tracked; past that the oldest is reported early.
 */
export class DenialCoalescer {
  private readonly open = new Map<string, { d: Denial; count: number; since: number }>();

  constructor(
    private readonly report: (d: Denial) => void,
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** One denial; `key` says which denials are the same kind (user and limit, address). */
  deny(key: string, d: Denial): void {
    const e = this.open.get(key);
    if (e !== undefined) {
      e.count++;
      e.d = d;
      return;
    }
    if (this.open.size >= this.maxKeys) {
      const [k, oldest] = this.open.entries().next().value!;
      this.open.delete(k);
      if (oldest.count > 0) this.report({ ...oldest.d, count: oldest.count });
    }
    this.report(d);
    this.open.set(key, { d, count: 0, since: this.now() });
  }

  /** Reports what was counted in intervals that ended; forgets kinds that went quiet. */
  flush(all = false): void {
    const now = this.now();
    for (const [k, e] of this.open) {
      if (!all && now - e.since < this.intervalMs) continue;
      if (e.count === 0) {
        this.open.delete(k);
        continue;
      }
      this.report({ ...e.d, count: e.count });
      e.count = 0;
      e.since = now;
      if (all) this.open.delete(k);
    }
  }
}
