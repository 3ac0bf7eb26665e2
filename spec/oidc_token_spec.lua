local core = require("cam.core")
local helpers = require("helpers")
local oidc = require("cam.oidc")
local support = require("oidc.support")

local NOW = 1700000000
local ISSUER = "https://idp.example.com/realms/acme"

describe("verify_id_token", function()
    local keys, config, tokens

    local function claims(overrides)
        local c = {
            iss = ISSUER,
            aud = "cam-sso",
            sub = "0b8f2c61-6a0e-4c7e-9d55-2f8b2c1d9e11",
            preferred_username = "alice",
            email = "alice@example.com",
            iat = NOW - 10,
            exp = NOW + 600,
        }
        for name, value in pairs(overrides or {}) do
            if value == false then
                c[name] = nil
            else
                c[name] = value
            end
        end
        return c
    end

    -- Token requests by name, signed in one call to jose in setup.
    local function requests()
        local k = keys.by_kid
        return {
            rs256 = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims() },
            ps256 = { key = k["rsa-ps256"], alg = "PS256",
                header = { kid = "rsa-ps256" }, claims = claims() },
            es256 = { key = k["ec-p256"], alg = "ES256",
                header = { kid = "ec-p256" }, claims = claims() },
            es384 = { key = k["ec-p384"], alg = "ES384",
                header = { kid = "ec-p384" }, claims = claims() },
            tampered = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims(), mode = "tamper" },
            tampered_ec = { key = k["ec-p256"], alg = "ES256",
                header = { kid = "ec-p256" }, claims = claims(), mode = "tamper" },
            expired = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ iat = NOW - 7200, exp = NOW - 3600 }) },
            just_expired = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ iat = NOW - 600, exp = NOW - 30 }) },
            not_yet_valid = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims({ nbf = NOW + 3600 }) },
            future_iat = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ iat = NOW + 3600, exp = NOW + 7200 }) },
            no_exp = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims({ exp = false }) },
            wrong_aud = { key = k["ec-p256"], alg = "ES256",
                header = { kid = "ec-p256" }, claims = claims({ aud = "other-app" }) },
            aud_list = { key = k["ec-p256"], alg = "ES256",
                header = { kid = "ec-p256" },
                claims = claims({ aud = { "other-app", "cam-sso" } }) },
            wrong_iss = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims({ iss = ISSUER .. "/" }) },
            unknown_kid = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rotated-away" }, claims = claims() },
            enc_kid = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-enc" }, claims = claims() },
            no_kid = { key = k["rsa-rs256"], alg = "RS256", claims = claims() },
            none = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims(), mode = "none" },
            hs256_public = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims(), mode = "hmac_public" },
            wrong_key = { key = k["rsa-ps256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims() },
            alg_mismatch = { key = k["rsa-ps256"], alg = "RS256",
                header = { kid = "rsa-ps256" }, claims = claims() },
            rs384 = { key = k["rsa-rs256"], alg = "RS384",
                header = { kid = "rsa-rs256" }, claims = claims() },
            rs512 = { key = k["rsa-rs256"], alg = "RS512",
                header = { kid = "rsa-rs256" }, claims = claims() },
            no_mapping = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ preferred_username = false }) },
            bad_mapping = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ preferred_username = "alice smith" }) },
            list_mapping = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ preferred_username = { "a" } }) },
            no_sub = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims({ sub = false }) },
            huge_past_exp = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims({ exp = -1e300 }) },
            huge_nbf = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims({ nbf = 1e300 }) },
            huge_iat = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" }, claims = claims({ iat = 1e300 }) },
            long_chinese_iss = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ iss = ("a"):rep(75) .. "中文\u{9B}\u{2028}" }) },
            invisible_iss = { key = k["rsa-rs256"], alg = "RS256",
                header = { kid = "rsa-rs256" },
                claims = claims({ iss = "a\u{9B}b\u{202E}c\u{2066}d" }) },
        }
    end

    setup(function()
        keys = support.make_keys()
        local public = {}
        for i, key in ipairs(keys.keys) do
            public[i] = support.public_key(key)
        end
        -- The published set: the four signing keys and the encryption key.
        config = {
            identity_url = ISSUER,
            identity_key = core.base64_encode(helpers.json_encode({ keys = public })),
            client_id = "cam-sso",
            authorization_endpoint = ISSUER .. "/protocol/openid-connect/auth",
            mapping_field = "preferred_username",
        }

        local named = requests()
        local names, list = {}, {}
        for name, request in pairs(named) do
            names[#names + 1] = name
        end
        table.sort(names)
        for i, name in ipairs(names) do
            list[i] = named[name]
        end
        local signed = support.sign(list)
        tokens = {}
        for i, name in ipairs(names) do
            tokens[name] = signed[i]
        end
    end)

    local function verify(name, opts, cfg)
        opts = opts or {}
        opts.now = opts.now or NOW
        return oidc.verify_id_token(cfg or config, tokens[name], opts)
    end

    local function assert_rejected(code, name, opts, cfg)
        local result, err = verify(name, opts, cfg)
        assert.is_nil(result, name .. " passed")
        assert.are.equal("validation", err.kind)
        assert.are.equal(code, err.code, err.message)
        return err
    end

    for _, name in ipairs({ "rs256", "ps256", "es256", "es384" }) do
        it("accepts a " .. name:upper() .. " token from jose", function()
            local result, err = verify(name)
            assert.is_nil(err)
            assert.are.equal("alice", result.preferred_username)
            assert.are.equal(ISSUER, result.iss)
        end)
    end

    it("accepts RS384 and RS512 with a key without alg", function()
        local key = support.public_key(keys.by_kid["rsa-rs256"])
        key.alg = nil
        local cfg = {}
        for name, value in pairs(config) do
            cfg[name] = value
        end
        cfg.identity_key = core.base64_encode(helpers.json_encode({ keys = { key } }))
        assert.is_table((verify("rs384", nil, cfg)))
        assert.is_table((verify("rs512", nil, cfg)))
        -- With alg RS256 on the key, the same token is rejected.
        assert_rejected("JwtAlgorithmRejected", "rs384")
    end)

    it("accepts wire names in the configuration", function()
        local wire = {
            IdentityUrl = config.identity_url,
            IdentityKey = config.identity_key,
            ClientId = config.client_id,
            MappingFiled = "sub",
        }
        assert.is_table(verify("es256", nil, wire) or nil)
    end)

    it("accepts an aud list with the client ID", function()
        assert.is_table((verify("aud_list")))
    end)

    it("accepts a role configuration", function()
        local role = { name = "corp", identity_url = ISSUER,
            identity_key = config.identity_key, client_id = { "x", "cam-sso" } }
        assert.is_table((verify("rs256", nil, role)))
    end)

    for _, case in ipairs({ { "huge_past_exp", "exp" }, { "huge_nbf", "nbf" },
            { "huge_iat", "iat" } }) do
        it("rejects an out-of-range " .. case[2], function()
            local ok, result, err = pcall(verify, case[1])
            assert.is_true(ok, tostring(result))
            assert.is_nil(result)
            assert.are.equal("JwtClaimInvalid", err.code, err.message)
            assert.matches(case[2] .. " claim", err.message, 1, true)
        end)
    end

    it("cuts a quoted claim on a character boundary", function()
        local err = assert_rejected("JwtIssuerMismatch", "long_chinese_iss")
        assert.matches("iss '" .. ("a"):rep(75) .. "... does not equal", err.message, 1, true)
        assert.is_true((pcall(require("cam.json").encode, err.message)), err.message)
    end)

    it("shows invisible characters of a claim as ?", function()
        local err = assert_rejected("JwtIssuerMismatch", "invisible_iss")
        assert.matches("iss 'a?b?c?d' does not equal", err.message, 1, true)
    end)

    it("rejects a tampered RSA token", function()
        local err = assert_rejected("JwtSignatureInvalid", "tampered")
        assert.matches("kid rsa%-rs256", err.message)
    end)

    it("rejects a tampered EC token", function()
        assert_rejected("JwtSignatureInvalid", "tampered_ec")
    end)

    it("rejects a signature by another key", function()
        assert_rejected("JwtSignatureInvalid", "wrong_key")
    end)

    it("rejects a cut ECDSA signature", function()
        local head, signature = tokens.es256:match("^(.*)%.([^.]+)$")
        local cut = head .. "." .. core.base64url_encode(
            core.base64url_decode(signature):sub(1, 61))
        local result, err = oidc.verify_id_token(config, cut, { now = NOW })
        assert.is_nil(result)
        assert.are.equal("JwtSignatureInvalid", err.code)
        assert.matches("ES256 signature is 61 bytes; expected 64", err.message)
    end)

    it("rejects an expired token", function()
        local err = assert_rejected("JwtExpired", "expired")
        assert.matches("expired at 2023%-11%-14T21:13:20Z, 3600 s ago", err.message)
    end)

    it("allows expiry within the leeway", function()
        assert.is_table((verify("just_expired")))
        assert_rejected("JwtExpired", "just_expired", { leeway = 0 })
    end)

    it("rejects a token before nbf", function()
        assert_rejected("JwtNotYetValid", "not_yet_valid")
    end)

    it("rejects iat in the future", function()
        assert_rejected("JwtIssuedInFuture", "future_iat")
    end)

    it("requires exp", function()
        assert_rejected("JwtClaimMissing", "no_exp")
    end)

    it("uses the clock without opts.now", function()
        -- NOW is in 2023, so the token expired long ago.
        local result, err = oidc.verify_id_token(config, tokens.rs256)
        assert.is_nil(result)
        assert.are.equal("JwtExpired", err.code)
    end)

    it("rejects a wrong audience", function()
        local err = assert_rejected("JwtAudienceMismatch", "wrong_aud")
        assert.matches("aud 'other%-app' does not contain ClientId 'cam%-sso'", err.message)
    end)

    it("rejects a wrong issuer", function()
        local err = assert_rejected("JwtIssuerMismatch", "wrong_iss")
        assert.matches("byte for byte", err.message)
    end)

    it("rejects an unknown kid", function()
        local err = assert_rejected("JwtUnknownKid", "unknown_kid")
        assert.matches("rotated%-away", err.message)
        assert.matches("rsa%-rs256, rsa%-ps256, ec%-p256, ec%-p384", err.message)
    end)

    it("never verifies with an encryption key", function()
        assert_rejected("JwtUnknownKid", "enc_kid")
    end)

    it("rejects a token without kid among several keys", function()
        local err = assert_rejected("JwtUnknownKid", "no_kid")
        assert.matches("no kid and the IdentityKey JWKS has 4 signing keys", err.message)
    end)

    it("uses the only key for a token without kid", function()
        local single = {}
        for name, value in pairs(config) do
            single[name] = value
        end
        single.identity_key = core.base64_encode(helpers.json_encode({
            keys = { support.public_key(keys.by_kid["rsa-rs256"]),
                support.public_key(keys.by_kid["rsa-enc"]) } }))
        assert.is_table((verify("no_kid", nil, single)))
    end)

    it("rejects alg none", function()
        local err = assert_rejected("JwtAlgorithmRejected", "none")
        assert.matches("alg none", err.message)
    end)

    it("rejects HS256 keyed with the public key", function()
        local err = assert_rejected("JwtAlgorithmRejected", "hs256_public")
        assert.matches("alg HS256 is rejected", err.message)
    end)

    it("rejects an alg the key is not for", function()
        local err = assert_rejected("JwtAlgorithmRejected", "alg_mismatch")
        assert.matches("kid rsa%-ps256 is for PS256, but the token uses RS256", err.message)
    end)

    it("rejects crit header parameters", function()
        -- jose refuses to sign such a header, so it is put together here;
        -- the check comes before the signature's.
        local header = core.base64url_encode(
            '{"alg":"RS256","kid":"rsa-rs256","crit":["exp"],"exp":1}')
        local rest = tokens.rs256:match("^[^.]+(%..*)$")
        local result, err = oidc.verify_id_token(config, header .. rest, { now = NOW })
        assert.is_nil(result)
        assert.are.equal("JwtMalformed", err.code)
        assert.matches("crit", err.message)
    end)

    it("requires the MappingFiled claim", function()
        local err = assert_rejected("JwtClaimMissing", "no_mapping")
        assert.matches("no preferred_username claim", err.message)
    end)

    it("rejects a mapping claim that is no user name", function()
        local err = assert_rejected("JwtClaimInvalid", "bad_mapping")
        assert.matches("'alice smith' is not a valid user name", err.message)
    end)

    it("rejects email as the user name", function()
        local cfg = {}
        for name, value in pairs(config) do
            cfg[name] = value
        end
        cfg.mapping_field = "email"
        local err = assert_rejected("JwtClaimInvalid", "rs256", nil, cfg)
        assert.matches("contains '%.'", err.message)
    end)

    it("rejects a list as the user name", function()
        local err = assert_rejected("JwtClaimInvalid", "list_mapping")
        assert.matches("is a list", err.message)
    end)

    it("requires sub", function()
        assert_rejected("JwtClaimMissing", "no_sub")
    end)

    local malformed = {
        { "two parts", "abc.def" },
        { "four parts", "a.b.c.d" },
        { "bad base64url", "a*b.c.d" },
        { "non-JSON header", core.base64url_encode("nope") .. ".e30.c2ln" },
        { "array header", core.base64url_encode("[1]") .. ".e30.c2ln" },
        { "no alg", core.base64url_encode('{"typ":"JWT"}') .. ".e30.c2ln" },
    }
    for _, case in ipairs(malformed) do
        it("rejects a token with " .. case[1], function()
            local result, err = oidc.verify_id_token(config, case[2], { now = NOW })
            assert.is_nil(result)
            assert.are.equal("JwtMalformed", err.code)
        end)
    end

    it("rejects an empty signature", function()
        local header_payload = tokens.rs256:match("^([^.]+%.[^.]+)%.")
        local _, err = oidc.verify_id_token(config, header_payload .. ".", { now = NOW })
        assert.are.equal("JwtMalformed", err.code)
        assert.matches("signature is empty", err.message)
    end)

    it("ignores white space around the token", function()
        assert.is_table((oidc.verify_id_token(config, "  " .. tokens.rs256 .. "\n",
            { now = NOW })))
    end)

    it("rejects a configuration without a key", function()
        local _, err = oidc.verify_id_token({ identity_url = ISSUER,
            client_id = "cam-sso" }, tokens.rs256, { now = NOW })
        assert.are.equal("JwtConfigInvalid", err.code)
    end)

    it("rejects an IdentityKey that is not base64", function()
        local _, err = oidc.verify_id_token({ identity_url = ISSUER,
            client_id = "cam-sso", identity_key = "{}" }, tokens.rs256, { now = NOW })
        assert.are.equal("JwtConfigInvalid", err.code)
    end)

    it("rejects a JWKS with private key material", function()
        local cfg = {}
        for name, value in pairs(config) do
            cfg[name] = value
        end
        cfg.identity_key = core.base64_encode(helpers.json_encode({
            keys = { keys.by_kid["rsa-rs256"] } }))
        local err = assert_rejected("JwtKeyInvalid", "rs256", nil, cfg)
        assert.matches("private or secret key material", err.message)
    end)

    it("raises on an unknown option", function()
        assert.has_error(function()
            oidc.verify_id_token(config, tokens.rs256, { skew = 5 })
        end)
    end)
end)

