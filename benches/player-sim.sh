#!/usr/bin/env bash
# A player simulator: what a signage player does with a Lanyard gateway, with curl.
# Lists the channels it is linked to, then asks for a grant every INTERVAL seconds and
# prints what came back (the access token is shortened). Unlink the player in the app or
# with `lanyard link remove` and the next request prints `403 not_linked`.
#
#   LANYARD_PLAYER_SECRET=lyp_… benches/player-sim.sh URL [CHANNEL] [INTERVAL] [COUNT]
#
# URL: the gateway (`http://127.0.0.1:7443`); CHANNEL: defaults to the first linked one;
# COUNT: stop after that many requests (default: run until interrupted). Add
# `CURL_CA_BUNDLE=ca.pem` for a gateway with a private CA. The secret is read from the
# environment, never from the command line (other users can see argv).
set -euo pipefail
URL=${1:?usage: LANYARD_PLAYER_SECRET=… $0 URL [CHANNEL] [INTERVAL] [COUNT]}
CHANNEL=${2:-}
INTERVAL=${3:-5}
COUNT=${4:-0}
: "${LANYARD_PLAYER_SECRET:?set LANYARD_PLAYER_SECRET to the player secret}"
command -v curl >/dev/null || { echo "error: curl is required" >&2; exit 1; }

# The header goes through a file descriptor so the secret never appears in argv.
call() { # METHOD PATH [BODY] → prints "STATUS BODY"
  local body_args=()
  [ $# -ge 3 ] && body_args=(-H 'Content-Type: application/json' --data "$3")
  curl -sS -X "$1" -w '\n%{http_code}' "${body_args[@]}" \
    -H @<(printf 'Authorization: Bearer %s\n' "$LANYARD_PLAYER_SECRET") "$URL$2" |
    { body=$(cat); printf '%s %s\n' "${body##*$'\n'}" "${body%$'\n'*}"; }
}
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -1; }

read -r status body < <(call GET /v1/channels)
echo "channels ($status): $body"
if [ -z "$CHANNEL" ]; then
  CHANNEL=$(printf '%s' "$body" | field channel_id)
  [ -n "$CHANNEL" ] || { echo "error: this player is linked to no channel" >&2; exit 1; }
fi

n=0
while :; do
  n=$((n + 1))
  read -r status body < <(call POST /v1/grants "{\"channel\":\"$CHANNEL\"}")
  now=$(date -u +%H:%M:%S)
  if [ "$status" = 200 ]; then
    token=$(printf '%s' "$body" | field access_token)
    expires=$(printf '%s' "$body" | field expires_at)
    echo "$now grant $status channel=$CHANNEL token=${token:0:8}… expires_at=$expires"
  else
    echo "$now refused $status $(printf '%s' "$body" | field code): $(printf '%s' "$body" | field message)"
  fi
  [ "$COUNT" -gt 0 ] && [ "$n" -ge "$COUNT" ] && break
  sleep "$INTERVAL"
done
