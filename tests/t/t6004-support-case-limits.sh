#!/bin/sh
# t6004: one case cannot grow without limit (issue 9, D6).  400 public
# notes of 64 KB once made every note POST answer 26 MB: now a note POST
# answers the note and the case's version, a case holds at most 1000 notes
# and 2 MiB of them, a note at most 64 KiB, and a case's notes are read a
# page at a time (GET /api/v1/cases/{id}/notes?limit=&offset=).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

support_begin

# burst USER CASE VISIBILITY N BYTES: N notes of BYTES bytes through one
# curl (keep-alive); "status size" per answer in $TMP/burst.
burst() {
	perl -e '
		my ($url, $tok, $vis, $n, $bytes, $dir) = @ARGV;
		for my $i (1 .. $n) {
			my $body = sprintf("%s %05d ", $vis, $i);
			$body .= "x" x ($bytes - length($body));
			open(my $f, ">", "$dir/burst.$i.json") or die;
			print $f "{\"visibility\": \"$vis\", \"body\": \"$body\"}";
			close($f);
			print "url = \"$url\"\nrequest = \"POST\"\n";
			print "header = \"Authorization: Bearer $tok\"\nheader = \"Content-Type: application/json\"\n";
			print "data-binary = \"\@$dir/burst.$i.json\"\noutput = \"/dev/null\"\n";
			print "write-out = \"%{http_code} %{size_download}\\n\"\n";
			print "next\n" if $i < $n;
		}' "$URL/api/v1/cases/$2/notes" "$(cat "$TMP/tok/$1")" "$3" "$4" "$5" "$TMP" >"$TMP/burst.cfg"
	curl -s --max-time 600 -K "$TMP/burst.cfg" >"$TMP/burst"
	rm -f "$TMP"/burst.*.json
}
note_of() { # note_of BYTES VISIBILITY: a note body of exactly BYTES bytes
	perl -e 'my ($n, $v) = @ARGV; print "{\"visibility\": \"$v\", \"body\": \"", "y" x $n, "\"}"' "$1" "$2" >"$TMP/note.json"
}

as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "BIG-CASE")" >/dev/null
id=$(jq -r .id "$TMP/resp")

# ---- a note POST answers the note and the case's version ----
status=$(curl -s -D "$TMP/hdr" -o "$TMP/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
	-H "Authorization: Bearer $(cat "$TMP/tok/ms")" --data-binary '{"visibility": "public", "body": "FIRST"}' "$URL/api/v1/cases/$id/notes")
check "a note: 200" test "$status" = 200
check "... answered with the note and the case's version, not the case" j --arg id "$id" '.case == $id and .version == 2 and .note.id == "note_1" and .note.body == "FIRST" and .note.visibility == "public" and .note.author.org == "vendor:microsoft" and (has("notes") | not) and (has("title") | not) and (has("descriptor") | not)'
check "... no token id of its author" sh -c "! grep -q 'tok_' '$TMP/resp'"
check "... its ETag is the case's version" grep -q '^[Ee][Tt][Aa][Gg]: "2"' "$TMP/hdr"

# ---- a note's size ----
note_of 65537 public
check "a note of 64 KiB and one byte: 413" test "$(api POST "/api/v1/cases/$id/notes" "$TMP/note.json" "$TMP/tok/ms")" = 413
check "... note_too_large, saying the limit" j '.error.code == "note_too_large" and (.error.message | test("65536"))'
note_of 65536 public
check "a note of exactly 64 KiB: 200" test "$(api POST "/api/v1/cases/$id/notes" "$TMP/note.json" "$TMP/tok/ms")" = 200

# ---- 2 MiB of notes per case ----
# FIRST (5 bytes) and one of 65536 are there; 30 more of 65536 reach
# 2 MiB less 65531 bytes; then 65531 bytes fit, and not a byte more.
burst ms "$id" public 30 65536
check "30 notes of 64 KiB more: all 200" test "$(grep -c '^200 ' "$TMP/burst")" = 30
check "... every answer small (the note, not the case: at most 70 KB each)" sh -c "[ \"\$(awk '\$2 > 70000' '$TMP/burst' | wc -l)\" = 0 ]"
note_of 65531 public
check "the note that makes exactly 2 MiB: 200" test "$(api POST "/api/v1/cases/$id/notes" "$TMP/note.json" "$TMP/tok/ms")" = 200
as ms POST "/api/v1/cases/$id/notes" '{"visibility": "internal", "body": "Z"}' >"$TMP/st"
check "one byte more: 409" test "$(cat "$TMP/st")" = 409
check "... case_full, saying the limit" j '.error.code == "case_full" and (.error.message | test("2 MiB"))'
as cust POST "/api/v1/cases/$id/notes" '{"visibility": "public", "body": "Z"}' >"$TMP/st"
check "... for the customer too" test "$(cat "$TMP/st")" = 409
check "the case still moves on (a full case can be resolved)" test "$(as ms POST "/api/v1/cases/$id/state" '{"to": "resolved", "resolution": "done"}')" = 200
as ms GET "/api/v1/cases/$id" >/dev/null
check "GET the full case: its 33 notes, a bounded answer" sh -c "jq -e '.notes_total == 33 and (.notes | length) == 33 and .notes_next == null' '$TMP/resp' >/dev/null && [ \$(wc -c <'$TMP/resp') -lt 2300000 ]"

