--- Tencent Cloud API 3.0 response envelopes and request ids.
--
-- Success: `{"Response":{...fields...,"RequestId":"<uuid>"}}`.
-- Failure: `{"Response":{"Error":{"Code":...,"Message":...},"RequestId":"<uuid>"}}`.
-- Both travel with HTTP status 200.
-- @module cam.emulator.envelope

local rand = require "openssl.rand"

local json = require "cam.emulator.json"

local _M = {}

local ERROR_KEY_ORDER = { "Error", "Code", "Message", "RequestId" }


--- Generate a random (version 4) UUID in lower-case hex, as request ids are.
-- @treturn string e.g. `"3f1c9a52-7b1e-4c0d-9a8e-2d4f6b7c8e90"`
function _M.new_request_id()
    local bytes = { rand.bytes(16):byte(1, 16) }

    -- RFC 9562 section 5.4: version 4 in the high nibble of byte 7,
    -- variant 10xx in the high bits of byte 9.
    bytes[7] = (bytes[7] & 0x0f) | 0x40
    bytes[9] = (bytes[9] & 0x3f) | 0x80

    local hex = string.format(string.rep("%02x", 16), table.unpack(bytes))
    return string.format("%s-%s-%s-%s-%s",
        hex:sub(1, 8), hex:sub(9, 12), hex:sub(13, 16), hex:sub(17, 20), hex:sub(21, 32))
end


--- Encode a success envelope.
-- @tparam table fields the action's output fields (may be empty)
-- @tparam string request_id
-- @tparam[opt] {string,...} key_order output fields in the order to write them
-- @treturn string JSON text
function _M.success(fields, request_id, key_order)
    local response = json.object({})
    for name, value in pairs(fields) do
        response[name] = value
    end
    response.RequestId = request_id

    local order = { "Response" }
    for _, name in ipairs(key_order or {}) do
        order[#order + 1] = name
    end
    order[#order + 1] = "RequestId"

    return json.encode({ Response = response }, order)
end


--- Encode an error envelope.
-- @tparam string code e.g. `"AuthFailure.SignatureFailure"`
-- @tparam string message
-- @tparam string request_id
-- @treturn string JSON text
function _M.failure(code, message, request_id)
    local response = {
        Error = { Code = code, Message = message },
        RequestId = request_id,
    }
    return json.encode({ Response = response }, ERROR_KEY_ORDER)
end


return _M
