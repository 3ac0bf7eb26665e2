--- Credentials: from options or from the environment.
-- @module cam.credentials

local errors = require("cam.errors")

local find = string.find
local pairs = pairs

local _M = {}


--- Read an environment variable; looked up on every call so that callers
-- and tests can replace `os.getenv`.
local function getenv(name)
    return os.getenv(name)
end


--- Say what is wrong with a credential value, or return nil.
local function trim_problem(value)
    if find(value, "^%s") or find(value, "%s$") then
        return "has leading or trailing whitespace"
    end
    if find(value, "[%c]") then
        return "contains a control character"
    end
    if value == "" then
        return "is empty"
    end
    return nil
end


--- Resolve credentials: the options when given, else the environment
-- (`TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY`, and a token from
-- `TENCENTCLOUD_SESSION_TOKEN` or `TENCENTCLOUD_TOKEN`).
-- @tparam table opts client options: `secret_id`, `secret_key`, `token`
-- @treturn[1] table `secret_id`, `secret_key`, `token`
-- @treturn[2] nil
-- @treturn[2] table a credentials error naming the source of a bad value
function _M.resolve(opts)
    local id, key, token, source

    if opts.secret_id ~= nil then
        id, key, token = opts.secret_id, opts.secret_key, opts.token
        source = { id = "option 'secret_id'", key = "option 'secret_key'",
            token = "option 'token'" }
    else
        id = getenv("TENCENTCLOUD_SECRET_ID")
        key = getenv("TENCENTCLOUD_SECRET_KEY")
        token = opts.token or getenv("TENCENTCLOUD_SESSION_TOKEN")
            or getenv("TENCENTCLOUD_TOKEN")
        source = { id = "TENCENTCLOUD_SECRET_ID", key = "TENCENTCLOUD_SECRET_KEY",
            token = opts.token and "option 'token'"
                or (getenv("TENCENTCLOUD_SESSION_TOKEN")
                    and "TENCENTCLOUD_SESSION_TOKEN" or "TENCENTCLOUD_TOKEN") }
        if id == nil or key == nil then
            return nil, errors.new({
                kind = "credentials",
                code = "CredentialsNotFound",
                message = "no credentials: pass secret_id and secret_key, or set"
                    .. " TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY",
            })
        end
    end

    for field, value in pairs({ id = id, key = key, token = token }) do
        local problem = trim_problem(value)
        if problem then
            return nil, errors.new({
                kind = "credentials",
                code = "InvalidCredentials",
                message = source[field] .. " " .. problem .. "; fix the value",
            })
        end
    end

    return { secret_id = id, secret_key = key, token = token }
end


return _M
