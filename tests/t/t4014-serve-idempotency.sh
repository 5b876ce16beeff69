#!/bin/sh
# t4014: a write sent again with its Idempotency-Key is not carried out
# twice (docs/server.md, "Retries"; src/server/idempotency.c).  The
# expected answers are the ones the IETF httpapi draft "The
# Idempotency-Key HTTP Header Field" gives: the first answer again for a
# repeat, 422 for a key used with another request, 400 for a key that is
# not one; and that draft's 409 for a repeat whose answer is not known
# (t4010 meets it for real: a node killed between its commit and its
# answer).  The real server on SQLite; store-level behaviour on both
# engines is tests/unit/test-store-idem.c.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
support_begin

# key USER METHOD PATH BODY-JSON KEY: one call with that key; status echoed,
# body in $TMP/resp, headers in $TMP/hdr
key() {
	printf '%s' "$4" >"$TMP/key.req"
	curl -s -o "$TMP/resp" -D "$TMP/hdr" -w '%{http_code}' -X "$2" --max-time 20 -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$TMP/tok/$1")" -H "Idempotency-Key: $5" --data-binary "@$TMP/key.req" "$URL$3"
}
notes() { as ms GET "/api/v1/cases/$CASE/notes?limit=500" >/dev/null && jq '.items | length' "$TMP/resp"; }

check "a case to write notes to: 201" test "$(as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "idempotency")")" = 201
CASE=$(jq -r .id "$TMP/resp")
n0=$(notes)

# A note, then the same request with the same key: one note, the same answer.
check "a note with a key: 200" test "$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "k1 once"}' k1-note)" = 200
cp "$TMP/resp" "$TMP/first"
check "... it is not marked replayed" sh -c "! grep -qi '^idempotent-replayed' '$TMP/hdr'"
check "the same request again: 200" test "$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "k1 once"}' k1-note)" = 200
check "... the first answer, byte for byte" cmp -s "$TMP/first" "$TMP/resp"
check "... marked Idempotent-Replayed: true" grep -qi '^idempotent-replayed: true' "$TMP/hdr"
check "... and the note was written once ($n0 before, $(notes) after)" test "$(notes)" = $((n0 + 1))

# The key quoted as an sf-string is the same key.
st=$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "k1 once"}' '"k1-note"')
check "the key as a quoted string is the same key: replayed ($st)" sh -c "[ $st = 200 ] && grep -qi '^idempotent-replayed: true' '$TMP/hdr'"

# Another body with the key: 422, nothing written.
st=$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "k1 other"}' k1-note)
check "the key with another body: 422 idempotency_key_reused ($st)" sh -c "[ $st = 422 ] && jq -e '.error.code == \"idempotency_key_reused\"' '$TMP/resp' >/dev/null"
check "... nothing written" test "$(notes)" = $((n0 + 1))

# Keys are per principal: another user's k1-note is a key of its own.
check "another user's request with the same key is carried out: 200" test "$(key msmgr POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "k1 once"}' k1-note)" = 200
check "... and not marked replayed" sh -c "! grep -qi '^idempotent-replayed' '$TMP/hdr'"
check "... a second note" test "$(notes)" = $((n0 + 2))

# Not a key: 400, nothing written.
long=$(head -c 256 /dev/zero | tr '\0' a)
st=$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "bad"}' '""')
check "an empty key: 400 invalid_idempotency_key ($st)" sh -c "[ $st = 400 ] && jq -e '.error.code == \"invalid_idempotency_key\"' '$TMP/resp' >/dev/null"
check "a key of 256 characters: 400" test "$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "bad"}' "$long")" = 400
check "a key with a space inside: 400" test "$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "bad"}' 'a b')" = 400
check "... nothing written" test "$(notes)" = $((n0 + 2))

# A request that failed wrote nothing and kept no key: sent again, it runs again.
check "a note on a case that is not there, with a key: 404" test "$(key ms POST /api/v1/cases/case_999999/notes '{"visibility": "internal", "body": "x"}' k-missing)" = 404
st=$(key ms POST /api/v1/cases/case_999999/notes '{"visibility": "internal", "body": "x"}' k-missing)
check "... sent again: 404 again, not a replay ($st)" sh -c "[ $st = 404 ] && ! grep -qi '^idempotent-replayed' '$TMP/hdr'"

