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

.PHONY: all deps build unit e2e test test-fast run start stop status bench clean

all: build

deps:
	@bash scripts/install_deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure

e2e: build
	prove -I t/lib t/

# every suite twice: as shipped, and under AddressSanitizer + UBSan
test: test-fast
ifneq ($(SANITIZE),1)
	$(MAKE) SANITIZE=1 test-fast
endif

test-fast: unit e2e

run: build
	@bash scripts/local_stack.sh run $(STACK_DIR)

start: build
	@bash scripts/local_stack.sh start $(STACK_DIR)

stop:
	@bash scripts/local_stack.sh stop $(STACK_DIR)

status:
	@bash scripts/local_stack.sh status $(STACK_DIR)

bench: build
	@bash bench/run.sh

clean:
	rm -rf build build-sanitize
