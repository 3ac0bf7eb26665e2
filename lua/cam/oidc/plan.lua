--- Plan and apply OIDC configurations: compare the desired configuration
-- with the one CAM describes, and send only what is needed.
--
-- `cam.oidc` installs these functions as client methods: `plan_oidc`,
-- `apply_oidc`, `plan_role_oidc` and `apply_role_oidc`.
--
-- Comparison rules: strings are compared byte for byte; Scope and the
-- role-SSO ClientId as sets; IdentityKey by content (both JWKS decoded,
-- keys compared as canonical JSON, so key order, member order and white
-- space do not count). An absent Description or AutoRotateKey counts as
-- `""` and 0, the values an update stores for them.
-- @module cam.oidc.plan

local errors = require("cam.errors")
local json = require("cam.json")
local jwks_util = require("cam.oidc.jwks")
local validate = require("cam.validate")

local error = error
local pairs = pairs
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

--- Code of the describe error that means "no such configuration".
local NOT_FOUND = "ResourceNotFound.IdentityNotExist"

-- Values of DescribeUserOIDCConfig's Status.
local STATUS_NONE, STATUS_DISABLED, STATUS_ENABLED = 0, 2, 11

local USER_FIELDS = {
    { name = "IdentityUrl", compare = "string" },
    { name = "IdentityKey", compare = "jwks" },
    { name = "ClientId", compare = "string" },
    { name = "AuthorizationEndpoint", compare = "string" },
    { name = "ResponseType", compare = "string" },
    { name = "ResponseMode", compare = "string" },
    { name = "MappingFiled", compare = "string" },
    { name = "Scope", compare = "set" },
    { name = "Description", compare = "string", default = "" },
    { name = "AutoRotateKey", compare = "number", default = 0 },
}

local ROLE_FIELDS = {
    { name = "IdentityUrl", compare = "string" },
    { name = "IdentityKey", compare = "jwks" },
    { name = "ClientId", compare = "set" },
    { name = "Description", compare = "string", default = "" },
    { name = "AutoRotateKey", compare = "number", default = 0 },
}


