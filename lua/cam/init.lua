--- Tencent Cloud CAM single sign-on from Lua.
--
-- `cam.update_oidc(params)` sets the OpenID Connect identity provider that
-- sub-users sign in with (`UpdateUserOIDCConfig`, API version 2019-01-16).
-- Requests are signed with TC3-HMAC-SHA256 and sent over HTTPS by the C
-- core `cam.core`; parameters are checked before anything is signed.
--
-- Calls return the decoded `Response` table on success, or `nil` and an
-- error table (see `cam.errors`) on failure. Programmer mistakes, such as an
-- unknown option or a parameter table that is not a table, raise.
-- @module cam
-- @usage
-- local cam = require("cam")
-- local client = cam.new({ secret_id = id, secret_key = key })
-- local res, err = client:update_oidc({
--     identity_url = "https://idp.example.com",
--     identity_key = cam.identity_key(jwks),
--     client_id = "cam-sso",
--     authorization_endpoint = "https://idp.example.com/authorize",
--     mapping_field = "preferred_username",
-- })

local core = require("cam.core")
local errors = require("cam.errors")
local json = require("cam.json")
local validate = require("cam.validate")

local concat = table.concat
local error = error
local find = string.find
local floor = math.floor
local getenv = os.getenv
local os_time = os.time
local pairs = pairs
local pcall = pcall
local setmetatable = setmetatable
local sort = table.sort
local sub = string.sub
local tostring = tostring
local type = type

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
}

local CONTENT_TYPE = "application/json"
local REQUEST_CLIENT = "lua-tencentcloud-cam/" .. _M.VERSION

--- The options of `cam.new` and the Lua type each one takes.
local OPTION_TYPES = {
    endpoint = "string",
    secret_id = "string",
    secret_key = "string",
    token = "string",
    timeout = "number",
    connect_timeout = "number",
    ca_file = "string",
    ca_path = "string",
    language = "string",
    dry_run = "boolean",
    logger = "function",
    max_response_size = "number",
}

local LANGUAGES = { ["en-US"] = true, ["zh-CN"] = true }

local client_mt = {}
client_mt.__index = client_mt


--- Sign a request: the `Authorization` header value for TC3-HMAC-SHA256.
-- Pure: it reads no clock and does no I/O.
-- @tparam table t `secret_id`, `secret_key`, `service`, `host`,
--   `timestamp` (integer seconds), `body`, `content_type`, and optionally
--   `method` (default `"POST"`) and `query` (default `""`)
-- @treturn string the `Authorization` value
-- @raise on a missing or malformed field
_M.sign = core.sign


