--- Resident set size of a Lua process after 1,000 and after CALLS signed
-- `update_oidc` calls on one client against a server on loopback.
--   lua5.4 spec/bench/memory.lua URL CALLS [CA_FILE]
-- Prints one line: VmRSS in KiB after 1,000 calls, VmRSS in KiB after CALLS
-- calls, and the Lua heap in KiB at both points. A full garbage collection
-- runs before each reading, so the figures show what stays alive, not
-- garbage that a later cycle would free.
dofile((arg[0]:gsub("memory%.lua$", "paths.lua")))

local cam = require("cam")
local fixture = require("bench.fixture")

local url, calls, ca_file = arg[1], tonumber(arg[2]), arg[3]
assert(url and calls and calls >= 1000, "usage: memory.lua URL CALLS [CA_FILE]")

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


local function rss_kib()
    local file = assert(io.open("/proc/self/status", "r"))
    local status = file:read("a")
    file:close()
    return tonumber(status:match("VmRSS:%s*(%d+) kB"))
end


local function reading()
    collectgarbage("collect")
    return rss_kib(), collectgarbage("count")
end


local rss_first, heap_first
for i = 1, calls do
    local res, err = client:update_oidc(params)
    if res == nil then
        error("call " .. i .. " failed: " .. tostring(err))
    end
    if i == 1000 then
        rss_first, heap_first = reading()
    end
end
local rss_last, heap_last = reading()
client:close()

io.write(string.format("%d %d %.0f %.0f\n", rss_first, rss_last, heap_first,
    heap_last))
