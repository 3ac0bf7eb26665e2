--- Request pipeline of the emulated CAM and STS APIs.
--
-- Checks run in a fixed order and the first failure decides the response:
-- method and path, Authorization syntax, X-TC-Timestamp, secret id,
-- credential scope and signature, token (and its expiry), action and
-- version, request rate, then the JSON body and the action's own parameter
-- checks.
--
-- The X-TC-Action header picks the product: the STS actions (`AssumeRole`,
-- `AssumeRoleWithWebIdentity`) belong to STS, whose credential scope
-- service is `sts` and version `2018-08-13`; every other action to CAM.
-- `AssumeRoleWithWebIdentity` may be sent with `Authorization: SKIP`, and
-- then skips the secret id, signature and token checks.
-- @module cam.emulator.api

local cqueues = require "cqueues"

local actions = require "cam.emulator.actions"
local envelope = require "cam.emulator.envelope"
local json = require "cam.emulator.json"
local sts = require "cam.emulator.sts"
local tc3 = require "cam.emulator.tc3"

local _M = {}

--- Largest accepted difference between X-TC-Timestamp and the emulator's
-- clock, in seconds (Tencent documents five minutes).
_M.MAX_CLOCK_SKEW = 300

--- The credential scope service of CAM.
_M.SERVICE = "cam"


