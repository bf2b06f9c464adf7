# Thin wrapper: every target installs what is missing, configures and builds.
# The real build is CMake + Ninja in ./build (Release with debug info).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/host.yaml
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test test-asan bench fuzz format clean

all: build

deps:
	@./.ci/install-deps

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/chorus run $(CONFIG)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# AddressSanitizer + UndefinedBehaviorSanitizer build of everything, then every test.
test-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHORUS_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

bench: build
	cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)
	@for b in $(BUILD_DIR)/bench/*; do [ -x "$$b" ] && "$$b"; done

# libFuzzer targets (clang), each run for FUZZ_SECONDS from the committed seed
# corpus; new inputs go to a temporary directory, never into the repository.
FUZZ_SECONDS ?= 30
FUZZERS = event_record cloudevent topic config
fuzz:
	@CHORUS_EXTRA_PACKAGES="clang libclang-rt-14-dev" ./.ci/install-deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCHORUS_BUILD_FUZZ=ON -DCHORUS_BUILD_TESTS=OFF -DCHORUS_SANITIZE=address,undefined
	cmake --build build-fuzz -j $(JOBS)
	@set -e; for f in $(FUZZERS); do \
	  work=$$(mktemp -d); \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	  build-fuzz/fuzz/$${f}_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/ $$work tests/fuzz/corpus/$$f 2>&1 | tail -n 12; \
	  rm -rf $$work; \
	done

format:
	git ls-files '*.h' '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz
