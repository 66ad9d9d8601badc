#!/usr/bin/env bash
# `dcsim schema` against an independent validator (#17): Debian's python3-jsonschema (draft 2020-12) must accept
# every bundled scenario and model file under the schemas dcsim writes, and reject a set of broken scenarios that
# `dcsim validate` rejects too (exit 2) - so the editor's checks and dcsim's agree on both sides.
# Usage: json_schema.sh PATH/TO/dcsim REPO_ROOT. Exits 77 (ctest: skipped) with a SKIP line only when python3 with
# jsonschema and yaml is absent (scripts/setup.sh installs python3-jsonschema and python3-yaml; CI does).
set -euo pipefail
dcsim=$(realpath "$1")
cd "$2"
py=/usr/bin/python3
if ! [ -x "$py" ] || ! "$py" -c 'import jsonschema, yaml' 2>/dev/null; then
  echo "SKIP: Debian's python3-jsonschema and python3-yaml are not installed (bash scripts/setup.sh --deps-only)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$dcsim" schema --out "$tmp/scenario.json"
"$dcsim" schema --format model-json --out "$tmp/model.json"
# The committed copies editors point at are what this dcsim writes.
for f in scenario model; do
  cmp -s "$tmp/$f.json" "docs/schema/$f.schema.json" ||
    { echo "FAIL docs/schema/$f.schema.json is stale: run dcsim schema (docs/cli.md, schema and explain)"; fail=1; }
done
"$py" tests/e2e/schema_validate.py "$tmp/scenario.json" --valid configs/scenarios/*.yaml || fail=1
"$py" tests/e2e/schema_validate.py "$tmp/model.json" --valid configs/models/*.yaml || fail=1

base='name: t
hardware: {system: h100-hgx, count: 1}
model: llama3-8b
workload:
  kind: serving
  arrivals: {process: poisson, rate: 5, requests: 10}
  input: 128
  output: 16
  instance: {count: 1, tp: 1}
  duration: 2 s'
printf '%s\n' "$base" >"$tmp/good.yaml"
"$py" tests/e2e/schema_validate.py "$tmp/scenario.json" --valid "$tmp/good.yaml" || fail=1
"$dcsim" validate "$tmp/good.yaml" >/dev/null || { echo "FAIL the base scenario does not validate"; fail=1; }

# name|from|to: the base with one text replaced, which both must refuse.
bad_cases='unknown-key|tp: 1}|tpp: 1}
bad-choice|process: poisson|process: poison
out-of-range|tp: 1|tp: 0
no-unit|duration: 2 s|duration: 2
bad-unit|duration: 2 s|duration: 2 GB
bad-kind|kind: serving|kind: servin
retired-key|tp: 1}|tp: 1, activation_reserve: 0.1}
unknown-system|system: h100-hgx|system: h100-hgxx
unknown-model|model: llama3-8b|model: llama3-8bb
quoted-number|count: 1, tp|count: "1", tp
mapping-for-scalar|rate: 5,|rate: {value: 5},
scalar-for-mapping|arrivals: {process: poisson, rate: 5, requests: 10}|arrivals: poisson
missing-required|name: t|title: t
bad-class-name|  input: 128|  classes: [{name: co.ding, share: 1, input: 128, output: 16}]\n  input: 128
top-level-typo|hardware: {|hardwar: {
boolean-for-number|requests: 10|requests: true
override-part|count: 1}|count: 1, overrides: {gpux.hbm_bandwidth: 6 TB/s}}'
while IFS='|' read -r name from to; do
  printf '%s\n' "$base" | "$py" -c 'import sys; s=sys.stdin.read(); f, t = sys.argv[1], sys.argv[2].replace("\\n", "\n"); assert f in s, f; sys.stdout.write(s.replace(f, t, 1))' "$from" "$to" >"$tmp/$name.yaml"
  rc=0
  "$dcsim" validate "$tmp/$name.yaml" >/dev/null 2>"$tmp/$name.err" || rc=$?
  [ "$rc" = 2 ] || { echo "FAIL $name: dcsim validate exits $rc, not 2"; fail=1; }
  "$py" tests/e2e/schema_validate.py "$tmp/scenario.json" --invalid "$tmp/$name.yaml" >"$tmp/$name.out" ||
    { echo "FAIL $name: $(head -1 "$tmp/$name.out")"; fail=1; }
done <<<"$bad_cases"
# Scenarios both must accept, beyond the bundled ones: a number as a name (dcsim reads any scalar as text), an
# override of a catalog field.
good_cases='numeric-name|name: t|name: 2024
override|count: 1}|count: 1, overrides: {gpu.hbm_bandwidth: 6 TB/s}}'
while IFS='|' read -r name from to; do
  printf '%s\n' "$base" | "$py" -c 'import sys; s=sys.stdin.read(); f, t = sys.argv[1], sys.argv[2]; assert f in s, f; sys.stdout.write(s.replace(f, t, 1))' "$from" "$to" >"$tmp/$name.yaml"
  "$dcsim" validate "$tmp/$name.yaml" >/dev/null 2>&1 || { echo "FAIL $name: dcsim validate refuses it"; fail=1; }
  "$py" tests/e2e/schema_validate.py "$tmp/scenario.json" --valid "$tmp/$name.yaml" >"$tmp/$name.out" ||
    { echo "FAIL $name: $(head -1 "$tmp/$name.out")"; fail=1; }
done <<<"$good_cases"
[ "$fail" = 0 ] && echo "json_schema: all checks passed"
exit "$fail"
