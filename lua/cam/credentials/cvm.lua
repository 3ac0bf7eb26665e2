--- Credentials of the CAM role bound to a CVM instance, from the instance
-- metadata service.
--
-- `GET <base>/latest/meta-data/cam/security-credentials/` returns the role
-- name as plain text (HTTP 404 when no role is bound), and
-- `GET <base>/latest/meta-data/cam/security-credentials/<role>` returns JSON
-- with `TmpSecretId`, `TmpSecretKey`, `Token`, `ExpiredTime` (Unix
-- seconds), `Expiration` and `Code`, which is `"Success"` when the
-- credential is usable. The service is plain HTTP on the instance's network.
-- @module cam.credentials.cvm

local check = require("cam.credentials.check")
local http = require("cam.credentials.http")
local json = require("cam.json")

local error = error
local ipairs = ipairs
local setmetatable = setmetatable
local tostring = tostring
local type = type

local _M = {
    --- The metadata service's address on a CVM. The provider never uses it
    -- by itself: it must be given as `base_url` or in `BASE_URL_ENV`, so
    -- that no host outside a CVM sends requests to a metadata address.
    CVM_BASE_URL = "http://metadata.tencentyun.com",
    --- Environment variable that names the base URL.
    BASE_URL_ENV = "TENCENTCLOUD_METADATA_ENDPOINT",
    PATH = "/latest/meta-data/cam/security-credentials/",
    --- Seconds for each metadata request; the service is on the
    -- instance's own network, so a host that is not a CVM is recognised
    -- quickly.
    DEFAULT_TIMEOUT = 2,
    DEFAULT_CONNECT_TIMEOUT = 1,
}

-- CAM role names: letters, digits and +=,.@_- (at most 128 characters).
local ROLE_PATTERN = "^[%w+=,.@_%-]+$"
local MAX_ROLE = 128

local mt = {}
mt.__index = mt


local function getenv(name)
    return os.getenv(name)
end


