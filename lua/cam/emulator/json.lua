--- JSON for the CAM emulator, with the types a request actually used.
--
-- The emulator must tell `[]` from `{}`, `1` from `1.0` and `null` from an
-- absent key. Those are the mistakes it exists to catch in a client, such as
-- an empty Lua table sent as `{}` where the API expects an array.
-- lua-cjson 2.1.0 loses all three distinctions, so this module decodes with
-- dkjson. dkjson tags decoded tables with a `__jsontype` metatable field,
-- keeps integers as Lua integers and can return a `null` sentinel.
--
-- dkjson's decoder is lenient (it takes comments, trailing commas, leading
-- zeros and unknown escapes), so every document first passes a strict
-- lua-cjson decoder that rejects those, as a real API server would.
-- @module cam.emulator.json

local cjson = require "cjson"
local dkjson = require "dkjson"

local _M = {}

local strict = cjson.new()
strict.decode_invalid_numbers(false)

local OBJECT_MT = { __jsontype = "object" }
local ARRAY_MT = { __jsontype = "array" }

--- Sentinel that decoded JSON `null` values are set to.
_M.null = dkjson.null


--- Mark a table so that it encodes as a JSON object, even when empty.
-- @tparam[opt] table t the table to mark (a new one when absent)
-- @treturn table t
function _M.object(t)
    return setmetatable(t or {}, OBJECT_MT)
end


--- Mark a table so that it encodes as a JSON array, even when empty.
-- @tparam[opt] table t the table to mark (a new one when absent)
-- @treturn table t
function _M.array(t)
    return setmetatable(t or {}, ARRAY_MT)
end


--- Name the JSON type of a decoded value.
-- @param value a value returned by `decode`
-- @treturn string one of `object`, `array`, `string`, `integer`, `number`,
-- `boolean`, `null`
function _M.type_of(value)
    if value == dkjson.null then
        return "null"
    end

    local lua_type = type(value)
    if lua_type == "table" then
        local mt = getmetatable(value)
        if mt and mt.__jsontype == "array" then
            return "array"
        end
        return "object"
    elseif lua_type == "number" then
        if math.type(value) == "integer" then
            return "integer"
        end
        return "number"
    end

    return lua_type
end


--- Decode one JSON text.
-- Objects and arrays come back tagged (see `type_of`), `null` as `null`.
-- @tparam string text the whole document; trailing non-space bytes are an
-- error
-- @return the decoded value, or nil and an error message
function _M.decode(text)
    local ok, strict_err = pcall(strict.decode, text)
    if not ok then
        return nil, tostring(strict_err)
    end

    -- Outside strings only JSON whitespace may appear, and inside strings
    -- control characters must be escaped, so any other control byte is an
    -- error wherever it is.
    local control = text:find("[\0-\8\11\12\14-\31]")
    if control then
        return nil, "unescaped control character at byte " .. control
    end

    local value, position, err = dkjson.decode(text, 1, dkjson.null, OBJECT_MT, ARRAY_MT)
    if err then
        return nil, err
    end

    if text:find("[^ \t\r\n]", position) then
        return nil, "unexpected data after the JSON value at byte " .. position
    end

    return value
end


--- Encode a value as compact JSON.
-- @param value a string, number, boolean, `null` or table
-- @tparam[opt] {string,...} key_order keys written first, in this order
-- @treturn string
-- @raise when the value contains a type JSON cannot represent
function _M.encode(value, key_order)
    return dkjson.encode(value, { keyorder = key_order })
end


return _M
