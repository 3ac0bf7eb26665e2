--- Checks of credential values, and the errors of the credential providers.
--
-- Every provider returns its failures as `cam.errors` values of kind
-- `"credentials"`. The code `CredentialsNotFound` means the provider's
-- source is not there at all (no variables set, no file, not on a CVM), so
-- a chain moves on to its next provider. `InvalidCredentials` means the
-- source is there but unusable, so a chain stops with it: falling through
-- to another source would sign with an identity the caller did not pick.
-- Other codes describe a source that could not be reached or returned an
-- error.
-- @module cam.credentials.check

local errors = require("cam.errors")
local text_util = require("cam.validate.text")

local byte = string.byte
local char = string.char
local find = string.find
local format = string.format
local gsub = string.gsub
local pairs = pairs
local setmetatable = setmetatable
local type = type
local decode_character = errors.decode_character
local is_invisible = text_util.is_invisible

local _M = {
    NOT_FOUND = "CredentialsNotFound",
    INVALID = "InvalidCredentials",
}


-- Secrets a provider handled to get a credential, by credential table. The
-- keys are weak, so an entry goes with its credential.
local source_secrets = setmetatable({}, { __mode = "k" })

-- UTF-8 encodings of the non-ASCII characters of Unicode's White_Space
-- property, and of the zero-width space and the byte order mark, which
-- editors and web pages also leave around pasted text.
local UNICODE_SPACES = {
    { "\194\133", "U+0085" },
    { "\194\160", "U+00A0" },
    { "\225\154\128", "U+1680" },
    { "\226\128\128", "U+2000" }, { "\226\128\129", "U+2001" },
    { "\226\128\130", "U+2002" }, { "\226\128\131", "U+2003" },
    { "\226\128\132", "U+2004" }, { "\226\128\133", "U+2005" },
    { "\226\128\134", "U+2006" }, { "\226\128\135", "U+2007" },
    { "\226\128\136", "U+2008" }, { "\226\128\137", "U+2009" },
    { "\226\128\138", "U+200A" }, { "\226\128\139", "U+200B" },
    { "\226\128\168", "U+2028" }, { "\226\128\169", "U+2029" },
    { "\226\128\175", "U+202F" }, { "\226\129\159", "U+205F" },
    { "\227\128\128", "U+3000" },
    { "\239\187\191", "U+FEFF" },
}


