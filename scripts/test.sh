#!/usr/bin/env bash
# Build (Release) and run the whole test suite with ctest. Extra arguments go to ctest (e.g. -L sim).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
