#!/bin/sh
# t6005: entitlement both ways (issue 10), on the real server.  The seed's
# FAQ A6: "Customers with current Microsoft support agreements for Windows
# Server 2008 will be entitled to obtain support under this agreement.
# Where an existing agreement is not in place, customers can identify their
# willingness to purchase 'per-call' support.  Any customer with a valid
# Red Hat Enterprise Linux subscription ... will be entitled to support" -
# for "running Windows Server on Red Hat Enterprise virtualization, and for
# running Red Hat Enterprise Linux on Windows Server 2008 Hyper-V".
#
# Windows Server 2008 x64, 2003 SP2 x86 and 2008 R2 x64 guests on KVM are
# validated on Red Hat Enterprise Linux 5.4 (data/validated-configs.jsonl)
# only when the host's version is stated; a case opened with Microsoft by a
# customer holding a Microsoft agreement for the Windows Server 2008 guest
# and a RHEL subscription for the 5.4 host is entitled with both,
# cooperative, and Microsoft engages Red Hat.  The mirror: RHEL 5.3 on
# Hyper-V 2008.  The negatives: another release, an expired agreement, and
# per-call support said when opening (Microsoft's policy sells it, Red
# Hat's does not).  Rule names come from data/support-policy.json.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

support_begin

jout() { jq -e "$@" "$TMP/out" >/dev/null; }
POLICY=$SRC/data/support-policy.json
MS_SA_RULE=$(jq -r '.entitlement.microsoft[0].name' "$POLICY")
MS_PERCALL_RULE=$(jq -r '.entitlement.microsoft[] | select(.kind == "per-call") | .name' "$POLICY")
RH_RULE=$(jq -r '.entitlement["red-hat"][0].name' "$POLICY")
# The catalog's row for a Windows release and architecture on RHEL 5.4 KVM.
kvm_row() {
	jq -r --arg v "$1" --arg a "$2" 'select(.type == "configuration" and .status == "validated" and .guest.os_id == "windows"
		and .guest.version == $v and (.guest.arch | index($a)) and (.hypervisor.ids | index("kvm"))
		and .hypervisor.version == "5.4") | .id' "$SRC/data/validated-configs.jsonl"
}
# A Windows guest on KVM: win_kvm FILE VERSION ARCH, within every row's
# limits (16 vCPUs, 512 GiB).
win_kvm() {
	jq -n --arg v "$2" --arg a "$3" '{schema: "covalid.descriptor/1",
		hypervisor: {id: "kvm", product: "QEMU/KVM"},
		guest: {os: {id: "windows", version: $v, name: ("Windows Server " + $v)}, arch: $a},
		vm: {vcpus: 4, memory_mib: 8192}}' >"$1"
}
win_kvm "$TMP/w2k8.json" 2008 x86_64
win_kvm "$TMP/w2k3.json" 2003 i686
win_kvm "$TMP/w2k8r2.json" "2008 R2" x86_64
# check_body DESCRIPTOR [HOST-VERSION]: a POST /check body
check_body() {
	if [ -n "${2:-}" ]; then
		jq --arg h "$2" '. + {host_version: $h}' "$1" >"$TMP/check.json"
	else
		cp "$1" "$TMP/check.json"
	fi
}
# open_hv VENDOR SEVERITY DESCRIPTOR TITLE HOST-VERSION [EXTRA-JSON]: open_body with host_version (and more)
open_hv() {
	open_body "$1" "$2" "$3" "$4" | jq -c --arg h "$5" --argjson x "${6:-{\}}" '. + {host_version: $h} + $x'
}
agreement() { # agreement ID CUSTOMER VENDOR KIND FROM TO COVERS-JSON
	printf '{"id": "%s", "customer": "%s", "vendor": "%s", "kind": "%s", "valid_from": "%s", "valid_to": "%s", "covers": %s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" >"$TMP/agr.json"
	"$COVALID" admin agreement add "$TMP/agr.json" $O >/dev/null
}
customer() { # customer NAME ID: the customer and its administrator ($TMP/tok/ID)
	"$COVALID" admin customer add "$1" --id "$2" $O >/dev/null &&
		"$COVALID" admin user add "Admin ($1)" --role customer-admin --customer "$2" --out "$TMP/tok/$2" $O >/dev/null
}

