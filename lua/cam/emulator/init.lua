--- Local emulator of Tencent Cloud CAM's OIDC actions, for tests.
--
-- This module keeps the emulator's run-time state. That is the
-- credentials (given, or issued by STS and the metadata service), the OIDC
-- store, the rate limiter, queued faults, the request log, the clock
-- offset, and the settings of the metadata service and of web identity
-- sign-in. `cam.emulator.server` serves it over HTTP(S) and
-- `cam.emulator.cli` parses the `cam-emulator` command line.
-- @module cam.emulator

local faults = require "cam.emulator.faults"
local metadata = require "cam.emulator.metadata"
local ratelimit = require "cam.emulator.ratelimit"
local requestlog = require "cam.emulator.requestlog"
local state = require "cam.emulator.state"

local _M = {}

--- Secret id of the demo account, used when no credentials are given.
_M.DEMO_SECRET_ID = "AKIDCamEmulatorDemo00000000000001"

--- Secret key of the demo account.
_M.DEMO_SECRET_KEY = "CamEmulatorDemoSecretKey00000001"

--- Largest accepted request body, in bytes (API 3.0 allows 10 MiB).
_M.MAX_BODY = 10 * 1024 * 1024

--- Requests per action and account admitted in any one-second window.
_M.RATE_LIMIT = 20

local Emulator = {}
Emulator.__index = Emulator


--- Create an emulator.
-- @tparam table options
-- `credentials`: list of `{secret_id=, secret_key=, token=}` (the demo
-- account when empty or absent);
-- `state_file`: path of the JSON state file (optional);
-- `logger`: function receiving one log line (optional).
-- @treturn table|nil emulator
-- @treturn[2] string error message when the state file cannot be loaded
function _M.new(options)
    local credentials = {}
    local list = options.credentials or {}
    if #list == 0 then
        list = { { secret_id = _M.DEMO_SECRET_ID, secret_key = _M.DEMO_SECRET_KEY } }
    end
    for _, credential in ipairs(list) do
        credentials[credential.secret_id] = {
            secret_key = credential.secret_key,
            token = credential.token,
        }
    end

    local self = setmetatable({
        credentials = credentials,
        store = state.new(options.state_file),
        limiter = ratelimit.new(_M.RATE_LIMIT, 1),
        faults = faults.new(nil),
        requests = requestlog.new(),
        clock_offset = 0,
        default_account = list[1].secret_id,
        metadata = metadata.defaults(),
        web_identity = {},
        max_body = _M.MAX_BODY,
        log = options.logger or function() end,
    }, Emulator)

    local ok, err = self.store:load()
    if not ok then
        return nil, err
    end
    return self
end


--- Return the emulator's clock: Unix time plus the adjustable offset.
-- @treturn integer seconds
function Emulator:now()
    return os.time() + self.clock_offset
end


--- Add or replace a credential.
-- @tparam string secret_id
-- @tparam string secret_key
-- @tparam[opt] string token makes it a temporary credential
function Emulator:set_credential(secret_id, secret_key, token)
    self.credentials[secret_id] = { secret_key = secret_key, token = token }
end


--- Tell whether a text contains the secret key or token of a credential
-- the emulator has, or the web identity token it requires.
-- @tparam string text
-- @treturn boolean
function Emulator:contains_secret(text)
    local find = string.find

    for _, credential in pairs(self.credentials) do
        for _, secret in ipairs({ credential.secret_key, credential.token or false }) do
            if secret and secret ~= "" and find(text, secret, 1, true) then
                return true
            end
        end
    end
    local web_identity = self.web_identity
    local token = type(web_identity) == "table" and web_identity.token
    return type(token) == "string" and token ~= "" and find(text, token, 1, true) ~= nil
end


--- Save the store after a change, logging a failure (the change stays in
-- memory).
function Emulator:state_changed()
    local ok, err = self.store:save()
    if not ok then
        self.log("error: " .. err)
    end
end


--- Clear the OIDC state, queued faults, rate counters, request log, clock
-- offset, issued temporary credentials, and the metadata and web identity
-- settings. Other credentials stay.
function Emulator:reset()
    self.store:reset()
    self:state_changed()
    self.faults:clear()
    self.limiter:reset()
    self.requests:clear()
    self.clock_offset = 0
    for secret_id, credential in pairs(self.credentials) do
        if credential.issued then
            self.credentials[secret_id] = nil
        end
    end
    self.metadata = metadata.defaults()
    self.web_identity = {}
end


--- List the temporary credentials issued so far, without their secrets.
-- @treturn table list of `{secret_id=, expires_at=, expired=, account=,
-- source=}`, sorted by secret id
function Emulator:issued_credentials()
    local list = {}
    local now = self:now()
    for secret_id, credential in pairs(self.credentials) do
        if credential.issued then
            list[#list + 1] = {
                secret_id = secret_id,
                expires_at = credential.expires_at,
                expired = now >= credential.expires_at,
                account = credential.account,
                source = credential.source,
            }
        end
    end
    table.sort(list, function(a, b) return a.secret_id < b.secret_id end)
    return list
end


--- Make issued temporary credentials expire now.
-- @tparam[opt] string secret_id only this one; every issued one when nil
-- @treturn integer how many were changed
function Emulator:expire_credentials(secret_id)
    local changed = 0
    local now = self:now()
    for id, credential in pairs(self.credentials) do
        if credential.issued and (secret_id == nil or id == secret_id) then
            credential.expires_at = math.min(credential.expires_at, now)
            changed = changed + 1
        end
    end
    return changed
end


return _M
