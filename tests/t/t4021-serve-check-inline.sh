#!/bin/sh
# t4021: a /check miss answered on the event thread (dispatch.c,
# dispatch_answer_inline: a body of at most 64 KiB, the snapshot at its
# generation loaded) gives the bytes and headers a worker gives; a larger
# body goes to a worker; concurrent misses of one key are still computed
# once.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
server_begin "$DB"

metric() { curl -sf "$URL/metrics" | sed -n "s/^$1 //p"; }
inline() { metric covalid_cache_inline_total; }
misses() { metric 'covalid_cache_lookups_total{result="miss"}'; }
hits() { metric 'covalid_cache_lookups_total{result="hit"}'; }
# post BODY NAME: the answer's body in $TMP/NAME.body, its headers (but
# the request's own X-Request-Id, and Date, which two answers a second
# boundary apart differ in) in $TMP/NAME.head; prints the status.
post() {
	curl -s -D "$TMP/$2.rawhead" -o "$TMP/$2.body" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @"$1" "$URL/api/v1/check"
	tr -d '\r' <"$TMP/$2.rawhead" | grep -iv '^x-request-id:\|^date:' >"$TMP/$2.head"
}

"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" >"$TMP/d.json"
# The same descriptor with whitespace after it (JSON's own): the same
# answer, another cache key.  Padded past 64 KiB it goes to a worker.
pad() { cat "$TMP/d.json"; head -c "$1" /dev/zero | tr '\0' ' '; }
pad 10 >"$TMP/small1.json"
pad 70000 >"$TMP/large.json"

check "a check: 200" test "$(post "$TMP/d.json" first)" = 200
n=$(inline)
check "a descriptor padded past 64 KiB: 200" test "$(post "$TMP/large.json" worker)" = 200
check "... answered by a worker" test "$(inline)" -eq "$n"
m=$(misses)
check "the descriptor padded a little (another key): 200" test "$(post "$TMP/small1.json" inline)" = 200
check "... a miss, answered on the event thread" test "$(inline)" -eq $((n + 1)) -a "$(misses)" -eq $((m + 1))
check "... the worker's bytes" cmp "$TMP/worker.body" "$TMP/inline.body"
check "... the worker's headers" cmp "$TMP/worker.head" "$TMP/inline.head"
check "... and the first check's bytes" cmp "$TMP/first.body" "$TMP/inline.body"
check "a POST answer carries no ETag (If-None-Match is for GET)" sh -c "! grep -qi '^etag:' '$TMP/inline.head'"

# ---- concurrent misses of one key: one computation ----
# Rounds of 16 requests of one new body, sent at once (curl --parallel):
# one event thread computes it, the other's requests find it in flight and
# go to a worker, which waits for it (covalid_cache_waits_total).  Each
# round's body is sent once before: a POST's answer is kept from the
# second sight of its request (cache.c, "Admission"), so the first is
# computed and not kept (covalid_cache_declined_total), and the round is
# about single flight alone.
declined() { metric covalid_cache_declined_total; }
dm=0 dh=0 kept_first=0
same=0
for round in 1 2 3 4 5 6 7 8; do
	pad $((100 + round)) >"$TMP/round.json"
	d=$(declined)
	post "$TMP/round.json" prime >/dev/null
	[ "$(declined)" -eq $((d + 1)) ] || kept_first=$((kept_first + 1))
	m=$(misses)
	h=$(hits)
	set --
	for i in $(seq 1 16); do
		[ "$i" = 1 ] || set -- "$@" --next
		set -- "$@" -o "$TMP/c.$i" -H 'Content-Type: application/json' --data-binary @"$TMP/round.json" "$URL/api/v1/check"
	done
	curl -s --parallel --parallel-immediate --parallel-max 16 "$@" 2>/dev/null
	for i in $(seq 1 16); do cmp -s "$TMP/c.$i" "$TMP/worker.body" && same=$((same + 1)); done
	dm=$((dm + $(misses) - m))
	dh=$((dh + $(hits) - h))
done
check "each round's body, sent once alone first: computed, not kept ($kept_first of 8 kept)" test "$kept_first" -eq 0
check "8 rounds of 16 concurrent checks of one body: one miss a round ($dm)" test "$dm" -eq 8
check "... 15 hits a round ($dh)" test "$dh" -eq $((8 * 15))
check "... all 128 the worker's bytes" test "$same" -eq 128
# ---- a flood of one-off checks does not push out a hot answer ----
# The first descriptor, seen twice now, is checked a third time: a hit.
# Then 3000 descriptors seen once each (a fleet's, each with its own
# bytes): none kept (declined), so the hot answer is still there.  Kept
# at first sight, 3000 answers over the table's 1024 slots would have
# taken the hot one's slot 19 times in 20.
post "$TMP/d.json" hot1 >/dev/null
h=$(hits)
post "$TMP/d.json" hot2 >/dev/null
check "a descriptor checked a third time: from the cache" test "$(hits)" -eq $((h + 1))
mkdir -p "$TMP/flood"
perl -e 'my ($src, $dir, $url) = @ARGV; open(my $h, "<", $src) or die; local $/; my $d = <$h>;
	open(my $k, ">", "$dir/K") or die;
	for my $i (1 .. 3000) {
		open(my $o, ">", "$dir/$i.json") or die; print $o $d, " " x (1000 + $i); close $o;
		print $k "url = \"$url/api/v1/check\"\noutput = \"/dev/null\"\nheader = \"Content-Type: application/json\"\n",
			"data-binary = \"\@$dir/$i.json\"\nwrite-out = \"%{http_code}\\n\"\n", ($i < 3000 ? "next\n" : "");
	}' "$TMP/d.json" "$TMP/flood" "$URL"
d=$(declined)
curl -s --parallel --parallel-max 8 -K "$TMP/flood/K" >"$TMP/flood.codes" 2>/dev/null
check "3000 one-off descriptors: all answered 200" test "$(grep -c '^200$' "$TMP/flood.codes")" -eq 3000
check "... none kept: 3000 declined ($d -> $(declined))" test "$(declined)" -eq $((d + 3000))
h=$(hits)
post "$TMP/d.json" hot3 >/dev/null
check "... and the hot descriptor's answer is still from the cache" test "$(hits)" -eq $((h + 1))
check "... the same bytes" cmp "$TMP/first.body" "$TMP/hot3.body"

diag "waits for another thread's computation: $(metric covalid_cache_waits_total)"

server_stop
done_testing
