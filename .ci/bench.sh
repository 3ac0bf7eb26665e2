#!/bin/sh
# Benchmarks: signing, round trip, memory and start-up, each measured side
# by side with the official Node.js SDK and a floor, in one run. Prints the
# figures on stdout; docs/BENCHMARKS.md records them.
#
# Environment (all optional):
#   BENCH_ROUNDS           rounds of the signing and round-trip sets (5)
#   BENCH_SIGN_ITERATIONS  cam.sign calls per measurement (100000)
#   BENCH_CALLS            timed update_oidc calls per measurement (3000)
#   BENCH_WRK_SECONDS      length of each wrk run (3)
#   BENCH_MEMORY_CALLS     calls of the memory run (100000)
#   BENCH_CPU              the CPU that nginx and every client are pinned to
#                          (the last one)
#
# Every process of a measurement is pinned to one CPU, so that a request and
# its response do not wait for a wake-up on another core (see
# docs/BENCHMARKS.md).
# Servers listen on 127.0.0.1 only, and every run is bounded in calls or
# seconds.
set -eu

cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-5}
SIGN_ITERATIONS=${BENCH_SIGN_ITERATIONS:-100000}
CALLS=${BENCH_CALLS:-3000}
WRK_SECONDS=${BENCH_WRK_SECONDS:-3}
MEMORY_CALLS=${BENCH_MEMORY_CALLS:-100000}
CPU=${BENCH_CPU:-$(($(nproc) - 1))}

# ---- tools -----------------------------------------------------------------

# wrk and hyperfine, and LuaJIT 2.1 with its headers (OpenResty's luajit2,
# the same LuaJIT that Debian's nginx Lua module uses).
missing=""
for p in wrk hyperfine luajit2 libluajit2-5.1-dev nginx openssl curl \
        util-linux lua-socket lua-cjson; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing:$missing" >&2
        apt-get update -qq
        # shellcheck disable=SC2086 # the list is meant to split into words
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
    else
        echo "Missing packages:$missing" >&2
        exit 1
    fi
fi
make --no-print-directory deps >&2
make --no-print-directory all >&2
make --no-print-directory all LUA_PC=luajit >&2

TMP=$(mktemp -d /tmp/cam-bench.XXXXXX)
NGINX_PID=""
cleanup() {
    if [ -n "$NGINX_PID" ]; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PIN="taskset -c $CPU"

# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Icsrc \
    -o "$TMP/sign_floor" spec/bench/sign_floor.c csrc/cam_sign.c \
    $(pkg-config --cflags --libs openssl)
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
    -o "$TMP/sign_lean" spec/bench/sign_lean.c \
    $(pkg-config --cflags --libs openssl)
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
    -o "$TMP/roundtrip_curl" spec/bench/roundtrip_curl.c \
    $(pkg-config --cflags --libs libcurl)
lua5.4 spec/bench/write_request.lua "$TMP"
export CAM_BENCH_REQUEST_DIR="$TMP"
BODY="$TMP/body.json"

# ---- helpers ---------------------------------------------------------------

# Median of the numbers on stdin, one per line.
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit 1
              if (NR % 2) print v[(NR + 1) / 2]
              else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B prints A / B with two decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'
}

# ---- machine ---------------------------------------------------------------

echo "# lua-tencentcloud-cam benchmarks"
echo
echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit:     $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "(plus uncommitted changes: $(git status --porcelain 2>/dev/null |
        grep -c . || true) files)"
echo "cpu:        $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
    "nproc $(nproc), pinned to CPU $CPU"
echo "kernel:     $(uname -r)"
echo "lua:        $(lua5.4 -v 2>&1)"
echo "luajit:     $(luajit -v 2>&1 | cut -d' ' -f1-2)"
echo "node:       $(node --version)," \
    "tencentcloud-sdk-nodejs-common $(node -p 'require("./spec/interop/node_modules/tencentcloud-sdk-nodejs-common/package.json").version')"
echo "openssl:    $(openssl version)"
echo "libcurl:    $(lua5.4 -e 'package.cpath="build/lua5.4/?.so"
    print(require("cam.core").curl_version)')"
