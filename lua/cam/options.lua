--- The options of `cam.new`: their types and ranges, and the transport and
-- credentials they select.
--
-- Each check takes a stack level for `error`, so that an invalid option is
-- reported at the line that called `cam.new`.
-- @module cam.options

local cache = require("cam.credentials.cache")
local credentials = require("cam.credentials")
local credentials_http = require("cam.credentials.http")
local validate = require("cam.validate")

local error = error
local find = string.find
local floor = math.floor
local pairs = pairs
local pcall = pcall
local require = require
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

--- The options of `cam.new` and the Lua type each one takes.
local OPTION_TYPES = {
    endpoint = "string",
    secret_id = "string",
    secret_key = "string",
    token = "string",
    credentials = "table",
    profile = "string",
    role_arn = "string",
    role_session_name = "string",
    role_duration = "number",
    metadata_url = "string",
    sts_url = "string",
    region = "string",
    refresh_margin = "number",
    timeout = "number",
    connect_timeout = "number",
    ca_file = "string",
    ca_path = "string",
    language = "string",
    dry_run = "boolean",
    logger = "function",
    max_response_size = "number",
    transport = { string = true, table = true,
        expected = "a name or a transport object" },
    allow_blocking = "boolean",
    max_attempts = "number",
    retry_base_delay = "number",
    retry_max_delay = "number",
    retry_deadline = "number",
    rate_limit = { number = true, boolean = true,
        expected = "a number of requests per second, or false" },
    rate_burst = "number",
}

-- Numeric options: the smallest and largest values, whether they must be
-- whole, and the unit for the message.
local NUMBER_RANGES = {
    timeout = { 0, 86400, false, "seconds", exclusive = true },
    connect_timeout = { 0, 86400, false, "seconds", exclusive = true },
    max_response_size = { 1024, 1024 * 1024 * 1024, true, "bytes" },
    max_attempts = { 1, 20, true, "attempts" },
    retry_base_delay = { 0, 60, false, "seconds" },
    retry_max_delay = { 0, 600, false, "seconds" },
    retry_deadline = { 0, 3600, false, "seconds", exclusive = true },
    rate_burst = { 1, 10000, true, "requests" },
    refresh_margin = { 0, 3600, false, "seconds" },
    role_duration = { 1, 43200, true, "seconds" },
}

local LANGUAGES = { ["en-US"] = true, ["zh-CN"] = true }


