#!/usr/bin/env bash
# Run a private Hato server from this repository for benchmarking, on loopback only, with the
# same interface as peers/prosody.sh and peers/ejabberd.sh.
#
#   hato.sh start  [PORT]   start on 127.0.0.1:PORT (STARTTLS c2s; direct TLS off), default 35222
#   hato.sh stop   [PORT]   SIGTERM, wait for exit (SIGKILL after 10 s)
#   hato.sh status [PORT]   print pid + RSS if running
#   hato.sh pid    [PORT]   print the server pid (for bench.mjs --pid)
#
# Environment knobs:
#   BENCH_STATE=/tmp/hato-bench  runtime state root (data folder, log, pidfile under hato-PORT/)
#   TEMPLATE=DIR             with FRESH=1: copy this data folder (accounts made by mkusers-hato) first
#   FRESH=1                  wipe the data folder before starting
#   SCRAM_ITERATIONS=4096    --scram-iterations (only affects passwords stored by the server itself)
#   CERT=FILE KEY=FILE       PEM certificate and key (--tls-cert/--tls-key); default: a self-signed
#                            RSA-2048 pair under BENCH_STATE/certs, the same kind the peers scripts make
#   CPUS=0                   pin the server to these CPUs (taskset -c)
#   NOFILE=<hard limit>      open-files limit for the server
#   LOGLEVEL=warn            --log-level
#   NODE_OPTS="..."          extra node flags (e.g. --cpu-prof --cpu-prof-dir=DIR, --expose-gc)
#   HATO_FLAGS="..."         extra `hato start` flags
#
# Differences from a default `hato start` (all for load tests on loopback):
#   --limits-unauthenticated-per-address and --limits-auth-failures-per-address raised to 100000
#   (defaults 16 and 10 per address would refuse a benchmark's 100 parallel logins from 127.0.0.1).
#   --mam-default never: the reference servers run without a message archive (no mod_mam), so
#   Hato archives nothing either and message figures compare delivery with delivery.
set -euo pipefail

cmd=${1:-}
PORT=${2:-35222}
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
STATE=${BENCH_STATE:-/tmp/hato-bench}
BASE="$STATE/hato-$PORT"
DATA="$BASE/data"
PIDFILE="$BASE/hato.pid"
LOG="$BASE/hato.log"
LOGLEVEL=${LOGLEVEL:-warn}
NOFILE=${NOFILE:-$(ulimit -Hn)}
PIN=""; [ -n "${CPUS:-}" ] && PIN="taskset -c $CPUS"

die() { echo "hato.sh: $*" >&2; exit 1; }

getpid() {
  [ -s "$PIDFILE" ] || return 1
  local p; p=$(tr -dc '0-9' < "$PIDFILE")
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  echo "$p"
}

ensure_cert() {
  CERT=${CERT:-$STATE/certs/localhost.crt}
  KEY=${KEY:-$STATE/certs/localhost.key}
  if [ ! -s "$CERT" ] || [ ! -s "$KEY" ]; then
    mkdir -p "$(dirname "$CERT")"
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost" -keyout "$KEY" -out "$CERT" >/dev/null 2>&1
    chmod 600 "$KEY"
  fi
}

case "$cmd" in
  start)
    if p=$(getpid); then die "already running (pid $p) on port $PORT"; fi
    if (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; then die "port $PORT already in use"; fi
    [ -f "$REPO/packages/cli/dist/main.js" ] || die "not built: run npx tsc -b first"
    # The node flags the `hato` launcher uses (its shebang), so the bench runs what users run.
    LAUNCH_FLAGS=$(head -n 1 "$REPO/packages/cli/bin/hato.js" | sed -n 's/^#!.*node \{0,1\}//p')
    mkdir -p "$BASE"
    if [ "${FRESH:-0}" = 1 ]; then
      rm -rf "$DATA"
      if [ -n "${TEMPLATE:-}" ]; then cp -a "$TEMPLATE" "$DATA"; fi
    fi
    ensure_cert
    : > "$LOG"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # NODE_OPTS, HATO_FLAGS and PIN are word lists on purpose
    (
      ulimit -n "$NOFILE"
      exec $PIN node $LAUNCH_FLAGS ${NODE_OPTS:-} "$REPO/packages/cli/dist/main.js" start --data "$DATA" \
        --domain localhost --host 127.0.0.1 --c2s-port "$PORT" --tls-port 0 \
        --tls-cert "$CERT" --tls-key "$KEY" --log-level "$LOGLEVEL" \
        --scram-iterations "${SCRAM_ITERATIONS:-4096}" \
        --limits-unauthenticated-per-address 100000 --limits-auth-failures-per-address 100000 \
        --mam-default never ${HATO_FLAGS:-}
    ) < /dev/null >> "$LOG" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 300); do
      grep -q '^hato: ready' "$LOG" && break
      kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -20 "$LOG" >&2; die "exited during start"; }
      sleep 0.1
    done
    grep -q '^hato: ready' "$LOG" || { tail -20 "$LOG" >&2; die "not ready after 30 s"; }
    t1=$(date +%s.%N)
    printf 'hato started pid %s port %s (%.2fs) state=%s\n' "$(cat "$PIDFILE")" "$PORT" \
      "$(echo "$t1 - $t0" | bc)" "$BASE"
    ;;
  stop)
    if p=$(getpid); then
      kill -TERM "$p"
      for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$p" 2>/dev/null; then kill -KILL "$p"; fi
      echo "hato on port $PORT stopped (pid $p)"
    else
      echo "hato on port $PORT not running"
    fi
    ;;
  status)
    if p=$(getpid); then
      echo "running pid $p $(grep VmRSS /proc/"$p"/status)"
    else
      echo "not running"; exit 1
    fi
    ;;
  pid)
    getpid || exit 1
    ;;
  *)
    sed -n '2,/^set -e/p' "$0" | sed '$d'; exit 2 ;;
esac
