--- Preflight check of an ID token against an OIDC configuration.
--
-- A sample ID token from the IdP shows, before a configuration is pushed,
-- whether CAM could accept the IdP's tokens with it. The token must be
-- signed by a key of the IdentityKey JWKS and name the IdentityUrl as `iss`
-- and the ClientId in `aud`. It must be valid now and carry the MappingFiled
-- claim with a value that can be a user name. Signatures are checked in C
-- with OpenSSL (`cam.core.jws_verify`).
-- @module cam.oidc.token

local core = require("cam.core")
local errors = require("cam.errors")
local json = require("cam.json")
local jwks_util = require("cam.oidc.jwks")
local validate = require("cam.validate")

local concat = table.concat
local date = os.date
local error = error
local find = string.find
local floor = math.floor
local ipairs = ipairs
local os_time = os.time
local pairs = pairs
local tostring = tostring
local type = type

local _M = {}

--- Seconds of clock skew allowed for `exp`, `nbf` and `iat` by default.
_M.DEFAULT_LEEWAY = 60

--- Maximum size of a token, in bytes.
_M.MAX_TOKEN_SIZE = 64 * 1024

--- The JWS algorithms checked; any other `alg` is rejected.
_M.ALGORITHMS = { "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES384" }

local SUPPORTED = {}
for i = 1, #_M.ALGORITHMS do
    SUPPORTED[_M.ALGORITHMS[i]] = true
end

local OPTION_TYPES = { leeway = "number", now = "number" }


local function fail(code, message)
    return nil, errors.new({ kind = "validation", code = code,
        message = message })
end


--- Quote a claim value for a message, cut to 80 bytes on a character
-- boundary. Invisible characters show as "?" and invalid UTF-8 as U+FFFD.
local function show(value)
    local text = type(value) == "string" and ("'" .. value .. "'")
        or tostring(value)

    text = errors.clean(text, nil, "?")
    if #text > 80 then
        text = errors.clean(text, 77, "?")
    end
    return text
end


-- The range of `exp`, `nbf` and `iat` accepted, in Unix seconds: from
-- 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z. Messages format these
-- claims with os.date, which raises for a time whose year does not fit.
local MIN_TIME = 0
local MAX_TIME = 253402300799


local function utc(seconds)
    return date("!%Y-%m-%dT%H:%M:%SZ", floor(seconds))
end


--- Pick a field by its wire name or one of its Lua names.
local function field(config, ...)
    local names = { ... }
    for i = 1, #names do
        local value = config[names[i]]
        if value ~= nil and value ~= json.null then
            return value
        end
    end
    return nil
end


--- Read what the checks need from a user or role configuration.
local function read_config(config)
    local settings = {
        issuer = field(config, "IdentityUrl", "identity_url"),
        identity_key = field(config, "IdentityKey", "identity_key"),
        client_id = field(config, "ClientId", "client_id", "client_ids"),
        mapping = field(config, "MappingFiled", "mapping_field",
            "mapping_filed"),
    }

    if type(settings.issuer) ~= "string" then
        return nil, "the configuration has no IdentityUrl string"
    end
    if type(settings.identity_key) ~= "string" then
        return nil, "the configuration has no IdentityKey string"
    end
    local client_id = settings.client_id
    if type(client_id) == "string" then
        settings.client_ids = { client_id }
    elseif type(client_id) == "table" and #client_id > 0 then
        settings.client_ids = client_id
    else
        return nil, "the configuration has no ClientId"
    end
    if settings.mapping ~= nil and type(settings.mapping) ~= "string" then
        return nil, "the configuration's MappingFiled is not a string"
    end
    return settings
end


--- Decode one base64url segment holding a JSON object.
local function decode_segment(segment, part)
    local text, b64_err = core.base64url_decode(segment)
    if text == nil then
        return nil, "the token's " .. part .. " is not base64url (" .. b64_err
            .. ")"
    end
    local value, json_err = json.decode(text)
    if type(value) ~= "table" or json.is_array(value) then
        return nil, "the token's " .. part .. " is not a JSON object"
            .. (json_err and (" (" .. json_err .. ")") or "")
    end
    return value
