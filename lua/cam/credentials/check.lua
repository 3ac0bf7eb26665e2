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

local byte = string.byte
local char = string.char
local find = string.find
local format = string.format
local pairs = pairs
local type = type

local _M = {
    NOT_FOUND = "CredentialsNotFound",
    INVALID = "InvalidCredentials",
}


--- Say what is wrong with one credential value, or return nil.
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
