--- OIDC state of the emulated CAM accounts, optionally backed by a file.
--
-- One account per secret id. Each account has at most one user-SSO OIDC
-- configuration (`user_oidc`) and a map of role-SSO OIDC providers by name
-- (`role_oidc`). The file format is the JSON document that `snapshot`
-- returns:
--
--     {"format": 1, "accounts": {"<secret id>": {
--         "user_oidc": {...UpdateUserOIDCConfig fields..., "Status": 11},
--         "role_oidc": {"<Name>": {...CreateOIDCConfig fields..., "Status": 11}}}}}
--
-- @module cam.emulator.state

local json = require "cam.emulator.json"

local _M = {}

local FORMAT = 1

local Store = {}
Store.__index = Store


local function read_file(path)
    local file, err = io.open(path, "rb")
    if not file then
        return nil, err
    end
    local text = file:read("a")
    file:close()
    return text
end


local function file_exists(path)
    local file = io.open(path, "rb")
    if file then
        file:close()
        return true
    end
    return false
end


--- Create a store.
-- @tparam[opt] string path JSON file to load from and save to; nil keeps the
-- state in memory only
-- @treturn table store
function _M.new(path)
    return setmetatable({ path = path, accounts = {} }, Store)
end


--- Load the state file. A missing file leaves the store empty.
-- @treturn boolean|nil true on success
-- @treturn[2] string error message naming the file
function Store:load()
    if not self.path or not file_exists(self.path) then
        self.accounts = {}
        return true
    end

    local text, read_err = read_file(self.path)
    if not text then
        return nil, "cannot read state file: " .. read_err
    end

    local document, decode_err = json.decode(text)
    if not document then
        return nil, string.format("state file %s is not valid JSON: %s", self.path, decode_err)
    end
    if json.type_of(document) ~= "object" or document.format ~= FORMAT
        or json.type_of(document.accounts) ~= "object" then
        return nil, string.format(
            "state file %s must be a JSON object with \"format\": %d and an \"accounts\" object",
            self.path, FORMAT)
    end

    self.accounts = {}
    for secret_id, account in pairs(document.accounts) do
        if json.type_of(account) ~= "object" then
            return nil, string.format("state file %s: account %s must be an object",
                self.path, secret_id)
        end
        local role_oidc = account.role_oidc
        if role_oidc ~= nil and json.type_of(role_oidc) ~= "object" then
            return nil, string.format("state file %s: role_oidc of %s must be an object",
                self.path, secret_id)
        end
        self.accounts[secret_id] = {
            user_oidc = account.user_oidc,
            role_oidc = role_oidc or {},
        }
    end
    return true
end


--- Return the state of one account, creating an empty one when needed.
-- @tparam string secret_id
-- @treturn table `{user_oidc = table|nil, role_oidc = {[name] = table}}`
function Store:account(secret_id)
    local account = self.accounts[secret_id]
    if not account then
        account = { role_oidc = {} }
        self.accounts[secret_id] = account
    end
    return account
end


--- Build the JSON-ready document of the whole state.
-- @treturn table
function Store:snapshot()
    local accounts = json.object({})
    for secret_id, account in pairs(self.accounts) do
        accounts[secret_id] = {
            user_oidc = account.user_oidc,
            role_oidc = json.object(account.role_oidc),
        }
    end
    return { format = FORMAT, accounts = accounts }
end


--- Write the state file atomically: a temporary file in the same directory,
-- then a rename over the old one. Does nothing without a path.
-- @treturn boolean|nil true on success
-- @treturn[2] string error message
function Store:save()
    if not self.path then
        return true
    end

    local temporary = self.path .. ".tmp"
    local file, open_err = io.open(temporary, "wb")
    if not file then
        return nil, "cannot write state file: " .. open_err
    end

    local ok, write_err = file:write(json.encode(self:snapshot(), { "format", "accounts" }), "\n")
    local closed, close_err = file:close()
    if not ok or not closed then
        os.remove(temporary)
        return nil, "cannot write state file: " .. tostring(write_err or close_err)
    end

    local renamed, rename_err = os.rename(temporary, self.path)
    if not renamed then
        os.remove(temporary)
        return nil, "cannot replace state file: " .. rename_err
    end
    return true
end


--- Forget every account's configuration (credentials are not part of the
-- store).
function Store:reset()
    self.accounts = {}
end


return _M
