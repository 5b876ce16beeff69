#!/bin/sh
# t6001: the seed's cooperative support scenario end to end on the real
# server, and its negatives.  A customer with a Red Hat subscription for
# RHEL 5.3 guests and a per-call arrangement with Microsoft opens a case
# with Microsoft on a validated RHEL 5.3 / Hyper-V 2008 uni-processor VM;
# Microsoft engages Red Hat; they resolve it.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

support_begin
ok "the support programme is set up ($URL)"


# ---- who am I ----
as cust GET /api/v1/me >/dev/null
check "GET /api/v1/me: the customer's administrator of Contoso" j '.role == "customer-admin" and .customer == "contoso" and .vendor == null and (.token | startswith("tok_"))'
as msmgr GET /api/v1/me >/dev/null
check "... a vendor manager of Microsoft" j '.role == "vendor-manager" and .vendor == "microsoft" and .name == "Mona (Microsoft)"'
check "... no token: 401" test "$(api GET /api/v1/me)" = 401
# ---- the customer opens a case with Microsoft ----
check "open: 201" test "$(as cust POST /api/v1/cases "$(open_body microsoft 1 "$TMP/d-validated.json" "RHEL 5.3 guest hangs")")" = 201
id=$(jq -r .id "$TMP/resp")
check "the case is new, severity 1, with Microsoft; the customer is not told its version" j '.state == "new" and (has("version") | not) and .severity == 1 and .vendor == "microsoft"'
check "the configuration is validated: cooperative support" j '.configuration.verdict == "validated" and .configuration.cooperative and (.configuration.matches | index("ms-hv2008-ws-rhel5.3-x86_64"))'
check "entitled with Microsoft by per-call support, the charge recorded" j '.entitlement.microsoft.entitled and .entitlement.microsoft.rule == "per-call support" and .per_call_charge.vendor == "microsoft" and .per_call_charge.agreement == "contoso-ms-percall"'
check "entitled with Red Hat by the subscription covering RHEL 5.3" j '.entitlement["red-hat"].entitled and .entitlement["red-hat"].agreement == "contoso-rhel-sub"'
check "the first response clock runs (sev 1, 2 h)" j '.sla.first_response.state == "pending" and .sla.first_response.met_at == null'
check "the audit trail starts: opened, by the customer" j '.events | length == 1 and .[0].action == "opened" and .[0].author.org == "customer:contoso" and .[0].author.role == "customer-admin"'

# ---- Microsoft works it ----
as ms GET /api/v1/cases >/dev/null
check "Microsoft's queue lists it" j --arg id "$id" '[.items[].id] | index($id)'
check "Microsoft takes it: in-progress" test "$(as ms POST "/api/v1/cases/$id/state" '{"to": "in-progress", "version": 1}')" = 200
check "... the first response is met" j '.state == "in-progress" and .sla.first_response.state == "met" and .version == 2'
as ms POST "/api/v1/cases/$id/notes" '{"visibility": "internal", "body": "MS-INTERNAL: LIC 2.0 is single-vCPU only"}' >/dev/null
check "Microsoft adds an internal note: answered with the note and the case's version" j --arg id "$id" '.case == $id and .version == 3 and .note.visibility == "internal" and .note.id == "note_1"'
as ms GET "/api/v1/cases/$id" >/dev/null
check "... the case has it" j '.notes | map(select(.visibility == "internal")) | length == 1'
as ms POST "/api/v1/cases/$id/notes" '{"visibility": "public", "body": "PUBLIC: we are looking at it with Red Hat"}' >/dev/null
as ms GET "/api/v1/cases/$id" >/dev/null
check "... and a public one" j '(.notes | length) == 2 and .notes_total == 2'
check "Microsoft engages Red Hat: 200" test "$(as ms POST "/api/v1/cases/$id/engage" '{"vendor": "red-hat", "reason": "guest kernel"}')" = 200
check "... the case is engaged, a request to Red Hat with a response target" j '.state == "engaged" and .collaborations[0].vendor == "red-hat" and .collaborations[0].state == "requested" and (.collaborations[0].due_at | length > 0)'
col=$(jq -r '.collaborations[0].id' "$TMP/resp")
check "engaging Red Hat twice: 409" test "$(as ms POST "/api/v1/cases/$id/engage" '{"vendor": "red-hat"}')" = 409

