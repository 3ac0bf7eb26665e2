--- The nginx transport: HTTP/1.1 over `ngx.socket.tcp` cosockets, for code
-- that runs inside nginx with the Lua module (OpenResty, or Debian's
-- libnginx-mod-http-lua). A request yields to nginx's event loop while it
-- waits instead of blocking the worker.
--
-- It has the interface of `cam.transport.curl`: `new(opts)`, then
-- `request(req)` returns `{ status, body, headers, connects, seconds }` or
-- `nil` and `{ code, message, request_sent }`. Redirects are returned as
-- responses and not followed. TLS peers and host names are always verified,
-- and a body over `max_body` bytes is a failure. Failure codes:
--
-- - `NGX_NO_COSOCKET`: called in an nginx phase without cosockets
--   (`init`, `init_worker`, `set`, `header_filter`, `body_filter`, `log`,
--   `balancer`, ...), so nothing was sent
-- - `NGX_UNSUPPORTED_PROTOCOL`: `http://` without `allow_http`, or not a URL
-- - `NGX_RESOLVE`, `NGX_CONNECT`: name resolution or TCP connect failed
-- - `NGX_TLS`: the TLS handshake or the certificate check failed
-- - `NGX_TIMEOUT`: `connect_timeout_ms` or the total `timeout_ms` ran out
-- - `NGX_SEND`, `NGX_RECV`, `NGX_CLOSED`: the connection failed or the
--   server closed it before the response was complete
-- - `NGX_BAD_RESPONSE`, `NGX_BODY_TOO_LARGE`: see `cam.transport.ngx_http`
--
-- Where it differs from libcurl, because nginx decides:
--
-- - Trust comes from nginx's `lua_ssl_trusted_certificate` directive, and
--   the chain depth from `lua_ssl_verify_depth` (default 1). nginx cannot
--   take a CA file per connection, so `ca_file` and `ca_path` are not
--   applied. When verification fails and one of them was given, the
--   failure message states that.
-- - Host names are resolved by nginx's `resolver` directive, and
--   `/etc/hosts` is not read. IP address endpoints need no resolver.
-- - nginx matches the certificate against the endpoint's host name with
--   OpenSSL's `X509_check_host`: its DNS names, or its subject CN when it
--   has no DNS names. IP address entries are not checked.
-- - Connections are kept alive in nginx's per-worker pool, one pool per
--   scheme, host and port. Every client and every `server` block of the
--   worker shares it, so a connection verified under one block's
--   `lua_ssl_trusted_certificate` may be reused from another.
--
-- The HTTP/1.1 reading and writing is `cam.transport.ngx_http`, written for
-- this library rather than taken from lua-resty-http. lua-resty-http 0.12
-- sends headers in table order and adds `User-Agent`, while a transport
-- must send exactly the caller's headers in the caller's order.
-- @module cam.transport.ngx

local http = require("cam.transport.ngx_http")

local error = error
local find = string.find
local floor = math.floor
local match = string.match
local min = math.min
local pcall = pcall
local rawget = rawget
local setmetatable = setmetatable
local tonumber = tonumber
local tostring = tostring

local _M = {
    --- Seconds an idle connection stays in the pool.
    DEFAULT_KEEPALIVE_TIMEOUT = 30,
    --- Idle connections kept per endpoint and worker; the default of
    -- nginx's `lua_socket_pool_size`.
    DEFAULT_POOL_SIZE = 30,
}

--- The phases whose code may yield and so use cosockets: ngx_lua's
-- `NGX_HTTP_LUA_CONTEXT_YIELDABLE`, plus `preread` of its stream module.
_M.COSOCKET_PHASES = {
    rewrite = true,
    server_rewrite = true,
    access = true,
    content = true,
    timer = true,
    ssl_cert = true,
    ssl_session_fetch = true,
    ssl_client_hello = true,
    preread = true,
}

local mt = {}
mt.__index = mt

-- nginx's functions, bound on first use so that requiring this module
-- outside nginx works and does nothing.
local ngx_now, ngx_update_time, ngx_socket_tcp, ngx_get_phase


local function bind_nginx()
    local ngx = rawget(_G, "ngx")

    if ngx == nil or ngx.socket == nil or ngx.get_phase == nil then
        return false
    end
    ngx_now = ngx.now
    ngx_update_time = ngx.update_time
    ngx_socket_tcp = ngx.socket.tcp
    ngx_get_phase = ngx.get_phase
    return true
end


--- Report whether the code runs inside nginx with the Lua module.
-- @treturn boolean
function _M.in_nginx()
    return ngx_get_phase ~= nil or bind_nginx()
