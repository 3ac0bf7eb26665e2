--- Bounded log of the API requests the emulator received.
--
-- Tests read it through `GET /_emulator/requests` to see exactly what a
-- client sent: every header as received (order and duplicates kept), the
-- body, and how the emulator responded.
-- @module cam.emulator.requestlog

local json = require "cam.emulator.json"

local _M = {}

--- Number of entries kept; older ones are dropped first.
_M.DEFAULT_CAPACITY = 200

--- Maximum body size stored in an entry, in bytes. Longer bodies are cut.
_M.MAX_BODY_BYTES = 1024 * 1024

local Log = {}
Log.__index = Log


--- Create an empty log.
-- @tparam[opt] integer capacity entries kept (default `DEFAULT_CAPACITY`)
-- @treturn table log
function _M.new(capacity)
    return setmetatable({ capacity = capacity or _M.DEFAULT_CAPACITY, entries = {},
        sequence = 0 }, Log)
end


--- Record one request.
-- @tparam table request from `cam.emulator.http.read_request`
-- The entry's `body` is the body text, or nil with `body_hex` set when the
-- bytes are not UTF-8; `body_truncated` is true when it was cut.
-- @tparam table outcome `action`, `code` (error code or `Success`),
-- `request_id`, `fault` (kind, when one applied), `tls` (boolean)
function Log:add(request, outcome)
    self.sequence = self.sequence + 1

    local headers = json.array({})
    for index, header in ipairs(request.headers) do
        headers[index] = { name = header.name, value = header.value }
    end

    local body = request.body
    local truncated = #body > _M.MAX_BODY_BYTES
    if truncated then
        body = body:sub(1, _M.MAX_BODY_BYTES)
    end

    -- JSON strings must be UTF-8, so other bytes are logged as hex.
    local body_hex
    if not utf8.len(body) then
        body_hex = body:gsub(".", function(c)
            return string.format("%02x", c:byte())
        end)
        body = nil
    end

    self.entries[#self.entries + 1] = {
        sequence = self.sequence,
        time = os.time(),
        tls = outcome.tls,
        method = request.method,
        path = request.target,
        headers = headers,
        body = body,
        body_hex = body_hex,
        body_length = #request.body,
        body_truncated = truncated,
        action = outcome.action,
        outcome = outcome.code,
        request_id = outcome.request_id,
        fault = outcome.fault,
    }

    if #self.entries > self.capacity then
        table.remove(self.entries, 1)
    end
end


--- Return the entries, oldest first, as a JSON-ready array.
-- @treturn table
function Log:list()
    local copy = json.array({})
    table.move(self.entries, 1, #self.entries, 1, copy)
    return copy
end


--- Remove every entry (the sequence number keeps counting).
function Log:clear()
    self.entries = {}
end


return _M
