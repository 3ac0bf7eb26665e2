-- A minimal authoritative DNS server over UDP for tests that reach loopback
-- servers by host name, such as nginx's `resolver` directive in
-- spec/openresty_spec.lua. It binds to 127.0.0.1 only.
--
-- Usage: lua5.4 dns_server.lua LOG_FILE NAME...
--
-- Every NAME must end in ".test", the top-level domain RFC 2606 reserves for
-- testing, so the server never returns an address for a real host. It
-- prints its UDP port on stdout and responds to each query:
--
-- - A for a NAME: one record, 127.0.0.1
-- - another type for a NAME (AAAA, ...): NOERROR with no records
-- - any other name: NXDOMAIN
-- - a malformed query: FORMERR, and an opcode other than QUERY: NOTIMP
--
-- Each query is appended to LOG_FILE as "TYPE NAME RCODE", such as
-- "A cam.test NOERROR". The server exits after an hour in case its test run
-- did not stop it.

local socket = require("socket")

local LIFETIME_SECONDS = 3600
-- TTL of the A records in seconds. nginx's `resolver ... valid=` overrides
-- it.
local TTL_SECONDS = 60

local TYPE_A = 1
local CLASS_IN = 1
local TYPE_NAMES = { [1] = "A", [5] = "CNAME", [28] = "AAAA", [33] = "SRV" }

local NOERROR, FORMERR, NXDOMAIN, NOTIMP = 0, 1, 3, 4
local RCODE_NAMES = { [0] = "NOERROR", [1] = "FORMERR", [3] = "NXDOMAIN",
    [4] = "NOTIMP" }

local FLAG_QR = 0x8000
local FLAG_AA = 0x0400
local FLAG_RD = 0x0100


local log_path = arg[1]
if log_path == nil or arg[2] == nil then
    io.stderr:write("usage: lua5.4 dns_server.lua LOG_FILE NAME...\n")
    os.exit(2)
end

local known = {}
for i = 2, #arg do
    local name = arg[i]:lower()
    if not name:find("^[%w%-%.]+%.test$") then
        io.stderr:write("dns_server.lua: invalid name '" .. arg[i]
            .. "': names must end in .test\n")
        os.exit(2)
    end
    known[name] = true
end


--- Parse the header and the single question of a query.
-- Returns nil when the packet is shorter than a header, and the header
-- without `name` when the question is malformed or uses compression.
local function parse_query(packet)
    if #packet < 12 then
        return nil
    end
    local id, flags, question_count = string.unpack(">I2I2I2", packet)
    local query = { id = id, flags = flags, question_count = question_count }

    local labels = {}
    local pos = 13
    while true do
        local length = packet:byte(pos)
        if length == nil or length > 63 then
            return query
        end
        if length == 0 then
            pos = pos + 1
            break
        end
        labels[#labels + 1] = packet:sub(pos + 1, pos + length)
        pos = pos + 1 + length
    end
    if pos + 3 > #packet then
        return query
    end

    query.name = table.concat(labels, "."):lower()
    query.type, query.class = string.unpack(">I2I2", packet, pos)
    query.question = packet:sub(13, pos + 3)
    return query
end


--- Build the response to a parsed query.
-- @treturn string the packet
-- @treturn integer the response code
local function build_response(query)
    local opcode = (query.flags >> 11) & 0xF
    local rcode, answers = NOERROR, {}

    if opcode ~= 0 then
        rcode = NOTIMP
    elseif query.question_count ~= 1 or query.name == nil then
        rcode = FORMERR
    elseif not known[query.name] then
        rcode = NXDOMAIN
    elseif query.type == TYPE_A and query.class == CLASS_IN then
        -- 0xC00C points back at the question's name, at offset 12.
        answers[1] = "\xC0\x0C" .. string.pack(">I2I2I4I2", TYPE_A, CLASS_IN,
            TTL_SECONDS, 4) .. "\127\0\0\1"
    end

    local flags = FLAG_QR | (opcode << 11) | FLAG_AA
        | (query.flags & FLAG_RD) | rcode
    local question = query.question or ""
    local header = string.pack(">I2I2I2I2I2I2", query.id, flags,
        question ~= "" and 1 or 0, #answers, 0, 0)
    return header .. question .. table.concat(answers), rcode
end


local udp = assert(socket.udp())
assert(udp:setsockname("127.0.0.1", 0))
local _, port = udp:getsockname()
io.stdout:write(port, "\n")
io.stdout:flush()

local log = assert(io.open(log_path, "a"))
log:setvbuf("line")

local deadline = socket.gettime() + LIFETIME_SECONDS
udp:settimeout(1)
while socket.gettime() < deadline do
    local packet, peer_ip, peer_port = udp:receivefrom()
    local query = packet and parse_query(packet)

    -- Packets too short for a header, and responses, get no reply.
    if query ~= nil and query.flags & FLAG_QR == 0 then
        local response, rcode = build_response(query)
        log:write(string.format("%s %s %s\n",
            TYPE_NAMES[query.type] or tostring(query.type or "-"),
            query.name or "-", RCODE_NAMES[rcode]))
        udp:sendto(response, peer_ip, peer_port)
    end
end
