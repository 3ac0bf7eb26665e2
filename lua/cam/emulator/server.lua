--- HTTP/1.1 and HTTPS listener of the CAM emulator, on cqueues.
--
-- Every connection runs in its own coroutine, so a delayed or hanging
-- response delays only its own connection. With TLS configured, the
-- listener still serves the unsigned admin API (`/_emulator/`) over plain
-- HTTP on the same port, so test helpers need no TLS client. Plain-HTTP API
-- requests on a TLS listener are rejected with 400.
-- @module cam.emulator.server

local cqueues = require "cqueues"
local errno = require "cqueues.errno"
local signal = require "cqueues.signal"
local socket = require "cqueues.socket"
local ssl_context = require "openssl.ssl.context"
local x509 = require "openssl.x509"
local x509_chain = require "openssl.x509.chain"
local pkey = require "openssl.pkey"

local admin = require "cam.emulator.admin"
local api = require "cam.emulator.api"
local envelope = require "cam.emulator.envelope"
local http = require "cam.emulator.http"
local metadata = require "cam.emulator.metadata"

local _M = {}

--- Seconds allowed for a TLS handshake.
_M.HANDSHAKE_TIMEOUT = 10

--- Seconds allowed for each read while a request is arriving.
_M.READ_TIMEOUT = 30

--- Seconds an idle keep-alive connection stays open.
_M.IDLE_TIMEOUT = 60

--- Seconds a `hang` fault keeps a request waiting before the emulator gives up.
_M.MAX_HANG = 600

-- Closing right after an early response (a body too large, a malformed request)
-- can make the kernel reset the connection while the client is still
-- sending, and the client then never reads the response. Reading and dropping
-- what still arrives for a short while avoids that.
local LINGER_SECONDS = 2
local LINGER_BYTES = 16 * 1024 * 1024

local TLS_HANDSHAKE_RECORD = "\22"

local Server = {}
Server.__index = Server


local function return_errors(_, _, why)
    return why
end


local function read_file(path)
    local file, err = io.open(path, "rb")
    if not file then
        return nil, err
    end
    local text = file:read("a")
    file:close()
    return text
end


