#!/bin/sh
# t9002: monitoring's server side end to end on the real `covalid serve`
# (docs/monitor.md): a customer's administrator enrolls a machine, its
# agent reports, the machine drifts out of its validated configuration and
# back, goes quiet, and only those who may see it do.  The agent here is
# curl: what the agent sends is written out in full, so every expected
# answer follows from the request and the catalog.
#
# The machine is the seed's: RHEL 5.3 x86_64 on Windows Server 2008
# Hyper-V (tests/fixtures/hyperv2008-rhel53: 1 vCPU, host 6.0 build 6002,
# vmbus/storvsc/netvsc bound).  Its catalog rows, data/validated-configs.jsonl
# "ms-hv2008-ws-rhel5.3-x86_64" and "ms-hv2008-hvs-rhel5.3-x86_64", say:
#   "limits": {"max_vcpus": 1, "allowed_vcpus": [1], ...}
#   "conditions": ["uniprocessor VM (1 vCPU): LIC 2.0 supported only single-vCPU Linux VMs"]
#   "required_components": ["vmbus", "storvsc", "netvsc"]
#   "hypervisor": {"host_version": "6.0", "builds": ["6001", "6002"], ...}
# so: validated as probed; 2 vCPUs is out ("2 vCPUs; validated for 1"),
# storvsc missing is out ("missing integration component storvsc"), and a
# host at build 6000 (not among 6001, 6002) is out (hypervisor version).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# A sweep every second, so that a machine quiet for 2 s is late within the test.
support_begin --sweep-interval 1 --sample-interval 1
ok "the support programme is set up ($URL)"

