--- HTTP/1.1 on an nginx cosocket: the request bytes and the reading of one
-- response, for `cam.transport.ngx`.
--
-- Reading is bounded in time and size. Every receive gets the time left
-- until `deadline`. The response head (status line and header lines) may
-- take at most `MAX_HEAD` bytes. The body may take at most `max_body` bytes,
-- whether it comes with `Content-Length`, chunked, or until the server
-- closes. Failures are `nil, { code, message, body_too_large }`, with codes
-- `NGX_TIMEOUT`, `NGX_CLOSED`, `NGX_RECV`, `NGX_BAD_RESPONSE` and
-- `NGX_BODY_TOO_LARGE`.
-- @module cam.transport.ngx_http

local ceil = math.ceil
local concat = table.concat
local error = error
local find = string.find
local gmatch = string.gmatch
local lower = string.lower
local match = string.match
local sub = string.sub
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {
    --- Maximum bytes of a response head, and of the trailer section of a
    -- chunked body.
    MAX_HEAD = 64 * 1024,
    --- Bytes requested from the socket per receive when the size is unknown.
    CHUNK = 16 * 1024,
}

-- Maximum length of a chunk-size line (hex digits and chunk extensions).
local MAX_CHUNK_LINE = 1024


local function failure(code, message)
    return nil, { code = code, message = message }
end


--- Map a cosocket error string to a failure while reading `part`, such as
-- "response head".
local function receive_failure(err, part, timeout_ms)
    if err == "timeout" then
        return failure("NGX_TIMEOUT", "timed out after " .. timeout_ms
            .. " ms while reading the " .. part)
    elseif err == "closed" then
        return failure("NGX_CLOSED", "connection closed by the server while"
            .. " reading the " .. part)
    end
    return failure("NGX_RECV", "reading the " .. part .. " failed: "
        .. tostring(err))
end


--- Set the socket's timeouts to the time left before the deadline.
-- Returns false when no time is left.
local function arm(sock, ctx)
    local left = ceil((ctx.deadline - ctx.now()) * 1000)

    if left <= 0 then
        return false
    end
    sock:settimeouts(left, left, left)
    return true
end


local function check_header(name, value)
    if type(name) ~= "string" or type(value) ~= "string"
        or not find(name, "^[!#$%%&'*+%-.^_`|~%w]+$")
        or find(value, "[%z\r\n]") then
        error("bad header to 'request' (one 'Name: value' line expected)", 3)
    end
end


--- Build the bytes of a request: request line, the caller's headers in
-- order, `Content-Length` when the caller gave none, a blank line, the body.
-- @tparam string method `"POST"` or `"GET"`
-- @tparam string target the request target, such as `"/"`
-- @tparam table headers list of `{ name, value }` pairs
-- @tparam string body the body, `""` for none
-- @treturn string the request
-- @raise when a header name is not a token or a value contains CR, LF or NUL
function _M.build_request(method, target, headers, body)
    local lines = { method .. " " .. target .. " HTTP/1.1" }
    local has_length = false

    for i = 1, #headers do
        local name, value = headers[i][1], headers[i][2]

        check_header(name, value)
        if lower(name) == "content-length" then
            has_length = true
        end
        lines[#lines + 1] = name .. ": " .. value
    end
    if not has_length and (method ~= "GET" or #body > 0) then
        lines[#lines + 1] = "Content-Length: " .. #body
    end
    lines[#lines + 1] = ""
    lines[#lines + 1] = body

    return concat(lines, "\r\n")
end


--- Read up to and including the next `boundary`, returning the bytes before
-- it. At most `limit` bytes are accepted.
local function read_until(sock, ctx, boundary, limit, part)
    local reader = sock:receiveuntil(boundary)
    local parts = {}
    local size = 0

    while true do
        if not arm(sock, ctx) then
            return receive_failure("timeout", part, ctx.timeout_ms)
        end

        local data, err = reader(_M.CHUNK)
        if data == nil then
            if err ~= nil then
                return receive_failure(err, part, ctx.timeout_ms)
            end
            return concat(parts)
        end

        size = size + #data
        if size > limit then
            return failure("NGX_BAD_RESPONSE", "the " .. part .. " is larger"
                .. " than " .. limit .. " bytes")
        end
        parts[#parts + 1] = data
    end
end


--- Read exactly n bytes.
local function read_exactly(sock, ctx, n, part)
    if not arm(sock, ctx) then
        return receive_failure("timeout", part, ctx.timeout_ms)
    end

    local data, err = sock:receive(n)
    if data == nil then
        return receive_failure(err, part, ctx.timeout_ms)
    end
    return data
end


--- Parse header lines into a map with lower-case names. Values are trimmed
-- of spaces and tabs, and repeated names are joined with ", ".
local function parse_header_lines(lines, first, headers)
    for i = first, #lines do
        local line = lines[i]
        local name, value = match(line, "^([^:%s]+):[ \t]*(.-)[ \t]*$")

        if name == nil then
            return nil
        end
        name = lower(name)
        if headers[name] ~= nil then
            headers[name] = headers[name] .. ", " .. value
        else
            headers[name] = value
        end
    end
    return headers
end


local function split_lines(text)
    local lines = {}

    for line in gmatch(text .. "\r\n", "(.-)\r\n") do
        lines[#lines + 1] = line
    end
    return lines
end


--- Read one response head, skipping interim 1xx responses.
local function read_head(sock, ctx)
    while true do
        local text, err = read_until(sock, ctx, "\r\n\r\n", _M.MAX_HEAD,
            "response head")
        if text == nil then
            if err.code == "NGX_CLOSED" and not ctx.got_bytes then
                err.message = "connection closed by the server without a"
                    .. " complete response head"
            end
            return nil, err
        end
        ctx.got_bytes = true

        local lines = split_lines(text)
        local major, minor, status = match(lines[1],
            "^HTTP/(%d)%.(%d) (%d%d%d)")
        if major ~= "1" then
            return failure("NGX_BAD_RESPONSE", "not an HTTP/1.x status line: "
                .. sub(lines[1], 1, 60):gsub("%c", "?"))
        end

        local headers = parse_header_lines(lines, 2, {})
        if headers == nil then
            return failure("NGX_BAD_RESPONSE", "malformed header line in the"
                .. " response")
        end

        status = tonumber(status)
        if status == 101 then
            return failure("NGX_BAD_RESPONSE", "unexpected 101 Switching"
                .. " Protocols")
        elseif status >= 200 then
            return { status = status, minor = tonumber(minor),
                headers = headers }
        end
    end
end


--- Decide how the body is delimited: "none", "length", "chunked" or
-- "close", and for "length" the byte count.
local function body_framing(method, head)
    local status, headers = head.status, head.headers

    if method == "HEAD" or status == 204 or status == 304 then
        return "none"
    end

    local coding = headers["transfer-encoding"]
    if coding ~= nil then
        if lower(coding) ~= "chunked" then
            return nil, "unsupported transfer coding '" .. coding .. "'"
        end
        return "chunked"
    end

    local length = headers["content-length"]
    if length ~= nil then
        -- Repeated equal values were joined with ", " and count as one.
        local first = match(length, "^(%d+)")
        for value in gmatch(length, "[^,]+") do
            if match(value, "^%s*(%d+)%s*$") ~= first then
                return nil, "invalid Content-Length '" .. length .. "'"
            end
        end
        if first == nil or #first > 15 then
            return nil, "invalid Content-Length '" .. length .. "'"
        end
        return "length", tonumber(first)
    end

    return "close"
end


local function too_large(max_body)
    local _, err = failure("NGX_BODY_TOO_LARGE", "response body larger than "
        .. max_body .. " bytes")
    err.body_too_large = true
    return nil, err
end


local function read_chunked(sock, ctx, max_body)
    local parts = {}
    local size = 0

    while true do
        local line, err = read_until(sock, ctx, "\r\n", MAX_CHUNK_LINE,
            "chunk size")
        if line == nil then
            return nil, err
        end

        -- The size may be followed by chunk extensions, which are ignored.
        local hex = match(line, "^(%x+)[ \t]*$") or match(line, "^(%x+)[ \t]*;")
        if hex == nil or #hex > 12 then
            return failure("NGX_BAD_RESPONSE", "invalid chunk size line")
        end

        local n = tonumber(hex, 16)
        if n == 0 then
            break
        end
        if size + n > max_body then
            return too_large(max_body)
        end

        local data
        data, err = read_exactly(sock, ctx, n + 2, "response body")
        if data == nil then
            return nil, err
        end
        if sub(data, -2) ~= "\r\n" then
            return failure("NGX_BAD_RESPONSE", "chunk not followed by CRLF")
        end
        parts[#parts + 1] = sub(data, 1, -3)
        size = size + n
    end

    -- The trailer section: header lines up to an empty line, ignored.
    local trailer, err = read_until(sock, ctx, "\r\n", _M.MAX_HEAD, "trailer")
    local trailer_bytes = 0
    while trailer ~= nil and trailer ~= "" do
        trailer_bytes = trailer_bytes + #trailer
        if trailer_bytes > _M.MAX_HEAD then
            return failure("NGX_BAD_RESPONSE", "the trailer is larger than "
                .. _M.MAX_HEAD .. " bytes")
        end
        trailer, err = read_until(sock, ctx, "\r\n", _M.MAX_HEAD, "trailer")
    end
    if trailer == nil then
        return nil, err
    end

    return concat(parts)
end


local function read_to_close(sock, ctx, max_body)
    local parts = {}
    local size = 0

    while true do
        if not arm(sock, ctx) then
            return receive_failure("timeout", "response body", ctx.timeout_ms)
        end

        local data, err, partial = sock:receive(_M.CHUNK)
        data = data or partial
        if data ~= nil and data ~= "" then
            size = size + #data
            if size > max_body then
                return too_large(max_body)
            end
            parts[#parts + 1] = data
        end
        if err == "closed" then
            return concat(parts)
        elseif err ~= nil then
            return receive_failure(err, "response body", ctx.timeout_ms)
        end
    end
end


--- Tell whether the connection may carry another request.
local function reusable(head, framing)
    if framing == "close" then
        return false
    end

    local tokens = lower(head.headers["connection"] or "")
    if head.minor == 0 then
        return find(tokens, "keep%-alive") ~= nil
    end
    return find(tokens, "close") == nil
end


--- Read one response from a connected cosocket.
-- @tparam table sock the cosocket, after the request was sent
-- @tparam table opts `method` (of the request), `max_body` (bytes),
--   `deadline` (seconds on the clock `now`), `now` (a function returning
--   seconds, such as `ngx.now`), `timeout_ms` (the total timeout, for
--   messages)
-- @treturn[1] table `status`, `headers` (lower-case names), `body` and
--   `keepalive` (whether the connection may be reused)
-- @treturn[2] nil
-- @treturn[2] table the failure: `code`, `message`, `body_too_large`
--   and `got_response` (whether any response bytes arrived)
function _M.read_response(sock, opts)
    local ctx = {
        deadline = opts.deadline,
        now = opts.now,
        timeout_ms = opts.timeout_ms,
        got_bytes = false,
    }
    local max_body = opts.max_body

    local head, err = read_head(sock, ctx)
    if head == nil then
        err.got_response = ctx.got_bytes
        return nil, err
    end

    local framing, length = body_framing(opts.method, head)
    local body
    if framing == nil then
        err = { code = "NGX_BAD_RESPONSE", message = length }
    elseif framing == "none" then
        body = ""
    elseif framing == "length" then
        if length > max_body then
            body, err = too_large(max_body)
        elseif length == 0 then
            body = ""
        else
            body, err = read_exactly(sock, ctx, length, "response body")
        end
    elseif framing == "chunked" then
        body, err = read_chunked(sock, ctx, max_body)
    else
        body, err = read_to_close(sock, ctx, max_body)
    end

    if body == nil then
        err.got_response = true
        return nil, err
    end

    return {
        status = head.status,
        headers = head.headers,
        body = body,
        keepalive = reusable(head, framing),
    }
end


return _M
