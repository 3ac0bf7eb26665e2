--- Temporary credentials from STS (API version 2018-08-13): `AssumeRole`,
-- signed with source credentials, and `AssumeRoleWithWebIdentity` for TKE
-- workloads, sent unsigned (`Authorization: SKIP`).
--
-- Both return `Response.Credentials` (`TmpSecretId`, `TmpSecretKey`,
-- `Token`), `Response.ExpiredTime` (Unix seconds) and
-- `Response.Expiration`.
--
-- STS rejects an `X-TC-Timestamp` more than five minutes from its clock with
-- `AuthFailure.SignatureExpire`. After that error a provider takes the
-- server's time from the response's `Date` header, keeps the difference in
-- `clock_offset` (seconds, server minus local) and sends the request once
-- more with the corrected time. Later requests of that provider start with
-- the stored offset. The unsigned action is handled the same way, because
-- it carries the timestamp too. A response without a usable `Date` header
-- (missing, not an HTTP date, or before 1970 or after year 9999) ends the
-- fetch with an error naming the problem.
--
-- An STS error's code, message and request id come from the server, so the
-- source's secret key and token, the web identity token and each request's
-- signature are masked in them and in every log line.
-- @module cam.credentials.sts

local cache = require("cam.credentials.cache")
local check = require("cam.credentials.check")
local core = require("cam.core")
local errors = require("cam.errors")
local http = require("cam.credentials.http")
local json = require("cam.json")

local error = error
local find = string.find
local concat = table.concat
local floor = math.floor
local open = io.open
local os_time = os.time
local pcall = pcall
local setmetatable = setmetatable
local sub = string.sub
local tostring = tostring
local type = type

local _M = {
    DEFAULT_BASE_URL = "https://sts.tencentcloudapi.com",
    --- Environment variable that overrides the default base URL.
    BASE_URL_ENV = "TENCENTCLOUD_STS_ENDPOINT",
    SERVICE = "sts",
    VERSION = "2018-08-13",
    DEFAULT_REGION = "ap-guangzhou",
    --- Seconds a credential lasts when `duration` is not given.
    DEFAULT_DURATION = 7200,
    MAX_DURATION = 43200,
    --- The TKE variables `tke_oidc` reads.
    TKE_REGION_ENV = "TKE_REGION",
    TKE_PROVIDER_ID_ENV = "TKE_PROVIDER_ID",
    TKE_TOKEN_FILE_ENV = "TKE_WEB_IDENTITY_TOKEN_FILE",
    TKE_ROLE_ARN_ENV = "TKE_ROLE_ARN",
}

local CONTENT_TYPE = "application/json"
local REQUEST_CLIENT = "lua-tencentcloud-cam"

-- The error code of a request whose X-TC-Timestamp is more than five
-- minutes from the server's clock.
local SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"

-- RoleSessionName: 2 to 64 of letters, digits and +=,.@_-.
local SESSION_PATTERN = "^[%w+=,.@_%-]+$"

local assume_mt = {}
assume_mt.__index = assume_mt

local tke_mt = {}
tke_mt.__index = tke_mt


local function getenv(name)
    return os.getenv(name)
end


-- Raise at `level` (counted from the caller of this function) unless the
-- value is a non-empty string, or nil when it is optional.
local function check_string(label, value, required, level)
    if value == nil and not required then
        return
    end
    if type(value) ~= "string" or value == "" then
        error(label .. " must be a non-empty string", level + 1)
    end
end


