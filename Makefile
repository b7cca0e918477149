# Lift — build, test, demo, bench. Plain make; every library through pkg-config.
#   make            build build/liftd, build/liftctl, build/liblift.a
#   make demo       the product doing its main job, end to end
#   make check      the whole Check suite (unit + integration), -Werror
#   make SANITIZE=address,undefined check    the same under ASan + UBSan (objects in build/san)
#   make check-pg   the integration suites again with liftd on PostgreSQL
#   make bench      benchmarks next to their bare baselines
#   make memcheck   the suite under valgrind
#   make fuzz       libFuzzer on the request path for FUZZ_SECONDS (default 60; clang)
#   make deps       install missing Debian packages (runs apt-get update first)

PKGS     := libzmq libprotobuf-c gsl check sqlite3 jansson libpq
DEB_PKGS := build-essential pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler \
            libgsl-dev check libsqlite3-dev libjansson-dev postgresql libpq-dev

CC       ?= cc
SANITIZE ?=
WERROR   ?= -Werror
ifeq ($(SANITIZE),)
B        := build
SANFLAGS :=
else
B        := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes $(WERROR) $(SANFLAGS) -MMD -MP
CPPFLAGS += -Iinclude -Isrc -Ibuild/gen -Itools $(PKG_CFLAGS) -DLIFT_STORE_PG
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -lpthread

GEN       := build/gen
PROTO_C   := $(GEN)/lift.pb-c.c
PROTO_H   := $(GEN)/lift.pb-c.h

