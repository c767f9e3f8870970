-- wrk script: optional body, method and Authorization from the environment,
-- and one JSON line of figures at the end (requests per second, p50/p95/p99
-- latency, errors, non-2xx answers counted as errors).
local body = os.getenv("BENCH_BODY")
local method = os.getenv("BENCH_METHOD")
local authorization = os.getenv("BENCH_AUTHORIZATION")
if body and #body > 0 then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if method and #method > 0 then
  wrk.method = method
end
if authorization and #authorization > 0 then
  wrk.headers["Authorization"] = authorization
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
               + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH {"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"errors":%d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
