-- A loopback HTTP server for tests that need a fixed response the emulator
-- does not send, such as an HTML error page.
--
-- Usage: lua5.4 static_server.lua PORT_FILE STATUS BODY_FILE
--
-- It binds to 127.0.0.1 on a free port, writes the port to PORT_FILE, and
-- responds to every request with the body in BODY_FILE and the status in
-- BODY_FILE's ".status" sibling (else STATUS). It reads both again for
-- each request, so a test can change the response between calls. It stops
-- after 120 s or 200 requests.

local socket = require("socket")
local port_file, status, body_file = arg[1], tonumber(arg[2]), arg[3]
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local f = assert(io.open(port_file, "w"))
f:write(port, "\n")
f:close()

local deadline = socket.gettime() + 120
server:settimeout(1)
for _ = 1, 200 do
    if socket.gettime() > deadline then
        break
    end
    local conn = server:accept()
    if conn then
        conn:settimeout(5)
        local length = 0
        local line = conn:receive("*l")
        while line and line ~= "" do
            length = tonumber(line:lower():match("^content%-length:%s*(%d+)")) or length
            line = conn:receive("*l")
        end
        if length > 0 then
            conn:receive(length)
        end
        local file = assert(io.open(body_file, "rb"))
        local body = file:read("a")
        file:close()
        local status_file = io.open(body_file .. ".status", "rb")
        if status_file then
            status = tonumber(status_file:read("a"))
            status_file:close()
        end
        conn:send(("HTTP/1.1 %d X\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
            .. "Connection: close\r\n\r\n%s"):format(status, #body, body))
        conn:close()
    end
end
