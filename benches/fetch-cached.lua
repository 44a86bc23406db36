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

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "fetches/s %.0f  p50 %.2f ms  p99 %.2f ms  max %.2f ms  non-2xx %d  socket errors %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
