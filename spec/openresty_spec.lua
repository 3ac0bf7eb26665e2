-- The library inside Debian's nginx with the Lua module (LuaJIT), calling
-- the CAM emulator through the cosocket transport. Covered: HTTPS, API
-- errors, timeouts, size limits, keep-alive, host names through nginx's
-- resolver (with the certificate check and SNI for that name), phases
-- without cosockets, concurrency in one worker and a bounded load run. A
-- fake server in the same nginx makes the responses the emulator does not
-- make.
--
-- The handlers are in spec/openresty/handlers.lua and the configuration in
-- spec/openresty/nginx.conf.template. The load run makes 10,000 requests,
-- or as many as CAM_OPENRESTY_REQUESTS sets.

local socket = require("socket")

local harness = require("openresty.harness")
local helpers = require("helpers")

-- The host name that the tests' DNS server resolves to 127.0.0.1, under the
-- .test domain reserved for testing (RFC 2606).
local DNS_NAME = "cam.test"

-- The emulator admits 20 requests per second per action and account, so
-- concurrent and load runs spread their calls over several accounts.
local ACCOUNT_COUNT = 40

local function make_accounts()
    local accounts = {}
    for i = 1, ACCOUNT_COUNT do
        accounts[i] = {
            id = string.format("AKIDOpenRestyTest%016d", i),
            key = string.format("OpenRestyTestSecretKey%010d", i),
        }
    end
    return accounts
end


-- Count the matches of a Lua pattern in a text.
local function count_matches(text, pattern)
    local count = 0
    for _ in text:gmatch(pattern) do
        count = count + 1
    end
    return count
end


describe("transport choice", function()
    local saved_ngx

    -- Load the transports afresh with a stand-in for nginx's API, so that
    -- the phase rules can be checked without nginx.
    local function load_with_phase(phase)
        _G.ngx = phase and { socket = {}, get_phase = function() return phase end }
        package.loaded["cam.transport.ngx"] = nil
        package.loaded["cam.transport.auto"] = nil
        return require("cam.transport.auto")
    end

    setup(function()
        saved_ngx = rawget(_G, "ngx")
    end)

    teardown(function()
        _G.ngx = saved_ngx
        package.loaded["cam.transport.ngx"] = nil
        package.loaded["cam.transport.auto"] = nil
    end)

    it("uses libcurl outside nginx", function()
        assert.are.equal("curl", load_with_phase(nil).new({}):choose())
    end)

    for _, phase in ipairs({ "rewrite", "access", "content", "timer", "ssl_cert" }) do
        it("uses cosockets in the " .. phase .. " phase", function()
            assert.are.equal("ngx", load_with_phase(phase).new({}):choose())
        end)
    end

    for _, phase in ipairs({ "init", "init_worker", "set", "header_filter",
            "body_filter", "log", "balancer" }) do
        it("rejects the " .. phase .. " phase", function()
            local transport = load_with_phase(phase).new({})
            local name, failure = transport:choose()

            assert.is_nil(name)
            assert.are.equal("NGX_NO_COSOCKET", failure.code)
            assert.is_false(failure.request_sent)
            assert.truthy(failure.message:find(phase .. " phase", 1, true))
            assert.truthy(failure.message:find("allow_blocking = true", 1, true))

            local response, err = transport:request({ url = "https://127.0.0.1/" })
            assert.is_nil(response)
            assert.are.equal("NGX_NO_COSOCKET", err.code)
        end)

        it("uses libcurl in the " .. phase .. " phase with allow_blocking", function()
            local transport = load_with_phase(phase).new({ allow_blocking = true })
            assert.are.equal("curl", transport:choose())
        end)
    end

    it("raises when the nginx transport is made outside nginx", function()
        load_with_phase(nil)
        local ok, err = pcall(require("cam.transport.ngx").new)
        assert.is_false(ok)
        assert.truthy(tostring(err):find("needs nginx", 1, true))
    end)
end)


