#!/bin/sh
# Run every test with busted. The last line of output is
# "N passed, N failed".
set -eu

cd "$(dirname "$0")/.."

# Nothing in the suite may reach beyond loopback: a test that omits its
# endpoint lands on a closed local port instead of the real service, and
# the credential chain asks a closed port instead of the CVM metadata
# service and STS.
TENCENTCLOUD_CAM_ENDPOINT=http://127.0.0.1:9
TENCENTCLOUD_METADATA_ENDPOINT=http://127.0.0.1:9
TENCENTCLOUD_STS_ENDPOINT=http://127.0.0.1:9
export TENCENTCLOUD_CAM_ENDPOINT TENCENTCLOUD_METADATA_ENDPOINT TENCENTCLOUD_STS_ENDPOINT
unset TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY TENCENTCLOUD_SESSION_TOKEN \
    TENCENTCLOUD_TOKEN TENCENTCLOUD_CREDENTIALS_FILE \
    TKE_REGION TKE_PROVIDER_ID TKE_WEB_IDENTITY_TOKEN_FILE TKE_ROLE_ARN \
    http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1,localhost,::1
export NO_PROXY

# Debian's busted starts with "env lua", which may name another version.
exec lua5.4 /usr/bin/busted -o spec/summary.lua "$@"
