#!/bin/sh
# bench/scale.sh - covalid on PostgreSQL, one node and three, beside what
# the engine itself does on this machine in the same run (issue 15):
#
#   GET /api/v1/configurations?guest=rhel   1 node (wrk -t2 -c64) vs 3 nodes
#        (three wrk -t1 -c21 at once, one a node, rates summed), on
#        PostgreSQL; and 1 node on SQLite.
#   POST /api/v1/submissions (durable)      1 node (wrk -t2 -c12) vs 3 nodes
#        (three wrk -t1 -c4), on PostgreSQL; and 1 node on SQLite.
#   pgbench select-only (-S) and TPC-B (the default script), -c12 -j2, on a
#        database of its own (scale 10) in the same cluster.
#
# Rounds interleave every measurement (ROUNDS of SECONDS each); medians.
# Goals: PostgreSQL submissions >= 0.5 x pgbench TPC-B's transactions per
# second; 3 nodes >= 1.5 x 1 node on reads.  Both sides are durable: the
# cluster (tests/lib/pg.sh, made for tests without fsync) gets fsync,
# synchronous_commit and full_page_writes back on; SQLite runs as the
# server always does (synchronous=FULL).  Every process here -- the
# nodes, PostgreSQL, wrk, pgbench -- shares this machine's CPUs (2 here):
# three nodes cannot do more than the CPUs one node already keeps busy,
# which is what the read ratio then says (measured on an idle machine:
# about 0.9; on one busy with other work three nodes' threads take a
# bigger share of the CPUs than one node's, and the ratio rises with the
# load: the header prints the load average before and after).
#
#   bench/scale.sh [SECONDS [ROUNDS]]     (after `make`; default 10 s, 3 rounds)
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-10}
ROUNDS=${2:-3}
BUILD=${COVALID_BUILD:-build}
COVALID=$BUILD/covalid
for tool in wrk jq curl perl; do
	command -v "$tool" >/dev/null || { echo "bench/scale.sh: $tool is not installed (make setup)" >&2; exit 2; }
done
[ -x "$COVALID" ] || { echo "bench/scale.sh: build first (make all)" >&2; exit 2; }
. tests/lib/pg.sh
PG_BINDIR=$(pg_bindir) || exit 2
[ -x "$PG_BINDIR/pgbench" ] || { echo "bench/scale.sh: no pgbench in $PG_BINDIR (Debian's postgresql package)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/covalid-bench-scale.XXXXXX")
WTOP=$W # W names each database's own part below
# Beside $W, not in it: as root the cluster runs as the postgres user (pg.sh).
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/covalid-bench-pg.XXXXXX")
PIDS=
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	PIDS=
	pg_stop "$PGDIR" >/dev/null 2>&1
	rm -rf "$WTOP" "$PGDIR"
}
# Also when its output is cut (| head): nothing of the run is left behind.
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- PostgreSQL, durable ----
pg_start "$PGDIR" >/dev/null || exit 1
PSQL="$PG_BINDIR/psql -h $PG_HOST -p $PG_PORT -U $PG_USER -X -q -v ON_ERROR_STOP=1"
$PSQL -d covalid -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
[ "$($PSQL -d covalid -At -c 'SHOW fsync')" = on ] && [ "$($PSQL -d covalid -At -c 'SHOW synchronous_commit')" = on ] ||
	{ echo "bench/scale.sh: PostgreSQL did not turn durability back on" >&2; exit 1; }
pg_createdb "$PGDIR" pgbench >/dev/null
PGBENCH="$PG_BINDIR/pgbench -h $PG_HOST -p $PG_PORT -U $PG_USER"
$PGBENCH -i -s 10 -q pgbench >"$W/pgbench-init.log" 2>&1 ||
	{ echo "bench/scale.sh: pgbench -i failed: $(tail -3 "$W/pgbench-init.log")" >&2; exit 1; }

# ---- the nodes: three on PostgreSQL, one on SQLite ----
. bench/lib/serve.sh
. bench/lib/submissions.sh
mkdir -p "$WTOP/pg" "$WTOP/sq"
W=$WTOP/pg
"$COVALID" catalog import --db "$PG_URI" data/products.jsonl data/validated-configs.jsonl >/dev/null
"$COVALID" admin bootstrap --db "$PG_URI" --token-file "$W/owner.token" >/dev/null
for n in 1 2 3; do
	SERVE_DB=$PG_URI SERVE_TAG=$n serve_start
	PIDS="$PIDS $SERVER_PID"
	eval "PG$n=\$URL"
