-- Known-answer tests for cam.sign, and the checks on its fields.

local cam = require("cam")
local cjson = require("cjson")

local function read_vectors()
    local f = assert(io.open("spec/fixtures/tc3_vectors.json", "rb"))
    local vectors = cjson.decode(f:read("a"))
    f:close()
    return vectors
end

local function sign_input(v)
    return {
        secret_id = v.secret_id,
        secret_key = v.secret_key,
        service = v.service,
        host = v.host,
        timestamp = v.timestamp,
        body = v.body,
        content_type = v.content_type,
        method = v.method,
        query = v.query,
    }
end

local BASE = {
    secret_id = "AKIDTESTTESTTESTTESTTESTTESTTEST0001",
    secret_key = "TestSecretKeyTestSecretKey000001",
    service = "cam",
    host = "cam.tencentcloudapi.com",
    timestamp = 1700000000,
    body = "{}",
    content_type = "application/json",
}

local function with(changes)
    local t = {}
    for k, v in pairs(BASE) do
        t[k] = v
    end
    for k, v in pairs(changes) do
        t[k] = v
    end
    return t
end


describe("cam.sign known answers", function()
    local vectors = read_vectors()

    it("has every vector", function()
        assert.are.equal(18, #vectors)
    end)

    for _, v in ipairs(vectors) do
        it(v.name, function()
            assert.are.equal(v.authorization, cam.sign(sign_input(v)))
        end)
    end

    it("matches every vector with TZ=Asia/Shanghai", function()
        -- A child process, because the time zone is read at start-up.
        local script = [[
            package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
            package.cpath = "build/lua5.4/?.so;" .. package.cpath
            local cam = require("cam")
            local cjson = require("cjson")
            local f = assert(io.open("spec/fixtures/tc3_vectors.json", "rb"))
            for _, v in ipairs(cjson.decode(f:read("a"))) do
                v.path = nil; v.name = nil
                local expected = v.authorization
                v.authorization = nil
                print(cam.sign(v) == expected and "ok" or "MISMATCH")
            end
        ]]
        local path = os.tmpname()
        local f = assert(io.open(path, "wb"))
        f:write(script)
        f:close()

        local p = assert(io.popen("TZ=Asia/Shanghai lua5.4 " .. path))
        local output = p:read("a")
        p:close()
        os.remove(path)

        local _, oks = output:gsub("ok\n", "")
        assert.are.equal(#vectors, oks)
        assert.is_nil(output:find("MISMATCH", 1, true))
    end)

    it("puts the UTC date in the credential scope", function()
        local authorization = cam.sign(BASE)
        assert.truthy(authorization:find("/2023-11-14/cam/tc3_request", 1, true))
    end)
end)


describe("cam.sign inputs", function()
    it("defaults method to POST and query to empty", function()
        local explicit = cam.sign(with({ method = "POST", query = "" }))
        assert.are.equal(explicit, cam.sign(BASE))
    end)

    it("accepts a float timestamp with no fraction", function()
        assert.are.equal(cam.sign(BASE), cam.sign(with({ timestamp = 1700000000.0 })))
    end)

    it("rejects a fractional timestamp", function()
        assert.has_error(function()
            cam.sign(with({ timestamp = 1700000000.5 }))
        end)
    end)

    it("rejects a string timestamp", function()
        assert.has_error(function()
            cam.sign(with({ timestamp = "1700000000" }))
        end)
    end)

    it("rejects a negative timestamp", function()
        assert.has_error(function()
            cam.sign(with({ timestamp = -1 }))
        end)
    end)

    it("signs a body with NUL bytes by length", function()
        local a = cam.sign(with({ body = "a\0b" }))
        local b = cam.sign(with({ body = "a\0c" }))
        assert.are_not.equal(a, b)
    end)

    it("changes with a one-byte body change", function()
        assert.are_not.equal(cam.sign(BASE), cam.sign(with({ body = "{ }" })))
    end)

    it("changes with the charset in the content type", function()
        local plain = cam.sign(BASE)
        local charset = cam.sign(with({ content_type = "application/json; charset=utf-8" }))
        assert.are_not.equal(plain, charset)
    end)

    for _, field in ipairs({ "secret_id", "secret_key", "service", "host",
            "content_type", "body" }) do
        it("rejects a missing " .. field, function()
            local ok, err = pcall(cam.sign, with({ [field] = false }))
            assert.is_false(ok)
            assert.truthy(tostring(err):find("'" .. field .. "'", 1, true))
        end)
    end

    for _, field in ipairs({ "secret_id", "service", "host", "content_type" }) do
        it("rejects an empty " .. field, function()
            local ok, err = pcall(cam.sign, with({ [field] = "" }))
            assert.is_false(ok)
            assert.truthy(tostring(err):find("must not be empty", 1, true))
        end)
    end

    for _, field in ipairs({ "secret_id", "service", "host", "content_type",
            "query" }) do
        it("rejects a line break in " .. field, function()
            local ok, err = pcall(cam.sign, with({ [field] = "x\r\nX-Evil: 1" }))
            assert.is_false(ok)
            assert.truthy(tostring(err):find("control character", 1, true))
        end)
    end

    it("derives a new key when key, date or service change", function()
        local first = cam.sign(BASE)
        local other_key = cam.sign(with({ secret_key = "AnotherSecretKey000000000000001" }))
        local other_day = cam.sign(with({ timestamp = BASE.timestamp + 86400 }))
        local other_service = cam.sign(with({ service = "cvm" }))
        assert.are_not.equal(first, other_key)
        assert.are_not.equal(first, other_day)
        assert.are_not.equal(first, other_service)
        assert.are.equal(first, cam.sign(BASE))
    end)

    it("tells apart keys that share a prefix", function()
        local short = cam.sign(with({ secret_key = "abc" }))
        local long = cam.sign(with({ secret_key = "abcd" }))
        assert.are_not.equal(short, long)
        assert.are.equal(short, cam.sign(with({ secret_key = "abc" })))
    end)

    it("names the year for a far-future timestamp", function()
        -- LuaJIT's numbers are doubles, exact integers only up to 2^53.
        local far_future = _VERSION == "Lua 5.1" and 2 ^ 52 or 2 ^ 62
        local ok, err = pcall(cam.sign, with({ timestamp = far_future }))
        assert.is_false(ok)
        assert.truthy(tostring(err):find("year", 1, true))
    end)

    it("rejects an empty method", function()
        assert.has_error(function()
            cam.sign(with({ method = "" }))
        end)
    end)

    it("rejects a comma in the secret id", function()
        local ok, err = pcall(cam.sign, with({ secret_id = "AKID, Signature=abc" }))
        assert.is_false(ok)
        assert.truthy(tostring(err):find("'secret_id'", 1, true))
    end)

    it("rejects a slash in the service", function()
        assert.has_error(function()
            cam.sign(with({ service = "cam/x" }))
        end)
    end)

    it("accepts a masked secret id", function()
        assert.are.equal("string", type(cam.sign(with({ secret_id = "AKIDz8kr*******" }))))
    end)

    it("rejects a lower-case method", function()
        assert.has_error(function()
            cam.sign(with({ method = "post" }))
        end)
    end)

    it("never puts the secret key in its errors", function()
        local ok, err = pcall(cam.sign, with({ host = "\n", secret_key = "SuperSecretValue123" }))
        assert.is_false(ok)
        assert.is_nil(tostring(err):find("SuperSecretValue123", 1, true))
    end)

    it("allows an empty secret key", function()
        assert.are.equal("string", type(cam.sign(with({ secret_key = "" }))))
    end)
end)


describe("cam.core HTTP handle", function()
    local core = require("cam.core")

    it("rejects a zero timeout", function()
        local handle = core.http_new()
        assert.has_error(function()
            handle:request({ url = "http://127.0.0.1:9/", allow_http = true, timeout_ms = 0 })
        end)
        handle:close()
    end)

    it("rejects a header with a line break", function()
        local handle = core.http_new()
        assert.has_error(function()
            handle:request({ url = "http://127.0.0.1:9/", allow_http = true,
                headers = { "X-A: 1\r\nX-B: 2" } })
        end)
        handle:close()
    end)

    it("refuses plain http unless allowed", function()
        local handle = core.http_new()
        local status, err = handle:request({ url = "http://127.0.0.1:9/" })
        handle:close()
        assert.is_nil(status)
        assert.are.equal("CURLE_UNSUPPORTED_PROTOCOL", err.code)
    end)

    it("closes more than once", function()
        local handle = core.http_new()
        handle:close()
        handle:close()
        assert.has_error(function()
            handle:request({ url = "https://127.0.0.1:9/" })
        end)
    end)
end)


describe("cam.core codecs", function()
    local core = require("cam.core")

    it("encodes and decodes base64", function()
        assert.are.equal("aGVsbG8=", core.base64_encode("hello"))
        assert.are.equal("hello", core.base64_decode("aGVsbG8="))
    end)

    it("round-trips every byte value", function()
        local bytes = {}
        for i = 0, 255 do
            bytes[#bytes + 1] = string.char(i)
        end
        local all = table.concat(bytes)
        for n = 0, 5 do
            local s = all:sub(1, 256 - n)
            assert.are.equal(s, core.base64_decode(core.base64_encode(s)))
        end
    end)

    for _, bad in ipairs({ "aGVsbG8", "aGVs bG8=", "aGVsbG8-", "a=Vs", "aGVsbG9=",
            "YQ==YQ==", "====", "aGVsbG8_" }) do
        it("rejects base64 " .. bad, function()
            local decoded, message = core.base64_decode(bad)
            assert.is_nil(decoded)
            assert.are.equal("string", type(message))
        end)
    end

    it("validates UTF-8", function()
        assert.is_true(core.utf8_valid("中文 🙂"))
        assert.is_false((core.utf8_valid("\xc0\xaf")))
        assert.is_false((core.utf8_valid("\xed\xa0\x80")))
        assert.is_false((core.utf8_valid("\xf4\x90\x80\x80")))
        assert.is_false((core.utf8_valid("abc\xe4\xb8")))
        assert.are.equal(4, select(2, core.utf8_valid("abc\xff")))
    end)

    it("counts code points", function()
        assert.are.equal(4, core.utf8_len("a中🙂b"))
    end)

    it("quotes JSON strings", function()
        assert.are.equal('""', core.json_quote(""))
        assert.are.equal('"a/b 中"', core.json_quote("a/b 中"))
        assert.are.equal('"\\"\\\\"', core.json_quote('"\\'))
        assert.are.equal('"\\u0000\\u001f\127"',
            core.json_quote("\0\31\127"))
    end)

    it("quotes every ASCII byte so JSON decodes it back", function()
        local chars = {}
        for b = 0, 127 do
            chars[#chars + 1] = string.char(b)
        end
        local s = table.concat(chars)
        -- Longer than the binding's stack buffer, and escapes at both ends.
        local long = s .. string.rep("x", 300) .. s

        assert.are.equal(s, cjson.decode(core.json_quote(s)))
        assert.are.equal(long, cjson.decode(core.json_quote(long)))
    end)

    it("rejects invalid UTF-8 when quoting", function()
        local quoted, offset = core.json_quote("ab\xc0\xaf")
        assert.is_nil(quoted)
        assert.are.equal(3, offset)
    end)

    it("formats UTC dates", function()
        assert.are.equal("1970-01-01", core.utc_date(0))
        assert.are.equal("2000-02-29", core.utc_date(951782400))
        assert.are.equal("2019-02-25", core.utc_date(1551113065))
        assert.are.equal("9999-12-31", core.utc_date(253402300799))
    end)

    it("hashes with SHA-256", function()
        assert.are.equal(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            core.sha256_hex(""))
    end)
end)
