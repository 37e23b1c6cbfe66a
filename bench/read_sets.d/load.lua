-- wrk script for bench/read_sets: GetReadSetMetadata of random ids, or the first page of
-- ListReadSets, with a static SigV4 Authorization header (dev mode checks the form, the date
-- and the scope of a signature, not its HMAC).
--
-- Environment:
--   WRK_MODE   metadata | list
--   WRK_STORE  sequence store id
--   WRK_IDS    file of read set ids, one a line (metadata)
--   WRK_DATE   X-Amz-Date, YYYYMMDDTHHMMSSZ (current UTC; the server allows 15 minutes of skew)
--
-- done() prints one line `WRKRESULT key=value …` (latencies in microseconds) for the runner.

local mode = os.getenv("WRK_MODE")
local store = os.getenv("WRK_STORE")
local amz_date = os.getenv("WRK_DATE")

wrk.headers["X-Amz-Date"] = amz_date
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=bench/" .. amz_date:sub(1, 8)
    .. "/us-east-1/omics/aws4_request, SignedHeaders=host;x-amz-date, Signature="
    .. string.rep("0", 64)

local threads = {}

function setup(thread)
    thread:set("thread_number", #threads + 1)
    table.insert(threads, thread)
end

if mode == "list" then
    -- A static request: wrk formats it once.
    wrk.method = "POST"
    wrk.path = "/sequencestore/" .. store .. "/readsets?maxResults=100"
    wrk.body = "{}"
    wrk.headers["Content-Type"] = "application/json"
elseif mode == "metadata" then
    local ids = {}

    function init(args)
        for line in io.lines(os.getenv("WRK_IDS")) do
            if #line > 0 then ids[#ids + 1] = line end
        end
        -- Seeded per thread: the same id sequences every run.
        math.randomseed(20240614 + (thread_number or 0))
    end

    function request()
        local id = ids[math.random(#ids)]
        return wrk.format("GET", "/sequencestore/" .. store .. "/readset/" .. id .. "/metadata")
    end
else
    error("WRK_MODE must be metadata or list")
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "WRKRESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d"
            .. " max_us=%d mean_us=%.1f err_status=%d err_connect=%d err_read=%d err_write=%d"
            .. " err_timeout=%d\n",
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max, latency.mean,
        e.status, e.connect, e.read, e.write, e.timeout))
end