done
URL=$PG1
O="--server $PG1 --token-file $W/owner.token"
submissions_setup
PG_STATUS=$status
PG_TOKEN=$(cat "$W/v.token")
W=$WTOP/sq
"$COVALID" catalog import --db "$W/db" data/products.jsonl data/validated-configs.jsonl >/dev/null
"$COVALID" admin bootstrap --db "$W/db" --token-file "$W/owner.token" >/dev/null
SERVE_DB= SERVE_TAG= serve_start
PIDS="$PIDS $SERVER_PID"
SQ=$URL
submissions_setup
SQ_STATUS=$status
SQ_TOKEN=$(cat "$W/v.token")
LOG=$W/log.json # the same kit's log, signed by each database's vendor key
PG_LOG=$WTOP/pg/log.json
W=$WTOP

. bench/lib/wrk.sh
wrk_post_script "$W/post.lua"

# wrk_one OUT THREADS CONNS URL [BODY TOKEN]: one wrk run into OUT
wrk_one() {
	if [ -n "${5:-}" ]; then
		BODY=$5 TOKEN=$6 wrk -t"$2" -c"$3" -d"${SECONDS_EACH}s" --latency -s "$W/post.lua" "$4" >"$1"
	else
		wrk -t"$2" -c"$3" -d"${SECONDS_EACH}s" --latency "$4" >"$1"
	fi
}
# wrk_sum NAME FILE...: appends "NAME rps p99_ms bad" (rates summed, the worst p99) to $W/results
wrk_sum() {
	name=$1
	shift
	awk -v name="$name" '
		/Requests\/sec:/ { rps += $2 }
		/^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			   p = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v
			   if (p > p99) p99 = p }
		/Non-2xx or 3xx responses:/ { bad += $NF }
		/Socket errors:/ { bad += 1 }
		END { printf "%s %s %s %d\n", name, rps, p99, bad }' "$@" >>"$W/results"
}
# pgbench_run NAME ARGS...: appends "NAME tps 0 0"
pgbench_run() {
	name=$1
	shift
	$PGBENCH "$@" -c 12 -j 2 -T "$SECONDS_EACH" pgbench >"$W/pgbench.out" 2>&1 ||
		{ echo "bench/scale.sh: pgbench $*: $(tail -3 "$W/pgbench.out")" >&2; exit 1; }
	awk -v name="$name" '/^tps = / { printf "%s %s 0 0\n", name, $3; exit }' "$W/pgbench.out" >>"$W/results"
}
GET=/api/v1/configurations?guest=rhel
SUB=/api/v1/submissions

: >"$W/results"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	wrk_one "$W/o1" 2 64 "$PG1$GET"
	wrk_sum pg1-get "$W/o1"
	wrk_one "$W/o1" 1 21 "$PG1$GET" &
	a=$!
	wrk_one "$W/o2" 1 21 "$PG2$GET" &
	b=$!
	wrk_one "$W/o3" 1 21 "$PG3$GET"
	wait $a $b
	wrk_sum pg3-get "$W/o1" "$W/o2" "$W/o3"
	wrk_one "$W/o1" 2 64 "$SQ$GET"
	wrk_sum sq1-get "$W/o1"
	wrk_one "$W/o1" 2 12 "$PG1$SUB" "$PG_LOG" "$PG_TOKEN"
	wrk_sum pg1-sub "$W/o1"
	wrk_one "$W/o1" 1 4 "$PG1$SUB" "$PG_LOG" "$PG_TOKEN" &
	a=$!
	wrk_one "$W/o2" 1 4 "$PG2$SUB" "$PG_LOG" "$PG_TOKEN" &
	b=$!
	wrk_one "$W/o3" 1 4 "$PG3$SUB" "$PG_LOG" "$PG_TOKEN"
	wait $a $b
	wrk_sum pg3-sub "$W/o1" "$W/o2" "$W/o3"
	wrk_one "$W/o1" 2 12 "$SQ$SUB" "$LOG" "$SQ_TOKEN"
	wrk_sum sq1-sub "$W/o1"
	pgbench_run pgbench-select -S
	pgbench_run pgbench-tpcb
	r=$((r + 1))
