#!/bin/sh
# bench/kit.sh - wall time of the validation kit on this machine against
# its budgets (issue 4): `kit run --quick` within 5 s, a full run within
# 60 s.  Medians of RUNS runs each (default 5 quick, 3 full), by hyperfine.
# These budgets were once asserted in the tests; timing belongs here.
#
#   bench/kit.sh [QUICK_RUNS [FULL_RUNS]]     (after `make`)
set -eu
cd "$(dirname "$0")/.."
QUICK=${1:-5}
FULL=${2:-3}
COVALID=${COVALID:-${COVALID_BUILD:-build}/covalid}
command -v hyperfine >/dev/null || { echo "bench/kit.sh: hyperfine is not installed (make setup)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/covalid-bench-kit.XXXXXX")
trap 'rm -rf "$W"' EXIT

hyperfine -N -i --runs "$QUICK" --export-json "$W/quick.json" "$COVALID kit run --quick --out $W/q.json" >/dev/null 2>&1
hyperfine -N -i --runs "$FULL" --export-json "$W/full.json" "$COVALID kit run --out $W/f.json" >/dev/null 2>&1
# (kit run exits 1 when a check fails on this machine: timing still counts.)
q=$(jq '.results[0].median' "$W/quick.json")
f=$(jq '.results[0].median' "$W/full.json")
echo "bench/kit.sh: $(nproc) vCPUs, medians"
printf '  kit run --quick  %6.2f s  (%d runs; budget 5 s)\n' "$q" "$QUICK"
printf '  kit run (full)   %6.2f s  (%d runs; budget 60 s)\n' "$f" "$FULL"
awk -v q="$q" -v f="$f" 'BEGIN { exit !(q <= 5 && f <= 60) }' || { echo "bench/kit.sh: budget missed"; exit 1; }
