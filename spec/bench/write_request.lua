--- Write the fixture request into a directory, for the benchmark programs
-- that are not Lua: DIR/body.json (the body, no trailing newline) and
-- DIR/headers.txt (the header lines of a dry run, without Host).
--   lua5.4 spec/bench/write_request.lua DIR
dofile((arg[0]:gsub("write_request%.lua$", "paths.lua")))

local cam = require("cam")
local fixture = require("bench.fixture")

local dir = assert(arg[1], "usage: write_request.lua DIR")

local client = cam.new({
    endpoint = "http://127.0.0.1:9",
    secret_id = fixture.SECRET_ID,
    secret_key = fixture.SECRET_KEY,
    dry_run = true,
})
local request = assert(client:update_oidc(fixture.params(cam)))
assert(request.body == fixture.body(cam))


local function write(path, text)
    local file = assert(io.open(path, "wb"))
    assert(file:write(text))
    assert(file:close())
end


local lines = {}
for _, line in ipairs(request.header_lines) do
    if not line:find("^Host:") then
        lines[#lines + 1] = line
    end
end

write(dir .. "/body.json", request.body)
write(dir .. "/headers.txt", table.concat(lines, "\n") .. "\n")