describe("cam.transport.ngx_http", function()
    local http = require("cam.transport.ngx_http")

    it("sends the caller's headers in order and adds Content-Length", function()
        local bytes = http.build_request("POST", "/", {
            { "Host", "cam.tencentcloudapi.com" },
            { "Content-Type", "application/json" },
            { "X-TC-Action", "DescribeUserOIDCConfig" },
        }, "{}")

        assert.are.equal("POST / HTTP/1.1\r\n"
            .. "Host: cam.tencentcloudapi.com\r\n"
            .. "Content-Type: application/json\r\n"
            .. "X-TC-Action: DescribeUserOIDCConfig\r\n"
            .. "Content-Length: 2\r\n\r\n{}", bytes)
    end)

    it("keeps a Content-Length the caller gave", function()
        local bytes = http.build_request("POST", "/", { { "content-length", "2" } }, "{}")
        assert.are.equal(1, count_matches(bytes:lower(), "content%-length"))
    end)

    for _, header in ipairs({ { "X-A", "b\r\nX-Injected: 1" }, { "X A", "b" },
            { "X-A", "b\0" }, { "", "b" } }) do
        it("raises on header " .. string.format("%q", header[1] .. ": " .. header[2]),
            function()
                assert.has_error(function()
                    http.build_request("POST", "/", { header }, "")
                end)
            end)
    end
end)


describe("cam.transport.ngx URLs", function()
    local parse_url = require("cam.transport.ngx")._parse_url

    it("splits an https URL with the default port", function()
        local target = parse_url("https://cam.tencentcloudapi.com/")
        assert.are.equal("cam.tencentcloudapi.com", target.host)
        assert.are.equal("cam.tencentcloudapi.com", target.server_name)
        assert.are.equal(443, target.port)
        assert.are.equal("/", target.path)
        assert.is_true(target.tls)
    end)

    it("keeps IPv6 brackets for connect but not for the server name", function()
        local target = parse_url("https://[::1]:8443/")
        assert.are.equal("[::1]", target.host)
        assert.are.equal("::1", target.server_name)
        assert.are.equal(8443, target.port)
    end)

    it("names one pool per scheme, host and port", function()
        assert.are.equal("cam:http://127.0.0.1:9", parse_url("http://127.0.0.1:9/").pool)
        assert.are_not.equal(parse_url("http://127.0.0.1:9/").pool,
            parse_url("https://127.0.0.1:9/").pool)
    end)

    it("rejects a string that is not a URL", function()
        assert.is_nil(parse_url("cam.tencentcloudapi.com"))
    end)
end)


-- Big-endian 16-bit fields of DNS packets, in code that also runs on
-- LuaJIT, which has no string.pack.
local function encode_u16(value)
    return string.char(math.floor(value / 256), value % 256)
end


local function decode_u16(packet, pos)
    return packet:byte(pos) * 256 + packet:byte(pos + 1)
end


