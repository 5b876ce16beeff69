#!/bin/sh
# t6002: the isolation matrix of cooperative support.  Every role, against
# every kind of resource, with every verb: the allowed ones succeed, every
# other one gets 403 or 404 and its answer leaks nothing (a case a user may
# not know of answers exactly as a case that does not exist).  The matrix
# is the table below: a role or a resource is a row more.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

support_begin
# A third vendor, engaged on nothing, and agreements for Fabrikam's own case.
"$COVALID" admin vendor add SUSE $O >/dev/null
"$COVALID" admin user add "Sam (SUSE)" --role vendor-engineer --vendor suse --out "$TMP/tok/suse" $O >/dev/null
echo '{"id": "fab-ms", "customer": "fabrikam", "vendor": "microsoft", "kind": "support-agreement", "valid_from": "2009-01-01", "valid_to": "2030-12-31", "covers": [{"hypervisor": "microsoft"}]}' >"$TMP/fab.json"
"$COVALID" admin agreement add "$TMP/fab.json" $O >/dev/null
# Two more vendors Contoso is entitled with: Oracle will decline its
# collaboration request, VMware will see its through to done.  Neither may
# keep the engaged vendor's access afterwards.
for v in Oracle VMware; do
	id=$(echo "$v" | tr 'A-Z' 'a-z')
	"$COVALID" admin vendor add "$v" $O >/dev/null
	"$COVALID" admin user add "Eng ($v)" --role vendor-engineer --vendor "$id" --out "$TMP/tok/$id" $O >/dev/null
	echo "{\"id\": \"contoso-$id\", \"customer\": \"contoso\", \"vendor\": \"$id\", \"kind\": \"support-agreement\", \"valid_from\": \"2009-01-01\", \"valid_to\": \"2030-12-31\"}" >"$TMP/agr-$id.json"
	"$COVALID" admin agreement add "$TMP/agr-$id.json" $O >/dev/null
done

# The world: Contoso's case with Microsoft, Red Hat engaged, a note of every
# visibility from each side; Fabrikam's case with Microsoft.
as cust POST /api/v1/cases "$(open_body microsoft 2 "$TMP/d-validated.json" "CONTOSO-CASE")" >/dev/null
C=$(jq -r .id "$TMP/resp")
as cust POST "/api/v1/cases/$C/notes" '{"visibility": "public", "body": "CUST-PUBLIC"}' >/dev/null
as ms POST "/api/v1/cases/$C/notes" '{"visibility": "internal", "body": "MS-INTERNAL"}' >/dev/null
as ms POST "/api/v1/cases/$C/notes" '{"visibility": "shared", "body": "MS-SHARED"}' >/dev/null
as ms POST "/api/v1/cases/$C/notes" '{"visibility": "public", "body": "MS-PUBLIC"}' >/dev/null
as ms POST "/api/v1/cases/$C/engage" '{"vendor": "red-hat"}' >/dev/null
COL=$(jq -r '.collaborations[0].id' "$TMP/resp")
as rh POST "/api/v1/cases/$C/notes" '{"visibility": "internal", "body": "RH-INTERNAL"}' >/dev/null
# Oracle is asked and declines; VMware is asked, works, writes and is done.
as ms POST "/api/v1/cases/$C/engage" '{"vendor": "oracle"}' >/dev/null
COL_ORA=$(jq -r '.collaborations[] | select(.vendor == "oracle") | .id' "$TMP/resp")
as ms POST "/api/v1/cases/$C/engage" '{"vendor": "vmware"}' >/dev/null
COL_VMW=$(jq -r '.collaborations[] | select(.vendor == "vmware") | .id' "$TMP/resp")
as oracle GET "/api/v1/cases/$C" >/dev/null
ORA_BEFORE=$(jq -r .title "$TMP/resp")
as oracle POST "/api/v1/cases/$C/collaborations/$COL_ORA" '{"action": "decline", "reason": "not ours"}' >/dev/null
as vmware POST "/api/v1/cases/$C/collaborations/$COL_VMW" '{"action": "accept"}' >/dev/null
as vmware POST "/api/v1/cases/$C/notes" '{"visibility": "shared", "body": "VMW-SHARED"}' >/dev/null
as vmware POST "/api/v1/cases/$C/collaborations/$COL_VMW" '{"action": "done"}' >/dev/null
VMW_DONE=$(jq -r ".collaborations[] | select(.id == \"$COL_VMW\") | .state" "$TMP/resp")
# Written after both left: neither may read it.
as ms POST "/api/v1/cases/$C/notes" '{"visibility": "shared", "body": "MS-SHARED-LATER"}' >/dev/null
as fab POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "FABRIKAM-CASE")" >/dev/null
F=$(jq -r .id "$TMP/resp")
check "the world is set up (two cases, a collaboration)" sh -c "[ -n '$C' ] && [ -n '$F' ] && [ '$C' != null ] && [ '$F' != null ] && [ '$COL' = col_1 ]"
check "... Oracle read the case while asked, then declined; VMware is done" sh -c "[ '$ORA_BEFORE' = CONTOSO-CASE ] && [ '$COL_ORA' = col_2 ] && [ '$COL_VMW' = col_3 ] && [ '$VMW_DONE' = done ]"

