-- Credential providers: fixed values, the environment, the INI credentials
-- file, the CVM metadata service and STS (both served by the emulator on
-- loopback), the TKE web identity exchange, the default chain, and the
-- refreshing cache.

local cam = require("cam")
local cache = require("cam.credentials.cache")
local credentials = require("cam.credentials")
local helpers = require("helpers")

local SECRET_KEY = helpers.DEMO_KEY
local ROLE_ARN = "qcs::cam::uin/100000000001:roleName/deployer"
local with_env = helpers.with_env


local function write_file(path, text)
    local file = assert(io.open(path, "wb"))
    assert(file:write(text))
    assert(file:close())
end


local function header(entry, name)
    for _, h in ipairs(entry.headers) do
        if h.name:lower() == name:lower() then
            return h.value
        end
    end
    return nil
end


local function requests_for(emu, action)
    local found = {}
    for _, entry in ipairs(emu:requests()) do
        if entry.action == action then
            found[#found + 1] = entry
        end
    end
    return found
end


local function outcomes_for(emu, action)
    local outcomes = {}
    for _, request in ipairs(requests_for(emu, action)) do
        outcomes[#outcomes + 1] = request.outcome
    end
    return outcomes
end


-- A libcurl transport that passes each response to `edit` before
-- returning it.
local function editing_transport(edit)
    local curl = require("cam.transport.curl").new()
    return {
        request = function(_, req)
            local response, failure = curl:request(req)
            if response ~= nil then
                edit(response)
            end
            return response, failure
        end,
        close = function() curl:close() end,
    }
end


local function entries_with(entries, message)
    local found = {}
    for _, entry in ipairs(entries) do
        if entry.message == message then
            found[#found + 1] = entry
        end
    end
    return found
end


-- Assert that no log entry contains one of `secrets` or a signature.
local function assert_no_secrets(entries, secrets)
    for _, entry in ipairs(entries) do
        local parts = { entry.message }
        for name, value in pairs(entry.fields) do
            parts[#parts + 1] = tostring(name) .. "=" .. tostring(value)
        end
        local line = table.concat(parts, " ")
        for _, secret in ipairs(secrets) do
            assert.is_nil(line:find(secret, 1, true), "secret in " .. line)
        end
        assert.is_nil(line:find("Signature=", 1, true), "signature in " .. line)
    end
end


describe("credentials.static", function()
    local UNICODE_SPACES = {
        { "U+00A0", "\194\160" },
        { "U+2003", "\226\128\131" },
        { "U+3000", "\227\128\128" },
        { "U+FEFF", "\239\187\191" },
    }
    for _, case in ipairs(UNICODE_SPACES) do
        local name, bytes = case[1], case[2]

        it("rejects a trailing " .. name .. " in the secret key", function()
            local _, err = credentials.static({ secret_id = "AKIDx0001",
                secret_key = "key0001" .. bytes }):fetch()
            assert.are.equal("InvalidCredentials", err.code)
            assert.truthy(err.message:find("option 'secret_key'", 1, true), err.message)
            assert.truthy(err.message:find("Unicode whitespace (" .. name .. ")", 1, true),
                err.message)
            assert.is_nil(err.message:find("key0001", 1, true))
        end)

        it("rejects a leading " .. name .. " in the token", function()
            local _, err = credentials.static({ secret_id = "AKIDx0001",
                secret_key = "key0001", token = bytes .. "tok0001" }):fetch()
            assert.are.equal("InvalidCredentials", err.code)
            assert.truthy(err.message:find("option 'token'", 1, true), err.message)
        end)
    end

    it("accepts non-space Unicode in the secret key", function()
        assert(credentials.static({ secret_id = "AKIDx0001",
            secret_key = "key\228\184\173" }):fetch())
    end)

    it("returns the values", function()
        local creds = assert(credentials.static({ secret_id = "AKIDx0001",
            secret_key = "key0001", token = "tok0001" }):fetch())
        assert.are.equal("AKIDx0001", creds.secret_id)
        assert.are.equal("key0001", creds.secret_key)
        assert.are.equal("tok0001", creds.token)
        assert.is_nil(creds.expires_at)
    end)

    it("rejects whitespace naming the option", function()
        local _, err = credentials.static({ secret_id = "AKIDx0001",
            secret_key = "key0001\n" }):fetch()
        assert.are.equal("credentials", err.kind)
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("option 'secret_key'", 1, true))
        assert.is_nil(err.message:find("key0001", 1, true))
    end)

    -- Each secret id breaks the Credential part of the Authorization header.
    local BAD_IDS = {
        { "AKID x1", "a space at byte 5" },
        { "AKID,x1", "',' at byte 5" },
        { "AKID/x1", "'/' at byte 5" },
        { "AKID\195\169x", "the non-ASCII byte 0xC3 at byte 5" },
        { "AKID\1x", "a control character" },
    }
    for _, case in ipairs(BAD_IDS) do
        it("rejects a secret id with " .. case[2], function()
            local _, err = credentials.static({ secret_id = case[1],
                secret_key = "SecretKeyOfABadId0001" }):fetch()
            assert.are.equal("credentials", err.kind)
            assert.are.equal("InvalidCredentials", err.code)
            assert.truthy(err.message:find("option 'secret_id' contains " .. case[2], 1, true),
                err.message)
            assert.is_nil(err.message:find("SecretKeyOfABadId0001", 1, true))
        end)
    end

    it("raises on a wrong type or a missing key", function()
        assert.has_error(function() credentials.static({ secret_id = 1, secret_key = "k" }) end)
        assert.has_error(function() credentials.static({ secret_id = "AKIDx" }) end)
        assert.has_error(function() credentials.static("AKIDx") end)
    end)
end)


describe("credentials.env", function()
    it("reads the variables at fetch time", function()
        local provider = credentials.env()
        local creds = with_env({ TENCENTCLOUD_SECRET_ID = "AKIDfirst",
            TENCENTCLOUD_SECRET_KEY = "first-key" }, function()
            return assert(provider:fetch())
        end)
        assert.are.equal("AKIDfirst", creds.secret_id)
        creds = with_env({ TENCENTCLOUD_SECRET_ID = "AKIDsecond",
            TENCENTCLOUD_SECRET_KEY = "second-key" }, function()
            return assert(provider:fetch())
        end)
        assert.are.equal("AKIDsecond", creds.secret_id)
    end)

    it("prefers TENCENTCLOUD_SESSION_TOKEN to TENCENTCLOUD_TOKEN", function()
        local env = { TENCENTCLOUD_SECRET_ID = "AKIDx", TENCENTCLOUD_SECRET_KEY = "k",
            TENCENTCLOUD_SESSION_TOKEN = "session", TENCENTCLOUD_TOKEN = "plain" }
        local creds = with_env(env, function() return assert(credentials.env():fetch()) end)
        assert.are.equal("session", creds.token)
        env.TENCENTCLOUD_SESSION_TOKEN = nil
        creds = with_env(env, function() return assert(credentials.env():fetch()) end)
        assert.are.equal("plain", creds.token)
    end)

    it("takes a token option over the variables", function()
        local creds = with_env({ TENCENTCLOUD_SECRET_ID = "AKIDx",
            TENCENTCLOUD_SECRET_KEY = "k", TENCENTCLOUD_TOKEN = "plain" }, function()
            return assert(credentials.env({ token = "given" }):fetch())
        end)
        assert.are.equal("given", creds.token)
    end)

    it("reports unset variables as not found", function()
        local _, err = with_env({}, function() return credentials.env():fetch() end)
        assert.are.equal("CredentialsNotFound", err.code)
    end)

    it("names the variable with a space inside the secret id", function()
        local _, err = with_env({ TENCENTCLOUD_SECRET_ID = "AKID x/1",
            TENCENTCLOUD_SECRET_KEY = "k12345678" }, function()
            return credentials.env():fetch()
        end)
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("TENCENTCLOUD_SECRET_ID contains a space at byte 5",
            1, true), err.message)
        assert.is_nil(err.message:find("k12345678", 1, true))
    end)

    it("names the variable with stray whitespace", function()
        local _, err = with_env({ TENCENTCLOUD_SECRET_ID = " AKIDx",
            TENCENTCLOUD_SECRET_KEY = "k" }, function()
            return credentials.env():fetch()
        end)
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("TENCENTCLOUD_SECRET_ID", 1, true))
    end)
end)


describe("credentials.profile", function()
    local dir

    setup(function()
        dir = helpers.tmpdir()
    end)

    local function fetch(text, opts, env)
        local path = dir .. "/credentials"
        write_file(path, text)
        env = env or { TENCENTCLOUD_CREDENTIALS_FILE = path }
        return with_env(env, function()
            return credentials.profile(opts):fetch()
        end)
    end

    it("reads the default section", function()
        local creds = assert(fetch("# comment\n[default]\nsecret_id = AKIDfile\n"
            .. "secret_key = file-key\ntoken = \n"))
        assert.are.equal("AKIDfile", creds.secret_id)
        assert.are.equal("file-key", creds.secret_key)
        assert.is_nil(creds.token)
        assert.truthy(creds.source:find("[default]", 1, true))
    end)

    it("skips a UTF-8 byte order mark", function()
        local creds = assert(fetch("\239\187\191[default]\nsecret_id = AKIDbom\n"
            .. "secret_key = bom-key\n"))
        assert.are.equal("AKIDbom", creds.secret_id)
        assert.are.equal("bom-key", creds.secret_key)
    end)

    it("escapes invisible profile names", function()
        local _, err = fetch("[ops\226\128\174evil]\nsecret_id = a\nsecret_key = b\n"
            .. "[tab\tname]\nsecret_id = a\nsecret_key = b\n",
            { profile = "x\226\128\174y" })
        assert.are.equal("InvalidCredentials", err.code)
        assert.is_nil(err.message:find("\226\128\174", 1, true), err.message)
        assert.is_nil(err.message:find("\t", 1, true), err.message)
        assert.truthy(err.message:find("profile x\\u{202E}y is not in", 1, true), err.message)
        assert.truthy(err.message:find("ops\\u{202E}evil", 1, true), err.message)
        assert.truthy(err.message:find("tab\\x09name", 1, true), err.message)
    end)

    it("reads a named profile with colons and CRLF", function()
        local creds = assert(fetch("[default]\r\nsecret_id=a\r\nsecret_key=b\r\n"
            .. "[ops]\r\n; comment\r\nsecret_id: AKIDops\r\nsecret_key: ops-key\r\n"
            .. "token: ops-token\r\n", { profile = "ops" }))
        assert.are.equal("AKIDops", creds.secret_id)
        assert.are.equal("ops-key", creds.secret_key)
        assert.are.equal("ops-token", creds.token)
    end)

    it("rejects a trailing space naming file, profile and key", function()
        local _, err = fetch("[default]\nsecret_id = AKIDfile\nsecret_key = file-key \n")
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("[default] secret_key", 1, true))
        assert.truthy(err.message:find(dir, 1, true))
        assert.is_nil(err.message:find("file-key", 1, true))
    end)

    it("rejects a slash in the secret id naming the key", function()
        local _, err = fetch("[default]\nsecret_id = AKIDfile/1\nsecret_key = file-key\n")
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("[default] secret_id contains '/' at byte 9", 1, true),
            err.message)
        assert.is_nil(err.message:find("file-key", 1, true))
    end)

    it("reports a missing key", function()
        local _, err = fetch("[default]\nsecret_id = AKIDfile\n")
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("secret_key is missing", 1, true))
    end)

    it("reports a malformed line", function()
        local _, err = fetch("[default]\nsecret_id AKIDfile\n")
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("line 2", 1, true))
    end)

    it("lists the profiles when one is missing", function()
        local _, err = fetch("[default]\nsecret_id = a\nsecret_key = b\n[dev]\n",
            { profile = "prod" })
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("profiles: default, dev", 1, true))
    end)

    it("skips a file without the default section", function()
        local _, err = fetch("[dev]\nsecret_id = a\nsecret_key = b\n")
        assert.are.equal("CredentialsNotFound", err.code)
    end)

    it("finds the file in HOME", function()
        local home = helpers.tmpdir()
        os.execute("mkdir -p " .. helpers.shell_quote(home .. "/.tencentcloud"))
        write_file(home .. "/.tencentcloud/credentials",
            "[default]\nsecret_id = AKIDhome\nsecret_key = home-key\n")
        local creds = with_env({ HOME = home }, function()
            return assert(credentials.profile():fetch())
        end)
        assert.are.equal("AKIDhome", creds.secret_id)
    end)

    it("reports a missing named file as invalid", function()
        local _, err = with_env({}, function()
            return credentials.profile({ file = helpers.tmpdir() .. "/none" }):fetch()
        end)
        assert.are.equal("InvalidCredentials", err.code)
    end)

    it("reports no file as not found", function()
        local creds, err = with_env({ HOME = helpers.tmpdir() }, function()
            return credentials.profile():fetch()
        end)
        if creds ~= nil then
            return pending("this machine has /etc/tencentcloud/credentials")
        end
        assert.are.equal("CredentialsNotFound", err.code)
        assert.truthy(err.message:find("/etc/tencentcloud/credentials", 1, true))
    end)