# ---- Red Hat, engaged ----
as rh GET /api/v1/cases >/dev/null
check "Red Hat's queue lists the case it is engaged on" j --arg id "$id" '[.items[].id] | index($id)'
check "Red Hat reads the case: 200" test "$(as rh GET "/api/v1/cases/$id")" = 200
check "... the summary and the descriptor" j '.title == "RHEL 5.3 guest hangs" and .descriptor.guest.os.id == "rhel" and .configuration.verdict == "validated"'
check_eval "... never Microsoft's internal note, nor the public ones" "! grep -q 'MS-INTERNAL\|PUBLIC:' '$TMP/resp'"
check "... only its own entitlement and collaboration, no charge" j '(.entitlement | keys) == ["red-hat"] and (.collaborations | length) == 1 and (has("per_call_charge") | not)'
check "... with its own response clock" j '[.sla.collaborations[].vendor] == ["red-hat"] and .sla.collaborations[0].response.state == "pending"'
check "... and no token ids of anyone" sh -c "! grep -q 'tok_' '$TMP/resp'"
check "Red Hat accepts" test "$(as rh POST "/api/v1/cases/$id/collaborations/$col" '{"action": "accept"}')" = 200
check "... the response met its target" j '.collaborations[0].state == "accepted" and (.collaborations[0].responded_at | length > 0) and .sla.collaborations[0].response.state == "met"'
as rh POST "/api/v1/cases/$id/notes" '{"visibility": "shared", "body": "SHARED: known issue, fixed in kernel-2.6.18-128.1.6"}' >/dev/null
check "Red Hat answers with a shared note" j '.note.visibility == "shared" and .note.author.org == "vendor:red-hat"'
as rh GET "/api/v1/cases/$id" >/dev/null
check "... which its view of the case has, with no other's note" j '(.notes | map(select(.visibility == "shared")) | length) == 1 and (.notes | length) == 1'
check "Red Hat may not write to the customer directly (public): 403" test "$(as rh POST "/api/v1/cases/$id/notes" '{"visibility": "public", "body": "hi"}')" = 403
as ms GET "/api/v1/cases/$id" >/dev/null
check_eval "Microsoft sees the shared note" "grep -q 'SHARED: known issue' '$TMP/resp'"
check "Red Hat proposes the resolution: resolved" test "$(as rh POST "/api/v1/cases/$id/state" '{"to": "resolved", "resolution": "update the guest kernel to 2.6.18-128.1.6"}')" = 200
check "... with who resolved it" j '.state == "resolved" and .resolution.by.org == "vendor:red-hat"'
check "a Microsoft engineer may not close it: 409" test "$(as ms POST "/api/v1/cases/$id/state" '{"to": "closed"}')" = 409
check "Red Hat may not close it either: 403" test "$(as rhmgr POST "/api/v1/cases/$id/state" '{"to": "closed"}')" = 403
check "Microsoft's manager closes it" test "$(as msmgr POST "/api/v1/cases/$id/state" '{"to": "closed"}')" = 200
check "... closed" j '.state == "closed"'
check "the audit trail has every step, in order, each with who and when" j '[.events[] | .action] == ["opened", "state", "note", "note", "engage", "state", "collaboration", "note", "state", "state"] and all(.events[]; .at and .author.org and .author.role)'

# ---- what the customer sees ----
check "the customer reads its case: 200" test "$(as cust GET "/api/v1/cases/$id")" = 200
check "... the public note only" j '[.notes[].visibility] == ["public"]'
check_eval "... no internal or shared text anywhere" "! grep -q 'MS-INTERNAL\|SHARED:' '$TMP/resp'"
check "... the resolution and the charge" j '.resolution.text and .per_call_charge.vendor == "microsoft"'
check "... that Red Hat is engaged, not what the vendors wrote about it" j '.collaborations[0].vendor == "red-hat" and (.collaborations[0] | has("reason") | not)'
check "... no token ids" sh -c "! grep -q 'tok_' '$TMP/resp'"
check "the customer reopens it within the window" test "$(as cust POST "/api/v1/cases/$id/state" '{"to": "reopened"}')" = 200
check "... in progress again" j '.state == "in-progress"'

