--- Retry policy: which failures are sent again, how long to wait, and the
-- clock to wait with.
--
-- `classify` sorts a failed attempt into one of these decisions:
--
-- - `"retry"`: the request was not applied, so any action may be sent
--   again. These are network failures before any request byte was written
--   (refused, unresolved or timed-out connections, failed TLS handshakes),
--   `RequestLimitExceeded` and its sub-codes, and `ServiceUnavailable`.
-- - `"uncertain"`: the request may have been applied. These are network
--   failures and timeouts after the request was written, and HTTP 502, 503
--   and 504 without an API response. Idempotent actions are sent again; a
--   create is reconciled by its caller instead.
-- - `"refresh"`: `AuthFailure.TokenFailure`, which new temporary
--   credentials may cure.
-- - `"skew"`: `AuthFailure.SignatureExpire`, which a corrected clock cures.
-- - `"fail"`: everything else, including every other `AuthFailure.*` code,
--   validation errors, other API errors and TLS certificate failures.
--
-- Waits use full jitter: a uniform random delay between 0 and
-- `min(max_delay, base_delay * 2 ^ (attempt - 1))`.
-- @module cam.retry

local core = require("cam.core")

local find = string.find
local floor = math.floor
local min = math.min
local pcall = pcall
local random = math.random
local rawget = rawget
local require = require
local sub = string.sub
local tonumber = tonumber
local type = type

local _M = {
    --- Attempts per call, the first included.
    DEFAULT_MAX_ATTEMPTS = 4,
    --- Seconds: the cap of the first wait; it doubles with each attempt.
    DEFAULT_BASE_DELAY = 0.5,
    --- Seconds: no single wait is longer.
    DEFAULT_MAX_DELAY = 10,
    --- Seconds from the start of a call after which no attempt starts.
    DEFAULT_DEADLINE = 60,
}