-- Return the code point of a Unicode space at either end of text, or nil.
local function unicode_space_at_end(text)
    for i = 1, #UNICODE_SPACES do
        local bytes, name = UNICODE_SPACES[i][1], UNICODE_SPACES[i][2]
        if text:sub(1, #bytes) == bytes or text:sub(-#bytes) == bytes then
            return name
        end
    end
    return nil
end


--- Say what is wrong with one credential value, or return nil.
-- Leading or trailing ASCII whitespace, Unicode white space (such as the
-- no-break space U+00A0), the zero-width space and the byte order mark are
-- problems, because the value would be signed with them.
-- @param value the value
-- @treturn string|nil the problem, such as `"is empty"`
function _M.problem(value)
    if value == nil then
        return "is missing"
    end
    if type(value) ~= "string" then
        return "is not a string"
    end
    if value == "" then
        return "is empty"
    end
    if find(value, "^%s") or find(value, "%s$") then
        return "has leading or trailing whitespace"
    end
    local space = unicode_space_at_end(value)
    if space ~= nil then
        return "has leading or trailing Unicode whitespace (" .. space .. ")"
    end
    if find(value, "[%c]") then
        return "contains a control character"
    end
    return nil
end


--- Say what is wrong with a secret id, or return nil.
-- A secret id goes into the `Credential=<id>/<date>/...` part of the
-- `Authorization` header, so it must be visible ASCII without spaces, `,` or
-- `/`. The problem names the byte and its position but never the value,
-- because a secret id with a space may be a secret id and a secret key
-- pasted together.
-- @param value the value
-- @treturn string|nil the problem, such as `"contains a space at byte 5 (...)"`
function _M.secret_id_problem(value)
    local problem = _M.problem(value)
    if problem ~= nil then
        return problem
    end

    local at = find(value, "[%s,/\128-\255]")
    if at == nil then
        return nil
    end

    local code = byte(value, at)
    local description
    if code == 0x20 then
        description = "a space"
    elseif code >= 0x80 then
        description = format("the non-ASCII byte 0x%02X", code)
    else
        description = "'" .. char(code) .. "'"
    end
    return format("contains %s at byte %d (a secret id must be visible ASCII"
        .. " without spaces, ',' or '/')", description, at)
end


--- Escape the characters of a name that a terminal would hide or reorder,
-- so that a message shows the name as it is: ASCII controls and the
-- backslash become `\xNN`, and invisible or bidirectional Unicode
-- characters become `\u{XXXX}`. Other text, including other UTF-8, is kept.
-- @tparam string text such as a profile name
-- @treturn string
function _M.visible(text)
    text = gsub(text, "[%c\\]", function(c)
        return format("\\x%02x", byte(c))
    end)
    text = gsub(text, "[\194-\244][\128-\191]*", function(sequence)
        local point, size = decode_character(sequence, 1)
        if point ~= nil and size == #sequence and is_invisible(point) then
            return format("\\u{%04X}", point)
        end
        return sequence
    end)
    return text
end


--- Record the secrets a provider handled to get a credential, such as the
-- source secret key and token that signed an STS request or a web identity
-- token, so that a client masks them in its errors too. They are never
-- logged.
-- @tparam table creds the credential
-- @tparam table secrets list of strings
-- @treturn table `creds`
function _M.set_source_secrets(creds, secrets)
    source_secrets[creds] = secrets
    return creds
end


--- Return the secrets recorded with `set_source_secrets` for a credential.
-- @tparam table creds the credential
-- @treturn table list of strings, empty when none were recorded
function _M.source_secrets(creds)
    return source_secrets[creds] or {}
end


--- Build a credentials error.
-- The code, the message and the request id may contain text from a server
-- or a transport, so every secret in `secrets` is masked in them (see
-- `cam.errors.new`).
-- @tparam string code such as `"CredentialsNotFound"`
-- @tparam string message what failed and what to do
-- @tparam[opt] table extra more fields, such as `request_id`
-- @tparam[opt] table secrets strings that must not appear in the error: the
--   secret key, token or web identity token the request carried, its
--   signature, and a credential the response carried
-- @treturn table the error
function _M.error(code, message, extra, secrets)
    local fields = { kind = "credentials", code = code, message = message }

    for name, value in pairs(extra or {}) do
        fields[name] = value
    end
    return errors.new(fields, secrets)
end


--- The error of a provider whose source is not there.
-- @tparam string message
-- @treturn table the error
function _M.not_found(message)
    return _M.error(_M.NOT_FOUND, message)
end


--- The error of a source that is there but unusable.
-- @tparam string message
-- @treturn table the error
function _M.invalid(message)
    return _M.error(_M.INVALID, message)
end


--- Check a credential's values before anything is signed with them.
-- A secret id and a secret key are required; a token is optional. The
-- secret id must also pass `secret_id_problem`. An error names where a
-- value came from, and never quotes a value.
-- @tparam table creds `secret_id`, `secret_key`, `token`
-- @tparam table labels how to name each value in an error: `secret_id`,
--   `secret_key`, `token`, such as `"TENCENTCLOUD_SECRET_KEY"`
-- @tparam[opt] boolean token_required true for temporary credentials
-- @treturn[1] table `creds`
-- @treturn[2] nil
-- @treturn[2] table an `InvalidCredentials` error naming the value's source
function _M.values(creds, labels, token_required)
    local names = { "secret_id", "secret_key", "token" }

    for i = 1, #names do
        local name = names[i]
        local value = creds[name]

        if value ~= nil or name ~= "token" or token_required then
            local problem
            if name == "secret_id" then
                problem = _M.secret_id_problem(value)
            else
                problem = _M.problem(value)
            end
            if problem ~= nil then
                return nil, _M.invalid(labels[name] .. " " .. problem
                    .. "; fix the value")
            end
        end
    end
    return creds
end


return _M
