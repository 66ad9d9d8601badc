#!/usr/bin/env bash
# Fuzz the scenario loader, and load + run with a small work budget, with libFuzzer under ASan/UBSan (#18).
# Usage: scripts/fuzz.sh [LOAD_RUNS] [RUN_RUNS] [extra libFuzzer flags...]
#   CI: a fixed seed and a fixed number of inputs per target (20,000 loads, ~30 s; 2,000 runs, ~1 min), so a run
#   is repeatable; longer by hand, e.g. scripts/fuzz.sh -1 -1 -max_total_time=3600 (-1 = until the time limit).
# Seeds: every bundled scenario (configs/scenarios). Findings (crash-*, timeout-*, oom-*) land in build-asan/findings.
# The harnesses live in the sanitizer build of the unit tests (scripts/lib/sanitizer_build.sh): after
# scripts/sanitize.sh, which builds them too, nothing is left to compile.
set -euo pipefail
cd "$(dirname "$0")/.."
load_runs=${1:-20000}
run_runs=${2:-2000}
shift 2 || shift $# || true
source scripts/lib/sanitizer_build.sh
build=$sanitizer_build
configure_sanitizer_build
cmake --build "$build" -j "$(nproc)" --target fuzz_scenario_load fuzz_scenario_run
export_sanitizer_options
export DCSIM_CONFIGS="$PWD/configs"
mkdir -p "$build/findings"
status=0
for target in load run; do
  runs=$load_runs
  [ "$target" = run ] && runs=$run_runs
  corpus="$build/corpus-$target"
  mkdir -p "$corpus"
  cp -n configs/scenarios/*.yaml "$corpus/" 2>/dev/null || true
  echo "fuzz: $target, $runs inputs"
  # -timeout: an input that runs this long is a hang; -rss_limit_mb: one that needs this much memory is a blow-up.
  if ! (cd "$build/findings" && "../tests/fuzz/fuzz_scenario_$target" -seed=1 -runs="$runs" -timeout=20 -rss_limit_mb=3072 \
        -max_len=16384 -print_final_stats=1 "$@" "../corpus-$target") >"$build/fuzz-$target.log" 2>&1; then
    echo "fuzz: $target found a problem:"; grep -E "ERROR|internal error|SUMMARY|Test unit written" "$build/fuzz-$target.log" | head -20
    status=1
  fi
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/fuzz-$target.log" | tail -2
done
exit $status