done

# ---- report: medians ----
median() { grep "^$1 " "$W/results" | awk -v col="$2" '{ print $col }' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
bad=$(awk '{ s += $4 } END { print s + 0 }' "$W/results")
echo "bench/scale.sh: $ROUNDS rounds x ${SECONDS_EACH} s, medians ($(nproc) CPUs; PostgreSQL $($PG_BINDIR/postgres --version | awk '{ print $NF }'), durable)"
# Everything here shares the CPUs with whatever else runs: a busy machine
# skews the ratios (more threads take a bigger share of a contended CPU).
echo "  load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) CPUs)"
for k in pg1-get pg3-get sq1-get pg1-sub pg3-sub sq1-sub; do
	case $k in
	pg1-get) label="GET $GET, 1 node, PostgreSQL (-c64)" ;;
	pg3-get) label="  3 nodes, PostgreSQL (3 x -c21)" ;;
	sq1-get) label="  1 node, SQLite (-c64)" ;;
	pg1-sub) label="POST $SUB (durable), 1 node, PostgreSQL (-c12)" ;;
	pg3-sub) label="  3 nodes, PostgreSQL (3 x -c4)" ;;
	sq1-sub) label="  1 node, SQLite (-c12)" ;;
	esac
	printf '  %-58s %10s /s  p99 %7s ms\n' "$label" "$(median $k 2)" "$(median $k 3)"
done
printf '  %-58s %10s tps\n' "pgbench -S (select-only), -c12 -j2, scale 10" "$(median pgbench-select 2)" \
	"pgbench TPC-B, -c12 -j2, scale 10" "$(median pgbench-tpcb 2)"
echo "  (first submission answers: PostgreSQL \"$PG_STATUS\", SQLite \"$SQ_STATUS\"; non-2xx answers or socket errors: $bad)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
pg1g=$(median pg1-get 2) pg3g=$(median pg3-get 2) sq1g=$(median sq1-get 2)
pg1s=$(median pg1-sub 2) pg3s=$(median pg3-sub 2) sq1s=$(median sq1-sub 2)
tpcb=$(median pgbench-tpcb 2) sel=$(median pgbench-select 2)
echo "ratios:"
echo "  reads, 3 nodes / 1 node (PostgreSQL):          $(ratio "$pg3g" "$pg1g")"
echo "  submissions, 3 nodes / 1 node (PostgreSQL):    $(ratio "$pg3s" "$pg1s")"
echo "  reads, PostgreSQL / SQLite (1 node):           $(ratio "$pg1g" "$sq1g")"
echo "  submissions, PostgreSQL / SQLite (1 node):     $(ratio "$pg1s" "$sq1s")"
echo "  submissions (1 node) / pgbench TPC-B tps:      $(ratio "$pg1s" "$tpcb")"
echo "  reads (1 node) / pgbench select-only tps:      $(ratio "$pg1g" "$sel")"

echo "goals:"
BAD=
bar() { if [ "$2" = 1 ]; then echo "  [met]    $1"; else echo "  [MISSED] $1"; BAD=1; fi; }
t() { awk "BEGIN { print ($1) ? 1 : 0 }"; }
bar "PostgreSQL submissions >= 0.5 x pgbench TPC-B: $(ratio "$pg1s" "$tpcb")" "$(t "$pg1s >= 0.5 * $tpcb")"
bar "3 nodes >= 1.5 x 1 node on reads: $(ratio "$pg3g" "$pg1g") (bound by $(nproc) CPUs shared by every process here)" \
	"$(t "$pg3g >= 1.5 * $pg1g")"
bar "the submissions were written (first answers \"$PG_STATUS\", \"$SQ_STATUS\": the policy's rejection)" \
	"$(t "\"$PG_STATUS\" == \"rejected\" && \"$SQ_STATUS\" == \"rejected\"")"
bar "no non-2xx answers or socket errors: $bad" "$(t "$bad == 0")"
[ -z "$BAD" ] || { echo "bench/scale.sh: goal missed"; exit 1; }
