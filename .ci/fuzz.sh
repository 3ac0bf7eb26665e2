#!/bin/sh
# Build the libFuzzer targets in csrc/fuzz/ with AddressSanitizer and
# UndefinedBehaviorSanitizer, then run each for FUZZ_SECONDS (default 20).
#
#   .ci/fuzz.sh                 every target
#   .ci/fuzz.sh sign utf8       only these targets
#   FUZZ_SECONDS=600 .ci/fuzz.sh
#
# Each target starts from its seeds in spec/fuzz/<target>/ and keeps what
# it finds in build/fuzz/corpus/<target>/, so later runs go on from there.
# A crash, leak or failed check stops the run with a non-zero exit status;
# the input that caused it is saved as build/fuzz/artifacts/<target>-*.
set -eu

cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
TARGETS_ALL="sign base64 utf8 headers http_response jwt json"
TARGETS=${*:-$TARGETS_ALL}
OUT=build/fuzz

# clang with its libFuzzer and sanitizer runtimes (Debian's clang-14).
CLANG=""
for c in clang clang-14; do
    if command -v "$c" >/dev/null 2>&1; then
        CLANG=$c
        break
    fi
done
need=""
[ -n "$CLANG" ] || need="clang"
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null |
    grep -q 'install ok installed' || need="$need libclang-rt-14-dev"
for p in libcurl4-openssl-dev libssl-dev liblua5.4-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        # shellcheck disable=SC2086 # the list is meant to split into words
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
        CLANG=${CLANG:-clang}
    else
        echo "Missing packages:$need" >&2
        exit 1
    fi
fi

CFLAGS="-g -O1 -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror
-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
-fno-omit-frame-pointer -Icsrc $(pkg-config --cflags lua5.4)"

# Sources and libraries of each target.
target_sources() {
    case $1 in
        sign) echo "csrc/cam_sign.c" ;;
        base64|utf8) echo "csrc/cam_codec.c" ;;
        headers) echo "csrc/cam_headers.c" ;;
        http_response) echo "csrc/cam_http.c csrc/cam_headers.c" ;;
        # The whole core, as cam/core.so has it, for a Lua state to load.
        jwt|json) echo csrc/*.c ;;
        *) echo "fuzz.sh: unknown target '$1' (targets: $TARGETS_ALL)" >&2
           return 1 ;;
    esac
}

target_libs() {
    case $1 in
        sign) pkg-config --libs libcrypto ;;
        http_response) echo "$(pkg-config --libs libcurl) -lpthread" ;;
        jwt|json) echo "$(pkg-config --libs lua5.4 libcurl openssl) -lpthread" ;;
        *) echo "" ;;
    esac
}

# The HTTP target talks only to its own server thread on 127.0.0.1.
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1
export NO_PROXY
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

mkdir -p "$OUT/artifacts"
failed=""
for target in $TARGETS; do
    sources=$(target_sources "$target")
    binary="$OUT/fuzz_$target"
    # shellcheck disable=SC2086,SC2046 # flag lists are meant to split
    $CLANG $CFLAGS -o "$binary" "csrc/fuzz/fuzz_$target.c" $sources \
        $(target_libs "$target")

    corpus="$OUT/corpus/$target"
    mkdir -p "$corpus"
    log="$OUT/fuzz_$target.log"
    echo "fuzz_$target: running for ${SECONDS_PER_TARGET}s"
    status=0
    "$binary" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
        -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
        -artifact_prefix="$OUT/artifacts/$target-" \
        "$corpus" "spec/fuzz/$target" >"$log" 2>&1 || status=$?

    runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
    units=$(find "$corpus" -type f | wc -l)
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "fuzz_$target: FAILED (exit status $status); see $log" >&2
        failed="$failed $target"
    else
        echo "fuzz_$target: ${runs:-?} executions, 0 crashes," \
            "corpus $units inputs"
    fi
done

if [ -n "$failed" ]; then
    echo "fuzz.sh: failed:$failed" >&2
    exit 1
fi
echo "fuzz.sh: every target ran ${SECONDS_PER_TARGET}s without a crash"
