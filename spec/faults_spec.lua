-- The fault matrix: each fault the emulator can inject, against each kind
-- of action, with the outcome the client must reach and the requests it may
-- send on the way. Then every path again with a capturing logger, scanning
-- all output and every error for secret keys, tokens and signatures.

local cam = require("cam")
local credentials = require("cam.credentials")
local helpers = require("helpers")

local SECRET_KEY = helpers.DEMO_KEY
local TEMP_ID = "AKIDTemporaryCredential0000000009"
local TEMP_KEY = "TemporarySecretKeyForFaults00009"
local TEMP_TOKEN = "TemporaryTokenForFaultsSpec00009"

-- A short timeout and short retry delays, so that the hang and retry cases
-- finish quickly.
local CLIENT_OPTIONS = { timeout = 1, retry_base_delay = 0.01, retry_max_delay = 0.05 }

local JWKS = {
    keys = { {
        kty = "RSA", kid = "k1", use = "sig", alg = "RS256", e = "AQAB",
        n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L"
            .. "6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4Q"
            .. "yQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOp"
            .. "bISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFC"
            .. "ur-kEgU8awapJzKnqDKgw",
    } },
}


local function user_config(description)
    return {
        identity_url = "https://sso.example.com/realms/acme",
        identity_key = assert(cam.identity_key(JWKS)),
        client_id = "tencent-cloud-cam",
        authorization_endpoint =
            "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
        mapping_field = "preferred_username",
        scope = { "openid", "email" },
        description = description or "first",
    }
end


local function role_config(description)
    return {
        name = "corp-idp",
        identity_url = "https://token.actions.githubusercontent.com",
        identity_key = assert(cam.identity_key(JWKS)),
        client_ids = { "sts.tencentcloudapi.com" },
        description = description or "first",
    }
end


local function count_actions(emu)
    local counts = {}
    for _, entry in ipairs(emu:requests()) do
        counts[entry.action] = (counts[entry.action] or 0) + 1
    end
    return counts
end


local function user_state(emu)
    local account = emu:state().accounts[helpers.DEMO_ID]
    return account and account.user_oidc
end


local function role_state(emu, name)
    local account = emu:state().accounts[helpers.DEMO_ID]
    return account and account.role_oidc and account.role_oidc[name]
end


