--- Shared test fixtures: the CAM emulator as a child process, a raw HTTP
-- client on luasocket, option tables, cam clients and capturing loggers,
-- test certificate authorities, and the official Node.js SDK scripts in
-- spec/interop.
--
-- Every emulator started here is stopped by `emu:stop()`. Any still running
-- when the Lua state closes (busted closes it on exit) is killed.
-- @module helpers

local dkjson = require "dkjson"
local socket = require "socket"

local _M = {}

--- Secret id of the emulator's demo account.
_M.DEMO_ID = "AKIDCamEmulatorDemo00000000000001"

--- Secret key of the emulator's demo account.
_M.DEMO_KEY = "CamEmulatorDemoSecretKey00000001"

--- Root of the checkout (the directory above spec/).
_M.ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."

--- The emulator script.
_M.EMULATOR = _M.ROOT .. "/bin/cam-emulator"

--- Directory of the Node.js interop scripts.
_M.INTEROP_DIR = _M.ROOT .. "/spec/interop"

--- Seconds `start_emulator` waits for the base URL by default.
_M.START_TIMEOUT = 5

local temporary_dirs = {}


--- Tell whether a value is an integer: of the integer subtype on Lua 5.3
-- and later, a number with an integral value on LuaJIT, which has no
-- subtypes.
-- @param value
-- @treturn boolean
function _M.is_integer(value)
    if math.type ~= nil then
        return math.type(value) == "integer"
    end
    return type(value) == "number" and value == math.floor(value)
end


--- Quote a string for /bin/sh.
-- @tparam string s
-- @treturn string
function _M.shell_quote(s)
    return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end


local function read_file(path)
    local file = io.open(path, "rb")
    if not file then
        return nil
    end
    local text = file:read("a")
    file:close()
    return text
end


local function write_file(path, text)
    local file = assert(io.open(path, "wb"))
    assert(file:write(text))
    assert(file:close())
end


--- Run a shell command, raising with its output when it fails.
-- @tparam string command
-- @treturn string standard output
function _M.run(command)
    -- On Lua 5.1 (LuaJIT) closing a pipe gives no exit status, so the shell
    -- appends it to the output there.
    local lua51 = _VERSION == "Lua 5.1"
    local shell_command = command .. " 2>&1"
    if lua51 then
        shell_command = "(" .. command .. ") 2>&1; echo \"exit status $?\""
    end
    local handle = assert(io.popen(shell_command, "r"))
    local output = handle:read("a")
    local ok, how, code = handle:close()
    if lua51 then
        local status
        output, status = output:match("^(.*)exit status (%d+)\n$")
        ok, how, code = status == "0", "exit", tonumber(status)
    end
    if not ok then
        error(string.format("command failed (%s %s): %s\n%s", tostring(how), tostring(code),
            command, output), 2)
    end
    return output
end


--- Run a command with os.execute and return how it ended, the same way on
-- Lua 5.1, where os.execute returns the raw wait status, as on 5.2 and later.
-- @tparam string command
-- @treturn string "exit" or "signal"
-- @treturn integer the exit status or the signal number
function _M.execute(command)
    local first, how, code = os.execute(command)
    if type(first) == "number" then
        if first % 256 == 0 then
            return "exit", math.floor(first / 256)
        end
        return "signal", first % 128
    end
    return how, code
end


