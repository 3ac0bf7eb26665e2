--- Issuer and authorization endpoint of well-known identity providers.
--
-- Each preset builds the two URLs from values an administrator of that IdP
-- has at hand: a base URL and realm, an org domain, a tenant ID. A base URL is
-- joined to the IdP's paths without its trailing `/`; nothing else about
-- it changes. The issuer a preset returns is the one the IdP writes into
-- its ID tokens, but only the IdP's discovery document is authoritative:
-- check it with `cam.oidc.from_discovery`.
--
-- Every preset returns `{ issuer = ..., authorization_endpoint = ...,
-- preset = <name> }`, or `nil` and a validation error for a missing or
-- malformed value.
-- @module cam.oidc.presets

local endpoint = require("cam.endpoint")
local errors = require("cam.errors")
local validate = require("cam.validate")

local concat = table.concat
local error = error
local find = string.find
local pairs = pairs
local pcall = pcall
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

local GUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

-- Entra ID names that select several tenants; their issuers carry a
-- `{tenantid}` placeholder, so they cannot be configured as one issuer.
local ENTRA_MULTI_TENANT = { common = true, organizations = true,
    consumers = true }


local function invalid(preset, field, message)
    return nil, errors.new({
        kind = "validation",
        code = "InvalidPreset",
        message = preset .. " preset: " .. field .. " " .. message,
        problems = { { field = field, message = message } },
    })
end