echo "nginx:      $(nginx -v 2>&1 | sed 's/.*: //')"
echo "wrk:        $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
echo "hyperfine:  $(hyperfine --version)"
echo "body:       $(wc -c <"$BODY") bytes of JSON (UpdateUserOIDCConfig)"
echo

# ---- 1. signing ------------------------------------------------------------

echo "## 1. Signing: microseconds of CPU time per call (median of $ROUNDS" \
    "rounds of $SIGN_ITERATIONS calls)"
echo

SIGNERS="lua54 luajit sdk sdk_object floor lean lean_cached"
: >"$TMP/sign.txt"
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for impl in $SIGNERS; do
        case $impl in
            lua54) line=$($PIN lua5.4 spec/bench/sign.lua "$BODY" \
                "$SIGN_ITERATIONS") ;;
            luajit) line=$($PIN luajit spec/bench/sign.lua "$BODY" \
                "$SIGN_ITERATIONS") ;;
            sdk) line=$($PIN node spec/bench/sign_sdk.js "$BODY" \
                "$SIGN_ITERATIONS" buffer) ;;
            sdk_object) line=$($PIN node spec/bench/sign_sdk.js "$BODY" \
                "$SIGN_ITERATIONS" object) ;;
            floor) line=$($PIN "$TMP/sign_floor" "$BODY" \
                "$SIGN_ITERATIONS") ;;
            lean) line=$($PIN "$TMP/sign_lean" "$BODY" \
                "$SIGN_ITERATIONS") ;;
            lean_cached) line=$($PIN "$TMP/sign_lean" "$BODY" \
                "$SIGN_ITERATIONS" cached-key) ;;
        esac
        echo "$impl $line" >>"$TMP/sign.txt"
    done
    round=$((round + 1))
done

# Every implementation must produce the same Authorization value.
values=$(cut -d' ' -f3- "$TMP/sign.txt" | sort -u | wc -l)
if [ "$values" -ne 1 ]; then
    echo "bench: the signers disagree:" >&2
    cat "$TMP/sign.txt" >&2
    exit 1
fi

# sign_median NAME: the median microseconds per call of one signer.
sign_median() {
    awk -v i="$1" '$1 == i { print $2 }' "$TMP/sign.txt" | median
}

for impl in $SIGNERS; do
    echo "$impl rounds: $(awk -v i="$impl" '$1 == i { printf "%s ", $2 }' \
        "$TMP/sign.txt")"
done
sdk_us=$(sign_median sdk)
floor_us=$(sign_median floor)
echo
echo "| signer | us/call | SDK / this | this / C floor |"
echo "| --- | ---: | ---: | ---: |"
for impl in $SIGNERS; do
    us=$(sign_median "$impl")
    case $impl in
        lua54) name="cam.sign, Lua 5.4" ;;
        luajit) name="cam.sign, LuaJIT" ;;
        sdk) name="SDK Sign.sign3, body as Buffer" ;;
        sdk_object) name="SDK Sign.sign3, parameters as object" ;;
        floor) name="C floor: cam_sign() with no Lua" ;;
        lean) name="C, fewest OpenSSL calls (sign_lean.c)" ;;
        lean_cached) name="C, fewest calls, signing key reused" ;;
    esac
    echo "| $name | $us | $(ratio "$sdk_us" "$us") | $(ratio "$us" "$floor_us") |"
done
echo "(SDK / this uses the Buffer row: the same bytes hashed.)"
echo

# ---- 2. round trip ---------------------------------------------------------

