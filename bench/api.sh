#!/bin/sh
# bench/api.sh - the program server at the catalog's real sizes, read while
# it is written to, against nginx serving the same bytes, in one run on
# this machine (issues 5 and 17).
#
#   bench/api.sh [SECONDS [ROUNDS]]       (after `make all build/bench/fleetgen
#                                          build/bench/sqlite-insert`)
#   Knobs (environment): SECONDS (each wrk run, default 10), ROUNDS (3),
#   SIZES ("1x 100x 100k": bench/lib/catalogs.sh), CONNS (64), THREADS (2),
#   RATE (the writer's submissions a second, 10), FIRST_N (samples of the
#   first check after a write, a round, 7), LIMIT (page size, 50), TIMEOUT
#   (wrk's, s, 10: an answer slower than that counts as an error, not in the
#   latencies), WRITER_STREAMS (8: bench/lib/writer.sh),
#   DURABLE (1: also durable submissions vs raw SQLite, on the first size;
#   0: not), STOP_WAIT (s the server has to stop after SIGTERM before it is
#   killed, 30), COVALID_BUILD (build).
#   e.g. SECONDS=3 ROUNDS=1 SIZES=1x bench/api.sh    (a quick look)
#
# For each catalog size, a server of its own (SQLite, durable, an access
# log) on a database imported from the catalog, and nginx serving static
# copies of covalid's answers for it (bench/lib/nginx.sh: sendfile,
# open_file_cache, tcp_nopush, keepalive: as deployed).  Every wrk run is
# wrk -tTHREADS -cCONNS for SECONDS; a round runs them all, interleaved
# (covalid, nginx, covalid, ...), first quiet, then again while a writer
# has RATE submissions a second accepted (bench/lib/writer.sh: each a
# signed test log that extends a configuration, i.e. a catalog write that
# bumps the generation).  Figures are medians over ROUNDS rounds.
#
# What each number is:
#   GET catalog        GET /api/v1/configurations?guest=rhel, the same URL
#                      every time: the answer cache's case.  nginx: the same
#                      bytes as a file.
#   POST /check        POST /api/v1/check, the same descriptor (7.5 kB, a
#                      Hyper-V 2008 RHEL 5.3 guest) every time: cached.
#                      nginx: the same body POSTed, answered with the file
#                      holding covalid's answer (error_page 405 =200: nginx
#                      reads the body and discards it, bench/lib/nginx.sh).
#   POST /check, new   every request a descriptor no request before it sent
#                      (vm.memory_mib 1024..2047, probed_at and 4 bytes of
#                      whitespace after the object varied: the same
#                      verdict, another cache key; bench/lib/wrk.sh says
#                      why the whitespace): parse, match, explain each
#                      time.
#   GET pages          GET /api/v1/configurations?limit=LIMIT&offset=N (or
#                      &after=ID when the server pages by key: probed
#                      first), N over the whole catalog, every request a
#                      page (a request target) not asked for before.
#   GET deep pages     the same over the catalog's last 10 % (of the pages'
#                      starts: every page a full one of LIMIT rows).
#   req/s, p50, p99    wrk's: requests a second, median and 99th percentile
#                      latency in ms, at CONNS connections on a machine whose
#                      CPUs wrk shares (nproc: printed).
#   writer /s          accepted submissions a second the writer achieved
#                      (bench/lib/writer.sh); any answer but "accepted" ends
#                      the bench; submissions that got no answer at all
#                      (connection refused or cut) are "unanswered", and bad.
#   first check after a write   the time (curl's time_total) of a POST
#                      /check of a descriptor answered (cached) before, sent
#                      as soon as an accepted submission's answer arrived;
#                      the median of FIRST_N x ROUNDS, taken in the quiet part.
#   RSS                the server's VmRSS (/proc/PID/status) once the catalog
#                      is loaded (one GET, one check, one page answered), and
#                      after all its runs.  Per configuration: the RSS after
#                      loading at the largest size minus at the smallest,
#                      over their difference in configurations.
#   bad                non-2xx answers and socket errors (timeouts included),
#                      added up over the rounds.
#   writer accepted/s  the median over the runs under writes of the rate the
#                      writer achieved.
#
# Bars (issue 17), judged at every size measured: under RATE submissions/s,
# catalog GET and cached /check >= 0.8 x nginx's req/s; first check after
# a write <= 10 ms; uncached deep page >= 1,000 req/s; uncached /check >=
# 0.5 x cached (both quiet); the writer achieved >= 0.95 x RATE; no bad
# answers.  With DURABLE=1, also issue 14's: durable (rejected, recorded)
# submissions >= 0.5 x raw durable SQLite inserts of rows of the log's
# size (bench/sqlite-insert.c).  Exits 1 when a bar is missed, naming it.
set -eu
cd "$(dirname "$0")/.."
# shellcheck disable=SC3028 # SECONDS from the environment: /bin/sh (dash) gives it no meaning of its own
SECONDS_EACH=${1:-${SECONDS:-10}}
ROUNDS=${2:-${ROUNDS:-3}}
SIZES=${SIZES:-1x 100x 100k}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
RATE=${RATE:-10}
FIRST_N=${FIRST_N:-7}
LIMIT=${LIMIT:-50}
TIMEOUT=${TIMEOUT:-10}
STOP_WAIT=${STOP_WAIT:-30}
SERVER_STUCK=
DURABLE=${DURABLE:-1}
BUILD=${COVALID_BUILD:-build}
COVALID=$BUILD/covalid
[ "$SECONDS_EACH" -ge 1 ] && [ "$ROUNDS" -ge 1 ] 2>/dev/null || { echo "bench/api.sh: SECONDS and ROUNDS: at least 1" >&2; exit 2; }
for tool in wrk nginx jq curl perl; do
	command -v "$tool" >/dev/null || { echo "bench/api.sh: $tool is not installed (scripts/setup.sh bench)" >&2; exit 2; }