# A made-up case: what "does not exist" looks like.
as ms GET /api/v1/cases/case_20090101_000000000000 >/dev/null
cp "$TMP/resp" "$TMP/notfound.json"

# do VERB TARGET USER: one request; status echoed, answer in $TMP/resp
do_verb() {
	verb=$1 target=$2 user=$3
	case $target in contoso) id=$C ;; fabrikam) id=$F ;; *) id=$target ;; esac
	case $verb in
	read) as "$user" GET "/api/v1/cases/$id" ;;
	list) as "$user" GET /api/v1/cases ;;
	note-public | note-shared | note-internal)
		as "$user" POST "/api/v1/cases/$id/notes" "{\"visibility\": \"${verb#note-}\", \"body\": \"matrix $user\"}" ;;
	waiting) as "$user" POST "/api/v1/cases/$id/state" '{"to": "waiting-on-customer"}' ;;
	resolve) as "$user" POST "/api/v1/cases/$id/state" '{"to": "resolved", "resolution": "matrix"}' ;;
	engage-suse) as "$user" POST "/api/v1/cases/$id/engage" '{"vendor": "suse"}' ;;
	working) as "$user" POST "/api/v1/cases/$id/collaborations/$COL" '{"action": "working"}' ;;
	own-accept | own-done)
		case $user in oracle) own=$COL_ORA ;; vmware) own=$COL_VMW ;; *) own=$COL ;; esac
		as "$user" POST "/api/v1/cases/$id/collaborations/$own" "{\"action\": \"${verb#own-}\"}" ;;
	agreements) as "$user" GET /api/v1/agreements ;;
	agreements-fab) as "$user" GET "/api/v1/agreements?customer=fabrikam" ;;
	agreement-add) as "$user" POST /api/v1/admin/agreements '{"customer": "contoso", "vendor": "suse", "kind": "subscription", "valid_from": "2020-01-01", "valid_to": "2020-12-31"}' ;;
	user-add) as "$user" POST /api/v1/admin/users '{"name": "x", "role": "owner"}' ;;
	*) echo "unknown verb $verb" >&2; return 1 ;;
	esac
}

