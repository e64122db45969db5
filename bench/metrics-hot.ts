// Benchmark: what the metrics cost on the stanza path, in isolation from the network.
//
//   node --expose-gc bench/dist/metrics-hot.js [--stanzas N] [--runs N]
//
// Times the calls the client streams make per stanza (accepted, written, intakeDone: one
// stanza delivered synchronously) with metrics on and off, median of several runs, and counts
// the garbage collections during the "on" runs. The counters themselves allocate nothing; the
// two clock reads do (Node 20's performance.now() hands back a heap-allocated double), which
// is what the young-generation collections reported here come from. Results are recorded in
// docs/metrics.md ("What it costs").

import { PerformanceObserver, performance } from "node:perf_hooks";
import { EventBus, Metrics } from "@hato/core";
import { xml } from "@hato/xml";

const arg = (name: string, dflt: number): number => {
  const k = process.argv.indexOf(name);
  return k > 0 ? Number(process.argv[k + 1]) : dflt;
};
const STANZAS = arg("--stanzas", 5_000_000);
const RUNS = arg("--runs", 7);

function hot(enabled: boolean) {
  return new Metrics({
    enabled,
    historyIntervalSeconds: 10,
    historyPoints: 10,
    bus: new EventBus(() => {}),
    sessions: { size: 0 },
  }).hot;
}

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ["gc"] });

// A few distinct stanzas, as a real stream has: one message, one presence, one IQ.
const stanzas = [
  xml("message", { to: "bob@localhost/phone", type: "chat" }, xml("body", {}, "hello")),
  xml("presence", { to: "bob@localhost/phone" }),
  xml("iq", { to: "bob@localhost/phone", type: "get", id: "1" }),
];

/** Nanoseconds per stanza for one run. */
function run(h: ReturnType<typeof hot>): number {
  const t0 = performance.now();
  for (let i = 0; i < STANZAS; i++) {
    const el = stanzas[i % 3]!;
    h.accepted(el);
    h.written(el);
    h.intakeDone(el);
  }
  return ((performance.now() - t0) * 1e6) / STANZAS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const on = hot(true);
const off = hot(false);
run(on); // warm up both shapes
run(off);
const results = { on: [] as number[], off: [] as number[], gcsOn: 0 };
for (let r = 0; r < RUNS; r++) {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 10)); // let the observer report that GC
  const before = gcs;
  results.on.push(run(on));
  await new Promise((resolve) => setTimeout(resolve, 10));
  results.gcsOn += gcs - before;
  results.off.push(run(off));
}
console.log(
  JSON.stringify({
    stanzasPerRun: STANZAS,
    runs: RUNS,
    nsPerStanzaOn: Number(median(results.on).toFixed(1)),
    nsPerStanzaOff: Number(median(results.off).toFixed(1)),
    garbageCollectionsPerMillionStanzasOn: Number(
      ((results.gcsOn * 1e6) / (STANZAS * RUNS)).toFixed(1),
    ),
    counted: on.stanzas[0],
  }),
);