end


--- Check the header's alg and crit members.
local function check_header(header)
    local alg = header.alg

    if type(alg) ~= "string" then
        return fail("JwtMalformed", "the token header has no alg string")
    end
    if alg:lower() == "none" then
        return fail("JwtAlgorithmRejected", "alg none (an unsigned token)"
            .. " is rejected")
    end
    if find(alg, "^HS") then
        return fail("JwtAlgorithmRejected", "alg " .. alg .. " is rejected:"
            .. " HMAC tokens are keyed with a shared secret, and CAM checks"
            .. " tokens with the IdP's public keys")
    end
    if not SUPPORTED[alg] then
        return fail("JwtAlgorithmRejected", "alg " .. show(alg)
            .. " is not supported; expected one of "
            .. concat(_M.ALGORITHMS, ", "))
    end
    -- RFC 7515 section 4.1.11: extensions listed in crit must be
    -- understood, and this check understands none.
    if header.crit ~= nil then
        return fail("JwtMalformed", "the token header lists crit extensions,"
            .. " which are not supported")
    end
    if header.kid ~= nil and type(header.kid) ~= "string" then
        return fail("JwtMalformed", "the token header's kid is not a string")
    end
    return true
end


--- Choose the verification key: by kid, or the only signing key.
local function select_key(jwks, header)
    local keys, notes = jwks_util.signing_keys(jwks)
    if keys == nil then
        return fail("JwtKeyInvalid", "IdentityKey: " .. notes)
    end

    local kid = header.kid
    local key
    if kid ~= nil then
        local known = {}
        for i = 1, #keys do
            if keys[i].kid == kid and key == nil then
                key = keys[i]
            end
            known[#known + 1] = tostring(keys[i].kid)
        end
        if key == nil then
            return fail("JwtUnknownKid", "kid " .. show(kid) .. " of the token"
                .. " is not among the signing keys of the IdentityKey JWKS ("
                .. (#known > 0 and concat(known, ", ") or "none") .. ")")
        end
    elseif #keys == 1 then
        key = keys[1]
    else
        return fail("JwtUnknownKid", "the token has no kid and the IdentityKey"
            .. " JWKS has " .. #keys .. " signing keys, so none can be chosen")
    end

    if key.alg ~= nil and key.alg ~= header.alg then
        return fail("JwtAlgorithmRejected", jwks_util.label(key, 1)
            .. " is for " .. tostring(key.alg) .. ", but the token uses "
            .. header.alg)
    end
    return key
end


--- Check that aud (a string or a list) contains one of the client IDs.
local function audience_matches(aud, client_ids)
    local audiences = type(aud) == "table" and aud or { aud }
    for i = 1, #audiences do
        for j = 1, #client_ids do
            if audiences[i] == client_ids[j] then
                return true
            end
        end
    end
    return false
end


--- Check that a time claim is a number of seconds from MIN_TIME to MAX_TIME.
local function check_numeric_date(name, value)
    if type(value) ~= "number" then
        return fail("JwtClaimInvalid", "the token's " .. name .. " claim is"
            .. " not a number")
    end
    if not (value >= MIN_TIME and value <= MAX_TIME) then
        return fail("JwtClaimInvalid", "the token's " .. name .. " claim "
            .. show(value) .. " is outside the supported range of Unix times, "
            .. MIN_TIME .. " to " .. MAX_TIME .. " (9999-12-31T23:59:59Z)")
    end
    return true
end


local function check_time(claims, now, leeway)
    local exp, nbf, iat = claims.exp, claims.nbf, claims.iat

    if exp == nil then
        return fail("JwtClaimMissing", "the token has no exp claim")
    end
    local ok, err = check_numeric_date("exp", exp)
    if not ok then
        return nil, err
    end
    if now >= exp + leeway then
        return fail("JwtExpired", "the token expired at " .. utc(exp) .. ", "
            .. floor(now - exp) .. " s ago (leeway " .. leeway .. " s)")
    end

    if nbf ~= nil then
        ok, err = check_numeric_date("nbf", nbf)
        if not ok then
            return nil, err
        end
        if now + leeway < nbf then
            return fail("JwtNotYetValid", "the token is not valid before "
                .. utc(nbf) .. ", " .. floor(nbf - now) .. " s from now"
                .. " (leeway " .. leeway .. " s)")
        end
    end

    if iat == nil then
        return fail("JwtClaimMissing", "the token has no iat claim, which"
            .. " OpenID Connect requires")
    end
    ok, err = check_numeric_date("iat", iat)
    if not ok then
        return nil, err
    end
    if iat > now + leeway then
        return fail("JwtIssuedInFuture", "the token was issued at " .. utc(iat)
            .. ", " .. floor(iat - now) .. " s in the future (leeway " .. leeway
            .. " s); check the clocks")
    end
    return true
end


--- Check that the MappingFiled claim contains a valid user name.
local function check_mapping(claims, mapping)
    local value = claims[mapping]

    if value == nil then
        return fail("JwtClaimMissing", "the token has no " .. mapping
            .. " claim, which MappingFiled names as the user name; request a"
            .. " scope that includes it or change MappingFiled")
    end
    if type(value) ~= "string" then
        return fail("JwtClaimInvalid", "the token's " .. mapping .. " claim"
            .. " is a " .. (json.is_array(value) and "list" or type(value))
            .. ", not a string, so it cannot be a user name")
    end

    -- A user name follows the MappingFiled value rules.
    local _, problems = validate.update_oidc({ MappingFiled = value })
    for _, problem in pairs(problems or {}) do
        if problem.field == "MappingFiled" then
            return fail("JwtClaimInvalid", "the token's " .. mapping
                .. " claim " .. show(value) .. " is not a valid user name: it "
                .. problem.message)
        end
    end
    return true
end


--- Verify a sample ID token against a configuration.
-- The checks run in this order:
--
-- 1. the token's form, and `alg`, with `none` and HMAC rejected;
-- 2. the key, chosen by `kid` from the IdentityKey JWKS, or the only
--    signing key when the token has no kid;
-- 3. the signature;
-- 4. `iss` equal to IdentityUrl and `aud` containing ClientId;
-- 5. `exp`, `nbf` and `iat` within the leeway, and `sub` present;
-- 6. the MappingFiled claim as a valid user name, when the configuration
--    has MappingFiled (role configurations have none).
-- @tparam table config a configuration for `update_oidc` or
--   `update_role_oidc`, with wire or Lua names
-- @tparam string id_token the compact JWS
-- @tparam[opt] table opts `leeway` (seconds, default 60), `now` (Unix
--   seconds, default the current time)
-- @treturn[1] table the token's claims
-- @treturn[2] nil
-- @treturn[2] table a validation error whose `code` names the failed
--   check: `JwtMalformed`, `JwtAlgorithmRejected`, `JwtUnknownKid`,
--   `JwtKeyInvalid`, `JwtSignatureInvalid`, `JwtIssuerMismatch`,
--   `JwtAudienceMismatch`, `JwtExpired`, `JwtNotYetValid`,
--   `JwtIssuedInFuture`, `JwtClaimMissing`, `JwtClaimInvalid` or
--   `JwtConfigInvalid`
-- @raise when an argument has the wrong type or an option is unknown
function _M.verify(config, id_token, opts)
    if type(config) ~= "table" then
        error("verify_id_token: config must be a table, got " .. type(config), 2)
    end
    if type(id_token) ~= "string" then
        error("verify_id_token: id_token must be a string, got "
            .. type(id_token), 2)
    end
    opts = opts or {}
    for name, value in pairs(opts) do
        if OPTION_TYPES[name] == nil or type(value) ~= OPTION_TYPES[name] then
            error("verify_id_token: unknown or mistyped option '"
                .. tostring(name) .. "'; the options are leeway and now"
                .. " (numbers)", 2)
        end
    end
    local leeway = opts.leeway or _M.DEFAULT_LEEWAY
    if leeway < 0 or leeway > 86400 then
        error("verify_id_token: option 'leeway' must be 0 to 86400 seconds", 2)
    end
    local now = opts.now or os_time()

    local settings, config_err = read_config(config)
    if settings == nil then
        return fail("JwtConfigInvalid", config_err)
    end
    local jwks, jwks_err = jwks_util.decode(settings.identity_key)
    if jwks == nil then
        return fail("JwtConfigInvalid", jwks_err)
    end

    -- Form: three base64url segments; the signature may be empty only
    -- for alg none, which is rejected below.
    id_token = id_token:gsub("^%s+", ""):gsub("%s+$", "")
    if #id_token > _M.MAX_TOKEN_SIZE then
        return fail("JwtMalformed", "the token is longer than "
            .. _M.MAX_TOKEN_SIZE .. " bytes")
    end
    local header_b64, payload_b64, signature_b64 =
        id_token:match("^([%w_-]+)%.([%w_-]+)%.([%w_-]*)$")
    if header_b64 == nil then
        return fail("JwtMalformed", "the token is not a compact JWS: three"
            .. " base64url parts separated by dots")
    end

    local header, header_err = decode_segment(header_b64, "header")
    if header == nil then
        return fail("JwtMalformed", header_err)
    end
    local claims, claims_err = decode_segment(payload_b64, "payload")
    if claims == nil then
        return fail("JwtMalformed", claims_err)
    end

    local header_ok, header_fail = check_header(header)
    if not header_ok then
        return nil, header_fail
    end

    local key, key_err = select_key(jwks, header)
    if key == nil then
        return nil, key_err
    end

    local signature, signature_err = core.base64url_decode(signature_b64)
    if signature == nil or signature == "" then
        return fail("JwtMalformed", "the token's signature is "
            .. (signature_err and ("not base64url (" .. signature_err .. ")")
                or "empty"))
    end
    local valid, verify_err = core.jws_verify(header.alg, key,
        header_b64 .. "." .. payload_b64, signature)
    if valid == nil then
        return fail("JwtKeyInvalid", jwks_util.label(key, 1) .. ": "
            .. verify_err)
    end
    if not valid then
        return fail("JwtSignatureInvalid", "the signature does not verify with "
            .. jwks_util.label(key, 1) .. " (" .. verify_err .. ")")
    end

    if claims.iss == nil then
        return fail("JwtClaimMissing", "the token has no iss claim")
    end
    if claims.iss ~= settings.issuer then
        return fail("JwtIssuerMismatch", "iss " .. show(claims.iss)
            .. " does not equal IdentityUrl " .. show(settings.issuer)
            .. "; they must match byte for byte")
    end

    if claims.aud == nil then
        return fail("JwtClaimMissing", "the token has no aud claim")
    end
    if not audience_matches(claims.aud, settings.client_ids) then
        local audiences = {}
        for i, value in ipairs(type(claims.aud) == "table" and claims.aud
                or { claims.aud }) do
            audiences[i] = tostring(value)
        end
        return fail("JwtAudienceMismatch", "aud " .. show(concat(audiences, ", "))
            .. " does not contain ClientId "
            .. show(concat(settings.client_ids, ", ")))
    end

    local time_ok, time_err = check_time(claims, now, leeway)
    if not time_ok then
        return nil, time_err
    end

    if type(claims.sub) ~= "string" or claims.sub == "" then
        return fail("JwtClaimMissing", "the token has no sub claim, which"
            .. " OpenID Connect requires")
    end

    if settings.mapping ~= nil then
        local mapping_ok, mapping_err = check_mapping(claims, settings.mapping)
        if not mapping_ok then
            return nil, mapping_err
        end
    end
    return claims
end


return _M
