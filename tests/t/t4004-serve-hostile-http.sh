#!/bin/sh
# t4004: hostile HTTP against the real server.  Every framing, header,
# method and encoding attack as a row of the table below, sent byte for
# byte (tests/lib/rawhttp.pl), with what must come back: the status of
# each answer, then whether the server closed the connection.  After every
# row the server must still answer /healthz: a crash is a failure of the
# row that caused it.  Then the attacks that need more than one request:
# cache poisoning, the /check cache's memory, clients that half-close,
# and slowloris.
#
# Depends on: loopback addresses other than 127.0.0.1 being usable as a
# source (Linux routes all of 127.0.0.0/8 to lo) for the per-client tests;
# skipped with the reason where they are not.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
program_db "$DB"
# The default head deadline (10 s) is longer than a row waits for answers,
# so a connection the server keeps open shows as OPEN.
if ! server_start "$DB"; then
	not_ok "the server starts"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
RAW="perl $SRC/tests/lib/rawhttp.pl"
SEED=ms-hv2008-ws-rhel5.3-x86_64 # a configuration of the seed catalog (data/)

alive() { [ "$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$URL/healthz")" = 200 ]; }

# row DESCRIPTION EXPECTED REQUEST [rawhttp options]: EXPECTED is every
# line rawhttp.pl prints, joined by spaces.
row() {
	desc=$1 want=$2 req=$3
	shift 3
	got=$($RAW --wait 3 "$@" "$HOSTPORT" "$req" 2>&1 | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ]; then ok "$desc: $want"; else
		not_ok "$desc"
		diag "expected: $want" "got:      $got"
	fi
	if ! alive; then
		not_ok "the server survives: $desc"
		diag "$(tail -5 "$TMP/serve.err")"
		done_testing
		exit 1
	fi
}

J='Content-Type: application/json\r\n'
# ---- framing: smuggling (RFC 9112 §6.3, §11.2) ----
row "whitespace before the colon of Content-Length" "400 CLOSED" \
	"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 34\r\n\r\nGET /api/v1/vendors HTTP/1.1\r\nX: y\r\n\r\n"
row "whitespace before the colon of Transfer-Encoding" "400 CLOSED" \
	"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding :chunked\r\n\r\n22\r\nGET /api/v1/vendors HTTP/1.1\r\nX:y\r\n\r\n0\r\n\r\n"
row "a tab before the colon" "400 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length\t: 2\r\n\r\n{}"
row "a space inside a header name" "400 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content Length: 2\r\n\r\n{}"
row "a header line starting with whitespace" "400 CLOSED" "GET /healthz HTTP/1.1\r\n Host: x\r\n\r\n"
row "two Content-Length headers" "400 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} "
row "Content-Length and chunked" "400 CLOSED" \
	"POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
# libmicrohttpd answers these itself, before the handler: its 400 is
# followed by a stray copy of its headers (a quirk of Debian's 0.9.75),
# then the connection closes.  Nothing of the request runs.
row "Content-Length with a sign" "400 GARBAGE CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length: +2\r\n\r\n{}"
row "Content-Length as a list" "400 GARBAGE CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length: 2, 2\r\n\r\n{}"
row "Transfer-Encoding gzip" "501 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Transfer-Encoding: gzip\r\n\r\nabc"
row "Transfer-Encoding gzip, chunked" "501 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
row "Transfer-Encoding twice" "501 CLOSED" \
	"POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
row "Transfer-Encoding in HTTP/1.0" "400 CLOSED" "POST /api/v1/check HTTP/1.0\r\nHost: x\r\n${J}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
row "chunked, any case: accepted" "200 OPEN" \
	"POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Transfer-Encoding: Chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
row "a chunk size that is not hex" "400 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
row "a chunk size past 64 bits" "413 CLOSED" \
	"POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc\r\n0\r\n\r\n"
# ---- the request line and Host (RFC 9112 §3) ----
row "two Host headers" "400 CLOSED" "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"
row "HTTP/1.1 without Host" "400 CLOSED" "GET /healthz HTTP/1.1\r\n\r\n"
row "HTTP/1.0 without Host: fine" "200 CLOSED" "GET /healthz HTTP/1.0\r\n\r\n"
row "HTTP/2.0 on an HTTP/1 connection" "505 CLOSED" "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"
row "an unknown method" "405 OPEN" "FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
row "absolute form of the target" "404 OPEN" "GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n"
row "a request line of garbage" "CLOSED" "GARBAGE\r\n\r\n"
row "two requests pipelined" "200 200 OPEN" "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
# ---- size: parameters, target, headers, body ----
row "100 query parameters: served" "200 OPEN" "GET /api/v1/configurations?{100*guest=rhel&} HTTP/1.1\r\nHost: x\r\n\r\n"
row "101 query parameters" "414 CLOSED" "GET /api/v1/configurations?{101*guest=rhel&} HTTP/1.1\r\nHost: x\r\n\r\n"
row "1,000 query parameters (MHD's parser hung)" "414 CLOSED" "GET /api/v1/configurations?{1000*a=1&} HTTP/1.1\r\nHost: x\r\n\r\n"
row "20,000 empty query parameters" "414 CLOSED" "GET /api/v1/configurations?{20000*&} HTTP/1.1\r\nHost: x\r\n\r\n"
row "a target of 9,000 bytes" "414 CLOSED" "GET /api/v1/configurations?guest={9000*r} HTTP/1.1\r\nHost: x\r\n\r\n"
row "2,000 headers" "431 CLOSED" "GET /healthz HTTP/1.1\r\nHost: x\r\n{2000*X-A: 1\r\n}\r\n"
row "one header of 24,000 bytes: served" "200 OPEN" "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: {24000*a}\r\n\r\n"
# docs/server.md: 32 KiB of request line and headers per connection.
row "one header of 40,000 bytes" "431 CLOSED" "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: {40000*a}\r\n\r\n"
row "one header of 70,000 bytes" "431 CLOSED" "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: {70000*a}\r\n\r\n"
row "a body over --max-body" "413 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length: 99999999\r\n\r\n{}"
# ---- encodings ----
row "%3F in the path is part of the path" "404 OPEN" "GET /api/v1/configurations/$SEED%3Fx HTTP/1.1\r\nHost: x\r\n\r\n"
row "... the same id without it" "200 OPEN" "GET /api/v1/configurations/$SEED HTTP/1.1\r\nHost: x\r\n\r\n"
row "an encoded slash in an id" "404 OPEN" "GET /api/v1/configurations/..%2F..%2Fhealthz HTTP/1.1\r\nHost: x\r\n\r\n"
row "a NUL and bad escapes in the query" "200 OPEN" "GET /api/v1/configurations?guest=%00%ff%zz HTTP/1.1\r\nHost: x\r\n\r\n"
# Echoed in an error message, bytes that are not UTF-8 once aborted the
# whole server (found by fuzz/fuzz-http.c; fuzz/regressions/http/).
row "a method that is not UTF-8" "405 OPEN" "\xff\xffGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
row "an id that is not UTF-8, echoed in a 404" "404 OPEN" \
	"POST /api/v1/configurations/%ff/revoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $(cat "$TMP/owner.token")\r\n${J}Content-Length: 2\r\n\r\n{}"
row "a body of invalid UTF-8" "400 CLOSED" "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length: 8\r\n\r\n{\"a\":\"\xff\"}"
row "a body that is JSON nested 100,000 deep" "400 CLOSED" \
	"POST /api/v1/check HTTP/1.1\r\nHost: x\r\n${J}Content-Length: 200000\r\n\r\n{100000*[}{100000*]}"

# ---- D3: the cache keys requests unambiguously ----
code=$(curl -s -o "$TMP/poison.json" -w '%{http_code}' "$URL/api/v1/configurations?guest=rhel%26hypervisor%3Dmicrosoft")
curl -s -o "$TMP/real.json" "$URL/api/v1/configurations?guest=rhel&hypervisor=microsoft"
check_eval "an encoded '&' and '=' in a value do not share the cache entry of real parameters" \
	"[ $code = 200 ] && [ \$(jq '.items | length' '$TMP/real.json') -gt 0 ] && ! cmp -s '$TMP/poison.json' '$TMP/real.json'"
curl -s -o "$TMP/a.json" "$URL/api/v1/configurations?guest=rhel"
curl -s -o "$TMP/b.json" "$URL/api/v1/configurations?guest=rh%65l"
check "... while one value, encoded two ways, has one answer" cmp -s "$TMP/a.json" "$TMP/b.json"

# ---- /check: unknown fields, and memory an anonymous client can make it hold ----
"$COVALID" probe --json --root "$SRC/tests/fixtures/hyperv2008-rhel53/root" >"$TMP/d.json" 2>/dev/null ||
	"$COVALID" probe --json >"$TMP/d.json"
jq '.surprise = 1' "$TMP/d.json" >"$TMP/d-top.json"
jq '.vm.surprise = 1' "$TMP/d.json" >"$TMP/d-vm.json"
for f in d-top d-vm; do
	st=$(curl -s -o "$TMP/resp" -w '%{http_code}' -H "$(printf 'Content-Type: application/json')" --data-binary "@$TMP/$f.json" "$URL/api/v1/check")
	check_eval "/check: an unknown field ($f) is a 400 unknown_field naming it" \
		"[ $st = 400 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = unknown_field ] && jq -r .error.message '$TMP/resp' | grep -q surprise"
done
metric() { curl -s "$URL/metrics" | sed -n "s/^$1 //p"; }
before=$(metric covalid_cache_bytes)
i=0
while [ $i -lt 40 ]; do
	# The same descriptor padded to about 1 MB, differently each time.
	perl -e 'my ($f, $n) = @ARGV; open(my $h, "<", $f) or die; local $/; my $d = <$h>; print $d, " " x (1000000 - length($d) - $n)' \
		"$TMP/d.json" "$i" >"$TMP/pad.json"
	curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary "@$TMP/pad.json" "$URL/api/v1/check"
	i=$((i + 1))
done
after=$(metric covalid_cache_bytes)
check_eval "40 distinct 1 MB descriptors: the cache holds their answers, not their bodies (< 2 MB; was $before, now $after)" \
	"[ -n '$after' ] && [ \$(( $after - ${before:-0} )) -lt 2000000 ]"

# ---- D12: a whole request, then the client half-closes ----
# libmicrohttpd reads the end of input when it resumes a connection whose
# answer a worker computed, and used to drop the answer; several clients
# at once make that race likely.  Every request must be answered.
cat >"$TMP/halfclose.pl" <<'EOF'
use IO::Socket::INET; use IO::Select;
my ($hp, $n, $tok) = @ARGV; my ($ok, $lost) = (0, 0);
for my $i (1 .. $n) {
	my $s = IO::Socket::INET->new(PeerAddr => $hp, Timeout => 5) or die "connect: $!";
	syswrite($s, "GET /api/v1/admin/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $tok\r\n\r\n");
	$s->shutdown(1);
	my $sel = IO::Select->new($s); my $buf = '';
	while ($sel->can_read(5)) { my $k = sysread($s, $buf, 65536, length $buf); last unless $k; }
	if ($buf =~ /^HTTP\/1\.1 200 /) { $ok++ } else { $lost++ }
}
print "$ok $lost\n";
EOF
pids=
for k in 1 2 3; do
	perl "$TMP/halfclose.pl" "$HOSTPORT" 60 "$(cat "$TMP/owner.token")" >"$TMP/hc.$k" &
	pids="$pids $!"
done
wait $pids # not the server's
lost=$(cat "$TMP"/hc.* | awk '{ l += $2 } END { print l + 0 }')
answered=$(cat "$TMP"/hc.* | awk '{ a += $1 } END { print a + 0 }')
check_eval "180 half-closed requests on a worker route, 3 clients at once: every one answered ($answered answered, $lost lost)" \
	"[ $answered -eq 180 ] && [ $lost -eq 0 ]"

# ---- D7: slowloris ----
# A server with a short head deadline and a small per-client cap.
server_stop >/dev/null 2>&1
if ! server_start "$DB" --header-timeout 2 --max-client-connections 16; then
	not_ok "the server starts with --header-timeout 2 --max-client-connections 16"
	done_testing
	exit 1
fi
if ! perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => $ARGV[0], LocalAddr => "127.0.0.2") or exit 1' "$HOSTPORT"; then
	skip "slowloris from one address is capped" "127.0.0.2 cannot be a source address on this machine"
	skip "slowloris: heads that never end are cut" "127.0.0.2 cannot be a source address on this machine"
	skip "slowloris: others are served meanwhile" "127.0.0.2 cannot be a source address on this machine"
