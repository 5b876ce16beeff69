#!/bin/sh
# bench/agents.sh - monitoring ingest under a simulated fleet (issue 14,
# "Scale"): N distinct machines (bench/agentsim.c) enrolled with a customer
# administrator's token, then reporting to the real `covalid serve`
# (embedded SQLite, durable: the default) on the same cores:
#
#   target  open loop, 60 s: 5,000 heartbeats/s + 1,000 changed-descriptor
#           reports/s (a machine's vCPUs or memory changed: the full
#           descriptor), latency from each report's scheduled time; rates
#           are the reports acknowledged over the 60 s schedule, and a run
#           sustains its rate only if every scheduled report was answered
#   max     closed loop, every connection busy, the same mix
#   raw     SQLite's durable per-row insert rate for rows of a report's
#           mean size, one transaction each (bench/sqlite-insert.c), in
#           the same run: group commit should beat it
#   verify  every machine read back: no acknowledged report lost
#
# ROUNDS rounds of target, raw and max, interleaved; medians.  Bars:
# >= 5,000 heartbeats/s and >= 1,000 descriptor reports/s sustained,
# p99 < 100 ms, 0 lost, ingest / raw inserts > 1.
#
#   bench/agents.sh [MACHINES [SECONDS [ROUNDS]]]   (after `make`; 20000 60 3)
#   AGENTS_CONNECTIONS (64), AGENTS_HEARTBEAT_RATE (5000),
#   AGENTS_DESCRIPTOR_RATE (1000), AGENTS_PERF=1: perf record the server
#   during the first max run (report in the work directory, kept).
set -eu
cd "$(dirname "$0")/.."
MACHINES=${1:-20000}
SECONDS_EACH=${2:-60}
ROUNDS=${3:-3}
CONNS=${AGENTS_CONNECTIONS:-64}
HB_RATE=${AGENTS_HEARTBEAT_RATE:-5000}
DESC_RATE=${AGENTS_DESCRIPTOR_RATE:-1000}
BUILD=${COVALID_BUILD:-build}
COVALID=$BUILD/covalid
SIM=$BUILD/bench/agentsim
command -v jq >/dev/null || { echo "bench/agents.sh: jq is not installed (make setup)" >&2; exit 2; }
[ -x "$COVALID" ] && [ -x "$SIM" ] && [ -x "$BUILD/bench/sqlite-insert" ] ||
	{ echo "bench/agents.sh: build first (make all $BUILD/bench/agentsim $BUILD/bench/sqlite-insert)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/covalid-bench-agents.XXXXXX")