done
[ -x "$COVALID" ] || { echo "bench/api.sh: build first (make all)" >&2; exit 2; }
[ "$DURABLE" = 0 ] || [ -x "$BUILD/bench/sqlite-insert" ] ||
	{ echo "bench/api.sh: build first (make $BUILD/bench/sqlite-insert), or DURABLE=0" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/covalid-bench-api.XXXXXX")
SERVER_PID=
NGINX_PID=
# alive PID: the process runs (a zombie, dead but not waited for, does not)
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat")" != Z ]; }
# stop_server: SIGTERM, and SIGKILL if it has not stopped STOP_WAIT s later (said so)
stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	i=0
	while alive "$SERVER_PID" && [ $i -lt "$((STOP_WAIT * 10))" ]; do sleep 0.1; i=$((i + 1)); done
	if alive "$SERVER_PID"; then
		echo "bench/api.sh: the server had not stopped $STOP_WAIT s after SIGTERM: killed" >&2
		SERVER_STUCK="$SERVER_STUCK ${size:-?}"
		kill -KILL "$SERVER_PID" 2>/dev/null || true
	fi
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}
cleanup() {
	# Only the bench's own shell cleans up, never a subshell of it ($$ is
	# the bench's in both; a child's parent tells them apart).
	[ "$(exec sh -c 'echo $PPID')" = "$$" ] || return 0
	writer_stop
	stop_server
	nginx_stop
	rm -rf "$W"
}
. bench/lib/serve.sh
. bench/lib/wrk.sh
. bench/lib/nginx.sh
. bench/lib/catalogs.sh
. bench/lib/writer.sh
. bench/lib/submissions.sh
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

MIXED_RUNS=7 # the runs of a round made under writes (below)
WRITES_A_RUN=$((((SECONDS_EACH + 2) * RATE + WRITER_STREAMS - 1) / WRITER_STREAMS * WRITER_STREAMS))
writer_pool "$((ROUNDS * (MIXED_RUNS * WRITES_A_RUN + FIRST_N)))"
wrk_post_script "$W/post.lua"
wrk_pages_script "$W/pages.lua"
wrk_bodies_script "$W/bodies.lua"
"$COVALID" probe --json --root tests/fixtures/hyperv2008-rhel53/root |
	jq '.probed_at = "2026-01-01T00:00:00Z"' >"$W/descriptor.json"
