--- Time sequential `update_oidc` calls against a server on loopback.
--   lua5.4 spec/bench/roundtrip.lua URL CALLS [CA_FILE]
-- Prints one line: calls per second, then the median and 99th percentile
-- latency in microseconds (wall clock, cam.core.monotonic).
-- The first 200 calls open the connection and are not timed.
dofile((arg[0]:gsub("roundtrip%.lua$", "paths.lua")))

local cam = require("cam")
local fixture = require("bench.fixture")
local gettime = require("cam.core").monotonic

local url, calls, ca_file = arg[1], tonumber(arg[2]), arg[3]
assert(url and calls and calls > 0, "usage: roundtrip.lua URL CALLS [CA_FILE]")

local client = cam.new({
    endpoint = url,
    secret_id = fixture.SECRET_ID,
    secret_key = fixture.SECRET_KEY,
    ca_file = ca_file,
    timeout = 10,
    -- The client's own limit of 20 requests per second per action would
    -- cap the rate; the benchmark measures the client, so it is off.
    rate_limit = false,
})
local params = fixture.params(cam)


local function call()
    local res, err = client:update_oidc(params)
    if res == nil then
        error("update_oidc failed: " .. tostring(err))
    end
end


for _ = 1, 200 do
    call()
end

local latencies = {}
local started = gettime()
for i = 1, calls do
    local t0 = gettime()
    call()
    latencies[i] = gettime() - t0
end
local elapsed = gettime() - started
client:close()

table.sort(latencies)
local function percentile(p)
    return latencies[math.max(1, math.ceil(#latencies * p))] * 1e6
end

io.write(string.format("%.1f %.1f %.1f\n", calls / elapsed, percentile(0.50),
    percentile(0.99)))
