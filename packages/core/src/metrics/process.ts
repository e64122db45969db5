// prom-client's default process metrics (memory, CPU, event loop, GC) with a `hato_` prefix,
// on a registry of our own. One per process: they describe the process, not a server, and
// some install observers that are never removed (a GC PerformanceObserver, an event-loop delay
// monitor), so a test process that starts fifty servers must not install fifty of each.

import { collectDefaultMetrics, Registry } from "prom-client";

let shared: Registry | undefined;

/** The process metrics' registry, created on first use. */
export function processRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared, prefix: "hato_" });
  }
  return shared;
}
