#!/bin/sh
# t6008: what the web UI's case pages ask of the API (docs/support.md,
# "The web UI"): a vendor's note said with no visibility is internal,
# never public by accident; the customer is not told the numbers that
# count what it may not see (the case's version, note ids, event
# sequence); the vendor a case was opened with is told whom it may engage;
# and the case list's search (q), queue (mine=1), open cases (state=open)
# and SLA order (sort=sla), with their bad inputs.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

support_begin
ok "the support programme is set up ($URL)"

# Three cases with Microsoft: severity 3, 1 and 4, opened in that order.
for s in 3 1 4; do
	as cust POST /api/v1/cases "$(open_body microsoft $s "$TMP/d-validated.json" "QUEUE-SEV$s guest hangs")" >/dev/null
	eval "sev$s=\$(jq -r .id '$TMP/resp')"
done
check "three cases opened (severity 3, 1, 4)" test -n "$sev3" -a -n "$sev1" -a -n "$sev4" -a "$sev3" != null

# ---- a note's visibility when none is said ----
check "a note from the vendor the case was opened with, no visibility: 200" \
	test "$(as ms POST "/api/v1/cases/$sev3/notes" '{"body": "MS-NO-VISIBILITY"}')" = 200
check "... it is internal" j '.note.visibility == "internal" and .note.body == "MS-NO-VISIBILITY"'
as cust GET "/api/v1/cases/$sev3" >/dev/null
check "... the customer does not see it" sh -c "! grep -q MS-NO-VISIBILITY '$TMP/resp'"
as ms GET "/api/v1/cases/$sev3" >/dev/null
check "... and the first response clock still runs (an internal note answers no one)" \
	j '.sla.first_response.state == "pending" and .sla.first_response.met_at == null'
status=$(as cust POST "/api/v1/cases/$sev3/notes" '{"body": "CUST-NO-VISIBILITY"}')
check "the customer's note, no visibility: public (the only kind it writes) ($status)" \
	j '.note.visibility == "public" and .note.body == "CUST-NO-VISIBILITY"'

"$COVALID" case note "$sev1" "MS-CLI-NO-VISIBILITY" --server "$URL" --token-file "$TMP/tok/ms" >"$TMP/out" 2>&1
check "covalid case note by a vendor, no --visibility: internal" grep -q '^note      \[internal\] vendor:microsoft .*MS-CLI-NO-VISIBILITY$' "$TMP/out"
"$COVALID" case note "$sev1" "CUST-CLI-NO-VISIBILITY" --server "$URL" --token-file "$TMP/tok/cust" >"$TMP/out" 2>&1
check "covalid case note by the customer, no --visibility: public" grep -q '^note      \[public\] customer:contoso .*CUST-CLI-NO-VISIBILITY$' "$TMP/out"

# ---- whom the opened vendor may engage ----
as ms GET "/api/v1/cases/$sev3" >/dev/null
check "the opened vendor is told whom it may engage: Red Hat (entitled, not engaged)" j '.engageable == ["red-hat"]'
as ms POST "/api/v1/cases/$sev3/engage" '{"vendor": "red-hat", "reason": "QUEUE-ENGAGE"}' >/dev/null
check "... once Red Hat is engaged: nobody" j '.state == "engaged" and .engageable == []'
as rh GET "/api/v1/cases/$sev3" >/dev/null
check "... an engaged vendor is not told (it engages no one)" j 'has("engageable") | not'
as cust GET "/api/v1/cases/$sev3" >/dev/null
check "... nor the customer" j 'has("engageable") | not'
as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-2vcpu.json" "QUEUE-2VCPU")" >/dev/null
unvalidated=$(jq -r .id "$TMP/resp")
as ms GET "/api/v1/cases/$unvalidated" >/dev/null
check "a configuration that is not validated: nobody to engage" j '.configuration.cooperative == false and .engageable == []'
status=$(as rh POST "/api/v1/cases/$sev3/notes" '{"body": "RH-NO-VISIBILITY"}')
check "an engaged vendor's note, no visibility: internal too ($status)" j '.note.visibility == "internal"'
as ms GET "/api/v1/cases/$sev3" >/dev/null
check "... which Microsoft does not see" sh -c "! grep -q RH-NO-VISIBILITY '$TMP/resp'"

