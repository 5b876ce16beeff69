#!/bin/sh
# bench/first-check.sh - the first /check after a catalog write (issue 17:
# <= 10 ms at 100k configurations).
#
# A synthetic catalog (bench/fleetgen) is imported and served; one machine's
# descriptor is checked until its answer is cached.  Then, WRITES times each:
#   same OS:  the owner revokes a configuration of the machine's guest OS
#             through the API; the next check must answer afresh (the
#             snapshot catches up with the write, the answer is recomputed);
#   other OS: a configuration of another guest OS is revoked; the next
#             check may be answered from the cache (nothing it reads changed).
# Prints the time of each write and of the check after it (curl's
# time_total, loopback), medians and maxima.
#
#   bench/first-check.sh [CONFIGS [WRITES]]    (default 100000, 20)
#   COVALID=path/to/covalid bench/first-check.sh   (another build: "before")
set -eu
cd "$(dirname "$0")/.."
CONFIGS=${1:-100000}
WRITES=${2:-20}
BUILD=${COVALID_BUILD:-build}
COVALID=${COVALID:-$BUILD/covalid}
for tool in curl jq perl; do
	command -v "$tool" >/dev/null || { echo "bench/first-check.sh: $tool is not installed" >&2; exit 2; }
done
[ -x "$COVALID" ] && [ -x "$BUILD/bench/fleetgen" ] ||
	{ echo "bench/first-check.sh: build first (make all $BUILD/bench/fleetgen)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/covalid-first-check.XXXXXX")
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

# The catalog's size is in the file's name: a catalog drawn for one size
# is never taken for another.
"$BUILD/bench/fleetgen" "$CONFIGS" 10 "$W/catalog-$CONFIGS.jsonl" "$W/fleet-$CONFIGS.jsonl" >/dev/null
"$COVALID" catalog import --db "$W/db" "$W/catalog-$CONFIGS.jsonl" >/dev/null
"$COVALID" admin bootstrap --db "$W/db" --token-file "$W/owner.token" >/dev/null
. bench/lib/serve.sh
serve_start

head -n 1 "$W/fleet-$CONFIGS.jsonl" >"$W/machine.json"
os=$(jq -r .guest.os.id "$W/machine.json")
# Configurations to revoke: of the machine's guest OS, and of another.
grep "\"os_id\":\"$os\"" "$W/catalog-$CONFIGS.jsonl" | head -n "$WRITES" | jq -r .id >"$W/same"
grep -v "\"os_id\":\"$os\"" "$W/catalog-$CONFIGS.jsonl" | head -n "$WRITES" | jq -r .id >"$W/other"

check() {
	curl -s -o "$W/answer.json" -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
		--data-binary "@$W/machine.json" "$URL/api/v1/check"
}
revoke() {
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST -H "Authorization: Bearer $(cat "$W/owner.token")" \
		"$URL/api/v1/configurations/$1/revoke"
}
hits() { curl -sf "$URL/metrics" | sed -n 's/^covalid_cache_lookups_total{result="hit"} //p'; }

check >/dev/null # the first: loads the catalog
check >/dev/null # cached
echo "bench/first-check.sh: $CONFIGS configurations, guest OS $os, $WRITES writes each; seconds (curl time_total)"
for kind in same other; do
	: >"$W/$kind.times"
	while read -r id; do
		set -- $(revoke "$id")
		[ "$1" = 200 ] || { echo "bench/first-check.sh: revoking $id: HTTP $1" >&2; exit 1; }
		w=$2
		before=$(hits)
		set -- $(check)
		[ "$1" = 200 ] || { echo "bench/first-check.sh: check after revoking $id: HTTP $1" >&2; exit 1; }
		after=$(hits)
		echo "$w $2 $((after - before))" >>"$W/$kind.times"
	done <"$W/$kind"
	perl -e '
		my ($kind, @w, @c, $hits) = ($ARGV[0]);
		open my $f, "<", $ARGV[1] or die;
		while (<$f>) { my ($w, $c, $h) = split; push @w, $w; push @c, $c; $hits += $h }
		my $med = sub { my @s = sort { $a <=> $b } @_; $s[$#s / 2] };
		my $max = sub { my @s = sort { $a <=> $b } @_; $s[-1] };
		printf "%-9s write median %.4f max %.4f | first check median %.4f max %.4f | from cache %d of %d\n",
			$kind eq "same" ? "same OS" : "other OS", $med->(@w), $max->(@w), $med->(@c), $max->(@c), $hits, scalar @c;
	' "$kind" "$W/$kind.times"
done
# The server's own time for each check after a write (the access log's
# duration_ms, flushed each second), without curl's: the checks in order,
# after the two first.
sleep 1.5
grep '"route":"/api/v1/check"' "$W/access.log" | sed -n 's/.*"duration_ms":\([0-9.]*\).*/\1/p' | tail -n +3 >"$W/server.ms"
perl -e '
	my @d = map { chomp; $_ } do { open my $f, "<", $ARGV[0] or die; <$f> };
	my $n = $ARGV[1];
	for my $k (["same OS", 0], ["other OS", $n]) {
		my @s = sort { $a <=> $b } @d[$k->[1] .. $k->[1] + $n - 1];
		printf "%-9s first check, server side (access log): median %.3f ms max %.3f ms\n", $k->[0], $s[$#s / 2], $s[-1];
	}
' "$W/server.ms" "$WRITES"
curl -sf "$URL/metrics" | grep -E '^covalid_catalog_snapshot|^covalid_cache_(revalidated|waits)' || true
