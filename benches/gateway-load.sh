#!/usr/bin/env bash
# Load test of the player gateway: 1 000 players, 100 channels, cached grants, on loopback.
# Seeds a throwaway data directory, starts a `lanyard gateway serve` of the server profile, warms every
# player's secret once (argon2id), then runs wrk with benches/gateway-grants.lua and prints
# the gateway's own metrics. Needs `wrk` (Debian: apt-get install wrk).
#
#   benches/gateway-load.sh [PLAYERS] [CHANNELS] [DURATION] [CONNECTIONS] [THREADS]
#
# With LANYARD_DATABASE=postgres://…/EMPTY_DB the fixture and the gateway use that
# PostgreSQL database instead of SQLite (scripts/postgres starts a throwaway cluster).
# With PERF_DATA=FILE the gateway's run is profiled, with PERF_STAT=1 both servers' context
# switches are counted (benches/common.sh); every run prints each server's CPU per request.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
PLAYERS=${1:-1000}
CHANNELS=${2:-100}
DURATION=${3:-30s}
CONNECTIONS=${4:-32}
THREADS=${5:-1}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
wrk_bench_setup load_fixture bare_json

"$BUILD_DIR/examples/load_fixture" "$DATA" "$PLAYERS" "$CHANNELS"
"$BIN" --data-dir "$DATA" --secret-store file --json gateway serve \
  --listen 127.0.0.1:0 >"$DATA/gateway.out" 2>"$DATA/gateway.err" &
GW_PID=$!
PIDS+=("$GW_PID")
wait_for "$DATA/gateway.out"
URL=$(listening "$DATA/gateway.out")
[ -n "$URL" ] || { cat "$DATA/gateway.err" >&2; exit 1; }
echo "==> gateway at $URL (pid $GW_PID)"

echo "==> warming: one argon2id verification per player (not measured)"
warm_players "$URL" "$PLAYERS" "$DATA/load-players.txt"

# The baseline: a bare axum handler answering a fixed small JSON body, driven by the same
# wrk command in the same run (before and after the gateway, to see the machine drift).
# The second baseline (BARE_ANSWER=gateway, last): the same handler taking the request as
# any grant handler must, header and JSON body read: what is left is the gateway's own work.
bench_bare
bench_bare_as_gateway
settle
drive() { # NAME URL PID
  echo "==> $1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s benches/gateway-grants.lua $2"
  local pid=$3 ticks
  [ "$1" = gateway ] && perf_start "$pid"
  ticks=$(cpu_ticks "$pid")
  perf_stat_start "$pid"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/gateway-grants.lua "$2" -- "$DATA/load-players.txt" | tee "$DATA/$1.wrk"
  cpu_per_request "$pid" "$ticks" "$DATA/$1.wrk"
  perf_stop
}
load_report before
drive bare-before "$BARE" "$BARE_PID"
drive gateway "$URL" "$GW_PID"
drive bare-after "$BARE" "$BARE_PID"
drive bare-taking-the-body "$BAREG" "$BAREG_PID"
load_report after
echo "==> throughput of /v1/grants as a ratio of the bare handler (same wrk command, same run)"
awk -v g="$(rps "$DATA/gateway.wrk")" -v b1="$(rps "$DATA/bare-before.wrk")" -v b2="$(rps "$DATA/bare-after.wrk")" \
  'BEGIN { b = (b1 + b2) / 2; printf "gateway %.0f/s, bare %.0f/s and %.0f/s (mean %.0f): ratio %.2fx (target >= 0.8x, #30)\n", g, b1, b2, b, g / b }'

echo "==> against the second baseline, a bare handler that takes the request as any grant handler must (reads the Authorization header and the body, parses the JSON; after the first)"
awk -v g="$(rps "$DATA/gateway.wrk")" -v b="$(rps "$DATA/bare-taking-the-body.wrk")" \
  'BEGIN { printf "gateway %.0f/s, bare taking the body %.0f/s: ratio %.2fx\n", g, b, g / b }'

echo "==> gateway metrics"
curl -s "$URL/metrics" | grep -E '^lanyard_gateway_(grants_total|denials_total|auth_failures_total|rate_limited_total|refreshes_total|verified_players) '
echo "==> time inside the gateway (all grants, warm-up included): cumulative buckets"
curl -s "$URL/metrics" | grep -E '^lanyard_gateway_grant_duration_seconds_(bucket\{le="(0.0001|0.00025|0.001|0.005|0.01|\+Inf)"\}|count)'