# ---- what the customer is not told ----
as ms POST "/api/v1/cases/$sev3/notes" '{"visibility": "public", "body": "MS-PUBLIC"}' >/dev/null
as cust GET "/api/v1/cases/$sev3" >/dev/null
check "the customer's view has no version" j 'has("version") | not'
check "... its notes no ids (note_N counts every party's notes)" j '(.notes | length) == 2 and all(.notes[]; has("id") | not)'
check "... its events numbered as it sees them, 1 to N, naming no note" \
	j '[.events[].seq] == [range(1; (.events | length) + 1)] and all(.events[]; .detail | has("note") | not)'
curl -s -D "$TMP/headers" -o /dev/null -H "Authorization: Bearer $(cat "$TMP/tok/cust")" "$URL/api/v1/cases/$sev3"
check "... and no ETag (it would be the version)" sh -c "! grep -qi '^etag:' '$TMP/headers'"
as cust GET "/api/v1/cases/$sev3/notes" >/dev/null
check "... its page of notes: no version, no note ids" j '(has("version") | not) and .total == 2 and all(.items[]; has("id") | not)'
# A second after sev1's last change the customer sees: times are to the
# second, and the list's order below must not rest on a tie.
sleep 1
as cust POST "/api/v1/cases/$sev3/notes" '{"body": "CUST-2"}' >/dev/null
check "... its note's answer: no version, no note id" j '(has("version") | not) and (.note | has("id") | not) and .note.body == "CUST-2"'
as cust GET /api/v1/cases >/dev/null
check "... its list: no versions" j 'all(.items[]; has("version") | not)'
as ms GET "/api/v1/cases/$sev3" >/dev/null
check "the vendor still has the version and the ids" j '(.version | type) == "number" and all(.notes[]; .id | startswith("note_"))'
# A vendor's internal note a second later changes the case, not what the
# customer sees of it: its updated_at (and its list's order) stay.
sleep 1
as ms POST "/api/v1/cases/$sev1/notes" '{"visibility": "internal", "body": "MS-LATER-INTERNAL"}' >/dev/null
as ms GET "/api/v1/cases/$sev1" >/dev/null
cp "$TMP/resp" "$TMP/ms-view.json"
as cust GET "/api/v1/cases/$sev1" >/dev/null
check "the customer's updated_at: the last change it sees (its public events, the engaging), not the internal note's" \
	jq -e --slurpfile m "$TMP/ms-view.json" '.updated_at == ([$m[0].events[] | select(.visibility == "public" or .action == "engage" or .action == "collaboration") | .at] | max)
		and .updated_at < $m[0].updated_at' "$TMP/resp"
as cust GET /api/v1/cases >/dev/null
check "... and its list is in the order of what it sees changed, the last first" \
	j '[.items[].updated_at] == ([.items[].updated_at] | sort | reverse) and .total == (.items | length)'
check "... which is not the store's order (the internal note put $sev1 first there)" \
	sh -c "[ \"\$(jq -r '.items[0].id' '$TMP/resp')\" != '$sev1' ]"

# ---- the list: search, queue, open cases, SLA order ----
as cust GET '/api/v1/cases?q=queue-sev1' >/dev/null
check "q: finds by title, case-insensitive (one case), and counts (total)" j "[.items[].id] == [\"$sev1\"] and .total == 1"
as cust GET "/api/v1/cases?q=$sev4" >/dev/null
check "q: finds by id" j "[.items[].id] == [\"$sev4\"]"
as cust GET '/api/v1/cases?q=hangs%20at%20boot:%20QUEUE-2VCPU' >/dev/null
check "q: finds by description" j "[.items[].id] == [\"$unvalidated\"]"
as cust GET '/api/v1/cases?q=MS-NO-VISIBILITY' >/dev/null
check "q: never by a note (nor an internal one)" j '.items == [] and .total == 0'
as owner GET '/api/v1/cases?q=hangs%20at%20boot' >/dev/null
check "q: not by the description for the owner, who may not read it" j '.items == [] and .total == 0'
as ms GET "/api/v1/cases?q=QUEUE&sort=sla" >/dev/null
# Expected: the policy's first response by severity (data/support-policy.json:
# standard 1: 2 h, 3: a day, 4: two days); the engaged case's next clock
# is Red Hat's response or Microsoft's next update, whichever is due first.
check "sort=sla: the cases by the clock due first (sla.next.due), in the API's own due times" \
	j '[.items[].sla.next.due] as $d | ($d | map(select(. != null))) == ($d | map(select(. != null)) | sort) and ($d | length) == 4'
