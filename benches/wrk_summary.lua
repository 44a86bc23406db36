-- The one line the wrk scripts print when a run is done: WHAT per second, p50, p99 and max
-- latency, non-2xx answers and socket errors. A script sets
--   done = require("benches.wrk_summary").done("fetches")
-- (wrk runs from the repository root, as the bench scripts do).

local M = {}

function M.done(what)
  return function(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
      "%s/s %.0f  p50 %.2f ms  p99 %.2f ms  max %.2f ms  non-2xx %d  socket errors %d\n",
      what,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      errors.status, errors.connect + errors.read + errors.write + errors.timeout))
  end
end

return M