-- Return the only value of a header, nil when absent, or false and a
-- message when it was sent more than once.
local function single_header(request, name)
    local values = request.by_name[name:lower()]
    if not values then
        return nil
    end
    if #values > 1 then
        return false, string.format("The header %s was sent %d times.", name, #values)
    end
    return values[1]
end


local function check_method_and_path(request)
    if request.method ~= "POST" then
        return "UnsupportedProtocol", string.format(
            "The method %s is not supported; the emulator accepts POST with a JSON body.",
            request.method)
    end
    if request.path ~= "/" then
        return "InvalidParameter", "The request path must be /, got " .. request.path .. "."
    end
    return nil
end


-- Pick the product from the X-TC-Action header; its own checks come later.
local function check_product(request, context)
    local action = single_header(request, "X-TC-Action")
    if action and sts.exists(action) then
        context.product = {
            name = "sts", service = sts.SERVICE, version = sts.VERSION,
            unsigned_allowed = sts.allows_unsigned(action),
        }
    else
        context.product = {
            name = "cam", service = _M.SERVICE, version = actions.VERSION,
            unsigned_allowed = false,
        }
    end
    return nil
end


local function check_authorization(request, context)
    local value, err = single_header(request, "Authorization")
    if value == nil then
        return "AuthFailure.InvalidAuthorization", "The Authorization header is missing."
    end
    if value == false then
        return "AuthFailure.InvalidAuthorization", err
    end
    if value == "SKIP" and context.product.unsigned_allowed then
        context.unsigned = true
        return nil
    end

    local authorization, parse_err = tc3.parse_authorization(value)
    if not authorization then
        return "AuthFailure.InvalidAuthorization", "Invalid Authorization header: " .. parse_err
    end
    context.authorization = authorization
    return nil
end


local function check_timestamp(request, context, emu)
    local value, err = single_header(request, "X-TC-Timestamp")
    if value == nil then
        return "MissingParameter", "The required header X-TC-Timestamp is missing."
    end
    if value == false then
        return "InvalidParameter", err
    end
    if not value:find("^%d+$") or #value > 12 then
        return "InvalidParameter",
            "X-TC-Timestamp must be a Unix time in whole seconds (digits only), got " .. value
    end

    local timestamp = tonumber(value)
    local now = emu:now()
    if math.abs(timestamp - now) > _M.MAX_CLOCK_SKEW then
        return "AuthFailure.SignatureExpire", string.format(
            "X-TC-Timestamp %d is %d seconds from the server time %d; the limit is %d.",
            timestamp, timestamp - now, now, _M.MAX_CLOCK_SKEW)
    end
    context.timestamp_text = value
    context.timestamp = timestamp
    return nil
end


local function check_secret_id(_, context, emu)
    if context.unsigned then
        return nil
    end
    local credential = emu.credentials[context.authorization.secret_id]
    if not credential then
        return "AuthFailure.SecretIdNotFound",
            "The SecretId in the Authorization header is not known to the emulator."
    end
    context.credential = credential
    return nil
end


local function check_signature(request, context)
    if context.unsigned then
        return nil
    end
    local authorization = context.authorization
    local service = context.product.service

    local timestamp_date = os.date("!%Y-%m-%d", context.timestamp)
    if authorization.date ~= timestamp_date then
        return "AuthFailure.SignatureFailure", string.format(
            "The credential scope date %s is not the UTC date %s of X-TC-Timestamp.",
            authorization.date, timestamp_date)
    end
    if authorization.service ~= service then
        return "AuthFailure.SignatureFailure", string.format(
            "The credential scope service must be %s, got %s.",
            service, authorization.service)
    end

    local canonical_request, err = tc3.canonical_request(request, authorization.signed_headers)
    if not canonical_request then
        return "AuthFailure.SignatureFailure", "The signature cannot be checked: " .. err .. "."
    end

    local expected = tc3.signature(context.credential.secret_key, authorization.date,
        authorization.service, context.timestamp_text, canonical_request)
    if not tc3.constant_time_equal(expected, authorization.signature) then
        return "AuthFailure.SignatureFailure",
            "The request signature does not match the signature computed by the server."
    end
    return nil
end


-- An empty X-TC-Token counts as absent. A temporary credential issued by
-- STS or the metadata service also fails once it has expired.
local function check_token(request, context, emu)
    if context.unsigned then
        return nil
    end
    local token, err = single_header(request, "X-TC-Token")
    if token == false then
        return "AuthFailure.TokenFailure", err
    end
    if token == "" then
        token = nil
    end

    local expected = context.credential.token
    if expected and not token then
        return "AuthFailure.TokenFailure",
            "This SecretId is a temporary credential; X-TC-Token is required."
    end
    if not expected and token then
        return "AuthFailure.TokenFailure",
            "X-TC-Token was sent with a permanent SecretId."
    end
    if expected and not tc3.constant_time_equal(expected, token) then
        return "AuthFailure.TokenFailure", "X-TC-Token is not valid for this SecretId."
    end

    local expires_at = context.credential.expires_at
    if expires_at and emu:now() >= expires_at then
        return "AuthFailure.TokenFailure", string.format(
            "The temporary credential expired at %s.", os.date("!%Y-%m-%dT%H:%M:%SZ", expires_at))
    end
    return nil
end


local function check_action(request, context)
    local action, err = single_header(request, "X-TC-Action")
    if action == nil then
        return "MissingParameter", "The required header X-TC-Action is missing."
    end
    if action == false then
        return "InvalidParameter", err
    end
    if not actions.exists(action) and not sts.exists(action) then
        return "InvalidAction", "The action " .. action .. " does not exist."
    end
    context.action = action

    local version, version_err = single_header(request, "X-TC-Version")
    if version == nil then
        return "MissingParameter", "The required header X-TC-Version is missing."
    end
    if version == false then
        return "InvalidParameter", version_err
    end
    local expected = context.product.version
    if version ~= expected then
        return "NoSuchVersion", string.format(
            "The API version %s does not exist for %s; use %s.", version, action, expected)
    end
    return nil
end


local function check_rate(_, context, emu)
    local caller = context.unsigned and "unsigned" or context.authorization.secret_id
    local key = caller .. "\0" .. context.action
    if not emu.limiter:admit(key, cqueues.monotime()) then
        return "RequestLimitExceeded", string.format(
            "More than %d %s requests in one second; retry later.",
            emu.limiter.limit, context.action)
    end
    return nil
end


local function check_body(request, context)
    local content_type = single_header(request, "Content-Type") or ""
    local media_type = content_type:match("^([^;]*)"):gsub("%s+$", ""):lower()
    if media_type ~= "application/json" then
        return "InvalidParameter",
            "The Content-Type must be application/json, got " .. content_type .. "."
    end

    local params, err = json.decode(request.body)
    if params == nil then
        return "InvalidParameter", "The request body is not valid JSON: " .. err
    end
    if json.type_of(params) ~= "object" then
        return "InvalidParameter", "The request body must be a JSON object, got "
            .. json.type_of(params) .. "."
    end
    context.params = params
    return nil
end


local CHECKS = {
    check_method_and_path,
    check_product,
    check_authorization,
    check_timestamp,
    check_secret_id,
    check_signature,
    check_token,
    check_action,
    check_rate,
    check_body,
}


--- Handle one API request.
-- @tparam table emu the emulator (see `cam.emulator`)
-- @tparam table request from `cam.emulator.http.read_request`
-- @treturn table `{code=, message=, body=, action=, request_id=}` where
-- `code` is `Success` or the error code and `body` the JSON envelope
function _M.handle(emu, request)
    local request_id = envelope.new_request_id()
    local context = {}

    local function fail(code, message)
        return {
            code = code,
            message = message,
            body = envelope.failure(code, message, request_id),
            action = context.action or (request.by_name["x-tc-action"] or {})[1],
            request_id = request_id,
        }
    end

    if request.too_large then
        return fail("RequestSizeLimitExceeded", string.format(
            "The request body is larger than %d bytes.", emu.max_body))
    end

    for _, check in ipairs(CHECKS) do
        local code, message = check(request, context, emu)
        if code then
            return fail(code, message)
        end
    end

    local result
    if context.product.name == "sts" then
        result = sts.run(emu, context, context.action, context.params)
    else
        -- A temporary credential acts on the account that it was issued for.
        local owner = context.credential.account or context.authorization.secret_id
        result = actions.run(context.action, emu.store:account(owner), context.params)
    end
    if result.code then
        return fail(result.code, result.message)
    end

    if result.changed then
        emu:state_changed()
    end

    return {
        code = "Success",
        body = envelope.success(result.fields, request_id, result.order),
        action = context.action,
        request_id = request_id,
    }
end


return _M
