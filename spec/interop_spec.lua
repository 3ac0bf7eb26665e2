-- The official Tencent Cloud Node.js SDK (tencentcloud-sdk-nodejs-common,
-- pinned in spec/interop/package.json) against the CAM emulator, over HTTP
-- and HTTPS. Needs `npm ci --prefix spec/interop`.

local mime = require "mime"

local helpers = require "helpers"

local copy_with = helpers.copy_with

local JWKS_BASE64 = mime.b64('{"keys":[{"kty":"EC","crv":"P-256","kid":"interop",'
    .. '"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",'
    .. '"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}')

local TEMPORARY = {
    id = "AKIDInteropTemporary000000000006",
    key = "InteropTemporarySecretKey0000006",
    token = "interop-session-token",
}

local USER_CONFIG = {
    IdentityUrl = "https://sso.example.net/oidc",
    IdentityKey = JWKS_BASE64,
    ClientId = "interop-client",
    AuthorizationEndpoint = "https://sso.example.net/oidc/authorize",
    ResponseType = "id_token",
    ResponseMode = "form_post",
    MappingFiled = "preferred_username",
    Scope = { "openid", "profile" },
    Description = "配置 from the Node.js SDK",
    AutoRotateKey = 1,
}


local function assert_result(output)
    assert.is_nil(output.error, output.error
        and string.format("%s: %s", output.error.code, output.error.message))
    assert.is_table(output.result)
    assert.is_string(output.result.RequestId)
    return output.result
end


local function assert_sdk_error(code, output)
    assert.is_table(output.error, "expected " .. code .. ", got a result")
    assert.are.equal(code, output.error.code, output.error.message)
    assert.is_truthy(output.error.requestId:find("^%x+%-%x+%-4%x+%-%x+%-%x+$"))
end


