--- Sliding-window request limit, per account and action.
--
-- Tencent documents a frequency limit of 20 requests per second for each CAM
-- OIDC action. The limiter admits a request when fewer than `limit` requests
-- with the same key were admitted in the preceding `window` seconds.
-- Rejected requests do not count.
-- @module cam.emulator.ratelimit

local _M = {}

local Limiter = {}
Limiter.__index = Limiter


--- Create a limiter.
-- @tparam integer limit requests admitted per window
-- @tparam number window window length in seconds
-- @treturn table limiter
function _M.new(limit, window)
    return setmetatable({ limit = limit, window = window, admitted = {} }, Limiter)
end


--- Admit or reject one request.
-- @tparam string key e.g. secret id and action
-- @tparam number now monotonic time in seconds
-- @treturn boolean true when admitted
function Limiter:admit(key, now)
    local times = self.admitted[key]
    if not times then
        times = {}
        self.admitted[key] = times
    end

    -- Drop admissions that left the window; `times` stays sorted.
    local first_kept = 1
    while times[first_kept] and times[first_kept] <= now - self.window do
        first_kept = first_kept + 1
    end
    if first_kept > 1 then
        table.move(times, first_kept, #times + first_kept, 1)
    end

    if #times >= self.limit then
        return false
    end
    times[#times + 1] = now
    return true
end


--- Forget all admissions.
function Limiter:reset()
    self.admitted = {}
end


return _M
