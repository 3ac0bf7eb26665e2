local cam = require("cam")
local core = require("cam.core")
local helpers = require("helpers")
local json = require("cam.json")
local oidc = require("cam.oidc")
local socket = require("socket")
local support = require("oidc.support")

describe("from_discovery against oidc-provider", function()
    local tls, keys, jwks_file, provider

    setup(function()
        support.require_node_modules()
        tls = helpers.make_ca(helpers.tmpdir())
        keys = support.make_keys()
        jwks_file = support.write_private_jwks(keys)
        provider = support.start_provider({ tls = tls, jwks_file = jwks_file })
    end)

    teardown(function()
        if provider then
            provider:stop()
        end
    end)

    local function discover(issuer, opts)
        opts = opts or {}
        opts.client_id = opts.client_id or "cam-sso"
        if opts.ca_file == nil then
            opts.ca_file = tls.ca_file
        elseif opts.ca_file == false then
            opts.ca_file = nil
        end
        return oidc.from_discovery(issuer, opts)
    end

    it("builds a complete configuration", function()
        local config, info = discover(provider.url, {
            mapping_field = "preferred_username",
            scope = { "openid", "email" },
            description = "corporate sign-in",
        })
        assert.is_table(config, info and tostring(info))
        assert.are.equal(provider.url, config.identity_url)
        assert.are.equal(provider.url .. "/auth", config.authorization_endpoint)
        assert.are.equal("cam-sso", config.client_id)
        assert.are.equal("id_token", config.response_type)
        assert.are.equal("form_post", config.response_mode)
        assert.are.equal("preferred_username", config.mapping_field)
        assert.are.same({ "openid", "email" }, config.scope)
        assert.are.equal("corporate sign-in", config.description)
        assert.are.equal(provider.url .. "/jwks", info.jwks_uri)
        assert.are.equal(provider.url .. "/.well-known/openid-configuration",
            info.discovery_url)
    end)

    it("keeps the signing keys and leaves out use=enc", function()
        local config, info = assert(discover(provider.url))
        local jwks = json.decode(core.base64_decode(config.identity_key))
        local kids = {}
        for i, key in ipairs(jwks.keys) do
            kids[i] = key.kid
            assert.is_nil(key.d)
        end
        table.sort(kids)
        assert.are.same({ "ec-p256", "ec-p384", "rsa-ps256", "rsa-rs256" }, kids)
        assert.are.equal(5, #info.jwks.keys)
        assert.are.same({ "kid rsa-enc is for encryption (use=enc), not for"
            .. " signatures; left out" }, info.warnings)
    end)

    it("defaults mapping_field and scope", function()
        local config = assert(discover(provider.url))
        assert.are.equal("sub", config.mapping_field)
        assert.are.same({ "openid" }, config.scope)
        assert.is_true(json.is_array(config.scope))
        assert.is_nil(config.description)
    end)

    it("produces a configuration that passes validation", function()
        local config = assert(discover(provider.url))
        local client = cam.new({ secret_id = helpers.DEMO_ID,
            secret_key = helpers.DEMO_KEY, endpoint = "http://127.0.0.1:9",
            dry_run = true })
        local request = assert(client:update_oidc(config))
        local body = json.decode(request.body)
        assert.are.equal(provider.url, body.IdentityUrl)
        assert.are.equal("sub", body.MappingFiled)
    end)

    it("lets tokens from the provider's keys pass the preflight", function()
        local config = assert(discover(provider.url))
        local now = os.time()
        local tokens = support.sign({
            { key = keys.by_kid["ec-p384"], alg = "ES384",
              header = { kid = "ec-p384" },
              claims = { iss = provider.url, aud = "cam-sso", sub = "alice",
                  iat = now, exp = now + 300 } },
        })
        local claims, err = oidc.verify_id_token(config, tokens[1])
        assert.is_nil(err)
        assert.are.equal("alice", claims.sub)
    end)

    it("reports a trailing slash as an issuer mismatch", function()
        local config, err = discover(provider.url .. "/")
        assert.is_nil(config)
        assert.are.equal("validation", err.kind)
        assert.are.equal("IssuerMismatch", err.code)
        assert.are.equal("issuer mismatch: configured " .. provider.url
            .. "/, discovered " .. provider.url, err.message)
    end)

    it("rejects a non-https issuer without fetching", function()
        local config, err = discover((provider.url:gsub("^https", "http")))
        assert.is_nil(config)
        assert.are.equal("InvalidIssuer", err.code)
        assert.matches("must use https://", err.message)
    end)

    it("fails on an untrusted certificate", function()
        local config, err = discover(provider.url, { ca_file = false })
        assert.is_nil(config)
        assert.are.equal("transport", err.kind)
        assert.are.equal("CURLE_PEER_FAILED_VERIFICATION", err.code)
        assert.matches("discovery document failed", err.message)
    end)

    it("fails on a certificate of another CA", function()
        local other = helpers.make_ca(helpers.tmpdir())
        local config, err = discover(provider.url, { ca_file = other.ca_file })
        assert.is_nil(config)
        assert.are.equal("transport", err.kind)
    end)

    it("reports HTTP 404 for a wrong path", function()
        local config, err = discover(provider.url .. "/missing")
        assert.is_nil(config)
        assert.are.equal("http", err.kind)
        assert.are.equal(404, err.status)
        assert.matches("returned HTTP 404", err.message)
    end)

    it("times out on a server that never answers", function()
        local server = assert(socket.bind("127.0.0.1", 0))
        local _, port = server:getsockname()
        local started = socket.gettime()
        local config, err = discover("https://127.0.0.1:" .. port, { timeout = 1 })
        local elapsed = socket.gettime() - started
        server:close()
        assert.is_nil(config)
        assert.are.equal("CURLE_OPERATION_TIMEDOUT", err.code)
        assert.is_true(elapsed < 5, "took " .. elapsed .. " s")
    end)

    it("raises without client_id", function()
        assert.has_error(function()
            oidc.from_discovery(provider.url, { ca_file = tls.ca_file })
        end, "from_discovery: option 'client_id' is required: the client ID"
            .. " registered at the IdP")
    end)

    it("raises on an unknown option", function()
        assert.has_error(function()
            oidc.from_discovery(provider.url, { client_id = "a", mapping_filed = "x" })
        end, "from_discovery: unknown option 'mapping_filed'; did you mean"
            .. " 'mapping_field'?")
    end)

    describe("with other provider settings", function()
        local function with_provider(opts, body)
            opts.tls = tls
            opts.jwks_file = jwks_file
            local other = support.start_provider(opts)
            local ok, err = pcall(body, other)
            other:stop()
            assert(ok, err)
        end

        it("accepts a localhost issuer", function()
            with_provider({ host_name = "localhost" }, function(other)
                assert.matches("^https://localhost:%d+$", other.url)
                local config = assert(discover(other.url))
                assert.are.equal(other.url, config.identity_url)
            end)
        end)

        it("reports an issuer the document names differently", function()
            with_provider({ issuer = "https://localhost:1" }, function(other)
                local config, err = discover(other.url)
                assert.is_nil(config)
                assert.are.equal("issuer mismatch: configured " .. other.url
                    .. ", discovered https://localhost:1", err.message)
            end)
        end)

        it("requires id_token among the response types", function()
            with_provider({ response_types = { "code" } }, function(other)
                local config, err = discover(other.url)
                assert.is_nil(config)
                assert.are.equal("ResponseTypeUnsupported", err.code)
                assert.matches("%(code%)", err.message)
            end)
        end)

        it("checks the response mode when modes are listed", function()
            with_provider({ response_modes = { "query", "fragment" } }, function(other)
                local config, err = discover(other.url)
                assert.is_nil(config)
                assert.are.equal("ResponseModeUnsupported", err.code)
                assert.are.equal("the IdP does not list form_post in"
                    .. " response_modes_supported (query, fragment)", err.message)

                config = assert(discover(other.url, { response_mode = "fragment" }))
                assert.are.equal("fragment", config.response_mode)
            end)
        end)
    end)
end)
