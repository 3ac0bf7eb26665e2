--- Split the cost of one `update_oidc` call into its steps, to show where
-- the time of a round trip goes.
--   lua5.4 spec/bench/phases.lua URL ITERATIONS [CA_FILE]
-- Prints one line per step: the step's name and microseconds of this
-- process's CPU time per call (os.clock), and for the request alone also
-- wall-clock microseconds, which include the server's time.
--
-- The steps use public functions only: `validate.update_oidc` and
-- `json.encode` as the client calls them, `cam.sign` on the body, the
-- client's transport with the signed request of a dry run, and
-- `json.decode` of the server's response.
dofile((arg[0]:gsub("phases%.lua$", "paths.lua")))

local cam = require("cam")
local core = require("cam.core")
local fixture = require("bench.fixture")
local json = require("cam.json")
local validate = require("cam.validate")

local url, iterations, ca_file = arg[1], tonumber(arg[2]), arg[3]
assert(url and iterations, "usage: phases.lua URL ITERATIONS [CA_FILE]")

local clock = os.clock
local monotonic = core.monotonic
local params = fixture.params(cam)


local function measure(name, fn)
    for _ = 1, math.min(iterations, 200) do
        fn()
    end
    local cpu, wall = clock(), monotonic()
    for _ = 1, iterations do
        fn()
    end
    cpu, wall = clock() - cpu, monotonic() - wall
    io.write(string.format("%s %.1f %.1f\n", name, cpu * 1e6 / iterations,
        wall * 1e6 / iterations))
end


-- The client's rate limit is off, as in roundtrip.lua.
local client = cam.new({ endpoint = url, secret_id = fixture.SECRET_ID,
    secret_key = fixture.SECRET_KEY, ca_file = ca_file, timeout = 10,
    rate_limit = false })
local dry = cam.new({ endpoint = url, secret_id = fixture.SECRET_ID,
    secret_key = fixture.SECRET_KEY, dry_run = true })

local wire = assert(validate.update_oidc(params))
local body = json.encode(wire)
local sign_input = fixture.sign_input(body)
local prepared = assert(dry:update_oidc(params))
local headers = {}
for i, line in ipairs(prepared.header_lines) do
    local name, value = line:match("^([^:]+): (.*)$")
    headers[i] = { name, value }
end
local request = {
    method = "POST", url = prepared.url, headers = headers, body = body,
    timeout_ms = 10000, connect_timeout_ms = 10000, ca_file = ca_file,
    max_body = 1024 * 1024, allow_http = url:find("^http:") ~= nil,
}
local response = assert(client.transport:request(request))

measure("validate", function() validate.update_oidc(params) end)
measure("json_encode", function() json.encode(wire) end)
measure("sign", function() cam.sign(sign_input) end)
measure("request", function() assert(client.transport:request(request)) end)
measure("json_decode", function() json.decode(response.body) end)
measure("update_oidc", function() assert(client:update_oidc(params)) end)
client:close()
