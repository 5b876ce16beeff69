#!/bin/sh
# bench/fleet.sh - `covalid check --fleet` against the straightforward SQL
# approach (bench/fleet-sql.c: one indexed SQLite query per descriptor),
# measured in one run on this machine.
#
#   bench/fleet.sh [CONFIGS [MACHINES [RUNS]]]    defaults 100000 1000000 3
#
# The catalog and fleet come from bench/fleetgen.c (documented there) and
# are cached under build/bench/.  Reported: matching rate on one core
# (parsing excluded; parsing and the total reported apart), the SQL rate,
# their ratio, peak RSS; medians of RUNS runs.  Bars (issue 3): matching
# >= 1 000 000 descriptors/s and >= 50 x the SQL approach.  Both must give
# the same verdict counts, or the script fails.
set -eu
cd "$(dirname "$0")/.."
CONFIGS=${1:-100000}
MACHINES=${2:-1000000}
RUNS=${3:-3}
B=${COVALID_BUILD:-build}
COVALID=$B/covalid
W=$B/bench
[ -x "$W/fleetgen" ] && [ -x "$W/fleet-sql" ] || { echo "bench/fleet.sh: run 'make bench' (builds $W/fleetgen, $W/fleet-sql)" >&2; exit 2; }

cat_file=$W/catalog-$CONFIGS.jsonl
fleet_file=$W/fleet-$MACHINES.jsonl
db=$W/fleet-$CONFIGS.db
if [ ! -s "$cat_file" ] || [ ! -s "$fleet_file" ]; then
	echo "generating $CONFIGS configurations and $MACHINES descriptors..."
	"$W/fleetgen" "$CONFIGS" "$MACHINES" "$cat_file" "$fleet_file"
fi
if [ ! -s "$db" ]; then
	rm -f "$db" "$db-wal" "$db-shm"
	"$COVALID" catalog import --db "$db" "$cat_file" >/dev/null
fi

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ours=$(mktemp)
theirs=$(mktemp)
trap 'rm -f "$ours" "$theirs"' EXIT
for i in $(seq "$RUNS"); do
	"$COVALID" check --db "$db" --fleet "$fleet_file" --stats >"$ours.out" 2>"$ours.err" || true
	sed -n 's/^stats: .*parse [0-9.]* s (\([0-9]*\)\/s); match [0-9.]* s (\([0-9]*\)\/s); total [0-9.]* s (\([0-9]*\)\/s); peak RSS \([0-9]*\) MiB$/\1 \2 \3 \4/p' "$ours.err" >>"$ours"
	"$W/fleet-sql" "$db" "$fleet_file" >"$theirs.out"
	sed -n 's/^sql: .*match [0-9.]* s (\([0-9]*\)\/s).*peak RSS \([0-9]*\) MiB$/\1 \2/p' "$theirs.out" >>"$theirs"
done
[ "$(wc -l <"$ours")" -eq "$RUNS" ] || { echo "bench/fleet.sh: covalid did not report stats:"; cat "$ours.err"; exit 1; }

# Same answers, or the comparison means nothing.
for v in validated supported not-supported not-validated unknown; do
	a=$(awk -v v="$v" '$1 == v { print $2 }' "$ours.out")
	b=$(sed -n "s/.* $v \([0-9]*\).*/\1/p" "$theirs.out")
	[ "$a" = "$b" ] || { echo "bench/fleet.sh: verdict counts differ for $v: covalid $a, sql $b"; exit 1; }
done

parse=$(cut -d' ' -f1 "$ours" | median)
match=$(cut -d' ' -f2 "$ours" | median)
total=$(cut -d' ' -f3 "$ours" | median)
rss=$(cut -d' ' -f4 "$ours" | median)
sql=$(cut -d' ' -f1 "$theirs" | median)
sqlrss=$(cut -d' ' -f2 "$theirs" | median)
echo "fleet: $CONFIGS configurations, $MACHINES descriptors, median of $RUNS runs (verdict counts equal)"
echo "  covalid match (one core, parse excluded): $match descriptors/s   (bar: >= 1000000)"
echo "  covalid parse:                            $parse descriptors/s"
echo "  covalid total (load, index, parse, match): $total descriptors/s"
echo "  covalid peak RSS:                         $rss MiB"
echo "  SQL, one indexed query per descriptor:    $sql descriptors/s (peak RSS $sqlrss MiB)"
echo "  ratio covalid match / SQL:                $(awk -v a="$match" -v b="$sql" 'BEGIN { printf "%.1f", a / b }') x   (bar: >= 50)"
awk -v a="$match" -v b="$sql" 'BEGIN { exit !(a >= 1000000 && a / b >= 50) }' || { echo "bench/fleet.sh: bar missed"; exit 1; }
