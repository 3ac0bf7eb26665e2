--- The CAM client: options, the request pipeline and the OIDC actions.
--
-- A call goes through four steps: check the parameters, encode the body,
-- sign it, and send it with the client's transport. The response becomes the
-- `Response` table or an error value (see `cam.errors`).
-- @module cam.client

local core = require("cam.core")
local credentials = require("cam.credentials")
local endpoint = require("cam.endpoint")
local errors = require("cam.errors")
local json = require("cam.json")
local validate = require("cam.validate")

local error = error
local find = string.find
local floor = math.floor
local getmetatable = getmetatable
local os_time = os.time
local pairs = pairs
local pcall = pcall
local require = require
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
    DEFAULT_TRANSPORT = "auto",
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
    transport = { string = true, table = true },
    allow_blocking = "boolean",
}

local LANGUAGES = { ["en-US"] = true, ["zh-CN"] = true }

--- The client's methods. Other modules of the library add theirs here.
local client_mt = {}
client_mt.__index = client_mt
_M.methods = client_mt


local function getenv(name)
    return os.getenv(name)
end


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
        if type(expected) == "table" then
            if not expected[type(value)] then
                error("cam.new: option '" .. name .. "' must be a name or a"
                    .. " transport object, got " .. type(value), level)
            end
        elseif type(value) ~= expected then
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


--- Convert seconds to whole milliseconds, at least 1: libcurl reads 0 as
-- "no limit".
local function to_milliseconds(seconds)
    local ms = floor(seconds * 1000 + 0.5)
    return ms >= 1 and ms or 1
end


--- Create the transport an option names, or check the object given.
-- A named transport's `new` receives the client options.
local function make_transport(choice, opts, level)
    if type(choice) == "table" then
        if type(choice.request) ~= "function" or type(choice.close) ~= "function" then
            error("cam.new: a transport object needs request and close methods", level)
        end
        return choice
    end
    if not find(choice, "^[%a_][%w_]*$") then
        error("cam.new: option 'transport' must be a name such as 'curl'", level)
    end

    local ok, module = pcall(require, "cam.transport." .. choice)
    if not ok then
        error("cam.new: unknown transport '" .. choice .. "': " .. tostring(module), level)
    end
    return module.new(opts)
end


--- Create a client.
-- @tparam[opt] table opts `endpoint` (URL, default
--   `https://cam.tencentcloudapi.com`, or `$TENCENTCLOUD_CAM_ENDPOINT` when
--   set), `secret_id`, `secret_key`, `token` (default: the environment),
--   `timeout` (seconds, default 30), `connect_timeout` (seconds, default 10),
--   `ca_file`, `ca_path`, `language` (`"en-US"` or `"zh-CN"`), `dry_run`,
--   `logger` (`function(level, message, fields)`), `max_response_size`
--   (bytes, default 1 MiB), `transport` (`"auto"`, the default, `"curl"`,
--   or a transport object, see `cam.transport.curl`), `allow_blocking`
--   (let `"auto"` use blocking libcurl inside nginx request phases)
-- @treturn table the client
-- @raise on an unknown option, a wrong type or an invalid endpoint
function _M.new(opts)
    if opts == nil then
        opts = {}
    elseif type(opts) ~= "table" then
        error("cam.new: options must be a table, got " .. type(opts), 2)
    end
    check_options(opts, 3)

    local target
    local from_env = getenv(_M.ENDPOINT_ENV)
    if opts.endpoint ~= nil then
        target = endpoint.parse(opts.endpoint, "cam.new: option 'endpoint'", 3)
    elseif from_env ~= nil and from_env ~= "" then
        target = endpoint.parse(from_env, "cam.new: " .. _M.ENDPOINT_ENV, 3)
    else
        target = endpoint.parse(_M.DEFAULT_ENDPOINT, "default endpoint", 3)
    end

    local creds, credentials_error = credentials.resolve(opts)
    local secrets = {}
    if creds then
        secrets[#secrets + 1] = creds.secret_key
        secrets[#secrets + 1] = creds.token
    end

    return setmetatable({
        endpoint = target,
        credentials = creds,
        credentials_error = credentials_error,
        secrets = secrets,
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
        transport = make_transport(opts.transport or _M.DEFAULT_TRANSPORT, opts, 3),
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
    local secrets = { request.headers[1][2]:match("Signature=(%x+)") }
    for i = 1, #self.secrets do
        secrets[#secrets + 1] = self.secrets[i]
    end
    if self.dry_run then
        return {
            method = request.method,
            url = request.url,
            headers = header_map(request.headers),
            header_lines = header_lines(request.headers),
            body = request.body,
        }
    end

    self:log("debug", "sending request", { action = action,
        endpoint = self.endpoint.url, bytes = #body })

    local response, failure = self.transport:request({
        method = request.method,
        url = request.url,
        headers = request.headers,
        body = request.body,
        timeout_ms = self.timeout_ms,
        connect_timeout_ms = self.connect_timeout_ms,
        ca_file = self.ca_file,
        ca_path = self.ca_path,
        max_body = self.max_response_size,
        allow_http = self.endpoint.allow_http,
        -- libcurl resends a request whose reused connection died; a
        -- Create must not run twice, so it gets a connection of its own.
        fresh_connect = find(action, "^Create") ~= nil,
    })

    if response == nil then
        local err = errors.new({
            kind = "transport",
            action = action,
            code = failure.code,
            curl_code = failure.curl_code,
            message = failure.message,
            request_sent = failure.request_sent,
            status = failure.status,
        }, secrets)
        self:log("error", "request failed", { action = action,
            error = tostring(err) })
        return nil, err
    end

    local result, err = self:decode_response(action, response.status,
        response.body, response.headers, secrets)
    if result == nil then
        self:log("error", "request failed", { action = action,
            request_id = err.request_id, error = tostring(err) })
        return nil, err
    end

    self:log("debug", "response received", { action = action,
        request_id = result.RequestId, status = response.status,
        seconds = response.seconds, new_connections = response.connects })
    return result
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
