--- Checks of CAM OIDC parameters before a request is signed.
--
-- Each check takes the caller's parameter table, accepts the API's wire
-- names (`IdentityUrl`) and their Lua names (`identity_url`), and returns
-- either a new table with wire names only, ready for `cam.json.encode`, or
-- `nil` and the list of every problem found. A problem is a table
-- `{ field = <wire name>, message = <what is wrong and what to do> }`.
-- Problems are sorted by field and then by message.
--
-- Conventions shared by all checks:
--
-- * A value equal to `json.null` counts as absent, so that a decoded describe
--   result never sends `null`.
-- * Every string must be well-formed UTF-8. Lengths count code points.
-- * Messages quote offending values, cut to 60 bytes, but never the content
--   of `IdentityKey`.
-- @module cam.validate

local core = require("cam.core")
local json = require("cam.json")
local suggest = require("cam.validate.suggest")
local text = require("cam.validate.text")
local url = require("cam.validate.url")
local raw_json = require("cjson.safe").new()

local byte = string.byte
local concat = table.concat
local error = error
local find = string.find
local next = next
local pairs = pairs
local sort = table.sort
local type = type
local base64_decode = core.base64_decode
local utf8_len = core.utf8_len
local utf8_valid = core.utf8_valid
local describe = text.describe
local find_disallowed = text.find_disallowed
local is_ascii_alphanumeric = text.is_ascii_alphanumeric
local is_cjk_ideograph = text.is_cjk_ideograph
local list_disallowed = text.list_disallowed
local list_length = text.list_length
local quote = text.quote
local check_url_text = url.check_url

local _M = {}

local MAX_CLIENT_ID = 64
local MAX_MAPPING_FILED = 255
local MAX_DESCRIPTION = 255
local MAX_NAME = 128
local MAX_QUOTED = text.MAX_QUOTED

local SCOPES = { openid = true, email = true, profile = true }
local DEFAULT_SCOPE = "openid"

-- Output fields of the describe actions. Passing a describe result back
-- into a create or update is a likely mistake, so they get their own message.
local DESCRIBE_OUTPUTS = { ProviderType = true, Status = true, RequestId = true }

local KEY_FIX = "encode the JWKS with cam.identity_key(jwks)"


-- Value checks -----------------------------------------------------------
--
-- Each check takes the value (never nil or json.null), a list to append
-- messages to and, for list items, a label such as "item 2" that starts each
-- message. It returns the wire value, or nil after appending.

