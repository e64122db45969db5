// A bounded history of a few numbers, sampled every N seconds, for the admin console's charts
// (Prometheus keeps the long history; this is what a server without one can still show).

/** One sample. Rates are per second over the interval that ends at `t`. */
export interface MetricsPoint {
  /** When the sample was taken, in milliseconds since the epoch. */
  t: number;
  /** Open client connections (TCP and WebSocket). */
  connections: number;
  /** Bound client sessions, hibernated ones included. */
  sessions: number;
  /** Stanzas clients sent, per second, by kind. */
  stanzasPerSecond: { message: number; presence: number; iq: number };
  /** Policy denials per second, all rules together. */
  denialsPerSecond: number;
  /** The process's resident set size. */
  rssBytes: number;
  /** V8 heap in use. */
  heapBytes: number;
}

/** What `server.metrics.history()` returns: oldest point first, at most the configured count. */
export interface MetricsHistory {
  intervalSeconds: number;
  points: MetricsPoint[];
}

/** A fixed-size ring of points; the oldest is overwritten. */
export class PointRing {
  private readonly slots: (MetricsPoint | undefined)[];
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array(capacity).fill(undefined);
  }

  push(p: MetricsPoint): void {
    this.slots[this.next] = p;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  get size(): number {
    return this.filled;
  }

  /** Oldest first. */
  toArray(): MetricsPoint[] {
    const out: MetricsPoint[] = [];
    const start = (this.next - this.filled + this.capacity) % this.capacity;
    for (let i = 0; i < this.filled; i++) out.push(this.slots[(start + i) % this.capacity]!);
    return out;
  }
}
