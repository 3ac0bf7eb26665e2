-- The client end to end against the emulator on loopback: options, dry
-- runs, the OIDC actions over HTTP and HTTPS, error codes, transport faults
-- and the secrets that must never show.

local cam = require("cam")
local core = require("cam.core")
local helpers = require("helpers")

local SECRET_KEY = helpers.DEMO_KEY
local TOKEN = "TemporaryTokenValueForTests0001"

local function make_jwks()
    return {
        keys = {
            {
                kty = "RSA",
                kid = "key-1",
                use = "sig",
                alg = "RS256",
                n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
                e = "AQAB",
            },
        },
    }
end

local function oidc_params()
    return {
        identity_url = "https://sso.example.com/realms/acme",
        identity_key = assert(cam.identity_key(make_jwks())),
        client_id = "tencent-cloud-cam",
        authorization_endpoint = "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
        mapping_field = "preferred_username",
        scope = { "openid", "email" },
        description = "Keycloak realm acme 测试 🙂",
    }
end

describe("cam.new options", function()
    it("rejects an unknown option with a hint", function()
        local ok, err = pcall(cam.new, { endpiont = "https://x.example" })
        assert.is_false(ok)
        assert.truthy(tostring(err):find("did you mean 'endpoint'", 1, true))
    end)

    it("rejects an option of the wrong type", function()
        local ok, err = pcall(cam.new, { timeout = "10" })
        assert.is_false(ok)
        assert.truthy(tostring(err):find("'timeout' must be a number", 1, true))
    end)

    it("rejects a zero timeout", function()
        assert.has_error(function() cam.new({ timeout = 0 }) end)
    end)

    it("rejects plain http to a remote host", function()
        local ok, err = pcall(cam.new, { endpoint = "http://cam.tencentcloudapi.com" })
        assert.is_false(ok)
        assert.truthy(tostring(err):find("loopback", 1, true))
    end)

    it("accepts plain http on loopback", function()
        assert.is_table(cam.new({ endpoint = "http://127.0.0.1:8080" }))
        assert.is_table(cam.new({ endpoint = "http://localhost:8080/" }))
        assert.is_table(cam.new({ endpoint = "http://[::1]:8080" }))
    end)

    for _, url in ipairs({ "cam.tencentcloudapi.com", "ftp://127.0.0.1",
            "https://cam.tencentcloudapi.com/path", "https://user@cam.tencentcloudapi.com",
            "https://cam.tencentcloudapi.com/?a=1", "https://:443", "https://h:port",
            "http://127.0.0.1:99999", "https://a..b", "https://-", "https://[zz]",
            "http://127.0.0.1:0", "https://x\r\n.example.com" }) do
        it("rejects endpoint " .. url, function()
            assert.has_error(function() cam.new({ endpoint = url }) end)
        end)
    end

    it("quotes control characters in endpoint errors", function()
        local ok, err = pcall(cam.new, { endpoint = "https://x\r\nInjected: 1" })
        assert.is_false(ok)
        assert.is_nil(tostring(err):find("\n", 1, true))
        assert.truthy(tostring(err):find("cam.new: option 'endpoint'", 1, true))
    end)

    it("rejects an unknown language", function()
        assert.has_error(function() cam.new({ language = "fr-FR" }) end)
    end)

    it("requires secret_id and secret_key together", function()
        assert.has_error(function() cam.new({ secret_id = "AKIDx" }) end)
    end)

    it("raises when params is not a table", function()
        local client = cam.new({ secret_id = "a", secret_key = "b", dry_run = true })
        assert.has_error(function() client:update_oidc("x") end)
        assert.has_error(function() cam.update_oidc(nil) end)
    end)
end)


