#!/usr/bin/env bash
# The HTML reports in a real browser (#16): renders one report of each workload, a sweep report and a plan report
# in headless Chromium and checks that each page loads without a script error, that it has the plots it should,
# that every plot has data, and that the sweep page's explorer script ran (it marks <body data-ready="1">).
# Usage: report_browser.sh PATH/TO/dcsim REPO_ROOT. Exits 77 (ctest: skipped) with a SKIP line only when Chromium
# is absent (scripts/setup.sh --with-browser installs Debian's `chromium`; CI does).
set -euo pipefail
dcsim=$(realpath "$1")
cd "$2"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIP: chromium is not installed (bash scripts/setup.sh --with-browser)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# page MIN_PLOTS [ready]: loads $tmp/page.html and checks it.
check() {
  local page=$1 min=$2 ready=${3:-}
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
    --virtual-time-budget=5000 --dump-dom "file://$tmp/$page.html" >"$tmp/$page.dom" 2>"$tmp/$page.console" || {
    echo "FAIL $page: chromium exited non-zero"; fail=1; return; }
  if grep -q 'Uncaught' "$tmp/$page.console"; then
    echo "FAIL $page: script error: $(grep -m1 'Uncaught' "$tmp/$page.console")"; fail=1
  fi
  local plots empty
  plots=$({ grep -o 'class="plot"[^>]*data-points="[0-9]*"' "$tmp/$page.dom" || true; } | wc -l)
  empty=$({ grep -o 'class="plot"[^>]*data-points="0"' "$tmp/$page.dom" || true; } | wc -l)
  if [ "$plots" -lt "$min" ]; then echo "FAIL $page: $plots plots, expected at least $min"; fail=1; fi
  if [ "$empty" -ne 0 ]; then echo "FAIL $page: $empty plots without data"; fail=1; fi
  if [ -n "$ready" ] && ! grep -q 'data-ready="1"' "$tmp/$page.dom"; then
    echo "FAIL $page: the explorer script did not finish"; fail=1
  fi
  echo "ok $page: $plots plots"
}

s=configs/scenarios
"$dcsim" run $s/serve-llama3-70b-1h-h100.yaml --set "workload.duration=120 s" --set "workload.warmup=20 s" \
  --report "$tmp/serving.html" >/dev/null
check serving 11
"$dcsim" run $s/agents-swarm-h100-hgx.yaml --set workload.tasks=24 --report "$tmp/agents.html" >/dev/null
check agents 11
"$dcsim" run $s/llama3-70b-pretrain-h100-hgx.yaml --report "$tmp/pretraining.html" >/dev/null
check pretraining 4
cat >"$tmp/collective.yaml" <<'YAML'
name: report-allreduce
hardware: {system: h100-hgx, count: 2}
workload: {kind: collective, op: all_reduce, min_bytes: 8 B, max_bytes: 1 GiB, step_factor: 4, gpus: 16}
YAML
"$dcsim" run "$tmp/collective.yaml" --report "$tmp/collective.html" >/dev/null
check collective 5
"$dcsim" sweep $s/serve-sweep-inferencex-llama3-70b-h200.yaml -j 2 --set "workload.duration=40 s" \
  --set "workload.warmup=10 s" --out "$tmp/sweep.csv" --report "$tmp/sweep.html" 2>/dev/null
check sweep 2 ready
"$dcsim" plan $s/plan-llama3-70b-h100-100rps.yaml --report "$tmp/plan.html" >/dev/null 2>&1 || true
check plan 2

# Scenario text reaches the page as text, never as markup: a swept name that is an HTML tag with a handler.
cat >"$tmp/inject.yaml" <<'YAML'
name: inject
hardware: {system: h100-hgx, count: 1}
workload: {kind: collective, op: all_reduce, bytes: 1 GiB, gpus: 8}
sweep:
  workload.bytes: [1 MiB, 1 GiB]
  name: ["a", "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"]
YAML
"$dcsim" sweep "$tmp/inject.yaml" --out "$tmp/inject.csv" --report "$tmp/inject.html" 2>/dev/null
check inject 1 ready
if grep -q 'data-pwned="1"' "$tmp/inject.dom"; then echo "FAIL inject: a swept value ran as script"; fail=1; fi

# The check can fail: a page with a script error and an empty plot is refused.
printf '<html><body><figure class="plot" data-points="0"></figure><script>nope();</script></body></html>' \
  >"$tmp/broken.html"
before=$fail
check broken 1 >/dev/null
if [ "$fail" -eq "$before" ]; then echo "FAIL: a broken page passed"; exit 1; fi
fail=$before
exit $fail
