--- JSON for CAM request and response bodies.
--
-- `encode` is this module's own encoder, because request bodies are signed
-- byte for byte and must not depend on table iteration order. Its output is
-- compact, object keys are sorted, strings are emitted as raw UTF-8, and `/`
-- is never escaped. `cam.core.json_encode` writes the text in C, and the
-- Lua encoder here runs only when that fails, to name the offending value.
--
-- `decode` parses with lua-cjson and then normalises the result: integral
-- numbers become integers, JSON `null` disappears, and arrays carry a marker
-- so that they encode as arrays again, even when empty.
-- @module cam.json

local cjson = require("cjson.safe")
local core = require("cam.core")

local byte = string.byte
local concat = table.concat
local error = error
local find = string.find
local format = string.format
local getmetatable = getmetatable
local gsub = string.gsub
local huge = math.huge
local next = next
local pcall = pcall
local rawget = rawget
local setmetatable = setmetatable
local sort = table.sort
local sub = string.sub
local tostring = tostring
local type = type
local json_encode = core.json_encode
local json_quote = core.json_quote
local utf8_valid = core.utf8_valid

-- Both exist on Lua 5.3 and later, and both are nil on LuaJIT, where every
-- number is a double.
local math_type = math.type
local tointeger = math.tointeger

local _M = {}

--- Maximum nesting of arrays and objects that `encode` writes and `decode`
-- reads.
_M.MAX_DEPTH = 100

--- The JSON `null` value: lua-cjson's `cjson.null` light userdata.
_M.null = cjson.null

local null = cjson.null
local MAX_DEPTH = _M.MAX_DEPTH

-- Doubles represent every integer in this range exactly, so such values are
-- written without a fraction.
local MAX_EXACT_INTEGER = 9007199254740992

local array_mt = { __name = "cam.json.array" }

-- A private lua-cjson instance, so that these settings do not change the
-- shared `cjson` module that other code may use.
local decoder = cjson.new()
decoder.decode_max_depth(MAX_DEPTH)
decoder.decode_invalid_numbers(false)


--- Mark a table as a JSON array, so that it encodes as `[]` when empty.
-- @tparam table t the table; it must have no metatable, or the marker already
-- @treturn table `t` itself
-- @raise when `t` is not a table or has another metatable
function _M.array(t)
    if type(t) ~= "table" then
        error("json.array: expected a table, got " .. type(t), 2)
    end

    local mt = getmetatable(t)
    if mt ~= nil and mt ~= array_mt then
        error("json.array: the table already has a metatable", 2)
    end
    return setmetatable(t, array_mt)
end


--- Tell whether a value is a table marked with `json.array`.
-- Arrays returned by `decode` carry the marker.
-- @param value anything
-- @treturn boolean
function _M.is_array(value)
    return type(value) == "table" and getmetatable(value) == array_mt
end


-- Encoding ---------------------------------------------------------------

-- The error value raised inside the encoder, so that `encode` can tell its
-- own errors from any other.
local encode_error_mt = {}


--- Escape a key for a path in a message, on one line and in valid UTF-8:
-- quotes, backslashes and control characters become escapes, and so does
-- every byte of a key that is not valid UTF-8.
local function escape_key(key)
    local bytes = utf8_valid(key) and '[%c"\\]' or '[%c"\\\128-\255]'

    return (gsub(key, bytes, function(c)
        return format("\\x%02X", byte(c))
    end))
end


--- Format an array index for a message. An index too large for %d, such
-- as 1e300, is written with %.17g.
local function format_index(index)
    if index >= -MAX_EXACT_INTEGER and index <= MAX_EXACT_INTEGER then
        return format("%d", index)
    end
    return format("%.17g", index)
end


