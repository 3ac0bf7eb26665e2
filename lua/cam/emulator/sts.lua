--- The STS actions of the emulator (API version 2018-08-13): `AssumeRole`
-- and `AssumeRoleWithWebIdentity`.
--
-- Both issue a temporary credential: a new secret id, secret key and token
-- that the emulator accepts for CAM actions until `ExpiredTime`, after which
-- requests signed with it get `AuthFailure.TokenFailure`. A credential
-- issued by `AssumeRole` acts on the account of the credential that signed
-- the request, so it reads and changes that account's OIDC state. A
-- credential issued by `AssumeRoleWithWebIdentity` acts on the account that
-- the web identity settings name (by default the first account).
--
-- Any well-formed role ARN is accepted: the emulator keeps no roles.
-- @module cam.emulator.sts

local rand = require "openssl.rand"

local actions = require "cam.emulator.actions"

local _M = {}

--- The STS API version.
_M.VERSION = "2018-08-13"

--- The credential scope service of STS.
_M.SERVICE = "sts"

--- Seconds a credential lasts when the request gives no DurationSeconds.
_M.DEFAULT_DURATION = 7200

--- Longest DurationSeconds accepted.
_M.MAX_DURATION = 43200

--- Seconds an expired issued credential is kept, so that requests signed
-- with it get TokenFailure rather than SecretIdNotFound, before it is
-- forgotten.
_M.KEEP_EXPIRED = 3600

local ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


--- Make a random string of letters and digits.
-- @tparam integer length
-- @treturn string
function _M.random_text(length)
    local bytes = { rand.bytes(length):byte(1, length) }
    local chars = {}
    for i, byte in ipairs(bytes) do
        local index = byte % #ID_ALPHABET + 1
        chars[i] = ID_ALPHABET:sub(index, index)
    end
    return table.concat(chars)
end


-- Role ARNs: qcs::cam::uin/<account uin>:roleName/<name> or :role/<role id>.
local function check_role_arn(field, value)
    if not value:find("^qcs::cam::uin/%d+:roleName/[%w+=,.@_%-]+$")
        and not value:find("^qcs::cam::uin/%d+:role/%d+$") then
        return "InvalidParameterValue", string.format(
            "%s must look like qcs::cam::uin/<uin>:roleName/<name>, got %s", field, value)
    end
    return nil
end


local function check_session_name(field, value)
    if #value < 2 or #value > 64 or not value:find("^[%w+=,.@_%-]+$") then
        return "InvalidParameterValue", string.format(
            "%s must be 2 to 64 letters, digits and +=,.@_-, got %s", field, value)
    end
    return nil
end


local function check_duration(field, value)
    if value < 1 or value > _M.MAX_DURATION then
        return "InvalidParameterValue", string.format(
            "%s must be from 1 to %d, got %d", field, _M.MAX_DURATION, value)
    end
    return nil
end


local function check_text(field, value)
    if value == "" or #value > 4096 then
        return "InvalidParameterValue", field .. " must be 1 to 4096 characters"
    end
    return nil
end


local ROLE_PARAMS = {
    { name = "RoleArn", type = "string", required = true, check = check_role_arn },
    { name = "RoleSessionName", type = "string", required = true, check = check_session_name },
    { name = "DurationSeconds", type = "integer", check = check_duration },
    { name = "Policy", type = "string", check = check_text },
    { name = "ExternalId", type = "string", check = check_text },
}

local WEB_IDENTITY_PARAMS = {
    { name = "ProviderId", type = "string", required = true, check = check_text },
    { name = "WebIdentityToken", type = "string", required = true, check = check_text },
    { name = "RoleArn", type = "string", required = true, check = check_role_arn },
    { name = "RoleSessionName", type = "string", required = true, check = check_session_name },
    { name = "DurationSeconds", type = "integer", check = check_duration },
}