-- Check the options both providers take; raises at the caller's caller.
local function check_common(label, opts)
    if opts.logger ~= nil and type(opts.logger) ~= "function" then
        error(label .. ": option 'logger' must be a function", 3)
    end
    check_string(label .. ": option 'base_url'", opts.base_url, false, 3)
    check_string(label .. ": option 'region'", opts.region, false, 3)
    check_string(label .. ": option 'session_name'", opts.session_name, false, 3)

    local name = opts.session_name
    if name ~= nil and (#name < 2 or #name > 64 or not find(name, SESSION_PATTERN)) then
        error(label .. ": option 'session_name' must be 2 to 64 letters, digits"
            .. " and +=,.@_-", 3)
    end

    local duration = opts.duration
    if duration ~= nil and (type(duration) ~= "number" or floor(duration) ~= duration
        or duration < 1 or duration > _M.MAX_DURATION) then
        error(label .. ": option 'duration' must be a whole number of seconds"
            .. " from 1 to " .. _M.MAX_DURATION, 3)
    end

    local target
    if opts.base_url ~= nil then
        local problem
        target, problem = http.base_url(opts.base_url, "option 'base_url'")
        if target == nil then
            error(label .. ": " .. problem, 3)
        end
    end
    return target
end


-- The base URL from the option, the environment or the default.
local function resolve_target(self)
    if self.target ~= nil then
        return self.target
    end

    local from_env = getenv(_M.BASE_URL_ENV)
    if from_env ~= nil and from_env ~= "" then
        local target, problem = http.base_url(from_env, _M.BASE_URL_ENV)
        if target == nil then
            return nil, check.invalid(problem)
        end
        return target
    end
    return (http.base_url(_M.DEFAULT_BASE_URL, "default"))
end


local function default_session_name()
    return "lua-tencentcloud-cam-" .. os_time()
end


local function decode_response(body)
    local decoded = json.decode(body)
    local response = type(decoded) == "table" and decoded.Response
    if type(response) ~= "table" then
        return nil
    end
    return response
end


-- Return the `Error.Code` of a decoded response, or nil.
local function error_code(decoded)
    local code = decoded and type(decoded.Error) == "table" and decoded.Error.Code
    if type(code) ~= "string" then
        return nil
    end
    return code
end


-- Tell whether a 200 response reports throttling, so that it is sent again.
local function throttled(response)
    local code = error_code(decode_response(response.body))
    return code ~= nil and find(code, "^RequestLimitExceeded") ~= nil
end


-- Return the `RequestId` of a decoded response when it is a string, else
-- nil, because a server may put any JSON value there and an error keeps
-- only text.
local function string_request_id(decoded)
    local request_id = decoded and decoded.RequestId
    if type(request_id) ~= "string" then
        return nil
    end
    return request_id
end


-- Call the provider's logger, if it has one. A failing logger is ignored.
local function log(self, level, message, fields)
    if self.logger ~= nil then
        pcall(self.logger, level, message, fields)
    end
end


-- Sign and send one STS request at the provider's corrected time, and add
-- its signature to `sign.secrets`. Returns the response, or nil and the
-- transport failure.
local function send(self, target, action, body, sign)
    local timestamp = http.signing_time(self.clock_offset)
    local authorization = "SKIP"
    if sign.signer ~= nil then
        authorization = core.sign({
            secret_id = sign.signer.secret_id,
            secret_key = sign.signer.secret_key,
            service = _M.SERVICE,
            host = target.host,
            timestamp = timestamp,
            body = body,
            content_type = CONTENT_TYPE,
        })
        -- The Authorization value ends with the 64 hex digits of the
        -- signature.
        sign.secrets[#sign.secrets + 1] = sub(authorization, -64)
    end

    local headers = {
        { "Authorization", authorization },
        { "Content-Type", CONTENT_TYPE },
        { "Host", target.host },
        { "X-TC-Action", action },
        { "X-TC-Version", _M.VERSION },
        { "X-TC-Timestamp", ("%d"):format(timestamp) },
        { "X-TC-Region", sign.region },
    }
    if sign.signer ~= nil and sign.signer.token ~= nil then
        headers[#headers + 1] = { "X-TC-Token", sign.signer.token }
    end
    headers[#headers + 1] = { "X-TC-RequestClient", REQUEST_CLIENT }

    return http.request(self, {
        method = "POST",
        url = target.url .. "/",
        headers = headers,
        body = body,
        allow_http = target.allow_http,
    }, throttled)
end


-- Store the server's clock minus the local clock, with the server's time
-- from the Date header of a SignatureExpire response, and log the change.
-- Returns nil, or a sentence saying why the clock cannot be corrected.
local function correct_clock(self, action, response, decoded, secrets)
    local offset, problem = http.clock_offset(response.headers and response.headers.date,
        secrets)
    if offset == nil then
        return problem
    end

    local request_id = string_request_id(decoded)
    if request_id ~= nil then
        request_id = errors.sanitize(request_id, secrets)
    end
    log(self, "warn", "clock skew corrected", { provider = self.name,
        action = action, offset = offset, previous_offset = self.clock_offset,
        request_id = request_id })
    self.clock_offset = offset
    return nil
end


-- Send a request, and after `AuthFailure.SignatureExpire` correct the clock
-- and send it once more, unless `state.corrected` shows that this fetch
-- already did. Returns the response and its decoded `Response` (or nil and
-- the transport failure), then why the clock could not be corrected.
local function send_corrected(self, target, action, body, sign, state)
    local response, failure = send(self, target, action, body, sign)
    if response == nil then
        return nil, failure
    end

    local decoded = decode_response(response.body)
    if error_code(decoded) ~= SIGNATURE_EXPIRE or state.corrected then
        return response, decoded
    end

    local skew_problem = correct_clock(self, action, response, decoded, sign.secrets)
    if skew_problem ~= nil then
        return response, decoded, skew_problem
    end
    state.corrected = true

    response, failure = send(self, target, action, body, sign)
    if response == nil then
        return nil, failure
    end
    return response, decode_response(response.body)
end


--- Send one STS action and turn the response into a credential.
-- @tparam table self the provider
-- @tparam string action `"AssumeRole"` or `"AssumeRoleWithWebIdentity"`
-- @tparam table params the request parameters
-- @tparam table sign `signer` (nil for an unsigned request), `region`,
--   `source` (what to call the credential), `secrets` and `source_secrets`.
--   `secrets` lists the strings masked in every error and log line, and
--   `send` adds each signature to it. `source_secrets` are recorded with the
--   credential (see `cam.credentials.check.set_source_secrets`).
-- @tparam table state one table per fetch, whose `corrected` is set to
--   true when the clock is corrected (see `send_corrected`)
-- @treturn[1] table the credential
-- @treturn[2] nil
-- @treturn[2] table the error; `code` is the STS error code for API errors
local function call(self, action, params, sign, state)
    local target, target_err = resolve_target(self)
    if target == nil then
        return nil, target_err
    end

    local body = json.encode(params)
    local label = sign.source .. ": STS " .. action

    -- The code, message and request id of every error below may come from
    -- the server or the transport, so each is built with the secrets.
    local secrets = sign.secrets
    local response, decoded, skew_problem = send_corrected(self, target, action,
        body, sign, state)
    if response == nil then
        local failure = decoded
        return nil, check.error(tostring(failure.code), label .. " failed: "
            .. tostring(failure.message), { request_sent = failure.request_sent },
            secrets)
    end

    if decoded ~= nil and type(decoded.Error) == "table" then
        local code = tostring(decoded.Error.Code or "UnknownError")
        local message = label .. " failed: " .. code .. ": "
            .. tostring(decoded.Error.Message or "")
        if code == SIGNATURE_EXPIRE then
            if skew_problem ~= nil then
                message = message .. "; " .. skew_problem
            elseif state.corrected then
                message = message .. "; the request was sent again with the"
                    .. " server's time from the Date header and still rejected"
            end
        end
        return nil, check.error(code, message,
            { request_id = string_request_id(decoded), status = response.status }, secrets)
    end
    if response.status ~= 200 then
        return nil, check.error("HttpStatusCodeError", label .. " returned HTTP "
            .. response.status, { status = response.status })
    end

    -- The body contains the issued secret key, so no part of it goes into
    -- a message.
    local issued = decoded and decoded.Credentials
    if type(issued) ~= "table" or type(decoded.ExpiredTime) ~= "number" then
        return nil, check.error("InvalidResponse", label .. " returned no"
            .. " Credentials with ExpiredTime",
            { request_id = string_request_id(decoded) }, secrets)
    end

    -- ExpiredTime is on the server's clock; the cache compares expires_at
    -- with the local one.
    local creds, invalid = check.values({
        secret_id = issued.TmpSecretId,
        secret_key = issued.TmpSecretKey,
        token = issued.Token,
        expires_at = decoded.ExpiredTime - self.clock_offset,
        source = sign.source,
    }, { secret_id = label .. " TmpSecretId", secret_key = label .. " TmpSecretKey",
        token = label .. " Token" }, true)
    if creds == nil then
        return nil, invalid
    end
    return check.set_source_secrets(creds, sign.source_secrets)
end


--- Create a provider that assumes a CAM role with STS `AssumeRole`.
-- @tparam table opts `role_arn` (required, such as
--   `qcs::cam::uin/100000000001:roleName/deployer`), `source` (required: the
--   provider or cache whose credentials sign the request), `session_name`
--   (default `lua-tencentcloud-cam-<time>`), `duration` (seconds, default
--   7200, at most 43200), `base_url` (default `$TENCENTCLOUD_STS_ENDPOINT`,
--   else `https://sts.tencentcloudapi.com`), `region` (default
--   `ap-guangzhou`), `transport`, `timeout`, `connect_timeout` (seconds),
--   `logger` (`function(level, message, fields)`; also given to the
--   source's cache when that has none)
-- @treturn table the provider
-- @raise on a missing or malformed option
function _M.assume_role(opts)
    local label = "cam.credentials.assume_role"
    if type(opts) ~= "table" then
        error(label .. ": options must be a table", 2)
    end
    check_string(label .. ": option 'role_arn'", opts.role_arn, true, 2)
    local target = check_common(label, opts)

    local source = opts.source
    if type(source) ~= "table" or (type(source.fetch) ~= "function"
        and type(source.get) ~= "function") then
        error(label .. ": option 'source' must be a credentials provider", 2)
    end
    if not cache.is_cache(source) then
        source = cache.new(source)
    end

    local provider = setmetatable({
        name = "STS AssumeRole",
        role_arn = opts.role_arn,
        source = source,
        session_name = opts.session_name,
        duration = opts.duration or _M.DEFAULT_DURATION,
        target = target,
        region = opts.region or _M.DEFAULT_REGION,
        transport = opts.transport,
        timeout = opts.timeout,
        connect_timeout = opts.connect_timeout,
        clock_offset = 0,
    }, assume_mt)
    if opts.logger ~= nil then
        provider:set_logger(opts.logger)
    end
    return provider
end


--- Set the logger, unless the provider already has one, and pass the
-- provider's logger on to the source's cache.
-- @tparam function logger `function(level, message, fields)`
function assume_mt:set_logger(logger)
    if self.logger == nil then
        self.logger = logger
    end
    self.source:set_logger(self.logger)
end


--- Ask STS for the role's credential, signed with the source's.
-- A source credential that STS rejects with `AuthFailure.TokenFailure` is
-- refreshed and the request sent once more. The clock is corrected at most
-- once per fetch, also across that second request.
-- @treturn[1] table the credential, with `expires_at`
-- @treturn[2] nil
-- @treturn[2] table the error
function assume_mt:fetch()
    local params = {
        RoleArn = self.role_arn,
        RoleSessionName = self.session_name or default_session_name(),
        DurationSeconds = self.duration,
    }

    local state = { corrected = false }
    local creds, err
    for _ = 1, 2 do
        local signer, source_err = self.source:get()
        if signer == nil then
            return nil, check.error(source_err.code, "STS AssumeRole of "
                .. self.role_arn .. ": the source credentials failed: "
                .. tostring(source_err.message))
        end

        -- The source's secret key and token, and the secrets the source's
        -- own provider handled, such as a web identity token. They are
        -- masked in this request's errors and recorded with the role's
        -- credential.
        local handled = { signer.secret_key }
        if signer.token ~= nil then
            handled[2] = signer.token
        end
        local nested = check.source_secrets(signer)
        for i = 1, #nested do
            handled[#handled + 1] = nested[i]
        end
        -- A copy, because `send` appends each signature to `secrets`.
        local secrets = {}
        for i = 1, #handled do
            secrets[i] = handled[i]
        end
        creds, err = call(self, "AssumeRole", params, {
            signer = signer,
            region = self.region,
            source = "STS AssumeRole " .. self.role_arn,
            secrets = secrets,
            source_secrets = handled,
        }, state)
        if creds ~= nil or err.code ~= "AuthFailure.TokenFailure"
            or not self.source:refreshable() then
            break
        end
        self.source:invalidate(signer)
    end
    return creds, err
end


--- Create a provider for a TKE workload's role, from the variables TKE's
-- pod identity webhook sets, with STS `AssumeRoleWithWebIdentity`.
-- @tparam[opt] table opts `region` (default `$TKE_REGION`), `provider_id`
--   (default `$TKE_PROVIDER_ID`), `token_file` (default
--   `$TKE_WEB_IDENTITY_TOKEN_FILE`), `role_arn` (default `$TKE_ROLE_ARN`),
--   `session_name`, `duration`, `base_url`, `transport`, `timeout`,
--   `connect_timeout`, `logger` (`function(level, message, fields)`); the
--   variables are read at each fetch
-- @treturn table the provider
-- @raise on a malformed option
function _M.tke_oidc(opts)
    local label = "cam.credentials.tke_oidc"
    opts = opts or {}
    if type(opts) ~= "table" then
        error(label .. ": options must be a table", 2)
    end
    check_string(label .. ": option 'provider_id'", opts.provider_id, false, 2)
    check_string(label .. ": option 'token_file'", opts.token_file, false, 2)
    check_string(label .. ": option 'role_arn'", opts.role_arn, false, 2)
    local target = check_common(label, opts)

    return setmetatable({
        name = "TKE OIDC",
        region = opts.region,
        provider_id = opts.provider_id,
        token_file = opts.token_file,
        role_arn = opts.role_arn,
        session_name = opts.session_name,
        duration = opts.duration or _M.DEFAULT_DURATION,
        target = target,
        transport = opts.transport,
        timeout = opts.timeout,
        connect_timeout = opts.connect_timeout,
        logger = opts.logger,
        clock_offset = 0,
    }, tke_mt)
end


--- Set the logger, unless the provider already has one.
-- @tparam function logger `function(level, message, fields)`
function tke_mt:set_logger(logger)
    if self.logger == nil then
        self.logger = logger
    end
end


local function read_token(path)
    local file = open(path, "rb")
    if file == nil then
        return nil
    end
    local text = file:read("*a")
    file:close()

    -- Files written by hand often end with a newline; nothing else is cut.
    return (text or ""):gsub("\r?\n$", "")
end


--- Exchange the workload's web identity token for a credential.
-- @treturn[1] table the credential, with `expires_at`
-- @treturn[2] nil
-- @treturn[2] table the error: `CredentialsNotFound` when a TKE variable is
--   not set
function tke_mt:fetch()
    local settings = {
        { "region", _M.TKE_REGION_ENV },
        { "provider_id", _M.TKE_PROVIDER_ID_ENV },
        { "token_file", _M.TKE_TOKEN_FILE_ENV },
        { "role_arn", _M.TKE_ROLE_ARN_ENV },
    }
    local values, missing = {}, {}
    for i = 1, #settings do
        local field, variable = settings[i][1], settings[i][2]
        local value = self[field]
        if value == nil then
            value = getenv(variable)
        end
        if value == nil or value == "" then
            missing[#missing + 1] = variable
        end
        values[field] = value
    end
    if #missing > 0 then
        return nil, check.not_found("not a TKE workload with a role: "
            .. concat(missing, ", ") .. " not set")
    end

    local token = read_token(values.token_file)
    if token == nil then
        return nil, check.invalid("cannot read the web identity token file "
            .. values.token_file)
    end
    local problem = check.problem(token)
    if problem ~= nil then
        return nil, check.invalid("the web identity token in "
            .. values.token_file .. " " .. problem)
    end

    return call(self, "AssumeRoleWithWebIdentity", {
        ProviderId = values.provider_id,
        WebIdentityToken = token,
        RoleArn = values.role_arn,
        RoleSessionName = self.session_name or default_session_name(),
        DurationSeconds = self.duration,
    }, {
        region = values.region,
        source = "TKE OIDC role " .. values.role_arn,
        secrets = { token },
        source_secrets = { token },
    }, { corrected = false })
end


return _M
