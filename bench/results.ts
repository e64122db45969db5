// Turns one run of bench/run.sh (results.jsonl + env.json) into bench/RESULTS.md: medians per
// server over the rounds, ratios Hato/Prosody and Hato/ejabberd, and every round's raw figures.
//
//   node bench/dist/results.js --run bench/out/run-DATE [--out bench/RESULTS.md]

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

/** One line written by bench.mjs (only the fields used here). */
interface Row {
  label: string;
  mode: "login" | "idle" | "throughput" | "presence" | "failed";
  users?: number;
  online?: number;
  failed?: number;
  logins_per_s?: number;
  login_all_s?: number;
  login_ms?: { p50: number; p99: number };
  server_cpu_login_s?: number | null;
  driver_cpu_login_s?: number;
  other_cpu_pct_during_login?: number | null;
  rss_before_kb?: number;
  rss_idle_kb?: number;
  rss_per_conn_kb?: number | null;
  still_online?: number;
  msgs_per_s?: number;
  window?: number | null;
  latency_ms?: { p50: number; p90: number; p99: number; max: number };
  server_cpu_pct?: number | null;
  server_cpu_us_per_msg?: number | null;
  driver_cpu_pct?: number;
  other_cpu_pct?: number | null;
  lost?: number;
  errors?: number;
  dropped_clients?: number;
  error?: string;
  // presence (bench/presence.ts)
  contacts?: number;
  changes_per_user?: number;
  status_changes?: number;
  stanzas_per_change?: number;
  presence_per_change?: number;
  bytes_per_change?: number;
  server_cpu_ms_per_change?: number;
}

interface Env {
  date: string;
  cpu_model: string;
  cpus: number;
  mem_total_mib: number;
  kernel: string;
  node: string;
  prosody: string;
  ejabberd: string;
  erlang: string;
  lua: string;
  hato_commit: string;
  hato_dirty: boolean;
  quick: boolean;
  rounds: number;
  servers: string[];
  tests: string[];
  scram_iterations: number;
  server_cpus: string;
  driver_cpus: string;
}

/** A figure of the summary table: how to read it from a test's result, and which way is better. */
interface Figure {
  name: string;
  unit: string;
  test: string;
  better: "higher" | "lower";
  digits: number;
  get(r: Row, all: Row[]): number | undefined;
}

const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;

const rssAt = (all: Row[], server: string, test: string, round: string) =>
  all.find((x) => x.label === `${server}/${test}/${round}`);

/** (RSS with 2000 idle − RSS with 100 idle) / (2000 − 100): what one more connection costs. */
function marginalKb(r: Row, all: Row[]): number | undefined {
  const [server, , round] = r.label.split("/");
  const small = rssAt(all, server!, "idle100", round!);
  if (!small || num(small.rss_idle_kb) === undefined || num(r.rss_idle_kb) === undefined)
    return undefined;
  const dn = (r.still_online ?? 0) - (small.still_online ?? 0);
  return dn > 0 ? (r.rss_idle_kb! - small.rss_idle_kb!) / dn : undefined;
}

