--- Credentials from a named profile of the Tencent Cloud credentials file.
--
-- The file is INI text: `[name]` sections with `secret_id`, `secret_key`
-- and optionally `token`, written `key = value` or `key: value`. Lines
-- starting with `#` or `;` are comments. Values are trimmed of white space.
-- The file is `$TENCENTCLOUD_CREDENTIALS_FILE` when that is set, else
-- `~/.tencentcloud/credentials`.
-- @module cam.oidc.profile

local errors = require("cam.errors")

local concat = table.concat
local ipairs = ipairs
local open = io.open
local pairs = pairs
local sort = table.sort

local _M = {}

_M.FILE_ENV = "TENCENTCLOUD_CREDENTIALS_FILE"


local function credentials_error(code, message)
    return nil, errors.new({ kind = "credentials", code = code,
        message = message })
end


--- Return the path of the credentials file, or nil and a message.
function _M.path()
    local from_env = os.getenv(_M.FILE_ENV)
    if from_env ~= nil and from_env ~= "" then
        return from_env
    end
    local home = os.getenv("HOME")
    if home == nil or home == "" then
        return nil, "HOME is not set; set " .. _M.FILE_ENV
            .. " to the credentials file"
    end
    return home .. "/.tencentcloud/credentials"
end


--- Parse INI text into sections of key-value tables.
-- @treturn[1] table sections by name
-- @treturn[2] nil
-- @treturn[2] string the first malformed line
function _M.parse(text)
    local sections = {}
    local current
    local number = 0

    for line in (text .. "\n"):gmatch("([^\n]*)\n") do
        number = number + 1
        line = line:gsub("\r$", ""):match("^%s*(.-)%s*$")

        if line == "" or line:find("^[#;]") then
            -- blank or comment
        elseif line:find("^%[") then
            local name = line:match("^%[%s*(.-)%s*%]$")
            if name == nil or name == "" then
                return nil, "line " .. number .. " is not a [section] header"
            end
            current = sections[name] or {}
            sections[name] = current
        else
            local key, value = line:match("^([^=:]-)%s*[=:]%s*(.*)$")
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


--- Load the credentials of a profile.
-- @tparam string name the section name, such as `default`
-- @treturn[1] table `secret_id`, `secret_key`, `token` (nil when absent),
--   `source` (`"<file> [<name>]"`)
-- @treturn[2] nil
-- @treturn[2] table a credentials error naming the file and section
function _M.load(name)
    local path, path_err = _M.path()
    if path == nil then
        return credentials_error("CredentialsNotFound", path_err)
    end

    local file = open(path, "rb")
    if file == nil then
        return credentials_error("CredentialsNotFound", "cannot read the"
            .. " credentials file " .. path .. "; create it or set "
            .. _M.FILE_ENV)
    end
    local text = file:read("a")
    file:close()

    local sections, parse_err = _M.parse(text or "")
    if sections == nil then
        return credentials_error("InvalidCredentials", path .. ": " .. parse_err)
    end

    local section = sections[name]
    local source = path .. " [" .. name .. "]"
    if section == nil then
        local names = {}
        for section_name in pairs(sections) do
            names[#names + 1] = section_name
        end
        sort(names)
        return credentials_error("CredentialsNotFound", "profile " .. name
            .. " is not in " .. path .. " (profiles: "
            .. (#names > 0 and concat(names, ", ") or "none") .. ")")
    end
    for _, key in ipairs({ "secret_id", "secret_key" }) do
        if section[key] == nil or section[key] == "" then
            return credentials_error("InvalidCredentials", source .. " has no "
                .. key)
        end
    end

    local token = section.token
    if token == "" then
        token = nil
    end
    return { secret_id = section.secret_id, secret_key = section.secret_key,
        token = token, source = source }
end


return _M
