#!/bin/bash
# The event core against ns-3's, side by side in one run (#19 item 4): the same hold model (N pending events, each
# scheduling one successor at now + Exp(1 us)) at 10k and 1M pending, ns-3's default map scheduler (and its heap)
# and dcsim's BM_HoldModel, alternated twice. Needs Debian's libns3-dev (scripts/setup.sh does not install it: it
# is only for this measurement) and a Release build with dcsim_bench.
# Usage: bash bench/ns3/compare.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
if [ ! -f /usr/include/ns3/core-module.h ]; then
  echo "libns3-dev is not installed (apt-get install libns3-dev)" >&2
  exit 77
fi
[ -x "$build/bench/dcsim_bench" ] || { echo "no $build/bench/dcsim_bench: cmake --build $build --target dcsim_bench" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Debian's ns3-core.pc carries a malformed include flag (-I/usr\;), so the flags are given by hand.
g++ -O3 -DNDEBUG -std=c++17 -I/usr/include "$root/bench/ns3/hold_model.cc" -o "$work/ns3_hold" -lns3-core
for round in 1 2; do
  for n in 10000 1000000; do
    for kind in map heap; do "$work/ns3_hold" "$n" 5000000 "$kind"; done
    "$build/bench/dcsim_bench" --benchmark_filter="BM_HoldModel/$n\$" --benchmark_min_time=1 2>/dev/null |
      awk -v n="$n" '/BM_HoldModel/ { for (i = 1; i <= NF; ++i) if ($i ~ /^items_per_second=/) {
        v = $i; sub("items_per_second=", "", v); print "dcsim_hold/" n " events_per_s=" v } }'
  done
done