local OUTPUT_ORDER = { "Credentials", "Token", "TmpSecretId", "TmpSecretKey",
    "ExpiredTime", "Expiration" }


--- Issue a temporary credential and register it with the emulator.
-- @tparam table emu the emulator
-- @tparam string account the secret id whose OIDC state the credential uses
-- @tparam integer duration seconds
-- @tparam string source what issued it, for the admin listing
-- @treturn table `secret_id`, `secret_key`, `token`, `expires_at`
function _M.issue(emu, account, duration, source)
    local now = emu:now()

    -- Forget credentials that expired long ago, so a long run stays small.
    for secret_id, credential in pairs(emu.credentials) do
        if credential.expires_at and credential.expires_at + _M.KEEP_EXPIRED < now then
            emu.credentials[secret_id] = nil
        end
    end

    local issued = {
        secret_id = "AKIDTmp" .. _M.random_text(29),
        secret_key = _M.random_text(32),
        token = _M.random_text(48),
        expires_at = now + duration,
    }
    emu.credentials[issued.secret_id] = {
        secret_key = issued.secret_key,
        token = issued.token,
        expires_at = issued.expires_at,
        account = account,
        source = source,
        issued = true,
    }
    return issued
end


local function success_fields(issued)
    return {
        fields = {
            Credentials = {
                Token = issued.token,
                TmpSecretId = issued.secret_id,
                TmpSecretKey = issued.secret_key,
            },
            ExpiredTime = issued.expires_at,
            Expiration = os.date("!%Y-%m-%dT%H:%M:%SZ", issued.expires_at),
        },
        order = OUTPUT_ORDER,
    }
end


local ACTIONS = {}

ACTIONS.AssumeRole = {
    params = ROLE_PARAMS,
    run = function(emu, context, params)
        local caller = context.credential
        local account = caller.account or context.authorization.secret_id
        local issued = _M.issue(emu, account, params.DurationSeconds or _M.DEFAULT_DURATION,
            "AssumeRole " .. params.RoleArn)
        return success_fields(issued)
    end,
}

ACTIONS.AssumeRoleWithWebIdentity = {
    params = WEB_IDENTITY_PARAMS,
    unsigned = true,
    run = function(emu, _, params)
        local settings = emu.web_identity
        if settings.token ~= nil and params.WebIdentityToken ~= settings.token then
            return { code = "InvalidParameterValue",
                message = "WebIdentityToken is not valid for this provider." }
        end
        if settings.provider_id ~= nil and params.ProviderId ~= settings.provider_id then
            return { code = "InvalidParameterValue",
                message = "ProviderId " .. params.ProviderId .. " is not known." }
        end

        local account = settings.account or emu.default_account
        local issued = _M.issue(emu, account, params.DurationSeconds or _M.DEFAULT_DURATION,
            "AssumeRoleWithWebIdentity " .. params.RoleArn)
        return success_fields(issued)
    end,
}


--- Report whether an action name is an emulated STS action.
-- @tparam string name X-TC-Action value
-- @treturn boolean
function _M.exists(name)
    return ACTIONS[name] ~= nil
end


--- Report whether an action may be sent with `Authorization: SKIP`.
-- @tparam string name an STS action
-- @treturn boolean
function _M.allows_unsigned(name)
    return ACTIONS[name] ~= nil and ACTIONS[name].unsigned == true
end


--- Check the parameters of an STS request and run it.
-- @tparam table emu the emulator
-- @tparam table context the request context of `cam.emulator.api`
-- (`credential`, `authorization`; both nil for an unsigned request)
-- @tparam string name an action for which `exists` is true
-- @tparam table params decoded request body
-- @treturn table `{fields=, order=}` or `{code=, message=}`
function _M.run(emu, context, name, params)
    local action = ACTIONS[name]
    local code, message = actions.check_params(params, action.params)
    if code then
        return { code = code, message = message }
    end
    return action.run(emu, context, params)
end


return _M
