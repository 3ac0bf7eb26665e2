--- Text helpers of `cam.validate`: code points of valid UTF-8, invisible
-- characters, and values quoted and described for messages.
--
-- `find_disallowed` walks code points and expects well-formed UTF-8, which
-- `cam.validate` checks first.
-- @module cam.validate.text

local byte = string.byte
local concat = table.concat
local find = string.find
local format = string.format
local gsub = string.gsub
local next = next
local sub = string.sub
local tostring = tostring
local type = type

local _M = {}

local MAX_QUOTED = 60


-- Characters that show as nothing or as a plain space: the Unicode 14.0
-- general categories Cc (controls), Cf (format characters), Zs (spaces,
-- except U+0020), Zl and Zp, as code point ranges in ascending order.
local INVISIBLE_RANGES = {
    { 0x0000, 0x001F }, { 0x007F, 0x00A0 }, { 0x00AD, 0x00AD },
    { 0x0600, 0x0605 }, { 0x061C, 0x061C }, { 0x06DD, 0x06DD },
    { 0x070F, 0x070F }, { 0x0890, 0x0891 }, { 0x08E2, 0x08E2 },
    { 0x1680, 0x1680 }, { 0x180E, 0x180E }, { 0x2000, 0x200F },
    { 0x2028, 0x202F }, { 0x205F, 0x2064 }, { 0x2066, 0x206F },
    { 0x3000, 0x3000 }, { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB },
    { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD }, { 0x13430, 0x13438 },
    { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 },
    { 0xE0020, 0xE007F },
}


local function is_invisible(point)
    for i = 1, #INVISIBLE_RANGES do
        local range = INVISIBLE_RANGES[i]

        if point < range[1] then
            return false
        end
        if point <= range[2] then
            return true
        end
    end
    return false
end


--- Decode the code point at byte `i` of a valid UTF-8 string.
-- @treturn number the code point
-- @treturn number the byte index of the next character
local function code_point_at(s, i)
    local b1, b2, b3, b4 = byte(s, i, i + 3)

    if b1 < 0x80 then
        return b1, i + 1
    end
    if b1 < 0xE0 then
        return (b1 - 0xC0) * 0x40 + (b2 - 0x80), i + 2
    end
    if b1 < 0xF0 then
        return ((b1 - 0xE0) * 0x40 + (b2 - 0x80)) * 0x40 + (b3 - 0x80), i + 3
    end
    return (((b1 - 0xF0) * 0x40 + (b2 - 0x80)) * 0x40 + (b3 - 0x80)) * 0x40
        + (b4 - 0x80), i + 4
end


--- Write a multibyte UTF-8 sequence as \u{XXXX} when it encodes an
-- invisible character. A malformed sequence stays as it is.
local function escape_invisible(sequence)
    local lead = byte(sequence)
    local length = lead < 0xE0 and 2 or (lead < 0xF0 and 3 or 4)

    if #sequence == length then
        local point = code_point_at(sequence, 1)
        if is_invisible(point) then
            return format("\\u{%04X}", point)
        end
    end
    return nil
end


--- Quote a string for a message: cut to MAX_QUOTED bytes on a character
-- boundary, with ASCII control characters shown as \xNN and the other
-- invisible characters (such as U+00A0 and U+200B) as \u{XXXX}.
local function quote(s)
    if #s > MAX_QUOTED then
        local cut = MAX_QUOTED
        local b = byte(s, cut + 1)

        -- Step back over UTF-8 continuation bytes (0x80 to 0xBF).
        while cut > 0 and b >= 0x80 and b < 0xC0 do
            b = byte(s, cut)
            cut = cut - 1
        end
        s = sub(s, 1, cut) .. "..."
    end

    s = gsub(s, "[%z\1-\31\127]", function(c)
        return format("\\x%02X", byte(c))
    end)
    if find(s, "[\192-\247]") then
        s = gsub(s, "[\192-\247][\128-\191]*", escape_invisible)
    end
    return "'" .. s .. "'"
end


