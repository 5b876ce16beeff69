#!/bin/sh
# t5002: the web UI's support pages, end to end, in headless Chromium (as
# t5001: Debian's chromium driven by playwright-core from tests/browser).
# The CLI sets the program up - Microsoft and Red Hat, the customer
# Contoso with a Red Hat subscription for RHEL 5.2-5.3 and Microsoft
# per-call support, a user of each (customer-admin, two vendor engineers,
# Microsoft's manager), a support policy whose severity-4 first response is
# due in a second - and opens two cases through the API: a severity-4 one,
# which is past its SLA by the time the browser looks, and one for a
# 2-vCPU machine the catalog does not validate.  Then tests/browser/support-ui.mjs does the rest
# through the pages only: the customer signs in and opens a case with
# Microsoft for the validated RHEL 5.3 on Hyper-V machine (after one
# refused: not entitled), Microsoft's engineer writes an internal note and
# engages Red Hat (through a stale-version conflict), Red Hat's engineer
# accepts and answers with a shared note, Microsoft resolves it, the
# customer sees public notes only and the owner summaries only; the
# unvalidated case offers no engaging, only its plain statement; and
# Microsoft's manager (alone of its vendor) closes the resolved case.  Each
# user's header names it and its role, and each page offers only the
# actions that user may take.  A vendor's note is internal unless it
# chooses otherwise, each choice saying whom it reaches; the engage form
# offers the vendors the API says can be engaged and is gone once they
# are; the customer is not shown the case's version; the list hides closed
# cases until asked, searches, sorts by SLA urgency and shows "my queue";
# the check page's draft fills the new-case form (through sign-in); and
# the list and case pages at 1366 and 375 px (cards, no sideways scroll),
# saved as case-{list,customer,vendor,new}-{1366,375}.png.
# Screenshots 20-*.png onward go to $COVALID_BUILD/screenshots/.
# Without chromium, node or node_modules every step is skipped, with the
# reason (scripts/setup.sh installs them).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/browser.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

STEPS="sign-in customer-cases open-refused open-case vendor-queue internal-note conflict-engage engaged-vendor screens resolve customer-view owner-view unvalidated manager-close list from-check"
why=$(browser_missing)
if [ -n "$why" ]; then
	browser_fail_all "support UI" "$why" $STEPS
	done_testing
	exit 1
fi

# ---- the program, through the CLI ----
DB="$TMP/program.db"
program_db "$DB"
if ! server_start "$DB" --web "$SRC/web"; then
	not_ok "covalid serve --web starts"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
ok "covalid serve --web starts ($URL)"

O="--server $URL --token-file $TMP/owner.token"
cat >"$TMP/rh-subscription.json" <<'EOF'
{"customer": "contoso", "vendor": "red-hat", "kind": "subscription", "valid_from": "2009-01-01",
 "valid_to": "2030-12-31", "covers": [{"guest": "rhel", "versions": ["5.2", "5.3"]}]}
EOF
cat >"$TMP/ms-per-call.json" <<'EOF'
{"customer": "contoso", "vendor": "microsoft", "kind": "per-call", "valid_from": "2009-01-01", "valid_to": "2030-12-31"}
EOF
# The seed policy, but a severity-4 case must have its first answer within a second.
jq '.sla.standard["4"].first_response_s = 1' "$SRC/data/support-policy.json" >"$TMP/support-policy.json"
setup_program() {
	"$COVALID" admin vendor add Microsoft $O &&
		"$COVALID" admin vendor add "Red Hat" $O &&
		"$COVALID" admin customer add Contoso --id contoso $O &&
		"$COVALID" admin user add "Ann Contoso" --role customer-admin --customer contoso --out "$TMP/customer.token" $O &&
		"$COVALID" admin user add "Mike Microsoft" --role vendor-engineer --vendor microsoft --out "$TMP/microsoft.token" $O &&
		"$COVALID" admin user add "Rita Red Hat" --role vendor-engineer --vendor red-hat --out "$TMP/red-hat.token" $O &&
		"$COVALID" admin user add "Max Microsoft" --role vendor-manager --vendor microsoft --out "$TMP/manager.token" $O &&
		"$COVALID" admin agreement add "$TMP/rh-subscription.json" $O &&
		"$COVALID" admin agreement add "$TMP/ms-per-call.json" $O &&
		"$COVALID" admin support-policy set "$TMP/support-policy.json" $O
}
if setup_program >"$TMP/setup.out" 2>&1; then
	ok "the program is set up through the CLI (vendors, customer, users, agreements, support policy)"
