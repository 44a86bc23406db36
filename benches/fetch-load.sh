#!/usr/bin/env bash
# Cached /v1/fetch throughput on loopback: one player's session token (as
# clients/lanyard-player.js holds it) asks a release `lanyard gateway serve` for one feed
# (`Cache-Control: max-age=10`, benches/feed-upstream.mjs) with wrk, against a bare axum
# handler (crates/gateway/examples/bare_json) driven by the same wrk command in the same
# run, before and after. Prints requests/s and the ratio (target >= 20 000/s, >= 0.5x).
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
command -v wrk >/dev/null || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 1; }
mapfile -t PERF_ARGS < <(perf_cargo_args)
cargo build --release --quiet "${PERF_ARGS[@]}" -p lanyard-cli --bin lanyard
cargo build --release --quiet "${PERF_ARGS[@]}" -p lanyard-gateway --example bare_json
BIN="$CARGO_TARGET_DIR/release"
DATA=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$DATA"
}
trap cleanup EXIT
lanyard() { "$BIN/lanyard" --data-dir "$DATA" --secret-store file --json "$@"; }
listening() { sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$1"; }
wait_for() { for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done; }

API_KEY="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
API_KEY=$API_KEY MAX_AGE=10 node benches/feed-upstream.mjs >"$DATA/up.out" &
PIDS+=($!)
wait_for "$DATA/up.out"
UP=$(listening "$DATA/up.out")
TOKEN=$(printf '%s' "$API_KEY" | lanyard token add --url "$UP/feed" --key apikey 2>/dev/null |
  sed -n 's/^    "id": "\([^"]*\)".*/\1/p' | head -1)
out=$(lanyard player add "Lobby screen")
PLAYER=$(printf '%s' "$out" | sed -n 's/^  "id": "\([^"]*\)".*/\1/p')
SECRET=$(printf '%s' "$out" | sed -n 's/^  "secret": "\([^"]*\)".*/\1/p')
lanyard link add --player "$PLAYER" --token "$TOKEN" >/dev/null

# One session drives the whole load: lift the per-player limits of /v1/fetch.
"$BIN/lanyard" --data-dir "$DATA" --secret-store file --json gateway serve --listen 127.0.0.1:0 \
  --fetch-rate 4000000000 --fetch-burst 4000000000 --fetch-concurrency 100000 \
  >"$DATA/gw.out" 2>"$DATA/gw.err" &
PIDS+=($!)
wait_for "$DATA/gw.out"
GW=$(listening "$DATA/gw.out")
[ -n "$GW" ] || { cat "$DATA/gw.err" >&2; exit 1; }
"$BIN/examples/bare_json" >"$DATA/bare.out" 2>"$DATA/bare.err" &
PIDS+=($!)
wait_for "$DATA/bare.out"
BARE=$(listening "$DATA/bare.out")

SESSION=$(curl -s -X POST -H @<(printf 'Authorization: Bearer %s\n' "$SECRET") "$GW/v1/sessions" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$SESSION" ] || { echo "error: no session" >&2; exit 1; }
FEED="$UP/feed/lobby"
if [ -n "${SHOW_HEADERS:-}" ]; then # SHOW_HEADERS=1: what each server answers, headers only
  curl -s -D - -o /dev/null -H "Authorization: Bearer $SESSION" \
    "$GW/v1/fetch?url=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$FEED")"
  curl -s -D - -o /dev/null "$BARE/v1/fetch"
fi
echo "==> warm-up: $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SESSION" \
  "$GW/v1/fetch?url=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$FEED")") from the gateway"
load_report before
rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
drive() {
  echo "==> $1: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s benches/fetch-cached.lua $2"
  local pid=${PIDS[2]} ticks
  [ "$1" = gateway ] && pid=${PIDS[1]} && perf_start "$pid"
  ticks=$(cpu_ticks "$pid")
  perf_stat_start "$pid"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/fetch-cached.lua "$2" -- "$SESSION" "$FEED" | tee "$DATA/$1.wrk"
  cpu_per_request "$pid" "$ticks" "$DATA/$1.wrk"
  perf_stop
}
drive bare-before "$BARE"
drive gateway "$GW"
drive bare-after "$BARE"
load_report after
echo "==> cached /v1/fetch as a ratio of the bare handler (same wrk command, same run)"
awk -v g="$(rps "$DATA/gateway.wrk")" -v b1="$(rps "$DATA/bare-before.wrk")" -v b2="$(rps "$DATA/bare-after.wrk")" \
  'BEGIN { b = (b1 + b2) / 2; printf "gateway %.0f/s (target >= 20000/s), bare %.0f/s and %.0f/s (mean %.0f): ratio %.2fx (target >= 0.5x)\n", g, b1, b2, b, g / b }'
echo "==> upstream requests during the run: $(curl -s "$UP/_count")"
