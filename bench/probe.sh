#!/bin/sh
# bench/probe.sh - whole-process wall time of `covalid probe --json` and of
# the static guest binary's (build/guest/covalid-linux-x86_64, `make
# guest`) against systemd-detect-virt, virt-what (when installed) and
# /bin/true, the floor: what starting any process costs here.
#
# The commands run in alternation, covalid, static, true,
# systemd-detect-virt, virt-what, covalid, ... (bench/lib/interleave.pl),
# not RUNS of one and then RUNS of the next, so that whatever else the
# machine does meanwhile falls on all of them alike; WARMUP rounds first,
# untimed.  Each run is timed from fork to wait, the same way for every
# command.
#
# Reported: each command's median (and min, max) over RUNS runs, and the
# ratios of the medians.  Bars: covalid probe --json <= 0.5 x
# systemd-detect-virt (issue 2); the static binary's probe --json <= 1.5 x
# /bin/true and <= 0.3 x systemd-detect-virt (issue 12).  Exits 1 naming a
# missed bar.
#
#   bench/probe.sh [RUNS]      (from the source tree, after `make` and `make guest`)
#   Knobs (environment): RUNS (100, at least 50), WARMUP (10), COVALID,
#   COVALID_GUEST_BIN.
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-${RUNS:-100}}
WARMUP=${WARMUP:-10}
[ "$RUNS" -ge 50 ] || { echo "bench/probe.sh: RUNS must be >= 50" >&2; exit 2; }
COVALID=${COVALID:-${COVALID_BUILD:-build}/covalid}
GUEST=${COVALID_GUEST_BIN:-${COVALID_BUILD:-build}/guest/covalid-linux-x86_64}
for tool in perl systemd-detect-virt; do
	command -v "$tool" >/dev/null || { echo "bench/probe.sh: $tool is not installed (scripts/setup.sh bench)" >&2; exit 2; }
done
[ -x "$COVALID" ] || { echo "bench/probe.sh: $COVALID is missing (make)" >&2; exit 2; }
[ -x "$GUEST" ] || { echo "bench/probe.sh: $GUEST is missing (make guest)" >&2; exit 2; }
VIRT_WHAT=$(command -v virt-what || true)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

perl bench/lib/interleave.pl "$RUNS" "$WARMUP" \
	"covalid=$COVALID probe --json" \
	"covalid-static=$GUEST probe --json" \
	"true=/bin/true" \
	"systemd-detect-virt=$(command -v systemd-detect-virt)" \
	${VIRT_WHAT:+"virt-what=$VIRT_WHAT"} >"$out"

# med NAME: its median in seconds; ratio A B: median of A / median of B, to three places.
med() { awk -v n="$1" '$1 == n { print $2 }' "$out"; }
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.3f", a / b }'; }
echo "median wall time, fork to wait ($RUNS runs each, interleaved, after $WARMUP rounds of warm-up; $(nproc) CPUs):"
awk '{ printf "  %-22s %8.3f ms   (min %.3f, max %.3f)\n", $1, $2 * 1000, $3 * 1000, $4 * 1000 }' "$out"
[ -n "$VIRT_WHAT" ] || echo "  (virt-what is not installed: not measured)"
r1=$(ratio covalid systemd-detect-virt)
r3=$(ratio covalid-static true)
r4=$(ratio covalid-static systemd-detect-virt)
echo "ratio covalid / systemd-detect-virt:        $r1  (bar: <= 0.5)"
[ -z "$VIRT_WHAT" ] || echo "ratio covalid / virt-what:                  $(ratio covalid virt-what)"
echo "ratio covalid / /bin/true:                  $(ratio covalid true)"
echo "ratio covalid-static / /bin/true:           $r3  (bar: <= 1.5)"
echo "ratio covalid-static / systemd-detect-virt: $r4  (bar: <= 0.3)"
missed=""
awk -v r="$r1" 'BEGIN { exit !(r <= 0.5) }' || missed="$missed covalid/systemd-detect-virt"
awk -v r="$r3" 'BEGIN { exit !(r <= 1.5) }' || missed="$missed covalid-static//bin/true"
awk -v r="$r4" 'BEGIN { exit !(r <= 0.3) }' || missed="$missed covalid-static/systemd-detect-virt"
[ -z "$missed" ] || { echo "bench/probe.sh: bar missed:$missed"; exit 1; }
