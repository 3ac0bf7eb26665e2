local core = require("cam.core")
local helpers = require("helpers")
local json = require("cam.json")
local oidc = require("cam.oidc")
local support = require("oidc.support")
local validate = require("cam.validate")

local q = helpers.shell_quote

describe("identity_key_from_pem", function()
    local dir
    local files = {}

    local function openssl(command)
        helpers.run("cd " .. q(dir) .. " && openssl " .. command)
    end

    local function read(name)
        return assert(support.read_file(dir .. "/" .. name))
    end

    local function decode_key(identity_key)
        return assert(json.decode(assert(core.base64_decode(identity_key))))
    end

    setup(function()
        dir = helpers.tmpdir()
        openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key")
        openssl("pkey -in rsa.key -pubout -out rsa.pub")
        openssl("rsa -in rsa.key -RSAPublicKey_out -out rsa.pkcs1")
        openssl("req -x509 -key rsa.key -out rsa.crt -subj /CN=idp-signing -days 2")
        openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key")
        openssl("pkey -in p256.key -pubout -out p256.pub")
        openssl("req -x509 -key p256.key -out p256.crt -subj /CN=idp-ec -days 2")
        openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key")
        openssl("pkey -in p384.key -pubout -out p384.pub")
        openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.key")
        openssl("pkey -in p521.key -pubout -out p521.pub")
        openssl("genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out pss.key")
        openssl("pkey -in pss.key -pubout -out pss.pub")
        openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out small.key")
        openssl("pkey -in small.key -pubout -out small.pub")
        openssl("genpkey -algorithm ED25519 -out ed.key")
        openssl("pkey -in ed.key -pubout -out ed.pub")
        openssl("req -new -key rsa.key -out rsa.csr -subj /CN=request")
        files.rsa_print = support.thumbprints("RS256", { dir .. "/rsa.pub" })[1]
        files.p256_print = support.thumbprints("ES256", { dir .. "/p256.pub" })[1]
        files.p384_print = support.thumbprints("ES384", { dir .. "/p384.pub" })[1]
        files.cert_print = support.thumbprints("RS256", { dir .. "/rsa.crt" })[1]
    end)

    it("converts an RSA public key", function()
        local key, jwks = oidc.identity_key_from_pem(read("rsa.pub"))
        assert.is_string(key)
        local jwk = jwks.keys[1]
        assert.are.equal(1, #jwks.keys)
        assert.are.equal("RSA", jwk.kty)
        assert.are.equal("AQAB", jwk.e)
        assert.are.equal("sig", jwk.use)
        assert.are.equal("RS256", jwk.alg)
        assert.are.equal(342, #jwk.n)   -- 256 bytes of modulus
        assert.are.equal(files.rsa_print, jwk.kid)
    end)

    it("encodes the JWKS as the IdentityKey", function()
        local key = assert(oidc.identity_key_from_pem(read("rsa.pub")))
        local decoded = decode_key(key)
        assert.are.equal(files.rsa_print, decoded.keys[1].kid)
        local wire, problems = validate.update_oidc({ IdentityKey = key })
        assert.is_nil(wire)
        for _, problem in ipairs(problems) do
            assert.are_not.equal("IdentityKey", problem.field)
        end
    end)

    it("reads a PKCS#1 RSA public key", function()
        local _, jwks = assert(oidc.identity_key_from_pem(read("rsa.pkcs1")))
        assert.are.equal(files.rsa_print, jwks.keys[1].kid)
    end)

    it("reads a certificate", function()
        local _, jwks = assert(oidc.identity_key_from_pem(read("rsa.crt")))
        assert.are.equal(files.cert_print, jwks.keys[1].kid)
        assert.are.equal(files.rsa_print, jwks.keys[1].kid)
    end)

    it("converts an EC P-256 key", function()
        local _, jwks = assert(oidc.identity_key_from_pem(read("p256.pub")))
        local jwk = jwks.keys[1]
        assert.are.equal("EC", jwk.kty)
        assert.are.equal("P-256", jwk.crv)
        assert.are.equal("ES256", jwk.alg)
        assert.are.equal(43, #jwk.x)
        assert.are.equal(43, #jwk.y)
        assert.are.equal(files.p256_print, jwk.kid)
    end)

    it("converts an EC P-384 key", function()
        local _, jwks = assert(oidc.identity_key_from_pem(read("p384.pub")))
        local jwk = jwks.keys[1]
        assert.are.equal("P-384", jwk.crv)
        assert.are.equal("ES384", jwk.alg)
        assert.are.equal(64, #jwk.x)
        assert.are.equal(files.p384_print, jwk.kid)
    end)

    it("reads an EC certificate", function()
        local _, jwks = assert(oidc.identity_key_from_pem(read("p256.crt")))
        assert.are.equal("ES256", jwks.keys[1].alg)
    end)

    it("gives an RSA-PSS key PS256", function()
        local _, jwks = assert(oidc.identity_key_from_pem(read("pss.pub")))
        assert.are.equal("RSA", jwks.keys[1].kty)
        assert.are.equal("PS256", jwks.keys[1].alg)
    end)

    it("reads several blocks and drops duplicates", function()
        local text = read("rsa.crt") .. "\nsome text between blocks\n"
            .. read("p256.pub") .. read("rsa.pub") .. read("p384.pub")
        local _, jwks = assert(oidc.identity_key_from_pem(text))
        local kids = {}
        for i, jwk in ipairs(jwks.keys) do
            kids[i] = jwk.kid
        end
        assert.are.same({ files.rsa_print, files.p256_print, files.p384_print }, kids)
    end)

    it("makes keys that verify openssl signatures", function()
        local input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0"
        support.write_file(dir .. "/input", input)
        openssl("dgst -sha256 -sign rsa.key -out input.sig input")
        local _, jwks = assert(oidc.identity_key_from_pem(read("rsa.pub")))
        assert.is_true(core.jws_verify("RS256", jwks.keys[1], input, read("input.sig")))
        assert.is_false((core.jws_verify("RS256", jwks.keys[1], input .. "x",
            read("input.sig"))))
    end)

    local rejected = {
        { "private key", "rsa.key", "PEM block 1 is a private key" },
        { "EC private key", "p256.key", "is a private key" },
        { "short RSA key", "small.pub", "RSA key has 1024 bits" },
        { "P-521 key", "p521.pub", "curve secp521r1" },
        { "Ed25519 key", "ed.pub", "ED25519 key" },
        { "certificate request", "rsa.csr", "CERTIFICATE REQUEST%) is not a public key" },
    }
    for _, case in ipairs(rejected) do
        it("rejects a " .. case[1], function()
            local key, err = oidc.identity_key_from_pem(read(case[2]))
            assert.is_nil(key)
            assert.are.equal("validation", err.kind)
            assert.are.equal("InvalidPem", err.code)
            assert.matches(case[3], err.message)
        end)
    end

    it("names the block at fault", function()
        local key, err = oidc.identity_key_from_pem(read("rsa.pub") .. read("rsa.key"))
        assert.is_nil(key)
        assert.matches("PEM block 2 is a private key", err.message)
    end)

    it("rejects text without PEM", function()
        local _, err = oidc.identity_key_from_pem("not a key")
        assert.matches("no PEM block found", err.message)
    end)

    it("rejects broken base64 in a block", function()
        local _, err = oidc.identity_key_from_pem(
            "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n")
        assert.matches("PEM block 1: malformed PEM", err.message)
    end)

    it("rejects a block with bad DER", function()
        local _, err = oidc.identity_key_from_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        assert.matches("PEM block 1: invalid DER content", err.message)
    end)

    it("rejects a certificate with trailing bytes", function()
        local der = core.base64_decode((read("rsa.crt"):gsub("%-%-%-%-%-[^\n]*\n", "")
            :gsub("\n", "")))
        local text = "-----BEGIN CERTIFICATE-----\n"
            .. core.base64_encode(der .. "\0\0\0") .. "\n-----END CERTIFICATE-----\n"
        local _, err = oidc.identity_key_from_pem(text)
        assert.matches("invalid DER content", err.message)
    end)

    it("raises when given no string", function()
        assert.has_error(function()
            oidc.identity_key_from_pem(nil)
        end, "identity_key_from_pem: expected PEM text, got nil")
    end)
end)
