--- Test-side support for spec/openresty_spec.lua: Debian's nginx with the
-- Lua module as a child process, a DNS server for its `resolver` directive,
-- a client for many concurrent HTTP requests on luasocket and coroutines,
-- and process figures from /proc.
--
-- Runs on Lua 5.4 and on LuaJIT. Every nginx and DNS server started here is
-- stopped by its `stop()` method; any still running when the Lua state
-- closes is killed.
-- @module openresty.harness

local socket = require("socket")

local helpers = require("helpers")

local _M = {}

--- Files the tests need from the nginx and libnginx-mod-http-lua packages.
_M.NGINX = "/usr/sbin/nginx"
_M.MODULES = {
    "/usr/lib/nginx/modules/ndk_http_module.so",
    "/usr/lib/nginx/modules/ngx_http_lua_module.so",
}

--- Seconds `start_nginx` waits for nginx to accept connections.
_M.START_TIMEOUT = 10


--- Return the checkout's absolute path, since nginx resolves relative paths
-- against its prefix.
local function absolute_root()
    local root = helpers.ROOT
    if root:sub(1, 1) ~= "/" then
        root = helpers.run("cd " .. helpers.shell_quote(root) .. " && pwd")
            :gsub("%s+$", "")
    end
    return root
end

local running = {}


local function read_file(path)
    local file = io.open(path, "rb")
    if file == nil then
        return nil
    end
    local text = file:read("*a")
    file:close()
    return text
end


local function write_file(path, text)
    local file = assert(io.open(path, "wb"))
    assert(file:write(text))
    assert(file:close())
end


-- Process state letter from /proc, nil when the process is gone.
local function process_state(pid)
    local stat = read_file("/proc/" .. pid .. "/stat")
    return stat and stat:match("%) (%a)")
end


local function process_running(pid)
    local state = process_state(pid)
    return state ~= nil and state ~= "Z"
end