else
	not_ok "the program is set up through the CLI (vendors, customer, users, agreements, support policy)"
	diag "$(cat "$TMP/setup.out")"
fi

# The machine: RHEL 5.3 x64, 1 vCPU, on Windows Server 2008 Hyper-V
# (validated); the same with RHEL 6.0, which Contoso's subscription does
# not cover; and the same with 2 vCPUs (not validated).
"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" >"$TMP/validated.json"
"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53-2vcpu/root" >"$TMP/2vcpu.json"
jq '.guest.os.version = "6.0" | .guest.os.osinfo = "rhel6.0"' "$TMP/validated.json" >"$TMP/rhel60.json"

# A severity-4 question: no vendor answers it within the policy's second,
# so its SLA is breached by the time the browser looks.
jq -n --slurpfile d "$TMP/validated.json" \
	'{vendor: "microsoft", severity: 4, title: "Which integration components for RHEL 5.3?",
	  description: "A question about the Linux Integration Components.", descriptor: $d[0]}' >"$TMP/breach.json"
status=$(api POST /api/v1/cases "$TMP/breach.json" "$TMP/customer.token")
BREACHED=$(jq -r '.id // empty' "$TMP/resp")
check "a severity-4 case is opened through the API ($status ${BREACHED:-none})" test "$status" = 201 -a -n "$BREACHED"

# A case for the 2-vCPU machine: Microsoft supports it alone (per call);
# nobody can be engaged on it.
jq -n --slurpfile d "$TMP/2vcpu.json" \
	'{vendor: "microsoft", severity: 3, title: "RHEL 5.3 with 2 vCPUs: slow boot",
	  description: "The 2-vCPU guest takes minutes to boot.", descriptor: $d[0]}' >"$TMP/unvalidated.json"
status=$(api POST /api/v1/cases "$TMP/unvalidated.json" "$TMP/customer.token")
UNVALIDATED=$(jq -r '.id // empty' "$TMP/resp")
verdict=$(jq -r '.configuration.verdict // empty' "$TMP/resp")
check "a case for the 2-vCPU machine is opened through the API ($status ${UNVALIDATED:-none} $verdict)" \
	test "$status" = 201 -a -n "$UNVALIDATED" -a "$verdict" = not-validated
# A minute on for support's clock, not a sleep: the same database served
# again with the clock moved (serve --support-clock-offset, for tests).
server_stop
if ! server_start "$DB" --web "$SRC/web" --support-clock-offset 60; then
	not_ok "covalid serve starts again with support's clock a minute on"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi

# ---- the browser ----
mkdir -p "$SHOTS"
rm -f "$SHOTS"/2[0-9]-*.png "$SHOTS"/3[0-9]-*.png "$SHOTS"/case-*-1366.png "$SHOTS"/case-*-375.png
SUPPORT_TOKENS="$TMP" SUPPORT_DESCRIPTOR="$TMP/validated.json" SUPPORT_DESCRIPTOR_REFUSED="$TMP/rhel60.json" \
	SUPPORT_BREACHED="$BREACHED" SUPPORT_UNVALIDATED="$UNVALIDATED" CHROMIUM="$CHROMIUM" \
	timeout 180 node "$BROWSER_DIR/support-ui.mjs" "$URL" "$SHOTS" >"$TMP/results.jsonl" 2>"$TMP/node.err"
rc=$?

browser_results "$TMP/results.jsonl" "$rc" "$TMP/node.err"
browser_screenshots 20-sign-in-refused 21-customer-cases 22-open-refused 23-case-opened 24-vendor-queue 25-internal-note \
	26-conflict 26-engaged 27-engaged-vendor 28-resolved 29-customer-view 30-owner-view 31-unvalidated 32-manager-close \
	33-screens 34-list 35-from-check case-list-1366 case-list-375 case-customer-1366 case-customer-375 \
	case-vendor-1366 case-vendor-375 case-new-1366 case-new-375

server_stop
check "the server exits cleanly" test $? -eq 0
done_testing