const FIGURES: Figure[] = [
  {
    name: "Login rate",
    unit: "logins/s",
    test: "login",
    better: "higher",
    digits: 0,
    get: (r) => num(r.logins_per_s),
  },
  {
    name: "Server CPU per login",
    unit: "ms",
    test: "login",
    better: "lower",
    digits: 2,
    get: (r) =>
      num(r.server_cpu_login_s) !== undefined && r.online
        ? (r.server_cpu_login_s! * 1000) / r.online
        : undefined,
  },
  {
    name: "Login time p50 (100 in parallel)",
    unit: "ms",
    test: "login",
    better: "lower",
    digits: 0,
    get: (r) => num(r.login_ms?.p50),
  },
  {
    name: "Message throughput, 20 pairs",
    unit: "msgs/s",
    test: "tput",
    better: "higher",
    digits: 0,
    get: (r) => num(r.msgs_per_s),
  },
  {
    name: "Server CPU per message at saturation",
    unit: "µs",
    test: "tput",
    better: "lower",
    digits: 1,
    get: (r) => num(r.server_cpu_us_per_msg),
  },
  {
    name: "Messages per second of server CPU (throughput per core)",
    unit: "msgs/CPU-s",
    test: "tput",
    better: "higher",
    digits: 0,
    get: (r) => (r.server_cpu_us_per_msg ? 1e6 / r.server_cpu_us_per_msg : undefined),
  },
  {
    name: "Message throughput, 50 pairs",
    unit: "msgs/s",
    test: "tput50",
    better: "higher",
    digits: 0,
    get: (r) => num(r.msgs_per_s),
  },
  {
    name: "Delivered at 2,000 msg/s offered",
    unit: "msgs/s",
    test: "lat",
    better: "higher",
    digits: 0,
    get: (r) => num(r.msgs_per_s),
  },
  {
    name: "Delivery latency p50 at 2,000 msg/s",
    unit: "ms",
    test: "lat",
    better: "lower",
    digits: 2,
    get: (r) => num(r.latency_ms?.p50),
  },
  {
    name: "Delivery latency p99 at 2,000 msg/s",
    unit: "ms",
    test: "lat",
    better: "lower",
    digits: 2,
    get: (r) => num(r.latency_ms?.p99),
  },
  {
    name: "Server CPU per message at 2,000 msg/s",
    unit: "µs",
    test: "lat",
    better: "lower",
    digits: 1,
    get: (r) => num(r.server_cpu_us_per_msg),
  },
  {
    name: "RSS per idle connection, 100 connections",
    unit: "KiB",
    test: "idle100",
    better: "lower",
    digits: 1,
    get: (r) => num(r.rss_per_conn_kb),
  },
  {
    name: "RSS per idle connection, 2,000 connections",
    unit: "KiB",
    test: "idle2000",
    better: "lower",
    digits: 1,
    get: (r) => num(r.rss_per_conn_kb),
  },
  {
    name: "Marginal RSS per connection, 100 → 2,000",
    unit: "KiB",
    test: "idle2000",
    better: "lower",
    digits: 1,
    get: marginalKb,
  },
  {
    name: "RSS with 2,000 idle connections",
    unit: "MiB",
    test: "idle2000",
    better: "lower",
    digits: 1,
    get: (r) => (num(r.rss_idle_kb) ?? NaN) / 1024,
  },
  {
    name: "RSS of the started server (before logins)",
    unit: "MiB",
    test: "idle100",
    better: "lower",
    digits: 1,
    get: (r) => (num(r.rss_before_kb) ?? NaN) / 1024,
  },
  {
    name: "Stanzas sent per status change",
    unit: "stanzas",
    test: "presence",
    better: "lower",
    digits: 2,
    get: (r) => num(r.stanzas_per_change),
  },
  {
    name: "Bytes sent per status change",
    unit: "bytes",
    test: "presence",
    better: "lower",
    digits: 0,
    get: (r) => num(r.bytes_per_change),
  },
  {
    name: "Server CPU per status change",
    unit: "ms",
    test: "presence",
    better: "lower",
    digits: 3,
    get: (r) => num(r.server_cpu_ms_per_change),
  },
];

