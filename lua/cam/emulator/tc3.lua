--- TC3-HMAC-SHA256 signature verification for the CAM emulator.
--
-- This is an independent implementation on luaossl, written from the
-- algorithm's description and kept apart from the library's C signer so that
-- each checks the other. Steps (Tencent Cloud API 3.0 "signature v3"):
--
--     canonical request = METHOD \n path \n query \n canonical headers \n
--                         signed headers \n hex(SHA-256(body))
--     string to sign    = "TC3-HMAC-SHA256" \n timestamp \n
--                         date/service/tc3_request \n hex(SHA-256(canonical request))
--     signing key       = HMAC(HMAC(HMAC("TC3" .. secret key, date), service), "tc3_request")
--     signature         = hex(HMAC(signing key, string to sign))
--
-- @module cam.emulator.tc3

local digest = require "openssl.digest"
local hmac = require "openssl.hmac"

local _M = {}

--- The only algorithm name API 3.0 accepts.
_M.ALGORITHM = "TC3-HMAC-SHA256"


local function to_hex(bytes)
    return (bytes:gsub(".", function(c)
        return string.format("%02x", c:byte())
    end))
end


local function sha256_hex(data)
    return to_hex(digest.new("sha256"):final(data))
end


local function hmac_sha256(key, message)
    return hmac.new(key, "sha256"):final(message)
end


--- Parse an Authorization header value.
--
-- The accepted form is exact: one space after the algorithm, `", "` between
-- the three parts, lower-case header names and a 64-digit lower-case hex
-- signature.
--
-- @tparam string value
-- @treturn table|nil `{secret_id=, date=, service=, signed_headers={...},
-- signed_headers_text=, signature=}`
-- @treturn[2] string why the value was rejected
function _M.parse_authorization(value)
    local algorithm, rest = value:match("^(%S+) (.*)$")
    if algorithm ~= _M.ALGORITHM then
        return nil, "Authorization must start with " .. _M.ALGORITHM .. " and one space"
    end

    local credential, signed_text, signature =
        rest:match("^Credential=([^,]*), SignedHeaders=([^,]*), Signature=([^,]*)$")
    if not credential then
        return nil, "Authorization must have the form "
            .. "'Credential=..., SignedHeaders=..., Signature=...'"
    end

    local secret_id, date, service, terminator =
        credential:match("^([^/]+)/([^/]+)/([^/]+)/([^/]+)$")
    if not secret_id or terminator ~= "tc3_request" then
        return nil, "Credential must be <SecretId>/<YYYY-MM-DD>/<service>/tc3_request"
    end
    if not date:find("^%d%d%d%d%-%d%d%-%d%d$") then
        return nil, "the credential scope date must be YYYY-MM-DD"
    end

    if not signed_text:find("^[a-z0-9%-;]+$") then
        return nil, "SignedHeaders must be lower-case header names joined by ';'"
    end

    local signed_headers = {}
    local seen = {}
    for name in (signed_text .. ";"):gmatch("([^;]*);") do
        if name == "" then
            return nil, "SignedHeaders contains an empty header name"
        end
        if seen[name] then
            return nil, "SignedHeaders names " .. name .. " twice"
        end
        seen[name] = true
        signed_headers[#signed_headers + 1] = name
    end
    if not seen["content-type"] or not seen.host then
        return nil, "SignedHeaders must include content-type and host"
    end

    if not signature:find("^" .. string.rep("[0-9a-f]", 64) .. "$") then
        return nil, "Signature must be 64 lower-case hex digits"
    end

    return {
        secret_id = secret_id,
        date = date,
        service = service,
        signed_headers = signed_headers,
        signed_headers_text = signed_text,
        signature = signature,
    }
end


--- Strip the port from a Host header value (`example.com:8443`,
-- `[::1]:8443`). The official Node.js SDK signs the URL's hostname but
-- sends its host, so the port must not take part in the signature.
-- @tparam string host
-- @treturn string
function _M.host_without_port(host)
    local bracketed = host:match("^(%[[^%]]*%])")
    if bracketed then
        return bracketed
    end
    return (host:gsub(":%d*$", ""))
end


--- Build the canonical request of a received request.
-- @tparam table request from `cam.emulator.http.read_request`
-- @tparam {string,...} signed_headers lower-case names, in signed order
-- @treturn string|nil canonical request
-- @treturn[2] string why it cannot be built (a signed header missing or
-- repeated)
function _M.canonical_request(request, signed_headers)
    local lines = {}
    for _, name in ipairs(signed_headers) do
        local values = request.by_name[name]
        if not values then
            return nil, "signed header " .. name .. " is missing from the request"
        end
        if #values > 1 then
            return nil, string.format(
                "signed header %s appears %d times; it must appear once", name, #values)
        end

        local value = values[1]:gsub("^[ \t]+", ""):gsub("[ \t]+$", "")
        if name == "host" then
            value = _M.host_without_port(value)
        end
        lines[#lines + 1] = name .. ":" .. value .. "\n"
    end

    return table.concat({
        request.method,
        request.path,
        request.query,
        table.concat(lines),
        table.concat(signed_headers, ";"),
        sha256_hex(request.body),
    }, "\n")
end


--- Compute a TC3-HMAC-SHA256 signature.
-- @tparam string secret_key
-- @tparam string date credential scope date, `YYYY-MM-DD`
-- @tparam string service credential scope service, e.g. `cam`
-- @tparam string timestamp X-TC-Timestamp as sent
-- @tparam string canonical_request
-- @treturn string 64 lower-case hex digits
function _M.signature(secret_key, date, service, timestamp, canonical_request)
    local string_to_sign = table.concat({
        _M.ALGORITHM,
        timestamp,
        date .. "/" .. service .. "/tc3_request",
        sha256_hex(canonical_request),
    }, "\n")

    local date_key = hmac_sha256("TC3" .. secret_key, date)
    local service_key = hmac_sha256(date_key, service)
    local signing_key = hmac_sha256(service_key, "tc3_request")
    return to_hex(hmac_sha256(signing_key, string_to_sign))
end


--- Compare two strings in time that depends only on their length.
-- @tparam string a
-- @tparam string b
-- @treturn boolean
function _M.constant_time_equal(a, b)
    if #a ~= #b then
        return false
    end

    local difference = 0
    for i = 1, #a do
        difference = difference | (a:byte(i) ~ b:byte(i))
    end
    return difference == 0
end


return _M
