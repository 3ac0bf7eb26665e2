-- Soak run: many calls against the CAM emulator on loopback while random
-- faults are injected, checking after each phase that the emulator contains
-- what the calls that succeeded wrote.
--
--     lua5.4 spec/soak/run.lua [--calls N] [--seconds S] [--seed N] [--phase N]
--
-- Run it from the checkout with the core built (`make soak` does both). It
-- stops after N calls (default 10000) or S seconds (default 600), whichever
-- comes first, and exits with status 1 when a final state is wrong, a
-- secret shows in a log line or error, or fewer calls than asked for ran.
--
-- Five clients run round-robin, each on its own account: four with fixed
-- keys and one with the CVM role credentials of the emulator's metadata
-- service, which expire and are refreshed during the run. Each client keeps
-- a model of the states its account may be in. A call that succeeded
-- leaves one state; a call that failed may or may not have been applied,
-- so it adds the states it would have made. At the end of each phase the
-- faults are cleared and the emulator's state must be one of the model's.

package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = "build/lua5.4/?.so;" .. package.cpath

local cam = require("cam")
local core = require("cam.core")
local credentials = require("cam.credentials")
local helpers = require("helpers")

local options = { calls = 10000, seconds = 600, seed = os.time(), phase = 400 }
do
    local i = 1
    while i <= #arg do
        local name = arg[i]:match("^%-%-(%a+)$")
        local value = tonumber(arg[i + 1])
        if name == nil or options[name] == nil or value == nil then
            io.stderr:write("usage: lua5.4 spec/soak/run.lua [--calls N] [--seconds S]"
                .. " [--seed N] [--phase N]\n")
            os.exit(2)
        end
        options[name] = value
        i = i + 2
    end
end
math.randomseed(options.seed)

local JWKS = { keys = { { kty = "RSA", kid = "soak", use = "sig", alg = "RS256", e = "AQAB",
    n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L"
        .. "6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4Q"
        .. "yQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOp"
        .. "bISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFC"
        .. "ur-kEgU8awapJzKnqDKgw" } } }
local IDENTITY_KEY = assert(cam.identity_key(JWKS))
local ROLE_NAMES = { "soak-a", "soak-b", "soak-c" }
local ACCOUNTS = {
    { id = "AKIDSoakAccount000000000000000001", key = "SoakSecretKey0000000000000000001" },
    { id = "AKIDSoakAccount000000000000000002", key = "SoakSecretKey0000000000000000002" },
    { id = "AKIDSoakAccount000000000000000003", key = "SoakSecretKey0000000000000000003" },
    { id = "AKIDSoakAccount000000000000000004", key = "SoakSecretKey0000000000000000004" },
    -- The CVM role's credentials act on this account; its key is never used.
    { id = "AKIDSoakAccount000000000000000005", key = "SoakSecretKey0000000000000000005" },
}

local totals = {
    calls = 0, phases = 0, faults_injected = 0, faults_applied = 0, token_expiries = 0,
    clock_skews = 0, metadata_failures = 0, errors = 0, wrong_states = 0,
    secret_leaks = 0, retries = 0, reconciled = 0, refreshes = 0, skew_corrections = 0,
    rate_waits = 0, emulator_throttles = 0,
}
local error_codes = {}
local secrets = {}


local function note_secret(value)
    if type(value) == "string" and #value >= 8 then
        secrets[value] = true
    end
end


local function leaks(text)
    for secret in pairs(secrets) do
        if text:find(secret, 1, true) then
            return true
        end
    end
    return text:find("Signature=%x%x%x%x") ~= nil
end


