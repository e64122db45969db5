#!/usr/bin/env bash
# Coverage-guided fuzzing with Jazzer.js (libFuzzer) on Hato's fuzz targets.
#
#   fuzz/run.sh <target> [seconds]   fuzz fuzz/targets/<target>.ts (default 60 s)
#   fuzz/run.sh --self-test          prove the fuzzer sees coverage: it must find the bug
#                                    planted in fuzz/targets/self-test.ts within 90 s
#   fuzz/run.sh --list               list the targets
#
# Seeds come from fuzz/corpus/<target>/ (checked in); new inputs and crash files go to
# fuzz/corpus-work/<target>/ (ignored by git). Extra arguments after the seconds are passed
# to libFuzzer, e.g. `fuzz/run.sh xml-stream 600 -max_len=8192`.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

# Jazzer.js 4's prebuilt fuzzer-linux-x64.node wants glibc 2.38 and gcc 13's libstdc++. On older
# systems (Debian 12) a tiny shim supplies the three missing symbols and the .node's version
# needs are marked weak. The patch lives in node_modules, so it is re-applied after every
# `npm install`; both steps are skipped when already done.
prepare_jazzer() {
  local node_file=node_modules/@jazzer.js/fuzzer/prebuilds/fuzzer-linux-x64.node
  local shim=fuzz/dist/jazzer-compat/libjzshim.so
  PRELOAD=""
  if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
    return
  fi
  # LD_BIND_NOW: resolve every symbol at load time, or a weakened but unshimmed .node would
  # pass this check and fail later.
  if LD_BIND_NOW=1 node -e "require(process.argv[1])" "./$node_file" 2>/dev/null; then
    return # loads as is: a new enough glibc
  fi
  if [[ ! -f $shim || fuzz/jazzer-compat/shim.cc -nt $shim ]]; then
    mkdir -p "$(dirname "$shim")"
    g++ -O2 -shared -fPIC -o "$shim" fuzz/jazzer-compat/shim.cc
  fi
  PRELOAD="$PWD/$shim"
  if ! LD_BIND_NOW=1 LD_PRELOAD="$PRELOAD" node -e "require(process.argv[1])" "./$node_file" 2>/dev/null; then
    python3 fuzz/jazzer-compat/weakver.py "$node_file" GLIBC_2.38 GLIBCXX_3.4.32 >/dev/null
    LD_BIND_NOW=1 LD_PRELOAD="$PRELOAD" node -e "require(process.argv[1])" "./$node_file"
  fi
}

# Runs jazzer on a compiled target; its output goes to stdout and to $LOG.
jazzer() {
  local target=$1 seconds=$2
  shift 2
  local work=fuzz/corpus-work/$target
  mkdir -p "$work"
  local corpora=("$work")
  [[ -d fuzz/corpus/$target ]] && corpora+=("fuzz/corpus/$target")
  LD_PRELOAD="$PRELOAD" npx --no-install jazzer "fuzz/dist/targets/$target.js" "${corpora[@]}" --sync \
    -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" "$@" 2>&1 |
    tee "$LOG"
  return "${PIPESTATUS[0]}"
}

[[ $# -ge 1 ]] || usage
case "$1" in
  -h | --help) usage ;;
  --list)
    ls fuzz/targets/*.ts | xargs -n1 basename | sed 's/\.ts$//'
    exit 0
    ;;
esac

npx --no-install tsc -b fuzz
prepare_jazzer
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

if [[ $1 == --self-test ]]; then
  rm -rf fuzz/corpus-work/self-test
  set +e
  jazzer self-test 90 >/dev/null
  rc=$?
  set -e
  if [[ $rc -ne 0 ]] && grep -q "HATO_PLANTED_BUG reached" "$LOG"; then
    echo "fuzz self-test: OK, the planted bug was found ($(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$LOG" || echo 'runs unknown'))"
    rm -rf fuzz/corpus-work/self-test
    exit 0
  fi
  tail -20 "$LOG" >&2
  echo "fuzz self-test: FAILED, the planted bug was not found (jazzer exit $rc)" >&2
  exit 1
fi

target=$1
seconds=${2:-60}
shift $(($# >= 2 ? 2 : 1))
if [[ ! -f fuzz/dist/targets/$target.js ]]; then
  echo "unknown fuzz target '$target'; targets: $(ls fuzz/targets/*.ts | xargs -n1 basename | sed 's/\.ts$//' | tr '\n' ' ')" >&2
  exit 2
fi
set +e
jazzer "$target" "$seconds" "$@"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  echo "fuzz $target: FINDING or failure (jazzer exit $rc); reproducer in fuzz/corpus-work/$target/" >&2
fi
exit "$rc"
