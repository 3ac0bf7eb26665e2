local json = require("cam.json")

local math_type = math.type


--- Call json.encode and return the error message it raised, or nil.
local function encode_error(value)
    local ok, err = pcall(json.encode, value)
    if ok then
        return nil
    end
    return err
end


--- Nest `depth` arrays, with `{}` innermost at the given depth.
local function nested_arrays(depth)
    local root = {}
    local current = root

    for _ = 2, depth do
        current[1] = {}
        current = current[1]
    end
    return root
end


describe("json.encode", function()
    it("sorts object keys", function()
        assert.equal('{"a":1,"b":2,"c":3}', json.encode({ c = 3, a = 1, b = 2 }))
    end)

    it("writes keys 1..n as an array", function()
        assert.equal('["x","y","z"]', json.encode({ "x", "y", "z" }))
    end)

    it("writes an empty table as object", function()
        assert.equal("{}", json.encode({}))
    end)

    it("writes a marked empty table as array", function()
        assert.equal("[]", json.encode(json.array({})))
    end)

    it("writes nested empty arrays", function()
        assert.equal('{"Scope":[]}', json.encode({ Scope = json.array({}) }))
    end)

    it("writes json.null as null", function()
        assert.equal('{"a":null}', json.encode({ a = json.null }))
    end)

    it("writes booleans", function()
        assert.equal("[true,false]", json.encode({ true, false }))
    end)

    it("writes scalars at the top level", function()
        assert.equal('"x"', json.encode("x"))
        assert.equal("7", json.encode(7))
        assert.equal("null", json.encode(json.null))
    end)

    it("writes integers without fraction", function()
        assert.equal("11", json.encode(11))
        assert.equal("-42", json.encode(-42))
        assert.equal("0", json.encode(0))
    end)

    it("writes 64-bit integers exactly", function()
        if math_type == nil then
            return
        end
        assert.equal("9223372036854775807", json.encode(math.maxinteger))
        assert.equal("-9223372036854775808", json.encode(math.mininteger))
    end)

    it("writes integral floats without fraction", function()
        assert.equal("3", json.encode(3.0))
        assert.equal("-3", json.encode(-3.0))
        assert.equal("9007199254740992", json.encode(2.0 ^ 53))
        assert.equal("-9007199254740992", json.encode(-(2.0 ^ 53)))
    end)

    it("writes floats beyond 2^53 with %.17g", function()
        assert.equal(string.format("%.17g", 2.0 ^ 60), json.encode(2.0 ^ 60))
    end)

    it("writes fractions with 17 digits", function()
        assert.equal("0.5", json.encode(0.5))
        assert.equal("0.10000000000000001", json.encode(0.1))
        assert.equal("-1.5", json.encode(-1.5))
    end)

    it("rejects NaN", function()
        assert.matches("is NaN", encode_error({ n = 0 / 0 }), 1, true)
    end)

    it("rejects infinity", function()
        assert.matches("is infinite", encode_error({ math.huge }), 1, true)
        assert.matches("is infinite", encode_error({ -math.huge }), 1, true)
    end)

    it("keeps slash unescaped", function()
        assert.equal('"https://idp.example.com/a"',
            json.encode("https://idp.example.com/a"))
    end)

    it("escapes quote and backslash", function()
        assert.equal([["a\"b\\c"]], json.encode('a"b\\c'))
    end)

    it("escapes control characters as \\u", function()
        assert.equal([["\u0000"]], json.encode("\0"))
        assert.equal([["a\u000ab"]], json.encode("a\nb"))
        assert.equal([["\u0009\u000d\u001f"]], json.encode("\t\r\31"))
    end)

    it("leaves DEL unescaped", function()
        assert.equal('"\127"', json.encode("\127"))
    end)

    it("writes UTF-8 text raw", function()
        assert.equal('"中文 😀"', json.encode("中文 😀"))
    end)

    it("rejects invalid UTF-8 with path", function()
        local err = encode_error({ Scope = { "openid", "\255" } })

        assert.matches("Scope[2] is not valid UTF-8", err, 1, true)
    end)

    it("rejects overlong UTF-8", function()
        assert.matches("not valid UTF-8", encode_error("\192\175"), 1, true)
    end)

    it("rejects UTF-8 surrogates", function()
        assert.matches("not valid UTF-8", encode_error("\237\160\128"), 1, true)
    end)

    it("rejects invalid UTF-8 in keys", function()
        assert.matches("not valid UTF-8", encode_error({ ["\255"] = 1 }), 1, true)
    end)

    it("names the key with invalid UTF-8", function()
        local err = encode_error({ a = { ["k\255"] = 1 } })

        assert.matches('a has a key that is not valid UTF-8 (invalid byte at'
            .. ' offset 2): "k\\xFF"', err, 1, true)
        assert.is_true((require("cam.core").utf8_valid(err)))
    end)

    it("writes odd keys on one line", function()
        local err = encode_error({ ["a\nb"] = 0 / 0 })

        assert.matches('["a\\x0Ab"] is NaN', err, 1, true)
        assert.is_nil(err:find("\n", 1, true))
    end)

    it("escapes keys in table shape errors", function()
        local mixed = encode_error({ [1] = 1, ["a\nb\255"] = 2 })
        local marked = encode_error(json.array({ ["x\n"] = 1 }))

        assert.matches("such as 'a\\x0Ab\\xFF' and 1", mixed, 1, true)
        assert.matches("has the key 'x\\x0A'", marked, 1, true)
        assert.is_true((require("cam.core").utf8_valid(mixed)))
    end)

    it("names a huge sparse index", function()
        local err = encode_error({ [1e300] = true })

        assert.matches("highest index 1.0000000000000001e+300", err, 1, true)
    end)

    it("escapes quotes in a key path", function()
        local err = encode_error({ x = { ['we"ird'] = print } })

        assert.matches('x["we\\x22ird"] is a function', err, 1, true)
    end)

    it("reports the nested path", function()
        local err = encode_error({ Filters = { { Name = print } } })

        assert.matches("Filters[1].Name is a function", err, 1, true)
    end)

    it("reports the root as value", function()
        assert.matches("^value is a function", encode_error(print))
    end)

    it("rejects functions", function()
        assert.matches("is a function", encode_error({ f = print }), 1, true)
    end)

    it("rejects full userdata", function()
        assert.matches("is a userdata", encode_error({ io.stdout }), 1, true)
    end)

    it("rejects coroutines", function()
        local thread = coroutine.create(print)

        assert.matches("is a thread", encode_error({ thread }), 1, true)
    end)

    it("rejects mixed keys", function()
        assert.matches("mixes string keys and array indexes",
            encode_error({ 1, a = 2 }), 1, true)
    end)

    it("rejects sparse arrays", function()
        assert.matches("sparse array", encode_error({ [1] = 1, [3] = 3 }), 1, true)
    end)

    it("rejects an array starting at 2", function()
        assert.matches("sparse array", encode_error({ [2] = "x" }), 1, true)
    end)

    it("rejects index zero", function()
        assert.matches("number key 0", encode_error({ [0] = "x" }), 1, true)
    end)

    it("rejects fractional keys", function()
        assert.matches("number key 1.5", encode_error({ [1.5] = "x" }), 1, true)
    end)

    it("rejects boolean keys", function()
        assert.matches("boolean key true", encode_error({ [true] = 1 }), 1, true)
    end)

    it("rejects a marked array with names", function()
        local err = encode_error(json.array({ a = 1 }))

        assert.matches("marked as an array", err, 1, true)
    end)

    it("rejects reference cycles", function()
        local t = { a = {} }
        t.a.back = t

        assert.matches("a.back contains itself", encode_error(t), 1, true)
    end)

    it("allows a shared subtable", function()
        local shared = { 1 }

        assert.equal('{"a":[1],"b":[1]}', json.encode({ a = shared, b = shared }))
    end)

    it("accepts 100 nesting levels", function()
        local text = json.encode(nested_arrays(100))

        assert.equal(string.rep("[", 99) .. "{}" .. string.rep("]", 99), text)
    end)

    it("rejects 101 nesting levels", function()
        local err = encode_error(nested_arrays(101))

        assert.matches("nested deeper than 100 levels", err, 1, true)
    end)

    it("raises at the caller", function()
        local ok, err = pcall(function()
            local text = json.encode({ f = print })
            return text
        end)

        assert.is_false(ok)
        assert.matches("^spec/json_spec.lua:%d+: f is a function", err)
    end)

    it("is deterministic", function()
        local first = {}
        local second = {}
        local names = {}

        for i = 1, 200 do
            names[i] = "key" .. i
        end
        for i = 1, 200 do
            first[names[i]] = i
        end
        for i = 200, 1, -1 do
            second[names[i]] = i
        end

        assert.equal(json.encode(first), json.encode(second))
        assert.equal(json.encode(first), json.encode(first))
    end)

    it("writes compact output", function()
        assert.equal('{"a":[1,{"b":"c"}]}', json.encode({ a = { 1, { b = "c" } } }))
    end)
end)


