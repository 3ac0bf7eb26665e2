--- Configuration files for `cam-oidc plan`, `apply` and `verify-token`.
--
-- A configuration file is a JSON object with the parameters of
-- `update_oidc` (user SSO) or, when it has `name`, of `update_role_oidc`
-- (role SSO), by Lua or wire name. Every string may use `${NAME}`
-- placeholders (see `cam.oidc.template`). A few extra members build
-- parameters:
--
-- * `preset`: `{ "name": "keycloak", "base_url": ..., "realm": ... }`
--   fills `identity_url` and, for user SSO, `authorization_endpoint` when
--   they are absent (see `cam.oidc.presets`);
-- * the key, at most one of `identity_key` (base64 JWKS), `jwks` (the JWKS
--   object), `jwks_file` (a JSON file, kept byte for byte), `pem_file`
--   (PEM public keys or certificates) and `discovery: true` (fetch the
--   IdP's JWKS, and the authorization endpoint when absent);
-- * `idp_ca_file`: CA bundle for the discovery fetch.
--
-- Relative file names are relative to the configuration file.
-- @module cam.oidc.config

local core = require("cam.core")
local discovery = require("cam.oidc.discovery")
local errors = require("cam.errors")
local json = require("cam.json")
local jwks_util = require("cam.oidc.jwks")
local presets = require("cam.oidc.presets")
local template = require("cam.oidc.template")

local concat = table.concat
local open = io.open
local pairs = pairs
local pcall = pcall
local tostring = tostring
local type = type

local _M = {}

--- Largest configuration, JWKS or PEM file read, in bytes.
_M.MAX_FILE_SIZE = 1024 * 1024

local KEY_SOURCES = { "identity_key", "IdentityKey", "jwks", "jwks_file",
    "pem_file", "discovery" }


local function config_error(path, message)
    return nil, errors.new({ kind = "validation", code = "InvalidConfigFile",
        message = path .. ": " .. message })
end


local function read_file(path)
    local file, open_err = open(path, "rb")
    if file == nil then
        return nil, "cannot read " .. tostring(open_err)
    end
    local text = file:read(_M.MAX_FILE_SIZE + 1)
    file:close()
    if text == nil then
        return ""
    end
    if #text > _M.MAX_FILE_SIZE then
        return nil, path .. " is larger than " .. _M.MAX_FILE_SIZE .. " bytes"
    end
    return text
end


--- Resolve a file name relative to the directory of the configuration.
local function relative_to(config_path, name)
    if name:find("^/") then
        return name
    end
    local dir = config_path:match("^(.*)/[^/]*$")
    return dir and (dir .. "/" .. name) or name
end


local function first_of(t, ...)
    local names = { ... }
    for i = 1, #names do
        if t[names[i]] ~= nil then
            return t[names[i]], names[i]
        end
    end
    return nil
end


--- Apply the `preset` member.
local function apply_preset(path, config, is_role)
    local spec = config.preset
    config.preset = nil
    if spec == nil then
        return true
    end
    if type(spec) ~= "table" or type(spec.name) ~= "string" then
        return config_error(path, "preset must be an object with a name, such"
            .. " as {\"name\": \"keycloak\", \"base_url\": ..., \"realm\": ...}")
    end

    local options = {}
    for key, value in pairs(spec) do
        if key ~= "name" then
            options[key] = value
        end
    end
    local preset, err = presets.resolve(spec.name, options)
    if preset == nil then
        return config_error(path, err.message)
    end

    if first_of(config, "identity_url", "IdentityUrl") == nil then
        config.identity_url = preset.issuer
    end
    if not is_role and first_of(config, "authorization_endpoint",
            "AuthorizationEndpoint") == nil then
        config.authorization_endpoint = preset.authorization_endpoint
    end
    return true
end


--- Fill identity_key, and authorization_endpoint when absent, from the
-- IdP's discovery document.
local function discover_key(path, config, is_role, idp_ca_file, opts)
    local issuer = first_of(config, "identity_url", "IdentityUrl")
    local client_id = first_of(config, "client_id", "ClientId", "client_ids")
    if type(client_id) == "table" then
        client_id = client_id[1]
    end
    if type(issuer) ~= "string" or type(client_id) ~= "string" then
        return config_error(path, "discovery needs identity_url and client_id")
    end

    local found, err = discovery.from_discovery(issuer, {
        client_id = client_id,
        ca_file = idp_ca_file,
        timeout = opts.timeout,
        response_mode = not is_role and first_of(config, "response_mode",
            "ResponseMode") or nil,
    })
    if found == nil then
        return nil, err
    end
    config.identity_key = found.identity_key
    if not is_role and first_of(config, "authorization_endpoint",
            "AuthorizationEndpoint") == nil then
        config.authorization_endpoint = found.authorization_endpoint
    end
    return true
end


--- Turn the key member into identity_key.
local function apply_key_source(path, config, is_role, opts)
    local given = {}
    for i = 1, #KEY_SOURCES do
        if config[KEY_SOURCES[i]] ~= nil then
            given[#given + 1] = KEY_SOURCES[i]
        end
    end
    if #given > 1 then
        return config_error(path, "give the key once, but it has "
            .. concat(given, " and "))
    end

    local idp_ca_file = config.idp_ca_file
    config.idp_ca_file = nil
    if idp_ca_file ~= nil then
        idp_ca_file = relative_to(path, tostring(idp_ca_file))
    end

    local source = given[1]
    if source == "jwks" then
        local ok, text = pcall(json.encode, config.jwks)
        if not ok or type(config.jwks) ~= "table" then
            return config_error(path, "jwks must be a JWKS object")
        end
        config.jwks = nil
        config.identity_key = core.base64_encode(text)
    elseif source == "jwks_file" or source == "pem_file" then
        local file = relative_to(path, tostring(config[source]))
        local text, read_err = read_file(file)
        if text == nil then
            return config_error(path, source .. ": " .. read_err)
        end
        config[source] = nil
        if source == "jwks_file" then
            config.identity_key = core.base64_encode(text)
        else
            local key, pem_err = jwks_util.identity_key_from_pem(text)
            if key == nil then
                return config_error(path, "pem_file " .. file .. ": "
                    .. pem_err.message)
            end
            config.identity_key = key
        end
    elseif source == "discovery" then
        if config.discovery ~= true then
            return config_error(path, "discovery must be true or absent")
        end
        config.discovery = nil
        return discover_key(path, config, is_role, idp_ca_file, opts)
    end
    return true
end


--- Load a configuration file.
-- @tparam string path the JSON file
-- @tparam[opt] table opts `vars` (template variables; default the
--   environment), `timeout` (seconds, for `discovery`)
-- @treturn[1] table the parameters for `update_oidc` or `update_role_oidc`
-- @treturn[1] string `"user"` or `"role"`
-- @treturn[2] nil
-- @treturn[2] table the error, naming the file
function _M.load(path, opts)
    opts = opts or {}

    local text, read_err = read_file(path)
    if text == nil then
        return config_error(path, read_err)
    end
    local decoded, decode_err = json.decode(text)
    if decoded == nil then
        return config_error(path, decode_err)
    end
    if type(decoded) ~= "table" or json.is_array(decoded) then
        return config_error(path, "the configuration must be a JSON object")
    end

    local config, template_err = template.expand(decoded, opts.vars)
    if config == nil then
        return config_error(path, template_err.message)
    end

    local is_role = first_of(config, "name", "Name") ~= nil
    local ok, err = apply_preset(path, config, is_role)
    if not ok then
        return nil, err
    end
    ok, err = apply_key_source(path, config, is_role, opts)
    if not ok then
        return nil, err
    end
    return config, is_role and "role" or "user"
end


return _M
