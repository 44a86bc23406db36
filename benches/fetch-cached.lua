-- wrk script for the cached /v1/fetch load test: every request is
-- GET /v1/fetch?url=<the feed> with a session token, as clients/lanyard-player.js sends it.
-- Usage: wrk -s benches/fetch-cached.lua URL -- SESSION_TOKEN FEED_URL

local path, headers

function init(args)
  local token, feed = args[1], args[2]
  if not token or not feed then
    error("usage: wrk -s fetch-cached.lua URL -- SESSION_TOKEN FEED_URL")
  end
  local encoded = feed:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end)
  path = "/v1/fetch?url=" .. encoded
  headers = { ["Authorization"] = "Bearer " .. token }
end

function request()
  return wrk.format("GET", path, headers)
end

done = require("benches.wrk_summary").done("fetches")
