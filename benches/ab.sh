#!/usr/bin/env bash
# Before and after, in one run: this checkout's gateway (server profile, see common.sh)
# against an older build's,
# alternating ROUNDS times (3 by default) with the same wrk command, each on its own data
# dir (an older build refuses a newer schema). Prints each server's requests/s and CPU per
# request, then the medians. On a machine whose speed drifts from minute to minute (a VM
# with noisy neighbours), only a comparison made this way, turn about in one run, can tell
# a change of 5 % from the drift; the ratio scripts (gateway-load.sh, fetch-load.sh) stay
# the issue's measure.
#
#   benches/ab.sh fetch|grants OLD_RELEASE_DIR [DURATION] [ROUNDS]
#
# OLD_RELEASE_DIR holds the older build's `lanyard` and, for grants, its
# `examples/load_fixture`, e.g. from a worktree of the older commit, built with this
# checkout's profile (a commit before the `server` profile: `--release` with the same
# settings, `--config 'profile.release.lto="fat"' --config 'profile.release.codegen-units=1'`):
#   git worktree add /tmp/old REV && (cd /tmp/old && CARGO_TARGET_DIR=/tmp/old-target \
#     cargo build --profile server -p lanyard-cli --bin lanyard -p lanyard-gateway --example load_fixture)
#   benches/ab.sh grants /tmp/old-target/server
# (PROFILE=release builds this checkout's side in `release` instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
WHAT=${1:?usage: benches/ab.sh fetch|grants OLD_RELEASE_DIR [DURATION] [ROUNDS]}
OLD_DIR=${2:?usage: benches/ab.sh fetch|grants OLD_RELEASE_DIR [DURATION] [ROUNDS]}
DURATION=${3:-8s}
ROUNDS=${4:-3}
OLD_DIR=$(cd "$OLD_DIR" && pwd)
[ -x "$OLD_DIR/lanyard" ] || { echo "error: no lanyard in $OLD_DIR" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
wrk_bench_setup load_fixture
NEW_BIN=$BIN
NEW_DATA=$DATA
OLD_DATA=$(mktemp -d)
trap 'cleanup; rm -rf "$OLD_DATA"' EXIT

declare -A URLS PID_OF ARGS
# Points BIN and DATA at SIDE's build and data (new: this checkout's; old: OLD_DIR's).
on_side() { # SIDE
  if [ "$1" = new ]; then BIN=$NEW_BIN DATA=$NEW_DATA; else BIN=$OLD_DIR/lanyard DATA=$OLD_DATA; fi
}
# SIDE's gateway on its own data (common.sh's bench_gateway), its address and pid kept.
serve_side() { # SIDE
  bench_gateway "$1"
  URLS[$1]=$URL
  PID_OF[$1]=${PIDS[-1]}
}
case "$WHAT" in
  fetch)
    for side in new old; do
      on_side "$side"
      feed_upstream 10
      linked_player "$side screen"
      serve_side "$side"
      SESSION=$(bench_session "${URLS[$side]}")
      [ -n "$SESSION" ] || { echo "error: no session from the $side gateway" >&2; exit 1; }
      ARGS[$side]="benches/fetch-cached.lua ${URLS[$side]} -- $SESSION $UP/feed/lobby"
    done
    ;;
  grants)
    [ -x "$OLD_DIR/examples/load_fixture" ] || { echo "error: no examples/load_fixture in $OLD_DIR" >&2; exit 1; }
    "$BUILD_DIR/examples/load_fixture" "$NEW_DATA" 200 20 >/dev/null
    "$OLD_DIR/examples/load_fixture" "$OLD_DATA" 200 20 >/dev/null
    for side in new old; do
      on_side "$side"
      serve_side "$side"
      ARGS[$side]="benches/gateway-grants.lua ${URLS[$side]} -- $DATA/load-players.txt"
      warm_players "${URLS[$side]}" 200 "$DATA/load-players.txt"
    done
    ;;
  *) echo "usage: benches/ab.sh fetch|grants OLD_RELEASE_DIR [DURATION] [ROUNDS]" >&2; exit 2 ;;
esac
settle
load_report before
for round in $(seq "$ROUNDS"); do
  for side in new old; do
    ticks=$(cpu_ticks "${PID_OF[$side]}")
    # shellcheck disable=SC2086
    wrk -t1 -c32 -d"$DURATION" -s ${ARGS[$side]} >"$NEW_DATA/$side-$round.wrk"
    printf '%s round %s: %s/s, non-2xx %s\n' "$side" "$round" \
      "$(rps "$NEW_DATA/$side-$round.wrk")" \
      "$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$NEW_DATA/$side-$round.wrk" | grep . || echo 0)"
    cpu_per_request "${PID_OF[$side]}" "$ticks" "$NEW_DATA/$side-$round.wrk" | tee -a "$NEW_DATA/$side.cpu"
  done
done
load_report after
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
new=$(sed -n 's/.*CPU: \([0-9.]*\) us.*/\1/p' "$NEW_DATA/new.cpu" | median)
old=$(sed -n 's/.*CPU: \([0-9.]*\) us.*/\1/p' "$NEW_DATA/old.cpu" | median)
echo "==> $WHAT, CPU per request (median of $ROUNDS rounds): this checkout $new us, the older build $old us"
awk -v n="$new" -v o="$old" 'BEGIN { if (o > 0) printf "this checkout costs %.2fx the older build per request\n", n / o }'
