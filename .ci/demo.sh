#!/bin/sh
# The main job: start the bundled CAM emulator on loopback, make an RSA key
# and its JWKS with openssl, run examples/update_oidc.lua against the
# emulator, and stop the emulator.
set -eu

cd "$(dirname "$0")/.."

work=$(mktemp -d)
emulator_pid=""

cleanup() {
    if [ -n "$emulator_pid" ]; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

bin/cam-emulator --host 127.0.0.1 --port 0 >"$work/emulator.out" \
    2>"$work/emulator.log" &
emulator_pid=$!

# The emulator prints its base URL once it accepts connections.
tries=0
until [ -s "$work/emulator.out" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$emulator_pid" 2>/dev/null; then
        echo "demo: the emulator did not start:" >&2
        cat "$work/emulator.log" >&2
        exit 1
    fi
    sleep 0.1
done
endpoint=$(head -n 1 "$work/emulator.out")
echo "CAM emulator at $endpoint"

openssl genrsa -out "$work/idp.pem" 2048 2>/dev/null
openssl rsa -in "$work/idp.pem" -pubout -out "$work/idp.pub.pem" 2>/dev/null
lua5.4 examples/make_jwks.lua "$work/idp.pub.pem" >"$work/jwks.json"
cp examples/oidc.json "$work/oidc.json"

TENCENTCLOUD_CAM_ENDPOINT=$endpoint \
TENCENTCLOUD_SECRET_ID=AKIDCamEmulatorDemo00000000000001 \
TENCENTCLOUD_SECRET_KEY=CamEmulatorDemoSecretKey00000001 \
    lua5.4 examples/update_oidc.lua "$work/oidc.json"
