#!/usr/bin/env bash
# Upload throughput benchmark: Hato (built-in engine, clamd) next to Prosody's
# mod_http_file_share, 1 MB and 100 MB files, on this machine.
#
#   bash bench/upload.sh                      3 rounds, writes its section of bench/RESULTS.md
#   bash bench/upload.sh --rounds 1 --sizes 1,10 --results OUT.md
#
# Needs root (Prosody runs as the `prosody` user through runuser), Debian's prosody and
# clamav-daemon. Options go to bench/dist/upload.js (--sizes MB,MB --rounds R --results FILE
# --json FILE). Raw figures also go to bench/out/upload-DATE.json (not committed).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."
command -v prosody >/dev/null || { echo "upload.sh: Debian's prosody is needed" >&2; exit 1; }
[ -x /usr/sbin/clamd ] || { echo "upload.sh: Debian's clamav-daemon is needed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "upload.sh: run as root (Prosody is started as its own user)" >&2; exit 1; }
npx tsc -b . bench
mkdir -p bench/out
args=("$@")
have() { for a in "${args[@]}"; do [ "$a" = "$1" ] && return 0; done; return 1; }
have --results || args+=(--results bench/RESULTS.md)
have --json || args+=(--json "bench/out/upload-$(date +%Y%m%d-%H%M%S).json")
exec node bench/dist/upload.js "${args[@]}"
