--- Admin API of the emulator: unsigned JSON under `/_emulator/`.
--
--     GET    /_emulator/health       liveness and the base URL
--     POST   /_emulator/reset        clear state, faults, rate counters, log, clock
--     GET    /_emulator/state        the OIDC state of every account
--     GET    /_emulator/requests     log of received API requests
--     DELETE /_emulator/requests     clear that log
--     GET    /_emulator/clock        clock offset and current emulator time
--     POST   /_emulator/clock        {"offset": seconds}
--     POST   /_emulator/credentials  {"secret_id", "secret_key", "token"?}
--     GET    /_emulator/faults       queued faults
--     POST   /_emulator/faults       queue one fault (see cam.emulator.faults)
--     DELETE /_emulator/faults       clear the fault queue
--     GET    /_emulator/metadata     the metadata service's settings
--     POST   /_emulator/metadata     {"role", "account", "expires_in", "failure",
--                                     "status", "count"} (see cam.emulator.metadata)
--     GET    /_emulator/tokens       issued temporary credentials, without secrets
--     POST   /_emulator/tokens       {"expire": true or "<secret id>"}
--     GET    /_emulator/web_identity the settings of AssumeRoleWithWebIdentity
--     POST   /_emulator/web_identity {"token", "provider_id", "account"}
--
-- Errors respond with 400 (bad body), 404 (unknown path) or 405 (wrong method)
-- with `{"error": "<message>"}`.
-- @module cam.emulator.admin

local json = require "cam.emulator.json"
local metadata = require "cam.emulator.metadata"

local _M = {}

--- Path prefix of every admin endpoint.
_M.PREFIX = "/_emulator/"

-- Largest clock offset, in seconds: 100 years of 365.25 days. Offsets near
-- the integer limits overflow the clock or give dates that os.date cannot
-- format for the Date header, which would break every response.
local MAX_CLOCK_OFFSET = 100 * 36525 * 864


local function decode_object(request)
    if request.body == "" then
        return json.object({})
    end

    local value, err = json.decode(request.body)
    if value == nil then
        return nil, "the body is not valid JSON: " .. err
    end
    if json.type_of(value) ~= "object" then
        return nil, "the body must be a JSON object"
    end
    return value
end


local function ok(extra)
    local body = { ok = true }
    for name, value in pairs(extra or {}) do
        body[name] = value
    end
    return 200, body
end


local function bad_request(message)
    return 400, { error = message }
end


local ROUTES = {}

ROUTES.health = {
    GET = function(emu)
        return ok({ status = "ok", url = emu.base_url, now = emu:now() })
    end,
}

ROUTES.reset = {
    POST = function(emu)
        emu:reset()
        return ok()
    end,
}

ROUTES.state = {
    GET = function(emu)
        return 200, emu.store:snapshot()
    end,
}

ROUTES.requests = {
    GET = function(emu)
        return 200, { requests = emu.requests:list() }
    end,
    DELETE = function(emu)
        emu.requests:clear()
        return ok()
    end,
}

ROUTES.clock = {
    GET = function(emu)
        return ok({ offset = emu.clock_offset, now = emu:now() })
    end,
    POST = function(emu, request)
        local body, err = decode_object(request)
        if not body then
            return bad_request(err)
        end
        local offset = body.offset
        if math.type(offset) ~= "integer" or offset < -MAX_CLOCK_OFFSET
            or offset > MAX_CLOCK_OFFSET then
            return bad_request(string.format("offset must be an integer number of"
                .. " seconds from %d to %d (100 years either way)",
                -MAX_CLOCK_OFFSET, MAX_CLOCK_OFFSET))
        end
        emu.clock_offset = offset
        return ok({ offset = emu.clock_offset, now = emu:now() })
    end,
}

ROUTES.credentials = {
    POST = function(emu, request)
        local body, err = decode_object(request)
        if not body then
            return bad_request(err)
        end
        if type(body.secret_id) ~= "string" or body.secret_id == "" then
            return bad_request("secret_id must be a non-empty string")
        end
        if type(body.secret_key) ~= "string" or body.secret_key == "" then
            return bad_request("secret_key must be a non-empty string")
        end
        if body.token ~= nil and body.token ~= json.null and type(body.token) ~= "string" then
            return bad_request("token must be a string")
        end

        local token = body.token
        if token == json.null or token == "" then
            token = nil
        end
        emu:set_credential(body.secret_id, body.secret_key, token)
        return ok({ secret_id = body.secret_id, temporary = token ~= nil })
    end,
}

