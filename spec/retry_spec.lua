-- Retries, back-off, the client rate limit and clock skew: the policy in
-- cam.retry and cam.ratelimit on its own, then the client's send loop
-- against the emulator on loopback.

local cam = require("cam")
local core = require("cam.core")
local helpers = require("helpers")
local ratelimit = require("cam.ratelimit")
local retry = require("cam.retry")

local SECRET_KEY = helpers.DEMO_KEY


local function count_messages(entries, message)
    local count = 0
    for _, entry in ipairs(entries) do
        if entry.message == message then
            count = count + 1
        end
    end
    return count
end


local function actions_logged(emu, action)
    local count = 0
    for _, entry in ipairs(emu:requests()) do
        if entry.action == action then
            count = count + 1
        end
    end
    return count
end


describe("retry.classify", function()
    local cases = {
        { "refused connection", { kind = "transport", code = "CURLE_COULDNT_CONNECT",
            request_sent = false }, "retry" },
        { "connect timeout", { kind = "transport", code = "CURLE_OPERATION_TIMEDOUT",
            request_sent = false }, "retry" },
        { "timeout after the write", { kind = "transport",
            code = "CURLE_OPERATION_TIMEDOUT", request_sent = true }, "uncertain" },
        { "empty reply", { kind = "transport", code = "CURLE_GOT_NOTHING",
            request_sent = true }, "uncertain" },
        { "nginx reset", { kind = "transport", code = "NGX_CLOSED",
            request_sent = true }, "uncertain" },
        { "certificate failure", { kind = "transport",
            code = "CURLE_PEER_FAILED_VERIFICATION", request_sent = false }, "fail" },
        { "oversized body", { kind = "transport", code = "CURLE_FILESIZE_EXCEEDED",
            request_sent = true }, "fail" },
        { "HTTP 502", { kind = "http", code = "HttpStatusCodeError", status = 502 },
            "uncertain" },
        { "HTTP 503", { kind = "http", code = "HttpStatusCodeError", status = 503 },
            "uncertain" },
        { "HTTP 504", { kind = "http", code = "HttpStatusCodeError", status = 504 },
            "uncertain" },
        { "HTTP 500", { kind = "http", code = "HttpStatusCodeError", status = 500 }, "fail" },
        { "HTTP 302", { kind = "http", code = "HttpStatusCodeError", status = 302 }, "fail" },
        { "not JSON", { kind = "http", code = "InvalidResponse", status = 200 }, "fail" },
        { "throttled", { kind = "api", code = "RequestLimitExceeded" }, "retry" },
        { "throttled per account", { kind = "api",
            code = "RequestLimitExceeded.UinLimitExceeded" }, "retry" },
        { "throttled per IP", { kind = "api",
            code = "RequestLimitExceeded.IPLimitExceeded" }, "retry" },
        { "service unavailable", { kind = "api", code = "ServiceUnavailable" }, "retry" },
        { "internal error", { kind = "api", code = "InternalError" }, "fail" },
        { "token failure", { kind = "api", code = "AuthFailure.TokenFailure" }, "refresh" },
        { "signature expired", { kind = "api", code = "AuthFailure.SignatureExpire" },
            "skew" },
        { "signature failure", { kind = "api", code = "AuthFailure.SignatureFailure" },
            "fail" },
        { "unknown secret id", { kind = "api", code = "AuthFailure.SecretIdNotFound" },
            "fail" },
        { "unauthorized", { kind = "api", code = "AuthFailure.UnauthorizedOperation" },
            "fail" },
        { "invalid value", { kind = "api", code = "InvalidParameterValue" }, "fail" },
        { "validation", { kind = "validation", code = "InvalidParameter" }, "fail" },
        { "credentials", { kind = "credentials", code = "CredentialsNotFound" }, "fail" },
    }

    for _, case in ipairs(cases) do
        it("classifies " .. case[1], function()
            assert.are.equal(case[3], retry.classify(case[2]))
        end)
    end
end)


