#!/bin/sh
# t6010: the owner's dashboard, GET /api/v1/admin/dashboard, on the real
# server: its numbers against cases this test opened and moved (cases by
# vendor and state), an SLA clock it made breach (a 60 s first response,
# then the server's support clock an hour ahead: no sleep), and the
# catalog's coverage against the seed file itself; only the owner may
# read it, and a bad ?days= is a 400 naming it.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

support_begin
ok "the support programme is set up ($URL)"

# ---- who may read it ----
check "no token: 401" test "$(api GET /api/v1/admin/dashboard)" = 401
check "a customer's administrator: 403" test "$(as cust GET /api/v1/admin/dashboard)" = 403
check "a vendor's manager: 403" test "$(as msmgr GET /api/v1/admin/dashboard)" = 403
for d in 0 367 abc -1 1x; do
	st=$(as owner GET "/api/v1/admin/dashboard?days=$d")
	check "days=$d: 400 invalid_parameter naming days" sh -c "[ $st = 400 ] && jq -e '.error.code == \"invalid_parameter\" and (.error.message | test(\"days: 1 to 366\"))' '$TMP/resp' >/dev/null"
done

# ---- nothing yet ----
check "the owner: 200" test "$(as owner GET /api/v1/admin/dashboard)" = 200
check "no cases, no breaches, 30 days by default" j '.cases.total == 0 and .cases.by_vendor == [] and .sla.days == 30 and (.sla.breaches | length) == 30 and ([.sla.breaches[] | .first_response + .next_update + .collaboration] | add) == 0'

# ---- the catalog's coverage, against the seed file ----
seed="$SRC/data/validated-configs.jsonl"
total=$(jq -s 'length' "$seed")
validated=$(jq -s '[.[] | select(.status == "validated")] | length' "$seed")
revoked=$(jq -s '[.[] | select(.status == "revoked")] | length' "$seed")
check "catalog: $total configurations, $validated validated, $revoked revoked (the seed file's)" \
	j --argjson t "$total" --argjson v "$validated" --argjson r "$revoked" \
	'.catalog.total == $t and .catalog.by_status.validated == $v and .catalog.by_status.revoked == $r and ([.catalog.by_status[]] | add) == $t'
ms_all=$(jq -s '[.[] | select((.validated_by // []) + [.guest.vendor, .hypervisor.vendor] | index("Microsoft"))] | length' "$seed")
ms_val=$(jq -s '[.[] | select(.status == "validated") | select((.validated_by // []) + [.guest.vendor, .hypervisor.vendor] | index("Microsoft"))] | length' "$seed")
check "catalog: Microsoft's $ms_all configurations, $ms_val validated (validated by it, or its guest or hypervisor)" \
	j --argjson a "$ms_all" --argjson v "$ms_val" '.catalog.by_vendor[] | select(.vendor == "microsoft") | .total == $a and .validated == $v'

# ---- cases: two with Microsoft, one with Red Hat ----
"$COVALID" admin support-policy get $O >"$TMP/policy.json"
jq '.sla.standard["4"].first_response_s = 60 | .sla.premium["4"].first_response_s = 60' "$TMP/policy.json" >"$TMP/fast.json"
expect_exit 0 "a support policy with a 60 s first response for severity 4" "$COVALID" admin support-policy set "$TMP/fast.json" $O
check "open A (Microsoft, severity 4)" test "$(as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" "A")")" = 201
a=$(jq -r .id "$TMP/resp")
check "open B (Microsoft, severity 4)" test "$(as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" "B")")" = 201
b=$(jq -r .id "$TMP/resp")
check "open C (Red Hat, severity 2)" test "$(as cust POST /api/v1/cases "$(open_body red-hat 2 "$TMP/d-validated.json" "C")")" = 201
check "Microsoft answers B at once: in progress" test "$(as ms POST "/api/v1/cases/$b/state" '{"to": "in-progress", "version": 1}')" = 200

as owner GET /api/v1/admin/dashboard >/dev/null
check "3 cases: Microsoft new 1 and in progress 1, Red Hat new 1" j \
	'.cases.total == 3 and ([.cases.by_vendor[] | {(.vendor): {states, total}}] | add) ==
	 {"microsoft": {"states": {"new": 1, "in-progress": 1}, "total": 2}, "red-hat": {"states": {"new": 1}, "total": 1}}'
check "the states are listed in order" j '.cases.states == ["new", "in-progress", "waiting-on-customer", "engaged", "resolved", "closed"]'
check "no breach yet" j '.sla.open_breached == 0 and ([.sla.breaches[] | .first_response + .next_update + .collaboration] | add) == 0'

# ---- an hour later: A's first response is breached, on the day it fell due ----
server_stop
check "the server restarts with its support clock an hour ahead" server_start "$DB" --support-clock-offset 3600
as owner GET "/api/v1/cases/$a" >/dev/null
due=$(jq -r '.sla.first_response.due' "$TMP/resp")
day=${due%%T*}
check "A's first response is breached (due $due)" j '.sla.first_response.state == "breached"'
check "the dashboard: 200 with days=7" test "$(as owner GET '/api/v1/admin/dashboard?days=7')" = 200
check "one open case breached" j '.sla.open_breached == 1 and .sla.days == 7 and (.sla.breaches | length) == 7'
check "one breach, a first response, on $day" j --arg d "$day" \
	'([.sla.breaches[] | .first_response + .next_update + .collaboration] | add) == 1 and
	 ([.sla.breaches[] | select(.day == $d)][0].first_response == 1)'
check "the days run oldest first, one a day" j '[.sla.breaches[].day] == ([.sla.breaches[].day] | sort) and ([.sla.breaches[].day] | unique | length) == 7'

server_stop
check "the server exits cleanly" test $? -eq 0
done_testing
