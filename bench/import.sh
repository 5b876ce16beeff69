#!/bin/sh
# bench/import.sh - `covalid catalog import` of a large catalog into a new
# SQLite database (the default store), against SQLite's own bulk load of
# the same lines, measured in one run on this machine.
#
#   bench/import.sh [CONFIGS [RUNS]]    defaults 1000000 3
#
# The catalog comes from bench/fleetgen.c (documented there), cached under
# build/bench/ with its size in the name.  Each run imports into a fresh
# database under /usr/bin/time -v (wall seconds, peak RSS); the peer is
# sqlite3's `.import` of the same lines into a one-column table with the
# store's pragmas (WAL, synchronous = FULL) and its documents' CHECK
# (json_valid), one transaction: the cost of only storing the bytes, with
# no parsing, checking or indexes.  Medians of RUNS runs, interleaved.
# Bars (issue 17): import < 20 s and < 1 GB peak RSS.  Set IMPORT_BASE to
# another covalid binary to measure it too, in the same runs (e.g. main's,
# for a before/after).
set -eu
cd "$(dirname "$0")/.."
CONFIGS=${1:-1000000}
RUNS=${2:-3}
B=${COVALID_BUILD:-build}
COVALID=$B/covalid
W=$B/bench
[ -x "$W/fleetgen" ] || { echo "bench/import.sh: run 'make bench' (builds $W/fleetgen)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/import.sh: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "bench/import.sh: needs sqlite3 (Debian package sqlite3)" >&2; exit 2; }

cat_file=$W/import-catalog-$CONFIGS.jsonl
if [ ! -s "$cat_file" ]; then
	echo "generating $CONFIGS configurations..."
	"$W/fleetgen" "$CONFIGS" 0 "$cat_file.tmp" /dev/null
	mv "$cat_file.tmp" "$cat_file"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/covalid-import.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: appends "seconds rss_kib cpu_seconds" to $tmp/NAME; the command's
# output to $tmp/NAME.out.  Fails the bench if the command fails.
measure() {
	name=$1
	shift
	if ! /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
		echo "bench/import.sh: $name failed:" >&2
		cat "$tmp/$name.err" "$tmp/$name.out" >&2
		exit 1
	fi
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
		    /Maximum resident set size/ { rss = $2 }
		    /User time|System time/ { cpu += $2 }
		    END { printf "%.2f %d %.2f\n", s, rss, cpu }' "$tmp/time" >>"$tmp/$name"
}

fresh() { rm -f "$tmp/db" "$tmp/db-wal" "$tmp/db-shm"; }

for i in $(seq "$RUNS"); do
	fresh
	measure covalid "$COVALID" catalog import --db "$tmp/db" "$cat_file"
	grep -q ": configurations: $CONFIGS added, 0 updated" "$tmp/covalid.out" ||
		{ echo "bench/import.sh: unexpected summary:" >&2; cat "$tmp/covalid.out" >&2; exit 1; }
	n=$(sqlite3 "$tmp/db" "SELECT count(*) FROM configurations")
	[ "$n" = "$CONFIGS" ] || { echo "bench/import.sh: $n configurations stored, not $CONFIGS" >&2; exit 1; }
	if [ -n "${IMPORT_BASE:-}" ]; then
		fresh
		measure base "$IMPORT_BASE" catalog import --db "$tmp/db" "$cat_file"
	fi
	fresh
	sqlite3 "$tmp/db" "PRAGMA journal_mode = WAL; CREATE TABLE t (doc TEXT NOT NULL CHECK (json_valid(doc)))" >/dev/null
	# ascii mode with tab and newline separators: a line is one field,
	# read without CSV's quoting (compact JSON has no raw tab).
	measure sqlite3 sqlite3 "$tmp/db" -cmd "PRAGMA synchronous = FULL" ".mode ascii" ".separator \"\t\" \"\n\"" \
		".import $cat_file t"
	n=$(sqlite3 "$tmp/db" "SELECT count(*) FROM t")
	[ "$n" = "$CONFIGS" ] || { echo "bench/import.sh: sqlite3 stored $n lines, not $CONFIGS" >&2; exit 1; }
done

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
secs=$(cut -d' ' -f1 "$tmp/covalid" | median)
rss=$(cut -d' ' -f2 "$tmp/covalid" | median)
peer=$(cut -d' ' -f1 "$tmp/sqlite3" | median)
peer_rss=$(cut -d' ' -f2 "$tmp/sqlite3" | median)
echo "import: $CONFIGS configurations ($(du -m "$cat_file" | cut -f1) MB of JSON Lines) into a new SQLite database," \
	"median of $RUNS runs ($(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg) at the end)"
# CPU time (user + system, both of the importer's threads) beside the wall
# time: on a machine others load too, it says what the import costs.
echo "  covalid catalog import:            $secs s, peak RSS $((rss / 1024)) MiB, CPU $(cut -d' ' -f3 "$tmp/covalid" | median) s   (bars: < 20 s, < 1024 MiB)"
if [ -n "${IMPORT_BASE:-}" ]; then
	echo "  $IMPORT_BASE:  $(cut -d' ' -f1 "$tmp/base" | median) s, peak RSS $(($(cut -d' ' -f2 "$tmp/base" | median) / 1024)) MiB, CPU $(cut -d' ' -f3 "$tmp/base" | median) s"
fi
echo "  sqlite3 .import, one-column table: $peer s, peak RSS $((peer_rss / 1024)) MiB, CPU $(cut -d' ' -f3 "$tmp/sqlite3" | median) s"
echo "  ratio covalid / sqlite3 .import:   $(awk -v a="$secs" -v b="$peer" 'BEGIN { printf "%.1f", a / b }') x"
awk -v s="$secs" -v r="$rss" 'BEGIN { exit !(s < 20 && r < 1024 * 1024) }' || { echo "bench/import.sh: bar missed"; exit 1; }
