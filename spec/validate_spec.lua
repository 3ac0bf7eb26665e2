local core = require("cam.core")
local json = require("cam.json")
local validate = require("cam.validate")

local math_type = math.type

local JWKS = '{"keys":[{"kty":"RSA","kid":"k1","n":"sXch","e":"AQAB"}]}'
local KEY = core.base64_encode(JWKS)

-- 23 bytes of JSON, so the base64 text ends with one "=".
local PADDED_KEY = core.base64_encode('{"keys":[{"kty":"EC"}]}')


--- A valid UpdateUserOIDCConfig parameter table, by wire name.
local function user_params(overrides)
    local params = {
        IdentityUrl = "https://idp.example.com",
        IdentityKey = KEY,
        ClientId = "cam-sso",
        AuthorizationEndpoint = "https://idp.example.com/oauth2/authorize",
        MappingFiled = "sub",
    }

    for name, value in pairs(overrides or {}) do
        params[name] = value
    end
    return params
end


--- A valid CreateOIDCConfig parameter table, by wire name.
local function role_params(overrides)
    local params = {
        Name = "corp-idp",
        IdentityUrl = "https://idp.example.com",
        ClientId = { "cam-sso" },
        IdentityKey = KEY,
    }

    for name, value in pairs(overrides or {}) do
        params[name] = value
    end
    return params
end


