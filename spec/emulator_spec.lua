-- Tests of bin/cam-emulator over raw HTTP. Requests are signed by the
-- official Node.js SDK's signer (spec/interop/sign.js), never by the
-- emulator's own code, so a shared mistake cannot hide.

local mime = require "mime"
local socket = require "socket"

local helpers = require "helpers"

local HOST = "cam.tencentcloudapi.com"
local VERSION = "2019-01-16"
local UUID_V4 = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local HTTP_DATE = "^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$"
local REMOVE = helpers.REMOVE
local copy_with = helpers.copy_with

-- The emulator checks the JWKS shape, not the key material.
local JWKS = '{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256",'
    .. '"n":"u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-'
    .. 'qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjR'
    .. 'o9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_X'
    .. 'Fw0",'
    .. '"e":"AQAB"}]}'
local JWKS_BASE64 = mime.b64(JWKS)


local function user_params(overrides)
    return copy_with({
        IdentityUrl = "https://idp.example.com/realms/main",
        IdentityKey = JWKS_BASE64,
        ClientId = "cam-client-01",
        AuthorizationEndpoint = "https://idp.example.com/realms/main/protocol/openid-connect/auth",
        ResponseType = "id_token",
        ResponseMode = "form_post",
        MappingFiled = "sub",
    }, overrides)
end


local function role_params(name, overrides)
    return copy_with({
        Name = name,
        IdentityUrl = "https://idp.example.com/realms/roles",
        IdentityKey = JWKS_BASE64,
        ClientId = { "role-client-a", "role-client-b" },
    }, overrides)
end


local function encode_params(params)
    if params == nil or next(params) == nil then
        return "{}"
    end
    return helpers.json_encode(params)
end


