#!/bin/sh
# bench/win-probe.sh - start time of the Windows guest binary under wine:
# whole-process wall time of `covalid.exe probe --json` (make win,
# build/win64/covalid.exe) against `cmd /c ver`, the smallest thing wine
# runs, in one hyperfine run on this machine.  Both pay wine's own start
# (a running wineserver is kept up for the whole run, as a Windows machine
# keeps its services up); the ratio is what the probe adds to it.
#
# Reports the median of RUNS runs of each (default 30, at least 10) and the
# ratio of the medians.  No bar: issue 13 asks for the figure.
#
#   bench/win-probe.sh [RUNS]      (from the source tree, after `make win`)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-30}
[ "$RUNS" -ge 10 ] || { echo "bench/win-probe.sh: RUNS must be >= 10" >&2; exit 2; }
EXE=${COVALID_WIN:-build/win64/covalid.exe}
WINE64=/usr/lib/wine/wine64
for tool in hyperfine jq "$WINE64"; do
	command -v "$tool" >/dev/null || { echo "bench/win-probe.sh: $tool is not installed (make setup)" >&2; exit 2; }
done
[ -f "$EXE" ] || { echo "bench/win-probe.sh: $EXE is missing (make win)" >&2; exit 2; }
export WINEPREFIX="${COVALID_BUILD:-$PWD/build}/wineprefix-bench" WINEDEBUG=-all
export WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d"
out=$(mktemp)
trap 'rm -f "$out"; /usr/lib/wine/wineserver -k 2>/dev/null || true' EXIT
"$WINE64" wineboot --init >/dev/null 2>&1
/usr/lib/wine/wineserver -w
/usr/lib/wine/wineserver -p
"$WINE64" "$EXE" probe --json >/dev/null

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$out" \
	-n covalid.exe "$WINE64 $EXE probe --json" \
	-n "cmd /c ver" "$WINE64 cmd /c ver" >/dev/null 2>&1

jq -r '
  "median wall time under wine (\(.results[0].times | length) runs each):",
  (.results[] | "  \(.command | . + " " * (14 - length))\(.median * 1e6 | round / 1000) ms")
' "$out"
r=$(jq '(.results | map({(.command): .median}) | add) as $m | $m["covalid.exe"] / $m["cmd /c ver"] * 1000 | round / 1000' "$out")
echo "ratio covalid.exe probe --json / cmd /c ver: $r"
for f in build/win64/covalid.exe build/win32/covalid.exe; do
	[ -f "$f" ] && echo "size $f: $(stat -c %s "$f") bytes"
done
