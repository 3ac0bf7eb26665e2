--- Credentials of a named profile of the Tencent Cloud credentials file.
--
-- A thin wrapper of `cam.credentials.profile`, which does the parsing and
-- the checks (a value with stray whitespace is rejected, never trimmed).
-- The module stays so that code requiring `cam.oidc.profile` keeps working.
-- @module cam.oidc.profile

local profile = require("cam.credentials.profile")

local _M = {}

_M.FILE_ENV = profile.FILE_ENV


--- Load the credentials of a profile.
-- @tparam string name the section name, such as `default`
-- @treturn[1] table `secret_id`, `secret_key`, `token` and `source`
-- @treturn[2] nil
-- @treturn[2] table a credentials error naming the file and profile
-- @raise when `name` is not a non-empty string
function _M.load(name)
    return profile.new({ profile = name }):fetch()
end


return _M
