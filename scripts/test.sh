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
step "lint and format check (biome)"
# A lint failure fails the run, but the tests still run so that one report shows everything.
npx biome check . || { status=1; echo "test.sh: lint failed (npx biome check --write . fixes formatting)" >&2; }

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
# Two cores: two test files at a time; interop files start servers and client processes.
node --test --test-reporter=tap --test-concurrency=2 --test-timeout=120000 "${others[@]}" || status=1
if [[ ${#browser[@]} -gt 0 ]]; then
  step "browser tests (Chromium, one file at a time)"
  node --test --test-reporter=tap --test-concurrency=1 --test-timeout=120000 "${browser[@]}" || status=1
fi

if [[ -f fuzz/run.sh ]]; then
  step "fuzz (short)"
  bash fuzz/run.sh --self-test || status=1
  bash fuzz/run.sh xml-stream 30 || status=1
  bash fuzz/run.sh stanza-router 30 || status=1
fi

if [[ $status -ne 0 ]]; then
  echo "test.sh: FAILED" >&2
fi
exit "$status"
