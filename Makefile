# lua-tencentcloud-cam
#
#   make          build the C core for Lua 5.4 (build/lua5.4/cam/core.so)
#   make demo     install what is missing, build, run the example against
#                 the bundled emulator
#   make check    install what is missing, build, run every test
#
# LUA_PC picks the interpreter's pkg-config name (lua5.4, or luajit for
# OpenResty's LuaJIT 2.1); the module is built with its compile flags only
# and is never linked against liblua.

LUA_PC    ?= lua5.4
LUA       ?= lua5.4
BUILD     ?= build/$(LUA_PC)
CC        ?= cc
OPTFLAGS  ?= -O2 -g
WARNFLAGS  = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes
CPPFLAGS  += -D_POSIX_C_SOURCE=200809L
CFLAGS    += -std=c99 -fPIC -fvisibility=hidden $(OPTFLAGS) $(WARNFLAGS) \
             $(shell pkg-config --cflags $(LUA_PC) libcurl openssl)
LDLIBS    += $(shell pkg-config --libs libcurl openssl) -lpthread
LDFLAGS   += -shared

SOURCES    = csrc/cam_core.c csrc/cam_sign.c csrc/cam_http.c csrc/cam_codec.c \
             csrc/cam_headers.c
SOURCES   += csrc/cam_jwt.c csrc/cam_pem.c csrc/cam_json.c
HEADERS    = $(wildcard csrc/*.h)
OBJECTS    = $(SOURCES:csrc/%.c=$(BUILD)/%.o)
MODULE     = $(BUILD)/cam/core.so

.PHONY: all deps demo check test check-asan check-luajit valgrind bench soak \
        fuzz clean

all: $(MODULE)

$(BUILD)/%.o: csrc/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(MODULE): $(OBJECTS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(OBJECTS) $(LDLIBS)

deps:
	@.ci/deps.sh

demo:
	@.ci/deps.sh demo
	@$(MAKE) --no-print-directory all
	@.ci/demo.sh

check: deps
	@$(MAKE) --no-print-directory all
	@.ci/check.sh

test: all
	@.ci/check.sh

# The suite against a core built with AddressSanitizer and
# UndefinedBehaviorSanitizer. The interpreter is not instrumented, so the
# ASan runtime is preloaded; leak checking is left to valgrind.
SANITIZE   = -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
check-asan: deps
	@$(MAKE) --no-print-directory all BUILD=build/asan/$(LUA_PC) \
	    OPTFLAGS="-O1 -g $(SANITIZE)" LDFLAGS="-shared $(SANITIZE)"
	@LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    .ci/check.sh --cpath="build/asan/$(LUA_PC)/?.so"

# The suite on LuaJIT 2.1, with the core built from the same sources.
check-luajit: deps
	@$(MAKE) --no-print-directory all LUA_PC=luajit
	@.ci/check-luajit.sh

# valgrind memcheck over a scripted run of every public function.
valgrind: all
	@.ci/valgrind.sh

# Benchmarks against the official SDK and the floor; see docs/BENCHMARKS.md.
bench: all
	@.ci/bench.sh

# The bounded soak run against the emulator; see docs/RELIABILITY.md.
soak: all
	@.ci/soak.sh

# libFuzzer targets for the C entry points that take outside bytes.
fuzz:
	@.ci/fuzz.sh

clean:
	rm -rf build
