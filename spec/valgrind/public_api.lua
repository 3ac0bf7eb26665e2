--- A scripted run of the client API and of every cam.core function, made to
-- run under valgrind memcheck (see .ci/valgrind.sh, which starts the
-- emulators).
--
--   lua5.4 spec/valgrind/public_api.lua HTTP_URL HTTPS_URL CA_FILE CLOSED_PORT KEY_DIR
--
-- HTTP_URL and HTTPS_URL are two running emulators with the demo account,
-- CA_FILE the CA of the HTTPS one, CLOSED_PORT a loopback port where nothing
-- listens. KEY_DIR contains rsa_public.pem, ec_public.pem, private.pem and
-- rs256.sig, an RS256 signature of "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0"
-- by the RSA key. Every step checks its outcome, so a run that passes under
-- valgrind has really gone through the code paths it names. The last line
-- is "N checks passed"; a failed check raises.
local root = arg[0]:match("^(.*)/spec/valgrind/[^/]*$") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/build/lua5.4/?.so;" .. package.cpath

local cam = require("cam")
local core = require("cam.core")
local json = require("cam.json")

local HTTP_URL, HTTPS_URL, CA_FILE, CLOSED_PORT, KEY_DIR = arg[1], arg[2],
    arg[3], tonumber(arg[4]), arg[5]
assert(HTTP_URL and HTTPS_URL and CA_FILE and CLOSED_PORT and KEY_DIR,
    "usage: public_api.lua HTTP_URL HTTPS_URL CA_FILE CLOSED_PORT KEY_DIR")

local DEMO_ID = "AKIDCamEmulatorDemo00000000000001"
local DEMO_KEY = "CamEmulatorDemoSecretKey00000001"

local checks = 0


local function check(condition, message)
    if not condition then
        error("check failed: " .. message, 2)
    end
    checks = checks + 1
end


--- Check that fn raises an error whose message contains pattern.
local function check_raises(pattern, fn, ...)
    local ok, err = pcall(fn, ...)
    check(not ok, "expected an error matching '" .. pattern .. "'")
    check(tostring(err):find(pattern, 1, true) ~= nil,
        "error '" .. tostring(err) .. "' should contain '" .. pattern .. "'")
end


local function jwks()
    return '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1",'
        .. '"n":"' .. ("x"):rep(342) .. '","e":"AQAB"}]}'
end


local function user_params()
    return {
        identity_url = "https://sso.example.com/realms/acme",
        identity_key = assert(cam.identity_key(jwks())),
        client_id = "tencent-cloud-cam",
        authorization_endpoint = "https://sso.example.com/realms/acme/auth",
        mapping_field = "preferred_username",
        scope = { "openid", "email" },
        description = "valgrind run \u{4e2d}\u{6587}",
    }
end


-- The emulator's admin API, called through the core HTTP handle.
local admin = core.http_new()


local function emulator_admin(base_url, method, path, body)
    local status, response = admin:request({
        url = base_url:gsub("^https:", "http:") .. path,
        method = method == "GET" and "GET" or "POST",
        headers = { "Content-Type: application/json" },
        body = body,
        allow_http = true,
        timeout_ms = 5000,
    })
    check(status == 200, "admin " .. path .. " returned " .. tostring(status)
        .. " " .. tostring(response and response.message or response))
end


local function queue_fault(json)
    emulator_admin(HTTP_URL, "POST", "/_emulator/faults", json)
end


-- ---- core: signing and codecs -----------------------------------------------

