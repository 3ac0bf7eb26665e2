--- Inputs shared by every benchmark: one UpdateUserOIDCConfig request of
-- realistic size and the credentials that sign it.
--
-- The JWKS contains one RSA key whose modulus is 342 base64url characters,
-- the length of a 2048-bit modulus. The characters are a fixed pattern, not
-- a real key, so every run signs the same bytes.
-- @module bench.fixture

local _M = {
    SECRET_ID = "AKIDCamEmulatorDemo00000000000001",
    SECRET_KEY = "CamEmulatorDemoSecretKey00000001",
    SERVICE = "cam",
    HOST = "cam.tencentcloudapi.com",
    CONTENT_TYPE = "application/json",
    TIMESTAMP = 1700000000,
    ACTION = "UpdateUserOIDCConfig",
}

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


local function modulus()
    local chars = {}

    for i = 1, 342 do
        local k = (i * 37 + 11) % 64 + 1
        chars[i] = ALPHABET:sub(k, k)
    end
    return table.concat(chars)
end


--- The JWKS as JSON text.
function _M.jwks()
    return '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"bench-key-1",'
        .. '"n":"' .. modulus() .. '","e":"AQAB"}]}'
end


--- The parameters of `update_oidc`, with Lua names.
-- @tparam table cam the loaded `cam` module
function _M.params(cam)
    return {
        identity_url = "https://sso.example.com/realms/acme",
        identity_key = assert(cam.identity_key(_M.jwks())),
        client_id = "tencent-cloud-cam",
        authorization_endpoint =
            "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
        mapping_field = "preferred_username",
        scope = { "openid", "email" },
        description = "benchmark fixture",
    }
end


--- The JSON body that `update_oidc` sends for `params`, taken from a
-- dry run so that it is byte for byte what the client signs.
function _M.body(cam)
    local client = cam.new({
        endpoint = "http://127.0.0.1:9",
        secret_id = _M.SECRET_ID,
        secret_key = _M.SECRET_KEY,
        dry_run = true,
    })
    local request = assert(client:update_oidc(_M.params(cam)))
    return request.body
end


--- The table `cam.sign` takes for the fixture body.
function _M.sign_input(body)
    return {
        secret_id = _M.SECRET_ID,
        secret_key = _M.SECRET_KEY,
        service = _M.SERVICE,
        host = _M.HOST,
        timestamp = _M.TIMESTAMP,
        body = body,
        content_type = _M.CONTENT_TYPE,
    }
end


return _M
