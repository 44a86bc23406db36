# Sourced by the scripts in benches/: the machine's load average, printed before and after
# a measurement, with a warning when it is above LOAD_LIMIT (1.5): a busy machine slows a
# bare handler more than the gateway and flatters every ratio, so figures taken then must
# not be recorded as idle-machine figures (docs/benchmarks.md).
#
#   . benches/common.sh; load_report before; …measure…; load_report after
LOAD_LIMIT=${LOAD_LIMIT:-1.5}
load_report() { # WHEN (before|after)
  local avg
  if [ -r /proc/loadavg ]; then
    avg=$(cut -d' ' -f1-3 /proc/loadavg)
  else
    avg=$(uptime | sed -n 's/.*load averages*: *//p' | tr -d ',')
  fi
  echo "    load $1: ${avg:-unknown} (1, 5, 15 min)"
  local one=${avg%% *}
  if [ -n "$one" ] && awk -v l="$one" -v m="$LOAD_LIMIT" 'BEGIN { exit !(l > m) }'; then
    echo "    WARNING: load average $one is above $LOAD_LIMIT $1 the run: the machine is busy, these are not idle-machine figures"
  fi
  [ "$1" = before ] && busy_report
  return 0
}

# The CPU in use right now, over one second of /proc/stat, with a warning naming the
# busiest processes when it is above BUSY_LIMIT percent (20). The load average lags: a
# process that started spinning a few minutes ago still reads ~1.2 on two cores, under
# LOAD_LIMIT, while taking a whole core from the run (docs/benchmarks.md, stop 39).
BUSY_LIMIT=${BUSY_LIMIT:-20}
busy_report() {
  [ -r /proc/stat ] || return 0
  local a b
  a=$(awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6; exit }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6; exit }' /proc/stat)
  local busy
  busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
    t = y[1] - x[1]; printf "%d", (t > 0 ? 100 * (t - (y[2] - x[2])) / t : 0) }')
  echo "    CPU in use before: ${busy} % of the machine (1 s)"
  if [ "$busy" -gt "$BUSY_LIMIT" ]; then
    echo "    WARNING: the CPU is ${busy} % busy before the run: these are not idle-machine figures; the busiest processes:"
    ps -eo pid,pcpu,etime,args --sort=-pcpu 2>/dev/null | sed -n '2,4p' | cut -c1-120 | sed 's/^/      /'
  fi
}

# Waits (at most SETTLE_SECONDS, 90 by default) for the 1-minute load average to fall below
# LOAD_LIMIT: after a script's own set-up (the grants run's argon2id warm-up), so the load
# printed before the measurement is the machine's, not the set-up's.
settle() {
  local waited=0 one
  while [ "$waited" -lt "${SETTLE_SECONDS:-90}" ]; do
    one=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null) || return 0
    awk -v l="$one" -v m="$LOAD_LIMIT" 'BEGIN { exit !(l < m) }' && return 0
    sleep 5
    waited=$((waited + 5))
  done
}

# What a server process spent on the CPU (user and system) per answered request, from
# /proc: `t=$(cpu_ticks PID)`, run wrk into FILE, `cpu_per_request PID "$t" FILE`. The
# throughput ratio compares two servers sharing the machine with wrk; this says which of
# them costs more per request, independently of how the two cores were shared.
cpu_ticks() { # PID
  if [ -r "/proc/$1/stat" ]; then sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; else echo 0; fi
}
cpu_per_request() { # PID TICKS_BEFORE WRK_OUTPUT
  local now requests
  now=$(cpu_ticks "$1")
  requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$3")
  awk -v t="$(( now - $2 ))" -v n="${requests:-0}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0) printf "    server CPU: %.1f us per request (%.2f s for %d requests)\n", t / hz * 1e6 / n, t / hz, n }'
}

