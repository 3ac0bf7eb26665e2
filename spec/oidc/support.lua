--- Test fixtures for cam.oidc: the OpenID provider oidc-provider served
-- over HTTPS on loopback, and keys and ID tokens made with jose, both from
-- the npm packages pinned in spec/oidc/package-lock.json.
-- @module oidc.support

local helpers = require "helpers"
local socket = require "socket"

local _M = {}

--- Directory of the Node.js scripts.
_M.DIR = helpers.ROOT .. "/spec/oidc"

--- Seconds `start_provider` waits for the base URL.
_M.START_TIMEOUT = 15

local running = {}


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

_M.read_file = read_file
_M.write_file = write_file


--- Raise unless `npm ci` has installed the packages in spec/oidc.
function _M.require_node_modules()
    for _, name in ipairs({ "oidc-provider", "jose" }) do
        if not read_file(_M.DIR .. "/node_modules/" .. name .. "/package.json") then
            error("the npm package " .. name .. " is not installed; run"
                .. " `npm ci --prefix spec/oidc` first", 2)
        end
    end
end


--- Run jose_tool.mjs with input on stdin; return its stdout.
local function jose_tool(args, input)
    _M.require_node_modules()
    local dir = helpers.tmpdir()
    local input_file = dir .. "/input"
    write_file(input_file, input or "")

    local quoted = {}
    for i, arg in ipairs(args) do
        quoted[i] = helpers.shell_quote(arg)
    end
    return helpers.run(string.format("cd %s && node jose_tool.mjs %s < %s",
        helpers.shell_quote(_M.DIR), table.concat(quoted, " "),
        helpers.shell_quote(input_file)))
end


--- Make one private JWK per algorithm: kids `rsa-rs256`, `rsa-ps256`,
-- `ec-p256`, `ec-p384` (signing) and `rsa-enc` (use=enc).
-- @treturn table `{ keys = {...} }` and, by kid, `by_kid`
function _M.make_keys()
    local jwks = helpers.json_decode(jose_tool({ "keys" }))
    jwks.by_kid = {}
    for _, key in ipairs(jwks.keys) do
        jwks.by_kid[key.kid] = key
    end
    return jwks
end


local PRIVATE = { d = true, p = true, q = true, dp = true, dq = true,
    qi = true }


--- Return the public half of a private JWK.
function _M.public_key(key)
    local public = {}
    for name, value in pairs(key) do
        if not PRIVATE[name] then
            public[name] = value
        end
    end
    return public
end


--- Write the private keys (without `by_kid`) as a JWKS file; return its
-- path.
function _M.write_private_jwks(keys, dir)
    local path = (dir or helpers.tmpdir()) .. "/private-jwks.json"
    write_file(path, helpers.json_encode({ keys = keys.keys }))
    return path
end