local function logger(level, message, fields)
    local parts = { level, message }
    for k, v in pairs(fields or {}) do
        parts[#parts + 1] = tostring(k) .. "=" .. tostring(v)
    end
    if leaks(table.concat(parts, " ")) then
        totals.secret_leaks = totals.secret_leaks + 1
    end

    if message == "retrying request" then
        totals.retries = totals.retries + 1
    elseif message == "create reconciled" then
        totals.reconciled = totals.reconciled + 1
    elseif message == "credentials refreshed" then
        totals.refreshes = totals.refreshes + 1
    elseif message == "clock skew corrected" then
        totals.skew_corrections = totals.skew_corrections + 1
    elseif message == "waiting for the client rate limit" then
        totals.rate_waits = totals.rate_waits + 1
    end
end


-- A provider wrapper that notes every credential it hands out, so that the
-- leak check covers the temporary keys and tokens too.
local function recording(provider)
    return {
        name = provider.name,
        fetch = function()
            local creds, err = provider:fetch()
            if creds then
                note_secret(creds.secret_key)
                note_secret(creds.token)
            end
            return creds, err
        end,
    }
end


-- Models ----------------------------------------------------------------------

-- A state of one account: the user configuration (nil, or its Description
-- and Status) and the role providers (name -> Description).
local function state_key(state)
    local parts = { state.user and (state.user.Description .. "/" .. state.user.Status) or "-" }
    for _, name in ipairs(ROLE_NAMES) do
        parts[#parts + 1] = state.roles[name] or "-"
    end
    return table.concat(parts, "|")
end


local function copy_state(state)
    local roles = {}
    for name, description in pairs(state.roles) do
        roles[name] = description
    end
    return {
        user = state.user and { Description = state.user.Description,
            Status = state.user.Status },
        roles = roles,
    }
end


-- The state an operation leaves when the service applies it.
local function apply(state, op)
    local after = copy_state(state)
    if op.kind == "create_user" then
        if after.user == nil then
            after.user = { Description = op.description, Status = 11 }
        end
    elseif op.kind == "update_user" then
        if after.user ~= nil then
            after.user = { Description = op.description, Status = 11 }
        end
    elseif op.kind == "disable_user" then
        if after.user ~= nil then
            after.user.Status = 2
        end
    elseif op.kind == "create_role" then
        if after.roles[op.name] == nil then
            after.roles[op.name] = op.description
        end
    elseif op.kind == "update_role" then
        if after.roles[op.name] ~= nil then
            after.roles[op.name] = op.description
        end
    elseif op.kind == "delete_role" then
        after.roles[op.name] = nil
    end
    return after
end


local function model_add(model, state)
    model[state_key(state)] = state
end


local function model_size(model)
    local n = 0
    for _ in pairs(model) do
        n = n + 1
    end
    return n
end


local function only_state(model)
    for _, state in pairs(model) do
        return state
    end
end


-- The emulator's state for one account, as a model state.
local function actual_state(document, account_id)
    local account = document.accounts[account_id] or {}
    local state = { roles = {} }
    if account.user_oidc then
        state.user = { Description = account.user_oidc.Description,
            Status = account.user_oidc.Status }
    end
    for name, role in pairs(account.role_oidc or {}) do
        state.roles[name] = role.Description
    end
    return state
end


-- Operations ------------------------------------------------------------------

local function user_params(description)
    return {
        identity_url = "https://sso.example.com/realms/soak",
        identity_key = IDENTITY_KEY,
        client_id = "soak-client",
        authorization_endpoint = "https://sso.example.com/realms/soak/auth",
        mapping_field = "preferred_username",
        scope = { "openid" },
        description = description,
    }
end


local function role_params(name, description)
    return {
        name = name,
        identity_url = "https://token.example.com",
        identity_key = IDENTITY_KEY,
        client_ids = { "sts.tencentcloudapi.com" },
        description = description,
    }
end


local sequence = 0

local function new_description()
    sequence = sequence + 1
    return "soak-" .. sequence
end


-- Pick an operation that is valid in the one state the model contains.
local function pick_operation(state)
    local roll = math.random()
    if roll < 0.25 then
        return { kind = "describe_user" }
    elseif roll < 0.5 then
        if state.user == nil then
            return { kind = "create_user", description = new_description() }
        elseif math.random() < 0.2 then
            return { kind = "disable_user" }
        end
        return { kind = "update_user", description = new_description() }
    end

    local name = ROLE_NAMES[math.random(#ROLE_NAMES)]
    if state.roles[name] == nil then
        return { kind = "create_role", name = name, description = new_description() }
    end
    roll = math.random()
    if roll < 0.3 then
        return { kind = "describe_role", name = name }
    elseif roll < 0.8 then
        return { kind = "update_role", name = name, description = new_description() }
    end
    return { kind = "delete_role", name = name }
end


local function run_operation(client, op)
    if op.kind == "describe_user" then
        return client:describe_oidc()
    elseif op.kind == "create_user" then
        return client:create_oidc(user_params(op.description))
    elseif op.kind == "update_user" then
        return client:update_oidc(user_params(op.description))
    elseif op.kind == "disable_user" then
        return client:disable_sso()
    elseif op.kind == "describe_role" then
        return client:describe_role_oidc({ name = op.name })
    elseif op.kind == "create_role" then
        return client:create_role_oidc(role_params(op.name, op.description))
    elseif op.kind == "update_role" then
        return client:update_role_oidc(role_params(op.name, op.description))
    end
    return client:delete_role_oidc({ name = op.name })
end


-- Faults ----------------------------------------------------------------------

local ACTIONS = { "DescribeUserOIDCConfig", "CreateUserOIDCConfig", "UpdateUserOIDCConfig",
    "DisableUserSSO", "CreateOIDCConfig", "UpdateOIDCConfig", "DescribeOIDCConfig",
    "DeleteOIDCConfig" }

-- Kinds and weights. `hang` never responds, so the client times out;
-- `delay` responds within the client's timeout. A delay longer than the timeout is
-- left out on purpose: the emulator would apply the request after the
-- client gave up and retried, which is the stale-duplicate hazard that
-- docs/RELIABILITY.md describes, not a client fault.
local FAULTS = {
    { 6, function() return { fault = "throttle" } end },
    { 3, function() return { fault = "status", status = 502 } end },
    { 3, function() return { fault = "status", status = 503 } end },
    { 2, function() return { fault = "status", status = 504 } end },
    { 2, function() return { fault = "error", code = "ServiceUnavailable" } end },
    { 4, function() return { fault = "reset_before" } end },
    { 4, function() return { fault = "reset_after" } end },
    { 1, function() return { fault = "hang" } end },
    { 2, function() return { fault = "delay", delay_ms = 20 } end },
}
local FAULT_WEIGHT = 0
for _, entry in ipairs(FAULTS) do
    FAULT_WEIGHT = FAULT_WEIGHT + entry[1]
end


local function random_fault()
    local roll = math.random() * FAULT_WEIGHT
    for _, entry in ipairs(FAULTS) do
        roll = roll - entry[1]
        if roll <= 0 then
            return entry[2]()
        end
    end
    return FAULTS[1][2]()
end


-- Run -------------------------------------------------------------------------

local emu = helpers.start_emulator({ accounts = ACCOUNTS, args = { "--quiet" } })
for _, account in ipairs(ACCOUNTS) do
    note_secret(account.key)
end
emu:admin("POST", "/_emulator/metadata", { role = "soak-role", expires_in = 1200,
    account = ACCOUNTS[5].id })

local client_options = {
    endpoint = emu.url, timeout = 0.5, connect_timeout = 0.5, max_attempts = 6,
    retry_base_delay = 0.005, retry_max_delay = 0.05, retry_deadline = 10,
    logger = logger,
}

local clients = {}
for i = 1, 5 do
    local opts = {}
    for k, v in pairs(client_options) do
        opts[k] = v
    end
    if i <= 4 then
        opts.secret_id, opts.secret_key = ACCOUNTS[i].id, ACCOUNTS[i].key
    else
        opts.credentials = recording(credentials.cvm_role({ base_url = emu.url }))
        -- Refresh long before the 20-minute lifetime ends, so refreshes
        -- happen during the run as well as after expiry.
        opts.refresh_margin = 1190
    end
    clients[i] = { client = cam.new(opts), account = ACCOUNTS[i].id,
        model = { [state_key({ roles = {} })] = { roles = {} } } }
end


local function note_error(err)
    totals.errors = totals.errors + 1
    error_codes[err.code or "?"] = (error_codes[err.code or "?"] or 0) + 1
    if leaks(tostring(err)) then
        totals.secret_leaks = totals.secret_leaks + 1
    end
end


-- Compare a client's model with the emulator and keep the state found.
local function check_model(entry, document)
    local actual = actual_state(document, entry.account)
    local key = state_key(actual)
    if entry.model[key] == nil then
        totals.wrong_states = totals.wrong_states + 1
        local expected = {}
        for k in pairs(entry.model) do
            expected[#expected + 1] = k
        end
        io.stderr:write(string.format("soak: wrong state for %s: %s, expected one of %s\n",
            entry.account, key, table.concat(expected, " or ")))
    end
    entry.model = { [key] = actual }
end


local started = core.monotonic()
local function time_left()
    return core.monotonic() - started < options.seconds
end

while totals.calls < options.calls and time_left() do
    totals.phases = totals.phases + 1

    -- Faults for this phase: a batch queued at once, each for one to three
    -- requests of one action (or of any action), and sometimes a skewed
    -- clock.
    local injected = 0
    for _ = 1, math.random(10, 40) do
        local fault = random_fault()
        fault.count = math.random(1, 3)
        if math.random() < 0.7 then
            fault.action = ACTIONS[math.random(#ACTIONS)]
        end
        emu:fault(fault)
        injected = injected + fault.count
    end
    totals.faults_injected = totals.faults_injected + injected
    if math.random() < 0.2 then
        emu:set_clock(math.random() < 0.5 and 900 or -900)
        totals.clock_skews = totals.clock_skews + 1
    end

    local phase_calls = math.min(options.phase, options.calls - totals.calls)
    for n = 1, phase_calls do
        if not time_left() then
            break
        end
        local entry = clients[(n - 1) % #clients + 1]

        -- Now and then the role credentials expire, or the metadata
        -- service fails the next refresh.
        if entry.account == ACCOUNTS[5].id and math.random() < 0.01 then
            emu:admin("POST", "/_emulator/tokens", { expire = true })
            totals.token_expiries = totals.token_expiries + 1
            if math.random() < 0.3 then
                emu:admin("POST", "/_emulator/metadata", { role = "soak-role",
                    expires_in = 1200, account = ACCOUNTS[5].id, failure = "code",
                    count = 1 })
                totals.metadata_failures = totals.metadata_failures + 1
            end
        end

        -- An uncertain model is settled by reading the state back first.
        if model_size(entry.model) > 1 then
            check_model(entry, emu:state())
        end

        local state = only_state(entry.model)
        local op = pick_operation(state)
        local res, err = run_operation(entry.client, op)
        totals.calls = totals.calls + 1

        local reads = op.kind == "describe_user" or op.kind == "describe_role"
        if res ~= nil then
            if not reads then
                entry.model = {}
                model_add(entry.model, apply(state, op))
            end
        else
            note_error(err)
            if not reads then
                model_add(entry.model, apply(state, op))
            end
        end
    end

    -- End of phase: no faults, the true clock, then every account checked.
    local remaining = 0
    for _, fault in ipairs(emu:admin("GET", "/_emulator/faults").faults) do
        remaining = remaining + math.max(fault.count, 0)
    end
    totals.faults_applied = totals.faults_applied + injected - remaining
    emu:clear_faults()
    emu:set_clock(0)

    local document = emu:state()
    for _, entry in ipairs(clients) do
        check_model(entry, document)
    end

    for _, request in ipairs(emu:requests()) do
        if request.outcome == "RequestLimitExceeded" and request.fault == nil then
            totals.emulator_throttles = totals.emulator_throttles + 1
        end
    end
    emu:admin("DELETE", "/_emulator/requests")

    io.stderr:write(string.format("soak: phase %d: %d calls, %d faults queued, %d errors,"
        .. " %d wrong states so far\n", totals.phases, totals.calls, totals.faults_injected,
        totals.errors, totals.wrong_states))
end

local seconds = core.monotonic() - started
emu:stop()

local codes = {}
for code, count in pairs(error_codes) do
    codes[#codes + 1] = code .. " " .. count
end
table.sort(codes)

print(string.format("seed                  %d", options.seed))
print(string.format("seconds               %.1f", seconds))
print(string.format("phases                %d", totals.phases))
print(string.format("calls                 %d", totals.calls))
print(string.format("faults injected       %d (queued %d, of which %d reached a request)",
    totals.faults_applied + totals.token_expiries + totals.clock_skews
        + totals.metadata_failures,
    totals.faults_injected, totals.faults_applied))
print(string.format("  token expiries      %d", totals.token_expiries))
print(string.format("  metadata failures   %d", totals.metadata_failures))
print(string.format("  clock skews         %d", totals.clock_skews))
print(string.format("retries               %d", totals.retries))
print(string.format("creates reconciled    %d", totals.reconciled))
print(string.format("credential refreshes  %d", totals.refreshes))
print(string.format("clock corrections     %d", totals.skew_corrections))
print(string.format("rate limit waits      %d", totals.rate_waits))
print(string.format("emulator throttles    %d (not injected)", totals.emulator_throttles))
print(string.format("errors surfaced       %d%s", totals.errors,
    #codes > 0 and (" (" .. table.concat(codes, ", ") .. ")") or ""))
print(string.format("secret leaks          %d", totals.secret_leaks))
print(string.format("wrong final states    %d", totals.wrong_states))

local ok = totals.wrong_states == 0 and totals.secret_leaks == 0
    and totals.calls >= options.calls
if not ok then
    print("FAILED")
    os.exit(1)
end
print("OK")