-- Each case: the faults to queue, what to set up first (without faults),
-- the call, the outcome (`"ok"`, `"created"`, `"deleted"` or an error
-- code), the requests per action the emulator must have seen, and a check
-- of the final state.
local MATRIX = {
    {
        name = "throttling on a describe",
        faults = { { fault = "throttle", count = 2 } },
        run = function(c) return c:describe_oidc() end,
        outcome = "ok",
        requests = { DescribeUserOIDCConfig = 3 },
    },
    {
        name = "throttling on a create",
        faults = { { fault = "throttle", count = 2 } },
        run = function(c) return c:create_oidc(user_config()) end,
        outcome = "ok",
        requests = { CreateUserOIDCConfig = 3 },
        state = function(emu) return user_state(emu).Description == "first" end,
    },
    {
        name = "HTTP 503 on an update",
        prepare = function(c) assert(c:create_oidc(user_config())) end,
        faults = { { fault = "status", status = 503, count = 1 } },
        run = function(c) return c:update_oidc(user_config("second")) end,
        outcome = "ok",
        requests = { UpdateUserOIDCConfig = 2 },
        state = function(emu) return user_state(emu).Description == "second" end,
    },
    {
        name = "HTTP 502 on a create",
        faults = { { fault = "status", status = 502, count = 1 } },
        run = function(c) return c:create_oidc(user_config()) end,
        outcome = "ok",
        requests = { CreateUserOIDCConfig = 2, DescribeUserOIDCConfig = 1 },
        state = function(emu) return user_state(emu).Status == 11 end,
    },
    {
        name = "HTTP 504 on a disable",
        prepare = function(c) assert(c:create_oidc(user_config())) end,
        faults = { { fault = "status", status = 504, count = 1 } },
        run = function(c) return c:disable_sso() end,
        outcome = "ok",
        requests = { DisableUserSSO = 2 },
        state = function(emu) return user_state(emu).Status == 2 end,
    },
    {
        name = "ServiceUnavailable on a role create",
        faults = { { fault = "error", code = "ServiceUnavailable", count = 1 } },
        run = function(c) return c:create_role_oidc(role_config()) end,
        outcome = "ok",
        requests = { CreateOIDCConfig = 2 },
        state = function(emu) return role_state(emu, "corp-idp") ~= nil end,
    },
    {
        name = "InternalError on an update",
        prepare = function(c) assert(c:create_oidc(user_config())) end,
        faults = { { fault = "error", code = "InternalError", count = 1 } },
        run = function(c) return c:update_oidc(user_config("second")) end,
        outcome = "InternalError",
        requests = { UpdateUserOIDCConfig = 1 },
        state = function(emu) return user_state(emu).Description == "first" end,
    },
    {
        name = "reset before apply on a describe",
        faults = { { fault = "reset_before", count = 1 } },
        run = function(c) return c:describe_oidc() end,
        outcome = "ok",
        requests = { DescribeUserOIDCConfig = 2 },
    },
    {
        name = "reset before apply on a create",
        faults = { { fault = "reset_before", count = 1 } },
        run = function(c) return c:create_oidc(user_config()) end,
        outcome = "ok",
        requests = { CreateUserOIDCConfig = 2, DescribeUserOIDCConfig = 1 },
        state = function(emu) return user_state(emu).Description == "first" end,
    },
    {
        name = "reset after apply on an update",
        prepare = function(c) assert(c:create_oidc(user_config())) end,
        faults = { { fault = "reset_after", count = 1 } },
        run = function(c) return c:update_oidc(user_config("second")) end,
        outcome = "ok",
        requests = { UpdateUserOIDCConfig = 2 },
        state = function(emu) return user_state(emu).Description == "second" end,
    },
    {
        name = "reset after apply on a create",
        faults = { { fault = "reset_after", count = 1 } },
        run = function(c) return c:create_oidc(user_config()) end,
        outcome = "created",
        requests = { CreateUserOIDCConfig = 1, DescribeUserOIDCConfig = 1 },
        state = function(emu) return user_state(emu).Description == "first" end,
    },
    {
        name = "reset after apply on a role create",
        faults = { { fault = "reset_after", count = 1 } },
        run = function(c) return c:create_role_oidc(role_config()) end,
        outcome = "created",
        requests = { CreateOIDCConfig = 1, DescribeOIDCConfig = 1 },
        state = function(emu) return role_state(emu, "corp-idp") ~= nil end,
    },
    {
        name = "reset after apply on a role delete",
        prepare = function(c) assert(c:create_role_oidc(role_config())) end,
        faults = { { fault = "reset_after", count = 1 } },
        run = function(c) return c:delete_role_oidc({ name = "corp-idp" }) end,
        outcome = "deleted",
        requests = { DeleteOIDCConfig = 2 },
        state = function(emu) return role_state(emu, "corp-idp") == nil end,
    },
    {
        name = "reset after apply when the describe fails too",
        faults = { { fault = "reset_after", action = "CreateUserOIDCConfig", count = 1 },
            { fault = "status", status = 500, action = "DescribeUserOIDCConfig",
                count = -1 } },
        run = function(c) return c:create_oidc(user_config()) end,
        outcome = "OutcomeUnknown",
        requests = { CreateUserOIDCConfig = 1, DescribeUserOIDCConfig = 1 },
        state = function(emu) return user_state(emu).Description == "first" end,
    },
    {
        name = "reset before apply beside a different provider",
        prepare = function(c) assert(c:create_role_oidc(role_config("other"))) end,
        faults = { { fault = "reset_before", action = "CreateOIDCConfig", count = 1 } },
        run = function(c) return c:create_role_oidc(role_config("mine")) end,
        outcome = "OutcomeUnknown",
        requests = { CreateOIDCConfig = 1, DescribeOIDCConfig = 1 },
        state = function(emu) return role_state(emu, "corp-idp").Description == "other" end,
    },
    {
        name = "timeout on a describe",
        faults = { { fault = "hang", count = 1 } },
        run = function(c) return c:describe_oidc() end,
        outcome = "ok",
        requests = { DescribeUserOIDCConfig = 2 },
    },
    {
        name = "timeout on a create",
        faults = { { fault = "hang", count = 1 } },
        run = function(c) return c:create_oidc(user_config()) end,
        outcome = "ok",
        requests = { CreateUserOIDCConfig = 2, DescribeUserOIDCConfig = 1 },
        state = function(emu) return user_state(emu).Description == "first" end,
    },
    {
        name = "slow answer within the timeout",
        faults = { { fault = "delay", delay_ms = 200, count = 1 } },
        run = function(c) return c:describe_oidc() end,
        outcome = "ok",
        requests = { DescribeUserOIDCConfig = 1 },
    },
    {
        name = "body that is not JSON on a describe",
        faults = { { fault = "non_json", count = 1 } },
        run = function(c) return c:describe_oidc() end,
        outcome = "InvalidResponse",
        requests = { DescribeUserOIDCConfig = 1 },
    },
    {
        name = "body that is not JSON on a create",
        faults = { { fault = "non_json", action = "CreateUserOIDCConfig", count = 1 } },
        run = function(c) return c:create_oidc(user_config()) end,
        outcome = "InvalidResponse",
        requests = { CreateUserOIDCConfig = 1, DescribeUserOIDCConfig = 1 },
        state = function(emu) return user_state(emu) == nil end,
    },
    {
        name = "redirect",
        faults = { { fault = "redirect", count = 1 } },
        run = function(c) return c:describe_oidc() end,
        outcome = "HttpStatusCodeError",
        requests = { DescribeUserOIDCConfig = 1 },
    },
    {
        name = "skewed clock on an update",
        prepare = function(c, emu)
            assert(c:create_oidc(user_config()))
            emu:set_clock(-3600)
        end,
        run = function(c) return c:update_oidc(user_config("second")) end,
        outcome = "ok",
        requests = { UpdateUserOIDCConfig = 2 },
        state = function(emu) return user_state(emu).Description == "second" end,
    },
}


