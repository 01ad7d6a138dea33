-- wrk anchor for triton-tui's load generator: POST the same inference body to /v2/models/<m>/infer.
-- Usage: TRITON_TUI_BODY=/path/body.json wrk -t1 -c4 -d3s -s assets/bench/infer.lua http://127.0.0.1:8000/v2/models/add_sub/infer
local f = assert(io.open(os.getenv("TRITON_TUI_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("TRITON_TUI_CONTENT_TYPE") or "application/json"
local header_length = os.getenv("TRITON_TUI_HEADER_LENGTH")
if header_length and header_length ~= "" then
  wrk.headers["Inference-Header-Content-Length"] = header_length
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