local function add(messages, label, text)
    messages[#messages + 1] = label and (label .. " " .. text) or text
end


local function check_string(value, messages, label)
    if type(value) ~= "string" then
        add(messages, label, "must be a string, got " .. describe(value))
        return nil
    end

    local ok, offset = utf8_valid(value)
    if not ok then
        add(messages, label, "is not valid UTF-8 (invalid byte at offset "
            .. offset .. "); pass UTF-8 text")
        return nil
    end
    return value
end


--- Check an IdP URL (`IdentityUrl`, `AuthorizationEndpoint`): a string of
-- valid UTF-8 that `cam.validate.url` accepts.
local function check_url(value, messages)
    if check_string(value, messages) == nil then
        return nil
    end
    return check_url_text(value, messages)
end


local function is_client_id_char(point)
    return is_ascii_alphanumeric(point)
        or point == 0x2E or point == 0x2D or point == 0x5F      -- . - _
        or point == 0x3A or point == 0x2F                       -- : /
end


-- The ASCII characters of is_client_id_char, as an anchored pattern. The
-- ranges are explicit because %w follows the C library's locale.
local CLIENT_ID_ASCII = "^[0-9A-Za-z._:/-]*$"


--- Check one client ID: letters, digits and `.-_:/`, starting with a letter
-- or digit, 1 to 64 characters.
local function check_client_id(value, messages, label)
    if check_string(value, messages, label) == nil then
        return nil
    end

    local count = #messages

    if value == "" then
        add(messages, label, "must not be empty; pass the client ID"
            .. " registered at the IdP")
        return nil
    end

    local length = utf8_len(value)
    if length > MAX_CLIENT_ID then
        add(messages, label, "must be at most " .. MAX_CLIENT_ID
            .. " characters, got " .. length)
    end

    local listed, distinct = find_disallowed(value, is_client_id_char,
        CLIENT_ID_ASCII)
    if listed ~= nil then
        add(messages, label, "contains " .. list_disallowed(listed, distinct)
            .. "; use only letters, digits and . - _ : /")
    end
    if not is_ascii_alphanumeric(byte(value, 1)) then
        add(messages, label, "must start with a letter or digit, got "
            .. quote(value))
    end

    if #messages > count then
        return nil
    end
    return value
end


local function is_mapping_char(point)
    return is_ascii_alphanumeric(point) or is_cjk_ideograph(point)
        or point == 0x40 or point == 0x26 or point == 0x5F       -- @ & _
        or point == 0x5B or point == 0x5D or point == 0x2D       -- [ ] -
end


local MAPPING_ASCII = "^[0-9A-Za-z@&_%[%]-]*$"


--- Check a short name: a string of 1 to max characters, each accepted by
-- is_allowed. empty_hint names what to pass instead of an empty string, and
-- allowed_text lists the accepted characters.
local function check_short_name(value, messages, max, is_allowed,
                                ascii_pattern, empty_hint, allowed_text)
    if check_string(value, messages) == nil then
        return nil
    end

    local count = #messages
    local length = utf8_len(value)

    if length == 0 then
        messages[#messages + 1] = "must not be empty; " .. empty_hint
        return nil
    end
    if length > max then
        messages[#messages + 1] = "must be at most " .. max
            .. " characters, got " .. length
    end

    local listed, distinct = find_disallowed(value, is_allowed, ascii_pattern)
    if listed ~= nil then
        messages[#messages + 1] = "contains " .. list_disallowed(listed, distinct)
            .. "; use only " .. allowed_text
    end

    if #messages > count then
        return nil
    end
    return value
end


--- Check MappingFiled: 1 to 255 ASCII letters, digits, CJK ideographs and
-- `@ & _ [ ] -`.
local function check_mapping_filed(value, messages)
    return check_short_name(value, messages, MAX_MAPPING_FILED, is_mapping_char,
        MAPPING_ASCII,
        "name the ID token claim that becomes the sub-user name, such as sub"
            .. " or name",
        "ASCII letters, digits, CJK ideographs and @ & _ [ ] -")
end


local function check_description(value, messages)
    if check_string(value, messages) == nil then
        return nil
    end

    local length = utf8_len(value)
    if length > MAX_DESCRIPTION then
        messages[#messages + 1] = "must be at most " .. MAX_DESCRIPTION
            .. " characters, got " .. length
        return nil
    end
    return value
end


local function check_response_type(value, messages)
    if check_string(value, messages) == nil then
        return nil
    end

    if value ~= "id_token" then
        messages[#messages + 1] = "must be 'id_token', the only value the API"
            .. " accepts, got " .. quote(value) .. "; or leave it out"
        return nil
    end
    return value
end


local function check_response_mode(value, messages)
    if check_string(value, messages) == nil then
        return nil
    end

    if value ~= "form_post" and value ~= "fragment" then
        messages[#messages + 1] = "must be 'form_post' (the default) or"
            .. " 'fragment', got " .. quote(value)
        return nil
    end
    return value
end


--- Check AutoRotateKey: 0, 1 or a boolean, sent as the integer 0 or 1.
local function check_auto_rotate_key(value, messages)
    -- The literals are integers on Lua 5.3 and later, whatever subtype the
    -- caller's number had.
    if value == true or value == 1 then
        return 1
    end
    if value == false or value == 0 then
        return 0
    end

    messages[#messages + 1] = "must be 0, 1 or a boolean, got "
        .. describe(value)
    return nil
end


--- Check a list of strings: a table with keys 1..n whose items are distinct
-- and pass `check_item`. Returns a copy marked as a JSON array.
local function check_string_list(value, messages, check_item, example)
    if type(value) == "string" then
        messages[#messages + 1] = "must be a list of strings, got "
            .. describe(value) .. "; pass a list such as " .. example
        return nil
    end
    if type(value) ~= "table" then
        messages[#messages + 1] = "must be a list of strings such as "
            .. example .. ", got " .. describe(value)
        return nil
    end

    local length = list_length(value)
    if length == nil then
        messages[#messages + 1] = "must be a list (a table with keys 1..n)"
            .. " such as " .. example .. ", got a table with other keys"
        return nil
    end

    local count = #messages
    local copy = {}
    local seen = {}

    for i = 1, length do
        local item = check_item(value[i], messages, "item " .. i)

        if item ~= nil then
            if seen[item] then
                messages[#messages + 1] = "item " .. i .. " " .. quote(item)
                    .. " repeats item " .. seen[item] .. "; list each value once"
            else
                seen[item] = i
            end
        end
        copy[i] = item
    end

    if #messages > count then
        return nil
    end
    return json.array(copy)
end


local function check_scope_item(value, messages, label)
    if check_string(value, messages, label) == nil then
        return nil
    end

    if not SCOPES[value] then
        add(messages, label, "is " .. quote(value) .. "; allowed values are"
            .. " openid, email and profile")
        return nil
    end
    return value
end


--- Check Scope. An empty list means the API's default, `{ "openid" }`.
local function check_scope(value, messages)
    local scope = check_string_list(value, messages, check_scope_item,
        "{ 'openid', 'email' }")

    if scope ~= nil and #scope == 0 then
        scope[1] = DEFAULT_SCOPE
    end
    return scope
end


--- Check the role-SSO ClientId: a non-empty list of distinct client IDs.
local function check_client_id_list(value, messages)
    local ids = check_string_list(value, messages, check_client_id,
        "{ 'my-client-id' }")

    if ids ~= nil and #ids == 0 then
        messages[#messages + 1] = "must not be empty; list the client IDs"
            .. " registered at the IdP"
        return nil
    end
    return ids
end


local function is_name_char(point)
    return is_ascii_alphanumeric(point)
        or point == 0x2B or point == 0x3D or point == 0x2C       -- + = ,
        or point == 0x2E or point == 0x40 or point == 0x2D       -- . @ -
        or point == 0x5F                                         -- _
end


local NAME_ASCII = "^[0-9A-Za-z+=,.@_-]*$"


--- Check an identity provider name: 1 to 128 of letters, digits, `+=,.@-_`.
local function check_name(value, messages)
    return check_short_name(value, messages, MAX_NAME, is_name_char, NAME_ASCII,
        "pass the identity provider name", "letters, digits and + = , . @ - _")
end


--- Check IdentityKey: standard base64 of a JWKS, a JSON object whose `keys`
-- array is non-empty and whose members are objects with a string `kty`.
-- Messages never quote the value, which may be long and is key material.
-- The last IdentityKey that passed every check: scripts and servers send
-- the same key on call after call, and decoding it is most of the cost of
-- validating a configuration.
local last_good_key

local function check_identity_key(value, messages)
    if value == last_good_key and value ~= nil then
        return value
    end
    if type(value) ~= "string" then
        messages[#messages + 1] = "must be a string, got " .. type(value)
            .. "; " .. KEY_FIX
        return nil
    end

    local problem
    if value == "" then
        problem = "must not be empty"
    elseif find(value, "[%s]") then
        problem = "is not standard base64: it contains white space or line"
            .. " breaks"
    elseif find(value, "[-_]") then
        problem = "is not standard base64: it uses the URL-safe alphabet"
            .. " (- and _ in place of + and /)"
    elseif #value % 4 ~= 0 then
        problem = "is not standard base64: its length " .. #value
            .. " is not a multiple of 4, so = padding is missing"
    end

    local text, decode_err
    if problem == nil then
        text, decode_err = base64_decode(value)
        if text == nil then
            problem = "is not standard base64 (" .. decode_err .. ")"
        end
    end
    if problem ~= nil then
        messages[#messages + 1] = problem .. "; " .. KEY_FIX
        return nil
    end

    if find(text, "[%z\1-\8\11\12\14-\31\127]") then
        messages[#messages + 1] = "decodes to text with control characters"
            .. " outside JSON strings; " .. KEY_FIX
        return nil
    end

    local jwks, json_err = json.decode(text)
    if jwks == nil then
        messages[#messages + 1] = "does not decode to JSON (" .. json_err
            .. "); " .. KEY_FIX
        return nil
    end
    if type(jwks) ~= "table" or json.is_array(jwks) then
        messages[#messages + 1] = "decodes to JSON that is not an object;"
            .. " expected a JWKS such as {\"keys\": [...]}; " .. KEY_FIX
        return nil
    end

    local keys = jwks.keys
    local defect
    if keys == nil then
        defect = "no keys array"
    elseif type(keys) == "table" and next(keys) == nil then
        -- `{}` as well as `[]`: an empty Lua table encodes as an object.
        defect = "an empty keys array"
    elseif not json.is_array(keys) then
        defect = "keys that is not an array"
    end
    if defect ~= nil then
        messages[#messages + 1] = "decodes to a JWKS with " .. defect
            .. "; include the IdP's signing keys and " .. KEY_FIX
        return nil
    end

    -- json.decode drops null members, so look at the text as parsed.
    local raw = raw_json.decode(text)
    if type(raw) == "table" and type(raw.keys) == "table" then
        for i = 1, #raw.keys do
            if raw.keys[i] == raw_json.null then
                messages[#messages + 1] = "key " .. i .. " of the JWKS is null;"
                    .. " each key must be a JWK such as {\"kty\": \"RSA\", ...}"
                return nil
            end
        end
    end

    local count = #messages
    for i = 1, #keys do
        local key = keys[i]

        if type(key) ~= "table" or json.is_array(key) then
            messages[#messages + 1] = "key " .. i .. " of the JWKS is not an"
                .. " object; each key must be a JWK such as {\"kty\": \"RSA\", ...}"
        elseif type(key.kty) ~= "string" then
            messages[#messages + 1] = "key " .. i .. " of the JWKS has no kty"
                .. " string; each key must name its type, such as \"RSA\""
        end
    end

    if #messages > count then
        return nil
    end
    last_good_key = value
    return value
end


-- Field tables -----------------------------------------------------------
--
-- `lua` lists the Lua names of a field, `required` gives the fix for a
-- missing value, and `default` makes the value when the field is absent.

local function default_scope()
    return json.array({ DEFAULT_SCOPE })
end

local function default_response_type()
    return "id_token"
end

local function default_response_mode()
    return "form_post"
end


local USER_OIDC_FIELDS = {
    {
        wire = "IdentityUrl", lua = { "identity_url" }, check = check_url,
        required = "pass the IdP's issuer URL, such as https://idp.example.com",
    },
    {
        wire = "IdentityKey", lua = { "identity_key" },
        check = check_identity_key,
        required = "pass the IdP's JWKS, encoded with cam.identity_key(jwks)",
    },
    {
        wire = "ClientId", lua = { "client_id" }, check = check_client_id,
        required = "pass the client ID registered at the IdP",
    },
    {
        wire = "AuthorizationEndpoint", lua = { "authorization_endpoint" },
        check = check_url,
        required = "pass the IdP's authorization_endpoint URL",
    },
    {
        wire = "ResponseType", lua = { "response_type" },
        check = check_response_type, default = default_response_type,
    },
    {
        wire = "ResponseMode", lua = { "response_mode" },
        check = check_response_mode, default = default_response_mode,
    },
    {
        wire = "MappingFiled", lua = { "mapping_field", "mapping_filed" },
        check = check_mapping_filed,
        required = "name the ID token claim that becomes the sub-user name,"
            .. " such as sub or name",
    },
    {
        wire = "Scope", lua = { "scope" }, check = check_scope,
        default = default_scope,
    },
    {
        wire = "Description", lua = { "description" },
        check = check_description,
    },
    {
        wire = "AutoRotateKey", lua = { "auto_rotate_key" },
        check = check_auto_rotate_key,
    },
}

local ROLE_OIDC_FIELDS = {
    {
        wire = "Name", lua = { "name" }, check = check_name,
        required = "pass the identity provider name",
    },
    {
        wire = "IdentityUrl", lua = { "identity_url" }, check = check_url,
        required = "pass the IdP's issuer URL, such as https://idp.example.com",
    },
    {
        wire = "ClientId", lua = { "client_id", "client_ids" },
        check = check_client_id_list,
        required = "pass the list of client IDs registered at the IdP",
    },
    {
        wire = "IdentityKey", lua = { "identity_key" },
        check = check_identity_key,
        required = "pass the IdP's JWKS, encoded with cam.identity_key(jwks)",
    },
    {
        wire = "Description", lua = { "description" },
        check = check_description,
    },
    {
        wire = "AutoRotateKey", lua = { "auto_rotate_key" },
        check = check_auto_rotate_key,
    },
}

local NAME_FIELDS = {
    {
        wire = "Name", lua = { "name" }, check = check_name,
        required = "pass the identity provider name",
    },
}


--- Build the lookup tables of a field table: accepted name to field, and the
-- sorted lists of all accepted names and of the wire names.
local function index_fields(fields)
    local by_name = {}
    local names = {}
    local wire_names = {}

    for i = 1, #fields do
        local field = fields[i]

        by_name[field.wire] = field
        names[#names + 1] = field.wire
        wire_names[#wire_names + 1] = field.wire
        for j = 1, #field.lua do
            by_name[field.lua[j]] = field
            names[#names + 1] = field.lua[j]
        end
    end
    sort(names)
    sort(wire_names)

    return { fields = fields, by_name = by_name, names = names,
        wire_names = wire_names }
end

local USER_OIDC = index_fields(USER_OIDC_FIELDS)
local ROLE_OIDC = index_fields(ROLE_OIDC_FIELDS)
local NAME_ONLY = index_fields(NAME_FIELDS)


-- Did you mean -----------------------------------------------------------

--- Suggest the candidate closest to a misspelt name, or return nil when
-- none is close enough. `cam.validate.suggest` describes the rules.
-- @function suggest
_M.suggest = suggest.suggest


-- Field engine -----------------------------------------------------------

--- Show a parameter name in a problem, made safe for one line.
local function display_name(name)
    if find(name, "^[%w_.-]+$") and #name <= MAX_QUOTED then
        return name
    end
    if not utf8_valid(name) then
        return "(a name that is not valid UTF-8)"
    end
    return quote(name)
end


local function unknown_name_message(name, spec)
    if DESCRIBE_OUTPUTS[name] then
        return "is an output of the describe action and cannot be set;"
            .. " remove it when passing a describe result back"
    end

    local hint = _M.suggest(name, spec.names)
    if hint ~= nil then
        return "unknown parameter; did you mean '" .. hint .. "'?"
    end
    return "unknown parameter; the accepted wire names are "
        .. concat(spec.wire_names, ", ") .. ", or their snake_case Lua names"
end


local function sort_problems(problems)
    sort(problems, function(a, b)
        if a.field ~= b.field then
            return a.field < b.field
        end
        return a.message < b.message
    end)
end


--- Check params against a field table and build the wire table.
local function check_params(spec, params, caller)
    if type(params) ~= "table" then
        error(caller .. ": params must be a table, got " .. type(params), 3)
    end

    local problems = {}
    -- The value and the name each field was given under, by wire name.
    -- `repeated` lists every name of a field given under more than one.
    local supplied = {}
    local supplied_as = {}
    local repeated

    for name, value in pairs(params) do
        if type(name) ~= "string" then
            problems[#problems + 1] = {
                field = "params",
                message = "has the " .. describe(name) .. " as a key;"
                    .. " parameter names are strings such as 'IdentityUrl'",
            }
        else
            local field = spec.by_name[name]

            if field == nil then
                problems[#problems + 1] = {
                    field = display_name(name),
                    message = unknown_name_message(name, spec),
                }
            elseif value ~= json.null then
                local wire_name = field.wire

                if supplied_as[wire_name] == nil then
                    supplied[wire_name] = value
                    supplied_as[wire_name] = name
                else
                    repeated = repeated or {}
                    local names = repeated[wire_name]
                        or { supplied_as[wire_name] }
                    names[#names + 1] = name
                    repeated[wire_name] = names
                end
            end
        end
    end

    local wire = {}
    -- One list collects the messages of each field in turn.
    local messages = {}
    for i = 1, #spec.fields do
        local field = spec.fields[i]
        local wire_name = field.wire
        local names = repeated and repeated[wire_name]

        if names ~= nil then
            sort(names)
            messages[1] = "is given more than once, as '"
                .. concat(names, "' and '") .. "'; pass only one"
        elseif supplied_as[wire_name] ~= nil then
            wire[wire_name] = field.check(supplied[wire_name], messages)
        elseif field.default ~= nil then
            wire[wire_name] = field.default()
        elseif field.required ~= nil then
            local all_names = wire_name .. " or " .. concat(field.lua, " or ")
            messages[1] = "is required (" .. all_names .. "); "
                .. field.required
        end

        if #messages > 0 then
            for j = 1, #messages do
                problems[#problems + 1] = { field = wire_name,
                    message = messages[j] }
                messages[j] = nil
            end
        end
    end

    if #problems > 0 then
        sort_problems(problems)
        return nil, problems
    end
    return wire
end


-- Public checks ----------------------------------------------------------

--- Check the parameters of `UpdateUserOIDCConfig` and `CreateUserOIDCConfig`.
-- Required: IdentityUrl, IdentityKey, ClientId, AuthorizationEndpoint and
-- MappingFiled. ResponseType defaults to `id_token`, ResponseMode to
-- `form_post`, and Scope to `{ "openid" }` when absent or empty. Description
-- and AutoRotateKey are sent only when given. The Lua name of MappingFiled
-- is `mapping_field`, and the API's spelling `mapping_filed` works too.
-- @tparam table params the parameters, by wire name or Lua name
-- @tparam[opt] string action the action name; not used by the checks
-- @treturn[1] table the parameters by wire name, with Scope marked as a JSON
--   array
-- @treturn[2] nil
-- @treturn[2] table the list of problems, `{ field = ..., message = ... }`,
--   sorted by field
-- @raise when `params` is not a table
function _M.update_oidc(params, action)
    return check_params(USER_OIDC, params, "validate.update_oidc")
end


--- Check the parameters of `CreateOIDCConfig` and `UpdateOIDCConfig`.
-- Required: Name, IdentityUrl, ClientId (a non-empty list of distinct client
-- IDs, Lua name `client_id` or `client_ids`) and IdentityKey. Description
-- and AutoRotateKey are sent only when given.
-- @tparam table params the parameters, by wire name or Lua name
-- @tparam[opt] string action the action name; not used by the checks
-- @treturn[1] table the parameters by wire name, with ClientId marked as a
--   JSON array
-- @treturn[2] nil
-- @treturn[2] table the list of problems, sorted by field
-- @raise when `params` is not a table
function _M.role_oidc(params, action)
    return check_params(ROLE_OIDC, params, "validate.role_oidc")
end


--- Check the parameters of `DescribeOIDCConfig` and `DeleteOIDCConfig`:
-- only Name (Lua name `name`).
-- @tparam table params the parameters
-- @tparam[opt] string action the action name; not used by the checks
-- @treturn[1] table `{ Name = ... }`
-- @treturn[2] nil
-- @treturn[2] table the list of problems
-- @raise when `params` is not a table
function _M.name(params, action)
    return check_params(NAME_ONLY, params, "validate.name")
end


return _M
