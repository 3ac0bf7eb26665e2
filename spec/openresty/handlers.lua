--- Handlers of the nginx that spec/openresty_spec.lua starts. This code runs
-- inside nginx on LuaJIT; every handler replies with a JSON object and a
-- Content-Length, so a plain keep-alive client can read it.
--
-- `/call` makes CAM calls with options from the query string:
-- `target` (`https`, the default, `http`, `fake`, `refused`, `mismatch`,
-- `unpooled`, and by DNS name `named`, `misnamed`, `unknown`,
-- `named_closed`, `sni`),
-- `account`
-- (index into the emulator's accounts), `calls` (sequential calls on one
-- client), `action` (`describe` or `update`), `timeout` and `max` (client
-- options), `transport`, `ca_file=1`, `mode` (what the fake CAM server on
-- the second port sends).
-- @module handlers

local cam = require("cam")
local cjson = require("cjson.safe")

local ngx = ngx
local tonumber = tonumber
local tostring = tostring

local _M = {}

local config = {}

-- Clients made in init_worker and reused by every request of the worker,
-- one per account.
local shared_clients = {}

-- What the calls in init_worker and in the timer it starts returned.
local init_worker_outcome
local timer_outcome

local JWKS = {
    keys = {
        { kty = "RSA", kid = "k1", use = "sig", alg = "RS256", e = "AQAB",
          n = "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0" },
    },
}


--- Store the settings the spec writes into init_by_lua.
-- @tparam table settings `ca_file`, `accounts` (list of `{ id, key }`),
--   and the URL of each `/call` target (`https_url`, `http_url`, ...)
function _M.configure(settings)
    config = settings
end


local function reply(value, status)
    local body = cjson.encode(value)

    ngx.status = status or 200
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Content-Length"] = #body
    ngx.print(body)
end


local function endpoint_for(target)
    local urls = {
        https = config.https_url,
        http = config.http_url,
        fake = config.fake_url,
        refused = config.refused_url,
        mismatch = config.mismatch_url,
        unpooled = config.unpooled_url,
        named = config.named_url,
        misnamed = config.misnamed_url,
        unknown = config.unknown_url,
        named_closed = config.named_closed_url,
        sni = config.sni_url,
    }
    return urls[target or "https"] or error("unknown target " .. tostring(target))
end


--- Client options for an account index and the query arguments.
local function client_options(args, record)
    local account = config.accounts[tonumber(args.account) or 1]
    local opts = {
        endpoint = endpoint_for(args.target),
        secret_id = account[1],
        secret_key = account[2],
        timeout = tonumber(args.timeout),
        -- One attempt unless a test requests more, so each outcome shows.
        max_attempts = tonumber(args.attempts) or 1,
        max_response_size = tonumber(args.max),
        transport = args.transport,
        allow_blocking = args.allow_blocking == "1" or nil,
    }
    if args.ca_file == "1" then
        opts.ca_file = config.ca_file
    end
    if record ~= nil then
        -- The debug line of a response carries the transport's counters.
        opts.logger = function(_, message, fields)
            if message == "response received" then
                record.connects = fields.new_connections
            end
        end
    end
    return opts
end


--- Turn a call's results into a table for JSON.
local function outcome(res, err, started)
    ngx.update_time()
    local result = { elapsed = started and (ngx.now() - started) or nil }

    if res ~= nil then
        result.ok = true
        result.request_id = res.RequestId
        result.status = res.Status
        result.response = res
    else
        result.ok = false
        result.kind = err.kind
        result.code = err.code
        result.message = err.message
        result.request_id = err.request_id
        result.http_status = err.status
        result.request_sent = err.request_sent
        result.attempts = err.attempts
        result.text = tostring(err)
    end
    return result
end


local function update_params()
    return {
        identity_url = "https://sso.example.com/realms/acme",
        identity_key = assert(cam.identity_key(JWKS)),
        client_id = "tencent-cloud-cam",
        authorization_endpoint =
            "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
        mapping_field = "preferred_username",
        scope = { "openid", "email" },
        description = "set from nginx",
    }
end


local function run_action(client, action)
    ngx.update_time()
    local started = ngx.now()

    local res, err
    if action == "update" then
        res, err = client:update_oidc(update_params())
    elseif action == "create" then
        res, err = client:create_oidc(update_params())
    else
        res, err = client:describe_oidc()
    end
    return outcome(res, err, started)
end


--- `/call`: one client, `calls` sequential calls.
function _M.call()
    local args = ngx.req.get_uri_args()
    if args.mode then
        ngx.shared.fake:set("mode", args.mode)
    end

    local results = {}
    local record = {}
    local client = cam.new(client_options(args, record))
    local chosen = client.transport.choose and client.transport:choose()

    for i = 1, tonumber(args.calls) or 1 do
        record.connects = nil
        results[i] = run_action(client, args.action)
        results[i].connects = record.connects
    end
    client:close()

    reply({ transport = chosen, phase = ngx.get_phase(), results = results })
end