-- Send one DNS query to 127.0.0.1:port and return the parsed response:
-- `id`, `rcode`, `answer_count` and `addresses` (IPv4, from A records).
local function dns_query(port, name, record_type)
    local id = 0x2f61
    local question = {}
    for label in name:gmatch("[^.]+") do
        question[#question + 1] = string.char(#label) .. label
    end
    local packet = encode_u16(id) .. encode_u16(0x0100) .. encode_u16(1)
        .. encode_u16(0) .. encode_u16(0) .. encode_u16(0)
        .. table.concat(question) .. "\0" .. encode_u16(record_type)
        .. encode_u16(1)

    local udp = assert(socket.udp())
    udp:settimeout(2)
    assert(udp:setpeername("127.0.0.1", port))
    assert(udp:send(packet))
    local response, err = udp:receive()
    udp:close()
    assert(response, "no DNS response for " .. name .. ": " .. tostring(err))

    local result = {
        id = decode_u16(response, 1),
        rcode = decode_u16(response, 3) % 16,
        answer_count = decode_u16(response, 7),
        addresses = {},
    }
    -- The answers follow the question, which the response repeats.
    local pos = #packet + 1
    for _ = 1, result.answer_count do
        local answer_type = decode_u16(response, pos + 2)
        local length = decode_u16(response, pos + 10)
        if answer_type == 1 and length == 4 then
            result.addresses[#result.addresses + 1] = table.concat(
                { response:byte(pos + 12, pos + 15) }, ".")
        end
        pos = pos + 12 + length
    end
    return result
end


describe("test DNS server", function()
    local dns

    setup(function()
        dns = harness.start_dns_server({ DNS_NAME })
    end)

    teardown(function()
        if dns then
            dns:stop()
        end
    end)

    it("answers A with 127.0.0.1", function()
        local response = dns_query(dns.port, DNS_NAME, 1)

        assert.are.equal(0x2f61, response.id)
        assert.are.equal(0, response.rcode)
        assert.are.same({ "127.0.0.1" }, response.addresses)
    end)

    it("answers AAAA with no records", function()
        local response = dns_query(dns.port, DNS_NAME, 28)

        assert.are.equal(0, response.rcode)
        assert.are.equal(0, response.answer_count)
    end)

    it("answers NXDOMAIN for other names", function()
        for _, name in ipairs({ "other.test", "cam.tencentcloudapi.com" }) do
            local response = dns_query(dns.port, name, 1)
            assert.are.equal(3, response.rcode, name)
            assert.are.equal(0, response.answer_count, name)
        end
    end)

    it("logs each query", function()
        dns_query(dns.port, "CAM.Test", 1)

        local queries = dns:queries()
        assert.are.same({ type = "A", name = DNS_NAME, rcode = "NOERROR" },
            queries[#queries])
    end)

    it("rejects a name outside .test", function()
        local ok, err = pcall(harness.start_dns_server, { "example.com" })

        assert.is_false(ok)
        assert.truthy(tostring(err):find("names must end in .test", 1, true))
    end)
end)


describe("OpenResty", function()
    local accounts = make_accounts()
    local emu, plain, mismatched, unpooled, dns, named, misnamed, nginx

    setup(function()
        harness.require_nginx()
        harness.build_core()

        -- IP-only certificates: nginx checks names with X509_check_host,
        -- which matches an IP address endpoint only against the subject CN.
        local ca = helpers.make_ca(helpers.tmpdir(), { names = { "127.0.0.1" } })
        local other = helpers.make_ca(helpers.tmpdir(), { names = { "127.0.0.1" } })
        local wrong_name = helpers.make_ca(helpers.tmpdir(),
            { names = { "cam.tencentcloudapi.com" }, ca = ca })

        emu = helpers.start_emulator({ tls = ca, accounts = accounts })
        plain = helpers.start_emulator({ accounts = accounts })
        mismatched = helpers.start_emulator({ tls = wrong_name, accounts = accounts })
        -- Only the server that trusts another CA calls this one: nginx's
        -- pool would otherwise hand it connections verified elsewhere.
        unpooled = helpers.start_emulator({ tls = ca, accounts = accounts })

        -- Reached by DNS name: a certificate for that name, and one from the
        -- same trusted CA for another name only.
        local for_name = helpers.make_ca(helpers.tmpdir(),
            { names = { DNS_NAME }, ca = ca })
        local for_other_name = helpers.make_ca(helpers.tmpdir(),
            { names = { "other.test" }, ca = ca })
        dns = harness.start_dns_server({ DNS_NAME })
        named = helpers.start_emulator({ tls = for_name, accounts = accounts })
        misnamed = helpers.start_emulator({ tls = for_other_name, accounts = accounts })

        local list = {}
        for i, account in ipairs(accounts) do
            list[i] = { account.id, account.key }
        end
        nginx = harness.start_nginx({
            https_url = emu.url,
            http_url = plain.url,
            mismatch_url = mismatched.url,
            unpooled_url = unpooled.url,
            refused_url = "http://127.0.0.1:" .. helpers.free_port(),
            named_url = "https://" .. DNS_NAME .. ":" .. named.port,
            misnamed_url = "https://" .. DNS_NAME .. ":" .. misnamed.port,
            unknown_url = "https://unknown.test:" .. named.port,
            -- Nothing listens on this port, so no pooled connection lets a
            -- call skip the resolver.
            named_closed_url = "https://" .. DNS_NAME .. ":" .. helpers.free_port(),
            ca_file = ca.ca_file,
            other_ca_file = other.ca_file,
            dns_port = dns.port,
            dns_name = DNS_NAME,
            sni_cert = for_name.cert,
            sni_key = for_name.key,
            accounts = list,
        })
    end)

    teardown(function()
        if nginx then
            nginx:stop()
        end
        for _, server in ipairs({ emu, plain, mismatched, unpooled, named,
                misnamed, dns }) do
            server:stop()
        end
    end)

    before_each(function()
        emu:reset()
        plain:reset()
        named:reset()
        misnamed:reset()
    end)

    describe("content phase over HTTPS", function()
        it("creates, updates and describes", function()
            local report = nginx:get("/flow")
            local steps = report.steps

            assert.are.equal("ngx", report.transport)
            assert.is_true(steps[1].ok)
            assert.are.equal(0, steps[1].status)
            assert.is_true(steps[3].ok)
            assert.is_true(steps[4].ok)
            assert.is_true(steps[5].ok)
            assert.are.equal(11, steps[5].status)
            assert.are.equal("fragment", steps[5].response.ResponseMode)
            assert.are.same({ "openid", "email" }, steps[5].response.Scope)

            local logged = emu:requests()
            assert.are.equal(5, #logged)
            for _, entry in ipairs(logged) do
                assert.is_true(entry.tls)
            end
        end)

        it("returns an API error with its RequestId", function()
            local report = nginx:get("/flow")
            local failed = report.steps[2]

            assert.is_false(failed.ok)
            assert.are.equal("api", failed.kind)
            assert.are.equal("ResourceNotFound.IdentityNotExist", failed.code)
            assert.are.equal(emu:requests()[2].request_id, failed.request_id)
            assert.truthy(failed.text:find("RequestId " .. failed.request_id, 1, true))
        end)

        it("works from the access phase", function()
            local report = nginx:get("/access")

            assert.are.equal("access", report.phase)
            assert.are.equal("ngx", report.transport)
            assert.is_true(report.results[1].ok)
        end)

        it("times out on a slow response", function()
            emu:fault({ fault = "delay", delay_ms = 3000 })
            local result = nginx:get("/call?timeout=0.5").results[1]

            assert.is_false(result.ok)
            assert.are.equal("transport", result.kind)
            assert.are.equal("NGX_TIMEOUT", result.code)
            assert.is_true(result.request_sent)
            assert.is_true(result.elapsed >= 0.45, "elapsed " .. result.elapsed)
            assert.is_true(result.elapsed < 2.5, "elapsed " .. result.elapsed)
        end)

        it("rejects an oversized body", function()
            emu:fault({ fault = "oversized", bytes = 2 * 1024 * 1024 })
            local result = nginx:get("/call").results[1]

            assert.is_false(result.ok)
            assert.are.equal("NGX_BODY_TOO_LARGE", result.code)
            assert.truthy(result.message:find("larger than 1048576 bytes", 1, true))
        end)

        it("reuses pooled connections", function()
            local first = nginx:get("/call?calls=4").results
            for i = 2, 4 do
                assert.is_true(first[i].ok)
                assert.are.equal(0, first[i].connects)
            end

            -- A new client in a new request takes the worker's pooled
            -- connection to the same endpoint.
            local second = nginx:get("/call").results[1]
            assert.are.equal(0, second.connects)
        end)

        it("opens a new connection when the server closes", function()
            local results = nginx:get("/call?target=fake&mode=close_delimited&calls=2")
                .results
            for i = 1, 2 do
                assert.is_true(results[i].ok)
                assert.are.equal("fake-close_delimited", results[i].request_id)
                assert.are.equal(1, results[i].connects)
            end
        end)
    end)

    describe("TLS", function()
        it("fails when nginx does not trust the CA", function()
            local result = nginx:get("/call?target=unpooled", nginx.untrusted_port)
                .results[1]

            assert.is_false(result.ok)
            assert.are.equal("NGX_TLS", result.code)
            assert.is_false(result.request_sent)
            assert.truthy(result.message:find("lua_ssl_trusted_certificate", 1, true))
            assert.are.equal(0, #unpooled:requests())
        end)

        it("says that ca_file is not applied", function()
            local result = nginx:get("/call?target=unpooled&ca_file=1",
                nginx.untrusted_port).results[1]

            assert.are.equal("NGX_TLS", result.code)
            assert.truthy(result.message:find("ca_file and ca_path are not applied",
                1, true))
            assert.truthy(result.message:find("lua_ssl_trusted_certificate", 1, true))
        end)

        it("fails on a certificate for another name", function()
            local result = nginx:get("/call?target=mismatch").results[1]

            assert.is_false(result.ok)
            assert.are.equal("NGX_TLS", result.code)
            assert.are.equal(0, #mismatched:requests())
        end)
    end)

    describe("DNS names", function()
        local function header_value(entry, name)
            for _, header in ipairs(entry.headers) do
                if header.name:lower() == name:lower() then
                    return header.value
                end
            end
            return nil
        end

        local function was_queried(name, rcode)
            for _, query in ipairs(dns:queries()) do
                if query.type == "A" and query.name == name and query.rcode == rcode then
                    return true
                end
            end
            return false
        end

        it("creates, updates and describes at " .. DNS_NAME, function()
            local report = nginx:get("/flow?target=named")
            local steps = report.steps

            assert.are.equal("ngx", report.transport)
            for _, i in ipairs({ 1, 3, 4, 5 }) do
                assert.is_true(steps[i].ok, steps[i].text)
            end
            assert.are.equal("ResourceNotFound.IdentityNotExist", steps[2].code)
            assert.are.equal(11, steps[5].status)
            assert.are.equal("fragment", steps[5].response.ResponseMode)

            local logged = named:requests()
            assert.are.equal(5, #logged)
            for _, entry in ipairs(logged) do
                assert.is_true(entry.tls)
                -- The client signs and sends the host without the port.
                assert.are.equal(DNS_NAME, header_value(entry, "Host"))
            end
            assert.are.equal("UpdateUserOIDCConfig", logged[4].action)
            assert.is_true(was_queried(DNS_NAME, "NOERROR"))
        end)

        it("sends the host name as SNI", function()
            local result = nginx:get("/call?target=sni").results[1]

            assert.is_true(result.ok, result.text)
            assert.are.equal("sni:" .. DNS_NAME, result.request_id)
        end)

        it("fails on a certificate for another name", function()
            local logged_reason = 'lua ssl certificate does not match host "'
                .. DNS_NAME:gsub("%p", "%%%0") .. '"'
            local reasons_before = count_matches(nginx:error_log(), logged_reason)

            local result = nginx:get("/call?target=misnamed&action=update&attempts=3")
                .results[1]

            assert.is_false(result.ok)
            assert.are.equal("transport", result.kind)
            assert.are.equal("NGX_TLS", result.code)
            assert.is_false(result.request_sent)
            -- NGX_TLS is never retried.
            assert.are.equal(1, result.attempts)
            assert.are.equal(0, #misnamed:requests())

            -- When the handshake finishes inside its first call, lua-resty-core
            -- 0.1.25 raises "assertion failed!" in place of nginx's reason, so
            -- the transport returns a general one. nginx logs the reason.
            local prefix = "TLS handshake with " .. DNS_NAME .. " failed: "
            local reason = result.message:sub(#prefix + 1):match("^(.-) %(nginx verifies")
            assert.are.equal(prefix, result.message:sub(1, #prefix))
            assert.truthy(reason == "certificate host mismatch"
                or reason == "certificate verification failed (nginx's error log has"
                    .. " the reason)", result.message)
            assert.are.equal(reasons_before + 1,
                count_matches(nginx:error_log(), logged_reason))
        end)

        it("fails on an unknown name (NXDOMAIN)", function()
            local result = nginx:get("/call?target=unknown").results[1]

            assert.is_false(result.ok)
            assert.are.equal("transport", result.kind)
            assert.are.equal("NGX_RESOLVE", result.code)
            assert.is_false(result.request_sent)
            assert.are.equal("cannot resolve unknown.test: unknown.test could not be"
                .. " resolved (3: Host not found) (nginx resolves names with its"
                .. " resolver directive)", result.message)
            assert.is_true(was_queried("unknown.test", "NXDOMAIN"))
            assert.are.equal(0, #named:requests())
        end)

        it("fails without a resolver directive", function()
            -- The main server resolves the name, then finds the port closed.
            local resolved = nginx:get("/call?target=named_closed").results[1]
            assert.are.equal("NGX_CONNECT", resolved.code, resolved.text)

            -- The second server has no resolver directive.
            local result = nginx:get("/call?target=named_closed", nginx.untrusted_port)
                .results[1]

            assert.is_false(result.ok)
            assert.are.equal("NGX_RESOLVE", result.code, result.text)
            assert.is_false(result.request_sent)
            assert.are.equal("cannot resolve " .. DNS_NAME .. ": no resolver defined"
                .. ' to resolve "' .. DNS_NAME .. '" (nginx resolves names with its'
                .. " resolver directive)", result.message)
        end)
    end)

    describe("phases without cosockets", function()
        it("rejects a call from set_by_lua", function()
            local status, body = nginx:request("/set")

            assert.are.equal(200, status)
            assert.truthy(body:find("NGX_NO_COSOCKET", 1, true))
            assert.truthy(body:find("set phase", 1, true))
            assert.truthy(body:find("allow_blocking", 1, true))
        end)

        it("rejects a call from log_by_lua", function()
            assert.are.equal(200, nginx:request("/log?key=refused"))
            local result
            for _ = 1, 50 do
                result = nginx:get("/report?key=refused")
                if not result.missing then
                    break
                end
                socket.sleep(0.02)
            end

            assert.is_false(result.ok)
            assert.are.equal("NGX_NO_COSOCKET", result.code)
            assert.is_false(result.request_sent)
            assert.truthy(result.message:find("log phase", 1, true))
            assert.truthy(result.message:find("allow_blocking = true", 1, true))
            assert.are.equal(0, #emu:requests())
        end)

        it("uses libcurl in log_by_lua with allow_blocking", function()
            assert.are.equal(200, nginx:request("/log?key=blocking&allow_blocking=1&ca_file=1"))
            local result
            for _ = 1, 100 do
                result = nginx:get("/report?key=blocking")
                if not result.missing then
                    break
                end
                socket.sleep(0.02)
            end

            assert.is_true(result.ok, result.text)
            assert.are.equal(emu:requests()[1].request_id, result.request_id)
        end)

        it("rejects init_worker and serves its timer", function()
            local report = nginx:get("/init_worker")

            assert.are.equal("NGX_NO_COSOCKET", report.init_worker.code)
            assert.truthy(report.init_worker.message:find("init_worker phase", 1, true))
            assert.is_true(report.timer.ok, report.timer.text)
        end)
    end)

    describe("responses from the fake server", function()
        local function call(query)
            return nginx:get("/call?target=fake&" .. query).results[1]
        end

        it("reads a chunked body", function()
            local result = call("mode=chunked")
            assert.is_true(result.ok, result.text)
            assert.are.equal("fake-chunked", result.request_id)
        end)

        it("caps a chunked body", function()
            local result = call("mode=chunked_big&max=1024")
            assert.are.equal("NGX_BODY_TOO_LARGE", result.code)
        end)

        it("skips an interim response", function()
            local result = call("mode=interim")
            assert.is_true(result.ok, result.text)
            assert.are.equal("fake-interim", result.request_id)
        end)

        it("returns a redirect unfollowed", function()
            local result = call("mode=redirect")
            assert.are.equal("http", result.kind)
            assert.are.equal(302, result.http_status)
            assert.truthy(result.message:find("https://elsewhere.example/", 1, true))
        end)

        for mode, code in pairs({ garbage = "NGX_BAD_RESPONSE",
                huge_head = "NGX_BAD_RESPONSE", bad_chunk = "NGX_BAD_RESPONSE",
                close_early = "NGX_CLOSED" }) do
            it("fails on " .. mode, function()
                local result = call("mode=" .. mode)
                assert.is_false(result.ok)
                assert.are.equal(code, result.code)
                assert.is_true(result.request_sent)
            end)
        end

        it("fails to connect to a closed port", function()
            local result = nginx:get("/call?target=refused").results[1]
            assert.are.equal("NGX_CONNECT", result.code)
            assert.is_false(result.request_sent)
        end)
    end)

    describe("one worker", function()
        it("serves 50 slow calls at once", function()
            emu:fault({ fault = "delay", delay_ms = 500, count = -1 })

            local requests = {}
            for i = 1, 50 do
                requests[i] = { path = "/call?account=" .. (i % 10 + 1) }
            end
            local probes = {}
            for i, at in ipairs({ 0.15, 0.25, 0.35 }) do
                probes[i] = { path = "/health", at = at }
                requests[#requests + 1] = probes[i]
            end

            local done, total = harness.parallel_get(nginx.port, requests, 30)
            emu:clear_faults()

            local slowest = 0
            for i = 1, 50 do
                local request = done[i]
                assert.are.equal(200, request.status, request.err)
                local result = helpers.json_decode(request.body).results[1]
                assert.is_true(result.ok, result.text)
                slowest = math.max(slowest, request.seconds)
            end
            local health = {}
            for i, probe in ipairs(probes) do
                assert.are.equal(200, probe.status, probe.err)
                health[i] = string.format("%.1f ms", probe.seconds * 1000)
                assert.is_true(probe.seconds < 0.05, "/health took " .. health[i])
            end
            print(string.format("\nopenresty: 50 calls delayed 500 ms each took %.2f s"
                .. " in total (slowest %.2f s); /health during them: %s",
                total, slowest, table.concat(health, ", ")))

            -- Serially the calls would take 25 s.
            assert.is_true(total < 5, "50 calls took " .. total .. " s")
        end)

        local load_count = tonumber(os.getenv("CAM_OPENRESTY_REQUESTS")) or 10000

        it("stays up with flat memory over " .. load_count .. " requests", function()
            local workers = nginx:worker_pids()
            assert.are.equal(1, #workers)
            local worker = workers[1]

            local connection = helpers.http_connect("127.0.0.1", nginx.port, 30)
            local counts = { ok = 0, RequestLimitExceeded = 0 }
            local function run(count, offset)
                for i = 1, count do
                    local account = (offset + i) % ACCOUNT_COUNT + 1
                    local response = assert(connection:request("GET",
                        "/describe?account=" .. account, { { "Host", "127.0.0.1" } }))
                    assert.are.equal(200, response.status)
                    local result = helpers.json_decode(response.body)
                    local key = result.ok and "ok" or result.code
                    counts[key] = (counts[key] or 0) + 1
                end
            end

            local warmup = math.floor(load_count / 10)
            run(warmup, 0)
            local before = harness.rss_kib(worker)
            local started = socket.gettime()
            run(load_count, warmup)
            local seconds = socket.gettime() - started
            local after = harness.rss_kib(worker)
            connection:close()

            local other = load_count + warmup - counts.ok - counts.RequestLimitExceeded
            print(string.format("\nopenresty: %d describe_oidc requests in %.1f s"
                .. " (%.0f/s); worker RSS %d KiB before, %d KiB after (%+d KiB);"
                .. " %d ok, %d throttled, %d other (counts include %d warm-up requests)",
                load_count, seconds,
                load_count / seconds, before, after, after - before, counts.ok,
                counts.RequestLimitExceeded, other, warmup))

            assert.are.same({ worker }, nginx:worker_pids())
            assert.are.equal(0, other)
            assert.are.equal(0, count_matches(nginx:error_log(), "exited on signal"))
            assert.is_true(after - before < 16 * 1024,
                "worker RSS grew by " .. (after - before) .. " KiB")
        end)
    end)
end)


describe("examples/openresty", function()
    local emu, server

    setup(function()
        harness.require_nginx()
        harness.build_core()
        local ca = helpers.make_ca(helpers.tmpdir(), { names = { "127.0.0.1" } })
        emu = helpers.start_emulator({ tls = ca })
        server = harness.start_example({
            ca_file = ca.ca_file,
            env = {
                TENCENTCLOUD_SECRET_ID = helpers.DEMO_ID,
                TENCENTCLOUD_SECRET_KEY = helpers.DEMO_KEY,
                TENCENTCLOUD_CAM_ENDPOINT = emu.url,
            },
        })
    end)

    teardown(function()
        if server then
            server:stop()
        end
        emu:stop()
    end)

    local function settings(overrides)
        local jwks = '{"keys":[{"kty":"RSA","kid":"k1","e":"AQAB","n":"u1SU1LfVLPHC"}]}'
        local params = {
            identity_url = "https://sso.example.com/realms/acme",
            identity_key = require("cam").identity_key(jwks),
            client_id = "tencent-cloud-cam",
            authorization_endpoint = "https://sso.example.com/realms/acme/auth",
            mapping_field = "preferred_username",
        }
        for name, value in pairs(overrides or {}) do
            params[name] = value
        end
        return helpers.json_encode(params)
    end

    it("describes, creates and updates", function()
        local status, body = server:send("GET", "/sso")
        assert.are.equal(200, status)
        assert.are.equal(0, body.Status)

        status, body = server:send("PUT", "/sso", settings())
        assert.are.equal(200, status)
        assert.truthy(body.RequestId)

        status, body = server:send("PUT", "/sso", settings({ response_mode = "fragment" }))
        assert.are.equal(200, status)

        status, body = server:send("GET", "/sso")
        assert.are.equal(200, status)
        assert.are.equal(11, body.Status)
        assert.are.equal("fragment", body.ResponseMode)

        local actions = {}
        for i, entry in ipairs(emu:requests()) do
            actions[i] = entry.action
        end
        assert.are.same({ "DescribeUserOIDCConfig", "DescribeUserOIDCConfig",
            "CreateUserOIDCConfig", "DescribeUserOIDCConfig", "UpdateUserOIDCConfig",
            "DescribeUserOIDCConfig" }, actions)
    end)

    it("replies 400 with the problems of invalid settings", function()
        local status, body = server:send("PUT", "/sso", settings({ client_id = "-bad" }))

        assert.are.equal(400, status)
        assert.are.equal("validation", body.kind)
        assert.are.equal("ClientId", body.problems[1].field)
    end)
end)
