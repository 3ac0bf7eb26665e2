--- Time `cam.sign` on the fixture inputs.
--   lua5.4 spec/bench/sign.lua BODY_FILE ITERATIONS
--   luajit spec/bench/sign.lua BODY_FILE ITERATIONS
-- Prints one line: microseconds of process CPU time per call, then the
-- Authorization value of the last call (so runs can be compared).
dofile((arg[0]:gsub("sign%.lua$", "paths.lua")))

local cam = require("cam")
local fixture = require("bench.fixture")

local body_file, iterations = arg[1], tonumber(arg[2])
assert(body_file and iterations, "usage: sign.lua BODY_FILE ITERATIONS")

local file = assert(io.open(body_file, "rb"))
local input = fixture.sign_input(file:read("a"))
file:close()

local sign = cam.sign
local authorization

-- Warm-up, so LuaJIT has compiled the loop before the clock starts.
for _ = 1, math.min(iterations, 2000) do
    authorization = sign(input)
end

local clock = os.clock
local started = clock()
for _ = 1, iterations do
    authorization = sign(input)
end
local seconds = clock() - started

io.write(string.format("%.3f %s\n", seconds * 1e6 / iterations, authorization))
