--- Client-side request rate limit: one token bucket per key.
--
-- A client keys its buckets by action. Each bucket has room for `burst`
-- tokens and gains `rate` tokens per second. A request takes one token; when
-- none is left it is given a wait until its token has accrued. Tokens are
-- taken at once, so callers that wait concurrently (nginx coroutines) are
-- spaced out rather than released together.
--
-- With the default burst of 1, the requests of one action start at least
-- `1 / rate` seconds apart, so no one-second window contains more than `rate`
-- of them. CAM's documented limit is 20 requests per second per action.
--
-- The service counts requests when they arrive, and network jitter can
-- bring two requests closer together than they were sent. So buckets
-- refill at `HEADROOM` times the rate: at 20 per second, requests start at
-- least 52.6 ms apart instead of 50 ms, which leaves about 50 ms of slack
-- across any 20 requests.
-- @module cam.ratelimit

local error = error
local min = math.min
local setmetatable = setmetatable
local type = type

local _M = {
    --- Requests per second per key.
    DEFAULT_RATE = 20,
    --- Requests that may start at once after an idle period.
    DEFAULT_BURST = 1,
    --- Fraction of the rate at which buckets refill.
    HEADROOM = 0.95,
}

local mt = {}
mt.__index = mt


--- Create a limiter.
-- @tparam[opt] number rate requests per second per key (default 20)
-- @tparam[opt] number burst bucket size, at least 1 (default 1)
-- @treturn table the limiter
-- @raise when `rate` is not positive or `burst` is below 1
function _M.new(rate, burst)
    rate = rate or _M.DEFAULT_RATE
    burst = burst or _M.DEFAULT_BURST
    if type(rate) ~= "number" or not (rate > 0 and rate < 1e6) then
        error("cam.ratelimit.new: rate must be a number of requests per second"
            .. " greater than 0", 2)
    end
    if type(burst) ~= "number" or not (burst >= 1 and burst < 1e6) then
        error("cam.ratelimit.new: burst must be a number of at least 1", 2)
    end
    return setmetatable({ rate = rate, refill = rate * _M.HEADROOM, burst = burst,
        buckets = {} }, mt)
end


--- Take a token for one request.
-- @tparam string key the bucket, such as the action name
-- @tparam number now the current time in seconds (a monotonic clock)
-- @treturn number seconds to wait before sending; 0 when a token was ready
function mt:reserve(key, now)
    local bucket = self.buckets[key]

    if bucket == nil then
        bucket = { tokens = self.burst, updated = now }
        self.buckets[key] = bucket
    end

    local elapsed = now - bucket.updated
    if elapsed > 0 then
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.refill)
        bucket.updated = now
    end

    bucket.tokens = bucket.tokens - 1
    if bucket.tokens >= 0 then
        return 0
    end
    return -bucket.tokens / self.refill
end


return _M
