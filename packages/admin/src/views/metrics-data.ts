// Turns what /admin/api/metrics/history answers into named series of (time, value) points. The
// shape belongs to the metrics module; this accepts the plain forms a ring buffer takes (named
// series of points, or samples with one field per metric) so that the charts do not break when
// it grows a field.

export interface Series {
  name: string;
  unit: string;
  points: [number, number][];
}

const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;

const time = (v: unknown): number | undefined =>
  typeof v === "string" ? Date.parse(v) || undefined : num(v);

const TIME_KEYS = ["at", "t", "time", "ts", "timestamp"];

function point(p: unknown): [number, number] | undefined {
  if (Array.isArray(p)) {
    const t = time(p[0]);
    const v = num(p[1]);
    return t !== undefined && v !== undefined ? [t, v] : undefined;
  }
  if (p && typeof p === "object") {
    const o = p as Record<string, unknown>;
    const t = time(TIME_KEYS.map((k) => o[k]).find((x) => x !== undefined));
    const v = num(o.value ?? o.v);
    return t !== undefined && v !== undefined ? [t, v] : undefined;
  }
  return undefined;
}

/** Names, units and scales of the metrics module's history fields (docs/metrics.md). */
const KNOWN: Record<string, [name: string, unit: string, scale?: number]> = {
  connections: ["Open connections", ""],
  sessions: ["Sessions", ""],
  "stanzasPerSecond.message": ["Messages", "per second"],
  "stanzasPerSecond.presence": ["Presence stanzas", "per second"],
  "stanzasPerSecond.iq": ["IQ stanzas", "per second"],
  denialsPerSecond: ["Policy denials", "per second"],
  rssBytes: ["Memory (resident)", "MiB", 1 / 1048576],
  heapBytes: ["JavaScript heap", "MiB", 1 / 1048576],
};

/** A sample's numbers by name, one level of nesting flattened (`stanzasPerSecond.iq`). */
function numbers(o: Record<string, unknown>, prefix = ""): [string, number][] {
  return Object.entries(o).flatMap(([k, v]): [string, number][] => {
    if (prefix === "" && TIME_KEYS.includes(k)) return [];
    const n = num(v);
    if (n !== undefined) return [[prefix + k, n]];
    if (prefix === "" && v && typeof v === "object" && !Array.isArray(v))
      return numbers(v as Record<string, unknown>, `${k}.`);
    return [];
  });
}

function fromSamples(samples: unknown[]): Series[] {
  const byKey = new Map<string, Series>();
  for (const s of samples) {
    if (!s || typeof s !== "object") continue;
    const o = s as Record<string, unknown>;
    const t = time(TIME_KEYS.map((k) => o[k]).find((x) => x !== undefined));
    if (t === undefined) continue;
    for (const [k, v] of numbers(o)) {
      const [name, unit, scale] = KNOWN[k] ?? [k, ""];
      const series = byKey.get(k) ?? { name, unit, points: [] };
      byKey.set(k, series);
      series.points.push([t, v * (scale ?? 1)]);
    }
  }
  return [...byKey.values()];
}

/** The series in a history answer, each with its points in time order. */
export function toSeries(history: unknown): Series[] {
  let out: Series[] = [];
  const h = history as Record<string, unknown> | unknown[] | null;
  if (Array.isArray(h)) out = fromSamples(h);
  else if (h && typeof h === "object") {
    const list = h.series ?? h.metrics;
    const samples = h.samples ?? h.points;
    if (Array.isArray(list)) {
      out = list.flatMap((s) => {
        if (!s || typeof s !== "object") return [];
        const o = s as Record<string, unknown>;
        const pts = Array.isArray(o.points) ? o.points : Array.isArray(o.values) ? o.values : [];
        const name = String(o.label ?? o.name ?? "metric");
        const unit = typeof o.unit === "string" ? o.unit : "";
        return [{ name, unit, points: pts.map(point).filter((p) => p !== undefined) }];
      });
    } else if (Array.isArray(samples)) out = fromSamples(samples);
    else if (list && typeof list === "object") out = toSeries({ series: namedList(list) });
    else out = toSeries({ series: namedList(h) });
  }
  for (const s of out) s.points.sort((a, b) => a[0] - b[0]);
  return out.filter((s) => s.points.length > 0);
}

function namedList(o: object): unknown[] {
  return Object.entries(o)
    .filter(([, v]) => Array.isArray(v))
    .map(([name, points]) => ({ name, points }));
}
