local cam = require("cam")
local core = require("cam.core")
local helpers = require("helpers")
local plan_module = require("cam.oidc.plan")

require("cam.oidc")

local KEY_A = '{"kty":"RSA","kid":"a","use":"sig","alg":"RS256","e":"AQAB","n":"xA"}'
local KEY_B = '{"kty":"EC","kid":"b","crv":"P-256","x":"eA","y":"eQ"}'
local KEY_C = '{"kty":"RSA","kid":"c","e":"AQAB","n":"zA"}'

local function key_set(...)
    return core.base64_encode('{"keys":[' .. table.concat({ ... }, ",") .. "]}")
end

local function desired(overrides)
    local d = {
        identity_url = "https://sso.example.com/realms/acme",
        identity_key = key_set(KEY_A, KEY_B),
        client_id = "cam-sso",
        authorization_endpoint =
            "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
        mapping_field = "preferred_username",
        scope = { "openid", "email" },
    }
    for name, value in pairs(overrides or {}) do
        d[name] = value ~= false and value or nil
    end
    return d
end

local function actions(requests)
    local list = {}
    for i, request in ipairs(requests) do
        list[i] = request.action
    end
    return list
end

local function fields(changes)
    local list = {}
    for i, change in ipairs(changes) do
        list[i] = change.field
    end
    return list
end

