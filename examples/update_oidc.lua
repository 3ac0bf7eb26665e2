#!/usr/bin/env lua5.4
--- Point the account's user single sign-on at an OpenID Connect provider.
--
-- Usage: lua5.4 examples/update_oidc.lua CONFIG.json
--
-- CONFIG.json contains the provider's settings with the Lua parameter names of
-- cam.update_oidc, plus "jwks_file": the provider's JWKS, a path relative to
-- the configuration file. Credentials come from TENCENTCLOUD_SECRET_ID and
-- TENCENTCLOUD_SECRET_KEY, the endpoint from TENCENTCLOUD_CAM_ENDPOINT when it
-- is set. The configuration is created when the account has none, updated
-- otherwise, and then described.

-- Find the library in the checkout this script belongs to.
local root = (arg[0]:match("^(.*)/examples/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/build/lua5.4/?.so;" .. package.cpath

local cam = require("cam")
local cjson = require("cjson")


local function fail(message)
    io.stderr:write("update_oidc: ", tostring(message), "\n")
    os.exit(1)
end


local function read_file(path)
    local f, err = io.open(path, "rb")
    if f == nil then
        fail(err)
    end
    local text = f:read("a")
    f:close()
    return text
end


local config_path = arg[1] or fail("usage: update_oidc.lua CONFIG.json")
local ok, config = pcall(cjson.decode, read_file(config_path))
if not ok or type(config) ~= "table" then
    fail(config_path .. " is not a JSON object")
end

-- The JWKS file is read as bytes and sent exactly as the provider wrote it.
local jwks_file = config.jwks_file or fail(config_path .. ": jwks_file is missing")
config.jwks_file = nil
local config_dir = config_path:match("^(.*)/[^/]*$") or "."
local identity_key, key_err = cam.identity_key(read_file(config_dir .. "/" .. jwks_file))
if identity_key == nil then
    fail(key_err)
end
config.identity_key = identity_key

local client = cam.new({ timeout = 10 })

-- Create or update: Status 0 means the account has no configuration yet.
local current, err = client:describe_oidc()
if current == nil then
    fail(err)
end

local response
if current.Status == 0 then
    response, err = client:create_oidc(config)
    if response == nil then
        fail(err)
    end
    print("created  RequestId " .. response.RequestId)
end

response, err = client:update_oidc(config)
if response == nil then
    fail(err)
end
print("updated  RequestId " .. response.RequestId)

local described
described, err = client:describe_oidc()
if described == nil then
    fail(err)
end

print("described RequestId " .. described.RequestId)
local names = {}
for name in pairs(described) do
    if name ~= "RequestId" then
        names[#names + 1] = name
    end
end
table.sort(names)
for _, name in ipairs(names) do
    local value = described[name]
    if type(value) == "table" then
        value = table.concat(value, ",")
    elseif name == "IdentityKey" then
        value = value:sub(1, 24) .. "... (" .. #value .. " bytes of base64)"
    end
    print(("  %-22s %s"):format(name, tostring(value)))
end

client:close()
