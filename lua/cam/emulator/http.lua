--- Minimal HTTP/1.1 server side for the CAM emulator, on cqueues sockets.
--
-- It reads one request at a time from a connection (keep-alive and
-- pipelining work because unread bytes stay in the reader's buffer), with
-- bodies framed by Content-Length or chunked transfer coding, and handles
-- `Expect: 100-continue`. Header names and values are kept exactly as
-- received, in order and with duplicates, because the emulator's request log
-- shows them and its signature check needs the raw values.
-- @module cam.emulator.http

local errno = require "cqueues.errno"

local _M = {}

--- Maximum size of the request line plus all header lines, in bytes.
_M.MAX_HEAD_BYTES = 64 * 1024

--- Maximum number of header lines in one request.
_M.MAX_HEADERS = 100

local READ_CHUNK = 64 * 1024

local REASONS = {
    [100] = "Continue",
    [200] = "OK",
    [204] = "No Content",
    [301] = "Moved Permanently",
    [302] = "Found",
    [307] = "Temporary Redirect",
    [400] = "Bad Request",
    [404] = "Not Found",
    [405] = "Method Not Allowed",
    [408] = "Request Timeout",
    [413] = "Content Too Large",
    [417] = "Expectation Failed",
    [429] = "Too Many Requests",
    [431] = "Request Header Fields Too Large",
    [500] = "Internal Server Error",
    [501] = "Not Implemented",
    [502] = "Bad Gateway",
    [503] = "Service Unavailable",
    [504] = "Gateway Timeout",
    [505] = "HTTP Version Not Supported",
}

local DAY_NAMES = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }
local MONTH_NAMES = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
}


--- Return the standard reason phrase of an HTTP status code.
-- @tparam integer status
-- @treturn string
function _M.reason(status)
    return REASONS[status] or "Unknown"
end


--- Format a Unix time as an HTTP date (RFC 7231 IMF-fixdate).
-- Built from numbers so that the C locale does not matter.
-- @tparam integer time seconds since the epoch
-- @treturn string e.g. `"Sun, 06 Nov 1994 08:49:37 GMT"`
function _M.date(time)
    local t = os.date("!*t", time)
    return string.format("%s, %02d %s %04d %02d:%02d:%02d GMT",
        DAY_NAMES[t.wday], t.day, MONTH_NAMES[t.month], t.year, t.hour, t.min, t.sec)
end


-- Reader: a byte buffer in front of a cqueues socket.

local Reader = {}
Reader.__index = Reader


--- Create a reader over a connected cqueues socket.
-- The socket's error handler must return errors instead of raising them.
-- @param socket a cqueues socket
-- @tparam number timeout seconds to wait for each read
-- @treturn table reader
function _M.reader(socket, timeout)
    return setmetatable({ socket = socket, buffer = "", timeout = timeout }, Reader)
end


-- Append whatever the socket has (at least one byte) to the buffer.
-- Returns true, or nil and "closed", "timeout" or an errno message.
function Reader:fill(timeout)
    local data, err = self.socket:xread(-READ_CHUNK, "b", timeout or self.timeout)
    if data and #data > 0 then
        self.buffer = self.buffer .. data
        return true
    end

    if err == nil then
        return nil, "closed"
    end
    if err == errno.ETIMEDOUT then
        return nil, "timeout"
    end
    return nil, tostring(err)
end


-- Return exactly n bytes, taking buffered ones first.
function Reader:read_exact(n)
    local buffered = #self.buffer
    if buffered >= n then
        local data = self.buffer:sub(1, n)
        self.buffer = self.buffer:sub(n + 1)
        return data
    end

    local head = self.buffer
    self.buffer = ""

    local rest, err = self.socket:xread(n - buffered, "b", self.timeout)
    if rest == nil or #rest < n - buffered then
        if err == errno.ETIMEDOUT then
            return nil, "timeout"
        end
        return nil, err and tostring(err) or "closed"
    end
    return head .. rest
end


-- Return one line without its line ending (CRLF or a bare LF).
function Reader:read_line(max_bytes)
    while true do
        local newline = self.buffer:find("\n", 1, true)
        if newline then
            local line = self.buffer:sub(1, newline - 1)
            self.buffer = self.buffer:sub(newline + 1)
            return (line:gsub("\r$", ""))
        end

        if #self.buffer > max_bytes then
            return nil, "line too long"
        end

        local ok, err = self:fill()
        if not ok then
            return nil, err
        end
    end