end


--- Return the current nginx phase, or nil outside nginx.
-- @treturn string|nil a name such as `"content"` or `"init_worker"`
function _M.phase()
    if not _M.in_nginx() then
        return nil
    end
    return ngx_get_phase()
end


--- Build the failure for a request made where cosockets are not available.
-- @tparam string phase the nginx phase
-- @treturn table the failure
function _M.no_cosocket_failure(phase)
    return {
        code = "NGX_NO_COSOCKET",
        message = "cannot send from nginx's " .. tostring(phase) .. " phase:"
            .. " it has no cosockets, and a blocking call would stall the"
            .. " worker. Call from a rewrite, access, content or timer"
            .. " context (ngx.timer.at), or set the client option"
            .. " allow_blocking = true to use libcurl",
        request_sent = false,
    }
end


local function failure(code, message, request_sent)
    return nil, { code = code, message = message, request_sent = request_sent }
end


--- Split a URL into what a connection needs.
local function parse_url(url)
    local scheme, authority, path = match(url, "^(%a+)://([^/?#]+)(.*)$")
    if scheme == nil then
        return nil
    end

    local host, port = match(authority, "^(%[[%x:.]+%]):?(%d*)$")
    if host == nil then
        host, port = match(authority, "^([^:]+):?(%d*)$")
    end
    if host == nil then
        return nil
    end

    local tls = scheme == "https"
    port = tonumber(port) or (tls and 443 or 80)
    if path == "" then
        path = "/"
    end

    return {
        scheme = scheme,
        host = host,
        port = port,
        path = path,
        tls = tls,
        -- The name for SNI and the certificate check, without IPv6 brackets.
        server_name = match(host, "^%[(.*)%]$") or host,
        pool = "cam:" .. scheme .. "://" .. host .. ":" .. port,
    }
end


local function connect_failure(err, target, timeout_ms)
    local where = target.host .. ":" .. target.port

    if err == "timeout" then
        return failure("NGX_TIMEOUT", "connecting to " .. where
            .. " timed out after " .. timeout_ms .. " ms", false)
    elseif find(err, "resolve", 1, true) then
        return failure("NGX_RESOLVE", "cannot resolve " .. target.host .. ": "
            .. err .. " (nginx resolves names with its resolver directive)",
            false)
    end
    return failure("NGX_CONNECT", "connecting to " .. where .. " failed: "
        .. err, false)
end


local function tls_failure(err, target, req, timeout_ms)
    if err == "timeout" then
        return failure("NGX_TIMEOUT", "TLS handshake with " .. target.host
            .. " timed out after " .. timeout_ms .. " ms", false)
    end

    local message = "TLS handshake with " .. target.host .. " failed: " .. err
    if req.ca_file ~= nil or req.ca_path ~= nil then
        message = message .. "; options ca_file and ca_path are not applied"
            .. " inside nginx: add those CA certificates to the"
            .. " lua_ssl_trusted_certificate directive"
    else
        message = message .. " (nginx verifies peers with the"
            .. " lua_ssl_trusted_certificate and lua_ssl_verify_depth"
            .. " directives)"
    end
    return failure("NGX_TLS", message, false)
end


local function send_failure(err, timeout_ms)
    if err == "timeout" then
        return failure("NGX_TIMEOUT", "timed out after " .. timeout_ms
            .. " ms while sending the request", true)
    elseif err == "closed" then
        return failure("NGX_CLOSED", "connection closed by the server while"
            .. " sending the request", true)
    end
    return failure("NGX_SEND", "sending the request failed: " .. tostring(err),
        true)
end


--- Create a transport. It keeps no connection of its own, because each
-- request takes one from nginx's pool or opens one. So one transport may
-- serve many requests and light threads at once.
-- @tparam[opt] table opts `keepalive_timeout` (seconds an idle connection
--   is kept, default 30) and `pool_size` (idle connections kept per
--   endpoint, default 30); other fields, such as the client options a
--   named transport receives, are ignored
-- @treturn table the transport
-- @raise outside nginx
function _M.new(opts)
    if not _M.in_nginx() then
        error("cam.transport.ngx: needs nginx with the Lua module"
            .. " (ngx.socket.tcp is not available)", 2)
    end
    opts = opts or {}

    return setmetatable({
        keepalive_ms = floor((opts.keepalive_timeout
            or _M.DEFAULT_KEEPALIVE_TIMEOUT) * 1000),
        pool_size = opts.pool_size or _M.DEFAULT_POOL_SIZE,
        -- TLS sessions by pool name, offered for resumption on new
        -- connections.
        sessions = {},
    }, mt)
end


