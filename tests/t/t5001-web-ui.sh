#!/bin/sh
# t5001: the web UI, end to end, in headless Chromium (Debian's chromium,
# driven by playwright-core from tests/browser): against the real server
# with the seed catalog and, where this machine can make an acceptable
# test log, a real submission, so that a configuration page shows
# evidence; plus tests/browser/hostile-configs.jsonl, a record made of
# markup.  tests/browser/web-ui.mjs does the steps (load, search and
# matrix, a configuration, check my machine, a vendor, escaping; sorting,
# counts per filter, CSV, checking a configuration with the form, the
# owner's dashboard, and every page at 375 px without sideways scrolling)
# and prints
# one JSON result a line; this script turns them into TAP.  Screenshots go
# to $COVALID_BUILD/screenshots/.  Without chromium, node or node_modules
# every step is skipped, with the reason (scripts/setup.sh installs them).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/browser.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

STEPS="load search configuration check vendor escaping sort counts csv plan dashboard phone"
why=$(browser_missing)
if [ -n "$why" ]; then
	browser_fail_all "web UI" "$why" $STEPS
	done_testing
	exit 1
fi

# ---- the database: the seed, and a real submission if this machine can ----
DB="$TMP/program.db"
"$COVALID" catalog import --db "$DB" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" \
	"$BROWSER_DIR/hostile-configs.jsonl" >/dev/null
"$COVALID" admin bootstrap --db "$DB" --token-file "$TMP/owner.token" >/dev/null
if ! server_start "$DB" --web "$SRC/web"; then
	not_ok "covalid serve --web starts"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
ok "covalid serve --web starts ($URL)"

O="--server $URL --token-file $TMP/owner.token"
submitted=
submitted_why=
"$COVALID" key generate --out "$TMP/vendor.key" >/dev/null
"$COVALID" kit run --quick --sign "$TMP/vendor.key" --out "$TMP/log.json" >"$TMP/kit.out" 2>&1
# Whether this machine's own log can be accepted depends on the machine:
# the smoke policy below wants a guest OS and a hypervisor claimed and its
# three checks passed (a bare-metal host, or CPUs taken offline, cannot).
hv=$(jq -r '.claim.hypervisor.id // "none"' "$TMP/log.json" 2>/dev/null)
os=$(jq -r '.claim.guest.os_id // "none"' "$TMP/log.json" 2>/dev/null)
required=$(jq -r '[.results[]? | select(.id | IN("env.fingerprint", "cpu.topology", "time.monotonic")) | .id + " " + .status] | join(", ")' "$TMP/log.json" 2>/dev/null)
passed=$(jq '[.results[]? | select(.id | IN("env.fingerprint", "cpu.topology", "time.monotonic")) | select(.status == "pass")] | length' "$TMP/log.json" 2>/dev/null)
if [ "$hv" = none ] || [ "$hv" = unknown ] || [ "$os" = none ] || [ "$passed" != 3 ]; then
	submitted_why="this machine cannot make an acceptable test log (hypervisor $hv, guest $os; ${required:-no results})"
else
	cat >"$TMP/policy.json" <<'EOF'
{"schema": "covalid.policy/1", "modes": ["quick", "full"],
 "rules": [{"name": "smoke", "guest": "*", "hypervisor": "*",
            "required": ["env.fingerprint", "cpu.topology", "time.monotonic"], "may_skip": []}]}
EOF
	if "$COVALID" admin vendor add "Example Linux" --id example $O >/dev/null &&
		"$COVALID" admin key add example "$TMP/vendor.key.pub" $O >/dev/null &&
		"$COVALID" admin token issue --vendor example --out "$TMP/vendor.token" $O >/dev/null &&
		"$COVALID" admin policy set "$TMP/policy.json" $O >/dev/null &&
		"$COVALID" submit "$TMP/log.json" --server "$URL" --token-file "$TMP/vendor.token" >"$TMP/submit.out" 2>&1; then
		submitted=$(sed -n 's/^configuration \([^ ]*\) (new)$/\1/p' "$TMP/submit.out")
	fi
	check "a real submission from this machine is accepted (${submitted:-none})" test -n "$submitted"
	[ -n "$submitted" ] || diag "$(cat "$TMP/submit.out")"
fi

"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" >"$TMP/validated.json"
"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53-2vcpu/root" >"$TMP/near.json"