describe("cam.core.jws_verify", function()
    local keys

    setup(function()
        keys = support.make_keys()
    end)

    it("explains a key type that does not fit the alg", function()
        local ok, err = core.jws_verify("ES256", support.public_key(keys.by_kid["rsa-rs256"]),
            "a.b", string.rep("\0", 64))
        assert.is_nil(ok)
        assert.are.equal("ES256 needs an EC P-256 key, but the JWK is an RSA key", err)
    end)

    it("explains a curve that does not fit the alg", function()
        local ok, err = core.jws_verify("ES256", support.public_key(keys.by_kid["ec-p384"]),
            "a.b", string.rep("\0", 64))
        assert.is_nil(ok)
        assert.are.equal("ES256 needs an EC P-256 key, but the JWK is an EC P-384 key", err)
    end)

    it("rejects a point off the curve", function()
        local jwk = support.public_key(keys.by_kid["ec-p256"])
        local y = core.base64url_decode(jwk.y)
        jwk.y = core.base64url_encode(y:sub(1, -2) .. string.char((y:byte(-1) + 1) % 256))
        local ok, err = core.jwk_check(jwk)
        assert.is_nil(ok)
        assert.matches("not on curve P%-256", err)
    end)

    it("reports the size of a good key", function()
        local info = assert(core.jwk_check(support.public_key(keys.by_kid["rsa-rs256"])))
        assert.are.same({ kty = "RSA", bits = 2048 }, info)
        info = assert(core.jwk_check(support.public_key(keys.by_kid["ec-p384"])))
        assert.are.same({ kty = "EC", bits = 384, crv = "P-384" }, info)
    end)

    it("rejects a short RSA modulus", function()
        local ok, err = core.jwk_check({ kty = "RSA", e = "AQAB",
            n = core.base64url_encode(string.rep("\255", 128)) })
        assert.is_nil(ok)
        assert.are.equal("RSA key has 1024 bits; 2048 to 16384 are accepted", err)
    end)

    it("rejects an unsupported alg", function()
        local ok, err = core.jws_verify("HS256", { kty = "oct" }, "a", "b")
        assert.is_nil(ok)
        assert.are.equal("unsupported JWS algorithm", err)
    end)
end)

describe("cam.core base64url", function()
    it("round-trips every length", function()
        for n = 0, 20 do
            local bytes = {}
            for i = 1, n do
                bytes[i] = string.char((i * 37 + n) % 256)
            end
            local s = table.concat(bytes)
            local text = core.base64url_encode(s)
            assert.is_nil(text:find("[+/=]"))
            assert.are.equal(s, core.base64url_decode(text))
        end
    end)

    it("matches RFC 4648 test vectors", function()
        assert.are.equal("Zm9vYg", core.base64url_encode("foob"))
        assert.are.equal("Zm9vYmE", core.base64url_encode("fooba"))
        assert.are.equal("_-8", core.base64url_encode("\255\239"))
    end)

    it("rejects padding, bad characters and bad lengths", function()
        assert.is_nil((core.base64url_decode("Zm9vYg==")))
        assert.is_nil((core.base64url_decode("Zm9v+g")))
        assert.is_nil((core.base64url_decode("Zm9vY")))
        local _, err = core.base64url_decode("Zm9vYh")
        assert.are.equal("base64url text has non-zero padding bits in its last character", err)
    end)
end)
