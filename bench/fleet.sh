#!/bin/sh
# bench/fleet.sh - `covalid check --fleet` against two SQL peers
# (bench/fleet-sql.c: one indexed SQLite query per descriptor, on a table
# keyed by (guest OS, hypervisor, version low end) - the naive peer - or by
# (guest OS, hypervisor, the version's major, low end) - the tight peer,
# whose query reads only rows that can contain the version), measured in
# one run on this machine, each pinned to one core (taskset -c 0).
#
#   bench/fleet.sh [CONFIGS [MACHINES [RUNS]]]    defaults 100000 1000000 3
#
# The catalog and fleet come from bench/fleetgen.c (real-size descriptors,
# 5-7 kB; the verdict mix is documented there) and are cached under
# build/bench/, the fleet under a name that carries the catalog size too:
# a fleet is drawn from one catalog's space and means little against
# another.  The catalog is imported with `covalid catalog import`.
#
# Headline: covalid's end to end rate - reading the file, parsing each
# descriptor and matching it (everything but loading the catalog and
# building the index), descriptors/s on one core.  Also reported: the
# parse and match phases apart, both SQL peers' match rates, covalid's
# match rate over each, peak RSS; medians of RUNS runs.  Bars (issue 17):
# end to end >= 200 000 descriptors/s; matching >= 10 x the tight SQL peer.
#
# Same answers, or the comparison means nothing: before timing, each
# descriptor's verdict from covalid (check --fleet --json records) is
# compared with each peer's (fleet-sql --verdicts), line by line.
set -eu
cd "$(dirname "$0")/.."
CONFIGS=${1:-100000}
MACHINES=${2:-1000000}
RUNS=${3:-3}
B=${COVALID_BUILD:-build}
COVALID=$B/covalid
W=$B/bench
[ -x "$W/fleetgen" ] && [ -x "$W/fleet-sql" ] || { echo "bench/fleet.sh: run 'make bench' (builds $W/fleetgen, $W/fleet-sql)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "bench/fleet.sh: taskset (util-linux) is needed to pin one core" >&2; exit 2; }
ONE="taskset -c 0"

cat_file=$W/catalog-$CONFIGS.jsonl
fleet_file=$W/fleet-$CONFIGS-$MACHINES.jsonl
db=$W/fleet-$CONFIGS.db
if [ ! -s "$cat_file" ] || [ ! -s "$fleet_file" ]; then
	echo "generating $CONFIGS configurations and $MACHINES descriptors..."
	"$W/fleetgen" "$CONFIGS" "$MACHINES" "$cat_file.tmp" "$fleet_file.tmp"
	# The catalog is a function of CONFIGS alone; a different one (an
	# older fleetgen) makes the database stale too.
	if ! cmp -s "$cat_file.tmp" "$cat_file" 2>/dev/null; then
		mv "$cat_file.tmp" "$cat_file"
		rm -f "$db" "$db-wal" "$db-shm"
	else
		rm -f "$cat_file.tmp"
	fi
	mv "$fleet_file.tmp" "$fleet_file"
fi
if [ ! -s "$db" ]; then
	rm -f "$db" "$db-wal" "$db-shm"
	"$COVALID" catalog import --db "$db" "$cat_file" >/dev/null
fi

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Each descriptor's verdict, compared (untimed).
"$COVALID" check --db "$db" --fleet "$fleet_file" --json >"$tmp/records" 2>"$tmp/records.err" || true
sed -n 's/^{"source":"[^"]*:\([0-9]*\)",.*","verdict":"\([a-z-]*\)".*/\1 \2/p' "$tmp/records" >"$tmp/ours.v"
[ "$(wc -l <"$tmp/ours.v")" -eq "$(wc -l <"$tmp/records")" ] && [ -s "$tmp/ours.v" ] ||
	{ echo "bench/fleet.sh: covalid's records did not read as source and verdict:"; head -3 "$tmp/records.err"; exit 1; }
for peer in naive major; do
	if [ $peer = major ]; then flag=--major; else flag=; fi
	"$W/fleet-sql" $flag --verdicts "$tmp/$peer.v" "$db" "$fleet_file" >/dev/null
	if ! cmp -s "$tmp/ours.v" "$tmp/$peer.v"; then
		echo "bench/fleet.sh: verdicts differ between covalid and the $peer SQL peer (line, verdict):"
		diff "$tmp/ours.v" "$tmp/$peer.v" | head -10
		exit 1
	fi
done
checked=$(wc -l <"$tmp/ours.v")

for i in $(seq "$RUNS"); do
	$ONE "$COVALID" check --db "$db" --fleet "$fleet_file" --stats >"$tmp/ours.out" 2>"$tmp/ours.err" || true
	sed -n 's/^stats: .*parse [0-9.]* s (\([0-9]*\)\/s); match [0-9.]* s (\([0-9]*\)\/s); read+parse+match [0-9.]* s (\([0-9]*\)\/s), CPU [0-9.]* s (\([0-9]*\)\/s); total [0-9.]* s (\([0-9]*\)\/s); peak RSS \([0-9]*\) MiB$/\1 \2 \3 \5 \6 \4/p' "$tmp/ours.err" >>"$tmp/ours"
	$ONE "$W/fleet-sql" "$db" "$fleet_file" >"$tmp/naive.out"
	sed -n 's/^sql: .*match [0-9.]* s (\([0-9]*\)\/s).*peak RSS \([0-9]*\) MiB$/\1 \2/p' "$tmp/naive.out" >>"$tmp/naive"
	$ONE "$W/fleet-sql" --major "$db" "$fleet_file" >"$tmp/major.out"
	sed -n 's/^sql (major): .*match [0-9.]* s (\([0-9]*\)\/s).*peak RSS \([0-9]*\) MiB$/\1 \2/p' "$tmp/major.out" >>"$tmp/major"
done
[ "$(wc -l <"$tmp/ours")" -eq "$RUNS" ] || { echo "bench/fleet.sh: covalid did not report stats:"; cat "$tmp/ours.err"; exit 1; }
[ "$(wc -l <"$tmp/naive")" -eq "$RUNS" ] && [ "$(wc -l <"$tmp/major")" -eq "$RUNS" ] || { echo "bench/fleet.sh: fleet-sql did not report"; exit 1; }

parse=$(cut -d' ' -f1 "$tmp/ours" | median)
match=$(cut -d' ' -f2 "$tmp/ours" | median)
e2e=$(cut -d' ' -f3 "$tmp/ours" | median)
e2ecpu=$(cut -d' ' -f6 "$tmp/ours" | median)
total=$(cut -d' ' -f4 "$tmp/ours" | median)
rss=$(cut -d' ' -f5 "$tmp/ours" | median)
naive=$(cut -d' ' -f1 "$tmp/naive" | median)
naiverss=$(cut -d' ' -f2 "$tmp/naive" | median)
major=$(cut -d' ' -f1 "$tmp/major" | median)
majorrss=$(cut -d' ' -f2 "$tmp/major" | median)
size=$(awk -v b="$(wc -c <"$fleet_file")" -v n="$MACHINES" 'BEGIN { printf "%.1f", b / n / 1000 }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo "fleet: $CONFIGS configurations, $MACHINES descriptors (mean $size kB), one core, median of $RUNS runs"
echo "  verdicts: each of $checked descriptors' equal in covalid and both SQL peers"
echo "  covalid end to end (read+parse+match):     $e2e descriptors/s   (bar: >= 200000)"
echo "  the same on CPU time (waits for a core excluded): $e2ecpu descriptors/s"
echo "  covalid parse (and reduce to a key):       $parse descriptors/s"
echo "  covalid match (parse excluded):            $match descriptors/s"
echo "  covalid total (load, index, read, parse, match): $total descriptors/s, peak RSS $rss MiB"
echo "  SQL naive, keyed (os, hv, lo):             $naive descriptors/s (peak RSS $naiverss MiB)"
echo "  SQL tight, keyed (os, hv, major, lo):      $major descriptors/s (peak RSS $majorrss MiB)"
echo "  covalid match / SQL naive:                 $(ratio "$match" "$naive") x"
echo "  covalid match / SQL tight:                 $(ratio "$match" "$major") x   (bar: >= 10)"
echo "  covalid end to end / SQL tight match:      $(ratio "$e2e" "$major") x"
awk -v e="$e2e" -v a="$match" -v b="$major" 'BEGIN { exit !(e >= 200000 && a / b >= 10) }' || { echo "bench/fleet.sh: bar missed"; exit 1; }
