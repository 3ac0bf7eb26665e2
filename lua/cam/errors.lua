--- Error values returned as the second result of a failed call.
--
-- Every error is a table with `kind` (`"validation"`, `"transport"`,
-- `"http"`, `"api"` or `"credentials"`), `code`, `message`, and where known
-- `request_id`, `status` and `action`. Validation errors also carry
-- `problems`, a list of `{ field = ..., message = ... }`. `tostring(err)`
-- gives one readable line.
-- @module cam.errors

local text_util = require("cam.validate.text")

local byte = string.byte
local getmetatable = getmetatable
local ipairs = ipairs
local pairs = pairs
local setmetatable = setmetatable
local concat = table.concat
local find = string.find
local sub = string.sub
local tostring = tostring
local type = type

local _M = {}


local KINDS = {
    validation = true,
    transport = true,
    http = true,
    api = true,
    credentials = true,
}

--- Maximum length of a message in bytes; server text beyond it is cut.
_M.MAX_MESSAGE = 2000

--- Maximum length of a code or request id in bytes.
_M.MAX_ID = 128

--- Shortest secret that `scrub` masks.
_M.MIN_SECRET = 8

--- The fields that may carry text from a server, and so are scrubbed.
local SERVER_FIELDS = { message = true, code = true, request_id = true }

local mt = {}
mt.__index = mt


--- Replace every copy of each secret in text with `***`.
-- Secrets shorter than `MIN_SECRET` bytes are skipped: real keys, tokens
-- and signatures are far longer, and masking a short string would mangle
-- ordinary words.
-- @tparam string text
-- @tparam table secrets list of strings
-- @treturn string
function _M.scrub(text, secrets)
    for i = 1, #secrets do
        local secret = secrets[i]
        local from = 1

        while type(secret) == "string" and #secret >= _M.MIN_SECRET do
            local s, e = find(text, secret, from, true)
            if s == nil then
                break
            end
            text = sub(text, 1, s - 1) .. "***" .. sub(text, e + 1)
            from = s + 3
        end
    end
    return text
end


--- Decode the UTF-8 character at byte i of text, rejecting overlong forms,
-- surrogates and code points above U+10FFFF.
-- @tparam string text
-- @tparam integer i byte index, 1 to #text
-- @treturn[1] integer the code point
-- @treturn[1] integer its length in bytes
-- @treturn[2] nil when the bytes at i are not a valid UTF-8 sequence
function _M.decode_character(text, i)
    local b1, b2, b3, b4 = byte(text, i, i + 3)

    if b1 < 0x80 then
        return b1, 1
    end
    if b1 < 0xC2 or b1 > 0xF4 or b2 == nil or b2 < 0x80 or b2 > 0xBF then
        return nil
    end
    if b1 < 0xE0 then
        return (b1 - 0xC0) * 0x40 + (b2 - 0x80), 2
    end

    -- The second byte's range excludes overlong forms (E0, F0), the UTF-16
    -- surrogates (ED) and code points above U+10FFFF (F4).
    if (b1 == 0xE0 and b2 < 0xA0) or (b1 == 0xED and b2 > 0x9F)
            or (b1 == 0xF0 and b2 < 0x90) or (b1 == 0xF4 and b2 > 0x8F) then
        return nil
    end
    if b3 == nil or b3 < 0x80 or b3 > 0xBF then
        return nil
    end
    if b1 < 0xF0 then
        return ((b1 - 0xE0) * 0x40 + (b2 - 0x80)) * 0x40 + (b3 - 0x80), 3
    end
    if b4 == nil or b4 < 0x80 or b4 > 0xBF then
        return nil
    end
    return (((b1 - 0xF0) * 0x40 + (b2 - 0x80)) * 0x40 + (b3 - 0x80)) * 0x40
        + (b4 - 0x80), 4
end


local REPLACEMENT_CHARACTER = "\239\191\189" -- U+FFFD