--- Raise with the reason when nginx or its Lua module is missing.
function _M.require_nginx()
    local missing = {}
    for _, path in ipairs({ _M.NGINX, _M.MODULES[1], _M.MODULES[2] }) do
        if read_file(path) == nil then
            missing[#missing + 1] = path
        end
    end
    if #missing > 0 then
        error("nginx with the Lua module is not installed (missing "
            .. table.concat(missing, ", ") .. "); install the Debian packages"
            .. " nginx and libnginx-mod-http-lua", 2)
    end
end


--- Build the C core for LuaJIT (build/luajit/cam/core.so), which nginx
-- loads. Raises with make's output when the build fails.
function _M.build_core()
    helpers.run("make -s -C " .. helpers.shell_quote(helpers.ROOT)
        .. " LUA_PC=luajit")
end


--- Write a Lua value as a Lua expression (strings, numbers, booleans and
-- tables of them).
local function lua_literal(value)
    local kind = type(value)
    if kind == "string" then
        return string.format("%q", value)
    elseif kind == "number" or kind == "boolean" then
        return tostring(value)
    elseif kind ~= "table" then
        error("cannot write a " .. kind .. " into the nginx configuration")
    end

    local keys = {}
    for key in pairs(value) do
        keys[#keys + 1] = key
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)

    local parts = {}
    for _, key in ipairs(keys) do
        parts[#parts + 1] = "[" .. lua_literal(key) .. "] = "
            .. lua_literal(value[key])
    end
    return "{ " .. table.concat(parts, ", ") .. " }"
end


-- Distinct free loopback ports.
local function free_ports(count)
    local ports, seen = {}, {}
    while #ports < count do
        local port = helpers.free_port()
        if not seen[port] then
            seen[port] = true
            ports[#ports + 1] = port
        end
    end
    return ports
end


local Nginx = {}
Nginx.__index = Nginx


local function kill_running()
    for server in pairs(running) do
        os.execute("kill -KILL " .. server.pid .. " 2>/dev/null")
        pcall(server.handle.close, server.handle)
    end
end


-- nginx processes not stopped by their tests are killed when the state
-- closes. LuaJIT runs __gc only for userdata, hence newproxy there.
if newproxy ~= nil then
    _M._reaper = newproxy(true)
    getmetatable(_M._reaper).__gc = kill_running
else
    _M._reaper = setmetatable({}, { __gc = kill_running })
end


local function can_connect(port)
    local tcp = socket.tcp()
    tcp:settimeout(0.2)
    local ok = tcp:connect("127.0.0.1", port)
    tcp:close()
    return ok ~= nil
end


--- Write a configuration into a new prefix directory and start nginx with
-- it, waiting until a worker responds on `port`.
-- @tparam string dir the prefix directory
-- @tparam string conf the configuration text
-- @tparam integer port a port the configuration listens on
-- @tparam[opt] table env environment variables for nginx, by name
-- @treturn table nginx
-- @raise when nginx does not start, with its error log
local function launch(dir, conf, port, env)
    write_file(dir .. "/nginx.conf", conf)
    os.execute("mkdir -p " .. helpers.shell_quote(dir .. "/logs"))

    local assignments = {}
    for name, value in pairs(env or {}) do
        assignments[#assignments + 1] = name .. "=" .. helpers.shell_quote(value)
    end
    -- nginx loads the LuaJIT build, which is not instrumented, so a
    -- sanitizer runtime preloaded into the test run stays out of it.
    local command = string.format("env -u LD_PRELOAD %s %s -p %s -e %s -c %s -g 'daemon off;'",
        table.concat(assignments, " "),
        _M.NGINX, helpers.shell_quote(dir), helpers.shell_quote(dir .. "/error.log"),
        helpers.shell_quote(dir .. "/nginx.conf"))
    local script = string.format('echo $$; exec %s >%s 2>&1', command,
        helpers.shell_quote(dir .. "/output"))
    local handle = assert(io.popen("sh -c " .. helpers.shell_quote(script), "r"))
    local pid = tonumber(handle:read("*l"))
    if pid == nil then
        handle:close()
        error("cannot start nginx: " .. command, 3)
    end

    local server = setmetatable({
        pid = pid,
        handle = handle,
        dir = dir,
        port = port,
    }, Nginx)
    running[server] = true

    -- The master accepts connections even when no worker could start, so
    -- a worker must also respond to a request.
    local deadline = socket.gettime() + _M.START_TIMEOUT
    while not (can_connect(port) and server:responds()) do
        if not process_running(pid) or socket.gettime() > deadline then
            local log = server:error_log() .. (read_file(dir .. "/output") or "")
            server:stop()
            error("nginx did not start:\n" .. log, 3)
        end
        socket.sleep(0.05)
    end
    return server
end


--- Start nginx with spec/openresty/nginx.conf.template.
-- @tparam table settings the table given to `handlers.configure` inside
--   nginx, plus `ca_file` and `other_ca_file` for lua_ssl_trusted_certificate,
--   `dns_port` for the main server's `resolver`, and `dns_name`, `sni_cert`
--   and `sni_key` for the TLS server that replies with the SNI it received
--   (reached as `https://DNS_NAME:sni_port`)
-- @treturn table nginx: `port` (the main server), `untrusted_port`,
--   `fake_port`, `sni_port`, `pid` (the master), `dir`, and the methods below
-- @raise when nginx is missing or does not start, with its error log
function _M.start_nginx(settings)
    _M.require_nginx()

    local dir = helpers.tmpdir()
    local root = absolute_root()
    local ports = free_ports(4)
    settings.fake_url = "http://127.0.0.1:" .. ports[3]
    settings.sni_url = "https://" .. settings.dns_name .. ":" .. ports[4]

    local values = {
        prefix = dir,
        root = root,
        user = helpers.run("id -un"):gsub("%s+$", ""),
        port = ports[1],
        untrusted_port = ports[2],
        fake_port = ports[3],
        sni_port = ports[4],
        ca_file = settings.ca_file,
        other_ca_file = settings.other_ca_file,
        dns_port = settings.dns_port,
        sni_cert = settings.sni_cert,
        sni_key = settings.sni_key,
        settings = lua_literal(settings),
    }
    local template = root .. "/spec/openresty/nginx.conf.template"
    local conf = assert(read_file(template)):gsub("{{([%w_]+)}}", function(name)
        return tostring(assert(values[name], "no value for " .. name))
    end)

    local server = launch(dir, conf, ports[1])
    server.untrusted_port = ports[2]
    server.fake_port = ports[3]
    server.sni_port = ports[4]
    return server
end


--- Start nginx with examples/openresty/nginx.conf, changed only where it
-- must be for a test: the checkout path, the listen port, the trusted CA
-- and the workers' user.
-- @tparam table opts `ca_file`, `env` (variables for nginx, by name)
-- @treturn table nginx, with `port`
-- @raise when nginx is missing or does not start, with its error log
function _M.start_example(opts)
    _M.require_nginx()

    local dir = helpers.tmpdir()
    local root = absolute_root()
    local port = free_ports(1)[1]
    local conf = assert(read_file(root .. "/examples/openresty/nginx.conf"))
    local replacements = {
        { "/opt/lua-tencentcloud-cam", root },
        { "listen 127.0.0.1:8080", "listen 127.0.0.1:" .. port },
        { "/etc/ssl/certs/ca-certificates.crt", opts.ca_file },
        { "worker_processes auto;", "user " .. helpers.run("id -un"):gsub("%s+$", "")
            .. ";\nworker_processes 1;" },
    }
    for _, replacement in ipairs(replacements) do
        local from, to = replacement[1], replacement[2]
        local found = conf:find(from, 1, true)
        assert(found, "examples/openresty/nginx.conf no longer contains " .. from)
        conf = conf:gsub(from:gsub("%p", "%%%0"), (to:gsub("%%", "%%%%")))
    end

    return launch(dir, conf, port, opts.env)
end


--- Stop nginx (SIGQUIT, a graceful stop, then SIGKILL after 10 s) and reap
-- it. Safe to call twice.
function Nginx:stop()
    if self.stopped then
        return
    end
    local workers = self:worker_pids()

    os.execute("kill -QUIT " .. self.pid .. " 2>/dev/null")
    local deadline = socket.gettime() + 10
    while process_running(self.pid) and socket.gettime() < deadline do
        socket.sleep(0.02)
    end
    if process_running(self.pid) then
        os.execute("kill -KILL " .. self.pid .. " 2>/dev/null")
    end
    for _, pid in ipairs(workers) do
        if process_running(pid) then
            os.execute("kill -KILL " .. pid .. " 2>/dev/null")
        end
    end
    self.handle:close()
    self.stopped = true
    running[self] = nil
end


--- Report whether nginx responds to a request, with any status, within a
-- second.
function Nginx:responds()
    local tcp = socket.tcp()
    tcp:settimeout(1)
    local ok = tcp:connect("127.0.0.1", self.port)
        and tcp:send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            .. "Connection: close\r\n\r\n")
    local line = ok and tcp:receive("*l")
    tcp:close()
    return line ~= nil and line:find("^HTTP/1%.%d %d%d%d") ~= nil
end


--- Return the error log written so far.
function Nginx:error_log()
    return read_file(self.dir .. "/error.log") or ""
end


--- Return the pids of the master's children (the workers).
function Nginx:worker_pids()
    local text = read_file(string.format("/proc/%d/task/%d/children", self.pid,
        self.pid)) or ""
    local pids = {}
    for pid in text:gmatch("%d+") do
        pids[#pids + 1] = tonumber(pid)
    end
    return pids
end


--- Return a process's resident set size in KiB, from /proc/PID/status.
-- @tparam integer pid
-- @treturn integer|nil
function _M.rss_kib(pid)
    local status = read_file("/proc/" .. pid .. "/status") or ""
    return tonumber(status:match("VmRSS:%s*(%d+)"))
end


--- GET a path and return the response.
-- @tparam string path such as `/health`
-- @tparam[opt] integer port default: the main server
-- @treturn integer the HTTP status
-- @treturn string the body
function Nginx:request(path, port)
    local connection = helpers.http_connect("127.0.0.1", port or self.port, 15)
    local response, err = connection:request("GET", path, {
        { "Host", "127.0.0.1" },
        { "Connection", "close" },
    })
    connection:close()
    if response == nil then
        error("GET " .. path .. " failed: " .. tostring(err), 2)
    end
    return response.status, response.body
end


--- Send a request with a JSON body and decode the JSON response.
-- @tparam string method such as `"PUT"`
-- @tparam string path
-- @tparam[opt] string body
-- @treturn integer the HTTP status
-- @treturn table the decoded body
function Nginx:send(method, path, body)
    body = body or ""
    local connection = helpers.http_connect("127.0.0.1", self.port, 15)
    local response, err = connection:request(method, path, {
        { "Host", "127.0.0.1" },
        { "Content-Type", "application/json" },
        { "Content-Length", tostring(#body) },
        { "Connection", "close" },
    }, body)
    connection:close()
    if response == nil then
        error(method .. " " .. path .. " failed: " .. tostring(err), 2)
    end
    return response.status, helpers.json_decode(response.body)
end


--- GET a path and decode its JSON body.
-- @tparam string path such as `/call?target=fake`
-- @tparam[opt] integer port default: the main server
-- @treturn table the decoded body
-- @treturn integer the HTTP status
function Nginx:get(path, port)
    local status, body = self:request(path, port)
    local ok, value = pcall(helpers.json_decode, body)
    if not ok then
        error("GET " .. path .. " returned " .. status .. ": " .. body, 2)
    end
    return value, status
end


-- DNS server -----------------------------------------------------------------

local DnsServer = {}
DnsServer.__index = DnsServer


--- Start spec/support/dns_server.lua on a free UDP port of 127.0.0.1. It
-- returns 127.0.0.1 for A queries for `names`, no records for their other
-- types, and NXDOMAIN for every other name.
-- @tparam table names host names, each ending in `.test`
-- @treturn table the server: `port`, `pid`, and the methods below
-- @raise when the server does not start, with its stderr
function _M.start_dns_server(names)
    local dir = helpers.tmpdir()
    local script = absolute_root() .. "/spec/support/dns_server.lua"
    local argv = { "lua5.4", script, dir .. "/queries" }
    for _, name in ipairs(names) do
        argv[#argv + 1] = name
    end
    for i, value in ipairs(argv) do
        argv[i] = helpers.shell_quote(value)
    end

    -- The shell prints its pid and becomes the server, which prints its port.
    local command = string.format("echo $$; exec %s 2>%s", table.concat(argv, " "),
        helpers.shell_quote(dir .. "/stderr"))
    local handle = assert(io.popen(command, "r"))
    local pid = tonumber(handle:read("*l"))
    local port = tonumber(handle:read("*l"))
    if pid == nil or port == nil then
        handle:close()
        error("the DNS server did not start: "
            .. (read_file(dir .. "/stderr") or ""), 2)
    end

    local server = setmetatable({ pid = pid, port = port, handle = handle,
        dir = dir }, DnsServer)
    running[server] = true
    return server
end


--- Return the queries received so far, oldest first, each as
-- `{ type = "A", name = "cam.test", rcode = "NOERROR" }`.
function DnsServer:queries()
    local list = {}
    for line in (read_file(self.dir .. "/queries") or ""):gmatch("[^\n]+") do
        local kind, name, rcode = line:match("^(%S+) (%S+) (%S+)$")
        list[#list + 1] = { type = kind, name = name, rcode = rcode }
    end
    return list
end


--- Stop the server and reap it. Safe to call twice.
function DnsServer:stop()
    if self.stopped then
        return
    end
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
    local deadline = socket.gettime() + 5
    while process_running(self.pid) and socket.gettime() < deadline do
        socket.sleep(0.02)
    end
    if process_running(self.pid) then
        os.execute("kill -KILL " .. self.pid .. " 2>/dev/null")
    end
    self.handle:close()
    self.stopped = true
    running[self] = nil
end


-- Concurrent requests --------------------------------------------------------

-- One request on a non-blocking socket, as a coroutine body. It yields
-- ("r" or "w", socket) to wait and returns the raw response.
local function fetch(port, path)
    local tcp = assert(socket.tcp())
    tcp:settimeout(0)
    local ok, err = tcp:connect("127.0.0.1", port)
    if not ok and err ~= "timeout" and err ~= "Operation already in progress" then
        tcp:close()
        return nil, "connect: " .. tostring(err)
    end

    local request = "GET " .. path .. " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        .. "Connection: close\r\n\r\n"
    local sent = 0
    while sent < #request do
        coroutine.yield("w", tcp)
        local last, send_err, partial = tcp:send(request, sent + 1)
        if last == nil and send_err ~= "timeout" then
            tcp:close()
            return nil, "send: " .. tostring(send_err)
        end
        sent = last or partial or sent
    end

    local parts = {}
    while true do
        coroutine.yield("r", tcp)
        local data, receive_err, partial = tcp:receive("*a")
        parts[#parts + 1] = data or partial
        if data ~= nil or receive_err == "closed" then
            break
        elseif receive_err ~= "timeout" then
            tcp:close()
            return nil, "receive: " .. tostring(receive_err)
        end
    end
    tcp:close()
    return table.concat(parts)
end


local function parse_response(raw)
    local head, body = raw:match("^(.-)\r\n\r\n(.*)$")
    local status = head and tonumber(head:match("^HTTP/1%.%d (%d%d%d)"))
    return status, body
end


--- Make many GET requests at once, each on its own connection.
-- @tparam integer port
-- @tparam table requests list of `{ path = ..., at = seconds after the
--   start (default 0) }`
-- @tparam[opt] number timeout seconds for the whole run (default 60)
-- @treturn table the requests, each with `status`, `body` (raw), `seconds`
--   (from its start to its last byte) and `err`
-- @treturn number seconds for the whole run
function _M.parallel_get(port, requests, timeout)
    local started = socket.gettime()
    local deadline = started + (timeout or 60)
    local tasks = {}
    local waiting = {}
    local left = #requests

    for i, request in ipairs(requests) do
        tasks[i] = { request = request, at = started + (request.at or 0) }
    end

    local function step(task, ...)
        local ok, what, value, err = coroutine.resume(task.co, ...)
        if not ok then
            error(what)
        end
        if coroutine.status(task.co) == "dead" then
            local request = task.request
            request.seconds = socket.gettime() - task.began
            if what == nil then
                request.err = value
            else
                request.status, request.body = parse_response(what)
            end
            left = left - 1
            return
        end
        waiting[value] = { task = task, mode = what }
        return err
    end

    while left > 0 do
        local now = socket.gettime()
        if now > deadline then
            error(string.format("parallel_get: %d of %d requests still open"
                .. " after %ss", left, #requests, timeout or 60))
        end

        for _, task in ipairs(tasks) do
            if task.co == nil and now >= task.at then
                task.co = coroutine.create(fetch)
                task.began = socket.gettime()
                step(task, port, task.request.path)
            end
        end

        local readers, writers = {}, {}
        for tcp, entry in pairs(waiting) do
            if entry.mode == "r" then
                readers[#readers + 1] = tcp
            else
                writers[#writers + 1] = tcp
            end
        end
        local readable, writable = socket.select(readers, writers, 0.002)
        local ready = {}
        for _, tcp in ipairs(readable) do
            ready[#ready + 1] = tcp
        end
        for _, tcp in ipairs(writable) do
            ready[#ready + 1] = tcp
        end
        for _, tcp in ipairs(ready) do
            local entry = waiting[tcp]
            if entry ~= nil then
                waiting[tcp] = nil
                step(entry.task)
            end
        end
    end

    return requests, socket.gettime() - started
end


return _M
