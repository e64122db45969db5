#!/usr/bin/env bash
# Side-by-side benchmark: Hato, Prosody and ejabberd on this machine, same mode, same driver.
#
#   bash bench/run.sh            full run: 3 interleaved rounds (about 20-30 minutes), writes bench/RESULTS.md
#   bash bench/run.sh --quick    smoke run: 1 round, short tests (about 4 minutes), writes OUTDIR/RESULTS.md
#   (the web client against Converse.js in the browser is a separate run: bash bench/webclient.sh)
#
# Options:
#   --rounds N            rounds (default 3; --quick: 1)
#   --servers "..."       subset of "hato prosody ejabberd" (order = order within a round)
#   --tests "..."         subset of "login idle100 idle2000 tput lat presence" (also: tput50)
#   --presence            only the presence scenario (same as --tests presence)
#   --out DIR             results folder (default bench/out/run-DATE[-quick])
#   --results FILE        where the report goes (default bench/RESULTS.md; --quick: OUTDIR/RESULTS.md)
#   --no-build            do not run `npx tsc -b bench` first
#
# Mode for every server: plain c2s port + STARTTLS (self-signed RSA-2048 certificate), SASL
# SCRAM-SHA-1 against stored hashed credentials with 4096 PBKDF2 iterations (ejabberd's fixed
# count; Prosody and Hato are configured to match, so the driver does the same work for all).
# Each server runs pinned to CPU 0 and the driver (bench/peers/bench.mjs) to CPU 1; every test
# starts a fresh server with fresh accounts. The presence test (bench/dist/presence.js) first makes
# the same mutual rosters on every server through the protocol (subscribe/subscribed both ways),
# then counts what the server sends per status change. Results: OUTDIR/results.jsonl (one line per test),
# OUTDIR/env.json, a log per test; bench/dist/results.js turns them into the report.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$REPO"

QUICK=0; ROUNDS=""; SERVERS="hato prosody ejabberd"; TESTS=""; OUTDIR=""; RESULTS=""; BUILD=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --servers) SERVERS=$2; shift ;;
    --tests) TESTS=$2; shift ;;
    --presence) TESTS=presence ;;
    --out) OUTDIR=$2; shift ;;
    --results) RESULTS=$2; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
stamp=$(date +%Y%m%d-%H%M%S)
if [ "$QUICK" = 1 ]; then
  ROUNDS=${ROUNDS:-1}; OUTDIR=${OUTDIR:-$HERE/out/run-$stamp-quick}; RESULTS=${RESULTS:-$OUTDIR/RESULTS.md}
else
  ROUNDS=${ROUNDS:-3}; OUTDIR=${OUTDIR:-$HERE/out/run-$stamp}; RESULTS=${RESULTS:-$HERE/RESULTS.md}
fi
TESTS=${TESTS:-"login idle100 idle2000 tput lat presence"}
ITER=4096
export BENCH_STATE=${BENCH_STATE:-/tmp/hato-bench}
export PEERS_STATE=$BENCH_STATE

# ------------------------------------------------------------------ prerequisites
need() { command -v "$1" >/dev/null 2>&1; }
missing=""
for s in $SERVERS; do
  case $s in
    hato) ;;
    prosody) need prosody && need prosodyctl || missing="$missing prosody" ;;
    ejabberd) need ejabberdctl && need erl || missing="$missing ejabberd" ;;
    *) echo "run.sh: unknown server $s" >&2; exit 2 ;;
  esac
done
if [ -n "$missing" ]; then
  echo "run.sh: not installed:$missing" >&2
  echo "  install them (Debian/Ubuntu, as root): apt-get update && apt-get install -y$missing" >&2
  echo "  or leave them out: bash bench/run.sh --servers hato" >&2
  exit 1
fi
for t in node taskset openssl bc runuser; do need "$t" || { echo "run.sh: $t is required" >&2; exit 1; }; done
if [ "$SERVERS" != hato ] && [ "$(id -u)" != 0 ]; then
  echo "run.sh: Prosody and ejabberd are started as their system users through runuser: run as root" >&2
  exit 1
fi
# The packaged services would hold their default ports and skew the figures.
for svc in prosody ejabberd; do
  if pgrep -x "$svc" >/dev/null 2>&1 && ! pgrep -af "$svc" | grep -q "$BENCH_STATE"; then
    echo "run.sh: warning: a system $svc seems to run (service $svc stop)" >&2
  fi
done

NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then SERVER_CPUS=${SERVER_CPUS-0}; DRIVER_CPUS=${DRIVER_CPUS-1}; else SERVER_CPUS=""; DRIVER_CPUS=""; fi
DPIN=""; [ -n "$DRIVER_CPUS" ] && DPIN="taskset -c $DRIVER_CPUS"
export CPUS="$SERVER_CPUS"
# Many idle connections: lift this shell's open-files limit (the driver inherits it; the server
# scripts raise their own through NOFILE).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export NOFILE=$(ulimit -Hn)
[ "$(ulimit -n)" -ge 5000 ] || echo "run.sh: warning: open-files limit $(ulimit -n) is low for 2000 connections" >&2

if [ "$BUILD" = 1 ]; then
  echo "building (npx tsc -b bench) ..."
  npx tsc -b bench || { echo "run.sh: build failed (use --no-build to run the last build)" >&2; exit 1; }
fi
for f in packages/cli/dist/main.js bench/dist/mkusers-hato.js bench/dist/results.js bench/dist/presence.js; do
  [ -f "$f" ] || { echo "run.sh: $f missing: build first (npx tsc -b)" >&2; exit 1; }
done

# ------------------------------------------------------------------ ports and state
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }
declare -A PORT
# Below Linux's range for outgoing connections' local ports (32768-60999 by default): the
# load drivers open thousands of connections, and one of them could take a port picked
# there before the server that was meant to listen on it starts.
PORT[hato]=$(pick_port 25222); PORT[prosody]=$(pick_port 25322); PORT[ejabberd]=$(pick_port 25422)
script_of() { case $1 in hato) echo "$HERE/hato.sh" ;; *) echo "$HERE/peers/$1.sh" ;; esac; }

mkdir -p "$OUTDIR" "$BENCH_STATE"
chmod 755 "$BENCH_STATE"
RES="$OUTDIR/results.jsonl"
: > "$RES"

cleanup() {
  for s in $SERVERS; do "$(script_of "$s")" stop "${PORT[$s]}" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }
node - "$OUTDIR/env.json" <<EOF
const fs = require("node:fs");
const cpu = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m) || [])[1] || "?";
const mem = (fs.readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s*(\d+)/m) || [])[1];
fs.writeFileSync(process.argv[2], JSON.stringify({
  date: new Date().toISOString(), cpu_model: cpu.trim(), cpus: $NCPU, mem_total_mib: Math.round(mem / 1024),
  kernel: "$(uname -r)", node: process.version, prosody: "$(ver prosody)", ejabberd: "$(ver ejabberd)",
  erlang: "$(ver erlang-base)", lua: "$(ver lua5.4)", hato_commit: "$(git rev-parse --short HEAD 2>/dev/null || echo '?')",
  hato_dirty: $( [ -n "$(git status --porcelain -- packages 2>/dev/null)" ] && echo true || echo false ),
  quick: $( [ "$QUICK" = 1 ] && echo true || echo false ), rounds: $ROUNDS, servers: "$SERVERS".split(" "),
  tests: "$TESTS".split(" "), scram_iterations: $ITER, server_cpus: "$SERVER_CPUS", driver_cpus: "$DRIVER_CPUS",
}, null, 1) + "\n");
EOF

# Hato's accounts: derived once per run into a template data folder, copied for every fresh start.
TEMPLATE="$BENCH_STATE/hato-template"
if [[ " $SERVERS " == *" hato "* ]]; then
  rm -rf "$TEMPLATE"
  node bench/dist/mkusers-hato.js --data "$TEMPLATE" --users 2000 --iterations "$ITER"
fi

