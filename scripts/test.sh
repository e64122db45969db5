#!/usr/bin/env bash
# The whole test suite (`npm test`): provision, build and type check, lint, every test, a short fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "provision"
bash scripts/provision.sh

step "build and type check (tsc -b)"
npx tsc -b

step "build the web client and the admin console (vite)"
# The browser tests and the JavaScript budget test use packages/web/dist and packages/admin/dist
# as they are now.
npm run build -w @hato/web >/dev/null
npm run build -w @hato/admin >/dev/null

status=0
# Every step's failures are listed again at the very end, so the last lines of a long run say
# what failed (CI keeps only the tail of the output).
report=$(mktemp -d)
trap 'rm -rf "$report"' EXIT
failed() { status=1; printf '%s\n' "$*" >>"$report/failures"; }

step "lint and format check (biome)"
# A lint failure fails the run, but the tests still run so that one report shows everything.
npx biome check . || failed "lint (npx biome check --write . fixes formatting)"

step "tests (node --test)"
# Node 20 takes explicit files; listing them ourselves keeps helpers under test/dist (agents,
# support code) from being run as tests, and fails loudly when the build produced none.
mapfile -t files < <(find packages/*/dist test/dist -name '*.test.js' -type f 2>/dev/null | sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "no compiled test files found (packages/*/dist, test/dist)" >&2
  exit 1
fi
echo "${#files[@]} test files"
# Browser tests (test/dist/browser) run Chromium: one file at a time, after the others.
browser=() others=()
for f in "${files[@]}"; do
  if [[ $f == test/dist/browser/* ]]; then browser+=("$f"); else others+=("$f"); fi
done
# run_tests <name> <concurrency> <files...>: TAP to the terminal and to $report/<name>.tap.
run_tests() {
  local name=$1 concurrency=$2 rc=0
  shift 2
  node --test --test-reporter=tap --test-concurrency="$concurrency" --test-timeout=120000 "$@" |
    tee "$report/$name.tap" || rc=$?
  [[ $rc -eq 0 ]] || failed "$name: $(tap_failures "$report/$name.tap")"
}
# The failed tests in a TAP file, one per line after the first: name, place and error. Suites
# that failed only because a subtest did are left out.
tap_failures() {
  awk -v root="$PWD/" '
    /^ *not ok / { name = $0; sub(/^ *not ok [0-9]+ - /, "", name); open = 1; place = ""; error = ""; kind = ""; more = 0; next }
    open && /^ *location: / { place = $0; sub(/^ *location: /, "", place); gsub(/\047/, "", place); sub(root, "", place) }
    open && /^ *failureType: / { kind = $0 }
    open && more > 0 { line = $0; sub(/^ +/, "", line); error = (error == "" ? line : error " " line); more--; next }
    open && /^ *error: / && error == "" {
      error = $0; sub(/^ *error: /, "", error)
      # A multi-line error (a YAML block, as fast-check writes with its seed): its first lines.
      if (error ~ /^[|>]-?$/) { error = ""; more = 3 }
    }
    open && /^ *\.\.\.$/ {
      open = 0
      if (kind !~ /subtestsFailed/) printf "\n  not ok: %s (%s): %s", name, place, substr(error, 1, 300)
    }
  ' "$1"
}
# Two cores: two test files at a time; interop files start servers and client processes.
run_tests tests 2 "${others[@]}"
if [[ ${#browser[@]} -gt 0 ]]; then
  step "browser tests (Chromium, one file at a time)"
  run_tests browser 1 "${browser[@]}"
fi

if [[ -f fuzz/run.sh ]]; then
  step "fuzz (short)"
  bash fuzz/run.sh --self-test || failed "fuzz self-test"
  # libFuzzer prints a line per new input; only the last lines are worth reading.
  for target in xml-stream stanza-router; do
    if bash fuzz/run.sh "$target" 30 >"$report/fuzz-$target.log" 2>&1; then
      echo "fuzz $target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$report/fuzz-$target.log" || echo done)"
    else
      tail -40 "$report/fuzz-$target.log"
      failed "fuzz $target (reproducer in fuzz/corpus-work/$target/)"
    fi
  done
fi

step "summary"
for tap in "$report"/*.tap; do
  [[ -f $tap ]] && echo "$(basename "$tap" .tap): $(grep -E '^# (tests|pass|fail|cancelled|skipped) ' "$tap" | sed 's/^# //' | tr '\n' ' ')"
done
if [[ $status -ne 0 ]]; then
  echo "test.sh: FAILED" >&2
  sed 's/^/  /' "$report/failures" >&2
else
  echo "test.sh: all passed"
fi
exit "$status"