KEY1=$(printf 'contoso web01 machine-id' | sha256sum | cut -c1-64)
KEY2=$(printf 'fabrikam db01 machine-id' | sha256sum | cut -c1-64)
# A digest per descriptor variant: the server keeps what the agent says;
# any 64 hex digits name a descriptor for this test.
dg() { printf '%s' "$1" | sha256sum | cut -c1-64; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# report SEQ DIGEST [DESCRIPTOR-FILE] [HEALTH-JSON]: a report body in $TMP/report.json
report() {
	jq -c -n --arg m "$M" --argjson seq "$1" --arg at "$(now)" --arg dg "$2" --argjson h "${4:-{\}}" \
		${3:+--slurpfile d "$3"} \
		'{schema: "covalid.report/1", machine: $m, seq: $seq, observed_at: $at, interval: 60,
		  descriptor_digest: $dg, health: $h} + (if $ARGS.named.d then {descriptor: $ARGS.named.d[0]} else {} end)' >"$TMP/report.json"
}
send() { api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/agent"; }

# ---- enrollment ----
check "a customer's administrator enrolls a machine: 201" test "$(as cust POST /api/v1/agent/enroll "{\"machine_key\": \"$KEY1\", \"name\": \"web01\", \"interval\": 60, \"agent\": {\"version\": \"0.1\", \"os\": \"linux\"}}")" = 201
check "... a machine id, a credential, the customer" j '(.machine | test("^m-[0-9a-f]{16}$")) and (.credential | startswith("cv_")) and .customer == "contoso" and .interval == 60'
M=$(jq -r .machine "$TMP/resp")
jq -r .credential "$TMP/resp" >"$TMP/tok/agent-old"
check "enrolling the same machine again: 200, the same machine" test "$(as cust POST /api/v1/agent/enroll "{\"machine_key\": \"$KEY1\", \"name\": \"web01\"}")" = 200
check "... the same id, a new credential" j --arg m "$M" --arg old "$(cat "$TMP/tok/agent-old")" '.machine == $m and .credential != $old'
jq -r .credential "$TMP/resp" >"$TMP/tok/agent"
as cust GET /api/v1/machines >/dev/null
check "... one machine listed, not two" j --arg m "$M" '.total == 1 and .items[0].id == $m and .items[0].name == "web01"'
check "a vendor's token cannot enroll: 403" test "$(as ms POST /api/v1/agent/enroll "{\"machine_key\": \"$KEY2\"}")" = 403
check "the owner must name the customer: 400" test "$(as owner POST /api/v1/agent/enroll "{\"machine_key\": \"$KEY2\"}")" = 400
check "the owner enrolls Fabrikam's machine: 201" test "$(as owner POST /api/v1/agent/enroll "{\"machine_key\": \"$KEY2\", \"name\": \"db01\", \"customer\": \"fabrikam\"}")" = 201
M2=$(jq -r .machine "$TMP/resp")
jq -r .credential "$TMP/resp" >"$TMP/tok/agent2"
check "a bad machine_key: 400 naming it" test "$(as cust POST /api/v1/agent/enroll '{"machine_key": "xyz"}')" = 400
check "... machine_key" j '.error.message | startswith("machine_key")'

# ---- the first report: validated ----
report 1 "$(dg v1)" "$TMP/d-validated.json" '{"cpu_pct": 3.2, "mem_pct": 41.0, "load": [0.1, 0.2, 0.3], "vcpus": 1, "disks": [{"path": "/", "used_pct": 55.1, "free_mib": 10240}], "clock_offset_ms": 12, "components": {"expected": ["vmbus", "storvsc", "netvsc"], "present": ["vmbus", "storvsc", "netvsc"], "missing": []}, "errors": {"count": 0, "recent": []}}'
check "the old credential no longer works: 401" test "$(api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/agent-old")" = 401
check "the first report with the descriptor: 200" test "$(send)" = 200
check "... applied, the verdict validated, the server's time" j --arg m "$M" '.machine == $m and .seq == 1 and .applied and (.need_descriptor | not) and .verdict == "validated" and .server_time_ms > 1700000000000'
check "the same seq again: acknowledged, not applied" test "$(send)" = 200
check "... applied false" j '(.applied | not) and .verdict == "validated"'
as cust GET "/api/v1/machines/$M" >/dev/null
check "GET the machine: validated by the 2008 Hyper-V RHEL 5.3 x86_64 row" j '.verdict == "validated" and (.config | test("^ms-hv2008-(ws|hvs)-rhel5.3-x86_64$")) and .differences == [] and .late == false and .flags == []'
check "... with its descriptor, the check (lifecycle included), health, history" j '.descriptor.guest.os.id == "rhel" and .check.schema == "covalid.check/1" and .check.verdict == "validated" and (.check.matches[0].lifecycle | type == "object") and .health.cpu_pct == 3.2 and (.history | length) == 1 and .history[0].verdict == "validated"'
check "... the guest and hypervisor in words, vcpus 1" j '(.guest | test("5.3 x86_64")) and (.hypervisor | test("Hyper-V")) and .vcpus == 1'

# ---- a heartbeat: the digest unchanged, no descriptor ----
report 2 "$(dg v1)"
check "a heartbeat: 200, applied" test "$(send)" = 200
check "... no descriptor needed" j '.applied and (.need_descriptor | not) and .seq == 2'
report 3 "$(dg unknown)"
check "a digest the server has not seen: need_descriptor" test "$(send)" = 200
check "... the heartbeat still counts" j '.applied and .need_descriptor and .verdict == "validated"'

# ---- drift: a second vCPU ----
report 4 "$(dg 2vcpu)" "$TMP/d-2vcpu.json"
check "the machine now has 2 vCPUs: 200" test "$(send)" = 200
check "... not-validated" j '.verdict == "not-validated"'
as cust GET "/api/v1/machines/$M" >/dev/null
check "... the difference in plain words: 2 vCPUs; validated for 1" j '.verdict == "not-validated" and .reason == "vcpus" and (.differences[0] | startswith("2 vCPUs; validated for 1"))'
check "... history: validated, then not-validated (newest first)" j '[.history[].verdict] == ["not-validated", "validated"]'
as cust GET "/api/v1/machines/$M/events" >/dev/null
check "a machine.drifted event with the exact difference" j '.items[0].kind == "machine.drifted" and .items[0].details.previous == "validated" and .items[0].details.verdict == "not-validated" and (.items[0].details.differences[0] | startswith("2 vCPUs; validated for 1")) and (.items[0].summary | startswith("web01 left its validated configuration: 2 vCPUs; validated for 1"))'
check "... with the event schema and a seq" j '.items[0].schema == "covalid.event/1" and (.items[0].seq | type == "number") and .items[0].machine.id != null and .items[0].customer == "contoso"'
as cust GET "/api/v1/machines?verdict=drifted" >/dev/null
check "?verdict=drifted lists it" j --arg m "$M" '.total == 1 and .items[0].id == $m'