--- Build a server-side TLS context from PEM files.
-- The certificate file may hold intermediate certificates after the leaf.
-- @tparam string cert_file
-- @tparam string key_file
-- @return an `openssl.ssl.context`, or nil and an error message
function _M.tls_context(cert_file, key_file)
    local cert_pem, cert_err = read_file(cert_file)
    if not cert_pem then
        return nil, "cannot read TLS certificate: " .. cert_err
    end
    local key_pem, key_err = read_file(key_file)
    if not key_pem then
        return nil, "cannot read TLS key: " .. key_err
    end

    local certificates = {}
    for block in cert_pem:gmatch("%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-.-"
        .. "%-%-%-%-%-END CERTIFICATE%-%-%-%-%-") do
        certificates[#certificates + 1] = block
    end
    if #certificates == 0 then
        return nil, "no PEM certificate found in " .. cert_file
    end

    local ok, result = pcall(function()
        local context = ssl_context.new("TLS", true)
        context:setCertificate(x509.new(certificates[1]))
        if #certificates > 1 then
            local chain = x509_chain.new()
            for i = 2, #certificates do
                chain:add(x509.new(certificates[i]))
            end
            context:setCertificateChain(chain)
        end
        context:setPrivateKey(pkey.new(key_pem))
        return context
    end)
    if not ok then
        return nil, string.format("cannot use TLS certificate %s with key %s: %s",
            cert_file, key_file, tostring(result))
    end
    return result
end


--- Create a server for an emulator.
-- @tparam table emu from `cam.emulator.new`
-- @tparam table options `host`, `port` (0 picks a free one), `tls_context`
-- (optional), `quiet` (no per-request log lines), `logger` (function taking
-- one line; default writes to stderr)
-- @treturn table server
function _M.new(emu, options)
    local logger = options.logger or function(line)
        io.stderr:write("cam-emulator: ", line, "\n")
        io.stderr:flush()
    end

    return setmetatable({
        emu = emu,
        host = options.host or "127.0.0.1",
        port = options.port or 0,
        tls_context = options.tls_context,
        quiet = options.quiet,
        log_error = logger,
        log_info = options.quiet and function() end or logger,
        queue = cqueues.new(),
        stopping = false,
    }, Server)
end


-- Write a response with the headers every response carries.
function Server:respond(connection, status, headers, body, keep_alive)
    local all = {
        { "Date", http.date(self.emu:now()) },
        { "Server", "cam-emulator" },
    }
    for _, header in ipairs(headers) do
        all[#all + 1] = header
    end
    all[#all + 1] = { "Connection", keep_alive and "keep-alive" or "close" }
    return http.write_response(connection, status, all, body)
end


function Server:respond_text(connection, status, text)
    return self:respond(connection, status,
        { { "Content-Type", "text/plain; charset=utf-8" } }, text .. "\n", false)
end


local function linger_close(connection)
    connection:shutdown("w")

    local deadline = cqueues.monotime() + LINGER_SECONDS
    local drained = 0
    while drained < LINGER_BYTES do
        local left = deadline - cqueues.monotime()
        if left <= 0 then
            break
        end
        local data = connection:xread(-65536, "b", left)
        if not data then
            break
        end
        drained = drained + #data
    end
    connection:close()
end


local function html_page(status)
    local title = string.format("%d %s", status, http.reason(status))
    return string.format("<html><head><title>%s</title></head><body><h1>%s</h1>"
        .. "<p>cam-emulator injected fault</p></body></html>\n", title, title)
end


-- A valid success envelope padded to `bytes` bytes (or the shortest one).
local function oversized_body(bytes, request_id)
    local prefix = '{"Response":{"Padding":"'
    local suffix = '","RequestId":"' .. request_id .. '"}}'
    local padding = math.max(0, bytes - #prefix - #suffix)
    return prefix .. string.rep("x", padding) .. suffix
end


-- Respond to a request as a fault that skips the action.
-- Returns the outcome code for the log.
function Server:respond_fault(connection, request, fault)
    local kind = fault.fault
    local keep_alive = request.keep_alive

    if kind == "status" then
        self:respond(connection, fault.status, { { "Content-Type", "text/html" } },
            html_page(fault.status), keep_alive)
        return "HTTP " .. fault.status
    elseif kind == "non_json" then
        self:respond(connection, 200, { { "Content-Type", "application/json" } },
            html_page(502), keep_alive)
        return "non-JSON body"
    elseif kind == "redirect" then
        self:respond(connection, 302, {
            { "Location", fault.location },
            { "Content-Type", "text/html" },
        }, html_page(302), keep_alive)
        return "HTTP 302"
    elseif kind == "oversized" then
        local request_id = envelope.new_request_id()
        self:respond(connection, 200, { { "Content-Type", "application/json" } },
            oversized_body(fault.bytes, request_id), keep_alive)
        return "oversized body", request_id
    elseif kind == "throttle" then
        local request_id = envelope.new_request_id()
        local body = envelope.failure("RequestLimitExceeded",
            "The request rate limit was exceeded (fault injected by cam-emulator).",
            request_id)
        self:respond(connection, 200, { { "Content-Type", "application/json" } }, body,
            keep_alive)
        return "RequestLimitExceeded", request_id
    elseif kind == "error" then
        local request_id = envelope.new_request_id()
        local body = envelope.failure(fault.code,
            "The request failed with " .. fault.code .. " (fault injected by cam-emulator).",
            request_id)
        self:respond(connection, 200, { { "Content-Type", "application/json" } }, body,
            keep_alive)
        return fault.code, request_id
    end
    error("fault kind has no response: " .. tostring(kind))
end


local SKIPS_ACTION = {
    status = true, non_json = true, redirect = true, oversized = true, throttle = true,
    error = true,
}


-- Handle one API request, applying a queued fault if one matches.
-- Returns true when the connection may serve another request.
function Server:serve_api(connection, reader, request)
    local emu = self.emu
    local action_header = (request.by_name["x-tc-action"] or {})[1]
    local fault = emu.faults:take(action_header)
    local kind = fault and fault.fault

    local outcome = {
        action = action_header,
        fault = kind,
        tls = request.tls,
    }
    local keep_alive = request.keep_alive

    if kind == "delay" then
        cqueues.sleep(fault.delay_ms / 1000)
    end

    if kind == "reset_before" or kind == "hang" then
        outcome.code = kind == "hang" and "no response (hang)" or "connection closed"
        emu.requests:add(request, outcome)
        self:log_request(request, outcome)
        if kind == "hang" then
            reader:wait_closed(_M.MAX_HANG)
        end
        return false
    end

    if SKIPS_ACTION[kind] then
        outcome.code, outcome.request_id = self:respond_fault(connection, request, fault)
        emu.requests:add(request, outcome)
        self:log_request(request, outcome)
        return keep_alive
    end

    local result = api.handle(emu, request)
    outcome.action = result.action
    outcome.code = result.code
    outcome.request_id = result.request_id

    if kind == "reset_after" then
        outcome.code = result.code .. ", then connection closed"
        emu.requests:add(request, outcome)
        self:log_request(request, outcome)
        return false
    end

    emu.requests:add(request, outcome)
    self:log_request(request, outcome)
    self:respond(connection, 200, { { "Content-Type", "application/json" } }, result.body,
        keep_alive)
    return keep_alive
end


-- One log line per request; never the query, headers or body, which can
-- carry signatures and tokens.
function Server:log_request(request, outcome)
    local elapsed_ms = math.floor((cqueues.monotime() - request.started) * 1000 + 0.5)
    -- An error fault's code is whatever the admin request set, which a
    -- test may make equal to a secret.
    local code = outcome.code
    if type(code) == "string" and self.emu:contains_secret(code) then
        code = "***"
    end
    self.log_info(string.format("%s %s %s -> %s request_id=%s %d ms%s",
        request.method, request.path, outcome.action or "-", code,
        outcome.request_id or "-", elapsed_ms,
        outcome.fault and (" fault=" .. outcome.fault) or ""))
end


-- Handle one request of any kind.
-- Returns true when the connection may serve another request.
function Server:dispatch(connection, reader, request)
    request.started = cqueues.monotime()

    if admin.matches(request.path) then
        if request.too_large then
            self:respond_text(connection, 413, "The admin request body is too large.")
            self.log_info(string.format("admin %s %s -> 413", request.method, request.path))
            return false
        end

        local status, body = admin.handle(self.emu, request)
        self:respond(connection, status, { { "Content-Type", "application/json" } }, body,
            request.keep_alive)
        local elapsed_ms = math.floor((cqueues.monotime() - request.started) * 1000 + 0.5)
        self.log_info(string.format("admin %s %s -> %d %d ms", request.method, request.path,
            status, elapsed_ms))
        return request.keep_alive
    end

    -- The metadata service is plain HTTP, as on a CVM instance.
    if metadata.matches(request.path) and not request.tls then
        local status, content_type, body = metadata.handle(self.emu, request)
        self:respond(connection, status, { { "Content-Type", content_type } }, body,
            request.keep_alive)
        self.log_info(string.format("metadata %s %s -> %d", request.method, request.path,
            status))
        return request.keep_alive
    end

    if self.tls_context and not request.tls then
        self:respond_text(connection, 400,
            "This port serves the CAM API over TLS only; use https://.")
        self.log_info(string.format("%s %s -> 400 plain HTTP on the TLS port",
            request.method, request.path))
        return false
    end

    return self:serve_api(connection, reader, request)
end


-- Serve one accepted connection until it closes.
function Server:serve_connection(connection)
    connection:onerror(return_errors)
    connection:setmode("b", "bf")

    local _, peer_host, peer_port = connection:peername()
    local peer = string.format("%s:%s", tostring(peer_host), tostring(peer_port))

    local tls = false
    if self.tls_context then
        local first = connection:xread(1, "b", _M.HANDSHAKE_TIMEOUT)
        if not first then
            connection:close()
            return
        end
        connection:unget(first)

        if first == TLS_HANDSHAKE_RECORD then
            local ok, err = connection:starttls(self.tls_context, _M.HANDSHAKE_TIMEOUT)
            if not ok then
                self.log_error(string.format("TLS handshake with %s failed: %s", peer,
                    type(err) == "number" and errno.strerror(err) or tostring(err)))
                connection:close()
                return
            end
            tls = true
        end
    end

    local reader = http.reader(connection, _M.READ_TIMEOUT)
    local options = { max_body = self.emu.max_body, idle_timeout = _M.IDLE_TIMEOUT }

    while not self.stopping do
        local request, failure = http.read_request(reader, options)
        if not request then
            if failure then
                self:respond_text(connection, failure.status, failure.message)
                self.log_info(string.format("bad request from %s -> %d %s", peer,
                    failure.status, failure.message))
                linger_close(connection)
                return
            end
            break
        end

        request.tls = tls
        local keep_alive = self:dispatch(connection, reader, request)

        -- The unread body of a request that was too large may still arrive.
        if request.too_large then
            linger_close(connection)
            return
        end
        if not keep_alive then
            break
        end
    end

    connection:close()
end


-- Run a connection in its own coroutine; an error closes only that one.
function Server:spawn_connection(connection)
    self.queue:wrap(function()
        local ok, err = xpcall(self.serve_connection, debug.traceback, self, connection)
        if not ok then
            self.log_error("internal error while serving a connection: " .. tostring(err))
            pcall(connection.close, connection)
        end
    end)
end


function Server:accept_loop()
    while not self.stopping do
        local connection, err = self.listener:accept(nil, 1)
        if connection then
            self:spawn_connection(connection)
        elseif err and err ~= errno.ETIMEDOUT then
            self.log_error("accept failed: " .. errno.strerror(err))
            cqueues.sleep(0.1)
        end
    end
end


local SIGNAL_NAMES = { [signal.SIGTERM] = "SIGTERM", [signal.SIGINT] = "SIGINT" }

function Server:watch_signals()
    local listener = signal.listen(signal.SIGTERM, signal.SIGINT)
    local signo = listener:wait()
    self.log_info("stopping on " .. (SIGNAL_NAMES[signo] or signal.strsignal(signo)))
    self.stopping = true
end


--- Open the listening socket.
-- @treturn string|nil base URL, e.g. `http://127.0.0.1:41235`
-- @treturn[2] string error message
function Server:listen()
    local listener = socket.listen({ host = self.host, port = self.port, reuseaddr = true })
    listener:onerror(return_errors)

    local ok, err = listener:listen()
    if not ok then
        return nil, string.format("cannot listen on %s port %s: %s", self.host, self.port,
            type(err) == "number" and errno.strerror(err) or tostring(err))
    end

    local _, address, port = listener:localname()
    local host = address:find(":", 1, true) and ("[" .. address .. "]") or address
    local scheme = self.tls_context and "https" or "http"

    self.listener = listener
    self.url = string.format("%s://%s:%d", scheme, host, port)
    return self.url
end


--- Serve until SIGTERM or SIGINT.
-- `listen` must have succeeded first.
-- @treturn integer exit status (0)
function Server:run()
    -- Blocked signals go to the signal listener instead of ending the
    -- process. The default disposition is restored too, because a shell
    -- starts background jobs with SIGINT ignored and an ignored signal never
    -- reaches a signalfd.
    signal.block(signal.SIGTERM, signal.SIGINT)
    signal.default(signal.SIGTERM, signal.SIGINT)
    signal.ignore(signal.SIGPIPE)

    self.queue:wrap(function()
        self:watch_signals()
    end)
    self.queue:wrap(function()
        self:accept_loop()
    end)

    while not self.stopping do
        local ok, err = self.queue:step()
        if not ok then
            self.log_error("internal error: " .. tostring(err))
        end
    end

    self.listener:close()
    return 0
end


return _M
