#!/bin/sh
# t9001: the monitoring agent (covalid agent) end to end against the real
# `covalid serve`: a customer's administrator enrolls the machine (again:
# the same machine id), `agent run --once --root` reports a captured
# machine (tests/fixtures/hyperv2008-rhel53: RHEL 5.3 on Windows Server
# 2008 Hyper-V, 1 vCPU, validated), the next run sends a heartbeat only,
# a second vCPU (the -2vcpu fixture's cpuinfo) sends the descriptor again
# and the server sees the drift; with the server down reports are spooled
# and, with it back, sent in order; the static guest binary and
# covalid.exe under wine report too; the Windows service runs if wine can.
#
# Expected values come from the fixture's files (vCPUs: its
# /proc/cpuinfo's "processor" lines; memory: its /proc/meminfo; load: its
# /proc/loadavg; kernel errors: its dev/kmsg records of priority <= 3,
# Documentation/ABI/testing/dev-kmsg) and from the server's own counters
# (/metrics: covalid_reports_ingested_total counts applied reports,
# covalid_heartbeats_total those without a descriptor; a machine's "seq"
# and "reports").
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; [ -n "$LOOP_PID" ] && kill "$LOOP_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

support_begin
ok "the support programme is set up ($URL)"
jf() { f=$1; shift; jq -e "$@" "$f" >/dev/null; }
metric() { curl -s --max-time 10 "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
machine() { as cust GET "/api/v1/machines/$1" >/dev/null; }
ST="$TMP/state"
FIX="$SRC/tests/fixtures/hyperv2008-rhel53/root"

# ---- bad input: one line naming it, non-zero ----
expect_exit 2 "enroll: a missing token file is exit 2" \
	"$COVALID" agent enroll --server "$URL" --token-file "$TMP/nope" --state "$ST"
check "... the error names the file" grep -q "token file $TMP/nope" "$TMP/err"
check "... one line" test "$(wc -l <"$TMP/err")" -eq 1
expect_exit 2 "enroll: an https URL is exit 2" \
	"$COVALID" agent enroll --server "https://example.org" --token-file "$TMP/tok/cust" --state "$ST"
check "... naming the URL" grep -q "https://example.org" "$TMP/err"
expect_exit 2 "enroll: a URL that is not one is exit 2" \
	"$COVALID" agent enroll --server "ftp:/x" --token-file "$TMP/tok/cust" --state "$ST"
expect_exit 2 "enroll: an --interval out of 10..86400 is exit 2" \
	"$COVALID" agent enroll --server "$URL" --token-file "$TMP/tok/cust" --state "$ST" --interval 5
expect_exit 2 "enroll with a vendor's token: the server's 403 is exit 2" \
	"$COVALID" agent enroll --server "$URL" --token-file "$TMP/tok/ms" --state "$ST"
check "... naming the server and the refusal" grep -q "$URL: enrollment refused: HTTP 403" "$TMP/err"
mkdir -p "$TMP/open" && chmod 777 "$TMP/open"
expect_exit 2 "enroll into a state directory others may write: exit 2" \
	"$COVALID" agent enroll --server "$URL" --token-file "$TMP/tok/cust" --state "$TMP/open"
check "... naming it" grep -q "$TMP/open: others may write it" "$TMP/err"
expect_exit 2 "run before enrolling: exit 2" "$COVALID" agent run --once --state "$TMP/tok"
check "... 'not enrolled'" grep -q "not enrolled" "$TMP/err"

# ---- enroll, and again ----
expect_exit 0 "enroll with the customer administrator's token: exit 0" \
	"$COVALID" agent enroll --server "$URL" --token-file "$TMP/tok/cust" --state "$ST" --name web01
M=$(jq -r .machine "$ST/agent.json")
check "agent.json holds a machine id, mode 0600" sh -c "echo '$M' | grep -Eq '^m-[0-9a-f]{16}$' && test \"\$(stat -c %a '$ST/agent.json')\" = 600"
check "... the state directory is private (0700)" test "$(stat -c %a "$ST")" = 700
as cust GET /api/v1/machines >/dev/null
check "the server lists it for Contoso, named web01" j --arg m "$M" '.total == 1 and .items[0].id == $m and .items[0].name == "web01" and .items[0].customer == "contoso"'
cred1=$(jq -r .credential "$ST/agent.json")
expect_exit 0 "enroll again: exit 0" \
	"$COVALID" agent enroll --server "$URL" --token-file "$TMP/tok/cust" --state "$ST" --name web01
check "... the same machine id" test "$(jq -r .machine "$ST/agent.json")" = "$M"
check "... a new credential" test "$(jq -r .credential "$ST/agent.json")" != "$cred1"
as cust GET /api/v1/machines >/dev/null
check "... still one machine at the server" j '.total == 1'
expect_exit 2 "run --root of a directory that does not exist: exit 2" \
	"$COVALID" agent run --once --state "$ST" --root "$TMP/no-such-root"
check "... naming it" grep -q "$TMP/no-such-root" "$TMP/err"

# ---- the first report: the descriptor ----
cp -a "$FIX" "$TMP/root"
printf '0.50 0.25 0.10 1/80 4242\n' >"$TMP/root/proc/loadavg"
mkdir -p "$TMP/root/dev"
# prio = facility << 3 | level: 3 (err) and 10 (1<<3|2, crit) count; 6 and 12 (1<<3|4) do not.
printf '%s\n' '6,1,100,-;Linux version 2.6.18-128.el5' '3,2,200,-;end_request: I/O error, dev sda, sector 42' \
	'12,3,300,-;a warning' '10,4,400,-;EXT3-fs error (device sda1)' >"$TMP/root/dev/kmsg"
want_vcpus=$(grep -c '^processor' "$TMP/root/proc/cpuinfo")
want_mem=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { printf "%.1f", 100 * (t - a) / t }' "$TMP/root/proc/meminfo")
want_errors=$(awk -F'[,;]' '$1 % 8 <= 3' "$TMP/root/dev/kmsg" | wc -l)
expect_exit 0 "run --once --root FIXTURE: exit 0 (delivered)" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
check "the server counts one report, none of them a heartbeat" \
	test "$(metric covalid_reports_ingested_total) $(metric covalid_heartbeats_total)" = "1 0"
machine "$M"
check "the machine: seq 1, validated, with the fixture's $want_vcpus vCPU" \
	j --argjson v "$want_vcpus" '.seq == 1 and .reports == 1 and .verdict == "validated" and .vcpus == $v and .descriptor.guest.os.id == "rhel"'
check "... its health from the fixture: memory $want_mem %, load 0.50 0.25 0.10, $want_errors kernel errors" \
	j --argjson m "$want_mem" --argjson e "$want_errors" \
	'.health.mem_pct == $m and .health.load == [0.5, 0.25, 0.1] and .health.errors.count == $e and (.health.errors.recent | index("EXT3-fs error (device sda1)"))'
check "... the integration components the fixture binds (vmbus storvsc netvsc)" \
	j '.health.components.missing == [] and (.health.components.present | index("vmbus")) and (.health.components.present | index("storvsc")) and (.health.components.present | index("netvsc"))'

# ---- the second: a heartbeat ----
printf '%s\n' '3,5,500,-;sd 0:0:0:0: timing out command' >>"$TMP/root/dev/kmsg"
expect_exit 0 "run --once again, nothing changed: exit 0" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
check "the server counts a heartbeat (reports 2, heartbeats 1)" \
	test "$(metric covalid_reports_ingested_total) $(metric covalid_heartbeats_total)" = "2 1"
machine "$M"
check "... seq 2; only the kernel error logged since the last report is counted" \
	j '.seq == 2 and .health.errors.count == 1 and .health.errors.recent == ["sd 0:0:0:0: timing out command"]'
# The agent and the server read one clock here: the offset the first
# answer gave (server_time_ms against the exchange's midpoint) is near 0.
check "... a clock offset from the first answer, within 1 s (one clock)" \
	j '(.health.clock_offset_ms | type) == "number" and .health.clock_offset_ms > -1000 and .health.clock_offset_ms < 1000'

# ---- a second vCPU: the descriptor again, and the drift ----
cp "$SRC/tests/fixtures/hyperv2008-rhel53-2vcpu/root/proc/cpuinfo" "$TMP/root/proc/cpuinfo"
want_vcpus=$(grep -c '^processor' "$TMP/root/proc/cpuinfo")
expect_exit 0 "the fixture gains a vCPU; run --once: exit 0" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
check "the descriptor was sent (reports 3, heartbeats still 1)" \
	test "$(metric covalid_reports_ingested_total) $(metric covalid_heartbeats_total)" = "3 1"
machine "$M"
check "the machine has $want_vcpus vCPUs and left its validated configuration" \
	j --argjson v "$want_vcpus" '.vcpus == $v and .verdict != "validated" and (.differences | map(test("2 vCPUs")) | any)'
check "... a machine.drifted event" j '[.events[].kind] | index("machine.drifted")'

# ---- the server down: spooled; back: sent in order ----
PORT=${URL##*:}
server_stop
for i in 1 2 3; do
	expect_exit 1 "server down: run --once $i is exit 1 (spooled)" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
done
check "... the error names the server and the spool" grep -q "$URL: cannot connect.*spool" "$TMP/err"
"$COVALID" agent status --state "$ST" --json >"$TMP/status.json"
check "agent status: 3 reports spooled, seq 4 to 6" \
	jf "$TMP/status.json" '.spool.reports == 3 and .spool.oldest_seq == 4 and .spool.newest_seq == 6 and .seq == 6'
check "the spool holds them as files, oldest first by name" \
	test "$(ls "$ST/spool" | tr '\n' ' ')" = "00000000000000000004-h.json 00000000000000000005-h.json 00000000000000000006-h.json "
server_start "$DB" --listen "127.0.0.1:$PORT" || not_ok "the server restarts on port $PORT"
expect_exit 0 "the server back: run --once sends the spool and a new report: exit 0" \
	"$COVALID" agent run --once --state "$ST" --root "$TMP/root"
check "... the spool is empty" test -z "$(ls "$ST/spool")"
machine "$M"
# A seq at or below the stored one is acknowledged but not applied: had
# any come out of order, fewer than 7 would have been applied.
check "the server applied all 7 in order (seq 7, 7 reports)" j '.seq == 7 and .reports == 7'
check "... the restarted server counted the 4 as heartbeats" \
	test "$(metric covalid_reports_ingested_total) $(metric covalid_heartbeats_total)" = "4 4"

# ---- reports the full spool dropped: told with the next report ----
# (the spool's bound itself: tests/unit/test-agent.c; here the count it
# leaves in run.json, as a full spool would)
jq '.dropped = 2' "$ST/run.json" >"$TMP/run.json" && cat "$TMP/run.json" >"$ST/run.json"
expect_exit 0 "2 reports dropped by the spool: run --once: exit 0" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
machine "$M"
check "... a machine.reports-dropped event with the count" \
	j '[.events[] | select(.kind == "machine.reports-dropped")] | length == 1 and .[0].details.dropped == 2'
"$COVALID" agent status --state "$ST" --json >"$TMP/status.json"
check "... the count is reset once sent" jf "$TMP/status.json" '.dropped_unreported == 0'
expect_exit 0 "the next report: exit 0" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
machine "$M"
check "... tells no drop again" j '[.events[] | select(.kind == "machine.reports-dropped")] | length == 1'

# ---- a report the server will never take: moved aside, the rest goes ----
# 20 reports rejected long ago are there already: the folder keeps the newest 16.
mkdir -p "$ST/rejected"
for i in $(seq 1 20); do printf x >"$ST/rejected/$(printf %016d "$i")-00000000000000000001-h.json"; done
printf '{"schema": "covalid.report/1", "machine": "%s", "seq": 0}' "$M" >"$ST/spool/00000000000000000000-h.json"
expect_exit 2 "a spooled report the server rejects (seq 0): exit 2" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
check "... naming the report and the server's reason" grep -q "report 0 rejected: HTTP 400: seq" "$TMP/err"
check "... moved to DIR/rejected (named by when), out of the spool" \
	sh -c "ls '$ST/rejected' | grep -q '^[0-9]\{16\}-00000000000000000000-h.json\$' && test -z \"\$(ls '$ST/spool')\""
check "... which keeps the newest 16 rejected reports, this one among them" \
	sh -c "test \$(ls '$ST/rejected' | wc -l) -eq 16 && ! test -e '$ST/rejected/0000000000000005-00000000000000000001-h.json' && test -e '$ST/rejected/0000000000000006-00000000000000000001-h.json'"
machine "$M"
check "... and the new report still went (seq 10, 10 reports)" j '.seq == 10 and .reports == 10'

# ---- a credential the server refuses ----
cp "$ST/agent.json" "$TMP/agent.json.good"
jq '.credential = "cv_not-the-machines-credential"' "$TMP/agent.json.good" >"$ST/agent.json" && chmod 600 "$ST/agent.json"
expect_exit 2 "a refused credential is exit 2" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
check "... saying so, naming the server" grep -q "$URL: the machine's credential was refused" "$TMP/err"
check "... the report stays spooled" test "$(ls "$ST/spool" | wc -l)" -eq 1
cp "$TMP/agent.json.good" "$ST/agent.json"
jq '.machine = "../../x"' "$TMP/agent.json.good" >"$ST/agent.json"
expect_exit 2 "a tampered agent.json is exit 2" "$COVALID" agent run --once --state "$ST"
check "... naming the file and the field" grep -q "$ST/agent.json: field 'machine'" "$TMP/err"
cp "$TMP/agent.json.good" "$ST/agent.json"
expect_exit 0 "restored: the spooled report goes" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
machine "$M"
check "... seq 12, 12 reports" j '.seq == 12 and .reports == 12'

# ---- the loop: reports, and SIGTERM stops it ----
"$COVALID" agent run --state "$ST" --root "$TMP/root" --interval 10 >"$TMP/loop.out" 2>&1 &
LOOP_PID=$!
i=0
while [ $i -lt 100 ]; do
	machine "$M"
	j '.seq == 13' && break
	sleep 0.1
	i=$((i + 1))
done
check "agent run (the loop) reports at once" j '.seq == 13'
kill -TERM "$LOOP_PID"
i=0
while kill -0 "$LOOP_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM stops it within 5 s" sh -c "! kill -0 $LOOP_PID 2>/dev/null"
wait "$LOOP_PID"
check "... with exit 0" test $? -eq 0
LOOP_PID=

# ---- the static guest binary ----
GUEST_BIN=${COVALID_GUEST:-$SRC/build/guest}/covalid-linux-x86_64
if [ -x "$GUEST_BIN" ]; then
	expect_exit 0 "the static guest binary: agent run --once: exit 0" "$GUEST_BIN" agent run --once --state "$ST" --root "$TMP/root"
	machine "$M"
	check "... the server has its report (seq 14)" j '.seq == 14 and .reports == 14'
	expect_exit 0 "... and agent status" "$GUEST_BIN" agent status --state "$ST"
	check "... which shows the machine" grep -q "$M" "$TMP/out"
else
	not_ok "the static guest binary $GUEST_BIN is built (make guest)"
fi

# ---- the loop with the server down: it retries before the next interval ----
server_stop
"$COVALID" agent run --state "$ST" --root "$TMP/root" --interval 60 >"$TMP/loop.out" 2>&1 &
LOOP_PID=$!
sleep 3 # the first attempt (at 0 s) and the first retry (2 s later) find no server
server_start "$DB" --listen "127.0.0.1:$PORT" || not_ok "the server restarts on port $PORT"
t0=$(date +%s)
i=0
while [ $i -lt 200 ]; do
	machine "$M"
	j '.seq == 15' && break
	sleep 0.1
	i=$((i + 1))
done
t1=$(date +%s)
# The backoff: 2 s, then 4, 8 ... from the first failure, so the report
# spooled at 0 s goes within about 6 s of it, not at the next interval (60 s).
check "the loop's spooled report goes once the server is back, long before the 60 s interval ($((t1 - t0)) s)" \
	sh -c "[ $((t1 - t0)) -lt 20 ] && jq -e '.seq == 15' '$TMP/resp' >/dev/null"
check "... its spool-then-deliver is in the loop's output" grep -q "report 15 spooled" "$TMP/loop.out"
kill -TERM "$LOOP_PID"
wait "$LOOP_PID"
LOOP_PID=

# ---- the agent's own count goes back (run.json lost, or restored with a snapshot) ----
# The server has applied 15; the agent, without run.json, numbers from 1.
rm -f "$ST/run.json"
expect_exit 0 "run.json lost: run --once delivers report 1 (a duplicate)" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
check "... which the agent says was already applied" grep -q "duplicate" "$TMP/out" "$TMP/err"
machine "$M"
check "... and the server did not apply (seq 15, 15 reports)" j '.seq == 15 and .reports == 15'
expect_exit 0 "the next run --once" "$COVALID" agent run --once --state "$ST" --root "$TMP/root"
machine "$M"
check "... numbers on from the server's last applied report, and is applied (seq 16)" j '.seq == 16 and .reports == 16'

# ---- covalid.exe under wine ----
. "$SRC/tests/lib/wine.sh"
trap '"$WINESERVER" -k >/dev/null 2>&1; server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT
if [ -f "$COVALID_WIN" ] && [ -x "$WINE64" ]; then
	WST="$TMP/wstate"
	printf '%s\n' "$(cat "$TMP/tok/cust")" >"$TMP/tok/cust-win"
	wine_covalid agent enroll --server "$URL" --token-file "$(wine_path "$TMP/tok/cust-win")" --state "$(wine_path "$WST")" \
		--name win01 >"$TMP/out" 2>"$TMP/err"
	check "covalid.exe agent enroll: exit 0" test $? -eq 0
	WM=$(jq -r .machine "$WST/agent.json" 2>/dev/null)
	wine_covalid agent run --once --state "$(wine_path "$WST")" >"$TMP/out" 2>"$TMP/err"
	check "covalid.exe agent run --once: exit 0" test $? -eq 0
	[ -s "$TMP/err" ] && diag "$(cat "$TMP/err")"
	machine "$WM"
	check "... the server has win01's report: seq 1, a Windows descriptor" \
		j '.name == "win01" and .seq == 1 and .reports == 1 and .descriptor.guest.os.id == "windows"'
	check "... with health: memory and the C: drive" j '(.health.mem_pct | type) == "number" and (.health.disks | map(.path) | index("C:\\"))'

	# The service: installed, started by the service control manager,
	# stopped by SERVICE_CONTROL_STOP, removed.  Its start type is
	# automatic, so wine would start it in every later session of this
	# prefix: it is removed whatever happens.
	wine_sc() { "$WINE64" sc "$@" 2>/dev/null | tr -d '\r'; }
	"$WINESERVER" -p 30 >/dev/null 2>&1
	wine_covalid agent service install --state "$(wine_path "$WST")" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		skip "covalid.exe agent service install" "wine refused it: $(cat "$TMP/err")"
	else
		trap 'wine_covalid agent service uninstall >/dev/null 2>&1; "$WINESERVER" -k >/dev/null 2>&1; server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT
		ok "covalid.exe agent service install: exit 0"
		# (wine's sc has no qc: the service's registry key says the same.
		# winsvc.h: Start 2 is SERVICE_AUTO_START, Type 0x10 SERVICE_WIN32_OWN_PROCESS.)
		"$WINE64" reg query 'HKLM\System\CurrentControlSet\Services\covalid-agent' 2>/dev/null | tr -d '\r' >"$TMP/qc"
		check "... registered: automatic start, its own process, running agent run --service --state DIR" \
			sh -c "grep -Eq 'Start +REG_DWORD +0x2\$' '$TMP/qc' && grep -Eq 'Type +REG_DWORD +0x10\$' '$TMP/qc' &&
			       grep -q 'ImagePath.*covalid.exe\" agent run --service --state \"Z:.*wstate\"' '$TMP/qc'"
		[ -s "$TMP/qc" ] || diag "reg query found no service key"
		wine_sc start covalid-agent >/dev/null
		i=0
		while [ $i -lt 100 ]; do
			machine "$WM"
			j '.seq >= 2' && break
			sleep 0.2
			i=$((i + 1))
		done
		check "the service reports (win01's seq 2)" j '.seq >= 2'
		wine_sc stop covalid-agent >/dev/null
		i=0
		while [ $i -lt 50 ]; do
			wine_sc query covalid-agent >"$TMP/q"
			grep -q 'STOPPED' "$TMP/q" && break
			sleep 0.2
			i=$((i + 1))
		done
		check "SERVICE_CONTROL_STOP stops it, exit code 0" sh -c "grep -q 'STATE *: 1 *STOPPED' '$TMP/q' && grep -q 'WIN32_EXIT_CODE *: 0' '$TMP/q'"
		[ -s "$TMP/q" ] && ! grep -q STOPPED "$TMP/q" && diag "$(cat "$TMP/q")"
		wine_covalid agent service uninstall >"$TMP/out" 2>"$TMP/err"
		check "covalid.exe agent service uninstall: exit 0" test $? -eq 0
		check "... the service is gone" sh -c "! '$WINE64' sc query covalid-agent 2>/dev/null | grep -q SERVICE_NAME"
	fi
elif [ "${COVALID_REQUIRE_WIN:-0}" = 1 ]; then
	not_ok "covalid.exe (make win) and wine64 are here"
else
	skip "covalid.exe agent run --once under wine" "no $COVALID_WIN or $WINE64"
fi
done_testing
