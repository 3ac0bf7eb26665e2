--- Reconciling a create whose outcome is unknown.
--
-- After a `CreateUserOIDCConfig` or `CreateOIDCConfig` whose request was
-- written but whose response was lost, the client describes the
-- configuration and compares it with what it sent, instead of sending the
-- create blindly again.
-- @module cam.reconcile

local errors = require("cam.errors")
local json = require("cam.json")

local tostring = tostring
local type = type

local _M = {}

-- The fields a create sets, with the value the service stores when the
-- request leaves one out, and whether order is irrelevant.
local USER_FIELDS = {
    { "IdentityUrl" }, { "IdentityKey" }, { "ClientId" },
    { "AuthorizationEndpoint" }, { "ResponseType" }, { "ResponseMode" },
    { "MappingFiled" }, { "Scope", { "openid" }, set = true },
    { "Description", "" }, { "AutoRotateKey", 0 },
}

local ROLE_FIELDS = {
    { "Name" }, { "IdentityUrl" }, { "IdentityKey" }, { "ClientId", set = true },
    { "Description", "" }, { "AutoRotateKey", 0 },
}


local function same_set(a, b)
    if type(a) ~= "table" or type(b) ~= "table" or #a ~= #b then
        return false
    end

    local count = {}
    for i = 1, #a do
        count[a[i]] = (count[a[i]] or 0) + 1
    end
    for i = 1, #b do
        if not count[b[i]] or count[b[i]] == 0 then
            return false
        end
        count[b[i]] = count[b[i]] - 1
    end
    return true
end


-- Tell whether a described configuration contains every field that was sent.
local function matches(fields, sent, described)
    for i = 1, #fields do
        local field = fields[i]
        local name, default = field[1], field[2]
        local want = sent[name]

        if want == nil or (field.set and type(want) == "table" and #want == 0) then
            want = default
        end
        if field.set then
            if not same_set(want, described[name]) then
                return false
            end
        elseif want ~= described[name] then
            return false
        end
    end
    return true
end


-- Describe what a create would have made: returns "created" and the
-- describe response, "absent", or "unknown" and the reason.
local RECONCILERS = {}

RECONCILERS.CreateUserOIDCConfig = function(self, sent)
    local current, err = self:perform("DescribeUserOIDCConfig", "{}")

    if current == nil then
        return "unknown", "describing it failed: " .. tostring(err)
    end
    if current.Status == nil or current.Status == 0 then
        return "absent"
    end
    if matches(USER_FIELDS, sent, current) then
        return "created", current
    end
    return "unknown", "a configuration that differs from the one sent exists"
end

RECONCILERS.CreateOIDCConfig = function(self, sent)
    if type(sent.Name) ~= "string" then
        return "unknown", "the request has no Name to describe"
    end

    local current, err = self:perform("DescribeOIDCConfig",
        json.encode({ Name = sent.Name }))
    if current == nil then
        if err.kind == "api" and err.code == "ResourceNotFound.IdentityNotExist" then
            return "absent"
        end
        return "unknown", "describing it failed: " .. tostring(err)
    end
    if matches(ROLE_FIELDS, sent, current) then
        return "created", current
    end
    return "unknown", "a provider named " .. sent.Name .. " that differs from the"
        .. " one sent exists"
end

--- The describe step of each create action that can be reconciled, keyed
-- by action name.
_M.RECONCILERS = RECONCILERS


--- Find out whether an uncertain create was applied. Returns the result to
-- report, "absent" when the create may be sent again, or nil and the
-- OutcomeUnknown error. `client` is the client that sent the create.
function _M.reconcile(client, action, body, cause)
    local sent = json.decode(body)
    local outcome, detail

    if type(sent) ~= "table" then
        outcome, detail = "unknown", "the request body cannot be read back"
    else
        outcome, detail = RECONCILERS[action](client, sent)
    end
    client:log("info", "create reconciled", { action = action, outcome = outcome,
        cause = cause.code, request_id = cause.request_id })

    if outcome == "created" then
        return { RequestId = detail.RequestId, reconciled = "created" }
    elseif outcome == "absent" then
        return "absent"
    end
    return nil, errors.new({
        kind = "transport",
        action = action,
        code = "OutcomeUnknown",
        message = "the request may or may not have been applied after "
            .. tostring(cause.code) .. ", and " .. detail
            .. "; describe the configuration before sending it again",
        request_sent = true,
        cause = cause,
    })
end


return _M
