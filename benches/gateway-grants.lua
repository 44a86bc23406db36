-- wrk script for the gateway load test: every request is POST /v1/grants for the next
-- player in load-players.txt (`<secret> <channel>` per line), with that player's
-- `Authorization: Bearer` header, so the load spreads over every player and channel.
-- Usage: wrk -s benches/gateway-grants.lua URL -- PLAYERS_FILE

local players = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

function init(args)
  local path = args[1] or "load-players.txt"
  for line in io.lines(path) do
    local secret, channel = line:match("^(%S+)%s+(%S+)$")
    if secret then
      players[#players + 1] = {
        headers = {
          ["Authorization"] = "Bearer " .. secret,
          ["Content-Type"] = "application/json",
        },
        body = '{"channel":"' .. channel .. '"}',
      }
    end
  end
  if #players == 0 then
    error("no players in " .. path)
  end
  i = offset or 0
end

function request()
  i = i + 1
  local p = players[(i % #players) + 1]
  return wrk.format("POST", "/v1/grants", p.headers, p.body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "grants/s %.0f  p50 %.2f ms  p99 %.2f ms  max %.2f ms  non-2xx %d  socket errors %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
