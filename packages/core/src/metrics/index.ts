// Prometheus metrics and the admin console's history of them.

export type { MetricsHistory, MetricsPoint } from "./history.js";
export { KINDS, LATENCY_BUCKETS, TRANSPORTS } from "./hot.js";
export { Metrics, type MetricsOptions } from "./metrics.js";