end


--- Report whether the peer has closed the connection or sent more bytes.
-- Used while a request is left without a response. Returns when the client
-- gives up or after `timeout` seconds.
-- @treturn boolean true when the connection is closed
function Reader:wait_closed(timeout)
    local deadline = os.time() + timeout
    while os.time() < deadline do
        local ok, err = self:fill(timeout)
        if not ok and err ~= "timeout" then
            return true
        end
        self.buffer = ""
    end
    return false
end


-- Request parsing.

local function trim(s)
    return (s:gsub("^[ \t]+", ""):gsub("[ \t]+$", ""))
end


-- An error that ends the connection after an optional plain-text response.
local function http_error(status, message)
    return { status = status, message = message }
end


local function parse_request_line(line)
    local method, target, major, minor = line:match("^(%u+) (%S+) HTTP/(%d)%.(%d)$")
    if not method then
        return nil, http_error(400, "malformed request line")
    end

    if major ~= "1" then
        return nil, http_error(505, "only HTTP/1.0 and HTTP/1.1 are supported")
    end

    local path, query = target:match("^([^?]*)%?(.*)$")
    if not path then
        path, query = target, ""
    end

    return {
        method = method,
        target = target,
        path = path,
        query = query,
        version = "1." .. minor,
        headers = {},
        by_name = {},
    }
end