# ---- check a configuration without covalid: the descriptor the form must
# make, from the catalog's own product records, and the CLI's verdicts ----
hv_product=$(jq -r 'select(.id == "hv-ws2008") | .product' "$SRC/data/products.jsonl")
hv_build=$(jq -r 'select(.id == "hv-ws2008") | .build | split("/")[0]' "$SRC/data/products.jsonl")
for v in 1 2; do
	jq -n --arg p "$hv_product" --arg b "$hv_build" --argjson v "$v" '{schema: "covalid.descriptor/1",
		hypervisor: {id: "microsoft", product: $p, version: null, build: $b},
		guest: {os: {id: "rhel", version: "5.3"}, arch: "x86_64"}, vm: {vcpus: $v, memory_mib: 2048},
		integration: {present: ["vmbus", "storvsc", "netvsc"]}}' >"$TMP/plan$v.json"
	"$COVALID" check --db "$DB" --descriptor "$TMP/plan$v.json" --json >"$TMP/plan$v.check.json"
done
check "the CLI validates the planned RHEL 5.3 / Windows Server 2008 Hyper-V, 1 vCPU, and not with 2" \
	sh -c "jq -e '.verdict == \"validated\"' '$TMP/plan1.check.json' >/dev/null && jq -e '.verdict == \"not-validated\"' '$TMP/plan2.check.json' >/dev/null"

# ---- the owner's dashboard: cases to count (a customer, Microsoft, an agreement) ----
dash_ok=
if "$COVALID" admin vendor add Microsoft $O >/dev/null &&
	"$COVALID" admin customer add Contoso --id contoso $O >/dev/null &&
	"$COVALID" admin user add "Carol (Contoso IT)" --role customer-admin --customer contoso --out "$TMP/cust.token" $O >/dev/null &&
	printf '%s' '{"id": "contoso-ms-percall", "customer": "contoso", "vendor": "microsoft", "kind": "per-call", "valid_from": "2009-01-01", "valid_to": "2030-12-31"}' >"$TMP/agr.json" &&
	"$COVALID" admin agreement add "$TMP/agr.json" $O >/dev/null; then
	dash_ok=1
	# A 60 s first response for severity 4, so that one case breaches its SLA
	# when the server comes back an hour ahead (no sleep).
	"$COVALID" admin support-policy get $O >"$TMP/policy.json" &&
		jq '.sla.standard["4"].first_response_s = 60 | .sla.premium["4"].first_response_s = 60' "$TMP/policy.json" >"$TMP/fast.json" &&
		"$COVALID" admin support-policy set "$TMP/fast.json" $O >/dev/null || dash_ok=
	for sev in 3 4; do
		jq -c -n --slurpfile d "$TMP/validated.json" --argjson s "$sev" '{vendor: "microsoft", severity: $s, title: "severity \($s)", description: "a case", descriptor: $d[0]}' >"$TMP/case.json"
		[ "$(api POST /api/v1/cases "$TMP/case.json" "$TMP/cust.token")" = 201 ] || dash_ok=
	done
fi
check "two cases opened for the dashboard, one with a 60 s first response" test -n "$dash_ok"
server_stop
check "the server comes back with its support clock an hour ahead" server_start "$DB" --web "$SRC/web" --support-clock-offset 3600

# ---- the browser ----
mkdir -p "$SHOTS"
# its own (t5002 makes 2N-*.png and the case pages' NAME-WIDTH.png)
for f in catalog matrix configuration check vendor dashboard; do rm -f "$SHOTS/$f-1366.png" "$SHOTS/$f-375.png"; done
rm -f "$SHOTS"/0[0-9]-*.png "$SHOTS"/1[0-9]-*.png
WEBUI_DESCRIPTOR="$TMP/validated.json" WEBUI_DESCRIPTOR_NEAR="$TMP/near.json" \
	WEBUI_SUBMITTED="$submitted" WEBUI_SUBMITTED_VENDOR=example WEBUI_SUBMITTED_WHY="$submitted_why" \
	WEBUI_HOSTILE=hostile-markup \
	WEBUI_PLAN="$TMP/plan1.json" WEBUI_PLAN_CHECK="$TMP/plan1.check.json" \
	WEBUI_PLAN2="$TMP/plan2.json" WEBUI_PLAN2_CHECK="$TMP/plan2.check.json" \
	WEBUI_OWNER_TOKEN="$TMP/owner.token" \
	CHROMIUM="$CHROMIUM" \
	timeout 300 node "$BROWSER_DIR/web-ui.mjs" "$URL" "$SHOTS" >"$TMP/results.jsonl" 2>"$TMP/node.err"
rc=$?

browser_results "$TMP/results.jsonl" "$rc" "$TMP/node.err"
browser_screenshots 01-load 02-search 03-matrix 04-config 06-check 08-check-error 09-vendor 12-escaping \
	13-sort 14-counts 15-csv 16-plan 17-dashboard \
	catalog-1366 catalog-375 matrix-1366 matrix-375 configuration-1366 configuration-375 \
	check-1366 check-375 vendor-1366 vendor-375 dashboard-1366 dashboard-375

server_stop
check "the server exits cleanly" test $? -eq 0
done_testing
