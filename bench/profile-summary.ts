// Summaries of a V8 CPU profile (node --cpu-prof) and of a heap snapshot, as Markdown tables.
//
//   node bench/dist/profile-summary.js cpu FILE.cpuprofile [--top 30]
//   node --max-old-space-size=4096 bench/dist/profile-summary.js heap FILE.heapsnapshot [--per 2000] [--top 30]

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A source location without this machine's folders: `packages/core/dist/x.js`, `node:net`. */
function shortUrl(url: string): string {
  if (url === "") return "";
  const u = url.replace(/^file:\/\//, "");
  for (const mark of ["/packages/", "/node_modules/", "/bench/"]) {
    const i = u.lastIndexOf(mark);
    if (i >= 0) return u.slice(i + 1);
  }
  return u.startsWith("node:") ? u : u.split("/").slice(-2).join("/");
}

const pct = (v: number, total: number) => `${((100 * v) / total).toFixed(1)}%`;

function cpu(file: string, top: number): string {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample i lasted until sample i+1; the last one gets the mean interval.
  const dt = p.samples.map((_, i) => (i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1]! : 0));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt[i]!));
  }
  const keyOf = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ""}`;
  const fileOf = (n: ProfileNode) => shortUrl(n.callFrame.url) || n.callFrame.functionName;

  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)")
    .reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const selfFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const inclFn = new Map<string, number>();
  const pathKeys = new Map<number, Set<string>>();
  const keysOnPath = (id: number): Set<string> => {
    let s = pathKeys.get(id);
    if (s) return s;
    const up = parent.get(id);
    s = new Set(up === undefined ? [] : keysOnPath(up));
    s.add(keyOf(byId.get(id)!));
    pathKeys.set(id, s);
    return s;
  };
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === "(idle)") continue;
    selfFn.set(keyOf(n), (selfFn.get(keyOf(n)) ?? 0) + us);
    selfFile.set(fileOf(n), (selfFile.get(fileOf(n)) ?? 0) + us);
    for (const k of keysOnPath(id)) inclFn.set(k, (inclFn.get(k) ?? 0) + us);
  }
  const table = (title: string, m: Map<string, number>, head: string) => {
    const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    return [
      `### ${title}`,
      "",
      `| ${head} | ms | % of busy |`,
      "|---|---:|---:|",
      ...rows.map(([k, v]) => `| \`${k}\` | ${(v / 1000).toFixed(0)} | ${pct(v, busy)} |`),
      "",
    ].join("\n");
  };
  return [
    `Profile: ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${pct(busy, total)} of the profile), ${p.samples.length} samples.`,
    "",
    table("Self time by function", selfFn, "function location"),
    table("Self time by file", selfFile, "file"),
    table("Total (inclusive) time by function", inclFn, "function location"),
  ].join("\n");
}

function heap(file: string, per: number, top: number): string {
  const s = JSON.parse(readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] }; node_count: number };
    nodes: number[];
    strings: string[];
  };
  const f = s.snapshot.meta.node_fields;
  const nf = f.length;
  const iType = f.indexOf("type");
  const iName = f.indexOf("name");
  const iSize = f.indexOf("self_size");
  const types = s.snapshot.meta.node_types[0];
  const agg = new Map<string, { size: number; count: number }>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += nf) {
    const type = types[s.nodes[i + iType]!]!;
    let name = s.strings[s.nodes[i + iName]!]!;
    const size = s.nodes[i + iSize]!;
    total += size;
    if (type === "string" || type === "concatenated string" || type === "sliced string")
      name = "(strings)";
    else if (type === "code") name = "(compiled code)";
    else if (type === "closure") name = `closure ${name || "(anonymous)"}`;
    else if (type === "array") name = `(internal array) ${name.length > 40 ? "" : name}`;
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}: ${name}`;
    const a = agg.get(key) ?? { size: 0, count: 0 };
    a.size += size;
    a.count++;
    agg.set(key, a);
  }
  const rows = [...agg.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, top);
  return [
    `Heap snapshot: ${(total / 1048576).toFixed(1)} MiB in ${s.snapshot.node_count} objects${per ? `; per connection (÷ ${per})` : ""}.`,
    "",
    `| type: constructor / kind | count | self size (KiB) |${per ? " count per conn | bytes per conn |" : ""}`,
    `|---|---:|---:|${per ? "---:|---:|" : ""}`,
    ...rows.map(
      ([k, v]) =>
        `| \`${k.replace(/\|/g, "\\|")}\` | ${v.count} | ${(v.size / 1024).toFixed(0)} |${per ? ` ${(v.count / per).toFixed(1)} | ${(v.size / per).toFixed(0)} |` : ""}`,
    ),
    "",
  ].join("\n");
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "30" }, per: { type: "string", default: "0" } },
});
const [kind, file] = positionals;
if ((kind !== "cpu" && kind !== "heap") || !file) {
  process.stderr.write(
    "usage: profile-summary cpu FILE.cpuprofile | heap FILE.heapsnapshot [--per N] [--top N]\n",
  );
  process.exit(2);
}
process.stdout.write(
  kind === "cpu"
    ? cpu(file, Number(values.top))
    : heap(file, Number(values.per), Number(values.top)),
);
