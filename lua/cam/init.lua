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

local client = require("cam.client")
local core = require("cam.core")
local errors = require("cam.errors")
local json = require("cam.json")
local validate = require("cam.validate")

local concat = table.concat
local error = error
local pairs = pairs
local pcall = pcall
local tostring = tostring
local type = type

local _M = {
    VERSION = client.VERSION,
    API_VERSION = client.API_VERSION,
    DEFAULT_ENDPOINT = client.DEFAULT_ENDPOINT,
    ENDPOINT_ENV = client.ENDPOINT_ENV,
}


local function getenv(name)
    return os.getenv(name)
end


--- Sign a request: the `Authorization` header value for TC3-HMAC-SHA256.
-- Pure: it reads no clock and does no I/O.
-- @tparam table t `secret_id`, `secret_key`, `service`, `host`,
--   `timestamp` (integer seconds), `body`, `content_type`, and optionally
--   `method` (default `"POST"`) and `query` (default `""`)
-- @treturn string the `Authorization` value
-- @raise on a missing or malformed field
_M.sign = core.sign

--- Create a client; see `cam.client.new` for the options.
_M.new = client.new

--- Credential providers and the default chain. See `cam.credentials`.
_M.credentials = require("cam.credentials")

--- The OIDC workflow: discovery, presets, templates, token preflight, and
-- the plan and apply methods it adds to clients. See `cam.oidc`.
_M.oidc = require("cam.oidc")


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
        -- A bad TENCENTCLOUD_CAM_ENDPOINT is the caller's mistake, so the
        -- error names the caller's line, not this one.
        local ok, made = pcall(client.new)
        if not ok then
            error((tostring(made):gsub("^[^:]*:%d+: ", "")), 3)
        end
        default_client = made
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

    local one_off = client.new(opts)
    local response, err = one_off:update_oidc(params)
    one_off:close()
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