GET_PATH="/api/v1/configurations?guest=rhel"
: >"$W/results"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# run SIZE PHASE NAME URL [SCRIPT [ENV...]]: one wrk run, its line appended to results
run() {
	size=$1 phase=$2 name=$3 url=$4 script=${5:-} conns=${RUN_CONNS:-$CONNS}
	shift 4
	if [ $# -gt 0 ]; then shift; fi
	if [ -n "$script" ]; then
		env THREADS="$THREADS" "$@" wrk -t"$THREADS" -c"$conns" -d"${SECONDS_EACH}s" --latency --timeout "${TIMEOUT}s" -s "$script" "$url" >"$W/wrk.out"
	else
		wrk -t"$THREADS" -c"$conns" -d"${SECONDS_EACH}s" --latency --timeout "${TIMEOUT}s" "$url" >"$W/wrk.out"
	fi
	echo "$size $phase $(wrk_parse "$name" "$W/wrk.out")" >>"$W/results"
}
# server_alive: fails, saying how, if the server is gone (a crash, the OOM killer)
server_alive() {
	alive "$SERVER_PID" && return 0
	st=0
	wait "$SERVER_PID" 2>/dev/null || st=$?
	SERVER_PID=
	echo "bench/api.sh: catalog $size: the server exited (status $st) during $name ($phase); its last words:" >&2
	tail -5 "$W/serve-$size.err" >&2
	exit 1
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
# The answer cache's hits so far: the runs of new descriptors must add none.
cache_hits() { curl -sf "$URL/metrics" | awk '$1 == "covalid_cache_lookups_total{result=\"hit\"}" { print $2 }'; }

seq_no=0
# round SIZE PHASE: every run of a round, interleaved covalid / nginx
round() {
	for k in get ngx-get check ngx-check check-new pages deep; do
		seq_no=$((seq_no + 1))
		if [ "$2" = writes ]; then
			writer_start "$WRITES_A_RUN" "$RATE" "$W/writer.out"
			sleep 1
		fi
		case $k in
		get) run "$1" "$2" get "$URL$GET_PATH" ;;
		ngx-get) run "$1" "$2" ngx-get "$NGINX_URL/api/v1/configurations" ;;
		check) run "$1" "$2" check "$URL/api/v1/check" "$W/post.lua" BODY="$W/descriptor.json" ;;
		ngx-check) run "$1" "$2" ngx-check "$NGINX_URL/api/v1/check" "$W/post.lua" BODY="$W/descriptor.json" ;;
		check-new)
			h0=$(cache_hits)
			run "$1" "$2" check-new "$URL/api/v1/check" "$W/bodies.lua" BODY="$W/descriptor.json" \
				START=$((seq_no * 10000000)) MEM_MIN=1024 MEM_SPAN=1024 STAMP=1767225600
			echo "$1 $2 new-hits $(($(cache_hits) - h0))" >>"$W/results" ;;
		pages) run "$1" "$2" pages "$URL/api/v1/configurations" "$W/pages.lua" PAGES="$W/pages-all" \
			BASE="/api/v1/configurations?" KEY="$PAGING" LIMIT="$LIMIT" ;;
		deep) run "$1" "$2" deep "$URL/api/v1/configurations" "$W/pages.lua" PAGES="$W/pages-deep" \
			BASE="/api/v1/configurations?" KEY="$PAGING" LIMIT="$LIMIT" ;;
		esac
		server_alive
		if [ "$2" = writes ]; then
			writer_wait "$W/writer.out"
			echo "$1 writes writer $WRITER_ACCEPTED $WRITER_RATE 0 $WRITER_LOST" >>"$W/results"
		fi
	done
}

