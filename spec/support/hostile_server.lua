-- A deliberately misbehaving HTTP server for the client's tests, on
-- 127.0.0.1 only. Usage: lua5.4 hostile_server.lua PORT_FILE
-- It writes its port to PORT_FILE, then responds to each request by the mode
-- named in the request's X-TC-Action header (see MODES), and closes the
-- connection after each response. It stops after 600 s or 1,000 requests.

local socket = require("socket")

local port_file = assert(arg[1], "usage: hostile_server.lua PORT_FILE")
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local f = assert(io.open(port_file, "w"))
f:write(port, "\n")
f:close()


local function echo_json(text)
    return (text:gsub('[%c"\\]', function(c)
        return ("\\u%04x"):format(c:byte())
    end))
end


local MODES = {
    -- The token echoed in the error code and the request id.
    EchoToken = function(h)
        local token = echo_json(h["x-tc-token"] or "")
        return 200, '{"Response":{"Error":{"Code":"Bad.' .. token .. '","Message":"m"},'
            .. '"RequestId":"' .. token .. '"}}'
    end,
    -- The Authorization header echoed in an API error message.
    EchoAuthorization = function(h)
        return 200, '{"Response":{"Error":{"Code":"AuthFailure","Message":"got '
            .. echo_json(h["authorization"] or "") .. '"},"RequestId":"r-1"}}'
    end,
    -- The Authorization header echoed in a plain-text 400 page.
    EchoPage = function(h)
        return 400, "bad request: " .. (h["authorization"] or "")
    end,
    EmptyResponse = function() return 200, '{"Response":{}}' end,
    StringError = function() return 200, '{"Response":{"Error":"boom","RequestId":"r1"}}' end,
    ArrayResponse = function() return 200, '{"Response":[1,2]}' end,
    Ansi = function()
        return 200, '{"Response":{"Error":{"Code":"X\\u001b[31m","Message":'
            .. '"red\\u001b[2J\\ttab\\u0000nul"},"RequestId":"r1"}}'
    end,
    LongMessage = function()
        return 200, '{"Response":{"Error":{"Code":"Long","Message":"'
            .. string.rep("x", 900 * 1024) .. '"},"RequestId":"r1"}}'
    end,
}


local deadline = socket.gettime() + 600
server:settimeout(1)
for _ = 1, 1000 do
    if socket.gettime() > deadline then
        break
    end
    local conn = server:accept()
    if conn then
        conn:settimeout(5)
        local headers = {}
        local line = conn:receive("*l")
        while line and line ~= "" do
            local name, value = line:match("^([^:]+):%s*(.*)$")
            if name then
                headers[name:lower()] = value
            end
            line = conn:receive("*l")
        end
        if headers["content-length"] then
            conn:receive(tonumber(headers["content-length"]))
        end

        local mode = MODES[headers["x-tc-action"] or ""]
        local status, body = 404, "unknown mode"
        if mode then
            status, body = mode(headers)
        end
        conn:send(("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
            .. "Content-Length: %d\r\nConnection: close\r\n\r\n%s"):format(
            status, #body, body))
        conn:close()
    end
end