# Northwind: the issue's customer - Microsoft for the Windows Server 2008
# guest, Red Hat for the RHEL 5.4 host.  Tailspin: the mirror - Microsoft
# for the Hyper-V 2008 host, Red Hat for the RHEL 5.3 guest.  Wingtip:
# agreements for other releases.  Litware: the right ones, expired.
check_eval "customers and their agreements are set up" '
	customer Northwind northwind && customer Tailspin tailspin && customer Wingtip wingtip && customer Litware litware &&
	agreement northwind-ms northwind microsoft support-agreement 2009-01-01 2030-12-31 "[{\"guest\": \"windows\", \"versions\": [\"2008\"]}]" &&
	agreement northwind-rhel northwind red-hat subscription 2009-01-01 2030-12-31 "[{\"hypervisor\": \"kvm\", \"versions\": [\"5.4\"]}]" &&
	agreement tailspin-ms tailspin microsoft support-agreement 2009-01-01 2030-12-31 "[{\"hypervisor\": \"microsoft\", \"versions\": [\"2008\"]}]" &&
	agreement tailspin-rhel tailspin red-hat subscription 2009-01-01 2030-12-31 "[{\"guest\": \"rhel\", \"versions\": [\"5.3\"]}]" &&
	agreement wingtip-ms wingtip microsoft support-agreement 2009-01-01 2030-12-31 "[{\"guest\": \"windows\", \"versions\": [\"2003\"]}]" &&
	agreement wingtip-rhel wingtip red-hat subscription 2009-01-01 2030-12-31 "[{\"hypervisor\": \"kvm\", \"versions\": [\"5.5\"]}]" &&
	agreement litware-ms litware microsoft support-agreement 2009-01-01 2010-12-31 "[{\"guest\": \"windows\", \"versions\": [\"2008\"]}]" &&
	agreement litware-rhel litware red-hat subscription 2009-01-01 2010-12-31 "[{\"hypervisor\": \"kvm\", \"versions\": [\"5.4\"]}]"'

# ---- the catalog: validated with the host version, never without ----
for spec in "w2k8 2008 x86_64" "w2k3 2003 i686" "w2k8r2 2008_R2 x86_64"; do
	set -- $spec
	ver=$(echo "$2" | tr _ ' ')
	row=$(kvm_row "$ver" "$3")
	check "the seed catalog has Windows Server $ver ($3) on RHEL 5.4 KVM: $row" test -n "$row"
	check_body "$TMP/$1.json" 5.4
	check "POST /check, Windows Server $ver $3 with host_version 5.4: 200" test "$(api POST /api/v1/check "$TMP/check.json")" = 200
	check "... validated by $row, cooperative" j --arg id "$row" '.verdict == "validated" and (.matches | map(.id) | index($id)) and .support.cooperative'
	check_body "$TMP/$1.json"
	api POST /api/v1/check "$TMP/check.json" >/dev/null
	check "... without it: not validated, the host version unknown" j '.verdict == "not-validated" and .reason == "host-version-unknown" and (.matches | length) == 0'
	check_body "$TMP/$1.json" 5.5
	api POST /api/v1/check "$TMP/check.json" >/dev/null
	check "... with 5.5: not validated" j '.verdict != "validated" and (.matches | length) == 0'
	expect_exit 0 "covalid check --host-version 5.4 (Windows Server $ver $3): validated" "$COVALID" check --db "$DB" --descriptor "$TMP/$1.json" --host-version 5.4
	expect_exit 1 "... without --host-version: not validated" "$COVALID" check --db "$DB" --descriptor "$TMP/$1.json"
done
W2K8_ROW=$(kvm_row 2008 x86_64)

# ---- Windows Server 2008 on RHEL 5.4 KVM, opened with Microsoft ----
check "Northwind opens a case with Microsoft, host_version 5.4: 201" \
	test "$(as northwind POST /api/v1/cases "$(open_hv microsoft 2 "$TMP/w2k8.json" "W2K8 guest on KVM" 5.4)")" = 201
