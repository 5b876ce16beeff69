#!/bin/sh
# bench/submit.sh - durable signed submissions alone, set up as bench/api.sh
# sets them up (a vendor, its key and token, a policy that rejects the log
# so that every request is recorded, a signed kit log of a few kB), and
# measured against raw SQLite inserts of rows of the log's size in the same
# run (issue 14: the bar is a ratio >= 0.5).  Also the server's CPU per
# submission (its utime + stime over the run, from /proc), which is what
# decides the rate at wrk -t2 -c4 on a shared machine.
#
#   bench/submit.sh [SECONDS [ROUNDS]]      (after `make all build/bench/sqlite-insert`;
#                                            default 5 s, 3 rounds; COVALID=... another binary)
#   PERF=1 bench/submit.sh 10 1            also `perf record -g` the server: $W/perf.data kept
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
BUILD=${COVALID_BUILD:-build}
COVALID=${COVALID:-$BUILD/covalid}
for tool in wrk curl jq; do
	command -v "$tool" >/dev/null || { echo "bench/submit.sh: $tool is not installed (make setup)" >&2; exit 2; }
done
[ -x "$COVALID" ] && [ -x "$BUILD/bench/sqlite-insert" ] || { echo "bench/submit.sh: build first (make all $BUILD/bench/sqlite-insert)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/covalid-bench-submit.XXXXXX")
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	[ -n "${PERF:-}" ] && echo "bench/submit.sh: perf data kept in $W/perf.data" >&2 && return
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

"$COVALID" admin bootstrap --db "$W/db" --token-file "$W/owner.token" >/dev/null
. bench/lib/serve.sh
serve_start

. bench/lib/submissions.sh
submissions_setup
[ "$status" = rejected ] || { echo "bench/submit.sh: the first submission answered '$status', not 'rejected'" >&2; exit 1; }

cat >"$W/post.lua" <<EOF
local f = io.open(os.getenv("BODY"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
EOF

# The server's CPU so far, in clock ticks (utime + stime of all its threads).
ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
HZ=$(getconf CLK_TCK)

if [ -n "${PERF:-}" ]; then
	perf record ${PERF_OPTS:--g} -o "$W/perf.data" -p "$SERVER_PID" -- sleep "$SECONDS_EACH" >/dev/null 2>&1 &
	PERF_PID=$!
fi
: >"$W/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	t0=$(ticks)
	BODY="$W/log.json" TOKEN="$(cat "$W/v.token")" wrk -t2 -c4 -d"${SECONDS_EACH}s" --latency -s "$W/post.lua" \
		"$URL/api/v1/submissions" >"$W/wrk.out"
	t1=$(ticks)
	awk -v t="$((t1 - t0))" -v hz="$HZ" '
		/Requests\/sec:/ { rps = $2 }
		/requests in/ { n = $1 }
		/^ +99%/ { p99 = $2 }
		/Non-2xx or 3xx responses:/ { bad = $NF }
		END { printf "submit %s %s %d %.0f\n", rps, p99, bad, n ? t / hz / n * 1e6 : 0 }' "$W/wrk.out" >>"$W/results"
	"$BUILD/bench/sqlite-insert" "$W/raw-$r.db" "$SECONDS_EACH" "$LOG_BYTES" | awk '{ print "raw", $2 }' >>"$W/results"
	r=$((r + 1))
done
[ -n "${PERF:-}" ] && wait "$PERF_PID"

echo "bench/submit.sh: wrk -t2 -c4, ${SECONDS_EACH} s x $ROUNDS, a ${LOG_BYTES}-byte signed log, rejected and recorded each time ($(nproc) CPUs)"
echo "  round  submissions/s  p99      server CPU us/submission  raw inserts/s  ratio"
awk '$1 == "submit" { s[++i] = $2; p[i] = $3; c[i] = $5; bad += $4 } $1 == "raw" { raw[++j] = $2 }
	END { for (k = 1; k <= i; k++) printf "  %5d  %13s  %-7s  %24s  %13s  %.3f\n", k, s[k], p[k], c[k], raw[k], s[k] / raw[k]
	      printf "  (non-2xx answers during the runs: %d)\n", bad }' "$W/results"
