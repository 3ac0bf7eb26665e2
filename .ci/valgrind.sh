#!/bin/sh
# valgrind memcheck over spec/valgrind/public_api.lua, a scripted run of the
# client API and every cam.core function against two CAM emulators (HTTP and
# HTTPS) that run as normal processes, not under valgrind.
#
# Fails on any memcheck error (invalid read or write, use of uninitialised
# values, bad free) and on definitely or indirectly lost bytes. Memory that
# libcurl and OpenSSL keep until exit ("still reachable") is not an error.
set -eu

cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
    else
        echo "valgrind is missing; install it with: apt-get install valgrind" >&2
        exit 1
    fi
fi

TMP=$(mktemp -d /tmp/cam-valgrind.XXXXXX)
HTTP_PID=""
HTTPS_PID=""
cleanup() {
    for pid in $HTTP_PID $HTTPS_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A test CA and a certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 2 \
    -subj "/CN=cam valgrind test CA" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$TMP/server.key" -out "$TMP/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1" >"$TMP/server.ext"
openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" \
    -CAkey "$TMP/ca.key" -CAcreateserial -out "$TMP/server.pem" -days 2 \
    -extfile "$TMP/server.ext" 2>/dev/null

# Keys for the JWK, JWS and PEM functions: an RSA key with an RS256
# signature, and the public half of the CA's P-256 key.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$TMP/private.pem" 2>/dev/null
openssl pkey -in "$TMP/private.pem" -pubout -out "$TMP/rsa_public.pem"
openssl pkey -in "$TMP/ca.key" -pubout -out "$TMP/ec_public.pem"
printf '%s' "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0" >"$TMP/jws_input"
openssl dgst -sha256 -sign "$TMP/private.pem" -out "$TMP/rs256.sig" \
    "$TMP/jws_input"

# wait_url FILE: print the first line of FILE once the emulator wrote it.
wait_url() {
    tries=0
    while ! head -n1 "$1" 2>/dev/null | grep -q '^http'; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "valgrind.sh: the emulator did not start:" >&2
            cat "$TMP"/*.err >&2
            exit 1
        fi
        sleep 0.1
    done
    head -n1 "$1"
}

bin/cam-emulator --host 127.0.0.1 --port 0 --quiet \
    >"$TMP/http.out" 2>"$TMP/http.err" &
HTTP_PID=$!
bin/cam-emulator --host 127.0.0.1 --port 0 --quiet \
    --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" \
    >"$TMP/https.out" 2>"$TMP/https.err" &
HTTPS_PID=$!
HTTP_URL=$(wait_url "$TMP/http.out")
HTTPS_URL=$(wait_url "$TMP/https.out")

# A loopback port that was free a moment ago, for "connection refused".
CLOSED_PORT=$(lua5.4 -e '
    local server = assert(require("socket").bind("127.0.0.1", 0))
    local _, port = server:getsockname()
    server:close()
    print(port)')

# The default client of cam.update_oidc(params) reads these. The credential
# chain's other sources point at a closed port or are unset.
TENCENTCLOUD_CAM_ENDPOINT=$HTTP_URL
TENCENTCLOUD_SECRET_ID=AKIDCamEmulatorDemo00000000000001
TENCENTCLOUD_SECRET_KEY=CamEmulatorDemoSecretKey00000001
TENCENTCLOUD_METADATA_ENDPOINT=http://127.0.0.1:$CLOSED_PORT
TENCENTCLOUD_STS_ENDPOINT=http://127.0.0.1:$CLOSED_PORT
export TENCENTCLOUD_CAM_ENDPOINT TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY \
    TENCENTCLOUD_METADATA_ENDPOINT TENCENTCLOUD_STS_ENDPOINT
unset TENCENTCLOUD_SESSION_TOKEN TENCENTCLOUD_TOKEN \
    TENCENTCLOUD_CREDENTIALS_FILE TKE_REGION TKE_PROVIDER_ID \
    TKE_WEB_IDENTITY_TOKEN_FILE TKE_ROLE_ARN http_proxy https_proxy \
    HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1,localhost,::1
export NO_PROXY

set -- spec/valgrind/public_api.lua "$HTTP_URL" "$HTTPS_URL" "$TMP/ca.pem" \
    "$CLOSED_PORT" "$TMP"

# First without valgrind, so a failing check shows up quickly and plainly.
lua5.4 "$@"

echo "valgrind memcheck: lua5.4 $1"
status=0
valgrind --tool=memcheck --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 --num-callers=30 \
    --suppressions=spec/valgrind/openssl.supp \
    --log-file="$TMP/memcheck.log" \
    lua5.4 "$@" || status=$?

grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|still reachable' \
    "$TMP/memcheck.log" | sed 's/^==[0-9]*== *//'
if [ "$status" -ne 0 ]; then
    cat "$TMP/memcheck.log" >&2
    echo "valgrind.sh: memcheck failed (exit status $status)" >&2
    exit 1
fi
echo "valgrind.sh: no memcheck errors, no definite or indirect leaks"
