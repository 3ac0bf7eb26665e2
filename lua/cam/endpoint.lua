--- Endpoint URLs: parsing and the loopback rule.
-- @module cam.endpoint

local error = error
local find = string.find

local _M = {}


--- Tell whether a host name or address is on the loopback interface.
-- @tparam string host a lower-case host, IPv6 addresses in brackets
-- @treturn boolean
function _M.is_loopback(host)
    return host == "localhost" or host == "[::1]"
        or find(host, "^127%.%d+%.%d+%.%d+$") ~= nil
end


--- Split an endpoint URL into the pieces a request needs.
-- Only `https://` is accepted, and `http://` for loopback hosts. The URL
-- may end in `/` but has no other path, no query and no user information.
-- @tparam string url the endpoint
-- @tparam string source what to call the value in errors, such as
--   `"option 'endpoint'"`
-- @tparam number level the level `error` raises at, counted from here
-- @treturn table `url` (normalised, ending in `/`), `host` (the value to sign
--   and send in `Host`, without the port) and `allow_http`
-- @raise when the URL breaks a rule
function _M.parse(url, source, level)
    local scheme, authority, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")

    if scheme == nil then
        error(source .. " '" .. url .. "' is not a URL such as"
            .. " https://cam.tencentcloudapi.com", level)
    end
    scheme = scheme:lower()
    if rest ~= "" and rest ~= "/" then
        error(source .. " '" .. url .. "' must not have a path, query or"
            .. " fragment", level)
    end
    if find(authority, "@", 1, true) then
        error(source .. " must not contain user information", level)
    end

    local host, port = authority:match("^(%[[%x:]+%])(.*)$")
    if host == nil then
        host, port = authority:match("^([^:]*)(.*)$")
    end
    if host == "" or not find(host, "^[%w.%-%[%]:]+$")
        or not (port == "" or find(port, "^:%d+$")) then
        error(source .. " '" .. url .. "' has an invalid host or port", level)
    end
    host = host:lower()

    if scheme == "http" and not _M.is_loopback(host) then
        error(source .. " '" .. url .. "': plain http is allowed only for"
            .. " loopback hosts; use https://", level)
    elseif scheme ~= "http" and scheme ~= "https" then
        error(source .. " '" .. url .. "' must use https://", level)
    end

    return {
        url = scheme .. "://" .. host .. port .. "/",
        host = host,
        allow_http = scheme == "http",
    }
end


return _M