check "sort=sla: the severity-1 case (first response due in 2 h) first" j ".items[0].id == \"$sev1\" and .items[0].sla.next.clock == \"first_response\""
check "sort=sla: the severity-4 case (due in two days) after the severity 1" \
	j "([.items[].id] | index(\"$sev1\")) < ([.items[].id] | index(\"$sev4\"))"
as ms POST "/api/v1/cases/$sev4/state" '{"to": "resolved", "resolution": "QUEUE-RESOLVED"}' >/dev/null
as ms GET '/api/v1/cases?state=open' >/dev/null
check "state=open: every open case, not the resolved one" \
	j "(.items | length) == 3 and ([.items[].id] | index(\"$sev4\")) == null and all(.items[]; .state != \"resolved\" and .state != \"closed\")"
as ms GET '/api/v1/cases?state=resolved' >/dev/null
check "state=resolved: the resolved one" j "[.items[].id] == [\"$sev4\"]"
as ms GET '/api/v1/cases?state=open,resolved' >/dev/null
check "state=open,resolved: all four (none is closed)" j '(.items | length) == 4 and .total == 4'
as ms GET '/api/v1/cases?state=resolved,closed' >/dev/null
check "state=resolved,closed: the resolved one" j "[.items[].id] == [\"$sev4\"]"
as ms GET '/api/v1/cases?mine=1' >/dev/null
check "mine=1 (Microsoft): its new, in-progress and engaged cases, not the resolved" \
	j "(.items | length) == 3 and ([.items[].id] | index(\"$sev4\")) == null"
as cust GET '/api/v1/cases?mine=1' >/dev/null
check "mine=1 (the customer): the resolved case waiting for it to confirm" j "[.items[].id] == [\"$sev4\"]"
as rh GET '/api/v1/cases?mine=1' >/dev/null
check "mine=1 (Red Hat): the case it is engaged on" j "[.items[].id] == [\"$sev3\"]"
as owner GET '/api/v1/cases?mine=1' >/dev/null
check "mine=1 (the owner): none, it takes no part in cases" j '.items == [] and .total == 0'
as ms GET '/api/v1/cases?state=open&sort=sla&limit=1&offset=1' >/dev/null
check "paged after judging: limit 1 offset 1 is the second of the three, total 3" j '(.items | length) == 1 and .total == 3 and .offset == 1'
as ms GET '/api/v1/cases' >/dev/null
check "the plain list is as before: no total" j 'has("total") | not'
as ms GET '/api/v1/cases?q=&mine=0&sort=updated' >/dev/null
check "an empty q, mine=0 and sort=updated ask for nothing more: the plain list" j '(has("total") | not) and (.items | length) == 4'

# ---- bad inputs: 400, naming the parameter ----
bad() { # bad QUERY NAME
	status=$(as ms GET "/api/v1/cases?$1")
	check "GET /api/v1/cases?$1: 400 naming $2" sh -c "[ '$status' = 400 ] && jq -e '.error.code == \"invalid_parameter\" and (.error.message | startswith(\"$2:\"))' '$TMP/resp' >/dev/null"
}
bad 'sort=urgent' sort
bad 'mine=yes' mine
bad 'state=opened' state
bad 'state=open,' state
bad 'state=new,,closed' state
bad "q=$(printf '%0201d' 0)" q

server_stop
check "the server exits cleanly" test $? -eq 0
done_testing
