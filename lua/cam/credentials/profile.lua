--- Credentials from the Tencent Cloud credentials file, an INI file.
--
-- The file is `$TENCENTCLOUD_CREDENTIALS_FILE` when that is set and not
-- empty; otherwise the first of `~/.tencentcloud/credentials` and
-- `/etc/tencentcloud/credentials` that exists. A section per profile contains
-- `secret_id`, `secret_key` and optionally `token`:
--
--     [default]
--     secret_id = AKID...
--     secret_key = ...
--
-- Lines starting with `#` or `;` are comments; `key: value` also works. A
-- UTF-8 byte order mark at the start of the file is skipped.
-- Spaces around the separator are syntax. A value that still has leading
-- or trailing whitespace (a trailing space, a tab) is rejected with an error
-- naming the file, profile and key, because it would be signed as is.
-- @module cam.credentials.profile

local check = require("cam.credentials.check")

local concat = table.concat
local error = error
local open = io.open
local pairs = pairs
local setmetatable = setmetatable
local sort = table.sort
local type = type

local _M = {
    --- Environment variable naming the credentials file.
    FILE_ENV = "TENCENTCLOUD_CREDENTIALS_FILE",
    --- The file read when neither the variable nor the home file exists.
    SYSTEM_FILE = "/etc/tencentcloud/credentials",
    DEFAULT_PROFILE = "default",
}

local mt = {}
mt.__index = mt


local function getenv(name)
    return os.getenv(name)
end


--- Parse INI text into sections of key-value tables.
-- Keys are lower-cased; values keep everything after the separator's
-- spaces, up to the end of the line (without a final carriage return).
-- @tparam string text the file's contents
-- @treturn[1] table sections by name
-- @treturn[2] nil
-- @treturn[2] string the first malformed line's number and problem
function _M.parse(text)
    local sections = {}
    local current
    local number = 0

    -- Windows editors often save UTF-8 files with a byte order mark.
    if text:sub(1, 3) == "\239\187\191" then
        text = text:sub(4)
    end

    for line in (text .. "\n"):gmatch("([^\n]*)\n") do
        number = number + 1
        line = line:gsub("\r$", "")
        local content = line:match("^[ \t]*(.-)$")

        if content:find("^%s*$") or content:find("^[#;]") then
            -- A blank line or a comment.
        elseif content:find("^%[") then
            local name = content:match("^%[[ \t]*(.-)[ \t]*%][ \t]*$")
            if name == nil or name == "" then
                return nil, "line " .. number .. " is not a [section] header"
            end
            current = sections[name] or {}
            sections[name] = current
        else
            local key, value = content:match("^([^=:]-)[ \t]*[=:][ \t]*(.*)$")
            if key == nil or key == "" then
                return nil, "line " .. number .. " is not 'key = value'"
            end
            if current == nil then
                return nil, "line " .. number .. " comes before any [section]"
            end
            current[key:lower()] = value
        end
    end
    return sections
end


local function readable(path)
    local file = open(path, "rb")

    if file == nil then
        return false
    end
    file:close()
    return true
end


--- Find the credentials file to read.
-- @tparam[opt] string file a path that overrides the search
-- @treturn[1] string the path
-- @treturn[2] nil
-- @treturn[2] string the places searched, for a message
function _M.locate(file)
    if file ~= nil then
        return file
    end

    local from_env = getenv(_M.FILE_ENV)
    if from_env ~= nil and from_env ~= "" then
        return from_env
    end

    local searched = {}
    local home = getenv("HOME")
    if home ~= nil and home ~= "" then
        local path = home .. "/.tencentcloud/credentials"
        if readable(path) then
            return path
        end
        searched[#searched + 1] = path
    end
    if readable(_M.SYSTEM_FILE) then
        return _M.SYSTEM_FILE
    end
    searched[#searched + 1] = _M.SYSTEM_FILE
    return nil, concat(searched, " or ")
end


local function section_names(sections)
    local names = {}

    for name in pairs(sections) do
        names[#names + 1] = check.visible(name)
    end
    sort(names)
    return #names > 0 and concat(names, ", ") or "none"
end


--- Create a provider that reads a profile of the credentials file.
-- The file is read on every `fetch`, so a rewritten file takes effect at the
-- next refresh.
-- @tparam[opt] table opts `file` (a path; default: the search above) and
--   `profile` (a section name, default `"default"`). When either is given,
--   a missing file or section is an `InvalidCredentials` error; otherwise
--   it is `CredentialsNotFound`, so a chain moves on.
-- @treturn table the provider
-- @raise when an option has the wrong type
function _M.new(opts)
    opts = opts or {}
    if opts.file ~= nil and type(opts.file) ~= "string" then
        error("cam.credentials.profile: option 'file' must be a string", 2)
    end
    if opts.profile ~= nil and (type(opts.profile) ~= "string" or opts.profile == "") then
        error("cam.credentials.profile: option 'profile' must be a"
            .. " non-empty string", 2)
    end

    return setmetatable({
        name = "profile",
        file = opts.file,
        profile = opts.profile or _M.DEFAULT_PROFILE,
        explicit = opts.file ~= nil or opts.profile ~= nil,
    }, mt)
end


--- Read the profile's credentials.
-- @treturn[1] table `secret_id`, `secret_key`, `token` (nil when absent or
--   empty) and `source`
-- @treturn[2] nil
-- @treturn[2] table a credentials error naming the file and profile
function mt:fetch()
    local missing = self.explicit and check.invalid or check.not_found
    local path, searched = _M.locate(self.file)
    if path == nil then
        return nil, missing("no credentials file at " .. searched
            .. "; create one or set " .. _M.FILE_ENV)
    end

    local file = open(path, "rb")
    if file == nil then
        return nil, missing("cannot read the credentials file " .. path)
    end
    local text = file:read("*a")
    file:close()

    local sections, parse_err = _M.parse(text or "")
    if sections == nil then
        return nil, check.invalid("credentials file " .. path .. ": " .. parse_err)
    end

    local shown_profile = check.visible(self.profile)
    local source = "credentials file " .. path .. " [" .. shown_profile .. "]"
    local section = sections[self.profile]
    if section == nil then
        return nil, missing("profile " .. shown_profile .. " is not in " .. path
            .. " (profiles: " .. section_names(sections) .. ")")
    end

    local token = section.token
    if token == "" then
        token = nil
    end
    local creds = { secret_id = section.secret_id, secret_key = section.secret_key,
        token = token, source = source }
    return check.values(creds, { secret_id = source .. " secret_id",
        secret_key = source .. " secret_key", token = source .. " token" })
end


return _M
