--- HTTP for the credential providers that ask a service: the CVM metadata
-- service and STS. Also the clock correction from a response's `Date`
-- header, which the STS providers and the client share.
--
-- Requests go through a transport with the interface of
-- `cam.transport.curl`; by default each provider makes its own
-- `cam.transport.auto`, so inside nginx they use cosockets. Network
-- failures and HTTP 5xx are tried up to three times with short jittered
-- waits: reading the metadata service and asking STS for a credential can
-- both be repeated without harm.
-- @module cam.credentials.http

local endpoint = require("cam.endpoint")
local errors = require("cam.errors")
local retry = require("cam.retry")

local floor = math.floor
local lower = string.lower
local os_time = os.time
local require = require
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {
    --- Seconds for a whole request.
    DEFAULT_TIMEOUT = 5,
    --- Seconds to connect.
    DEFAULT_CONNECT_TIMEOUT = 2,
    --- Attempts per request, the first included.
    MAX_ATTEMPTS = 3,
    --- Seconds: the cap of the first wait between attempts.
    BASE_DELAY = 0.2,
    --- Seconds: the longest wait between attempts.
    MAX_DELAY = 1,
    --- Bytes: the largest response accepted.
    MAX_BODY = 64 * 1024,
    --- The last second `cam.sign` accepts as a timestamp,
    -- 9999-12-31T23:59:59Z. Its first is 0, 1970-01-01T00:00:00Z.
    MAX_TIMESTAMP = 253402300799,
}

-- The sentence that ends every reason for not correcting the clock.
local SET_CLOCK = " Set the system clock, for example with NTP"


--- Parse a base URL: a scheme, a host and an optional port, and no path.
-- @tparam string value the URL
-- @tparam string label how to name the value in a message, such as
--   `"option 'base_url'"`
-- @tparam[opt] boolean http_anywhere allow plain `http://` for any host (the
--   metadata service is plain HTTP); otherwise only for loopback hosts
-- @treturn[1] table `url` (without a trailing `/`), `host` (without the
--   port) and `allow_http`
-- @treturn[2] nil
-- @treturn[2] string the problem
function _M.base_url(value, label, http_anywhere)
    local subject = label .. " " .. endpoint.quote(value)
    local scheme, authority, rest = value:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")

    local example = http_anywhere and "http://host" or "https://host"
    if scheme == nil or (rest ~= "" and rest ~= "/") or authority:find("@", 1, true) then
        return nil, subject .. " must be a URL such as " .. example
            .. " or " .. example .. ":port, without a path"
    end
    scheme = lower(scheme)

    local host, port = authority:match("^(%[[^%]]*%])(.*)$")
    if host == nil then
        host, port = authority:match("^([^:]*)(.*)$")
    end
    host = lower(host)
    local number = tonumber(port:match("^:(%d+)$"))
    if not endpoint.valid_host(host)
        or not (port == "" or (number ~= nil and number >= 1 and number <= 65535)) then
        return nil, subject .. " has an invalid host or port"
    end

    if scheme == "http" then
        if not http_anywhere and not endpoint.is_loopback(host) then
            return nil, subject .. ": plain http is allowed"
                .. " only for loopback hosts; use https://"
        end
    elseif scheme ~= "https" then
        return nil, subject .. (http_anywhere and " must use http:// or https://"
            or " must use https://")
    end

    return { url = scheme .. "://" .. host .. port, host = host,
        allow_http = scheme == "http" }
end


