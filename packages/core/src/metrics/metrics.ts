// The server's Prometheus metrics (`server.metrics`): connections, sessions, stanzas by kind and
// direction, policy denials by rule, scan verdicts, login failures, the delivery latency
// histogram, and prom-client's process metrics. docs/metrics.md lists them all.

import { type Metric, Registry } from "prom-client";
import { type EventBus, Priority } from "../events.js";
import { type MetricsHistory, type MetricsPoint, PointRing } from "./history.js";
import { HotCounters, KINDS, LATENCY_BUCKETS, TRANSPORTS } from "./hot.js";
import { processRegistry } from "./process.js";

export interface MetricsOptions {
  /** Off: nothing is counted on the stanza path and no history is sampled. */
  enabled: boolean;
  historyIntervalSeconds: number;
  historyPoints: number;
  bus: EventBus;
  /** Bound sessions right now (the session registry). */
  sessions: { readonly size: number };
}

type Sample = { metricName?: string; labels: Record<string, string>; value: number };

// Labels come from the server's own vocabulary (rule names, verdicts, engines, SASL
// conditions), but a label set that grew without bound would eat Prometheus; past this many
// distinct values the rest is counted as "other".
const MAX_LABEL_VALUES = 64;

/** Counts by a label key, bounded. */
class Tally {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    const k = this.counts.has(key) || this.counts.size < MAX_LABEL_VALUES ? key : "other";
    this.counts.set(k, (this.counts.get(k) ?? 0) + n);
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
}

/** The metrics of one server, on a prom-client registry of its own (never the global one). */
export class Metrics {
  /** What the client streams increment: plain numbers (hot.ts). */
  readonly hot: HotCounters;
  readonly intervalSeconds: number;
  private readonly registry = new Registry();
  private readonly denials = new Tally();
  /** Keyed by verdict, a NUL, and the engine. */
  private readonly verdicts = new Tally();
  private readonly authFailures = new Tally();
  private readonly ring: PointRing;
  private timer: NodeJS.Timeout | undefined;
  private last: { t: number; stanzas: number[]; denials: number } | undefined;
  private readonly unhook: (() => void)[] = [];

  constructor(private readonly opts: MetricsOptions) {
    this.hot = new HotCounters(opts.enabled);
    this.intervalSeconds = opts.historyIntervalSeconds;
    this.ring = new PointRing(opts.historyPoints);
    this.define();
    if (opts.enabled) this.observe(opts.bus);
  }