SERVER_PID=
KEEP=
cleanup() {
	[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

# ---- the fleet's descriptors: real ones, of hypervisor guests ----
# The seed's configuration (RHEL 5.3 on Windows Server 2008 Hyper-V) three
# times over: most of a fleet is what was validated.
FIXTURES="hyperv2008-rhel53 hyperv2008-rhel53 hyperv2008-rhel53 hyperv2008-rhel52 hyperv2008-rhel53-modules-only
kvm-qemu-rhel92 rhev-rhel65 ovirt-centos7 kvm-centos7-e1000 vmware-rhel79-noagent vmware-sles11sp4 xen-hvm-debian10
azure-ubuntu2204 win-2008r2-hyperv win-2008-x64-rhel-kvm win-2008-vmware"
D=
i=0
for f in $FIXTURES; do
	"$COVALID" probe --json --root "tests/fixtures/$f/root" >"$W/d$i.json" 2>"$W/probe.err" ||
		{ echo "bench/agents.sh: covalid probe --root tests/fixtures/$f/root: $(cat "$W/probe.err")" >&2; exit 1; }
	D="$D --descriptor $W/d$i.json"
	i=$((i + 1))
done

# ---- the server, durable, with a customer and its administrator ----
"$COVALID" catalog import --db "$W/db" data/products.jsonl data/validated-configs.jsonl >/dev/null
"$COVALID" admin bootstrap --db "$W/db" --token-file "$W/owner.token" >/dev/null
. bench/lib/serve.sh
serve_start --max-client-connections $((CONNS + 16))
"$COVALID" admin customer add "Bench Fleet" --id fleet $O >/dev/null
"$COVALID" admin user add "Fleet Admin" --role customer-admin --customer fleet --out "$W/cust.token" $O >/dev/null

S="--url $URL --state $W/state --connections $CONNS $D"
: >"$W/results"

# The server's CPU seconds and bytes written to disk so far (/proc): per
# run, what a report costs it.
TICK=$(getconf CLK_TCK)
server_snap() { echo "$(awk -v t="$TICK" '{ print ($14 + $15) / t }' "/proc/$SERVER_PID/stat") $(awk '$1 == "write_bytes:" { print $2 }' "/proc/$SERVER_PID/io")"; }
# The same by thread (the server names them: docs/server.md), as JSON
# {"name": cpu seconds}: which stage a report's cost is in, and whether one
# thread (the writer) is the limit.
threads_snap() {
	for t in /proc/"$SERVER_PID"/task/*; do
		printf '%s %s\n' "$(cat "$t/comm")" "$(awk '{ print $14 + $15 }' "$t/stat")"
	done 2>/dev/null | awk -v t="$TICK" '{ s[$1] += $2 } END { printf "{"; n = 0; for (k in s) printf "%s\"%s\":%.2f", (n++ ? "," : ""), k, s[k] / t; printf "}" }'
}
# sim LABEL ARGS...: one agentsim run, its JSON line with the server's costs added
sim() {
	label=$1
	shift
	before=$(server_snap)
	tbefore=$(threads_snap)
	"$SIM" run $S --label "$label" "$@" >"$W/run.json" 2>>"$W/sim.err"
	after=$(server_snap)
	tafter=$(threads_snap)
	# The machine's load: other work on these cores shows in the figures.
	jq -c --arg b "$before" --arg a "$after" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
		--argjson tb "$tbefore" --argjson ta "$tafter" --argjson elapsed "$(jq '.elapsed_s' "$W/run.json")" \
		'($b | split(" ") | map(tonumber)) as $b | ($a | split(" ") | map(tonumber)) as $a | .loadavg_1m = ($load | tonumber) |
		(.acked.heartbeats + .acked.descriptors) as $n |
		. + {server: {cpu_s: ($a[0] - $b[0]), write_bytes: ($a[1] - $b[1]),
			cpu_us_per_report: (if $n > 0 then ($a[0] - $b[0]) * 1e6 / $n else null end),
			write_bytes_per_report: (if $n > 0 then ($a[1] - $b[1]) / $n else null end),
			threads_us_per_report: (if $n > 0 then ($ta | with_entries(.value = (((.value - ($tb[.key] // 0)) * 1e6 / $n) | round)))
				else null end),
			threads_busy: ($ta | with_entries(.value = (((.value - ($tb[.key] // 0)) / $elapsed) * 100 | round / 100)))}}' \
		"$W/run.json" >>"$W/results"
}

# ---- enroll the fleet (and each machine's first, full report) ----
"$SIM" enroll $S --token-file "$W/cust.token" --machines "$MACHINES" >>"$W/results" 2>"$W/sim.err" ||
	{ echo "bench/agents.sh: enrolling failed: $(cat "$W/sim.err")" >&2; KEEP=1; exit 1; }

# ---- rounds: target, raw inserts, max ----
RAW_SECONDS=$((SECONDS_EACH < 10 ? SECONDS_EACH : 10))
r=1
while [ $r -le "$ROUNDS" ]; do
	sim "target-$r" --heartbeat-rate "$HB_RATE" --descriptor-rate "$DESC_RATE" --duration "$SECONDS_EACH"
	bytes=$(jq -s -r 'map(select(.mode == "open"))[-1] | .body_bytes_mean as $b |
		(.acked.heartbeats * $b.heartbeat + .acked.descriptors * $b.descriptor) / ((.acked.heartbeats + .acked.descriptors) | if . == 0 then 1 else . end) | floor' "$W/results")
	"$BUILD/bench/sqlite-insert" "$W/raw-$r.db" "$RAW_SECONDS" "$bytes" |
		awk -v b="$bytes" '{ printf "{\"mode\":\"raw\",\"row_bytes\":%d,\"inserts_per_s\":%s}\n", b, $2 }' >>"$W/results"
	rm -f "$W/raw-$r.db" "$W/raw-$r.db-wal" "$W/raw-$r.db-shm"
	if [ $r = 1 ] && [ "${AGENTS_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
		perf record -g -o "$W/perf.data" -p "$SERVER_PID" -- sleep "$SECONDS_EACH" >/dev/null 2>&1 &
		PERF_PID=$!
		KEEP=1
	fi
	sim "max-$r" --max --heartbeat-rate "$HB_RATE" --descriptor-rate "$DESC_RATE" --duration "$SECONDS_EACH"
	[ -n "${PERF_PID:-}" ] && wait "$PERF_PID" && PERF_PID= &&
		perf report -i "$W/perf.data" --no-children --percent-limit 1 --stdio >"$W/perf.txt" 2>/dev/null
	r=$((r + 1))
done

# ---- nothing lost ----
m0=$(curl -sf "$URL/metrics" 2>/dev/null | awk '$1 == "covalid_reports_ingested_total" { print $2 }' || true)
# Connections the server cut for a slow request head: a busy kept-alive
# connection cut this way is a server bug (guard.c), not a slow client.
slowheads=$(curl -sf "$URL/metrics" 2>/dev/null | awk '$1 == "covalid_http_slow_heads_closed_total" { print $2 }' || true)
"$SIM" verify $S --token-file "$W/cust.token" >>"$W/results" 2>>"$W/sim.err" || true
cp "$W/results" "${AGENTS_RESULTS:-/dev/null}" 2>/dev/null || true

# ---- report: medians ----
med() { jq -s -r "map(select($1)) | map($2) | sort | if length == 0 then 0 elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end" "$W/results"; }
enr=$(jq -s -c 'map(select(.mode == "enroll"))[0]' "$W/results")
hb=$(med '.mode == "open"' .rates.heartbeats_per_s)
de=$(med '.mode == "open"' .rates.descriptors_per_s)
p50=$(med '.mode == "open"' .latency_ms.all.p50)
p99=$(med '.mode == "open"' .latency_ms.all.p99)
p99max=$(jq -s -r 'map(select(.mode == "open") | .latency_ms.all.p99) | max' "$W/results")
mx=$(jq -s -r 'map(select(.mode == "open") | .latency_ms.all.max) | max' "$W/results")
errs=$(jq -s -r 'map(select(.mode == "open" or .mode == "max") | .errors.total) | add' "$W/results")
# ... and what they were (agentsim's errors.by_kind: "http 503 unavailable", "recv: ECONNRESET", ...)
errkinds=$(jq -s -r 'map(select(.mode == "open" or .mode == "max") | .errors.by_kind // {} | to_entries[]) | group_by(.key) |
	map("\(map(.value) | add) \(.[0].key)") | join(", ")' "$W/results")
notsent=$(jq -s -r 'map(select(.mode == "open") | .not_sent.total) | add' "$W/results")
mt=$(med '.mode == "max"' .rates.total_per_s)
mhb=$(med '.mode == "max"' .rates.heartbeats_per_s)
mde=$(med '.mode == "max"' .rates.descriptors_per_s)
mp99=$(med '.mode == "max"' .latency_ms.all.p99)
raw=$(med '.mode == "raw"' .inserts_per_s)
rawb=$(jq -s -r 'map(select(.mode == "raw"))[0].row_bytes' "$W/results")
ver=$(jq -s -c 'map(select(.mode == "verify"))[0]' "$W/results")
lost=$(printf '%s' "$ver" | jq -r 'if . == null then -1 else .lost_seq + .lost_reports + .missing + .failed end')
nofields=$(printf '%s' "$ver" | jq -r 'if . == null then 0 else .no_fields end')
acked=$(printf '%s' "$ver" | jq -r 'if . == null then 0 else .acked_applied end')
hbb=$(jq -s -r 'map(select(.mode == "open"))[0].body_bytes_mean.heartbeat' "$W/results")
deb=$(jq -s -r 'map(select(.mode == "open"))[0].body_bytes_mean.descriptor' "$W/results")
ccpu=$(med '.mode == "open"' '.client_cpu_s / .elapsed_s')

echo "bench/agents.sh: $MACHINES machines, $CONNS connections, $ROUNDS rounds x ${SECONDS_EACH} s, medians ($(nproc) CPUs, simulator on the same cores; 1-minute load average after the runs: $(jq -s -r 'map(select(.loadavg_1m) | .loadavg_1m) | map(tostring) | join(" ")' "$W/results"))"
printf '%s' "$enr" | jq -r '"  enrolled \(.machines) machines in \(.enroll_s | . * 10 | round / 10) s (\(.enroll_per_s | round)/s); their first full reports in \(.first_reports_s | . * 10 | round / 10) s (\(.first_reports_per_s | round)/s)"'
echo "  open loop at $HB_RATE heartbeats/s + $DESC_RATE descriptor reports/s (bodies: heartbeat $hbb bytes, descriptor $deb bytes):"
echo "    acknowledged: $hb heartbeats/s, $de descriptor reports/s; latency p50 $p50 ms, p99 $p99 ms (worst round $p99max), max $mx ms"
echo "    (latency from each report's scheduled time; the simulator used $(awk -v c="$ccpu" 'BEGIN { printf "%.0f", c * 100 }')% of a core)"
echo "  max throughput (closed loop, the same mix): $mt reports/s ($mhb heartbeats/s + $mde descriptor reports/s), p99 $mp99 ms"
echo "    the server's cost a report: $(med '.mode == "max"' .server.cpu_us_per_report | xargs printf '%.0f') us of CPU, $(med '.mode == "max"' .server.write_bytes_per_report | xargs printf '%.0f') bytes written to disk (open loop: $(med '.mode == "open"' .server.cpu_us_per_report | xargs printf '%.0f') us, $(med '.mode == "open"' .server.write_bytes_per_report | xargs printf '%.0f') bytes)"
echo "    by thread, us a report (max run, median): $(jq -s -r 'map(select(.mode == "max") | .server.threads_us_per_report) | .[length / 2 | floor] // {} | to_entries | sort_by(-.value) | map("\(.key) \(.value)") | join(", ")' "$W/results")"
echo "    busiest thread: $(jq -s -r 'map(select(.mode == "max") | .server.threads_busy) | .[length / 2 | floor] // {} | to_entries | map(select(.key != "covalid-work" and .key != "covalid-write" and .key != "MHD-worker")) | sort_by(-.value) | .[0] | "\(.key) \(.value * 100 | round)% of a core"' "$W/results") (one thread; the pools and event threads are several)"
echo "  raw SQLite, one durable insert a row of $rawb bytes: $raw /s"
awk -v a="$mt" -v b="$raw" 'BEGIN { printf "  ratio max ingest / raw durable inserts: %.3f\n", a / b }'
printf '%s' "$ver" | jq -r 'if . == null then "  verify: did not run" else "  verify: \(.verified) of \(.machines) machines read back; acknowledged applied reports \(.acked_applied), the server holds \(.server_reports); seq behind \(.lost_seq), reports behind \(.lost_reports), missing \(.missing), exact \(.exact)\(if .no_fields > 0 then "; \(.no_fields) answers without seq/reports" else "" end)" end'
[ -n "$m0" ] && echo "  /metrics covalid_reports_ingested_total at the end: $m0 (acknowledged and applied by the simulator: $acked)"
echo "  non-2xx answers or connection errors in the runs: $errs${errkinds:+ ($errkinds)}; reports the open loop scheduled that were not answered in time: $notsent${slowheads:+; connections the server cut for a slow head: $slowheads}"
echo "bars:"
bar() { if [ "$2" = 1 ]; then echo "  [met]    $1"; else echo "  [MISSED] $1"; BAD=1; fi; }
BAD=
t() { awk "BEGIN { print ($1) ? 1 : 0 }"; }
bar ">= 5,000 heartbeats/s sustained for ${SECONDS_EACH} s: $hb (unanswered: $notsent)" "$(t "$hb >= 5000 && $notsent == 0")"
bar ">= 1,000 changed-descriptor reports/s sustained: $de (unanswered: $notsent)" "$(t "$de >= 1000 && $notsent == 0")"
bar "p99 < 100 ms: $p99 ms" "$(t "$p99 < 100")"
bar "no report lost: $lost lost$( [ "$nofields" -gt 0 ] && echo " ($nofields machines without seq/reports in the API: not checkable)")" "$(t "$lost == 0 && $nofields == 0 && $errs >= 0")"
bar "ingest / raw durable inserts > 1 (group commit beats one transaction a row): $(awk -v a="$mt" -v b="$raw" 'BEGIN { printf "%.3f", a / b }')" "$(t "$mt > $raw")"
echo "(results: one JSON line each run; AGENTS_RESULTS=FILE keeps them)"
[ -z "$KEEP" ] || echo "(work directory kept: $W)"
[ -z "$BAD" ] || { echo "bench/agents.sh: bar missed"; exit 1; }