# ---- back to 1 vCPU: returned ----
report 5 "$(dg v1)" "$TMP/d-validated.json"
check "back to 1 vCPU: validated" test "$(send)" = 200 -a "$(jq -r .verdict "$TMP/resp")" = validated
as cust GET "/api/v1/machines/$M/events" >/dev/null
check "a machine.returned event" j '.items[0].kind == "machine.returned" and .items[0].details.previous == "not-validated" and .items[0].details.verdict == "validated"'

# ---- drift: an integration component removed ----
jq '.integration.present -= ["storvsc"] | .integration.missing += ["storvsc"]' "$TMP/d-validated.json" >"$TMP/d-nostorvsc.json"
report 6 "$(dg nostorvsc)" "$TMP/d-nostorvsc.json" '{"components": {"expected": ["vmbus", "storvsc", "netvsc"], "present": ["vmbus", "netvsc"], "missing": ["storvsc"]}}'
check "storvsc removed: not-validated" test "$(send)" = 200 -a "$(jq -r .verdict "$TMP/resp")" = not-validated
as cust GET "/api/v1/machines/$M" >/dev/null
check "... reason components, the difference names storvsc" j '.reason == "components" and .differences == ["missing integration component storvsc"]'
check "... the components health flag" j '.flags | index("components")'
as cust GET "/api/v1/machines/$M/events?limit=5" >/dev/null
check "... machine.drifted and machine.health (components) told" j '([.items[].kind] | index("machine.drifted") and index("machine.health")) and ([.items[] | select(.kind == "machine.drifted")][0].details.differences == ["missing integration component storvsc"])'

# ---- drift: the host moved to an unvalidated version ----
jq '.hypervisor.build = "6000"' "$TMP/d-validated.json" >"$TMP/d-host6000.json"
report 7 "$(dg host6000)" "$TMP/d-host6000.json" '{"components": {"expected": ["vmbus", "storvsc", "netvsc"], "present": ["vmbus", "storvsc", "netvsc"], "missing": []}}'
check "host build 6000: not-validated" test "$(send)" = 200 -a "$(jq -r .verdict "$TMP/resp")" = not-validated
as cust GET "/api/v1/machines/$M" >/dev/null
check "... reason hypervisor-version, the builds named" j '.reason == "hypervisor-version" and (.differences[0] | test("build 6000") and test("6001, 6002"))'
check "... the components flag cleared" j '(.flags | index("components")) | not'
as cust GET "/api/v1/machines/$M/events?limit=5" >/dev/null
check "... drifted further (still out) and health-cleared told" j '([.items[].kind] | index("machine.drifted") and index("machine.health-cleared")) and ([.items[] | select(.kind == "machine.drifted")][0].summary | test("still out"))'
report 8 "$(dg v1)" "$TMP/d-validated.json"
check "back on the validated host: validated" test "$(send)" = 200 -a "$(jq -r .verdict "$TMP/resp")" = validated