id=$(jq -r .id "$TMP/resp")
check "... the stated host version is recorded, and the descriptor carries it as stated" j '.host_version == "5.4" and .descriptor.hypervisor.version == "5.4" and .descriptor.hypervisor.version_source == "stated"'
check "... validated, cooperative" j --arg row "$W2K8_ROW" '.configuration.verdict == "validated" and .configuration.cooperative and (.configuration.matches | index($row))'
check "... entitled with Microsoft by the agreement for the Windows Server 2008 guest" j --arg rule "$MS_SA_RULE" '.entitlement.microsoft.entitled and .entitlement.microsoft.agreement == "northwind-ms" and .entitlement.microsoft.rule == $rule and (.entitlement.microsoft.charge | not)'
check "... and with Red Hat by the subscription for the RHEL 5.4 host" j --arg rule "$RH_RULE" '.entitlement["red-hat"].entitled and .entitlement["red-hat"].agreement == "northwind-rhel" and .entitlement["red-hat"].rule == $rule'
check "... no charge, nothing said of per-call" j '.per_call_charge == null and .per_call == false'
check "... the audit trail says what was stated" j '.events[0].action == "opened" and .events[0].detail.host_version == "5.4"'
check "Microsoft reads the case: 200" test "$(as ms GET "/api/v1/cases/$id")" = 200
check "... and sees the stated host version" j '.host_version == "5.4"'
check "Microsoft engages Red Hat: 200" test "$(as ms POST "/api/v1/cases/$id/engage" '{"vendor": "red-hat", "reason": "virtio-win on the 5.4 host"}')" = 200
check "... engaged, a request to Red Hat" j '.state == "engaged" and .collaborations[0].vendor == "red-hat" and .collaborations[0].state == "requested"'
as rh GET /api/v1/cases >/dev/null
check "Red Hat's queue lists the case" j --arg id "$id" '[.items[].id] | index($id)'
check "Red Hat reads it: 200" test "$(as rh GET "/api/v1/cases/$id")" = 200
check "... the configuration, the stated host version, its own entitlement only" j '.configuration.verdict == "validated" and .host_version == "5.4" and .descriptor.hypervisor.version_source == "stated" and (.entitlement | keys) == ["red-hat"] and .entitlement["red-hat"].entitled'
check "... no charge nor what the customer said of per-call" j '(has("per_call_charge") | not) and (has("per_call") | not)'
check "Red Hat accepts" test "$(as rh POST "/api/v1/cases/$id/collaborations/$(jq -r '.collaborations[0].id' "$TMP/resp")" '{"action": "accept"}')" = 200

# The same machine, the host's version not stated: Microsoft alone.
check "without host_version: the case opens with Microsoft (201)" \
	test "$(as northwind POST /api/v1/cases "$(open_body microsoft 3 "$TMP/w2k8.json" "W2K8, host unknown")")" = 201
id2=$(jq -r .id "$TMP/resp")
check "... not validated: the host version is needed" j '.configuration.verdict == "not-validated" and .configuration.reason == "host-version-unknown" and (.configuration.cooperative | not) and .host_version == null'
check "... Microsoft entitled by the guest's agreement; Red Hat not, saying the host version was not stated" j '.entitlement.microsoft.entitled and (.entitlement["red-hat"].entitled | not) and (.entitlement["red-hat"].reasons | any(test("northwind-rhel does not cover .*hypervisor kvm.*host version not stated")))'
check "... so Red Hat cannot be engaged: 409 not_validated" test "$(as ms POST "/api/v1/cases/$id2/engage" '{"vendor": "red-hat"}')" = 409
check "with Red Hat, without host_version: 422 not_entitled" \
	test "$(as northwind POST /api/v1/cases "$(open_body red-hat 3 "$TMP/w2k8.json" "W2K8 via Red Hat, host unknown")")" = 422
check "... the reason names the host version" j '.error.code == "not_entitled" and (.error.message | test("host version not stated"))'
check "with Red Hat, host_version 5.4: 201" \
	test "$(as northwind POST /api/v1/cases "$(open_hv red-hat 2 "$TMP/w2k8.json" "W2K8 via Red Hat" 5.4)")" = 201
