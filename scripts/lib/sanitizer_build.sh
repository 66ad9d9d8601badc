# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: one clang build under AddressSanitizer and
# UndefinedBehaviorSanitizer serves both, the unit tests and the libFuzzer harnesses (the libraries carry
# libFuzzer's coverage, cmake/Warnings.cmake), so CI compiles the project under the sanitizers once, not twice.
# The folder is build-asan, or $DCSIM_ASAN_BUILD (e.g. one per git worktree sharing a machine).
# Debug information: line tables (-g1) by default, enough for file:line in the sanitizers' reports; CI sets
# DCSIM_ASAN_DEBUG_FLAGS=-g0 (reports name functions, not lines), ~10% faster to compile.
# Needs clang and libclang-rt-dev (scripts/setup.sh installs them).
sanitizer_build=${DCSIM_ASAN_BUILD:-build-asan}
# The compiler is named on the command line: CMake keeps a folder's first compiler and ignores CC/CXX after that
# (a build-asan left by an older gcc configuration would otherwise stay on gcc).
configure_sanitizer_build() {
  cmake -S . -B "$sanitizer_build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" -DCMAKE_CXX_FLAGS_DEBUG="${DCSIM_ASAN_DEBUG_FLAGS:--g1}" \
    -DDCSIM_FUZZ=ON >/dev/null
}
# For the runs, after the build: leaks are errors, and the first report stops the program.
export_sanitizer_options() {
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
}