--- Sign ID tokens with jose.
-- @tparam table requests list of `{ key =, alg =, header =, claims =,
--   mode = }` (see jose_tool.mjs)
-- @treturn table the tokens, in order
function _M.sign(requests)
    local output = jose_tool({ "sign" }, helpers.json_encode(requests))
    local tokens = {}
    for line in output:gmatch("([^\n]+)") do
        tokens[#tokens + 1] = line
    end
    assert(#tokens == #requests, "jose_tool returned " .. #tokens
        .. " tokens for " .. #requests .. " requests: " .. output)
    return tokens
end


--- RFC 7638 thumbprints of PEM files, computed by jose.
function _M.thumbprints(alg, files)
    local args = { "thumbprint", alg }
    for _, file in ipairs(files) do
        args[#args + 1] = file
    end
    local prints = {}
    for line in jose_tool(args):gmatch("([^\n]+)") do
        prints[#prints + 1] = line
    end
    return prints
end


-- oidc-provider ----------------------------------------------------------------

local Provider = {}
Provider.__index = Provider


local function process_running(pid)
    local stat = read_file("/proc/" .. pid .. "/stat")
    return stat ~= nil and stat:match("%) (%a)") ~= "Z"
end


--- Start oidc-provider over HTTPS on 127.0.0.1.
-- @tparam table opts `tls` (a `helpers.make_ca` result), `jwks_file`
--   (private JWKS), `host_name` (name in the base URL, default
--   `127.0.0.1`), `issuer` (issuer to publish instead of the base URL),
--   `response_modes` and `response_types` (lists to publish)
-- @treturn table the provider: `url`, `pid`, `stop()`
function _M.start_provider(opts)
    _M.require_node_modules()
    local dir = helpers.tmpdir()
    local stdout_file, stderr_file = dir .. "/stdout", dir .. "/stderr"

    local argv = { "node", _M.DIR .. "/provider.mjs", opts.tls.cert,
        opts.tls.key, opts.jwks_file }
    local function add(flag, value)
        if value ~= nil then
            argv[#argv + 1] = flag
            argv[#argv + 1] = value
        end
    end
    add("--host-name", opts.host_name)
    add("--issuer", opts.issuer)
    add("--response-modes", opts.response_modes
        and table.concat(opts.response_modes, ","))
    add("--response-types", opts.response_types
        and table.concat(opts.response_types, ","))

    local quoted = {}
    for i, arg in ipairs(argv) do
        quoted[i] = helpers.shell_quote(arg)
    end
    local script = string.format('echo $$; exec "$0" "$@" >%s 2>%s',
        helpers.shell_quote(stdout_file), helpers.shell_quote(stderr_file))
    local handle = assert(io.popen("sh -c " .. helpers.shell_quote(script) .. " "
        .. table.concat(quoted, " "), "r"))
    local pid = tonumber(handle:read("l"))

    local provider = setmetatable({ pid = pid, handle = handle,
        stderr_file = stderr_file }, Provider)
    running[provider] = true

    local deadline = socket.gettime() + _M.START_TIMEOUT
    while socket.gettime() < deadline do
        provider.url = (read_file(stdout_file) or ""):match("^([^\n]+)\n")
        if provider.url or not process_running(pid) then
            break
        end
        socket.sleep(0.05)
    end
    if not provider.url then
        provider:stop()
        error("oidc-provider did not start; stderr:\n"
            .. (read_file(stderr_file) or ""), 2)
    end
    return provider
end


--- Stop the provider and reap it. Safe to call twice.
function Provider:stop()
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


-- Providers a test left running are killed when the Lua state closes.
_M._reaper = setmetatable({}, {
    __gc = function()
        for provider in pairs(running) do
            os.execute("kill -KILL " .. provider.pid .. " 2>/dev/null")
            pcall(provider.handle.close, provider.handle)
        end
    end,
})


-- The CLI -------------------------------------------------------------------

--- Run bin/cam-oidc with arguments and environment variables.
-- @tparam table args the arguments
-- @tparam[opt] table env variables to set (`false` unsets one)
-- @tparam[opt] string stdin text for standard input
-- @treturn table `status` (exit status), `stdout`, `stderr`
function _M.cli(args, env, stdin)
    local dir = helpers.tmpdir()
    -- env(1) takes its -u options before any assignment.
    local parts = { "env" }
    local assignments = {}
    for name, value in pairs(env or {}) do
        if value == false then
            parts[#parts + 1] = "-u " .. helpers.shell_quote(name)
        else
            assignments[#assignments + 1] = helpers.shell_quote(name .. "=" .. value)
        end
    end
    for _, assignment in ipairs(assignments) do
        parts[#parts + 1] = assignment
    end
    parts[#parts + 1] = helpers.shell_quote(helpers.ROOT .. "/bin/cam-oidc")
    for _, arg in ipairs(args) do
        parts[#parts + 1] = helpers.shell_quote(arg)
    end
    write_file(dir .. "/stdin", stdin or "")

    local command = table.concat(parts, " ") .. " <" .. helpers.shell_quote(dir
        .. "/stdin") .. " >" .. helpers.shell_quote(dir .. "/stdout") .. " 2>"
        .. helpers.shell_quote(dir .. "/stderr")
    local _, status = helpers.execute(command)
    return {
        status = status,
        stdout = read_file(dir .. "/stdout") or "",
        stderr = read_file(dir .. "/stderr") or "",
    }
end


return _M
