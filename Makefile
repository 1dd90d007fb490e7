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
INC      := -Icsrc $(shell pkg-config --cflags $(PKGS) lua5.4)
LIBS     := $(shell pkg-config --libs $(PKGS))
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# plain-C protocol code: no Lua, no curl; unit-tested and fuzzed alone
PROTO_SRC := csrc/parser.c csrc/errors.c csrc/dump.c csrc/codec.c
# qvrpro.mux, a module of its own over FFmpeg (see csrc/muxobj.c)
MUX_SRC   := csrc/muxobj.c csrc/mux.c csrc/codec.c
MUX_PKGS  := libavformat libavcodec libavutil
CORE_SRC  := $(filter-out $(MUX_SRC),$(wildcard csrc/*.c))
CTESTS    := $(patsubst tests/c/%.c,$(BUILD)/tests/%,$(wildcard tests/c/test_*.c))
SIM_SRC   := $(wildcard tools/sim/*.c)
# the simulator's RTSP server (tools/sim/rtsp.c) and recordingfile MP4s (clip.c)
SIM_PKGS  := libmicrohttpd libcjson gnutls gstreamer-rtsp-server-1.0 gstreamer-1.0 $(MUX_PKGS)
SIM_LIBS  := $(shell pkg-config --libs $(SIM_PKGS)) -lpthread -lm
SIM_INC   := -Icsrc $(shell pkg-config --cflags $(SIM_PKGS) | sed 's/-I/-isystem /g')

.PHONY: all rock env sim ctest asan test valgrind lint fuzz fuzz-dump demo bench clean

all: rock sim

# The rock, into the project-local tree (.rocks); see `make env`.
rock:
	luarocks --lua-version=5.4 --tree=$(TREE) make \
	  CFLAGS="-O2 -fPIC $(CSTD) $(WARN)" >$(BUILD).rock.log 2>&1 \
	  || { cat $(BUILD).rock.log; exit 1; }

env:
	@luarocks --lua-version=5.4 --tree=$(TREE) path

sim: $(BUILD)/qvrsim

$(BUILD)/qvrsim: $(SIM_SRC) $(wildcard tools/sim/*.h) csrc/qvr_wire.h csrc/qvr_dump.h
	@mkdir -p $(BUILD)
	$(CC) $(CSTD) $(WARN) -O2 -g $(SIM_INC) -o $@ $(SIM_SRC) $(SIM_LIBS)

# C unit tests of the protocol code (TAP output)
$(BUILD)/tests/%: tests/c/%.c $(PROTO_SRC) $(wildcard csrc/*.h) tests/c/tap.h
	@mkdir -p $(BUILD)/tests
	$(CC) $(CSTD) $(WARN) -O1 -g -Itests/c $(INC) -o $@ $< $(PROTO_SRC)

$(BUILD)/asan/tests/%: tests/c/%.c $(PROTO_SRC) $(wildcard csrc/*.h) tests/c/tap.h
	@mkdir -p $(BUILD)/asan/tests
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) -Itests/c $(INC) -o $@ $< $(PROTO_SRC)

ctest: $(CTESTS)

# qvrpro/core.so built with ASan+UBSan, loaded by the stock lua5.4 with the
# sanitizer runtime preloaded (see tools/test)
$(BUILD)/asan/qvrpro/core.so: $(CORE_SRC) $(wildcard csrc/*.h)
	@mkdir -p $(BUILD)/asan/qvrpro
	$(CC) $(CSTD) $(WARN) -O1 -g -fPIC -shared $(SAN) $(INC) -o $@ $(CORE_SRC) $(LIBS)

$(BUILD)/asan/qvrpro/mux.so: $(MUX_SRC) $(wildcard csrc/*.h)
	@mkdir -p $(BUILD)/asan/qvrpro
	$(CC) $(CSTD) $(WARN) -O1 -g -fPIC -shared $(SAN) $(INC) $(shell pkg-config --cflags $(MUX_PKGS)) \
	  -o $@ $(MUX_SRC) $(shell pkg-config --libs $(MUX_PKGS))

asan: $(BUILD)/asan/qvrpro/core.so $(BUILD)/asan/qvrpro/mux.so $(patsubst tests/c/%.c,$(BUILD)/asan/tests/%,$(wildcard tests/c/test_*.c))

$(BUILD)/fuzz_parser: fuzz/fuzz_parser.c $(PROTO_SRC)
	@mkdir -p $(BUILD)
	clang $(CSTD) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined $(INC) -o $@ $< $(PROTO_SRC)

# the .qvr reader and appending writer (seeds: fuzz/corpus_dump, make_dump_corpus.c)
$(BUILD)/fuzz_dump: fuzz/fuzz_dump.c $(PROTO_SRC) $(wildcard csrc/*.h)
	@mkdir -p $(BUILD)
	clang $(CSTD) $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined $(INC) -o $@ $< $(PROTO_SRC)

# valgrind over the C unit tests (tools/test runs this too)
valgrind: ctest
	@for t in $(CTESTS); do \
	  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite $$t \
	    >/dev/null || exit 1; echo "valgrind clean: $$t"; done

lint:
	luacheck lua spec bin/qvr examples $(wildcard tools/bench)

# a bounded fuzz run over a copy of the seed corpus (FUZZ_SECONDS=60 by default)
FUZZ_SECONDS ?= 60
fuzz: $(BUILD)/fuzz_parser
	@d=$$(mktemp -d) && cp fuzz/corpus/* $$d/ && \
	  $(BUILD)/fuzz_parser -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 $$d; \
	  rc=$$?; rm -rf $$d; exit $$rc

fuzz-dump: $(BUILD)/fuzz_dump
	@d=$$(mktemp -d) && cp fuzz/corpus_dump/* $$d/ && \
	  $(BUILD)/fuzz_dump -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 $$d; \
	  rc=$$?; rm -rf $$d; exit $$rc

test:
	bash tools/test

demo:
	bash tools/demo

bench:
	bash tools/bench/run
	bash tools/bench/export

clean:
	rm -rf $(BUILD) $(BUILD).rock.log csrc/*.o qvrpro