# A creation: the same case, its Location too.
body=$(open_body microsoft 2 "$TMP/d-validated.json" "created once")
check "a case opened with a key: 201" test "$(key cust POST /api/v1/cases "$body" k-case)" = 201
id1=$(jq -r .id "$TMP/resp")
loc1=$(grep -i '^location:' "$TMP/hdr" | tr -d '\r')
st=$(key cust POST /api/v1/cases "$body" k-case)
check "the same again: $st, the same case ($id1) and Location ($loc1)" sh -c "[ $st = 201 ] && [ \"\$(jq -r .id '$TMP/resp')\" = '$id1' ] && [ \"\$(grep -i '^location:' '$TMP/hdr' | tr -d '\\r')\" = '$loc1' ]"
as cust GET "/api/v1/cases?limit=500" >/dev/null
check "... one case of that title" test "$(jq '[.items[] | select(.title == "created once")] | length' "$TMP/resp")" = 1

# Two requests with one key at once, ten times over: whichever finds the
# key first runs; the other is answered the first's answer (200, replayed)
# or 409 if it came while the first was being carried out -- never a
# second note.
n1=$(notes)
racers=
i=1
while [ $i -le 10 ]; do
	printf '{"visibility": "internal", "body": "race %s"}' $i >"$TMP/race.$i.req"
	for k in a b; do
		curl -s -o "$TMP/race.$i.$k" -w '%{http_code}\n' -X POST --max-time 20 -H 'Content-Type: application/json' \
			-H "Authorization: Bearer $(cat "$TMP/tok/ms")" -H "Idempotency-Key: race-$i" \
			--data-binary "@$TMP/race.$i.req" "$URL/api/v1/cases/$CASE/notes" >"$TMP/race.$i.$k.code" &
		racers="$racers $!"
	done
	i=$((i + 1))
done
# shellcheck disable=SC2086 # the pids, one word each
wait $racers
races_ok() {
	i=1
	while [ $i -le 10 ]; do
		a=$(cat "$TMP/race.$i.a.code") b=$(cat "$TMP/race.$i.b.code")
		case "$a $b" in
		"200 200" | "200 409" | "409 200") ;;
		*) diag "race $i: $a $b"; return 1 ;;
		esac
		for k in a b; do
			[ "$(cat "$TMP/race.$i.$k.code")" = 409 ] || continue
			jq -e '.error.code == "idempotency_key_in_use"' "$TMP/race.$i.$k" >/dev/null || return 1
		done
		i=$((i + 1))
	done
}
check "ten pairs of one key each, sent at once: each pair 200 and (200 or 409 idempotency_key_in_use)" races_ok
check "... and ten notes written, one a pair ($n1 before, $(notes) after)" test "$(notes)" = $((n1 + 10))
as ms GET "/api/v1/cases/$CASE/notes?limit=500" >/dev/null
check "... each body once" jq -e '[.items[].body | select(startswith("race "))] | (length == 10 and (unique | length) == 10)' "$TMP/resp"

# Kept across a restart (it is in the database).
server_stop
server_start "$DB" || fail_setup_restart=1
check "the server restarted" test -z "${fail_setup_restart:-}"
st=$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "k1 once"}' k1-note)
check "after a restart, the note's request again: replayed ($st)" sh -c "[ $st = 200 ] && cmp -s '$TMP/first' '$TMP/resp'"
check "... still the notes there were" test "$(notes)" = $((n0 + 12))

# A key's row with no answer (its node stopped between the commit and the
# answer, as in t4010): the repeat is told so, and nothing is written.
as ms GET /api/v1/me >/dev/null
ms_token=$(jq -r .token "$TMP/resp")
sqlite3 "$DB" "INSERT INTO idempotency_keys (principal, key, fingerprint, created_at) SELECT principal, 'k-lost', fingerprint, created_at FROM idempotency_keys WHERE key = 'k1-note' AND principal = 'token:$ms_token'" 2>"$TMP/err"
check "a row for Mike's key k-lost, without an answer" test "$(sqlite3 "$DB" "SELECT count(*) FROM idempotency_keys WHERE key = 'k-lost' AND status IS NULL")" = 1
# The fingerprint covers the target and body: the row copied answers the k1 request only.
st=$(key ms POST "/api/v1/cases/$CASE/notes" '{"visibility": "internal", "body": "k1 once"}' k-lost)
check "a carried-out request whose answer was lost, sent again: 409 idempotency_key_in_use ($st)" sh -c "[ $st = 409 ] && jq -e '.error.code == \"idempotency_key_in_use\"' '$TMP/resp' >/dev/null"
check "... nothing written" test "$(notes)" = $((n0 + 12))

# GET ignores the header (reads are idempotent anyway).
check "a GET with a key is a GET: 200" test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Idempotency-Key: a b c' -H "Authorization: Bearer $(cat "$TMP/tok/ms")" "$URL/api/v1/cases/$CASE")" = 200
server_stop
done_testing
