#!/usr/bin/env bash
# Cached /v1/fetch throughput on loopback: one player's session token (as
# clients/lanyard-player.js holds it) asks a `lanyard gateway serve` (server profile) for one feed
# (`Cache-Control: max-age=10`, benches/feed-upstream.mjs) with wrk, against a bare axum
# handler (crates/gateway/examples/bare_json) driven by the same wrk command in the same
# run, before and after. Prints requests/s and the ratio (target >= 20 000/s, >= 0.8x: #30).
# Then a second baseline, the same bare handler answering with the gateway's headers and
# body size (BARE_ANSWER=gateway): how much of the gap is what the gateway must send.
#
#   benches/fetch-load.sh [DURATION] [CONNECTIONS] [THREADS]
#
# With PERF_DATA=FILE the gateway's run is profiled, with PERF_STAT=1 both servers' context
# switches are counted (benches/common.sh); every run prints each server's CPU per request.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
DURATION=${1:-20s}
CONNECTIONS=${2:-32}
THREADS=${3:-1}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
wrk_bench_setup bare_json
feed_upstream 10
linked_player "Lobby screen"
bench_gateway gw
GW=$URL
bench_bare
bench_bare_as_gateway

SESSION=$(bench_session "$GW")
[ -n "$SESSION" ] || { echo "error: no session" >&2; exit 1; }
FEED="$UP/feed/lobby"
if [ -n "${SHOW_HEADERS:-}" ]; then # SHOW_HEADERS=1: what each server answers, headers only
  curl -s -D - -o /dev/null -H "Authorization: Bearer $SESSION" \
    "$GW/v1/fetch?url=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$FEED")"
  curl -s -D - -o /dev/null "$BARE/v1/fetch"
  curl -s -D - -o /dev/null "$BAREG/v1/fetch"
fi
echo "==> warm-up: $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SESSION" \
  "$GW/v1/fetch?url=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$FEED")") from the gateway"
load_report before
drive() { # NAME URL PID
  echo "==> $1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s benches/fetch-cached.lua $2"
  local pid=$3 ticks
  [ "$1" = gateway ] && perf_start "$pid"
  ticks=$(cpu_ticks "$pid")
  perf_stat_start "$pid"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/fetch-cached.lua "$2" -- "$SESSION" "$FEED" | tee "$DATA/$1.wrk"
  cpu_per_request "$pid" "$ticks" "$DATA/$1.wrk"
  perf_stop
}
drive bare-before "$BARE" "$BARE_PID"
drive gateway "$GW" "${PIDS[1]}"
drive bare-after "$BARE" "$BARE_PID"
drive bare-with-the-gateways-headers "$BAREG" "$BAREG_PID"
load_report after
echo "==> cached /v1/fetch as a ratio of the bare handler (same wrk command, same run)"
awk -v g="$(rps "$DATA/gateway.wrk")" -v b1="$(rps "$DATA/bare-before.wrk")" -v b2="$(rps "$DATA/bare-after.wrk")" \
  'BEGIN { b = (b1 + b2) / 2; printf "gateway %.0f/s (target >= 20000/s), bare %.0f/s and %.0f/s (mean %.0f): ratio %.2fx (target >= 0.8x, #30)\n", g, b1, b2, b, g / b }'
echo "==> against the second baseline, a bare handler sending the gateway's headers and body size (after the first)"
awk -v g="$(rps "$DATA/gateway.wrk")" -v b="$(rps "$DATA/bare-with-the-gateways-headers.wrk")" \
  'BEGIN { printf "gateway %.0f/s, bare with the gateway'"'"'s headers %.0f/s: ratio %.2fx\n", g, b, g / b }'
echo "==> upstream requests during the run: $(curl -s "$UP/_count")"
