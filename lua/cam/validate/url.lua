--- URL and host checks of `cam.validate` for the IdP URLs (`IdentityUrl`,
-- `AuthorizationEndpoint`): the https scheme, the length, the characters,
-- the host (DNS name, IPv4 or bracketed IPv6 address) and the port. User
-- information, a query and a fragment are rejected.
-- @module cam.validate.url

local endpoint = require("cam.endpoint")
local text = require("cam.validate.text")

local byte = string.byte
local find = string.find
local lower = string.lower
local sub = string.sub
local tonumber = tonumber
local find_disallowed = text.find_disallowed
local is_invisible = text.is_invisible
local list_disallowed = text.list_disallowed
local quote = text.quote

local _M = {}

local MAX_URL_LENGTH = 2048


-- URLs reject U+0020 and every invisible character (white space, controls
-- and format characters), which a URL copied from a document may carry.
local function is_url_char(point)
    return point ~= 0x20 and not is_invisible(point)
end


-- Visible ASCII: the URLs that need no loop over code points.
local URL_ASCII = "^[\33-\126]*$"


local IPV6_EXAMPLE = "https://[2001:db8::1]/"
local OPEN_BRACKET = 0x5B


--- Check the host of an authority that starts with '[': an IPv6 address in
-- brackets, without a zone identifier. Returns the port part, or nil after
-- a problem that leaves the port unknown.
local function check_bracketed_host(authority, messages, spaced)
    local host, port = authority:match("^(%[[^%]]*%])(.*)$")
    if host == nil then
        messages[#messages + 1] = "has a '[' without a closing ']' in its"
            .. " host; write an IPv6 address in brackets, as in " .. IPV6_EXAMPLE
        return nil
    end

    -- RFC 6874 writes a zone as %25 and an interface name after the address.
    local address, zone = host:match("^%[([^%%]*)(%%.*)%]$")
    if zone ~= nil then
        messages[#messages + 1] = "has the zone identifier " .. quote(zone)
            .. " in its IPv6 address; zone identifiers are not supported in"
            .. " these URLs, so remove it"
    else
        address = sub(host, 2, -2)
    end

    if not spaced and not endpoint.valid_ipv6(lower(address)) then
        messages[#messages + 1] = "has an invalid host " .. quote(host)
            .. "; an IPv6 address has eight groups of 1 to 4 hex digits"
            .. " separated by ':', or fewer around one '::', as in "
            .. IPV6_EXAMPLE
    end
    return port
end


--- Report an authority with more than one ':' that does not start with
-- '['. A host and port have one ':' at most, so this is most likely an IPv6
-- address without its brackets.
local function report_unbracketed_ipv6(authority, messages)
    local address = authority:match("^[^%%]*")
    local zone = authority:match("%%.*")

    if endpoint.valid_ipv6(lower(address)) then
        messages[#messages + 1] = "has an IPv6 address without brackets;"
            .. " put it in brackets, as in https://[" .. address .. "]/"
    else
        messages[#messages + 1] = "has more than one ':' in its host and"
            .. " port; put an IPv6 address in brackets, as in " .. IPV6_EXAMPLE
    end
    if zone ~= nil then
        messages[#messages + 1] = "has the zone identifier " .. quote(zone)
            .. " after its IPv6 address; zone identifiers are not supported"
            .. " in these URLs, so remove it"
    end
end


--- Check the host of an authority that is a DNS name or an IPv4 address.
-- Returns the port part.
local function check_host_name(authority, messages, spaced)
    local host, port = authority:match("^([^:]*)(.*)$")

    if host == "" then
        messages[#messages + 1] = "has no host; write it as https://host/path"
    elseif not spaced and not endpoint.valid_host(lower(host)) then
        messages[#messages + 1] = "has an invalid host " .. quote(host)
            .. "; use a DNS name of ASCII letters, digits and '-' (an"
            .. " internationalised name in its xn-- form), an IPv4 address"
            .. " or a bracketed IPv6 address"
    end
    return port
end


--- Check the authority (`host[:port]`) of an https URL. The host's
-- characters are not checked when `spaced` is true, because the URL then
-- contains white space, a control or a format character, already reported.
local function check_authority(authority, messages, spaced)
    if find(authority, "@", 1, true) then
        messages[#messages + 1] = "must not contain user information"
            .. " (user@ before the host); remove it"
        return
    end

    local port
    if byte(authority) == OPEN_BRACKET then
        port = check_bracketed_host(authority, messages, spaced)
    elseif find(authority, ":[^:]*:") then
        report_unbracketed_ipv6(authority, messages)
    else
        port = check_host_name(authority, messages, spaced)
    end
    -- A nil port follows a problem that leaves the port unknown.
    if port ~= nil and port ~= "" then
        local number = port:match("^:(%d%d?%d?%d?%d?)$")
        if number == nil or tonumber(number) < 1 or tonumber(number) > 65535 then
            messages[#messages + 1] = "has an invalid port " .. quote(port)
                .. "; use a number from 1 to 65535 or leave the port out"
        end
    end
end


--- Check an IdP URL (`IdentityUrl`, `AuthorizationEndpoint`).
-- The value is sent as given, because the issuer is compared byte for byte
-- with the `iss` claim of ID tokens. For the same reason only the lowercase
-- scheme `https://` is accepted, although RFC 3986 lets a scheme be written
-- in any case: `HTTPS://` is treated as a typing mistake.
-- `value` must be a string of valid UTF-8. Appends each problem to
-- `messages`.
-- @treturn string|nil the value, or nil after a problem
local function check_url(value, messages)
    local count = #messages
    local scheme, rest = value:match("^(%a[%w+.-]*)://(.*)$")

    -- NOTE: the API documents no length limit for these URLs; 2048 bytes is
    -- the common limit of browsers and servers for a URL.
    if #value > MAX_URL_LENGTH then
        messages[#messages + 1] = "is " .. #value .. " bytes long; an IdP URL"
            .. " must be at most " .. MAX_URL_LENGTH .. " bytes"
        return nil
    end

    if scheme == nil then
        messages[#messages + 1] = "must be an absolute https:// URL such as"
            .. " https://idp.example.com, got " .. quote(value)
        return nil
    end
    if scheme ~= "https" then
        messages[#messages + 1] = (lower(scheme) == "https"
            and "must start with https:// in lowercase, got "
            or "must use https://, got ") .. quote(value)
    end

    local listed, distinct = find_disallowed(value, is_url_char, URL_ASCII)
    local spaced = listed ~= nil
    if spaced then
        messages[#messages + 1] = "contains " .. list_disallowed(listed, distinct)
            .. "; remove white space, control characters and format"
            .. " characters, or percent-encode them"
    end

    local authority = rest:match("^[^/?#]*")
    check_authority(authority, messages, spaced)

    if find(rest, "?", 1, true) then
        messages[#messages + 1] = "must not contain a query (?...); remove it"
    end
    if find(rest, "#", 1, true) then
        messages[#messages + 1] = "must not contain a fragment (#...); remove it"
    end

    if #messages > count then
        return nil
    end
    return value
end


_M.check_url = check_url


return _M
