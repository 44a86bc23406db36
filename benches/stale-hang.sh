#!/usr/bin/env bash
# Stale answers while the upstream hangs (issue 28): SCREENS screens (benches/stale-sim.mjs)
# as PLAYERS players linked to one URL token fetch one feed (`max-age=0`, so every request
# goes upstream) through `lanyard gateway serve --stale-deadline DEADLINE_MS`, once fresh;
# then the upstream hangs (benches/feed-upstream.mjs /_hang) and every screen asks again at
# once, ROUNDS times. Prints the latency of the stale answers (target: p99 <= the deadline
# + 10 ms) and the load average before and after, with a warning above a load of 1.5 (the figure
# then says little). PROFILE=debug uses the debug build instead of the server profile (common.sh).
#
#   benches/stale-hang.sh [SCREENS] [DEADLINE_MS] [ROUNDS] [PLAYERS]
set -euo pipefail
cd "$(dirname "$0")/.."
SCREENS=${1:-100}
DEADLINE_MS=${2:-1000}
ROUNDS=${3:-5}
PLAYERS=${4:-10}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
. benches/common.sh
cli_bench_setup

: >"$DATA/player-secrets.txt"
feed_upstream 0
for i in $(seq "$PLAYERS"); do
  linked_player "Screen group $i"
  printf '%s\n' "$SECRET" >>"$DATA/player-secrets.txt"
done
bench_gateway gw --stale-deadline "${DEADLINE_MS}ms"
GW=$URL
echo "==> $PROFILE gateway at $GW, --stale-deadline ${DEADLINE_MS}ms; $SCREENS screens as $PLAYERS players, $ROUNDS rounds while the upstream hangs"
load_report before
node benches/stale-sim.mjs "$GW" "$DATA/player-secrets.txt" "$UP/feed/lobby" "$UP/_hang" "$DEADLINE_MS" "$SCREENS" "$ROUNDS"
load_report after
echo "==> upstream: $(curl -s "$UP/_count")"
