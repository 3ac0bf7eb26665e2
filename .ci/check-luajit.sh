#!/bin/sh
# Run every test with busted on LuaJIT 2.1 (OpenResty's branch, as nginx
# loads it) against build/luajit/cam/core.so. Debian's busted script starts
# the default lua (5.4), but its modules are installed for Lua 5.1 too, so
# luajit runs it directly. The emulator stays a Lua 5.4 child process. The
# last line of output is "N passed, N failed".
set -eu

cd "$(dirname "$0")/.."

if ! command -v luajit >/dev/null 2>&1; then
    echo "check-luajit: luajit not found; install the Debian package luajit2" >&2
    exit 1
fi
if [ ! -f build/luajit/cam/core.so ]; then
    echo "check-luajit: build/luajit/cam/core.so is missing; run" \
        "'make LUA_PC=luajit' first" >&2
    exit 1
fi
busted=$(command -v busted) || {
    echo "check-luajit: busted not found; install the Debian package lua-busted" >&2
    exit 1
}

# The same isolation as .ci/check.sh: nothing may reach beyond loopback.
TENCENTCLOUD_CAM_ENDPOINT=http://127.0.0.1:9
TENCENTCLOUD_METADATA_ENDPOINT=http://127.0.0.1:9
TENCENTCLOUD_STS_ENDPOINT=http://127.0.0.1:9
export TENCENTCLOUD_CAM_ENDPOINT TENCENTCLOUD_METADATA_ENDPOINT TENCENTCLOUD_STS_ENDPOINT
unset TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY TENCENTCLOUD_SESSION_TOKEN \
    TENCENTCLOUD_TOKEN http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1,localhost,::1
export NO_PROXY

luajit -v
exec luajit "$busted" --cpath="build/luajit/?.so" -o spec/summary.lua "$@"