end)


describe("credentials against the emulator", function()
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

    local function set_metadata(settings)
        local response, status = emu:admin("POST", "/_emulator/metadata", settings)
        assert.are.equal(200, status, response and response.error)
    end

    describe("cvm_role", function()
        it("finds the bound role and its credential", function()
            set_metadata({ role = "cvm-role", expires_in = 900 })
            local creds = assert(credentials.cvm_role({ base_url = emu.url }):fetch())
            assert.truthy(creds.secret_id:find("^AKIDTmp"))
            assert.is_string(creds.token)
            assert.is_true(math.abs(creds.expires_at - (os.time() + 900)) <= 5)
            assert.are.equal("CVM role cvm-role", creds.source)

            local client = helpers.new_cvm_role_client(emu)
            local res = assert(client:describe_oidc())
            assert.are.equal(0, res.Status)
        end)

        it("sends nothing without a configured base URL", function()
            local before = #emu:requests()
            local getenv = os.getenv
            os.getenv = function() return nil end
            local ok, _, err = pcall(function()
                return credentials.cvm_role():fetch()
            end)
            os.getenv = getenv
            assert.is_true(ok)
            assert.are.equal("CredentialsNotFound", err.code)
            assert.truthy(err.message:find("TENCENTCLOUD_METADATA_ENDPOINT", 1, true))
            assert.are.equal(before, #emu:requests())
        end)

        it("uses a named role without the look-up", function()
            set_metadata({ role = "named" })
            local creds = assert(credentials.cvm_role({ base_url = emu.url,
                role = "named" }):fetch())
            assert.is_string(creds.secret_key)
            local _, err = credentials.cvm_role({ base_url = emu.url, role = "other" }):fetch()
            assert.are.equal("InvalidCredentials", err.code)
        end)

        it("reads the base URL from the environment", function()
            set_metadata({ role = "cvm-role" })
            local creds = with_env({ TENCENTCLOUD_METADATA_ENDPOINT = emu.url }, function()
                return assert(credentials.cvm_role():fetch())
            end)
            assert.are.equal("CVM role cvm-role", creds.source)
        end)

        it("reports no bound role as not found", function()
            local _, err = credentials.cvm_role({ base_url = emu.url }):fetch()
            assert.are.equal("CredentialsNotFound", err.code)
            assert.truthy(err.message:find("no CAM role", 1, true))
        end)

        it("reports an unreachable service as not found", function()
            local _, err = credentials.cvm_role({ base_url = "http://127.0.0.1:"
                .. helpers.free_port() }):fetch()
            assert.are.equal("CredentialsNotFound", err.code)
            assert.truthy(err.message:find("not reachable", 1, true))
        end)

        it("reports a Code other than Success", function()
            set_metadata({ role = "cvm-role", failure = "code" })
            local _, err = credentials.cvm_role({ base_url = emu.url }):fetch()
            assert.are.equal("MetadataFailure", err.code)
            assert.truthy(err.message:find("InternalError", 1, true))
        end)

        it("reports a body that is not JSON", function()
            set_metadata({ role = "cvm-role", failure = "invalid_json" })
            local _, err = credentials.cvm_role({ base_url = emu.url }):fetch()
            assert.are.equal("InvalidResponse", err.code)
        end)

        it("rejects a TmpSecretId with a space naming it", function()
            set_metadata({ role = "cvm-role" })
            local provider = credentials.cvm_role({ base_url = emu.url,
                transport = editing_transport(function(response)
                    response.body = response.body:gsub('"TmpSecretId":"AKID',
                        '"TmpSecretId":"AKID tmp/')
                end) })
            local ok, creds, err = pcall(provider.fetch, provider)
            assert.is_true(ok, creds)
            assert.is_nil(creds)
            assert.are.equal("InvalidCredentials", err.code)
            assert.truthy(err.message:find("CVM role cvm-role TmpSecretId contains a space",
                1, true), err.message)
        end)

        it("retries an HTTP 500 of the credential", function()
            set_metadata({ role = "cvm-role" })
            local provider = credentials.cvm_role({ base_url = emu.url, role = "cvm-role" })
            set_metadata({ role = "cvm-role", failure = "status", status = 500, count = 2 })
            local creds = assert(provider:fetch())
            assert.is_string(creds.secret_id)

            set_metadata({ role = "cvm-role", failure = "status", status = 500 })
            local _, err = provider:fetch()
            assert.are.equal("HttpStatusCodeError", err.code)
            assert.are.equal(500, err.status)
        end)

        it("rejects bad options", function()
            assert.has_error(function() credentials.cvm_role({ base_url = "ftp://x" }) end)
            assert.has_error(function()
                credentials.cvm_role({ base_url = "http://127.0.0.1/path" })
            end)
            assert.has_error(function() credentials.cvm_role({ role = "a b" }) end)
        end)
    end)

    describe("assume_role", function()
        local function source()
            return credentials.static({ secret_id = helpers.DEMO_ID, secret_key = SECRET_KEY })
        end

        it("signs AssumeRole with the source credential", function()
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                session_name = "spec-session", duration = 1800, base_url = emu.url,
                source = source() })
            local creds = assert(provider:fetch())
            assert.is_true(math.abs(creds.expires_at - (os.time() + 1800)) <= 5)

            local request = requests_for(emu, "AssumeRole")[1]
            assert.are.equal("Success", request.outcome)
            local authorization = header(request, "Authorization")
            assert.truthy(authorization:find("Credential=" .. helpers.DEMO_ID
                .. "/%d+%-%d+%-%d+/sts/tc3_request"))
            assert.are.equal("2018-08-13", header(request, "X-TC-Version"))
            assert.are.equal("ap-guangzhou", header(request, "X-TC-Region"))
            local body = helpers.json_decode(request.body)
            assert.are.equal(ROLE_ARN, body.RoleArn)
            assert.are.equal("spec-session", body.RoleSessionName)
            assert.are.equal(1800, body.DurationSeconds)
        end)

        it("acts on the source's account", function()
            local client = cam.new({ endpoint = emu.url, credentials =
                credentials.assume_role({ role_arn = ROLE_ARN, base_url = emu.url,
                    source = source() }) })
            assert(client:disable_sso())
            assert(client:call("DescribeOIDCConfig", { Name = "none" }) == nil)
            local request = requests_for(emu, "DisableUserSSO")[1]
            assert.truthy(header(request, "Authorization"):find("AKIDTmp", 1, true))
            assert.is_string(header(request, "X-TC-Token"))
        end)

        it("reports an STS error with its code", function()
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = credentials.static({ secret_id = helpers.DEMO_ID,
                    secret_key = "WrongSecretKey000001" }) })
            local _, err = provider:fetch()
            assert.are.equal("credentials", err.kind)
            assert.are.equal("AuthFailure.SignatureFailure", err.code)
            assert.is_string(err.request_id)
            assert.truthy(err.message:find("STS AssumeRole", 1, true))
        end)

        it("rejects a TmpSecretId with a space naming it", function()
            local client = cam.new({ endpoint = emu.url, credentials =
                credentials.assume_role({ role_arn = ROLE_ARN, base_url = emu.url,
                    source = source(),
                    transport = editing_transport(function(response)
                        response.body = response.body:gsub('"TmpSecretId":"[^"]*"',
                            '"TmpSecretId":"AKID tmp/1"')
                    end) }) })
            local ok, res, err = pcall(client.describe_oidc, client)
            assert.is_true(ok, res)
            assert.is_nil(res)
            assert.are.equal("InvalidCredentials", err.code)
            assert.truthy(err.message:find("STS AssumeRole TmpSecretId contains a space"
                .. " at byte 5", 1, true), err.message)
            assert.are.equal(0, #requests_for(emu, "DescribeUserOIDCConfig"))
        end)

        it("retries throttled STS requests", function()
            emu:fault({ fault = "throttle", action = "AssumeRole", count = 2 })
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source() })
            assert(provider:fetch())
            assert.are.equal(3, #requests_for(emu, "AssumeRole"))
        end)

        it("refreshes a rejected source credential once", function()
            set_metadata({ role = "cvm-role" })
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = credentials.cvm_role({ base_url = emu.url }) })
            assert(provider:fetch())
            emu:admin("POST", "/_emulator/tokens", { expire = true })
            assert(provider:fetch())
            local outcomes = {}
            for _, request in ipairs(requests_for(emu, "AssumeRole")) do
                outcomes[#outcomes + 1] = request.outcome
            end
            assert.are.same({ "Success", "AuthFailure.TokenFailure", "Success" }, outcomes)
        end)

        it("corrects a clock 1 h off once", function()
            emu:set_clock(3600)
            local entries = {}
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                logger = helpers.capture_logger(entries) })
            local creds = assert(provider:fetch())
            assert.are.same({ "AuthFailure.SignatureExpire", "Success" },
                outcomes_for(emu, "AssumeRole"))
            assert.is_true(math.abs(provider.clock_offset - 3600) <= 2)
            local resent = requests_for(emu, "AssumeRole")[2]
            local timestamp = tonumber(header(resent, "X-TC-Timestamp"))
            assert.is_true(math.abs(timestamp - (os.time() + 3600)) <= 5)

            local corrected = entries_with(entries, "clock skew corrected")
            assert.are.equal(1, #corrected)
            assert.are.equal("warn", corrected[1].level)
            assert.are.equal("STS AssumeRole", corrected[1].fields.provider)
            assert.are.equal("AssumeRole", corrected[1].fields.action)
            assert.are.equal(provider.clock_offset, corrected[1].fields.offset)
            assert.are.equal(0, corrected[1].fields.previous_offset)
            assert.is_string(corrected[1].fields.request_id)
            assert_no_secrets(entries, { SECRET_KEY, creds.secret_key, creds.token })
        end)

        it("puts the expiry on the local clock", function()
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source() })
            local lifetime = assert(provider:fetch()).expires_at - os.time()

            emu:set_clock(3600)
            local skewed = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source() })
            local creds = assert(skewed:fetch())

            assert.is_true(lifetime > 0)
            assert.is_true(math.abs(creds.expires_at - os.time() - lifetime) <= 5)
        end)

        it("keeps the offset for the next fetch", function()
            emu:set_clock(3600)
            local entries = {}
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                logger = helpers.capture_logger(entries) })
            assert(provider:fetch())
            assert(provider:fetch())
            assert.are.same({ "AuthFailure.SignatureExpire", "Success", "Success" },
                outcomes_for(emu, "AssumeRole"))
            assert.are.equal(1, #entries_with(entries, "clock skew corrected"))

            emu:set_clock(0)
            assert(provider:fetch())
            assert.is_true(math.abs(provider.clock_offset) <= 2)
            assert.are.same({ "AuthFailure.SignatureExpire", "Success", "Success",
                "AuthFailure.SignatureExpire", "Success" }, outcomes_for(emu, "AssumeRole"))
        end)

        it("keeps the correction across a source refresh", function()
            set_metadata({ role = "cvm-role" })
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = credentials.cvm_role({ base_url = emu.url }) })
            assert(provider:fetch())
            emu:admin("POST", "/_emulator/tokens", { expire = true })
            emu:set_clock(3600)
            assert(provider:fetch())
            assert.are.same({ "Success", "AuthFailure.SignatureExpire",
                "AuthFailure.TokenFailure", "Success" }, outcomes_for(emu, "AssumeRole"))
        end)

        it("corrects once across a source refresh", function()
            set_metadata({ role = "cvm-role" })
            local responses = 0
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = credentials.cvm_role({ base_url = emu.url }),
                transport = editing_transport(function()
                    -- After the corrected request fails on the source's
                    -- expired token, the server's clock moves 1 h more.
                    responses = responses + 1
                    if responses == 3 then
                        emu:set_clock(7200)
                    end
                end) })
            assert(provider:fetch())
            emu:admin("POST", "/_emulator/tokens", { expire = true })
            emu:set_clock(3600)
            local _, err = provider:fetch()
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.are.same({ "Success", "AuthFailure.SignatureExpire",
                "AuthFailure.TokenFailure", "AuthFailure.SignatureExpire" },
                outcomes_for(emu, "AssumeRole"))
        end)

        it("names a missing Date header", function()
            emu:set_clock(3600)
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                transport = editing_transport(function(response)
                    response.headers.date = nil
                end) })
            local _, err = provider:fetch()
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find("no Date header", 1, true), err.message)
            assert.is_string(err.request_id)
            assert.are.equal(0, provider.clock_offset)
            assert.are.equal(1, #requests_for(emu, "AssumeRole"))
        end)

        it("names an unparsable Date header", function()
            emu:set_clock(3600)
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                transport = editing_transport(function(response)
                    response.headers.date = "tomorrow at noon"
                end) })
            local _, err = provider:fetch()
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find("Date header 'tomorrow at noon' is not an HTTP"
                .. " date", 1, true), err.message)
            assert.are.equal(0, provider.clock_offset)
            assert.are.equal(1, #requests_for(emu, "AssumeRole"))
        end)

        it("names a Date before 1970", function()
            emu:set_clock(-(os.time() + 100000))
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source() })
            local ok, creds, err = pcall(provider.fetch, provider)
            assert.is_true(ok, creds)
            assert.is_nil(creds)
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find(" 1969 %d%d:%d%d:%d%d GMT' is before 1970"),
                err.message)
            assert.truthy(err.message:find("Set the system clock", 1, true), err.message)
            assert.are.equal(0, provider.clock_offset)
            assert.are.equal(1, #requests_for(emu, "AssumeRole"))
        end)

        it("names a Date after year 9999", function()
            emu:set_clock(3600)
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                transport = editing_transport(function(response)
                    response.headers.date = "Fri, 31 Dec 9999 23:59:60 GMT"
                end) })
            local ok, creds, err = pcall(provider.fetch, provider)
            assert.is_true(ok, creds)
            assert.is_nil(creds)
            assert.truthy(err.message:find("Date header 'Fri, 31 Dec 9999 23:59:60 GMT' is"
                .. " after year 9999", 1, true), err.message)
            assert.are.equal(0, provider.clock_offset)
        end)

        it("masks the secret key after 80 bytes of Date", function()
            emu:set_clock(3600)
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                transport = editing_transport(function(response)
                    response.headers.date = ("x"):rep(80) .. SECRET_KEY
                end) })
            local _, err = provider:fetch()
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find(("x"):rep(80) .. "***", 1, true), err.message)
            assert.is_nil(err.message:find(SECRET_KEY:sub(1, 20), 1, true), err.message)
        end)

        local REQUEST_IDS = {
            { "a table", '{"Secret":"' .. SECRET_KEY .. '"}' },
            { "a number", "12345" },
        }
        for _, case in ipairs(REQUEST_IDS) do
            local name, request_id = case[1], case[2]

            it("drops " .. name .. " as an error's RequestId", function()
                local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                    base_url = emu.url, source = source(),
                    transport = editing_transport(function(response)
                        response.body = '{"Response":{"Error":{"Code":"InternalError",'
                            .. '"Message":"failed"},"RequestId":' .. request_id .. '}}'
                    end) })
                local _, err = provider:fetch()
                assert.are.equal("InternalError", err.code)
                assert.is_nil(err.request_id)
                assert.is_nil(tostring(err):find(SECRET_KEY, 1, true), tostring(err))
            end)

            it("drops " .. name .. " as an invalid response's RequestId", function()
                local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                    base_url = emu.url, source = source(),
                    transport = editing_transport(function(response)
                        response.body = '{"Response":{"RequestId":' .. request_id .. '}}'
                    end) })
                local _, err = provider:fetch()
                assert.are.equal("InvalidResponse", err.code)
                assert.is_nil(err.request_id)
            end)
        end

        it("keeps a string RequestId, masked", function()
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                transport = editing_transport(function(response)
                    response.body = '{"Response":{"Error":{"Code":"InternalError",'
                        .. '"Message":"failed"},"RequestId":"id-' .. SECRET_KEY .. '"}}'
                end) })
            local _, err = provider:fetch()
            assert.are.equal("id-***", err.request_id)
        end)

        it("recovers from an offset out of range", function()
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source() })
            provider.clock_offset = -os.time() - 1000
            local ok, creds = pcall(provider.fetch, provider)
            assert.is_true(ok, creds)
            assert.is_table(creds)
            assert.is_true(math.abs(provider.clock_offset) <= 2)
            assert.are.same({ "AuthFailure.SignatureExpire", "Success" },
                outcomes_for(emu, "AssumeRole"))
        end)

        it("corrects the clock once per fetch", function()
            -- A server whose clock moves 1 h after every request cannot be
            -- caught up with.
            local shift = 3600
            emu:set_clock(shift)
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = source(),
                transport = editing_transport(function()
                    shift = shift + 3600
                    emu:set_clock(shift)
                end) })
            local _, err = provider:fetch()
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find("still rejected", 1, true), err.message)
            assert.are.equal(2, #requests_for(emu, "AssumeRole"))
        end)

        it("logs the correction through the client's logger", function()
            emu:set_clock(3600)
            local entries = {}
            local client = cam.new({ endpoint = emu.url, sts_url = emu.url,
                role_arn = ROLE_ARN, credentials = source(),
                logger = helpers.capture_logger(entries) })
            assert(client:describe_oidc())
            local corrected = entries_with(entries, "clock skew corrected")
            assert.are.equal(2, #corrected)
            assert.are.equal("STS AssumeRole", corrected[1].fields.provider)
            assert.are.equal("AssumeRole", corrected[1].fields.action)
            assert.are.equal("DescribeUserOIDCConfig", corrected[2].fields.action)
            assert.are.same({ "AuthFailure.SignatureExpire", "Success" },
                outcomes_for(emu, "AssumeRole"))
        end)

        it("reports a failing source", function()
            local provider = credentials.assume_role({ role_arn = ROLE_ARN,
                base_url = emu.url, source = credentials.cvm_role({ base_url = emu.url }) })
            local _, err = provider:fetch()
            assert.are.equal("CredentialsNotFound", err.code)
            assert.truthy(err.message:find("source credentials failed", 1, true))
            assert.are.equal(0, #requests_for(emu, "AssumeRole"))
        end)

        it("rejects bad options", function()
            assert.has_error(function() credentials.assume_role({ source = source() }) end)
            assert.has_error(function() credentials.assume_role({ role_arn = ROLE_ARN }) end)
            assert.has_error(function()
                credentials.assume_role({ role_arn = ROLE_ARN, source = source(),
                    duration = 50000 })
            end)
            assert.has_error(function()
                credentials.assume_role({ role_arn = ROLE_ARN, source = source(),
                    session_name = "bad name" })
            end)
            assert.has_error(function()
                credentials.assume_role({ role_arn = ROLE_ARN, source = source(),
                    base_url = "http://sts.example.com" })
            end)
        end)
    end)

    describe("tke_oidc", function()
        local token_file

        setup(function()
            token_file = helpers.tmpdir() .. "/token"
            write_file(token_file, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwb2QifQ.c2ln\n")
        end)

        local function tke_env(extra)
            local env = {
                TKE_REGION = "ap-shanghai",
                TKE_PROVIDER_ID = "cls-provider",
                TKE_WEB_IDENTITY_TOKEN_FILE = token_file,
                TKE_ROLE_ARN = ROLE_ARN,
                TENCENTCLOUD_STS_ENDPOINT = emu.url,
            }
            -- false in extra unsets a variable.
            for k, v in pairs(extra or {}) do
                env[k] = v or nil
            end
            return env
        end

        it("exchanges the token unsigned", function()
            local creds = with_env(tke_env(), function()
                return assert(credentials.tke_oidc():fetch())
            end)
            assert.is_string(creds.token)
            local request = requests_for(emu, "AssumeRoleWithWebIdentity")[1]
            assert.are.equal("SKIP", header(request, "Authorization"))
            assert.are.equal("ap-shanghai", header(request, "X-TC-Region"))
            local body = helpers.json_decode(request.body)
            assert.are.equal("cls-provider", body.ProviderId)
            assert.are.equal("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwb2QifQ.c2ln",
                body.WebIdentityToken)
            assert.are.equal(ROLE_ARN, body.RoleArn)
        end)

        it("gives credentials that work for CAM", function()
            local client = with_env(tke_env(), function()
                return cam.new({ endpoint = emu.url, credentials = credentials.tke_oidc() })
            end)
            local res = with_env(tke_env(), function()
                return assert(client:describe_oidc())
            end)
            assert.are.equal(0, res.Status)
        end)

        it("names the unset variables", function()
            local _, err = with_env(tke_env({ TKE_ROLE_ARN = false, TKE_REGION = false }),
                function() return credentials.tke_oidc():fetch() end)
            assert.are.equal("CredentialsNotFound", err.code)
            assert.truthy(err.message:find("TKE_REGION, TKE_ROLE_ARN not set", 1, true))
        end)

        it("reports an unreadable token file", function()
            local _, err = with_env(tke_env({ TKE_WEB_IDENTITY_TOKEN_FILE = "/nonexistent/t" }),
                function() return credentials.tke_oidc():fetch() end)
            assert.are.equal("InvalidCredentials", err.code)
        end)

        it("reports a rejected token without quoting it", function()
            emu:admin("POST", "/_emulator/web_identity", { token = "another-token-value" })
            local _, err = with_env(tke_env(), function()
                return credentials.tke_oidc():fetch()
            end)
            assert.are.equal("InvalidParameterValue", err.code)
            assert.is_nil(tostring(err):find("eyJhbGciOiJSUzI1NiJ9", 1, true))
        end)

        it("corrects a clock 1 h off once", function()
            emu:set_clock(-3600)
            local entries = {}
            local provider = credentials.tke_oidc({
                logger = helpers.capture_logger(entries) })
            local creds = with_env(tke_env(), function()
                return assert(provider:fetch())
            end)
            assert.are.same({ "AuthFailure.SignatureExpire", "Success" },
                outcomes_for(emu, "AssumeRoleWithWebIdentity"))
            assert.is_true(math.abs(provider.clock_offset + 3600) <= 2)

            with_env(tke_env(), function() return assert(provider:fetch()) end)
            assert.are.same({ "AuthFailure.SignatureExpire", "Success", "Success" },
                outcomes_for(emu, "AssumeRoleWithWebIdentity"))

            local corrected = entries_with(entries, "clock skew corrected")
            assert.are.equal(1, #corrected)
            assert.are.equal("TKE OIDC", corrected[1].fields.provider)
            assert.are.equal("AssumeRoleWithWebIdentity", corrected[1].fields.action)
            assert_no_secrets(entries, { "eyJhbGciOiJSUzI1NiJ9", creds.secret_key,
                creds.token })
        end)

        it("gets the chain's logger", function()
            emu:set_clock(3600)
            local entries = {}
            local creds = with_env(tke_env({ HOME = helpers.tmpdir() }), function()
                return assert(credentials.default({
                    logger = helpers.capture_logger(entries) }):fetch())
            end)
            if not creds.source:find("TKE OIDC role", 1, true) then
                return pending("this machine has /etc/tencentcloud/credentials")
            end
            local corrected = entries_with(entries, "clock skew corrected")
            assert.are.equal(1, #corrected)
            assert.are.equal("TKE OIDC", corrected[1].fields.provider)
        end)

        it("names a missing Date header", function()
            emu:set_clock(3600)
            local provider = credentials.tke_oidc({
                transport = editing_transport(function(response)
                    response.headers.date = nil
                end) })
            local _, err = with_env(tke_env(), function() return provider:fetch() end)
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find("no Date header", 1, true), err.message)
            assert.are.equal(1, #requests_for(emu, "AssumeRoleWithWebIdentity"))
        end)

        it("names a Date before 1970", function()
            emu:set_clock(-(os.time() + 100000))
            local provider = credentials.tke_oidc()
            -- with_env raises what the function raises.
            local creds, err = with_env(tke_env(), function() return provider:fetch() end)
            assert.is_nil(creds)
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.truthy(err.message:find("is before 1970", 1, true), err.message)
            assert.are.equal(0, provider.clock_offset)
            assert.are.equal(1, #requests_for(emu, "AssumeRoleWithWebIdentity"))
        end)

        it("corrects the clock once per fetch", function()
            local shift = 3600
            emu:set_clock(shift)
            local provider = credentials.tke_oidc({
                transport = editing_transport(function()
                    shift = shift + 3600
                    emu:set_clock(shift)
                end) })
            local _, err = with_env(tke_env(), function() return provider:fetch() end)
            assert.are.equal("AuthFailure.SignatureExpire", err.code)
            assert.are.equal(2, #requests_for(emu, "AssumeRoleWithWebIdentity"))
        end)
    end)

    describe("the default chain", function()
        it("prefers the environment to the file", function()
            local dir = helpers.tmpdir()
            write_file(dir .. "/credentials", "[default]\nsecret_id = AKIDfile\n"
                .. "secret_key = file-key\n")
            local creds = with_env({ TENCENTCLOUD_SECRET_ID = "AKIDenv",
                TENCENTCLOUD_SECRET_KEY = "env-key",
                TENCENTCLOUD_CREDENTIALS_FILE = dir .. "/credentials" }, function()
                return assert(credentials.default({}):fetch())
            end)
            assert.are.equal("AKIDenv", creds.secret_id)
        end)

        it("falls through to the CVM role and logs why", function()
            set_metadata({ role = "cvm-role" })
            local entries = {}
            local creds = with_env({ HOME = helpers.tmpdir(),
                TENCENTCLOUD_METADATA_ENDPOINT = emu.url }, function()
                return assert(credentials.default({
                    logger = helpers.capture_logger(entries) }):fetch())
            end)
            assert.are.equal("CVM role cvm-role", creds.source)
            local skipped = {}
            for _, entry in ipairs(entries) do
                assert.are.equal("debug", entry.level)
                skipped[#skipped + 1] = entry.fields.provider
            end
            assert.are.same({ "environment", "profile" }, skipped)
        end)

        it("stops at an invalid source", function()
            set_metadata({ role = "cvm-role" })
            local _, err = with_env({ TENCENTCLOUD_SECRET_ID = "AKIDenv",
                TENCENTCLOUD_SECRET_KEY = "env-key\t",
                TENCENTCLOUD_METADATA_ENDPOINT = emu.url }, function()
                return credentials.default({}):fetch()
            end)
            assert.are.equal("InvalidCredentials", err.code)
            assert.truthy(err.message:find("TENCENTCLOUD_SECRET_KEY", 1, true))
        end)

        it("lists every reason when nothing is found", function()
            local creds, err = with_env({ HOME = helpers.tmpdir() }, function()
                return credentials.default({}):fetch()
            end)
            if creds ~= nil then
                return pending("this machine has /etc/tencentcloud/credentials")
            end
            assert.are.equal("CredentialsNotFound", err.code)
            assert.truthy(err.message:find("TENCENTCLOUD_SECRET_ID", 1, true))
            assert.truthy(err.message:find("CVM role:", 1, true))
            assert.truthy(err.message:find("TKE OIDC:", 1, true))
        end)

        it("returns a failing provider's error last", function()
            set_metadata({ role = "cvm-role", failure = "code" })
            local _, err = with_env({ HOME = helpers.tmpdir(),
                TENCENTCLOUD_METADATA_ENDPOINT = emu.url }, function()
                return credentials.default({}):fetch()
            end)
            assert.are.equal("MetadataFailure", err.code)
        end)

        it("assumes role_arn with what it finds", function()
            local client = with_env({ TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
                TENCENTCLOUD_SECRET_KEY = SECRET_KEY }, function()
                return cam.new({ endpoint = emu.url, role_arn = ROLE_ARN, sts_url = emu.url,
                    role_duration = 900 })
            end)
            local res = with_env({ TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
                TENCENTCLOUD_SECRET_KEY = SECRET_KEY }, function()
                return assert(client:describe_oidc())
            end)
            assert.are.equal(0, res.Status)
            assert.are.equal(1, #requests_for(emu, "AssumeRole"))
        end)
    end)

    describe("the client's cache", function()
        it("refreshes within the margin", function()
            set_metadata({ role = "cvm-role", expires_in = 60 })
            local entries = {}
            local client = helpers.new_cvm_role_client(emu, { refresh_margin = 30,
                logger = helpers.capture_logger(entries) })
            assert(client:describe_oidc())
            assert(client:describe_oidc())
            local served = emu:admin("GET", "/_emulator/metadata").metadata.served
            assert.are.equal(1, served)

            local margin_client = helpers.new_cvm_role_client(emu, { refresh_margin = 120 })
            assert(margin_client:describe_oidc())
            assert(margin_client:describe_oidc())
            served = emu:admin("GET", "/_emulator/metadata").metadata.served
            assert.are.equal(3, served)
        end)

        it("keeps a valid credential when a refresh fails", function()
            set_metadata({ role = "cvm-role", expires_in = 60 })
            local entries = {}
            local client = helpers.new_cvm_role_client(emu, { refresh_margin = 120,
                logger = helpers.capture_logger(entries) })
            assert(client:describe_oidc())
            set_metadata({ role = "cvm-role", expires_in = 60, failure = "code" })
            assert(client:describe_oidc())
            local kept = false
            for _, entry in ipairs(entries) do
                if entry.message:find("refresh failed", 1, true) then
                    kept = true
                    assert.are.equal("error", entry.level)
                    assert.truthy(entry.fields.error:find("MetadataFailure", 1, true))
                end
            end
            assert.is_true(kept)
        end)

        it("refreshes after TokenFailure and retries once", function()
            set_metadata({ role = "cvm-role" })
            local client = helpers.new_cvm_role_client(emu)
            assert(client:describe_oidc())
            emu:admin("POST", "/_emulator/tokens", { expire = true })
            assert(client:describe_oidc())
            local outcomes = {}
            for _, request in ipairs(requests_for(emu, "DescribeUserOIDCConfig")) do
                outcomes[#outcomes + 1] = request.outcome
            end
            assert.are.same({ "Success", "AuthFailure.TokenFailure", "Success" }, outcomes)
        end)

        it("is shared between clients", function()
            set_metadata({ role = "cvm-role" })
            local shared = credentials.cache(credentials.cvm_role({ base_url = emu.url }))
            local a = cam.new({ endpoint = emu.url, credentials = shared })
            local b = cam.new({ endpoint = emu.url, credentials = shared })
            assert(a:describe_oidc())
            assert(b:describe_oidc())
            assert.are.equal(1, emu:admin("GET", "/_emulator/metadata").metadata.served)
        end)

        it("rejects credentials together with secret_id", function()
            assert.has_error(function()
                cam.new({ credentials = credentials.env(), secret_id = "a", secret_key = "b" })
            end)
            assert.has_error(function() cam.new({ credentials = {} }) end)
            assert.has_error(function() cam.new({ metadata_url = "ftp://x" }) end)
            assert.has_error(function() cam.new({ sts_url = "http://sts.example.com" }) end)
        end)
    end)
end)


describe("credentials.cache", function()
    -- A provider whose fetch yields once, like a cosocket request would.
    local function yielding_provider(counter)
        return {
            name = "yielding",
            fetch = function()
                counter.fetches = counter.fetches + 1
                coroutine.yield()
                return { secret_id = "AKIDshared", secret_key = "k" .. counter.fetches,
                    expires_at = os.time() + 3600 }
            end,
        }
    end

    -- A stand-in for ngx.semaphore on plain coroutines.
    local function coroutine_lock()
        local lock = { resources = 0, waiting = 0 }
        function lock.count(self)
            return self.resources - self.waiting
        end
        function lock.post(self, n)
            self.resources = self.resources + (n or 1)
        end
        function lock.wait(self)
            self.waiting = self.waiting + 1
            while self.resources == 0 do
                coroutine.yield()
            end
            self.resources = self.resources - 1
            self.waiting = self.waiting - 1
            return true
        end
        return lock
    end

    it("shares one refresh between concurrent callers", function()
        local counter = { fetches = 0 }
        local store = cache.new(yielding_provider(counter), { lock = coroutine_lock() })
        local results, threads = {}, {}
        for i = 1, 5 do
            threads[i] = coroutine.create(function()
                results[i] = assert(store:get())
            end)
        end
        for _ = 1, 10 do
            for i = 1, 5 do
                if coroutine.status(threads[i]) == "suspended" then
                    assert(coroutine.resume(threads[i]))
                end
            end
        end
        assert.are.equal(1, counter.fetches)
        for i = 1, 5 do
            assert.are.equal(results[1], results[i])
        end
    end)

    it("passes a failed refresh to every waiter", function()
        local fetches = 0
        local provider = {
            fetch = function()
                fetches = fetches + 1
                coroutine.yield()
                return nil, require("cam.credentials.check").error("MetadataFailure", "down")
            end,
        }
        local store = cache.new(provider, { lock = coroutine_lock() })
        local codes, threads = {}, {}
        for i = 1, 3 do
            threads[i] = coroutine.create(function()
                local _, err = store:get()
                codes[i] = err.code
            end)
        end
        for _ = 1, 6 do
            for i = 1, 3 do
                if coroutine.status(threads[i]) == "suspended" then
                    assert(coroutine.resume(threads[i]))
                end
            end
        end
        assert.are.equal(1, fetches)
        assert.are.same({ "MetadataFailure", "MetadataFailure", "MetadataFailure" }, codes)
    end)

    it("clears the refresh when the provider raises", function()
        local calls = 0
        local store = cache.new({ fetch = function()
            calls = calls + 1
            if calls == 1 then
                error("provider bug")
            end
            return { secret_id = "AKIDx", secret_key = "k" }
        end })
        assert.has_error(function() store:get() end)
        assert.is_false(store.refreshing)
        assert(store:get())
    end)

    it("refreshes by the wall clock and margin", function()
        local now, fetches = 1000, 0
        local store = cache.new({ fetch = function()
            fetches = fetches + 1
            return { secret_id = "AKIDx", secret_key = "k", expires_at = now + 600 }
        end }, { margin = 300, time = function() return now end })
        assert(store:get())
        now = now + 299
        assert(store:get())
        assert.are.equal(1, fetches)
        now = now + 2
        assert(store:get())
        assert.are.equal(2, fetches)
    end)

    it("rejects a provider's secret id with a slash", function()
        local store = cache.new({ name = "custom", fetch = function()
            return { secret_id = "AKID/x1", secret_key = "CustomSecretKey0001" }
        end })
        local creds, err = store:get()
        assert.is_nil(creds)
        assert.are.equal("InvalidCredentials", err.code)
        assert.truthy(err.message:find("credentials provider custom: secret_id contains '/'",
            1, true), err.message)
        assert.is_nil(err.message:find("CustomSecretKey0001", 1, true))
    end)

    it("keeps a permanent key until invalidated", function()
        local fetches = 0
        local store = cache.new({ fetch = function()
            fetches = fetches + 1
            return { secret_id = "AKIDx", secret_key = "k" .. fetches }
        end })
        local first = assert(store:get())
        assert.are.equal(first, store:get())
        store:invalidate({})
        assert.are.equal(first, store:get())
        store:invalidate(first)
        assert.are.equal("k2", store:get().secret_key)
    end)
end)


describe("credential providers against an echoing server", function()
    local echo
    local SOURCE_KEY = "EchoSourceSecretKeyValue001"
    local SOURCE_TOKEN = "EchoSourceTokenValue0000001"
    local WEB_TOKEN = "EchoWebIdentityTokenValue001"
    local METADATA_KEY = "EchoMetadataSecretKey000000001"
    local METADATA_TOKEN = "EchoMetadataToken00000000001"

    setup(function()
        echo = helpers.start_echo_server()
    end)

    teardown(function()
        echo:stop()
    end)

    -- Assert that none of `secrets` and no signature the server received
    -- is in the error's fields, its text or a log line.
    local function assert_hidden(err, lines, secrets)
        local texts = { tostring(err), tostring(err.code), tostring(err.message),
            tostring(err.request_id) }
        for _, line in ipairs(lines) do
            texts[#texts + 1] = line
        end
        local hidden = {}
        for _, secret in ipairs(secrets) do
            hidden[#hidden + 1] = secret
        end
        for _, signature in ipairs(echo:signatures()) do
            hidden[#hidden + 1] = signature
        end
        for _, text in ipairs(texts) do
            for _, secret in ipairs(hidden) do
                assert.is_nil(text:find(secret, 1, true), "secret in " .. text)
            end
        end
    end

    local function assume_role_client(lines, token)
        return cam.new({ endpoint = echo.url, sts_url = echo.url, role_arn = ROLE_ARN,
            secret_id = helpers.DEMO_ID, secret_key = SOURCE_KEY, token = token,
            max_attempts = 1, logger = helpers.capture_log_lines(lines) })
    end

    it("masks the AssumeRole signature", function()
        local before = #echo:signatures()
        local lines = {}
        local _, err = assume_role_client(lines):describe_oidc()
        assert.are.equal(before + 1, #echo:signatures())
        assert.are.equal("credentials", err.kind)
        assert.truthy(err.message:find("Signature=***", 1, true), err.message)
        assert.truthy(err.code:find("***", 1, true), err.code)
        assert.truthy(err.request_id:find("***", 1, true), err.request_id)
        assert.is_true(#lines >= 1)
        assert_hidden(err, lines, { SOURCE_KEY })
    end)

    it("masks the token of a temporary source", function()
        local lines = {}
        local _, err = assume_role_client(lines, SOURCE_TOKEN):describe_oidc()
        assert.are.equal("credentials", err.kind)
        assert.truthy(err.message:find("token ***", 1, true), err.message)
        assert_hidden(err, lines, { SOURCE_KEY, SOURCE_TOKEN })
    end)

    it("masks the web identity token", function()
        local token_file = helpers.tmpdir() .. "/token"
        write_file(token_file, WEB_TOKEN .. "\n")
        local lines = {}
        local env = {
            HOME = helpers.tmpdir(),
            TKE_REGION = "ap-shanghai",
            TKE_PROVIDER_ID = "cls-provider",
            TKE_WEB_IDENTITY_TOKEN_FILE = token_file,
            TKE_ROLE_ARN = ROLE_ARN,
            TENCENTCLOUD_STS_ENDPOINT = echo.url,
        }
        local system_file = io.open("/etc/tencentcloud/credentials")
        if system_file ~= nil then
            system_file:close()
            return pending("this machine has /etc/tencentcloud/credentials")
        end
        local _, err = with_env(env, function()
            return cam.new({ endpoint = echo.url, max_attempts = 1,
                logger = helpers.capture_log_lines(lines) }):describe_oidc()
        end)
        assert.are.equal("credentials", err.kind)
        assert.truthy(err.message:find("web identity token ***", 1, true), err.message)
        local skipped = 0
        for _, line in ipairs(lines) do
            if line:find("credential provider skipped", 1, true)
                and line:find("TKE OIDC", 1, true) then
                skipped = skipped + 1
            end
        end
        assert.are.equal(1, skipped)
        assert_hidden(err, lines, { WEB_TOKEN })
    end)

    it("masks the CVM credential in its Code", function()
        local lines = {}
        local _, err = cam.new({ endpoint = echo.url, max_attempts = 1,
            credentials = credentials.cvm_role({ base_url = echo.url }),
            logger = helpers.capture_log_lines(lines) }):describe_oidc()
        assert.are.equal("MetadataFailure", err.code)
        assert.truthy(err.message:find("Code Failed *** ***", 1, true), err.message)
        assert_hidden(err, lines, { METADATA_KEY, METADATA_TOKEN })
    end)
end)