# ---- 1000 notes per case, read a page at a time ----
as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" "MANY-NOTES")" >/dev/null
id2=$(jq -r .id "$TMP/resp")
as cust POST "/api/v1/cases/$id2/notes" '{"visibility": "public", "body": "customer speaks"}' >/dev/null
burst ms "$id2" internal 999 20
check "999 more notes: all 200" test "$(grep -c '^200 ' "$TMP/burst")" = 999
check "... the answers did not grow with the case" sh -c "[ \"\$(awk '\$2 > 2000' '$TMP/burst' | wc -l)\" = 0 ]"
as ms POST "/api/v1/cases/$id2/notes" '{"visibility": "public", "body": "one too many"}' >"$TMP/st"
check "the 1001st note: 409 case_full" sh -c "[ \"\$(cat '$TMP/st')\" = 409 ] && jq -e '.error.code == \"case_full\" and (.error.message | test(\"1000 notes\"))' '$TMP/resp' >/dev/null"
as ms GET "/api/v1/cases/$id2" >/dev/null
check "GET the case: its first 50 notes, how many there are, where the rest is" j --arg id "$id2" '(.notes | length) == 50 and .notes_total == 1000 and .notes[0].body == "customer speaks" and .notes_next == "/api/v1/cases/\($id)/notes?limit=50&offset=50"'
check "GET .../notes?limit=500&offset=900: the last 100" test "$(as ms GET "/api/v1/cases/$id2/notes?limit=500&offset=900")" = 200
check "... with total, limit, offset and no next page" j --arg id "$id2" '.case == $id and .total == 1000 and .limit == 500 and .offset == 900 and (.items | length) == 100 and .next == null and .items[0].id == "note_901" and .version > 1'
as ms GET "/api/v1/cases/$id2/notes?limit=2&offset=1" >/dev/null
check "... limit=2&offset=1: notes 2 and 3, and the next page" j --arg id "$id2" '[.items[].id] == ["note_2", "note_3"] and .next == "/api/v1/cases/\($id)/notes?limit=2&offset=3"'
check "... limit=501: 400" test "$(as ms GET "/api/v1/cases/$id2/notes?limit=501")" = 400
check "... an unknown parameter: 400" test "$(as ms GET "/api/v1/cases/$id2/notes?notes_limit=5")" = 400
as ms GET /api/v1/cases/case_20090101_000000000000/notes >/dev/null
cp "$TMP/resp" "$TMP/nf"
check_eval "... another customer's case: 404, as one that does not exist" "[ \"\$(as fab GET /api/v1/cases/$id2/notes)\" = 404 ] && cmp -s '$TMP/resp' '$TMP/nf'"
as cust GET "/api/v1/cases/$id2" >/dev/null
check "the customer's view counts the notes it may see (1)" j '.notes_total == 1 and (.notes | length) == 1 and .notes_next == null'
as cust GET "/api/v1/cases/$id2/notes" >/dev/null
check "... and so does its page of notes" j '.total == 1 and [.items[].body] == ["customer speaks"]'
as owner GET "/api/v1/cases/$id2/notes" >/dev/null
check "... the owner's: none (summaries only)" j '.total == 0 and .items == []'
expect_exit 0 "covalid case show: every note, a page at a time" "$COVALID" case show "$id2" --server "$URL" --token-file "$TMP/tok/ms"
check "... all 1000 of them" test "$(grep -c '^note ' "$TMP/out")" = 1000
check "... in order" sh -c "grep '^note ' '$TMP/out' | tail -1 | grep -q 'internal 00999'"
as cust POST /api/v1/cases "$(open_body microsoft 4 "$TMP/d-validated.json" "SMALL")" >/dev/null
id3=$(jq -r .id "$TMP/resp")
expect_exit 0 "covalid case note" "$COVALID" case note "$id3" "NOTE-VIA-CLI" --server "$URL" --token-file "$TMP/tok/cust"
check "... says the note, and not the case's version to the customer" sh -c "grep -q '^case      $id3\$' '$TMP/out' && grep -q '^note      \[public\] customer:contoso (.*): NOTE-VIA-CLI\$' '$TMP/out'"
done_testing
