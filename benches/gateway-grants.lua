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

done = require("benches.wrk_summary").done("grants")