describe("plan and apply", function()
    local emu, client, racing_client

    setup(function()
        emu = helpers.start_emulator()
        client = cam.new({ endpoint = emu.url, secret_id = helpers.DEMO_ID,
            secret_key = helpers.DEMO_KEY })
    end)

    teardown(function()
        client:close()
        emu:stop()
    end)

    before_each(function()
        emu:reset()
    end)

    describe("user SSO", function()
        it("plans a create at Status 0", function()
            local plan = assert(client:plan_oidc(desired()))
            assert.are.equal("create", plan.action)
            assert.are.equal(0, plan.status)
            assert.are.same({ "IdentityUrl", "IdentityKey", "ClientId",
                "AuthorizationEndpoint", "ResponseType", "ResponseMode",
                "MappingFiled", "Scope" }, fields(plan.changes))
            assert.are.same({ "DescribeUserOIDCConfig" }, actions(emu:requests()))
        end)

        it("creates, then sends nothing the second time", function()
            local first = assert(client:apply_oidc(desired()))
            assert.are.equal("create", first.action)
            assert.are.equal("CreateUserOIDCConfig", first.api_action)
            assert.is_string(first.request_id)

            local second = assert(client:apply_oidc(desired()))
            assert.are.equal("none", second.action)
            assert.are.same({}, second.changes)
            assert.is_nil(second.request_id)
            assert.are.same({ "DescribeUserOIDCConfig", "CreateUserOIDCConfig",
                "DescribeUserOIDCConfig" }, actions(emu:requests()))
        end)

        it("compares Scope as a set", function()
            assert(client:apply_oidc(desired()))
            local plan = assert(client:plan_oidc(desired({ scope = { "email", "openid" } })))
            assert.are.equal("none", plan.action)
        end)

        it("lists Scope additions and removals", function()
            assert(client:apply_oidc(desired()))
            local plan = assert(client:plan_oidc(desired({ scope = { "openid", "profile" } })))
            assert.are.equal("update", plan.action)
            assert.are.equal(1, #plan.changes)
            assert.are.equal("Scope", plan.changes[1].field)
            assert.are.same({ "profile" }, plan.changes[1].added)
            assert.are.same({ "email" }, plan.changes[1].removed)
        end)

        it("compares an absent Scope with the default", function()
            assert(client:apply_oidc(desired({ scope = false })))
            local plan = assert(client:plan_oidc(desired({ scope = { "openid" } })))
            assert.are.equal("none", plan.action)
        end)

        it("compares the JWKS by content", function()
            assert(client:apply_oidc(desired()))
            local reordered_members = '{ "n": "xA", "e": "AQAB", "alg": "RS256",'
                .. ' "use": "sig", "kid": "a", "kty": "RSA" }'
            local same = core.base64_encode('{\n  "keys": [\n    ' .. KEY_B .. ",\n    "
                .. reordered_members .. "\n  ]\n}\n")
            local plan = assert(client:plan_oidc(desired({ identity_key = same })))
            assert.are.equal("none", plan.action)
        end)

        it("names added and removed keys", function()
            assert(client:apply_oidc(desired()))
            local plan = assert(client:plan_oidc(desired({
                identity_key = key_set(KEY_C, KEY_A) })))
            assert.are.equal("update", plan.action)
            assert.are.same({ "IdentityKey" }, fields(plan.changes))
            assert.are.same({ "kid c" }, plan.changes[1].added)
            assert.are.same({ "kid b" }, plan.changes[1].removed)
        end)

        it("sees a changed member of a key", function()
            assert(client:apply_oidc(desired()))
            local changed = KEY_A:gsub('"RS256"', '"PS256"')
            local plan = assert(client:plan_oidc(desired({
                identity_key = key_set(changed, KEY_B) })))
            assert.are.same({ "kid a" }, plan.changes[1].added)
            assert.are.same({ "kid a" }, plan.changes[1].removed)
        end)

        it("updates a changed field", function()
            assert(client:apply_oidc(desired()))
            emu:admin("DELETE", "/_emulator/requests")
            local result = assert(client:apply_oidc(desired({ client_id = "cam-sso-2" })))
            assert.are.equal("update", result.action)
            assert.are.equal("UpdateUserOIDCConfig", result.api_action)
            assert.are.same({ { field = "ClientId", from = "cam-sso", to = "cam-sso-2" } },
                result.changes)
            assert.are.same({ "DescribeUserOIDCConfig", "UpdateUserOIDCConfig" },
                actions(emu:requests()))
            assert.are.equal("cam-sso-2", client:describe_oidc().ClientId)
        end)

        it("treats an absent Description as empty", function()
            assert(client:apply_oidc(desired()))
            assert.are.equal("none", assert(client:plan_oidc(
                desired({ description = "" }))).action)
            local plan = assert(client:plan_oidc(desired({ description = "SSO" })))
            assert.are.same({ { field = "Description", from = "", to = "SSO" } },
                plan.changes)
        end)

        it("treats an absent AutoRotateKey as 0", function()
            assert(client:apply_oidc(desired()))
            assert.are.equal("none", assert(client:plan_oidc(
                desired({ auto_rotate_key = 0 }))).action)
            local plan = assert(client:plan_oidc(desired({ auto_rotate_key = 1 })))
            assert.are.same({ { field = "AutoRotateKey", from = 0, to = 1 } },
                plan.changes)
        end)

        it("re-enables a disabled configuration at Status 2", function()
            assert(client:apply_oidc(desired()))
            assert(client:disable_sso())
            local plan = assert(client:plan_oidc(desired()))
            assert.are.equal(2, plan.status)
            assert.are.equal("update", plan.action)
            assert.are.same({ "Status" }, fields(plan.changes))
            assert.are.equal(2, plan.changes[1].from)
            assert.are.equal(11, plan.changes[1].to)

            local result = assert(client:apply_oidc(desired()))
            assert.are.equal("update", result.action)
            assert.are.equal(11, client:describe_oidc().Status)
            assert.are.equal("none", assert(client:apply_oidc(desired())).action)
        end)

        it("lists field changes along with the re-enable", function()
            assert(client:apply_oidc(desired()))
            assert(client:disable_sso())
            local plan = assert(client:plan_oidc(desired({ mapping_field = "sub" })))
            assert.are.same({ "MappingFiled", "Status" }, fields(plan.changes))
        end)

        it("sends nothing for an invalid configuration", function()
            local plan, err = client:plan_oidc(desired({ client_id = "-bad" }))
            assert.is_nil(plan)
            assert.are.equal("validation", err.kind)
            assert.are.equal("ClientId", err.problems[1].field)
            assert.are.same({}, emu:requests())
        end)

        it("returns the body under dry_run without sending it", function()
            local result = assert(client:apply_oidc(desired(), { dry_run = true }))
            assert.are.equal("create", result.action)
            assert.is_true(result.dry_run)
            assert.are.equal("CreateUserOIDCConfig", result.api_action)
            assert.matches('"ClientId":"cam%-sso"', result.body)
            assert.are.same({ "DescribeUserOIDCConfig" }, actions(emu:requests()))
            assert.are.equal(0, client:describe_oidc().Status)
        end)

        it("passes on a describe error", function()
            local bad = cam.new({ endpoint = emu.url, secret_id = "AKIDUnknown",
                secret_key = "x" })
            local plan, err = bad:plan_oidc(desired())
            bad:close()
            assert.is_nil(plan)
            assert.are.equal("api", err.kind)
            assert.are.equal("AuthFailure.SecretIdNotFound", err.code)
        end)

        it("refuses a dry-run client", function()
            local dry = cam.new({ endpoint = emu.url, secret_id = helpers.DEMO_ID,
                secret_key = helpers.DEMO_KEY, dry_run = true })
            assert.has_error(function()
                dry:plan_oidc(desired())
            end)
        end)
    end)

    -- A client whose create first lets another client run `before`, as a
    -- concurrent cam-oidc run would between this client's describe and
    -- create.
    racing_client = function(create_method, before)
        local racer = cam.new({ endpoint = emu.url, secret_id = helpers.DEMO_ID,
            secret_key = helpers.DEMO_KEY })
        local create = racer[create_method]
        racer[create_method] = function(self, params)
            before(client)
            return create(self, params)
        end
        return racer
    end

    describe("concurrent apply", function()
        it("updates after a concurrent create that differs", function()
            local racer = racing_client("create_oidc", function(other)
                assert(other:create_oidc(desired({ client_id = "other-run" })))
            end)
            local result, err = racer:apply_oidc(desired())
            racer:close()
            assert.is_nil(err)
            assert.are.equal("update", result.action)
            assert.are.equal("UpdateUserOIDCConfig", result.api_action)
            assert.are.same({ "DescribeUserOIDCConfig", "CreateUserOIDCConfig",
                "CreateUserOIDCConfig", "DescribeUserOIDCConfig",
                "UpdateUserOIDCConfig" }, actions(emu:requests()))
            assert.are.equal("cam-sso", client:describe_oidc().ClientId)
        end)

        it("reports none after an equal concurrent create", function()
            local racer = racing_client("create_oidc", function(other)
                assert(other:create_oidc(desired()))
            end)
            local result, err = racer:apply_oidc(desired())
            racer:close()
            assert.is_nil(err)
            assert.are.equal("none", result.action)
            assert.is_nil(result.api_action)
        end)
    end)

    describe("role SSO", function()
        local function role(overrides)
            local d = {
                name = "corp-idp",
                identity_url = "https://sso.example.com/realms/acme",
                identity_key = key_set(KEY_A),
                client_id = { "app-1", "app-2" },
            }
            for name, value in pairs(overrides or {}) do
                d[name] = value
            end
            return d
        end

        it("creates a missing provider, then sends nothing", function()
            local plan = assert(client:plan_role_oidc(role()))
            assert.are.equal("create", plan.action)
            assert.are.equal("corp-idp", plan.name)

            local first = assert(client:apply_role_oidc(role()))
            assert.are.equal("create", first.action)
            assert.are.equal("CreateOIDCConfig", first.api_action)
            local second = assert(client:apply_role_oidc(role()))
            assert.are.equal("none", second.action)
            -- The plan, the first apply (describe and create), the second
            -- apply (describe only).
            assert.are.same({ "DescribeOIDCConfig", "DescribeOIDCConfig",
                "CreateOIDCConfig", "DescribeOIDCConfig" }, actions(emu:requests()))
        end)

        it("compares ClientId as a set", function()
            assert(client:apply_role_oidc(role()))
            local plan = assert(client:plan_role_oidc(role({
                client_id = { "app-2", "app-1" } })))
            assert.are.equal("none", plan.action)

            plan = assert(client:plan_role_oidc(role({ client_id = { "app-1", "app-3" } })))
            assert.are.equal("update", plan.action)
            assert.are.same({ "app-3" }, plan.changes[1].added)
            assert.are.same({ "app-2" }, plan.changes[1].removed)
        end)

        it("re-plans after a concurrent role create", function()
            local racer = racing_client("create_role_oidc", function(other)
                assert(other:create_role_oidc(role({ client_id = { "app-9" } })))
            end)
            local result = assert(racer:apply_role_oidc(role()))
            racer:close()
            assert.are.equal("update", result.action)
            assert.are.equal("UpdateOIDCConfig", result.api_action)
            assert.are.same({ "app-1", "app-2" },
                client:describe_role_oidc({ Name = "corp-idp" }).ClientId)

            emu:reset()
            racer = racing_client("create_role_oidc", function(other)
                assert(other:create_role_oidc(role()))
            end)
            result = assert(racer:apply_role_oidc(role()))
            racer:close()
            assert.are.equal("none", result.action)
            assert.is_nil(result.request_id)
        end)

        it("updates a changed key", function()
            assert(client:apply_role_oidc(role()))
            local result = assert(client:apply_role_oidc(role({
                identity_key = key_set(KEY_B) })))
            assert.are.equal("update", result.action)
            assert.are.equal("UpdateOIDCConfig", result.api_action)
            assert.are.equal(key_set(KEY_B),
                client:describe_role_oidc({ Name = "corp-idp" }).IdentityKey)
        end)
    end)
end)

describe("plan_oidc with a stand-in client", function()
    it("plans a create on IdentityNotExist", function()
        local fake = {
            send = function() end,
            describe_oidc = function()
                return nil, { kind = "api", code = "ResourceNotFound.IdentityNotExist" }
            end,
        }
        local plan = assert(plan_module.plan_oidc(fake, desired()))
        assert.are.equal("create", plan.action)
        assert.are.equal(0, plan.status)
    end)

    it("returns an error for an unexpected Status", function()
        local fake = {
            send = function() end,
            describe_oidc = function()
                return { Status = 5, RequestId = "r-1" }
            end,
        }
        local plan, err = plan_module.plan_oidc(fake, desired())
        assert.is_nil(plan)
        assert.are.equal("UnexpectedStatus", err.code)
        assert.are.equal("r-1", err.request_id)
    end)
end)
