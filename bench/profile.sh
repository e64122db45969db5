#!/usr/bin/env bash
# Profiles Hato under the benchmark's workloads (same mode and pinning as bench/run.sh).
#
#   bash bench/profile.sh cpu [tput|lat]   V8 CPU profile of the server during the throughput
#                                          (default) or fixed-rate latency workload, summarised
#   bash bench/profile.sh mem              memory at 0, 100 and 2,000 idle connections:
#                                          process.memoryUsage() before/after a full GC, V8 heap
#                                          spaces, and a heap snapshot at 2,000 grouped by constructor
# Output: bench/out/profile-DATE/ (summary.md, the .cpuprofile / .heapsnapshot files, logs).
# Open a .cpuprofile in Chrome DevTools (Performance tab) or speedscope for flame graphs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"
what=${1:-cpu}; workload=${2:-tput}
export BENCH_STATE=${BENCH_STATE:-/tmp/hato-bench}
OUT="$HERE/out/profile-$(date +%Y%m%d-%H%M%S)-$what"
mkdir -p "$OUT" "$BENCH_STATE"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export NOFILE=$(ulimit -Hn) CPUS=0 SCRAM_ITERATIONS=4096
DPIN="taskset -c 1"
port=35522; while (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do port=$((port + 1)); done
TEMPLATE="$BENCH_STATE/hato-template-profile"
[ -s "$TEMPLATE/hato.db" ] || node bench/dist/mkusers-hato.js --data "$TEMPLATE" --users 2000 --iterations 4096
trap '"$HERE/hato.sh" stop "$port" >/dev/null 2>&1 || true' EXIT
drive() { $DPIN node "$HERE/peers/bench.mjs" --port "$port" --pid "$("$HERE/hato.sh" pid "$port")" --starttls --mech scram-sha-1 "$@"; }

case $what in
  cpu)
    case $workload in
      tput) args=(--mode throughput --pairs 20 --window 16 --duration 15 --warmup 3) ;;
      lat) args=(--mode throughput --pairs 50 --rate 20 --duration 15 --warmup 3) ;;
      *) echo "profile.sh cpu tput|lat" >&2; exit 2 ;;
    esac
    FRESH=1 TEMPLATE="$TEMPLATE" NODE_OPTS="--cpu-prof --cpu-prof-dir=$OUT" "$HERE/hato.sh" start "$port"
    drive "${args[@]}" --json "$OUT/driver.jsonl" --label "hato/$workload/profile" > "$OUT/driver.log" 2>&1
    "$HERE/hato.sh" stop "$port" # the profile is written when the process exits
    prof=$(ls "$OUT"/*.cpuprofile | head -n 1)
    {
      echo "# CPU profile of Hato, workload $workload (${args[*]})"
      echo
      grep -E '"(msgs_per_s|server_cpu_pct|server_cpu_us_per_msg)"' "$OUT/driver.log" | tr -d ' ,' | sed 's/^/- /'
      echo
      node bench/dist/profile-summary.js cpu "$prof" --top 30
    } > "$OUT/summary.md"
    ;;
  mem)
    FRESH=1 TEMPLATE="$TEMPLATE" NODE_OPTS="--expose-gc --import $HERE/dist/mem-probe.js" \
      HATO_MEM_PROBE="$OUT/mem.jsonl" HATO_MEM_PROBE_SNAPSHOT="" "$HERE/hato.sh" start "$port"
    pid=$("$HERE/hato.sh" pid "$port")
    probe() { # probe LABEL: ask the server for a sample, wait for its line
      local n; n=$(wc -l 2>/dev/null < "$OUT/mem.jsonl" || echo 0)
      kill -USR2 "$pid"
      for _ in $(seq 1 600); do [ "$(wc -l 2>/dev/null < "$OUT/mem.jsonl" || echo 0)" -gt "$n" ] && break; sleep 0.1; done
      echo "$1" >> "$OUT/labels.txt"
    }
    sleep 2; probe "0 connections"
    drive --mode idle --users 100 --settle 5 --samples 1 --hold 8 > "$OUT/idle100.log" 2>&1 &
    d=$!; until grep -q '"rss_per_conn_kb"\|online in' "$OUT/idle100.log" 2>/dev/null; do sleep 0.5; done
    sleep 7; probe "100 connections"; wait "$d" || true
    sleep 3; probe "after the 100 left"
    drive --mode idle --users 2000 --settle 10 --samples 1 --hold 15 > "$OUT/idle2000.log" 2>&1 &
    d=$!; until grep -q 'online in' "$OUT/idle2000.log" 2>/dev/null; do sleep 0.5; done
    sleep 12; probe "2000 connections"
    wait "$d" || true
    "$HERE/hato.sh" stop "$port" >/dev/null
    # Heap snapshot in a separate start so the snapshot's pause does not disturb the figures above.
    FRESH=1 TEMPLATE="$TEMPLATE" NODE_OPTS="--expose-gc --import $HERE/dist/mem-probe.js" \
      HATO_MEM_PROBE="$OUT/mem-snap.jsonl" HATO_MEM_PROBE_SNAPSHOT="$OUT" "$HERE/hato.sh" start "$port"
    pid=$("$HERE/hato.sh" pid "$port")
    drive --mode idle --users 2000 --settle 10 --samples 1 --hold 40 > "$OUT/idle2000-snap.log" 2>&1 &
    d=$!; until grep -q 'online in' "$OUT/idle2000-snap.log" 2>/dev/null; do sleep 0.5; done
    sleep 12; kill -USR2 "$pid"
    for _ in $(seq 1 900); do [ -s "$OUT/mem-snap.jsonl" ] && break; sleep 0.2; done
    wait "$d" || true
    snap=$(ls "$OUT"/*.heapsnapshot | head -n 1)
    node - "$OUT" > "$OUT/summary.md" <<'EOF'
const fs = require("node:fs");
const dir = process.argv[2];
const rows = fs.readFileSync(`${dir}/mem.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const labels = fs.readFileSync(`${dir}/labels.txt`, "utf8").trim().split("\n");
const mib = (b) => (b / 1048576).toFixed(1);
console.log("# Hato memory at idle connections (STARTTLS + SCRAM-SHA-1, after settling)\n");
console.log("| state | handles | RSS | heap used | heap total | external | arrayBuffers | malloced | RSS after GC | heap used after GC | external after GC |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
labels.forEach((l, i) => {
  const r = rows[i]; if (!r) return; const b = r.before, a = r.after || {};
  console.log(`| ${l} | ${r.handles} | ${mib(b.rss)} | ${mib(b.heapUsed)} | ${mib(b.heapTotal)} | ${mib(b.external)} | ${mib(b.arrayBuffers)} | ${mib(b.mallocedMemory)} | ${mib(a.rss)} | ${mib(a.heapUsed)} | ${mib(a.external)} |`);
});
const z = rows[labels.indexOf("0 connections")], k = rows[labels.indexOf("2000 connections")];
if (z && k) {
  console.log("\nPer connection, (2000 connections − 0) / 2000, in KiB (MiB figures above are MiB):\n");
  console.log("| field | before GC | after GC |\n|---|---:|---:|");
  for (const f of ["rss", "heapUsed", "heapTotal", "external", "arrayBuffers", "mallocedMemory"]) {
    const d = (x, y) => (x && y && x[f] != null && y[f] != null ? ((y[f] - x[f]) / 2000 / 1024).toFixed(1) : "–");
    console.log(`| ${f} | ${d(z.before, k.before)} | ${d(z.after, k.after)} |`);
  }
  console.log("\nV8 heap spaces after GC, per connection (KiB):\n");
  console.log("| space | KiB per conn |\n|---|---:|");
  for (const s of Object.keys(k.after.spaces)) console.log(`| ${s} | ${((k.after.spaces[s] - z.after.spaces[s]) / 2000 / 1024).toFixed(1)} |`);
}
EOF
    echo >> "$OUT/summary.md"
    node --max-old-space-size=4096 bench/dist/profile-summary.js heap "$snap" --per 2000 --top 35 >> "$OUT/summary.md"
    ;;
  *) sed -n '2,/^set -e/p' "$0" | sed '$d'; exit 2 ;;
esac
echo "summary -> $OUT/summary.md"
