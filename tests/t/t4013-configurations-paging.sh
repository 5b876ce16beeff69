#!/bin/sh
# t4013: GET /api/v1/configurations paged by key (?after=ID, docs/server.md
# "Paging") on the real server: following the next links from the first
# page gives every configuration once, in id order, as one page with no
# paging does, filtered or not; after= an id the catalog does not hold, or
# the last one; after= with offset=; a bad after= is a 400 naming it, on
# one line; the CSV is every match whatever after= says; /metrics counts
# what the list counts.  The expected lists come from the unpaged answer,
# cut by the rule the documentation states (ids greater than after's,
# compared byte by byte), never from the paged answers themselves.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
"$COVALID" catalog import --db "$DB" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null
check "the seed catalog is imported" test $? -eq 0
server_start "$DB" || { not_ok "the server starts"; diag "$(cat "$TMP/serve.err")"; done_testing; exit 1; }
ok "the server starts ($URL)"

# Every match in one page (the seed holds fewer than 500), its ids in order.
all() { curl -s "$URL/api/v1/configurations?limit=500${1:+&$1}" | jq -c '[.items[].id]'; }
# The ids of every page from the first, following next until it is null;
# fails if a page's total differs from the first's or a next is not by key.
walk() {
	path="/api/v1/configurations?limit=$1${2:+&$2}"
	out='[]'
	total=
	n=0
	while [ "$path" != null ]; do
		[ "$(api GET "$path")" = 200 ] || return 1
		t=$(jq .total "$TMP/resp")
		[ -z "$total" ] || [ "$t" = "$total" ] || return 1
		total=$t
		out=$(jq -c --argjson acc "$out" '$acc + [.items[].id]' "$TMP/resp")
		path=$(jq -r .next "$TMP/resp")
		case $path in null | */api/v1/configurations\?limit=$1\&after=*) ;; *) return 1 ;; esac
		n=$((n + 1))
		[ $n -lt 200 ] || return 1
	done
	echo "$out"
}

full=$(all)
n_all=$(echo "$full" | jq length)
check "the seed's configurations, more than a few pages of 7 ($n_all)" test "$n_all" -gt 21
check "... in id order, each once" test "$(echo "$full" | jq -c 'sort | unique')" = "$full"
check "following next by key from the first page (limit=7) gives them all, in order, each once" \
	test "$(walk 7)" = "$full"
check "... and the first page's next is after its last id" \
	test "$(curl -s "$URL/api/v1/configurations?limit=7" | jq -r '.next == "/api/v1/configurations?limit=7&after=" + .items[6].id')" = true

filters='hypervisor=microsoft&status=validated,supported'
want=$(all "$filters")
check "filtered ($filters, $(echo "$want" | jq length)): the walk by key gives what one page gives" \
	test "$(walk 3 "$filters")" = "$want"
check "... and the next links keep the filters" \
	sh -c "curl -s '$URL/api/v1/configurations?limit=3&$filters' | jq -e '.next | endswith(\"&hypervisor=microsoft&status=validated%2Csupported\")' >/dev/null"
vfilters='vendor=red-hat&q=x86_64'
check "filtered by vendor id and text: the walk by key gives what one page gives" \
	test "$(walk 4 "$vfilters")" = "$(all "$vfilters")"

# after= an id the catalog does not hold: the ids after it by bytes.
mid=$(echo "$full" | jq -r '.[length / 2 | floor]')
gap="${mid}0"
check_eval "after=$gap (not an id of the catalog): the ids greater than it" \
	"[ \"\$(api GET '/api/v1/configurations?limit=500&after=$gap')\" = 200 ] && jq -e --argjson full '$full' '[.items[].id] == [\$full[] | select(. > \"$gap\")] and .after == \"$gap\" and .total == ($n_all)' '$TMP/resp' >/dev/null"
last=$(echo "$full" | jq -r '.[-1]')
check_eval "after= the last id: no items, no next, the total unchanged" \
	"[ \"\$(api GET '/api/v1/configurations?after=$last')\" = 200 ] && jq -e '.items == [] and .next == null and .total == $n_all' '$TMP/resp' >/dev/null"
check_eval "after= with offset=2 skips two more after the key" \
	"[ \"\$(api GET '/api/v1/configurations?limit=3&offset=2&after=$mid')\" = 200 ] && jq -e --argjson full '$full' '[.items[].id] == ([\$full[] | select(. > \"$mid\")] | .[2:5]) and .offset == 2' '$TMP/resp' >/dev/null"
check_eval "a page short of the limit has no next" \
	"[ \"\$(api GET '/api/v1/configurations?limit=500')\" = 200 ] && jq -e '.next == null' '$TMP/resp' >/dev/null"

# Bad after= values: 400 invalid_parameter naming after, on one line.
long=$(printf 'x%.0s' $(seq 129))
for bad in 'a%20b' 'a/b' 'caf%C3%A9' 'a%0Ab' "$long" '%22%7D'; do
	check_eval "after=$(echo "$bad" | cut -c1-20): 400 invalid_parameter naming after, one line" \
		"[ \"\$(api GET '/api/v1/configurations?after=$bad')\" = 400 ] && [ \"\$(err_code)\" = invalid_parameter ] && jq -r .error.message '$TMP/resp' | grep -q '^after: ' && [ \"\$(jq -r .error.message '$TMP/resp' | wc -l)\" = 1 ]"
done
check_eval "an id of 128 characters is good (none after it here: an empty page)" \
	"[ \"\$(api GET '/api/v1/configurations?after=$(printf 'z%.0s' $(seq 128))')\" = 200 ] && jq -e '.items == [] and .next == null' '$TMP/resp' >/dev/null"

# The CSV is every match: after= is checked, not applied.
check_eval "format=csv&after=$mid: every configuration still (after does not apply)" \
	"[ \"\$(api GET '/api/v1/configurations?format=csv&after=$mid')\" = 200 ] && [ \$(tr -cd '\\r' <'$TMP/resp' | wc -c) -eq $((n_all + 1)) ]"
check_eval "format=csv&after=a%20b: still a 400" \
	"[ \"\$(api GET '/api/v1/configurations?format=csv&after=a%20b')\" = 400 ] && [ \"\$(err_code)\" = invalid_parameter ]"

# /metrics counts the configurations (the store's counter) as the list does.
check "/metrics: covalid_catalog_configurations is the list's total ($n_all)" \
	sh -c "curl -s '$URL/metrics' | grep -qx 'covalid_catalog_configurations $n_all'"

server_stop
check "the server stops cleanly" test $? -eq 0
done_testing