local function parse_header_line(request, line)
    if line:find("^[ \t]") then
        return http_error(400, "obsolete header line folding is not accepted")
    end

    local name, value = line:match("^([!#$%%&'*+%-.^_`|~%w]+):(.*)$")
    if not name then
        return http_error(400, "malformed header line")
    end

    value = trim(value)
    request.headers[#request.headers + 1] = { name = name, value = value }

    local key = name:lower()
    local values = request.by_name[key]
    if not values then
        values = {}
        request.by_name[key] = values
    end
    values[#values + 1] = value
end


-- Read a chunked body (RFC 9112 section 7.1); trailers are read and dropped.
local function read_chunked(reader, max_body)
    local parts = {}
    local total = 0

    while true do
        local line, err = reader:read_line(1024)
        if not line then
            return nil, err
        end

        local size_hex = line:match("^(%x+)")
        if not size_hex or #size_hex > 8 then
            return nil, "malformed chunk size"
        end

        local size = tonumber(size_hex, 16)
        if size == 0 then
            break
        end

        total = total + size
        if total > max_body then
            return nil, "too large"
        end

        local data, read_err = reader:read_exact(size + 2)
        if not data then
            return nil, read_err
        end
        if data:sub(-2) ~= "\r\n" then
            return nil, "malformed chunk"
        end
        parts[#parts + 1] = data:sub(1, -3)
    end

    repeat
        local trailer, err = reader:read_line(_M.MAX_HEAD_BYTES)
        if not trailer then
            return nil, err
        end
    until trailer == ""

    return table.concat(parts)
end


-- Decide how the body is framed. Returns "length", n | "chunked" | nil, error.
local function body_framing(request)
    local transfer = request.by_name["transfer-encoding"]
    local lengths = request.by_name["content-length"]

    if transfer then
        if lengths then
            return nil, http_error(400, "both Transfer-Encoding and Content-Length are present")
        end
        if #transfer ~= 1 or transfer[1]:lower() ~= "chunked" then
            return nil, http_error(501, "only the chunked transfer coding is supported")
        end
        return "chunked"
    end

    if not lengths then
        return "length", 0
    end

    local length = lengths[1]
    for _, other in ipairs(lengths) do
        if other ~= length then
            return nil, http_error(400, "conflicting Content-Length values")
        end
    end

    if not length:find("^%d+$") or #length > 15 then
        return nil, http_error(400, "invalid Content-Length")
    end

    return "length", tonumber(length)
end


--- Read one request from a connection.
--
-- On success the request table has `method`, `target`, `path`, `query`,
-- `version`, `headers` (`{ {name=, value=}, ... }` as received), `by_name`
-- (lower-case name to list of values), `body`, `keep_alive`, and
-- `too_large` when the declared body exceeds `max_body` (the body is then
-- not read and the connection must be closed after the response).
--
-- @tparam table reader from `reader`
-- @tparam table options `max_body` (bytes), `idle_timeout` (seconds to wait
-- for the first byte of a request)
-- @treturn table|nil request
-- @treturn[2] table|nil `{status=, message=}` to send before closing, or
-- nil when the peer closed or went quiet between requests
function _M.read_request(reader, options)
    if reader.buffer == "" then
        local ok = reader:fill(options.idle_timeout)
        if not ok then
            return nil, nil
        end
    end

    -- Tolerate empty lines before a request line (RFC 9112 section 2.2).
    local line, err
    repeat
        line, err = reader:read_line(_M.MAX_HEAD_BYTES)
    until line ~= ""
    if not line then
        if err == "line too long" then
            return nil, http_error(431, "request line too long")
        end
        return nil, nil
    end

    local request, line_error = parse_request_line(line)
    if not request then
        return nil, line_error
    end

    local head_bytes = #line
    while true do
        local header_line, header_err = reader:read_line(_M.MAX_HEAD_BYTES)
        if not header_line then
            if header_err == "line too long" then
                return nil, http_error(431, "header line too long")
            end
            return nil, nil
        end
        if header_line == "" then
            break
        end

        head_bytes = head_bytes + #header_line
        if head_bytes > _M.MAX_HEAD_BYTES or #request.headers >= _M.MAX_HEADERS then
            return nil, http_error(431, "request header section too large")
        end

        local header_error = parse_header_line(request, header_line)
        if header_error then
            return nil, header_error
        end
    end

    local hosts = request.by_name.host
    if request.version == "1.1" and (not hosts or #hosts ~= 1) then
        return nil, http_error(400, "an HTTP/1.1 request needs exactly one Host header")
    end

    local connection = (request.by_name.connection or {})[1]
    connection = connection and connection:lower() or ""
    if request.version == "1.1" then
        request.keep_alive = not connection:find("close", 1, true)
    else
        request.keep_alive = connection:find("keep-alive", 1, true) ~= nil
    end

    local framing, length_or_error = body_framing(request)
    if not framing then
        return nil, length_or_error
    end

    if framing == "length" and length_or_error > options.max_body then
        request.too_large = true
        request.body = ""
        request.keep_alive = false
        return request
    end

    -- Expect is an HTTP/1.1 mechanism; a 1.0 client gets no interim response.
    local expect = request.by_name.expect
    if expect and request.version == "1.1" then
        if #expect ~= 1 or expect[1]:lower() ~= "100-continue" then
            return nil, http_error(417, "only Expect: 100-continue is supported")
        end
        local socket = reader.socket
        local ok = socket:write("HTTP/1.1 100 Continue\r\n\r\n") and socket:flush()
        if not ok then
            return nil, nil
        end
    end

    local body, body_err
    if framing == "chunked" then
        body, body_err = read_chunked(reader, options.max_body)
        if body_err == "too large" then
            request.too_large = true
            request.body = ""
            request.keep_alive = false
            return request
        end
    else
        body, body_err = reader:read_exact(length_or_error)
    end

    if not body then
        if body_err == "timeout" then
            return nil, http_error(408, "timed out reading the request body")
        end
        if body_err and body_err:find("^malformed") then
            return nil, http_error(400, body_err)
        end
        return nil, nil
    end

    request.body = body
    return request
end


--- Write a complete response.
-- `Content-Length` is added from the body; callers add everything else.
-- Raises an error when a header value contains CR or LF.
-- @param socket a cqueues socket
-- @tparam integer status
-- @tparam table headers `{ {name, value}, ... }`
-- @tparam string body
-- @treturn boolean|nil true when the whole response was written
function _M.write_response(socket, status, headers, body)
    local lines = { string.format("HTTP/1.1 %d %s", status, _M.reason(status)) }
    for _, header in ipairs(headers) do
        -- A CR or LF would end the header early and let the rest of the
        -- value pose as another header.
        if string.find(header[2], "[\r\n]") then
            error(string.format("the %s header value contains CR or LF", header[1]))
        end
        lines[#lines + 1] = header[1] .. ": " .. header[2]
    end
    lines[#lines + 1] = "Content-Length: " .. #body
    lines[#lines + 1] = ""
    lines[#lines + 1] = ""

    local ok = socket:write(table.concat(lines, "\r\n"), body)
    if not ok then
        return nil
    end
    return socket:flush() and true or nil
end


return _M
