#!/usr/bin/env bash
# Many screens, one upstream request: SCREENS simulated screens (benches/screens-sim.mjs,
# which uses clients/lanyard-player.js: POST /v1/sessions, GET /v1/fetch) poll FEEDS feeds
# with `Cache-Control: max-age=MAX_AGE` every INTERVAL seconds for DURATION seconds
# through a release `lanyard gateway serve`, as PLAYERS players linked to one URL token.
# Prints what the screens got and how many requests reached the upstream, against the
# target FEEDS × (DURATION / MAX_AGE + 1).
#
#   benches/screens.sh [SCREENS] [FEEDS] [INTERVAL] [DURATION] [PLAYERS] [MAX_AGE]
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
SCREENS=${1:-1000}
FEEDS=${2:-10}
INTERVAL=${3:-10}
DURATION=${4:-60}
PLAYERS=${5:-100}
MAX_AGE=${6:-10}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
cargo build --release --quiet -p lanyard-cli --bin lanyard
BIN="$CARGO_TARGET_DIR/release/lanyard"
DATA=$(mktemp -d)
GW_PID=""
UP_PID=""
cleanup() {
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null || true
  [ -n "$UP_PID" ] && kill "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
lanyard() { "$BIN" --data-dir "$DATA" --secret-store file --json "$@"; }
listening() { sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$1"; }
wait_for() { for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done; }

API_KEY="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
API_KEY=$API_KEY MAX_AGE=$MAX_AGE node benches/feed-upstream.mjs >"$DATA/up.out" &
UP_PID=$!
wait_for "$DATA/up.out"
UP=$(listening "$DATA/up.out")

echo "==> $PLAYERS players linked to one URL token for $UP/feed"
TOKEN=$(printf '%s' "$API_KEY" | lanyard token add --url "$UP/feed" --key apikey 2>/dev/null |
  sed -n 's/^    "id": "\([^"]*\)".*/\1/p' | head -1)
[ -n "$TOKEN" ] || { echo "error: could not add the token" >&2; exit 1; }
: >"$DATA/player-secrets.txt"
for i in $(seq "$PLAYERS"); do
  out=$(lanyard player add "Screen group $i")
  id=$(printf '%s' "$out" | sed -n 's/^  "id": "\([^"]*\)".*/\1/p')
  printf '%s' "$out" | sed -n 's/^  "secret": "\([^"]*\)".*/\1/p' >>"$DATA/player-secrets.txt"
  lanyard link add --player "$id" --token "$TOKEN" >/dev/null
done

# One player stands for many screens here: lift the per-player limits of /v1/fetch.
"$BIN" --data-dir "$DATA" --secret-store file --json gateway serve --listen 127.0.0.1:0 \
  --fetch-rate 4000000000 --fetch-burst 4000000000 --fetch-concurrency 100000 \
  >"$DATA/gw.out" 2>"$DATA/gw.err" &
GW_PID=$!
wait_for "$DATA/gw.out"
GW=$(listening "$DATA/gw.out")
[ -n "$GW" ] || { cat "$DATA/gw.err" >&2; exit 1; }
echo "==> gateway at $GW; $SCREENS screens × $FEEDS feeds every ${INTERVAL}s for ${DURATION}s (max-age=$MAX_AGE)"
load_report before
node benches/screens-sim.mjs "$GW" "$DATA/player-secrets.txt" "$UP" "$SCREENS" "$FEEDS" "$INTERVAL" "$DURATION" | tee "$DATA/sim.json"
load_report after
echo "==> upstream"
curl -s "$UP/_count"
echo
awk -v got="$(curl -s "$UP/_count" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')" \
  -v f="$FEEDS" -v d="$DURATION" -v m="$MAX_AGE" \
  'BEGIN { t = f * (int(d / m) + 1); printf "upstream requests %d (target <= %d = %d x (%d/%d + 1)): %s\n", got, t, f, d, m, (got <= t ? "met" : "MISSED") }'