--- `/flow`: the user-SSO sequence over HTTPS: describe, update before
-- any create (an API error), create, update, describe.
function _M.flow()
    local args = ngx.req.get_uri_args()
    local client = cam.new(client_options(args))
    local steps = {}

    steps[1] = outcome(client:describe_oidc())
    steps[2] = outcome(client:update_oidc(update_params()))
    steps[3] = outcome(client:create_oidc(update_params()))
    local params = update_params()
    params.response_mode = "fragment"
    steps[4] = outcome(client:update_oidc(params))
    steps[5] = outcome(client:describe_oidc())
    client:close()

    reply({ transport = client.transport:choose(), steps = steps })
end


local function shared_client(index)
    local client = shared_clients[index]

    if client == nil then
        local account = config.accounts[index]
        client = cam.new({ endpoint = config.https_url, secret_id = account[1],
            secret_key = account[2], timeout = 10 })
        shared_clients[index] = client
    end
    return client
end


--- `/describe`: describe_oidc on the worker's shared client of `account`.
function _M.describe()
    local index = tonumber(ngx.var.arg_account) or 1
    local res, err = shared_client(index):describe_oidc()

    if res ~= nil then
        reply({ ok = true, request_id = res.RequestId })
    else
        reply({ ok = false, code = err.code, request_id = err.request_id })
    end
end


--- init_worker: make the first shared client, call it (which must fail:
-- no cosockets there), and call it again from a timer (which may).
function _M.init_worker()
    local client = shared_client(1)

    init_worker_outcome = outcome(client:describe_oidc())
    local ok, err = ngx.timer.at(0, function(premature)
        if not premature then
            timer_outcome = outcome(client:describe_oidc())
        end
    end)
    if not ok then
        timer_outcome = { ok = false, message = "timer: " .. tostring(err) }
    end
end


--- `/init_worker`: what the init_worker and timer calls returned.
function _M.init_worker_report()
    reply({ init_worker = init_worker_outcome, timer = timer_outcome })
end


--- set_by_lua: call from the set phase and return the error text.
function _M.in_set()
    local res, err = shared_client(1):describe_oidc()
    return res and ("ok " .. res.RequestId) or tostring(err)
end


--- log_by_lua: call from the log phase and keep the outcome for `/report`.
function _M.in_log()
    local args = ngx.req.get_uri_args()
    local client = cam.new(client_options(args))
    local result = outcome(client:describe_oidc())
    client:close()

    ngx.shared.results:set(args.key or "log", cjson.encode(result))
end


--- `/report?key=K`: an outcome kept by `in_log`.
function _M.report()
    local text = ngx.shared.results:get(ngx.var.arg_key or "log")
    reply(text and cjson.decode(text) or { missing = true })
end


-- Fake CAM server ------------------------------------------------------------

local function envelope(mode)
    return '{"Response":{"ProviderType":12,"Status":0,"RequestId":"fake-'
        .. mode .. '"}}'
end


-- Raw responses go straight to the client socket, and 444 closes it.
local function send_raw(bytes)
    ngx.req.read_body()
    local sock = assert(ngx.req.socket(true))
    sock:send(bytes)
    ngx.exit(444)
end


local fake_modes = {}

function fake_modes.chunked(mode)
    -- Without Content-Length, nginx sends an HTTP/1.1 body chunked, one
    -- chunk per flush.
    local body = envelope(mode)
    ngx.header["Content-Type"] = "application/json"
    ngx.print(body:sub(1, 10))
    ngx.flush(true)
    ngx.print(body:sub(11, 30))
    ngx.flush(true)
    ngx.print(body:sub(31))
end

function fake_modes.chunked_big()
    ngx.header["Content-Type"] = "application/json"
    for _ = 1, 8 do
        ngx.print(string.rep("x", 512))
        ngx.flush(true)
    end
end

function fake_modes.close_delimited(mode)
    send_raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        .. "Connection: close\r\n\r\n" .. envelope(mode))
end

function fake_modes.interim(mode)
    local body = envelope(mode)
    send_raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
        .. "Content-Length: " .. #body .. "\r\n\r\n" .. body)
end

function fake_modes.garbage()
    send_raw("SSH-2.0-OpenSSH_9.2\r\n\r\n")
end

function fake_modes.huge_head()
    send_raw("HTTP/1.1 200 OK\r\nX-Padding: " .. string.rep("a", 70000)
        .. "\r\n\r\n")
end

function fake_modes.bad_chunk()
    send_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        .. "5\r\nabcdefgh\r\n0\r\n\r\n")
end

function fake_modes.close_early()
    send_raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Resp")
end

function fake_modes.redirect()
    ngx.redirect("https://elsewhere.example/", 302)
end


--- Respond as CAM to any action, with `sni:` and the server name the client
-- sent in TLS (empty without SNI) as the RequestId.
function _M.sni()
    local body = '{"Response":{"ProviderType":12,"Status":0,"RequestId":'
        .. cjson.encode("sni:" .. (ngx.var.ssl_server_name or "")) .. '}}'

    ngx.header["Content-Type"] = "application/json"
    ngx.header["Content-Length"] = #body
    ngx.print(body)
end


--- Respond as the fake CAM server, in the way the shared `mode` names.
function _M.fake()
    local mode = ngx.shared.fake:get("mode") or "chunked"
    local handler = fake_modes[mode]

    if handler == nil then
        ngx.status = 500
        ngx.say("unknown mode ", mode)
        return
    end
    handler(mode)
end


return _M
