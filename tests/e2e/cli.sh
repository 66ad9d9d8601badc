#!/usr/bin/env bash
# End-to-end checks of the dcsim command: exit codes, error messages, determinism, compare, explain and schema,
# the workloads through the command, show and validation (sweeps and plans: cli_sweep_plan.sh).
# Usage: cli.sh PATH/TO/dcsim REPO_ROOT
source "$(dirname "$0")/lib/cli_check.sh" "$@"

check version 0 '^dcsim [0-9]+\.[0-9]+' -- "$dcsim" --version
check help 0 'run' -- "$dcsim" --help
check no-subcommand 2 '' -- "$dcsim"
check run-quickstart 0 'busbw_gbs' -- "$dcsim" run "$quick"
check validate 0 ': ok' -- "$dcsim" validate "$quick"
for scenario in "$root"/configs/scenarios/*.yaml; do  # every bundled scenario loads: catalog, model, plan and memory fit
  check "validate-$(basename "$scenario" .yaml)" 0 ': ok' -- "$dcsim" validate "$scenario"
done
check missing-file 2 'nope.yaml' -- "$dcsim" run "$tmp/nope.yaml"
check directory 2 'directory' -- "$dcsim" run "$tmp"
: >"$tmp/empty.yaml"
check empty-file 2 'empty' -- "$dcsim" run "$tmp/empty.yaml"
head -c 4096 /dev/urandom >"$tmp/garbage.yaml"
check binary-garbage 2 'garbage.yaml' -- "$dcsim" run "$tmp/garbage.yaml"

sed 's/^  algorithm: ring/  algoritm: ring/' "$quick" >"$tmp/typo.yaml"
check unknown-key-with-suggestion 2 "typo.yaml:[0-9]+:[0-9]+: .*algoritm.*did you mean 'algorithm'" -- "$dcsim" run "$tmp/typo.yaml"
sed 's/^  system: h100-hgx/  system: h100-hgz/' "$quick" >"$tmp/badsys.yaml"
check unknown-system 2 "badsys.yaml:[0-9]+:[0-9]+: hardware.system.*h100-hgx" -- "$dcsim" run "$tmp/badsys.yaml"
check bad-unit-in-set 2 "--set workload.bytes=3 GHz" -- "$dcsim" run "$quick" --set "workload.bytes=3 GHz"
check bad-set-syntax 2 "workload.bytes" -- "$dcsim" run "$quick" --set "workload.bytes"
check set-ok 0 'busbw_gbs' -- "$dcsim" run "$quick" --set "workload.bytes=[1 GiB]" --set workload.algorithm=nvls
check override-typo 2 "hbm_bandwith" -- "$dcsim" run "$quick" --set "hardware.overrides={gpu.hbm_bandwith: 6 TB/s}"
check gpus-out-of-range 2 "hardware.gpus" -- "$dcsim" run "$quick" --set hardware.gpus=9

# Determinism: the same scenario and seed give identical metrics (engine.wall_s aside).
"$dcsim" run "$quick" --json "$tmp/a.json" >/dev/null && "$dcsim" run "$quick" --json "$tmp/b.json" >/dev/null
if diff <(grep -v wall_s "$tmp/a.json") <(grep -v wall_s "$tmp/b.json") >/dev/null; then
  passed=$((passed + 1))
else
  echo "FAIL determinism: two runs differ"; failed=$((failed + 1))
fi
"$dcsim" run "$quick" --report "$tmp/report.html" >/dev/null
check html-report 0 '<svg.*|tokens_per_joule' -- cat "$tmp/report.html"
check html-report-power 0 'GPU: .*W \(' -- cat "$tmp/report.html"
check json-schema 0 '"schema": "dcsim.result/1"' -- cat "$tmp/a.json"

# compare: identical results pass; a slower collective (lower busbw, longer time) is a regression naming both.
check compare-same 0 '0 regression' -- "$dcsim" compare "$tmp/a.json" "$tmp/b.json" --tolerance 1
"$dcsim" run "$quick" --set hardware.overrides="{system.scale_up.bandwidth_per_gpu: 300 GB/s}" --json "$tmp/slow.json" >/dev/null
check compare-mismatch 2 'the results are of different runs' -- "$dcsim" compare "$tmp/a.json" "$tmp/slow.json" --tolerance 5
check compare-regression 1 'REGRESSED +busbw_gbs' -- "$dcsim" compare "$tmp/a.json" "$tmp/slow.json" --tolerance 5 --allow-mismatch
check compare-improvement 0 '0 regression\(s\), [1-9][0-9]* improvement' -- "$dcsim" compare "$tmp/slow.json" "$tmp/a.json" --tolerance 5 --allow-mismatch
check compare-summary 1 '^REGRESSED +busbw_gbs +[0-9.]+ GB/s -> ' -- "$dcsim" compare "$tmp/a.json" "$tmp/slow.json" --tolerance 5 --allow-mismatch --summary
check compare-not-json 2 'not valid JSON' -- "$dcsim" compare "$quick" "$tmp/a.json"
# The CI gate a serving user runs: a baseline that meets its SLOs (10 TP4 instances at 100 requests/s), a change that
# breaks them (8 instances: TPOT p99 144 ms > 100 ms), and compare exiting 1 with the SLO named in the summary.
slo_scenario="$root/configs/scenarios/plan-llama3-70b-h100-100rps.yaml"
"$dcsim" run "$slo_scenario" --set workload.instance.count=10 --json "$tmp/slo-base.json" >/dev/null
"$dcsim" run "$slo_scenario" --set workload.instance.count=8 --json "$tmp/slo-new.json" >/dev/null
check compare-slo-broken 1 '^REGRESSED +slo_p99_met +1 -> 0' -- "$dcsim" compare "$tmp/slo-base.json" "$tmp/slo-new.json" --tolerance 5 --allow-mismatch --summary
check compare-slo-tpot 1 '^REGRESSED +tpot_s.p99 +58.86 ms -> 144.4 ms' -- "$dcsim" compare "$tmp/slo-base.json" "$tmp/slo-new.json" --tolerance 5 --allow-mismatch --summary
# A CI gate on a serving scenario: the same run at 40% more load breaks the p99 SLO; compare must fail on it.
server="$root/configs/scenarios/mlperf-llama2-70b-server-b200.yaml"
"$dcsim" run "$server" --set workload.duration=60s --set workload.warmup=10s --json "$tmp/slo_base.json" >/dev/null
"$dcsim" run "$server" --set workload.duration=60s --set workload.warmup=10s --set workload.arrivals.rate=48 \
  --json "$tmp/slo_broken.json" >/dev/null
for seed in 1 2 3 4; do
  "$dcsim" run "$server" --set workload.duration=30s --set workload.warmup=5s --seed "$seed" --json "$tmp/seed$seed.json" >/dev/null
done
# The declarations, printed (#17).
check explain-key 0 'default: 1$' -- "$dcsim" explain workload.parallelism.tp
check explain-two-kinds 0 'kind: agents\)\.instance\.tp' -- "$dcsim" explain workload.instance.tp
check explain-unknown 2 "no scenario key 'workload.parallelism.tpp' \(did you mean" -- "$dcsim" explain workload.parallelism.tpp
check schema-json 0 '"\$schema": "https://json-schema.org/draft/2020-12/schema"' -- "$dcsim" schema
check schema-markdown 0 '^# Scenario reference' -- "$dcsim" schema --format markdown
check schema-bad-format 2 'format' -- "$dcsim" schema --format yaml
check compare-seed-sets 0 'seed spread' -- "$dcsim" compare --base "$tmp/seed1.json" --base "$tmp/seed2.json" --new "$tmp/seed3.json" --new "$tmp/seed4.json" --tolerance 50
check compare-form 2 'compare takes BASE.json NEW.json' -- "$dcsim" compare "$tmp/seed1.json" --new "$tmp/seed2.json"
check compare-slo-broken 1 'REGRESSED +slo_p99_met +1 -> 0' -- "$dcsim" compare "$tmp/slo_base.json" "$tmp/slo_broken.json" --tolerance 5 --allow-mismatch

# Workloads through the command: pretraining and serving results, and plan errors that say what to change.
scen="$root/configs/scenarios"
check pretrain-run 0 'step_time_s' -- "$dcsim" run "$scen/llama3-405b-pretrain-h100-8k.yaml"
check pretrain-bad-plan 2 'tp\*pp\*dp\*cp = 16\*16\*64\*1 = 16384 but the cluster has 8192 GPUs' -- "$dcsim" run "$scen/llama3-405b-pretrain-h100-8k.yaml" --set workload.parallelism.tp=16
check pretrain-no-fit 2 'does not fit.*raise tp or pp' -- "$dcsim" run "$scen/llama3-405b-pretrain-h100-8k.yaml" --set workload.recompute=none --set workload.micro_batch=4 --set workload.global_batch=4096
check pretrain-zb-h1 0 'schedule +zb-h1, 32 micro-batches' -- "$dcsim" run "$scen/llama3-405b-pretrain-h100-8k.yaml" --set workload.schedule=zb-h1 --trace "$tmp/zb.json"
check pretrain-zb-h1-trace 0 '' -- grep -q '"name":"W0","cat":"wgrad"' "$tmp/zb.json"
check pretrain-zb-h1-interleave 2 'workload.interleave: interleave = 2 but schedule: zb-h1.*set interleave: 1' -- "$dcsim" run "$scen/llama3-405b-pretrain-h100-8k.yaml" --set workload.schedule=zb-h1 --set workload.interleave=2
check serve-run 0 'ttft_s.p99' -- "$dcsim" run "$scen/mlperf-llama2-70b-server-h200.yaml"
check serve-json 0 '"tokens_per_joule"' -- "$dcsim" run "$scen/mlperf-llama2-70b-offline-h200.yaml" --json -
mixed="$scen/serve-mixed-chat-coding-h100.yaml"
check serve-classes-run 0 '"value_tokens_per_joule"' -- "$dcsim" run "$mixed" --json -
check serve-classes-by-class 0 'by_class.coding.ttft_s.p99' -- "$dcsim" run "$mixed"
check token-value-unknown-class 2 "token_value.math: .*no token class 'math'; its classes are: chat, coding" -- "$dcsim" run "$mixed" --set token_value.math=2
sed 's/^      share: 0.3$/      share: 0.6/' "$mixed" >"$tmp/shares.yaml"
check classes-shares 2 "shares.yaml:[0-9]+:[0-9]+: workload.classes: the classes' shares sum to 1.3; they must sum to 1" -- "$dcsim" run "$tmp/shares.yaml"
check collective-algo-op 2 'workload.algorithm: got .nvls., expected an algorithm that can run all_gather' -- "$dcsim" run "$quick" --set workload.op=all_gather --set workload.algorithm=nvls
check agents-run 0 'gpu_stall_fraction' -- "$dcsim" run "$scen/agents-swarm-vr-nvl72.yaml" --set workload.tasks=16 --set workload.arrivals.concurrency=8
check agents-bad-policy 2 'kv_policy' -- "$dcsim" run "$scen/agents-swarm-vr-nvl72.yaml" --set workload.kv_policy=keep
check out-missing-folder 2 "--json '/nonexistent-dcsim/r.json': folder '/nonexistent-dcsim' does not exist; nothing was run" -- "$dcsim" run "$quick" --json /nonexistent-dcsim/r.json
check dense-expert-tp 2 'llama3-8b is dense: .expert_tp. needs a mixture-of-experts model' -- "$dcsim" run "$scen/serve-llama3-70b-1h-h100.yaml" --set model=llama3-8b --set workload.instance.expert_tp=1
check count-auto-none 2 'workload.instance.count: auto: the 16 GPUs available hold no instance of 32 GPUs' -- "$dcsim" run "$scen/serve-mixed-chat-coding-h100.yaml" --set workload.instance.count=auto --set workload.instance.tp=8 --set workload.instance.pp=4

check list-systems 0 'gb200-nvl72' -- "$dcsim" list systems
check show-system 0 'total.hbm_capacity' -- "$dcsim" show system h100-hgx
check show-json 0 '"kind": "system"' -- "$dcsim" show system gb200-nvl72 --json
check show-model 0 "params.active" -- "$dcsim" show model llama3-70b
check show-unknown 2 'h100-hgz' -- "$dcsim" show system h100-hgz

# The validation suite from the command line (the whole suite runs in tests/validation/).
check validation-one-case 0 'collectives fit: 1 cases, median \|error\| 0\.0%' -- "$dcsim" validation --case hgx-h100-ring-allreduce-busbw-large
check validation-unknown-case 2 'no such case' -- "$dcsim" validation --case nope
check validation-bad-group 2 'group' -- "$dcsim" validation --group kernels
"$dcsim" validation --case hgx-h200-allreduce-32k-latency --json "$tmp/v.json" >/dev/null
check validation-json 0 '"schema": "dcsim.validation/1"' -- cat "$tmp/v.json"
check validation-doc-needs-whole-suite 2 'needs the whole suite' -- "$dcsim" validation --group power --update-doc "$tmp/doc.md"
check fit-nvls 0 'nvls_efficiency +=' -- "$dcsim" fit nvlink-nvls
check fit-unknown 2 "no fit named 'nope'" -- "$dcsim" fit nope

# A run that fails leaves no truncated trace or half a request table behind (#16).
check failed-run-no-trace 2 'max-events' -- "$dcsim" run "$root/configs/scenarios/serve-llama3-70b-1h-h100.yaml" \
  --max-events 1000 --trace "$tmp/failed.json" --requests "$tmp/failed.csv"
check failed-run-files-removed 0 '^gone$' -- bash -c "[ ! -e '$tmp/failed.json' ] && [ ! -e '$tmp/failed.csv' ] && echo gone"
# A finished run's request table: a header and one row per request.
"$dcsim" run "$root/configs/scenarios/serve-llama3-70b-1h-h100.yaml" --set "workload.duration=20 s" --set "workload.warmup=5 s" \
  --requests "$tmp/requests.csv" >/dev/null
check requests-csv 0 '^request,class,status,arrival_s,first_token_s,finish_s' -- head -1 "$tmp/requests.csv"
finish