--- Describe what a value is, for "got ..." in messages.
local function describe(value)
    local kind = type(value)

    if kind == "string" then
        return "the string " .. quote(value)
    end
    if kind == "number" or kind == "boolean" then
        return kind .. " " .. tostring(value)
    end
    return kind
end


--- Show one character in a message: quoted when it is visible, else as its
-- code point, because a quoted U+00A0 looks like an ordinary space.
local function show_character(char, point)
    if is_invisible(point) then
        return format("U+%04X", point)
    end
    return "'" .. char .. "'"
end


-- The most disallowed characters that one message lists.
local MAX_LISTED = 5


--- Find the characters of a valid UTF-8 string that `allowed` rejects.
-- `ascii_pattern` is an anchored pattern that matches strings made only of
-- ASCII characters that `allowed` accepts. It lets the common all-ASCII
-- value skip the loop over code points.
-- @treturn[1] table up to MAX_LISTED distinct characters, in order of first
--   appearance, each shown as "'c' at character N" (counted from 1)
-- @treturn[1] number how many distinct characters were rejected
-- @treturn[2] nil when every character is allowed
local function find_disallowed(s, allowed, ascii_pattern)
    if find(s, ascii_pattern) then
        return nil
    end

    local listed
    local seen
    local distinct = 0
    local i = 1
    local position = 1

    while i <= #s do
        local point, next_i = code_point_at(s, i)

        if not allowed(point) then
            seen = seen or {}
            if not seen[point] then
                seen[point] = true
                distinct = distinct + 1
                if distinct <= MAX_LISTED then
                    listed = listed or {}
                    listed[distinct] = show_character(sub(s, i, next_i - 1), point)
                        .. " at character " .. position
                end
            end
        end
        i = next_i
        position = position + 1
    end
    return listed, distinct
end


--- Join the result of find_disallowed into "'a' at character 1, 'b' at
-- character 3 and 2 more disallowed characters".
local function list_disallowed(listed, distinct)
    local count = #listed

    if distinct > count then
        return concat(listed, ", ") .. " and " .. (distinct - count)
            .. " more disallowed character" .. (distinct - count == 1 and "" or "s")
    end
    if count == 1 then
        return listed[1]
    end
    return concat(listed, ", ", 1, count - 1) .. " and " .. listed[count]
end


--- Count the items of `t` when its keys are exactly 1..n, else return nil.
local function list_length(t)
    local count = 0

    for key in next, t do
        if type(key) ~= "number" then
            return nil
        end
        count = count + 1
    end
    for i = 1, count do
        if t[i] == nil then
            return nil
        end
    end
    return count
end


local function is_ascii_alphanumeric(point)
    return (point >= 0x30 and point <= 0x39)
        or (point >= 0x41 and point <= 0x5A)
        or (point >= 0x61 and point <= 0x7A)
end


-- Tencent's API documentation of UpdateUserOIDCConfig allows "CJK" in
-- MappingFiled without naming code points, so every CJK ideograph block of
-- Unicode 14.0 (Blocks.txt) counts. cam.emulator.fields accepts the same
-- blocks. NOTE: blocks added after Unicode 14.0 are rejected.
local function is_cjk_ideograph(point)
    return (point >= 0x4E00 and point <= 0x9FFF)        -- CJK Unified Ideographs
        or (point >= 0x3400 and point <= 0x4DBF)        -- Extension A
        or (point >= 0xF900 and point <= 0xFAFF)        -- Compatibility Ideographs
        or (point >= 0x20000 and point <= 0x2A6DF)      -- Extension B
        or (point >= 0x2A700 and point <= 0x2EBEF)      -- Extensions C to F
        or (point >= 0x2F800 and point <= 0x2FA1F)      -- Compatibility Supplement
        or (point >= 0x30000 and point <= 0x3134F)      -- Extension G
end


_M.MAX_QUOTED = MAX_QUOTED
_M.is_invisible = is_invisible
_M.quote = quote
_M.describe = describe
_M.find_disallowed = find_disallowed
_M.list_disallowed = list_disallowed
_M.list_length = list_length
_M.is_ascii_alphanumeric = is_ascii_alphanumeric
_M.is_cjk_ideograph = is_cjk_ideograph


return _M