local function interop_suite(scheme)
    describe("Node.js SDK over " .. scheme, function()
        local emu, ca

        setup(function()
            helpers.require_interop()
            local opts = { accounts = {
                { id = helpers.DEMO_ID, key = helpers.DEMO_KEY },
                { id = TEMPORARY.id, key = TEMPORARY.key, token = TEMPORARY.token },
            } }
            if scheme == "https" then
                ca = helpers.make_ca(helpers.tmpdir())
                opts.tls = { cert = ca.cert, key = ca.key }
            end
            emu = helpers.start_emulator(opts)
        end)

        teardown(function()
            if emu then
                emu:stop()
            end
        end)

        before_each(function()
            emu:reset()
        end)

        local function sdk(action, params, opts)
            opts = opts or {}
            opts.ca_file = ca and ca.ca_file
            return helpers.sdk_call(emu, action, params, opts)
        end

        it("runs the user SSO actions", function()
            local before = assert_result(sdk("DescribeUserOIDCConfig"))
            assert.are.equal(0, before.Status)

            assert_result(sdk("CreateUserOIDCConfig", USER_CONFIG))

            local created = assert_result(sdk("DescribeUserOIDCConfig"))
            assert.are.equal(11, created.Status)
            assert.are.equal(12, created.ProviderType)
            assert.are.equal(USER_CONFIG.IdentityKey, created.IdentityKey)
            assert.are.equal(USER_CONFIG.Description, created.Description)
            assert.are.same({ "openid", "profile" }, created.Scope)
            assert.are.equal(1, created.AutoRotateKey)

            assert_result(sdk("UpdateUserOIDCConfig",
                copy_with(USER_CONFIG, { ClientId = "interop-client-2", Scope = { "email" } })))
            local updated = assert_result(sdk("DescribeUserOIDCConfig"))
            assert.are.equal("interop-client-2", updated.ClientId)
            assert.are.same({ "email" }, updated.Scope)

            assert_result(sdk("DisableUserSSO"))
            assert.are.equal(2, assert_result(sdk("DescribeUserOIDCConfig")).Status)
        end)

        it("runs the role SSO actions", function()
            local params = {
                Name = "interop-role-idp",
                IdentityUrl = "https://sso.example.net/roles",
                IdentityKey = JWKS_BASE64,
                ClientId = { "role-a", "role-b" },
                Description = "role provider",
            }
            assert_result(sdk("CreateOIDCConfig", params))
            assert_sdk_error("InvalidParameter.IdentityNameInUse", sdk("CreateOIDCConfig", params))

            local described = assert_result(sdk("DescribeOIDCConfig",
                { Name = "interop-role-idp" }))
            assert.are.equal(11, described.ProviderType)
            assert.are.equal(11, described.Status)
            assert.are.same({ "role-a", "role-b" }, described.ClientId)

            assert_result(sdk("UpdateOIDCConfig", copy_with(params, { ClientId = { "role-c" } })))
            assert.are.same({ "role-c" }, assert_result(sdk("DescribeOIDCConfig",
                { Name = "interop-role-idp" })).ClientId)

            assert_result(sdk("DeleteOIDCConfig", { Name = "interop-role-idp" }))
            assert_sdk_error("ResourceNotFound.IdentityNotExist",
                sdk("DescribeOIDCConfig", { Name = "interop-role-idp" }))
        end)

        it("sends the Host and client headers the SDK builds", function()
            assert_result(sdk("DescribeUserOIDCConfig"))
            local entries = emu:requests()
            local entry = entries[#entries]

            local headers = {}
            for _, header in ipairs(entry.headers) do
                headers[header.name:lower()] = header.value
            end
            assert.are.equal("cam.tencentcloudapi.com:" .. emu.port, headers.host)
            assert.are.equal("application/json", headers["content-type"])
            assert.is_truthy(headers["x-tc-requestclient"]:find("^SDK_NODEJS_"))
            assert.is_truthy(headers.authorization:find("/cam/tc3_request, ", 1, true))
            assert.are.equal(scheme == "https", entry.tls)
        end)

        it("signs with a temporary credential", function()
            local output = sdk("DescribeUserOIDCConfig", nil,
                { id = TEMPORARY.id, key = TEMPORARY.key, token = TEMPORARY.token })
            assert.are.equal(0, assert_result(output).Status)

            assert_sdk_error("AuthFailure.TokenFailure", sdk("DescribeUserOIDCConfig", nil,
                { id = TEMPORARY.id, key = TEMPORARY.key }))
        end)

        it("fails a body changed after signing", function()
            assert_sdk_error("AuthFailure.SignatureFailure",
                sdk("CreateUserOIDCConfig", USER_CONFIG, { tamper = true }))
            assert.are.equal(0, assert_result(sdk("DescribeUserOIDCConfig")).Status)
        end)

        it("fails a wrong secret key", function()
            assert_sdk_error("AuthFailure.SignatureFailure", sdk("DescribeUserOIDCConfig", nil,
                { key = "WrongSecretKeyWrongSecretKey0000" }))
        end)

        it("fails an unknown secret id", function()
            assert_sdk_error("AuthFailure.SecretIdNotFound", sdk("DescribeUserOIDCConfig", nil,
                { id = "AKIDNobody0000000000000000000000" }))
        end)

        it("reports a validation error", function()
            local output = sdk("CreateUserOIDCConfig",
                copy_with(USER_CONFIG, { IdentityUrl = "http://sso.example.net/oidc" }))
            assert_sdk_error("InvalidParameterValue.IdentityUrlError", output)
        end)
    end)
end


interop_suite("http")
interop_suite("https")


describe("Node.js SDK with an untrusted certificate", function()
    local emu, other_ca

    setup(function()
        helpers.require_interop()
        local ca = helpers.make_ca(helpers.tmpdir())
        other_ca = helpers.make_ca(helpers.tmpdir())
        emu = helpers.start_emulator({ tls = { cert = ca.cert, key = ca.key } })
    end)

    teardown(function()
        if emu then
            emu:stop()
        end
    end)

    it("fails with another CA", function()
        local output = helpers.sdk_call(emu, "DescribeUserOIDCConfig", nil,
            { ca_file = other_ca.ca_file })
        assert.is_table(output.error)
        assert.is_truthy(output.error.message:lower():find("certificate", 1, true),
            output.error.message)
        assert.are.same({}, emu:requests())
    end)

    it("fails with a certificate for another host", function()
        local dir = helpers.tmpdir()
        local wrong_host = helpers.make_ca(dir, {
            names = { "wrong.example.com" },
            ca = helpers.make_ca(helpers.tmpdir()),
        })
        local wrong = helpers.start_emulator({
            tls = { cert = wrong_host.cert, key = wrong_host.key },
        })
        local ok, output = pcall(helpers.sdk_call, wrong, "DescribeUserOIDCConfig", nil,
            { ca_file = wrong_host.ca_file })
        wrong:stop()
        assert(ok, output)
        assert.is_table(output.error)
        assert.is_truthy(output.error.message:find("altnames", 1, true)
            or output.error.message:find("Hostname", 1, true), output.error.message)
    end)
end)
