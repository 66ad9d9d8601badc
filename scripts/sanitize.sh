#!/usr/bin/env bash
# Build the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer (clang) and run them; the same build holds
# the libFuzzer harnesses that scripts/fuzz.sh runs (scripts/lib/sanitizer_build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sanitizer_build.sh
configure_sanitizer_build
cmake --build "$sanitizer_build" -j "$(nproc)"
export_sanitizer_options
ctest --test-dir "$sanitizer_build" --output-on-failure -j "$(nproc)" -L 'sim|hw|workloads|app|e2e' -E 'e2e.bad_input' "$@"
