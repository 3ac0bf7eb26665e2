--- The eight CAM OIDC actions (API version 2019-01-16) of the emulator.
--
-- Each action has a parameter schema and a handler. `run` checks the
-- request body against the schema (UnknownParameter, then MissingParameter,
-- then InvalidParameter for a wrong JSON type), then the parameter values,
-- then applies the action to the account's state.
--
-- User SSO (one configuration per account): CreateUserOIDCConfig,
-- UpdateUserOIDCConfig, DescribeUserOIDCConfig, DisableUserSSO.
-- Role SSO (named providers, at most 10 per account): CreateOIDCConfig,
-- UpdateOIDCConfig, DescribeOIDCConfig, DeleteOIDCConfig.
-- @module cam.emulator.actions

local fields = require "cam.emulator.fields"
local json = require "cam.emulator.json"

local _M = {}

--- The API version every action belongs to.
_M.VERSION = "2019-01-16"

--- Maximum number of role-SSO OIDC providers per account.
_M.MAX_ROLE_PROVIDERS = 10

--- `Status` values of DescribeUserOIDCConfig and DescribeOIDCConfig.
_M.STATUS_NOT_CONFIGURED = 0
_M.STATUS_DISABLED = 2
_M.STATUS_ENABLED = 11

--- `ProviderType` values.
_M.PROVIDER_TYPE_ROLE = 11
_M.PROVIDER_TYPE_USER = 12

local TYPE_NAMES = {
    string = "a String",
    integer = "an Integer",
    string_array = "an Array of String",
}

local USER_PARAMS = {
    { name = "IdentityUrl", type = "string", required = true, check = fields.https_url },
    { name = "IdentityKey", type = "string", required = true, check = fields.identity_key },
    { name = "ClientId", type = "string", required = true, check = fields.client_id },
    { name = "AuthorizationEndpoint", type = "string", required = true,
        check = fields.https_url },
    { name = "ResponseType", type = "string", required = true, check = fields.response_type },
    { name = "ResponseMode", type = "string", required = true, check = fields.response_mode },
    { name = "MappingFiled", type = "string", required = true, check = fields.mapping_filed },
    { name = "Scope", type = "string_array", check = fields.scope },
    { name = "Description", type = "string", check = fields.description },
    { name = "AutoRotateKey", type = "integer", check = fields.auto_rotate_key },
}

local ROLE_PARAMS = {
    { name = "Name", type = "string", required = true, check = fields.name },
    { name = "IdentityUrl", type = "string", required = true, check = fields.https_url },
    { name = "IdentityKey", type = "string", required = true, check = fields.identity_key },
    { name = "ClientId", type = "string_array", required = true, check = fields.client_id_list },
    { name = "Description", type = "string", check = fields.description },
    { name = "AutoRotateKey", type = "integer", check = fields.auto_rotate_key },
}

local NAME_PARAMS = {
    { name = "Name", type = "string", required = true, check = fields.name },
}

local USER_OUTPUT_ORDER = {
    "ProviderType", "IdentityUrl", "IdentityKey", "ClientId", "Status",
    "AuthorizationEndpoint", "Scope", "ResponseType", "ResponseMode", "MappingFiled",
    "Description", "AutoRotateKey",
}

local ROLE_OUTPUT_ORDER = {
    "ProviderType", "Name", "IdentityUrl", "IdentityKey", "ClientId", "Status",
    "Description", "AutoRotateKey",
}


local function has_type(value, expected)
    local actual = json.type_of(value)
    if expected == "string_array" then
        if actual ~= "array" then
            return false
        end
        for _, entry in ipairs(value) do
            if type(entry) ~= "string" then
                return false
            end
        end
        return true
    end
    return actual == expected
end