# ---- negatives ----
check "unvalidated (2 vCPUs): the case opens (201)" test "$(as cust POST /api/v1/cases "$(open_body microsoft 2 "$TMP/d-2vcpu.json" "2 vCPU guest slow")")" = 201
id2=$(jq -r .id "$TMP/resp")
check "... saying plainly that Microsoft supports it alone" j '.configuration.verdict == "not-validated" and (.configuration.cooperative | not) and (.configuration.statement | test("microsoft supports this case alone|Microsoft supports this case alone"))'
check_eval "... and no engagement is offered: 409 not_validated, with the reason" "[ \"\$(as ms POST /api/v1/cases/$id2/engage '{\"vendor\": \"red-hat\"}')\" = 409 ] && jq -e '.error.code == \"not_validated\" and (.error.message | test(\"vCPU\"))' '$TMP/resp' >/dev/null"
check "no entitlement (Fabrikam, no agreements): 422 not_entitled" test "$(as fab POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "no agreement")")" = 422
check "... with the reason for every rule, as a list too" j '.error.code == "not_entitled" and (.error.message | test("no support-agreement with microsoft")) and .error.reasons == ["support agreement covering the guest or the host: no support-agreement with microsoft", "per-call support: no per-call with microsoft"]'
cat >"$TMP/agr-old.json" <<'EOF'
{"id": "fabrikam-rhel-2009", "customer": "fabrikam", "vendor": "red-hat", "kind": "subscription",
 "valid_from": "2009-01-01", "valid_to": "2010-12-31", "covers": [{"guest": "rhel", "versions": ["5.3"]}]}
EOF
"$COVALID" admin agreement add "$TMP/agr-old.json" $O >/dev/null
check "an expired agreement: 422" test "$(as fab POST /api/v1/cases "$(open_body red-hat 3 "$TMP/d-validated.json" "expired")")" = 422
check "... saying it expired" j '.error.message | test("fabrikam-rhel-2009 expired")'
check_eval "a guest version the subscription does not cover: 422" "jq '.guest.os.version = \"5.9\"' '$TMP/d-validated.json' >'$TMP/d59.json' && [ \"\$(as cust POST /api/v1/cases \"\$(open_body red-hat 3 '$TMP/d59.json' 'rhel 5.9')\")\" = 422 ] && jq -e '.error.message | test(\"does not cover the guest rhel 5.9\")' '$TMP/resp' >/dev/null"
as cust POST /api/v1/cases '{"vendor": "microsoft", ' >/dev/null
check "a body that is not JSON: 400 malformed_json" j '.error.code == "malformed_json"'
echo '{"customer": "contoso", "vendor": "red-hat", "kind": "subscription", "valid_from": "2012-01-01", "valid_to": "2011-01-01"}' >"$TMP/agr-bad.json"
expect_exit 2 "an agreement ending before it starts: refused" "$COVALID" admin agreement add "$TMP/agr-bad.json" $O
check "... naming the dates" grep -q "valid_from and valid_to" "$TMP/err"
# Issue 9, D14: impossible calendar dates are refused, the field named.
check_eval "valid_from 2009-02-30: 400 naming valid_from" "[ \"\$(as owner POST /api/v1/admin/agreements '{\"customer\": \"contoso\", \"vendor\": \"red-hat\", \"kind\": \"subscription\", \"valid_from\": \"2009-02-30\", \"valid_to\": \"2030-12-31\"}')\" = 400 ] && jq -e '.error.code == \"invalid_field\" and (.error.message | test(\"^valid_from: \")) and (.error.message | test(\"2009-02-30\"))' '$TMP/resp' >/dev/null"
check_eval "valid_to 2009-02-29 (not a leap year): 400 naming valid_to" "[ \"\$(as owner POST /api/v1/admin/agreements '{\"customer\": \"contoso\", \"vendor\": \"red-hat\", \"kind\": \"subscription\", \"valid_from\": \"2009-01-01\", \"valid_to\": \"2009-02-29\"}')\" = 400 ] && jq -e '.error.message | test(\"^valid_to: \")' '$TMP/resp' >/dev/null"
echo '{"customer": "contoso", "vendor": "red-hat", "kind": "subscription", "valid_from": "2009-13-01", "valid_to": "2010-01-00"}' >"$TMP/agr-month13.json"
expect_exit 2 "valid_from 2009-13-01 through the CLI: refused" "$COVALID" admin agreement add "$TMP/agr-month13.json" $O
check "... naming valid_from" grep -q "valid_from: " "$TMP/err"
check_eval "2008-02-29 (a leap year) is a date: 201" "[ \"\$(as owner POST /api/v1/admin/agreements '{\"customer\": \"fabrikam\", \"vendor\": \"red-hat\", \"kind\": \"subscription\", \"valid_from\": \"2008-02-29\", \"valid_to\": \"2008-03-01\"}')\" = 201 ]"
echo '{"customer": "nobody", "vendor": "red-hat", "kind": "subscription", "valid_from": "2012-01-01", "valid_to": "2013-01-01"}' >"$TMP/agr-nobody.json"
expect_exit 2 "an agreement for an unknown customer: refused" "$COVALID" admin agreement add "$TMP/agr-nobody.json" $O
check "... naming it" grep -q "no customer 'nobody'" "$TMP/err"
check "a bad severity: 400" test "$(as cust POST /api/v1/cases "$(open_body microsoft 7 "$TMP/d-validated.json" "x")")" = 400
check_eval "an unknown field: 400 naming it" "[ \"\$(as cust POST /api/v1/cases '{\"vendor\": \"microsoft\", \"colour\": 1}')\" = 400 ] && jq -e '.error.message | test(\"colour\")' '$TMP/resp' >/dev/null"
check "a vendor opening a case: 403" test "$(as ms POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "x")")" = 403

