# qvrpro - build, test, demo, sanitizers, valgrind, fuzzing and benchmarks.
#
# `bash tools/test` and `bash tools/demo` (the README's two commands) install
# the Debian packages and then call the targets below.

LUA      ?= lua5.4
CC       ?= gcc
TREE     := .rocks
BUILD    := build
CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN     := -Wall -Wextra -Werror
PKGS     := libcurl libcjson libxml-2.0
LIBS     := $(shell pkg-config --libs $(PKGS))
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# The three layers of the C code (README "How the code is laid out"):
#   csrc/proto  the QVR Pro protocol as plain C: no Lua, no libcurl (unit-tested, fuzzed)
#   csrc/net    the HTTP transport over libcurl (no Lua)
#   csrc/media  the muxer over FFmpeg (no Lua)
#   csrc/lua    the Lua bindings that marshal between the above and Lua
# `make proto` compiles csrc/proto without Lua's or curl's include paths, so the
# build enforces the boundary.
PROTO_INC := -Icsrc/proto $(shell pkg-config --cflags libcjson libxml-2.0)
PROTO_LIB := $(shell pkg-config --libs libcjson libxml-2.0)
PROTO_SRC := $(wildcard csrc/proto/*.c)
PROTO_HDR := $(wildcard csrc/proto/*.h)
PROTO_OBJ := $(patsubst csrc/proto/%.c,$(BUILD)/proto/%.o,$(PROTO_SRC))
INC       := -Icsrc/proto -Icsrc/net -Icsrc/media -Icsrc/lua $(shell pkg-config --cflags $(PKGS) lua5.4)
ALL_HDR   := $(wildcard csrc/*/*.h)
# qvrpro.mux, a module of its own over FFmpeg (see csrc/lua/muxobj.c)
MUX_SRC   := csrc/lua/muxobj.c csrc/lua/joinobj.c csrc/lua/exportobj.c csrc/media/mux.c \
             csrc/media/join.c csrc/media/exportloop.c csrc/media/aacenc.c csrc/proto/codec.c \
             csrc/proto/wire.c
