--- Value rules of the CAM OIDC parameters, as the emulator enforces them.
--
-- Each check takes a value of the right JSON type and returns nil when it is
-- valid, or an error code and a message naming the field. The rules follow
-- Tencent's API pages for UpdateUserOIDCConfig (ClientId, MappingFiled and
-- URL rules) and the role-SSO actions (Name rule).
-- @module cam.emulator.fields

local json = require "cam.emulator.json"

local _M = {}

local INVALID_VALUE = "InvalidParameterValue"
local URL_ERROR = "InvalidParameterValue.IdentityUrlError"
local KEY_ERROR = "InvalidParameterValue.IdentityKeyError"
local NAME_ERROR = "InvalidParameterValue.NameError"

local MAX_CLIENT_ID = 64
local MAX_MAPPING_FILED = 255
local MAX_DESCRIPTION = 255
local MAX_NAME = 128

local SCOPES = { openid = true, email = true, profile = true }


-- Split UTF-8 text into code points; nil when the bytes are not UTF-8.
local function code_points(text)
    if not utf8.len(text) then
        return nil
    end

    local points = {}
    for _, point in utf8.codes(text) do
        points[#points + 1] = point
    end
    return points
end


-- The CJK ideograph blocks of Unicode 14.0 (Blocks.txt): CJK Unified
-- Ideographs with Extensions A to G, CJK Compatibility Ideographs and its
-- Supplement. Tencent's API documentation of UpdateUserOIDCConfig allows
-- "CJK" in MappingFiled without naming code points, so every block counts,
-- as in cam.validate.
local CJK_BLOCKS = {
    { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF }, { 0xF900, 0xFAFF },
    { 0x20000, 0x2A6DF }, { 0x2A700, 0x2B73F }, { 0x2B740, 0x2B81F },
    { 0x2B820, 0x2CEAF }, { 0x2CEB0, 0x2EBEF }, { 0x2F800, 0x2FA1F },
    { 0x30000, 0x3134F },
}


-- Characters that must not appear in a URL besides the ASCII space: the
-- Unicode 14.0 general categories Cc, Cf, Zs, Zl and Zp.
local INVISIBLE = {
    { 0x00, 0x1F }, { 0x7F, 0x9F }, { 0xA0, 0xA0 }, { 0xAD, 0xAD },
    { 0x600, 0x605 }, { 0x61C, 0x61C }, { 0x6DD, 0x6DD }, { 0x70F, 0x70F },
    { 0x890, 0x891 }, { 0x8E2, 0x8E2 }, { 0x1680, 0x1680 }, { 0x180E, 0x180E },
    { 0x2000, 0x200F }, { 0x2028, 0x202F }, { 0x205F, 0x2064 }, { 0x2066, 0x206F },
    { 0x3000, 0x3000 }, { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD },
    { 0x110CD, 0x110CD }, { 0x13430, 0x13438 }, { 0x1BCA0, 0x1BCA3 },
    { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F },
}


local function in_ranges(ranges, point)
    for _, range in ipairs(ranges) do
        if point >= range[1] and point <= range[2] then
            return true
        end
    end
    return false
end


local function is_cjk(point)
    return in_ranges(CJK_BLOCKS, point)
end


-- Tell whether text is an IPv4 address as RFC 3986 writes one, with four
-- decimal octets and no leading zeros.
local function is_ipv4(text)
    local octets = { text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
    if #octets ~= 4 then
        return false
    end
    for _, octet in ipairs(octets) do
        if #octet > 3 or tonumber(octet) > 255 or octet:find("^0%d") then
            return false
        end
    end
    return true
end


-- Tell whether text is an IPv6 address as RFC 3986 section 3.2.2 writes
-- one (the text form of RFC 4291 section 2.2). That is eight groups of 1 to
-- 4 hex digits, or at most seven with one "::" in place of the zero groups
-- left out. A final dotted IPv4 address counts as two groups. Zone
-- identifiers are not accepted.
local function is_ipv6(text)
    if text:find("[^%x:.]") then
        return false
    end

    local parts = { text }
    local compressed = text:find("::", 1, true)
    if compressed then
        parts = { text:sub(1, compressed - 1), text:sub(compressed + 2) }
        if parts[2]:find("::", 1, true) then
            return false
        end
    end

    local groups = 0
    for part_index, part in ipairs(parts) do
        if part ~= "" then
            local pieces = {}
            for piece in (part .. ":"):gmatch("(.-):") do
                pieces[#pieces + 1] = piece
            end
            for piece_index, piece in ipairs(pieces) do
                local last = part_index == #parts and piece_index == #pieces
                if last and piece:find(".", 1, true) then
                    if not is_ipv4(piece) then
                        return false
                    end
                    groups = groups + 2
                elseif piece:find("^%x%x?%x?%x?$") then
                    groups = groups + 1
                else
                    return false
                end
            end
        end
    end

    if compressed then
        return groups <= 7
    end
    return groups == 8
end


local function is_ascii_alphanumeric(point)
    return (point >= 0x30 and point <= 0x39)
        or (point >= 0x41 and point <= 0x5A)
        or (point >= 0x61 and point <= 0x7A)
end


-- Tell whether text is a DNS name or an IPv4 address. A DNS name has at
-- most 253 characters, plus an optional final dot, in RFC 1035 labels of 1
-- to 63 letters, digits and hyphens with no hyphen at either end. A name of
-- digits and dots only must be an IPv4 address.
local function is_host_name(text)
    if text:find("^[%d.]+$") then
        return is_ipv4(text)
    end

    local name = text:gsub("%.$", "", 1)
    if name == "" or #name > 253 then
        return false
    end
    for label in (name .. "."):gmatch("([^.]*)%.") do
        if not label:find("^[A-Za-z0-9-]+$") or #label > 63
            or label:find("^%-") or label:find("%-$") then
            return false
        end
    end
    return true
end


--- Check an IdP URL (IdentityUrl, AuthorizationEndpoint).
-- It must be `https://host[:port][/path]` with no user info, query or
-- fragment, and no white space, control or format characters.
-- @tparam string field parameter name for the message
-- @tparam string value
-- @treturn nil|string error code
-- @treturn string message
function _M.https_url(field, value)
    local function reject(reason)
        return URL_ERROR, string.format("%s %s: %s", field, reason, value)
    end

    local authority, rest = value:match("^https://([^/]*)(.*)$")
    if not authority then
        return reject("must be an https:// URL")
    end
    if not utf8.len(value) then
        return reject("must be valid UTF-8")
    end
    for _, point in utf8.codes(value) do
        if point == 0x20 or in_ranges(INVISIBLE, point) then
            return reject(string.format(
                "must not contain white space, control or format characters (U+%04X)", point))
        end
    end
    if value:find("?", 1, true) then
        return reject("must not contain a query")
    end
    if value:find("#", 1, true) then
        return reject("must not contain a fragment")
    end
    if authority:find("@", 1, true) then
        return reject("must not contain user information")
    end

    local host, port = authority:match("^%[([^%]]*)%](.*)$")
    if host then
        if not is_ipv6(host) then
            return reject("must name a valid host")
        end
    else
        host, port = authority:match("^([^:]*)(.*)$")
        if not is_host_name(host) then
            return reject("must name a valid host")
        end
    end
    if port ~= "" then
        local number = tonumber(port:match("^:(%d%d?%d?%d?%d?)$"))
        if number == nil or number < 1 or number > 65535 then
            return reject("has an invalid port")
        end
    end
    if rest ~= "" and not rest:find("^/") then
        return reject("has an invalid path")
    end

    return nil
end


-- Decode standard base64 (RFC 4648 section 4, padded); nil when invalid.
local BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local BASE64_VALUES = {}
for i = 1, #BASE64_ALPHABET do
    BASE64_VALUES[BASE64_ALPHABET:byte(i)] = i - 1
end

local function base64_decode(text)
    if #text == 0 or #text % 4 ~= 0 or not text:find("^[%w+/]+=?=?$") then
        return nil
    end

    local out = {}
    for i = 1, #text, 4 do
        local a, b, c, d = text:byte(i, i + 3)
        local n = (BASE64_VALUES[a] << 18) | (BASE64_VALUES[b] << 12)
        if c ~= 61 then
            n = n | (BASE64_VALUES[c] << 6)
        end
        if d ~= 61 then
            n = n | BASE64_VALUES[d]
        end

        if c == 61 then
            out[#out + 1] = string.char(n >> 16)
        elseif d == 61 then
            out[#out + 1] = string.char(n >> 16, (n >> 8) & 0xff)
        else
            out[#out + 1] = string.char(n >> 16, (n >> 8) & 0xff, n & 0xff)
        end
    end
    return table.concat(out)
end

_M.base64_decode = base64_decode


--- Check an IdentityKey: standard base64 of a JWKS document, that is a JSON
-- object whose `keys` member is a non-empty array of objects.
-- @tparam string field parameter name for the message
-- @tparam string value
-- @treturn nil|string error code
-- @treturn string message
function _M.identity_key(field, value)
    local decoded = base64_decode(value)
    if not decoded then
        return KEY_ERROR, field .. " must be standard base64 (A-Z a-z 0-9 + / with = padding)"
    end

    local document = json.decode(decoded)
    if json.type_of(document) ~= "object" then
        return KEY_ERROR, field .. " must decode to a JSON object (a JWKS document)"
    end

    local keys = document.keys
    if json.type_of(keys) ~= "array" or #keys == 0 then
        return KEY_ERROR, field .. " must decode to a JWKS with a non-empty keys array"
    end
    for index, key in ipairs(keys) do
        if json.type_of(key) ~= "object" then
            return KEY_ERROR, string.format("%s: JWKS keys[%d] must be an object", field,
                index - 1)
        end
    end

    return nil
end


--- Check a client id: 1 to 64 letters, digits and `.-_:/`, not starting with
-- one of those punctuation characters.
-- @tparam string field parameter name for the message (`ClientId`,
-- `ClientId[0]`)
-- @tparam string value
-- @treturn nil|string error code
-- @treturn string message
function _M.client_id(field, value)
    if #value == 0 or #value > MAX_CLIENT_ID then
        return INVALID_VALUE, string.format("%s must be 1 to %d characters long", field,
            MAX_CLIENT_ID)
    end
    if not value:find("^[%w.%-_:/]+$") then
        return INVALID_VALUE, field .. " may contain only letters, digits and . - _ : /"
    end
    if not value:find("^%w") then
        return INVALID_VALUE, field .. " must start with a letter or a digit"
    end
    return nil
end


--- Check a MappingFiled value: 1 to 255 characters of letters, digits, CJK
-- ideographs and `@&_[]-`.
-- @tparam string field
-- @tparam string value
-- @treturn nil|string error code
-- @treturn string message
function _M.mapping_filed(field, value)
    local points = code_points(value)
    if not points then
        return INVALID_VALUE, field .. " is not valid UTF-8"
    end
    if #points == 0 or #points > MAX_MAPPING_FILED then
        return INVALID_VALUE, string.format("%s must be 1 to %d characters long", field,
            MAX_MAPPING_FILED)
    end

    local punctuation = { [0x40] = true, [0x26] = true, [0x5F] = true, [0x5B] = true,
        [0x5D] = true, [0x2D] = true }
    for _, point in ipairs(points) do
        if not (is_ascii_alphanumeric(point) or is_cjk(point) or punctuation[point]) then
            return INVALID_VALUE, field
                .. " may contain only letters, digits, CJK characters and @ & _ [ ] -"
        end
    end
    return nil
end


--- Check a Description: valid UTF-8, at most 255 characters.
-- @tparam string field
-- @tparam string value
-- @treturn nil|string error code
-- @treturn string message
function _M.description(field, value)
    local length = utf8.len(value)
    if not length then
        return INVALID_VALUE, field .. " is not valid UTF-8"
    end
    if length > MAX_DESCRIPTION then
        return INVALID_VALUE, string.format("%s must be at most %d characters long, got %d",
            field, MAX_DESCRIPTION, length)
    end
    return nil
end


--- Check ResponseType: only `id_token`.
function _M.response_type(field, value)
    if value ~= "id_token" then
        return INVALID_VALUE, field .. " must be id_token, got " .. value
    end
    return nil
end


--- Check ResponseMode: `form_post` or `fragment`.
function _M.response_mode(field, value)
    if value ~= "form_post" and value ~= "fragment" then
        return INVALID_VALUE, field .. " must be form_post or fragment, got " .. value
    end
    return nil
end


--- Check Scope: every entry one of `openid`, `email`, `profile`.
function _M.scope(field, value)
    for index, entry in ipairs(value) do
        if not SCOPES[entry] then
            return INVALID_VALUE, string.format(
                "%s[%d] must be openid, email or profile, got %s", field, index - 1, entry)
        end
    end
    return nil
end


--- Check AutoRotateKey: 0 (off) or 1 (on).
function _M.auto_rotate_key(field, value)
    if value ~= 0 and value ~= 1 then
        return INVALID_VALUE, string.format("%s must be 0 or 1, got %d", field, value)
    end
    return nil
end


--- Check a role-SSO ClientId list: non-empty, each entry a valid client id.
function _M.client_id_list(field, value)
    if #value == 0 then
        return INVALID_VALUE, field .. " must contain at least one client id"
    end
    for index, entry in ipairs(value) do
        local code, message = _M.client_id(string.format("%s[%d]", field, index - 1), entry)
        if code then
            return code, message
        end
    end
    return nil
end


--- Check a role-SSO provider Name: 1 to 128 letters, digits and `+=,.@-_`.
function _M.name(field, value)
    if #value == 0 or #value > MAX_NAME then
        return NAME_ERROR, string.format("%s must be 1 to %d characters long", field, MAX_NAME)
    end
    if not value:find("^[%w+=,.@%-_]+$") then
        return NAME_ERROR, field .. " may contain only letters, digits and + = , . @ - _"
    end
    return nil
end


return _M
