# A thin wrapper around CMake. The real build is CMakeLists.txt.
#   make            build into build/
#   make test       install missing packages, build, run every test (ctest)
#   make test SANITIZE=1   the same with clang, ASan+UBSan and libFuzzer smoke runs
#   make demo       run the whole stack on this host (scripts/demo.py; state in ./run/)
#   make package    build the .deb (CPack) into $(BUILD)/
#   make fuzz       build the libFuzzer harnesses (clang) into build-fuzz/

SANITIZE ?= 0
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
WERROR   ?= $(if $(CI),ON,OFF)

ifeq ($(SANITIZE),1)
BUILD    ?= build-asan
CMAKEFLAGS += -DCMAKE_C_COMPILER=clang -DTRIAD_SANITIZE=ON -DTRIAD_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=Debug
# Leaks are errors; UBSan stops at the first report with a stack.
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
else
BUILD    ?= build
endif

.PHONY: all build deps test demo package fuzz clean bench-deps

all: build

deps:
	@sh scripts/deps.sh test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DTRIAD_WERROR=$(WERROR) $(CMAKEFLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTESTFLAGS)

fuzz:
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DTRIAD_FUZZ=ON \
		-DTRIAD_SANITIZE=ON
	cmake --build build-fuzz -j $(JOBS)

demo: deps build
	python3 scripts/demo.py --build $(BUILD)

# The .deb (packaging/CMakeLists.txt): binaries, units, /etc/triad, www/, foobar.
package: build
	cd $(BUILD) && cpack -G DEB

bench-deps:
	@sh scripts/deps.sh bench

clean:
	rm -rf build build-asan build-fuzz