else
	# Warm the catalog first: the check below times answers, not loading.
	curl -s -o /dev/null "$URL/api/v1/vendors"
	# Closed within 1.5 s is a refusal at accept: the head deadline is 2 s.
	perl "$SRC/tests/lib/slowloris.pl" "$HOSTPORT" 127.0.0.2 40 0.5 8 1.5 >"$TMP/slow.out" &
	slow=$!
	sleep 0.5
	n=0 fast=0
	while [ $n -lt 10 ]; do
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$URL/api/v1/vendors")" = 200 ] && fast=$((fast + 1))
		n=$((n + 1))
		sleep 0.1
	done
	wait "$slow"
	read -r res <"$TMP/slow.out"
	diag "slowloris: $res (cap 16 per client, --header-timeout 2)"
	eval "$(printf '%s\n' "$res" | tr ' ' '\n' | sed 's/^/s_/')"
	check_eval "slowloris from one address is capped at --max-client-connections (16 of 40 held)" \
		"[ ${s_opened:-0} -eq 40 ] && [ ${s_refused:-0} -eq 24 ]"
	check_eval "slowloris: heads that never end are cut after --header-timeout (all 16 by ${s_last_cut:-?} s; none open)" \
		"[ ${s_cut:-0} -eq 16 ] && [ ${s_open:-1} -eq 0 ] && awk 'BEGIN { exit !(${s_last_cut:-99} <= 5) }'"
	check "slowloris: others are served meanwhile, each within 2 s ($fast of 10)" [ "$fast" -eq 10 ]
fi
check "the server survived all of it" alive
done_testing