--- Create a provider for the instance's role.
-- @tparam[opt] table opts `base_url` (default `$TENCENTCLOUD_METADATA_ENDPOINT`;
--   on a CVM it is `http://metadata.tencentyun.com`, and without either the
--   provider reports no credentials), `role` (skip the look-up of the
--   bound role's name), `transport` (default: a `cam.transport.auto`),
--   `timeout` and `connect_timeout` (seconds, default 2 and 1)
-- @treturn table the provider
-- @raise on an option of the wrong type or an invalid URL or role name
function _M.new(opts)
    opts = opts or {}

    local target
    if opts.base_url ~= nil then
        if type(opts.base_url) ~= "string" then
            error("cam.credentials.cvm_role: option 'base_url' must be a string", 2)
        end
        local problem
        target, problem = http.base_url(opts.base_url, "option 'base_url'", true)
        if target == nil then
            error("cam.credentials.cvm_role: " .. problem, 2)
        end
    end
    if opts.role ~= nil and (type(opts.role) ~= "string"
        or not opts.role:find(ROLE_PATTERN) or #opts.role > MAX_ROLE) then
        error("cam.credentials.cvm_role: option 'role' must be a CAM role name"
            .. " (letters, digits and +=,.@_-)", 2)
    end

    return setmetatable({
        name = "CVM role",
        target = target,
        role = opts.role,
        transport = opts.transport,
        timeout = opts.timeout or _M.DEFAULT_TIMEOUT,
        connect_timeout = opts.connect_timeout or _M.DEFAULT_CONNECT_TIMEOUT,
    }, mt)
end


local function get(self, target, path, attempts)
    return http.request(self, {
        method = "GET",
        url = target.url .. path,
        headers = { { "Accept", "*/*" } },
        allow_http = target.allow_http,
        attempts = attempts,
    })
end


-- The base URL from the option, the environment or the default.
local function resolve_target(self)
    if self.target ~= nil then
        return self.target
    end

    local from_env = getenv(_M.BASE_URL_ENV)
    if from_env ~= nil and from_env ~= "" then
        local target, problem = http.base_url(from_env, _M.BASE_URL_ENV, true)
        if target == nil then
            return nil, check.invalid(problem)
        end
        return target
    end
    return nil, check.not_found("no metadata service configured; on a CVM set"
        .. " " .. _M.BASE_URL_ENV .. "=" .. _M.CVM_BASE_URL
        .. " or pass metadata_url")
end


-- The name of the role bound to the instance.
local function bound_role(self, target)
    -- One attempt: on a host that is not a CVM the service is missing, and
    -- the chain should move on at once.
    local response, failure = get(self, target, _M.PATH, 1)

    if response == nil then
        return nil, check.not_found("the CVM metadata service at " .. target.url
            .. " is not reachable (" .. tostring(failure.code) .. "): not a CVM"
            .. " instance, or the instance has no network")
    end
    if response.status == 404 then
        return nil, check.not_found("no CAM role is bound to this CVM instance"
            .. " (metadata service " .. target.url .. ")")
    end
    if response.status ~= 200 then
        return nil, check.error("HttpStatusCodeError", "the CVM metadata service"
            .. " returned HTTP " .. response.status .. " for the role name",
            { status = response.status })
    end

    local role = response.body:match("^%s*([^\r\n]*)")
    role = role and role:match("^(.-)%s*$")
    if role == nil or role == "" or not role:find(ROLE_PATTERN) or #role > MAX_ROLE then
        return nil, check.error("InvalidResponse", "the CVM metadata service"
            .. " returned a role name that is not one")
    end
    return role
end


--- Fetch the role's current temporary credential.
-- @treturn[1] table `secret_id`, `secret_key`, `token`, `expires_at` and
--   `source`
-- @treturn[2] nil
-- @treturn[2] table a credentials error: `CredentialsNotFound` when the
--   metadata service is unreachable or no role is bound, else what failed
function mt:fetch()
    local target, target_err = resolve_target(self)
    if target == nil then
        return nil, target_err
    end

    local role = self.role
    if role == nil then
        local err
        role, err = bound_role(self, target)
        if role == nil then
            return nil, err
        end
    end

    local source = "CVM role " .. role
    local response, failure = get(self, target, _M.PATH .. role)
    if response == nil then
        return nil, check.error(tostring(failure.code), source .. ": the metadata"
            .. " service request failed: " .. tostring(failure.message))
    end
    if response.status == 404 then
        return nil, check.invalid(source .. ": the metadata service does not"
            .. " know this role")
    end
    if response.status ~= 200 then
        return nil, check.error("HttpStatusCodeError", source .. ": the metadata"
            .. " service returned HTTP " .. response.status,
            { status = response.status })
    end

    -- The body contains the secret key, so only its Code goes into a
    -- message, with the key and the token masked.
    local document = json.decode(response.body)
    if type(document) ~= "table" then
        return nil, check.error("InvalidResponse", source .. ": the metadata"
            .. " service returned a body that is not a JSON object")
    end
    local secrets = {}
    for _, name in ipairs({ "TmpSecretKey", "Token" }) do
        if type(document[name]) == "string" then
            secrets[#secrets + 1] = document[name]
        end
    end
    if document.Code ~= "Success" then
        return nil, check.error("MetadataFailure", source .. ": the metadata"
            .. " service returned Code " .. tostring(document.Code)
            .. " instead of Success", nil, secrets)
    end
    if type(document.ExpiredTime) ~= "number" then
        return nil, check.error("InvalidResponse", source .. ": the metadata"
            .. " service returned no numeric ExpiredTime")
    end

    return check.values({
        secret_id = document.TmpSecretId,
        secret_key = document.TmpSecretKey,
        token = document.Token,
        expires_at = document.ExpiredTime,
        source = source,
    }, { secret_id = source .. " TmpSecretId", secret_key = source .. " TmpSecretKey",
        token = source .. " Token" }, true)
end


return _M
