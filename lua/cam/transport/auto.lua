--- The default transport: picks the transport that suits where the code
-- runs. Outside nginx that is libcurl (`cam.transport.curl`).
-- @module cam.transport.auto

local _M = {}


--- Create the transport for the current environment.
-- @tparam table opts the client options
-- @treturn table a transport
function _M.new(opts)
    -- TODO: pick the cosocket transport inside nginx request phases and
    -- refuse blocking libcurl there unless opts.allow_blocking is set.
    return require("cam.transport.curl").new(opts)
end


return _M
