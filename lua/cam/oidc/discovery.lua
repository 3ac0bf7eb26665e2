--- OpenID Connect discovery: read an IdP's discovery document and JWKS
-- and turn them into the parameters of `UpdateUserOIDCConfig`.
-- @module cam.oidc.discovery

local client = require("cam.client")
local core = require("cam.core")
local curl = require("cam.transport.curl")
local errors = require("cam.errors")
local json = require("cam.json")
local jwks_util = require("cam.oidc.jwks")
local validate = require("cam.validate")

local concat = table.concat
local error = error
local floor = math.floor
local pairs = pairs
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

--- Largest discovery document or JWKS accepted, in bytes. Real documents
-- are a few kilobytes.
_M.MAX_DOCUMENT_SIZE = 256 * 1024

--- Seconds each fetch may take when `opts.timeout` is not given.
_M.DEFAULT_TIMEOUT = 10

local USER_AGENT = "lua-tencentcloud-cam/" .. client.VERSION .. " (cam.oidc)"

local OPTION_TYPES = {
    client_id = "string",
    mapping_field = "string",
    scope = "table",
    response_mode = "string",
    description = "string",
    ca_file = "string",
    ca_path = "string",
    timeout = "number",
}


local function check_options(opts)
    if opts == nil then
        error("from_discovery: opts with at least client_id are required", 3)
    end
    if type(opts) ~= "table" then
        error("from_discovery: opts must be a table, got " .. type(opts), 3)
    end

    local names = {}
    for name in pairs(OPTION_TYPES) do
        names[#names + 1] = name
    end
    sort(names)

    for name, value in pairs(opts) do
        local expected = OPTION_TYPES[name]
        if expected == nil then
            local hint = validate.suggest(tostring(name), names)
            error("from_discovery: unknown option '" .. tostring(name) .. "'"
                .. (hint and ("; did you mean '" .. hint .. "'?") or ""), 3)
        end
        if type(value) ~= expected then
            error("from_discovery: option '" .. name .. "' must be a "
                .. expected .. ", got " .. type(value), 3)
        end
    end
    if opts.client_id == nil then
        error("from_discovery: option 'client_id' is required: the client ID"
            .. " registered at the IdP", 3)
    end
    if opts.timeout ~= nil and not (opts.timeout > 0 and opts.timeout <= 86400) then
        error("from_discovery: option 'timeout' must be a number of seconds"
            .. " greater than 0 and at most 86400", 3)
    end
end


local function invalid(code, message)
    return nil, errors.new({ kind = "validation", code = code,
        message = message })
end


--- Check a URL with the IdentityUrl rules; return nil or the first
-- problem's message.
local function url_problem(value)
    local _, problems = validate.update_oidc({ IdentityUrl = value })
    for _, problem in pairs(problems or {}) do
        if problem.field == "IdentityUrl" then
            return problem.message
        end
    end
    return nil
end


--- Fetch a JSON object over https with GET.
-- @treturn[1] table the decoded object
-- @treturn[2] nil
-- @treturn[2] table a transport or http error
local function fetch_json(transport, url, document_name, opts)
    local authority = url:match("^https://([^/?#]+)")
    local timeout_ms = floor((opts.timeout or _M.DEFAULT_TIMEOUT) * 1000 + 0.5)

    local response, failure = transport:request({
        method = "GET",
        url = url,
        headers = {
            { "Host", authority },
            { "Accept", "application/json" },
            { "User-Agent", USER_AGENT },
        },
        timeout_ms = timeout_ms,
        connect_timeout_ms = timeout_ms,
        ca_file = opts.ca_file,
        ca_path = opts.ca_path,
        max_body = _M.MAX_DOCUMENT_SIZE,
        allow_http = false,
    })
    if response == nil then
        -- The transport's own size message names a client option that
        -- discovery does not have, so the cap is stated here instead.
        local reason = tostring(failure.message)
        if failure.body_too_large or failure.code == "CURLE_FILESIZE_EXCEEDED" then
            reason = "the document is larger than the cap of "
                .. _M.MAX_DOCUMENT_SIZE .. " bytes"
        end
        return nil, errors.new({
            kind = "transport",
            code = failure.code,
            curl_code = failure.curl_code,
            message = "GET " .. url .. " for the " .. document_name .. " failed: "
                .. reason,
        })
    end

    if response.status ~= 200 then
        return nil, errors.new({
            kind = "http",
            code = "HttpStatusCodeError",
            status = response.status,
            message = "GET " .. url .. " for the " .. document_name
                .. " returned HTTP " .. response.status .. "; expected 200",
        })
    end

    local decoded, decode_err = json.decode(response.body)
    if type(decoded) ~= "table" or json.is_array(decoded) then
        return nil, errors.new({
            kind = "http",
            code = "InvalidResponse",
            status = response.status,
            message = "the " .. document_name .. " at " .. url .. " is not a JSON"
                .. " object" .. (decode_err and (" (" .. decode_err .. ")") or ""),
        })
    end
    return decoded
end


--- Tell whether a discovery list contains a value. The second result is
-- true when the document has the list at all.
local function listed(list, value)
    if type(list) ~= "table" or not json.is_array(list) then
        return false, false
    end
    for i = 1, #list do
        if list[i] == value then
            return true, true
        end
    end
    return false, true
end


--- Check the discovery document; return the problem, or nil.
local function check_document(doc, issuer, response_mode, warnings)
    if doc.issuer ~= issuer then
        return invalid("IssuerMismatch", "issuer mismatch: configured "
            .. issuer .. ", discovered " .. tostring(doc.issuer))
    end

    if type(doc.authorization_endpoint) ~= "string" then
        return invalid("InvalidDiscoveryDocument", "the discovery document"
            .. " has no authorization_endpoint")
    end
    local endpoint_problem = url_problem(doc.authorization_endpoint)
    if endpoint_problem ~= nil then
        return invalid("InvalidDiscoveryDocument", "authorization_endpoint "
            .. doc.authorization_endpoint .. " " .. endpoint_problem)
    end

    if type(doc.jwks_uri) ~= "string" then
        return invalid("InvalidDiscoveryDocument", "the discovery document"
            .. " has no jwks_uri")
    end
    -- Unlike the issuer, jwks_uri may carry a query, so only the scheme
    -- is checked.
    if doc.jwks_uri:match("^https://[^/?#]") == nil then
        return invalid("InvalidDiscoveryDocument", "jwks_uri "
            .. doc.jwks_uri .. " must use https://")
    end

    local has_type, types_listed = listed(doc.response_types_supported,
        "id_token")
    if not has_type then
        return invalid("ResponseTypeUnsupported", "the IdP does not list"
            .. " id_token in response_types_supported"
            .. (types_listed and (" (" .. concat(doc.response_types_supported,
                ", ") .. ")") or " (the list is missing)")
            .. "; CAM signs users in with the implicit id_token flow")
    end

    local has_mode, modes_listed = listed(doc.response_modes_supported,
        response_mode)
    if modes_listed and not has_mode then
        return invalid("ResponseModeUnsupported", "the IdP does not list "
            .. response_mode .. " in response_modes_supported ("
            .. concat(doc.response_modes_supported, ", ") .. ")")
    elseif not modes_listed and response_mode == "form_post" then
        warnings[#warnings + 1] = "the discovery document has no"
            .. " response_modes_supported, whose default (query, fragment)"
            .. " lacks form_post; check that the IdP supports it"
    end
    return nil
end


--- Check requested scopes against scopes_supported, when listed.
local function check_scopes(doc, scope, warnings)
    for i = 1, #scope do
        local has_scope, scopes_listed = listed(doc.scopes_supported, scope[i])
        if scopes_listed and not has_scope then
            warnings[#warnings + 1] = "scope " .. tostring(scope[i])
                .. " is not in the IdP's scopes_supported"
        end
    end
end


--- Fetch and check a discovery document and its JWKS, and build the
-- configuration for `update_oidc`.
-- @tparam string issuer the issuer, exactly as the IdP writes it into `iss`
-- @tparam table opts `client_id` (required), `mapping_field` (default
--   `"sub"`), `scope` (default `{ "openid" }`), `response_mode` (default
--   `"form_post"`), `description`, `ca_file`, `ca_path`, `timeout` (seconds
--   per fetch, default 10)
-- @treturn[1] table the configuration with Lua names
-- @treturn[1] table details: `document`, `jwks` (as fetched),
--   `discovery_url`, `jwks_uri`, `warnings` (list of strings)
-- @treturn[2] nil
-- @treturn[2] table the error
-- @raise on a missing `client_id`, an unknown option or a wrong type
function _M.from_discovery(issuer, opts)
    if type(issuer) ~= "string" then
        error("from_discovery: issuer must be a string, got " .. type(issuer), 2)
    end
    check_options(opts)

    local issuer_problem = url_problem(issuer)
    if issuer_problem ~= nil then
        return invalid("InvalidIssuer", "issuer " .. issuer .. " "
            .. issuer_problem)
    end

    local response_mode = opts.response_mode or "form_post"
    local wanted = opts.scope or { "openid" }
    local scope = json.array({})
    for i = 1, #wanted do
        scope[i] = wanted[i]
    end
    local warnings = {}

    -- OpenID Connect Discovery 1.0 section 4: a terminating / of the issuer
    -- is removed before the well-known path is appended.
    local discovery_url = issuer:gsub("/+$", "")
        .. "/.well-known/openid-configuration"
    local transport = curl.new()
    local doc, doc_err = fetch_json(transport, discovery_url,
        "discovery document", opts)
    if doc == nil then
        transport:close()
        return nil, doc_err
    end

    local _, document_err = check_document(doc, issuer, response_mode, warnings)
    if document_err ~= nil then
        transport:close()
        return nil, document_err
    end
    check_scopes(doc, scope, warnings)

    local jwks, jwks_err = fetch_json(transport, doc.jwks_uri, "JWKS", opts)
    transport:close()
    if jwks == nil then
        return nil, jwks_err
    end
    if type(jwks.keys) ~= "table" or not json.is_array(jwks.keys) then
        return invalid("InvalidJwks", "the JWKS at " .. doc.jwks_uri
            .. " has no keys list")
    end

    local keys, notes = jwks_util.signing_keys(jwks)
    if keys == nil then
        return invalid("InvalidJwks", "the JWKS at " .. doc.jwks_uri .. ": "
            .. notes)
    end
    for i = 1, #notes do
        warnings[#warnings + 1] = notes[i]
    end
    if #keys == 0 then
        return invalid("NoSigningKeys", "the JWKS at " .. doc.jwks_uri
            .. " has no RSA or EC signing key")
    end

    local config = {
        identity_url = issuer,
        identity_key = core.base64_encode(json.encode({
            keys = json.array(keys) })),
        client_id = opts.client_id,
        authorization_endpoint = doc.authorization_endpoint,
        response_type = "id_token",
        response_mode = response_mode,
        mapping_field = opts.mapping_field or "sub",
        scope = scope,
        description = opts.description,
    }
    local _, problems = validate.update_oidc(config)
    if problems ~= nil then
        return nil, errors.validation(problems)
    end

    return config, {
        document = doc,
        jwks = jwks,
        discovery_url = discovery_url,
        jwks_uri = doc.jwks_uri,
        warnings = warnings,
    }
end


return _M
