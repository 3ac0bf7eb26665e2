--- OpenID Connect workflow for CAM single sign-on: discovery, keys from
-- PEM, presets for well-known IdPs, configuration templates, an ID token
-- preflight, and plan and apply.
--
-- Requiring this module adds `plan_oidc`, `apply_oidc`, `plan_role_oidc`
-- and `apply_role_oidc` to every client (see `cam.oidc.plan`).
-- @module cam.oidc
-- @usage
-- local cam = require("cam")
-- local oidc = require("cam.oidc")
-- local config = assert(oidc.from_discovery("https://sso.example.com/realms/acme",
--     { client_id = "tencent-cloud", mapping_field = "preferred_username" }))
-- local client = cam.new()
-- local result = assert(client:apply_oidc(config))
-- print(result.action, result.request_id)

local client = require("cam.client")
local discovery = require("cam.oidc.discovery")
local jwks = require("cam.oidc.jwks")
local plan = require("cam.oidc.plan")
local presets = require("cam.oidc.presets")
local template = require("cam.oidc.template")
local token = require("cam.oidc.token")

local _M = {}

plan.install(client.methods)


--- Fetch `<issuer>/.well-known/openid-configuration` and the JWKS it names
-- over https, check them, and return the configuration for `update_oidc`.
-- The discovered issuer must equal `issuer` byte for byte, `id_token` must
-- be among `response_types_supported`, and the response mode among
-- `response_modes_supported` when that is listed. Encryption keys
-- (`use=enc`) are left out of IdentityKey, with a warning.
-- @function from_discovery
-- @see cam.oidc.discovery.from_discovery
_M.from_discovery = discovery.from_discovery

--- Build an IdentityKey (base64 JWKS) from PEM public keys and
-- certificates.
-- @function identity_key_from_pem
-- @see cam.oidc.jwks.identity_key_from_pem
_M.identity_key_from_pem = jwks.identity_key_from_pem

--- Verify a sample ID token against a configuration before pushing it.
-- @function verify_id_token
-- @see cam.oidc.token.verify
_M.verify_id_token = token.verify

--- Expand `${NAME}` placeholders in a configuration.
-- @function expand
-- @see cam.oidc.template.expand
_M.expand = template.expand

--- The IdP presets (`cam.oidc.presets`).
_M.presets = presets


return _M
