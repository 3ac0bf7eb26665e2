--- The CAM client: options, the request pipeline and the OIDC actions.
--
-- A call goes through these steps: check the parameters, encode the body,
-- wait for the client's rate limit, get credentials, sign the request with
-- the current time, and send it with the client's transport. The response
-- becomes the `Response` table or an error value (see `cam.errors`).
--
-- A failed attempt is handled as `cam.retry` classifies it: sent again after
-- a jittered wait, sent again at once with refreshed credentials
-- (`AuthFailure.TokenFailure`) or a corrected clock
-- (`AuthFailure.SignatureExpire`), or reconciled. Reconciling covers a
-- create whose request was written but whose response was lost: the client
-- describes the configuration and compares it with what it sent, instead of
-- sending the create blindly again.
--
-- `cam.options` checks the options of `cam.new`, and `cam.reconcile`
-- describes and compares after an uncertain create.
-- @module cam.client

local cache = require("cam.credentials.cache")
local credentials_check = require("cam.credentials.check")
local core = require("cam.core")
local credentials_http = require("cam.credentials.http")
local endpoint = require("cam.endpoint")
local errors = require("cam.errors")
local json = require("cam.json")
local options = require("cam.options")
local ratelimit = require("cam.ratelimit")
local reconcile = require("cam.reconcile")
local retry = require("cam.retry")
local validate = require("cam.validate")

local error = error
local find = string.find
local floor = math.floor
local getmetatable = getmetatable
local min = math.min
local pcall = pcall
local random = math.random
local setmetatable = setmetatable
local remove = table.remove
local sub = string.sub
local tostring = tostring
local type = type

local RECONCILERS = reconcile.RECONCILERS

local _M = {
    VERSION = "0.1.0",
    API_VERSION = "2019-01-16",
    SERVICE = "cam",
    DEFAULT_ENDPOINT = "https://cam.tencentcloudapi.com",
    --- Environment variable that overrides the default endpoint.
    ENDPOINT_ENV = "TENCENTCLOUD_CAM_ENDPOINT",
    DEFAULT_TIMEOUT = 30,
    DEFAULT_CONNECT_TIMEOUT = 10,
    DEFAULT_MAX_RESPONSE_SIZE = 1024 * 1024,
    DEFAULT_TRANSPORT = "auto",
    DEFAULT_MAX_ATTEMPTS = retry.DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETRY_BASE_DELAY = retry.DEFAULT_BASE_DELAY,
    DEFAULT_RETRY_MAX_DELAY = retry.DEFAULT_MAX_DELAY,
    DEFAULT_RETRY_DEADLINE = retry.DEFAULT_DEADLINE,
    DEFAULT_RATE_LIMIT = ratelimit.DEFAULT_RATE,
    DEFAULT_RATE_BURST = ratelimit.DEFAULT_BURST,
    DEFAULT_REFRESH_MARGIN = cache.DEFAULT_MARGIN,
}

local CONTENT_TYPE = "application/json"
local REQUEST_CLIENT = "lua-tencentcloud-cam/" .. _M.VERSION

-- How many secret keys and tokens a client remembers for scrubbing
-- messages; refreshed credentials add theirs.
local MAX_REMEMBERED_SECRETS = 16

-- API error codes after which the next call reads the credentials again,
-- because the keys may have been rotated. The call itself is not retried.
local REREAD_CODES = {
    ["AuthFailure.SecretIdNotFound"] = true,
    ["AuthFailure.SignatureFailure"] = true,
    ["AuthFailure.TokenFailure"] = true,
}

--- The client's methods. Other modules of the library add theirs here.
local client_mt = {}
client_mt.__index = client_mt
_M.methods = client_mt


local function getenv(name)
    return os.getenv(name)
end


