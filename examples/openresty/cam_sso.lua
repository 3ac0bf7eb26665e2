--- nginx handlers for examples/openresty/nginx.conf: describe and set the
-- account's CAM user OIDC identity provider.
--
-- `init_worker` makes one client per worker. Its transport is the default,
-- `auto`, which sends through nginx cosockets from request handlers, so a
-- call waiting for CAM does not hold up the worker's other requests.
-- @module cam_sso

local cam = require("cam")
local cjson = require("cjson.safe")

local ngx = ngx
local pcall = pcall
local tostring = tostring
local type = type

local _M = {}

-- HTTP status of the reply for each kind of error.
local STATUS_BY_KIND = {
    validation = 400,
    api = 502,
    http = 502,
    transport = 504,
    credentials = 500,
}

local client


--- Make the worker's client. The credentials and endpoint come from the
-- environment variables that nginx.conf declares with `env`.
function _M.init_worker()
    local ok, result = pcall(cam.new, { timeout = 10 })

    if ok then
        client = result
    else
        ngx.log(ngx.ERR, "cam_sso: cannot create the CAM client: ", result)
    end
end


local function reply(status, value)
    local body = cjson.encode(value) .. "\n"

    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Content-Length"] = #body
    ngx.print(body)
    return ngx.exit(status)
end


local function reply_error(err)
    ngx.log(ngx.ERR, "cam_sso: ", tostring(err))
    return reply(STATUS_BY_KIND[err.kind] or 500, {
        kind = err.kind,
        code = err.code,
        message = err.message,
        request_id = err.request_id,
        problems = err.problems,
    })
end


--- Read the request body as a JSON object.
local function read_params()
    ngx.req.read_body()
    local body = ngx.req.get_body_data()
    if body == nil then
        -- nginx writes bodies over client_body_buffer_size to a file. The
        -- settings take a few kilobytes, so such a body is rejected.
        return nil, "a JSON body of at most client_body_buffer_size bytes"
            .. " is required"
    end

    local params = cjson.decode(body)
    if type(params) ~= "table" then
        return nil, "the body is not a JSON object"
    end
    return params
end


--- Create the configuration when the account has none (Status 0), else
-- update it.
local function put(params)
    local current, err = client:describe_oidc()
    if current == nil then
        return nil, err
    end
    if current.Status == 0 then
        return client:create_oidc(params)
    end
    return client:update_oidc(params)
end


--- Serve GET and PUT on the location.
function _M.handle()
    if client == nil then
        return reply(500, { message = "the CAM client could not be created;"
            .. " nginx's error log has the reason" })
    end

    local method = ngx.req.get_method()
    local res, err

    if method == "GET" then
        res, err = client:describe_oidc()
    elseif method == "PUT" then
        local params, problem = read_params()
        if params == nil then
            return reply(400, { message = problem })
        end
        res, err = put(params)
    else
        ngx.header["Allow"] = "GET, PUT"
        return reply(405, { message = "use GET or PUT" })
    end

    if res == nil then
        return reply_error(err)
    end
    return reply(200, res)
end


return _M