MUX_PKGS  := libavformat libavcodec libavutil
CORE_SRC  := $(filter-out $(MUX_SRC),$(wildcard csrc/lua/*.c csrc/net/*.c)) $(PROTO_SRC)
CTESTS    := $(patsubst tests/c/%.c,$(BUILD)/tests/%,$(wildcard tests/c/test_*.c))
SIM_SRC   := $(wildcard tools/sim/*.c)
# the simulator's RTSP server (tools/sim/rtsp.c) and recordingfile MP4s (clip.c)
SIM_PKGS  := libmicrohttpd libcjson gnutls gstreamer-rtsp-server-1.0 gstreamer-1.0 $(MUX_PKGS)
SIM_LIBS  := $(shell pkg-config --libs $(SIM_PKGS)) -lpthread -lm
SIM_INC   := -Icsrc/proto $(shell pkg-config --cflags $(SIM_PKGS) | sed 's/-I/-isystem /g')

.PHONY: all proto rock env sim ctest asan test valgrind lint fuzzers fuzz demo bench clean

all: proto rock sim

# The rock, into the project-local tree (.rocks); see `make env`.
rock:
	luarocks --lua-version=5.4 --tree=$(TREE) make \
	  CFLAGS="-O2 -fPIC $(CSTD) $(WARN)" >$(BUILD).rock.log 2>&1 \
	  || { cat $(BUILD).rock.log; exit 1; }

env:
	@luarocks --lua-version=5.4 --tree=$(TREE) path

sim: $(BUILD)/qvrsim

$(BUILD)/qvrsim: $(SIM_SRC) $(wildcard tools/sim/*.h) csrc/proto/qvr_wire.h csrc/proto/qvr_dump.h
	@mkdir -p $(BUILD)
	$(CC) $(CSTD) $(WARN) -O2 -g $(SIM_INC) -o $@ $(SIM_SRC) $(SIM_LIBS)

# C unit tests of the protocol code (TAP output)
$(BUILD)/proto/%.o: csrc/proto/%.c $(PROTO_HDR)
	@mkdir -p $(BUILD)/proto
	$(CC) $(CSTD) $(WARN) -O2 -c $(PROTO_INC) -o $@ $<

proto: $(PROTO_OBJ)

$(BUILD)/tests/%: tests/c/%.c $(PROTO_SRC) $(PROTO_HDR) tests/c/tap.h | proto
	@mkdir -p $(BUILD)/tests
	$(CC) $(CSTD) $(WARN) -O1 -g -Itests/c $(PROTO_INC) -o $@ $< $(PROTO_SRC) $(PROTO_LIB)

$(BUILD)/asan/tests/%: tests/c/%.c $(PROTO_SRC) $(PROTO_HDR) tests/c/tap.h
	@mkdir -p $(BUILD)/asan/tests
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) -Itests/c $(PROTO_INC) -o $@ $< $(PROTO_SRC) $(PROTO_LIB)

# the network tests (the transfer loop, http) link their csrc/net file (and
# http.c the error names) and libcurl, not the protocol; a local server
# (tests/c/loopback.h) answers them
NET_TESTS     := test_loop test_http
test_loop_SRC := tests/c/test_loop.c csrc/net/loop.c
test_http_SRC := tests/c/test_http.c csrc/net/http.c csrc/proto/errname.c
NET_TEST_HDR  := csrc/net/loop.h csrc/net/http.h tests/c/tap.h tests/c/loopback.h
NET_TEST_LIBS := $(shell pkg-config --libs libcurl) -lpthread
NET_TEST_INC  := -Itests/c -Icsrc/net -Icsrc/proto

.SECONDEXPANSION:
$(patsubst %,$(BUILD)/tests/%,$(NET_TESTS)): $(BUILD)/tests/%: $$(%_SRC) $(NET_TEST_HDR)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CSTD) $(WARN) -O1 -g $(NET_TEST_INC) -o $@ $($*_SRC) $(NET_TEST_LIBS)

$(patsubst %,$(BUILD)/asan/tests/%,$(NET_TESTS)): $(BUILD)/asan/tests/%: $$(%_SRC) $(NET_TEST_HDR)
	@mkdir -p $(BUILD)/asan/tests
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(NET_TEST_INC) -o $@ $($*_SRC) $(NET_TEST_LIBS)

ctest: $(CTESTS)

# qvrpro/core.so built with ASan+UBSan, loaded by the stock lua5.4 with the
# sanitizer runtime preloaded (see tools/test)
$(BUILD)/asan/qvrpro/core.so: $(CORE_SRC) $(ALL_HDR)
	@mkdir -p $(BUILD)/asan/qvrpro
	$(CC) $(CSTD) $(WARN) -O1 -g -fPIC -shared $(SAN) $(INC) -o $@ $(CORE_SRC) $(LIBS)

$(BUILD)/asan/qvrpro/mux.so: $(MUX_SRC) $(ALL_HDR)
	@mkdir -p $(BUILD)/asan/qvrpro
	$(CC) $(CSTD) $(WARN) -O1 -g -fPIC -shared $(SAN) $(INC) $(shell pkg-config --cflags $(MUX_PKGS)) \
	  -o $@ $(MUX_SRC) $(shell pkg-config --libs $(MUX_PKGS))

asan: $(BUILD)/asan/qvrpro/core.so $(BUILD)/asan/qvrpro/mux.so $(patsubst tests/c/%.c,$(BUILD)/asan/tests/%,$(wildcard tests/c/test_*.c))

# libFuzzer targets, one per parser of untrusted bytes (fuzz/fuzz_NAME.c,
# seeds in fuzz/corpus_NAME): parser (streams), dump (.qvr files), wire (one
# frame header or JPEG record through wire.c, checked against the parser),
# json (JSON answers), verdict (every kind of answer, text lines), login
# (login XML), encode (URL and base64 encodings), request (the request
# builder).  Sanitizer reports stop the run.
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZERS    := $(patsubst %,$(BUILD)/fuzz_%,$(FUZZ_NAMES))
FUZZ_SAN   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz_%: fuzz/fuzz_%.c $(PROTO_SRC) $(PROTO_HDR)
	@mkdir -p $(BUILD)
	clang $(CSTD) $(WARN) -g -O1 $(FUZZ_SAN) $(PROTO_INC) -o $@ $< $(PROTO_SRC) $(PROTO_LIB)

fuzzers: $(FUZZERS)

# valgrind over the C unit tests (tools/test runs this too)
valgrind: ctest
	@for t in $(CTESTS); do \
	  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	    --suppressions=tests/c/valgrind.supp $$t \
	    >/dev/null || exit 1; echo "valgrind clean: $$t"; done

lint:
	luacheck lua spec bin/qvr examples $(wildcard tools/bench)

# Long fuzzing: every target for FUZZ_SECONDS (default 60) each; new inputs
# go to a scratch folder, crash inputs to build/fuzz-artifacts/NAME-*
# (replay one with `build/fuzz_NAME FILE`).  FUZZ=NAME runs one target.
FUZZ_SECONDS ?= 60
FUZZ ?= $(FUZZ_NAMES)
fuzz: $(FUZZERS)
	@mkdir -p $(BUILD)/fuzz-artifacts && for t in $(FUZZ); do \
	  d=$$(mktemp -d) && echo "== fuzz_$$t ($(FUZZ_SECONDS) s)" && \
	  $(BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
	    -artifact_prefix=$(BUILD)/fuzz-artifacts/$$t- $$d fuzz/corpus_$$t; \
	  rc=$$?; rm -rf $$d; [ $$rc -eq 0 ] || exit $$rc; done

test:
	bash tools/test

demo:
	bash tools/demo

bench:
	bash tools/bench/run
	bash tools/bench/export

clean:
	rm -rf $(BUILD) $(BUILD).rock.log csrc/*/*.o qvrpro
