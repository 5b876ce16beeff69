#!/bin/sh
# t6003: what `covalid case` and `covalid admin` print of the server's
# answers is safe on a terminal (issue 9, D8).  Case titles, notes,
# resolutions, names and error messages come from other parties: none may
# carry an escape sequence (ESC, BEL, C1 controls such as U+009B CSI) to
# the terminal, and the text must still be readable.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

support_begin

# terminal_safe FILE: no ESC, no BEL, no other C0 control but newline,
# no DEL; valid UTF-8 with no C1 control (U+0080..U+009F).
terminal_safe() {
	perl -e '
		use Encode qw(decode FB_CROAK);
		local $/; open(my $f, "<:raw", $ARGV[0]) or exit 2; my $b = <$f>;
		exit 1 if $b =~ /[\x00-\x09\x0b-\x1f\x7f]/;
		my $s = eval { decode("UTF-8", $b, FB_CROAK) }; exit 1 unless defined $s;
		exit 1 if $s =~ /[\x{80}-\x{9f}]/;
		exit 0' "$1"
}
jqe() { jq -e "$@" >/dev/null; }

C="--server $URL --token-file $TMP/tok"
jq -c -n --slurpfile d "$TMP/d-validated.json" \
	'{vendor: "microsoft", severity: 2, title: "TITLE\u001b[2J\u001b]0;pwned\u0007 start\u009b31m end",
	  description: "DESC\u001b[H", descriptor: $d[0]}' >"$TMP/open.json"
check "a case whose title carries escapes opens (201)" test "$(api POST /api/v1/cases "$TMP/open.json" "$TMP/tok/cust")" = 201
id=$(jq -r .id "$TMP/resp")
as ms POST "/api/v1/cases/$id/notes" '{"visibility": "public", "body": "NOTE\u001b[31mred\u001b[0m bell\u0007 csi\u009b2J osc\u001b]8;;http://x\u001b\\ del\u007f"}' >/dev/null
as ms POST "/api/v1/cases/$id/notes" '{"visibility": "public", "body": "line one\nline two\ttabbed"}' >/dev/null
as ms POST "/api/v1/cases/$id/engage" '{"vendor": "red-hat", "reason": "kernel\u001b[2J"}' >/dev/null
as rh POST "/api/v1/cases/$id/collaborations/col_1" '{"action": "accept"}' >/dev/null
as rh POST "/api/v1/cases/$id/state" '{"to": "resolved", "resolution": "RESOLVED\u001b[1mbold\u009b0m"}' >/dev/null
check "... notes, a reason and a resolution with escapes are stored as given" jqe '.resolution.text | test("\u001b")' "$TMP/resp"

for who in cust ms; do
	expect_exit 0 "covalid case list as $who" "$COVALID" case list $C/$who
	cp "$TMP/out" "$TMP/list.$who"
	check "... prints no escape, BEL or C1 control" terminal_safe "$TMP/list.$who"
	check "... and still the title's text" grep -q 'TITLE.*start.*end' "$TMP/list.$who"
	expect_exit 0 "covalid case show as $who" "$COVALID" case show "$id" $C/$who
	cp "$TMP/out" "$TMP/show.$who"
	check "... prints no escape, BEL or C1 control" terminal_safe "$TMP/show.$who"
	check "... and still the title, the note and the resolution" sh -c "grep -q 'TITLE.*pwned.*start.*end' '$TMP/show.$who' && grep -q 'NOTE.*red.*bell.*csi.*osc.*del' '$TMP/show.$who' && grep -q 'RESOLVED.*bold' '$TMP/show.$who'"
	check "... a note of two lines shows both, the second indented under the first" sh -c "grep -q 'line one\$' '$TMP/show.$who' && grep -Eq '^ +line two tabbed\$' '$TMP/show.$who'"
	expect_exit 0 "covalid case show --json as $who" "$COVALID" case show "$id" --json $C/$who
	cp "$TMP/out" "$TMP/json.$who"
	check "... is terminal-safe" terminal_safe "$TMP/json.$who"
	check "... and keeps the text exactly (JSON escapes)" jqe '.title == "TITLE\u001b[2J\u001b]0;pwned\u0007 start\u009b31m end"' "$TMP/json.$who"
done

# Error messages echo what was sent: the server's message is printed too.
expect_exit 2 "an error echoing an escape (a case with an unknown vendor)" "$COVALID" case open --vendor "$(printf 'x\033[2J\302\233y')" --severity 3 --title t --descriptor "$TMP/d-validated.json" $C/cust
check "... its message on stderr is terminal-safe" terminal_safe "$TMP/err"
check "... and names the vendor readably" grep -q "no vendor 'x.*y'" "$TMP/err"

# The owner's commands print the server's JSON: an agreement's free-text
# notes with escapes.
jq -n '{id: "contoso-esc", customer: "contoso", vendor: "red-hat", kind: "subscription", valid_from: "2009-01-01",
	valid_to: "2030-12-31", notes: "AGR\u001b]0;pwned\u0007 \u009b2J del\u007f end"}' >"$TMP/agr-esc.json"
"$COVALID" admin agreement add "$TMP/agr-esc.json" $O >/dev/null
expect_exit 0 "covalid admin agreement list" "$COVALID" admin agreement list --customer contoso $O
check "... is terminal-safe" terminal_safe "$TMP/out"
check "... and keeps the notes exactly (JSON escapes)" jqe '.items[] | select(.id == "contoso-esc") | .notes == "AGR\u001b]0;pwned\u0007 \u009b2J del\u007f end"' "$TMP/out"
# Names are the program's own: a C1 control in one is refused, as C0 ones were.
expect_exit 2 "a customer named with a C1 control (CSI): refused" "$COVALID" admin customer add "$(printf 'Evil \302\2332J Corp')" --id evil $O
check "... naming the field" grep -q "name: " "$TMP/err"
done_testing
