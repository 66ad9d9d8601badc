#!/usr/bin/env bash
# Regenerates the report screenshots in docs/img/ (one report of each workload, a sweep and a plan), rendered by
# headless Chromium as a reader's browser would (bash scripts/setup.sh --with-browser installs it).
# Usage: bash scripts/report_screenshots.sh [PATH/TO/dcsim]
set -euo pipefail
cd "$(dirname "$0")/.."
dcsim=$(realpath "${1:-build/dcsim}")
browser=$(command -v chromium || command -v chromium-browser) || { echo "chromium is not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p docs/img
s=configs/scenarios
"$dcsim" run $s/serve-llama3-70b-1h-h100.yaml --report "$tmp/serving.html" >/dev/null
"$dcsim" run $s/agents-swarm-h100-hgx.yaml --report "$tmp/agents.html" >/dev/null
"$dcsim" run $s/llama3-70b-pretrain-h100-hgx.yaml --report "$tmp/pretraining.html" >/dev/null
cat >"$tmp/collective.yaml" <<'YAML'
name: nccl-tests-range-2x-h100
hardware: {system: h100-hgx, count: 2}
workload: {kind: collective, op: all_reduce, min_bytes: 8 B, max_bytes: 16 GiB, step_factor: 2, gpus: 16}
YAML
"$dcsim" run "$tmp/collective.yaml" --report "$tmp/collective.html" >/dev/null
"$dcsim" sweep $s/serve-sweep-inferencex-llama3-70b-h200.yaml -j 2 --out "$tmp/sweep.csv" --report "$tmp/sweep.html" 2>/dev/null
for page in serving agents pretraining collective sweep; do
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1700 \
    --virtual-time-budget=3000 --screenshot="docs/img/report-$page.png" "file://$tmp/$page.html" 2>/dev/null
  echo "docs/img/report-$page.png"
done
