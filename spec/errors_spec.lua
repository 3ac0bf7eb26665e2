local errors = require("cam.errors")
local json = require("cam.json")

-- Strict UTF-8 check, written apart from cam.errors so that both cannot
-- share one mistake: no overlong forms, surrogates or code points above
-- U+10FFFF.
local function is_utf8(s)
    local i = 1
    while i <= #s do
        local b1, b2 = s:byte(i, i + 1)
        local size
        if b1 < 0x80 then
            size = 1
        elseif b1 >= 0xC2 and b1 <= 0xDF then
            size = 2
        elseif b1 >= 0xE0 and b1 <= 0xEF then
            size = 3
            if (b1 == 0xE0 and (b2 or 0) < 0xA0) or (b1 == 0xED and (b2 or 0) > 0x9F) then
                return false
            end
        elseif b1 >= 0xF0 and b1 <= 0xF4 then
            size = 4
            if (b1 == 0xF0 and (b2 or 0) < 0x90) or (b1 == 0xF4 and (b2 or 0) > 0x8F) then
                return false
            end
        else
            return false
        end
        for k = 1, size - 1 do
            local b = s:byte(i + k)
            if b == nil or b < 0x80 or b > 0xBF then
                return false
            end
        end
        i = i + size
    end
    return true
end

local function assert_utf8(s)
    assert.is_true(is_utf8(s), ("not valid UTF-8: %q"):format(s))
    assert.is_true((pcall(json.encode, s)), ("json.encode rejects %q"):format(s))
end

-- "Gateway error, please retry later." in Chinese, UTF-8 and GBK.
local PAGE_UTF8 = "网关错误，请稍后重试。"
local PAGE_GBK = "\205\248\185\216\180\237\206\243\163\172\199\235\201\212\186\243"
    .. "\214\216\202\212\161\163"

describe("cam.errors", function()
    describe("message cap", function()
        it("cuts before a character that crosses the cap", function()
            local err = errors.new({ kind = "api", code = "X",
                message = ("a"):rep(1999) .. "中文" })
            assert_utf8(err.message)
            assert.are.equal(("a"):rep(1999) .. "...", err.message)
        end)

        it("keeps a message of exactly the cap", function()
            local text = ("a"):rep(1997) .. "中"
            local err = errors.new({ kind = "api", code = "X", message = text })
            assert.are.equal(text, err.message)
        end)

        it("cuts a long Chinese message on a boundary", function()
            local err = errors.new({ kind = "api", code = "X",
                message = PAGE_UTF8:rep(100) })
            assert_utf8(err.message)
            assert.is_true(#err.message <= errors.MAX_MESSAGE + 3)
            assert.matches("%.%.%.$", err.message)
            assert.are.equal(1, err.message:find(PAGE_UTF8, 1, true))
        end)

        it("cuts a code and request id on a boundary", function()
            local err = errors.new({ kind = "api", code = ("b"):rep(127) .. "é",
                request_id = "中" .. ("c"):rep(126) .. "中" })
            assert_utf8(err.code)
            assert_utf8(err.request_id)
            assert.are.equal(("b"):rep(127) .. "...", err.code)
            assert.are.equal("中" .. ("c"):rep(125) .. "...", err.request_id)
        end)
    end)

    describe("invalid UTF-8", function()
        it("replaces GBK bytes with U+FFFD", function()
            local err = errors.new({ kind = "http", code = "X",
                message = "HTTP 502: " .. PAGE_GBK })
            assert_utf8(err.message)
            assert.matches("^HTTP 502: \u{FFFD}", err.message)
            assert_utf8(tostring(err))
        end)

        for name, bytes in pairs({
            ["a lone continuation byte"] = "\128",
            ["a cut sequence"] = "\228\184",
            ["an overlong slash"] = "\192\175",
            ["an overlong three-byte form"] = "\224\128\175",
            ["a surrogate"] = "\237\160\128",
            ["a code point above U+10FFFF"] = "\244\144\128\128",
            ["byte 0xFF"] = "\255",
        }) do
            it("replaces " .. name, function()
                local err = errors.new({ kind = "api", code = "X" .. bytes,
                    message = "a" .. bytes .. "b" })
                assert_utf8(err.message)
                assert_utf8(err.code)
                assert.is_truthy(err.message:find("\u{FFFD}", 1, true))
                assert.are.equal("ab", (err.message:gsub("\u{FFFD}", "")))
            end)
        end

        it("keeps valid characters of every length", function()
            local text = "é 中 𝄞 ✓"
            assert.are.equal(text, errors.new({ kind = "api", message = text }).message)
        end)
    end)

    describe("invisible characters", function()
        local cases = {
            { "C1 CSI", "\u{9B}" },
            { "NEL", "\u{85}" },
            { "line separator", "\u{2028}" },
            { "paragraph separator", "\u{2029}" },
            { "right-to-left override", "\u{202E}" },
            { "left-to-right embedding", "\u{202A}" },
            { "first strong isolate", "\u{2068}" },
            { "pop directional isolate", "\u{2069}" },
            { "ESC", "\27" },
            { "tag character", "\u{E0041}" },
        }
        for _, case in ipairs(cases) do
            it("replaces " .. case[1] .. " with a space", function()
                local err = errors.new({ kind = "api", code = "C" .. case[2] .. "D",
                    message = "left" .. case[2] .. "right",
                    request_id = "r" .. case[2] })
                assert.are.equal("left right", err.message)
                assert.are.equal("C D", err.code)
                assert.are.equal("r ", err.request_id)
                assert.is_nil(tostring(err):find(case[2], 1, true))
            end)
        end

        it("cleans fields changed after new in tostring", function()
            local err = errors.new({ kind = "api", code = "X", message = "m" })
            err.message = "a\u{9B}31mb\u{202E}c\255"
            local line = tostring(err)
            assert.are.equal("cam: api error X: a 31mb c\u{FFFD}", line)
        end)
    end)

    describe("clean", function()
        it("uses the given replacement", function()
            assert.are.equal("a?b", errors.clean("a\u{2028}b", nil, "?"))
        end)

        it("leaves printable ASCII as it is", function()
            assert.are.equal("plain text", errors.clean("plain text", 20))
        end)

        it("cuts text of only invisible characters", function()
            local text = ("\u{2028}"):rep(100)
            local cleaned = errors.clean(text, 10)
            assert.are.equal((" "):rep(10) .. "...", cleaned)
        end)
    end)
end)