--- Return the messages of the problems for one field, in order.
local function messages_for(problems, field)
    local messages = {}

    for _, problem in ipairs(problems or {}) do
        if problem.field == field then
            messages[#messages + 1] = problem.message
        end
    end
    return messages
end


--- Check user params and return the messages for one field.
local function user_messages(overrides, field)
    local _, problems = validate.update_oidc(user_params(overrides))
    return messages_for(problems, field)
end


local function role_messages(overrides, field)
    local _, problems = validate.role_oidc(role_params(overrides))
    return messages_for(problems, field)
end


local function fields_of(problems)
    local fields = {}

    for i, problem in ipairs(problems) do
        fields[i] = problem.field
    end
    return fields
end


local function key_of(text)
    return core.base64_encode(text)
end


--- Encode a code point as UTF-8; LuaJIT has no utf8 library.
local function utf8_char(point)
    if point < 0x80 then
        return string.char(point)
    end
    if point < 0x800 then
        return string.char(0xC0 + math.floor(point / 0x40), 0x80 + point % 0x40)
    end
    if point < 0x10000 then
        return string.char(0xE0 + math.floor(point / 0x1000),
            0x80 + math.floor(point / 0x40) % 0x40, 0x80 + point % 0x40)
    end
    return string.char(0xF0 + math.floor(point / 0x40000),
        0x80 + math.floor(point / 0x1000) % 0x40,
        0x80 + math.floor(point / 0x40) % 0x40, 0x80 + point % 0x40)
end


describe("validate.update_oidc", function()
    describe("names", function()
        it("accepts wire names", function()
            local wire, problems = validate.update_oidc(user_params())

            assert.is_nil(problems)
            assert.is_table(wire)
        end)

        it("accepts Lua names", function()
            local wire, problems = validate.update_oidc({
                identity_url = "https://idp.example.com",
                identity_key = KEY,
                client_id = "cam-sso",
                authorization_endpoint = "https://idp.example.com/oauth2/authorize",
                response_type = "id_token",
                response_mode = "fragment",
                mapping_field = "sub",
                scope = { "openid", "email" },
                description = "corp",
                auto_rotate_key = 1,
            })

            assert.is_nil(problems)
            assert.equal('{"AuthorizationEndpoint":"https://idp.example.com'
                .. '/oauth2/authorize","AutoRotateKey":1,"ClientId":"cam-sso",'
                .. '"Description":"corp","IdentityKey":"' .. KEY .. '",'
                .. '"IdentityUrl":"https://idp.example.com","MappingFiled":"sub",'
                .. '"ResponseMode":"fragment","ResponseType":"id_token",'
                .. '"Scope":["openid","email"]}', json.encode(wire))
        end)

        it("accepts the API spelling mapping_filed", function()
            local params = user_params({ MappingFiled = json.null })
            params.mapping_filed = "name"

            local wire = validate.update_oidc(params)

            assert.equal("name", wire.MappingFiled)
        end)

        it("returns wire names only", function()
            local params = user_params({ IdentityUrl = json.null })
            params.identity_url = "https://idp.example.com"

            local wire = validate.update_oidc(params)

            assert.is_nil(wire.identity_url)
            assert.equal("https://idp.example.com", wire.IdentityUrl)
        end)

        it("rejects one field under two names", function()
            local params = user_params()
            params.identity_url = "https://other.example.com"

            local messages = messages_for(select(2, validate.update_oidc(params)),
                "IdentityUrl")

            assert.equal(1, #messages)
            assert.equal("is given more than once, as 'IdentityUrl' and"
                .. " 'identity_url'; pass only one", messages[1])
        end)

        it("names all three MappingFiled spellings", function()
            local params = user_params()
            params.mapping_field = "sub"
            params.mapping_filed = "sub"

            local messages = messages_for(select(2, validate.update_oidc(params)),
                "MappingFiled")

            assert.equal("is given more than once, as 'MappingFiled' and"
                .. " 'mapping_field' and 'mapping_filed'; pass only one",
                messages[1])
        end)

        it("suggests MappingFiled for MappingField", function()
            local params = user_params({ MappingFiled = json.null })
            params.MappingField = "sub"

            local messages = messages_for(select(2, validate.update_oidc(params)),
                "MappingField")

            assert.equal("unknown parameter; did you mean 'MappingFiled'?",
                messages[1])
        end)

        it("suggests MappingFiled for mappingfiled", function()
            local params = user_params()
            params.mappingfiled = "sub"

            local messages = messages_for(select(2, validate.update_oidc(params)),
                "mappingfiled")

            assert.equal("unknown parameter; did you mean 'MappingFiled'?",
                messages[1])
        end)

        it("suggests a Lua name for snake case", function()
            local params = user_params()
            params.identity_ur = "https://idp.example.com"

            local messages = messages_for(select(2, validate.update_oidc(params)),
                "identity_ur")

            assert.equal("unknown parameter; did you mean 'identity_url'?",
                messages[1])
        end)

        it("lists names for a hopeless name", function()
            local params = user_params()
            params.zzzzzzzz = 1

            local messages = messages_for(select(2, validate.update_oidc(params)),
                "zzzzzzzz")

            assert.is_nil(messages[1]:find("did you mean", 1, true))
            assert.matches("accepted wire names are AuthorizationEndpoint,",
                messages[1], 1, true)
        end)

        it("explains describe output fields", function()
            local params = user_params({ Status = 11, ProviderType = 12,
                RequestId = "r-1" })

            local _, problems = validate.update_oidc(params)

            assert.equal(3, #problems)
            for _, problem in ipairs(problems) do
                assert.matches("output of the describe action", problem.message,
                    1, true)
            end
        end)

        it("rejects non-string keys", function()
            local params = user_params()
            params[1] = "https://idp.example.com"

            local messages = messages_for(select(2, validate.update_oidc(params)),
                "params")

            assert.equal("has the number 1 as a key; parameter names are strings"
                .. " such as 'IdentityUrl'", messages[1])
        end)

        it("shows odd names safely", function()
            local params = user_params()
            params["bad\nname"] = 1

            local _, problems = validate.update_oidc(params)

            assert.equal("'bad\\x0Aname'", problems[1].field)
        end)

        it("treats json.null as absent", function()
            local wire = validate.update_oidc(user_params({
                Description = json.null, Scope = json.null,
            }))

            assert.is_nil(wire.Description)
            assert.equal('["openid"]', json.encode(wire.Scope))
        end)

        it("raises on a non-table", function()
            assert.has_error(function()
                validate.update_oidc("x")
            end, "validate.update_oidc: params must be a table, got string")
        end)
    end)

    describe("defaults", function()
        it("sets ResponseType to id_token", function()
            assert.equal("id_token", validate.update_oidc(user_params()).ResponseType)
        end)

        it("sets ResponseMode to form_post", function()
            assert.equal("form_post", validate.update_oidc(user_params()).ResponseMode)
        end)

        it("sets absent Scope to openid", function()
            local wire = validate.update_oidc(user_params())

            assert.equal('["openid"]', json.encode(wire.Scope))
        end)

        it("sends an empty Scope as openid", function()
            local wire = validate.update_oidc(user_params({ Scope = {} }))

            assert.matches('"Scope":["openid"]', json.encode(wire), 1, true)
        end)

        it("sends a marked empty Scope as openid", function()
            local wire = validate.update_oidc(user_params({ Scope = json.array({}) }))

            assert.equal('["openid"]', json.encode(wire.Scope))
        end)

        it("omits Description and AutoRotateKey", function()
            local wire = validate.update_oidc(user_params())

            assert.is_nil(wire.Description)
            assert.is_nil(wire.AutoRotateKey)
        end)
    end)

    describe("problems", function()
        it("reports all problems at once", function()
            local wire, problems = validate.update_oidc({
                IdentityUrl = "http://idp.example.com",
                IdentityKey = "not base64!",
                ClientId = "-bad",
                ResponseMode = "query",
                Scope = "openid",
                Description = 5,
                AutoRotateKey = 2,
            })

            assert.is_nil(wire)
            assert.same({
                "AuthorizationEndpoint", "AutoRotateKey", "ClientId",
                "Description", "IdentityKey", "IdentityUrl", "MappingFiled",
                "ResponseMode", "Scope",
            }, fields_of(problems))
        end)

        it("sorts problems by field", function()
            local _, problems = validate.update_oidc({ zeta = 1, alpha = 2 })
            local fields = fields_of(problems)

            for i = 2, #fields do
                assert.is_true(fields[i - 1] <= fields[i])
            end
        end)

        it("gives problems a field and message", function()
            local _, problems = validate.update_oidc({})

            for _, problem in ipairs(problems) do
                assert.is_string(problem.field)
                assert.is_string(problem.message)
            end
        end)

        it("is stable across calls", function()
            local params = { Scope = { "a", "b", "c" }, x = 1, y = 2 }
            local _, first = validate.update_oidc(params)
            local _, second = validate.update_oidc(params)

            assert.same(first, second)
        end)

        for _, field in ipairs({ "IdentityUrl", "IdentityKey", "ClientId",
                "AuthorizationEndpoint", "MappingFiled" }) do
            it("requires " .. field, function()
                local messages = user_messages({ [field] = json.null }, field)

                assert.equal(1, #messages)
                assert.matches("^is required %(" .. field .. " or ", messages[1])
            end)
        end

        for _, field in ipairs({ "IdentityUrl", "ClientId", "AuthorizationEndpoint",
                "ResponseType", "ResponseMode", "MappingFiled", "Description" }) do
            it("rejects a number for " .. field, function()
                assert.same({ "must be a string, got number 5" },
                    user_messages({ [field] = 5 }, field))
            end)

            it("rejects a table for " .. field, function()
                assert.same({ "must be a string, got table" },
                    user_messages({ [field] = {} }, field))
            end)

            it("rejects invalid UTF-8 for " .. field, function()
                assert.same({ "is not valid UTF-8 (invalid byte at offset 2);"
                    .. " pass UTF-8 text" }, user_messages({ [field] = "a\255" }, field))
            end)
        end

        it("cuts quoted values to 60 bytes", function()
            local value = "http://idp.example.com/" .. string.rep("x", 200)
            local message = user_messages({ IdentityUrl = value }, "IdentityUrl")[1]

            assert.equal("must use https://, got '" .. value:sub(1, 60) .. "...'",
                message)
        end)

        it("cuts quoted values on a character boundary", function()
            local value = "http://a.example/" .. string.rep("中", 30)
            local message = user_messages({ IdentityUrl = value }, "IdentityUrl")[1]

            assert.equal("must use https://, got 'http://a.example/"
                .. string.rep("中", 14) .. "...'", message)
        end)

        it("shows control characters escaped", function()
            local message = user_messages({ ResponseMode = "a\tb" }, "ResponseMode")[1]

            assert.matches("'a\\x09b'", message, 1, true)
        end)

        for _, case in ipairs({
            { "a\u{A0}b", "'a\\u{00A0}b'" },
            { "a\u{85}b", "'a\\u{0085}b'" },
            { "a\u{3000}b", "'a\\u{3000}b'" },
            { "a\u{200B}b", "'a\\u{200B}b'" },
            { "a\u{E0041}b", "'a\\u{E0041}b'" },
        }) do
            it("shows " .. case[2] .. " as a code point escape", function()
                local message = user_messages({ ResponseMode = case[1] },
                    "ResponseMode")[1]

                assert.matches(case[2], message, 1, true)
            end)
        end

        it("keeps visible non-ASCII text in quotes", function()
            local message = user_messages({ ResponseMode = "中é😀" }, "ResponseMode")[1]

            assert.matches("'中é😀'", message, 1, true)
        end)
    end)

    describe("URL fields", function()
        for _, field in ipairs({ "IdentityUrl", "AuthorizationEndpoint" }) do
            for _, url in ipairs({
                "https://idp.example.com",
                "https://idp.example.com/",
                "https://idp.example.com/realms/corp",
                "https://idp.example.com:8443/path",
                "https://login.microsoftonline.com/tenant/v2.0",
                "https://[2001:db8::1]/oidc",
                "https://127.0.0.1/",
                "https://idp.example.com/p@th",
                "https://idp.example.com./",
                "https://[::ffff:192.0.2.1]/oidc",
                "https://[::1]:8443/",
                "https://[1:2:3:4:5:6:7::]/",
                "https://idp.example.com/用户",
            }) do
                it(field .. " accepts " .. url, function()
                    assert.same({}, user_messages({ [field] = url }, field))
                end)
            end

            for _, case in ipairs({
                { "http://idp.example.com", "must use https://" },
                { "HTTPS://idp.example.com", "in lowercase" },
                { "Https://idp.example.com", "in lowercase" },
                { "ftp://idp.example.com", "must use https://" },
                { "idp.example.com", "must be an absolute https:// URL" },
                { "", "must be an absolute https:// URL" },
                { "https://", "has no host" },
                { "https:///path", "has no host" },
                { "https://:443/", "has no host" },
                { "https://user@idp.example.com", "user information" },
                { "https://user:pw@idp.example.com/", "user information" },
                { "https://idp.example.com?a=1", "query" },
                { "https://idp.example.com/p?", "query" },
                { "https://idp.example.com#top", "fragment" },
                { "https://idp.example.com/p#", "fragment" },
                { "https://idp.example.com/a b", "white space" },
                { " https://idp.example.com", "must be an absolute https:// URL" },
                { "https://idp.example.com/\t", "white space" },
                { "https://idp.example.com\n", "white space" },
                { "https://idp.example.com/\0", "white space" },
                { "https://idp.example.com/\127", "white space" },
                { "https://idp.example.com/\u{A0}", "white space" },
                { "https://idp.example.com/\u{3000}", "white space" },
                { "https://idp.example.com/\u{200B}", "white space" },
                { "https://idp.example.com/\u{FEFF}", "white space" },
                { "https://idp.example.com/\u{80}", "U+0080 at character 25" },
                { "https://idp.example.com/\u{85}", "U+0085 at character 25" },
                { "https://idp.example.com/\u{9F}", "U+009F at character 25" },
                { "https://idp.example.com/\u{200E}", "U+200E at character 25" },
                { "https://idp.example.com/\u{2066}", "U+2066 at character 25" },
                { "https://[:1::2]/", "invalid host '[:1::2]'" },
                { "https://[1::2:]/", "invalid host '[1::2:]'" },
                { "https://[1.2.3.4]/", "invalid host" },
                { "https://[::ffff:1.2.3]/", "invalid host" },
                { "https://[]/", "invalid host" },
                { "https://::1", "put it in brackets, as in https://[::1]/" },
                { "https://2001:db8::1/x", "as in https://[2001:db8::1]/" },
                { "https://a:b:c/", "put an IPv6 address in brackets" },
                { "https://[fe80::1%25eth0]/", "zone identifiers are not supported" },
                { "https://[fe80::1%eth0]:8443/", "zone identifiers are not supported" },
                { "https://[::1/", "without a closing ']'" },
                { "https://idp.example.com:0/", "invalid port" },
                { "https://idp.example.com:65536/", "invalid port" },
                { "https://idp.example.com:/", "invalid port" },
                { "https://idp.example.com:x/", "invalid port" },
                { "https://bücher.example/", "invalid host" },
                { "https://a..b/", "invalid host" },
                { "https://.a/", "invalid host" },
                { "https://a_b.example/", "invalid host" },
            }) do
                it(field .. " rejects " .. string.format("%q", case[1]), function()
                    local messages = user_messages({ [field] = case[1] }, field)

                    assert.equal(1, #messages)
                    assert.matches(case[2], messages[1], 1, true)
                end)
            end

            it(field .. " reports every URL defect", function()
                local messages = user_messages({
                    [field] = "http://u@idp.example.com?q#f",
                }, field)

                assert.equal(4, #messages)
            end)
        end

        it("explains an IPv6 address without brackets", function()
            assert.same({ "has an IPv6 address without brackets; put it in"
                .. " brackets, as in https://[::1]/" },
                user_messages({ IdentityUrl = "https://::1" }, "IdentityUrl"))
        end)

        it("explains an IPv6 zone identifier", function()
            assert.same({ "has the zone identifier '%25eth0' in its IPv6 address;"
                .. " zone identifiers are not supported in these URLs, so remove it" },
                user_messages({ IdentityUrl = "https://[fe80::1%25eth0]" },
                    "IdentityUrl"))
        end)

        it("explains both problems of an unbracketed zone", function()
            assert.same({
                "has an IPv6 address without brackets; put it in brackets, as in"
                    .. " https://[fe80::1]/",
                "has the zone identifier '%25eth0' after its IPv6 address; zone"
                    .. " identifiers are not supported in these URLs, so remove it",
            }, user_messages({ IdentityUrl = "https://fe80::1%25eth0/x" },
                "IdentityUrl"))
        end)

        it("names the C1 control in a URL", function()
            assert.same({ "contains U+0085 at character 26; remove white space,"
                .. " control characters and format characters, or percent-encode"
                .. " them" }, user_messages({
                    IdentityUrl = "https://idp.example.com/a\u{85}b" }, "IdentityUrl"))
        end)

        it("lists every invisible character in a URL", function()
            assert.same({ "contains U+00A0 at character 26, ' ' at character 28"
                .. " and U+200B at character 30; remove white space, control"
                .. " characters and format characters, or percent-encode them" },
                user_messages({ AuthorizationEndpoint =
                    "https://idp.example.com/a\u{A0}b c\u{200B}d\u{A0}" },
                    "AuthorizationEndpoint"))
        end)

        it("keeps the URL byte for byte", function()
            local wire = validate.update_oidc(user_params({
                IdentityUrl = "https://idp.example.com/",
            }))

            assert.equal("https://idp.example.com/", wire.IdentityUrl)
        end)
    end)

    describe("ClientId", function()
        it("accepts 64 characters", function()
            assert.same({}, user_messages({ ClientId = string.rep("a", 64) }, "ClientId"))
        end)

        it("rejects 65 characters", function()
            assert.same({ "must be at most 64 characters, got 65" },
                user_messages({ ClientId = string.rep("a", 65) }, "ClientId"))
        end)

        it("accepts one character", function()
            assert.same({}, user_messages({ ClientId = "7" }, "ClientId"))
        end)

        it("rejects an empty string", function()
            assert.matches("must not be empty",
                user_messages({ ClientId = "" }, "ClientId")[1], 1, true)
        end)

        it("accepts letters and digits", function()
            assert.same({}, user_messages({ ClientId = "AZaz09" }, "ClientId"))
        end)

        for _, char in ipairs({ ".", "-", "_", ":", "/" }) do
            it("accepts " .. char .. " inside", function()
                assert.same({}, user_messages({ ClientId = "a" .. char .. "b" },
                    "ClientId"))
            end)

            it("rejects " .. char .. " first", function()
                assert.same({ "must start with a letter or digit, got '" .. char
                    .. "ab'" }, user_messages({ ClientId = char .. "ab" }, "ClientId"))
            end)
        end

        for _, char in ipairs({ " ", "@", "+", "=", "é", "中", "😀" }) do
            it("rejects " .. char, function()
                assert.same({ "contains '" .. char .. "' at character 2; use only"
                    .. " letters, digits and . - _ : /" },
                    user_messages({ ClientId = "a" .. char .. "b" }, "ClientId"))
            end)
        end

        for _, case in ipairs({
            { "\u{A0}", "U+00A0" }, { "\u{3000}", "U+3000" }, { "\u{200B}", "U+200B" },
            { "\u{85}", "U+0085" }, { "\t", "U+0009" }, { "\u{FEFF}", "U+FEFF" },
        }) do
            it("shows " .. case[2] .. " as its code point", function()
                assert.same({ "contains " .. case[2] .. " at character 2; use only"
                    .. " letters, digits and . - _ : /" },
                    user_messages({ ClientId = "a" .. case[1] .. "b" }, "ClientId"))
            end)
        end

        it("reports the first character with the others", function()
            assert.same({
                "contains ' ' at character 5; use only letters, digits and . - _ : /",
                "must start with a letter or digit, got '-abc def'",
            }, user_messages({ ClientId = "-abc def" }, "ClientId"))
        end)

        it("reports a disallowed first character twice", function()
            assert.same({
                "contains '@' at character 1; use only letters, digits and . - _ : /",
                "must start with a letter or digit, got '@abc'",
            }, user_messages({ ClientId = "@abc" }, "ClientId"))
        end)

        it("lists every distinct disallowed character", function()
            assert.same({ "contains ' ' at character 2, '@' at character 4 and"
                .. " U+00A0 at character 8; use only letters, digits and . - _ : /" },
                user_messages({ ClientId = "a b@c d\u{A0}e f" }, "ClientId"))
        end)

        it("lists at most five characters", function()
            assert.same({ "contains '!' at character 2, '@' at character 4,"
                .. " '#' at character 6, '$' at character 8, '%' at character 10"
                .. " and 3 more disallowed characters; use only letters, digits"
                .. " and . - _ : /" },
                user_messages({ ClientId = "a!b@c#d$e%f^g&h*i!" }, "ClientId"))
        end)

        it("counts one more disallowed character", function()
            assert.same({ "contains '!' at character 2, '@' at character 3,"
                .. " '#' at character 4, '$' at character 5, '%' at character 6"
                .. " and 1 more disallowed character; use only letters, digits"
                .. " and . - _ : /" },
                user_messages({ ClientId = "a!@#$%^" }, "ClientId"))
        end)

        it("escapes invisible characters in the quoted value", function()
            assert.same({
                "contains U+200B at character 3; use only letters, digits and . - _ : /",
                "must start with a letter or digit, got '-a\\u{200B}'",
            }, user_messages({ ClientId = "-a\u{200B}" }, "ClientId"))
        end)
    end)

    describe("ResponseType", function()
        it("accepts id_token", function()
            assert.same({}, user_messages({ ResponseType = "id_token" },
                "ResponseType"))
        end)

        for _, value in ipairs({ "code", "ID_TOKEN", "token", "" }) do
            it("rejects " .. string.format("%q", value), function()
                assert.matches("must be 'id_token'",
                    user_messages({ ResponseType = value }, "ResponseType")[1], 1, true)
            end)
        end
    end)

    describe("ResponseMode", function()
        for _, value in ipairs({ "form_post", "fragment" }) do
            it("accepts " .. value, function()
                assert.same({}, user_messages({ ResponseMode = value }, "ResponseMode"))
            end)
        end

        for _, value in ipairs({ "query", "form-post", "FORM_POST", "" }) do
            it("rejects " .. string.format("%q", value), function()
                assert.matches("must be 'form_post' (the default) or 'fragment'",
                    user_messages({ ResponseMode = value }, "ResponseMode")[1], 1, true)
            end)
        end
    end)

    describe("MappingFiled", function()
        it("accepts 255 characters", function()
            assert.same({}, user_messages({ MappingFiled = string.rep("a", 255) },
                "MappingFiled"))
        end)

        it("rejects 256 characters", function()
            assert.same({ "must be at most 255 characters, got 256" },
                user_messages({ MappingFiled = string.rep("a", 256) }, "MappingFiled"))
        end)

        it("counts CJK as one character", function()
            assert.same({}, user_messages({ MappingFiled = string.rep("名", 255) },
                "MappingFiled"))
        end)

        it("rejects 256 CJK characters", function()
            assert.same({ "must be at most 255 characters, got 256" },
                user_messages({ MappingFiled = string.rep("名", 256) }, "MappingFiled"))
        end)

        it("rejects an empty string", function()
            assert.matches("must not be empty",
                user_messages({ MappingFiled = "" }, "MappingFiled")[1], 1, true)
        end)

        it("accepts letters and digits", function()
            assert.same({}, user_messages({ MappingFiled = "preferred9Name" },
                "MappingFiled"))
        end)

        for _, char in ipairs({ "@", "&", "_", "[", "]", "-" }) do
            it("accepts " .. char, function()
                assert.same({}, user_messages({ MappingFiled = char .. "x" .. char },
                    "MappingFiled"))
            end)
        end

        for _, point in ipairs({ 0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xF900, 0xFAFF,
                0x20000, 0x2A6DF, 0x2A700, 0x2EBEF, 0x2F800, 0x2FA1F, 0x30000,
                0x3134F }) do
            it(string.format("accepts U+%04X", point), function()
                assert.same({}, user_messages({ MappingFiled = utf8_char(point) },
                    "MappingFiled"))
            end)
        end

        for _, point in ipairs({ 0x33FF, 0x4DC0, 0xA000, 0xF8FF, 0xFB00, 0x1FFFF,
                0x2A6E0, 0x2A6FF, 0x2EBF0, 0x2F7FF, 0x2FA20, 0x2FFFF, 0x31350,
                0x1F600, 0xE9 }) do
            it(string.format("rejects U+%04X", point), function()
                local value = "a" .. utf8_char(point)

                assert.same({ "contains '" .. utf8_char(point) .. "' at character 2;"
                    .. " use only ASCII letters, digits, CJK ideographs and"
                    .. " @ & _ [ ] -" }, user_messages({ MappingFiled = value },
                    "MappingFiled"))
            end)
        end

        for _, char in ipairs({ ".", " ", "$", ":", "/" }) do
            it("rejects " .. string.format("%q", char), function()
                assert.equal(1, #user_messages({ MappingFiled = "a" .. char },
                    "MappingFiled"))
            end)
        end

        it("accepts a Chinese claim name", function()
            assert.same({}, user_messages({ MappingFiled = "用户名" }, "MappingFiled"))
        end)

        it("reports every disallowed character", function()
            assert.same({ "contains ' ' at character 2 and '.' at character 4;"
                .. " use only ASCII letters, digits, CJK ideographs and @ & _ [ ] -" },
                user_messages({ MappingFiled = "a b.c" }, "MappingFiled"))
        end)

        it("lists a repeated character once", function()
            assert.same({ "contains ' ' at character 2; use only ASCII letters,"
                .. " digits, CJK ideographs and @ & _ [ ] -" },
                user_messages({ MappingFiled = "a b c d" }, "MappingFiled"))
        end)

        it("shows U+3000 as its code point", function()
            assert.same({ "contains U+3000 at character 3; use only ASCII letters,"
                .. " digits, CJK ideographs and @ & _ [ ] -" },
                user_messages({ MappingFiled = "用户\u{3000}名" }, "MappingFiled"))
        end)
    end)

    describe("Scope", function()
        for _, scope in ipairs({
            { "openid" }, { "email" }, { "profile" }, { "openid", "email", "profile" },
        }) do
            it("accepts " .. table.concat(scope, ","), function()
                local wire = validate.update_oidc(user_params({ Scope = scope }))

                assert.equal(json.encode(scope), json.encode(wire.Scope))
            end)
        end

        it("marks Scope as an array", function()
            local wire = validate.update_oidc(user_params({ Scope = { "email" } }))

            assert.is_true(json.is_array(wire.Scope))
        end)

        it("copies the caller's list", function()
            local scope = { "email" }
            local wire = validate.update_oidc(user_params({ Scope = scope }))

            assert.are_not.equal(scope, wire.Scope)
            assert.is_nil(getmetatable(scope))
        end)

        it("rejects a single string", function()
            assert.same({ "must be a list of strings, got the string 'openid';"
                .. " pass a list such as { 'openid', 'email' }" },
                user_messages({ Scope = "openid" }, "Scope"))
        end)

        it("rejects a number", function()
            assert.matches("must be a list of strings",
                user_messages({ Scope = 1 }, "Scope")[1], 1, true)
        end)

        it("rejects an unknown scope", function()
            assert.same({ "item 2 is 'phone'; allowed values are openid, email"
                .. " and profile" }, user_messages({ Scope = { "openid", "phone" } },
                "Scope"))
        end)

        it("rejects wrong case", function()
            assert.equal(1, #user_messages({ Scope = { "OpenID" } }, "Scope"))
        end)

        it("rejects duplicates", function()
            assert.same({ "item 3 'email' repeats item 1; list each value once" },
                user_messages({ Scope = { "email", "openid", "email" } }, "Scope"))
        end)

        it("rejects a non-string item", function()
            assert.same({ "item 1 must be a string, got boolean true" },
                user_messages({ Scope = { true } }, "Scope"))
        end)

        it("rejects string keys", function()
            assert.matches("must be a list (a table with keys 1..n)",
                user_messages({ Scope = { a = "openid" } }, "Scope")[1], 1, true)
        end)

        it("rejects a sparse list", function()
            assert.equal(1, #user_messages({ Scope = { [1] = "openid",
                [3] = "email" } }, "Scope"))
        end)

        it("reports each bad item", function()
            assert.equal(2, #user_messages({ Scope = { "a", "b" } }, "Scope"))
        end)
    end)

    describe("Description", function()
        it("accepts an empty string", function()
            assert.equal("", validate.update_oidc(user_params({
                Description = "" })).Description)
        end)

        it("accepts 255 characters", function()
            assert.same({}, user_messages({ Description = string.rep("d", 255) },
                "Description"))
        end)

        it("rejects 256 characters", function()
            assert.same({ "must be at most 255 characters, got 256" },
                user_messages({ Description = string.rep("d", 256) }, "Description"))
        end)

        it("accepts 255 emoji", function()
            assert.same({}, user_messages({ Description = string.rep("😀", 255) },
                "Description"))
        end)

        it("rejects 256 emoji", function()
            assert.same({ "must be at most 255 characters, got 256" },
                user_messages({ Description = string.rep("😀", 256) }, "Description"))
        end)

        it("keeps Chinese and emoji byte-exact", function()
            local description = "企业身份源 😀"
            local wire = validate.update_oidc(user_params({ Description = description }))

            assert.matches('"Description":"' .. description .. '"', json.encode(wire),
                1, true)
        end)
    end)

    describe("AutoRotateKey", function()
        for _, case in ipairs({ { 0, 0 }, { 1, 1 }, { 1.0, 1 }, { true, 1 },
                { false, 0 } }) do
            it("accepts " .. tostring(case[1]), function()
                local wire = validate.update_oidc(user_params({
                    AutoRotateKey = case[1] }))

                assert.equal(case[2], wire.AutoRotateKey)
                if math_type ~= nil then
                    assert.equal("integer", math_type(wire.AutoRotateKey))
                end
            end)
        end

        for _, value in ipairs({ 2, -1, 0.5, "1", "true" }) do
            it("rejects " .. string.format("%q", value), function()
                assert.matches("^must be 0, 1 or a boolean, got ",
                    user_messages({ AutoRotateKey = value }, "AutoRotateKey")[1])
            end)
        end
    end)

    describe("IdentityKey", function()
        it("passes the value through", function()
            assert.equal(KEY, validate.update_oidc(user_params()).IdentityKey)
        end)

        it("accepts one = of padding", function()
            assert.equal("=", PADDED_KEY:sub(-1))
            assert.same({}, user_messages({ IdentityKey = PADDED_KEY }, "IdentityKey"))
        end)

        it("accepts several keys", function()
            local key = key_of('{"keys":[{"kty":"RSA"},{"kty":"EC","crv":"P-256"}]}')

            assert.same({}, user_messages({ IdentityKey = key }, "IdentityKey"))
        end)

        for _, case in ipairs({
            { "URL-safe alphabet", "eyJrZXlzIjpbXX0-_w==", "URL-safe alphabet" },
            { "missing padding", PADDED_KEY:sub(1, -2), "= padding is missing" },
            { "a line break", KEY:sub(1, 8) .. "\n" .. KEY:sub(9), "white space" },
            { "a space", KEY:sub(1, 8) .. " " .. KEY:sub(9), "white space" },
            { "a bad character", "ab*d", "is not standard base64" },
            { "misplaced padding", "a=bc", "is not standard base64" },
            { "an empty string", "", "must not be empty" },
            { "raw JSON", '{"keys":[]}', "is not standard base64" },
            { "text that is not JSON", key_of("hello"), "does not decode to JSON" },
            { "invalid UTF-8 JSON", key_of('{"keys":"\255"}'), "does not decode to JSON" },
            { "a JSON array", key_of("[1]"), "not an object" },
            { "a JSON string", key_of('"x"'), "not an object" },
            { "no keys", key_of('{"kty":"RSA"}'), "no keys array" },
            { "keys as empty object", key_of('{"keys":{}}'), "an empty keys array" },
            { "keys as object", key_of('{"keys":{"kty":"RSA"}}'),
                "keys that is not an array" },
            { "keys as string", key_of('{"keys":"x"}'), "keys that is not an array" },
            { "empty keys", key_of('{"keys":[]}'), "an empty keys array" },
            { "a key that is not an object", key_of('{"keys":[1]}'),
                "key 1 of the JWKS is not an object" },
            { "a key without kty", key_of('{"keys":[{"kty":"RSA"},{"n":"x"}]}'),
                "key 2 of the JWKS has no kty" },
            { "a numeric kty", key_of('{"keys":[{"kty":1}]}'),
                "key 1 of the JWKS has no kty" },
        }) do
            it("rejects " .. case[1], function()
                local messages = user_messages({ IdentityKey = case[2] },
                    "IdentityKey")

                assert.equal(1, #messages)
                assert.matches(case[3], messages[1], 1, true)
            end)
        end

        it("reports every bad key", function()
            local key = key_of('{"keys":[{"n":1},2]}')

            assert.equal(2, #user_messages({ IdentityKey = key }, "IdentityKey"))
        end)

        it("rejects a non-string", function()
            assert.same({ "must be a string, got table; encode the JWKS with"
                .. " cam.identity_key(jwks)" },
                user_messages({ IdentityKey = {} }, "IdentityKey"))
        end)

        it("names the fix", function()
            local message = user_messages({ IdentityKey = "abc" }, "IdentityKey")[1]

            assert.matches("cam.identity_key(jwks)", message, 1, true)
        end)

        it("never echoes the key", function()
            local secret = key_of('{"keys":[{"n":"SECRETVALUE"}]}')
            local bad = secret:sub(1, -2) .. "*"
            local short = secret:sub(1, -2)

            for _, value in ipairs({ secret, bad, short }) do
                local message = user_messages({ IdentityKey = value }, "IdentityKey")[1]

                assert.is_nil(message:find(value:sub(1, 12), 1, true))
                assert.is_nil(message:find("SECRETVALUE", 1, true))
            end
        end)
    end)
end)


describe("validate.suggest", function()
    local names = { "MappingFiled", "mapping_field", "mapping_filed", "Scope",
        "scope", "IdentityUrl", "identity_url" }

    it("suggests MappingFiled for MappingField", function()
        assert.equal("MappingFiled", validate.suggest("MappingField", names))
    end)

    it("suggests MappingFiled for mappingfiled", function()
        assert.equal("MappingFiled", validate.suggest("mappingfiled", names))
    end)

    it("ignores case", function()
        assert.equal("IdentityUrl", validate.suggest("identityURL", names))
    end)

    it("prefers the caller's style", function()
        assert.equal("identity_url", validate.suggest("identity-url", names))
    end)

    it("finds a dropped letter", function()
        assert.equal("timeout", validate.suggest("timout", { "timeout", "token" }))
    end)

    it("finds a swapped pair", function()
        assert.equal("Scope", validate.suggest("Scpoe", names))
    end)

    it("returns nil for a hopeless name", function()
        assert.is_nil(validate.suggest("zzzzzzzz", names))
    end)

    it("returns nil for a short name", function()
        assert.is_nil(validate.suggest("x", names))
    end)

    it("returns nil for an empty name", function()
        assert.is_nil(validate.suggest("", names))
    end)

    it("returns nil for a non-string", function()
        assert.is_nil(validate.suggest(5, names))
    end)

    it("returns nil without candidates", function()
        assert.is_nil(validate.suggest("Scope", {}))
    end)
end)


describe("validate.role_oidc", function()
    it("accepts wire names", function()
        local wire, problems = validate.role_oidc(role_params())

        assert.is_nil(problems)
        assert.equal('{"ClientId":["cam-sso"],"IdentityKey":"' .. KEY .. '",'
            .. '"IdentityUrl":"https://idp.example.com","Name":"corp-idp"}',
            json.encode(wire))
    end)

    it("accepts Lua names", function()
        local wire, problems = validate.role_oidc({
            name = "corp-idp",
            identity_url = "https://idp.example.com",
            client_ids = { "a", "b" },
            identity_key = KEY,
            description = "corp",
            auto_rotate_key = false,
        }, "CreateOIDCConfig")

        assert.is_nil(problems)
        assert.equal('{"AutoRotateKey":0,"ClientId":["a","b"],"Description":"corp",'
            .. '"IdentityKey":"' .. KEY .. '","IdentityUrl":"https://idp.example.com",'
            .. '"Name":"corp-idp"}', json.encode(wire))
    end)

    it("accepts client_id for the list", function()
        local params = role_params({ ClientId = json.null })
        params.client_id = { "a" }

        assert.same({ "a" }, validate.role_oidc(params).ClientId)
    end)

    it("marks ClientId as an array", function()
        assert.is_true(json.is_array(validate.role_oidc(role_params()).ClientId))
    end)

    it("rejects an empty ClientId list", function()
        assert.same({ "must not be empty; list the client IDs registered at the IdP" },
            role_messages({ ClientId = {} }, "ClientId"))
    end)

    it("rejects a single ClientId string", function()
        assert.matches("pass a list such as { 'my-client-id' }",
            role_messages({ ClientId = "cam-sso" }, "ClientId")[1], 1, true)
    end)

    it("rejects duplicate client IDs", function()
        assert.same({ "item 2 'a' repeats item 1; list each value once" },
            role_messages({ ClientId = { "a", "a" } }, "ClientId"))
    end)

    it("checks each client ID", function()
        assert.same({ "item 2 must start with a letter or digit, got '-b'" },
            role_messages({ ClientId = { "a", "-b" } }, "ClientId"))
    end)

    it("checks client ID length", function()
        assert.same({ "item 1 must be at most 64 characters, got 65" },
            role_messages({ ClientId = { string.rep("c", 65) } }, "ClientId"))
    end)

    it("checks client ID type", function()
        assert.same({ "item 1 must be a string, got number 7" },
            role_messages({ ClientId = { 7 } }, "ClientId"))
    end)

    for _, field in ipairs({ "Name", "IdentityUrl", "ClientId", "IdentityKey" }) do
        it("requires " .. field, function()
            assert.matches("^is required",
                role_messages({ [field] = json.null }, field)[1])
        end)
    end

    it("checks IdentityUrl", function()
        assert.matches("must use https://",
            role_messages({ IdentityUrl = "http://x.example" }, "IdentityUrl")[1],
            1, true)
    end)

    it("checks IdentityKey", function()
        assert.matches("an empty keys array",
            role_messages({ IdentityKey = key_of('{"keys":[]}') }, "IdentityKey")[1],
            1, true)
    end)

    it("checks Description length", function()
        assert.equal(1, #role_messages({ Description = string.rep("d", 256) },
            "Description"))
    end)

    it("checks AutoRotateKey", function()
        assert.equal(1, #role_messages({ AutoRotateKey = 3 }, "AutoRotateKey"))
    end)

    it("rejects user-SSO fields", function()
        assert.equal(1, #role_messages({ Scope = { "openid" } }, "Scope"))
    end)

    it("accepts a 128-character name", function()
        assert.same({}, role_messages({ Name = string.rep("n", 128) }, "Name"))
    end)

    it("rejects a 129-character name", function()
        assert.same({ "must be at most 128 characters, got 129" },
            role_messages({ Name = string.rep("n", 129) }, "Name"))
    end)

    it("rejects an empty name", function()
        assert.matches("must not be empty", role_messages({ Name = "" }, "Name")[1],
            1, true)
    end)

    for _, char in ipairs({ "+", "=", ",", ".", "@", "-", "_" }) do
        it("accepts " .. char .. " in a name", function()
            assert.same({}, role_messages({ Name = char .. "n" .. char }, "Name"))
        end)
    end

    it("reports every disallowed character in a name", function()
        assert.same({ "contains ' ' at character 2, '/' at character 4 and"
            .. " ':' at character 6; use only letters, digits and + = , . @ - _" },
            role_messages({ Name = "a b/c:d e" }, "Name"))
    end)

    for _, char in ipairs({ " ", "/", ":", "中", "#" }) do
        it("rejects " .. string.format("%q", char) .. " in a name", function()
            assert.same({ "contains '" .. char .. "' at character 2; use only"
                .. " letters, digits and + = , . @ - _" },
                role_messages({ Name = "n" .. char }, "Name"))
        end)
    end
end)


describe("validate.name", function()
    it("accepts Name", function()
        assert.same({ Name = "corp-idp" }, validate.name({ Name = "corp-idp" }))
    end)

    it("accepts name", function()
        assert.same({ Name = "corp-idp" }, validate.name({ name = "corp-idp" },
            "DeleteOIDCConfig"))
    end)

    it("requires Name", function()
        local _, problems = validate.name({})

        assert.same({ { field = "Name", message = "is required (Name or name);"
            .. " pass the identity provider name" } }, problems)
    end)

    it("rejects other fields", function()
        local _, problems = validate.name({ Name = "a", IdentityUrl = "https://x" })

        assert.same({ "IdentityUrl" }, fields_of(problems))
    end)

    it("suggests name for nmae", function()
        local _, problems = validate.name({ nmae = "a" })

        assert.same({ "unknown parameter; did you mean 'name'?" },
            messages_for(problems, "nmae"))
    end)

    it("checks the name rule", function()
        local _, problems = validate.name({ Name = "a b" })

        assert.equal(1, #messages_for(problems, "Name"))
    end)
end)


describe("validate.update_oidc hard inputs", function()
    local validate = require("cam.validate")
    local core = require("cam.core")

    local function problems_for(params)
        local _, problems = validate.update_oidc(params)
        local by_field = {}
        for _, p in ipairs(problems or {}) do
            by_field[p.field] = p.message
        end
        return by_field
    end

    for _, url in ipairs({ "https://[zz]/x", "https://[<script>]/x", "https://-/",
            "https://a..b/", "https://256.1.1.1/" }) do
        it("rejects the host of " .. url, function()
            local message = problems_for({ IdentityUrl = url }).IdentityUrl
            assert.truthy(message:find("invalid host", 1, true))
        end)
    end

    it("accepts a bracketed IPv6 host", function()
        assert.is_nil(problems_for({ IdentityUrl = "https://[2001:db8::1]/x" }).IdentityUrl)
    end)

    it("rejects a URL over 2048 bytes", function()
        local url = "https://idp.example.com/" .. string.rep("a", 2048)
        local message = problems_for({ IdentityUrl = url }).IdentityUrl
        assert.truthy(message:find("at most 2048 bytes", 1, true))
    end)

    it("rejects a JWKS with a null key", function()
        local key = core.base64_encode('{"keys":[null,{"kty":"RSA"}]}')
        local message = problems_for({ IdentityKey = key }).IdentityKey
        assert.truthy(message:find("key 1 of the JWKS is null", 1, true))
    end)

    it("rejects a JWKS followed by a NUL byte", function()
        local key = core.base64_encode('{"keys":[{"kty":"RSA"}]}\0')
        local message = problems_for({ IdentityKey = key }).IdentityKey
        assert.truthy(message:find("control characters", 1, true))
    end)
end)


describe("endpoint.valid_host", function()
    local endpoint = require("cam.endpoint")
    local label63 = string.rep("a", 63)
    -- 253 characters: three labels of 63 and one of 61, with three dots.
    local name253 = string.rep(label63 .. ".", 3) .. string.rep("b", 61)

    for _, host in ipairs({
        "a", "idp.example.com", "idp.example.com.", "a-b.example",
        "xn--bcher-kva.example", label63 .. ".example", name253,
        name253 .. ".", "127.0.0.1", "[::1]", "[2001:db8::1]", "0a.9z",
        "[::]", "[1::]", "[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7::]",
        "[::2:3:4:5:6:7:8]", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]",
        "[::ffff:1.2.3.4]", "[::1.2.3.4]", "[1:2:3:4:5:6:1.2.3.4]",
        "[1:2:3:4:5::255.255.255.255]", "[64:ff9b::192.0.2.1]",
    }) do
        it("accepts " .. host:sub(1, 40) .. " (" .. #host .. " bytes)", function()
            assert.is_true(endpoint.valid_host(host))
        end)
    end

    for _, host in ipairs({
        "", ".", "a..b", ".a", "a.b..", "-a.example", "a-.example",
        "a.-b", "a.b-", string.rep("a", 64) .. ".example", name253 .. "c",
        "a_b.example", "bücher.example", "a b", "256.1.1.1", "[::g]", "[1::2::3]",
        "[:1::2]", "[1::2:]", "[:::1]", "[1:::2]", "[:]", "[]", "[::1", "::1",
        "[:1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7:8:]", "[1:2:3:4:5:6:7:8:9]",
        "[1:2:3:4:5:6:7]", "[1::2:3:4:5:6:7:8]", "[12345::]", "[1.2.3.4]",
        "[::ffff:1.2.3]", "[::ffff:1.2.3.4.5]", "[::ffff:256.1.1.1]",
        "[::ffff:01.2.3.4]", "[1:2:3:4:5:6:7:1.2.3.4]", "[1:2:3:4:5:6::1.2.3.4]",
        "[::1.2.3.4:5]", "[1.2.3.4::]", "[fe80::1%25eth0]", "[fe80::1%eth0]",
    }) do
        it("rejects " .. string.format("%q", host:sub(1, 40)) .. " (" .. #host
            .. " bytes)", function()
            assert.is_false(endpoint.valid_host(host))
        end)
    end
end)


describe("endpoint.parse", function()
    local endpoint = require("cam.endpoint")

    local function parse_error(url)
        local ok, err = pcall(endpoint.parse, url, "option 'endpoint'", 1)
        assert.is_false(ok)
        return err
    end

    it("accepts a bracketed IPv6 endpoint", function()
        local target = endpoint.parse("http://[::1]:8080", "option 'endpoint'", 1)

        assert.equal("[::1]", target.host)
        assert.equal("http://[::1]:8080/", target.url)
    end)

    it("accepts an embedded IPv4 address", function()
        local target = endpoint.parse("https://[::ffff:192.0.2.1]",
            "option 'endpoint'", 1)

        assert.equal("[::ffff:192.0.2.1]", target.host)
    end)

    it("asks for brackets around an IPv6 address", function()
        assert.matches("has more than one ':' in its host and port; put an IPv6"
            .. " address in brackets", parse_error("http://::1:8080"), 1, true)
    end)

    it("rejects a zone identifier", function()
        assert.matches("zone identifiers are not supported",
            parse_error("https://[fe80::1%25eth0]:8443"), 1, true)
    end)

    it("rejects an invalid IPv6 address", function()
        assert.matches("has an invalid host", parse_error("https://[1::2:]"), 1, true)
    end)
end)


describe("endpoint.is_loopback", function()
    local endpoint = require("cam.endpoint")

    for _, host in ipairs({
        "localhost", "127.0.0.1", "127.255.0.9", "[::1]", "[0:0:0:0:0:0:0:1]",
        "[::0001]", "[0::1]", "[::ffff:127.0.0.1]", "[::ffff:127.1.2.3]",
        "[::ffff:7f00:1]",
    }) do
        it("accepts " .. host, function()
            assert.is_true(endpoint.is_loopback(host))
        end)
    end

    for _, host in ipairs({
        "127.00.0.1", "127.0.0.256", "128.0.0.1", "[::2]", "[1::1]",
        "[::127.0.0.1]", "[::ffff:10.0.0.1]", "[::ffff:128.0.0.1]", "[fe80::1]",
        "[::1%25lo]", "localhost.example", "[:1::1]",
    }) do
        it("rejects " .. host, function()
            assert.is_false(endpoint.is_loopback(host))
        end)
    end

    it("rejects IPv4 octets with leading zeros", function()
        assert.is_false(endpoint.valid_host("01.2.3.4"))
        assert.is_false(endpoint.valid_host("1.2.3.010"))
        assert.is_true(endpoint.valid_host("10.2.3.0"))
    end)
end)
