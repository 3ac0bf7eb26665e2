#!/bin/sh
# Install the Debian packages this project needs: "deps.sh demo" for
# building and running the example against the emulator, "deps.sh" (or
# "deps.sh check") for every test as well. As root on Debian it installs
# what is missing; elsewhere it prints the list and exits non-zero when
# something is missing.
set -eu

cd "$(dirname "$0")/.."

# Build and run: the library, the CLI's argument parser, and the emulator
# the demo talks to.
PACKAGES="gcc make pkg-config openssl liblua5.4-dev lua5.4 libcurl4-openssl-dev
libssl-dev lua-cjson lua-argparse lua-luaossl lua-cqueues lua-dkjson"

# Tests: busted and luasocket, nginx with the Lua module and OpenResty's
# LuaJIT, and Node.js for the outside clients.
TEST_PACKAGES="lua-socket lua-busted nginx libnginx-mod-http-lua
libluajit2-5.1-dev luajit2"

purpose=${1:-check}
case "$purpose" in
    demo) ;;
    check) PACKAGES="$PACKAGES $TEST_PACKAGES" ;;
    *) echo "usage: deps.sh [demo|check]" >&2; exit 2 ;;
esac

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

# Node.js may come from Debian or from another package source that bundles
# npm in its nodejs package, so the commands are what counts.
if [ "$purpose" = check ] && { ! command -v node >/dev/null 2>&1 ||
        ! command -v npm >/dev/null 2>&1; }; then
    missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing:$missing"
        apt-get update -qq
        # shellcheck disable=SC2086 # the list is meant to split into words
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
    else
        echo "Missing packages:$missing" >&2
        echo "Install them with: apt-get install$missing" >&2
        exit 1
    fi
fi

[ "$purpose" = check ] || exit 0

# The tests' Node.js programs (the official SDK as a second client and
# signing oracle, OIDC libraries), each folder pinned by its lock file.
for lock in spec/*/package-lock.json; do
    [ -f "$lock" ] || continue
    dir=$(dirname "$lock")
    if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules" ]; then
        npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
        touch "$dir/node_modules"
    fi
done