--- Compute the server's clock minus the local clock from a response's
-- `Date` header.
-- A Date that would put the signing time before 1970 or after year 9999,
-- the range of `cam.sign`, cannot be used.
-- A server may echo a request's token or signature in the header, so the
-- secrets are masked in the quoted value before it is cut to length.
-- @tparam string|nil date the header's value
-- @tparam[opt] table secrets strings to mask in the quoted value, as for
--   `cam.errors.scrub`
-- @treturn[1] integer the offset in seconds
-- @treturn[2] nil
-- @treturn[2] string why the clock cannot be corrected by the header, as a
--   sentence that ends with what to do
function _M.clock_offset(date, secrets)
    if date == nil then
        return nil, "the response has no Date header to correct the local clock"
            .. " by." .. SET_CLOCK
    end

    local subject = "the response's Date header "
        .. endpoint.quote(errors.scrub(tostring(date), secrets or {}))
    local server_time = retry.parse_http_date(date)
    if server_time == nil then
        return nil, subject .. " is not an HTTP date such as 'Sun, 06 Nov 1994"
            .. " 08:49:37 GMT', so the local clock cannot be corrected by it." .. SET_CLOCK
    end
    if server_time < 0 then
        return nil, subject .. " is before 1970, so the local clock cannot be"
            .. " corrected by it." .. SET_CLOCK
    end
    if server_time > _M.MAX_TIMESTAMP then
        return nil, subject .. " is after year 9999, so the local clock cannot be"
            .. " corrected by it." .. SET_CLOCK
    end
    return floor(server_time - os_time())
end


--- Return the current time corrected by a clock offset, as a timestamp to
-- sign with.
-- `clock_offset` only returns offsets that give a time in the range of
-- `cam.sign`, but the local clock may move after the offset was learned, so
-- the result is kept in that range. A time held at either end is far from
-- the server's, which then rejects the request with
-- `AuthFailure.SignatureExpire`, and the caller reads the server's `Date`
-- again instead of `cam.sign` raising.
-- @tparam number offset seconds, server minus local
-- @treturn integer Unix seconds
function _M.signing_time(offset)
    local timestamp = os_time() + offset

    if timestamp < 0 then
        return 0
    end
    if timestamp > _M.MAX_TIMESTAMP then
        return _M.MAX_TIMESTAMP
    end
    return timestamp
end


--- Return the provider's transport, making the default one on first use.
-- @tparam table provider a provider with an optional `transport` field
-- @treturn table the transport
function _M.transport(provider)
    if provider.transport == nil then
        provider.transport = require("cam.transport.auto").new({})
    end
    return provider.transport
end


local function milliseconds(seconds)
    return floor(seconds * 1000 + 0.5)
end


--- Send a request, trying again after network failures, HTTP 5xx and
-- responses that `again` picks.
-- @tparam table provider `transport`, `timeout` and `connect_timeout`
--   (seconds; defaults above)
-- @tparam table req `method`, `url`, `headers` (a list of `{ name, value }`),
--   `body`, `allow_http`, and `attempts` (default `MAX_ATTEMPTS`)
-- @tparam[opt] function again called with a 200 response; returning true
--   sends the request again (STS throttling)
-- @treturn[1] table the last response, whatever its status
-- @treturn[2] nil
-- @treturn[2] table the last transport failure: `code`, `message`,
--   `request_sent`. The code and message come from the transport and may
--   contain text the server sent, so a caller builds its error with
--   `cam.credentials.check.error` and the request's secrets.
function _M.request(provider, req, again)
    local transport = _M.transport(provider)
    local clock = retry.clock(transport)
    local timeout = provider.timeout or _M.DEFAULT_TIMEOUT
    local connect_timeout = provider.connect_timeout or _M.DEFAULT_CONNECT_TIMEOUT

    local attempts = req.attempts or _M.MAX_ATTEMPTS

    local response, failure
    for attempt = 1, attempts do
        response, failure = transport:request({
            method = req.method,
            url = req.url,
            headers = req.headers,
            body = req.body or "",
            timeout_ms = milliseconds(timeout),
            connect_timeout_ms = milliseconds(connect_timeout),
            max_body = _M.MAX_BODY,
            allow_http = req.allow_http,
        })

        local transient
        if response == nil then
            transient = type(failure) == "table" and retry.NETWORK_CODES[failure.code]
        elseif response.status >= 500 then
            transient = true
        else
            transient = response.status == 200 and again ~= nil and again(response)
        end
        if not transient or attempt == attempts then
            break
        end
        clock.sleep(retry.backoff(attempt, _M.BASE_DELAY, _M.MAX_DELAY))
    end

    if response == nil then
        return nil, failure
    end
    return response
end


return _M
