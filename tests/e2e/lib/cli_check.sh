# Shared by the end-to-end scripts of the dcsim command (cli*.sh): the arguments, a scratch folder and `check`.
# Sourced, not run: tests/CMakeLists.txt registers only tests/e2e/*.sh, one ctest test each, so the scripts run side
# by side under `ctest -j` (under the sanitizers one script of every check took ~3.5 of CI's ~4.5 test minutes).
# Usage, first in a script: source "$(dirname "$0")/lib/cli_check.sh" "$@"
set -u
dcsim=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DCSIM_CONFIGS="$root/configs"
quick="$root/configs/scenarios/quickstart-allreduce-h100.yaml"
passed=0
failed=0

check() {  # check NAME EXPECTED_EXIT PATTERN -- command...
  local name=$1 want=$2 pattern=$3
  shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: exit $got, expected $want"; cat "$tmp/err" | head -5; failed=$((failed + 1)); return
  fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$tmp/out" "$tmp/err"; then
    echo "FAIL $name: output lacks /$pattern/"; head -5 "$tmp/out" "$tmp/err"; failed=$((failed + 1)); return
  fi
  passed=$((passed + 1))
}
finish() {  # the script's summary line and exit status
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