describe("dry run", function()
    local client = cam.new({
        endpoint = "https://cam.intl.tencentcloudapi.com",
        secret_id = helpers.DEMO_ID,
        secret_key = SECRET_KEY,
        token = TOKEN,
        language = "en-US",
        dry_run = true,
    })

    it("returns the request that would go out", function()
        local request = assert(client:update_oidc(oidc_params()))
        assert.are.equal("POST", request.method)
        assert.are.equal("https://cam.intl.tencentcloudapi.com/", request.url)
        assert.are.equal("application/json", request.headers["Content-Type"])
        assert.are.equal("cam.intl.tencentcloudapi.com", request.headers.Host)
        assert.are.equal("UpdateUserOIDCConfig", request.headers["X-TC-Action"])
        assert.are.equal("2019-01-16", request.headers["X-TC-Version"])
        assert.are.equal(TOKEN, request.headers["X-TC-Token"])
        assert.are.equal("en-US", request.headers["X-TC-Language"])
        assert.are.equal("lua-tencentcloud-cam/" .. cam.VERSION,
            request.headers["X-TC-RequestClient"])
        assert.truthy(request.headers["X-TC-Timestamp"]:find("^%d+$"))
    end)

    it("signs exactly the body it returns", function()
        local request = assert(client:update_oidc(oidc_params()))
        local expected = cam.sign({
            secret_id = helpers.DEMO_ID,
            secret_key = SECRET_KEY,
            service = "cam",
            host = "cam.intl.tencentcloudapi.com",
            timestamp = tonumber(request.headers["X-TC-Timestamp"]),
            body = request.body,
            content_type = "application/json",
        })
        assert.are.equal(expected, request.headers.Authorization)
    end)

    it("sends defaults and Scope as an array", function()
        local params = oidc_params()
        params.scope = {}
        local request = assert(client:update_oidc(params))
        assert.truthy(request.body:find('"Scope":["openid"]', 1, true))
        assert.truthy(request.body:find('"ResponseType":"id_token"', 1, true))
        assert.truthy(request.body:find('"ResponseMode":"form_post"', 1, true))
        assert.truthy(request.body:find('"MappingFiled":"preferred_username"', 1, true))
    end)

    it("keeps multi-byte text in the body", function()
        local request = assert(client:update_oidc(oidc_params()))
        assert.truthy(request.body:find("测试 🙂", 1, true))
    end)

    it("omits token and language headers when unset", function()
        local plain = cam.new({ endpoint = "https://cam.tencentcloudapi.com",
            secret_id = "AKIDx", secret_key = "k", dry_run = true })
        local request = assert(plain:describe_oidc())
        assert.is_nil(request.headers["X-TC-Token"])
        assert.is_nil(request.headers["X-TC-Language"])
        assert.are.equal(7, #request.header_lines)
    end)
end)


describe("validation before sending", function()
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

    it("reports every problem and sends nothing", function()
        local client = helpers.new_client(emu)
        local params = oidc_params()
        params.identity_url = "http://sso.example.com"
        params.client_id = "-bad"
        params.MappingField = "sub"
        local res, err = client:update_oidc(params)
        assert.is_nil(res)
        assert.are.equal("validation", err.kind)
        assert.is_true(#err.problems >= 3)
        local text = tostring(err)
        assert.truthy(text:find("IdentityUrl", 1, true))
        assert.truthy(text:find("ClientId", 1, true))
        assert.truthy(text:find("MappingFiled", 1, true))
        assert.are.equal(0, #emu:requests())
    end)

    it("rejects a call whose params cannot be encoded", function()
        local client = helpers.new_client(emu)
        local res, err = client:call("DescribeUserOIDCConfig", { Bad = "\xff" })
        assert.is_nil(res)
        assert.are.equal("validation", err.kind)
        assert.are.equal(0, #emu:requests())
    end)
end)


describe("cam.identity_key", function()
    it("encodes a table as base64 JSON", function()
        local key = assert(cam.identity_key(make_jwks()))
        local decoded = core.base64_decode(key)
        assert.truthy(decoded:find('"kty":"RSA"', 1, true))
    end)

    it("keeps a string's bytes verbatim", function()
        local text = '{\n  "keys": [ {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"} ]\n}\n'
        assert.are.equal(text, core.base64_decode(assert(cam.identity_key(text))))
    end)

    it("rejects a set with no keys", function()
        local key, err = cam.identity_key('{"keys": []}')
        assert.is_nil(key)
        assert.are.equal("validation", err.kind)
    end)

    it("rejects text that is not JSON", function()
        local key, err = cam.identity_key("-----BEGIN PUBLIC KEY-----")
        assert.is_nil(key)
        assert.are.equal("IdentityKey", err.problems[1].field)
    end)

    it("raises on a number", function()
        assert.has_error(function() cam.identity_key(42) end)
    end)
end)


local function run_oidc_flow(emu, extra)
    local client = helpers.new_client(emu, extra)

    local described = assert(client:describe_oidc())
    assert.are.equal(0, described.Status)
    assert.is_true(helpers.is_integer(described.Status))

    local res, err = client:update_oidc(oidc_params())
    assert.is_nil(res)
    assert.are.equal("api", err.kind)
    assert.are.equal("ResourceNotFound.IdentityNotExist", err.code)
    assert.truthy(err.request_id)

    assert.truthy(assert(client:create_oidc(oidc_params())).RequestId)
    local params = oidc_params()
    params.response_mode = "fragment"
    assert.truthy(assert(client:update_oidc(params)).RequestId)

    described = assert(client:describe_oidc())
    assert.are.equal(11, described.Status)
    assert.are.equal("fragment", described.ResponseMode)
    assert.are.equal(params.identity_key, described.IdentityKey)
    assert.are.same({ "openid", "email" }, described.Scope)
    assert.are.equal(params.description, described.Description)

    assert.truthy(assert(client:disable_sso()).RequestId)
    assert.are.equal(2, assert(client:describe_oidc()).Status)
    client:close()
end


describe("OIDC actions over HTTP", function()
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

    it("creates, updates, describes and disables", function()
        run_oidc_flow(emu)
    end)

    it("sends exactly the signed headers", function()
        local client = helpers.new_client(emu)
        assert(client:describe_oidc())
        local logged = emu:requests()[1]
        local counts = {}
        for _, header in ipairs(logged.headers) do
            local name = header.name:lower()
            counts[name] = (counts[name] or 0) + 1
        end
        assert.are.equal(1, counts["content-type"])
        assert.are.equal(1, counts["host"])
        assert.is_nil(counts["expect"])
        assert.is_nil(counts["accept"])
        assert.is_nil(counts["x-tc-token"])
        assert.are.equal(1, counts["x-tc-requestclient"])
    end)

    it("reuses the connection", function()
        local lines = {}
        local client = helpers.new_client(emu, { logger = helpers.capture_log_lines(lines) })
        assert(client:describe_oidc())
        assert(client:describe_oidc())
        local last = lines[#lines]
        assert.truthy(last:find("new_connections=0", 1, true))
    end)

    it("runs the role-SSO actions", function()
        local client = helpers.new_client(emu)
        local role = {
            name = "github-actions",
            identity_url = "https://token.actions.githubusercontent.com",
            identity_key = assert(cam.identity_key(make_jwks())),
            client_ids = { "sts.tencentcloudapi.com" },
        }
        assert(client:create_role_oidc(role))
        local _, err = client:create_role_oidc(role)
        assert.are.equal("InvalidParameter.IdentityNameInUse", err.code)
        role.description = "CI"
        assert(client:update_role_oidc(role))
        local described = assert(client:describe_role_oidc({ name = "github-actions" }))
        assert.are.equal("CI", described.Description)
        assert.are.same({ "sts.tencentcloudapi.com" }, described.ClientId)
        assert(client:delete_role_oidc({ name = "github-actions" }))
        _, err = client:describe_role_oidc({ name = "github-actions" })
        assert.are.equal("ResourceNotFound.IdentityNotExist", err.code)
    end)

    it("uses environment credentials in cam.update_oidc", function()
        local _, err = helpers.with_env({
            TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
            TENCENTCLOUD_SECRET_KEY = SECRET_KEY,
            TENCENTCLOUD_CAM_ENDPOINT = emu.url,
        }, function()
            return cam.update_oidc(oidc_params())
        end)
        assert.are.equal("ResourceNotFound.IdentityNotExist", err.code)
    end)

    it("makes a new default client when the environment changes", function()
        local env = {
            TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
            TENCENTCLOUD_SECRET_KEY = SECRET_KEY,
            TENCENTCLOUD_CAM_ENDPOINT = emu.url,
        }
        helpers.with_env(env, function() return cam.update_oidc(oidc_params()) end)
        env.TENCENTCLOUD_SECRET_KEY = "ChangedKey"
        local _, err = helpers.with_env(env, function()
            return cam.update_oidc(oidc_params())
        end)
        assert.are.equal("AuthFailure.SignatureFailure", err.code)
    end)

    it("reads the token from TENCENTCLOUD_TOKEN", function()
        local request = helpers.with_env({
            TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
            TENCENTCLOUD_SECRET_KEY = SECRET_KEY,
            TENCENTCLOUD_TOKEN = TOKEN,
            TENCENTCLOUD_CAM_ENDPOINT = emu.url,
        }, function()
            return assert(cam.new({ dry_run = true }):describe_oidc())
        end)
        assert.are.equal(TOKEN, request.headers["X-TC-Token"])
        assert.are.equal(emu.url .. "/", request.url)
    end)

    it("prefers TENCENTCLOUD_SESSION_TOKEN", function()
        local request = helpers.with_env({
            TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
            TENCENTCLOUD_SECRET_KEY = SECRET_KEY,
            TENCENTCLOUD_SESSION_TOKEN = "session",
            TENCENTCLOUD_TOKEN = TOKEN,
        }, function()
            return assert(cam.new({ dry_run = true, endpoint = emu.url }):describe_oidc())
        end)
        assert.are.equal("session", request.headers["X-TC-Token"])
    end)

    it("uses explicit options in cam.update_oidc", function()
        local _, err = cam.update_oidc(oidc_params(), { endpoint = emu.url,
            secret_id = helpers.DEMO_ID, secret_key = SECRET_KEY })
        assert.are.equal("ResourceNotFound.IdentityNotExist", err.code)
    end)

    it("reports missing credentials", function()
        local _, err = helpers.with_env({}, function()
            return cam.new({ endpoint = emu.url }):describe_oidc()
        end)
        assert.are.equal("credentials", err.kind)
        assert.truthy(err.message:find("TENCENTCLOUD_SECRET_ID", 1, true))
        assert.are.equal(0, #emu:requests())
    end)

    it("names the variable with stray whitespace", function()
        local _, err = helpers.with_env({
            TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
            TENCENTCLOUD_SECRET_KEY = SECRET_KEY .. "\n",
        }, function()
            return cam.new({ endpoint = emu.url }):describe_oidc()
        end)
        assert.are.equal("credentials", err.kind)
        assert.truthy(err.message:find("TENCENTCLOUD_SECRET_KEY", 1, true))
    end)

    it("closes with the to-be-closed syntax", function()
        if _VERSION ~= "Lua 5.4" then
            return pending("to-be-closed variables need Lua 5.4")
        end
        local closed = false
        local transport = {
            request = function() return nil, { code = "X", message = "x" } end,
            close = function() closed = true end,
        }
        -- Compiled at run time, so the file still loads on Lua 5.1.
        local block = assert(load([[
            local cam, opts = ...
            local client <close> = cam.new(opts)
        ]]))
        block(cam, { endpoint = emu.url, transport = transport,
            secret_id = helpers.DEMO_ID, secret_key = SECRET_KEY })
        assert.is_true(closed)
    end)

    it("rejects a secret key with a trailing newline", function()
        local client = helpers.new_client(emu, { secret_key = SECRET_KEY .. "\n" })
        local _, err = client:describe_oidc()
        assert.are.equal("credentials", err.kind)
        assert.truthy(err.message:find("secret_key", 1, true))
        assert.is_nil(tostring(err):find(SECRET_KEY, 1, true))
    end)
end)


describe("API errors", function()
    local emu

    setup(function()
        emu = helpers.start_emulator({
            accounts = {
                { id = helpers.DEMO_ID, key = SECRET_KEY },
                { id = "AKIDTemporaryCredential0000000001", key = "TemporarySecret0001",
                    token = TOKEN },
            },
        })
    end)

    teardown(function()
        emu:stop()
    end)

    before_each(function()
        emu:reset()
    end)

    -- One attempt and no client rate limit, so each code reaches the test.
    local function client(extra)
        return helpers.new_client(emu, { max_attempts = 1, rate_limit = false }, extra)
    end

    local function expect_code(code, res, err)
        assert.is_nil(res)
        assert.are.equal("api", err.kind)
        assert.are.equal(code, err.code)
        assert.truthy(err.request_id:find("^%x+%-%x+%-4%x+%-%x+%-%x+$"))
        assert.are.equal("string", type(err.message))
        assert.truthy(tostring(err):find(code, 1, true))
    end

    it("passes AuthFailure.SignatureFailure", function()
        expect_code("AuthFailure.SignatureFailure",
            client({ secret_key = "WrongKey" }):describe_oidc())
    end)

    it("passes AuthFailure.SecretIdNotFound", function()
        expect_code("AuthFailure.SecretIdNotFound",
            client({ secret_id = "AKIDUnknown" }):describe_oidc())
    end)

    it("passes AuthFailure.TokenFailure", function()
        expect_code("AuthFailure.TokenFailure", client({ token = "x" }):describe_oidc())
    end)

    it("accepts a temporary credential with its token", function()
        assert(client({ secret_id = "AKIDTemporaryCredential0000000001",
            secret_key = "TemporarySecret0001", token = TOKEN }):describe_oidc())
    end)

    it("passes AuthFailure.SignatureExpire", function()
        emu:admin("POST", "/_emulator/clock", { offset = 3600 })
        expect_code("AuthFailure.SignatureExpire", client():describe_oidc())
    end)

    it("passes InvalidAction", function()
        expect_code("InvalidAction", client():call("DescribeEverything", {}))
    end)

    it("passes MissingParameter", function()
        expect_code("MissingParameter", client():call("UpdateUserOIDCConfig", {}))
    end)

    it("passes UnknownParameter", function()
        expect_code("UnknownParameter",
            client():call("DescribeUserOIDCConfig", { Extra = 1 }))
    end)

    it("passes InvalidParameterValue.IdentityUrlError", function()
        local params = oidc_params()
        local wire = {
            IdentityUrl = "http://sso.example.com", IdentityKey = params.identity_key,
            ClientId = "c", AuthorizationEndpoint = params.authorization_endpoint,
            ResponseType = "id_token", ResponseMode = "form_post", MappingFiled = "sub",
        }
        expect_code("InvalidParameterValue.IdentityUrlError",
            client():call("CreateUserOIDCConfig", wire))
    end)

    it("passes InvalidParameterValue.IdentityKeyError", function()
        local params = oidc_params()
        local wire = {
            IdentityUrl = params.identity_url, IdentityKey = "bm90IGEgandrcw==",
            ClientId = "c", AuthorizationEndpoint = params.authorization_endpoint,
            ResponseType = "id_token", ResponseMode = "form_post", MappingFiled = "sub",
        }
        expect_code("InvalidParameterValue.IdentityKeyError",
            client():call("CreateUserOIDCConfig", wire))
    end)

    it("passes LimitExceeded.IdentityFull", function()
        local c = client()
        assert(c:create_oidc(oidc_params()))
        expect_code("LimitExceeded.IdentityFull", c:create_oidc(oidc_params()))
    end)

    it("passes RequestLimitExceeded", function()
        emu:fault({ fault = "throttle" })
        expect_code("RequestLimitExceeded", client():describe_oidc())
    end)

    it("passes the emulator's own rate limit", function()
        local c = client()
        local last_err
        for _ = 1, 25 do
            local _, err = c:describe_oidc()
            last_err = err or last_err
        end
        assert.is_table(last_err)
        assert.are.equal("RequestLimitExceeded", last_err.code)
    end)

    -- A transport that rewrites one header before libcurl sends the request,
    -- for the codes the client itself never provokes.
    local function tampering(name, value)
        local curl = require("cam.transport.curl").new()
        return {
            request = function(_, req)
                local headers = {}
                for _, header in ipairs(req.headers) do
                    if header[1] ~= name then
                        headers[#headers + 1] = header
                    elseif value ~= nil then
                        headers[#headers + 1] = { name, value }
                    end
                end
                req.headers = headers
                return curl:request(req)
            end,
            close = function() curl:close() end,
        }
    end

    it("passes NoSuchVersion", function()
        expect_code("NoSuchVersion", client({
            transport = tampering("X-TC-Version", "2017-03-12") }):describe_oidc())
    end)

    it("passes AuthFailure.InvalidAuthorization", function()
        expect_code("AuthFailure.InvalidAuthorization", client({
            transport = tampering("Authorization", "Bearer x") }):describe_oidc())
    end)

    it("passes MissingParameter for a missing timestamp", function()
        expect_code("MissingParameter", client({
            transport = tampering("X-TC-Timestamp", nil) }):describe_oidc())
    end)

    it("passes MissingParameter for a missing action", function()
        expect_code("MissingParameter", client({
            transport = tampering("X-TC-Action", nil) }):describe_oidc())
    end)

    it("passes AuthFailure.SignatureFailure for a changed header", function()
        local res, err = client({
            transport = tampering("Content-Type", "application/json; charset=utf-8") }):describe_oidc()
        expect_code("AuthFailure.SignatureFailure", res, err)
    end)

    it("passes InvalidParameterValue.NameError", function()
        expect_code("InvalidParameterValue.NameError",
            client():call("DescribeOIDCConfig", { Name = "bad name!" }))
    end)
end)


describe("HTTPS", function()
    local emu, pki, other

    setup(function()
        local dir = helpers.tmpdir()
        pki = helpers.make_ca(dir)
        other = helpers.make_ca(helpers.tmpdir())
        emu = helpers.start_emulator({ tls = { cert = pki.cert, key = pki.key } })
    end)

    teardown(function()
        emu:stop()
    end)

    before_each(function()
        emu:reset()
    end)

    it("runs the flow with the test CA", function()
        assert.truthy(emu.url:find("^https://"))
        run_oidc_flow(emu, { ca_file = pki.ca_file })
    end)

    it("fails with the wrong CA", function()
        local client = helpers.new_client(emu, { ca_file = other.ca_file })
        local res, err = client:describe_oidc()
        assert.is_nil(res)
        assert.are.equal("transport", err.kind)
        assert.are.equal("CURLE_PEER_FAILED_VERIFICATION", err.code)
        assert.are.equal(0, #emu:requests())
    end)

    it("fails without the test CA", function()
        local client = helpers.new_client(emu)
        local _, err = client:describe_oidc()
        assert.are.equal("transport", err.kind)
        assert.are.equal("CURLE_PEER_FAILED_VERIFICATION", err.code)
    end)

    it("fails with a missing CA file", function()
        local client = helpers.new_client(emu, { ca_file = "/nonexistent/ca.pem" })
        local _, err = client:describe_oidc()
        assert.are.equal("transport", err.kind)
        assert.is_string(err.message)
    end)

    it("fails for a host name the certificate lacks", function()
        local dir = helpers.tmpdir()
        local wrong = helpers.make_ca(dir, { names = { "other.example.com" } })
        local bad = helpers.start_emulator({ tls = { cert = wrong.cert, key = wrong.key } })
        local client = helpers.new_client(bad, { ca_file = wrong.ca_file })
        local _, err = client:describe_oidc()
        bad:stop()
        assert.are.equal("transport", err.kind)
        assert.are.equal("CURLE_PEER_FAILED_VERIFICATION", err.code)
    end)
end)


describe("transport faults", function()
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

    -- One attempt, so each fault reaches the test instead of a retry.
    local function client(extra)
        return helpers.new_client(emu, { timeout = 5, max_attempts = 1 }, extra)
    end

    it("reports a refused connection", function()
        local port = helpers.free_port()
        local c = cam.new({ endpoint = "http://127.0.0.1:" .. port,
            secret_id = helpers.DEMO_ID, secret_key = SECRET_KEY })
        local res, err = c:describe_oidc()
        assert.is_nil(res)
        assert.are.equal("transport", err.kind)
        assert.are.equal("CURLE_COULDNT_CONNECT", err.code)
        assert.is_false(err.request_sent)
    end)

    it("times out on a server that never answers", function()
        emu:fault({ fault = "hang" })
        local started = os.time()
        local _, err = client({ timeout = 1 }):describe_oidc()
        assert.are.equal("transport", err.kind)
        assert.are.equal("CURLE_OPERATION_TIMEDOUT", err.code)
        assert.is_true(os.time() - started <= 4)
    end)

    it("does not follow a redirect", function()
        local target = helpers.start_emulator()
        emu:fault({ fault = "redirect", location = target.url .. "/" })
        local res, err = client():describe_oidc()
        local target_requests = #target:requests()
        target:stop()
        assert.is_nil(res)
        assert.are.equal("http", err.kind)
        assert.are.equal(302, err.status)
        assert.truthy(err.message:find("not followed", 1, true))
        assert.are.equal(0, target_requests)
    end)

    it("caps the response body", function()
        emu:fault({ fault = "oversized", bytes = 2 * 1024 * 1024 })
        local _, err = client():describe_oidc()
        assert.are.equal("transport", err.kind)
        assert.are.equal("CURLE_FILESIZE_EXCEEDED", err.code)
    end)

    it("honours a larger response cap", function()
        emu:fault({ fault = "oversized", bytes = 2 * 1024 * 1024 })
        local res = client({ max_response_size = 4 * 1024 * 1024 }):describe_oidc()
        assert.is_table(res)
    end)

    it("reports a body that is not JSON", function()
        emu:fault({ fault = "non_json" })
        local _, err = client():describe_oidc()
        assert.are.equal("http", err.kind)
        assert.are.equal("InvalidResponse", err.code)
    end)

    it("reports an HTTP 503", function()
        emu:fault({ fault = "status", status = 503 })
        local _, err = client():describe_oidc()
        assert.are.equal("http", err.kind)
        assert.are.equal(503, err.status)
    end)

    it("reports a reset before the answer", function()
        emu:fault({ fault = "reset_before" })
        local _, err = client():describe_oidc()
        assert.are.equal("transport", err.kind)
        assert.is_true(err.request_sent)
    end)

    it("works again after a fault", function()
        local c = client()
        emu:fault({ fault = "reset_after" })
        assert.is_nil((c:describe_oidc()))
        assert.is_table(c:describe_oidc())
    end)
end)


describe("secrets", function()
    local emu

    setup(function()
        emu = helpers.start_emulator()
    end)

    teardown(function()
        emu:stop()
    end)

    it("never appear in errors or logs", function()
        local lines, texts = {}, {}
        local c = helpers.new_client(emu, { token = TOKEN, timeout = 1,
            logger = helpers.capture_log_lines(lines) })
        local signature = helpers.new_client(emu, { token = TOKEN, dry_run = true })
        local request = assert(signature:describe_oidc())
        local sig = request.headers.Authorization:match("Signature=(%x+)")

        local function collect(res, err)
            if err then
                texts[#texts + 1] = tostring(err)
                texts[#texts + 1] = err.message
            end
        end

        collect(c:describe_oidc())
        for _, fault in ipairs({ { fault = "throttle" }, { fault = "non_json" },
                { fault = "status", status = 500 }, { fault = "reset_before" },
                { fault = "hang" }, { fault = "oversized", bytes = 2 * 1024 * 1024 } }) do
            emu:fault(fault)
            collect(c:describe_oidc())
            emu:clear_faults()
        end
        local params = oidc_params()
        params.client_id = "-"
        collect(c:update_oidc(params))
        collect(helpers.new_client(emu, { secret_key = SECRET_KEY .. " ",
            logger = helpers.capture_log_lines(lines) }):describe_oidc())

        assert.is_true(#texts >= 8)
        assert.is_true(#lines >= 8)
        for _, text in ipairs(texts) do
            assert.is_nil(text:find(SECRET_KEY, 1, true))
            assert.is_nil(text:find(TOKEN, 1, true))
            assert.is_nil(text:find(sig, 1, true))
        end
        for _, line in ipairs(lines) do
            assert.is_nil(line:find(SECRET_KEY, 1, true))
            assert.is_nil(line:find(TOKEN, 1, true))
            assert.is_nil(line:find("Signature=", 1, true))
        end
    end)
end)


describe("hostile server", function()
    local pid, url
    local TOKEN_VALUE = "HostileTestTokenValue0001"

    setup(function()
        local dir = helpers.tmpdir()
        local port_file = dir .. "/port"
        local p = io.popen("sh -c 'echo $$; exec lua5.4 spec/support/hostile_server.lua "
            .. port_file .. " </dev/null >/dev/null 2>&1' &")
        pid = p:read("l")
        p:close()
        for _ = 1, 50 do
            local f = io.open(port_file)
            local port = f and f:read("l")
            if f then f:close() end
            if port then
                url = "http://127.0.0.1:" .. port
                break
            end
            require("socket").sleep(0.1)
        end
        assert(url, "the hostile server did not start")
    end)

    teardown(function()
        os.execute("kill " .. pid .. " 2>/dev/null")
    end)

    local function call(mode, lines)
        local c = cam.new({ endpoint = url, secret_id = helpers.DEMO_ID,
            secret_key = SECRET_KEY, token = TOKEN_VALUE, timeout = 5,
            logger = lines and helpers.capture_log_lines(lines) })
        return c:call(mode, {})
    end

    it("scrubs an echoed token from code and request id", function()
        local lines = {}
        local res, err = call("EchoToken", lines)
        assert.is_nil(res)
        assert.is_nil(tostring(err):find(TOKEN_VALUE, 1, true))
        assert.is_nil(err.code:find(TOKEN_VALUE, 1, true))
        assert.is_nil(err.request_id:find(TOKEN_VALUE, 1, true))
        for _, line in ipairs(lines) do
            assert.is_nil(line:find(TOKEN_VALUE, 1, true))
        end
    end)

    it("scrubs an echoed signature from an API message", function()
        local _, err = call("EchoAuthorization")
        assert.truthy(err.message:find("Signature=***", 1, true))
        assert.is_nil(err.message:find("Signature=%x%x%x%x"))
    end)

    it("scrubs an echoed signature from an HTTP page", function()
        local _, err = call("EchoPage")
        assert.are.equal("http", err.kind)
        assert.are.equal(400, err.status)
        assert.is_nil(err.message:find("Signature=%x%x%x%x"))
    end)

    for _, mode in ipairs({ "EmptyResponse", "StringError", "ArrayResponse" }) do
        it("rejects a malformed envelope: " .. mode, function()
            local res, err = call(mode)
            assert.is_nil(res)
            assert.are.equal("http", err.kind)
            assert.are.equal("InvalidResponse", err.code)
        end)
    end

    it("turns control characters into spaces", function()
        local _, err = call("Ansi")
        local text = tostring(err)
        assert.is_nil(text:find("%c"))
        assert.is_nil(err.message:find("%c"))
        assert.is_nil(err.code:find("%c"))
    end)

    it("caps a long server message", function()
        local _, err = call("LongMessage")
        assert.is_true(#err.message <= 2003)
    end)
end)


describe("create on a reused connection", function()
    local emu

    setup(function()
        emu = helpers.start_emulator()
    end)

    teardown(function()
        emu:stop()
    end)

    it("is sent once when the connection dies after the write", function()
        local c = helpers.new_client(emu, { timeout = 5 })
        assert(c:describe_oidc())
        emu:fault({ fault = "reset_after", action = "CreateUserOIDCConfig" })
        local res = assert(c:create_oidc(oidc_params()))
        assert.are.equal("created", res.reconciled)
        local creates = 0
        for _, entry in ipairs(emu:requests()) do
            if entry.action == "CreateUserOIDCConfig" then
                creates = creates + 1
            end
        end
        assert.are.equal(1, creates)
    end)

    it("treats a sub-millisecond timeout as 1 ms", function()
        emu:fault({ fault = "hang" })
        local c = helpers.new_client(emu, { timeout = 0.0004, max_attempts = 1 })
        local _, err = c:describe_oidc()
        assert.are.equal("CURLE_OPERATION_TIMEDOUT", err.code)
        emu:clear_faults()
    end)

    it("asks for a colon on a dot call", function()
        local c = helpers.new_client(emu)
        local ok, err = pcall(c.update_oidc, oidc_params())
        assert.is_false(ok)
        assert.truthy(tostring(err):find("colon", 1, true))
    end)
end)


describe("cam.new credential options", function()
    local base = { endpoint = "http://127.0.0.1:9", secret_id = "AKIDx", secret_key = "k" }

    local function with(extra)
        return helpers.copy_with(base, extra)
    end

    it("rejects rate_limit = true", function()
        local ok, err = pcall(cam.new, with({ rate_limit = true }))
        assert.is_false(ok)
        assert.truthy(tostring(err):find("rate_limit", 1, true))
    end)

    it("rejects a fractional rate_burst", function()
        assert.has_error(function() cam.new(with({ rate_burst = 1.5 })) end)
    end)

    it("rejects profile beside secret_id", function()
        local ok, err = pcall(cam.new, with({ profile = "work" }))
        assert.is_false(ok)
        assert.truthy(tostring(err):find("exclude each other", 1, true))
    end)

    it("rejects a role_arn that is not an ARN", function()
        assert.has_error(function() cam.new(with({ role_arn = "garbage" })) end)
    end)

    it("says http for a bad metadata_url scheme", function()
        local ok, err = pcall(cam.new, with({ metadata_url = "ftp://127.0.0.1" }))
        assert.is_false(ok)
        assert.truthy(tostring(err):find("http://", 1, true))
    end)
end)


describe("server clock out of range", function()
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

    -- A libcurl transport that replaces each response's Date header.
    local function dating_transport(date)
        local curl = require("cam.transport.curl").new()
        return {
            request = function(_, req)
                local response, failure = curl:request(req)
                if response ~= nil then
                    response.headers.date = date
                end
                return response, failure
            end,
            close = function() curl:close() end,
        }
    end

    it("names a Date before 1970", function()
        emu:set_clock(-(os.time() + 100000))
        local entries = {}
        local c = helpers.new_client(emu, { logger = helpers.capture_logger(entries) })
        local ok, res, err = pcall(c.describe_oidc, c)
        assert.is_true(ok, res)
        assert.is_nil(res)
        assert.are.equal("AuthFailure.SignatureExpire", err.code)
        assert.truthy(err.message:find("Date header 'Tue, 30 Dec 1969 ", 1, true)
            or err.message:find("Date header 'Wed, 31 Dec 1969 ", 1, true), err.message)
        assert.truthy(err.message:find("is before 1970", 1, true), err.message)
        assert.truthy(err.message:find("Set the system clock", 1, true), err.message)
        assert.are.equal(0, c.clock_offset)
        assert.are.equal(1, #emu:requests())
    end)

    it("names a Date after year 9999", function()
        emu:set_clock(3600)
        local c = helpers.new_client(emu, {
            transport = dating_transport("Fri, 31 Dec 9999 23:59:60 GMT") })
        local ok, res, err = pcall(c.describe_oidc, c)
        assert.is_true(ok, res)
        assert.is_nil(res)
        assert.are.equal("AuthFailure.SignatureExpire", err.code)
        assert.truthy(err.message:find("Date header 'Fri, 31 Dec 9999 23:59:60 GMT' is after"
            .. " year 9999", 1, true), err.message)
        assert.are.equal(0, c.clock_offset)
    end)

    -- A libcurl transport whose responses carry, as the Date header, the
    -- text that `date_of` makes from the request's headers.
    local function echoing_date_transport(date_of)
        local curl = require("cam.transport.curl").new()
        return {
            request = function(_, req)
                local response, failure = curl:request(req)
                if response ~= nil then
                    local headers = {}
                    for _, h in ipairs(req.headers) do
                        headers[h[1]] = h[2]
                    end
                    response.headers.date = date_of(headers)
                end
                return response, failure
            end,
            close = function() curl:close() end,
        }
    end

    local ECHOED = {
        { "the token", function(headers) return headers["X-TC-Token"] end,
            function(headers) return headers["X-TC-Token"] end },
        { "the token after 80 bytes",
            function(headers) return ("x"):rep(80) .. headers["X-TC-Token"] end,
            function(headers) return headers["X-TC-Token"]:sub(1, 20) end },
        { "the signature", function(headers) return headers.Authorization:sub(-64) end,
            function(headers) return headers.Authorization:sub(-64) end },
    }
    for _, case in ipairs(ECHOED) do
        local name, date_of, secret_of = case[1], case[2], case[3]

        it("masks " .. name .. " echoed in Date", function()
            local id, key, token = "AKIDClockSkewEcho000000000000001",
                "ClockSkewEchoSecretKey0000000001", "ClockSkewEchoTokenValue000000001"
            emu:add_credential(id, key, token)
            emu:set_clock(3600)
            local secret
            local lines = {}
            local c = cam.new({ endpoint = emu.url, secret_id = id, secret_key = key,
                token = token, logger = helpers.capture_log_lines(lines),
                transport = echoing_date_transport(function(headers)
                    secret = secret_of(headers)
                    return date_of(headers)
                end) })
            local _, err = c:describe_oidc()
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find("Date header '", 1, true), err.message)
            assert.truthy(err.message:find("***", 1, true), err.message)
            assert.is_nil(err.message:find(secret, 1, true), err.message)
            assert.is_nil(tostring(err):find(secret, 1, true), tostring(err))
            local failed
            for _, line in ipairs(lines) do
                assert.is_nil(line:find(secret, 1, true), line)
                failed = failed or line:find("request failed", 1, true)
            end
            assert.truthy(failed, table.concat(lines, "\n"))
        end)
    end

    it("names an unparsable Date", function()
        emu:set_clock(3600)
        local c = helpers.new_client(emu, { transport = dating_transport("soon") })
        local _, err = c:describe_oidc()
        assert.are.equal("AuthFailure.SignatureExpire", err.code)
        assert.truthy(err.message:find("Date header 'soon' is not an HTTP date", 1, true),
            err.message)
        assert.are.equal(1, #emu:requests())
    end)

    it("recovers from an offset out of range", function()
        local c = helpers.new_client(emu)
        c.clock_offset = -os.time() - 1000
        local ok, res = pcall(c.describe_oidc, c)
        assert.is_true(ok, res)
        assert.are.equal(0, res.Status)
        assert.is_true(math.abs(c.clock_offset) <= 2)
        assert.are.same({ "AuthFailure.SignatureExpire", "Success" },
            { emu:requests()[1].outcome, emu:requests()[2].outcome })
    end)
end)


describe("secret id with a space", function()
    it("returns InvalidCredentials instead of raising", function()
        local c = cam.new({ endpoint = "http://127.0.0.1:9", secret_id = "AKID x/1",
            secret_key = "k12345678" })
        local ok, res, err = pcall(c.describe_oidc, c)
        assert.is_true(ok, res)
        assert.is_nil(res)
        assert.are.equal("credentials", err.kind)
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("option 'secret_id' contains a space at byte 5",
            1, true), err.message)
        assert.is_nil(err.message:find("k12345678", 1, true))
    end)

    it("returns InvalidCredentials from a dry run", function()
        local c = cam.new({ endpoint = "http://127.0.0.1:9", secret_id = "AKID,x",
            secret_key = "k12345678", dry_run = true })
        local ok, res, err = pcall(c.describe_oidc, c)
        assert.is_true(ok, res)
        assert.is_nil(res)
        assert.are.equal("InvalidCredentials", err.code)
    end)
end)


describe("error text from a server", function()
    local json = require("cam.json")
    local server

    -- "Gateway error, please retry later." in Chinese, UTF-8 and GBK.
    local PAGE_UTF8 = "网关错误，请稍后重试。"
    local PAGE_GBK = "\205\248\185\216\180\237\206\243\163\172\199\235\201\212\186\243"
        .. "\214\216\202\212\161\163"

    setup(function()
        server = helpers.start_static_server(502)
    end)

    teardown(function()
        server.stop()
    end)

    local function fail_with(body)
        local file = assert(io.open(server.body_file, "wb"))
        file:write(body)
        file:close()
        local client = helpers.new_client({ url = server.url }, { max_attempts = 1 })
        local response, err = client:describe_oidc()
        client:close()
        assert.is_nil(response)
        assert.are.equal("HttpStatusCodeError", err.code)
        return err
    end

    it("cuts a UTF-8 page on a character boundary", function()
        local err = fail_with(PAGE_UTF8:rep(20))
        assert.is_true((pcall(json.encode, err.message)), err.message)
        local excerpt = err.message:match("^unexpected HTTP status 502: (.*)%.%.%.$")
        assert.is_string(excerpt, err.message)
        assert.is_true(#excerpt <= 200)
        assert.are.equal(1, PAGE_UTF8:rep(20):find(excerpt, 1, true))
        assert.is_true(#excerpt > 200 - #"。")
    end)

    it("replaces the bytes of a GBK page", function()
        local err = fail_with(PAGE_GBK:rep(20))
        assert.is_true((pcall(json.encode, err.message)), err.message)
        assert.truthy(err.message:find("\u{FFFD}", 1, true))
        assert.is_true((pcall(json.encode, tostring(err))))
    end)

    it("replaces C1 and bidi controls in the excerpt", function()
        local err = fail_with("bad\u{9B}31m gateway\u{202E}\u{2028}")
        assert.are.equal("unexpected HTTP status 502: bad 31m gateway  ", err.message)
    end)
end)
