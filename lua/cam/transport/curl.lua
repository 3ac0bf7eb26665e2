--- The libcurl transport: one reused easy handle, blocking.
--
-- Every transport has the same shape. `new()` returns an object with
-- `request(req)` and `close()`. `req` has `method`, `url`, `headers` (a list
-- of `{ name, value }` pairs, sent in order and nothing else), `body`,
-- `timeout_ms`, `connect_timeout_ms`, `ca_file`, `ca_path`, `max_body`,
-- `allow_http` and `fresh_connect` (true for a request that must not be sent
-- twice: libcurl resends a request whose reused connection died, so such a
-- request gets a new connection). `request` returns `{ status, body, headers, connects,
-- seconds }`, with header names in lower case, or `nil` and a failure
-- `{ code, message, request_sent }`. Transports never follow redirects,
-- always verify TLS peers and host names, and fail when the response body
-- exceeds `max_body`.
--
-- A transport may also have `sleep(seconds)` and `now()` (seconds on a
-- monotonic clock); the client then waits between retries with them.
-- @module cam.transport.curl

local core = require("cam.core")

local setmetatable = setmetatable

local _M = {}

local mt = {}
mt.__index = mt


--- Create a transport. The connection opens on the first request.
-- @treturn table the transport
function _M.new()
    return setmetatable({ handle = nil }, mt)
end


--- Send one request and wait for its response.
-- @tparam table req the request, as described above
-- @treturn[1] table the response
-- @treturn[2] nil
-- @treturn[2] table the failure: `code` is libcurl's name for it, such as
--   `"CURLE_OPERATION_TIMEDOUT"`, and `request_sent` is true when any
--   request bytes were written
function mt:request(req)
    if self.handle == nil then
        self.handle = core.http_new()
    end

    local lines = {}
    for i = 1, #req.headers do
        lines[i] = req.headers[i][1] .. ": " .. req.headers[i][2]
    end

    local status, body, headers, info = self.handle:request({
        url = req.url,
        method = req.method,
        headers = lines,
        body = req.body,
        timeout_ms = req.timeout_ms,
        connect_timeout_ms = req.connect_timeout_ms,
        ca_file = req.ca_file,
        ca_path = req.ca_path,
        max_body = req.max_body,
        allow_http = req.allow_http,
        fresh_connect = req.fresh_connect,
    })
    if status == nil then
        return nil, body
    end

    return {
        status = status,
        body = body,
        headers = headers,
        connects = info.connects,
        seconds = info.seconds,
    }
end


--- Close the connection. The transport opens a new one when used again.
function mt:close()
    if self.handle ~= nil then
        self.handle:close()
        self.handle = nil
    end
end


--- Block the calling thread for a while; the client waits between retries
-- with it.
-- @tparam number seconds fractions allowed, at most 86400
function mt:sleep(seconds)
    core.sleep(seconds)
end


--- Return seconds on a monotonic clock, for measuring intervals.
-- @treturn number
function mt:now()
    return core.monotonic()
end


return _M
