#!/usr/bin/env bash
# One command for a new user: install the Debian packages dcsim needs (idempotent), build it (Release),
# and run the bundled quickstart scenario. Run as root (or with sudo available) on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build libboost-graph-dev libeigen3-dev libyaml-cpp-dev libcli11-dev
          libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin
          clang-14 libclang-rt-14-dev   # clang, its sanitizers and libFuzzer (Debian 12's 14): scripts/sanitize.sh, scripts/fuzz.sh
          python3-jsonschema python3-yaml)  # an independent check of `dcsim schema`: tests/e2e/json_schema.sh
# --with-browser: Chromium too, for the test that renders the HTML reports (tests/e2e/report_browser.sh; CI).
for arg in "$@"; do
  [ "$arg" = "--with-browser" ] && packages+=(chromium fonts-liberation)
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for arg in "$@"; do
  [ "$arg" = "--deps-only" ] && exit 0
done

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
echo
./build/dcsim run configs/scenarios/quickstart-allreduce-h100.yaml