STATS_SRC := $(wildcard stats/*.c)
SRV_SRC   := $(filter-out src/liftd.c src/client.c src/currency.c,$(wildcard src/*.c))
CLI_SRC   := src/client.c src/currency.c
RENDER_SRC := tools/report_render.c
EXPJSON_SRC := tools/experiment_json.c
CTL_SRC   := tools/liftctl.c $(wildcard tools/cmd_*.c) $(RENDER_SRC) $(EXPJSON_SRC)
TEST_SRC  := $(wildcard tests/*.c)
BENCH_SRC := $(wildcard tools/bench_*.c)
SIM_SRC   := $(wildcard tools/liftsim.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
PROTO_O := $(B)/obj/gen/lift.pb-c.o
STATS_O := $(call obj,$(STATS_SRC))
SRV_O   := $(call obj,$(SRV_SRC))
CLI_O   := $(call obj,$(CLI_SRC))
CTL_O   := $(call obj,$(CTL_SRC))
TEST_O  := $(call obj,$(TEST_SRC))
BENCHES := $(patsubst tools/%.c,$(B)/%,$(BENCH_SRC))
SUITES  := $(patsubst tests/check_%.c,%,$(filter-out tests/check_main.c,$(wildcard tests/check_*.c)))

PROGS := $(B)/liftd $(B)/liftctl $(B)/liblift.a $(if $(SIM_SRC),$(B)/liftsim)

.PHONY: all deps progs check check-pg demo bench soak memcheck format clean fuzz fuzz-deps fuzz-corpus
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory progs

progs: $(PROGS)

deps:
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	command -v protoc-c >/dev/null 2>&1 || missing="$$missing protoc-c"; \
	command -v $(CC) >/dev/null 2>&1 || missing="$$missing $(CC)"; \
	if [ -z "$$missing" ]; then \
	  for p in $(PKGS); do pkg-config --exists $$p || missing="$$missing $$p"; done; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql-server"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing — installing Debian packages: $(DEB_PKGS)"; \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "deps: no apt-get on this machine; install the equivalents of: $(DEB_PKGS)" >&2; exit 1; fi; \
	  if [ "$$(id -u)" != 0 ]; then \
	    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else \
	    echo "deps: not root and no password-less sudo; run as root: apt-get update && apt-get install -y $(DEB_PKGS)" >&2; exit 1; fi; \
	  fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $(DEB_PKGS) || \
	  { echo "deps: apt-get install failed" >&2; exit 1; }; \
	fi

$(PROTO_C) $(PROTO_H): proto/lift.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) proto/lift.proto

$(PROTO_O): $(PROTO_C)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# Every object may include the generated header: make sure it exists first.
$(B)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/liblift.a: $(CLI_O) $(B)/obj/src/names.o $(PROTO_O)
	@rm -f $@
	ar rcs $@ $^

$(B)/libliftsrv.a: $(SRV_O) $(STATS_O)
	@rm -f $@
	ar rcs $@ $^

$(B)/liftd: $(B)/obj/src/liftd.o $(B)/libliftsrv.a $(B)/liblift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/liftctl: $(CTL_O) $(B)/libliftsrv.a $(B)/liblift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/liftsim: $(call obj,$(SIM_SRC) $(EXPJSON_SRC)) $(B)/libliftsrv.a $(B)/liblift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_%: $(B)/obj/tools/bench_%.o $(B)/libliftsrv.a $(B)/liblift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The PostgreSQL benchmark starts its own throw-away server with the tests' harness.
$(B)/bench_pg: $(B)/obj/tools/bench_pg.o $(B)/obj/tests/pgharness.o $(B)/libliftsrv.a $(B)/liblift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Suites are discovered from file names: tests/check_foo.c defines Suite *foo_suite(void).
$(GEN)/suites.inc: $(wildcard tests/check_*.c)
	@mkdir -p $(GEN)
	@{ for s in $(SUITES); do echo "SUITE($$s)"; done; } > $@.tmp && \
	  { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }

$(B)/obj/tests/check_main.o: $(GEN)/suites.inc

$(B)/check_lift: $(TEST_O) $(call obj,$(RENDER_SRC)) $(B)/libliftsrv.a $(B)/liblift.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: deps
	@$(MAKE) --no-print-directory progs $(B)/check_lift
	LIFT_BUILD=$(B) $(B)/check_lift

# The integration suites again with every liftd on PostgreSQL (the test run's own server).
PG_SUITES ?= server ingest e2e report client sim liftctl
check-pg: deps
	@$(MAKE) --no-print-directory progs $(B)/check_lift
	@for s in $(PG_SUITES); do \
	  LIFT_TEST_STORE=postgresql CK_RUN_SUITE=$$s LIFT_BUILD=$(B) $(B)/check_lift || exit 1; done

memcheck: deps
	@$(MAKE) --no-print-directory progs $(B)/check_lift
	LIFT_BUILD=$(B) LIFT_VALGRIND=1 CK_FORK=no CK_DEFAULT_TIMEOUT=600 valgrind --error-exitcode=1 \
	  --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	  $(B)/check_lift

# 100 rounds of SIGKILL during ingestion (make check runs a few).
soak: deps
	@$(MAKE) --no-print-directory progs $(B)/check_lift
	LIFT_BUILD=$(B) LIFT_SOAK_ROUNDS=100 CK_RUN_SUITE=ingest CK_RUN_CASE=crash $(B)/check_lift

bench: deps
	@$(MAKE) --no-print-directory progs $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; LIFT_BUILD=$(B) $$b || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory progs
	@LIFT_BUILD=$(B) sh tools/demo.sh

# ---- fuzzing: clang + libFuzzer (installed on demand, like deps) ---------------------------
FUZZ_SECONDS  ?= 60
FUZZ_CC       ?= clang
FUZZ_DEB_PKGS ?= clang libclang-rt-14-dev
FUZZ_B        := build/fuzz
FUZZ_FLAGS    := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                 -fno-sanitize-recover=undefined
FUZZ_SRC      := $(SRV_SRC) $(STATS_SRC) src/names.c src/currency.c
FUZZ_O        := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(FUZZ_SRC)) $(FUZZ_B)/obj/gen/lift.pb-c.o

fuzz-deps:
	@if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer - -o /dev/null >/dev/null 2>&1; then \
	  echo "fuzz-deps: $(FUZZ_CC) cannot build a libFuzzer target — installing: $(FUZZ_DEB_PKGS)"; \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "fuzz-deps: no apt-get; install clang with libFuzzer (compiler-rt)" >&2; exit 1; fi; \
	  SUDO=; if [ "$$(id -u)" != 0 ]; then \
	    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else \
	    echo "fuzz-deps: not root and no password-less sudo; run as root: apt-get install -y $(FUZZ_DEB_PKGS)" >&2; exit 1; fi; \
	  fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $(FUZZ_DEB_PKGS) || \
	  { echo "fuzz-deps: apt-get install failed" >&2; exit 1; }; \
	fi

$(FUZZ_B)/obj/gen/lift.pb-c.o: $(PROTO_C)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=c11 -D_GNU_SOURCE $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_B)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_B)/fuzz_request: $(FUZZ_B)/obj/tests/fuzz/fuzz_request.o $(FUZZ_O)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm -lpthread

# New inputs go to build/fuzz/corpus; the committed seeds in tests/fuzz/corpus are only read.
fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_B)/fuzz_request
	@mkdir -p $(FUZZ_B)/corpus $(FUZZ_B)/artifacts
	$(FUZZ_B)/fuzz_request -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=20 \
	  -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/artifacts/ \
	  $(FUZZ_B)/corpus tests/fuzz/corpus

# Regenerate the committed seed corpus (valid packed requests of every type).
fuzz-corpus: $(PROTO_O) $(B)/obj/tests/fuzz/gen_corpus.o
	$(CC) $(LDFLAGS) -o $(B)/gen_corpus $^ $(LDLIBS)
	@mkdir -p tests/fuzz/corpus
	$(B)/gen_corpus tests/fuzz/corpus

format:
	clang-format -i $(wildcard src/*.[ch] stats/*.[ch] include/lift/*.h tools/*.[ch] tests/*.[ch])

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
