local core = require("cam.core")
local helpers = require("helpers")
local support = require("oidc.support")

local q = helpers.shell_quote

local function actions(requests)
    local list = {}
    for i, request in ipairs(requests) do
        list[i] = request.action
    end
    return list
end

describe("cam-oidc", function()
    local emu, tls, keys, provider, dir
    local env

    local function run(args, extra_env, stdin)
        local merged = {}
        for name, value in pairs(env) do
            merged[name] = value
        end
        for name, value in pairs(extra_env or {}) do
            merged[name] = value
        end
        return support.cli(args, merged, stdin)
    end

    local function cam(args, extra_env, stdin)
        local full = { "--endpoint", emu.url }
        for _, arg in ipairs(args) do
            full[#full + 1] = arg
        end
        return run(full, extra_env, stdin)
    end

    local function write_config(name, config)
        local path = dir .. "/" .. name
        support.write_file(path, helpers.json_encode(config))
        return path
    end

    setup(function()
        support.require_node_modules()
        dir = helpers.tmpdir()
        emu = helpers.start_emulator()
        tls = helpers.make_ca(helpers.tmpdir())
        keys = support.make_keys()
        provider = support.start_provider({ tls = tls,
            jwks_file = support.write_private_jwks(keys) })
        env = {
            TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
            TENCENTCLOUD_SECRET_KEY = helpers.DEMO_KEY,
            TENCENTCLOUD_CAM_ENDPOINT = false,
            TENCENTCLOUD_CREDENTIALS_FILE = false,
            NO_COLOR = false,
        }
    end)

    teardown(function()
        if provider then
            provider:stop()
        end
        emu:stop()
    end)

    before_each(function()
        emu:reset()
    end)

    describe("discover", function()
        it("prints the configuration from oidc-provider", function()
            local r = run({ "discover", provider.url, "--client-id", "cam-sso",
                "--idp-ca-file", tls.ca_file })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("IdentityUrl%s+\"" .. provider.url:gsub("%p", "%%%0") .. "\"",
                r.stdout)
            assert.matches("4 keys %(kid rsa%-rs256 RS256", r.stdout)
            assert.matches("warning: kid rsa%-enc is for encryption", r.stderr)
        end)

        it("prints JSON with --json", function()
            local r = run({ "discover", provider.url, "--client-id", "cam-sso",
                "--idp-ca-file", tls.ca_file, "--scope", "openid", "--scope", "email",
                "--mapping-field", "preferred_username", "--json" })
            assert.are.equal(0, r.status, r.stderr)
            local out = helpers.json_decode(r.stdout)
            assert.are.equal(provider.url, out.config.identity_url)
            assert.are.equal("preferred_username", out.config.mapping_field)
            assert.are.same({ "openid", "email" }, out.config.scope)
            assert.are.equal(1, #out.warnings)
            assert.are.equal(provider.url .. "/jwks", out.jwks_uri)
        end)

        it("builds the issuer with a preset", function()
            -- The GitLab preset's issuer is the base URL itself.
            local r = run({ "discover", "--preset", "gitlab", "--base-url", provider.url,
                "--client-id", "cam-sso", "--idp-ca-file", tls.ca_file, "--json" })
            assert.are.equal(0, r.status, r.stderr)
            assert.are.equal(provider.url, helpers.json_decode(r.stdout).config.identity_url)
        end)

        it("reports an issuer mismatch with status 1", function()
            local r = run({ "discover", provider.url .. "/", "--client-id", "cam-sso",
                "--idp-ca-file", tls.ca_file })
            assert.are.equal(1, r.status)
            assert.matches("issuer mismatch: configured " .. provider.url:gsub("%p", "%%%0")
                .. "/, discovered", r.stderr)
        end)

        it("needs an issuer or a preset", function()
            local r = run({ "discover", "--client-id", "cam-sso" })
            assert.are.equal(2, r.status)
            assert.matches("needs an issuer URL or %-%-preset", r.stderr)
        end)

        it("rejects an issuer and a preset together", function()
            local r = run({ "discover", provider.url, "--preset", "google",
                "--client-id", "cam-sso" })
            assert.are.equal(2, r.status)
        end)

        it("needs --client-id", function()
            local r = run({ "discover", provider.url })
            assert.are.equal(2, r.status)
            assert.matches("client%-id", r.stderr)
        end)
    end)

    describe("plan, apply, show and disable", function()
        local config_path

        setup(function()
            config_path = dir .. "/discovered.json"
            local r = run({ "discover", provider.url, "--client-id", "cam-sso",
                "--idp-ca-file", tls.ca_file, "--output", config_path })
            assert.are.equal(0, r.status, r.stderr)
        end)

        it("plans a create", function()
            local r = cam({ "plan", config_path })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("Plan: create the user SSO configuration %(Status 0, not"
                .. " configured%)", r.stdout)
            assert.matches("  %+ ClientId: \"cam%-sso\"", r.stdout)
            assert.are.same({ "DescribeUserOIDCConfig" }, actions(emu:requests()))
        end)

        it("exits 3 for changes with --detailed-exitcode", function()
            local r = cam({ "plan", config_path, "--detailed-exitcode" })
            assert.are.equal(3, r.status, r.stderr)
        end)

        it("prints the plan as JSON", function()
            local r = cam({ "--json", "plan", config_path })
            assert.are.equal(0, r.status, r.stderr)
            local out = helpers.json_decode(r.stdout)
            assert.are.equal("create", out.action)
            assert.are.equal(0, out.status)
            assert.are.equal("IdentityUrl", out.changes[1].field)
            assert.are.equal(provider.url, out.changes[1].to)
        end)

        it("applies, and a second apply sends nothing", function()
            local r = cam({ "apply", config_path })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("Sent CreateUserOIDCConfig %(RequestId [%x-]+%)%.", r.stdout)

            emu:admin("DELETE", "/_emulator/requests")
            r = cam({ "apply", config_path })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("No changes: the user SSO configuration matches %(Status 11,"
                .. " enabled%)%.", r.stdout)
            assert.matches("Nothing was sent%.", r.stdout)
            assert.are.same({ "DescribeUserOIDCConfig" }, actions(emu:requests()))

            r = cam({ "plan", config_path, "--detailed-exitcode" })
            assert.are.equal(0, r.status, r.stderr)
        end)

        it("shows the configuration", function()
            assert.are.equal(0, cam({ "apply", config_path }).status)
            local r = cam({ "show" })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("User SSO: enabled %(Status 11%)", r.stdout)

            r = cam({ "show", "--json" })
            local out = helpers.json_decode(r.stdout)
            assert.are.equal(11, out.Status)
            assert.are.equal(provider.url, out.IdentityUrl)
        end)

        it("escapes invisible characters in show", function()
            assert.are.equal(0, cam({ "apply", config_path }).status)
            local client = helpers.new_client(emu)
            local current = assert(client:describe_oidc())
            assert(client:update_oidc({
                IdentityUrl = current.IdentityUrl,
                IdentityKey = current.IdentityKey,
                ClientId = current.ClientId,
                AuthorizationEndpoint = current.AuthorizationEndpoint,
                ResponseType = current.ResponseType,
                ResponseMode = current.ResponseMode,
                MappingFiled = current.MappingFiled,
                Scope = current.Scope,
                Description = "left\u{202E}right\u{200B}\u{85}end\t\"q\"",
            }))

            local r = cam({ "show" })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches('"left\\u{202E}right\\u{200B}\\u{0085}end\\t\\"q\\""',
                r.stdout, 1, true)
            assert.is_nil(r.stdout:find("\u{202E}", 1, true))
            assert.is_nil(r.stdout:find("\u{200B}", 1, true))
            assert.is_nil(r.stdout:find("\t", 1, true))
        end)

        it("disables, and plan then re-enables", function()
            assert.are.equal(0, cam({ "apply", config_path }).status)
            local r = cam({ "disable" })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("Disabled user SSO", r.stdout)
            assert.are.equal(2, helpers.json_decode(cam({ "show", "--json" }).stdout).Status)

            r = cam({ "plan", config_path, "--detailed-exitcode" })
            assert.are.equal(3, r.status)
            assert.matches("~ Status: 2 %-> 11", r.stdout)

            r = cam({ "apply", config_path, "--json" })
            assert.are.equal(0, r.status, r.stderr)
            local out = helpers.json_decode(r.stdout)
            assert.are.equal("update", out.action)
            assert.are.equal("UpdateUserOIDCConfig", out.api_action)
            assert.is_string(out.request_id)
        end)

        it("sends nothing with --dry-run", function()
            local r = cam({ "apply", config_path, "--dry-run" })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("Dry run: CreateUserOIDCConfig was not sent", r.stdout)
            assert.matches('"ClientId": "cam%-sso"', r.stdout)

            r = cam({ "disable", "--dry-run" })
            assert.are.equal(0, r.status, r.stderr)
            assert.are.same({ "DescribeUserOIDCConfig" }, actions(emu:requests()))
        end)

        it("shows a field change", function()
            assert.are.equal(0, cam({ "apply", config_path }).status)
            local changed = helpers.json_decode(support.read_file(config_path))
            changed.client_id = "cam-sso-2"
            changed.scope = { "email", "openid" }
            local r = cam({ "plan", write_config("changed.json", changed) })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches('~ ClientId: "cam%-sso" %-> "cam%-sso%-2"', r.stdout)
            assert.matches("~ Scope: %+ email", r.stdout)
            assert.matches("2 changes%.", r.stdout)
        end)
    end)

    describe("configuration files", function()
        it("expands variables from the environment", function()
            local path = write_config("templated.json", {
                identity_url = provider.url,
                client_id = "${CAM_TEST_CLIENT}",
                mapping_field = "${CAM_TEST_MAPPING:-sub}",
                discovery = true,
                idp_ca_file = tls.ca_file,
            })
            local r = cam({ "--json", "apply", path }, { CAM_TEST_CLIENT = "from-env" })
            assert.are.equal(0, r.status, r.stderr)
            local state = emu:state()
            local stored = state.accounts[helpers.DEMO_ID].user_oidc
            assert.are.equal("from-env", stored.ClientId)
            assert.are.equal("sub", stored.MappingFiled)
            assert.are.equal(provider.url .. "/auth", stored.AuthorizationEndpoint)
        end)

        it("names a missing variable", function()
            local path = write_config("missing.json", {
                identity_url = provider.url,
                client_id = "${CAM_TEST_UNSET}",
            })
            local r = cam({ "plan", path }, { CAM_TEST_UNSET = false })
            assert.are.equal(1, r.status)
            assert.matches("variable CAM_TEST_UNSET is not set %(used in client_id%)",
                r.stderr)
            assert.are.same({}, emu:requests())
        end)

        it("takes the key from a PEM file and the URLs from a preset", function()
            local pem = dir .. "/idp.pub"
            helpers.run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
                .. " 2>/dev/null | openssl pkey -pubout -out " .. q(pem))
            local path = write_config("preset.json", {
                preset = { name = "keycloak", base_url = "https://sso.example.com",
                    realm = "acme" },
                pem_file = "idp.pub",
                client_id = "cam-sso",
                mapping_field = "preferred_username",
            })
            local r = cam({ "--json", "apply", path })
            assert.are.equal(0, r.status, r.stderr)
            local stored = emu:state().accounts[helpers.DEMO_ID].user_oidc
            assert.are.equal("https://sso.example.com/realms/acme", stored.IdentityUrl)
            local jwks = helpers.json_decode(core.base64_decode(stored.IdentityKey))
            assert.are.equal("ES256", jwks.keys[1].alg)
        end)

        it("rejects two key sources", function()
            local path = write_config("two-keys.json", {
                identity_url = "https://sso.example.com",
                identity_key = "e30=",
                pem_file = "idp.pub",
            })
            local r = cam({ "plan", path })
            assert.are.equal(1, r.status)
            assert.matches("give the key once", r.stderr)
        end)

        it("applies a role-SSO provider", function()
            local path = write_config("role.json", {
                name = "corp-idp",
                identity_url = provider.url,
                client_id = { "app-1", "app-2" },
                jwks = { keys = { support.public_key(keys.by_kid["rsa-rs256"]) } },
            })
            local r = cam({ "apply", path })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("Sent CreateOIDCConfig", r.stdout)

            r = cam({ "show", "--role", "corp-idp", "--json" })
            assert.are.same({ "app-1", "app-2" }, helpers.json_decode(r.stdout).ClientId)

            r = cam({ "plan", path, "--detailed-exitcode" })
            assert.are.equal(0, r.status, r.stdout .. r.stderr)
            assert.matches("No changes: the role%-SSO provider corp%-idp matches", r.stdout)
        end)

        it("reports an invalid configuration without sending", function()
            local path = write_config("invalid.json", {
                identity_url = "http://sso.example.com",
                identity_key = "e30=",
                client_id = "cam-sso",
                authorization_endpoint = "https://sso.example.com/auth",
                mapping_field = "sub",
            })
            local r = cam({ "plan", path, "--json" })
            assert.are.equal(1, r.status)
            local out = helpers.json_decode(r.stdout)
            assert.are.equal("validation", out.error.kind)
            assert.are.equal("IdentityKey", out.error.problems[1].field)
            assert.are.equal("IdentityUrl", out.error.problems[2].field)
            assert.are.same({}, emu:requests())
        end)
    end)

    describe("verify-token", function()
        local config_path, good, tampered

        setup(function()
            config_path = dir .. "/verify.json"
            local r = run({ "discover", provider.url, "--client-id", "cam-sso",
                "--idp-ca-file", tls.ca_file, "--mapping-field", "preferred_username",
                "--output", config_path })
            assert.are.equal(0, r.status, r.stderr)
            local now = os.time()
            local claims = { iss = provider.url, aud = "cam-sso", sub = "u-1",
                preferred_username = "alice", iat = now, exp = now + 600 }
            local tokens = support.sign({
                { key = keys.by_kid["rsa-ps256"], alg = "PS256",
                  header = { kid = "rsa-ps256" }, claims = claims },
                { key = keys.by_kid["rsa-ps256"], alg = "PS256",
                  header = { kid = "rsa-ps256" }, claims = claims, mode = "tamper" },
            })
            good, tampered = tokens[1], tokens[2]
        end)

        it("accepts a good token from stdin", function()
            local r = run({ "verify-token", config_path }, nil, good .. "\n")
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("The token passes every check", r.stdout)
            assert.matches("user%s+\"alice\" %(the user name, from preferred_username%)",
                r.stdout)
        end)

        it("reads the token from a file and prints JSON", function()
            local token_file = dir .. "/token"
            support.write_file(token_file, good)
            local r = run({ "verify-token", config_path, token_file, "--json" })
            assert.are.equal(0, r.status, r.stderr)
            local out = helpers.json_decode(r.stdout)
            assert.is_true(out.valid)
            assert.are.equal("alice", out.claims.preferred_username)
        end)

        it("exits 4 for a tampered token", function()
            local r = run({ "verify-token", config_path }, nil, tampered)
            assert.are.equal(4, r.status)
            assert.matches("JwtSignatureInvalid", r.stderr)

            r = run({ "verify-token", config_path, "--json" }, nil, tampered)
            assert.are.equal(4, r.status)
            assert.are.equal("JwtSignatureInvalid", helpers.json_decode(r.stdout).error.code)
        end)

        it("exits 4 for out-of-range time claims", function()
            local now = os.time()
            local claims = { iss = provider.url, aud = "cam-sso", sub = "u-1",
                preferred_username = "alice", iat = now, exp = now + 600 }
            local cases = { { exp = -1e300 }, { nbf = 1e300 }, { iat = 1e300 } }
            local requests = {}
            for i, case in ipairs(cases) do
                local c = helpers.copy_with(claims, case)
                requests[i] = { key = keys.by_kid["rsa-ps256"], alg = "PS256",
                    header = { kid = "rsa-ps256" }, claims = c }
            end
            local tokens = support.sign(requests)
            for i, token in ipairs(tokens) do
                local r = run({ "verify-token", config_path }, nil, token)
                assert.are.equal(4, r.status, r.stderr)
                assert.matches("JwtClaimInvalid", r.stderr)
                assert.is_nil(r.stderr:find("internal error", 1, true), r.stderr)

                r = run({ "verify-token", config_path, "--json" }, nil, token)
                assert.are.equal(4, r.status, r.stderr)
                local out = helpers.json_decode(r.stdout)
                assert.are.equal("JwtClaimInvalid", out.error.code, "case " .. i)
            end
        end)

        it("rejects out-of-range --leeway and --now", function()
            local cases = {
                { "--leeway", "1e9" },
                { "--leeway=-5" },
                { "--now", "1e20" },
                { "--now", "1e999" },
                { "--now=-1" },
            }
            for _, case in ipairs(cases) do
                local args = { "verify-token", config_path }
                for _, arg in ipairs(case) do
                    args[#args + 1] = arg
                end
                local r = run(args, nil, good)
                local label = table.concat(case, " ")
                assert.are.equal(2, r.status, label)
                assert.matches("must be", r.stderr, 1, false, label)
                assert.is_nil(r.stderr:find("internal error", 1, true), label)
                assert.is_nil(r.stderr:find("%.lua:%d+:"), label)
            end
        end)

        it("uses --now and --leeway", function()
            local r = run({ "verify-token", config_path, "--now",
                tostring(os.time() + 700), "--leeway", "0" }, nil, good)
            assert.are.equal(4, r.status)
            assert.matches("JwtExpired", r.stderr)
        end)
    end)

    describe("credentials", function()
        it("reads a profile from the credentials file", function()
            local file = dir .. "/credentials"
            support.write_file(file, "# test profiles\n[default]\nsecret_id = AKIDnone\n"
                .. "secret_key = none\n\n[emulator]\nsecret_id = " .. helpers.DEMO_ID
                .. "\nsecret_key= " .. helpers.DEMO_KEY .. "\n")
            local r = cam({ "show", "--profile", "emulator" }, {
                TENCENTCLOUD_SECRET_ID = false, TENCENTCLOUD_SECRET_KEY = false,
                TENCENTCLOUD_CREDENTIALS_FILE = file })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("User SSO: not configured", r.stdout)

            r = cam({ "show", "--profile", "missing" }, {
                TENCENTCLOUD_CREDENTIALS_FILE = file })
            assert.are.equal(1, r.status)
            assert.matches("profile missing is not in .* %(profiles: default, emulator%)",
                r.stderr)
        end)

        it("rejects a profile value with trailing spaces", function()
            local file = dir .. "/credentials-spaces"
            support.write_file(file, "[emulator]\nsecret_id = " .. helpers.DEMO_ID
                .. "\nsecret_key = " .. helpers.DEMO_KEY .. "  \n")
            local r = cam({ "show", "--profile", "emulator" }, {
                TENCENTCLOUD_CREDENTIALS_FILE = file })
            assert.are.equal(1, r.status)
            assert.matches("InvalidCredentials", r.stderr)
            assert.matches("%[emulator%] secret_key", r.stderr)
            assert.are.same({}, emu:requests())
        end)

        it("uses the profile, not the environment", function()
            local file = dir .. "/credentials-other"
            support.write_file(file, "[other]\nsecret_id = AKIDUnknown\n"
                .. "secret_key = none\n")
            local r = cam({ "show", "--profile", "other", "--json" }, {
                TENCENTCLOUD_CREDENTIALS_FILE = file })
            assert.are.equal(1, r.status)
            assert.are.equal("AuthFailure.SecretIdNotFound",
                helpers.json_decode(r.stdout).error.code)
        end)

        it("reads the default profile without --profile", function()
            local file = dir .. "/credentials-default"
            support.write_file(file, "[default]\nsecret_id = " .. helpers.DEMO_ID
                .. "\nsecret_key = " .. helpers.DEMO_KEY .. "\n")
            local r = cam({ "show" }, { TENCENTCLOUD_SECRET_ID = false,
                TENCENTCLOUD_SECRET_KEY = false, TENCENTCLOUD_CREDENTIALS_FILE = file })
            assert.are.equal(0, r.status, r.stderr)
        end)

        it("rejects an empty --profile", function()
            local r = cam({ "show", "--profile", "" })
            assert.are.equal(2, r.status)
            assert.matches("%-%-profile must name a profile", r.stderr)
        end)

        it("fails without credentials", function()
            local r = cam({ "show" }, { TENCENTCLOUD_SECRET_ID = false,
                TENCENTCLOUD_SECRET_KEY = false,
                TENCENTCLOUD_CREDENTIALS_FILE = dir .. "/no-such-file" })
            assert.are.equal(1, r.status)
            assert.matches("credentials error CredentialsNotFound", r.stderr)
            assert.matches("pass %-%-profile NAME, set TENCENTCLOUD_SECRET_ID", r.stderr)
            assert.is_nil(r.stderr:find("pass secret_id and secret_key", 1, true))
        end)

        it("prints an API error as JSON", function()
            local r = cam({ "show", "--json" }, { TENCENTCLOUD_SECRET_ID = "AKIDUnknown" })
            assert.are.equal(1, r.status)
            local out = helpers.json_decode(r.stdout)
            assert.are.equal("api", out.error.kind)
            assert.are.equal("AuthFailure.SecretIdNotFound", out.error.code)
        end)
    end)

    describe("text from a mock server", function()
        local server

        setup(function()
            server = helpers.start_static_server(500)
        end)

        teardown(function()
            server.stop()
        end)

        local function serve(body, status)
            support.write_file(server.body_file, body)
            support.write_file(server.body_file .. ".status", tostring(status or 500))
        end

        local function mock(args)
            local full = { "--endpoint", server.url }
            for _, arg in ipairs(args) do
                full[#full + 1] = arg
            end
            return run(full)
        end

        -- "Gateway error, please retry later." in Chinese, UTF-8 and GBK.
        local PAGE_UTF8 = "网关错误，请稍后重试。"
        local PAGE_GBK = "\205\248\185\216\180\237\206\243\163\172\199\235"
            .. "\201\212\186\243\214\216\202\212\161\163"

        local function assert_utf8(text)
            assert.is_true((pcall(require("cam.json").encode, text)),
                ("not valid UTF-8: %q"):format(text))
        end

        for name, page in pairs({ UTF8 = PAGE_UTF8, GBK = PAGE_GBK }) do
            it("prints an HTTP error with a " .. name .. " page", function()
                serve(page:rep(20))
                local r = mock({ "show", "--json" })
                assert.are.equal(1, r.status, r.stderr)
                assert.are.equal("", r.stderr)
                local out = helpers.json_decode(r.stdout)
                assert.are.equal("HttpStatusCodeError", out.error.code)
                assert_utf8(out.error.message)

                r = mock({ "show" })
                assert.are.equal(1, r.status)
                assert.matches("HttpStatusCodeError", r.stderr)
                assert.is_nil(r.stderr:find("internal error", 1, true), r.stderr)
                assert_utf8(r.stderr)
            end)
        end

        it("prints an API error message cut inside a character", function()
            serve(helpers.json_encode({ Response = { RequestId = "r-1",
                Error = { Code = "InternalError",
                    Message = ("a"):rep(1999) .. "中文" } } }))
            local r = mock({ "show", "--json" })
            assert.are.equal(1, r.status, r.stderr)
            local out = helpers.json_decode(r.stdout)
            assert.are.equal(("a"):rep(1999) .. "...", out.error.message)

            r = mock({ "show" })
            assert.are.equal(1, r.status)
            assert_utf8(r.stderr)
        end)

        it("replaces controls in an API error on stderr", function()
            serve(helpers.json_encode({ Response = { RequestId = "r\u{202E}1",
                Error = { Code = "InternalError\u{9B}",
                    Message = "a\u{9B}31mb\u{2028}c\u{2066}d" } } }))
            local r = mock({ "show" })
            assert.are.equal(1, r.status)
            assert.matches("InternalError  in DescribeUserOIDCConfig: a 31mb c d", r.stderr,
                1, true)
            for _, char in ipairs({ "\u{9B}", "\u{2028}", "\u{2066}", "\u{202E}" }) do
                assert.is_nil(r.stderr:find(char, 1, true))
            end
        end)

        local function describe_response(jwks, description)
            return helpers.json_encode({ Response = {
                RequestId = "r-\u{85}1",
                Status = 11,
                IdentityUrl = provider.url,
                IdentityKey = core.base64_encode(helpers.json_encode(jwks)),
                ClientId = "cam-sso",
                AuthorizationEndpoint = provider.url .. "/auth",
                ResponseType = "id_token",
                ResponseMode = "form_post",
                MappingFiled = "sub",
                Scope = { "openid" },
                Description = description,
                AutoRotateKey = 0,
            } })
        end

        it("escapes JWKS key ids in plan", function()
            local config_path = dir .. "/plan-kid.json"
            local r = run({ "discover", provider.url, "--client-id", "cam-sso",
                "--idp-ca-file", tls.ca_file, "--output", config_path })
            assert.are.equal(0, r.status, r.stderr)
            local public = support.public_key(keys.keys[1])
            public.kid = "k\27[31mid\u{85}\u{202E}"
            serve(describe_response({ keys = { public } }, ""), 200)

            r = mock({ "plan", config_path })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("- kid k\\027[31mid\\u{0085}\\u{202E}", r.stdout, 1, true)
            assert.is_nil(r.stdout:find("\27", 1, true))
            assert.is_nil(r.stdout:find("\u{85}", 1, true))
            assert.is_nil(r.stdout:find("\u{202E}", 1, true))
        end)

        it("escapes every invisible character in show", function()
            local invisible = { "\u{A0}", "\u{2000}", "\u{200A}", "\u{202F}", "\u{3000}",
                "\u{1680}", "\u{600}", "\u{605}", "\u{E0001}", "\u{E0020}", "\u{E007F}",
                "\u{9B}", "\u{2028}", "\u{2069}" }
            local public = support.public_key(keys.keys[1])
            public.kid = "kid" .. table.concat(invisible)
            serve(describe_response({ keys = { public } }, "d" .. table.concat(invisible)),
                200)

            local r = mock({ "show" })
            assert.are.equal(0, r.status, r.stderr)
            for _, char in ipairs(invisible) do
                assert.is_nil(r.stdout:find(char, 1, true), ("%q printed raw"):format(char))
            end
            assert.matches('"d\\u{00A0}\\u{2000}\\u{200A}\\u{202F}\\u{3000}\\u{1680}'
                .. '\\u{0600}\\u{0605}\\u{E0001}\\u{E0020}\\u{E007F}\\u{009B}'
                .. '\\u{2028}\\u{2069}"', r.stdout, 1, true)
            assert.matches("kid kid\\u{00A0}", r.stdout, 1, true)
        end)
    end)

    describe("usage", function()
        it("exits 2 for an unknown command", function()
            local r = run({ "frobnicate" })
            assert.are.equal(2, r.status)
            assert.matches("unknown command 'frobnicate'", r.stderr)
        end)

        it("exits 2 for a missing configuration", function()
            assert.are.equal(2, run({ "plan" }).status)
        end)

        it("exits 2 for an invalid endpoint", function()
            local r = run({ "--endpoint", "ftp://x", "show" })
            assert.are.equal(2, r.status)
            assert.matches("must use https://", r.stderr)
        end)

        it("names --endpoint in an endpoint error", function()
            local r = run({ "--endpoint", "ftp://x", "show" })
            assert.are.equal(2, r.status)
            assert.matches("^cam%-oidc: %-%-endpoint 'ftp://x'", r.stderr)
            assert.is_nil(r.stderr:find("cam.new", 1, true))
        end)

        it("rejects an unreadable --ca-file for http", function()
            local r = cam({ "--ca-file", dir .. "/no-such-ca.pem", "show" })
            assert.are.equal(2, r.status)
            assert.matches("%-%-ca%-file: cannot read", r.stderr)
            assert.are.same({}, emu:requests())
        end)

        it("prints usage errors as JSON with --json", function()
            local r = run({ "--json", "frobnicate" })
            assert.are.equal(2, r.status)
            local out = helpers.json_decode(r.stdout)
            assert.are.equal("usage", out.error.kind)
            assert.matches("unknown command 'frobnicate'", out.error.message)

            r = run({ "--json", "--endpoint", "ftp://x", "show" })
            assert.are.equal(2, r.status)
            assert.matches("^%-%-endpoint", helpers.json_decode(r.stdout).error.message)
        end)

        it("describes the default credential chain in --help", function()
            local r = run({ "--help" })
            assert.are.equal(0, r.status)
            assert.matches("TKE", r.stdout)
            assert.matches("TENCENTCLOUD_METADATA_ENDPOINT", r.stdout)
        end)

        it("exits 0 for --help", function()
            local r = run({ "--help" })
            assert.are.equal(0, r.status)
            assert.matches("Exit status: 0 success", r.stdout)
        end)
    end)

    describe("colour", function()
        local config_path

        setup(function()
            config_path = write_config("colour.json", {
                identity_url = "https://sso.example.com",
                identity_key = core.base64_encode('{"keys":[{"kty":"RSA","kid":"k"}]}'),
                client_id = "cam-sso",
                authorization_endpoint = "https://sso.example.com/auth",
                mapping_field = "sub",
            })
        end)

        -- script(1) gives the command a terminal as stdout.
        local function in_terminal(command_env)
            local parts = {}
            for name, value in pairs(command_env) do
                parts[#parts + 1] = name .. "=" .. q(value)
            end
            local command = table.concat(parts, " ") .. " " .. q(helpers.ROOT
                .. "/bin/cam-oidc") .. " --endpoint " .. q(emu.url) .. " plan "
                .. q(config_path)
            return helpers.run("script -qec " .. q(command) .. " /dev/null")
        end

        it("colours a diff on a terminal", function()
            local out = in_terminal({ TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
                TENCENTCLOUD_SECRET_KEY = helpers.DEMO_KEY, TERM = "xterm" })
            assert.matches("\27%[32m  %+ ClientId", out)
        end)

        it("leaves colour out when NO_COLOR is set", function()
            local out = in_terminal({ TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
                TENCENTCLOUD_SECRET_KEY = helpers.DEMO_KEY, TERM = "xterm",
                NO_COLOR = "1" })
            assert.matches("  %+ ClientId", out)
            assert.is_nil(out:find("\27[", 1, true))
        end)

        it("leaves colour out when stdout is not a terminal", function()
            local r = cam({ "plan", config_path }, { TERM = "xterm" })
            assert.are.equal(0, r.status, r.stderr)
            assert.matches("  %+ ClientId", r.stdout)
            assert.is_nil(r.stdout:find("\27[", 1, true))
        end)
    end)
end)
