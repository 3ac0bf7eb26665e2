#!/usr/bin/env lua5.4
--- Print a JWKS for an RSA public key, as an identity provider publishes it.
--
-- Usage: lua5.4 examples/make_jwks.lua public.pem
--
-- The modulus and exponent are read with the openssl command; the key id is
-- the key's RFC 7638 thumbprint.

-- Find the library in the checkout this script belongs to.
local root = (arg[0]:match("^(.*)/examples/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/build/lua5.4/?.so;" .. package.cpath

local core = require("cam.core")
local json = require("cam.json")

local pem = arg[1]
if pem == nil or pem:find("[^%w%./_-]") then
    io.stderr:write("usage: make_jwks.lua PUBLIC_KEY.pem (a plain path)\n")
    os.exit(2)
end


local function hex_to_bytes(hex)
    return (hex:gsub("%x%x", function(pair)
        return string.char(tonumber(pair, 16))
    end))
end


local function base64url(bytes)
    return (core.base64_encode(bytes):gsub("+", "-"):gsub("/", "_"):gsub("=+$", ""))
end


local function integer_to_bytes(value)
    local bytes = {}
    while value > 0 do
        table.insert(bytes, 1, string.char(value % 256))
        value = value // 256
    end
    return table.concat(bytes)
end


local reader = assert(io.popen("openssl rsa -pubin -noout -text -modulus -in " .. pem))
local text = reader:read("a")
reader:close()

local modulus = text:match("Modulus=(%x+)")
local exponent = tonumber(text:match("Exponent: (%d+)"))
if modulus == nil or exponent == nil then
    io.stderr:write("make_jwks.lua: no RSA public key in " .. pem .. "\n")
    os.exit(1)
end

local n = base64url(hex_to_bytes(modulus))
local e = base64url(integer_to_bytes(exponent))
local thumbprint_input = '{"e":"' .. e .. '","kty":"RSA","n":"' .. n .. '"}'
local kid = base64url(hex_to_bytes(core.sha256_hex(thumbprint_input)))

io.write(json.encode({
    keys = {
        { kty = "RSA", use = "sig", alg = "RS256", kid = kid, n = n, e = e },
    },
}), "\n")
