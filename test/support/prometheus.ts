// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it
// throws, naming the line, on anything Prometheus would refuse or that a careful exporter
// should not write (a sample before its TYPE, a duplicate series, a histogram whose buckets
// are not cumulative or lack +Inf, a counter that is negative).

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  /** Series key (`name{a="1",b="2"}`, labels sorted) → value. */
  samples: Map<string, number>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** The series key tests look values up by. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
}

/** Parses exposition text into families by name; throws on the first violation. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("the exposition must end with a newline");
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, what, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      let f = families.get(name);
      if (!f) {
        f = { name, type: "untyped", help: "", samples: new Map() };
        families.set(name, f);
      }
      if (what === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        if (f.samples.size > 0) throw new Error(`${where}: TYPE after samples`);
        if (f.type !== "untyped") throw new Error(`${where}: second TYPE`);
        f.type = rest as MetricType;
      } else f.help = rest;
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample line`);
    const [, name, labelText, valueText] = m as unknown as [
      string,
      string,
      string | undefined,
      string,
    ];
    const labels = parseLabels(labelText ?? "", where);
    const value = parseValue(valueText, where);
    const family = familyOf(families, name);
    if (!family) throw new Error(`${where}: sample of ${name} before its TYPE`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seen.add(key);
    if (family.type === "counter" && value < 0) throw new Error(`${where}: negative counter`);
    if (family.type === "histogram" && name.endsWith("_bucket") && labels.le === undefined)
      throw new Error(`${where}: bucket without le`);
    family.samples.set(key, value);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return f;
  }
  return undefined;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== "") {
    const m = /^([^=]+)="((?:[^"\\\n]|\\["\\n])*)"(,?)/.exec(rest);
    if (!m) throw new Error(`${where}: bad label list`);
    const [all, name, raw, comma] = m as unknown as [string, string, string, string];
    if (!LABEL.test(name) || name.startsWith("__")) throw new Error(`${where}: bad label ${name}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(all.length);
    if (comma === "" && rest !== "") throw new Error(`${where}: labels not separated`);
  }
  return labels;
}

function parseValue(text: string, where: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text))
    throw new Error(`${where}: bad value ${text}`);
  return Number(text);
}

/** Per label set (without le): cumulative buckets in increasing le, +Inf last, equal to _count. */
function checkHistogram(f: Family): void {
  const groups = new Map<string, { le: number; v: number }[]>();
  for (const [key, v] of f.samples) {
    if (!key.startsWith(`${f.name}_bucket`)) continue;
    const le = /le="([^"]+)"/.exec(key)![1]!;
    const rest = key
      .replace(/,?le="[^"]+"/, "")
      .replace("{,", "{")
      .replace("{}", "");
    const list = groups.get(rest) ?? [];
    list.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), v });
    groups.set(rest, list);
  }
  for (const [rest, list] of groups) {
    const sorted = [...list].sort((a, b) => a.le - b.le);
    if (sorted.at(-1)?.le !== Number.POSITIVE_INFINITY)
      throw new Error(`${f.name}: ${rest} has no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]!.v < sorted[i - 1]!.v) throw new Error(`${f.name}: ${rest} not cumulative`);
    const countKey = rest.replace(`${f.name}_bucket`, `${f.name}_count`);
    if (f.samples.get(countKey) !== sorted.at(-1)!.v)
      throw new Error(`${f.name}: ${countKey} differs from the +Inf bucket`);
  }
}

/** The value of one series (0 when absent, as a counter that never moved). */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const f of families.values()) {
    const v = f.samples.get(seriesKey(name, labels));
    if (v !== undefined) return v;
  }
  return 0;
}
