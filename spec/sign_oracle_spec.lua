-- cam.sign against the official Node.js SDK's signer, byte for byte, on
-- random requests. The SDK is pinned by spec/interop/package-lock.json.

local cam = require("cam")
local cjson = require("cjson")

local CASES = 200

local ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
local TEXT_PIECES = {
    "a", "Z", "0", " ", "\"", "\\", "/", "\t", "\n", "{", "}", "[", "]", ":",
    "中", "文", "測試", "é", "ß", "🙂", "👩‍💻", "\u{10FFFF}", "\u{7FF}", "€",
    "\u{FEFF}", "<", "&", "'", "%", "+", "=", "?", "#",
}

local function random_from(alphabet, min, max)
    local n = math.random(min, max)
    local out = {}
    for i = 1, n do
        local k = math.random(1, #alphabet)
        out[i] = alphabet:sub(k, k)
    end
    return table.concat(out)
end

local function random_text(max)
    local out = {}
    for i = 1, math.random(0, max) do
        out[i] = TEXT_PIECES[math.random(1, #TEXT_PIECES)]
    end
    return table.concat(out)
end

local function random_case(i)
    local method = (i % 5 == 0) and "GET" or "POST"
    local query = ""
    if method == "GET" and i % 2 == 0 then
        query = "Limit=" .. math.random(1, 100) .. "&Offset=" .. math.random(0, 9)
            .. "&Name=" .. random_from(ALNUM .. "-_.", 1, 12)
    end
    local content_types = { "application/json", "application/json; charset=utf-8" }
    return {
        secret_id = "AKID" .. random_from(ALNUM, 8, 40),
        secret_key = random_from(ALNUM .. "+/=*-_", 1, 48),
        service = ({ "cam", "cvm", "sts", "tag" })[math.random(1, 4)],
        host = ({ "cam.tencentcloudapi.com", "cam.intl.tencentcloudapi.com",
            "cvm.ap-guangzhou.tencentcloudapi.com", "sts.tencentcloudapi.com" })[math.random(1, 4)],
        timestamp = math.random(0, 4102444800),
        body = method == "GET" and ""
            or cjson.encode({ Description = random_text(40), Name = random_text(8),
                Scope = { "openid" } }),
        content_type = method == "GET" and "application/x-www-form-urlencoded"
            or content_types[math.random(1, 2)],
        method = method,
        query = query,
    }
end


describe("cam.sign against the official Node.js signer", function()
    it("agrees on " .. CASES .. " random requests", function()
        local sdk = "spec/interop/node_modules/tencentcloud-sdk-nodejs-common"
        local probe = io.open(sdk .. "/package.json", "rb")
        assert(probe, "the official SDK is missing: run npm ci --prefix spec/interop")
        probe:close()

        math.randomseed(20261204)
        local cases = {}
        local input_path = os.tmpname()
        local input = assert(io.open(input_path, "wb"))
        for i = 1, CASES do
            cases[i] = random_case(i)
            input:write(cjson.encode(cases[i]), "\n")
        end
        input:close()

        local p = assert(io.popen("node spec/interop/sign.js < " .. input_path))
        local lines = {}
        for line in p:lines() do
            lines[#lines + 1] = line
        end
        p:close()
        os.remove(input_path)

        assert.are.equal(CASES, #lines)
        local mismatches = 0
        for i = 1, CASES do
            if cam.sign(cases[i]) ~= lines[i] then
                mismatches = mismatches + 1
            end
        end
        assert.are.equal(0, mismatches)
    end)

    it("covers non-ASCII bodies", function()
        math.randomseed(20261204)
        local multibyte = 0
        for i = 1, CASES do
            if random_case(i).body:find("[\128-\255]") then
                multibyte = multibyte + 1
            end
        end
        assert.is_true(multibyte > CASES / 2)
    end)
end)
