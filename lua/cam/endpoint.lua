--- Endpoint URLs: parsing, host checks and the loopback rule.
-- @module cam.endpoint

local byte = string.byte
local error = error
local ipairs = ipairs
local find = string.find
local floor = math.floor
local gmatch = string.gmatch
local gsub = string.gsub
local sub = string.sub
local tonumber = tonumber

local DOT = 46
local HYPHEN = 45
local OPEN_BRACKET = 91

local _M = {}


--- Quote a value for an error message: at most 100 bytes, with control
-- characters, quotes and backslashes shown as `\xNN`.
-- @tparam string value
-- @treturn string the quoted text
function _M.quote(value)
    local text = value
    if #text > 100 then
        text = text:sub(1, 100) .. "..."
    end
    text = gsub(text, "[%c\"\\]", function(c)
        return ("\\x%02x"):format(c:byte())
    end)
    return "'" .. text .. "'"
end


local function valid_ipv4(host)
    local a, b, c, d = host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    if a == nil then
        return false
    end
    -- A leading zero is rejected, because some resolvers read such an
    -- octet as octal.
    for _, octet in ipairs({ a, b, c, d }) do
        if #octet > 3 or tonumber(octet) > 255 or find(octet, "^0%d") then
            return false
        end
    end
    return true
end


--- Count the groups of a colon-separated run of 1 to 4 hex digits each,
-- such as `2001:db8`. The empty string has no groups.
-- @treturn number|nil the count, or nil when a group is empty or too long
local function count_hex_groups(text)
    if text == "" then
        return 0
    end

    local count = 0
    for group in gmatch(text .. ":", "([^:]*):") do
        if not find(group, "^%x%x?%x?%x?$") then
            return nil
        end
        count = count + 1
    end
    return count
end


--- Tell whether text is an IPv6 address in the text form of RFC 4291
-- section 2.2, which is the `IPv6address` rule of RFC 3986. That is eight
-- groups of 1 to 4 hex digits separated by `:`, or at most seven around one
-- `::` that is the missing zero groups. The last two groups may be written
-- as a dotted IPv4 address, as in `::ffff:192.0.2.1`. Zone identifiers
-- (`fe80::1%eth0`) are not accepted.
-- @tparam string text the address, without brackets
-- @treturn boolean
function _M.valid_ipv6(text)
    -- 45 bytes is the longest form, six groups of four and an IPv4 address.
    if #text > 45 or not find(text, "^[%x:.]+$") then
        return false
    end

    local groups = 0
    if find(text, ".", 1, true) then
        local head, ipv4 = text:match("^(.*:)([%d.]+)$")
        -- RFC 3986 writes the octets of the embedded address without
        -- leading zeros.
        if head == nil or not valid_ipv4(ipv4) or find("." .. ipv4, "%.0%d") then
            return false
        end
        -- Drop the ':' before the IPv4 address unless it ends a "::".
        if sub(head, -2) ~= "::" then
            head = sub(head, 1, -2)
        end
        text = head
        groups = 2
    end

    local gap = find(text, "::", 1, true)
    if gap == nil then
        local count = count_hex_groups(text)
        return count ~= nil and groups + count == 8
    end

    -- A second "::" (":::" included) is ambiguous.
    if find(text, "::", gap + 1, true) then
        return false
    end
    local before = count_hex_groups(sub(text, 1, gap - 1))
    local after = count_hex_groups(sub(text, gap + 2))
    return before ~= nil and after ~= nil and groups + before + after <= 7
end