local function sorted_keys(t)
    local keys = {}

    for k in pairs(t) do
        keys[#keys + 1] = tostring(k)
    end
    sort(keys)
    return keys
end


local function check_options(opts, level)
    for name, value in pairs(opts) do
        local expected = OPTION_TYPES[name]

        if expected == nil then
            local hint = validate.suggest(tostring(name), sorted_keys(OPTION_TYPES))
            error("cam.new: unknown option '" .. tostring(name) .. "'"
                .. (hint and ("; did you mean '" .. hint .. "'?") or ""), level)
        end
        if type(value) ~= expected then
            error("cam.new: option '" .. name .. "' must be a " .. expected
                .. ", got " .. type(value), level)
        end
    end

    for _, name in pairs({ "timeout", "connect_timeout" }) do
        local v = opts[name]
        if v ~= nil and not (v > 0 and v <= 86400) then
            error("cam.new: option '" .. name .. "' must be a number of seconds"
                .. " greater than 0 and at most 86400", level)
        end
    end
    if opts.max_response_size ~= nil
        and not (opts.max_response_size >= 1024
            and opts.max_response_size <= 1024 * 1024 * 1024
            and floor(opts.max_response_size) == opts.max_response_size) then
        error("cam.new: option 'max_response_size' must be a whole number of"
            .. " bytes from 1024 to 1073741824", level)
    end
    if opts.language ~= nil and not LANGUAGES[opts.language] then
        error("cam.new: option 'language' must be 'en-US' or 'zh-CN'", level)
    end
    if (opts.secret_id == nil) ~= (opts.secret_key == nil) then
        error("cam.new: options 'secret_id' and 'secret_key' go together;"
            .. " pass both or neither", level)
    end
end


local function is_loopback(host)
    return host == "localhost" or host == "[::1]"
        or find(host, "^127%.%d+%.%d+%.%d+$") ~= nil
end


--- Split an endpoint URL into the pieces a request needs, or raise.
local function parse_endpoint(url, source, level)
    local scheme, authority, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")

    if scheme == nil then
        error(source .. " '" .. url .. "' is not a URL such as"
            .. " https://cam.tencentcloudapi.com", level)
    end
    scheme = scheme:lower()
    if rest ~= "" and rest ~= "/" then
        error(source .. " '" .. url .. "' must not have a path, query or"
            .. " fragment", level)
    end
    if find(authority, "@", 1, true) then
        error(source .. " must not contain user information", level)
    end

    local host, port = authority:match("^(%[[%x:]+%])(.*)$")
    if host == nil then
        host, port = authority:match("^([^:]*)(.*)$")
    end
    if host == "" or not find(host, "^[%w.%-%[%]:]+$")
        or not (port == "" or find(port, "^:%d+$")) then
        error(source .. " '" .. url .. "' has an invalid host or port", level)
    end
    host = host:lower()

    if scheme == "http" and not is_loopback(host) then
        error(source .. " '" .. url .. "': plain http is allowed only for"
            .. " loopback hosts; use https://", level)
    elseif scheme ~= "http" and scheme ~= "https" then
        error(source .. " '" .. url .. "' must use https://", level)
    end

    return {
        url = scheme .. "://" .. host .. port .. "/",
        host = host,
        allow_http = scheme == "http",
    }
end


--- Replace every copy of each secret in text, so that no message that
-- quotes server or library text can carry one.
local function scrub(text, secrets)
    if type(text) ~= "string" then
        return text
    end
    for i = 1, #secrets do
        local secret = secrets[i]
        local from = 1

        while true do
            local s, e = find(text, secret, from, true)
            if s == nil then
                break
            end
            text = sub(text, 1, s - 1) .. "***" .. sub(text, e + 1)
            from = s + 3
        end
    end
    return text
end


local function trim_problem(value)
    if find(value, "^%s") or find(value, "%s$") then
        return "has leading or trailing whitespace"
    end
    if find(value, "[%c]") then
        return "contains a control character"
    end
    if value == "" then
        return "is empty"
    end
    return nil
end


--- Resolve credentials: the options when given, else the environment.
-- Returns a table, or nil and a credentials error.
local function resolve_credentials(opts)
    local id, key, token, source

    if opts.secret_id ~= nil then
        id, key, token = opts.secret_id, opts.secret_key, opts.token
        source = { id = "option 'secret_id'", key = "option 'secret_key'",
            token = "option 'token'" }
    else
        id = getenv("TENCENTCLOUD_SECRET_ID")
        key = getenv("TENCENTCLOUD_SECRET_KEY")
        token = opts.token or getenv("TENCENTCLOUD_SESSION_TOKEN")
            or getenv("TENCENTCLOUD_TOKEN")
        source = { id = "TENCENTCLOUD_SECRET_ID", key = "TENCENTCLOUD_SECRET_KEY",
            token = opts.token and "option 'token'"
                or (getenv("TENCENTCLOUD_SESSION_TOKEN")
                    and "TENCENTCLOUD_SESSION_TOKEN" or "TENCENTCLOUD_TOKEN") }
        if id == nil or key == nil then
            return nil, errors.new({
                kind = "credentials",
                code = "CredentialsNotFound",
                message = "no credentials: pass secret_id and secret_key, or set"
                    .. " TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY",
            })
        end
    end

    for field, value in pairs({ id = id, key = key, token = token }) do
        local problem = trim_problem(value)
        if problem then
            return nil, errors.new({
                kind = "credentials",
                code = "InvalidCredentials",
                message = source[field] .. " " .. problem .. "; fix the value",
            })
        end
    end

    return { secret_id = id, secret_key = key, token = token }
end


--- Create a client.
-- @tparam[opt] table opts `endpoint` (URL, default
--   `https://cam.tencentcloudapi.com`, or `$TENCENTCLOUD_CAM_ENDPOINT` when
--   set), `secret_id`, `secret_key`, `token` (default: the environment),
--   `timeout` (seconds, default 30), `connect_timeout` (seconds, default 10),
--   `ca_file`, `ca_path`, `language` (`"en-US"` or `"zh-CN"`), `dry_run`,
--   `logger` (`function(level, message, fields)`), `max_response_size`
--   (bytes, default 1 MiB)
-- @treturn table the client
-- @raise on an unknown option, a wrong type or an invalid endpoint
function _M.new(opts)
    if opts == nil then
        opts = {}
    elseif type(opts) ~= "table" then
        error("cam.new: options must be a table, got " .. type(opts), 2)
    end
    check_options(opts, 3)

    local endpoint
    if opts.endpoint ~= nil then
        endpoint = parse_endpoint(opts.endpoint, "option 'endpoint'", 3)
    elseif getenv(_M.ENDPOINT_ENV) ~= nil and getenv(_M.ENDPOINT_ENV) ~= "" then
        endpoint = parse_endpoint(getenv(_M.ENDPOINT_ENV), _M.ENDPOINT_ENV, 3)
    else
        endpoint = parse_endpoint(_M.DEFAULT_ENDPOINT, "default endpoint", 3)
    end

    local credentials, credentials_error = resolve_credentials(opts)
    local secrets = {}
    if credentials then
        secrets[#secrets + 1] = credentials.secret_key
        secrets[#secrets + 1] = credentials.token
    end

    return setmetatable({
        endpoint = endpoint,
        credentials = credentials,
        credentials_error = credentials_error,
        secrets = secrets,
        timeout_ms = floor((opts.timeout or _M.DEFAULT_TIMEOUT) * 1000 + 0.5),
        connect_timeout_ms = floor((opts.connect_timeout
            or _M.DEFAULT_CONNECT_TIMEOUT) * 1000 + 0.5),
        max_response_size = opts.max_response_size
            or _M.DEFAULT_MAX_RESPONSE_SIZE,
        ca_file = opts.ca_file,
        ca_path = opts.ca_path,
        language = opts.language,
        dry_run = opts.dry_run or false,
        logger = opts.logger,
        http = nil,
    }, client_mt)
end


function client_mt:log(level, message, fields)
    local logger = self.logger

    if logger ~= nil then
        -- A failing logger must not turn a call's result into an exception.
        pcall(logger, level, message, fields)
    end
end


--- Build the signed request for an action with an encoded body.
function client_mt:build_request(action, body)
    local credentials = self.credentials
    local timestamp = os_time()
    local authorization = core.sign({
        secret_id = credentials.secret_id,
        secret_key = credentials.secret_key,
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
    if credentials.token ~= nil then
        headers[#headers + 1] = { "X-TC-Token", credentials.token }
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


--- Short printable excerpt of a response body for an error message.
local function excerpt(body)
    local text = body:sub(1, 200):gsub("[%c]", " ")
    if #body > 200 then
        text = text .. "..."
    end
    return text
end


--- Turn the HTTP outcome into the Response table or an error.
function client_mt:decode_response(action, status, body, headers)
    local decoded = json.decode(body)
    local response = type(decoded) == "table" and decoded.Response
    local secrets = self.secrets

    if type(response) == "table" and type(response.Error) == "table" then
        return nil, errors.new({
            kind = "api",
            action = action,
            code = tostring(response.Error.Code or "UnknownError"),
            message = scrub(tostring(response.Error.Message or ""), secrets),
            request_id = response.RequestId,
            status = status,
        })
    end

    if status ~= 200 then
        local message
        if status >= 300 and status < 400 then
            message = "redirect to " .. scrub(tostring(headers.location or "?"),
                secrets) .. " not followed; check the endpoint"
        else
            message = "unexpected HTTP status " .. status .. ": "
                .. scrub(excerpt(body), secrets)
        end
        return nil, errors.new({
            kind = "http",
            action = action,
            code = "HttpStatusCodeError",
            message = message,
            status = status,
        })
    end

    if type(response) ~= "table" then
        return nil, errors.new({
            kind = "http",
            action = action,
            code = "InvalidResponse",
            message = (decoded == nil and "response body is not JSON: "
                or "response has no Response object: ")
                .. scrub(excerpt(body), secrets),
            status = status,
        })
    end

    return response
end


--- Call any CAM action.
-- The parameters are checked only for being encodable as JSON.
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
function client_mt:send(action, body)
    if self.credentials == nil then
        self:log("error", "no usable credentials", { action = action,
            error = tostring(self.credentials_error) })
        return nil, self.credentials_error
    end

    local request = self:build_request(action, body)
    if self.dry_run then
        return {
            method = request.method,
            url = request.url,
            headers = header_map(request.headers),
            header_lines = header_lines(request.headers),
            body = request.body,
        }
    end

    if self.http == nil then
        self.http = core.http_new()
    end
    self:log("debug", "sending request", { action = action,
        endpoint = self.endpoint.url, bytes = #body })

    local status, response_body, headers, info = self.http:request({
        url = request.url,
        method = request.method,
        headers = header_lines(request.headers),
        body = request.body,
        timeout_ms = self.timeout_ms,
        connect_timeout_ms = self.connect_timeout_ms,
        ca_file = self.ca_file,
        ca_path = self.ca_path,
        max_body = self.max_response_size,
        allow_http = self.endpoint.allow_http,
    })

    if status == nil then
        local failure = response_body
        local err = errors.new({
            kind = "transport",
            action = action,
            code = failure.code,
            curl_code = failure.curl_code,
            message = scrub(failure.message, self.secrets),
            request_sent = failure.request_sent,
            status = failure.status,
        })
        self:log("error", "request failed", { action = action,
            error = tostring(err) })
        return nil, err
    end

    local response, err = self:decode_response(action, status, response_body,
        headers)
    if response == nil then
        self:log("error", "request failed", { action = action,
            request_id = err.request_id, error = tostring(err) })
        return nil, err
    end

    self:log("debug", "response received", { action = action,
        request_id = response.RequestId, status = status,
        seconds = info.seconds, new_connections = info.connects })
    return response
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
    return self:validated_call("UpdateUserOIDCConfig", validate.update_oidc,
        params)
end


--- Create the account's user OIDC identity provider
-- (`CreateUserOIDCConfig`); same parameters as `update_oidc`.
function client_mt:create_oidc(params)
    return self:validated_call("CreateUserOIDCConfig", validate.update_oidc,
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
    return self:validated_call("CreateOIDCConfig", validate.role_oidc, params)
end


--- Update a role-SSO OIDC identity provider (`UpdateOIDCConfig`).
function client_mt:update_role_oidc(params)
    return self:validated_call("UpdateOIDCConfig", validate.role_oidc, params)
end


--- Describe a role-SSO OIDC identity provider by name (`DescribeOIDCConfig`).
function client_mt:describe_role_oidc(params)
    return self:validated_call("DescribeOIDCConfig", validate.name, params)
end


--- Delete a role-SSO OIDC identity provider by name (`DeleteOIDCConfig`).
function client_mt:delete_role_oidc(params)
    return self:validated_call("DeleteOIDCConfig", validate.name, params)
end


function client_mt:validated_call(action, check, params)
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


--- Close the client's connection. The client may be used again afterwards;
-- it then opens a new connection.
function client_mt:close()
    if self.http ~= nil then
        self.http:close()
        self.http = nil
    end
end

client_mt.__close = client_mt.close


local default_client, default_key

--- Return the client for calls without options, made anew when the
-- environment it was built from changes.
local function get_default_client()
    local key = concat({
        getenv(_M.ENDPOINT_ENV) or "",
        getenv("TENCENTCLOUD_SECRET_ID") or "",
        getenv("TENCENTCLOUD_SECRET_KEY") or "",
        getenv("TENCENTCLOUD_SESSION_TOKEN") or "",
        getenv("TENCENTCLOUD_TOKEN") or "",
    }, "\0")

    if default_client == nil or key ~= default_key then
        if default_client ~= nil then
            default_client:close()
        end
        default_client = _M.new()
        default_key = key
    end
    return default_client
end


--- Set the user OIDC identity provider with a default client.
-- @tparam table params as for `client:update_oidc`
-- @tparam[opt] table opts options for `cam.new`; without them the client's
--   credentials and endpoint come from the environment
-- @treturn[1] table the `Response` table
-- @treturn[2] nil
-- @treturn[2] table the error
function _M.update_oidc(params, opts)
    if type(params) ~= "table" then
        error("cam.update_oidc: params must be a table, got " .. type(params), 2)
    end
    if opts ~= nil and type(opts) ~= "table" then
        error("cam.update_oidc: opts must be a table, got " .. type(opts), 2)
    end

    if opts == nil then
        return get_default_client():update_oidc(params)
    end

    local client = _M.new(opts)
    local response, err = client:update_oidc(params)
    client:close()
    return response, err
end


--- Encode a JWKS as the base64 `IdentityKey` value.
-- @param jwks the key set: a table, or a JSON string whose bytes are kept
--   verbatim
-- @treturn[1] string the base64 text
-- @treturn[2] nil
-- @treturn[2] table a validation error when the value is not a JWKS
-- @raise when `jwks` is neither a table nor a string
function _M.identity_key(jwks)
    local text

    if type(jwks) == "table" then
        local ok, encoded = pcall(json.encode, jwks)
        if not ok then
            return nil, errors.validation({ { field = "IdentityKey",
                message = "the JWKS cannot be encoded as JSON: "
                    .. tostring(encoded):gsub("^.-:%d+: ", "") } })
        end
        text = encoded
    elseif type(jwks) == "string" then
        text = jwks
    else
        error("cam.identity_key: expected a table or a JSON string, got "
            .. type(jwks), 2)
    end

    local key = core.base64_encode(text)
    local _, problems = validate.update_oidc({ IdentityKey = key })
    for _, problem in pairs(problems or {}) do
        if problem.field == "IdentityKey" then
            return nil, errors.validation({ problem })
        end
    end
    return key
end


return _M