local function check_outcome(case, res, err)
    if case.outcome == "ok" then
        assert.is_table(res, err and tostring(err))
        assert.is_nil(res.reconciled)
        assert.is_string(res.RequestId)
    elseif case.outcome == "created" or case.outcome == "deleted" then
        assert.is_table(res, err and tostring(err))
        assert.are.equal(case.outcome, res.reconciled)
        assert.is_string(res.RequestId)
    else
        assert.is_nil(res)
        assert.are.equal(case.outcome, err.code)
        if case.outcome == "OutcomeUnknown" then
            assert.are.equal("transport", err.kind)
            assert.is_true(err.request_sent)
        end
    end
end


describe("fault matrix", function()
    local emu

    setup(function()
        emu = helpers.start_emulator()
    end)

    teardown(function()
        emu:stop()
    end)

    before_each(function()
        emu:reset()
    end)

    local function client(extra)
        return helpers.new_client(emu, CLIENT_OPTIONS, extra)
    end

    for _, case in ipairs(MATRIX) do
        it(case.name, function()
            local c = client()
            if case.prepare then
                case.prepare(c, emu)
                emu:admin("DELETE", "/_emulator/requests")
            end
            for _, fault in ipairs(case.faults or {}) do
                emu:fault(fault)
            end

            local res, err = case.run(c)
            emu:clear_faults()
            emu:set_clock(0)

            check_outcome(case, res, err)
            local counts = count_actions(emu)
            for action, expected in pairs(case.requests) do
                assert.are.equal(expected, counts[action] or 0, action)
            end
            if case.state then
                assert.is_true(case.state(emu), "final state")
            end
        end)
    end

    it("expired token", function()
        emu:admin("POST", "/_emulator/metadata", { role = "cvm-role" })
        local c = helpers.new_cvm_role_client(emu, CLIENT_OPTIONS)
        assert(c:describe_oidc())
        emu:admin("POST", "/_emulator/tokens", { expire = true })
        assert(c:describe_oidc())
        local counts = count_actions(emu)
        assert.are.equal(3, counts.DescribeUserOIDCConfig)
        assert.are.equal(2, emu:admin("GET", "/_emulator/metadata").metadata.served)
    end)

    it("expired token that a refresh cannot cure", function()
        emu:add_credential(TEMP_ID, TEMP_KEY, TEMP_TOKEN)
        local _, err = client({ secret_id = TEMP_ID, secret_key = TEMP_KEY,
            token = "AnotherTokenValue000000009" }):describe_oidc()
        assert.are.equal("AuthFailure.TokenFailure", err.code)
        assert.are.equal(1, count_actions(emu).DescribeUserOIDCConfig)
    end)

    it("failing provider", function()
        emu:admin("POST", "/_emulator/metadata", { role = "cvm-role", failure = "code" })
        local c = helpers.new_cvm_role_client(emu, CLIENT_OPTIONS)
        local _, err = c:describe_oidc()
        assert.are.equal("credentials", err.kind)
        assert.are.equal("MetadataFailure", err.code)
        assert.are.equal(0, #emu:requests())
    end)

    it("refused connection", function()
        local c = client({ endpoint = "http://127.0.0.1:" .. helpers.free_port(),
            max_attempts = 3 })
        local _, err = c:create_oidc(user_config())
        assert.are.equal("CURLE_COULDNT_CONNECT", err.code)
        assert.are.equal(3, err.attempts)
    end)
end)


describe("secrets under faults", function()
    local emu

    setup(function()
        emu = helpers.start_emulator({ accounts = {
            { id = helpers.DEMO_ID, key = SECRET_KEY },
            { id = TEMP_ID, key = TEMP_KEY, token = TEMP_TOKEN },
        } })
    end)

    teardown(function()
        emu:stop()
    end)

    it("never appear in logs or errors", function()
        local lines, texts = {}, {}
        local secrets = { SECRET_KEY, TEMP_KEY, TEMP_TOKEN }

        local logger = helpers.capture_log_lines(lines)

        local function collect(res, err)
            if err then
                texts[#texts + 1] = tostring(err)
                texts[#texts + 1] = tostring(err.message)
                if err.cause then
                    texts[#texts + 1] = tostring(err.cause)
                end
            end
            return res, err
        end

        -- A provider that notes every temporary credential it hands out.
        local function recording(provider)
            return {
                name = provider.name,
                fetch = function()
                    local creds, err = provider:fetch()
                    if creds then
                        secrets[#secrets + 1] = creds.secret_key
                        secrets[#secrets + 1] = creds.token
                    end
                    return creds, err
                end,
            }
        end

        local function client(extra)
            return helpers.new_client(emu, CLIENT_OPTIONS, { logger = logger }, extra)
        end

        for _, case in ipairs(MATRIX) do
            emu:reset()
            local c = client()
            if case.prepare then
                case.prepare(c, emu)
            end
            for _, fault in ipairs(case.faults or {}) do
                emu:fault(fault)
            end
            collect(case.run(c))
            emu:clear_faults()
            emu:set_clock(0)
        end

        -- Temporary credentials: a fixed one, then the metadata service's
        -- and STS's, through expiry and a failing refresh.
        emu:reset()
        local temp = client({ secret_id = TEMP_ID, secret_key = TEMP_KEY, token = TEMP_TOKEN })
        collect(temp:describe_oidc())
        emu:fault({ fault = "throttle", count = 1 })
        collect(temp:update_oidc(user_config()))

        emu:admin("POST", "/_emulator/metadata", { role = "cvm-role" })
        local cvm = client({ secret_id = helpers.REMOVE, secret_key = helpers.REMOVE,
            credentials = recording(credentials.cvm_role({ base_url = emu.url })) })
        collect(cvm:describe_oidc())
        emu:admin("POST", "/_emulator/tokens", { expire = true })
        collect(cvm:describe_oidc())
        emu:admin("POST", "/_emulator/metadata", { role = "cvm-role", failure = "code" })
        emu:admin("POST", "/_emulator/tokens", { expire = true })
        collect(cvm:describe_oidc())

        local sts = client({ secret_id = helpers.REMOVE, secret_key = helpers.REMOVE,
            credentials = recording(credentials.assume_role({
                role_arn = "qcs::cam::uin/100000000001:roleName/deployer",
                base_url = emu.url,
                source = credentials.static({ secret_id = TEMP_ID, secret_key = TEMP_KEY,
                    token = TEMP_TOKEN }) })) })
        collect(sts:describe_oidc())
        emu:fault({ fault = "error", code = "AuthFailure.SignatureFailure",
            action = "AssumeRole", count = 1 })
        emu:admin("POST", "/_emulator/tokens", { expire = true })
        collect(sts:describe_oidc())
        collect(cam.new({ endpoint = emu.url, secret_id = TEMP_ID,
            secret_key = TEMP_KEY .. " ", logger = logger }):describe_oidc())

        -- Every signature the emulator received.
        local signatures = {}
        for _, entry in ipairs(emu:requests()) do
            for _, h in ipairs(entry.headers) do
                if h.name == "Authorization" then
                    signatures[#signatures + 1] = h.value:match("Signature=(%x+)")
                end
            end
        end

        assert.is_true(#texts >= 10)
        assert.is_true(#lines >= 100)
        assert.is_true(#signatures >= 10)
        assert.is_true(#secrets >= 7)
        for _, text in ipairs(texts) do
            for _, secret in ipairs(secrets) do
                assert.is_nil(text:find(secret, 1, true), "secret in " .. text)
            end
            for _, signature in ipairs(signatures) do
                assert.is_nil(text:find(signature, 1, true), "signature in " .. text)
            end
        end
        for _, line in ipairs(lines) do
            for _, secret in ipairs(secrets) do
                assert.is_nil(line:find(secret, 1, true), "secret in " .. line)
            end
            for _, signature in ipairs(signatures) do
                assert.is_nil(line:find(signature, 1, true), "signature in " .. line)
            end
            assert.is_nil(line:find("Signature=", 1, true))
        end
    end)
end)


-- Assert that the secret is in no field of the error, its text or a log
-- line.
local function assert_secret_hidden(err, lines, secret)
    local texts = { tostring(err), tostring(err.code), tostring(err.message),
        tostring(err.request_id) }
    for _, line in ipairs(lines) do
        texts[#texts + 1] = line
    end
    for _, text in ipairs(texts) do
        assert.is_nil(text:find(secret, 1, true), "secret in " .. text)
    end
end


-- Sources of a role credential: name, secret id, secret key, token, and
-- the secret a test puts into an error code.
local SOURCE_CASES = {
    { "the source's secret key", helpers.DEMO_ID, SECRET_KEY, nil, SECRET_KEY },
    { "a temporary source's key", TEMP_ID, TEMP_KEY, TEMP_TOKEN, TEMP_KEY },
    { "a temporary source's token", TEMP_ID, TEMP_KEY, TEMP_TOKEN, TEMP_TOKEN },
}


describe("secrets in STS error codes", function()
    local emu
    local ROLE_ARN = "qcs::cam::uin/100000000001:roleName/deployer"
    local WEB_TOKEN = "WebIdentityTokenForFaults00009"

    setup(function()
        emu = helpers.start_emulator()
    end)

    teardown(function()
        emu:stop()
    end)

    before_each(function()
        emu:reset()
        emu:add_credential(TEMP_ID, TEMP_KEY, TEMP_TOKEN)
    end)

    for _, case in ipairs(SOURCE_CASES) do
        local name, id, key, token, secret = case[1], case[2], case[3], case[4], case[5]

        it("masks " .. name .. " in AssumeRole", function()
            emu:fault({ fault = "error", action = "AssumeRole", code = secret })
            local lines = {}
            local c = cam.new({ endpoint = emu.url, sts_url = emu.url, secret_id = id,
                secret_key = key, token = token, max_attempts = 1, role_arn = ROLE_ARN,
                logger = helpers.capture_log_lines(lines) })
            local res, err = c:describe_oidc()
            assert.is_nil(res)
            assert.are.equal("credentials", err.kind)
            assert.are.equal("***", err.code)
            assert.is_string(err.request_id)
            assert.truthy(err.message:find("STS AssumeRole failed: ***", 1, true), err.message)
            assert.is_true(#lines >= 1)
            assert_secret_hidden(err, lines, secret)
        end)
    end

    it("masks the web identity token in AssumeRoleWithWebIdentity", function()
        local system_file = io.open("/etc/tencentcloud/credentials")
        if system_file ~= nil then
            system_file:close()
            return pending("this machine has /etc/tencentcloud/credentials")
        end
        local token_file = helpers.tmpdir() .. "/token"
        local file = assert(io.open(token_file, "w"))
        file:write(WEB_TOKEN, "\n")
        file:close()
        emu:fault({ fault = "error", action = "AssumeRoleWithWebIdentity", code = WEB_TOKEN })

        local lines = {}
        local env = {
            HOME = helpers.tmpdir(),
            TKE_REGION = "ap-shanghai",
            TKE_PROVIDER_ID = "cls-provider",
            TKE_WEB_IDENTITY_TOKEN_FILE = token_file,
            TKE_ROLE_ARN = ROLE_ARN,
            TENCENTCLOUD_STS_ENDPOINT = emu.url,
        }
        local _, err = helpers.with_env(env, function()
            return cam.new({ endpoint = emu.url, max_attempts = 1,
                logger = helpers.capture_log_lines(lines) }):describe_oidc()
        end)
        assert.are.equal("credentials", err.kind)
        assert.are.equal("***", err.code)
        local skipped
        for _, line in ipairs(lines) do
            if line:find("credential provider skipped", 1, true)
                and line:find("TKE OIDC", 1, true) then
                skipped = line
            end
        end
        assert.truthy(skipped, table.concat(lines, "\n"))
        assert_secret_hidden(err, lines, WEB_TOKEN)
    end)
end)


describe("secrets of the credential chain in CAM error codes", function()
    local emu
    local ROLE_ARN = "qcs::cam::uin/100000000001:roleName/deployer"
    local WEB_TOKEN = "WebIdentityTokenForCamErrors0009"

    setup(function()
        emu = helpers.start_emulator()
    end)

    teardown(function()
        emu:stop()
    end)

    before_each(function()
        emu:reset()
        emu:add_credential(TEMP_ID, TEMP_KEY, TEMP_TOKEN)
    end)

    for _, case in ipairs(SOURCE_CASES) do
        local name, id, key, token, secret = case[1], case[2], case[3], case[4], case[5]

        it("masks " .. name .. " after AssumeRole", function()
            emu:fault({ fault = "error", action = "DescribeUserOIDCConfig", code = secret })
            local lines = {}
            local c = cam.new({ endpoint = emu.url, sts_url = emu.url, secret_id = id,
                secret_key = key, token = token, max_attempts = 1, role_arn = ROLE_ARN,
                logger = helpers.capture_log_lines(lines) })
            local res, err = c:describe_oidc()
            assert.is_nil(res)
            assert.are.equal("api", err.kind)
            assert.are.equal("***", err.code)
            local assumed = {}
            for _, request in ipairs(emu:requests()) do
                if request.action == "AssumeRole" then
                    assumed[#assumed + 1] = request.outcome
                end
            end
            assert.are.same({ "Success" }, assumed)
            assert.is_true(#lines >= 1)
            assert_secret_hidden(err, lines, secret)
        end)
    end

    local function tke_provider()
        local token_file = helpers.tmpdir() .. "/token"
        local file = assert(io.open(token_file, "w"))
        file:write(WEB_TOKEN, "\n")
        file:close()
        return credentials.tke_oidc({ region = "ap-shanghai",
            provider_id = "cls-provider", token_file = token_file,
            role_arn = ROLE_ARN, base_url = emu.url })
    end

    it("masks the web identity token", function()
        emu:fault({ fault = "error", action = "DescribeUserOIDCConfig", code = WEB_TOKEN })
        local lines = {}
        local c = cam.new({ endpoint = emu.url, credentials = tke_provider(),
            max_attempts = 1, logger = helpers.capture_log_lines(lines) })
        local _, err = c:describe_oidc()
        assert.are.equal("api", err.kind)
        assert.are.equal("***", err.code)
        assert_secret_hidden(err, lines, WEB_TOKEN)
    end)

    it("masks the web identity token under a role", function()
        emu:fault({ fault = "error", action = "DescribeUserOIDCConfig", code = WEB_TOKEN })
        local lines = {}
        local c = cam.new({ endpoint = emu.url, sts_url = emu.url, role_arn = ROLE_ARN,
            credentials = tke_provider(), max_attempts = 1,
            logger = helpers.capture_log_lines(lines) })
        local _, err = c:describe_oidc()
        assert.are.equal("api", err.kind)
        assert.are.equal("***", err.code)
        assert_secret_hidden(err, lines, WEB_TOKEN)
    end)
end)
