--- Queue of injected faults for API requests.
--
-- A fault is a table such as `{fault = "delay", action = "CreateUserOIDCConfig",
-- count = 2, delay_ms = 1500}`. Each API request takes the first queued
-- fault whose `action` matches its X-TC-Action header (a fault without
-- `action` matches every request). Taking a fault lowers its count; it leaves
-- the queue at zero, and a count of -1 keeps it until the queue is cleared.
-- @module cam.emulator.faults

local json = require "cam.emulator.json"

local _M = {}

--- Fault kinds and what the emulator does for each.
_M.KINDS = {
    delay = "wait delay_ms, then handle the request normally",
    status = "respond with HTTP `status` and a short HTML page, without handling",
    non_json = "respond with HTTP 200 with Content-Type application/json and a body that is not JSON",
    throttle = "respond with RequestLimitExceeded without handling",
    error = "respond with the API error `code` (default ServiceUnavailable) without handling",
    reset_before = "close the connection without handling or responding",
    reset_after = "handle the request (state changes apply), then close without responding",
    redirect = "respond with 302 with Location `location`, without handling",
    oversized = "respond with a valid JSON envelope of `bytes` bytes, without handling",
    hang = "read the request and never respond until the client closes the connection",
}

--- Defaults for the optional fields.
_M.DEFAULT_DELAY_MS = 1000
_M.DEFAULT_STATUS = 503
_M.DEFAULT_OVERSIZED_BYTES = 16 * 1024 * 1024

local MAX_DELAY_MS = 10 * 60 * 1000
local MAX_OVERSIZED_BYTES = 256 * 1024 * 1024
local MAX_LOCATION_BYTES = 8192

--- Error code of an `error` fault without `code`.
_M.DEFAULT_ERROR_CODE = "ServiceUnavailable"

local FIELDS = {
    fault = true, action = true, count = true, delay_ms = true,
    status = true, location = true, bytes = true, code = true,
}

local Queue = {}
Queue.__index = Queue


--- Create an empty queue.
-- @tparam string default_location redirect target when a fault has none
-- @treturn table queue
function _M.new(default_location)
    return setmetatable({ faults = {}, default_location = default_location }, Queue)
end


local function check_integer(spec, name, low, high)
    local value = spec[name]
    if value == nil then
        return nil
    end
    if math.type(value) ~= "integer" or value < low or value > high then
        return string.format("%s must be an integer from %d to %d", name, low, high)
    end
    return nil
end


--- Validate a fault description and fill in its defaults.
-- @tparam table spec decoded JSON object
-- @treturn table|nil the fault
-- @treturn[2] string why it is invalid
function _M.normalize(spec, default_location)
    if json.type_of(spec) ~= "object" then
        return nil, "a fault must be a JSON object"
    end
    for name in pairs(spec) do
        if not FIELDS[name] then
            return nil, "unknown fault field: " .. tostring(name)
        end
    end

    local kind = spec.fault
    if type(kind) ~= "string" or not _M.KINDS[kind] then
        local names = {}
        for name in pairs(_M.KINDS) do
            names[#names + 1] = name
        end
        table.sort(names)
        return nil, "fault must be one of: " .. table.concat(names, ", ")
    end

    if spec.action ~= nil and type(spec.action) ~= "string" then
        return nil, "action must be a string"
    end
    -- `location` becomes a header value, so a CR or LF in it would end the
    -- header and start another one.
    local location = spec.location
    if location ~= nil and (type(location) ~= "string" or location == ""
        or #location > MAX_LOCATION_BYTES or location:find("[%z\1-\31\127]")
        or location:find("^ ") or location:find(" $")) then
        return nil, string.format("location must be a URL of 1 to %d bytes without"
            .. " control characters (CR, LF, tab, ...) or surrounding spaces,"
            .. " such as https://127.0.0.1:9/elsewhere", MAX_LOCATION_BYTES)
    end
    if spec.code ~= nil and (type(spec.code) ~= "string"
        or not spec.code:find("^%u[%w.]*$") or #spec.code > 128) then
        return nil, "code must be an error code such as InternalError"
    end

    local count = spec.count
    if count ~= nil and (math.type(count) ~= "integer" or (count < 1 and count ~= -1)) then
        return nil, "count must be a positive integer, or -1 for until cleared"
    end

    local err = check_integer(spec, "delay_ms", 0, MAX_DELAY_MS)
        or check_integer(spec, "status", 200, 599)
        or check_integer(spec, "bytes", 0, MAX_OVERSIZED_BYTES)
    if err then
        return nil, err
    end

    return {
        fault = kind,
        action = spec.action,
        count = count or 1,
        delay_ms = spec.delay_ms or _M.DEFAULT_DELAY_MS,
        status = spec.status or _M.DEFAULT_STATUS,
        location = spec.location or default_location,
        bytes = spec.bytes or _M.DEFAULT_OVERSIZED_BYTES,
        code = spec.code or _M.DEFAULT_ERROR_CODE,
    }
end


--- Validate and queue a fault.
-- @tparam table spec decoded JSON object (see the module description)
-- @treturn table|nil the queued fault with its defaults
-- @treturn[2] string why it is invalid
function Queue:add(spec)
    local fault, err = _M.normalize(spec, self.default_location)
    if not fault then
        return nil, err
    end
    self.faults[#self.faults + 1] = fault
    return fault
end


--- Take the first fault that applies to an action, lowering its count.
-- @tparam string|nil action the request's X-TC-Action value
-- @treturn table|nil the fault, or nil when none applies
function Queue:take(action)
    for index, fault in ipairs(self.faults) do
        if fault.action == nil or fault.action == action then
            if fault.count > 0 then
                fault.count = fault.count - 1
                if fault.count == 0 then
                    table.remove(self.faults, index)
                end
            end
            return fault
        end
    end
    return nil
end


--- List the queued faults.
-- @treturn table JSON-ready array
function Queue:list()
    local copy = json.array({})
    for index, fault in ipairs(self.faults) do
        copy[index] = fault
    end
    return copy
end


--- Remove every queued fault.
function Queue:clear()
    self.faults = {}
end


return _M