-- Build a signed API request. Options: action, params or body, timestamp,
-- id, key, token, service, content_type, host (the signed host),
-- host_header, version, method, target, and for crafting bad requests
-- sign_key, sign_timestamp, sign_body, authorization, omit (set of header
-- names) and extra (headers appended).
local function build_request(emu, opts)
    local body = opts.body or encode_params(opts.params)
    local timestamp = opts.timestamp or os.time()
    local content_type = opts.content_type or "application/json"
    local host = opts.host or HOST

    local authorization = opts.authorization
    if not authorization then
        authorization = helpers.sdk_sign({ {
            secret_id = opts.id or helpers.DEMO_ID,
            secret_key = opts.sign_key or opts.key or helpers.DEMO_KEY,
            service = opts.service or "cam",
            host = host,
            timestamp = opts.sign_timestamp or timestamp,
            body = opts.sign_body or body,
            content_type = content_type,
            method = opts.method or "POST",
        } })[1]
    end

    local candidates = {
        { "Host", opts.host_header or (host .. ":" .. emu.port) },
        { "Content-Type", content_type },
        { "X-TC-Action", opts.action },
        { "X-TC-Version", opts.version or VERSION },
        { "X-TC-Timestamp", tostring(timestamp) },
        { "Authorization", authorization },
        { "Content-Length", tostring(#body) },
    }
    if opts.token then
        candidates[#candidates + 1] = { "X-TC-Token", opts.token }
    end

    local omit = opts.omit or {}
    local headers = {}
    for _, header in ipairs(candidates) do
        if header[2] ~= nil and not omit[header[1]] then
            headers[#headers + 1] = header
        end
    end
    for _, header in ipairs(opts.extra or {}) do
        headers[#headers + 1] = header
    end

    return opts.method or "POST", opts.target or "/", headers, body
end


-- Check what every API response must carry, then return the decoded body.
local function check_envelope(response)
    assert.are.equal(200, response.status)
    assert.are.equal("application/json", response:header("Content-Type"))
    assert.is_truthy(response:header("Date"):find(HTTP_DATE))

    local decoded = helpers.json_decode(response.body)
    assert.is_table(decoded.Response)
    assert.is_truthy(decoded.Response.RequestId:find(UUID_V4),
        "RequestId is not a UUID v4: " .. tostring(decoded.Response.RequestId))
    return decoded.Response
end


-- Send one signed request on a new connection and return Response.
local function call(emu, opts)
    local connection = helpers.http_connect("127.0.0.1", emu.port)
    local response, err = connection:request(build_request(emu, opts))
    connection:close()
    assert.is_table(response, "no response: " .. tostring(err))
    return check_envelope(response), response
end


local function action(emu, name, params, opts)
    return call(emu, copy_with(opts or {}, { action = name, params = params }))
end


local function assert_error(code, response)
    assert.is_table(response.Error, "expected error " .. code .. ", got success")
    assert.are.equal(code, response.Error.Code, response.Error.Message)
    assert.is_string(response.Error.Message)
end


local function assert_success(response)
    assert.is_nil(response.Error,
        response.Error and (response.Error.Code .. ": " .. response.Error.Message))
end


-- Send an admin request whose body is the given JSON text, so that numbers
-- reach the emulator exactly as written. Returns the decoded body, the
-- status and the raw response.
local function admin_raw(emu, method, path, text)
    local connection = helpers.http_connect("127.0.0.1", emu.port)
    local response, err = connection:request(method, path, {
        { "Host", "127.0.0.1:" .. emu.port },
        { "Content-Type", "application/json" },
        { "Content-Length", tostring(#text) },
        { "Connection", "close" },
    }, text)
    connection:close()
    assert.is_table(response, "no response: " .. tostring(err))
    return helpers.json_decode(response.body), response.status, response
end


-- Largest clock offset the admin API accepts: 100 years of 365.25 days.
local MAX_CLOCK_OFFSET = 3155760000


describe("cam-emulator", function()
    local emu

    setup(function()
        helpers.require_interop()
        emu = helpers.start_emulator({
            accounts = {
                { id = helpers.DEMO_ID, key = helpers.DEMO_KEY },
                { id = "AKIDSecondAccount000000000000002",
                    key = "SecondAccountSecretKey0000000002" },
                { id = "AKIDTemporary0000000000000000003",
                    key = "TemporarySecretKey00000000000003", token = "session-token-3" },
            },
        })
    end)

    teardown(function()
        if emu then
            emu:stop()
        end
    end)

    before_each(function()
        emu:reset()
    end)

    describe("start-up", function()
        it("prints an http URL on loopback", function()
            assert.is_truthy(emu.url:find("^http://127%.0%.0%.1:%d+$"))
        end)

        it("serves the health endpoint", function()
            local health, status = emu:admin("GET", "/_emulator/health")
            assert.are.equal(200, status)
            assert.are.equal("ok", health.status)
            assert.are.equal(emu.url, health.url)
        end)
    end)

    describe("request checks", function()
        it("rejects a method other than POST", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig", method = "PUT" })
            assert_error("UnsupportedProtocol", response)
        end)

        it("rejects a path other than /", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig", target = "/v3" })
            assert_error("InvalidParameter", response)
            assert.is_truthy(response.Error.Message:find("/v3", 1, true))
        end)

        it("rejects a missing Authorization", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                omit = { Authorization = true } })
            assert_error("AuthFailure.InvalidAuthorization", response)
        end)

        it("rejects malformed Authorization values", function()
            local good = select(3, build_request(emu, { action = "DescribeUserOIDCConfig" }))
            local value
            for _, header in ipairs(good) do
                if header[1] == "Authorization" then
                    value = header[2]
                end
            end

            local bad_values = {
                value:gsub("^TC3%-HMAC%-SHA256", "HMAC-SHA256"),
                value:gsub(", SignedHeaders", ",SignedHeaders"),
                value:gsub("SignedHeaders=content%-type;host", "SignedHeaders=content-type"),
                value:gsub("SignedHeaders=content%-type;host", "SignedHeaders=Content-Type;Host"),
                value:gsub("/tc3_request", "/tc2_request"),
                value:gsub("Signature=(%x+)", "Signature=%1ab"),
                value:gsub("Signature=(%x+)", function(hex)
                    return "Signature=" .. hex:upper()
                end),
                value:gsub("Credential=[^/]+/(%d+)%-(%d+)%-(%d+)", "Credential=x/%1%2%3"),
                "TC3-HMAC-SHA256",
            }
            for _, bad in ipairs(bad_values) do
                local response = call(emu, { action = "DescribeUserOIDCConfig",
                    authorization = bad })
                assert_error("AuthFailure.InvalidAuthorization", response)
            end
        end)

        it("requires X-TC-Timestamp", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                omit = { ["X-TC-Timestamp"] = true } })
            assert_error("MissingParameter", response)
            assert.is_truthy(response.Error.Message:find("X-TC-Timestamp", 1, true))
        end)

        it("rejects a timestamp that is not digits", function()
            local now = os.time()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                timestamp = now .. ".0", sign_timestamp = now })
            assert_error("InvalidParameter", response)
        end)

        it("rejects a timestamp more than 300 s off", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                timestamp = os.time() - 400 })
            assert_error("AuthFailure.SignatureExpire", response)

            response = call(emu, { action = "DescribeUserOIDCConfig",
                timestamp = os.time() + 400 })
            assert_error("AuthFailure.SignatureExpire", response)
        end)

        it("accepts a timestamp 250 s off", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                timestamp = os.time() - 250 })
            assert_success(response)
        end)

        it("measures expiry against the offset clock", function()
            emu:set_clock(3600)
            local response = call(emu, { action = "DescribeUserOIDCConfig" })
            assert_error("AuthFailure.SignatureExpire", response)

            response = call(emu, { action = "DescribeUserOIDCConfig",
                timestamp = os.time() + 3600 })
            assert_success(response)
        end)

        it("rejects an unknown secret id", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                id = "AKIDUnknown00000000000000000000" })
            assert_error("AuthFailure.SecretIdNotFound", response)
        end)

        it("rejects a signature made with another key", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                sign_key = "NotTheRightSecretKey000000000000" })
            assert_error("AuthFailure.SignatureFailure", response)
        end)

        it("rejects a body changed after signing", function()
            local response = call(emu, { action = "CreateOIDCConfig",
                params = role_params("tampered"),
                sign_body = encode_params(role_params("original")) })
            assert_error("AuthFailure.SignatureFailure", response)
            assert.is_nil(emu:state().accounts[helpers.DEMO_ID])
        end)

        it("rejects a scope date other than the timestamp's", function()
            local now = os.time()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                timestamp = now, sign_timestamp = now - 86400 })
            assert_error("AuthFailure.SignatureFailure", response)
            assert.is_truthy(response.Error.Message:find("date", 1, true))
        end)

        it("rejects a service other than cam", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig", service = "cvm" })
            assert_error("AuthFailure.SignatureFailure", response)
        end)

        it("rejects a signed header sent twice", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                extra = { { "Content-Type", "application/json" } } })
            assert_error("AuthFailure.SignatureFailure", response)
            assert.is_truthy(response.Error.Message:find("content-type", 1, true))
        end)

        it("ignores the port of the Host header", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig" })
            assert_success(response)

            response = call(emu, { action = "DescribeUserOIDCConfig", host = "127.0.0.1" })
            assert_success(response)
        end)

        it("rejects a signed Host that differs", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                host_header = "cam.intl.tencentcloudapi.com:" .. emu.port })
            assert_error("AuthFailure.SignatureFailure", response)
        end)

        it("signs the content type as sent", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                content_type = "application/json; charset=utf-8" })
            assert_success(response)
        end)

        it("requires the token of a temporary key", function()
            local temporary = {
                action = "DescribeUserOIDCConfig",
                id = "AKIDTemporary0000000000000000003",
                key = "TemporarySecretKey00000000000003",
            }
            assert_error("AuthFailure.TokenFailure", call(emu, temporary))
            assert_error("AuthFailure.TokenFailure",
                call(emu, copy_with(temporary, { token = "wrong-token" })))
            assert_success(call(emu, copy_with(temporary, { token = "session-token-3" })))
        end)

        it("rejects a token with a permanent key", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig", token = "stray" })
            assert_error("AuthFailure.TokenFailure", response)
        end)

        it("requires X-TC-Action", function()
            local response = call(emu, { action = nil })
            assert_error("MissingParameter", response)
            assert.is_truthy(response.Error.Message:find("X-TC-Action", 1, true))
        end)

        it("rejects an unknown action", function()
            assert_error("InvalidAction", call(emu, { action = "DescribeInstances" }))
        end)

        it("rejects another API version", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig",
                version = "2017-03-12" })
            assert_error("NoSuchVersion", response)

            response = call(emu, { action = "DescribeUserOIDCConfig",
                omit = { ["X-TC-Version"] = true } })
            assert_error("MissingParameter", response)
        end)

        it("limits each action to 20 requests per second", function()
            local method, target, headers, body = build_request(emu,
                { action = "DescribeUserOIDCConfig" })
            local connection = helpers.http_connect("127.0.0.1", emu.port)
            local codes = {}
            for i = 1, 25 do
                local response = assert(connection:request(method, target, headers, body))
                local decoded = check_envelope(response)
                codes[i] = decoded.Error and decoded.Error.Code or "Success"
            end
            connection:close()

            local successes, limited = 0, 0
            for _, code in ipairs(codes) do
                if code == "Success" then
                    successes = successes + 1
                elseif code == "RequestLimitExceeded" then
                    limited = limited + 1
                end
            end
            assert.is_true(successes <= 20)
            assert.is_true(limited >= 1)
            assert.are.equal(25, successes + limited)

            -- Another action of the same account has its own window.
            assert_error("ResourceNotFound.IdentityNotExist",
                action(emu, "DescribeOIDCConfig", { Name = "x" }))
        end)

        it("rejects a body that is not JSON", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig", body = "Limit=1" })
            assert_error("InvalidParameter", response)
        end)

        it("rejects a body that is not an object", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig", body = "[]" })
            assert_error("InvalidParameter", response)
        end)

        it("rejects a content type other than JSON", function()
            local response = call(emu, { action = "DescribeUserOIDCConfig", body = "{}",
                content_type = "application/x-www-form-urlencoded" })
            assert_error("InvalidParameter", response)
        end)

        it("names an unknown parameter", function()
            local response = action(emu, "CreateUserOIDCConfig",
                user_params({ MappingField = "sub" }))
            assert_error("UnknownParameter", response)
            assert.is_truthy(response.Error.Message:find("MappingField", 1, true))
        end)

        it("names a missing parameter", function()
            local response = action(emu, "CreateUserOIDCConfig",
                user_params({ MappingFiled = REMOVE }))
            assert_error("MissingParameter", response)
            assert.is_truthy(response.Error.Message:find("MappingFiled", 1, true))
        end)

        it("rejects wrong JSON types", function()
            local cases = {
                { ClientId = 12345 },
                { AutoRotateKey = "1" },
                { AutoRotateKey = 1.5 },
                { Scope = "openid" },
                { Scope = { 1 } },
            }
            for _, overrides in ipairs(cases) do
                local response = action(emu, "CreateUserOIDCConfig", user_params(overrides))
                assert_error("InvalidParameter", response)
            end
        end)

        it("rejects an empty object for Scope", function()
            local body = encode_params(user_params()):gsub("}$", ',"Scope":{}}')
            local response = call(emu, { action = "CreateUserOIDCConfig", body = body })
            assert_error("InvalidParameter", response)
            assert.is_truthy(response.Error.Message:find("Scope", 1, true))
        end)

        it("rejects null for Description", function()
            local body = encode_params(user_params()):gsub("}$", ',"Description":null}')
            local response = call(emu, { action = "CreateUserOIDCConfig", body = body })
            assert_error("InvalidParameter", response)
        end)

        it("rejects a body over 10 MiB", function()
            local connection = helpers.http_connect("127.0.0.1", emu.port)
            local response = assert(connection:request("POST", "/", {
                { "Host", HOST },
                { "Content-Type", "application/json" },
                { "X-TC-Action", "DescribeUserOIDCConfig" },
                { "Content-Length", tostring(10 * 1024 * 1024 + 1) },
                { "Expect", "100-continue" },
            }))
            connection:close()
            assert_error("RequestSizeLimitExceeded", check_envelope(response))
            assert.are.equal("close", response:header("Connection"))
        end)

        it("sends 100 Continue when expected", function()
            local method, target, headers, body = build_request(emu,
                { action = "DescribeUserOIDCConfig" })
            headers[#headers + 1] = { "Expect", "100-continue" }

            local connection = helpers.http_connect("127.0.0.1", emu.port)
            assert(connection:send(method, target, headers))
            local interim = connection.tcp:receive("*l")
            assert.are.equal("HTTP/1.1 100 Continue", interim)
            assert.are.equal("", connection.tcp:receive("*l"))
            connection.tcp:send(body)
            local response = assert(connection:receive())
            connection:close()
            assert_success(check_envelope(response))
        end)
    end)

    describe("parameter values", function()
        local function assert_create_rejected(code, overrides, field)
            local response = action(emu, "CreateUserOIDCConfig", user_params(overrides))
            assert_error(code, response)
            assert.is_truthy(response.Error.Message:find(field, 1, true),
                "message does not name " .. field .. ": " .. response.Error.Message)
        end

        it("rejects IdP URLs that are not plain https", function()
            local urls = {
                "http://idp.example.com",
                "https://idp.example.com/?a=1",
                "https://idp.example.com/#top",
                "https://user@idp.example.com",
                "https://",
                "https://idp example.com",
                "https://idp.example.com:0/",
                "https://idp.example.com:65536/",
                "https://idp.example.com:99999/",
                "https://idp.example.com:/",
            }
            for _, url in ipairs(urls) do
                assert_create_rejected("InvalidParameterValue.IdentityUrlError",
                    { IdentityUrl = url }, "IdentityUrl")
                assert_create_rejected("InvalidParameterValue.IdentityUrlError",
                    { AuthorizationEndpoint = url }, "AuthorizationEndpoint")
            end
        end)

        it("rejects malformed IPv6 hosts", function()
            local urls = {
                "https://[:1::2]/", "https://[1::2:]/", "https://[1::2::3]/",
                "https://[1:2:3:4:5:6:7:8:9]/", "https://[1:2:3:4:5:6:7]/",
                "https://[fe80::1%25eth0]/", "https://[1.2.3.4]/",
                "https://[::ffff:01.2.3.4]/", "https://[]/",
            }
            for _, url in ipairs(urls) do
                assert_create_rejected("InvalidParameterValue.IdentityUrlError",
                    { IdentityUrl = url }, "IdentityUrl")
            end
        end)

        it("accepts IPv6 hosts with embedded IPv4", function()
            assert_success(action(emu, "CreateUserOIDCConfig", user_params({
                IdentityUrl = "https://[::ffff:192.0.2.1]/realms/main",
                AuthorizationEndpoint = "https://[2001:db8::1]:8443/auth",
            })))
        end)

        it("rejects invisible characters in URLs", function()
            local chars = { "\u{80}", "\u{85}", "\u{9F}", "\u{A0}", "\u{AD}", "\u{200E}",
                "\u{2028}", "\u{3000}", "\u{FEFF}", "\u{E0041}" }
            for _, char in ipairs(chars) do
                assert_create_rejected("InvalidParameterValue.IdentityUrlError",
                    { IdentityUrl = "https://idp.example.com/a" .. char .. "b" },
                    "IdentityUrl")
            end
        end)

        it("rejects keys that are not base64 JWKS", function()
            local keys = {
                "not base64!",
                mime.b64("not json"),
                mime.b64('{"keys":[]}'),
                mime.b64('{"keys":{}}'),
                mime.b64("[]"),
                (mime.b64(JWKS):gsub("=", "")) .. "A",
                (JWKS_BASE64:gsub("%+", "-"):gsub("/", "_")) .. "-_",
            }
            for _, key in ipairs(keys) do
                assert_create_rejected("InvalidParameterValue.IdentityKeyError",
                    { IdentityKey = key }, "IdentityKey")
            end
        end)

        it("rejects invalid enumerated values", function()
            assert_create_rejected("InvalidParameterValue", { ResponseType = "code" },
                "ResponseType")
            assert_create_rejected("InvalidParameterValue", { ResponseMode = "form-post" },
                "ResponseMode")
            assert_create_rejected("InvalidParameterValue", { Scope = { "openid", "phone" } },
                "Scope")
            assert_create_rejected("InvalidParameterValue", { AutoRotateKey = 2 },
                "AutoRotateKey")
        end)

        it("checks ClientId characters and length", function()
            assert_create_rejected("InvalidParameterValue", { ClientId = "-abc" }, "ClientId")
            assert_create_rejected("InvalidParameterValue", { ClientId = "a b" }, "ClientId")
            assert_create_rejected("InvalidParameterValue", { ClientId = string.rep("a", 65) },
                "ClientId")
            assert_create_rejected("InvalidParameterValue", { ClientId = "" }, "ClientId")
            assert_success(action(emu, "CreateUserOIDCConfig",
                user_params({ ClientId = "a" .. string.rep("b.-_:/", 10) .. "xyz" })))
        end)

        it("checks MappingFiled characters and length", function()
            assert_create_rejected("InvalidParameterValue", { MappingFiled = "" },
                "MappingFiled")
            assert_create_rejected("InvalidParameterValue", { MappingFiled = "a.b" },
                "MappingFiled")
            assert_create_rejected("InvalidParameterValue",
                { MappingFiled = string.rep("a", 256) }, "MappingFiled")
            assert_success(action(emu, "CreateUserOIDCConfig",
                user_params({ MappingFiled = "用户名@&_[]-x1" })))
        end)

        it("accepts the edges of CJK blocks", function()
            -- Extensions A and B to G, the unified and both compatibility
            -- blocks, in code point order.
            local value = "\u{3400}\u{4DBF}\u{4E00}\u{9FFF}\u{F900}\u{FAFF}\u{20000}"
                .. "\u{2A6DF}\u{2A700}\u{2EBEF}\u{2F800}\u{2FA1F}\u{30000}\u{3134F}"
            assert_success(action(emu, "CreateUserOIDCConfig",
                user_params({ MappingFiled = value })))
        end)

        it("rejects code points between CJK blocks", function()
            local chars = { "\u{2A6E0}", "\u{2EBF0}", "\u{2F7FF}", "\u{2FA20}", "\u{31350}",
                "\u{33FF}", "\u{1F600}" }
            for _, char in ipairs(chars) do
                assert_create_rejected("InvalidParameterValue",
                    { MappingFiled = "a" .. char }, "MappingFiled")
            end
        end)

        it("limits Description to 255 characters", function()
            assert_create_rejected("InvalidParameterValue",
                { Description = string.rep("d", 256) }, "Description")
            assert_success(action(emu, "CreateUserOIDCConfig",
                user_params({ Description = string.rep("描", 255) })))
        end)

        it("checks role provider names", function()
            local names = { "", "has space", "slash/name", string.rep("n", 129) }
            for _, name in ipairs(names) do
                local response = action(emu, "CreateOIDCConfig", role_params(name))
                assert_error("InvalidParameterValue.NameError", response)
            end
            assert_error("InvalidParameterValue.NameError",
                action(emu, "DescribeOIDCConfig", { Name = "bad name" }))
            assert_success(action(emu, "CreateOIDCConfig",
                role_params("Az09+=,.@-_" .. string.rep("n", 117))))
        end)

        it("requires a non-empty role ClientId list", function()
            local response = action(emu, "CreateOIDCConfig",
                role_params("empty", { ClientId = setmetatable({}, { __jsontype = "array" }) }))
            assert_error("InvalidParameterValue", response)

            response = action(emu, "CreateOIDCConfig", role_params("scalar",
                { ClientId = "role-client-a" }))
            assert_error("InvalidParameter", response)
        end)
    end)

    describe("user SSO state", function()
        it("describes Status 0 before any create", function()
            local response = action(emu, "DescribeUserOIDCConfig")
            assert_success(response)
            assert.are.equal(12, response.ProviderType)
            assert.are.equal(0, response.Status)
            local names = {}
            for name in pairs(response) do
                names[#names + 1] = name
            end
            table.sort(names)
            assert.are.same({ "ProviderType", "RequestId", "Status" }, names)
        end)

        it("rejects an update before a create", function()
            assert_error("ResourceNotFound.IdentityNotExist",
                action(emu, "UpdateUserOIDCConfig", user_params()))
        end)

        it("creates, describes and refuses a second create", function()
            assert_success(action(emu, "CreateUserOIDCConfig", user_params()))

            local response = action(emu, "DescribeUserOIDCConfig")
            assert_success(response)
            assert.are.equal(12, response.ProviderType)
            assert.are.equal(11, response.Status)
            assert.is_true(helpers.is_integer(response.Status))
            assert.are.equal("https://idp.example.com/realms/main", response.IdentityUrl)
            assert.are.equal(JWKS_BASE64, response.IdentityKey)
            assert.are.equal("cam-client-01", response.ClientId)
            assert.are.equal("id_token", response.ResponseType)
            assert.are.equal("form_post", response.ResponseMode)
            assert.are.equal("sub", response.MappingFiled)
            assert.are.same({ "openid" }, response.Scope)
            assert.are.equal("", response.Description)
            assert.are.equal(0, response.AutoRotateKey)

            assert_error("LimitExceeded.IdentityFull",
                action(emu, "CreateUserOIDCConfig", user_params()))
        end)

        it("replaces every field on update", function()
            assert_success(action(emu, "CreateUserOIDCConfig",
                user_params({ Description = "first", AutoRotateKey = 1 })))
            assert_success(action(emu, "UpdateUserOIDCConfig", user_params({
                IdentityUrl = "https://login.example.org/tenant/v2.0",
                ClientId = "other-client",
                ResponseMode = "fragment",
                Scope = { "openid", "email", "profile" },
            })))

            local response = action(emu, "DescribeUserOIDCConfig")
            assert.are.equal("https://login.example.org/tenant/v2.0", response.IdentityUrl)
            assert.are.equal("other-client", response.ClientId)
            assert.are.equal("fragment", response.ResponseMode)
            assert.are.same({ "openid", "email", "profile" }, response.Scope)
            assert.are.equal("", response.Description)
            assert.are.equal(0, response.AutoRotateKey)
        end)

        it("disables and re-enables by update", function()
            assert_success(action(emu, "CreateUserOIDCConfig", user_params()))
            assert_success(action(emu, "DisableUserSSO"))

            local response = action(emu, "DescribeUserOIDCConfig")
            assert.are.equal(2, response.Status)
            assert.are.equal("cam-client-01", response.ClientId)

            assert_error("LimitExceeded.IdentityFull",
                action(emu, "CreateUserOIDCConfig", user_params()))

            assert_success(action(emu, "UpdateUserOIDCConfig", user_params()))
            assert.are.equal(11, action(emu, "DescribeUserOIDCConfig").Status)
        end)

        it("disables successfully when nothing exists", function()
            assert_success(action(emu, "DisableUserSSO"))
            assert.are.equal(0, action(emu, "DescribeUserOIDCConfig").Status)
        end)

        it("keeps accounts apart", function()
            local second = { id = "AKIDSecondAccount000000000000002",
                key = "SecondAccountSecretKey0000000002" }
            assert_success(action(emu, "CreateUserOIDCConfig", user_params()))
            assert.are.equal(0, action(emu, "DescribeUserOIDCConfig", nil, second).Status)
            assert.are.equal(11, action(emu, "DescribeUserOIDCConfig").Status)
        end)

        it("rejects parameters on parameterless actions", function()
            assert_error("UnknownParameter",
                action(emu, "DescribeUserOIDCConfig", { Name = "x" }))
            assert_error("UnknownParameter", action(emu, "DisableUserSSO", { Force = 1 }))
        end)
    end)

    describe("role SSO state", function()
        it("runs create, describe, update and delete", function()
            assert_success(action(emu, "CreateOIDCConfig",
                role_params("corp-idp", { Description = "corporate IdP" })))

            local response = action(emu, "DescribeOIDCConfig", { Name = "corp-idp" })
            assert_success(response)
            assert.are.equal(11, response.ProviderType)
            assert.are.equal(11, response.Status)
            assert.are.equal("corp-idp", response.Name)
            assert.are.same({ "role-client-a", "role-client-b" }, response.ClientId)
            assert.are.equal("corporate IdP", response.Description)
            assert.are.equal(0, response.AutoRotateKey)

            assert_error("InvalidParameter.IdentityNameInUse",
                action(emu, "CreateOIDCConfig", role_params("corp-idp")))

            assert_success(action(emu, "UpdateOIDCConfig", role_params("corp-idp", {
                ClientId = { "only-client" }, AutoRotateKey = 1 })))
            response = action(emu, "DescribeOIDCConfig", { Name = "corp-idp" })
            assert.are.same({ "only-client" }, response.ClientId)
            assert.are.equal(1, response.AutoRotateKey)
            assert.are.equal("", response.Description)

            assert_success(action(emu, "DeleteOIDCConfig", { Name = "corp-idp" }))
            assert_error("ResourceNotFound.IdentityNotExist",
                action(emu, "DescribeOIDCConfig", { Name = "corp-idp" }))
            assert_error("ResourceNotFound.IdentityNotExist",
                action(emu, "DeleteOIDCConfig", { Name = "corp-idp" }))
        end)

        it("rejects an update of a missing name", function()
            assert_error("ResourceNotFound.IdentityNotExist",
                action(emu, "UpdateOIDCConfig", role_params("missing")))
        end)

        it("allows at most 10 providers", function()
            for i = 1, 10 do
                assert_success(action(emu, "CreateOIDCConfig", role_params("idp-" .. i)))
            end
            assert_error("LimitExceeded.IdentityFull",
                action(emu, "CreateOIDCConfig", role_params("idp-11")))
            assert_error("InvalidParameter.IdentityNameInUse",
                action(emu, "CreateOIDCConfig", role_params("idp-3")))
        end)

        it("requires a Name", function()
            local response = action(emu, "DescribeOIDCConfig", {})
            assert_error("MissingParameter", response)
            assert.is_truthy(response.Error.Message:find("Name", 1, true))
        end)
    end)

    describe("connections", function()
        it("serves two requests on one connection", function()
            local connection = helpers.http_connect("127.0.0.1", emu.port)
            for _ = 1, 2 do
                local response = assert(connection:request(build_request(emu,
                    { action = "DescribeUserOIDCConfig" })))
                assert_success(check_envelope(response))
                assert.are.equal("keep-alive", response:header("Connection"))
            end
            connection:close()
        end)

        it("closes after Connection: close", function()
            local connection = helpers.http_connect("127.0.0.1", emu.port, 2)
            local method, target, headers, body = build_request(emu,
                { action = "DescribeUserOIDCConfig", extra = { { "Connection", "close" } } })
            local response = assert(connection:request(method, target, headers, body))
            assert.are.equal("close", response:header("Connection"))
            local _, err = connection:request(method, target, headers, body)
            assert.are.equal("closed", err)
            connection:close()
        end)

        it("does not hold other connections for a delay", function()
            emu:fault({ fault = "delay", action = "DescribeUserOIDCConfig", delay_ms = 1500 })

            local slow = helpers.http_connect("127.0.0.1", emu.port)
            local fast = helpers.http_connect("127.0.0.1", emu.port)
            local started = socket.gettime()
            assert(slow:send(build_request(emu, { action = "DescribeUserOIDCConfig" })))
            socket.sleep(0.2)
            assert(fast:send(build_request(emu, { action = "DescribeUserOIDCConfig" })))

            local fast_response = assert(fast:receive())
            local fast_done = socket.gettime()
            local slow_response = assert(slow:receive())
            local slow_done = socket.gettime()
            fast:close()
            slow:close()

            assert_success(check_envelope(fast_response))
            assert_success(check_envelope(slow_response))
            assert.is_true(fast_done < slow_done)
            assert.is_true(slow_done - started >= 1.5)
        end)

        it("rejects malformed HTTP with 400", function()
            local connection = helpers.http_connect("127.0.0.1", emu.port)
            connection.tcp:send("NOT-HTTP\r\n\r\n")
            local response = assert(connection:receive())
            connection:close()
            assert.are.equal(400, response.status)
            assert.is_truthy(response:header("Date"))
        end)
    end)

    describe("request log", function()
        it("keeps headers in order with duplicates", function()
            local method, target, headers, body = build_request(emu, {
                action = "DescribeUserOIDCConfig",
                extra = { { "X-Trace", "one" }, { "X-Trace", "two" } },
            })
            local connection = helpers.http_connect("127.0.0.1", emu.port)
            local response = check_envelope(assert(connection:request(method, target,
                headers, body)))
            connection:close()

            local entries = emu:requests()
            assert.are.equal(1, #entries)
            local entry = entries[1]
            assert.are.equal("POST", entry.method)
            assert.are.equal("/", entry.path)
            assert.are.equal("DescribeUserOIDCConfig", entry.action)
            assert.are.equal("Success", entry.outcome)
            assert.are.equal(response.RequestId, entry.request_id)
            assert.are.equal(body, entry.body)
            assert.are.equal(#headers, #entry.headers)
            for i, header in ipairs(headers) do
                assert.are.same({ name = header[1], value = header[2] }, entry.headers[i])
            end

            emu:admin("DELETE", "/_emulator/requests")
            assert.are.same({}, emu:requests())
        end)

        it("records the error code as outcome", function()
            call(emu, { action = "DescribeUserOIDCConfig", sign_key = "wrong" })
            assert.are.equal("AuthFailure.SignatureFailure", emu:requests()[1].outcome)
        end)
    end)

    describe("admin API", function()
        it("adds a credential at run time", function()
            local id, key = "AKIDAddedAtRunTime00000000000004", "AddedSecretKey000000000000000004"
            assert_error("AuthFailure.SecretIdNotFound",
                action(emu, "DescribeUserOIDCConfig", nil, { id = id, key = key }))
            emu:add_credential(id, key)
            assert_success(action(emu, "DescribeUserOIDCConfig", nil, { id = id, key = key }))
        end)

        it("resets state, faults and clock", function()
            assert_success(action(emu, "CreateUserOIDCConfig", user_params()))
            emu:fault({ fault = "throttle", count = -1 })
            emu:set_clock(-1000)
            emu:reset()

            assert.are.same({}, emu:admin("GET", "/_emulator/faults").faults)
            assert.are.equal(0, emu:admin("GET", "/_emulator/clock").offset)
            assert.are.equal(0, action(emu, "DescribeUserOIDCConfig").Status)
        end)

        it("rejects a clock offset beyond 100 years", function()
            local offsets = { "9223372036854775807", "-9223372036854775808",
                tostring(MAX_CLOCK_OFFSET + 1), tostring(-MAX_CLOCK_OFFSET - 1), "1.5" }
            for _, offset in ipairs(offsets) do
                local response, status = admin_raw(emu, "POST", "/_emulator/clock",
                    '{"offset": ' .. offset .. '}')
                assert.are.equal(400, status, offset)
                assert.is_truthy(response.error:find("offset", 1, true))
            end

            local health, status = emu:admin("GET", "/_emulator/health")
            assert.are.equal(200, status)
            assert.are.equal("ok", health.status)
            assert.are.equal(0, emu:admin("GET", "/_emulator/clock").offset)
        end)

        it("keeps serving at a clock offset of 100 years", function()
            for _, offset in ipairs({ MAX_CLOCK_OFFSET, -MAX_CLOCK_OFFSET }) do
                local clock, status = emu:set_clock(offset)
                assert.are.equal(200, status)
                assert.are.equal(offset, clock.offset)

                local _, health_status, response = admin_raw(emu, "GET",
                    "/_emulator/health", "")
                assert.are.equal(200, health_status)
                assert.is_truthy(response:header("Date"):find(HTTP_DATE))

                -- check_envelope checks the Date header of the API response.
                assert_error("AuthFailure.SignatureExpire",
                    call(emu, { action = "DescribeUserOIDCConfig" }))
            end
        end)

        it("rejects invalid faults", function()
            local bad = {
                { fault = "explode" },
                { fault = "delay", delay_ms = -1 },
                { fault = "status", status = 99 },
                { fault = "delay", count = 0 },
                { fault = "delay", colour = "red" },
            }
            for _, fault in ipairs(bad) do
                local response, status = emu:admin("POST", "/_emulator/faults", fault)
                assert.are.equal(400, status)
                assert.is_string(response.error)
            end
        end)

        it("returns 404 and 405", function()
            local _, status = emu:admin("GET", "/_emulator/nothing")
            assert.are.equal(404, status)
            _, status = emu:admin("PUT", "/_emulator/reset")
            assert.are.equal(405, status)
        end)
    end)

    describe("faults", function()
        local function role_exists(name)
            local account = emu:state().accounts[helpers.DEMO_ID]
            return account ~= nil and account.role_oidc[name] ~= nil
        end

        local function send_raw(opts, timeout)
            local connection = helpers.http_connect("127.0.0.1", emu.port, timeout)
            local response, err = connection:request(build_request(emu, opts))
            connection:close()
            return response, err
        end

        it("delays and then applies the action", function()
            emu:fault({ fault = "delay", delay_ms = 300 })
            local started = socket.gettime()
            assert_success(action(emu, "CreateOIDCConfig", role_params("late")))
            assert.is_true(socket.gettime() - started >= 0.3)
            assert.is_true(role_exists("late"))
        end)

        it("sends a status page without applying", function()
            emu:fault({ fault = "status", status = 503 })
            local response = assert(send_raw({ action = "CreateOIDCConfig",
                params = role_params("never") }))
            assert.are.equal(503, response.status)
            assert.is_truthy(response:header("Content-Type"):find("text/html", 1, true))
            assert.is_truthy(response.body:find("503", 1, true))
            assert.is_truthy(response:header("Date"))
            assert.is_false(role_exists("never"))
        end)

        it("sends a body that is not JSON", function()
            emu:fault({ fault = "non_json" })
            local response = assert(send_raw({ action = "DescribeUserOIDCConfig" }))
            assert.are.equal(200, response.status)
            assert.is_false(pcall(helpers.json_decode, response.body))
        end)

        it("throttles without applying", function()
            emu:fault({ fault = "throttle", action = "CreateOIDCConfig" })
            local response = action(emu, "CreateOIDCConfig", role_params("throttled"))
            assert_error("RequestLimitExceeded", response)
            assert.is_false(role_exists("throttled"))

            assert_success(action(emu, "CreateOIDCConfig", role_params("throttled")))
        end)

        it("closes before applying on reset_before", function()
            emu:fault({ fault = "reset_before" })
            local response, err = send_raw({ action = "CreateOIDCConfig",
                params = role_params("lost") })
            assert.is_nil(response)
            assert.are.equal("closed", err)
            assert.is_false(role_exists("lost"))
            assert.are.equal("reset_before", emu:requests()[1].fault)
        end)

        it("applies then closes on reset_after", function()
            emu:fault({ fault = "reset_after" })
            local response, err = send_raw({ action = "CreateOIDCConfig",
                params = role_params("applied") })
            assert.is_nil(response)
            assert.are.equal("closed", err)
            assert.is_true(role_exists("applied"))
        end)

        it("redirects with 302", function()
            emu:fault({ fault = "redirect" })
            local response = assert(send_raw({ action = "DescribeUserOIDCConfig" }))
            assert.are.equal(302, response.status)
            assert.are.equal(emu.url .. "/", response:header("Location"))

            emu:fault({ fault = "redirect", location = "http://127.0.0.1:9/elsewhere" })
            response = assert(send_raw({ action = "DescribeUserOIDCConfig" }))
            assert.are.equal("http://127.0.0.1:9/elsewhere", response:header("Location"))
        end)

        it("rejects control characters in a redirect location", function()
            local locations = {
                "https://x/\r\nX-Injected: yes", "https://x/\nX-Injected: yes",
                "https://x/\rX-Injected: yes", "https://x/\0", "https://x/\ta",
                "https://x/\127", "", " https://x/", "https://x/ ",
                "https://x/" .. string.rep("a", 8192),
            }
            for _, location in ipairs(locations) do
                local response, status = emu:admin("POST", "/_emulator/faults",
                    { fault = "redirect", location = location })
                assert.are.equal(400, status, location)
                assert.is_truthy(response.error:find("location", 1, true))
            end
            assert.are.same({}, emu:admin("GET", "/_emulator/faults").faults)

            local response = assert(send_raw({ action = "DescribeUserOIDCConfig" }))
            assert.are.equal(200, response.status)
            assert.is_nil(response:header("X-Injected"))
        end)

        it("sends a non-ASCII location as given", function()
            emu:fault({ fault = "redirect", location = "http://127.0.0.1:9/用户 名" })
            local response = assert(send_raw({ action = "DescribeUserOIDCConfig" }))
            assert.are.equal(302, response.status)
            assert.are.equal("http://127.0.0.1:9/用户 名", response:header("Location"))
        end)

        it("sends an oversized JSON body", function()
            emu:fault({ fault = "oversized", bytes = 3 * 1024 * 1024 })
            local response = assert(send_raw({ action = "DescribeUserOIDCConfig" }))
            assert.are.equal(200, response.status)
            assert.are.equal(3 * 1024 * 1024, #response.body)
            assert.are.equal(tostring(#response.body), response:header("Content-Length"))
            local decoded = helpers.json_decode(response.body)
            assert.is_truthy(decoded.Response.RequestId:find(UUID_V4))
        end)

        it("hangs until the client gives up", function()
            emu:fault({ fault = "hang", action = "DescribeUserOIDCConfig" })
            local started = socket.gettime()
            local response, err = send_raw({ action = "DescribeUserOIDCConfig" }, 0.5)
            assert.is_nil(response)
            assert.are.equal("timeout", err)
            assert.is_true(socket.gettime() - started >= 0.5)

            -- The emulator still serves other requests.
            assert_success(action(emu, "DescribeUserOIDCConfig"))
        end)

        it("applies a fault count times", function()
            emu:fault({ fault = "throttle", count = 2 })
            assert_error("RequestLimitExceeded", action(emu, "DescribeUserOIDCConfig"))
            assert_error("RequestLimitExceeded", action(emu, "DescribeUserOIDCConfig"))
            assert_success(action(emu, "DescribeUserOIDCConfig"))
        end)

        it("keeps a -1 count fault until cleared", function()
            emu:fault({ fault = "throttle", count = -1 })
            for _ = 1, 3 do
                assert_error("RequestLimitExceeded", action(emu, "DescribeUserOIDCConfig"))
            end
            emu:clear_faults()
            assert_success(action(emu, "DescribeUserOIDCConfig"))
        end)

        it("matches only the named action", function()
            emu:fault({ fault = "throttle", action = "DisableUserSSO" })
            assert_success(action(emu, "DescribeUserOIDCConfig"))
            assert_error("RequestLimitExceeded", action(emu, "DisableUserSSO"))
        end)

        it("does not touch the admin API", function()
            emu:fault({ fault = "reset_before", count = -1 })
            local health, status = emu:admin("GET", "/_emulator/health")
            assert.are.equal(200, status)
            assert.are.equal("ok", health.status)
        end)
    end)

    describe("request ids", function()
        it("are distinct UUID v4 values", function()
            local seen = {}
            local responses = {
                action(emu, "DescribeUserOIDCConfig"),
                action(emu, "DescribeOIDCConfig", { Name = "missing" }),
                (call(emu, { action = "DescribeUserOIDCConfig", sign_key = "wrong" })),
            }
            for _, response in ipairs(responses) do
                assert.is_truthy(response.RequestId:find(UUID_V4))
                assert.is_nil(seen[response.RequestId])
                seen[response.RequestId] = true
            end
        end)
    end)
end)


describe("cam-emulator process", function()
    setup(function()
        helpers.require_interop()
    end)

    it("exits 0 on SIGTERM", function()
        if _VERSION == "Lua 5.1" then
            return pending("exit statuses from io.popen need Lua 5.2 or later")
        end
        local emu = helpers.start_emulator()
        local code, how = emu:stop("TERM")
        assert.are.equal("exit", how)
        assert.are.equal(0, code)
        assert.is_truthy(emu:stderr():find("stopping on SIGTERM", 1, true))
    end)

    it("exits 0 on SIGINT", function()
        if _VERSION == "Lua 5.1" then
            return pending("exit statuses from io.popen need Lua 5.2 or later")
        end
        local emu = helpers.start_emulator()
        local code, how = emu:stop("INT")
        assert.are.equal("exit", how)
        assert.are.equal(0, code)
    end)

    it("fails to start on an unknown option", function()
        local ok, err = pcall(helpers.start_emulator, { args = { "--no-such-option" } })
        assert.is_false(ok)
        assert.is_truthy(tostring(err):find("unknown option --no-such-option", 1, true))
    end)

    it("uses the demo account by default", function()
        local emu = helpers.start_emulator()
        local ok, err = pcall(function()
            assert_success(action(emu, "DescribeUserOIDCConfig"))
        end)
        emu:stop()
        assert(ok, err)
    end)

    it("keeps state across a restart", function()
        local dir = helpers.tmpdir()
        local state_file = dir .. "/state.json"

        local first = helpers.start_emulator({ state = state_file })
        local ok, err = pcall(function()
            assert_success(action(first, "CreateUserOIDCConfig",
                user_params({ Scope = { "openid", "email" } })))
            assert_success(action(first, "CreateOIDCConfig", role_params("kept")))
            assert_success(action(first, "DisableUserSSO"))
        end)
        first:stop()
        assert(ok, err)

        local saved = helpers.json_decode(assert(io.open(state_file)):read("a"))
        assert.are.equal(1, saved.format)
        assert.are.equal(2, saved.accounts[helpers.DEMO_ID].user_oidc.Status)
        assert.is_nil(io.open(state_file .. ".tmp"))

        local second = helpers.start_emulator({ state = state_file })
        ok, err = pcall(function()
            local response = action(second, "DescribeUserOIDCConfig")
            assert.are.equal(2, response.Status)
            assert.are.same({ "openid", "email" }, response.Scope)
            assert.are.same({ "role-client-a", "role-client-b" },
                action(second, "DescribeOIDCConfig", { Name = "kept" }).ClientId)
        end)
        second:stop()
        assert(ok, err)
    end)

    it("starts empty from a missing state file", function()
        local dir = helpers.tmpdir()
        local emu = helpers.start_emulator({ state = dir .. "/absent.json" })
        local ok, err = pcall(function()
            assert.are.equal(0, action(emu, "DescribeUserOIDCConfig").Status)
        end)
        emu:stop()
        assert(ok, err)
    end)

    it("refuses a corrupt state file", function()
        local dir = helpers.tmpdir()
        local state_file = dir .. "/corrupt.json"
        local file = assert(io.open(state_file, "w"))
        file:write("{not json")
        file:close()

        local ok, err = pcall(helpers.start_emulator, { state = state_file })
        assert.is_false(ok)
        assert.is_truthy(tostring(err):find("not valid JSON", 1, true))
    end)

    it("never logs secrets", function()
        local emu = helpers.start_emulator({
            accounts = { { id = "AKIDLogCheck0000000000000000005",
                key = "LogCheckSecretKey000000000000005", token = "log-check-token" } },
        })
        local opts = { id = "AKIDLogCheck0000000000000000005",
            key = "LogCheckSecretKey000000000000005", token = "log-check-token" }
        local ok, err = pcall(function()
            assert_success(action(emu, "DescribeUserOIDCConfig", nil, opts))
            action(emu, "DescribeUserOIDCConfig", nil, copy_with(opts, { token = "bad-token" }))
            -- An error fault whose code is the secret key.
            emu:fault({ fault = "error", code = "LogCheckSecretKey000000000000005" })
            action(emu, "DescribeUserOIDCConfig", nil, opts)
        end)
        emu:stop()
        assert(ok, err)

        local log = emu:stderr()
        assert.is_truthy(log:find("DescribeUserOIDCConfig", 1, true))
        assert.is_falsy(log:find("LogCheckSecretKey", 1, true))
        assert.is_falsy(log:find("log-check-token", 1, true))
        assert.is_falsy(log:find("bad-token", 1, true))
        assert.is_falsy(log:find("Signature=", 1, true))
        assert.is_truthy(log:find("-> *** request_id=", 1, true))
    end)
end)


describe("cam-emulator over TLS", function()
    local ca, other_ca, emu

    setup(function()
        helpers.require_interop()
        ca = helpers.make_ca(helpers.tmpdir())
        other_ca = helpers.make_ca(helpers.tmpdir())
        emu = helpers.start_emulator({ tls = { cert = ca.cert, key = ca.key } })
    end)

    teardown(function()
        if emu then
            emu:stop()
        end
    end)

    it("prints an https URL", function()
        assert.is_truthy(emu.url:find("^https://127%.0%.0%.1:%d+$"))
    end)

    it("verifies with the test CA", function()
        local output = helpers.https_get(emu.url .. "/_emulator/health", ca.ca_file)
        assert.is_nil(output.error)
        assert.are.equal(200, output.status)
        assert.are.equal("ok", helpers.json_decode(output.body).status)
    end)

    it("fails verification with another CA", function()
        local output = helpers.https_get(emu.url .. "/_emulator/health", other_ca.ca_file)
        assert.is_table(output.error)
        assert.are.equal("UNABLE_TO_VERIFY_LEAF_SIGNATURE", output.error.code)
    end)

    it("keeps serving after a failed handshake", function()
        helpers.https_get(emu.url .. "/_emulator/health", other_ca.ca_file)
        local output = helpers.https_get(emu.url .. "/_emulator/health", ca.ca_file)
        assert.are.equal(200, output.status)
    end)

    it("serves a signed call from the SDK", function()
        local output = helpers.sdk_call(emu, "DescribeUserOIDCConfig", nil,
            { ca_file = ca.ca_file })
        assert.is_nil(output.error)
        assert.are.equal(0, output.result.Status)
        local entries = emu:requests()
        assert.is_true(entries[#entries].tls)
    end)

    it("serves admin calls over plain HTTP", function()
        local health, status = emu:admin("GET", "/_emulator/health")
        assert.are.equal(200, status)
        assert.are.equal(emu.url, health.url)
    end)

    it("rejects plain-HTTP API calls", function()
        local connection = helpers.http_connect("127.0.0.1", emu.port)
        local response = assert(connection:request(build_request(emu,
            { action = "DescribeUserOIDCConfig" })))
        connection:close()
        assert.are.equal(400, response.status)
    end)
end)


describe("cam-emulator signature verifier", function()
    if _VERSION ~= "Lua 5.4" then
        pending("the emulator's modules are Lua 5.4 code")
        return
    end
    local tc3 = require "cam.emulator.tc3"

    it("reproduces every known answer", function()
        local vectors = helpers.json_decode(assert(io.open("spec/fixtures/tc3_vectors.json"))
            :read("a"))
        assert.is_true(#vectors > 0)

        for _, vector in ipairs(vectors) do
            local authorization = assert(tc3.parse_authorization(vector.authorization))
            local request = {
                method = vector.method,
                path = vector.path,
                query = vector.query,
                body = vector.body,
                by_name = { ["content-type"] = { vector.content_type }, host = { vector.host } },
            }
            local canonical = assert(tc3.canonical_request(request,
                authorization.signed_headers))
            local signature = tc3.signature(vector.secret_key, authorization.date,
                authorization.service, string.format("%d", vector.timestamp), canonical)
            assert.are.equal(authorization.signature, signature, vector.name)
        end
    end)

    it("strips ports from Host values", function()
        assert.are.equal("cam.tencentcloudapi.com",
            tc3.host_without_port("cam.tencentcloudapi.com:8443"))
        assert.are.equal("[::1]", tc3.host_without_port("[::1]:8443"))
        assert.are.equal("[::1]", tc3.host_without_port("[::1]"))
        assert.are.equal("127.0.0.1", tc3.host_without_port("127.0.0.1"))
    end)
end)


describe("cam-emulator value rules", function()
    if _VERSION ~= "Lua 5.4" then
        pending("the emulator's modules are Lua 5.4 code")
        return
    end
    local fields = require "cam.emulator.fields"
    local http = require "cam.emulator.http"
    local validate = require "cam.validate"

    -- Whether cam.validate reports no problem for one user-SSO field.
    local function client_accepts(field, value)
        local _, problems = validate.update_oidc({ [field] = value })
        for _, problem in ipairs(problems or {}) do
            if problem.field == field then
                return false
            end
        end
        return true
    end

    local function emulator_accepts(check, value)
        return fields[check]("Field", value) == nil
    end

    -- Each range with its neighbours: first - 1, first, last, last + 1.
    local function edges(ranges)
        local points = {}
        for _, range in ipairs(ranges) do
            for _, point in ipairs({ range[1] - 1, range[1], range[2], range[2] + 1 }) do
                if point >= 0 and not (point >= 0xD800 and point <= 0xDFFF) then
                    points[#points + 1] = point
                end
            end
        end
        return points
    end

    local function in_ranges(ranges, point)
        for _, range in ipairs(ranges) do
            if point >= range[1] and point <= range[2] then
                return true
            end
        end
        return false
    end

    -- The CJK ideograph blocks of Unicode 14.0.
    local CJK = {
        { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF }, { 0xF900, 0xFAFF },
        { 0x20000, 0x2A6DF }, { 0x2A700, 0x2EBEF }, { 0x2F800, 0x2FA1F },
        { 0x30000, 0x3134F },
    }

    -- Unicode 14.0 general categories Cc, Cf, Zs, Zl and Zp.
    local INVISIBLE = {
        { 0x00, 0x20 }, { 0x7F, 0xA0 }, { 0xAD, 0xAD }, { 0x600, 0x605 },
        { 0x61C, 0x61C }, { 0x6DD, 0x6DD }, { 0x70F, 0x70F }, { 0x890, 0x891 },
        { 0x8E2, 0x8E2 }, { 0x1680, 0x1680 }, { 0x180E, 0x180E },
        { 0x2000, 0x200F }, { 0x2028, 0x202F }, { 0x205F, 0x2064 },
        { 0x2066, 0x206F }, { 0x3000, 0x3000 }, { 0xFEFF, 0xFEFF },
        { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD },
        { 0x13430, 0x13438 }, { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A },
        { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F },
    }

    it("match cam.validate on CJK ideographs", function()
        for _, point in ipairs(edges(CJK)) do
            local value = "a" .. utf8.char(point)
            local expected = in_ranges(CJK, point)
            local label = string.format("U+%04X", point)

            assert.are.equal(expected, client_accepts("MappingFiled", value), label)
            assert.are.equal(expected, emulator_accepts("mapping_filed", value), label)
        end
    end)

    it("match cam.validate on URL characters", function()
        for _, point in ipairs(edges(INVISIBLE)) do
            local value = "https://idp.example.com/a" .. utf8.char(point) .. "b"
            local expected = not in_ranges(INVISIBLE, point)
            local label = string.format("U+%04X", point)

            assert.are.equal(expected, client_accepts("IdentityUrl", value), label)
            assert.are.equal(expected, emulator_accepts("https_url", value), label)
        end
    end)

    -- Check that the client and the emulator both give each case's verdict
    -- on the URL that `pattern` makes of its host.
    local function assert_urls_agree(cases, pattern)
        for _, case in ipairs(cases) do
            local url = string.format(pattern, case[1])

            assert.are.equal(case[2], client_accepts("IdentityUrl", url), url)
            assert.are.equal(case[2], emulator_accepts("https_url", url), url)
        end
    end

    it("match cam.validate on IPv6 hosts", function()
        local cases = {
            { "::", true }, { "::1", true }, { "1::", true }, { "2001:db8::1", true },
            { "1:2:3:4:5:6:7:8", true }, { "1:2:3:4:5:6:7::", true },
            { "::2:3:4:5:6:7:8", true }, { "::ffff:1.2.3.4", true },
            { "::1.2.3.4", true }, { "1:2:3:4:5:6:1.2.3.4", true },
            { "1:2:3:4:5::1.2.3.4", true }, { "ABCD:EF01::1", true },
            { ":1::2", false }, { "1::2:", false }, { ":::", false }, { ":::1", false },
            { "1:::2", false }, { "1::2::3", false }, { ":", false }, { "", false },
            { "1:2:3:4:5:6:7", false }, { "1:2:3:4:5:6:7:8:9", false },
            { "1::2:3:4:5:6:7:8", false }, { "12345::", false }, { "::g", false },
            { "1.2.3.4", false }, { "::ffff:1.2.3", false }, { "::ffff:256.1.1.1", false },
            { "::ffff:01.2.3.4", false }, { "1:2:3:4:5:6:7:1.2.3.4", false },
            { "1:2:3:4:5:6::1.2.3.4", false }, { "1.2.3.4::", false },
            { "::1.2.3.4:5", false }, { "fe80::1%25eth0", false },
        }
        assert_urls_agree(cases, "https://[%s]/")
    end)

    it("agrees on host names, IPv4 and ports", function()
        local label63 = string.rep("a", 63)
        local name253 = string.rep(label63 .. ".", 3) .. string.rep("b", 61)
        local cases = {
            { "idp.example.com", true }, { "idp.example.com.", true },
            { "a-b.example", true }, { label63 .. ".example", true },
            { name253, true }, { "192.0.2.1", true }, { "10.0.0.0", true },
            { "idp.example.com:443", true }, { "idp.example.com:65535", true },
            { "a-.com", false }, { "-a.com", false }, { "a..b", false },
            { ".a", false }, { string.rep("a", 64) .. ".example", false },
            { name253 .. "c", false }, { "1.2.3.256", false }, { "999", false },
            { "1.2.3", false }, { "01.2.3.4", false }, { "ex_ample.com", false },
            { "idp.example.com:0", false }, { "idp.example.com:65536", false },
            { "idp.example.com:", false }, { "[::1]:0", false },
        }
        assert_urls_agree(cases, "https://%s/")
    end)

    it("rejects CR or LF in header values", function()
        local written = {}
        local socket = {
            write = function(_, ...)
                written[#written + 1] = table.concat({ ... })
                return true
            end,
            flush = function()
                return true
            end,
        }

        for _, value in ipairs({ "a\r\nX-Injected: yes", "a\nb", "a\rb" }) do
            assert.has_error(function()
                http.write_response(socket, 302, { { "Location", value } }, "")
            end)
        end
        assert.are.same({}, written)

        assert.is_true(http.write_response(socket, 302, { { "Location", "/x" } }, ""))
        assert.is_truthy(written[1]:find("\r\nLocation: /x\r\n", 1, true))
    end)
end)