  /** Starts sampling the history (a first point at once). */
  start(): void {
    if (!this.opts.enabled || this.timer) return;
    processRegistry(); // install the process metrics now, so CPU and GC count from the start
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const u of this.unhook.splice(0)) u();
  }

  /** Every metric in the Prometheus text exposition format (version 0.0.4). */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    if (!this.opts.enabled) return own;
    // prom-client writes NaN (an event-loop mean before any sample) as "Nan"; Prometheus
    // reads that, but the format says NaN and stricter parsers refuse anything else.
    const proc = (await processRegistry().metrics()).replace(/ Nan$/gm, " NaN");
    return `${own}\n${proc}`;
  }

  /** The sampled history, oldest point first. */
  history(): MetricsHistory {
    return { intervalSeconds: this.intervalSeconds, points: this.ring.toArray() };
  }

  /** Takes one history point now (the timer calls this every interval). */
  sample(now = Date.now()): MetricsPoint {
    const s = this.hot.stanzas;
    const stanzas = [s[0]!, s[1]!, s[2]!];
    const denials = this.denials.total;
    const prev = this.last;
    const seconds = prev === undefined ? 0 : Math.max((now - prev.t) / 1000, 0.001);
    const rate = (cur: number, old: number) =>
      prev === undefined ? 0 : Math.round(((cur - old) / seconds) * 1000) / 1000;
    const mem = process.memoryUsage();
    const point: MetricsPoint = {
      t: now,
      connections: this.hot.connections[0]! + this.hot.connections[1]!,
      sessions: this.opts.sessions.size,
      stanzasPerSecond: {
        message: rate(stanzas[0]!, prev?.stanzas[0] ?? 0),
        presence: rate(stanzas[1]!, prev?.stanzas[1] ?? 0),
        iq: rate(stanzas[2]!, prev?.stanzas[2] ?? 0),
      },
      denialsPerSecond: rate(denials, prev?.denials ?? 0),
      rssBytes: mem.rss,
      heapBytes: mem.heapUsed,
    };
    this.last = { t: now, stanzas, denials };
    this.ring.push(point);
    return point;
  }

  private observe(bus: EventBus): void {
    const on = <E extends "policy-denied" | "upload-verdict" | "auth-failed">(
      event: E,
      f: Parameters<typeof bus.on<E>>[1],
    ) => this.unhook.push(bus.on(event, f, Priority.OBSERVE, "metrics"));
    // A coalesced rate-limit entry stands for `count` refusals.
    on("policy-denied", (e) => void this.denials.add(e.rule, e.count ?? 1));
    on("upload-verdict", (e) => void this.verdicts.add(`${e.verdict}\0${e.engine}`));
    on("auth-failed", (e) => void this.authFailures.add(e.condition));
  }

  private define(): void {
    const hot = this.hot;
    this.add("hato_connections", "gauge", "Open client connections, by transport.", () =>
      TRANSPORTS.map((transport, i) => ({ labels: { transport }, value: hot.connections[i]! })),
    );
    this.add(
      "hato_connections_opened_total",
      "counter",
      "Client connections accepted since the server started, by transport.",
      () =>
        TRANSPORTS.map((transport, i) => ({
          labels: { transport },
          value: hot.connectionsOpened[i]!,
        })),
    );
    this.add("hato_sessions", "gauge", "Bound client sessions (hibernated ones included).", () => [
      { labels: {}, value: this.opts.sessions.size },
    ]);
    this.add(
      "hato_stanzas_total",
      "counter",
      "Stanzas received from (in) and written to (out) client streams, by kind.",
      () =>
        (["in", "out"] as const).flatMap((direction, d) =>
          KINDS.map((kind, k) => ({
            labels: { kind, direction },
            value: hot.stanzas[d * KINDS.length + k]!,
          })),
        ),
    );
    this.add(
      "hato_policy_denials_total",
      "counter",
      "Requests the organisation's policy refused, by rule.",
      () => tallied(this.denials, (rule) => ({ rule })),
    );
    this.add(
      "hato_scan_verdicts_total",
      "counter",
      "Verdicts on uploaded files, by verdict and scanning engine.",
      () =>
        tallied(this.verdicts, (key) => {
          const [verdict = key, engine = ""] = key.split("\0");
          return { verdict, engine };
        }),
    );
    this.add(
      "hato_auth_failures_total",
      "counter",
      "Refused logins, by SASL condition (not-authorized, temporary-auth-failure, ...).",
      () => tallied(this.authFailures, (condition) => ({ condition })),
    );
    this.add(
      "hato_delivery_seconds",
      "histogram",
      "Time from a stanza's arrival from a client to its write to the recipient's stream, by kind.",
      () => histogramSamples("hato_delivery_seconds", hot.latency.counts, hot.latency.sums),
    );
  }

  /** Registers a metric whose values are read from our counters at scrape time. */
  private add(
    name: string,
    type: "counter" | "gauge" | "histogram",
    help: string,
    values: () => Sample[],
  ): void {
    const metric = {
      name,
      help,
      type,
      aggregator: "sum",
      collect: undefined,
      get: async () => ({ name, help, type, aggregator: "sum", values: values() }),
      reset: () => {},
    };
    this.registry.registerMetric(metric as unknown as Metric<string>);
  }
}

function tallied(t: Tally, labels: (key: string) => Record<string, string>): Sample[] {
  return [...t.counts].map(([key, value]) => ({ labels: labels(key), value }));
}

/** Cumulative `_bucket` lines with `le`, then `_sum` and `_count`, per kind. */
function histogramSamples(name: string, counts: Float64Array, sums: Float64Array): Sample[] {
  const out: Sample[] = [];
  const width = LATENCY_BUCKETS.length + 1;
  KINDS.forEach((kind, k) => {
    let cumulative = 0;
    for (let b = 0; b < width; b++) {
      cumulative += counts[k * width + b]!;
      const le = b < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[b]) : "+Inf";
      out.push({ metricName: `${name}_bucket`, labels: { kind, le }, value: cumulative });
    }
    out.push({ metricName: `${name}_sum`, labels: { kind }, value: sums[k]! });
    out.push({ metricName: `${name}_count`, labels: { kind }, value: cumulative });
  });
  return out;
}