ROUTES.faults = {
    GET = function(emu)
        return 200, { faults = emu.faults:list() }
    end,
    POST = function(emu, request)
        local body, err = decode_object(request)
        if not body then
            return bad_request(err)
        end
        local fault, fault_err = emu.faults:add(body)
        if not fault then
            return bad_request(fault_err)
        end
        return ok({ fault = fault, faults = emu.faults:list() })
    end,
    DELETE = function(emu)
        emu.faults:clear()
        return ok()
    end,
}


local function metadata_view(settings)
    return {
        role = settings.role or json.null,
        account = settings.account or json.null,
        expires_in = settings.expires_in,
        failure = settings.failure or json.null,
        status = settings.status,
        count = settings.count,
        served = settings.served,
    }
end

ROUTES.metadata = {
    GET = function(emu)
        return ok({ metadata = metadata_view(emu.metadata) })
    end,
    POST = function(emu, request)
        local body, err = decode_object(request)
        if not body then
            return bad_request(err)
        end
        local settings, settings_err = metadata.settings(body)
        if not settings then
            return bad_request(settings_err)
        end
        if settings.account ~= nil and not emu.credentials[settings.account] then
            return bad_request("account " .. settings.account .. " is not a known secret id")
        end
        emu.metadata = settings
        return ok({ metadata = metadata_view(settings) })
    end,
}

ROUTES.tokens = {
    GET = function(emu)
        return ok({ tokens = json.array(emu:issued_credentials()) })
    end,
    POST = function(emu, request)
        local body, err = decode_object(request)
        if not body then
            return bad_request(err)
        end
        local expire = body.expire
        if expire ~= true and type(expire) ~= "string" then
            return bad_request("expire must be true (every issued credential) or a secret id")
        end
        local changed = emu:expire_credentials(expire ~= true and expire or nil)
        return ok({ expired = changed })
    end,
}

ROUTES.web_identity = {
    GET = function(emu)
        local settings = emu.web_identity
        return ok({ provider_id = settings.provider_id or json.null,
            account = settings.account or json.null,
            token_required = settings.token ~= nil })
    end,
    POST = function(emu, request)
        local body, err = decode_object(request)
        if not body then
            return bad_request(err)
        end
        local settings = {}
        for _, name in ipairs({ "token", "provider_id", "account" }) do
            local value = body[name]
            if value ~= nil and value ~= json.null then
                if type(value) ~= "string" or value == "" then
                    return bad_request(name .. " must be a non-empty string or null")
                end
                settings[name] = value
            end
        end
        for name in pairs(body) do
            if name ~= "token" and name ~= "provider_id" and name ~= "account" then
                return bad_request("unknown web identity field: " .. tostring(name))
            end
        end
        if settings.account ~= nil and not emu.credentials[settings.account] then
            return bad_request("account " .. settings.account .. " is not a known secret id")
        end
        emu.web_identity = settings
        return ok()
    end,
}


--- Report whether a request path belongs to the admin API.
-- @tparam string path
-- @treturn boolean
function _M.matches(path)
    return path:sub(1, #_M.PREFIX) == _M.PREFIX
end


--- Handle one admin request.
-- @tparam table emu the emulator
-- @tparam table request from `cam.emulator.http.read_request`
-- @treturn integer HTTP status
-- @treturn string JSON body
function _M.handle(emu, request)
    local name = request.path:sub(#_M.PREFIX + 1)
    local route = ROUTES[name]

    local status, body
    if not route then
        status, body = 404, { error = "no admin endpoint " .. request.path }
    elseif not route[request.method] then
        local methods = {}
        for method in pairs(route) do
            methods[#methods + 1] = method
        end
        table.sort(methods)
        status, body = 405, {
            error = string.format("%s does not accept %s; use %s", request.path,
                request.method, table.concat(methods, " or ")),
        }
    else
        status, body = route[request.method](emu, request)
    end

    return status, json.encode(body)
end


return _M
