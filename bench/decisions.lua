-- wrk script: POST one decision check (or a batch of BENCH_BATCH checks) per request.
-- Environment: BENCH_AUTH (admin token), BENCH_BATCH (0: /check; N: /batch of N).
-- Prints one line: BENCH_RESULT {"requests":..,"duration_us":..,"p50_us":..,...,"errors":{..}}
local auth = os.getenv("BENCH_AUTH") or ""
local batch = tonumber(os.getenv("BENCH_BATCH") or "0")

-- A refund under 1,000 USD by a payments agent: RBAC gate, 5 candidate policies, allow.
local one = '{"subject_type":"agent","subject_id":"agent-1","action":"payments.refund.issue",' ..
  '"resource":{"type":"refund","id":"rf-1","attrs":{"amount_cents":50000}},' ..
  '"context":{"time":"10:30","ip_country":"US","mfa_verified":true}}'

wrk.method = "POST"
if batch > 0 then
  wrk.path = "/api/v1/decisions/batch"
  local items = {}
  for i = 1, batch do items[i] = one end
  wrk.body = '{"requests":[' .. table.concat(items, ",") .. ']}'
else
  wrk.path = "/api/v1/decisions/check"
  wrk.body = one
end
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. auth

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