# first_checks SIZE: FIRST_N times, a cached check, an accepted submission, the check again (timed)
first_checks() {
	fk=0
	while [ $fk -lt "$FIRST_N" ]; do
		curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary "@$W/descriptor.json" "$URL/api/v1/check"
		writer_one
		t=$(curl -sf -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' \
			--data-binary "@$W/descriptor.json" "$URL/api/v1/check")
		echo "$1 quiet first-check $(awk -v t="$t" 'BEGIN { printf "%.3f", t * 1000 }')" >>"$W/results"
		sleep 0.2
		fk=$((fk + 1))
	done
}

first_size=
for size in $SIZES; do
	catalog_make "$size"
	[ -n "$first_size" ] || first_size=$size
	echo "bench/api.sh: catalog $size: importing $CATALOG_CONFIGS configurations..." >&2
	rm -f "$W/db" "$W/db-wal" "$W/db-shm" "$W/owner.token" "$W/writer.token"
	"$COVALID" catalog import --db "$W/db" data/products.jsonl $CATALOG_FILES >/dev/null
	"$COVALID" admin bootstrap --db "$W/db" --token-file "$W/owner.token" >/dev/null
	SERVE_TAG=-$size serve_start
	writer_setup

	# What nginx serves: covalid's answers, byte for byte.
	rm -rf "$W/www"
	mkdir -p "$W/www"
	curl -sf "$URL$GET_PATH" >"$W/www/configurations.json"
	curl -sf -H 'Content-Type: application/json' --data-binary "@$W/descriptor.json" "$URL/api/v1/check" >"$W/www/check.json"
	nginx_start "$W/www"
	curl -sf "$NGINX_URL/api/v1/configurations" | cmp -s - "$W/www/configurations.json" &&
		curl -sf -H 'Content-Type: application/json' --data-binary "@$W/descriptor.json" "$NGINX_URL/api/v1/check" |
		cmp -s - "$W/www/check.json" ||
		{ echo "bench/api.sh: nginx does not serve covalid's answers: $(tail -1 "$W/nginx-error.log")" >&2; exit 1; }
	# A varied descriptor has the cached one's verdict: the same question, not found in the cache.
	jq '.vm.memory_mib = 1500 | .probed_at = "2026-02-02T00:00:00Z"' "$W/descriptor.json" >"$W/varied.json"
	v1=$(jq -r .verdict "$W/www/check.json")
	v2=$(curl -sf -H 'Content-Type: application/json' --data-binary "@$W/varied.json" "$URL/api/v1/check" | jq -r .verdict)
	[ "$v1" = "$v2" ] && [ "$v1" != null ] || { echo "bench/api.sh: a varied descriptor's verdict is '$v2', not '$v1'" >&2; exit 1; }

	# Pages: by key (?after=ID) when the server has it, else by offset.
	jq -r '.id | @uri' $CATALOG_FILES | LC_ALL=C sort >"$W/ids"
	first_id=$(head -1 "$W/ids")
	got=$(curl -s "$URL/api/v1/configurations?limit=1&after=$first_id" | jq -r '.items[0].id // "none"')
	total=$(curl -sf "$URL/api/v1/configurations?limit=1" | jq -r .total)
	# Only the starts of full pages: a page of 3 rows at the end costs less
	# than a page of LIMIT, and is not what a deep page measures.
	if [ "$got" != none ] && [ "$got" != "$first_id" ]; then
		PAGING=after
		head -n "$(($(wc -l <"$W/ids") - LIMIT))" "$W/ids" >"$W/pages-all"
	else
		PAGING=offset
		seq 0 $((total - LIMIT)) >"$W/pages-all"
	fi
	n=$(wc -l <"$W/pages-all")
	[ "$n" -gt 0 ] || { echo "bench/api.sh: the catalog $size lists fewer than LIMIT ($LIMIT) configurations" >&2; exit 1; }
	tail -n "$(((n + 9) / 10))" "$W/pages-all" >"$W/pages-deep"
	curl -sf -o /dev/null "$URL/api/v1/configurations?limit=$LIMIT&$PAGING=$(head -1 "$W/pages-deep")" ||
		{ echo "bench/api.sh: a deep page is not answered" >&2; exit 1; }
	echo "$size rss-load $(rss_kb) $CATALOG_CONFIGS $total $PAGING $(wc -c <"$W/www/configurations.json") $(wc -c <"$W/www/check.json")" >>"$W/results"

	r=1
	while [ $r -le "$ROUNDS" ]; do
		echo "bench/api.sh: catalog $size: round $r of $ROUNDS..." >&2
		round "$size" quiet
		first_checks "$size"
		round "$size" writes
		r=$((r + 1))
	done
	echo "$size rss-end $(rss_kb)" >>"$W/results"

	# Durable submissions vs raw SQLite (issue 14), once, on the first size's server.
	if [ "$DURABLE" != 0 ] && [ "$size" = "$first_size" ]; then
		submissions_setup
		RUN_CONNS=4 # as before and as bench/submit.sh: a few clients, the writer's group commit
		r=1
		while [ $r -le "$ROUNDS" ]; do
			run "$size" durable submit "$URL/api/v1/submissions" "$W/post.lua" BODY="$W/log.json" TOKEN="$(cat "$W/v.token")"
			"$BUILD/bench/sqlite-insert" "$W/raw-$r.db" "$SECONDS_EACH" "$LOG_BYTES" |
				awk -v s="$size" '{ print s, "durable sqlite-insert", $2, 0, 0, 0 }' >>"$W/results"
			r=$((r + 1))
		done
		RUN_CONNS=
		DURABLE_STATUS=$status DURABLE_BYTES=$LOG_BYTES
	fi
	nginx_stop
	stop_server
done

# ---- report ----
# med SIZE PHASE NAME COL: the median of column COL (1: rps, 2: p50, 3: p99) of NAME's runs
med() {
	awk -v s="$1" -v p="$2" -v n="$3" -v c="$4" '$1 == s && $2 == p && $3 == n { print $(c + 3) }' "$W/results" |
		sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# sum SIZE PHASE NAME: the bad answers of NAME's runs, added up
sum() { awk -v s="$1" -v p="$2" -v n="$3" '$1 == s && $2 == p && $3 == n { t += $7 } END { print t + 0 }' "$W/results"; }
field() { awk -v s="$1" -v k="$2" -v c="$3" '$1 == s && $2 == k { print $c; exit }' "$W/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else print "-" }'; }
BAD=
bar() { if [ "$2" = 1 ]; then echo "  [met]    $1"; else echo "  [MISSED] $1"; BAD="$BAD
    $1"; fi; }
t() { awk "BEGIN { print ($1) ? 1 : 0 }"; }

echo "bench/api.sh: wrk -t$THREADS -c$CONNS, $ROUNDS rounds x $SECONDS_EACH s, interleaved, medians; $(nproc) CPUs shared with wrk, nginx and the writer"
echo "  load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $SIZES; do
	rss0=$(field "$size" rss-load 3) configs=$(field "$size" rss-load 4) total=$(field "$size" rss-load 5)
	paging=$(field "$size" rss-load 6) getb=$(field "$size" rss-load 7) checkb=$(field "$size" rss-load 8)
	rss1=$(field "$size" rss-end 3)
	acc=$(med "$size" writes writer 2)
	echo
	echo "catalog $size: $configs configurations ($total listed); server RSS $((rss0 / 1024)) MiB loaded, $((rss1 / 1024)) MiB after the runs; pages by $paging"
	printf '  %-46s %34s   %s\n' "" "quiet" "under writes: $acc accepted/s, $(sum "$size" writes writer) unanswered"
	printf '  %-46s %9s %8s %8s %6s   %9s %8s %8s %6s\n' "" "req/s" "p50 ms" "p99 ms" "bad" "req/s" "p50 ms" "p99 ms" "bad"
	for k in get ngx-get check ngx-check check-new pages deep; do
		q1=$(med "$size" quiet $k 1) w1=$(med "$size" writes $k 1)
		# No answer in a whole run: no latency to speak of.
		q2=$(med "$size" quiet $k 2) q3=$(med "$size" quiet $k 3) w2=$(med "$size" writes $k 2) w3=$(med "$size" writes $k 3)
		[ "$q1" != 0 ] || q2=- q3=-
		[ "$w1" != 0 ] || w2=- w3=-
		case $k in
		get) label="GET $GET_PATH" ;;
		ngx-get) label="  nginx, the same $getb bytes" ;;
		check) label="POST /api/v1/check, the same descriptor" ;;
		ngx-check) label="  nginx, POST, the same $checkb bytes" ;;
		check-new) label="POST /api/v1/check, a new descriptor each" ;;
		pages) label="GET pages all over, uncached (limit $LIMIT)" ;;
		deep) label="GET deep pages (last 10 %), uncached" ;;
		esac
		printf '  %-46s %9s %8s %8s %6s   %9s %8s %8s %6s\n' "$label" "$q1" "$q2" "$q3" "$(sum "$size" quiet $k)" \
			"$w1" "$w2" "$w3" "$(sum "$size" writes $k)"
	done
	fc=$(awk -v s="$size" '$1 == s && $3 == "first-check" { print $4 }' "$W/results" | sort -g |
		awk '{ v[NR] = $1 } END { printf "%s %s %s %d", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR], NR }')
	set -- $fc
	echo "  first /check after an accepted submission: median $1 ms (min $2, max $3; $4 samples)"
	echo "  ratios: GET / nginx $(ratio "$(med "$size" quiet get 1)" "$(med "$size" quiet ngx-get 1)") quiet," \
		"$(ratio "$(med "$size" writes get 1)" "$(med "$size" writes ngx-get 1)") under writes;" \
		"check / nginx $(ratio "$(med "$size" quiet check 1)" "$(med "$size" quiet ngx-check 1)") quiet," \
		"$(ratio "$(med "$size" writes check 1)" "$(med "$size" writes ngx-check 1)") under writes;" \
		"new / cached check $(ratio "$(med "$size" quiet check-new 1)" "$(med "$size" quiet check 1)") quiet"
