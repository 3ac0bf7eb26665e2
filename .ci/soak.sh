#!/bin/sh
# Soak run: at least 10,000 calls against the CAM emulator on loopback with
# random faults injected; see spec/soak/run.lua and docs/RELIABILITY.md.
# Arguments go to the script, such as --calls 20000 --seed 7. The whole run
# is capped at 15 minutes.
set -eu

cd "$(dirname "$0")/.."

# Everything stays on loopback: the emulator listens on 127.0.0.1, and the
# defaults that could name a real service point at a closed local port.
TENCENTCLOUD_CAM_ENDPOINT=http://127.0.0.1:9
TENCENTCLOUD_METADATA_ENDPOINT=http://127.0.0.1:9
TENCENTCLOUD_STS_ENDPOINT=http://127.0.0.1:9
export TENCENTCLOUD_CAM_ENDPOINT TENCENTCLOUD_METADATA_ENDPOINT TENCENTCLOUD_STS_ENDPOINT
unset TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY TENCENTCLOUD_SESSION_TOKEN \
    TENCENTCLOUD_TOKEN TENCENTCLOUD_CREDENTIALS_FILE \
    http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1,localhost,::1
export NO_PROXY

exec timeout 900 lua5.4 spec/soak/run.lua "$@"
