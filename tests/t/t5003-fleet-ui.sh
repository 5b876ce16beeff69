#!/bin/sh
# t5003: the web UI's monitoring pages, end to end, in headless Chromium
# (as t5001 and t5002: Debian's chromium driven by playwright-core from
# tests/browser).  The CLI sets the program up - Microsoft and Red Hat,
# the customer Contoso with Microsoft's per-call support, its
# administrator, Microsoft's engineer - and the machines come in as
# agents bring them, through the agent API with curl: three machines
# enrolled with the administrator's token, each reporting its descriptor
# (made by `covalid probe --json` from the fixtures):
#   - "aaa-web01": RHEL 5.3 x86_64, 1 vCPU, on Windows Server 2008 Hyper-V
#     (tests/fixtures/hyperv2008-rhel53): validated;
#   - "zzz-db02": first that same machine, then with 2 vCPUs
#     (tests/fixtures/hyperv2008-rhel53-2vcpu): it left its validated
#     configuration, whose row in data/validated-configs.jsonl
#     (ms-hv2008-hvs-rhel5.3-x86_64, "allowed_vcpus":[1]) gives the
#     difference "2 vCPUs; validated for 1 (uni-processor)" (the words of
#     src/check/explain.c for a one-vCPU row); it also reports its CPU at
#     97 %, over the default threshold of 90 %;
#   - a validated machine named with markup and script;
#   - "mmm-web04", validated, which reports once and falls silent: late.
# Then tests/browser/fleet-ui.mjs checks through the pages: the Fleet entry
# only when signed in; the fleet page lists the drifted machine first (its
# name sorts last), then the late one, with the difference in words, the
# health flag and the late badge; the chart has an accessible name and a
# table with the counts (3 validated, 1 not validated, 1 late); the filters; the machine page (its verdict, differences,
# descriptor summary, health, events newest first, history); "Open a case
# with this machine" opens the case form prefilled, and the case opened
# from it carries the machine's descriptor and id; Microsoft's engineer
# then sees that machine only; the hostile name is text; the owner sees
# every customer's machines; and at 375 px
# the fleet page does not overflow sideways.
# Screenshots 40-*.png onward go to $COVALID_BUILD/screenshots/.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/browser.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

STEPS="signed-out fleet filter machine open-case vendor hostile owner narrow"
why=$(browser_missing)
if [ -n "$why" ]; then
	browser_fail_all "fleet UI" "$why" $STEPS
	done_testing
	exit 1
fi

# ---- the program, through the CLI ----
DB="$TMP/program.db"
program_db "$DB"
# A fleet sample every second (the default is 300 s), so that the chart
# has samples of its own beside the counts now; the late sweep every second.
if ! server_start "$DB" --web "$SRC/web" --sample-interval 1 --sweep-interval 1; then
	not_ok "covalid serve --web starts"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
ok "covalid serve --web starts ($URL)"

O="--server $URL --token-file $TMP/owner.token"
cat >"$TMP/ms-per-call.json" <<'EOF'
{"customer": "contoso", "vendor": "microsoft", "kind": "per-call", "valid_from": "2009-01-01", "valid_to": "2030-12-31"}
EOF
setup_program() {
	"$COVALID" admin vendor add Microsoft $O &&
		"$COVALID" admin vendor add "Red Hat" $O &&
		"$COVALID" admin customer add Contoso --id contoso $O &&
		"$COVALID" admin user add "Ann Contoso" --role customer-admin --customer contoso --out "$TMP/customer.token" $O &&
		"$COVALID" admin user add "Mike Microsoft" --role vendor-engineer --vendor microsoft --out "$TMP/microsoft.token" $O &&
		"$COVALID" admin agreement add "$TMP/ms-per-call.json" $O
}
if setup_program >"$TMP/setup.out" 2>&1; then
	ok "the program is set up through the CLI (vendors, customer, users, agreement)"
else
	not_ok "the program is set up through the CLI (vendors, customer, users, agreement)"
	diag "$(cat "$TMP/setup.out")"
fi

# ---- the machines, as their agents bring them ----
"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" >"$TMP/validated.json"
"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53-2vcpu/root" >"$TMP/2vcpu.json"
check "the fixtures' descriptors: 1 vCPU and 2 vCPUs" \
	test "$(jq .vm.vcpus "$TMP/validated.json")" = 1 -a "$(jq .vm.vcpus "$TMP/2vcpu.json")" = 2

HOSTILE='<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>web03</b>'

# enroll NAME: the machine's id in $MACHINE, its credential in $TMP/NAME.cred
enroll() {
	key=$(printf '%s' "$1" | sha256sum | cut -c1-64)
	jq -n --arg key "$key" --arg name "$1" \
		'{machine_key: $key, name: $name, interval: 60, agent: {version: "test", os: "linux"}}' >"$TMP/enroll.json"
	status=$(api POST /api/v1/agent/enroll "$TMP/enroll.json" "$TMP/customer.token")
	MACHINE=$(jq -r '.machine // empty' "$TMP/resp")
	jq -r '.credential // empty' "$TMP/resp" >"$TMP/$MACHINE.cred"
	check "machine '$1' enrolled ($status ${MACHINE:-none})" test "$status" = 201 -a -n "$MACHINE"
}

