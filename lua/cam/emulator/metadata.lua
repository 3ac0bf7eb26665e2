--- The emulator's stand-in for the CVM instance metadata service: the two
-- paths that give the temporary credential of the CAM role bound to an
-- instance.
--
--     GET /latest/meta-data/cam/security-credentials/        the role name
--     GET /latest/meta-data/cam/security-credentials/<role>  the credential
--
-- The credential document has `TmpSecretId`, `TmpSecretKey`, `Token`,
-- `ExpiredTime`, `Expiration` and `Code` (`"Success"`). Each request for it
-- issues a new credential (see `cam.emulator.sts.issue`), which acts on the
-- configured account. Without a bound role both paths return 404. The admin
-- API sets the role, the account, the lifetime and an injected failure.
-- @module cam.emulator.metadata

local json = require "cam.emulator.json"
local sts = require "cam.emulator.sts"

local _M = {}

--- Path of the role name; the credential is at this path plus the role.
_M.PREFIX = "/latest/meta-data/cam/security-credentials/"

--- Seconds an issued credential lasts when the settings give no `expires_in`.
_M.DEFAULT_EXPIRES_IN = 7200

--- Failure kinds and what each does.
_M.FAILURES = {
    status = "both paths return HTTP `status` (default 500)",
    code = "the credential document has Code \"InternalError\" and no credential",
    invalid_json = "the credential path returns 200 with a body that is not JSON",
}

local FIELDS = {
    role = true, account = true, expires_in = true, failure = true, status = true,
    count = true,
}


--- The settings of an emulator that has none yet: no role bound.
-- @treturn table
function _M.defaults()
    return { role = nil, account = nil, expires_in = _M.DEFAULT_EXPIRES_IN,
        failure = nil, status = 500, count = -1, served = 0 }
end


--- Report whether a request path belongs to the metadata service.
-- @tparam string path
-- @treturn boolean
function _M.matches(path)
    return path:sub(1, #"/latest/meta-data/") == "/latest/meta-data/"
end


--- Check new settings from the admin API and fill in defaults.
-- @tparam table body decoded JSON object
-- @treturn table|nil the settings
-- @treturn[2] string why they are invalid
function _M.settings(body)
    for name in pairs(body) do
        if not FIELDS[name] then
            return nil, "unknown metadata field: " .. tostring(name)
        end
    end

    local settings = _M.defaults()
    local role = body.role
    if role ~= nil and role ~= json.null then
        if type(role) ~= "string" or not role:find("^[%w+=,.@_%-]+$") then
            return nil, "role must be a CAM role name (letters, digits and +=,.@_-) or null"
        end
        settings.role = role
    end
    if body.account ~= nil and type(body.account) ~= "string" then
        return nil, "account must be a secret id"
    end
    settings.account = body.account

    local expires_in = body.expires_in
    if expires_in ~= nil then
        if math.type(expires_in) ~= "integer" or expires_in < 1 or expires_in > 43200 then
            return nil, "expires_in must be an integer from 1 to 43200 seconds"
        end
        settings.expires_in = expires_in
    end

    local failure = body.failure
    if failure ~= nil and failure ~= json.null then
        if type(failure) ~= "string" or not _M.FAILURES[failure] then
            return nil, "failure must be status, code, invalid_json or null"
        end
        settings.failure = failure
    end
    if body.status ~= nil then
        if math.type(body.status) ~= "integer" or body.status < 200 or body.status > 599 then
            return nil, "status must be an integer from 200 to 599"
        end
        settings.status = body.status
    end
    if body.count ~= nil then
        local count = body.count
        if math.type(count) ~= "integer" or (count < 1 and count ~= -1) then
            return nil, "count must be a positive integer, or -1 for until changed"
        end
        settings.count = count
    end
    return settings
end


-- Take the injected failure for one request, if one is set.
local function take_failure(settings, kinds)
    local failure = settings.failure
    if failure == nil or not kinds[failure] then
        return nil
    end
    if settings.count > 0 then
        settings.count = settings.count - 1
        if settings.count == 0 then
            settings.failure = nil
        end
    end
    return failure
end


local function text(status, body)
    return status, "text/plain; charset=utf-8", body
end


--- Handle one metadata request.
-- @tparam table emu the emulator
-- @tparam table request from `cam.emulator.http.read_request`
-- @treturn integer HTTP status
-- @treturn string Content-Type
-- @treturn string body
function _M.handle(emu, request)
    local settings = emu.metadata

    if request.method ~= "GET" then
        return text(405, "The metadata service accepts GET only.\n")
    end
    if request.path ~= _M.PREFIX and request.path:sub(1, #_M.PREFIX) ~= _M.PREFIX then
        return text(404, "Not found.\n")
    end

    local role_path = request.path ~= _M.PREFIX
    local failure = take_failure(settings, role_path
        and { status = true, code = true, invalid_json = true } or { status = true })
    if failure == "status" then
        return text(settings.status, "Injected metadata failure.\n")
    end

    if settings.role == nil then
        return text(404, "No CAM role is bound to this instance.\n")
    end
    if not role_path then
        return text(200, settings.role)
    end
    if request.path:sub(#_M.PREFIX + 1) ~= settings.role then
        return text(404, "Not found.\n")
    end

    if failure == "invalid_json" then
        return 200, "application/json", "<html>metadata failure</html>\n"
    end
    if failure == "code" then
        return 200, "application/json", json.encode({ Code = "InternalError" })
    end

    local issued = sts.issue(emu, settings.account or emu.default_account,
        settings.expires_in, "CVM role " .. settings.role)
    settings.served = settings.served + 1
    return 200, "application/json", json.encode({
        TmpSecretId = issued.secret_id,
        TmpSecretKey = issued.secret_key,
        Token = issued.token,
        ExpiredTime = issued.expires_at,
        Expiration = os.date("!%Y-%m-%dT%H:%M:%SZ", issued.expires_at),
        Code = "Success",
    }, { "TmpSecretId", "TmpSecretKey", "Token", "ExpiredTime", "Expiration", "Code" })
end


return _M
