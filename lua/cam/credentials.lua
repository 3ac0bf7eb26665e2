--- Credential providers and the default chain.
--
-- A provider is an object with a `fetch()` method. It returns a credential
-- table, or `nil` and a `cam.errors` value of kind `"credentials"`. The
-- table has `secret_id`, `secret_key`, `token` (nil for a permanent key),
-- `expires_at` (Unix seconds, nil for a permanent key) and `source` (a
-- description for logs). Providers do no
-- I/O when they are made, only in `fetch`. Each can be used alone, or given
-- to a client as the `credentials` option:
--
--     local credentials = require("cam.credentials")
--     local client = cam.new({ credentials = credentials.assume_role({
--         role_arn = "qcs::cam::uin/100000000001:roleName/deployer",
--         source = credentials.profile({ profile = "ops" }),
--     }) })
--
-- A client wraps its provider in `cam.credentials.cache`, which refreshes
-- temporary credentials before they expire. A value with leading or
-- trailing whitespace or a control character is rejected with an error
-- naming where it came from; it is never trimmed and signed. So is a secret
-- id with a space, `,`, `/` or a non-ASCII byte, which the `Authorization`
-- header cannot carry.
-- @module cam.credentials

local cache = require("cam.credentials.cache")
local check = require("cam.credentials.check")
local cvm = require("cam.credentials.cvm")
local profile = require("cam.credentials.profile")
local sts = require("cam.credentials.sts")

local concat = table.concat
local error = error
local ipairs = ipairs
local pcall = pcall
local setmetatable = setmetatable
local tostring = tostring
local type = type

local _M = {
    --- Variables of the environment provider.
    SECRET_ID_ENV = "TENCENTCLOUD_SECRET_ID",
    SECRET_KEY_ENV = "TENCENTCLOUD_SECRET_KEY",
    SESSION_TOKEN_ENV = "TENCENTCLOUD_SESSION_TOKEN",
    TOKEN_ENV = "TENCENTCLOUD_TOKEN",
}

--- Create a provider for the CVM instance's role; see
-- `cam.credentials.cvm`.
-- @function cvm_role
_M.cvm_role = cvm.new

--- Create a provider that reads the INI credentials file; see
-- `cam.credentials.profile`.
-- @function profile
_M.profile = profile.new

--- Create a provider that assumes a role with STS `AssumeRole`; see
-- `cam.credentials.sts`.
-- @function assume_role
_M.assume_role = sts.assume_role

--- Create a provider for a TKE workload's role (STS
-- `AssumeRoleWithWebIdentity`); see `cam.credentials.sts`.
-- @function tke_oidc
_M.tke_oidc = sts.tke_oidc

--- Wrap a provider in a refreshing cache; see `cam.credentials.cache`.
-- @function cache
_M.cache = cache.new


local function getenv(name)
    return os.getenv(name)
end


local static_mt = {}
static_mt.__index = static_mt


--- Create a provider for a fixed credential.
-- @tparam table t `secret_id`, `secret_key`, optionally `token`, and
--   `label` (how errors name the values; default `"option"`, giving
--   `option 'secret_key'`)
-- @treturn table the provider
-- @raise when a value is not a string
function _M.static(t)
    if type(t) ~= "table" then
        error("cam.credentials.static: expected a table with secret_id and"
            .. " secret_key", 2)
    end
    for _, name in ipairs({ "secret_id", "secret_key", "token", "label" }) do
        if t[name] ~= nil and type(t[name]) ~= "string" then
            error("cam.credentials.static: '" .. name .. "' must be a string, got "
                .. type(t[name]), 2)
        end
    end
    if t.secret_id == nil or t.secret_key == nil then
        error("cam.credentials.static: secret_id and secret_key are required", 2)
    end

    return setmetatable({
        name = "static",
        static = true,
        secret_id = t.secret_id,
        secret_key = t.secret_key,
        token = t.token,
        label = t.label or "option",
    }, static_mt)
end


--- Return the fixed credential after checking its values.
function static_mt:fetch()
    local label = self.label

    return check.values({
        secret_id = self.secret_id,
        secret_key = self.secret_key,
        token = self.token,
        source = label,
    }, {
        secret_id = label .. " 'secret_id'",
        secret_key = label .. " 'secret_key'",
        token = label .. " 'token'",
    })
end


local env_mt = {}
env_mt.__index = env_mt


--- Create a provider that reads `TENCENTCLOUD_SECRET_ID`,
-- `TENCENTCLOUD_SECRET_KEY` and a token from `TENCENTCLOUD_SESSION_TOKEN`,
-- else `TENCENTCLOUD_TOKEN`. The variables are read at each `fetch`
-- through `os.getenv`.
-- @tparam[opt] table opts `token`: a token that replaces the variables'
-- @treturn table the provider
function _M.env(opts)
    opts = opts or {}
    if opts.token ~= nil and type(opts.token) ~= "string" then
        error("cam.credentials.env: option 'token' must be a string", 2)
    end
    return setmetatable({ name = "environment", token = opts.token }, env_mt)
end