--- Create a temporary directory, removed when the Lua state closes.
-- @treturn string path
function _M.tmpdir()
    local path = _M.run("mktemp -d /tmp/cam-spec.XXXXXX"):gsub("%s+$", "")
    temporary_dirs[#temporary_dirs + 1] = path
    return path
end


--- Return a TCP port that was free on 127.0.0.1 a moment ago.
-- @treturn integer
function _M.free_port()
    local server = assert(socket.bind("127.0.0.1", 0))
    local _, port = server:getsockname()
    server:close()
    return tonumber(port)
end


-- Process state letter from /proc ("Z" for an exited child not yet
-- reaped), or nil when the process is gone.
local function process_state(pid)
    local stat = read_file("/proc/" .. pid .. "/stat")
    if not stat then
        return nil
    end
    return stat:match("%) (%a)")
end


local function process_running(pid)
    local state = process_state(pid)
    return state ~= nil and state ~= "Z"
end


-- Raw HTTP/1.1 client --------------------------------------------------------

local Connection = {}
Connection.__index = Connection


--- Open a TCP connection for raw HTTP/1.1 requests.
-- @tparam string host
-- @tparam integer port
-- @tparam[opt] number timeout seconds per operation (default 10)
-- @treturn table connection with `send`, `receive`, `request`, `close`
function _M.http_connect(host, port, timeout)
    local tcp = assert(socket.tcp())
    tcp:settimeout(timeout or 10)
    local ok, err = tcp:connect(host, port)
    if not ok then
        error(string.format("cannot connect to %s:%s: %s", host, port, err), 2)
    end
    return setmetatable({ tcp = tcp, host = host, port = port }, Connection)
end


--- Send a request exactly as given.
-- @tparam string method
-- @tparam string target e.g. `/`
-- @tparam table headers `{ {name, value}, ... }` in order; nothing is added
-- @tparam[opt] string body
function Connection:send(method, target, headers, body)
    local lines = { string.format("%s %s HTTP/1.1", method, target) }
    for _, header in ipairs(headers) do
        lines[#lines + 1] = header[1] .. ": " .. header[2]
    end
    lines[#lines + 1] = ""
    lines[#lines + 1] = ""
    local ok, err = self.tcp:send(table.concat(lines, "\r\n") .. (body or ""))
    if not ok then
        return nil, err
    end
    return true
end


--- Read one response (interim 1xx responses are skipped).
-- @treturn table|nil `{status=, reason=, headers={ {name, value} }, body=}`
-- with `:header(name)` for a case-insensitive look-up
-- @treturn[2] string "closed", "timeout" or another luasocket error
function Connection:receive()
    while true do
        local line, err = self.tcp:receive("*l")
        if not line then
            return nil, err
        end

        local status, reason = line:match("^HTTP/1%.%d (%d%d%d) ?(.*)$")
        if not status then
            return nil, "malformed status line: " .. line
        end

        local response = {
            status = tonumber(status),
            reason = reason,
            headers = {},
            header = function(self, name)
                for _, header in ipairs(self.headers) do
                    if header[1]:lower() == name:lower() then
                        return header[2]
                    end
                end
                return nil
            end,
        }
        while true do
            local header_line, header_err = self.tcp:receive("*l")
            if not header_line then
                return nil, header_err
            end
            if header_line == "" then
                break
            end
            local name, value = header_line:match("^([^:]+):%s*(.-)%s*$")
            response.headers[#response.headers + 1] = { name, value }
        end

        if response.status >= 200 then
            local length = tonumber(response:header("Content-Length") or "0")
            local body, body_err = "", nil
            if length > 0 then
                body, body_err = self.tcp:receive(length)
            end
            if not body then
                return nil, body_err
            end
            response.body = body
            return response
        end
    end
end


--- Send a request and read its response.
-- @see Connection:send
function Connection:request(method, target, headers, body)
    local ok, err = self:send(method, target, headers, body)
    if not ok then
        return nil, err
    end
    return self:receive()
end


--- Close the connection.
function Connection:close()
    self.tcp:close()
end


--- Decode JSON text with dkjson (integers stay integers, null becomes nil).
-- @tparam string text
-- @return decoded value
-- @raise when the text is not JSON
function _M.json_decode(text)
    local value, _, err = dkjson.decode(text)
    if err then
        error("invalid JSON: " .. err .. ": " .. tostring(text):sub(1, 200), 2)
    end
    return value
end


--- Encode a value as JSON with dkjson.
function _M.json_encode(value)
    return dkjson.encode(value)
end


-- Option tables, clients and loggers -----------------------------------------

--- Marker for `copy_with`: an override with this value removes the field.
_M.REMOVE = setmetatable({}, { __tostring = function() return "helpers.REMOVE" end })


--- Copy a table with overrides laid over it. The copy is shallow, and an
-- override whose value is `REMOVE` removes that field.
-- @tparam table base left unchanged
-- @tparam[opt] table overrides
-- @treturn table a new table
function _M.copy_with(base, overrides)
    local result = {}
    for name, value in pairs(base) do
        result[name] = value
    end
    for name, value in pairs(overrides or {}) do
        if value == _M.REMOVE then
            result[name] = nil
        else
            result[name] = value
        end
    end
    return result
end


--- Create a cam client for an emulator. The options start as the emulator's
-- URL and the demo account's secret id and key, and each table in `...` is
-- laid over them in order by `copy_with`.
-- @tparam table emu a started emulator
-- @tparam[opt] table ... option tables, where a nil one is skipped
-- @treturn table the client
-- @raise when `cam.new` rejects the options
function _M.new_client(emu, ...)
    local options = { endpoint = emu.url, secret_id = _M.DEMO_ID, secret_key = _M.DEMO_KEY }
    for i = 1, select("#", ...) do
        options = _M.copy_with(options, (select(i, ...)))
    end
    return require("cam").new(options)
end


--- Create a cam client for an emulator that takes its credential from the
-- emulator's CVM metadata service instead of the demo account.
-- @tparam table emu a started emulator
-- @tparam[opt] table extra options laid over the defaults by `copy_with`
-- @treturn table the client
function _M.new_cvm_role_client(emu, extra)
    local credentials = require("cam.credentials")
    return _M.new_client(emu, {
        secret_id = _M.REMOVE,
        secret_key = _M.REMOVE,
        credentials = credentials.cvm_role({ base_url = emu.url }),
    }, extra)
end


--- Return a cam logger that appends each call to `entries` as
-- `{level=, message=, fields=}`, with `fields` never nil.
-- @tparam table entries
-- @treturn function
function _M.capture_logger(entries)
    return function(level, message, fields)
        entries[#entries + 1] = { level = level, message = message, fields = fields or {} }
    end
end


--- Return a cam logger that appends each call to `lines` as one string:
-- the level, the message and each field as `name=value`, joined by spaces.
-- @tparam table lines
-- @treturn function
function _M.capture_log_lines(lines)
    return function(level, message, fields)
        local parts = { level, message }
        for k, v in pairs(fields or {}) do
            parts[#parts + 1] = tostring(k) .. "=" .. tostring(v)
        end
        lines[#lines + 1] = table.concat(parts, " ")
    end
end


--- Run `fn` with `os.getenv` reading `env` instead of the process
-- environment. The credential chain's metadata and STS URLs point at a
-- closed loopback port unless `env` names them.
-- @tparam table env variable names to values, which also receives the two URLs
-- @tparam function fn
-- @return the first two values `fn` returns
-- @raise what `fn` raises, after `os.getenv` is restored
function _M.with_env(env, fn)
    local getenv = os.getenv
    local closed = "http://127.0.0.1:9"
    env.TENCENTCLOUD_METADATA_ENDPOINT = env.TENCENTCLOUD_METADATA_ENDPOINT or closed
    env.TENCENTCLOUD_STS_ENDPOINT = env.TENCENTCLOUD_STS_ENDPOINT or closed
    os.getenv = function(name) return env[name] end
    local ok, a, b = pcall(fn)
    os.getenv = getenv
    assert(ok, a)
    return a, b
end


-- Emulator process -----------------------------------------------------------

local Emulator = {}
Emulator.__index = Emulator


-- Temporary directories go when the Lua state closes.
local reaper = setmetatable({}, {
    __gc = function()
        for _, path in ipairs(temporary_dirs) do
            if path:find("^/tmp/cam%-spec%.") then
                os.execute("rm -rf " .. _M.shell_quote(path))
            end
        end
    end,
})
_M._reaper = reaper


--- Start `bin/cam-emulator` and wait for its base URL.
--
-- @tparam[opt] table opts
-- `tls = {cert=, key=}` serve HTTPS;
-- `state = FILE` pass `--state FILE`;
-- `accounts = { {id=, key=, token=}, ... }` instead of the demo account;
-- `args = {...}` extra arguments;
-- `timeout` seconds to wait for the URL (default `START_TIMEOUT`).
-- @treturn table emu: `url`, `pid`, `host`, `port`, `admin_url`,
-- `stderr_file`, and the methods below
-- @raise with the emulator's stderr when it does not start in time
function _M.start_emulator(opts)
    opts = opts or {}
    local dir = _M.tmpdir()
    local stdout_file = dir .. "/stdout"
    local stderr_file = dir .. "/stderr"

    local argv = { _M.EMULATOR, "--host", "127.0.0.1", "--port", "0" }
    if opts.tls then
        argv[#argv + 1] = "--tls-cert"
        argv[#argv + 1] = opts.tls.cert
        argv[#argv + 1] = "--tls-key"
        argv[#argv + 1] = opts.tls.key
    end
    if opts.state then
        argv[#argv + 1] = "--state"
        argv[#argv + 1] = opts.state
    end
    for _, account in ipairs(opts.accounts or {}) do
        argv[#argv + 1] = "--secret-id"
        argv[#argv + 1] = account.id
        argv[#argv + 1] = "--secret-key"
        argv[#argv + 1] = account.key
        if account.token then
            argv[#argv + 1] = "--token"
            argv[#argv + 1] = account.token
        end
    end
    for _, arg in ipairs(opts.args or {}) do
        argv[#argv + 1] = arg
    end

    local quoted = {}
    for i, arg in ipairs(argv) do
        quoted[i] = _M.shell_quote(arg)
    end

    -- The shell prints its pid, then becomes the emulator; stdout goes to a
    -- file so that the wait for the URL can time out.
    local script = string.format('echo $$; exec "$0" "$@" >%s 2>%s',
        _M.shell_quote(stdout_file), _M.shell_quote(stderr_file))
    local command = "sh -c " .. _M.shell_quote(script) .. " " .. table.concat(quoted, " ")
    local handle = assert(io.popen(command, "r"))
    local pid = tonumber(handle:read("l"))
    if not pid then
        handle:close()
        error("cannot start cam-emulator: " .. command, 2)
    end

    local emu = setmetatable({
        pid = pid,
        handle = handle,
        dir = dir,
        stderr_file = stderr_file,
        stdout_file = stdout_file,
    }, Emulator)

    -- An emulator its test did not stop is killed when the Lua state closes
    -- (busted closes it on exit). Lua runs finalizers in the reverse order of
    -- creation, so this guard runs before the pipe's own finalizer, whose
    -- pclose() would otherwise wait forever for the running process.
    emu.guard = setmetatable({}, {
        __gc = function()
            if not emu.stopped then
                os.execute("kill -KILL " .. pid .. " 2>/dev/null")
            end
        end,
    })

    local deadline = socket.gettime() + (opts.timeout or _M.START_TIMEOUT)
    local url
    while socket.gettime() < deadline do
        local output = read_file(stdout_file) or ""
        url = output:match("^([^\n]+)\n")
        if url or not process_running(pid) then
            break
        end
        socket.sleep(0.02)
    end

    if not url then
        emu:stop("KILL")
        error(string.format("cam-emulator did not print its URL within %ss; stderr:\n%s",
            opts.timeout or _M.START_TIMEOUT, read_file(stderr_file) or ""), 2)
    end

    emu.url = url
    emu.host, emu.port = url:match("^https?://([^:/]+):(%d+)$")
    emu.port = tonumber(emu.port)
    emu.admin_url = "http://" .. emu.host .. ":" .. emu.port
    return emu
end


--- Stop the emulator (SIGTERM unless another signal is named) and reap it.
-- Falls back to SIGKILL after 5 seconds. Safe to call twice.
-- @tparam[opt] string signal_name e.g. `"INT"`, `"KILL"`
-- @treturn integer|nil exit status
-- @treturn string "exit" or "signal"
function Emulator:stop(signal_name)
    if self.stopped then
        return self.exit_code, self.exit_how
    end

    os.execute(string.format("kill -%s %d 2>/dev/null", signal_name or "TERM", self.pid))
    local deadline = socket.gettime() + 5
    while process_running(self.pid) and socket.gettime() < deadline do
        socket.sleep(0.02)
    end
    if process_running(self.pid) then
        os.execute(string.format("kill -KILL %d 2>/dev/null", self.pid))
    end

    local _, how, code = self.handle:close()
    self.stopped = true
    self.exit_how = how
    self.exit_code = code
    return code, how
end


--- Report whether the emulator process is still running.
-- @treturn boolean
function Emulator:is_running()
    return not self.stopped and process_running(self.pid)
end


--- Return what the emulator wrote to stderr so far.
-- @treturn string
function Emulator:stderr()
    return read_file(self.stderr_file) or ""
end


--- Call the admin API (plain HTTP, also on a TLS emulator).
-- @tparam string method
-- @tparam string path e.g. `/_emulator/state`
-- @tparam[opt] table body encoded as JSON
-- @return decoded JSON response
-- @treturn integer HTTP status
-- @raise when the request fails or the response is not JSON
function Emulator:admin(method, path, body)
    local text = body ~= nil and dkjson.encode(body) or ""
    local connection = _M.http_connect(self.host, self.port)
    local response, err = connection:request(method, path, {
        { "Host", self.host .. ":" .. self.port },
        { "Content-Type", "application/json" },
        { "Content-Length", tostring(#text) },
        { "Connection", "close" },
    }, text)
    connection:close()
    if not response then
        error(string.format("admin %s %s failed: %s", method, path, err), 2)
    end
    return _M.json_decode(response.body), response.status
end


--- Clear the emulator's state, faults, rate counters, request log and clock.
function Emulator:reset()
    return self:admin("POST", "/_emulator/reset")
end


--- Queue a fault (see docs/EMULATOR.md), raising when the emulator rejects it.
-- @tparam table fault e.g. `{fault = "delay", delay_ms = 500}`
-- @treturn table the queued fault with defaults
function Emulator:fault(fault)
    local response, status = self:admin("POST", "/_emulator/faults", fault)
    if status ~= 200 then
        error("fault rejected: " .. tostring(response and response.error), 2)
    end
    return response.fault
end


--- Remove every queued fault.
function Emulator:clear_faults()
    return self:admin("DELETE", "/_emulator/faults")
end


--- Return the log of received API requests, oldest first.
-- @treturn table list of entries (`method`, `path`, `headers` as
-- `{ {name=, value=} }`, `body`, `action`, `outcome`, `request_id`, `fault`)
function Emulator:requests()
    return self:admin("GET", "/_emulator/requests").requests
end


--- Return the emulator's OIDC state document.
function Emulator:state()
    return self:admin("GET", "/_emulator/state")
end


--- Set the emulator's clock offset in seconds.
function Emulator:set_clock(offset)
    return self:admin("POST", "/_emulator/clock", { offset = offset })
end


--- Add or replace a credential.
function Emulator:add_credential(id, key, token)
    return self:admin("POST", "/_emulator/credentials",
        { secret_id = id, secret_key = key, token = token })
end


-- Echoing mock server ---------------------------------------------------------

-- The mock server's program, run as a Lua 5.4 child process with luasocket.
-- See `start_echo_server`.
local ECHO_SERVER = [==[
local socket = require("socket")

local port_file, log_file = arg[1], arg[2]
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local f = assert(io.open(port_file, "w"))
f:write(port, "\n")
f:close()

-- Escape text for a JSON string.
local function quoted(text)
    return '"' .. text:gsub('[%c"\\]', function(c)
        return ("\\u%04x"):format(c:byte())
    end) .. '"'
end

local ROLE = "echo-role"
local METADATA = "/latest/meta-data/cam/security-credentials/"

local function respond(method, path, headers, body)
    if method == "GET" and path == METADATA then
        return 200, "text/plain", ROLE
    end
    if method == "GET" and path == METADATA .. ROLE then
        local key, token = "EchoMetadataSecretKey000000001", "EchoMetadataToken00000000001"
        return 200, "application/json", '{"TmpSecretId":"AKIDEchoMetadata00000001",'
            .. '"TmpSecretKey":' .. quoted(key) .. ',"Token":' .. quoted(token)
            .. ',"ExpiredTime":' .. (os.time() + 3600) .. ',"Code":'
            .. quoted("Failed " .. token .. " " .. key) .. "}"
    end

    local authorization = headers["authorization"] or ""
    local token = headers["x-tc-token"] or ""
    local web_token = body:match('"WebIdentityToken":"([^"]*)"') or ""
    local signature = authorization:match("Signature=(%x+)") or ""
    local short = token .. " " .. web_token .. " " .. signature
    return 200, "application/json", '{"Response":{"Error":{"Code":' .. quoted(short)
        .. ',"Message":' .. quoted("echo " .. authorization .. " token " .. token
        .. " web identity token " .. web_token) .. '},"RequestId":' .. quoted(short)
        .. "}}"
end

local deadline = socket.gettime() + 600
server:settimeout(1)
for _ = 1, 1000 do
    if socket.gettime() > deadline then
        break
    end
    local conn = server:accept()
    if conn then
        conn:settimeout(5)
        local method, path = (conn:receive("*l") or ""):match("^(%u+) (%S+)")
        local headers = {}
        local line = conn:receive("*l")
        while line and line ~= "" do
            local name, value = line:match("^([^:]+):%s*(.*)$")
            if name then
                headers[name:lower()] = value
            end
            line = conn:receive("*l")
        end
        local body = ""
        if headers["content-length"] then
            body = conn:receive(tonumber(headers["content-length"])) or ""
        end

        local log = io.open(log_file, "a")
        if log then
            log:write(headers["authorization"] or "", "\n")
            log:close()
        end

        local status, content_type, text = respond(method, path, headers, body)
        conn:send(("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            .. "Connection: close\r\n\r\n%s"):format(status, content_type, #text, text))
        conn:close()
    end
end
]==]

local EchoServer = {}
EchoServer.__index = EchoServer


--- Start spec/support/static_server.lua on a free port of 127.0.0.1. It
-- responds to every request with the text of `server.body_file` and the
-- status in that file's ".status" sibling, else `status`.
-- @tparam number status the HTTP status to respond with
-- @treturn table `url`, `body_file`, `pid` and `stop()`
-- @raise when the server does not write its port in time
function _M.start_static_server(status)
    local dir = _M.tmpdir()
    local port_file = dir .. "/port"
    local server = { body_file = dir .. "/body" }
    local script = _M.ROOT .. "/spec/support/static_server.lua"

    local handle = assert(io.popen("sh -c " .. _M.shell_quote("echo $$; exec lua5.4 "
        .. _M.shell_quote(script) .. " " .. _M.shell_quote(port_file) .. " "
        .. status .. " " .. _M.shell_quote(server.body_file)
        .. " </dev/null >/dev/null 2>&1") .. " &"))
    server.pid = assert(tonumber(handle:read("l")), "cannot start the static server")
    handle:close()

    function server.stop()
        os.execute("kill " .. server.pid .. " 2>/dev/null")
    end

    local socket = require("socket")
    local deadline = socket.gettime() + _M.START_TIMEOUT
    while server.url == nil and socket.gettime() < deadline do
        local port_text = io.open(port_file, "rb")
        local port = port_text and port_text:read("a"):match("^(%d+)\n")
        if port_text then
            port_text:close()
        end
        if port then
            server.url = "http://127.0.0.1:" .. port
        else
            socket.sleep(0.02)
        end
    end
    if server.url == nil then
        server.stop()
        error("the static server did not write its port", 2)
    end
    return server
end


--- Start a mock server on 127.0.0.1 that echoes what a credential provider
-- must keep secret.
--
-- A POST gets HTTP 200 with an API error envelope whose `Code` and
-- `RequestId` are the request's `X-TC-Token`, the body's `WebIdentityToken`
-- and the signature from `Authorization`, joined by spaces, and whose
-- `Message` contains the whole `Authorization` header and both tokens. The
-- CVM metadata paths bind the role `echo-role` and return its credential
-- with a `Code` that contains the credential's token and secret key
-- (`EchoMetadataToken00000000001`, `EchoMetadataSecretKey000000001`). The
-- server stops after 600 s or 1,000 requests.
-- @treturn table `url`, `stop()`, and `signatures()`, which returns every
--   signature received so far
function _M.start_echo_server()
    local dir = _M.tmpdir()
    local script, port_file, log_file = dir .. "/echo.lua", dir .. "/port", dir .. "/log"
    write_file(script, ECHO_SERVER)

    local handle = assert(io.popen("sh -c " .. _M.shell_quote("echo $$; exec lua5.4 "
        .. _M.shell_quote(script) .. " " .. _M.shell_quote(port_file) .. " "
        .. _M.shell_quote(log_file) .. " </dev/null >/dev/null 2>&1") .. " &"))
    local pid = tonumber(handle:read("l"))
    handle:close()
    assert(pid, "cannot start the echo server")

    local echo = setmetatable({ pid = pid, log_file = log_file }, EchoServer)
    echo.guard = setmetatable({}, {
        __gc = function()
            if not echo.stopped then
                os.execute("kill " .. pid .. " 2>/dev/null")
            end
        end,
    })

    local deadline = socket.gettime() + _M.START_TIMEOUT
    while echo.url == nil and socket.gettime() < deadline do
        local port = (read_file(port_file) or ""):match("^(%d+)\n")
        if port then
            echo.url = "http://127.0.0.1:" .. port
        else
            socket.sleep(0.02)
        end
    end
    if echo.url == nil then
        echo:stop()
        error("the echo server did not write its port within " .. _M.START_TIMEOUT .. " s", 2)
    end
    return echo
end


--- Stop the echo server.
function EchoServer:stop()
    if not self.stopped then
        os.execute("kill " .. self.pid .. " 2>/dev/null")
        self.stopped = true
    end
end


--- Return every signature the echo server has received, oldest first.
-- @treturn {string,...}
function EchoServer:signatures()
    local found = {}
    for signature in (read_file(self.log_file) or ""):gmatch("Signature=(%x+)") do
        found[#found + 1] = signature
    end
    return found
end


-- Certificates ---------------------------------------------------------------

local SERVER_NAMES = { "127.0.0.1", "localhost", "cam.tencentcloudapi.com" }


local function subject_alt_names(names)
    local entries = {}
    for _, name in ipairs(names) do
        if name:find("^%d+%.%d+%.%d+%.%d+$") or name:find(":", 1, true) then
            entries[#entries + 1] = "IP:" .. name
        else
            entries[#entries + 1] = "DNS:" .. name
        end
    end
    return table.concat(entries, ",")
end


--- Create a test CA and a server certificate with the openssl CLI.
--
-- Without `opts.ca` a new CA is made in `dir`; with it, the server
-- certificate is signed by that existing CA (for a trusted certificate with
-- the wrong names). Each call writes `ca.pem`, `ca.key`, `server.pem` and
-- `server.key` in `dir`, so use one directory per call.
--
-- @tparam string dir existing directory
-- @tparam[opt] table opts `names` (default `127.0.0.1`, `localhost`,
-- `cam.tencentcloudapi.com`; IP addresses become IP SANs), `ca` (a previous
-- result whose CA signs the new certificate), `days` (default 2)
-- @treturn table `{ca_file=, ca_key=, cert=, key=}`
function _M.make_ca(dir, opts)
    opts = opts or {}
    local names = opts.names or SERVER_NAMES
    local days = tostring(opts.days or 2)
    local q = _M.shell_quote
    local ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

    local ca_file, ca_key
    if opts.ca then
        ca_file, ca_key = opts.ca.ca_file, opts.ca.ca_key
    else
        ca_file, ca_key = dir .. "/ca.pem", dir .. "/ca.key"
        _M.run(string.format("openssl req -x509 %s -keyout %s -out %s -days %s "
            .. "-subj '/CN=cam-emulator test CA %s' "
            .. "-addext basicConstraints=critical,CA:TRUE "
            .. "-addext keyUsage=critical,keyCertSign,cRLSign",
            ec, q(ca_key), q(ca_file), days, tostring(os.time())))
    end

    local cert, key = dir .. "/server.pem", dir .. "/server.key"
    local csr, extensions = dir .. "/server.csr", dir .. "/server.ext"
    write_file(extensions, table.concat({
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        "subjectAltName=" .. subject_alt_names(names),
        "",
    }, "\n"))

    _M.run(string.format("openssl req %s -keyout %s -out %s -subj %s",
        ec, q(key), q(csr), q("/CN=" .. names[1])))
    _M.run(string.format("openssl x509 -req -in %s -CA %s -CAkey %s -CAcreateserial "
        .. "-out %s -days %s -extfile %s",
        q(csr), q(ca_file), q(ca_key), q(cert), days, q(extensions)))

    return { ca_file = ca_file, ca_key = ca_key, cert = cert, key = key }
end


-- Node.js interop ------------------------------------------------------------

--- Raise unless the Node.js SDK is installed in spec/interop.
function _M.require_interop()
    local marker = _M.INTEROP_DIR .. "/node_modules/tencentcloud-sdk-nodejs-common/package.json"
    if not read_file(marker) then
        error("the official Node.js SDK is not installed; run "
            .. "`npm ci --prefix spec/interop` first", 2)
    end
end


local function run_node(script, input, args)
    _M.require_interop()
    local input_file = os.tmpname()
    write_file(input_file, input or "")

    local quoted = {}
    for i, arg in ipairs(args or {}) do
        quoted[i] = _M.shell_quote(arg)
    end
    local ok, output = pcall(_M.run, string.format("cd %s && node %s %s < %s",
        _M.shell_quote(_M.INTEROP_DIR), script, table.concat(quoted, " "),
        _M.shell_quote(input_file)))
    os.remove(input_file)
    if not ok then
        error(output, 2)
    end
    return output
end


--- GET a URL with Node.js over HTTPS, trusting only one CA file.
-- @tparam string url
-- @tparam string ca_file
-- @treturn table `{status=, body=}` or `{error = {code=, message=}}`
function _M.https_get(url, ca_file)
    return _M.json_decode(run_node("https_get.js", "", { url, ca_file }))
end


--- Sign requests with the official Node.js SDK's `Sign.sign3`.
-- @tparam table requests list of `{secret_id=, secret_key=, service=, host=,
-- timestamp=, body=, content_type=, method=, query=}`
-- @treturn {string,...} Authorization values, in order
function _M.sdk_sign(requests)
    local lines = {}
    for i, request in ipairs(requests) do
        lines[i] = dkjson.encode(request)
    end
    local output = run_node("sign.js", table.concat(lines, "\n") .. "\n")

    local values = {}
    for line in output:gmatch("([^\n]+)") do
        values[#values + 1] = line
    end
    assert(#values == #requests, "sign.js returned " .. #values .. " values for "
        .. #requests .. " requests: " .. output)
    return values
end


--- Call an action through the official Node.js SDK's CommonClient.
-- @tparam table emu a started emulator
-- @tparam string action
-- @tparam[opt] table params
-- @tparam[opt] table opts `id`, `key`, `token` (default: the demo account),
-- `ca_file` (for HTTPS), `tamper` (change the body after signing)
-- @treturn table `{result = {...}}` or `{error = {code=, message=,
-- requestId=, httpCode=}}`
function _M.sdk_call(emu, action, params, opts)
    opts = opts or {}

    -- dkjson writes an empty Lua table as [], but an action's parameters are
    -- always a JSON object.
    if params == nil or next(params) == nil then
        params = setmetatable({}, { __jsontype = "object" })
    end

    local input = {
        port = emu.port,
        scheme = emu.url:match("^(https?)://"),
        ca_file = opts.ca_file,
        secret_id = opts.id or _M.DEMO_ID,
        secret_key = opts.key or _M.DEMO_KEY,
        token = opts.token,
        action = action,
        params = params,
        tamper = opts.tamper or false,
    }
    local output = run_node("sdk_call.js", dkjson.encode(input))
    return _M.json_decode(output)
end


return _M
