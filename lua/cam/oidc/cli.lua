--- The `cam-oidc` command: discover, show, plan, apply, disable and
-- verify-token. See docs/CLI.md.
-- @module cam.oidc.cli

local argparse = require("argparse")
local cam_client = require("cam.client")
local config_file = require("cam.oidc.config")
local credentials = require("cam.credentials")
local errors = require("cam.errors")
local json = require("cam.json")
local jwks_util = require("cam.oidc.jwks")
local oidc = require("cam.oidc")
local presets = require("cam.oidc.presets")
local text_util = require("cam.validate.text")

local byte = string.byte
local concat = table.concat
local find = string.find
local format = string.format
local ipairs = ipairs
local pairs = pairs
local pcall = pcall
local sort = table.sort
local sub = string.sub
local tostring = tostring
local type = type

local _M = {}

--- Exit statuses.
_M.EXIT_OK = 0
_M.EXIT_ERROR = 1
_M.EXIT_USAGE = 2
_M.EXIT_CHANGES = 3
_M.EXIT_REJECTED = 4

local STATUS_NAMES = { [0] = "not configured", [2] = "disabled",
    [11] = "enabled" }

local COLORS = { add = "\27[32m", remove = "\27[31m", change = "\27[33m",
    reset = "\27[0m" }


-- Output -------------------------------------------------------------------

--- An output context: where text goes and whether it is coloured.
local function new_output(args)
    local out = { json = args.json, color = false }

    if not args.json and not args.no_color then
        local no_color = os.getenv("NO_COLOR")
        local term = os.getenv("TERM")
        -- `test -t 1` runs in a shell that shares this process's stdout.
        out.color = (no_color == nil or no_color == "") and term ~= "dumb"
            and os.execute("test -t 1") == true
    end
    return out
end


local function paint(out, kind, text)
    if not out.color then
        return text
    end
    return COLORS[kind] .. text .. COLORS.reset
end


local function print_line(text)
    io.stdout:write(text, "\n")
end


--- Tell whether a table is a list: marked as a JSON array, or with keys
-- 1..n and nothing else.
local function is_list(t)
    if json.is_array(t) then
        return true
    end
    local count = 0
    for _ in pairs(t) do
        count = count + 1
    end
    return count > 0 and count == #t
end


--- Write JSON with two-space indentation and sorted keys.
local function pretty(value, indent)
    indent = indent or ""
    if type(value) ~= "table" then
        return json.encode(value)
    end

    local inner = indent .. "  "
    local parts = {}
    if is_list(value) then
        if #value == 0 then
            return "[]"
        end
        for i = 1, #value do
            parts[i] = inner .. pretty(value[i], inner)
        end
        return "[\n" .. concat(parts, ",\n") .. "\n" .. indent .. "]"
    end

    local keys = {}
    for key in pairs(value) do
        keys[#keys + 1] = key
    end
    if #keys == 0 then
        return "{}"
    end
    sort(keys)
    for i, key in ipairs(keys) do
        parts[i] = inner .. json.encode(key) .. ": " .. pretty(value[key], inner)
    end
    return "{\n" .. concat(parts, ",\n") .. "\n" .. indent .. "}"
end


local function print_json(value)
    print_line(pretty(value))
end


--- Make an error field valid UTF-8 for JSON. Error values are cleaned when
-- they are made, but a problem's message may quote the configuration's
-- bytes as they are.
local function json_text(value)
    if type(value) ~= "string" then
        return value
    end
    return errors.clean(value)
end


--- Report an error; return the exit status.
local function report_error(out, err, status)
    if out.json then
        local problems
        if err.problems then
            problems = json.array({})
            for i, problem in ipairs(err.problems) do
                problems[i] = { field = json_text(problem.field),
                    message = json_text(problem.message) }
            end
        end
        print_json({ error = { kind = json_text(err.kind),
            code = json_text(err.code), message = json_text(err.message),
            request_id = json_text(err.request_id), status = err.status,
            problems = problems } })
    else
        io.stderr:write("cam-oidc: ", tostring(err), "\n")
    end
    return status or _M.EXIT_ERROR
end


--- Report a usage error; return EXIT_USAGE. With `--json` the error is
-- JSON on stdout, of kind "usage".
local function usage_error(message, out)
    if out ~= nil and out.json then
        print_json({ error = { kind = "usage", code = "UsageError",
            message = json_text(message) } })
    else
        io.stderr:write("cam-oidc: ", message, "\n",
            "Run 'cam-oidc --help' for the usage.\n")
    end
    return _M.EXIT_USAGE
end


--- Check that an option's file can be read; nil, or a usage message.
local function check_readable(option, path)
    if path == nil then
        return nil
    end
    local file, err = io.open(path, "rb")
    if file == nil then
        return option .. ": cannot read " .. tostring(err)
    end
    file:close()
    return nil
end


local ASCII_ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n",
    ["\r"] = "\\r", ["\t"] = "\\t" }