check "... and Red Hat engages Microsoft: 200" test "$(as rh POST "/api/v1/cases/$(jq -r .id "$TMP/resp")/engage" '{"vendor": "microsoft"}')" = 200

# Other Windows releases on the same host: the RHEL subscription covers the
# host for any guest; the agreement for Windows Server 2008 covers neither
# 2003 nor 2008 R2.
for spec in "w2k3 2003" "w2k8r2 2008_R2"; do
	set -- $spec
	ver=$(echo "$2" | tr _ ' ')
	check "Windows Server $ver on RHEL 5.4 KVM, opened with Red Hat, host_version 5.4: 201" \
		test "$(as northwind POST /api/v1/cases "$(open_hv red-hat 2 "$TMP/$1.json" "W$ver on KVM" 5.4)")" = 201
	check "... validated, Red Hat entitled by the host's subscription" j '.configuration.verdict == "validated" and .entitlement["red-hat"].agreement == "northwind-rhel"'
	check "... Microsoft not: the agreement is for Windows Server 2008" j --arg v "$ver" '(.entitlement.microsoft.entitled | not) and (.entitlement.microsoft.reasons | any(test("northwind-ms does not cover the guest windows " + $v)))'
	check "... so Microsoft cannot be engaged: 422" test "$(as rh POST "/api/v1/cases/$(jq -r .id "$TMP/resp")/engage" '{"vendor": "microsoft"}')" = 422
done

# ---- the mirror: RHEL 5.3 on Windows Server 2008 Hyper-V ----
check "Tailspin opens a case with Microsoft for RHEL 5.3 on Hyper-V 2008: 201" \
	test "$(as tailspin POST /api/v1/cases "$(open_body microsoft 2 "$TMP/d-validated.json" "RHEL 5.3 on Hyper-V")")" = 201
id3=$(jq -r .id "$TMP/resp")
check "... validated; Microsoft by the agreement for the Hyper-V host, Red Hat by the subscription for the RHEL guest" j '.configuration.verdict == "validated" and .entitlement.microsoft.agreement == "tailspin-ms" and .entitlement["red-hat"].agreement == "tailspin-rhel" and .per_call_charge == null'
check "... Microsoft engages Red Hat: 200" test "$(as ms POST "/api/v1/cases/$id3/engage" '{"vendor": "red-hat"}')" = 200
check "... and Red Hat sees the case" test "$(as rh GET "/api/v1/cases/$id3")" = 200
check "opened with Red Hat instead: 201" \
	test "$(as tailspin POST /api/v1/cases "$(open_body red-hat 2 "$TMP/d-validated.json" "RHEL 5.3 on Hyper-V via Red Hat")")" = 201
check "... and Red Hat engages Microsoft: 200" test "$(as rh POST "/api/v1/cases/$(jq -r .id "$TMP/resp")/engage" '{"vendor": "microsoft"}')" = 200
jq '.hypervisor.product = "Windows Server 2008 R2 Hyper-V" | .hypervisor.build = "7600" | .hypervisor.version = "6.1"' "$TMP/d-validated.json" >"$TMP/d-r2.json"
check "Hyper-V 2008 R2 is not 2008: Tailspin's Microsoft agreement does not cover it (422)" \
	test "$(as tailspin POST /api/v1/cases "$(open_body microsoft 2 "$TMP/d-r2.json" "RHEL on 2008 R2")")" = 422
check "... saying so" j '.error.reasons | any(test("tailspin-ms does not cover .*hypervisor microsoft \\(Windows Server 2008 R2 Hyper-V"))'

# ---- another release, or expired: nobody ----
for v in microsoft red-hat; do
	check "Wingtip (Windows Server 2003, RHEL 5.5 agreements) with $v: 422 not_entitled" \
		test "$(as wingtip POST /api/v1/cases "$(open_hv "$v" 2 "$TMP/w2k8.json" "wrong releases" 5.4)")" = 422
	check "... the agreement does not cover this machine" j --arg a "wingtip-$([ "$v" = microsoft ] && echo ms || echo rhel)" '.error.code == "not_entitled" and (.error.reasons | any(test($a + " does not cover the guest windows 2008 or the hypervisor kvm")))'
	check "Litware (the right agreements, ended 2010-12-31) with $v: 422" \
		test "$(as litware POST /api/v1/cases "$(open_hv "$v" 2 "$TMP/w2k8.json" "expired" 5.4)")" = 422
	check "... expired" j '.error.reasons | any(test("litware-[a-z]+ expired \\(valid 2009-01-01 to 2010-12-31\\)"))'
