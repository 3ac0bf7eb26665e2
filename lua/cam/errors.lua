--- Error values returned as the second result of a failed call.
--
-- Every error is a table with `kind` (`"validation"`, `"transport"`,
-- `"http"`, `"api"` or `"credentials"`), `code`, `message`, and where known
-- `request_id`, `status` and `action`. Validation errors also carry
-- `problems`, a list of `{ field = ..., message = ... }`. `tostring(err)`
-- gives one readable line.
-- @module cam.errors

local getmetatable = getmetatable
local ipairs = ipairs
local pairs = pairs
local setmetatable = setmetatable
local concat = table.concat
local find = string.find
local gsub = string.gsub
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


--- Make text safe for one log line: control characters become spaces and
-- the text is cut to max bytes.
local function clean(text, max)
    text = gsub(text, "%c", " ")
    if #text > max then
        text = sub(text, 1, max) .. "..."
    end
    return text
end


--- Mask every secret in text from a server, turn its control characters into
-- spaces and cut it to max bytes, so that it is safe for an error field or a
-- log line. Secrets are masked before the cut, so the cut cannot leave part
-- of one unmasked.
-- @tparam string text
-- @tparam[opt] table secrets list of strings, as for `scrub`
-- @tparam[opt] integer max bytes, default `MAX_ID`
-- @treturn string
function _M.sanitize(text, secrets, max)
    if secrets ~= nil then
        text = _M.scrub(text, secrets)
    end
    return clean(text, max or _M.MAX_ID)
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
    return (gsub(concat(parts), "%c", " "))
end


--- Create an error value.
-- `message`, `code` and `request_id` may come from a server, so every
-- secret in them is replaced with `***`. Every string field has its control
-- characters turned into spaces and its length capped (`MAX_MESSAGE` for
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
