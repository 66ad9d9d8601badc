#!/usr/bin/env bash
# End-to-end checks of `dcsim sweep` and `dcsim plan`: invalid points, --jobs, --fail-fast, validate and run alike,
# plans over one knob and over a grid, their misses and errors.
# Usage: cli_sweep_plan.sh PATH/TO/dcsim REPO_ROOT
source "$(dirname "$0")/lib/cli_check.sh" "$@"

# A sweep whose point is invalid in combination (nvls runs only all_reduce): the point's row carries the error, the
# others run, exit 1; --fail-fast stops at it, exit 2.
cat >"$tmp/sw_bad.yaml" <<'YAML'
name: sw
hardware: {system: h100-hgx, count: 1}
workload: {kind: collective, op: all_gather, bytes: 1 MiB}
sweep:
  workload.algorithm: [ring, nvls]
YAML
check sweep-error-row 1 '^1,nvls,.*"sweep\.workload\.algorithm .*cannot run all_gather' -- "$dcsim" sweep "$tmp/sw_bad.yaml"
check sweep-error-ran 1 '^0,ring,[0-9]' -- "$dcsim" sweep "$tmp/sw_bad.yaml"
check sweep-fail-fast 2 'nvls' -- "$dcsim" sweep "$tmp/sw_bad.yaml" --fail-fast
# validate and run check a sweep alike (#17): the same words for its invalid point; validate refuses, run notes it
# and runs the base point.
check sweep-validate-refuses 2 '^error: 1 of 2 sweep points is invalid .*at sweep point 1' -- "$dcsim" validate "$tmp/sw_bad.yaml"
grep -o '1 of 2 sweep points is invalid.*' "$tmp/err" >"$tmp/validate_says"
check sweep-run-notes 0 '^note: 1 of 2 sweep points is invalid .*at sweep point 1' -- "$dcsim" run "$tmp/sw_bad.yaml"
grep -o '1 of 2 sweep points is invalid.*' "$tmp/err" >"$tmp/run_says"
check sweep-validate-and-run-say-the-same 0 '' -- cmp -s "$tmp/validate_says" "$tmp/run_says"

# Sweeps: identical CSV whatever --jobs.
sweep="$root/configs/scenarios/sweep-allreduce-algorithms-h100.yaml"
"$dcsim" sweep "$sweep" --jobs 1 --out "$tmp/s1.csv" 2>/dev/null && "$dcsim" sweep "$sweep" --jobs 2 --out "$tmp/s2.csv" 2>/dev/null
if [ -s "$tmp/s1.csv" ] && cmp -s "$tmp/s1.csv" "$tmp/s2.csv"; then
  passed=$((passed + 1))
else
  echo "FAIL sweep: --jobs 1 and --jobs 2 differ or are empty"; failed=$((failed + 1))
fi
check sweep-rows 0 '' -- test "$(wc -l <"$tmp/s1.csv")" -eq 9

scen="$root/configs/scenarios"
check plan-finds 0 'chosen  workload.instance.count = 9  \(36 GPUs in use on 5 h100-hgx systems' -- "$dcsim" plan "$scen/plan-llama3-70b-h100-100rps.yaml"
check plan-impossible 1 'no value in the range meets' -- "$dcsim" plan "$scen/plan-llama3-70b-h100-100rps.yaml" --set "plan.range=[1, 4]"
check plan-bad-target 2 'plan.targets' -- "$dcsim" plan "$scen/plan-llama3-70b-h100-100rps.yaml" --set "plan.targets=[{metric: ttft_s.p99, max: 2}]"
check plan-unknown-metric 2 "plan.targets\[0\].metric: .*did you mean 'ttft_s.p99'" -- "$dcsim" plan "$scen/plan-llama3-70b-h100-100rps.yaml" --set "plan.targets=[{metric: ttft_p99, max: 2}]"
check plan-missing-block 2 'no plan: block' -- "$dcsim" plan "$quick"
check out-is-folder 2 "--out '$tmp': is a folder" -- "$dcsim" sweep "$quick" --out "$tmp"
check plan-largest-rate 0 'chosen  workload.arrivals.rate = 32.2656' -- "$dcsim" plan "$scen/mlperf-llama2-70b-server-b200.yaml"
check plan-miss-reason 0 'tp = 1  misses: .*no room for KV cache' -- "$dcsim" plan "$scen/plan-llama3-70b-h100-100rps.yaml" --set plan.vary=workload.instance.tp --set "plan.range=[1, 8]" --set workload.instance.count=8 --set workload.instance.precision=bf16 --set workload.instance.kv_precision=bf16 --set "plan.targets=[{metric: ttft_s.p99, max: 1000 s}]"
check plan-hardware-count 0 'chosen  hardware.count = 5  \(40 GPUs in use of 40' -- "$dcsim" plan "$scen/plan-llama3-70b-h100-100rps.yaml" --set workload.instance.count=auto --set plan.vary=hardware.count --set "plan.range=[1, 16]"
check plan-json-points 0 '"evaluated": \[' -- "$dcsim" plan "$scen/mlperf-llama2-70b-server-b200.yaml" --json -
# Several knobs at once: a grid over the others, each combination bisected over plan.vary; the best is the fewest
# nodes, then the most tokens per joule (colocated and disaggregated tie at 5 nodes; disaggregated with 8 prefill
# instances has more tokens per joule; with 4 prefill instances nothing in range meets the TTFT limit).
check plan-grid 0 'chosen  hardware.count = 5' -- "$dcsim" plan "$scen/plan-llama3-70b-h100-layouts.yaml" --json "$tmp/grid.json"
cp "$tmp/out" "$tmp/grid.txt"  # one plan (3 s; ~20 s under the sanitizers) read four ways
check plan-grid-best 0 '^  \* workload=\{kind: serving, mode: disaggregated.*hardware.count = 5' -- cat "$tmp/grid.txt"
check plan-grid-miss 0 'mode: disaggregated.*no value in the range meets every target' -- cat "$tmp/grid.txt"
check plan-grid-json 0 '"best": true' -- cat "$tmp/grid.json"
check plan-grid-precision 0 'workload.instance.precision=bf16  ->  hardware.count = 7' -- "$dcsim" plan "$scen/plan-llama3-70b-h100-100rps.yaml" --set workload.instance.count=auto --set plan.vary=hardware.count --set "plan.range=[1, 16]" --set "plan.grid={workload.instance.precision: [fp8, bf16]}"
check plan-bad-goal 2 'plan.goal' -- "$dcsim" plan "$scen/mlperf-llama2-70b-server-b200.yaml" --set plan.goal=biggest
finish
