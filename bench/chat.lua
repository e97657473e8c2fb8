-- wrk script: POST one non-streaming chat completion per request.
-- Environment: BENCH_MODEL (model name), BENCH_AUTH (bearer token, optional).
-- At the end prints one machine-readable line:
--   BENCH_RESULT {"requests":..,"duration_us":..,"p50_us":..,...,"errors":{..}}
-- Latencies come from wrk's histogram in microseconds, so no unit parsing is needed.
local model = os.getenv("BENCH_MODEL") or "bench"
local auth = os.getenv("BENCH_AUTH") or ""

wrk.method = "POST"
wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"hello"}]}'
wrk.headers["Content-Type"] = "application/json"
if auth ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. auth
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"min_us":%d,"max_us":%d,"mean_us":%.2f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.min, latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