--- Check the options table: a table whose keys are all in `allowed`,
-- which maps each option to its expected type ("string", or "number or
-- string"). Raises naming the option on an unknown name or a wrong type.
local function check_options(preset, opts, allowed)
    if opts == nil then
        return {}
    end
    if type(opts) ~= "table" then
        error("presets." .. preset .. ": options must be a table, got "
            .. type(opts), 3)
    end
    for name, value in pairs(opts) do
        local expected = allowed[name]
        if expected == nil then
            local names = {}
            for n in pairs(allowed) do
                names[#names + 1] = n
            end
            sort(names)
            if #names == 0 then
                error("presets." .. preset .. ": unknown option '"
                    .. tostring(name) .. "'; this preset takes no options", 3)
            end
            local hint = validate.suggest(tostring(name), names)
            error("presets." .. preset .. ": unknown option '" .. tostring(name)
                .. "'" .. (hint and ("; did you mean '" .. hint .. "'?")
                or "; the options are " .. concat(names, ", ")), 3)
        end
        if not find(" " .. expected .. " ", " " .. type(value) .. " ", 1, true) then
            error("presets." .. preset .. ": option '" .. name .. "' must be a "
                .. expected .. ", got " .. type(value), 3)
        end
    end
    return opts
end


--- Check an https base URL with the IdentityUrl rules; return it without
-- a trailing `/`, or nil and a message.
local function check_base_url(value)
    if type(value) ~= "string" or value == "" then
        return nil, "is required: pass the https:// URL of the server"
    end

    local _, problems = validate.update_oidc({ IdentityUrl = value })
    for _, problem in pairs(problems or {}) do
        if problem.field == "IdentityUrl" then
            return nil, problem.message
        end
    end
    return (value:gsub("/+$", ""))
end


--- Check a host name, given bare or as `https://host` without a path;
-- return `https://host`, or nil and a message.
local function check_host(value)
    if type(value) ~= "string" or value == "" then
        return nil, "is required: pass a host name such as idp.example.com"
    end

    local authority = value:match("^https://([^/]+)/?$") or value
    local host, port = authority:match("^([^:]*)(.*)$")
    if not find(host, "^[%w][%w.-]*[%w]$") or find(host, "..", 1, true)
        or not find(host, ".", 1, true) or not endpoint.valid_host(host:lower())
        or not (port == "" or find(port, "^:%d%d?%d?%d?%d?$")) then
        return nil, "must be a host name such as idp.example.com, got '"
            .. value .. "'"
    end
    return "https://" .. authority
end


--- Check a path segment such as a realm name: unreserved URL characters
-- only, so that it needs no percent-encoding.
local function check_segment(value, example)
    if type(value) ~= "string" or value == "" then
        return nil, "is required, such as " .. example
    end
    if not find(value, "^[%w._~-]+$") then
        return nil, "'" .. value .. "' contains characters that need"
            .. " percent-encoding; pass the issuer URL instead of a preset"
    end
    return value
end


local function result(name, issuer, authorization_endpoint)
    return {
        preset = name,
        issuer = issuer,
        authorization_endpoint = authorization_endpoint,
    }
end


--- Keycloak: issuer `<base_url>/realms/<realm>`.
-- Keycloak 17 and later serve without the `/auth` prefix that older
-- releases (and newer ones started with `--http-relative-path=/auth`)
-- put before `/realms`.
-- @tparam table opts `base_url` (such as `https://sso.example.com`),
--   `realm`, `legacy_auth_path` (true to insert `/auth`)
-- @treturn[1] table `issuer`, `authorization_endpoint`, `preset`
-- @treturn[2] nil
-- @treturn[2] table a validation error
function _M.keycloak(opts)
    opts = check_options("keycloak", opts,
        { base_url = "string", realm = "string", legacy_auth_path = "boolean" })

    local base, base_err = check_base_url(opts.base_url)
    if base == nil then
        return invalid("keycloak", "base_url", base_err)
    end
    local realm, realm_err = check_segment(opts.realm, "'acme'")
    if realm == nil then
        return invalid("keycloak", "realm", realm_err)
    end
    if opts.legacy_auth_path and find(base, "/auth$") then
        return invalid("keycloak", "base_url", "already ends in /auth;"
            .. " drop legacy_auth_path or the /auth")
    end

    local issuer = base .. (opts.legacy_auth_path and "/auth" or "")
        .. "/realms/" .. realm
    return result("keycloak", issuer, issuer .. "/protocol/openid-connect/auth")
end


--- Okta: the org authorization server (issuer `https://<org>`), or a
-- custom one (issuer `https://<org>/oauth2/<id>`, such as `default`).
-- @tparam table opts `org` (the Okta domain, such as
--   `dev-123456.okta.com`), `authorization_server` (optional server id)
-- @treturn[1] table `issuer`, `authorization_endpoint`, `preset`
-- @treturn[2] nil
-- @treturn[2] table a validation error
function _M.okta(opts)
    opts = check_options("okta", opts,
        { org = "string", authorization_server = "string" })

    local origin, origin_err = check_host(opts.org)
    if origin == nil then
        return invalid("okta", "org", origin_err)
    end
    if opts.authorization_server == nil then
        return result("okta", origin, origin .. "/oauth2/v1/authorize")
    end

    local server, server_err = check_segment(opts.authorization_server,
        "'default'")
    if server == nil then
        return invalid("okta", "authorization_server", server_err)
    end
    local issuer = origin .. "/oauth2/" .. server
    return result("okta", issuer, issuer .. "/v1/authorize")
end


--- Microsoft Entra ID (Azure AD): the v2.0 issuer
-- `https://login.microsoftonline.com/<tenant>/v2.0`, or with `version = 1`
-- the v1 issuer `https://sts.windows.net/<tenant>/`. The `iss` claim
-- names the tenant by its ID, so a domain name does not work here.
-- @tparam table opts `tenant` (the directory (tenant) ID, a GUID),
--   `version` (2, the default, or 1)
-- @treturn[1] table `issuer`, `authorization_endpoint`, `preset`
-- @treturn[2] nil
-- @treturn[2] table a validation error
function _M.entra(opts)
    opts = check_options("entra", opts, { tenant = "string", version = "number or string" })

    local tenant = opts.tenant
    if type(tenant) ~= "string" or tenant == "" then
        return invalid("entra", "tenant", "is required: pass the directory"
            .. " (tenant) ID, a GUID")
    end
    if ENTRA_MULTI_TENANT[tenant:lower()] then
        return invalid("entra", "tenant", "'" .. tenant .. "' selects several"
            .. " tenants, whose tokens have different issuers; pass one"
            .. " directory (tenant) ID")
    end
    if not find(tenant, GUID) then
        return invalid("entra", "tenant", "must be the directory (tenant) ID,"
            .. " a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, got '"
            .. tenant .. "'; ID tokens name the tenant by its ID")
    end

    local login = "https://login.microsoftonline.com/" .. tenant
    local version = opts.version or 2
    if version == 1 then
        return result("entra", "https://sts.windows.net/" .. tenant .. "/",
            login .. "/oauth2/authorize")
    elseif version ~= 2 then
        return invalid("entra", "version", "must be 1 or 2")
    end
    return result("entra", login .. "/v2.0", login .. "/oauth2/v2.0/authorize")
end


--- Google: issuer `https://accounts.google.com`.
-- @tparam[opt] table opts no options
-- @treturn table `issuer`, `authorization_endpoint`, `preset`
function _M.google(opts)
    check_options("google", opts, {})
    return result("google", "https://accounts.google.com",
        "https://accounts.google.com/o/oauth2/v2/auth")
end


--- Auth0: issuer `https://<domain>/`, with the trailing slash that Auth0
-- writes into `iss`.
-- @tparam table opts `domain` (the tenant or custom domain, such as
--   `acme.eu.auth0.com`)
-- @treturn[1] table `issuer`, `authorization_endpoint`, `preset`
-- @treturn[2] nil
-- @treturn[2] table a validation error
function _M.auth0(opts)
    opts = check_options("auth0", opts, { domain = "string" })

    local origin, origin_err = check_host(opts.domain)
    if origin == nil then
        return invalid("auth0", "domain", origin_err)
    end
    return result("auth0", origin .. "/", origin .. "/authorize")
end


--- GitLab: the issuer is the instance's base URL.
-- @tparam[opt] table opts `base_url` (default `https://gitlab.com`)
-- @treturn[1] table `issuer`, `authorization_endpoint`, `preset`
-- @treturn[2] nil
-- @treturn[2] table a validation error
function _M.gitlab(opts)
    opts = check_options("gitlab", opts, { base_url = "string" })

    local base, base_err = check_base_url(opts.base_url or "https://gitlab.com")
    if base == nil then
        return invalid("gitlab", "base_url", base_err)
    end
    return result("gitlab", base, base .. "/oauth/authorize")
end


--- Authing: issuer `https://<domain>/oidc` of an application domain.
-- @tparam table opts `domain` (the application domain, such as
--   `acme.authing.cn`)
-- @treturn[1] table `issuer`, `authorization_endpoint`, `preset`
-- @treturn[2] nil
-- @treturn[2] table a validation error
function _M.authing(opts)
    opts = check_options("authing", opts, { domain = "string" })

    local origin, origin_err = check_host(opts.domain)
    if origin == nil then
        return invalid("authing", "domain", origin_err)
    end
    return result("authing", origin .. "/oidc", origin .. "/oidc/auth")
end


--- Names of the presets, sorted.
_M.NAMES = { "auth0", "authing", "entra", "gitlab", "google", "keycloak",
    "okta" }


--- Run a preset by name, as configuration files and the CLI do.
-- @tparam string name one of `NAMES`
-- @tparam[opt] table opts the preset's options
-- @treturn[1] table `issuer`, `authorization_endpoint`, `preset`
-- @treturn[2] nil
-- @treturn[2] table a validation error, also for an unknown name or a
--   wrong option
-- @raise when `name` is not a string
function _M.resolve(name, opts)
    if type(name) ~= "string" then
        error("presets.resolve: name must be a string, got " .. type(name), 2)
    end
    local known = false
    for i = 1, #_M.NAMES do
        known = known or _M.NAMES[i] == name
    end
    if not known then
        local hint = type(name) == "string" and validate.suggest(name, _M.NAMES)
        return nil, errors.new({
            kind = "validation",
            code = "InvalidPreset",
            message = "unknown preset '" .. tostring(name) .. "'"
                .. (hint and ("; did you mean '" .. hint .. "'?") or "")
                .. "; the presets are " .. concat(_M.NAMES, ", "),
        })
    end

    local ok, preset, err = pcall(_M[name], opts)
    if not ok then
        -- An unknown or mistyped option is a usage error of the caller of
        -- this function too, but it arrives here as data from a file.
        return nil, errors.new({
            kind = "validation",
            code = "InvalidPreset",
            message = tostring(preset):gsub("^.-:%d+: ", ""),
        })
    end
    return preset, err
end


return _M
