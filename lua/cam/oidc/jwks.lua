--- JWKS helpers: checks, RFC 7638 thumbprints, content comparison, and
-- the IdentityKey value built from PEM keys.
-- @module cam.oidc.jwks

local core = require("cam.core")
local errors = require("cam.errors")
local json = require("cam.json")

local char = string.char
local error = error
local pairs = pairs
local sort = table.sort
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

-- Members that carry private or symmetric key material (RFC 7518
-- sections 6.2.2, 6.3.2 and 6.4.1). A published key set has none of them.
local PRIVATE_MEMBERS = { "d", "p", "q", "dp", "dq", "qi", "oth", "k" }

-- The JWS algorithm a PEM key gets, by key type and curve.
local PEM_ALGORITHMS = { RSA = "RS256", ["RSA-PSS"] = "PS256",
    ["P-256"] = "ES256", ["P-384"] = "ES384" }


local function hex_to_bytes(hex)
    return (hex:gsub("%x%x", function(pair)
        return char(tonumber(pair, 16))
    end))
end


--- Compute the RFC 7638 thumbprint of a public RSA or EC JWK: the
-- base64url SHA-256 of its required members as compact JSON in key order.
-- @tparam table jwk the key, with `kty` and `n`, `e` or `crv`, `x`, `y`
-- @treturn[1] string the thumbprint
-- @treturn[2] nil when the key lacks a required member
function _M.thumbprint(jwk)
    local members
    if jwk.kty == "RSA" then
        members = { e = jwk.e, kty = "RSA", n = jwk.n }
    elseif jwk.kty == "EC" then
        members = { crv = jwk.crv, kty = "EC", x = jwk.x, y = jwk.y }
    else
        return nil
    end
    for _, value in pairs(members) do
        if type(value) ~= "string" then
            return nil
        end
    end

    -- cam.json.encode writes compact JSON with sorted keys, which is the
    -- form RFC 7638 section 3 prescribes.
    local digest = hex_to_bytes(core.sha256_hex(json.encode(members)))
    return core.base64url_encode(digest)
end


--- Name a key for messages: its kid, else its thumbprint, else its place.
-- @tparam table jwk the key
-- @tparam number index its 1-based position in the set
-- @treturn string
function _M.label(jwk, index)
    if type(jwk) == "table" and type(jwk.kid) == "string" then
        return "kid " .. jwk.kid
    end
    local thumbprint = type(jwk) == "table" and _M.thumbprint(jwk)
    if thumbprint then
        return "thumbprint " .. thumbprint
    end
    return "key " .. index
end


--- Decode an IdentityKey value (standard base64 of a JWKS).
-- @tparam string value the base64 text
-- @treturn[1] table the JWKS, with a `keys` list
-- @treturn[2] nil
-- @treturn[2] string what is wrong
function _M.decode(value)
    if type(value) ~= "string" then
        return nil, "IdentityKey must be a string, got " .. type(value)
    end

    local text, base64_err = core.base64_decode(value)
    if text == nil then
        return nil, "IdentityKey is not standard base64 (" .. base64_err .. ")"
    end
    local jwks, json_err = json.decode(text)
    if jwks == nil then
        return nil, "IdentityKey does not decode to JSON (" .. json_err .. ")"
    end
    if type(jwks) ~= "table" or type(jwks.keys) ~= "table"
        or not json.is_array(jwks.keys) then
        return nil, "IdentityKey does not decode to a JWKS with a keys list"
    end
    return jwks
end


--- Check one JWK for use as an ID token signing key.
-- @tparam table jwk the key
-- @treturn[1] string `"sig"` for a usable signing key, or `"skip"` for a
--   key that is not for signatures (`use` other than `sig`)
-- @treturn[1] string for `"skip"`, why
-- @treturn[2] nil
-- @treturn[2] string what is wrong with the key
function _M.check_key(jwk)
    if type(jwk) ~= "table" or json.is_array(jwk) then
        return nil, "is not a JSON object"
    end
    for i = 1, #PRIVATE_MEMBERS do
        if jwk[PRIVATE_MEMBERS[i]] ~= nil then
            return nil, "contains private or secret key material (member "
                .. PRIVATE_MEMBERS[i] .. "); publish only public keys"
        end
    end
    if jwk.use ~= nil and jwk.use ~= "sig" then
        return "skip", "is for " .. (jwk.use == "enc" and "encryption (use=enc)"
            or ("use=" .. tostring(jwk.use))) .. ", not for signatures"
    end
    if jwk.kty ~= "RSA" and jwk.kty ~= "EC" then
        return "skip", "has key type " .. tostring(jwk.kty)
            .. ", which ID token checks here do not use (RSA or EC expected)"
    end

    local info, key_err = core.jwk_check(jwk)
    if info == nil then
        return nil, key_err
    end
    return "sig"