# ---- thresholds ----
check "the customer's settings: the defaults" test "$(as cust GET /api/v1/monitor/settings)" = 200
check "... heartbeat 300 s, cpu 90 %" j '.heartbeat_timeout_s == 300 and .cpu_pct == 90 and .customer == "contoso"'
check "a threshold out of range: 400 naming it" test "$(as cust PUT /api/v1/monitor/settings '{"cpu_pct": 101}')" = 400
check "... cpu_pct" j '.error.message | startswith("cpu_pct")'
check "an unknown setting: 400 naming it" test "$(as cust PUT /api/v1/monitor/settings '{"colour": 1}')" = 400
check "... colour" j '.error.message | test("colour")'
check "another customer's settings: 403" test "$(as cust GET '/api/v1/monitor/settings?customer=fabrikam')" = 403
check "cpu over 50 % flags: 200" test "$(as cust PUT /api/v1/monitor/settings '{"cpu_pct": 50}')" = 200
check "... kept, the rest as before" j '.cpu_pct == 50 and .heartbeat_timeout_s == 300 and .mem_pct == 90'
report 9 "$(dg v1)" "" '{"cpu_pct": 97.5}'
check "a report with cpu 97.5 %: 200" test "$(send)" = 200
as cust GET "/api/v1/machines/$M/events?limit=1" >/dev/null
check "... machine.health: cpu_pct 97.5 over 50" j '.items[0].kind == "machine.health" and .items[0].details.metric == "cpu_pct" and .items[0].details.value == 97.5 and .items[0].details.threshold == 50'
report 10 "$(dg v1)" "" '{"cpu_pct": 12}'
send >/dev/null
as cust GET "/api/v1/machines/$M/events?limit=1" >/dev/null
check "cpu back to 12 %: machine.health-cleared" j '.items[0].kind == "machine.health-cleared" and .items[0].details.metric == "cpu"'

# ---- a missed heartbeat ----
check "heartbeat timeout 2 s: 200" test "$(as cust PUT /api/v1/monitor/settings '{"heartbeat_timeout_s": 2}')" = 200
i=0
while [ $i -lt 50 ]; do
	as cust GET "/api/v1/machines/$M" >/dev/null
	jq -e .late "$TMP/resp" >/dev/null && break
	sleep 0.2
	i=$((i + 1))
done
check "no report for over 2 s: the sweep marks it late" j '.late == true and (.flags | index("late"))'
as cust GET "/api/v1/machines/$M/events" >/dev/null
check "... one machine.late event" j '[.items[] | select(.kind == "machine.late")] | length == 1'
check "... saying how long and the timeout" j '[.items[] | select(.kind == "machine.late")][0] | .details.heartbeat_timeout_s == 2 and .details.silent_s >= 2'
sleep 1.5
as cust GET "/api/v1/machines/$M/events" >/dev/null
check "... still one: told once until it reports" j '[.items[] | select(.kind == "machine.late")] | length == 1'
as cust GET "/api/v1/machines?late=true" >/dev/null
check "?late=true lists it" j --arg m "$M" '.items[0].id == $m'
# Long again before it reports, so that a slow run cannot make it late twice.
as cust PUT /api/v1/monitor/settings '{"heartbeat_timeout_s": 3600}' >/dev/null
report 11 "$(dg v1)"
check "it reports again: 200" test "$(send)" = 200
as cust GET "/api/v1/machines/$M/events?limit=3" >/dev/null
check "... machine.resumed" j '[.items[].kind] | index("machine.resumed")'
as cust GET "/api/v1/machines/$M" >/dev/null
check "... no longer late" j '.late == false'