--- Replace each byte that is not part of valid UTF-8 with U+FFFD and each
-- invisible character with `replacement`.
local function replace_characters(text, replacement)
    local parts = {}
    local i = 1
    local length = #text

    while i <= length do
        local _, last = find(text, "^[\32-\126]+", i)
        if last ~= nil then
            parts[#parts + 1] = sub(text, i, last)
            i = last + 1
        else
            local point, size = _M.decode_character(text, i)
            if point == nil then
                parts[#parts + 1] = REPLACEMENT_CHARACTER
                i = i + 1
            else
                if text_util.is_invisible(point) then
                    parts[#parts + 1] = replacement
                else
                    parts[#parts + 1] = sub(text, i, i + size - 1)
                end
                i = i + size
            end
        end
    end
    return concat(parts)
end


--- Make text safe for one log line and for JSON: bytes that are not valid
-- UTF-8 become U+FFFD, and the characters that `cam.validate.text` counts
-- as invisible become `replacement`. These are the C0 and C1 controls,
-- U+2028, U+2029, the bidi controls and the other format characters and
-- spaces. When max is given, text longer than max bytes is cut on a
-- character boundary to at most max bytes and "..." is appended.
-- @tparam string text
-- @tparam[opt] integer max bytes; without it the text is not cut
-- @tparam[opt] string replacement default a space
-- @treturn string valid UTF-8
function _M.clean(text, max, replacement)
    -- Each character of at most 4 bytes leaves at least 1 byte, so the first
    -- 4 * max + 4 bytes leave more than max bytes, and the rest is cut anyway.
    local truncated = false
    if max ~= nil and #text > 4 * max + 4 then
        text = sub(text, 1, 4 * max + 4)
        truncated = true
    end

    if find(text, "[^\32-\126]") then
        text = replace_characters(text, replacement or " ")
    end

    if max ~= nil and (truncated or #text > max) then
        local cut = max
        local b = byte(text, cut + 1)

        -- Step back over UTF-8 continuation bytes (0x80 to 0xBF), so the cut
        -- falls before the first byte of a character.
        while cut > 0 and b >= 0x80 and b < 0xC0 do
            b = byte(text, cut)
            cut = cut - 1
        end
        text = sub(text, 1, cut) .. "..."
    end
    return text
end


--- Mask every secret in text from a server, then `clean` it, so that it
-- is safe for an error field, a log line or JSON. Invalid UTF-8 becomes
-- U+FFFD, invisible characters become spaces, and the text is cut to max
-- bytes on a character boundary. Masking comes first, so the cut cannot
-- leave part of a secret unmasked.
-- @tparam string text
-- @tparam[opt] table secrets list of strings, as for `scrub`
-- @tparam[opt] integer max bytes, default `MAX_ID`
-- @treturn string
function _M.sanitize(text, secrets, max)
    if secrets ~= nil then
        text = _M.scrub(text, secrets)
    end
    return _M.clean(text, max or _M.MAX_ID)
end


--- Format the error as one line, for logs and messages.
function mt:__tostring()
    local parts = { "cam: ", self.kind, " error" }

    if self.code ~= nil then
        parts[#parts + 1] = " " .. tostring(self.code)
    end
    if self.action ~= nil then
        parts[#parts + 1] = " in " .. tostring(self.action)
    end
    if self.message ~= nil and self.message ~= "" then
        parts[#parts + 1] = ": " .. tostring(self.message)
    end
    if self.status ~= nil and self.kind == "http" then
        parts[#parts + 1] = " (HTTP " .. tostring(self.status) .. ")"
    end
    if self.request_id ~= nil then
        parts[#parts + 1] = " (RequestId " .. tostring(self.request_id) .. ")"
    end

    -- Fields are cleaned in new(), but a caller may have changed them since.
    return _M.clean(concat(parts))
end


--- Create an error value.
-- `message`, `code` and `request_id` may come from a server, so every
-- secret in them is replaced with `***`. Every string field is cleaned as by
-- `clean`: invalid UTF-8 becomes U+FFFD, invisible characters become spaces
-- and the length is capped on a character boundary (`MAX_MESSAGE` bytes for
-- `message`, `MAX_ID` for the others).
-- @tparam table fields `kind` (required), `code`, `message`, `request_id`,
--   `status`, `action`, `problems` and any extra detail.
-- @tparam[opt] table secrets strings that must not appear in the error,
--   such as the secret key, the token and the request's signature
-- @treturn table the error, with a `__tostring` metamethod
-- @raise when `kind` is not one of the five kinds
function _M.new(fields, secrets)
    if not KINDS[fields.kind] then
        error("cam.errors.new: unknown error kind " .. tostring(fields.kind), 2)
    end

    for name, value in pairs(fields) do
        if type(value) == "string" then
            local max = name == "message" and _M.MAX_MESSAGE or _M.MAX_ID
            fields[name] = _M.sanitize(value, SERVER_FIELDS[name] and secrets or nil, max)
        end
    end
    return setmetatable(fields, mt)
end


--- Build the validation error for a list of field problems.
-- @tparam table problems list of `{ field = ..., message = ... }`
-- @tparam[opt] string action the action that was not sent; without it the
--   message does not speak of sending
-- @treturn table the error
function _M.validation(problems, action)
    local lines = {}

    for i, p in ipairs(problems) do
        lines[i] = p.field .. ": " .. p.message
    end
    return _M.new({
        kind = "validation",
        code = "InvalidParameter",
        action = action,
        message = #problems .. " invalid parameter"
            .. (#problems == 1 and "" or "s")
            .. (action and " (nothing was sent): " or ": ")
            .. concat(lines, "; "),
        problems = problems,
    })
end


--- Tell whether a value is an error made by this module.
-- @param value anything
-- @treturn boolean
function _M.is_error(value)
    return type(value) == "table" and getmetatable(value) == mt
end


return _M