# ---- concurrency: one case, two engineers at once ----
check "the case is at some version" test "$(as ms GET "/api/v1/cases/$id2")" = 200
v=$(jq .version "$TMP/resp")
as_n 1 ms POST "/api/v1/cases/$id2/state" "{\"to\": \"in-progress\", \"version\": $v}" >"$TMP/c1" &
p1=$!
as_n 2 msmgr POST "/api/v1/cases/$id2/state" "{\"to\": \"in-progress\", \"version\": $v}" >"$TMP/c2" &
p2=$!
wait $p1 $p2
check "two changes from the same version at once: one 200, one 409 (no lost update)" test "$(sort "$TMP/c1" "$TMP/c2" | tr '\n' ' ')" = "200 409 "
i=0
pids=
while [ $i -lt 8 ]; do
	as_n "n$i" ms POST "/api/v1/cases/$id2/notes" "{\"visibility\": \"internal\", \"body\": \"note $i\"}" >"$TMP/n$i" &
	pids="$pids $!"
	i=$((i + 1))
done
wait $pids # not the server
as ms GET "/api/v1/cases/$id2" >/dev/null
check "eight notes at once, without a version: all eight kept" j '[.notes[].body | select(startswith("note "))] | length == 8'
check "the audit trail is complete: an event for every change, numbered without gaps" j '(.events | length) == 10 and ([.events[].seq] == [range(1; 11)])'
check_eval "If-Match with a stale version: 409 conflict" "printf '{\"to\": \"waiting-on-customer\"}' >'$TMP/b.json' && [ \"\$(curl -s -o '$TMP/resp' -w '%{http_code}' -H 'Content-Type: application/json' -H \"Authorization: Bearer \$(cat '$TMP/tok/ms')\" -H 'If-Match: \"1\"' --data-binary @'$TMP/b.json' '$URL/api/v1/cases/$id2/state')\" = 409 ] && jq -e '.error.code == \"conflict\"' '$TMP/resp' >/dev/null"

# RFC 9110 §13.1.1: "*" matches any current representation; a weak tag never matches.
im_state() { # IF-MATCH: the status of moving case 2 to waiting-on-customer
	printf '{"to": "waiting-on-customer"}' >"$TMP/b.json"
	curl -s -o "$TMP/resp" -w '%{http_code}' -H 'Content-Type: application/json' -H "Authorization: Bearer $(cat "$TMP/tok/ms")" \
		-H "If-Match: $1" --data-binary @"$TMP/b.json" "$URL/api/v1/cases/$id2/state"
}
check_eval "If-Match with a weak tag: 412" "[ \"\$(im_state 'W/\"1\"')\" = 412 ]"
check_eval "If-Match: * is any version: the move is made (200)" "[ \"\$(im_state '*')\" = 200 ] && jq -e '.state == \"waiting-on-customer\"' '$TMP/resp' >/dev/null"

# ---- SLA clocks ----
"$COVALID" admin support-policy get $O >"$TMP/policy.json"
jq '.sla.standard["4"].first_response_s = 60 | .sla.premium["4"].first_response_s = 60' "$TMP/policy.json" >"$TMP/fast.json"
expect_exit 0 "the owner sets a support policy with a 60 s first response for severity 4" "$COVALID" admin support-policy set "$TMP/fast.json" $O
as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" "slow answer")" >/dev/null
id3=$(jq -r .id "$TMP/resp")
as msmgr GET "/api/v1/cases?state=new" >/dev/null
check "just opened, its first response is pending" j --arg id "$id3" '.items[] | select(.id == $id) | (.sla.breached | not) and .sla.first_response.state == "pending"'
# No sleep: the server comes back with its support clock an hour ahead.
server_stop
check "the server restarts with --support-clock-offset 3600" server_start "$DB" --support-clock-offset 3600
O="--server $URL --token-file $TMP/tok/owner"
expect_exit 2 "an offset over a year is a usage error" "$COVALID" serve --db "$DB" --support-clock-offset 31622401
as msmgr GET "/api/v1/cases?state=new" >/dev/null
check "an hour later the queue shows the breach" j --arg id "$id3" '.items[] | select(.id == $id) | .sla.breached and .sla.first_response.state == "breached"'
check_eval "and /metrics counts it" "curl -sf '$URL/metrics' | grep -Eq '^covalid_support_sla_breaches\{clock=\"first_response\"\} [1-9]'"
echo '{"schema": "covalid.support-policy/1", "sla": {}}' >"$TMP/bad.json"
expect_exit 2 "a bad support policy is refused" "$COVALID" admin support-policy set "$TMP/bad.json" $O