describe("retry.is_idempotent", function()
    it("accepts reads, updates, disables and deletes", function()
        for _, action in ipairs({ "DescribeUserOIDCConfig", "UpdateUserOIDCConfig",
                "DisableUserSSO", "DeleteOIDCConfig", "GetRole", "ListUsers" }) do
            assert.is_true(retry.is_idempotent(action), action)
        end
    end)

    it("rejects creates and other actions", function()
        for _, action in ipairs({ "CreateUserOIDCConfig", "CreateOIDCConfig",
                "AttachUserPolicy", "AddUserToGroup" }) do
            assert.is_false(retry.is_idempotent(action), action)
        end
    end)
end)


describe("retry.backoff", function()
    it("stays within the doubling ceiling", function()
        local ceilings = { 0.5, 1, 2, 4, 8, 10, 10 }
        for attempt, ceiling in ipairs(ceilings) do
            local high = retry.backoff(attempt, 0.5, 10, function() return 0.999999 end)
            local low = retry.backoff(attempt, 0.5, 10, function() return 0 end)
            assert.is_true(high <= ceiling, "attempt " .. attempt)
            assert.is_true(high > ceiling * 0.99, "attempt " .. attempt)
            assert.are.equal(0, low)
        end
    end)

    it("spreads waits over the whole range", function()
        local below_half, above_half = 0, 0
        for _ = 1, 400 do
            local delay = retry.backoff(3, 1, 100)
            assert.is_true(delay >= 0 and delay <= 4)
            if delay < 2 then
                below_half = below_half + 1
            else
                above_half = above_half + 1
            end
        end
        assert.is_true(below_half > 100)
        assert.is_true(above_half > 100)
    end)
end)