done

# ---- per-call support said when opening (A6) ----
check "Fabrikam (no agreements) opens with Microsoft, willing to buy per-call support: 201" \
	test "$(as fab POST /api/v1/cases "$(open_hv microsoft 2 "$TMP/w2k8.json" "per call" 5.4 '{"per_call": true}')")" = 201
id4=$(jq -r .id "$TMP/resp")
check "... entitled with Microsoft by per-call support, stated, charged" j --arg rule "$MS_PERCALL_RULE" '.entitlement.microsoft.entitled and .entitlement.microsoft.rule == $rule and .entitlement.microsoft.charge and .entitlement.microsoft.per_call_stated and .entitlement.microsoft.agreement == null'
check "... the charge is recorded: Microsoft, stated when opening" j '.per_call == true and .per_call_charge.vendor == "microsoft" and .per_call_charge.agreement == null and .per_call_charge.stated == true'
check "... with Microsoft only: Red Hat sells no per-call support" j '(.entitlement["red-hat"].entitled | not) and (.entitlement["red-hat"].reasons | any(test("per-call support \\(stated when the case was opened\\): the support policy of red-hat has no per-call rule")))'
check "... the audit trail says so" j '.events[0].detail.per_call == true'
check "... Microsoft cannot engage Red Hat: 422 not_entitled" test "$(as ms POST "/api/v1/cases/$id4/engage" '{"vendor": "red-hat"}')" = 422
check "Microsoft reads it: 200" test "$(as ms GET "/api/v1/cases/$id4")" = 200
check "... with the charge" j '.per_call_charge.stated == true and .per_call_charge.vendor == "microsoft"'
check "Fabrikam with Red Hat, per_call: 422 not_entitled" \
	test "$(as fab POST /api/v1/cases "$(open_hv red-hat 2 "$TMP/w2k8.json" "per call RH" 5.4 '{"per_call": true}')")" = 422
check "... saying Red Hat's policy has no per-call rule" j '.error.reasons | any(test("no per-call rule"))'
check "Contoso (a subscription and a per-call agreement), saying per_call too: 201" \
	test "$(as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "both" | jq -c '. + {per_call: true}')")" = 201
check "... the agreement recorded in advance is what entitles and is charged" j '.per_call_charge.agreement == "contoso-ms-percall" and .per_call_charge.stated == false'

# Opened with Red Hat, Microsoft engaged on the customer's word: Microsoft's part is charged.
check_eval "Adatum (a RHEL subscription for the 5.4 host only) is set up" '
	customer Adatum adatum &&
	agreement adatum-rhel adatum red-hat subscription 2009-01-01 2030-12-31 "[{\"hypervisor\": \"kvm\", \"versions\": [\"5.4\"]}]"'
check "Adatum opens with Red Hat, per_call: 201, entitled by the subscription, no charge for Red Hat" \
	test "$(as adatum POST /api/v1/cases "$(open_hv red-hat 2 "$TMP/w2k8.json" "via Red Hat, per call" 5.4 '{"per_call": true}')")" = 201
check "... Microsoft entitled per call, stated; the case charges nothing yet" j '.entitlement["red-hat"].agreement == "adatum-rhel" and .entitlement.microsoft.per_call_stated and .entitlement.microsoft.charge and .per_call_charge == null'
check "Red Hat engages Microsoft: 200" test "$(as rh POST "/api/v1/cases/$(jq -r .id "$TMP/resp")/engage" '{"vendor": "microsoft"}')" = 200
check "... the request records Microsoft's per-call charge" j '.collaborations[0].vendor == "microsoft" and .collaborations[0].per_call_charge.vendor == "microsoft" and .collaborations[0].per_call_charge.stated == true'
check "... which the customer sees" test "$(as adatum GET "/api/v1/cases/$(jq -r .id "$TMP/resp")")" = 200
check "... on the collaboration" j '.collaborations[0].per_call_charge.vendor == "microsoft"'