# ------------------------------------------------------------------ tests
# users each test needs, and the driver arguments (full / quick)
# presence: N users, M contacts each, K status changes per user (bench/presence.ts)
PRESENCE_USERS=500; PRESENCE_CONTACTS=20; PRESENCE_CHANGES=5
[ "$QUICK" = 1 ] && { PRESENCE_USERS=100; PRESENCE_CONTACTS=10; PRESENCE_CHANGES=3; }
users_for() { case $1 in login) echo 1000 ;; idle100) echo 100 ;; idle2000) echo 2000 ;; tput) echo 40 ;; tput50|lat) echo 100 ;; presence) echo "$PRESENCE_USERS" ;; esac; }
driver_args() {
  local q=$QUICK
  case $1 in
    login)    [ "$q" = 1 ] && echo "--mode login --users 300" || echo "--mode login --users 1000" ;;
    idle100)  [ "$q" = 1 ] && echo "--mode idle --users 100 --settle 3 --samples 2" || echo "--mode idle --users 100 --settle 5 --samples 3" ;;
    idle2000) [ "$q" = 1 ] && echo "--mode idle --users 2000 --settle 3 --samples 2" || echo "--mode idle --users 2000 --settle 10 --samples 3" ;;
    tput)     [ "$q" = 1 ] && echo "--mode throughput --pairs 20 --window 16 --duration 4 --warmup 1" \
                           || echo "--mode throughput --pairs 20 --window 16 --duration 15 --warmup 3" ;;
    tput50)   [ "$q" = 1 ] && echo "--mode throughput --pairs 50 --window 16 --duration 4 --warmup 1" \
                           || echo "--mode throughput --pairs 50 --window 16 --duration 15 --warmup 3" ;;
    lat)      [ "$q" = 1 ] && echo "--mode throughput --pairs 50 --rate 20 --duration 4 --warmup 1" \
                           || echo "--mode throughput --pairs 50 --rate 20 --duration 15 --warmup 3" ;;
    presence) echo "--users $PRESENCE_USERS --contacts $PRESENCE_CONTACTS --changes $PRESENCE_CHANGES --setup" ;;
    *) echo "run.sh: unknown test $1" >&2; exit 2 ;;
  esac
}

start_server() { # start_server NAME PORT
  case $1 in
    hato) FRESH=1 TEMPLATE="$TEMPLATE" SCRAM_ITERATIONS=$ITER "$HERE/hato.sh" start "$2" ;;
    prosody) FRESH=1 TLS=on AUTH=hashed SCRAM_ITERATIONS=$ITER "$HERE/peers/prosody.sh" start "$2" ;;
    ejabberd) FRESH=1 TLS=on AUTH=hashed "$HERE/peers/ejabberd.sh" start "$2" ;;
  esac
}
make_users() { # make_users NAME N PORT (Hato's come from the template)
  case $1 in
    hato) ;;
    *) "$HERE/peers/mkusers" "$1" "$2" "$3" ;;
  esac
}

t_start=$(date +%s)
echo "results -> $OUTDIR (servers: $SERVERS; tests: $TESTS; rounds: $ROUNDS; pinning server=$SERVER_CPUS driver=$DRIVER_CPUS)"
for r in $(seq 1 "$ROUNDS"); do
  for t in $TESTS; do
    for s in $SERVERS; do
      label="$s/$t/r$r"; port=${PORT[$s]}; logf="$OUTDIR/${label//\//_}.log"
      printf '=== %-22s (%ds elapsed)\n' "$label" "$(( $(date +%s) - t_start ))"
      "$(script_of "$s")" stop "$port" >/dev/null 2>&1 || true
      {
        start_server "$s" "$port" && make_users "$s" "$(users_for "$t")" "$port" && sleep 2
      } > "$logf" 2>&1 || {
        echo "!!! $label: server start failed (see $logf)"; tail -n 5 "$logf" | sed 's/^/    /'
        # Recorded, so that the report lists the missing round instead of a median of fewer.
        printf '{"label":"%s","mode":"failed","error":"server start failed (see %s)"}\n' "$label" "$(basename "$logf")" >> "$RES"
        continue
      }
      pid=$("$(script_of "$s")" pid "$port")
      if [ "$t" = presence ]; then
        # shellcheck disable=SC2046 # driver_args is a word list
        $DPIN node bench/dist/presence.js --port "$port" --pid "$pid" \
          --json "$RES" --label "$label" $(driver_args "$t") >> "$logf" 2>&1 || echo "!!! $label failed (see $logf)"
      else
        # shellcheck disable=SC2046 # driver_args is a word list
        $DPIN node "$HERE/peers/bench.mjs" --port "$port" --pid "$pid" --starttls --mech scram-sha-1 \
          --json "$RES" --label "$label" $(driver_args "$t") >> "$logf" 2>&1 || echo "!!! $label failed (see $logf)"
      fi
      grep -E '^\[.*\] [0-9]+/[0-9]+ online|"(logins_per_s|msgs_per_s|rss_per_conn_kb|stanzas_per_change)"' "$logf" | sed 's/^/    /' | head -n 3 || true
      "$(script_of "$s")" stop "$port" >> "$logf" 2>&1 || true
    done
  done
done
echo "done in $(( $(date +%s) - t_start ))s"
node bench/dist/results.js --run "$OUTDIR" --out "$RESULTS"
echo "report -> $RESULTS"