end


--- Split a JWKS into its signing keys and the keys left out.
-- @tparam table jwks the decoded key set
-- @treturn[1] table the signing keys, as given
-- @treturn[1] table notes on skipped keys, such as
--   `"kid enc-1 is for encryption (use=enc), not for signatures; left out"`
-- @treturn[2] nil
-- @treturn[2] string the first invalid key and why
function _M.signing_keys(jwks)
    local keys, notes = {}, {}

    for i = 1, #jwks.keys do
        local jwk = jwks.keys[i]
        local verdict, reason = _M.check_key(jwk)

        if verdict == nil then
            return nil, _M.label(jwk, i) .. " of the JWKS " .. reason
        elseif verdict == "skip" then
            notes[#notes + 1] = _M.label(jwk, i) .. " " .. reason
                .. "; left out"
        else
            keys[#keys + 1] = jwk
        end
    end
    return keys, notes
end


--- Compare two IdentityKey values by content.
-- Both are decoded and their keys compared as sets of canonical JSON
-- objects, so key order, member order and white space do not matter.
-- @tparam string current the configured IdentityKey
-- @tparam string desired the IdentityKey to set
-- @treturn[1] boolean whether the key sets are equal
-- @treturn[1] table labels of keys only in `desired` (added)
-- @treturn[1] table labels of keys only in `current` (removed)
-- @treturn[2] nil when `current` cannot be decoded
-- @treturn[2] string why
function _M.compare(current, desired)
    local current_jwks, current_err = _M.decode(current)
    if current_jwks == nil then
        return nil, current_err
    end
    local desired_jwks, desired_err = _M.decode(desired)
    if desired_jwks == nil then
        return nil, desired_err
    end

    local function index(jwks)
        local by_text = {}
        for i = 1, #jwks.keys do
            local text = json.encode(jwks.keys[i])
            by_text[text] = by_text[text] or _M.label(jwks.keys[i], i)
        end
        return by_text
    end

    local current_index = index(current_jwks)
    local desired_index = index(desired_jwks)
    local added, removed = {}, {}

    for text, label in pairs(desired_index) do
        if current_index[text] == nil then
            added[#added + 1] = label
        end
    end
    for text, label in pairs(current_index) do
        if desired_index[text] == nil then
            removed[#removed + 1] = label
        end
    end
    sort(added)
    sort(removed)

    return #added == 0 and #removed == 0, added, removed
end


--- Build an IdentityKey from PEM public keys and certificates.
-- Every RSA (2048 bits or more) and EC P-256 or P-384 key becomes a JWK
-- with `kid` (its RFC 7638 thumbprint), `use = "sig"` and `alg` (`RS256`,
-- `PS256` for an RSA-PSS key, `ES256` or `ES384`). A key given twice, such
-- as a certificate and its public key, appears once.
-- @tparam string pem one or more PEM blocks
-- @treturn[1] string the IdentityKey: standard base64 of the JWKS
-- @treturn[1] table the JWKS
-- @treturn[2] nil
-- @treturn[2] table a validation error naming the PEM block at fault
-- @raise when `pem` is not a string
function _M.identity_key_from_pem(pem)
    if type(pem) ~= "string" then
        error("identity_key_from_pem: expected PEM text, got " .. type(pem), 2)
    end

    local found, pem_err = core.pem_public_keys(pem)
    if found == nil then
        return nil, errors.new({
            kind = "validation",
            code = "InvalidPem",
            message = pem_err,
            problems = { { field = "IdentityKey", message = pem_err } },
        })
    end

    local keys, seen = {}, {}
    for i = 1, #found do
        local key = found[i]
        local jwk
        if key.kty == "RSA" then
            jwk = { kty = "RSA", n = key.n, e = key.e }
        else
            jwk = { kty = "EC", crv = key.crv, x = key.x, y = key.y }
        end
        jwk.kid = _M.thumbprint(jwk)
        jwk.use = "sig"
        jwk.alg = PEM_ALGORITHMS[key.pss and "RSA-PSS" or key.crv or key.kty]

        if not seen[jwk.kid] then
            seen[jwk.kid] = true
            keys[#keys + 1] = jwk
        end
    end

    local jwks = { keys = json.array(keys) }
    return core.base64_encode(json.encode(jwks)), jwks
end


return _M