--- Transport failure codes of network trouble (libcurl's and the nginx
-- transport's). Other codes, such as certificate failures or an oversized
-- response, are never retried.
_M.NETWORK_CODES = {
    CURLE_COULDNT_RESOLVE_HOST = true,
    CURLE_COULDNT_CONNECT = true,
    CURLE_OPERATION_TIMEDOUT = true,
    CURLE_SSL_CONNECT_ERROR = true,
    CURLE_SEND_ERROR = true,
    CURLE_RECV_ERROR = true,
    CURLE_GOT_NOTHING = true,
    CURLE_PARTIAL_FILE = true,
    CURLE_HTTP2 = true,
    CURLE_HTTP2_STREAM = true,
    NGX_RESOLVE = true,
    NGX_CONNECT = true,
    NGX_TIMEOUT = true,
    NGX_SEND = true,
    NGX_RECV = true,
    NGX_CLOSED = true,
}

--- HTTP statuses of a gateway or an overloaded front end.
_M.RETRY_STATUSES = { [502] = true, [503] = true, [504] = true }

--- Action name prefixes whose requests can be sent twice with the same
-- result as once. `Delete*` counts: a second delete finds nothing to delete,
-- which the client treats as done after an uncertain first attempt.
_M.IDEMPOTENT_PREFIXES = { "Describe", "Get", "List", "Update", "Disable", "Delete" }

-- nginx phases in which ngx.sleep may yield (ngx_lua 0.10).
local SLEEP_PHASES = {
    rewrite = true,
    server_rewrite = true,
    access = true,
    content = true,
    timer = true,
    ssl_cert = true,
    ssl_session_fetch = true,
    ssl_client_hello = true,
    preread = true,
}


--- Tell whether an action may be sent again after an uncertain attempt.
-- @tparam string action such as `"UpdateUserOIDCConfig"`
-- @treturn boolean
function _M.is_idempotent(action)
    local prefixes = _M.IDEMPOTENT_PREFIXES

    for i = 1, #prefixes do
        local prefix = prefixes[i]
        if sub(action, 1, #prefix) == prefix then
            return true
        end
    end
    return false
end


--- Sort a failed attempt's error into a decision (see the module header).
-- @tparam table err an error from `cam.errors`
-- @treturn string `"retry"`, `"uncertain"`, `"refresh"`, `"skew"` or `"fail"`
function _M.classify(err)
    local kind, code = err.kind, err.code

    if kind == "transport" then
        if not _M.NETWORK_CODES[code] then
            return "fail"
        end
        return err.request_sent and "uncertain" or "retry"
    elseif kind == "http" then
        if _M.RETRY_STATUSES[err.status] then
            return "uncertain"
        end
        return "fail"
    elseif kind == "api" then
        if code == "RequestLimitExceeded"
            or find(code, "^RequestLimitExceeded%.") ~= nil
            or code == "ServiceUnavailable" then
            return "retry"
        elseif code == "AuthFailure.TokenFailure" then
            return "refresh"
        elseif code == "AuthFailure.SignatureExpire" then
            return "skew"
        end
    end
    return "fail"
end


--- Return the wait before the next attempt, with full jitter.
-- @tparam integer attempt the attempt that just failed, from 1
-- @tparam number base_delay seconds
-- @tparam number max_delay seconds
-- @tparam[opt] function rand returns a number in [0, 1) (default
--   `math.random`)
-- @treturn number seconds
function _M.backoff(attempt, base_delay, max_delay, rand)
    local ceiling = min(max_delay, base_delay * 2 ^ (attempt - 1))
    return (rand or random)() * ceiling
end


local MONTHS = {
    Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
    Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12,
}


-- Days from 1970-01-01 to a date of the proleptic Gregorian calendar
-- (H. Hinnant's days_from_civil).
local function days_from_civil(year, month, day)
    if month <= 2 then
        year = year - 1
    end

    local era = floor(year / 400)
    local year_of_era = year - era * 400
    local day_of_year = floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1
    local day_of_era = year_of_era * 365 + floor(year_of_era / 4)
        - floor(year_of_era / 100) + day_of_year
    return era * 146097 + day_of_era - 719468
end


local DAYS_IN_MONTH = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

-- Day names in the order of `(days since 1970-01-01 + 4) % 7`, because
-- 1970-01-01 was a Thursday.
local WEEKDAYS = { [0] = "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }


local function is_leap_year(year)
    return year % 4 == 0 and (year % 100 ~= 0 or year % 400 == 0)
end


--- Parse an HTTP `Date` value in the IMF-fixdate form of RFC 7231, such as
-- `"Sun, 06 Nov 1994 08:49:37 GMT"`.
-- The day must exist in its month, the hour be 0 to 23, the minute 0 to 59
-- and the second 0 to 60 (60 for a leap second), and the day name must match
-- the date. The obsolete RFC 850 and asctime forms are not accepted.
-- @tparam string text the header value
-- @treturn number|nil Unix time in seconds, or nil when the text is not a
--   valid IMF-fixdate
function _M.parse_http_date(text)
    if type(text) ~= "string" then
        return nil
    end

    local weekday, day, month_name, year, hour, minute, second = text:match(
        "^(%a%a%a), (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    local month = MONTHS[month_name]
    if month == nil then
        return nil
    end
    day, year = tonumber(day), tonumber(year)
    hour, minute, second = tonumber(hour), tonumber(minute), tonumber(second)

    local last_day = DAYS_IN_MONTH[month]
    if month == 2 and is_leap_year(year) then
        last_day = 29
    end
    if day < 1 or day > last_day or hour > 23 or minute > 59 or second > 60 then
        return nil
    end

    local days = days_from_civil(year, month, day)
    if WEEKDAYS[(days + 4) % 7] ~= weekday then
        return nil
    end
    return days * 86400 + hour * 3600 + minute * 60 + second
end


-- Return nginx's API when the running code may yield to it, else nil.
local function yieldable_ngx()
    local ngx = rawget(_G, "ngx")

    if type(ngx) ~= "table" or ngx.get_phase == nil or ngx.sleep == nil then
        return nil
    end

    local ok, phase = pcall(ngx.get_phase)
    if ok and SLEEP_PHASES[phase] then
        return ngx
    end
    return nil
end


--- Pick the clock a call waits with.
-- In order: the transport's own `sleep(seconds)` and `now()` methods when it
-- has them; nginx's `ngx.sleep` and `ngx.now` in phases that may yield; else
-- the core's blocking `sleep` and monotonic clock.
-- @tparam[opt] table transport the client's transport
-- @treturn table `now()` (seconds, for intervals only) and `sleep(seconds)`
function _M.clock(transport)
    if type(transport) == "table" and type(transport.sleep) == "function"
        and type(transport.now) == "function" then
        return {
            now = function() return transport:now() end,
            sleep = function(seconds) return transport:sleep(seconds) end,
        }
    end

    local ngx = yieldable_ngx()
    if ngx ~= nil then
        return {
            now = function()
                ngx.update_time()
                return ngx.now()
            end,
            sleep = ngx.sleep,
        }
    end

    return { now = core.monotonic, sleep = core.sleep }
end


--- Tell whether nginx's API is usable for waiting right now.
-- @treturn boolean
function _M.in_yieldable_nginx()
    return yieldable_ngx() ~= nil
end


--- Load nginx's semaphore module when running where it can wait.
-- @treturn table|nil `ngx.semaphore`, or nil outside nginx
function _M.ngx_semaphore()
    if yieldable_ngx() == nil then
        return nil
    end

    local ok, semaphore = pcall(require, "ngx.semaphore")
    if ok and type(semaphore) == "table" then
        return semaphore
    end
    return nil
end


return _M