--- Format the path to the value at `depth`, such as `Filters[1].Name`.
local function format_path(keys, depth)
    if depth == 0 then
        return "value"
    end

    local parts = {}
    for i = 1, depth do
        local key = keys[i]

        if type(key) == "number" then
            parts[i] = "[" .. format("%d", key) .. "]"
        elseif find(key, "^[%a_][%w_]*$") then
            parts[i] = (i == 1 and "" or ".") .. key
        else
            parts[i] = '["' .. escape_key(key) .. '"]'
        end
    end
    return concat(parts)
end


local function fail(keys, depth, message)
    error(setmetatable({ message = format_path(keys, depth) .. " " .. message },
        encode_error_mt), 0)
end


local function encode_string(s, keys, depth)
    local quoted, offset = json_quote(s)
    if quoted == nil then
        fail(keys, depth, "is not valid UTF-8 (invalid byte at offset "
            .. offset .. ")")
    end
    return quoted
end


local function encode_number(n, keys, depth)
    if n ~= n then
        fail(keys, depth, "is NaN, which JSON cannot represent")
    end
    if n == huge or n == -huge then
        fail(keys, depth, "is infinite, which JSON cannot represent")
    end

    if math_type ~= nil and math_type(n) == "integer" then
        return format("%d", n)
    end
    if n % 1 == 0 and n >= -MAX_EXACT_INTEGER and n <= MAX_EXACT_INTEGER then
        return format("%.0f", n)
    end

    -- A C locale with a decimal comma would otherwise produce invalid JSON.
    local text = format("%.17g", n)
    if find(text, ",", 1, true) then
        text = gsub(text, ",", ".")
    end
    return text
end


local encode_value