--- Items of list `a` that are not in list `b`, sorted.
local function difference(a, b)
    local in_b, seen, out = {}, {}, {}

    for i = 1, #b do
        in_b[b[i]] = true
    end
    for i = 1, #a do
        local item = a[i]
        if not in_b[item] and not seen[item] then
            seen[item] = true
            out[#out + 1] = tostring(item)
        end
    end
    sort(out)
    return out
end


local function as_list(value)
    if type(value) == "table" then
        return value
    end
    if value == nil then
        return {}
    end
    return { value }
end


--- Compare one field; return the change, or nil when equal.
local function compare_field(spec, current, desired)
    local from, to = current, desired
    if spec.default ~= nil then
        from = from == nil and spec.default or from
        to = to == nil and spec.default or to
    end

    if spec.compare == "set" then
        local added = difference(as_list(to), as_list(from))
        local removed = difference(as_list(from), as_list(to))
        if #added == 0 and #removed == 0 and from ~= nil then
            return nil
        end
        return { field = spec.name, from = from, to = to, added = added,
            removed = removed }
    end

    if spec.compare == "jwks" then
        if from == nil then
            return { field = spec.name, from = nil, to = to }
        end
        local equal, added, removed = jwks_util.compare(from, to)
        if equal then
            return nil
        end
        if equal == nil then
            -- NOTE: a service that returns IdentityKey redacted would
            -- make every plan replace the key.
            return { field = spec.name, from = from, to = to,
                note = "the current value cannot be compared (" .. added
                    .. "); it is replaced" }
        end
        return { field = spec.name, from = from, to = to, added = added,
            removed = removed }
    end

    if from == to then
        return nil
    end
    return { field = spec.name, from = from, to = to }
end


--- List the differences between the current and desired parameters.
local function compare_all(fields, current, desired)
    local changes = {}

    for i = 1, #fields do
        local spec = fields[i]
        local change = compare_field(spec, current and current[spec.name],
            desired[spec.name])
        if change ~= nil then
            changes[#changes + 1] = change
        end
    end
    return changes
end


--- Changes for a create: every desired field, from nothing.
local function creation_changes(fields, desired)
    local changes = {}

    for i = 1, #fields do
        local spec = fields[i]
        local value = desired[spec.name]
        if value ~= nil then
            local change = { field = spec.name, to = value }
            if spec.compare == "set" then
                change.added = difference(as_list(value), {})
                change.removed = {}
            end
            changes[#changes + 1] = change
        end
    end
    return changes
end


local function check_client(self, method)
    if type(self) ~= "table" or type(self.send) ~= "function" then
        error(method .. ": call it as a client method, client:" .. method
            .. "(desired)", 3)
    end
    if self.dry_run then
        error(method .. ": the client has dry_run set, so it cannot describe"
            .. " the current configuration; use a normal client and pass"
            .. " { dry_run = true } to the apply method", 3)
    end
end


local function check_desired(method, desired)
    if type(desired) ~= "table" then
        error(method .. ": desired must be a table, got " .. type(desired), 3)
    end
end


--- Plan the user SSO configuration.
-- Sends `DescribeUserOIDCConfig` and compares. Status 0 (not configured),
-- or the error `ResourceNotFound.IdentityNotExist`, plans a create; Status 2 (disabled) an update, which re-enables the
-- configuration; Status 11 (enabled) an update only when a field differs.
-- @tparam table desired parameters for `update_oidc`, wire or Lua names
-- @treturn[1] table the plan: `action` (`"create"`, `"update"` or
--   `"none"`), `changes` (list of `{ field, from, to }`, with `added` and
--   `removed` for sets and key sets), `status` (the described Status),
--   `params` (the checked parameters that apply sends) and `current`
--   (the describe result)
-- @treturn[2] nil
-- @treturn[2] table the error: validation of `desired`, or the describe
--   call's
-- @raise when called on a dry-run client or with a non-table
function _M.plan_oidc(self, desired)
    check_client(self, "plan_oidc")
    check_desired("plan_oidc", desired)

    local params, problems = validate.update_oidc(desired)
    if params == nil then
        return nil, errors.validation(problems, "UpdateUserOIDCConfig")
    end

    local current, err = self:describe_oidc()
    if current == nil and err.code == NOT_FOUND then
        -- Tencent documents this error for DescribeUserOIDCConfig too; it
        -- means the same as Status 0.
        current = { Status = STATUS_NONE }
    elseif current == nil then
        return nil, err
    end

    local plan = { kind = "user", status = current.Status, params = params,
        current = current }
    if current.Status == STATUS_NONE then
        plan.action = "create"
        plan.changes = creation_changes(USER_FIELDS, params)
    elseif current.Status == STATUS_DISABLED then
        plan.action = "update"
        plan.changes = compare_all(USER_FIELDS, current, params)
        -- NOTE: that an update re-enables a disabled configuration is what
        -- the emulator does; Tencent does not document it.
        plan.changes[#plan.changes + 1] = { field = "Status",
            from = STATUS_DISABLED, to = STATUS_ENABLED,
            note = "the configuration is disabled; the update enables it" }
    elseif current.Status == STATUS_ENABLED then
        plan.changes = compare_all(USER_FIELDS, current, params)
        plan.action = #plan.changes > 0 and "update" or "none"
    else
        return nil, errors.new({
            kind = "api",
            action = "DescribeUserOIDCConfig",
            code = "UnexpectedStatus",
            request_id = current.RequestId,
            message = "Status " .. tostring(current.Status) .. " is none of"
                .. " 0 (not configured), 2 (disabled) and 11 (enabled)",
        })
    end
    return plan
end


--- Plan a role-SSO provider, found by its Name.
-- A provider that `DescribeOIDCConfig` does not find is planned as a
-- create; otherwise an update when a field differs or its Status is 2.
-- @tparam table desired parameters for `update_role_oidc`, with `Name`
-- @treturn[1] table the plan, as for `plan_oidc`, with `name`
-- @treturn[2] nil
-- @treturn[2] table the error
-- @raise when called on a dry-run client or with a non-table
function _M.plan_role_oidc(self, desired)
    check_client(self, "plan_role_oidc")
    check_desired("plan_role_oidc", desired)

    local params, problems = validate.role_oidc(desired)
    if params == nil then
        return nil, errors.validation(problems, "UpdateOIDCConfig")
    end

    local plan = { kind = "role", name = params.Name, params = params }
    local current, err = self:describe_role_oidc({ Name = params.Name })
    if current == nil then
        if err.code ~= NOT_FOUND then
            return nil, err
        end
        plan.action = "create"
        plan.changes = creation_changes(ROLE_FIELDS, params)
        return plan
    end

    plan.current = current
    plan.status = current.Status
    plan.changes = compare_all(ROLE_FIELDS, current, params)
    if current.Status == STATUS_DISABLED then
        plan.changes[#plan.changes + 1] = { field = "Status",
            from = STATUS_DISABLED, to = STATUS_ENABLED,
            note = "the provider is disabled; the update enables it" }
    end
    plan.action = #plan.changes > 0 and "update" or "none"
    return plan
end


local ACTIONS = {
    user = { create = "CreateUserOIDCConfig", update = "UpdateUserOIDCConfig",
        create_method = "create_oidc", update_method = "update_oidc" },
    role = { create = "CreateOIDCConfig", update = "UpdateOIDCConfig",
        create_method = "create_role_oidc", update_method = "update_role_oidc" },
}


-- Codes of a create that failed because the configuration exists: another
-- run may have created it after this run's describe.
local ALREADY_EXISTS = {
    user = "LimitExceeded.IdentityFull",
    role = "InvalidParameter.IdentityNameInUse",
}


--- Carry out a plan: send the create or update it calls for.
local function carry_out(self, plan, opts)
    local result = { action = plan.action, changes = plan.changes, plan = plan }
    if plan.action == "none" then
        return result
    end

    local names = ACTIONS[plan.kind]
    result.api_action = names[plan.action]
    if opts.dry_run then
        result.dry_run = true
        result.body = json.encode(plan.params)
        return result
    end

    local method = plan.action == "create" and names.create_method
        or names.update_method
    local response, err = self[method](self, plan.params)
    if response == nil then
        return nil, err
    end
    result.request_id = response.RequestId
    return result
end


--- Apply a plan made by `make_plan`. When its create fails because the
-- configuration now exists, plan again once and carry that plan out: an
-- update when a field differs, nothing when all is equal.
local function apply_plan(self, make_plan, desired, opts)
    local plan, err = make_plan(self, desired)
    if plan == nil then
        return nil, err
    end

    local result, apply_err = carry_out(self, plan, opts)
    if result ~= nil or plan.action ~= "create"
        or apply_err.code ~= ALREADY_EXISTS[plan.kind] then
        return result, apply_err
    end

    local replanned, replan_err = make_plan(self, desired)
    if replanned == nil then
        return nil, replan_err
    end
    if replanned.action == "create" then
        -- The create was rejected, yet the configuration is still absent.
        return nil, apply_err
    end
    return carry_out(self, replanned, opts)
end


local function check_apply_options(method, opts)
    if opts == nil then
        return {}
    end
    if type(opts) ~= "table" then
        error(method .. ": opts must be a table, got " .. type(opts), 3)
    end
    for name in pairs(opts) do
        if name ~= "dry_run" then
            error(method .. ": unknown option '" .. tostring(name)
                .. "'; the only option is dry_run", 3)
        end
    end
    return opts
end


--- Make the user SSO configuration equal the desired one.
-- Creates it when none exists, updates it when a field differs or it is
-- disabled, and sends nothing when all is equal. Running it again after a
-- lost response is safe: it describes first. When another run creates the
-- configuration between the describe and the create, the create fails with
-- `LimitExceeded.IdentityFull` (`InvalidParameter.IdentityNameInUse` for a
-- role-SSO provider); it then describes once more and updates, or returns
-- action `"none"` when all is equal.
-- @tparam table desired parameters for `update_oidc`
-- @tparam[opt] table opts `dry_run` (plan, and return the action and body
--   that would be sent without sending them)
-- @treturn[1] table `action` (`"create"`, `"update"` or `"none"`),
--   `changes`, `request_id` (of the create or update; nil for `"none"`),
--   `api_action`, `plan`, and under dry_run `dry_run` and `body`
-- @treturn[2] nil
-- @treturn[2] table the error
-- @raise when called on a dry-run client or with a non-table
function _M.apply_oidc(self, desired, opts)
    opts = check_apply_options("apply_oidc", opts)
    check_client(self, "apply_oidc")
    check_desired("apply_oidc", desired)

    return apply_plan(self, _M.plan_oidc, desired, opts)
end


--- Make a role-SSO provider equal the desired one; see `apply_oidc`.
-- @tparam table desired parameters for `update_role_oidc`, with `Name`
-- @tparam[opt] table opts `dry_run`
-- @treturn[1] table as for `apply_oidc`
-- @treturn[2] nil
-- @treturn[2] table the error
function _M.apply_role_oidc(self, desired, opts)
    opts = check_apply_options("apply_role_oidc", opts)
    check_client(self, "apply_role_oidc")
    check_desired("apply_role_oidc", desired)

    return apply_plan(self, _M.plan_role_oidc, desired, opts)
end


--- Add the plan and apply methods to a client method table.
-- @tparam table methods `require("cam.client").methods`
function _M.install(methods)
    methods.plan_oidc = _M.plan_oidc
    methods.apply_oidc = _M.apply_oidc
    methods.plan_role_oidc = _M.plan_role_oidc
    methods.apply_role_oidc = _M.apply_role_oidc
end


return _M
