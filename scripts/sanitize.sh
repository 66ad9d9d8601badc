#!/usr/bin/env bash
# Build the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer and run them.
# The build folder is build-asan, or $DCSIM_ASAN_BUILD (e.g. one per git worktree sharing a machine).
# Debug information: line tables (-g1) by default, enough for file:line in the sanitizers' reports and cheaper than
# full -g; CI sets DCSIM_ASAN_DEBUG_FLAGS=-g0 (reports name functions, not lines): the clean build took 580 s
# instead of 640 s on CI's 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${DCSIM_ASAN_BUILD:-build-asan}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" -DCMAKE_CXX_FLAGS_DEBUG="${DCSIM_ASAN_DEBUG_FLAGS:--g1}" -DDCSIM_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -L 'sim|hw|workloads|app|e2e' -E 'e2e.bad_input' "$@"
