# Thin wrapper: every target installs what is missing, configures and builds.
# The real build is CMake + Ninja in ./build (Release with debug info).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/host.yaml
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test test-asan test-tsan bench fuzz format clean

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

# ThreadSanitizer build of the concurrency-heavy test suites (a full TSan
# build of everything does not fit CI's time).
TSAN_TESTS ?= bus_tests store_tests integration_tests api_tests
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHORUS_SANITIZE=thread -DCHORUS_BUILD_BENCH=OFF
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TESTS)
	cd build-tsan && for t in $(TSAN_TESTS); do TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --output-on-failure -j $(JOBS) -R "^$$t:" || exit 1; done

bench: build
	cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)
	@for b in $(BUILD_DIR)/bench/*; do [ -x "$$b" ] && "$$b"; done

# libFuzzer targets (clang), each run for FUZZ_SECONDS from the committed seed
# corpus; new inputs go to a temporary directory, never into the repository.
FUZZ_SECONDS ?= 30
FUZZERS = event_record cloudevent topic config store_value api_request
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
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