done
set -- $SIZES
small=$1
while [ $# -gt 1 ]; do shift; done
large=$1
echo
if [ "$small" != "$large" ]; then
	a=$(field "$small" rss-load 3) b=$(field "$large" rss-load 3) ca=$(field "$small" rss-load 4) cb=$(field "$large" rss-load 4)
	echo "server memory a configuration: (RSS $large - RSS $small) / ($cb - $ca) configurations = $(awk -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" 'BEGIN { printf "%.0f", (b - a) * 1024 / (cb - ca) }') bytes (loaded; after the runs: $(awk -v a="$(field "$small" rss-end 3)" -v b="$(field "$large" rss-end 3)" -v ca="$ca" -v cb="$cb" 'BEGIN { printf "%.0f", (b - a) * 1024 / (cb - ca) }'))"
fi
if [ "$DURABLE" != 0 ]; then
	cs=$(med "$first_size" durable submit 1) csp=$(med "$first_size" durable submit 3) raw=$(med "$first_size" durable sqlite-insert 1)
	echo "durable submissions (catalog $first_size, wrk -t$THREADS -c4, a ${DURABLE_BYTES}-byte signed log, rejected and recorded; first answer: $DURABLE_STATUS):"
	printf '  %-46s %9s /s  p99 %s ms\n' "POST /api/v1/submissions" "$cs" "$csp"
	printf '  %-46s %9s /s\n' "raw SQLite, one durable insert a row" "$raw"
