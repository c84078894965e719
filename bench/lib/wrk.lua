-- wrk script of the mod_oxbalance benchmark (bench/run). Configured through
-- the environment, so one script serves every workload:
--
--   OXB_COOKIES      "c1|c2|..."  cookie header values, one per wrk thread
--                    in turn (thread 1 gets c1, thread 2 c2, thread 3 c1 ...)
--   OXB_POST_BYTES   N: every request is a POST with an N-byte body
--   OXB_DELAY_MS     N: each connection waits N ms before each request (a
--                    fixed pace: the same offered load for every front end)
--
-- The request stays static (no request() or response() function), so wrk
-- builds it once per thread and spends no Lua time per request (delay(), when
-- paced, is one call): the load generator costs the same for every front end.
--
-- done() prints one machine-readable line that bench/run parses:
--   OXB-RESULT requests=... duration_us=... p99_us=... errors_status=... ...

local cookies = {}
do
    local spec = os.getenv("OXB_COOKIES") or ""
    for c in string.gmatch(spec, "[^|]+") do
        cookies[#cookies + 1] = c
    end
end

local nthreads = 0

-- Runs in the main Lua state, once per thread, before the threads start.
function setup(thread)
    nthreads = nthreads + 1
    if #cookies > 0 then
        thread:set("oxb_cookie", cookies[(nthreads - 1) % #cookies + 1])
    end
end

-- Runs in each thread's own Lua state, before wrk formats the request.
function init(args)
    if oxb_cookie then
        wrk.headers["Cookie"] = oxb_cookie
    end
    local n = tonumber(os.getenv("OXB_POST_BYTES") or "")
    if n and n > 0 then
        wrk.method = "POST"
        wrk.body = string.rep("x", n)
        wrk.headers["Content-Type"] = "application/octet-stream"
    end
end

local pace_ms = tonumber(os.getenv("OXB_DELAY_MS") or "")
if pace_ms and pace_ms > 0 then
    function delay()
        return pace_ms
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "OXB-RESULT requests=%d duration_us=%d bytes=%d " ..
        "errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d " ..
        "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency.max, latency.mean))
end