--- Expand a valid IPv6 address into its eight 16-bit groups.
-- @tparam string text an address that `valid_ipv6` accepts
-- @treturn table eight numbers
local function ipv6_groups(text)
    local tail = {}
    local ipv4 = text:match("([%d.]+)$")
    if ipv4 ~= nil and find(ipv4, ".", 1, true) then
        local a, b, c, d = ipv4:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
        tail = { tonumber(a) * 256 + tonumber(b), tonumber(c) * 256 + tonumber(d) }
        text = sub(text, 1, #text - #ipv4)
        if sub(text, -2) ~= "::" then
            text = sub(text, 1, -2)
        end
    end

    local function parse(part)
        local list = {}
        for group in gmatch(part, "[^:]+") do
            list[#list + 1] = tonumber(group, 16)
        end
        return list
    end

    local head, rest = text, nil
    local gap = find(text, "::", 1, true)
    if gap ~= nil then
        head, rest = sub(text, 1, gap - 1), sub(text, gap + 2)
    end
    local groups = parse(head)
    local after = rest and parse(rest) or {}
    for _ = 1, 8 - #groups - #after - #tail do
        groups[#groups + 1] = 0
    end
    for i = 1, #after do
        groups[#groups + 1] = after[i]
    end
    for i = 1, #tail do
        groups[#groups + 1] = tail[i]
    end
    return groups
end


--- Tell whether a host is a valid DNS name, IPv4 address or bracketed IPv6
-- address (as it appears in a URL).
-- @tparam string host the host part of a URL, lower case
-- @treturn boolean
function _M.valid_host(host)
    if host:sub(1, 1) == "[" then
        return host:sub(-1) == "]" and _M.valid_ipv6(host:sub(2, -2))
    end
    if find(host, "^[%d.]+$") then
        return valid_ipv4(host)
    end
    -- A fully qualified name may end in one dot.
    local name = host
    if byte(host, -1) == DOT then
        name = sub(host, 1, -2)
    end
    if #name > 253 or name == "" or not find(name, "^[%w.-]+$") then
        return false
    end

    -- Each label: 1 to 63 characters, no hyphen at either end.
    local first = 1
    while true do
        local dot = find(name, ".", first, true)
        local last = dot and dot - 1 or #name

        if last < first or last - first >= 63 or byte(name, first) == HYPHEN
            or byte(name, last) == HYPHEN then
            return false
        end
        if dot == nil then
            return true
        end
        first = dot + 1
    end
end


--- Tell whether a host name or address is on the loopback interface.
-- @tparam string host a lower-case host, IPv6 addresses in brackets
-- @treturn boolean
function _M.is_loopback(host)
    if host == "localhost" or host == "[::1]" then
        return true
    end
    if find(host, "^127%.%d+%.%d+%.%d+$") then
        return valid_ipv4(host)
    end

    local inner = host:match("^%[(.*)%]$")
    if inner == nil or not _M.valid_ipv6(inner) then
        return false
    end
    -- Other spellings of ::1, and IPv4-mapped 127.0.0.0/8 (::ffff:127.x.y.z).
    local groups = ipv6_groups(inner)
    for i = 1, 5 do
        if groups[i] ~= 0 then
            return false
        end
    end
    if groups[6] == 0 then
        return groups[7] == 0 and groups[8] == 1
    end
    return groups[6] == 0xFFFF and floor(groups[7] / 256) == 127
end


--- Split an endpoint URL into the pieces a request needs.
-- Only `https://` is accepted, and `http://` for loopback hosts. The URL
-- may end in `/` but has no other path, no query and no user information.
-- @tparam string url the endpoint
-- @tparam string source what to call the value in errors, such as
--   `"cam.new: option 'endpoint'"`
-- @tparam number level the level `error` raises at, counted from here
-- @treturn table `url` (normalised, ending in `/`), `host` (the value to sign
--   and send in `Host`, without the port) and `allow_http`
-- @raise when the URL breaks a rule
function _M.parse(url, source, level)
    local shown = source .. " " .. _M.quote(url)
    local scheme, authority, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")

    if scheme == nil then
        error(shown .. " is not a URL such as https://cam.tencentcloudapi.com", level)
    end
    scheme = scheme:lower()
    if rest ~= "" and rest ~= "/" then
        error(shown .. " must not have a path, query or fragment", level)
    end
    if find(authority, "@", 1, true) then
        error(source .. " must not contain user information", level)
    end

    local host, port = authority:match("^(%[[^%]]*%])(.*)$")
    if host == nil then
        -- A host and port have one ':' at most.
        if find(authority, ":[^:]*:") then
            error(shown .. " has more than one ':' in its host and port; put an"
                .. " IPv6 address in brackets, as in https://[2001:db8::1]:8443", level)
        end
        host, port = authority:match("^([^:]*)(.*)$")
    end
    host = host:lower()
    if byte(host) == OPEN_BRACKET and find(host, "%", 1, true) then
        error(shown .. " has a zone identifier (%...) in its IPv6 address;"
            .. " zone identifiers are not supported, so remove it", level)
    end
    if not _M.valid_host(host) then
        error(shown .. " has an invalid host", level)
    end
    if port ~= "" then
        local number = tonumber(port:match("^:(%d+)$"))
        if number == nil or number < 1 or number > 65535 then
            error(shown .. " has an invalid port; use 1 to 65535", level)
        end
    end

    if scheme == "http" and not _M.is_loopback(host) then
        error(shown .. ": plain http is allowed only for loopback hosts; use https://",
            level)
    elseif scheme ~= "http" and scheme ~= "https" then
        error(shown .. " must use https://", level)
    end

    return {
        url = scheme .. "://" .. host .. port .. "/",
        host = host,
        allow_http = scheme == "http",
    }
end


return _M
