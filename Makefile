# The two commands a newcomer needs: `make run` and `make test`.
BUILD_DIR ?= build
SANITIZE ?= 0
JOBS ?= $(shell nproc)
STACK_DIR ?= $(CURDIR)/.run

ifeq ($(SANITIZE),1)
  BUILD_DIR := build-sanitize
  CMAKE_FLAGS += -DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  export STACK_NGINX_PRELOAD := $(shell gcc -print-file-name=libasan.so)
  export ASAN_OPTIONS := detect_leaks=0:abort_on_error=1
endif
export BUILD_DIR

.PHONY: all deps build unit e2e fuzz test test-fast run start stop status bench deb clean

all: build

deps:
	@bash scripts/install_deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure

# two files at a time: each has its own stack on free ports, and most of a
# file's time is spent waiting (PROVE_JOBS=1 for one at a time)
PROVE_JOBS ?= 2
e2e: build
	prove -j$(PROVE_JOBS) -I t/lib t/

# every suite twice, as shipped and under AddressSanitizer + UBSan, then the
# request parsers under libFuzzer for a bounded time
test: test-fast
ifneq ($(SANITIZE),1)
	$(MAKE) SANITIZE=1 test-fast
	$(MAKE) fuzz
endif

FUZZ_SECONDS ?= 30
FUZZ_SOURCES := $(wildcard event_contract/*.c) tests/fuzz/fuzz_request_parsers.c
build-fuzz/fuzz_request_parsers: $(FUZZ_SOURCES) $(wildcard event_contract/*.h)
	@mkdir -p build-fuzz
	clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -Ievent_contract $(FUZZ_SOURCES) $$(pkg-config --cflags --libs jansson liburiparser zlib) -lm -o $@

SPOOL_FUZZ_SECONDS ?= 15
build-fuzz/fuzz_spool_reader: event_contract/spool_record.c event_contract/spool_record.h tests/fuzz/fuzz_spool_reader.c
	@mkdir -p build-fuzz
	clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -Ievent_contract event_contract/spool_record.c tests/fuzz/fuzz_spool_reader.c -lz -o $@

# the checked-in seeds are read, never written: new inputs go to a scratch folder
fuzz: deps build-fuzz/fuzz_request_parsers build-fuzz/fuzz_spool_reader
	@rm -rf build-fuzz/corpus build-fuzz/spool-corpus && mkdir -p build-fuzz/corpus build-fuzz/spool-corpus
	@build-fuzz/fuzz_request_parsers -max_total_time=$(FUZZ_SECONDS) -max_len=20000 -timeout=5 \
	  -print_final_stats=1 build-fuzz/corpus tests/fuzz/corpus > build-fuzz/fuzz.log 2>&1 \
	  || { tail -n 60 build-fuzz/fuzz.log; echo "fuzz: FAILED, see build-fuzz/fuzz.log"; exit 1; }
	@tail -n 8 build-fuzz/fuzz.log
	@echo "fuzz: $(FUZZ_SECONDS) s without a crash, leak or failed check"
	@build-fuzz/fuzz_spool_reader -max_total_time=$(SPOOL_FUZZ_SECONDS) -max_len=4096 -timeout=5 \
	  -print_final_stats=1 build-fuzz/spool-corpus tests/fuzz/spool-corpus > build-fuzz/fuzz-spool.log 2>&1 \
	  || { tail -n 60 build-fuzz/fuzz-spool.log; echo "fuzz (spool reader): FAILED, see build-fuzz/fuzz-spool.log"; exit 1; }
	@echo "fuzz (spool reader): $(SPOOL_FUZZ_SECONDS) s without a crash, leak or failed check"

test-fast: unit e2e

# the Debian packages, in DEB_OUT (docs/install.md)
DEB_OUT ?= $(CURDIR)/build-deb
deb: deps
	@bash scripts/build_debs.sh $(DEB_OUT)

run: build
	@bash scripts/local_stack.sh run $(STACK_DIR)

start: build
	@bash scripts/local_stack.sh start $(STACK_DIR)

stop:
	@bash scripts/local_stack.sh stop $(STACK_DIR)

status:
	@bash scripts/local_stack.sh status $(STACK_DIR)

# the collector's figures, the aggregator's, then one flat results.json
bench: build
	@bash bench/run.sh
	@bash bench/ingest.sh
	@bash bench/reports.sh
	@jq -s add bench/out/collector.json bench/out/ingest.json bench/out/reports.json > bench/out/results.json
	@echo "bench: bench/out/results.json"

clean:
	rm -rf build build-sanitize build-fuzz