local function step_core()
    local input = {
        secret_id = DEMO_ID, secret_key = DEMO_KEY, service = "cam",
        host = "cam.tencentcloudapi.com", timestamp = 1700000000,
        body = "{}", content_type = "application/json",
    }
    local authorization = cam.sign(input)
    check(authorization:find("^TC3%-HMAC%-SHA256 Credential=" .. DEMO_ID
        .. "/2023%-11%-14/cam/tc3_request") ~= nil, "cam.sign output")
    check(core.sign(input) == authorization, "core.sign is cam.sign")

    input.query = "Limit=10"
    input.method = "GET"
    input.body = "with\0nul"
    check(#cam.sign(input) == #authorization, "cam.sign with query and NUL")

    check_raises("string expected", cam.sign, { secret_id = DEMO_ID })
    check_raises("must not be empty", cam.sign, {
        secret_id = "", secret_key = "k", service = "cam", host = "h",
        timestamp = 1, body = "", content_type = "a/b" })
    check_raises("control character", cam.sign, {
        secret_id = "a\nb", secret_key = "k", service = "cam", host = "h",
        timestamp = 1, body = "", content_type = "a/b" })
    check_raises("non-negative integer", cam.sign, {
        secret_id = "a", secret_key = "k", service = "cam", host = "h",
        timestamp = 1.5, body = "", content_type = "a/b" })
    check_raises("upper-case letters", cam.sign, {
        secret_id = "a", secret_key = "k", service = "cam", host = "h",
        timestamp = 1, body = "", content_type = "a/b", method = "post" })
    check_raises("table expected", cam.sign, "not a table")

    check(core.sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb924"
        .. "27ae41e4649b934ca495991b7852b855", "sha256_hex of empty")
    check(#core.hmac_sha256("", "data") == 32, "hmac_sha256 with empty key")
    check(#core.hmac_sha256(("k"):rep(100), ("d"):rep(1000)) == 32,
        "hmac_sha256 with long key")

    check(core.base64_encode("") == "", "base64_encode empty")
    check(core.base64_encode("\0\1\2\255") == "AAEC/w==", "base64_encode")
    check(core.base64_decode("AAEC/w==") == "\0\1\2\255", "base64_decode")
    local decoded, message = core.base64_decode("AAE")
    check(decoded == nil and message:find("multiple of 4"), "base64 length")
    decoded, message = core.base64_decode("AA*=")
    check(decoded == nil and message:find("position 3"), "base64 character")

    check(core.utf8_valid("caf\u{e9}") == true, "utf8_valid")
    local valid, position = core.utf8_valid("ab\xC0\xAF")
    check(valid == false and position == 3, "utf8_valid overlong")
    check(core.utf8_len("\u{4e2d}\u{6587}") == 2, "utf8_len")
    local length, bad = core.utf8_len("\xED\xA0\x80")
    check(length == nil and bad == 1, "utf8_len surrogate")

    check(core.json_quote("a\"\1\u{4e2d}") == '"a\\"\\u0001\u{4e2d}"',
        "json_quote")
    check(core.json_quote(("\0"):rep(300)) == '"' .. ("\\u0000"):rep(300)
        .. '"', "json_quote beyond the stack buffer")
    local quoted, offset = core.json_quote("ab\xC0\xAF")
    check(quoted == nil and offset == 3, "json_quote invalid UTF-8")

    local array_mt = getmetatable(json.array({}))
    local document = { b = { 1, 2.5, true, json.null }, a = json.array({}),
        c = ("x"):rep(5000) }
    check(core.json_encode(document, array_mt, json.null)
        == '{"a":[],"b":[1,2.5,true,null],"c":"' .. ("x"):rep(5000) .. '"}',
        "json_encode")
    local cycle = {}
    cycle[1] = cycle
    check(core.json_encode(cycle, array_mt, json.null) == nil,
        "json_encode cycle")
    check(core.json_encode({ 1, x = 2 }, array_mt, json.null) == nil,
        "json_encode mixed keys")
    check(core.json_encode({ "\xff" }, array_mt, json.null) == nil,
        "json_encode invalid UTF-8")

    check(core.utc_date(0) == "1970-01-01", "utc_date")
    check(core.utc_date(-1) == "1969-12-31", "utc_date before the epoch")
    check_raises("year outside", core.utc_date, 1e15)
    check_raises("integer seconds", core.utc_date, "x")

    check(core.random_bytes(0) == "", "random_bytes 0")
    check(#core.random_bytes(4096) == 4096, "random_bytes 4096")
    check_raises("0 to 4096", core.random_bytes, 4097)

    local t0 = core.monotonic()
    core.sleep(0.01)
    check(core.monotonic() - t0 >= 0.009, "monotonic and sleep")
    core.sleep(0)
    check_raises("0 to 86400 seconds", core.sleep, -1)

    check(type(core.curl_version) == "string", "curl_version")
    check(type(core.openssl_version) == "string", "openssl_version")
end


-- ---- core: JWK, JWS and PEM ----------------------------------------------------

local function read_file(path)
    local file = assert(io.open(path, "rb"))
    local text = file:read("a")
    file:close()
    return text
end


local function step_jwt()
    check(core.base64url_encode("\255\254\0") == "__4A", "base64url_encode")
    check(core.base64url_decode("__4A") == "\255\254\0", "base64url_decode")
    local decoded, message = core.base64url_decode("a")
    check(decoded == nil and type(message) == "string", "base64url_decode error")

    local keys = core.pem_public_keys(read_file(KEY_DIR .. "/rsa_public.pem"))
    check(keys ~= nil and #keys == 1 and keys[1].kty == "RSA", "pem RSA key")
    local jwk = { kty = "RSA", n = keys[1].n, e = keys[1].e }
    local info = core.jwk_check(jwk)
    check(info ~= nil and info.bits == 2048, "jwk_check RSA")

    local ec = core.pem_public_keys(read_file(KEY_DIR .. "/ec_public.pem"))
    check(ec ~= nil and ec[1].kty == "EC", "pem EC key")
    info = core.jwk_check({ kty = "EC", crv = ec[1].crv, x = ec[1].x, y = ec[1].y })
    check(info ~= nil and info.crv == "P-256", "jwk_check EC")
    local none
    none, message = core.jwk_check({ kty = "EC", crv = "P-256", x = "AA", y = "AA" })
    check(none == nil and type(message) == "string", "jwk_check bad point")

    none, message = core.pem_public_keys(read_file(KEY_DIR .. "/private.pem"))
    check(none == nil and message:find("private key", 1, true), "pem private key")
    none = core.pem_public_keys("not PEM at all")
    check(none == nil or #none == 0, "pem without blocks")

    local input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0"
    local signature = read_file(KEY_DIR .. "/rs256.sig")
    check(core.jws_verify("RS256", jwk, input, signature) == true, "jws_verify")
    local valid = core.jws_verify("RS256", jwk, input .. "x", signature)
    check(valid == false, "jws_verify of a changed input")
    valid = core.jws_verify("ES256", jwk, input, signature)
    check(valid == nil, "jws_verify with the wrong key type")
    valid = core.jws_verify("none", jwk, input, signature)
    check(valid == nil, "jws_verify of an unsupported algorithm")
end


-- ---- core: the HTTP handle --------------------------------------------------

local function step_http_handle()
    local handle = core.http_new()
    check(tostring(handle) == "cam.core.http (open)", "handle __tostring")

    local status, body, headers, info = handle:request({
        url = HTTP_URL .. "/", method = "POST", allow_http = true,
        headers = { "Content-Type: application/json", "X-TC-Action: Nothing" },
        body = "{}", timeout_ms = 5000, connect_timeout_ms = 5000,
        max_body = 65536,
    })
    check(status == 200, "raw request status")
    check(body:find("AuthFailure", 1, true) ~= nil, "raw request body")
    check(headers["content-type"] == "application/json", "response headers")
    check(info.connects == 1 and type(info.seconds) == "number", "info")

    check_raises("bad option 'url'", handle.request, handle, {})
    check_raises("POST or GET", handle.request, handle,
        { url = HTTP_URL, method = "PUT" })
    check_raises("one 'Name: value' line", handle.request, handle,
        { url = HTTP_URL, headers = { "no colon" } })
    check_raises("one 'Name: value' line", handle.request, handle,
        { url = HTTP_URL, headers = { "A: b\r\nC: d" } })
    check_raises("bad header 2", handle.request, handle,
        { url = HTTP_URL, headers = { "A: b", 42 } })
    check_raises("bad option 'body'", handle.request, handle,
        { url = HTTP_URL, body = {} })
    check_raises("bad option 'timeout_ms'", handle.request, handle,
        { url = HTTP_URL, timeout_ms = -1 })

    -- Without allow_http a plain URL is refused by libcurl itself.
    local failed, err = handle:request({ url = HTTP_URL .. "/" })
    check(failed == nil and err.code == "CURLE_UNSUPPORTED_PROTOCOL",
        "http refused without allow_http")

    handle:close()
    handle:close()
    check(tostring(handle) == "cam.core.http (closed)", "closed __tostring")
    check_raises("closed HTTP handle", handle.request, handle, { url = HTTP_URL })

    -- __close, and __gc of a handle whose connection is still open.
    do
        local scoped <close> = core.http_new()
        check(scoped:request({ url = HTTP_URL .. "/", allow_http = true,
            body = "{}" }) == 200, "scoped handle request")
    end
    local dropped = core.http_new()
    check(dropped:request({ url = HTTPS_URL .. "/", ca_file = CA_FILE,
        body = "{}" }) == 200, "https request on a handle left to gc")
    dropped = nil
    collectgarbage("collect")
    collectgarbage("collect")
end


-- ---- clients ------------------------------------------------------------------

local function step_new()
    check_raises("unknown option 'secret_kye'", cam.new,
        { secret_id = "a", secret_kye = "b" })
    check_raises("must be a number", cam.new, { timeout = "1" })
    check_raises("go together", cam.new, { secret_id = "a" })
    check_raises("options must be a table", cam.new, 1)
    local client = cam.new({ endpoint = HTTP_URL, secret_id = DEMO_ID,
        secret_key = DEMO_KEY, timeout = 5, connect_timeout = 5,
        language = "en-US", max_response_size = 65536 })
    check(getmetatable(client) ~= nil, "cam.new returns a client")
    client:close()
end


local function step_user_oidc(url, ca_file)
    local lines = {}
    local client = cam.new({
        endpoint = url, secret_id = DEMO_ID, secret_key = DEMO_KEY,
        ca_file = ca_file, timeout = 10,
        logger = function(level, message) lines[#lines + 1] = level .. message end,
    })
    local params = user_params()

    client:disable_sso()
    local described = assert(client:describe_oidc())
    if described.Status == 0 then
        check(client:create_oidc(params) ~= nil, "create_oidc")
    end
    local res, err = client:update_oidc(params)
    check(res ~= nil and type(res.RequestId) == "string",
        "update_oidc: " .. tostring(err))
    described = assert(client:describe_oidc())
    check(described.Status == 11, "describe_oidc after update")
    check(described.ClientId == "tencent-cloud-cam", "described ClientId")
    check(client:disable_sso() ~= nil, "disable_sso")

    res, err = client:update_oidc({ identity_url = "http://bad", MappingField = "x" })
    check(res == nil and err.kind == "validation" and #err.problems >= 2,
        "validation error lists every problem")
    check(tostring(err):find("MappingFiled", 1, true) ~= nil, "hint in message")
    check_raises("params must be a table", client.update_oidc, client, "x")

    res = client:call("DescribeUserOIDCConfig")
    check(res ~= nil and res.Status == 2, "call without params")
    res, err = client:call("DescribeUserOIDCConfig", { Bad = function() end })
    check(res == nil and err.kind == "validation", "call with unencodable params")
    res, err = client:call("NoSuchAction", {})
    check(res == nil and err.kind == "api" and err.code == "InvalidAction",
        "api error")
    check_raises("action must be a name", client.call, client, "bad action")

    check(#lines > 0, "logger received lines")
    client:close()
    client:close()
end


local function step_role_oidc()
    local client <close> = cam.new({ endpoint = HTTP_URL, secret_id = DEMO_ID,
        secret_key = DEMO_KEY })
    local role = {
        name = "valgrind-role",
        identity_url = "https://token.actions.githubusercontent.com",
        identity_key = assert(cam.identity_key(jwks())),
        client_ids = { "sts.tencentcloudapi.com" },
    }
    client:delete_role_oidc({ name = role.name })
    check(client:create_role_oidc(role) ~= nil, "create_role_oidc")
    role.description = "updated"
    check(client:update_role_oidc(role) ~= nil, "update_role_oidc")
    local described = client:describe_role_oidc({ name = role.name })
    check(described ~= nil and described.Description == "updated",
        "describe_role_oidc")
    check(client:delete_role_oidc({ name = role.name }) ~= nil, "delete_role_oidc")
    local res, err = client:describe_role_oidc({ name = role.name })
    check(res == nil and err.code == "ResourceNotFound.IdentityNotExist",
        "describe after delete")
    res, err = client:create_role_oidc({ name = "" })
    check(res == nil and err.kind == "validation", "role validation error")
end


local function step_identity_key_and_dry_run()
    local key = cam.identity_key(jwks())
    check(core.base64_decode(key) == jwks(), "identity_key of a string")
    check(cam.identity_key({ keys = { { kty = "RSA", n = "x", e = "AQAB" } } })
        ~= nil, "identity_key of a table")
    local res, err = cam.identity_key('{"keys":[]}')
    check(res == nil and err.kind == "validation", "identity_key of no keys")
    res, err = cam.identity_key({ keys = { f = function() end } })
    check(res == nil and err.kind == "validation", "identity_key unencodable")
    check_raises("expected a table or a JSON string", cam.identity_key, 1)

    local client = cam.new({ endpoint = "https://cam.tencentcloudapi.com",
        secret_id = DEMO_ID, secret_key = DEMO_KEY, token = "session-token",
        dry_run = true, language = "zh-CN" })
    local request = assert(client:update_oidc(user_params()))
    check(request.method == "POST", "dry_run method")
    check(request.headers["X-TC-Token"] == "session-token", "dry_run token")
    check(#request.header_lines >= 8, "dry_run header lines")
    check(request.body:find('"MappingFiled"', 1, true) ~= nil, "dry_run body")
end


local function step_module_update_oidc()
    local res, err = cam.update_oidc(user_params(), {
        endpoint = HTTP_URL, secret_id = DEMO_ID, secret_key = DEMO_KEY })
    if res == nil and err.code == "ResourceNotFound.IdentityNotExist" then
        res = true
    end
    check(res ~= nil, "cam.update_oidc with options: " .. tostring(err))

    -- Without options the default client reads the environment, which
    -- .ci/valgrind.sh points at the HTTP emulator.
    res, err = cam.update_oidc(user_params())
    check(res ~= nil or err.kind == "api", "cam.update_oidc from the environment")
    check_raises("params must be a table", cam.update_oidc, nil)
end


-- ---- transport errors ---------------------------------------------------------

local function step_transport_errors()
    -- One attempt per call, so each fault reaches the caller as an error.
    local client = cam.new({ endpoint = HTTP_URL, secret_id = DEMO_ID,
        secret_key = DEMO_KEY, timeout = 0.5, connect_timeout = 2,
        max_response_size = 4096, max_attempts = 1 })

    local refused = cam.new({ endpoint = "http://127.0.0.1:" .. CLOSED_PORT,
        secret_id = DEMO_ID, secret_key = DEMO_KEY, connect_timeout = 2,
        max_attempts = 1 })
    local res, err = refused:describe_oidc()
    check(res == nil and err.kind == "transport"
        and err.code == "CURLE_COULDNT_CONNECT", "connection refused")
    refused:close()

    queue_fault('{"fault":"hang","count":1}')
    res, err = client:describe_oidc()
    check(res == nil and err.code == "CURLE_OPERATION_TIMEDOUT", "timeout: "
        .. tostring(err))

    queue_fault('{"fault":"oversized","count":1,"bytes":100000}')
    res, err = client:describe_oidc()
    check(res == nil and err.kind == "transport"
        and err.code == "CURLE_FILESIZE_EXCEEDED", "oversized: " .. tostring(err))

    queue_fault('{"fault":"reset_before","count":1}')
    res, err = client:describe_oidc()
    check(res == nil and err.kind == "transport", "reset before the response")

    queue_fault('{"fault":"status","status":503,"count":1}')
    res, err = client:describe_oidc()
    check(res == nil and err.kind == "http" and err.status == 503, "HTTP 503")

    queue_fault('{"fault":"non_json","count":1}')
    res, err = client:describe_oidc()
    check(res == nil and err.code == "InvalidResponse", "non-JSON body")

    queue_fault('{"fault":"redirect","count":1}')
    res, err = client:describe_oidc()
    check(res == nil and err.kind == "http" and err.status == 302, "redirect")

    queue_fault('{"fault":"throttle","count":1}')
    res, err = client:describe_oidc()
    check(res == nil and err.code == "RequestLimitExceeded", "throttle")

    check(client:describe_oidc() ~= nil, "the client works after the faults")
    client:close()

    -- TLS: a CA that did not sign the server's certificate.
    local untrusted = cam.new({ endpoint = HTTPS_URL, secret_id = DEMO_ID,
        secret_key = DEMO_KEY, ca_file = "/dev/null", connect_timeout = 5,
        max_attempts = 1 })
    res, err = untrusted:describe_oidc()
    check(res == nil and err.kind == "transport", "untrusted certificate: "
        .. tostring(err))
    untrusted:close()
end


step_core()
step_jwt()
step_http_handle()
step_new()
emulator_admin(HTTP_URL, "POST", "/_emulator/reset", "")
emulator_admin(HTTPS_URL, "POST", "/_emulator/reset", "")
step_user_oidc(HTTP_URL, nil)
step_user_oidc(HTTPS_URL, CA_FILE)
step_role_oidc()
step_identity_key_and_dry_run()
step_module_update_oidc()
step_transport_errors()
admin:close()
collectgarbage("collect")

print(checks .. " checks passed")
