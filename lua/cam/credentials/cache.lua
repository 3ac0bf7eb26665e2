--- A credential cache that refreshes temporary credentials before they
-- expire, with one refresh in flight.
--
-- `get()` returns the cached credential while it has more than `margin`
-- seconds left before its `expires_at`, and fetches a new one from the
-- provider otherwise. A credential without `expires_at` is kept until
-- `invalidate` marks it stale. When a refresh fails but the cached
-- credential has not expired yet, `get()` logs the failure and returns the
-- cached one, so a short outage of the metadata service or STS does not
-- stop calls.
--
-- Inside nginx, callers that arrive while a refresh is running wait for it
-- on an `ngx.semaphore` and share its result. In plain Lua a refresh is
-- synchronous, so no second one can start.
--
-- Every fetched credential is checked with `cam.credentials.check.values`,
-- so a provider written outside this library gets the same checks as the
-- built-in ones, and a value that `cam.sign` would raise on becomes an
-- `InvalidCredentials` error instead.
-- @module cam.credentials.cache

local check = require("cam.credentials.check")
local retry = require("cam.retry")

local error = error
local getmetatable = getmetatable
local os_time = os.time
local pcall = pcall
local setmetatable = setmetatable
local tostring = tostring
local type = type

local _M = {
    --- Seconds before `expires_at` at which a credential is refreshed.
    DEFAULT_MARGIN = 300,
    --- Seconds a caller waits for another caller's refresh.
    WAIT_TIMEOUT = 30,
}

local mt = {}
mt.__index = mt


--- Tell whether a value is a cache made by this module.
-- @param value anything
-- @treturn boolean
function _M.is_cache(value)
    return type(value) == "table" and getmetatable(value) == mt
end


--- Wrap a provider in a cache.
-- @tparam table provider an object with `fetch()` (see `cam.credentials`)
-- @tparam[opt] table opts `margin` (seconds, default 300), `logger`
--   (`function(level, message, fields)`; also given to the provider when it
--   has a `set_logger` method), `lock` (an object with the
--   `wait(timeout)`, `post(n)` and `count()` methods of `ngx.semaphore`;
--   default: a new `ngx.semaphore` inside nginx), `time` (the wall clock,
--   default `os.time`)
-- @treturn table the cache, with `get`, `invalidate` and `refreshable`
-- @raise when `provider` has no `fetch` method
function _M.new(provider, opts)
    if type(provider) ~= "table" or type(provider.fetch) ~= "function" then
        error("cam.credentials.cache: the provider needs a fetch method", 2)
    end
    opts = opts or {}

    local store = setmetatable({
        provider = provider,
        margin = opts.margin or _M.DEFAULT_MARGIN,
        logger = opts.logger,
        lock = opts.lock,
        time = opts.time or os_time,
        current = nil,
        stale = false,
        refreshing = false,
        last_error = nil,
    }, mt)
    if opts.logger ~= nil then
        store:set_logger(opts.logger)
    end
    return store
end


function mt:log(level, message, fields)
    if self.logger ~= nil then
        pcall(self.logger, level, message, fields)
    end
end


--- Set the logger, unless the cache already has one, and pass the cache's
-- logger on to a provider that has a `set_logger` method.
-- @tparam function logger `function(level, message, fields)`
function mt:set_logger(logger)
    if self.logger == nil then
        self.logger = logger
    end
    if type(self.provider.set_logger) == "function" then
        self.provider:set_logger(self.logger)
    end
end


local function fresh(self, creds, now)
    return creds ~= nil and (creds.expires_at == nil
        or now < creds.expires_at - self.margin)
end


-- Wake every caller waiting for the refresh that just ended.
local function wake(lock)
    if lock ~= nil then
        local count = lock:count()
        if count < 0 then
            lock:post(-count)
        end
    end
end


-- Check a fetched credential's values, naming the provider in an error.
local function checked(provider, creds)
    local label = "credentials provider " .. tostring(provider.name or "without a name")
    if creds == nil then
        return nil, check.invalid(label .. " returned neither a credential nor an error")
    end
    if type(creds) ~= "table" then
        return nil, check.invalid(label .. " returned a " .. type(creds)
            .. " instead of a credential table")
    end
    return check.values(creds, { secret_id = label .. ": secret_id",
        secret_key = label .. ": secret_key", token = label .. ": token" })
end


-- Run the provider's fetch; the refresh flag is cleared and waiters woken
-- even when the provider raises.
local function run_refresh(self, reason)
    self.refreshing = true
    self:log("info", "refreshing credentials", { provider = self.provider.name,
        reason = reason })

    local ok, creds, err = pcall(self.provider.fetch, self.provider)
    self.refreshing = false
    if not ok then
        self.last_error = nil
        wake(self.lock)
        error(creds, 0)
    end
    if creds ~= nil or err == nil then
        creds, err = checked(self.provider, creds)
    end

    if creds ~= nil then
        self.current = creds
        self.stale = false
        self.last_error = nil
        self:log("info", "credentials refreshed", { provider = self.provider.name,
            source = creds.source, expires_at = creds.expires_at })
    else
        self.last_error = err
    end
    wake(self.lock)
    return creds, err
end


-- Wait for another caller's refresh and take its result.
local function await_refresh(self, lock)
    local ok, waited = pcall(lock.wait, lock, _M.WAIT_TIMEOUT)

    if ok and waited and self.current ~= nil and not self.stale then
        return self.current
    end
    if self.last_error ~= nil then
        return nil, self.last_error
    end
    return nil
end


local function lock_for(self)
    if self.lock == nil then
        local semaphore = retry.ngx_semaphore()
        if semaphore ~= nil then
            self.lock = semaphore.new(0)
        end
    end
    return self.lock
end


--- Return a usable credential, refreshing it first when needed.
-- @treturn[1] table `secret_id`, `secret_key`, `token`, `expires_at`,
--   `source`
-- @treturn[2] nil
-- @treturn[2] table the provider's error
function mt:get()
    local current = self.current
    local now = self.time()

    if not self.stale and fresh(self, current, now) then
        return current
    end

    if self.refreshing then
        local lock = lock_for(self)
        if lock ~= nil then
            local creds, err = await_refresh(self, lock)
            if creds ~= nil or err ~= nil then
                return creds, err
            end
        end
    end

    local reason
    if current == nil then
        reason = "first use"
    elseif self.stale then
        reason = "rejected by the service"
    else
        reason = "expires within " .. tostring(self.margin) .. " s"
    end
    lock_for(self)

    local creds, err = run_refresh(self, reason)
    if creds ~= nil then
        return creds
    end

    -- A credential that has not expired still works; keep it and try the
    -- refresh again on the next call.
    if current ~= nil and not self.stale and current.expires_at ~= nil
        and now < current.expires_at then
        self:log("error", "credential refresh failed; using the current"
            .. " credential until it expires", { provider = self.provider.name,
            expires_at = current.expires_at, error = tostring(err) })
        return current
    end
    return nil, err
end


--- Mark a credential as rejected, so that the next `get` fetches anew.
-- Nothing happens when the cache has moved on to another credential.
-- @tparam table creds the credential the service rejected
function mt:invalidate(creds)
    if creds ~= nil and creds == self.current then
        self.stale = true
    end
end


--- Tell whether fetching again can give another credential: false for a
-- provider marked `static`.
-- @treturn boolean
function mt:refreshable()
    return not self.provider.static
end


return _M
