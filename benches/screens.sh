#!/usr/bin/env bash
# Many screens, one upstream request: SCREENS simulated screens (benches/screens-sim.mjs,
# which uses clients/lanyard-player.js: POST /v1/sessions, GET /v1/fetch) poll FEEDS feeds
# with `Cache-Control: max-age=MAX_AGE` every INTERVAL seconds for DURATION seconds
# through a `lanyard gateway serve` (server profile), as PLAYERS players linked to one URL token.
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
cli_bench_setup
feed_upstream "$MAX_AGE"
echo "==> $PLAYERS players linked to one URL token for $UP/feed"
: >"$DATA/player-secrets.txt"
for i in $(seq "$PLAYERS"); do
  linked_player "Screen group $i"
  printf '%s\n' "$SECRET" >>"$DATA/player-secrets.txt"
done

# One player stands for many screens here: lift the per-player limits of /v1/fetch.
bench_gateway gw
GW=$URL
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