# ---- the CLI ----
expect_exit 0 "covalid case list (Microsoft's manager)" "$COVALID" case list --server "$URL" --token-file "$TMP/tok/msmgr"
check "... under a header: id, state, severity, vendor, SLA, age, title" grep -Eq '^ID +STATE +SEV +VENDOR +SLA +AGE +TITLE$' "$TMP/out"
check "... the breached case says so in its SLA column" grep -Eq "^$id3 +new +4 +microsoft +breached +[0-9]+[smhd] +slow answer\$" "$TMP/out"
check "... piped, nothing is cut" sh -c "! grep -q '…' '$TMP/out'"
script -qec "COLUMNS=50 '$COVALID' case list --server '$URL' --token-file '$TMP/tok/msmgr'" /dev/null </dev/null >"$TMP/tty"
widest() { tr -d '\r' <"$1" | sed 's/…/./g' | awk '{ if (length($0) > m) m = length($0) } END { print m }'; }
check_eval "... on a 50-column terminal every line fits, cut with …" "grep -q '…' '$TMP/tty' && [ \$(widest '$TMP/tty') -le 50 ]"
expect_exit 0 "covalid admin customer list --json" "$COVALID" admin customer list --json $O
check "... prints JSON, the customers in it" jq -e '[.items[].id] | index("contoso")' "$TMP/out"
"$COVALID" admin customer list $O >"$TMP/plain"
check "... as admin does without --json (the server's JSON, indented)" cmp -s "$TMP/out" "$TMP/plain"
expect_exit 0 "covalid case list with no cases (Fabrikam: none opened)" "$COVALID" case list --server "$URL" --token-file "$TMP/tok/fab"
check "... says so" test "$(cat "$TMP/out")" = "no cases"
expect_exit 0 "... --json: the answer, no case in it" "$COVALID" case list --json --server "$URL" --token-file "$TMP/tok/fab"
check "... items []" test "$(jq -c .items "$TMP/out")" = "[]"
expect_exit 0 "covalid case show (Microsoft, the first case)" "$COVALID" case show "$id" --server "$URL" --token-file "$TMP/tok/ms"
check "... the description (open_body's: tests/lib/support.sh)" grep -qx "about     the guest hangs at boot: RHEL 5.3 guest hangs" "$TMP/out"
check "... the entitlement: which agreement, for each vendor" sh -c "grep -q '^entitled  microsoft: yes, by agreement contoso-ms-percall (rule per-call support' '$TMP/out' && grep -Eq '^ +red-hat: yes, by agreement contoso-rhel-sub ' '$TMP/out'"
check "... opened first, then in-progress, the internal note, the public one, the engagement, the acceptance" sh -c "
	grep -E '^(event|note) ' '$TMP/out' >'$TMP/tl'
	sed -n 1p '$TMP/tl' | grep -q 'customer:contoso.*: opened with microsoft, severity 1\$' &&
	sed -n 2p '$TMP/tl' | grep -q ': new -> in-progress' &&
	sed -n 3p '$TMP/tl' | grep -q '^note      \[internal\] vendor:microsoft .*MS-INTERNAL' &&
	sed -n 4p '$TMP/tl' | grep -q '^note      \[public\] vendor:microsoft .*PUBLIC: we are looking' &&
	sed -n 5p '$TMP/tl' | grep -q ': engaged red-hat (col_1)' &&
	grep -q 'vendor:red-hat.*: collaboration col_1 accepted' '$TMP/tl'"
expect_exit 0 "covalid case open (the customer, the validated descriptor)" "$COVALID" case open --vendor microsoft --severity 2 --title "from the CLI" --descriptor "$TMP/d-validated.json" --server "$URL" --token-file "$TMP/tok/cust"
check_eval "... shows the new case and its configuration" "grep -q '^case  *case_' '$TMP/out' && grep -q 'validated configuration' '$TMP/out'"
expect_exit 2 "covalid case open refused for no entitlement: exit 2" "$COVALID" case open --vendor microsoft --severity 2 --title x --descriptor "$TMP/d-validated.json" --server "$URL" --token-file "$TMP/tok/fab"
check "... naming the reason" grep -q "not entitled" "$TMP/err"
done_testing