# ---- the fleet, events by seq, metrics ----
check "GET /api/v1/fleet: 200" test "$(as cust GET '/api/v1/fleet?days=1')" = 200
check "... one validated machine now, samples over time" j '.now.validated == 1 and (.series | length) >= 1 and (.series[0].counts | type == "object")'
check "GET /api/v1/events?after=0: oldest first" test "$(as cust GET '/api/v1/events?after=0&limit=2')" = 200
check "... machine.enrolled first, next_after to page on" j '.items[0].kind == "machine.enrolled" and (.items | length) == 2 and .next_after == .items[1].seq'
after=$(jq .next_after "$TMP/resp")
as cust GET "/api/v1/events?after=$after&limit=500" >/dev/null
check "... the next page starts after it" j --argjson a "$after" 'all(.items[]; .seq > $a)'
check "... only Contoso's events" j 'all(.items[]; .customer == "contoso")'
# The machine gauges are counted at most once a second (docs/monitor.md,
# "Metrics"): a scrape may show them up to a second behind a report, so
# look for up to 3 s.
metrics_show() {
	i=0
	while [ $i -lt 15 ]; do
		api GET /metrics >/dev/null
		grep -q '^covalid_machines{verdict="validated"} 1' "$TMP/resp" && grep -q '^covalid_machines_late 0' "$TMP/resp" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
check "/metrics: one machine validated, none late (within the gauges' second)" metrics_show
check_eval "... reports and heartbeats, no delivery failed" "grep -q '^covalid_reports_ingested_total [1-9]' '$TMP/resp' && grep -q '^covalid_heartbeats_total [1-9]' '$TMP/resp' && grep -q '^covalid_webhook_deliveries_failed_total 0' '$TMP/resp'"
# Scraped in a loop, the gauges are counted once a second at most, not per
# scrape (nothing here tells them of a change meanwhile: no machine turns
# late, none enrolls, no webhook).
gauge_counts() { curl -s "$URL/metrics" | awk '$1 == "covalid_monitor_gauge_counts_total" { print $2 }'; }
c0=$(gauge_counts)
t0=$(date +%s)
i=0
while [ $i -lt 40 ]; do curl -s -o /dev/null "$URL/metrics"; i=$((i + 1)); done
c1=$(gauge_counts)
t1=$(date +%s)
check "40 scrapes in a row: the gauges counted at most once a second ($c0 -> $c1 in about $((t1 - t0)) s)" test $((c1 - c0)) -le $((t1 - t0 + 1))

# ---- isolation ----
check "Fabrikam's administrator: Contoso's machine is 404" test "$(as fab GET "/api/v1/machines/$M")" = 404
check "... and its events 404" test "$(as fab GET "/api/v1/machines/$M/events")" = 404
check "... its list holds only its own" test "$(as fab GET /api/v1/machines)" = 200 -a "$(jq -c '[.items[].id]' "$TMP/resp")" = "[\"$M2\"]"
check "... Contoso's list asking for Fabrikam: 403" test "$(as cust GET '/api/v1/machines?customer=fabrikam')" = 403
check "Microsoft without a case on it: 404" test "$(as ms GET "/api/v1/machines/$M")" = 404
check "... its list is empty" test "$(as ms GET /api/v1/machines)" = 200 -a "$(jq .total "$TMP/resp")" = 0
check "Contoso opens a case with Microsoft on the machine (its stored descriptor): 201" test "$(as cust POST /api/v1/cases "{\"vendor\": \"microsoft\", \"severity\": 3, \"title\": \"web01 slow\", \"description\": \"since Tuesday\", \"machine\": \"$M\"}")" = 201
check "... the case names the machine and its descriptor is the stored one" j --arg m "$M" '.configuration.verdict == "validated" and .descriptor.guest.os.id == "rhel"'
case_id=$(jq -r .id "$TMP/resp")
check "Microsoft with the case: 200" test "$(as ms GET "/api/v1/machines/$M")" = 200
check "... and it is in Microsoft's list" test "$(as ms GET /api/v1/machines)" = 200 -a "$(jq -r '.items[0].id' "$TMP/resp")" = "$M"
check "... and its events" test "$(as ms GET "/api/v1/machines/$M/events")" = 200
check "Red Hat, not on the case: still 404" test "$(as rh GET "/api/v1/machines/$M")" = 404
check "Microsoft engages Red Hat on the case: 200" test "$(as ms POST "/api/v1/cases/$case_id/engage" '{"vendor": "red-hat", "reason": "guest kernel"}')" = 200
check "... now Red Hat, engaged, sees the machine: 200" test "$(as rh GET "/api/v1/machines/$M")" = 200
check "... but not Fabrikam's: 404" test "$(as rh GET "/api/v1/machines/$M2")" = 404
check "Contoso opens a second case on the machine, with Red Hat alone: 201" test "$(as cust POST /api/v1/cases "{\"vendor\": \"red-hat\", \"severity\": 3, \"title\": \"RED-HAT-ONLY-CASE\", \"description\": \"y\", \"machine\": \"$M\"}")" = 201
rh_case=$(jq -r .id "$TMP/resp")
check "Microsoft reads the machine's events: 200" test "$(as ms GET "/api/v1/machines/$M/events?limit=500")" = 200
check "... the machine's own events and its own case's" j --arg c "$case_id" '([.items[] | select(.kind == "machine.enrolled")] | length == 1) and ([.items[] | select(.case == $c)] | length >= 1)'
check "... but nothing of Red Hat's case on it (Microsoft may not see that case)" j --arg c "$rh_case" '[.items[] | select(.case == $c)] | length == 0'
check_eval "... nor its title anywhere" "! grep -q RED-HAT-ONLY-CASE '$TMP/resp'"
check "... nor in the machine's page" test "$(as ms GET "/api/v1/machines/$M")" = 200
check_eval "... (its events)" "! grep -q RED-HAT-ONLY-CASE '$TMP/resp'"
check "Red Hat sees its case's events on the machine" test "$(as rh GET "/api/v1/machines/$M/events?limit=500")" = 200
check "... the case.opened of its own case" j --arg c "$rh_case" '[.items[] | select(.case == $c and .kind == "case.opened")] | length == 1'
check "a case on another customer's machine: 404" test "$(as cust POST /api/v1/cases "{\"vendor\": \"microsoft\", \"severity\": 3, \"title\": \"x\", \"description\": \"y\", \"machine\": \"$M2\"}")" = 404
check "the owner sees both machines" test "$(as owner GET /api/v1/machines)" = 200 -a "$(jq .total "$TMP/resp")" = 2
check "a machine that does not exist: 404" test "$(as cust GET /api/v1/machines/m-0000000000000000)" = 404

# ---- the catalog changes: the sweeper checks stored descriptors again ----
check "the owner revokes the Windows Server 2008 Hyper-V row: 200" test "$(as owner POST /api/v1/configurations/ms-hv2008-ws-rhel5.3-x86_64/revoke '{"reason": "t9002"}')" = 200
check "... and the Hyper-V Server 2008 row: 200" test "$(as owner POST /api/v1/configurations/ms-hv2008-hvs-rhel5.3-x86_64/revoke '{"reason": "t9002"}')" = 200
i=0
while [ $i -lt 50 ]; do
	as cust GET "/api/v1/machines/$M" >/dev/null
	jq -e '.verdict != "validated"' "$TMP/resp" >/dev/null && break
	sleep 0.2
	i=$((i + 1))
done
check "without a report, the machine drifts: its rows are revoked" j '.verdict != "validated" and .history[0].verdict == .verdict'
as cust GET "/api/v1/machines/$M/events?limit=1" >/dev/null
check "... told: machine.drifted from validated" j '.items[0].kind == "machine.drifted" and .items[0].details.previous == "validated"'

# ---- hostile report bodies: 4xx with a one-line error, and the server goes on ----
# hostile NAME STATUS BODY-FILE [CONTENT-TYPE]
hostile() {
	st=$(curl -s -o "$TMP/resp" -w '%{http_code}' -X POST --max-time 20 -H "Content-Type: ${4:-application/json}" \
		-H "Authorization: Bearer $(cat "$TMP/tok/agent")" --data-binary "@$3" "$URL/api/v1/agent/report")
	if [ "$st" = "$2" ] && jq -e '.error.code and (.error.message | test("\n") | not)' "$TMP/resp" >/dev/null; then
		ok "$1: $2, $(jq -r .error.code "$TMP/resp")"
	else
		not_ok "$1: $2"
		diag "got $st: $(head -c 300 "$TMP/resp")"
	fi
}
report 20 "$(dg v1)"
printf '{"schema": "covalid.report/1", "machine": ' >"$TMP/h1"
hostile "malformed JSON" 400 "$TMP/h1"
jq '.seq = "20"' "$TMP/report.json" >"$TMP/h2"
hostile "seq as a string" 400 "$TMP/h2"
check "... naming seq" j '.error.message | startswith("seq")'
jq '.colour = "red"' "$TMP/report.json" >"$TMP/h3"
hostile "an unknown field" 400 "$TMP/h3"
check "... naming it" j '.error.code == "unknown_field" and (.error.message | test("colour"))'
jq '. + {"bad\nkey\u001b[31m": 1}' "$TMP/report.json" >"$TMP/h3b"
hostile "an unknown field with a newline and an escape in its name" 400 "$TMP/h3b"
check "... named printably" j '.error.code == "unknown_field" and (.error.message | explode | all(. >= 32))'
jq '.health = {"cpu_pct": 3, "temperature": 40}' "$TMP/report.json" >"$TMP/h4"
hostile "an unknown health field" 400 "$TMP/h4"
check "... naming health.temperature" j '.error.message | test("health.temperature")'
jq '.health = {"cpu_pct": "high"}' "$TMP/report.json" >"$TMP/h5"
hostile "health.cpu_pct as a string" 400 "$TMP/h5"
jq '.health = {"disks": [range(0; 5000) | {"path": "/", "used_pct": 1}]}' "$TMP/report.json" >"$TMP/h6"
hostile "a huge array (5000 disks)" 400 "$TMP/h6"
check "... naming health.disks" j '.error.message | startswith("health.disks")'
jq '.health = {"errors": {"count": 1, "recent": ["a", "b", "c", "d", "e", "f"]}}' "$TMP/report.json" >"$TMP/h7"
hostile "six recent errors (five at most)" 400 "$TMP/h7"
head -c 1200000 /dev/zero | tr '\0' 'a' | jq -R -c --slurpfile r "$TMP/report.json" '$r[0] + {health: {errors: {count: 1, recent: [.]}}}' >"$TMP/h8"
hostile "oversized (1.2 MB)" 413 "$TMP/h8"
printf '{"schema": "covalid.report/1", "machine": "%s", "seq": 21, "observed_at": "2026-01-01T00:00:00Z", "descriptor_digest": "%s", "health": {"disks": [{"path": "/\377\376", "used_pct": 1}]}}' "$M" "$(dg v1)" >"$TMP/h9"
hostile "bad UTF-8" 400 "$TMP/h9"
jq --arg m "$M2" '.machine = $m' "$TMP/report.json" >"$TMP/h10"
hostile "another machine's report" 403 "$TMP/h10"
jq '.observed_at = "yesterday"' "$TMP/report.json" >"$TMP/h11"
hostile "observed_at not a time" 400 "$TMP/h11"
jq '.descriptor = {"schema": "covalid.descriptor/1", "vm": {"vcpus": "two"}}' "$TMP/report.json" >"$TMP/h12"
hostile "a descriptor with a wrong type" 400 "$TMP/h12"
jq '.descriptor = {"schema": "covalid.descriptor/1", "gpu": 1}' "$TMP/report.json" >"$TMP/h13"
hostile "a descriptor with an unknown field" 400 "$TMP/h13"
hostile "text/plain" 415 "$TMP/report.json" text/plain
printf '[1, 2]' >"$TMP/h14"
hostile "an array, not an object" 400 "$TMP/h14"
jq '.schema = "covalid.report/2"' "$TMP/report.json" >"$TMP/h15"
hostile "an unknown schema" 400 "$TMP/h15"
check "no credential: 401" test "$(api POST /api/v1/agent/report "$TMP/report.json")" = 401
echo 'cv_notarealcredential' >"$TMP/tok/bogus"
check "a bogus credential: 401" test "$(api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/bogus")" = 401
check "a user's token is not a machine's credential: 401" test "$(api POST /api/v1/agent/report "$TMP/report.json" "$TMP/tok/cust")" = 401
check "after all that the server still answers: a good report 200" test "$(send)" = 200
check "... applied" j '.applied and .seq == 20'

check "the server stops cleanly" server_stop
expect_exit 2 "serve --sweep-interval 0: refused" "$COVALID" serve --db "$DB" --listen 127.0.0.1:0 --sweep-interval 0
check "... naming it" grep -q -- "--sweep-interval: 1 to 3600 seconds" "$TMP/err"
expect_exit 2 "serve --sample-interval x: refused" "$COVALID" serve --db "$DB" --listen 127.0.0.1:0 --sample-interval x
check "... naming it" grep -q -- "--sample-interval" "$TMP/err"
done_testing
