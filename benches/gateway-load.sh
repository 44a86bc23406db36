#!/usr/bin/env bash
# Load test of the player gateway: 1 000 players, 100 channels, cached grants, on loopback.
# Seeds a throwaway data directory, starts a release `lanyard gateway serve`, warms every
# player's secret once (argon2id), then runs wrk with benches/gateway-grants.lua and prints
# the gateway's own metrics. Needs `wrk` (Debian: apt-get install wrk).
#
#   benches/gateway-load.sh [PLAYERS] [CHANNELS] [DURATION] [CONNECTIONS] [THREADS]
#
# With LANYARD_DATABASE=postgres://…/EMPTY_DB the fixture and the gateway use that
# PostgreSQL database instead of SQLite (scripts/postgres starts a throwaway cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
PLAYERS=${1:-1000}
CHANNELS=${2:-100}
DURATION=${3:-30s}
CONNECTIONS=${4:-32}
THREADS=${5:-1}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
command -v wrk >/dev/null || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet -p lanyard-cli --bin lanyard
cargo build --release --quiet -p lanyard-gateway --example load_fixture
BIN="$CARGO_TARGET_DIR/release"
DATA=$(mktemp -d)
GW_PID=""
cleanup() {
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

"$BIN/examples/load_fixture" "$DATA" "$PLAYERS" "$CHANNELS"
"$BIN/lanyard" --data-dir "$DATA" --secret-store file --json gateway serve \
  --listen 127.0.0.1:0 >"$DATA/gateway.out" 2>"$DATA/gateway.err" &
GW_PID=$!
for _ in $(seq 50); do [ -s "$DATA/gateway.out" ] && break; sleep 0.1; done
URL=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$DATA/gateway.out")
[ -n "$URL" ] || { cat "$DATA/gateway.err" >&2; exit 1; }
echo "==> gateway at $URL (pid $GW_PID)"

echo "==> warming: one argon2id verification per player (not measured)"
verified() { curl -s "$URL/metrics" | sed -n 's/^lanyard_gateway_verified_players //p'; }
for _ in $(seq 60); do
  [ "$(verified)" -ge "$PLAYERS" ] && break
  wrk -t1 -c8 -d5s -s benches/gateway-grants.lua "$URL" -- "$DATA/load-players.txt" >/dev/null
done
echo "verified players: $(verified) of $PLAYERS"
[ "$(verified)" -ge "$PLAYERS" ] || { echo "error: warming did not finish" >&2; exit 1; }

echo "==> wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s benches/gateway-grants.lua $URL"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/gateway-grants.lua "$URL" -- "$DATA/load-players.txt"

echo "==> gateway metrics"
curl -s "$URL/metrics" | grep -E '^lanyard_gateway_(grants_total|denials_total|auth_failures_total|rate_limited_total|refreshes_total|verified_players) '
echo "==> time inside the gateway (all grants, warm-up included): cumulative buckets"
curl -s "$URL/metrics" | grep -E '^lanyard_gateway_grant_duration_seconds_(bucket\{le="(0.0001|0.00025|0.001|0.005|0.01|\+Inf)"\}|count)'