local function sorted_keys(t)
    local keys = {}

    for k in pairs(t) do
        keys[#keys + 1] = tostring(k)
    end
    sort(keys)
    return keys
end


local function check_types(opts, level)
    for name, value in pairs(opts) do
        local expected = OPTION_TYPES[name]

        if expected == nil then
            local hint = validate.suggest(tostring(name), sorted_keys(OPTION_TYPES))
            error("cam.new: unknown option '" .. tostring(name) .. "'"
                .. (hint and ("; did you mean '" .. hint .. "'?") or ""), level)
        end
        if type(expected) == "table" then
            if not expected[type(value)] then
                error("cam.new: option '" .. name .. "' must be "
                    .. expected.expected .. ", got " .. type(value), level)
            end
        elseif type(value) ~= expected then
            error("cam.new: option '" .. name .. "' must be a " .. expected
                .. ", got " .. type(value), level)
        end
    end
end


local function check_ranges(opts, level)
    for name, range in pairs(NUMBER_RANGES) do
        local v = opts[name]
        local low, high, whole, unit = range[1], range[2], range[3], range[4]

        local above = v ~= nil and (range.exclusive and v > low
            or not range.exclusive and v >= low)
        if v ~= nil and not (above and v <= high and (not whole or floor(v) == v)) then
            error("cam.new: option '" .. name .. "' must be a "
                .. (whole and "whole " or "") .. "number of " .. unit
                .. (range.exclusive and " greater than " or " from ") .. low
                .. (range.exclusive and " and at most " or " to ") .. high, level)
        end
    end

    local rate = opts.rate_limit
    if rate == true then
        error("cam.new: option 'rate_limit' must be a number of requests per"
            .. " second, or false to turn the limit off", level)
    end
    if type(rate) == "number" and not (rate > 0 and rate <= 10000) then
        error("cam.new: option 'rate_limit' must be a number of requests per"
            .. " second greater than 0 and at most 10000, or false", level)
    end
end


local function check_credential_options(opts, level)
    if (opts.secret_id == nil) ~= (opts.secret_key == nil) then
        error("cam.new: options 'secret_id' and 'secret_key' go together;"
            .. " pass both or neither", level)
    end

    local provider = opts.credentials
    if provider ~= nil then
        if type(provider.fetch) ~= "function" and not cache.is_cache(provider) then
            error("cam.new: option 'credentials' must be a credentials provider"
                .. " (see cam.credentials)", level)
        end
        for _, name in pairs({ "secret_id", "token", "profile" }) do
            if opts[name] ~= nil then
                error("cam.new: options 'credentials' and '" .. name .. "' exclude"
                    .. " each other; pass one of them", level)
            end
        end
    end

    if opts.secret_id ~= nil and opts.profile ~= nil then
        error("cam.new: options 'secret_id' and 'profile' exclude each other;"
            .. " pass one of them", level)
    end
    if opts.role_arn ~= nil and not find(opts.role_arn, "^qcs::cam::") then
        error("cam.new: option 'role_arn' must be a role ARN such as"
            .. " qcs::cam::uin/100000000001:roleName/name", level)
    end

    for _, name in pairs({ "role_arn", "region", "profile" }) do
        if opts[name] == "" then
            error("cam.new: option '" .. name .. "' must not be empty", level)
        end
    end
    local session = opts.role_session_name
    if session ~= nil and (#session < 2 or #session > 64
        or not find(session, "^[%w+=,.@_%-]+$")) then
        error("cam.new: option 'role_session_name' must be 2 to 64 letters, digits"
            .. " and +=,.@_-", level)
    end
    for _, name in pairs({ "role_session_name", "role_duration", "region" }) do
        if opts[name] ~= nil and opts.role_arn == nil then
            error("cam.new: option '" .. name .. "' needs 'role_arn'", level)
        end
    end

    for name, http_anywhere in pairs({ metadata_url = true, sts_url = false }) do
        if opts[name] ~= nil then
            local target, problem = credentials_http.base_url(opts[name],
                "option '" .. name .. "'", http_anywhere)
            if target == nil then
                error("cam.new: " .. problem, level)
            end
        end
    end
end


--- Check the options of `cam.new`.
-- @tparam table opts the options
-- @tparam number level the `error` level, counted from this function, of
--   the line that called `cam.new`
-- @raise on an unknown option, a wrong type or range, or an invalid
--   combination or URL
function _M.check(opts, level)
    check_types(opts, level + 1)
    check_ranges(opts, level + 1)
    if opts.language ~= nil and not LANGUAGES[opts.language] then
        error("cam.new: option 'language' must be 'en-US' or 'zh-CN'", level)
    end
    check_credential_options(opts, level + 1)
end


--- Create the transport an option names, or check the object given.
-- A named transport's `new` receives the client options.
function _M.make_transport(choice, opts, level)
    if type(choice) == "table" then
        if type(choice.request) ~= "function" or type(choice.close) ~= "function" then
            error("cam.new: a transport object needs request and close methods", level)
        end
        return choice
    end
    if not find(choice, "^[%a_][%w_]*$") then
        error("cam.new: option 'transport' must be a name such as 'curl'", level)
    end

    local ok, module = pcall(require, "cam.transport." .. choice)
    if not ok then
        error("cam.new: unknown transport '" .. choice .. "': " .. tostring(module), level)
    end
    return module.new(opts)
end


--- Create the cache the client reads its credentials from.
function _M.make_credentials(opts)
    local provider = opts.credentials

    if provider == nil then
        provider = credentials.default(opts)
    elseif opts.role_arn ~= nil then
        provider = credentials.assume_role({
            role_arn = opts.role_arn,
            session_name = opts.role_session_name,
            duration = opts.role_duration,
            base_url = opts.sts_url,
            region = opts.region,
            source = provider,
        })
    end

    if cache.is_cache(provider) then
        if opts.logger ~= nil then
            provider:set_logger(opts.logger)
        end
        return provider
    end
    return cache.new(provider, { margin = opts.refresh_margin, logger = opts.logger })
end


return _M