# The report's descriptor_digest: BLAKE2b-256 (hex) of the descriptor as
# compact JSON with sorted keys, as the agent's canonical form (the server
# keys the stored descriptor by it; each descriptor here has its own).
descriptor_digest() {
	jq -cS . "$1" | tr -d '\n' |
		python3 -c 'import hashlib, sys; print(hashlib.blake2b(sys.stdin.buffer.read(), digest_size=32).hexdigest())'
}

# report MACHINE SEQ DESCRIPTOR CPU_PCT VERDICT: a report with its descriptor and health
report() {
	at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	digest=$(descriptor_digest "$3")
	jq -n --arg m "$1" --argjson seq "$2" --arg at "$at" --arg digest "$digest" --slurpfile d "$3" --argjson cpu "$4" \
		'{schema: "covalid.report/1", machine: $m, seq: $seq, observed_at: $at, interval: 60,
		  descriptor_digest: $digest, descriptor: $d[0],
		  health: {cpu_pct: $cpu, mem_pct: 41.0, mem_total_mib: 2048, load: [0.1, 0.2, 0.3], vcpus: $d[0].vm.vcpus,
		           disks: [{path: "/", used_pct: 55.1, free_mib: 10240}], clock_offset_ms: 12,
		           components: {expected: ["vmbus", "storvsc", "netvsc"], present: ["vmbus", "storvsc", "netvsc"], missing: []},
		           errors: {count: 0, recent: []}}}' >"$TMP/report.json"
	status=$(api POST /api/v1/agent/report "$TMP/report.json" "$TMP/$1.cred")
	verdict=$(jq -r '.verdict // empty' "$TMP/resp")
	check "machine $1 reports (seq $2, $(basename "$3")): $status $verdict, expected $5" test "$status" = 200 -a "$verdict" = "$5"
}

# A machine that falls silent: with a heartbeat timeout of one second
# (the customer's setting) and the sweeper every second, "mmm-web04"
# reports once and is late two seconds on (machine.late).  Then the
# timeout is an hour again, before the others report: it stays late (until
# it reports again), they do not become late while the browser looks.
settings() {
	printf '{"heartbeat_timeout_s": %s}\n' "$1" >"$TMP/settings.json"
	status=$(api PUT /api/v1/monitor/settings "$TMP/settings.json" "$TMP/customer.token")
	check "the customer's heartbeat timeout is $1 s ($status)" test "$status" = 200 -a "$(jq .heartbeat_timeout_s "$TMP/resp")" = "$1"
}
settings 1
enroll mmm-web04
LATE=$MACHINE
report "$LATE" 1 "$TMP/validated.json" 1.0 validated
i=0
while [ $i -lt 50 ]; do
	api GET "/api/v1/machines/$LATE" "" "$TMP/customer.token" >/dev/null
	[ "$(jq -r .late "$TMP/resp")" = true ] && break
	sleep 0.2
	i=$((i + 1))
done
check "machine mmm-web04 is late once silent past the timeout" test "$(jq -r .late "$TMP/resp")" = true
settings 3600

enroll aaa-web01
VALIDATED=$MACHINE
enroll zzz-db02
DRIFTED=$MACHINE
enroll "$HOSTILE"
HOSTILE_ID=$MACHINE
report "$VALIDATED" 1 "$TMP/validated.json" 3.5 validated
report "$HOSTILE_ID" 1 "$TMP/validated.json" 2.0 validated
report "$DRIFTED" 1 "$TMP/validated.json" 4.0 validated
report "$DRIFTED" 2 "$TMP/2vcpu.json" 97.0 not-validated
sleep 2 # a fleet sample after the last report

# ---- the browser ----
mkdir -p "$SHOTS"
rm -f "$SHOTS"/4[0-9]-*.png
FLEET_TOKENS="$TMP" FLEET_VALIDATED="$VALIDATED" FLEET_DRIFTED="$DRIFTED" FLEET_HOSTILE="$HOSTILE_ID" FLEET_LATE="$LATE" \
	FLEET_HOSTILE_NAME="$HOSTILE" CHROMIUM="$CHROMIUM" \
	timeout 300 node "$BROWSER_DIR/fleet-ui.mjs" "$URL" "$SHOTS" >"$TMP/results.jsonl" 2>"$TMP/node.err"
rc=$?

browser_results "$TMP/results.jsonl" "$rc" "$TMP/node.err"
browser_screenshots 40-signed-out 41-fleet 42-filter 43-machine 44-open-case 45-vendor 46-hostile 47-narrow 48-owner

server_stop
check "the server exits cleanly" test $? -eq 0
done_testing