# role     verb            target    status  the answer must not contain (| separated), or -
MATRIX='
cust       read            contoso   200     MS-INTERNAL|MS-SHARED|RH-INTERNAL
fab        read            contoso   404     CONTOSO|contoso
ms         read            contoso   200     RH-INTERNAL
msmgr      read            contoso   200     RH-INTERNAL
rh         read            contoso   200     MS-INTERNAL|MS-PUBLIC|CUST-PUBLIC|per_call_charge
rhmgr      read            contoso   200     MS-INTERNAL|MS-PUBLIC|CUST-PUBLIC
suse       read            contoso   404     CONTOSO|contoso
owner      read            contoso   200     MS-INTERNAL|MS-SHARED|RH-INTERNAL|CUST-PUBLIC|MS-PUBLIC|descriptor|description
cust       read            fabrikam  404     FABRIKAM|fabrikam
ms         read            fabrikam  200     -
rh         read            fabrikam  404     FABRIKAM|fabrikam
cust       list            -         200     FABRIKAM-CASE|MS-INTERNAL
fab        list            -         200     CONTOSO-CASE
rh         list            -         200     FABRIKAM-CASE|MS-INTERNAL
suse       list            -         200     CONTOSO-CASE|FABRIKAM-CASE
cust       note-public     contoso   200     MS-INTERNAL|MS-SHARED|RH-INTERNAL
cust       note-shared     contoso   403     MS-INTERNAL
cust       note-internal   contoso   403     MS-INTERNAL
fab        note-public     contoso   404     CONTOSO
ms         note-internal   contoso   200     RH-INTERNAL
rh         note-public     contoso   403     MS-INTERNAL
rh         note-shared     contoso   200     MS-INTERNAL|MS-PUBLIC|CUST-PUBLIC
rh         note-internal   contoso   200     MS-INTERNAL
suse       note-shared     contoso   404     CONTOSO
owner      note-public     contoso   403     MS-INTERNAL
cust       waiting         contoso   403     MS-INTERNAL
rh         waiting         contoso   403     MS-INTERNAL
suse       waiting         contoso   404     CONTOSO
owner      waiting         contoso   403     MS-INTERNAL
rh         resolve         contoso   403     MS-INTERNAL
cust       engage-suse     contoso   403     MS-INTERNAL
rh         engage-suse     contoso   403     MS-INTERNAL
suse       engage-suse     contoso   404     CONTOSO
ms         engage-suse     contoso   422     MS-INTERNAL
cust       working         contoso   403     MS-INTERNAL
ms         working         contoso   403     RH-INTERNAL
suse       working         contoso   404     CONTOSO
rh         working         contoso   409     MS-INTERNAL
cust       agreements      -         200     fab-ms|fabrikam
fab        agreements      -         200     contoso
cust       agreements-fab  -         200     fab-ms|fabrikam
ms         agreements      -         200     contoso-rhel-sub
rh         agreements      -         200     contoso-ms-percall|fab-ms
suse       agreements      -         200     contoso|fabrikam
cust       agreement-add   -         403     -
ms         agreement-add   -         403     -
rh         agreement-add   -         403     -
owner      agreement-add   -         201     -
cust       user-add        -         403     -
ms         user-add        -         403     -
oracle     read            contoso   404     CONTOSO|contoso|MS-SHARED-LATER
vmware     read            contoso   404     CONTOSO|contoso|MS-SHARED-LATER|VMW-SHARED
oracle     list            -         200     CONTOSO-CASE|MS-SHARED-LATER
vmware     list            -         200     CONTOSO-CASE|MS-SHARED-LATER
oracle     note-shared     contoso   404     CONTOSO|MS-SHARED-LATER
vmware     note-shared     contoso   404     CONTOSO|MS-SHARED-LATER
oracle     note-internal   contoso   404     CONTOSO
vmware     note-internal   contoso   404     CONTOSO
oracle     resolve         contoso   404     CONTOSO
vmware     resolve         contoso   404     CONTOSO
oracle     waiting         contoso   404     CONTOSO
vmware     engage-suse     contoso   404     CONTOSO
oracle     own-accept      contoso   404     CONTOSO
vmware     own-done        contoso   404     CONTOSO
'
echo "$MATRIX" | while read -r role verb target want never; do
	[ -n "$role" ] || continue
	got=$(do_verb "$verb" "$target" "$role")
	leak=
	if [ "$never" != - ]; then
		leak=$(printf '%s\n' "$never" | tr '|' '\n' | while read -r w; do grep -q -F -e "$w" "$TMP/resp" && printf '%s ' "$w"; done)
	fi
	same404=ok
	if [ "$want" = 404 ] && ! jq -S . "$TMP/resp" | cmp -s - "$(jq -S . "$TMP/notfound.json" >"$TMP/nf"; echo "$TMP/nf")"; then
		same404="differs from a case that does not exist"
	fi
	if [ "$got" = "$want" ] && [ -z "$leak" ] && [ "$same404" = ok ]; then
		echo "ok - $role $verb $target: $want"
	else
		echo "not ok - $role $verb $target: got $got, expected $want${leak:+; leaks $leak}$( [ "$same404" = ok ] || echo "; $same404")"
		head -c 300 "$TMP/resp" | sed 's/^/# /' >&2
		echo >&2
	fi
done >"$TMP/matrix.tap"
while read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	*) not_ok "${line#not ok - }" ;;
	esac
done <"$TMP/matrix.tap"
check "every row of the matrix ran ($(echo "$MATRIX" | grep -c .) rows)" test "$(wc -l <"$TMP/matrix.tap")" = "$(echo "$MATRIX" | grep -c .)"

# Allowed rows must also have done what they said: the engaged vendor's
# shared note is visible to the opener; the customer's note to the customer.
as ms GET "/api/v1/cases/$C" >/dev/null
check "the rows that succeeded changed the case (Red Hat's shared matrix note reached Microsoft)" sh -c "grep -q 'matrix rh' '$TMP/resp' && ! grep -q 'matrix suse' '$TMP/resp' && ! grep -q 'matrix fab' '$TMP/resp'"
check "... and none of a declined or done vendor's did" sh -c "! grep -q 'matrix oracle' '$TMP/resp' && ! grep -q 'matrix vmware' '$TMP/resp' && jq -e '.state == \"engaged\" and .resolution == null' '$TMP/resp' >/dev/null"

# Re-engaging is a new request by the opened vendor: the vendor is engaged
# again, with an engaged vendor's view (docs/support.md, "Collaboration
# requests"), and loses it again when it declines.
check "Microsoft engages Oracle again: 200" test "$(as ms POST "/api/v1/cases/$C/engage" '{"vendor": "oracle"}')" = 200
COL_ORA2=$(jq -r '[.collaborations[] | select(.vendor == "oracle")] | last | .id' "$TMP/resp")
check_eval "... Oracle reads the case again, as an engaged vendor" "[ \"\$(as oracle GET /api/v1/cases/$C)\" = 200 ] && jq -e '(.entitlement | keys) == [\"oracle\"] and ([.notes[].body] | index(\"MS-INTERNAL\") | not)' '$TMP/resp' >/dev/null"
as oracle GET /api/v1/cases >/dev/null
check "... and it is back in Oracle's queue" jq -e --arg id "$C" '[.items[].id] | index($id)' "$TMP/resp"
as oracle POST "/api/v1/cases/$C/collaborations/$COL_ORA2" '{"action": "decline", "reason": "still not ours"}' >/dev/null
check "... declined again: 404 once more" test "$(as oracle GET "/api/v1/cases/$C")" = 404
done_testing
