-- wrk script for the round-trip floor: every request is a POST with the
-- fixture's body and the header lines of a dry run, read from the files
-- spec/bench/write_request.lua wrote into $CAM_BENCH_REQUEST_DIR.
local dir = assert(os.getenv("CAM_BENCH_REQUEST_DIR"),
    "set CAM_BENCH_REQUEST_DIR")

local function read(path)
    local file = assert(io.open(path, "rb"))
    local text = file:read("*a")
    file:close()
    return text
end

wrk.method = "POST"
wrk.body = read(dir .. "/body.json")
for line in read(dir .. "/headers.txt"):gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+): (.*)$")
    wrk.headers[name] = value
end
