#!/bin/sh
# bench/probe.sh - whole-process wall time of `covalid probe --json` against
# systemd-detect-virt and virt-what, in one hyperfine run on this machine.
#
# Reports the median of RUNS runs of each (default 100, at least 50) and the
# ratio of covalid's median to each peer's.  The bar (issue 2):
# covalid probe --json <= 0.5 x systemd-detect-virt.
#
#   bench/probe.sh [RUNS]      (from the source tree, after `make`)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-100}
[ "$RUNS" -ge 50 ] || { echo "bench/probe.sh: RUNS must be >= 50" >&2; exit 2; }
COVALID=${COVALID:-build/covalid}
for tool in hyperfine jq systemd-detect-virt virt-what; do
	command -v "$tool" >/dev/null || { echo "bench/probe.sh: $tool is not installed (make setup)" >&2; exit 2; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT

hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$out" \
	-n covalid "$COVALID probe --json" \
	-n systemd-detect-virt "systemd-detect-virt" \
	-n virt-what "virt-what" >/dev/null 2>&1

jq -r '
  (.results | map({(.command): .median}) | add) as $m |
  "median wall time (\(.results[0].times | length) runs each):",
  (.results[] | "  \(.command | . + " " * (22 - length))\(.median * 1e6 | round / 1000) ms"),
  "ratio covalid / systemd-detect-virt: \($m["covalid"] / $m["systemd-detect-virt"] * 1000 | round / 1000)  (bar: <= 0.5)",
  "ratio covalid / virt-what:           \($m["covalid"] / $m["virt-what"] * 1000 | round / 1000)"
' "$out"
ratio=$(jq '(.results | map({(.command): .median}) | add) as $m | $m["covalid"] / $m["systemd-detect-virt"]' "$out")
awk -v r="$ratio" 'BEGIN { exit !(r <= 0.5) }' || { echo "bench/probe.sh: bar missed"; exit 1; }
