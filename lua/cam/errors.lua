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
local setmetatable = setmetatable
local concat = table.concat
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

local mt = {}
mt.__index = mt


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

    -- A message from a server may span lines; the one-line promise holds.
    return (concat(parts):gsub("[\r\n]+", " "))
end


--- Create an error value.
-- @tparam table fields `kind` (required), `code`, `message`, `request_id`,
--   `status`, `action`, `problems` and any extra detail.
-- @treturn table the error, with a `__tostring` metamethod
-- @raise when `kind` is not one of the five kinds
function _M.new(fields)
    if not KINDS[fields.kind] then
        error("cam.errors.new: unknown error kind " .. tostring(fields.kind), 2)
    end
    return setmetatable(fields, mt)
end


--- Build the validation error for a list of field problems.
-- @tparam table problems list of `{ field = ..., message = ... }`
-- @tparam[opt] string action the action that was not sent
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
            .. (#problems == 1 and "" or "s") .. " (nothing was sent): "
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
