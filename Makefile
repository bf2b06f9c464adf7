# Thin wrapper: every target installs what is missing, configures and builds.
# The real build is CMake + Ninja in ./build (Release with debug info).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/host.yaml
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test test-asan test-tsan bench fuzz format lint-lua clean

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

test: build lint-lua
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	$(BUILD_DIR)/chorus test --crash-matrix scripts

# luacheck over the scripts, with the sandbox's allow-list as the standard
# (.luacheckrc).
lint-lua: deps
	luacheck --no-color -q scripts

# AddressSanitizer + UndefinedBehaviorSanitizer build of everything but the
# benchmarks (they build in `make test`), then every test.
test-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHORUS_SANITIZE=address,undefined -DCHORUS_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer build of the concurrency-heavy test suites (a full TSan
# build of everything does not fit CI's time).
TSAN_TESTS ?= bus_tests store_tests discovery_tests integration_tests plugins_tests lua_tests api_tests workflows_tests workflows_runner_tests
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHORUS_SANITIZE=thread -DCHORUS_BUILD_BENCH=OFF
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TESTS)
	cd build-tsan && for t in $(TSAN_TESTS); do TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --output-on-failure -j $(JOBS) -R "^$$t:" || exit 1; done

bench: build
	cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)
	@for b in $(BUILD_DIR)/bench/*; do [ -x "$$b" ] && "$$b"; done

# libFuzzer targets (clang, ASan + UBSan), each run for FUZZ_SECONDS from the
# committed seed corpus by tests/fuzz/run_fuzzers.sh; new inputs go to a
# temporary directory, never into the repository. It fails (and so this target
# and CI) when a target finds a crash, leak, timeout or OOM, and prints the
# artifact and the command that reproduces it. FUZZERS=cloudevent runs one.
FUZZ_SECONDS ?= 30
FUZZERS ?= event_record cloudevent cloudevent_data topic config store_value registry_record api_request ws_frame
fuzz:
	@CHORUS_EXTRA_PACKAGES="clang libclang-rt-14-dev" ./.ci/install-deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCHORUS_BUILD_FUZZ=ON -DCHORUS_BUILD_TESTS=OFF -DCHORUS_SANITIZE=address,undefined
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZERS:%=%_fuzz)
	tests/fuzz/run_fuzzers.sh -t $(FUZZ_SECONDS) -b build-fuzz $(FUZZERS)

format:
	git ls-files '*.h' '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