--- Open a connection, or take one from the pool, and secure it.
-- Returns the socket and whether it came from the pool.
function mt:connect(target, req, deadline, timeout_ms)
    local connect_ms = min(req.connect_timeout_ms or 10000, timeout_ms)
    local sock = ngx_socket_tcp()

    sock:settimeouts(connect_ms, timeout_ms, timeout_ms)
    -- NOTE: nginx resolves a host name within its `resolver_timeout`, which
    -- the connect timeout above does not shorten.
    local ok, err = sock:connect(target.host, target.port,
        { pool = target.pool })
    if not ok then
        return connect_failure(err, target, connect_ms)
    end

    local reused = (sock:getreusedtimes() or 0) > 0
    if target.tls and not reused then
        local left = floor((deadline - ngx_now()) * 1000)
        if left <= 0 then
            sock:close()
            return tls_failure("timeout", target, req, timeout_ms)
        end
        sock:settimeouts(left, left, left)

        -- With a certificate for another host name, lua-resty-core 0.1.25
        -- on ngx_lua 0.10.23 sometimes raises "assertion failed!" instead
        -- of returning an error, so the handshake runs in pcall. LuaJIT
        -- lets a cosocket yield across pcall. The session argument is a
        -- session or nil, never false, which per ngx_lua's documentation
        -- makes sslhandshake return a boolean in place of a session.
        local called, session
        called, session, err = pcall(sock.sslhandshake, sock,
            self.sessions[target.pool], target.server_name, true)
        if not called then
            err = "certificate verification failed (nginx's error log has"
                .. " the reason)"
            session = nil
        end
        if not session then
            sock:close()
            return tls_failure(err, target, req, timeout_ms)
        end
        self.sessions[target.pool] = session
    end

    return sock, reused
end


--- Send one request and read its response, yielding while waiting.
-- @tparam table req the request, as for `cam.transport.curl`
-- @treturn[1] table the response
-- @treturn[2] nil
-- @treturn[2] table the failure: `code` (`"NGX_TIMEOUT"`, ...), `message`
--   and `request_sent` (true once sending started, since a write that
--   failed may still have reached the server)
function mt:request(req)
    local phase = ngx_get_phase()
    if not _M.COSOCKET_PHASES[phase] then
        return nil, _M.no_cosocket_failure(phase)
    end

    local target = parse_url(req.url)
    if target == nil or (target.scheme ~= "https" and target.scheme ~= "http")
        then
        return failure("NGX_UNSUPPORTED_PROTOCOL", "unsupported URL '"
            .. tostring(req.url) .. "'", false)
    end
    if not target.tls and not req.allow_http then
        return failure("NGX_UNSUPPORTED_PROTOCOL", "plain http is not allowed"
            .. " for " .. target.host, false)
    end

    local method = req.method or "POST"
    local bytes = http.build_request(method, target.path, req.headers or {},
        req.body or "")

    ngx_update_time()
    local started = ngx_now()
    local timeout_ms = req.timeout_ms or 30000
    local deadline = started + timeout_ms / 1000

    -- `detail` is whether the connection came from the pool, or the failure.
    local sock, detail = self:connect(target, req, deadline, timeout_ms)
    if sock == nil then
        return nil, detail
    end
    local reused = detail

    local left = floor((deadline - ngx_now()) * 1000)
    if left <= 0 then
        sock:close()
        return send_failure("timeout", timeout_ms)
    end
    sock:settimeouts(left, left, left)
    local sent, err = sock:send(bytes)
    if not sent then
        sock:close()
        return send_failure(err, timeout_ms)
    end

    local response
    response, err = http.read_response(sock, {
        method = method,
        max_body = req.max_body or 1048576,
        deadline = deadline,
        now = ngx_now,
        timeout_ms = timeout_ms,
    })
    if response == nil then
        sock:close()
        err.request_sent = true
        -- NOTE: a pooled connection that the server closed just as it was
        -- reused fails here with NGX_CLOSED and got_response = false; the
        -- request is not resent, because it may have been applied.
        return nil, err
    end

    if response.keepalive then
        sock:setkeepalive(self.keepalive_ms, self.pool_size)
    else
        sock:close()
    end

    ngx_update_time()
    return {
        status = response.status,
        body = response.body,
        headers = response.headers,
        connects = reused and 0 or 1,
        seconds = ngx_now() - started,
    }
end


--- Forget the TLS sessions kept for resumption. Pooled connections belong
-- to nginx's worker and stay there until their idle timeout.
function mt:close()
    self.sessions = {}
end


-- Internal, exposed for tests.
_M._parse_url = parse_url


return _M