fi
bad=$(awk '$2 != "durable" && NF == 7 { s += $7 } $2 == "durable" && $3 == "submit" { s += $7 } END { print s + 0 }' "$W/results")

echo "bars:"
for size in $SIZES; do
	g=$(med "$size" writes get 1) ng=$(med "$size" writes ngx-get 1) c=$(med "$size" writes check 1) nc=$(med "$size" writes ngx-check 1)
	qc=$(med "$size" quiet check 1) qn=$(med "$size" quiet check-new 1) deep=$(med "$size" quiet deep 1)
	fc=$(awk -v s="$size" '$1 == s && $3 == "first-check" { print $4 }' "$W/results" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	acc=$(med "$size" writes writer 2)
	bar "$size: catalog GET >= 0.8 x nginx under $RATE submissions/s: $(ratio "$g" "$ng")" "$(t "$g >= 0.8 * $ng")"
	bar "$size: cached /check >= 0.8 x nginx under $RATE submissions/s: $(ratio "$c" "$nc")" "$(t "$c >= 0.8 * $nc")"
	bar "$size: the writer achieved >= 0.95 x $RATE accepted/s: $acc" "$(t "$acc >= 0.95 * $RATE")"
	bar "$size: first check after a write <= 10 ms: $fc ms" "$(t "$fc <= 10")"
	bar "$size: uncached deep page >= 1000 req/s: $deep" "$(t "$deep >= 1000")"
	bar "$size: uncached /check >= 0.5 x cached: $(ratio "$qn" "$qc")" "$(t "$qn >= 0.5 * $qc")"
	nh=$(awk -v s="$size" '$1 == s && $3 == "new-hits" { t += $4 } END { print t + 0 }' "$W/results")
	bar "$size: the runs of new descriptors were all cache misses: $nh hits" "$(t "$nh == 0")"
done
if [ "$DURABLE" != 0 ]; then
	bar "durable submissions were written (first answer \"$DURABLE_STATUS\", the policy's rejection)" \
		"$(t "\"$DURABLE_STATUS\" == \"rejected\"")"
	bar "durable submissions >= 0.5 x raw durable inserts (issue 14): $(ratio "$cs" "$raw")" "$(t "$cs >= 0.5 * $raw")"
fi
bar "no non-2xx answers or socket errors (timeouts included) in any run: $bad" "$(t "$bad == 0")"
bar "the server stopped within $STOP_WAIT s of SIGTERM at every size${SERVER_STUCK:+ (not at:$SERVER_STUCK)}" "$(t "\"$SERVER_STUCK\" == \"\"")"
[ -z "$BAD" ] || { echo "bench/api.sh: bar missed:$BAD"; exit 1; }
