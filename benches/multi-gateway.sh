#!/usr/bin/env bash
# Several gateways on one PostgreSQL store: the figure a site with thousands of screens
# needs to size its servers. Starts a throwaway PostgreSQL cluster (scripts/postgres),
# seeds PLAYERS players over CHANNELS channels (crates/gateway/examples/load_fixture) and
# one URL-token feed (benches/feed-upstream.mjs, `Cache-Control: max-age=10`), then for
# each count in COUNTS runs that many `lanyard gateway serve` processes (server profile) on the
# one database, each driven by its own wrk at the same time:
#   - /v1/grants (benches/gateway-grants.lua, every player in turn),
#   - cached /v1/fetch (benches/fetch-cached.lua, one session per gateway).
# Prints per count the total requests/s, the sum of the wrk processes' figures, and the
# worst p99 of them. Every gateway shares the data directory's file secret store (the
# master tokens) and the database's session keys. The load average is printed before and
# after each run, with a warning above 1.5 before the first: on a 2-core machine the
# gateways and the wrk processes share the same cores, so this measures the site's
# database and the gateways' sharing of it, not what more machines would add.
#
#   benches/multi-gateway.sh [COUNTS] [DURATION] [PLAYERS] [CHANNELS]
#   (defaults: "1 2 4" 15s 200 20)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNTS=${1:-1 2 4}
DURATION=${2:-15s}
PLAYERS=${3:-200}
CHANNELS=${4:-20}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanyard-target}"
command -v wrk >/dev/null || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v psql >/dev/null || { echo "error: psql is required (apt-get install postgresql)" >&2; exit 1; }

. benches/common.sh
load_report before

cargo build "$(profile_args)" --quiet -p lanyard-cli --bin lanyard
cargo build "$(profile_args)" --quiet -p lanyard-gateway --example load_fixture
BIN="$CARGO_TARGET_DIR/$(profile_dir)"
DATA=$(mktemp -d)
# Its own directory: scripts/postgres hands it to the postgres user, who cannot enter DATA.
PG=$(mktemp -d)
GW_PIDS=()
OTHER_PIDS=()
stop_gateways() {
  for p in "${GW_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  GW_PIDS=()
}
cleanup() {
  stop_gateways
  for p in "${OTHER_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  [ -d "$PG/data" ] && scripts/postgres stop "$PG" || true
  rm -rf "$DATA" "$PG"
}
trap cleanup EXIT

ADMIN=$(scripts/postgres start "$PG")
psql -q "$ADMIN" -c 'CREATE DATABASE bench' >/dev/null
export LANYARD_DATABASE="${ADMIN%/postgres}/bench"
lanyard() { "$BIN/lanyard" --data-dir "$DATA" --secret-store file --json "$@"; }
listening() { sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$1"; }
wait_for() { for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done; }
urlencode() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }

"$BIN/examples/load_fixture" "$DATA" "$PLAYERS" "$CHANNELS"

# One feed behind a URL token, one player linked to it (its session drives the fetches).
API_KEY="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
API_KEY=$API_KEY MAX_AGE=10 node benches/feed-upstream.mjs >"$DATA/up.out" &
OTHER_PIDS+=($!)
wait_for "$DATA/up.out"
UP=$(listening "$DATA/up.out")
TOKEN=$(printf '%s' "$API_KEY" | lanyard token add --url "$UP/feed" --key apikey 2>/dev/null |
  sed -n 's/^    "id": "\([^"]*\)".*/\1/p' | head -1)
out=$(lanyard player add "Lobby screen")
FEED_PLAYER=$(printf '%s' "$out" | sed -n 's/^  "id": "\([^"]*\)".*/\1/p')
FEED_SECRET=$(printf '%s' "$out" | sed -n 's/^  "secret": "\([^"]*\)".*/\1/p')
lanyard link add --player "$FEED_PLAYER" --token "$TOKEN" >/dev/null
FEED="$UP/feed/lobby"

start_gateways() {
  local n=$1 i
  for i in $(seq "$n"); do
    # One session per gateway drives its fetches: lift the per-player limits of /v1/fetch.
    "$BIN/lanyard" --data-dir "$DATA" --secret-store file --json gateway serve \
      --listen 127.0.0.1:0 --fetch-rate 4000000000 --fetch-burst 4000000000 \
      --fetch-concurrency 100000 >"$DATA/gw$i.out" 2>"$DATA/gw$i.err" &
    GW_PIDS+=($!)
  done
  for i in $(seq "$n"); do
    wait_for "$DATA/gw$i.out"
    [ -n "$(listening "$DATA/gw$i.out")" ] || { cat "$DATA/gw$i.err" >&2; exit 1; }
  done
}

# Every player's secret is verified once per gateway (argon2id, not measured).
warm() {
  local url=$1 verified
  for _ in $(seq 120); do
    verified=$(curl -s "$url/metrics" | sed -n 's/^lanyard_gateway_verified_players //p')
    [ "${verified:-0}" -ge "$PLAYERS" ] && return 0
    wrk -t1 -c8 -d3s -s benches/gateway-grants.lua "$url" -- "$DATA/load-players.txt" >/dev/null
  done
  echo "error: warming $url did not finish" >&2
  exit 1
}

# Runs one wrk per gateway at the same time; prints the sum of requests/s and the worst p99.
drive_all() {
  local what=$1 n=$2 i url pids=()
  for i in $(seq "$n"); do
    url=$(listening "$DATA/gw$i.out")
    if [ "$what" = grants ]; then
      wrk -t1 -c16 -d"$DURATION" --latency -s benches/gateway-grants.lua "$url" \
        -- "$DATA/load-players.txt" >"$DATA/$what-$n-$i.wrk" &
    else
      wrk -t1 -c16 -d"$DURATION" --latency -s benches/fetch-cached.lua "$url" \
        -- "$(cat "$DATA/session$i")" "$FEED" >"$DATA/$what-$n-$i.wrk" &
    fi
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  cat "$DATA/$what-$n-"*.wrk | awk -v what="$what" -v n="$n" '
    /^(grants|fetches)\/s/ { total += $2; if ($7 + 0 > p99) p99 = $7 + 0; bad += $13 + $16 }
    END { printf "%d gateway(s): %s/s total %.0f, worst p99 %.2f ms, non-2xx or socket errors %d\n", n, what, total, p99, bad }'
}

for n in $COUNTS; do
  echo "==> $n gateway(s) on one PostgreSQL database"
  start_gateways "$n"
  for i in $(seq "$n"); do
    url=$(listening "$DATA/gw$i.out")
    warm "$url"
    curl -s -X POST -H @<(printf 'Authorization: Bearer %s\n' "$FEED_SECRET") "$url/v1/sessions" |
      sed -n 's/.*"token":"\([^"]*\)".*/\1/p' >"$DATA/session$i"
    [ -s "$DATA/session$i" ] || { echo "error: no session from $url" >&2; exit 1; }
    curl -s -o /dev/null -H "Authorization: Bearer $(cat "$DATA/session$i")" \
      "$url/v1/fetch?url=$(urlencode "$FEED")"
  done
  load_report before
  drive_all grants "$n"
  drive_all fetches "$n"
  load_report after
  stop_gateways
done
echo "==> upstream requests during the run: $(curl -s "$UP/_count")"
load_report after
