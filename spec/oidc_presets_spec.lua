local presets = require("cam.oidc.presets")

local TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"

describe("cam.oidc.presets", function()
    describe("keycloak", function()
        it("builds the issuer without /auth", function()
            local p = assert(presets.keycloak({
                base_url = "https://sso.example.com", realm = "acme" }))
            assert.are.equal("https://sso.example.com/realms/acme", p.issuer)
            assert.are.equal(
                "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
                p.authorization_endpoint)
            assert.are.equal("keycloak", p.preset)
        end)

        it("inserts /auth for legacy servers", function()
            local p = assert(presets.keycloak({ base_url = "https://kc.example.com",
                realm = "acme", legacy_auth_path = true }))
            assert.are.equal("https://kc.example.com/auth/realms/acme", p.issuer)
        end)

        it("joins a base URL that ends in a slash", function()
            local p = assert(presets.keycloak({
                base_url = "https://kc.example.com:8443/", realm = "acme" }))
            assert.are.equal("https://kc.example.com:8443/realms/acme", p.issuer)
        end)

        it("keeps a base path the user typed", function()
            local p = assert(presets.keycloak({
                base_url = "https://example.com/auth", realm = "r" }))
            assert.are.equal("https://example.com/auth/realms/r", p.issuer)
        end)

        it("rejects /auth twice", function()
            local p, err = presets.keycloak({ base_url = "https://example.com/auth",
                realm = "r", legacy_auth_path = true })
            assert.is_nil(p)
            assert.matches("already ends in /auth", err.message)
        end)

        it("rejects a missing realm", function()
            local p, err = presets.keycloak({ base_url = "https://kc.example.com" })
            assert.is_nil(p)
            assert.are.equal("validation", err.kind)
            assert.are.equal("InvalidPreset", err.code)
            assert.matches("realm is required", err.message)
        end)

        it("rejects a realm that needs percent-encoding", function()
            local _, err = presets.keycloak({ base_url = "https://kc.example.com",
                realm = "my realm" })
            assert.matches("percent%-encoding", err.message)
        end)

        it("rejects an http base URL", function()
            local _, err = presets.keycloak({ base_url = "http://kc.example.com",
                realm = "acme" })
            assert.matches("base_url", err.message)
            assert.matches("https", err.message)
        end)

        it("raises on an unknown option with a hint", function()
            assert.has_error(function()
                presets.keycloak({ base_url = "https://kc.example.com",
                    realm = "a", legacy_auth_pth = true })
            end, "presets.keycloak: unknown option 'legacy_auth_pth'; did you mean"
                .. " 'legacy_auth_path'?")
        end)
    end)

    describe("okta", function()
        it("builds the org authorization server", function()
            local p = assert(presets.okta({ org = "dev-123456.okta.com" }))
            assert.are.equal("https://dev-123456.okta.com", p.issuer)
            assert.are.equal("https://dev-123456.okta.com/oauth2/v1/authorize",
                p.authorization_endpoint)
        end)

        it("builds a custom authorization server", function()
            local p = assert(presets.okta({ org = "https://dev-1.okta.com",
                authorization_server = "default" }))
            assert.are.equal("https://dev-1.okta.com/oauth2/default", p.issuer)
            assert.are.equal("https://dev-1.okta.com/oauth2/default/v1/authorize",
                p.authorization_endpoint)
        end)

        it("rejects an org with a path", function()
            local p, err = presets.okta({ org = "https://dev-1.okta.com/x" })
            assert.is_nil(p)
            assert.matches("org must be a host name", err.message)
        end)
    end)

    describe("entra", function()
        it("builds the v2.0 issuer", function()
            local p = assert(presets.entra({ tenant = TENANT }))
            assert.are.equal("https://login.microsoftonline.com/" .. TENANT
                .. "/v2.0", p.issuer)
            assert.are.equal("https://login.microsoftonline.com/" .. TENANT
                .. "/oauth2/v2.0/authorize", p.authorization_endpoint)
        end)

        it("builds the v1 issuer on request", function()
            local p = assert(presets.entra({ tenant = TENANT, version = 1 }))
            assert.are.equal("https://sts.windows.net/" .. TENANT .. "/", p.issuer)
            assert.are.equal("https://login.microsoftonline.com/" .. TENANT
                .. "/oauth2/authorize", p.authorization_endpoint)
        end)

        it("rejects multi-tenant names", function()
            for _, name in ipairs({ "common", "organizations", "Consumers" }) do
                local p, err = presets.entra({ tenant = name })
                assert.is_nil(p)
                assert.matches("several tenants", err.message)
            end
        end)

        it("rejects a domain name", function()
            local _, err = presets.entra({ tenant = "contoso.onmicrosoft.com" })
            assert.matches("directory %(tenant%) ID, a GUID", err.message)
        end)
    end)

    it("google has a fixed issuer", function()
        local p = assert(presets.google())
        assert.are.equal("https://accounts.google.com", p.issuer)
        assert.are.equal("https://accounts.google.com/o/oauth2/v2/auth",
            p.authorization_endpoint)
    end)

    it("auth0 issuer ends in a slash", function()
        local p = assert(presets.auth0({ domain = "acme.eu.auth0.com" }))
        assert.are.equal("https://acme.eu.auth0.com/", p.issuer)
        assert.are.equal("https://acme.eu.auth0.com/authorize",
            p.authorization_endpoint)
    end)

    describe("gitlab", function()
        it("defaults to gitlab.com", function()
            local p = assert(presets.gitlab())
            assert.are.equal("https://gitlab.com", p.issuer)
            assert.are.equal("https://gitlab.com/oauth/authorize",
                p.authorization_endpoint)
        end)

        it("uses a self-managed base URL", function()
            local p = assert(presets.gitlab({ base_url = "https://git.example.com/gitlab" }))
            assert.are.equal("https://git.example.com/gitlab", p.issuer)
            assert.are.equal("https://git.example.com/gitlab/oauth/authorize",
                p.authorization_endpoint)
        end)
    end)

    it("authing uses the /oidc path", function()
        local p = assert(presets.authing({ domain = "acme.authing.cn" }))
        assert.are.equal("https://acme.authing.cn/oidc", p.issuer)
        assert.are.equal("https://acme.authing.cn/oidc/auth",
            p.authorization_endpoint)
    end)

    describe("resolve", function()
        it("runs a preset by name", function()
            local p = assert(presets.resolve("auth0", { domain = "a.auth0.com" }))
            assert.are.equal("https://a.auth0.com/", p.issuer)
        end)

        it("suggests a close name", function()
            local p, err = presets.resolve("keycloack", {})
            assert.is_nil(p)
            assert.matches("did you mean 'keycloak'", err.message)
        end)

        it("turns an unknown option into an error value", function()
            local p, err = presets.resolve("okta", { org = "a.okta.com", server = "x" })
            assert.is_nil(p)
            assert.are.equal("InvalidPreset", err.code)
            assert.matches("unknown option 'server'", err.message)
        end)

        it("every name in NAMES resolves", function()
            local opts = {
                auth0 = { domain = "a.example.com" },
                authing = { domain = "a.example.com" },
                entra = { tenant = TENANT },
                gitlab = {},
                google = {},
                keycloak = { base_url = "https://a.example.com", realm = "r" },
                okta = { org = "a.example.com" },
            }
            for _, name in ipairs(presets.NAMES) do
                local p = presets.resolve(name, opts[name])
                assert.is_table(p, name)
                assert.matches("^https://", p.issuer)
            end
        end)
    end)

    describe("option checks", function()
        it("names the option and type on a wrong type", function()
            assert.has_error(function()
                presets.keycloak({ base_url = 5, realm = "r" })
            end, "presets.keycloak: option 'base_url' must be a string, got number")
            assert.has_error(function()
                presets.keycloak({ base_url = "https://a.example.com", realm = "r",
                    legacy_auth_path = "yes" })
            end, "presets.keycloak: option 'legacy_auth_path' must be a boolean,"
                .. " got string")
        end)

        it("says google takes no options", function()
            assert.has_error(function()
                presets.google({ foo = 1 })
            end, "presets.google: unknown option 'foo'; this preset takes no options")
        end)

        it("raises for a non-string name", function()
            assert.has_error(function()
                presets.resolve(5)
            end, "presets.resolve: name must be a string, got number")
        end)

        it("returns a wrong type from resolve", function()
            local p, err = presets.resolve("keycloak", { base_url = 5, realm = "r" })
            assert.is_nil(p)
            assert.are.equal("InvalidPreset", err.code)
            assert.matches("option 'base_url' must be a string, got number", err.message)
        end)

        it("rejects an invalid host", function()
            local hosts = { "999.1.1.1", "a-.example.com", "1.2.3" }
            for _, host in ipairs(hosts) do
                local p, err = presets.auth0({ domain = host })
                assert.is_nil(p, host)
                assert.matches("must be a host name", err.message, 1, false, host)
            end
        end)
    end)
end)