--- Read the credential from the environment.
-- @treturn[1] table the credential
-- @treturn[2] nil
-- @treturn[2] table `CredentialsNotFound` when a variable is not set, or
--   `InvalidCredentials` naming the variable with a bad value
function env_mt:fetch()
    local id = getenv(_M.SECRET_ID_ENV)
    local key = getenv(_M.SECRET_KEY_ENV)
    if id == nil or key == nil then
        return nil, check.not_found(_M.SECRET_ID_ENV .. " and " .. _M.SECRET_KEY_ENV
            .. " are not set")
    end

    local token, token_label = self.token, "option 'token'"
    if token == nil then
        token, token_label = getenv(_M.SESSION_TOKEN_ENV), _M.SESSION_TOKEN_ENV
        if token == nil then
            token, token_label = getenv(_M.TOKEN_ENV), _M.TOKEN_ENV
        end
    end

    return check.values({
        secret_id = id,
        secret_key = key,
        token = token,
        source = "environment",
    }, {
        secret_id = _M.SECRET_ID_ENV,
        secret_key = _M.SECRET_KEY_ENV,
        token = token_label,
    })
end


local chain_mt = {}
chain_mt.__index = chain_mt


--- Create a provider that tries a list of providers in order and returns
-- the first credential found.
-- A provider whose source is not there (`CredentialsNotFound`) or that
-- fails is skipped, and the reason logged at level `debug`. An
-- `InvalidCredentials` error stops the chain, because the source is there
-- and falling through would sign with another identity.
-- @tparam table providers the list
-- @tparam[opt] table opts `logger` (`function(level, message, fields)`;
--   also given to each provider that has a `set_logger` method)
-- @treturn table the provider
-- @raise when an entry has no `fetch` method
function _M.chain(providers, opts)
    if type(providers) ~= "table" or #providers == 0 then
        error("cam.credentials.chain: expected a non-empty list of providers", 2)
    end
    for i = 1, #providers do
        if type(providers[i]) ~= "table" or type(providers[i].fetch) ~= "function" then
            error("cam.credentials.chain: entry " .. i .. " is not a provider", 2)
        end
    end
    local chain = setmetatable({ name = "chain", providers = providers }, chain_mt)
    if opts ~= nil and opts.logger ~= nil then
        chain:set_logger(opts.logger)
    end
    return chain
end


--- Set the logger, unless the chain already has one, and pass the chain's
-- logger on to each provider that has a `set_logger` method.
-- @tparam function logger `function(level, message, fields)`
function chain_mt:set_logger(logger)
    if self.logger == nil then
        self.logger = logger
    end
    for i = 1, #self.providers do
        local provider = self.providers[i]
        if type(provider.set_logger) == "function" then
            provider:set_logger(self.logger)
        end
    end
end


--- Try each provider in turn.
-- @treturn[1] table the first credential found
-- @treturn[2] nil
-- @treturn[2] table the first `InvalidCredentials` error; else the last
--   error of a provider that failed; else `CredentialsNotFound` listing
--   every provider's reason
function chain_mt:fetch()
    local reasons = {}
    local failure

    for i = 1, #self.providers do
        local provider = self.providers[i]
        local creds, err = provider:fetch()

        if creds ~= nil then
            return creds
        end
        if err.code == check.INVALID then
            return nil, err
        end

        local name = tostring(provider.name or ("provider " .. i))
        reasons[#reasons + 1] = name .. ": " .. tostring(err.message)
        if err.code ~= check.NOT_FOUND then
            failure = err
        end
        if self.logger ~= nil then
            pcall(self.logger, "debug", "credential provider skipped", {
                provider = name, code = err.code, error = tostring(err) })
        end
    end

    if failure ~= nil then
        return nil, failure
    end
    return nil, check.not_found("no credentials: pass secret_id and secret_key,"
        .. " or set " .. _M.SECRET_ID_ENV .. " and " .. _M.SECRET_KEY_ENV
        .. " (" .. concat(reasons, "; ") .. ")")
end


--- Build the provider a client uses for its options.
-- With `secret_id` and `secret_key`: those alone. Otherwise the default
-- chain: the environment, the credentials file (`profile` names a
-- section), the CVM instance role (`metadata_url`), then a TKE workload's
-- role (`sts_url`). With `role_arn`, the credential found signs an STS
-- `AssumeRole` for that role (`role_session_name`, `role_duration`,
-- `sts_url`, `region`), and the role's temporary credential is used.
-- @tparam table opts checked client options
-- @treturn table the provider
function _M.default(opts)
    local provider

    if opts.secret_id ~= nil then
        provider = _M.static({ secret_id = opts.secret_id,
            secret_key = opts.secret_key, token = opts.token })
    else
        provider = _M.chain({
            _M.env({ token = opts.token }),
            _M.profile({ profile = opts.profile }),
            _M.cvm_role({ base_url = opts.metadata_url }),
            _M.tke_oidc({ base_url = opts.sts_url }),
        }, { logger = opts.logger })
    end

    if opts.role_arn ~= nil then
        provider = _M.assume_role({
            role_arn = opts.role_arn,
            session_name = opts.role_session_name,
            duration = opts.role_duration,
            base_url = opts.sts_url,
            region = opts.region,
            source = provider,
            logger = opts.logger,
        })
    end
    return provider
end


return _M
