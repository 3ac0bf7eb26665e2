--- The default transport: picks, for each request, the transport that suits
-- where the code runs.
--
-- - Outside nginx: libcurl (`cam.transport.curl`).
-- - Inside nginx, in a phase with cosockets (rewrite, access, content,
--   timer, ssl_cert, ...): `cam.transport.ngx`, which waits without
--   blocking the worker.
-- - Inside nginx, in a phase without cosockets (init, init_worker, set,
--   header_filter, body_filter, log, balancer, ...): libcurl only when the
--   client option `allow_blocking` is true, since a blocking call stalls
--   every request of the worker; otherwise the request fails with code
--   `NGX_NO_COSOCKET` and a message naming the phase and the option.
--
-- The choice is made per request rather than in `new`, because a client
-- made in `init_worker` is typically used later from request handlers.
-- Requiring this module does no I/O, and neither transport is created
-- before its first request.
-- @module cam.transport.auto

local ngx_transport = require("cam.transport.ngx")

local require = require
local setmetatable = setmetatable

local _M = {}

local mt = {}
mt.__index = mt


--- Create the transport for the current environment.
-- @tparam[opt] table opts the client options; `allow_blocking` (boolean)
--   lets requests from nginx phases without cosockets use libcurl
-- @treturn table a transport with `request(req)` and `close()`
function _M.new(opts)
    opts = opts or {}
    return setmetatable({
        opts = opts,
        allow_blocking = opts.allow_blocking == true,
        curl = nil,
        ngx = nil,
    }, mt)
end


--- Name the transport a request made now would use: `"curl"`, `"ngx"`,
-- or nil and the failure when the request must not be sent.
-- @treturn[1] string the transport name
-- @treturn[2] nil
-- @treturn[2] table the failure, with code `NGX_NO_COSOCKET`
function mt:choose()
    local phase = ngx_transport.phase()

    if phase == nil then
        return "curl"
    elseif ngx_transport.COSOCKET_PHASES[phase] then
        return "ngx"
    elseif self.allow_blocking then
        return "curl"
    end
    return nil, ngx_transport.no_cosocket_failure(phase)
end


--- Send one request with the transport chosen for the current phase.
-- @tparam table req the request, as for `cam.transport.curl`
-- @treturn[1] table the response
-- @treturn[2] nil
-- @treturn[2] table the failure
function mt:request(req)
    local name, failure = self:choose()

    if name == nil then
        return nil, failure
    end
    if self[name] == nil then
        self[name] = require("cam.transport." .. name).new(self.opts)
    end
    return self[name]:request(req)
end


--- Close the transports created so far. They reopen when used again.
function mt:close()
    if self.curl ~= nil then
        self.curl:close()
    end
    if self.ngx ~= nil then
        self.ngx:close()
    end
end


return _M