# PERF_DATA=FILE: the measured gateway run is profiled into FILE (perf record, DWARF call
# graphs, PERF_SECONDS of it, 10 by default) and the gateway is built with line tables, so
# benches/perf-summary.mjs can say where a request's time goes. Without it, nothing changes.
perf_cargo_args() {
  [ -n "${PERF_DATA:-}" ] || return 0
  printf '%s\n' --config "profile.$(profile_name).package.lanyard-gateway.debug=\"line-tables-only\"" \
    --config "profile.$(profile_name).package.lanyard-core.debug=\"line-tables-only\""
}
PERF_PID=""
perf_start() { # PID
  [ -n "${PERF_DATA:-}" ] || return 0
  command -v perf >/dev/null || { echo "error: PERF_DATA needs perf (linux-perf)" >&2; exit 1; }
  # PERF_EVENT=sched:sched_switch (say): where the gateway's threads go to sleep instead.
  local what=(-F "${PERF_FREQ:-199}")
  [ -n "${PERF_EVENT:-}" ] && what=(-e "$PERF_EVENT")
  perf record -q "${what[@]}" --call-graph dwarf,16384 -p "$1" -o "$PERF_DATA" \
    -- sleep "${PERF_SECONDS:-10}" 2>/dev/null &
  PERF_PID=$!
}
# PERF_STAT=1: the measured server's context switches and wake-ups during PERF_SECONDS of
# its run (perf stat), for both the gateway and the bare handler.
perf_stat_start() { # PID
  [ -n "${PERF_STAT:-}" ] || return 0
  # PERF_STAT=threads: the same counts for each thread (which threads switch).
  local per_thread=()
  [ "$PERF_STAT" = threads ] && per_thread=(--per-thread)
  perf stat "${per_thread[@]}" -e task-clock,context-switches,cpu-migrations,page-faults -p "$1" \
    -- sleep "${PERF_SECONDS:-5}" 2>&1 | grep -E 'task-clock|context|migrations|faults' | sed 's/^/    perf stat: /' &
  PERF_STAT_PID=$!
}
perf_stat_stop() {
  [ -n "${PERF_STAT_PID:-}" ] || return 0
  wait "$PERF_STAT_PID" || true
  PERF_STAT_PID=""
}
perf_stop() {
  perf_stat_stop
  [ -n "$PERF_PID" ] || return 0
  wait "$PERF_PID" || true
  PERF_PID=""
  echo "    profile of the gateway in $PERF_DATA (node benches/perf-summary.mjs $PERF_DATA)"
}

# The cargo profile of the benchmarks' builds: `server` (Cargo.toml: release with
# whole-program LTO), what the server .deb ships; PROFILE=release or debug to compare.
PROFILE=${PROFILE:-server}
# Cargo's name for PROFILE (`debug` is `dev`), its `--profile` argument, and the directory
# it builds into (dev's is `debug`).
profile_name() { case "$PROFILE" in debug | dev) echo dev ;; *) echo "$PROFILE" ;; esac; }
profile_args() { echo "--profile=$(profile_name)"; }
profile_dir() { if [ "$(profile_name)" = dev ]; then echo debug; else echo "$PROFILE"; fi; }

# The setup of the benchmarks that drive the `lanyard` CLI (stale-hang.sh,
# disk-cache-cost.sh, fetch-load.sh): builds it (PROFILE, see above; CARGO_ARGS, if given,
# go to that cargo build) into CARGO_TARGET_DIR as BIN (the profile's directory in
# BUILD_DIR), makes a data dir DATA removed on exit with the processes in PIDS (killed), and
# defines `lanyard ARGS` (the CLI on DATA, --json), `listening FILE` (the address a server
# printed in FILE) and `wait_for FILE` (until FILE is not empty, 10 s at most).
cli_bench_setup() { # [CARGO_ARGS…]
  cargo build "$(profile_args)" --quiet "$@" -p lanyard-cli --bin lanyard
  BUILD_DIR="$CARGO_TARGET_DIR/$(profile_dir)"
  BIN="$BUILD_DIR/lanyard"
  DATA=$(mktemp -d)
  PIDS=()
  cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    rm -rf "$DATA"
  }
  trap cleanup EXIT
  lanyard() { "$BIN" --data-dir "$DATA" --secret-store file --json "$@"; }
  listening() { sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$1"; }
  wait_for() { for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.1; done; }
}

# The setup of the wrk throughput benches (fetch-load.sh, gateway-load.sh): wrk required,
# then cli_bench_setup and the gateway's EXAMPLEs built in the same profile (both with line
# tables under PERF_DATA, see perf_cargo_args), so the bare handler gets the same compiler.
wrk_bench_setup() { # EXAMPLE…
  command -v wrk >/dev/null || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 1; }
  local perf_args examples=() e
  mapfile -t perf_args < <(perf_cargo_args)
  cli_bench_setup "${perf_args[@]}"
  for e in "$@"; do examples+=(--example "$e"); done
  cargo build "$(profile_args)" --quiet "${perf_args[@]}" -p lanyard-gateway "${examples[@]}"
  echo "    build: profile $PROFILE ($BUILD_DIR)"
}

