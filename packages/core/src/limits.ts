// Deadlines, per-address connection caps and login throttling, all on one coarse timer.
//
// Idle authenticated sessions cost no CPU: nothing here keeps a timer per connection; one
// sweep a second looks only at connections that still have a deadline.

/** Deadlines checked by one interval timer. */
export class Sweeper {
  private readonly deadlines = new Map<object, { at: number; fire: () => void }>();
  private readonly timer: NodeJS.Timeout;
  private readonly tasks: (() => void)[] = [];

  constructor(intervalMs = 1000) {
    this.timer = setInterval(() => this.sweep(), intervalMs);
    this.timer.unref();
  }

  /** Calls `fire` once `ms` have passed, unless cleared first. Replaces an earlier deadline. */
  set(key: object, ms: number, fire: () => void): void {
    this.deadlines.set(key, { at: Date.now() + ms, fire });
  }

  clear(key: object): void {
    this.deadlines.delete(key);
  }

  /** Runs `task` on every sweep (e.g. expiring throttle windows). */
  every(task: () => void): void {
    this.tasks.push(task);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, d] of this.deadlines) {
      if (d.at <= now) {
        this.deadlines.delete(key);
        d.fire();
      }
    }
    for (const t of this.tasks) t();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Counts per key within a fixed window; bounded in the number of keys it remembers. */
export class WindowCounter {
  private readonly counts = new Map<string, { n: number; start: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  count(key: string): number {
    const e = this.counts.get(key);
    if (e === undefined || Date.now() - e.start >= this.windowMs) return 0;
    return e.n;
  }

  /** Milliseconds until the key's current window ends (0 when it has none). */
  resetIn(key: string): number {
    const e = this.counts.get(key);
    return e === undefined ? 0 : Math.max(0, e.start + this.windowMs - Date.now());
  }

  add(key: string): number {
    const now = Date.now();
    let e = this.counts.get(key);
    if (e === undefined || now - e.start >= this.windowMs) {
      this.counts.delete(key);
      // An attacker cycling through names must not grow this map without bound.
      if (this.counts.size >= this.maxKeys) {
        const oldest = this.counts.keys().next().value;
        if (oldest !== undefined) this.counts.delete(oldest);
      }
      e = { n: 0, start: now };
      this.counts.set(key, e);
    }
    return ++e.n;
  }

  /** Forgets expired windows. */
  expire(): void {
    const now = Date.now();
    for (const [k, e] of this.counts) if (now - e.start >= this.windowMs) this.counts.delete(k);
  }
}

/** A count per key that goes up and down (e.g. unauthenticated connections per address). */
export class Gauge {
  private readonly values = new Map<string, number>();

  get(key: string): number {
    return this.values.get(key) ?? 0;
  }

  inc(key: string): number {
    const n = this.get(key) + 1;
    this.values.set(key, n);
    return n;
  }

  dec(key: string): void {
    const n = this.get(key) - 1;
    if (n <= 0) this.values.delete(key);
    else this.values.set(key, n);
  }
}

/** Login throttling per address and per account name (existing or not: no enumeration). */
export class AuthThrottle {
  private readonly byAddress = new WindowCounter(60_000);
  private readonly byAccount = new WindowCounter(60_000);

  constructor(
    private readonly perAddress: number,
    private readonly perAccount: number,
  ) {}

  addressBlocked(address: string): boolean {
    return this.byAddress.count(address) >= this.perAddress;
  }

  accountBlocked(username: string): boolean {
    return this.byAccount.count(username) >= this.perAccount;
  }

  failed(address: string, username: string | undefined): void {
    this.byAddress.add(address);
    if (username !== undefined) this.byAccount.add(username);
  }

  expire(): void {
    this.byAddress.expire();
    this.byAccount.expire();
  }
}