describe("json.array", function()
    it("returns the same table", function()
        local t = {}

        assert.equal(t, json.array(t))
    end)

    it("marks the table", function()
        assert.is_true(json.is_array(json.array({})))
    end)

    it("accepts an already marked table", function()
        local t = json.array({})

        assert.equal(t, json.array(t))
    end)

    it("rejects a non-table", function()
        assert.has_error(function()
            json.array("x")
        end, "json.array: expected a table, got string")
    end)

    it("rejects another metatable", function()
        local t = setmetatable({}, {})

        assert.has_error(function()
            json.array(t)
        end, "json.array: the table already has a metatable")
    end)
end)


describe("json.is_array", function()
    it("is false for plain tables", function()
        assert.is_false(json.is_array({ 1, 2 }))
    end)

    it("is false for non-tables", function()
        assert.is_false(json.is_array("x"))
        assert.is_false(json.is_array(nil))
    end)
end)


describe("json.decode", function()
    it("makes integral numbers integers", function()
        local value = json.decode('{"Status":11}')

        assert.equal(11, value.Status)
        if math_type ~= nil then
            assert.equal("integer", math_type(value.Status))
        end
    end)

    it("makes exponent integers integers", function()
        local value = json.decode("[1e2, 2.0]")

        assert.equal(100, value[1])
        if math_type ~= nil then
            assert.equal("integer", math_type(value[1]))
            assert.equal("integer", math_type(value[2]))
        end
    end)

    it("keeps fractions as floats", function()
        local value = json.decode("[2.5]")

        assert.equal(2.5, value[1])
        if math_type ~= nil then
            assert.equal("float", math_type(value[1]))
        end
    end)

    it("turns integers into nested integers", function()
        local value = json.decode('{"a":{"b":[{"AutoRotateKey":1}]}}')

        assert.equal(1, value.a.b[1].AutoRotateKey)
        if math_type ~= nil then
            assert.equal("integer", math_type(value.a.b[1].AutoRotateKey))
        end
    end)

    it("prints decoded integers without .0", function()
        assert.equal("1700000000", tostring(json.decode("[1700000000]")[1]))
    end)

    it("rejects numbers beyond a double", function()
        for _, text in ipairs({ "1e400", "[-1e400]", '{"a":{"b":[1,1e999]}}' }) do
            local value, err = json.decode(text)

            assert.is_nil(value, text)
            assert.matches("beyond the range of a double", err, 1, true)
        end
    end)

    it("drops null members", function()
        local value = json.decode('{"Description":null,"Status":11}')

        assert.is_nil(value.Description)
        assert.equal(11, value.Status)
    end)

    it("re-encodes without null", function()
        local value = json.decode('{"Description":null}')

        assert.equal("{}", json.encode(value))
    end)

    it("drops null items from arrays", function()
        local value = json.decode('[1,null,2,null]')

        assert.equal(2, #value)
        assert.equal(1, value[1])
        assert.equal(2, value[2])
        assert.is_nil(value[3])
    end)

    it("turns an all-null array empty", function()
        local value = json.decode('{"Scope":[null]}')

        assert.equal('{"Scope":[]}', json.encode(value))
    end)

    it("marks arrays", function()
        assert.is_true(json.is_array(json.decode('["openid"]')))
    end)

    it("does not mark objects", function()
        assert.is_false(json.is_array(json.decode('{"a":1}')))
    end)

    it("keeps empty arrays as arrays", function()
        local value = json.decode('{"Scope":[],"ClientId":[ \n ]}')

        assert.is_true(json.is_array(value.Scope))
        assert.equal('{"ClientId":[],"Scope":[]}', json.encode(value))
    end)

    it("keeps empty objects as objects", function()
        local value = json.decode('{"a":{}}')

        assert.is_false(json.is_array(value.a))
        assert.equal('{"a":{}}', json.encode(value))
    end)

    it("ignores brackets inside strings", function()
        local value = json.decode('{"a":"[]","b":"x\\"[ ]","c":[]}')

        assert.equal("[]", value.a)
        assert.equal('x"[ ]', value.b)
        assert.is_true(json.is_array(value.c))
    end)

    it("keeps escaped backslash before quote", function()
        local value = json.decode('["\\\\",[]]')

        assert.equal("\\", value[1])
        assert.is_true(json.is_array(value[2]))
    end)

    it("decodes scalars", function()
        assert.equal(5, json.decode("5"))
        assert.equal("x", json.decode('"x"'))
        assert.is_true(json.decode("true"))
        assert.is_false(json.decode("false"))
    end)

    it("decodes unicode escapes", function()
        assert.equal("中", json.decode('"\\u4e2d"'))
        assert.equal("😀", json.decode('"\\ud83d\\ude00"'))
    end)

    it("rejects lone surrogate escapes", function()
        local value, err = json.decode('["\\ud800"]')

        assert.is_nil(value)
        assert.matches("^invalid JSON", err)
    end)

    it("rejects top-level null", function()
        local value, err = json.decode("null")

        assert.is_nil(value)
        assert.matches("just null", err, 1, true)
    end)

    it("rejects non-strings", function()
        local value, err = json.decode({})

        assert.is_nil(value)
        assert.equal("json.decode: expected a string, got table", err)
    end)

    it("rejects nil", function()
        local value, err = json.decode(nil)

        assert.is_nil(value)
        assert.equal("json.decode: expected a string, got nil", err)
    end)

    it("rejects invalid JSON", function()
        local value, err = json.decode('{"a":')

        assert.is_nil(value)
        assert.matches("^invalid JSON: ", err)
    end)

    it("reports positions in the original text", function()
        local _, err = json.decode("[[],[],x]")

        assert.matches("at character 8", err, 1, true)
    end)

    it("rejects invalid UTF-8", function()
        local value, err = json.decode('["\255"]')

        assert.is_nil(value)
        assert.matches("not valid UTF-8 (invalid byte at offset 3)", err, 1, true)
    end)

    it("rejects NaN literals", function()
        assert.is_nil(json.decode("[NaN]"))
    end)

    it("rejects Infinity literals", function()
        assert.is_nil(json.decode("[Infinity]"))
    end)

    it("rejects hexadecimal numbers", function()
        assert.is_nil(json.decode("[0x10]"))
    end)

    it("accepts 100 nesting levels", function()
        local text = string.rep("[", 100) .. string.rep("]", 100)

        assert.is_table(json.decode(text))
    end)

    it("rejects 101 nesting levels", function()
        local text = string.rep("[", 101) .. string.rep("]", 101)
        local value, err = json.decode(text)

        assert.is_nil(value)
        assert.matches("nested deeper than 100 levels", err, 1, true)
    end)

    it("leaves the shared cjson module alone", function()
        local cjson = require("cjson")
        local text = string.rep("[", 150) .. string.rep("]", 150)

        assert.is_table(cjson.decode(text))
    end)
end)


describe("json round trip", function()
    it("keeps Chinese and emoji byte-exact", function()
        local description = "单点登录 OIDC 配置 😀🚀 ok"
        local text = json.encode({ Description = description })

        assert.equal('{"Description":"' .. description .. '"}', text)
        assert.equal(description, json.decode(text).Description)
        assert.equal(text, json.encode(json.decode(text)))
    end)

    it("keeps a describe response stable", function()
        local text = '{"Response":{"AutoRotateKey":0,"ClientId":"cam-sso",'
            .. '"Description":"","IdentityUrl":"https://idp.example.com",'
            .. '"ProviderType":12,"RequestId":"r-1","Scope":["openid","email"],'
            .. '"Status":11}}'

        assert.equal(text, json.encode(json.decode(text)))
    end)

    it("keeps escaped control characters", function()
        local text = json.encode({ "a\0b\n" })

        assert.equal("a\0b\n", json.decode(text)[1])
    end)
end)


describe("json encoders", function()
    local core = require("cam.core")

    -- A small deterministic generator, so a failure reproduces exactly.
    local seed = 12345
    local function random(n)
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n + 1
    end

    local STRINGS = {
        "", "a", "Scope", "中文", "🙂", "a\"b", "back\\slash", "tab\tnew\n",
        "\0nul", "\31\127", "/path/", "https://idp.example.com/a?b=c",
        string.rep("x", 700),
    }
    local BAD_STRINGS = { "\xc0\xaf", "\xed\xa0\x80", "abc\xff", "\xe4\xb8" }
    local NUMBERS = {
        0, 1, -1, 42, 2 ^ 53, -(2 ^ 53), 2 ^ 53 + 2, 0.5, -0.0, 1e300, 1e-300,
        0.1, 3.14159, 7.0,
    }
    -- Lua 5.4 integers; LuaJIT has only doubles.
    if math.maxinteger ~= nil then
        NUMBERS[#NUMBERS + 1] = math.maxinteger
        NUMBERS[#NUMBERS + 1] = math.mininteger
    end
    local BAD_VALUES = { 0 / 0, math.huge, -math.huge, print, io.stdout,
        coroutine.create(function() end) }

    local function pick(list)
        return list[random(#list)]
    end

    -- Build a value that both encoders accept.
    local function generate(depth)
        local kind = random(depth > 4 and 4 or 7)

        if kind == 1 then
            return pick(STRINGS)
        elseif kind == 2 then
            return pick(NUMBERS)
        elseif kind == 3 then
            return random(2) == 1
        elseif kind == 4 then
            return json.null
        elseif kind == 5 then
            local t = {}
            for i = 1, random(4) - 1 do
                t[i] = generate(depth + 1)
            end
            return random(2) == 1 and json.array(t) or t
        else
            local t = {}
            for _ = 1, random(5) - 1 do
                t[pick(STRINGS) .. random(9)] = generate(depth + 1)
            end
            return t
        end
    end

    -- Wrap `value` in a table that cannot be encoded.
    local function spoil(value)
        local variant = random(7)

        if variant == 1 then
            return { pick(BAD_STRINGS) }
        elseif variant == 2 then
            return { [pick(BAD_STRINGS)] = 1 }
        elseif variant == 3 then
            return { nested = { pick(BAD_VALUES) } }
        elseif variant == 4 then
            return { 1, 2, x = value }
        elseif variant == 5 then
            return { [1] = value, [3] = value }
        elseif variant == 6 then
            return json.array({ name = value })
        else
            local t = {}
            t.self = { t }
            return t
        end
    end

    it("agree on 2000 valid values", function()
        for i = 1, 2000 do
            local value = generate(1)
            local c_text = core.json_encode(value, getmetatable(json.array({})),
                json.null)
            local lua_text = json._encode_in_lua(value)

            assert.are.equal(lua_text, c_text, "value " .. i)
        end
    end)

    it("agree on 500 invalid values", function()
        for i = 1, 500 do
            local value = spoil(generate(1))
            local c_text = core.json_encode(value, getmetatable(json.array({})),
                json.null)
            local ok = pcall(json._encode_in_lua, value)

            assert.is_nil(c_text, "value " .. i)
            assert.is_false(ok, "value " .. i)
        end
    end)

    it("reject deep nesting in C", function()
        local ok_text = core.json_encode(nested_arrays(100), nil, json.null)
        local deep_text = core.json_encode(nested_arrays(101), nil, json.null)

        assert.is_string(ok_text)
        assert.is_nil(deep_text)
    end)

    it("write a long document in C", function()
        local big = {}
        for i = 1, 5000 do
            big[i] = { name = "item " .. i, value = i * 0.5 }
        end

        local text = core.json_encode(big, nil, json.null)

        assert.are.equal(json._encode_in_lua(big), text)
    end)
end)