--- Escape one character for escape_text.
-- @treturn string the escape, or nil when the character prints as it is
local function escape_character(point, sequence)
    if point < 0x80 then
        if ASCII_ESCAPES[sequence] ~= nil then
            return ASCII_ESCAPES[sequence]
        end
        if point < 0x20 or point == 0x7F then
            return format("\\%03d", point)
        end
        return nil
    end
    if text_util.is_invisible(point) then
        return format("\\u{%04X}", point)
    end
    return nil
end


--- Escape a string for one line of a terminal: quotes, backslashes and
-- ASCII control characters as Lua escapes, each byte that is not part of
-- valid UTF-8 as a decimal Lua escape (\255), and every other character
-- that `cam.validate.text` counts as invisible as \u{XXXX}. These include
-- the C1 controls, the bidi controls, U+00A0, U+3000 and the tag
-- characters.
local function escape_text(text)
    if not find(text, '[^\32-\126]') and not find(text, '["\\]') then
        return text
    end

    local parts = {}
    local i = 1
    while i <= #text do
        local point, size = errors.decode_character(text, i)
        if point == nil then
            parts[#parts + 1] = format("\\%03d", byte(text, i))
            i = i + 1
        else
            local sequence = sub(text, i, i + size - 1)
            parts[#parts + 1] = escape_character(point, sequence) or sequence
            i = i + size
        end
    end
    return concat(parts)
end


local function quote_text(text)
    return '"' .. escape_text(text) .. '"'
end


--- Show a value on one line: strings quoted, lists in brackets, the
-- IdentityKey as its keys.
local function show_value(field, value)
    if value == nil then
        return "(none)"
    end
    if field == "IdentityKey" and type(value) == "string" then
        local jwks = jwks_util.decode(value)
        if jwks == nil then
            return format("(%d characters, not a decodable JWKS)", #value)
        end
        local labels = {}
        for i, key in ipairs(jwks.keys) do
            labels[i] = escape_text(jwks_util.label(key, i)
                .. (type(key.alg) == "string" and (" " .. key.alg) or ""))
        end
        return #labels .. " key" .. (#labels == 1 and "" or "s") .. " ("
            .. concat(labels, ", ") .. ")"
    end
    if type(value) == "table" then
        local items = {}
        for i, item in ipairs(value) do
            items[i] = escape_text(tostring(item))
        end
        return "[" .. concat(items, ", ") .. "]"
    end
    if type(value) == "string" then
        return quote_text(value)
    end
    return tostring(value)
end


-- Clients and credentials -------------------------------------------------

-- Client options named in `cam.new` messages, by their command-line names.
local CLIENT_OPTION_NAMES = { endpoint = "--endpoint", ca_file = "--ca-file",
    timeout = "--timeout" }


--- Rephrase a `cam.new` error for the command line: strip the source
-- location and name the option as it is typed.
local function client_usage_message(raised)
    local message = tostring(raised):gsub("^.-:%d+: ", "")
    local option, rest = message:match("^cam%.new: option '([%w_]+)'(.*)$")
    if option ~= nil and CLIENT_OPTION_NAMES[option] ~= nil then
        return CLIENT_OPTION_NAMES[option] .. rest
    end
    return message
end


local NO_CREDENTIALS_HINT = "no credentials: pass --profile NAME, set "
    .. credentials.SECRET_ID_ENV .. " and " .. credentials.SECRET_KEY_ENV
    .. ", or write a [default] profile to the credentials file"
    .. " ($TENCENTCLOUD_CREDENTIALS_FILE, ~/.tencentcloud/credentials or"
    .. " /etc/tencentcloud/credentials)"


--- Report an error of a client call. The default chain's
-- `CredentialsNotFound` message names library options, so it is replaced
-- by one that names what the command line offers.
local function report_call_error(out, err)
    if err.kind == "credentials" and err.code == "CredentialsNotFound" then
        local reasons = tostring(err.message):match("%((.*)%)$")
        err = errors.new({ kind = "credentials", code = err.code,
            action = err.action, message = NO_CREDENTIALS_HINT
                .. (reasons and (" (" .. reasons .. ")") or "") })
    end
    return report_error(out, err)
end


--- Build the CAM client from the options; nil and an exit status when
-- that fails. With `--profile` the credentials come from that profile
-- alone; without it, from the library's default chain.
local function make_client(args, out)
    local opts = {
        endpoint = args.endpoint,
        timeout = args.timeout,
        ca_file = args.ca_file,
    }
    local unreadable = check_readable("--ca-file", args.ca_file)
    if unreadable ~= nil then
        return nil, usage_error(unreadable, out)
    end
    if args.profile ~= nil then
        opts.credentials = credentials.profile({ profile = args.profile })
    end

    local ok, client = pcall(cam_client.new, opts)
    if not ok then
        return nil, usage_error(client_usage_message(client), out)
    end
    return client
end


local function load_config(args, out)
    local config, kind = config_file.load(args.config, { timeout = args.timeout })
    if config == nil then
        return nil, report_error(out, kind)
    end
    return config, kind
end


-- Commands -----------------------------------------------------------------

local function preset_options(args)
    local options = {
        keycloak = { base_url = args.base_url, realm = args.realm,
            legacy_auth_path = args.legacy_auth_path or nil },
        okta = { org = args.org, authorization_server = args.auth_server },
        entra = { tenant = args.tenant },
        google = {},
        auth0 = { domain = args.domain },
        gitlab = { base_url = args.base_url },
        authing = { domain = args.domain },
    }
    return options[args.preset] or {}
end


local function run_discover(args, out)
    local issuer = args.issuer
    if args.preset ~= nil then
        if issuer ~= nil then
            return usage_error("give an issuer or --preset, not both", out)
        end
        local preset, err = presets.resolve(args.preset, preset_options(args))
        if preset == nil then
            return report_error(out, err)
        end
        issuer = preset.issuer
    elseif issuer == nil then
        return usage_error("discover needs an issuer URL or --preset", out)
    end

    local config, info = oidc.from_discovery(issuer, {
        client_id = args.client_id,
        mapping_field = args.mapping_field,
        scope = #args.scope > 0 and args.scope or nil,
        response_mode = args.response_mode,
        description = args.description,
        ca_file = args.idp_ca_file,
        timeout = args.timeout,
    })
    if config == nil then
        return report_error(out, info)
    end

    if args.output ~= nil then
        local file, open_err = io.open(args.output, "wb")
        if file == nil then
            return report_error(out, errors.new({ kind = "validation",
                code = "OutputNotWritable", message = "cannot write "
                    .. tostring(open_err) }))
        end
        file:write(pretty(config), "\n")
        file:close()
    end

    if out.json then
        print_json({ config = config, warnings = json.array(info.warnings),
            discovery_url = info.discovery_url, jwks_uri = info.jwks_uri })
        return _M.EXIT_OK
    end

    for _, warning in ipairs(info.warnings) do
        io.stderr:write("cam-oidc: warning: ", escape_text(warning), "\n")
    end
    print_line("Discovered " .. escape_text(info.discovery_url))
    local rows = {
        { "IdentityUrl", config.identity_url },
        { "AuthorizationEndpoint", config.authorization_endpoint },
        { "IdentityKey", config.identity_key },
        { "ClientId", config.client_id },
        { "ResponseType", config.response_type },
        { "ResponseMode", config.response_mode },
        { "MappingFiled", config.mapping_field },
        { "Scope", config.scope },
        { "Description", config.description },
    }
    for _, row in ipairs(rows) do
        if row[2] ~= nil then
            print_line(format("  %-22s %s", row[1], show_value(row[1], row[2])))
        end
    end
    if args.output ~= nil then
        print_line("Wrote the configuration to " .. escape_text(args.output))
    end
    return _M.EXIT_OK
end


local SHOW_ORDER = { "IdentityUrl", "AuthorizationEndpoint", "IdentityKey",
    "ClientId", "ResponseType", "ResponseMode", "MappingFiled", "Scope",
    "Description", "AutoRotateKey" }


local function run_show(args, out)
    local client, status = make_client(args, out)
    if client == nil then
        return status
    end

    local response, err
    if args.role ~= nil then
        response, err = client:describe_role_oidc({ Name = args.role })
    else
        response, err = client:describe_oidc()
    end
    client:close()
    if response == nil then
        return report_call_error(out, err)
    end

    if out.json then
        print_json(response)
        return _M.EXIT_OK
    end

    local target = args.role and ("Role-SSO provider " .. escape_text(args.role))
        or "User SSO"
    print_line(format("%s: %s (Status %s)", target,
        STATUS_NAMES[response.Status] or "unknown",
        escape_text(tostring(response.Status))))
    for _, field in ipairs(SHOW_ORDER) do
        if response[field] ~= nil then
            print_line(format("  %-22s %s", field,
                show_value(field, response[field])))
        end
    end
    return _M.EXIT_OK
end


--- Print one change as a diff line.
local function print_change(out, change, creating)
    local field = change.field

    if creating then
        print_line(paint(out, "add", format("  + %s: %s", field,
            show_value(field, change.to))))
        return
    end

    local detail
    if change.added ~= nil and (#change.added > 0 or #change.removed > 0) then
        local parts = {}
        for _, label in ipairs(change.added) do
            parts[#parts + 1] = "+ " .. escape_text(tostring(label))
        end
        for _, label in ipairs(change.removed) do
            parts[#parts + 1] = "- " .. escape_text(tostring(label))
        end
        detail = concat(parts, ", ")
    else
        detail = show_value(field, change.from) .. " -> "
            .. show_value(field, change.to)
    end
    if change.note ~= nil then
        detail = detail .. " (" .. escape_text(change.note) .. ")"
    end
    print_line(paint(out, "change", format("  ~ %s: %s", field, detail)))
end


local function describe_target(plan)
    if plan.kind == "role" then
        return "the role-SSO provider " .. escape_text(tostring(plan.name))
    end
    return "the user SSO configuration"
end


local function change_list(changes)
    local list = json.array({})
    for i, change in ipairs(changes) do
        list[i] = {
            field = change.field,
            from = change.from,
            to = change.to,
            added = change.added and json.array(change.added),
            removed = change.removed and json.array(change.removed),
            note = change.note,
        }
    end
    return list
end


local function print_plan(out, plan)
    local target = describe_target(plan)
    local state = plan.status ~= nil and format(" (Status %s, %s)",
        escape_text(tostring(plan.status)), STATUS_NAMES[plan.status]
        or "unknown")
        or (plan.kind == "role" and plan.action == "create"
            and " (not found)" or "")

    if plan.action == "none" then
        print_line("No changes: " .. target .. " matches" .. state .. ".")
        return
    end

    print_line(format("Plan: %s %s%s", plan.action, target, state))
    for _, change in ipairs(plan.changes) do
        print_change(out, change, plan.action == "create")
    end
    print_line(format("%d change%s.", #plan.changes,
        #plan.changes == 1 and "" or "s"))
end


--- Load the desired configuration, then build the client that compares or
-- applies it. Returns the configuration, its kind and the client, or nil and
-- an exit status when either step fails.
local function load_config_and_client(args, out)
    local desired, kind = load_config(args, out)
    if desired == nil then
        return nil, kind
    end
    local client, status = make_client(args, out)
    if client == nil then
        return nil, status
    end
    return desired, kind, client
end


local function run_plan(args, out)
    local desired, kind, client = load_config_and_client(args, out)
    if desired == nil then
        return kind
    end

    local plan, err
    if kind == "role" then
        plan, err = client:plan_role_oidc(desired)
    else
        plan, err = client:plan_oidc(desired)
    end
    client:close()
    if plan == nil then
        return report_call_error(out, err)
    end

    if out.json then
        print_json({ action = plan.action, kind = plan.kind, name = plan.name,
            status = plan.status, changes = change_list(plan.changes) })
    else
        print_plan(out, plan)
    end
    if plan.action ~= "none" and args.detailed_exitcode then
        return _M.EXIT_CHANGES
    end
    return _M.EXIT_OK
end


local function run_apply(args, out)
    local desired, kind, client = load_config_and_client(args, out)
    if desired == nil then
        return kind
    end

    local result, err
    local opts = { dry_run = args.dry_run or nil }
    if kind == "role" then
        result, err = client:apply_role_oidc(desired, opts)
    else
        result, err = client:apply_oidc(desired, opts)
    end
    client:close()
    if result == nil then
        return report_call_error(out, err)
    end

    if out.json then
        print_json({ action = result.action, kind = result.plan.kind,
            name = result.plan.name, api_action = result.api_action,
            request_id = result.request_id, dry_run = result.dry_run,
            params = result.dry_run and result.plan.params or nil,
            changes = change_list(result.changes) })
        return _M.EXIT_OK
    end

    local plan = result.plan
    if result.action == "none" then
        print_plan(out, plan)
        print_line("Nothing was sent.")
        return _M.EXIT_OK
    end
    print_plan(out, plan)
    if result.dry_run then
        print_line(format("Dry run: %s was not sent. Its body:", result.api_action))
        print_line(pretty(plan.params))
    else
        print_line(format("Sent %s (RequestId %s).", result.api_action,
            escape_text(tostring(result.request_id))))
    end
    return _M.EXIT_OK
end


local function run_disable(args, out)
    if args.dry_run then
        if out.json then
            print_json({ api_action = "DisableUserSSO", dry_run = true })
        else
            print_line("Dry run: DisableUserSSO was not sent.")
        end
        return _M.EXIT_OK
    end

    local client, status = make_client(args, out)
    if client == nil then
        return status
    end
    local response, err = client:disable_sso()
    client:close()
    if response == nil then
        return report_call_error(out, err)
    end

    if out.json then
        print_json({ api_action = "DisableUserSSO",
            request_id = response.RequestId })
    else
        print_line(format("Disabled user SSO (RequestId %s).",
            escape_text(tostring(response.RequestId))))
    end
    return _M.EXIT_OK
end


local function read_token(path)
    local file, err
    if path == nil or path == "-" then
        file = io.stdin
    else
        file, err = io.open(path, "rb")
        if file == nil then
            return nil, "cannot read the token: " .. tostring(err)
        end
    end
    local text = file:read(128 * 1024) or ""
    if file ~= io.stdin then
        file:close()
    end
    return text
end


local function run_verify_token(args, out)
    local desired, kind = load_config(args, out)
    if desired == nil then
        return kind
    end
    local token, read_err = read_token(args.token)
    if token == nil then
        return usage_error(read_err, out)
    end

    local claims, err = oidc.verify_id_token(desired, token, {
        leeway = args.leeway, now = args.now })
    if claims == nil then
        return report_error(out, err, _M.EXIT_REJECTED)
    end

    local mapping = desired.MappingFiled or desired.mapping_field
        or desired.mapping_filed
    if out.json then
        print_json({ valid = true, claims = claims })
    else
        print_line("The token passes every check.")
        print_line(format("  %-10s %s", "iss", show_value(nil, claims.iss)))
        print_line(format("  %-10s %s", "sub", show_value(nil, claims.sub)))
        if mapping ~= nil then
            print_line(format("  %-10s %s (the user name, from %s)", "user",
                show_value(nil, claims[mapping]), escape_text(mapping)))
        end
    end
    return _M.EXIT_OK
end


-- Parser -------------------------------------------------------------------

local function build_parser()
    local parser = argparse("cam-oidc",
        "Manage Tencent Cloud CAM OpenID Connect single sign-on.")
        :epilog("Exit status: 0 success or no changes, 1 error, 2 usage"
            .. " error, 3 the plan has changes (plan --detailed-exitcode),"
            .. " 4 the token was rejected (verify-token). See docs/CLI.md.")
    parser:command_target("command")
    parser:help_max_width(80)

    parser:option("--endpoint", "CAM endpoint URL (default"
        .. " $TENCENTCLOUD_CAM_ENDPOINT or https://cam.tencentcloudapi.com).")
    parser:option("--profile", "Take the credentials from this section of"
        .. " $TENCENTCLOUD_CREDENTIALS_FILE, ~/.tencentcloud/credentials or"
        .. " /etc/tencentcloud/credentials. Without it: TENCENTCLOUD_SECRET_ID"
        .. " and TENCENTCLOUD_SECRET_KEY, else the [default] profile of that"
        .. " file, else the CVM role when TENCENTCLOUD_METADATA_ENDPOINT is"
        .. " set, else a TKE workload's role (TKE_* variables).")
    parser:option("--timeout", "Seconds each request may take.")
        :convert(tonumber)
    parser:option("--ca-file", "CA bundle (PEM) for the CAM endpoint.")
    parser:flag("--json", "Print JSON instead of text.")
    parser:flag("--dry-run", "Send no change: apply and disable show what"
        .. " they would send.")
    parser:flag("--no-color", "Do not colour the output (also when NO_COLOR"
        .. " is set or stdout is not a terminal).")

    local discover = parser:command("discover",
        "Read an IdP's discovery document and JWKS and print the"
        .. " configuration.")
    discover:argument("issuer", "The issuer URL, exactly as in the IdP's"
        .. " tokens."):args("?")
    discover:option("--client-id", "Client ID registered at the IdP.")
        :count(1)
    discover:option("--mapping-field", "ID token claim that becomes the user"
        .. " name (default sub).")
    discover:option("--scope", "Scope to request; repeat for several"
        .. " (default openid)."):count("*")
    discover:option("--response-mode", "form_post (default) or fragment.")
    discover:option("--description", "Description of the configuration.")
    discover:option("--idp-ca-file", "CA bundle (PEM) for the IdP.")
    discover:option("--output", "Also write the configuration to this JSON"
        .. " file.")
    discover:option("--preset", "Build the issuer with a preset: "
        .. concat(presets.NAMES, ", ") .. ".")
    discover:option("--base-url", "keycloak, gitlab: the server's base URL.")
    discover:option("--realm", "keycloak: the realm.")
    discover:flag("--legacy-auth-path", "keycloak: insert /auth (before"
        .. " Keycloak 17).")
    discover:option("--org", "okta: the Okta domain.")
    discover:option("--auth-server", "okta: a custom authorization server"
        .. " ID, such as default.")
    discover:option("--tenant", "entra: the directory (tenant) ID.")
    discover:option("--domain", "auth0, authing: the domain.")

    local show = parser:command("show", "Describe the current configuration.")
    show:option("--role", "Describe the role-SSO provider with this name.")

    local plan = parser:command("plan", "Compare a configuration file with"
        .. " the current configuration.")
    plan:argument("config", "Configuration file (JSON).")
    plan:flag("--detailed-exitcode", "Exit with 3 when there are changes.")

    local apply = parser:command("apply", "Create or update the"
        .. " configuration so that it matches the file.")
    apply:argument("config", "Configuration file (JSON).")

    parser:command("disable", "Disable user SSO (DisableUserSSO).")

    local verify = parser:command("verify-token", "Check a sample ID token"
        .. " against a configuration file.")
    verify:argument("config", "Configuration file (JSON).")
    verify:argument("token", "File with the ID token; - or absent for"
        .. " stdin."):args("?")
    verify:option("--leeway", "Seconds of clock skew allowed, 0 to 86400"
        .. " (default 60).")
        :convert(tonumber)
    verify:option("--now", "Unix time to check against, for tests (default"
        .. " the current time)."):convert(tonumber)

    return parser
end


local COMMANDS = {
    discover = run_discover,
    show = run_show,
    plan = run_plan,
    apply = run_apply,
    disable = run_disable,
    ["verify-token"] = run_verify_token,
}


-- The latest Unix time `--now` accepts: 9999-12-31T23:59:59Z.
local MAX_NOW = 253402300799


--- Tell whether `--json` is among the arguments before a `--`, so that a
-- usage error found by the parser can be printed as JSON too.
local function json_requested(argv)
    for _, arg in ipairs(argv) do
        if arg == "--" then
            return false
        end
        if arg == "--json" then
            return true
        end
    end
    return false
end


local function is_finite(value)
    return value == value and value ~= math.huge and value ~= -math.huge
end


--- Check the options whose range argparse does not know; nil, or a usage
-- message.
local function check_ranges(args)
    if args.timeout ~= nil and not (is_finite(args.timeout)
            and args.timeout > 0 and args.timeout <= 86400) then
        return "--timeout must be a number of seconds greater than 0 and at"
            .. " most 86400"
    end
    if args.profile == "" then
        return "--profile must name a profile of the credentials file"
    end
    if args.leeway ~= nil and not (is_finite(args.leeway)
            and args.leeway >= 0 and args.leeway <= 86400) then
        return "--leeway must be a number of seconds from 0 to 86400, got "
            .. format("%.14g", args.leeway)
    end
    if args.now ~= nil and not (is_finite(args.now) and args.now >= 0
            and args.now <= MAX_NOW) then
        return "--now must be a Unix time from 0 to " .. MAX_NOW .. ", got "
            .. format("%.14g", args.now)
    end
    return check_readable("--idp-ca-file", args.idp_ca_file)
end


--- Run the command line.
-- @tparam table argv the arguments, without the program name
-- @treturn number the exit status
function _M.main(argv)
    local parser = build_parser()
    local ok, args = parser:pparse(argv)
    if not ok then
        return usage_error(args, { json = json_requested(argv) })
    end

    local out = new_output(args)
    local range_err = check_ranges(args)
    if range_err ~= nil then
        return usage_error(range_err, out)
    end

    local run_ok, status = pcall(COMMANDS[args.command], args, out)
    if not run_ok then
        -- Only a defect of cam-oidc or the library gets here: every check
        -- of user input above returns a usage error or an error value.
        io.stderr:write("cam-oidc: internal error: ",
            escape_text(tostring(status)), "\n")
        return _M.EXIT_ERROR
    end
    return status
end


return _M
