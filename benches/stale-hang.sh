#!/usr/bin/env bash
# Stale answers while the upstream hangs (issue 28): SCREENS screens (benches/stale-sim.mjs)
# as PLAYERS players linked to one URL token fetch one feed (`max-age=0`, so every request
# goes upstream) through `lanyard gateway serve --stale-deadline DEADLINE_MS`, once fresh;
# then the upstream hangs (benches/feed-upstream.mjs /_hang) and every screen asks again at
# once, ROUNDS times. Prints the latency of the stale answers (target: p99 <= the deadline
# + 10 ms) and `uptime` before and after, with a warning above a load of 1.5 (the figure
# then says little). PROFILE=debug uses the debug build instead of a release one.
#
#   benches/stale-hang.sh [SCREENS] [DEADLINE_MS] [ROUNDS] [PLAYERS]
set -euo pipefail
cd "$(dirname "$0")/.."
SCREENS=${1:-100}
DEADLINE_MS=${2:-1000}
ROUNDS=${3:-5}
PLAYERS=${4:-10}
PROFILE=${PROFILE:-release}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
. benches/common.sh
cli_bench_setup
load() {
  echo "    uptime $1: $(uptime)"
  awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v w="$1" \
    'BEGIN { if (l > 1.5) printf "warning: load %s %s the run is above 1.5: the figure is not an idle-machine figure\n", l, w }'
}

API_KEY="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
API_KEY=$API_KEY MAX_AGE=0 node benches/feed-upstream.mjs >"$DATA/up.out" &
PIDS+=($!)
wait_for "$DATA/up.out"
UP=$(listening "$DATA/up.out")
TOKEN=$(printf '%s' "$API_KEY" | lanyard token add --url "$UP/feed" --key apikey 2>/dev/null |
  sed -n 's/^    "id": "\([^"]*\)".*/\1/p' | head -1)
[ -n "$TOKEN" ] || { echo "error: could not add the token" >&2; exit 1; }
: >"$DATA/player-secrets.txt"
for i in $(seq "$PLAYERS"); do
  out=$(lanyard player add "Screen group $i")
  id=$(printf '%s' "$out" | sed -n 's/^  "id": "\([^"]*\)".*/\1/p')
  printf '%s\n' "$(printf '%s' "$out" | sed -n 's/^  "secret": "\([^"]*\)".*/\1/p')" >>"$DATA/player-secrets.txt"
  lanyard link add --player "$id" --token "$TOKEN" >/dev/null
done

"$BIN" --data-dir "$DATA" --secret-store file --json gateway serve --listen 127.0.0.1:0 \
  --stale-deadline "${DEADLINE_MS}ms" \
  --fetch-rate 4000000000 --fetch-burst 4000000000 --fetch-concurrency 100000 \
  >"$DATA/gw.out" 2>"$DATA/gw.err" &
PIDS+=($!)
wait_for "$DATA/gw.out"
GW=$(listening "$DATA/gw.out")
[ -n "$GW" ] || { cat "$DATA/gw.err" >&2; exit 1; }
echo "==> $PROFILE gateway at $GW, --stale-deadline ${DEADLINE_MS}ms; $SCREENS screens as $PLAYERS players, $ROUNDS rounds while the upstream hangs"
load before
node benches/stale-sim.mjs "$GW" "$DATA/player-secrets.txt" "$UP/feed/lobby" "$UP/_hang" "$DEADLINE_MS" "$SCREENS" "$ROUNDS"
load after
echo "==> upstream: $(curl -s "$UP/_count")"