# After cli_bench_setup: benches/feed-upstream.mjs answering `Cache-Control: max-age=MAX_AGE`
# at UP (its feed at $UP/feed/lobby), and a URL token on DATA carrying its API key, its id
# in TOKEN.
feed_upstream() { # MAX_AGE
  local key
  key="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  API_KEY=$key MAX_AGE=$1 node benches/feed-upstream.mjs >"$DATA/up.out" &
  PIDS+=($!)
  wait_for "$DATA/up.out"
  UP=$(listening "$DATA/up.out")
  TOKEN=$(printf '%s' "$key" | lanyard token add --url "$UP/feed" --key apikey 2>/dev/null |
    sed -n 's/^    "id": "\([^"]*\)".*/\1/p' | head -1)
  [ -n "$TOKEN" ] || { echo "error: could not add the token" >&2; exit 1; }
}

# A player named NAME linked to TOKEN: its id in PLAYER, its secret in SECRET.
linked_player() { # NAME
  local out
  out=$(lanyard player add "$1")
  PLAYER=$(printf '%s' "$out" | sed -n 's/^  "id": "\([^"]*\)".*/\1/p')
  SECRET=$(printf '%s' "$out" | sed -n 's/^  "secret": "\([^"]*\)".*/\1/p')
  lanyard link add --player "$PLAYER" --token "$TOKEN" >/dev/null
}

# `lanyard gateway serve` on DATA with the per-player limits of /v1/fetch lifted (one
# session drives the whole load) and FLAGS; its output in $DATA/NAME.out and .err, its
# address in URL.
bench_gateway() { # NAME [FLAGS…]
  local name=$1
  shift
  "$BIN" --data-dir "$DATA" --secret-store file --json gateway serve --listen 127.0.0.1:0 \
    --fetch-rate 4000000000 --fetch-burst 4000000000 --fetch-concurrency 100000 "$@" \
    >"$DATA/$name.out" 2>"$DATA/$name.err" &
  PIDS+=($!)
  wait_for "$DATA/$name.out"
  URL=$(listening "$DATA/$name.out")
  [ -n "$URL" ] || { cat "$DATA/$name.err" >&2; exit 1; }
}

# crates/gateway/examples/bare_json (in BUILD_DIR, built by the caller) started as NAME with
# the environment VAR=VALUE…: its output in $DATA/NAME.out and .err, its address in
# STARTED_URL, its pid in STARTED_PID.
start_bare() { # NAME [VAR=VALUE…]
  local name=$1
  shift
  env "$@" "$BUILD_DIR/examples/bare_json" >"$DATA/$name.out" 2>"$DATA/$name.err" &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  wait_for "$DATA/$name.out"
  STARTED_URL=$(listening "$DATA/$name.out")
  [ -n "$STARTED_URL" ] || { cat "$DATA/$name.err" >&2; exit 1; }
}

# The baseline of the throughput benches: bare_json answering a fixed small JSON body; its
# address in BARE, its pid in BARE_PID.
bench_bare() {
  start_bare bare
  BARE=$STARTED_URL
  BARE_PID=$STARTED_PID
}

# The second baseline of fetch-load.sh: the bare handler answering /v1/fetch with what the
# gateway sends for a cached fetch (the same headers and body size), and for gateway-load.sh
# the bare handler taking a grant request's header and JSON body: BAREG, BAREG_PID.
bench_bare_as_gateway() {
  start_bare bareg BARE_ANSWER=gateway
  BAREG=$STARTED_URL
  BAREG_PID=$STARTED_PID
}

# Requests per second in a wrk output FILE.
rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }

# One argon2id verification per player of the gateway at URL (not measured): /v1/grants
# driven with the players of FILE until its metrics count COUNT verified players (5 min at
# most); fails otherwise.
warm_players() { # URL COUNT FILE
  local verified
  count() { verified=$(curl -s "$1/metrics" | sed -n 's/^lanyard_gateway_verified_players //p'); }
  for _ in $(seq 60); do
    count "$1"
    [ "${verified:-0}" -ge "$2" ] && break
    wrk -t1 -c8 -d5s -s benches/gateway-grants.lua "$1" -- "$3" >/dev/null
  done
  count "$1"
  echo "verified players: ${verified:-0} of $2"
  [ "${verified:-0}" -ge "$2" ] || { echo "error: warming did not finish" >&2; exit 1; }
}

# A session token from the gateway at URL for SECRET (printed; empty when refused).
bench_session() { # URL
  curl -s -X POST -H @<(printf 'Authorization: Bearer %s\n' "$SECRET") "$1/v1/sessions" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