port_pair=$(lua5.4 -e '
    local socket = require("socket")
    local a = assert(socket.bind("127.0.0.1", 0))
    local b = assert(socket.bind("127.0.0.1", 0))
    local _, pa = a:getsockname()
    local _, pb = b:getsockname()
    a:close(); b:close()
    print(pa .. " " .. pb)')
HTTP_PORT=${port_pair% *}
HTTPS_PORT=${port_pair#* }

# A test CA and a server certificate for both names the clients use.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 2 \
    -subj "/CN=cam bench test CA" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$TMP/server.key" -out "$TMP/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:cam.tencentcloudapi.com" \
    >"$TMP/server.ext"
openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" \
    -CAkey "$TMP/ca.key" -CAcreateserial -out "$TMP/server.pem" -days 2 \
    -extfile "$TMP/server.ext" 2>/dev/null

sed -e "s#@PREFIX@#$TMP#g" -e "s#@HTTP_PORT@#$HTTP_PORT#g" \
    -e "s#@HTTPS_PORT@#$HTTPS_PORT#g" spec/bench/nginx.conf.in \
    >"$TMP/nginx.conf"
$PIN nginx -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/error.log" &
NGINX_PID=$!
tries=0
until curl -sf "http://127.0.0.1:$HTTP_PORT/nginx_status" >/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 50 ]; then
        echo "bench: nginx did not start:" >&2
        cat "$TMP/error.log" >&2
        exit 1
    fi
    sleep 0.1
done

# Connections nginx accepted so far (each reading is one of them).
accepted() {
    curl -sf "http://127.0.0.1:$HTTP_PORT/nginx_status" | awk 'NR == 3 { print $1 }'
}

# wrk's latency figure (82.00us, 1.20ms, 1.00s) in microseconds.
wrk_micros() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000
        else if (v ~ /s$/) print n * 1000000; else print n }'
}

# run_client NAME SCHEME: one measurement, appended to rt.txt as
# "NAME SCHEME calls/s p50 p99 connections".
run_client() {
    name=$1
    scheme=$2
    if [ "$scheme" = http ]; then port=$HTTP_PORT; else port=$HTTPS_PORT; fi
    before=$(accepted)
    case $name in
        lua)
            line=$($PIN lua5.4 spec/bench/roundtrip.lua \
                "$scheme://127.0.0.1:$port" "$CALLS" "$TMP/ca.pem") ;;
        sdk)
            line=$($PIN node spec/bench/roundtrip_sdk.js "$scheme" "$port" \
                "$CALLS" "$BODY" "$TMP/ca.pem") ;;
        curl)
            line=$($PIN "$TMP/roundtrip_curl" "$scheme://127.0.0.1:$port/" \
                "$CALLS" "$TMP" "$TMP/ca.pem") ;;
        wrk)
            $PIN wrk -c1 -t1 -d"${WRK_SECONDS}s" --latency \
                -s spec/bench/wrk_post.lua "$scheme://127.0.0.1:$port/" \
                >"$TMP/wrk.out"
            if grep -q 'Non-2xx\|Socket errors' "$TMP/wrk.out"; then
                echo "bench: wrk saw errors:" >&2
                cat "$TMP/wrk.out" >&2
                exit 1
            fi
            rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
            p50=$(wrk_micros "$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.out")")
            p99=$(wrk_micros "$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.out")")
            line="$rps $p50 $p99" ;;
    esac
    after=$(accepted)
    echo "$name $scheme $line $((after - before - 1))" >>"$TMP/rt.txt"
}

echo "## 2. Round trip: sequential calls on one keep-alive connection to" \
    "nginx on 127.0.0.1 (median of $ROUNDS rounds; $CALLS calls per client" \
    "run, ${WRK_SECONDS} s per wrk run)"
echo

: >"$TMP/rt.txt"
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for scheme in http https; do
        for name in lua sdk curl wrk; do
            run_client "$name" "$scheme"
        done
    done
    round=$((round + 1))
done

# Median of column COLUMN of rt.txt for NAME and SCHEME.
rt_median() {
    awk -v n="$1" -v s="$2" -v c="$3" '$1 == n && $2 == s { print $c }' \
        "$TMP/rt.txt" | median
}

for scheme in http https; do
    for name in lua sdk curl wrk; do
        rounds=$(awk -v n=$name -v s=$scheme \
            '$1 == n && $2 == s { printf "%s ", $3 }' "$TMP/rt.txt")
        conns=$(awk -v n=$name -v s=$scheme \
            '$1 == n && $2 == s { printf "%s ", $6 }' "$TMP/rt.txt")
        echo "$scheme $name calls/s rounds: $rounds(connections: $conns)"
    done
