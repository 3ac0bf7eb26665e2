--- Command line of `cam-emulator`.
-- @module cam.emulator.cli

local emulator = require "cam.emulator"
local server = require "cam.emulator.server"

local _M = {}

_M.USAGE = [[
Usage: cam-emulator [options]

Serves the Tencent Cloud CAM OIDC actions (API 3.0, version 2019-01-16) on a
local port, checking TC3-HMAC-SHA256 signatures. The same port serves STS
AssumeRole and AssumeRoleWithWebIdentity (version 2018-08-13) and the CVM
metadata paths of a role's credential, whose role the admin API binds. The
first line on stdout is the base URL, written once the port accepts
connections.

Options:
  --host ADDRESS        address to bind (default 127.0.0.1)
  --port N              TCP port; 0 picks a free one (default 0)
  --tls-cert FILE       serve HTTPS with this PEM certificate (chain allowed)
  --tls-key FILE        PEM private key of --tls-cert
  --state FILE          load OIDC state from this JSON file and save it back
                        after every change (a missing file starts empty)
  --secret-id ID        add an account; repeat with --secret-key for more
  --secret-key KEY      secret key of the preceding --secret-id
  --token TOKEN         make the preceding credential temporary: requests
                        must send X-TC-Token: TOKEN
  --quiet               no per-request log lines on stderr (errors still go)
  --help                print this text

Without --secret-id the demo account is used:
  secret id  ]] .. emulator.DEMO_SECRET_ID .. [[

  secret key ]] .. emulator.DEMO_SECRET_KEY .. "\n" .. [[

Stops with exit status 0 on SIGTERM or SIGINT.
]]


--- Parse command-line arguments.
-- @tparam {string,...} argv arguments without the program name
-- @treturn table|nil options: `host`, `port`, `tls_cert`, `tls_key`,
-- `state_file`, `credentials` (list), `quiet`, `help`
-- @treturn[2] string error message
function _M.parse(argv)
    local options = { host = "127.0.0.1", port = 0, credentials = {} }
    local i = 1

    local function value_of(flag)
        local value = argv[i + 1]
        if value == nil then
            error({ message = flag .. " needs a value" })
        end
        i = i + 1
        return value
    end

    local ok, err = pcall(function()
        while i <= #argv do
            local flag = argv[i]
            if flag == "--host" then
                options.host = value_of(flag)
            elseif flag == "--port" then
                local text = value_of(flag)
                local port = tonumber(text)
                if not text:find("^%d+$") or port > 65535 then
                    error({ message = "--port must be an integer from 0 to 65535, got " .. text })
                end
                options.port = port
            elseif flag == "--tls-cert" then
                options.tls_cert = value_of(flag)
            elseif flag == "--tls-key" then
                options.tls_key = value_of(flag)
            elseif flag == "--state" then
                options.state_file = value_of(flag)
            elseif flag == "--secret-id" then
                options.credentials[#options.credentials + 1] = { secret_id = value_of(flag) }
            elseif flag == "--secret-key" then
                local last = options.credentials[#options.credentials]
                if not last or last.secret_key then
                    error({ message = "--secret-key must follow a --secret-id" })
                end
                last.secret_key = value_of(flag)
            elseif flag == "--token" then
                local last = options.credentials[#options.credentials]
                if not last or not last.secret_key or last.token then
                    error({ message = "--token must follow a --secret-id/--secret-key pair" })
                end
                last.token = value_of(flag)
            elseif flag == "--quiet" then
                options.quiet = true
            elseif flag == "--help" or flag == "-h" then
                options.help = true
            else
                error({ message = "unknown option " .. flag .. " (see --help)" })
            end
            i = i + 1
        end
    end)
    if not ok then
        if type(err) == "table" then
            return nil, err.message
        end
        error(err, 0)
    end

    for _, credential in ipairs(options.credentials) do
        if not credential.secret_key or credential.secret_key == "" then
            return nil, "--secret-id " .. credential.secret_id .. " has no --secret-key"
        end
        if credential.secret_id == "" then
            return nil, "--secret-id must not be empty"
        end
    end
    if (options.tls_cert == nil) ~= (options.tls_key == nil) then
        return nil, "--tls-cert and --tls-key must be given together"
    end

    return options
end


--- Run the emulator with command-line arguments.
-- @tparam {string,...} argv arguments without the program name
-- @treturn integer exit status: 0 after SIGTERM/SIGINT or --help, 2 on a
-- usage or start-up error
function _M.main(argv)
    local options, parse_err = _M.parse(argv)
    if not options then
        io.stderr:write("cam-emulator: ", parse_err, "\n")
        return 2
    end
    if options.help then
        io.stdout:write(_M.USAGE)
        return 0
    end

    local function log(line)
        io.stderr:write("cam-emulator: ", line, "\n")
        io.stderr:flush()
    end

    local tls_context
    if options.tls_cert then
        local context, tls_err = server.tls_context(options.tls_cert, options.tls_key)
        if not context then
            log(tls_err)
            return 2
        end
        tls_context = context
    end

    local emu, emu_err = emulator.new({
        credentials = options.credentials,
        state_file = options.state_file,
        logger = log,
    })
    if not emu then
        log(emu_err)
        return 2
    end

    local instance = server.new(emu, {
        host = options.host,
        port = options.port,
        tls_context = tls_context,
        quiet = options.quiet,
        logger = log,
    })
    local url, listen_err = instance:listen()
    if not url then
        log(listen_err)
        return 2
    end
    emu.base_url = url
    emu.faults.default_location = url .. "/"

    io.stdout:write(url, "\n")
    io.stdout:flush()

    local accounts = 0
    for _ in pairs(emu.credentials) do
        accounts = accounts + 1
    end
    if not options.quiet then
        log(string.format("listening on %s (%d account%s, state %s)", url, accounts,
            accounts == 1 and "" or "s", options.state_file or "in memory"))
    end

    return instance:run()
end


return _M