# ---- the host version as POST /check takes it: ?host_version=, or beside the descriptor's fields ----
check "?host_version=5.4: 201, validated, entitled with both" \
	test "$(as northwind POST "/api/v1/cases?host_version=5.4" "$(open_body microsoft 2 "$TMP/w2k8.json" "query")")" = 201
check "... recorded as stated" j '.host_version == "5.4" and .configuration.verdict == "validated" and .entitlement["red-hat"].entitled'
check_body "$TMP/w2k8.json" 5.4
check "a POST /check body (host_version beside the descriptor's fields) as the descriptor: 201" \
	test "$(as northwind POST /api/v1/cases "$(open_body microsoft 2 "$TMP/check.json" "check body")")" = 201
check "... the host version stated, recorded as the case's, not left in the descriptor" j '.host_version == "5.4" and .configuration.verdict == "validated" and (.descriptor | has("host_version") | not) and .descriptor.hypervisor.version_source == "stated"'

# ---- bad input ----
check "host_version that is not a version: 400" \
	test "$(as northwind POST /api/v1/cases "$(open_hv microsoft 2 "$TMP/w2k8.json" x five)")" = 400
check "... invalid_field, naming it" j '.error.code == "invalid_field" and (.error.message | test("^host_version: "))'
check "host_version as a number: 400" \
	test "$(as northwind POST /api/v1/cases "$(open_body microsoft 2 "$TMP/w2k8.json" x | jq -c '. + {host_version: 5.4}')")" = 400
check "... naming it" j '.error.message | test("^host_version: ")'
check "per_call that is not a boolean: 400" \
	test "$(as fab POST /api/v1/cases "$(open_body microsoft 2 "$TMP/w2k8.json" x | jq -c '. + {per_call: "yes"}')")" = 400
check "... naming it" j '.error.message | test("^per_call: ")'
echo '{"customer": "northwind", "vendor": "red-hat", "kind": "subscription", "valid_from": "2009-01-01", "valid_to": "2030-12-31", "covers": [{"hypervisor": "kvm", "versions": ["RHEL 5.4"]}]}' >"$TMP/agr-bad.json"
expect_exit 2 "an agreement whose versions are not releases: refused" "$COVALID" admin agreement add "$TMP/agr-bad.json" $O
check "... naming the entry" grep -q "covers\[0\].versions\[0\]: 'RHEL 5.4' is not a release" "$TMP/err"

# ---- the CLI ----
OC="--server $URL --token-file $TMP/tok/fab"
expect_exit 0 "covalid case open --host-version 5.4 --per-call (Fabrikam, Windows Server 2008 on KVM)" \
	"$COVALID" case open --vendor microsoft --severity 2 --title "from the CLI" --descriptor "$TMP/w2k8.json" --host-version 5.4 --per-call $OC
check_eval "... shows the stated host version, the validated configuration and the charge" \
	"grep -q '^host  *version 5.4' '$TMP/out' && grep -q 'validated configuration' '$TMP/out' && grep -q '^charge  *per-call support from microsoft' '$TMP/out'"
expect_exit 0 "... --json: the case as the API answers it" \
	"$COVALID" case open --vendor microsoft --severity 2 --title "from the CLI" --descriptor "$TMP/w2k8.json" --host-version 5.4 --per-call --json $OC
check "... host_version and the charge" jout '.host_version == "5.4" and .per_call_charge.stated == true'
expect_exit 2 "covalid case open --host-version five: exit 2" \
	"$COVALID" case open --vendor microsoft --severity 2 --title x --descriptor "$TMP/w2k8.json" --host-version five $OC
check_eval "... one line on stderr naming --host-version" "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q -- '--host-version' '$TMP/err'"
expect_exit 2 "covalid case open without --per-call (Fabrikam): refused, exit 2" \
	"$COVALID" case open --vendor microsoft --severity 2 --title x --descriptor "$TMP/w2k8.json" --host-version 5.4 $OC
check "... not entitled" grep -q "not entitled" "$TMP/err"
done_testing