describe("retry.parse_http_date", function()
    it("parses IMF-fixdate", function()
        assert.are.equal(784111777, retry.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"))
        assert.are.equal(0, retry.parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"))
        assert.are.equal(951782400, retry.parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"))
        assert.are.equal(1700000000, retry.parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"))
    end)

    it("rejects other forms", function()
        assert.is_nil(retry.parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"))
        assert.is_nil(retry.parse_http_date("Sun Nov  6 08:49:37 1994"))
        assert.is_nil(retry.parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"))
        assert.is_nil(retry.parse_http_date(nil))
    end)

    it("accepts edge dates", function()
        assert.are.equal(1709164800, retry.parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"))
        assert.are.equal(253402300799, retry.parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"))
        -- A leap second is a valid time of day.
        assert.are.equal(253402300800, retry.parse_http_date("Fri, 31 Dec 9999 23:59:60 GMT"))
        assert.are.equal(-62167219200, retry.parse_http_date("Sat, 01 Jan 0000 00:00:00 GMT"))
    end)

    local IMPOSSIBLE = {
        { "day 45", "Mon, 45 Feb 2024 12:00:00 GMT" },
        { "day 0", "Wed, 00 Jan 2020 12:00:00 GMT" },
        { "30 February", "Fri, 30 Feb 2024 12:00:00 GMT" },
        { "29 February, common year", "Thu, 29 Feb 2023 00:00:00 GMT" },
        { "29 February, 1900", "Thu, 29 Feb 1900 00:00:00 GMT" },
        { "31 April", "Wed, 31 Apr 2024 12:00:00 GMT" },
        { "hour 24", "Mon, 01 Jan 2024 24:00:00 GMT" },
        { "hour 30", "Mon, 01 Jan 2024 30:00:00 GMT" },
        { "minute 60", "Mon, 01 Jan 2024 12:60:00 GMT" },
        { "second 61", "Mon, 01 Jan 2024 12:00:61 GMT" },
        { "every field", "Mon, 45 Feb 2024 30:75:99 GMT" },
        { "hour 99 in 9999", "Sat, 31 Dec 9999 99:59:59 GMT" },
        { "wrong weekday", "Mon, 06 Nov 1994 08:49:37 GMT" },
        { "unknown weekday", "Xyz, 06 Nov 1994 08:49:37 GMT" },
    }
    for _, case in ipairs(IMPOSSIBLE) do
        it("rejects " .. case[1], function()
            assert.is_nil(retry.parse_http_date(case[2]))
        end)
    end
end)


describe("retry.clock", function()
    it("prefers the transport's sleep and now", function()
        local slept = {}
        local transport = {
            sleep = function(_, seconds) slept[#slept + 1] = seconds end,
            now = function() return 42 end,
        }
        local clock = retry.clock(transport)
        clock.sleep(0.25)
        assert.are.same({ 0.25 }, slept)
        assert.are.equal(42, clock.now())
    end)

    it("falls back to the core's clock", function()
        local clock = retry.clock({})
        local started = clock.now()
        clock.sleep(0.02)
        assert.is_true(clock.now() - started >= 0.015)
    end)
end)


describe("cam.ratelimit", function()
    it("spaces requests a little under the rate", function()
        local limiter = ratelimit.new(20, 1)
        local spacing = 1 / (20 * ratelimit.HEADROOM)
        assert.are.equal(0, limiter:reserve("A", 100))
        assert.is_true(math.abs(limiter:reserve("A", 100) - spacing) < 1e-9)
        assert.is_true(math.abs(limiter:reserve("A", 100) - 2 * spacing) < 1e-9)
        assert.are.equal(0, limiter:reserve("B", 100))
    end)

    it("refills while idle, up to the burst", function()
        local limiter = ratelimit.new(10, 3)
        for _ = 1, 3 do
            assert.are.equal(0, limiter:reserve("A", 0))
        end
        assert.is_true(limiter:reserve("A", 0) > 0)
        for _ = 1, 3 do
            assert.are.equal(0, limiter:reserve("A", 100))
        end
        assert.is_true(limiter:reserve("A", 100) > 0)
    end)

    it("never admits more than the rate in a second", function()
        local limiter = ratelimit.new(20, 1)
        local now, starts = 0, {}
        for _ = 1, 100 do
            now = now + limiter:reserve("A", now)
            starts[#starts + 1] = now
        end
        for i = 21, #starts do
            assert.is_true(starts[i] - starts[i - 20] >= 1 / ratelimit.HEADROOM - 1e-9)
        end
    end)

    it("rejects a bad rate or burst", function()
        assert.has_error(function() ratelimit.new(0) end)
        assert.has_error(function() ratelimit.new(10, 0.5) end)
    end)
end)


describe("client retry options", function()
    it("reject out-of-range values", function()
        for _, opts in ipairs({ { max_attempts = 0 }, { max_attempts = 1.5 },
                { retry_base_delay = -1 }, { retry_deadline = 0 },
                { rate_limit = 0 }, { rate_limit = "fast" }, { rate_burst = 0.5 },
                { refresh_margin = -1 } }) do
            local ok = pcall(cam.new, opts)
            assert.is_false(ok, next(opts))
        end
    end)

    it("hint at a misspelt option", function()
        local ok, err = pcall(cam.new, { max_attempt = 3 })
        assert.is_false(ok)
        assert.truthy(tostring(err):find("did you mean 'max_attempts'", 1, true))
    end)

    it("accept the documented forms", function()
        assert.is_table(cam.new({ max_attempts = 1, retry_base_delay = 0,
            retry_max_delay = 0, retry_deadline = 5, rate_limit = false }))
        assert.is_table(cam.new({ rate_limit = 5, rate_burst = 2 }))
    end)
end)


describe("client send loop", function()
    local emu

    setup(function()
        emu = helpers.start_emulator()
    end)

    teardown(function()
        emu:stop()
    end)

    before_each(function()
        emu:reset()
    end)

    local function client(extra)
        return helpers.new_client(emu,
            { retry_base_delay = 0.01, retry_max_delay = 0.05, timeout = 2 }, extra)
    end

    it("retries throttling and signs each attempt anew", function()
        -- A transport whose waits cross a second, so every attempt has its
        -- own X-TC-Timestamp.
        local curl = require("cam.transport.curl").new()
        local waits = 0
        local transport = {
            request = function(_, req) return curl:request(req) end,
            close = function() curl:close() end,
            sleep = function(_, seconds)
                waits = waits + 1
                core.sleep(seconds + 1.05)
            end,
            now = function() return core.monotonic() end,
        }
        emu:fault({ fault = "throttle", count = 2 })
        local entries = {}
        local res = assert(client({ transport = transport,
            logger = helpers.capture_logger(entries) }):describe_oidc())
        assert.is_string(res.RequestId)

        local requests = emu:requests()
        assert.are.equal(3, #requests)
        local timestamps, signatures = {}, {}
        for i, request in ipairs(requests) do
            for _, header in ipairs(request.headers) do
                if header.name == "X-TC-Timestamp" then
                    timestamps[i] = tonumber(header.value)
                elseif header.name == "Authorization" then
                    signatures[i] = header.value:match("Signature=(%x+)")
                end
            end
        end
        assert.is_true(timestamps[2] > timestamps[1])
        assert.is_true(timestamps[3] > timestamps[2])
        assert.are_not.equal(signatures[1], signatures[2])
        assert.are_not.equal(signatures[2], signatures[3])
        assert.are.equal("Success", requests[3].outcome)
        assert.are.equal(2, waits)
        assert.are.equal(2, count_messages(entries, "retrying request"))
    end)

    it("gives up after max_attempts", function()
        emu:fault({ fault = "throttle", count = 10 })
        local entries = {}
        local res, err = client({ max_attempts = 3, logger = helpers.capture_logger(entries) })
            :describe_oidc()
        assert.is_nil(res)
        assert.are.equal("RequestLimitExceeded", err.code)
        assert.are.equal(3, err.attempts)
        assert.are.equal(3, #emu:requests())
        assert.are.equal(1, count_messages(entries, "request failed"))
    end)

    it("stops at the deadline", function()
        emu:fault({ fault = "throttle", count = -1 })
        local started = core.monotonic()
        local _, err = client({ max_attempts = 20, retry_base_delay = 0.2,
            retry_max_delay = 0.2, retry_deadline = 0.6 }):describe_oidc()
        local elapsed = core.monotonic() - started
        assert.are.equal("RequestLimitExceeded", err.code)
        assert.is_true(err.attempts < 20)
        assert.is_true(elapsed < 1.2, "elapsed " .. elapsed)
    end)

    it("waits with full jitter under the cap", function()
        emu:fault({ fault = "throttle", count = 5 })
        local entries = {}
        assert(client({ max_attempts = 6, retry_base_delay = 0.02, retry_max_delay = 0.05,
            logger = helpers.capture_logger(entries) }):describe_oidc())
        local delays = 0
        for _, entry in ipairs(entries) do
            if entry.message == "retrying request" then
                delays = delays + 1
                local attempt = entry.fields.attempt - 1
                local ceiling = math.min(0.05, 0.02 * 2 ^ (attempt - 1))
                assert.is_true(entry.fields.delay >= 0)
                assert.is_true(entry.fields.delay <= ceiling + 1e-9)
                assert.are.equal("RequestLimitExceeded", entry.fields.code)
                assert.is_string(entry.fields.request_id)
            end
        end
        assert.are.equal(5, delays)
    end)

    for _, status in ipairs({ 502, 503, 504 }) do
        it("retries HTTP " .. status .. " for a describe", function()
            emu:fault({ fault = "status", status = status, count = 1 })
            assert(client():describe_oidc())
            assert.are.equal(2, #emu:requests())
        end)
    end

    it("retries ServiceUnavailable", function()
        emu:fault({ fault = "error", code = "ServiceUnavailable", count = 2 })
        assert(client():describe_oidc())
        assert.are.equal(3, #emu:requests())
    end)

    it("does not retry InternalError", function()
        emu:fault({ fault = "error", code = "InternalError", count = 1 })
        local _, err = client():describe_oidc()
        assert.are.equal("InternalError", err.code)
        assert.are.equal(1, #emu:requests())
    end)

    it("does not retry HTTP 500", function()
        emu:fault({ fault = "status", status = 500, count = 1 })
        local _, err = client():describe_oidc()
        assert.are.equal(500, err.status)
        assert.are.equal(1, #emu:requests())
    end)

    it("does not retry a wrong signature", function()
        local _, err = client({ secret_key = "WrongSecretKey00000001" }):describe_oidc()
        assert.are.equal("AuthFailure.SignatureFailure", err.code)
        assert.are.equal(1, #emu:requests())
    end)

    it("does not retry TokenFailure with a fixed credential", function()
        local _, err = client({ token = "NotTheRightToken0001" }):describe_oidc()
        assert.are.equal("AuthFailure.TokenFailure", err.code)
        assert.are.equal(1, #emu:requests())
    end)

    it("does not retry an API error", function()
        local _, err = client():call("DescribeOIDCConfig", { Name = "missing" })
        assert.are.equal("ResourceNotFound.IdentityNotExist", err.code)
        assert.are.equal(1, #emu:requests())
    end)

    it("retries a refused connection for every action", function()
        local port = helpers.free_port()
        local c = cam.new({ endpoint = "http://127.0.0.1:" .. port,
            secret_id = helpers.DEMO_ID, secret_key = SECRET_KEY, max_attempts = 3,
            retry_base_delay = 0.01, retry_max_delay = 0.02 })
        local _, err = c:call("CreateOIDCConfig", { Name = "x" })
        assert.are.equal("CURLE_COULDNT_CONNECT", err.code)
        assert.are.equal(3, err.attempts)
        assert.is_false(err.request_sent)
    end)

    it("keeps under the emulator's rate limit", function()
        local entries = {}
        local c = client({ logger = helpers.capture_logger(entries) })
        local started = core.monotonic()
        for _ = 1, 25 do
            assert(c:describe_oidc())
        end
        local elapsed = core.monotonic() - started
        for _, request in ipairs(emu:requests()) do
            assert.are.equal("Success", request.outcome)
        end
        assert.are.equal(25, actions_logged(emu, "DescribeUserOIDCConfig"))
        assert.is_true(elapsed >= 24 * 0.05 - 0.05, "elapsed " .. elapsed)
        assert.is_true(count_messages(entries, "waiting for the client rate limit") >= 20)
    end)

    it("trips the emulator's limit without it", function()
        local c = client({ rate_limit = false, max_attempts = 1 })
        local last_err
        for _ = 1, 25 do
            local _, err = c:describe_oidc()
            last_err = err or last_err
        end
        assert.are.equal("RequestLimitExceeded", last_err.code)
    end)

    it("limits each action on its own", function()
        local c = client({ rate_limit = 2 })
        local started = core.monotonic()
        assert(c:describe_oidc())
        assert(c:disable_sso())
        assert(c:call("DescribeOIDCConfig", { Name = "x" }) == nil)
        assert.is_true(core.monotonic() - started < 0.4)
        assert(c:describe_oidc())
        assert.is_true(core.monotonic() - started >= 0.45)
    end)

    it("learns the clock offset from Date", function()
        emu:set_clock(3600)
        local entries = {}
        local c = client({ logger = helpers.capture_logger(entries) })
        assert(c:describe_oidc())
        assert.is_true(math.abs(c.clock_offset - 3600) <= 2)
        assert.are.equal(1, count_messages(entries, "clock skew corrected"))
        assert(c:describe_oidc())
        assert.are.equal(3, #emu:requests())

        emu:set_clock(0)
        assert(c:describe_oidc())
        assert.is_true(math.abs(c.clock_offset) <= 2)
        assert.are.equal(5, #emu:requests())
    end)

    it("keeps SignatureExpire without a Date header", function()
        emu:set_clock(3600)
        local curl = require("cam.transport.curl").new()
        local transport = {
            request = function(_, req)
                local response, failure = curl:request(req)
                if response then
                    response.headers.date = nil
                end
                return response, failure
            end,
            close = function() curl:close() end,
        }
        local _, err = client({ transport = transport }):describe_oidc()
        assert.are.equal("AuthFailure.SignatureExpire", err.code)
        assert.are.equal(1, #emu:requests())
    end)

    it("corrects the clock once per call", function()
        -- A server that moves its clock after every request can never be
        -- caught up with.
        emu:set_clock(3600)
        local curl = require("cam.transport.curl").new()
        local shift = 3600
        local transport = {
            request = function(_, req)
                local response, failure = curl:request(req)
                shift = shift + 3600
                emu:set_clock(shift)
                return response, failure
            end,
            close = function() curl:close() end,
        }
        local _, err = client({ transport = transport, max_attempts = 5 }):describe_oidc()
        assert.are.equal("AuthFailure.SignatureExpire", err.code)
        assert.are.equal(2, err.attempts)
        assert.truthy(err.message:find("sent again with the server's time from the Date"
            .. " header and still rejected", 1, true), err.message)
    end)
end)
