-- wrk script: POST a single-input route (or learn) request with a fixed body.
-- WRK_PATH and WRK_BODY come from the environment (load.sh sets them).
wrk.method = "POST"
wrk.path = os.getenv("WRK_PATH")
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  -- One machine-readable line for load.sh: requests/s and latency percentiles in microseconds.
  io.write(string.format("RESULT rps=%.1f p50=%d p90=%d p99=%d max=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
