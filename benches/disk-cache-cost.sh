#!/usr/bin/env bash
# What the disk cache costs cached /v1/fetch (issue 28: at most 5 %): the same wrk command
# as benches/fetch-load.sh (one session, one feed with `max-age=MAX_AGE`) against two
# `lanyard gateway serve` on one installation, one with the disk cache (the default) and
# one with --no-disk-cache, in the order off, on, off. Prints requests/s, the ratio on/off
# (target >= 0.95), how many files the disk cache holds, and the load average before and after
# with a warning above a load of 1.5. PROFILE=debug uses the debug build.
#
#   benches/disk-cache-cost.sh [DURATION] [CONNECTIONS] [THREADS] [MAX_AGE]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20s}
CONNECTIONS=${2:-32}
THREADS=${3:-1}
MAX_AGE=${4:-1}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
command -v wrk >/dev/null || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 1; }
. benches/common.sh
cli_bench_setup

feed_upstream "$MAX_AGE"
linked_player "Lobby screen"
bench_gateway on
ON=$URL
bench_gateway off --no-disk-cache
OFF=$URL
FEED="$UP/feed/lobby"
drive() { # NAME GATEWAY
  local s
  s=$(bench_session "$2")
  [ -n "$s" ] || { echo "error: no session from $2" >&2; exit 1; }
  echo "==> $1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s benches/fetch-cached.lua $2"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/fetch-cached.lua "$2" -- "$s" "$FEED" | tee "$DATA/$1.wrk"
}
echo "==> $PROFILE gateways: disk cache on at $ON, off at $OFF; feed max-age=$MAX_AGE"
load_report before
drive off-before "$OFF"
drive on "$ON"
drive off-after "$OFF"
load_report after
echo "==> the disk cache after the run: $(find "$DATA/fetch-cache" -name '*.lyc' 2>/dev/null | wc -l) file(s), $(du -sk "$DATA/fetch-cache" 2>/dev/null | cut -f1) KiB"
awk -v on="$(rps "$DATA/on.wrk")" -v a="$(rps "$DATA/off-before.wrk")" -v b="$(rps "$DATA/off-after.wrk")" \
  'BEGIN { off = (a + b) / 2; printf "disk cache on %.0f/s, off %.0f/s and %.0f/s (mean %.0f): ratio %.3f (target >= 0.95)\n", on, a, b, off, on / off }'
echo "==> upstream requests during the run: $(curl -s "$UP/_count")"
