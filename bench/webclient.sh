#!/usr/bin/env bash
# Web client benchmark: navigation → contact list for the Hato web client and Converse.js (npm
# package converse.js), same Hato account with 50 contacts, same run, Debian's Chromium.
#
#   bash bench/webclient.sh                 7 rounds, writes its section of bench/RESULTS.md
#   bash bench/webclient.sh --rounds 3 --contacts 100 --results OUT.md
#
# Options go to bench/dist/webclient.js (--contacts N, --rounds R, --results FILE, --json FILE,
# --screenshots DIR). Raw figures also go to bench/out/webclient-DATE.json (not committed).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."
[ -x /usr/bin/chromium ] || { echo "webclient.sh: Debian's chromium is needed (apt-get install chromium)" >&2; exit 1; }
npx tsc -b
npm run build -w @hato/web >/dev/null
mkdir -p bench/out
args=("$@")
have() { for a in "${args[@]}"; do [ "$a" = "$1" ] && return 0; done; return 1; }
have --rounds || args+=(--rounds 7)
have --results || args+=(--results bench/RESULTS.md)
have --json || args+=(--json "bench/out/webclient-$(date +%Y%m%d-%H%M%S).json")
exec node bench/dist/webclient.js "${args[@]}"