function median(v: number[]): number | undefined {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (v: number | undefined, digits: number) =>
  v === undefined
    ? "–"
    : v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "0.52× ✓" where ✓ means Hato is better on this figure. */
function ratio(h: number | undefined, other: number | undefined, better: Figure["better"]): string {
  if (h === undefined || other === undefined || other === 0) return "–";
  const q = h / other;
  if (Math.abs(q - 1) < 0.03) return `${q.toFixed(2)}× ≈`;
  const good = better === "higher" ? q > 1 : q < 1;
  return `${q.toFixed(2)}× ${good ? "✓" : "✗"}`;
}

function main(): void {
  const { values } = parseArgs({ options: { run: { type: "string" }, out: { type: "string" } } });
  if (!values.run) throw new Error("usage: results --run OUTDIR [--out FILE]");
  const env = JSON.parse(readFileSync(join(values.run, "env.json"), "utf8")) as Env;
  const rows = readFileSync(join(values.run, "results.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Row);
  const servers = env.servers;
  const testOf = (r: Row) => r.label.split("/")[1]!;
  const serverOf = (r: Row) => r.label.split("/")[0]!;
  const figures = FIGURES.filter((f) => env.tests.includes(f.test));

  const med = new Map<string, number | undefined>();
  const spread = new Map<string, string>();
  for (const f of figures) {
    for (const s of servers) {
      const vals = rows
        .filter((r) => serverOf(r) === s && testOf(r) === f.test && !r.error)
        .map((r) => f.get(r, rows))
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      med.set(`${f.name}|${s}`, median(vals));
      spread.set(
        `${f.name}|${s}`,
        vals.length > 1
          ? `${fmt(Math.min(...vals), f.digits)}–${fmt(Math.max(...vals), f.digits)}`
          : "",
      );
    }
  }

  const L: string[] = [];
  const p = (s = "") => L.push(s);
  p("# Hato, Prosody and ejabberd side by side");
  p();
  p(
    `Generated by \`bench/results.ts\` from \`bench/run.sh\`${env.quick ? " --quick (smoke run: short tests, one round; not for conclusions)" : ""}. How to run and what each figure means: [docs/benchmarks.md](../docs/benchmarks.md).`,
  );
  p();
  p("## Machine");
  p();
  p(
    `- Date: ${env.date.slice(0, 10)}; CPU: ${env.cpu_model}, ${env.cpus} cores (shared, noisy virtual machine); RAM ${Math.round(env.mem_total_mib / 1024)} GiB; kernel ${env.kernel}`,
  );
  p(
    `- Hato ${env.hato_commit}${env.hato_dirty ? " (with uncommitted changes in packages/)" : ""} on Node ${env.node}; Prosody ${env.prosody} (Lua ${env.lua}); ejabberd ${env.ejabberd} (Erlang ${env.erlang}), all from this machine`,
  );
  p();
  p("## Method");
  p();
  p(
    `- Same mode for all three: client port with STARTTLS (self-signed RSA-2048 certificate), SASL SCRAM-SHA-1 against stored salted credentials with ${env.scram_iterations} PBKDF2 iterations (ejabberd's fixed count; Prosody's \`default_iteration_count\` and Hato's \`--scram-iterations\` set to match, so the driver does the same work for each), bind, initial presence, roster get.`,
  );
  p(
    `- Server pinned to CPU ${env.server_cpus || "(none)"} with \`taskset\`, load driver \`bench/peers/bench.mjs\` (Node, one process) to CPU ${env.driver_cpus || "(none)"}. A fresh server with fresh accounts for every test. ${env.rounds} round(s), interleaved: each test runs for ${servers.join(", ")} back to back before the next test; the table shows the median over rounds, the raw rounds are at the end.`,
  );
  p(
    "- Rate limits that would throttle a load test from one address are lifted on all three (Prosody without mod_limits, ejabberd without shapers, Hato with `--limits-unauthenticated-per-address` and `--limits-auth-failures-per-address` at 100000). Prosody runs Debian's default module set minus limits/s2s, ejabberd Debian's default modules minus MUC/HTTP/push; Hato its default modules.",
  );
  p(
    "- Tests: `login` 1,000 clients, 100 logging in at a time; `idle100`/`idle2000` log in 100 / 2,000 clients, wait, sample the server's RSS (summed over its process tree) three times; `tput` 20 pairs, each client keeps 16 messages in flight to its partner (closed loop, 15 s after 3 s warm-up); `lat` 50 pairs, each client sends 20 msg/s (open loop, 2,000 msg/s offered); `presence` (bench/presence.ts) N users with M contacts each, the same mutual (`both`) rosters made through the protocol on every server, all log in and become available, then every user changes status K times (one round after the other, each round waits until every contact has seen it); the clients count every stanza and byte the server sends them, and the server's CPU time is read from /proc.",
  );
  p();
  p(
    '- Memory: "RSS per idle connection" is the driver\'s (RSS idle − RSS before the first login) ÷ connections, so it carries start-up effects (a runtime that preallocated memory at start, as ejabberd\'s Erlang VM does, shows little growth for the first 100 connections; one that grows its heap on first use shows more). "Marginal" = (RSS at 2,000 − RSS at 100) ÷ 1,900 from the same round is the cleaner cost of one more connection.',
  );
  p();
  p("## Medians");
  p();
  const hasP = servers.includes("prosody");
  const hasE = servers.includes("ejabberd");
  p(
    `| figure | unit | ${servers.join(" | ")} |${hasP ? " Hato/Prosody |" : ""}${hasE ? " Hato/ejabberd |" : ""}`,
  );
  p(`|---|---|${servers.map(() => "---:").join("|")}|${hasP ? "---:|" : ""}${hasE ? "---:|" : ""}`);
  for (const f of figures) {
    const h = med.get(`${f.name}|hato`);
    const cells = servers.map((s) => fmt(med.get(`${f.name}|${s}`), f.digits));
    const rp = hasP ? ` ${ratio(h, med.get(`${f.name}|prosody`), f.better)} |` : "";
    const re = hasE ? ` ${ratio(h, med.get(`${f.name}|ejabberd`), f.better)} |` : "";
    p(`| ${f.name} (${f.better} is better) | ${f.unit} | ${cells.join(" | ")} |${rp}${re}`);
  }
  p();
  p("✓: Hato is better on that figure, ✗: worse, ≈: within 3 %. Range over rounds (min–max):");
  p();
  p(`| figure | ${servers.join(" | ")} |`);
  p(`|---|${servers.map(() => "---:").join("|")}|`);
  for (const f of figures)
    p(`| ${f.name} | ${servers.map((s) => spread.get(`${f.name}|${s}`) || "–").join(" | ")} |`);
  p();

  p("## Against the targets");
  p();
  // The issue's targets: at least parity on message throughput per core and on memory per
  // connection with both; the aim is twice their throughput and half Prosody's memory.
  const target = (figure: string, aimP: number, higher: boolean) => {
    const h = med.get(`${figure}|hato`);
    const parts: string[] = [];
    for (const [s, aim] of [
      ["prosody", aimP],
      ["ejabberd", higher ? aimP : 1],
    ] as const) {
      const o = med.get(`${figure}|${s}`);
      if (h === undefined || o === undefined) continue;
      const q = h / o;
      const parity = higher ? q >= 1 : q <= 1;
      const aimMet = higher ? q >= aim : q <= aim;
      parts.push(
        `${q.toFixed(2)}× ${s === "prosody" ? "Prosody" : "ejabberd"} (parity ${parity ? "met" : "NOT met"}${aim !== 1 ? `, aim ${aim}× ${aimMet ? "met" : "NOT met"}` : ""})`,
      );
    }
    if (parts.length) p(`- ${figure}: ${parts.join("; ")}.`);
  };
  target("Messages per second of server CPU (throughput per core)", 2, true);
  target("Message throughput, 20 pairs", 2, true);
  target("Marginal RSS per connection, 100 → 2,000", 0.5, false);
  target("RSS per idle connection, 2,000 connections", 0.5, false);
  // Issue 3: no more presence traffic than Prosody and ejabberd for the same work.
  target("Stanzas sent per status change", 1, false);
  target("Bytes sent per status change", 1, false);
  p();

  // Validity: things that would make a figure measure something else than the server.
  const notes: string[] = [];
  const others: number[] = [];
  for (const r of rows) {
    const t = testOf(r);
    if (r.error) notes.push(`${r.label}: failed (${r.error})`);
    if (r.failed) notes.push(`${r.label}: ${r.failed} logins failed`);
    if (r.lost)
      notes.push(`${r.label}: ${r.lost} messages not delivered within 10 s after the end`);
    if (r.errors) notes.push(`${r.label}: ${r.errors} error replies`);
    if (r.dropped_clients) notes.push(`${r.label}: ${r.dropped_clients} clients disconnected`);
    if (
      t === "login" &&
      r.login_all_s &&
      r.driver_cpu_login_s &&
      r.driver_cpu_login_s / r.login_all_s > 0.85
    ) {
      notes.push(
        `${r.label}: driver CPU ${Math.round((100 * r.driver_cpu_login_s) / r.login_all_s)}% during logins: the rate is bounded by the driver (compare server CPU per login)`,
      );
    }
    if (r.mode === "throughput" && (r.driver_cpu_pct ?? 0) > 70) {
      notes.push(
        `${r.label}: driver CPU ${r.driver_cpu_pct}%: the driver is near saturation, so the rate is a lower bound of what the server can do`,
      );
    }
    if (r.mode === "throughput" && r.window && (r.server_cpu_pct ?? 100) < 80) {
      notes.push(
        `${r.label}: the server got only ${r.server_cpu_pct}% of its core (others competed for it): msgs/s is low for this round, CPU per message is not affected`,
      );
    }
    const other = r.mode === "throughput" ? r.other_cpu_pct : r.other_cpu_pct_during_login;
    if (typeof other === "number") others.push(other);
    if ((other ?? 0) > 120)
      notes.push(
        `${r.label}: other processes used ${other}% CPU (of ${env.cpus * 100}%) meanwhile`,
      );
  }
  p("## Checks");
  p();
  const mo = median(others);
  if (mo !== undefined) {
    p(
      `Background load: other processes on the machine used a median of ${mo.toFixed(0)}% CPU (of ${env.cpus * 100}%) during the measured phases (range ${Math.min(...others)}–${Math.max(...others)}%; "other CPU %" in the last table). Figures per CPU time (µs/msg, ms/login) suffer least from it; rates and latencies more.`,
    );
    p();
  }
  if (notes.length === 0)
    p("No failed logins, lost messages, error replies or driver saturation were seen.");
  else for (const n of notes) p(`- ${n}`);
  p();
  p("## Every round");
  p();
  const presenceRows = rows.filter((r) => r.mode === "presence");
  if (presenceRows.length > 0) {
    p("Presence (per status change, counted at the clients):");
    p();
    p("| run | users × contacts × changes | stanzas | presence stanzas | bytes | srv CPU ms |");
    p("|---|---:|---:|---:|---:|---:|");
    for (const r of presenceRows)
      p(
        `| ${r.label} | ${r.users} × ${r.contacts} × ${r.changes_per_user} | ${fmt(r.stanzas_per_change, 2)} | ${fmt(r.presence_per_change, 2)} | ${fmt(r.bytes_per_change, 0)} | ${fmt(r.server_cpu_ms_per_change, 3)} |`,
      );
    p();
  }
  p(
    "| run | logins/s | srv ms/login | msgs/s | lat p50 / p99 (ms) | srv CPU % | srv µs/msg | driver CPU % | other CPU % | RSS before / idle (MiB) | KiB/conn |",
  );
  p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const order = (r: Row) =>
    `${r.label.split("/")[2]}|${env.tests.indexOf(testOf(r))}|${servers.indexOf(serverOf(r))}`;
  for (const r of [...rows]
    .filter((x) => x.mode !== "presence")
    .sort((a, b) => order(a).localeCompare(order(b)))) {
    const isTp = r.mode === "throughput";
    const perLogin =
      r.server_cpu_login_s != null && r.online
        ? fmt((r.server_cpu_login_s * 1000) / r.online, 2)
        : "";
    const mib = (kb?: number) => (kb ? (kb / 1024).toFixed(1) : "");
    p(
      `| ${r.label} | ${isTp ? "" : fmt(r.logins_per_s, 0)} | ${isTp ? "" : perLogin} | ${isTp ? fmt(r.msgs_per_s, 0) : ""} | ` +
        `${isTp && r.latency_ms ? `${r.latency_ms.p50.toFixed(2)} / ${r.latency_ms.p99.toFixed(2)}` : ""} | ${isTp ? (r.server_cpu_pct ?? "") : ""} | ` +
        `${isTp ? (r.server_cpu_us_per_msg ?? "") : ""} | ${isTp ? (r.driver_cpu_pct ?? "") : r.login_all_s && r.driver_cpu_login_s ? Math.round((100 * r.driver_cpu_login_s) / r.login_all_s) : ""} | ` +
        `${(isTp ? r.other_cpu_pct : r.other_cpu_pct_during_login) ?? ""} | ${r.rss_idle_kb ? `${mib(r.rss_before_kb)} / ${mib(r.rss_idle_kb)}` : ""} | ${r.rss_per_conn_kb ?? ""} |`,
    );
  }
  p();
  const out = values.out ?? join(values.run, "RESULTS.md");
  writeFileSync(out, `${L.join("\n")}${keptSection(out)}`);
  process.stdout.write(`${L.slice(L.indexOf("## Medians"), L.indexOf("## Checks")).join("\n")}\n`);
}

/**
 * The sections other benchmarks write into an existing report (`<!-- NAME:begin ... -->` to
 * `<!-- NAME:end -->`: the web client's, the upload's), kept when it is rewritten.
 */
function keptSection(file: string): string {
  let old: string;
  try {
    old = readFileSync(file, "utf8");
  } catch {
    return "";
  }
  const found = [...old.matchAll(/<!-- ([a-z-]+):begin[\s\S]*?<!-- \1:end -->/g)].map((m) => m[0]);
  return found.length > 0 ? `\n\n${found.join("\n\n")}\n` : "";
}

main();