local function starts_with(text, prefix)
    return sub(text, 1, #prefix) == prefix
end


--- Convert seconds to whole milliseconds, at least 1: libcurl reads 0 as
-- "no limit".
local function to_milliseconds(seconds)
    local ms = floor(seconds * 1000 + 0.5)
    return ms >= 1 and ms or 1
end


--- Create a client.
-- Making a client does no I/O; credentials are read at the first call.
-- @tparam[opt] table opts
--
-- - `endpoint`: URL, default `https://cam.tencentcloudapi.com`, or
--   `$TENCENTCLOUD_CAM_ENDPOINT` when set
-- - credentials: `secret_id`, `secret_key` and `token`, or `credentials`,
--   a provider from `cam.credentials`. Without either, the client uses the
--   default chain (`cam.credentials.default`). There `profile` names the
--   credentials file's section, `metadata_url` the CVM metadata service and
--   `sts_url` STS. `role_arn` (with `role_session_name`, `role_duration`
--   and `region`) assumes that role with the credentials found.
--   `refresh_margin` is the number of seconds before expiry at which
--   temporary credentials are refreshed (default 300).
-- - `timeout` (seconds, default 30), `connect_timeout` (seconds, default
--   10), `ca_file`, `ca_path`, `max_response_size` (bytes, default 1 MiB)
-- - retries: `max_attempts` (default 4, the first included),
--   `retry_base_delay` (seconds, default 0.5), `retry_max_delay` (seconds,
--   default 10), `retry_deadline` (seconds from the start of a call after
--   which no attempt starts, default 60)
-- - `rate_limit`: requests per second per action (default 20; `false`
--   turns the limit off), `rate_burst` (default 1)
-- - `language` (`"en-US"` or `"zh-CN"`), `dry_run`, `logger`
--   (`function(level, message, fields)`), `transport` (`"auto"`, the
--   default, `"curl"`, or a transport object, see `cam.transport.curl`),
--   `allow_blocking` (let `"auto"` use blocking libcurl inside nginx phases
--   without cosockets)
-- @treturn table the client
-- @raise on an unknown option, a wrong type or range, or an invalid URL
function _M.new(opts)
    if opts == nil then
        opts = {}
    elseif type(opts) ~= "table" then
        error("cam.new: options must be a table, got " .. type(opts), 2)
    end
    options.check(opts, 3)

    local target
    local from_env = getenv(_M.ENDPOINT_ENV)
    if opts.endpoint ~= nil then
        target = endpoint.parse(opts.endpoint, "cam.new: option 'endpoint'", 3)
    elseif from_env ~= nil and from_env ~= "" then
        target = endpoint.parse(from_env, "cam.new: " .. _M.ENDPOINT_ENV, 3)
    else
        target = endpoint.parse(_M.DEFAULT_ENDPOINT, "default endpoint", 3)
    end

    local limiter
    if opts.rate_limit ~= false then
        local rate = opts.rate_limit
        if type(rate) ~= "number" then
            rate = _M.DEFAULT_RATE_LIMIT
        end
        limiter = ratelimit.new(rate, opts.rate_burst or _M.DEFAULT_RATE_BURST)
    end

    return setmetatable({
        endpoint = target,
        credentials = options.make_credentials(opts),
        secrets = {},
        remembered = nil,
        clock_offset = 0,
        limiter = limiter,
        max_attempts = opts.max_attempts or _M.DEFAULT_MAX_ATTEMPTS,
        retry_base_delay = opts.retry_base_delay or _M.DEFAULT_RETRY_BASE_DELAY,
        retry_max_delay = opts.retry_max_delay or _M.DEFAULT_RETRY_MAX_DELAY,
        retry_deadline = opts.retry_deadline or _M.DEFAULT_RETRY_DEADLINE,
        timeout_ms = to_milliseconds(opts.timeout or _M.DEFAULT_TIMEOUT),
        connect_timeout_ms = to_milliseconds(opts.connect_timeout
            or _M.DEFAULT_CONNECT_TIMEOUT),
        max_response_size = opts.max_response_size
            or _M.DEFAULT_MAX_RESPONSE_SIZE,
        ca_file = opts.ca_file,
        ca_path = opts.ca_path,
        language = opts.language,
        dry_run = opts.dry_run or false,
        logger = opts.logger,
        transport = options.make_transport(opts.transport or _M.DEFAULT_TRANSPORT,
            opts, 3),
    }, client_mt)
end


function client_mt:log(level, message, fields)
    local logger = self.logger

    if logger ~= nil then
        -- A failing logger must not turn a call's result into an exception.
        pcall(logger, level, message, fields)
    end
end


-- Add a credential's secret key and token, and the secrets its provider
-- handled to get it (see `cam.credentials.check.source_secrets`), to the
-- texts scrubbed from messages.
function client_mt:remember(creds)
    if creds == self.remembered then
        return
    end
    self.remembered = creds

    local candidates = { creds.secret_key, creds.token }
    local handled = credentials_check.source_secrets(creds)
    for i = 1, #handled do
        candidates[#candidates + 1] = handled[i]
    end

    local secrets = self.secrets
    for i = 1, #candidates do
        local secret = candidates[i]
        local known = false
        for j = 1, #secrets do
            known = known or secrets[j] == secret
        end
        if type(secret) == "string" and not known then
            secrets[#secrets + 1] = secret
        end
    end
    while #secrets > MAX_REMEMBERED_SECRETS do
        remove(secrets, 1)
    end
end


--- Build the signed request for an action with an encoded body.
-- The timestamp is the current time plus the clock offset learned from an
-- `AuthFailure.SignatureExpire` response, kept within the years 1970 to
-- 9999 (see `cam.credentials.http.signing_time`).
-- @tparam string action
-- @tparam string body
-- @tparam table creds `secret_id`, `secret_key`, `token`
-- @treturn table `method`, `url`, `headers` (a list of pairs) and `body`
function client_mt:build_request(action, body, creds)
    local timestamp = credentials_http.signing_time(self.clock_offset)
    local authorization = core.sign({
        secret_id = creds.secret_id,
        secret_key = creds.secret_key,
        service = _M.SERVICE,
        host = self.endpoint.host,
        timestamp = timestamp,
        body = body,
        content_type = CONTENT_TYPE,
    })

    local headers = {
        { "Authorization", authorization },
        { "Content-Type", CONTENT_TYPE },
        { "Host", self.endpoint.host },
        { "X-TC-Action", action },
        { "X-TC-Version", _M.API_VERSION },
        { "X-TC-Timestamp", ("%d"):format(timestamp) },
    }
    if creds.token ~= nil then
        headers[#headers + 1] = { "X-TC-Token", creds.token }
    end
    if self.language ~= nil then
        headers[#headers + 1] = { "X-TC-Language", self.language }
    end
    headers[#headers + 1] = { "X-TC-RequestClient", REQUEST_CLIENT }

    return {
        method = "POST",
        url = self.endpoint.url,
        headers = headers,
        body = body,
    }
end


local function header_map(headers)
    local map = {}

    for i = 1, #headers do
        map[headers[i][1]] = headers[i][2]
    end
    return map
end


local function header_lines(headers)
    local lines = {}

    for i = 1, #headers do
        lines[i] = headers[i][1] .. ": " .. headers[i][2]
    end
    return lines
end


--- Short printable excerpt of a response body for an error message: at
-- most 200 bytes of valid UTF-8, cut on a character boundary, with
-- invisible characters as spaces (see `cam.errors.clean`).
local function excerpt(body)
    return errors.clean(body, 200)
end


--- Turn the HTTP outcome into the Response table or an error.
-- `secrets` lists what must not reach the error: the secret key, the token
-- and this request's signature, in case a server echoes them.
function client_mt:decode_response(action, status, body, headers, secrets)
    local decoded = json.decode(body)
    local response = type(decoded) == "table" and decoded.Response
    local api_error = type(response) == "table" and response.Error

    if type(api_error) == "table" and type(api_error.Code) == "string" then
        return nil, errors.new({
            kind = "api",
            action = action,
            code = api_error.Code,
            message = tostring(api_error.Message or ""),
            request_id = type(response.RequestId) == "string"
                and response.RequestId or nil,
            status = status,
        }, secrets)
    end

    if status ~= 200 then
        local message
        if status >= 300 and status < 400 then
            message = "redirect to " .. tostring(headers.location or "?")
                .. " not followed; check the endpoint"
        else
            message = "unexpected HTTP status " .. status .. ": "
                .. excerpt(errors.scrub(body, secrets))
        end
        return nil, errors.new({
            kind = "http",
            action = action,
            code = "HttpStatusCodeError",
            message = message,
            status = status,
        }, secrets)
    end

    -- A success carries a Response object with a RequestId; anything else,
    -- such as an Error that is not an object, is not a CAM response.
    local problem
    if decoded == nil then
        problem = "response body is not JSON: "
    elseif type(response) ~= "table" or json.is_array(response) then
        problem = "response has no Response object: "
    elseif api_error ~= nil then
        problem = "response has a malformed Error: "
    elseif type(response.RequestId) ~= "string" then
        problem = "response has no RequestId: "
    end
    if problem ~= nil then
        return nil, errors.new({
            kind = "http",
            action = action,
            code = "InvalidResponse",
            message = problem .. excerpt(errors.scrub(body, secrets)),
            status = status,
        }, secrets)
    end

    return response
end


--- Call any CAM action.
-- The parameters are checked only for being encodable as JSON. After a
-- network failure or a timeout, actions named `Describe*`, `Get*`, `List*`,
-- `Update*`, `Disable*` and `Delete*` are sent again. Other actions are sent
-- again only when no byte of the request was written.
-- @tparam string action the action name, such as `"DescribeUserOIDCConfig"`
-- @tparam[opt] table params the request parameters with their wire names
-- @treturn[1] table the `Response` table, with `RequestId`
-- @treturn[2] nil
-- @treturn[2] table the error
-- @raise when `action` is not an action name or `params` not a table
function client_mt:call(action, params)
    if type(action) ~= "string" or not find(action, "^%u%w*$") then
        error("call: action must be a name such as 'DescribeUserOIDCConfig'", 2)
    end
    if params == nil then
        params = {}
    elseif type(params) ~= "table" then
        error("call: params must be a table, got " .. type(params), 2)
    end

    local ok, body = pcall(json.encode, params)
    if not ok then
        return nil, errors.validation({
            { field = "params", message = tostring(body):gsub("^.-:%d+: ", "") },
        }, action)
    end

    return self:send(action, body)
end


--- Sign and send an encoded body, or return it under dry_run.
-- @tparam string action
-- @tparam string body the JSON body
-- @treturn[1] table the `Response` table, or the request under dry_run
-- @treturn[2] nil
-- @treturn[2] table the error
function client_mt:send(action, body)
    if self.dry_run then
        local creds, err = self:current_credentials(action)
        if creds == nil then
            return nil, err
        end

        local request = self:build_request(action, body, creds)
        return {
            method = request.method,
            url = request.url,
            headers = header_map(request.headers),
            header_lines = header_lines(request.headers),
            body = request.body,
        }
    end

    return self:perform(action, body)
end


function client_mt:current_credentials(action)
    local creds, err = self.credentials:get()

    if creds == nil then
        self:log("error", "no usable credentials", { action = action,
            error = tostring(err) })
        return nil, err
    end
    self:remember(creds)
    return creds
end


-- Send one attempt. Returns the Response table, or nil, the error, the
-- transport's response when there was one, and the list of secrets masked
-- in the error.
function client_mt:attempt(action, body, creds, number, remaining)
    local request = self:build_request(action, body, creds)
    local timeout_ms = min(self.timeout_ms, to_milliseconds(remaining))

    -- What no error may carry: this request's signature, and every secret
    -- key and token the client has used, in case a server echoes them.
    -- The Authorization value ends with the 64 hex digits of the signature.
    local secrets = { sub(request.headers[1][2], -64) }
    for i = 1, #self.secrets do
        secrets[#secrets + 1] = self.secrets[i]
    end

    -- Without a logger, skip building the fields of the message.
    if self.logger ~= nil then
        self:log("debug", "sending request", { action = action,
            attempt = number, endpoint = self.endpoint.url, bytes = #body })
    end

    local response, failure = self.transport:request({
        method = request.method,
        url = request.url,
        headers = request.headers,
        body = request.body,
        timeout_ms = timeout_ms,
        connect_timeout_ms = min(self.connect_timeout_ms, timeout_ms),
        ca_file = self.ca_file,
        ca_path = self.ca_path,
        max_body = self.max_response_size,
        allow_http = self.endpoint.allow_http,
        -- libcurl resends a request whose reused connection died, out of
        -- the client's sight. A create must not run twice, and a delete
        -- sent twice returns "not found", so both get a new connection.
        fresh_connect = not retry.is_idempotent(action) or starts_with(action, "Delete"),
    })

    if response == nil then
        return nil, errors.new({
            kind = "transport",
            action = action,
            code = failure.code,
            curl_code = failure.curl_code,
            message = failure.message,
            request_sent = failure.request_sent,
            status = failure.status,
        }, secrets), nil, secrets
    end

    local result, err = self:decode_response(action, response.status,
        response.body, response.headers, secrets)
    if result == nil then
        return nil, err, response, secrets
    end

    if self.logger ~= nil then
        self:log("debug", "response received", { action = action,
            attempt = number, request_id = result.RequestId,
            status = response.status, seconds = response.seconds,
            new_connections = response.connects })
    end
    return result
end


-- Find out whether an uncertain create was applied. See `cam.reconcile`.
client_mt.reconcile = reconcile.reconcile


-- The send loop ---------------------------------------------------------------

-- The server's clock minus ours, from the Date header of a response, or nil
-- and why the header cannot be used, with each of the secrets masked.
local function clock_offset(response, secrets)
    local date = response and response.headers and response.headers.date
    return credentials_http.clock_offset(date, secrets)
end


-- Decide what follows a failed attempt. Returns "again" (send at once),
-- "wait" (send after a back-off), or "stop" with the call's result or
-- error. `secrets` lists the strings masked in the attempt's error.
function client_mt:next_step(action, body, err, response, creds, state, secrets)
    local decision = retry.classify(err)

    if err.kind == "api" and REREAD_CODES[err.code] then
        self.credentials:invalidate(creds)
    end

    if decision == "retry" then
        return "wait"
    elseif decision == "refresh" then
        if state.refreshed or not self.credentials:refreshable() then
            return "stop", nil, err
        end
        state.refreshed = true
        return "again"
    elseif decision == "skew" then
        if state.corrected then
            err.message = tostring(err.message or "") .. "; the request was sent"
                .. " again with the server's time from the Date header and still"
                .. " rejected"
            return "stop", nil, err
        end
        -- err was masked when it was made, so the text added here is
        -- masked with the same secrets.
        local offset, problem = clock_offset(response, secrets)
        if offset == nil then
            err.message = tostring(err.message or "") .. "; "
                .. errors.scrub(problem, secrets or {})
            return "stop", nil, err
        end
        state.corrected = true
        self.clock_offset = offset
        self:log("warn", "clock skew corrected", { action = action,
            offset = offset, request_id = err.request_id })
        return "again"
    elseif decision == "uncertain" then
        state.uncertain = true
        if retry.is_idempotent(action) then
            return "wait"
        end
        if RECONCILERS[action] == nil then
            return "stop", nil, err
        end
        local result, reconcile_err = self:reconcile(action, body, err)
        if result == "absent" then
            return "wait"
        end
        return "stop", result, reconcile_err
    end

    -- After an attempt that may have been applied, "not found" ends a
    -- delete and "already exists" sends a create to the reconciler.
    if state.uncertain and err.kind == "api" then
        if starts_with(action, "Delete") and starts_with(err.code, "ResourceNotFound") then
            return "stop", { RequestId = err.request_id, reconciled = "deleted" }
        end
        if RECONCILERS[action] ~= nil and (err.code == "LimitExceeded.IdentityFull"
            or err.code == "InvalidParameter.IdentityNameInUse") then
            local result, reconcile_err = self:reconcile(action, body, err)
            if result ~= "absent" then
                return "stop", result, reconcile_err
            end
        end
    end

    -- A create whose response body is not an API response may have been
    -- applied.
    if RECONCILERS[action] ~= nil and err.kind == "http"
        and err.code == "InvalidResponse" then
        local result, reconcile_err = self:reconcile(action, body, err)
        if result == "absent" then
            return "stop", nil, err
        end
        return "stop", result, reconcile_err
    end
    return "stop", nil, err
end


-- Wait for the action's rate limit. Returns false when the wait would end
-- after the deadline of a retry.
function client_mt:wait_for_rate_limit(action, number, clock, deadline)
    if self.limiter == nil then
        return true
    end

    local now = clock.now()
    local wait = self.limiter:reserve(action, now)
    if wait <= 0 then
        return true
    end
    if number > 1 and now + wait >= deadline then
        return false
    end
    self:log("info", "waiting for the client rate limit", { action = action,
        attempt = number, seconds = wait })
    clock.sleep(wait)
    return true
end


function client_mt:give_up(action, number, err, reason)
    err.attempts = number
    self:log("error", "request failed", { action = action, attempt = number,
        code = err.code, request_id = err.request_id, reason = reason,
        error = tostring(err) })
    return nil, err
end


--- Send an action with retries, refreshes and reconciling.
-- @tparam string action
-- @tparam string body the JSON body
-- @treturn[1] table the `Response` table; after reconciling, a table with
--   `RequestId` (of the describe call) and `reconciled` (`"created"` or
--   `"deleted"`)
-- @treturn[2] nil
-- @treturn[2] table the last attempt's error, with `attempts`
function client_mt:perform(action, body)
    -- A transport with its own clock gives the same one on every call. The
    -- others depend on the nginx phase of the call.
    local clock = self.transport_clock
    if clock == nil then
        clock = retry.clock(self.transport)
        if type(self.transport.now) == "function"
            and type(self.transport.sleep) == "function" then
            self.transport_clock = clock
        end
    end
    local deadline = clock.now() + self.retry_deadline
    local state = { refreshed = false, corrected = false, uncertain = false }
    local number = 0
    local err

    while true do
        number = number + 1
        if not self:wait_for_rate_limit(action, number, clock, deadline) then
            return self:give_up(action, number - 1, err, "deadline")
        end

        local creds, creds_err = self:current_credentials(action)
        if creds == nil then
            return nil, creds_err
        end

        local result, response, secrets
        result, err, response, secrets = self:attempt(action, body, creds, number,
            deadline - clock.now())
        if result ~= nil then
            return result
        end

        local step, final, final_err = self:next_step(action, body, err, response,
            creds, state, secrets)
        if step == "stop" then
            if final ~= nil then
                return final
            end
            return self:give_up(action, number, final_err, "not retryable")
        end
        if number >= self.max_attempts then
            return self:give_up(action, number, err, "attempts exhausted")
        end

        local delay = 0
        if step == "wait" then
            delay = retry.backoff(number, self.retry_base_delay,
                self.retry_max_delay, random)
        end
        if clock.now() + delay >= deadline then
            return self:give_up(action, number, err, "deadline")
        end

        self:log("warn", "retrying request", { action = action,
            attempt = number + 1, delay = delay, code = err.code,
            request_id = err.request_id, error = tostring(err) })
        if delay > 0 then
            clock.sleep(delay)
        end
    end
end


--- Check params with check, then send the action; the shared body of the
-- methods below.
local function validated_call(self, action, check, params)
    if getmetatable(self) ~= client_mt then
        error(action .. ": call the method with a colon, as client:method(params)", 3)
    end
    if type(params) ~= "table" then
        error(action .. ": params must be a table, got " .. type(params), 3)
    end

    local wire, problems = check(params, action)
    if wire == nil then
        local err = errors.validation(problems, action)
        self:log("error", "invalid parameters", { action = action,
            error = tostring(err) })
        return nil, err
    end

    return self:send(action, json.encode(wire))
end


--- Set the account's user OIDC identity provider (`UpdateUserOIDCConfig`).
-- Accepts the wire names (`IdentityUrl`, `IdentityKey`, `ClientId`,
-- `AuthorizationEndpoint`, `ResponseType`, `ResponseMode`, `MappingFiled`,
-- `Scope`, `Description`, `AutoRotateKey`) or their Lua names
-- (`identity_url`, ..., `mapping_field`). Every parameter is checked first;
-- when any is wrong nothing is signed or sent.
-- @tparam table params the configuration
-- @treturn[1] table the `Response` table
-- @treturn[2] nil
-- @treturn[2] table the error; validation errors list every problem
-- @raise when `params` is not a table
function client_mt:update_oidc(params)
    return validated_call(self, "UpdateUserOIDCConfig", validate.update_oidc,
        params)
end


--- Create the account's user OIDC identity provider
-- (`CreateUserOIDCConfig`); same parameters as `update_oidc`.
function client_mt:create_oidc(params)
    return validated_call(self, "CreateUserOIDCConfig", validate.update_oidc,
        params)
end


--- Describe the user OIDC configuration (`DescribeUserOIDCConfig`).
-- `Status` is 0 (not configured), 2 (disabled) or 11 (enabled).
function client_mt:describe_oidc()
    return self:send("DescribeUserOIDCConfig", "{}")
end


--- Disable user single sign-on (`DisableUserSSO`).
function client_mt:disable_sso()
    return self:send("DisableUserSSO", "{}")
end


--- Create a role-SSO OIDC identity provider (`CreateOIDCConfig`).
function client_mt:create_role_oidc(params)
    return validated_call(self, "CreateOIDCConfig", validate.role_oidc, params)
end


--- Update a role-SSO OIDC identity provider (`UpdateOIDCConfig`).
function client_mt:update_role_oidc(params)
    return validated_call(self, "UpdateOIDCConfig", validate.role_oidc, params)
end


--- Describe a role-SSO OIDC identity provider by name (`DescribeOIDCConfig`).
function client_mt:describe_role_oidc(params)
    return validated_call(self, "DescribeOIDCConfig", validate.name, params)
end


--- Delete a role-SSO OIDC identity provider by name (`DeleteOIDCConfig`).
function client_mt:delete_role_oidc(params)
    return validated_call(self, "DeleteOIDCConfig", validate.name, params)
end


--- Close the client's connection. The client may be used again afterwards;
-- it then opens a new connection.
function client_mt:close()
    self.transport:close()
end

client_mt.__close = client_mt.close



return _M
