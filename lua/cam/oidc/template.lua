--- Variable substitution in configuration values.
--
-- `${NAME}` is replaced by the variable's value and `${NAME:-default}` by
-- the value, or by `default` when the variable is unset or empty. `$${`
-- stands for a literal `${`. Names are letters, digits and `_`, not
-- starting with a digit. Nothing else is special: a `$` not followed by
-- `{` stays as it is, and no code ever runs. A default is literal text: a
-- `${` inside it (`${A:-${B}}`) is a TemplateSyntaxError, not a nested
-- placeholder.
-- @module cam.oidc.template

local errors = require("cam.errors")

local concat = table.concat
local error = error
local find = string.find
local format = string.format
local getmetatable = getmetatable
local next = next
local pcall = pcall
local setmetatable = setmetatable
local sub = string.sub
local tostring = tostring
local type = type

local _M = {
    --- Maximum nesting of tables in an expanded value; deeper values are
    -- rejected rather than overflowing the C stack.
    MAX_DEPTH = 100,
}


--- Format the path to a value for messages, such as `scope[2]` or
-- `preset.realm`.
local function format_path(keys)
    if #keys == 0 then
        return "the value"
    end

    local parts = {}
    for i = 1, #keys do
        local key = keys[i]

        if type(key) == "number" then
            parts[i] = format("[%d]", key)
        elseif type(key) == "string" and find(key, "^[%a_][%w_]*$") then
            parts[i] = (i == 1 and "" or ".") .. key
        else
            parts[i] = format("[%q]", tostring(key))
        end
    end
    return concat(parts)
end


local function template_error(code, message)
    return errors.new({ kind = "validation", code = code, message = message })
end


--- Expand the placeholders of one string.
-- @treturn[1] string the result
-- @treturn[2] nil
-- @treturn[2] table the error
local function expand_string(s, lookup, keys)
    local parts = {}
    local pos = 1

    while true do
        local start = find(s, "$", pos, true)
        if start == nil then
            parts[#parts + 1] = sub(s, pos)
            break
        end
        parts[#parts + 1] = sub(s, pos, start - 1)

        if sub(s, start, start + 2) == "$${" then
            parts[#parts + 1] = "${"
            pos = start + 3
        elseif sub(s, start, start + 1) == "${" then
            local close = find(s, "}", start + 2, true)
            if close == nil then
                return nil, template_error("TemplateSyntaxError",
                    "unterminated ${ in " .. format_path(keys)
                    .. "; close it with } or write $${ for a literal ${")
            end

            local body = sub(s, start + 2, close - 1)
            local name, default = body:match("^([%a_][%w_]*):%-(.*)$")
            if name == nil then
                name = body:match("^([%a_][%w_]*)$")
            end
            if name == nil then
                return nil, template_error("TemplateSyntaxError",
                    "invalid placeholder ${" .. body .. "} in "
                    .. format_path(keys) .. "; use ${NAME} or"
                    .. " ${NAME:-default}")
            end

            if default ~= nil and find(default, "${", 1, true) then
                return nil, template_error("TemplateSyntaxError",
                    "nested ${ in the default of ${" .. name .. ":-...} in "
                    .. format_path(keys) .. "; a default is literal text and"
                    .. " cannot contain a placeholder")
            end

            local value = lookup(name)
            if default ~= nil and (value == nil or value == "") then
                value = default
            end
            if value == nil then
                return nil, template_error("TemplateVariableMissing",
                    "variable " .. name .. " is not set (used in "
                    .. format_path(keys) .. "); set it or write ${" .. name
                    .. ":-default}")
            end
            parts[#parts + 1] = value
            pos = close + 1
        else
            parts[#parts + 1] = "$"
            pos = start + 1
        end
    end
    return concat(parts)
end


local function expand_value(value, lookup, keys, seen)
    if type(value) == "string" then
        return expand_string(value, lookup, keys)
    end
    if type(value) ~= "table" then
        return value
    end
    if #keys >= _M.MAX_DEPTH then
        return nil, template_error("TemplateTooDeep", "the value is nested"
            .. " more than " .. _M.MAX_DEPTH .. " levels deep at "
            .. format_path({ keys[1], keys[2], keys[3] }) .. "...")
    end
    if seen[value] then
        error("template.expand: the table contains itself at "
            .. format_path(keys), 0)
    end
    seen[value] = true

    -- The copy keeps the original's metatable, so that a list marked with
    -- cam.json.array stays an array.
    local copy = setmetatable({}, getmetatable(value))
    for key, item in next, value do
        keys[#keys + 1] = key
        local expanded, err = expand_value(item, lookup, keys, seen)
        keys[#keys] = nil
        if err ~= nil then
            return nil, err
        end
        copy[key] = expanded
    end

    seen[value] = nil
    return copy
end


--- Expand every `${...}` placeholder in a value.
-- Strings anywhere in nested tables are expanded; keys are left as they
-- are. The input is not changed.
-- @param value a string, a table, or anything else (returned as is)
-- @tparam[opt] table vars variable values by name; without it, variables
--   come from the environment, read with `os.getenv` at call time
-- @return[1] the expanded copy
-- @treturn[2] nil
-- @treturn[2] table a validation error, with code `TemplateVariableMissing`
--   (naming the variable and where it is used), `TemplateSyntaxError`
--   (naming where), or `TemplateTooDeep` (tables nested more than
--   `MAX_DEPTH` levels)
-- @raise when `vars` is neither nil nor a table, or `value` contains itself
-- @usage
-- local config = assert(template.expand({ client_id = "${CLIENT_ID}" }))
function _M.expand(value, vars)
    local lookup
    if vars == nil then
        lookup = function(name)
            return os.getenv(name)
        end
    elseif type(vars) == "table" then
        lookup = function(name)
            local v = vars[name]
            if v == nil then
                return nil
            end
            return tostring(v)
        end
    else
        error("template.expand: vars must be a table or nil, got "
            .. type(vars), 2)
    end

    local ok, result, err = pcall(expand_value, value, lookup, {}, {})
    if not ok then
        error(result, 2)
    end
    return result, err
end


return _M
