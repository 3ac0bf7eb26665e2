rockspec_format = "3.0"
package = "lua-tencentcloud-cam"
version = "0.1.0-1"

-- NOTE: no public repository exists yet; `luarocks make` in a checkout
-- builds from the local files and never reads this address.
source = {
    url = "git+https://example.invalid/lua-tencentcloud-cam.git",
    tag = "v0.1.0",
}

description = {
    summary = "Tencent Cloud CAM single sign-on (OIDC) client with a native TC3 signer",
    detailed = [[
Sets the OpenID Connect identity provider of Tencent Cloud CAM
(UpdateUserOIDCConfig and the other OIDC actions) from Lua. Requests are
checked before they are signed, signed with TC3-HMAC-SHA256 in C with
OpenSSL, and sent with libcurl over verified TLS. Includes a local CAM
emulator for tests.
]],
    license = "MIT",
    labels = { "tencentcloud", "cam", "oidc", "sso" },
}

dependencies = {
    "lua >= 5.1",
    "lua-cjson >= 2.1.0",
}

-- The emulator (bin/cam-emulator) runs on Lua 5.4 and also needs
-- cqueues, luaossl and dkjson; the library itself does not.

test_dependencies = {
    "busted",
    "luasocket",
    "luaossl",
    "cqueues",
}

-- Only the libraries are looked up: Debian keeps curl/curl.h in a
-- multiarch folder that the compiler searches but LuaRocks does not.
external_dependencies = {
    CURL = { library = "curl" },
    OPENSSL = { library = "crypto" },
}

build = {
    type = "builtin",
    modules = {
        ["cam"] = "lua/cam/init.lua",
        ["cam.client"] = "lua/cam/client.lua",
        ["cam.credentials"] = "lua/cam/credentials.lua",
        ["cam.credentials.cache"] = "lua/cam/credentials/cache.lua",
        ["cam.credentials.check"] = "lua/cam/credentials/check.lua",
        ["cam.credentials.cvm"] = "lua/cam/credentials/cvm.lua",
        ["cam.credentials.http"] = "lua/cam/credentials/http.lua",
        ["cam.credentials.profile"] = "lua/cam/credentials/profile.lua",
        ["cam.credentials.sts"] = "lua/cam/credentials/sts.lua",
        ["cam.endpoint"] = "lua/cam/endpoint.lua",
        ["cam.errors"] = "lua/cam/errors.lua",
        ["cam.emulator.actions"] = "lua/cam/emulator/actions.lua",
        ["cam.emulator.admin"] = "lua/cam/emulator/admin.lua",
        ["cam.emulator.api"] = "lua/cam/emulator/api.lua",
        ["cam.emulator.cli"] = "lua/cam/emulator/cli.lua",
        ["cam.emulator.envelope"] = "lua/cam/emulator/envelope.lua",
        ["cam.emulator.faults"] = "lua/cam/emulator/faults.lua",
        ["cam.emulator.fields"] = "lua/cam/emulator/fields.lua",
        ["cam.emulator.http"] = "lua/cam/emulator/http.lua",
        ["cam.emulator"] = "lua/cam/emulator/init.lua",
        ["cam.emulator.json"] = "lua/cam/emulator/json.lua",
        ["cam.emulator.metadata"] = "lua/cam/emulator/metadata.lua",
        ["cam.emulator.ratelimit"] = "lua/cam/emulator/ratelimit.lua",
        ["cam.emulator.requestlog"] = "lua/cam/emulator/requestlog.lua",
        ["cam.emulator.server"] = "lua/cam/emulator/server.lua",
        ["cam.emulator.state"] = "lua/cam/emulator/state.lua",
        ["cam.emulator.sts"] = "lua/cam/emulator/sts.lua",
        ["cam.emulator.tc3"] = "lua/cam/emulator/tc3.lua",
        ["cam.transport.auto"] = "lua/cam/transport/auto.lua",
        ["cam.transport.curl"] = "lua/cam/transport/curl.lua",
        ["cam.transport.ngx"] = "lua/cam/transport/ngx.lua",
        ["cam.transport.ngx_http"] = "lua/cam/transport/ngx_http.lua",
        ["cam.json"] = "lua/cam/json.lua",
        ["cam.options"] = "lua/cam/options.lua",
        ["cam.ratelimit"] = "lua/cam/ratelimit.lua",
        ["cam.reconcile"] = "lua/cam/reconcile.lua",
        ["cam.retry"] = "lua/cam/retry.lua",
        ["cam.oidc"] = "lua/cam/oidc/init.lua",
        ["cam.oidc.cli"] = "lua/cam/oidc/cli.lua",
        ["cam.oidc.config"] = "lua/cam/oidc/config.lua",
        ["cam.oidc.discovery"] = "lua/cam/oidc/discovery.lua",
        ["cam.oidc.jwks"] = "lua/cam/oidc/jwks.lua",
        ["cam.oidc.plan"] = "lua/cam/oidc/plan.lua",
        ["cam.oidc.presets"] = "lua/cam/oidc/presets.lua",
        ["cam.oidc.profile"] = "lua/cam/oidc/profile.lua",
        ["cam.oidc.template"] = "lua/cam/oidc/template.lua",
        ["cam.oidc.token"] = "lua/cam/oidc/token.lua",
        ["cam.validate"] = "lua/cam/validate.lua",
        ["cam.validate.suggest"] = "lua/cam/validate/suggest.lua",
        ["cam.validate.text"] = "lua/cam/validate/text.lua",
        ["cam.validate.url"] = "lua/cam/validate/url.lua",
        ["cam.core"] = {
            sources = {
                "csrc/cam_core.c",
                "csrc/cam_sign.c",
                "csrc/cam_http.c",
                "csrc/cam_codec.c",
                "csrc/cam_headers.c",
                "csrc/cam_jwt.c",
                "csrc/cam_pem.c",
                "csrc/cam_json.c",
            },
            defines = { "_POSIX_C_SOURCE=200809L" },
            incdirs = { "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
            libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
            libraries = { "curl", "ssl", "crypto", "pthread" },
        },
    },
    install = {
        bin = {
            ["cam-emulator"] = "bin/cam-emulator",
            ["cam-oidc"] = "bin/cam-oidc",
        },
    },
}
