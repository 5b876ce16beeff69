#!/bin/sh
# bench/probe.sh - whole-process wall time of `covalid probe --json` against
# systemd-detect-virt and virt-what, and of the static guest binary's
# (build/guest/covalid-linux-x86_64, `make guest`) against /bin/true and
# systemd-detect-virt, in one hyperfine run on this machine.
#
# Reports the median of RUNS runs of each (default 100, at least 50) and the
# ratios of the medians.  The bars: covalid probe --json <= 0.5 x
# systemd-detect-virt (issue 2); the static binary's probe --json <= 1.5 x
# /bin/true and <= 0.3 x systemd-detect-virt (issue 12).
#
#   bench/probe.sh [RUNS]      (from the source tree, after `make` and `make guest`)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-100}
[ "$RUNS" -ge 50 ] || { echo "bench/probe.sh: RUNS must be >= 50" >&2; exit 2; }
COVALID=${COVALID:-build/covalid}
GUEST=${COVALID_GUEST_BIN:-build/guest/covalid-linux-x86_64}
for tool in hyperfine jq systemd-detect-virt virt-what; do
	command -v "$tool" >/dev/null || { echo "bench/probe.sh: $tool is not installed (make setup)" >&2; exit 2; }
done
[ -x "$GUEST" ] || { echo "bench/probe.sh: $GUEST is missing (make guest)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$out" \
	-n covalid "$COVALID probe --json" \
	-n covalid-static "$GUEST probe --json" \
	-n true "/bin/true" \
	-n systemd-detect-virt "systemd-detect-virt" \
	-n virt-what "virt-what" >/dev/null 2>&1

# ratio A B: median of A / median of B, to three places.
ratio() {
	jq --arg a "$1" --arg b "$2" \
		'(.results | map({(.command): .median}) | add) as $m | $m[$a] / $m[$b] * 1000 | round / 1000' "$out"
}
jq -r '
  "median wall time (\(.results[0].times | length) runs each):",
  (.results[] | "  \(.command | . + " " * (22 - length))\(.median * 1e6 | round / 1000) ms")
' "$out"
r1=$(ratio covalid systemd-detect-virt)
r2=$(ratio covalid virt-what)
r3=$(ratio covalid-static true)
r4=$(ratio covalid-static systemd-detect-virt)
echo "ratio covalid / systemd-detect-virt:        $r1  (bar: <= 0.5)"
echo "ratio covalid / virt-what:                  $r2"
echo "ratio covalid-static / /bin/true:           $r3  (bar: <= 1.5)"
echo "ratio covalid-static / systemd-detect-virt: $r4  (bar: <= 0.3)"
missed=""
awk -v r="$r1" 'BEGIN { exit !(r <= 0.5) }' || missed="$missed covalid/systemd-detect-virt"
awk -v r="$r3" 'BEGIN { exit !(r <= 1.5) }' || missed="$missed covalid-static//bin/true"
awk -v r="$r4" 'BEGIN { exit !(r <= 0.3) }' || missed="$missed covalid-static/systemd-detect-virt"
[ -z "$missed" ] || { echo "bench/probe.sh: bar missed:$missed"; exit 1; }
