// The counters the stanza path touches: plain numbers in typed arrays, so counting a stanza or
// filing a latency allocates nothing (prom-client's own inc()/observe() hash a label object on
// every call). Timing reads the clock twice per delivery, and Node's performance.now() boxes its
// double: that is the only garbage (bench/metrics-hot.ts measures it). The exposition and the
// history read these arrays at scrape and sample time.

import { performance } from "node:perf_hooks";
import type { Element } from "@hato/xml";

export const KINDS = ["message", "presence", "iq"] as const;
export type Kind = (typeof KINDS)[number];
export const TRANSPORTS = ["tcp", "websocket"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/**
 * Upper bounds (seconds) of the delivery latency buckets. Routing to an online session is
 * synchronous and takes tens of microseconds, a storage lookup on the way a millisecond or
 * so: prom-client's default buckets (5 ms to 10 s) would put every healthy delivery in the
 * first one and hide a tenfold regression. So they start at 100 µs and grow about 2.5× a
 * step; past 5 s a delivery is broken whatever its exact time.
 */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** The index of a stanza kind, or -1 for anything else (nonzas, unknown elements). */
function kindOf(el: Element): number {
  const n = el.name;
  return n === "message" ? 0 : n === "presence" ? 1 : n === "iq" ? 2 : -1;
}

/** A latency histogram per stanza kind: cumulative bucket counts as Prometheus wants them. */
export class LatencyHistogram {
  /** Per kind: one count per bucket plus +Inf (not cumulative; summed at scrape). */
  readonly counts = new Float64Array(KINDS.length * (LATENCY_BUCKETS.length + 1));
  readonly sums = new Float64Array(KINDS.length);

  observe(kind: number, seconds: number): void {
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]!) b++;
    this.counts[kind * (LATENCY_BUCKETS.length + 1) + b]!++;
    this.sums[kind]! += seconds;
  }
}

/**
 * What the client streams report. `accepted` and `intakeDone` bracket the synchronous
 * routing of one client stanza; a delivery of that very stanza inside the bracket is timed
 * from the fields here. One routed asynchronously (a handler awaited storage) is remembered
 * in a WeakMap instead (an entry per such stanza), only for stanzas to an account that were not
 * written before their intake returned. Copies (carbons, stanzas routed again by XEP-0198,
 * offline messages read back from storage) are other elements and are not timed: the
 * histogram is the server's own latency, not how long a recipient stayed away.
 */
export class HotCounters {
  /** Stanzas in (from clients) then out (to clients), by kind: [in m, p, iq, out m, p, iq]. */
  readonly stanzas = new Float64Array(KINDS.length * 2);
  /** Open client connections by transport. */
  readonly connections = new Float64Array(TRANSPORTS.length);
  /** Client connections opened since start, by transport. */
  readonly connectionsOpened = new Float64Array(TRANSPORTS.length);
  readonly latency = new LatencyHistogram();

  private current: Element | undefined = undefined;
  private currentAt = 0;
  private currentWritten = false;
  private readonly later = new WeakMap<Element, number>();

  constructor(private readonly on: boolean) {}

  connectionOpened(t: Transport): void {
    if (!this.on) return;
    const i = t === "tcp" ? 0 : 1;
    this.connections[i]!++;
    this.connectionsOpened[i]!++;
  }

  connectionClosed(t: Transport): void {
    if (!this.on) return;
    this.connections[t === "tcp" ? 0 : 1]!--;
  }

  /** A bound client sent this stanza; its routing starts now. */
  accepted(el: Element): void {
    if (!this.on) return;
    const k = kindOf(el);
    if (k < 0) return;
    this.stanzas[k]!++;
    this.current = el;
    this.currentAt = performance.now();
    this.currentWritten = false;
  }

  /** The synchronous part of the stanza's routing is over. */
  intakeDone(el: Element): void {
    if (this.current !== el) return;
    this.current = undefined;
    if (this.currentWritten) return;
    const to = el.attrs.to;
    if (typeof to === "string" && to.indexOf("@") > 0) this.later.set(el, this.currentAt);
  }

  /** A stanza was written to a client's stream. */
  written(el: Element): void {
    if (!this.on) return;
    const k = kindOf(el);
    if (k < 0) return;
    this.stanzas[KINDS.length + k]!++;
    let t0: number | undefined;
    if (el === this.current) {
      t0 = this.currentAt;
      this.currentWritten = true;
    } else {
      t0 = this.later.get(el);
      if (t0 === undefined) return;
    }
    this.latency.observe(k, (performance.now() - t0) / 1000);
  }

  /**
   * A stanza was held for an inactive or hibernating session (XEP-0352, XEP-0198): not
   * timed, since the wait is the client's choice, not the server's latency.
   */
  held(el: Element): void {
    if (!this.on) return;
    if (el === this.current) this.currentWritten = true;
    else this.later.delete(el);
  }
}