done
echo
echo "| scheme | client | calls/s | p50 us | p99 us | this / SDK | wrk / this | libcurl / this |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for scheme in http https; do
    sdk_rps=$(rt_median sdk "$scheme" 3)
    wrk_rps=$(rt_median wrk "$scheme" 3)
    curl_rps=$(rt_median curl "$scheme" 3)
    for name in lua sdk curl wrk; do
        case $name in
            lua) label="cam update_oidc, Lua 5.4" ;;
            sdk) label="SDK CommonClient, Node.js" ;;
            curl) label="libcurl alone in C (roundtrip_curl.c)" ;;
            wrk) label="floor: wrk -c1 -t1" ;;
        esac
        rps=$(rt_median "$name" "$scheme" 3)
        echo "| $scheme | $label | $rps | $(rt_median "$name" "$scheme" 4)" \
            "| $(rt_median "$name" "$scheme" 5) | $(ratio "$rps" "$sdk_rps")" \
            "| $(ratio "$wrk_rps" "$rps") | $(ratio "$curl_rps" "$rps") |"
    done
done
echo

echo "### Where the time of one call goes (one run of" \
    "$CALLS iterations per step; microseconds per call)"
echo
echo "| scheme | step | CPU us | wall us |"
echo "| --- | --- | ---: | ---: |"
for scheme in http https; do
    if [ "$scheme" = http ]; then port=$HTTP_PORT; else port=$HTTPS_PORT; fi
    $PIN lua5.4 spec/bench/phases.lua "$scheme://127.0.0.1:$port" "$CALLS" \
        "$TMP/ca.pem" | while read -r step cpu wall; do
        echo "| $scheme | $step | $cpu | $wall |"
    done
done
echo

# ---- 3. memory -------------------------------------------------------------

echo "## 3. Memory: VmRSS of one Lua 5.4 process after 1,000 and after" \
    "$MEMORY_CALLS update_oidc calls on one client (full GC before each reading)"
echo
echo "| scheme | RSS after 1,000 KiB | RSS after $MEMORY_CALLS KiB | growth KiB" \
    "| Lua heap KiB (1,000 / $MEMORY_CALLS) |"
echo "| --- | ---: | ---: | ---: | --- |"
for scheme in http https; do
    if [ "$scheme" = http ]; then port=$HTTP_PORT; else port=$HTTPS_PORT; fi
    # shellcheck disable=SC2046 # the four figures become $1 to $4
    set -- $($PIN lua5.4 spec/bench/memory.lua "$scheme://127.0.0.1:$port" \
        "$MEMORY_CALLS" "$TMP/ca.pem")
    echo "| $scheme | $1 | $2 | $(($2 - $1)) | $3 / $4 |"
done
echo

# ---- 4. start-up -----------------------------------------------------------

echo "## 4. Start-up: hyperfine, median wall time of the whole process"
echo
LUA_PATHS="package.path='lua/?.lua;lua/?/init.lua;'..package.path"
$PIN hyperfine -N --warmup 10 --runs 200 --export-json "$TMP/startup.json" \
    --command-name "lua5.4 -e ''" "lua5.4 -e ''" \
    --command-name "lua5.4 -e 'require(\"cam.core\")'" \
    "lua5.4 -e \"package.cpath='build/lua5.4/?.so;'..package.cpath require('cam.core')\"" \
    --command-name "lua5.4 -e 'require(\"cam\")'" \
    "lua5.4 -e \"$LUA_PATHS package.cpath='build/lua5.4/?.so;'..package.cpath require('cam')\"" \
    --command-name "luajit -e 'require(\"cam\")'" \
    "luajit -e \"$LUA_PATHS package.cpath='build/luajit/?.so;'..package.cpath require('cam')\"" \
    >"$TMP/hyperfine.out" 2>&1 || { cat "$TMP/hyperfine.out" >&2; exit 1; }
echo "| command | median ms | mean ms +- sd | / bare lua5.4 |"
echo "| --- | ---: | ---: | ---: |"
STARTUP_JSON="$TMP/startup.json" lua5.4 -e '
    local cjson = require("cjson")
    local file = assert(io.open(os.getenv("STARTUP_JSON")))
    local results = cjson.decode(file:read("a")).results
    file:close()
    local base = results[1].median
    for _, r in ipairs(results) do
        print(string.format("| %s | %.2f | %.2f +- %.2f | %.2f |", r.command,
            r.median * 1e3, r.mean * 1e3, r.stddev * 1e3, r.median / base))
    end'