--- Check a decoded request body against a parameter schema.
-- @tparam table params decoded JSON object
-- @tparam table schema list of `{name=, type=, required=, check=}`
-- @treturn nil|string error code
-- @treturn string message naming the parameter
function _M.check_params(params, schema)
    local known = {}
    for _, param in ipairs(schema) do
        known[param.name] = param
    end

    local unknown = {}
    for name in pairs(params) do
        if not known[name] then
            unknown[#unknown + 1] = tostring(name)
        end
    end
    if #unknown > 0 then
        table.sort(unknown)
        return "UnknownParameter", string.format(
            "The parameter %s is not defined for this action.", unknown[1])
    end

    for _, param in ipairs(schema) do
        if param.required and params[param.name] == nil then
            return "MissingParameter", string.format(
                "The required parameter %s is missing.", param.name)
        end
    end

    for _, param in ipairs(schema) do
        local value = params[param.name]
        if value ~= nil and not has_type(value, param.type) then
            return "InvalidParameter", string.format("The parameter %s must be %s, got %s.",
                param.name, TYPE_NAMES[param.type], json.type_of(value))
        end
    end

    for _, param in ipairs(schema) do
        local value = params[param.name]
        if value ~= nil then
            local code, message = param.check(param.name, value)
            if code then
                return code, message
            end
        end
    end

    return nil
end


-- Copy the parameters of a user-SSO configuration into a stored record.
local function user_record(params)
    local scope = params.Scope
    if scope == nil or #scope == 0 then
        scope = { "openid" }
    end

    return {
        IdentityUrl = params.IdentityUrl,
        IdentityKey = params.IdentityKey,
        ClientId = params.ClientId,
        AuthorizationEndpoint = params.AuthorizationEndpoint,
        ResponseType = params.ResponseType,
        ResponseMode = params.ResponseMode,
        MappingFiled = params.MappingFiled,
        Scope = json.array({ table.unpack(scope) }),
        Description = params.Description or "",
        AutoRotateKey = params.AutoRotateKey or 0,
        Status = _M.STATUS_ENABLED,
    }
end


local function role_record(params)
    return {
        Name = params.Name,
        IdentityUrl = params.IdentityUrl,
        IdentityKey = params.IdentityKey,
        ClientId = json.array({ table.unpack(params.ClientId) }),
        Description = params.Description or "",
        AutoRotateKey = params.AutoRotateKey or 0,
        Status = _M.STATUS_ENABLED,
    }
end


local function count_keys(map)
    local count = 0
    for _ in pairs(map) do
        count = count + 1
    end
    return count
end


local function not_found(what)
    return { code = "ResourceNotFound.IdentityNotExist", message = what .. " does not exist." }
end


-- Handlers take (account, params) and return a result table:
-- `{fields=, order=}` on success (`changed = true` when state changed) or
-- `{code=, message=}` on failure.
local ACTIONS = {}

ACTIONS.CreateUserOIDCConfig = {
    params = USER_PARAMS,
    run = function(account, params)
        if account.user_oidc then
            return {
                code = "LimitExceeded.IdentityFull",
                message = "The account already has a user OIDC identity provider; "
                    .. "use UpdateUserOIDCConfig to change it.",
            }
        end
        account.user_oidc = user_record(params)
        return { fields = {}, changed = true }
    end,
}

ACTIONS.UpdateUserOIDCConfig = {
    params = USER_PARAMS,
    run = function(account, params)
        if not account.user_oidc then
            return not_found("The user OIDC identity provider")
        end
        account.user_oidc = user_record(params)
        return { fields = {}, changed = true }
    end,
}

ACTIONS.DescribeUserOIDCConfig = {
    params = {},
    run = function(account)
        local config = account.user_oidc
        if not config then
            return {
                fields = {
                    ProviderType = _M.PROVIDER_TYPE_USER,
                    Status = _M.STATUS_NOT_CONFIGURED,
                },
                order = USER_OUTPUT_ORDER,
            }
        end

        local output = { ProviderType = _M.PROVIDER_TYPE_USER }
        for _, name in ipairs(USER_OUTPUT_ORDER) do
            if config[name] ~= nil then
                output[name] = config[name]
            end
        end
        output.Scope = json.array({ table.unpack(config.Scope) })
        return { fields = output, order = USER_OUTPUT_ORDER }
    end,
}

ACTIONS.DisableUserSSO = {
    params = {},
    run = function(account)
        local config = account.user_oidc
        if not config or config.Status == _M.STATUS_DISABLED then
            return { fields = {} }
        end
        config.Status = _M.STATUS_DISABLED
        return { fields = {}, changed = true }
    end,
}

ACTIONS.CreateOIDCConfig = {
    params = ROLE_PARAMS,
    run = function(account, params)
        if account.role_oidc[params.Name] then
            return {
                code = "InvalidParameter.IdentityNameInUse",
                message = "An identity provider named " .. params.Name .. " already exists.",
            }
        end
        if count_keys(account.role_oidc) >= _M.MAX_ROLE_PROVIDERS then
            return {
                code = "LimitExceeded.IdentityFull",
                message = string.format("The account already has %d role OIDC identity providers.",
                    _M.MAX_ROLE_PROVIDERS),
            }
        end
        account.role_oidc[params.Name] = role_record(params)
        return { fields = {}, changed = true }
    end,
}

ACTIONS.UpdateOIDCConfig = {
    params = ROLE_PARAMS,
    run = function(account, params)
        local old = account.role_oidc[params.Name]
        if not old then
            return not_found("The identity provider " .. params.Name)
        end
        local record = role_record(params)
        record.Status = old.Status
        account.role_oidc[params.Name] = record
        return { fields = {}, changed = true }
    end,
}

ACTIONS.DescribeOIDCConfig = {
    params = NAME_PARAMS,
    run = function(account, params)
        local config = account.role_oidc[params.Name]
        if not config then
            return not_found("The identity provider " .. params.Name)
        end

        local output = { ProviderType = _M.PROVIDER_TYPE_ROLE }
        for _, name in ipairs(ROLE_OUTPUT_ORDER) do
            if config[name] ~= nil then
                output[name] = config[name]
            end
        end
        output.ClientId = json.array({ table.unpack(config.ClientId) })
        return { fields = output, order = ROLE_OUTPUT_ORDER }
    end,
}

ACTIONS.DeleteOIDCConfig = {
    params = NAME_PARAMS,
    run = function(account, params)
        if not account.role_oidc[params.Name] then
            return not_found("The identity provider " .. params.Name)
        end
        account.role_oidc[params.Name] = nil
        return { fields = {}, changed = true }
    end,
}


--- Report whether an action name is one of the eight emulated actions.
-- @tparam string name X-TC-Action value
-- @treturn boolean
function _M.exists(name)
    return ACTIONS[name] ~= nil
end


--- List the emulated action names, sorted.
-- @treturn {string,...}
function _M.names()
    local names = {}
    for name in pairs(ACTIONS) do
        names[#names + 1] = name
    end
    table.sort(names)
    return names
end


--- Check the parameters of a request and apply the action.
-- @tparam string name an action for which `exists` is true
-- @tparam table account the account's state from `cam.emulator.state`
-- @tparam table params decoded request body (a JSON object)
-- @treturn table `{fields=, order=, changed=}` or `{code=, message=}`
-- @raise when the action does not exist
function _M.run(name, account, params)
    local action = ACTIONS[name]
    if not action then
        error("unknown action: " .. tostring(name), 2)
    end

    local code, message = _M.check_params(params, action.params)
    if code then
        return { code = code, message = message }
    end

    return action.run(account, params)
end


return _M
