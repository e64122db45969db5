#!/usr/bin/env bash
# OMEMO benchmark: encryption and decryption per message (100 B and 4 KiB), round trips plain
# and encrypted, and starting a session with a new device, in Debian's Chromium and in Node.
#
#   bash bench/omemo.sh                     3 rounds, writes its section of bench/RESULTS.md
#   bash bench/omemo.sh --messages 50 --devices 5 --rounds 1 --results OUT.md
#
# Options go to bench/dist/omemo.js (--messages N, --devices K, --rounds R, --results FILE,
# --json FILE). Raw figures also go to bench/out/omemo-DATE.json (not committed).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."
[ -x /usr/bin/chromium ] || { echo "omemo.sh: Debian's chromium is needed (apt-get install chromium)" >&2; exit 1; }
npx tsc -b
mkdir -p bench/out
args=("$@")
have() { for a in "${args[@]}"; do [ "$a" = "$1" ] && return 0; done; return 1; }
have --results || args+=(--results bench/RESULTS.md)
have --json || args+=(--json "bench/out/omemo-$(date +%Y%m%d-%H%M%S).json")
exec node bench/dist/omemo.js "${args[@]}"