--- Classify a table's keys: returns "array" and n, or "object" and the
-- sorted keys. Raises on mixed, sparse or unsupported keys.
local function classify_table(t, keys, depth)
    local names = {}
    local count = 0
    local max_index = 0

    for key in next, t do
        local kind = type(key)

        if kind == "string" then
            names[#names + 1] = key
        elseif kind == "number" and key >= 1 and key % 1 == 0 then
            count = count + 1
            if key > max_index then
                max_index = key
            end
        else
            fail(keys, depth, "has a " .. kind .. " key " .. tostring(key)
                .. "; JSON objects need string keys and arrays keys 1..n")
        end
    end

    -- NOTE: `<` on strings follows the C library's collation (LC_COLLATE).
    -- In the C locale, the default for Lua programs, that is the byte order
    -- the C encoder uses. Other locales only change the order of members
    -- in a value that fails to encode anyway.
    sort(names)

    if count > 0 and #names > 0 then
        fail(keys, depth, "mixes string keys and array indexes, such as '"
            .. escape_key(names[1]) .. "' and " .. format_index(max_index))
    end
    if count > 0 then
        if max_index ~= count then
            fail(keys, depth, "is a sparse array (" .. count
                .. " items, highest index " .. format_index(max_index) .. ")")
        end
        return "array", count
    end
    if getmetatable(t) == array_mt then
        if #names > 0 then
            fail(keys, depth, "is marked as an array but has the key '"
                .. escape_key(names[1]) .. "'")
        end
        return "array", 0
    end

    return "object", names
end


local function encode_table(t, n, depth, state)
    local parts = state.parts
    local keys = state.keys
    local active = state.active

    if active[t] then
        fail(keys, depth, "contains itself (a reference cycle)")
    end
    if depth >= MAX_DEPTH then
        fail(keys, depth, "is nested deeper than " .. MAX_DEPTH .. " levels")
    end

    local kind, layout = classify_table(t, keys, depth)
    active[t] = true

    if kind == "array" then
        n = n + 1
        parts[n] = "["
        for i = 1, layout do
            if i > 1 then
                n = n + 1
                parts[n] = ","
            end
            keys[depth + 1] = i
            n = encode_value(rawget(t, i), n, depth + 1, state)
        end
        n = n + 1
        parts[n] = "]"
    else
        local members = state.members

        n = n + 1
        parts[n] = "{"
        for i = 1, #layout do
            local name = layout[i]
            local member = members[name]

            keys[depth + 1] = name
            if member == nil then
                local quoted, offset = json_quote(name)
                if quoted == nil then
                    fail(keys, depth, "has a key that is not valid UTF-8"
                        .. " (invalid byte at offset " .. offset .. "): \""
                        .. escape_key(name) .. "\"")
                end
                member = quoted .. ":"
                members[name] = member
            end
            if i > 1 then
                n = n + 1
                parts[n] = ","
            end
            n = n + 1
            parts[n] = member
            n = encode_value(rawget(t, name), n, depth + 1, state)
        end
        n = n + 1
        parts[n] = "}"
    end

    active[t] = nil
    return n
end


--- Append the encoding of `value` to `state.parts[n + 1 ...]`; return the
-- new n.
encode_value = function(value, n, depth, state)
    local kind = type(value)
    local parts = state.parts

    if kind == "string" then
        n = n + 1
        parts[n] = encode_string(value, state.keys, depth)
    elseif kind == "number" then
        n = n + 1
        parts[n] = encode_number(value, state.keys, depth)
    elseif kind == "boolean" then
        n = n + 1
        parts[n] = value and "true" or "false"
    elseif kind == "table" then
        n = encode_table(value, n, depth, state)
    elseif value == null then
        n = n + 1
        parts[n] = "null"
    else
        fail(state.keys, depth, "is a " .. kind
            .. ", which JSON cannot represent")
    end
    return n
end


--- Encode `value` with the Lua encoder, which names the offending value
-- when encoding fails.
local function encode_in_lua(value)
    -- `keys` is the path to the current value, for error messages.
    -- `active` contains the tables being encoded, to detect cycles, and
    -- `members` caches the encoded `"name":` of each object key.
    local state = { parts = {}, keys = {}, active = {}, members = {} }
    local ok, err = pcall(encode_value, value, 0, 0, state)

    if not ok then
        if getmetatable(err) == encode_error_mt then
            error(err.message, 2)
        end
        error(err, 0)
    end
    return concat(state.parts)
end


-- Exposed so that tests can compare both encoders.
_M._encode_in_lua = encode_in_lua


--- Encode a value as compact JSON text.
-- Tables with keys 1..n become arrays and tables with string keys become
-- objects, written with keys in sorted order. An empty table becomes `{}`
-- unless it is marked with `json.array`. `json.null` becomes `null`.
-- Integers and doubles with an integral value up to 2^53 are written without
-- a fraction; other numbers use 17 significant digits.
-- @param value a string, number, boolean, table or `json.null`
-- @treturn string the JSON text
-- @raise when a value cannot be encoded, with the path to it, such as
--   `Scope[2] is not valid UTF-8 (invalid byte at offset 3)`. Causes are
--   invalid UTF-8, NaN or infinity, functions and other userdata, mixed or
--   sparse keys, reference cycles and nesting deeper than `MAX_DEPTH`.
function _M.encode(value)
    -- The C encoder writes the same text and returns nil for every value
    -- that fails, so the Lua encoder runs only to explain the failure.
    local text = json_encode(value, array_mt, null)
    if text ~= nil then
        return text
    end
    return encode_in_lua(value)
end


-- Decoding ---------------------------------------------------------------

-- Find the closing quote of the JSON string whose body starts at `i`.
local function string_end(text, i)
    while true do
        local stop = find(text, '["\\]', i)

        if stop == nil then
            return nil
        end
        if byte(text, stop) == 34 then
            return stop
        end
        i = stop + 2
    end
end


--- Rewrite every empty array `[]` outside strings as `[null]`.
-- lua-cjson 2.1.0 decodes `[]` and `{}` to the same empty table. `[null]` is
-- a one-item table that `normalise` recognises as an array and then empties,
-- because it drops nulls from arrays.
local function mark_empty_arrays(text)
    local empty_start, empty_stop = find(text, "%[[ \t\r\n]*%]")
    if empty_start == nil then
        return text
    end

    local parts = {}
    local n = 0
    local pos = 1
    local quote = find(text, '"', 1, true)

    while empty_start ~= nil do
        if quote ~= nil and quote < empty_start then
            local close = string_end(text, quote + 1)
            if close == nil then
                -- An unterminated string: lua-cjson reports it.
                break
            end
            quote = find(text, '"', close + 1, true)
            if close > empty_start then
                empty_start, empty_stop = find(text, "%[[ \t\r\n]*%]", close + 1)
            end
        else
            n = n + 1
            parts[n] = sub(text, pos, empty_start - 1) .. "[null]"
            pos = empty_stop + 1
            empty_start, empty_stop = find(text, "%[[ \t\r\n]*%]", pos)
        end
    end

    n = n + 1
    parts[n] = sub(text, pos)
    return concat(parts)
end


--- Convert lua-cjson's result in place: integers, no nulls, marked arrays.
-- The error `normalise` raises for a number beyond the range of a double,
-- which lua-cjson reads as an infinity.
local out_of_range = {}


local function normalise(value)
    local kind = type(value)

    if kind == "number" then
        if value == huge or value == -huge then
            error(out_of_range, 0)
        end
        return tointeger ~= nil and tointeger(value) or value
    end
    if kind ~= "table" then
        return value
    end

    -- lua-cjson gives arrays integer keys and objects string keys, and
    -- `mark_empty_arrays` leaves no empty array behind.
    if type(next(value)) == "number" then
        local count = #value
        local kept = 0

        for i = 1, count do
            local item = value[i]
            if item ~= null then
                kept = kept + 1
                value[kept] = normalise(item)
            end
        end
        for i = kept + 1, count do
            value[i] = nil
        end
        return setmetatable(value, array_mt)
    end

    for key, item in next, value do
        if item == null then
            value[key] = nil
        else
            value[key] = normalise(item)
        end
    end
    return value
end


--- Parse JSON text.
-- Numbers with an integral value become Lua integers where the Lua version
-- has them. `null` never reaches the caller: object members whose value is
-- `null` are removed, and `null` items are dropped from arrays, which closes
-- the gap. Arrays are marked with `json.array`. The text must be UTF-8,
-- nesting is limited to `MAX_DEPTH`, and NaN, Infinity, hexadecimal numbers
-- and numbers beyond the range of a double are rejected. Numbers are read
-- as doubles, so integers beyond 2^53 lose precision, as in lua-cjson.
-- @tparam string text the JSON text
-- @return[1] the decoded value
-- @treturn[2] nil
-- @treturn[2] string what is wrong, such as `invalid JSON: Expected value but
--   found T_END at character 1`
function _M.decode(text)
    if type(text) ~= "string" then
        return nil, "json.decode: expected a string, got " .. type(text)
    end

    local ok, offset = utf8_valid(text)
    if not ok then
        return nil, "invalid JSON: not valid UTF-8 (invalid byte at offset "
            .. offset .. ")"
    end

    local rewritten = mark_empty_arrays(text)
    local value, err = decoder.decode(rewritten)
    if value == nil and rewritten ~= text then
        -- Decode the original again so that error positions refer to it.
        value, err = decoder.decode(text)
    end

    if value == nil then
        if find(err, "too many nested", 1, true) then
            return nil, "invalid JSON: nested deeper than " .. MAX_DEPTH
                .. " levels (" .. (err:match("at character %d+") or "") .. ")"
        end
        return nil, "invalid JSON: " .. err
    end
    if value == null then
        return nil, "invalid JSON: the text is just null; expected a value"
    end

    local normalised, result = pcall(normalise, value)
    if not normalised then
        if result == out_of_range then
            return nil, "invalid JSON: a number is beyond the range of a"
                .. " double, such as 1e400"
        end
        error(result, 0)
    end
    return result
end


return _M
