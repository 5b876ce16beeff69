#!/bin/sh
# t4001: the program server, started for real on an ephemeral loopback
# port: the public API and its documentation, every error path, token and
# vendor isolation, and shutdown.  (The submission flow is t4002.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
FX="$SRC/tests/fixtures"
"$COVALID" catalog import --db "$DB" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null
expect_exit 0 "admin bootstrap writes the owner's token" "$COVALID" admin bootstrap --db "$DB" --token-file "$TMP/owner.token"
check "... mode 0600" test "$(stat -c %a "$TMP/owner.token")" = 600
expect_exit 2 "bootstrap refuses to overwrite a token file" "$COVALID" admin bootstrap --db "$DB" --token-file "$TMP/owner.token"

if ! server_start "$DB" --max-body 65536; then
	not_ok "covalid serve starts on 127.0.0.1:0"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
ok "covalid serve starts on 127.0.0.1:0 ($URL)"

# ---- liveness, metrics, documentation ----
check "GET /healthz: 200 ok" test "$(api GET /healthz)" = 200
check "... reports the database" test "$(jq -r .status "$TMP/resp")" = ok
check_eval "GET /api/v1/openapi.json: 200, OpenAPI 3" "[ \"\$(api GET /api/v1/openapi.json)\" = 200 ] && jq -e '.openapi | startswith(\"3.\")' '$TMP/resp' >/dev/null"
cp "$TMP/resp" "$TMP/openapi.json"
# Every documented operation is answered by a route: never "no such
# resource" and never 405 (the ids are made up, so 404 "no such vendor"
# and 401 for missing tokens are fine).
jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. != "parameters") | "\(ascii_upcase) \($p)"' \
	"$TMP/openapi.json" >"$TMP/ops"
bad=
while read -r method path; do
	p=$(echo "$path" | sed 's/{[a-z]*}/nosuch/g')
	body=
	case $method in POST | PUT) echo '{}' >"$TMP/empty.json"; body="$TMP/empty.json" ;; esac
	st=$(api "$method" "$p" "$body")
	msg=$(jq -r '.error.message // ""' "$TMP/resp" 2>/dev/null)
	if [ "$st" = 405 ] || [ "$st" = 000 ] || [ "$st" -ge 500 ] || [ "$msg" = "no such resource" ]; then
		bad="$bad $method:$path:$st"
	fi
done <"$TMP/ops"
check "every operation in openapi.json is a live route ($(wc -l <"$TMP/ops") operations)${bad:+: not$bad}" test -z "$bad"

# ---- the public catalog ----
check_eval "GET /api/v1/products: 200 with guests and hypervisors" "[ \"\$(api GET /api/v1/products)\" = 200 ] && jq -e '.items | length > 10' '$TMP/resp' >/dev/null"
check_eval "GET /api/v1/configurations?guest=rhel: only RHEL guests" "[ \"\$(api GET '/api/v1/configurations?guest=rhel&limit=500')\" = 200 ] && jq -e '(.items | length) > 5 and all(.items[]; .guest.os_id == \"rhel\") and .total == (.items | length)' '$TMP/resp' >/dev/null"
total=$(jq .total "$TMP/resp")
check_eval "paging: limit=2 offset=2, with the total and the next page (by key: after its last id, docs/server.md)" "[ \"\$(api GET '/api/v1/configurations?guest=rhel&limit=2&offset=2')\" = 200 ] && jq -e '(.items | length) == 2 and .total == $total and .offset == 2 and .next == \"/api/v1/configurations?limit=2&after=\" + .items[1].id + \"&guest=rhel\"' '$TMP/resp' >/dev/null"
next=$(jq -r .next "$TMP/resp")
ids_at_4=$(curl -s "$URL/api/v1/configurations?guest=rhel&limit=2&offset=4" | jq -c '[.items[].id]')
check_eval "... which is the page offset=4 would give" "[ \"\$(api GET '$next')\" = 200 ] && jq -e '[.items[].id] == $ids_at_4 and .total == $total' '$TMP/resp' >/dev/null"
check_eval "... the last page has no next" "[ \"\$(api GET '/api/v1/configurations?guest=rhel&limit=500')\" = 200 ] && jq -e '.next == null' '$TMP/resp' >/dev/null"
check_eval "filters combine: hypervisor=microsoft&status=validated" "[ \"\$(api GET '/api/v1/configurations?hypervisor=microsoft&status=validated&limit=500')\" = 200 ] && jq -e '(.items | length) > 0 and all(.items[]; (.hypervisor.ids | index(\"microsoft\")) and .status == \"validated\")' '$TMP/resp' >/dev/null"
check_eval "filter by vendor id: Red Hat's guest, hypervisor or validation in every item" "[ \"\$(api GET '/api/v1/configurations?vendor=red-hat&limit=500')\" = 200 ] && jq -e '(.items | length) > 0 and all(.items[]; .guest.vendor == \"Red Hat\" or .hypervisor.vendor == \"Red Hat\" or (.validated_by | index(\"Red Hat\")))' '$TMP/resp' >/dev/null"
n_by_name=$(curl -s "$URL/api/v1/configurations?vendor=Red%20Hat&limit=1" | jq .total)
check_eval "... the same by name ($n_by_name)" "[ \"\$(api GET '/api/v1/configurations?vendor=red-hat&limit=1')\" = 200 ] && [ \"\$(jq .total '$TMP/resp')\" = '$n_by_name' ]"
for q in 'limit=0' 'limit=abc' 'limit=100000' 'offset=-1' 'after=a%20b' 'status=bogus' 'colour=red'; do
	check_eval "GET /api/v1/configurations?$q: 400 invalid_parameter naming it" "[ \"\$(api GET '/api/v1/configurations?$q')\" = 400 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = invalid_parameter ] && jq -r .error.message '$TMP/resp' | grep -q \"\${q%%=*}\""
done
check_eval "GET /api/v1/configurations/ms-hv2008-ws-rhel5.3-x86_64: 200 with evidence" "[ \"\$(api GET /api/v1/configurations/ms-hv2008-ws-rhel5.3-x86_64)\" = 200 ] && jq -e '.configuration.id == \"ms-hv2008-ws-rhel5.3-x86_64\" and (.test_logs | type == \"array\")' '$TMP/resp' >/dev/null"
check_eval "GET /api/v1/configurations/nosuch: 404 not_found" "[ \"\$(api GET /api/v1/configurations/nosuch)\" = 404 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = not_found ]"
check_eval "GET /api/v1/vendors: Microsoft and Red Hat (from the catalog)" "[ \"\$(api GET /api/v1/vendors)\" = 200 ] && jq -e '[.items[].id] | index(\"microsoft\") and index(\"red-hat\")' '$TMP/resp' >/dev/null"
# ---- the vendors' feeds (issue 10): a vendor's feed holds every
# configuration it validated or whose guest OS or hypervisor is its
# product, each with its roles; ?status= filters them; Atom titles say what
# they list.  What each feed must hold is computed here from the data file.
CONFIGS="$SRC/data/validated-configs.jsonl"
# feed_expect NAME [STATUS...]: the sorted [{id, roles}] NAME's feed must hold
feed_expect() {
	name=$1
	shift
	jq -s -c --arg v "$name" '[.[] | select(($ARGS.positional | length) == 0 or (.status as $s | $ARGS.positional | index($s)))
		| {id, roles: [if (.validated_by | index($v)) then "validated_by" else empty end,
			       if .guest.vendor == $v then "guest_vendor" else empty end,
			       if .hypervisor.vendor == $v then "host_vendor" else empty end]}
		| select(.roles != [])] | sort_by(.id)' "$CONFIGS" --args "$@"
}
# feed_got PATH: the same of a JSON feed, its answer in $TMP/resp
feed_got() {
	[ "$(api GET "$1")" = 200 ] && jq -c '[.items[] | {id, roles}] | sort_by(.id)' "$TMP/resp"
}
feed_is() {	# feed_is PATH NAME [STATUS...]
	path=$1
	shift
	got=$(feed_got "$path") && want=$(feed_expect "$@") && [ "$got" = "$want" ] && [ "$want" != "[]" ] ||
		{ diag "$path: got $(echo "$got" | head -c 300)" "expected $(echo "$want" | head -c 300)"; false; }
}
# atom_get PATH: the Atom feed at PATH into $TMP/atom, well-formed
atom_get() {
	curl -sf -o "$TMP/atom" "$URL$1" && xmllint --noout "$TMP/atom"
}
# atom_title: the feed's title
atom_title() {
	xmllint --xpath 'string(/*[local-name()="feed"]/*[local-name()="title"])' "$TMP/atom"
}
# atom_entries: one line an entry, sorted: its configuration id, the status
# its title ends with (": validated") and its summary, tab-separated
atom_entries() {
	perl -0777 -ne 'while (m{<entry>(.*?)</entry>}sg) {
		my $e = $1;
		my ($i) = $e =~ m{<id>urn:covalid:configuration:(.*?)</id>};
		my ($t) = $e =~ m{<title>(.*?)</title>}s;
		my ($s) = $e =~ m{<summary>(.*?)</summary>}s;
		$t =~ s/.*: //;
		print "$i\t$t\t$s\n";
	}' "$TMP/atom" | sort
}
# atom_expect NAME [STATUS...]: the same, as the data file says it must be
atom_expect() {
	name=$1
	shift
	jq -r -s --arg v "$name" '.[] | select(($ARGS.positional | length) == 0 or (.status as $s | $ARGS.positional | index($s)))
		| . as $c | [if (.validated_by | index($v)) then "validated by" else empty end,
			     if .guest.vendor == $v then "guest vendor" else empty end,
			     if .hypervisor.vendor == $v then "host vendor" else empty end] | select(. != [])
		| [$c.id, $c.status, "Status: \($c.status). \($v)\u0027s \(if length == 1 then "role" else "roles" end): \(join(", ")). Validated by \(if $c.validated_by == [] then "nobody" else ($c.validated_by | join(", ")) end)."]
		| @tsv' "$CONFIGS" --args "$@" | sort
}
atom_is() {	# atom_is PATH NAME [STATUS...]
	path=$1
	shift
	atom_get "$path" && atom_entries >"$TMP/atom.got" && atom_expect "$@" >"$TMP/atom.want" && [ -s "$TMP/atom.want" ] &&
		cmp -s "$TMP/atom.got" "$TMP/atom.want" || { diag "$path:" "$(diff "$TMP/atom.want" "$TMP/atom.got" | head -5)"; false; }
}
kvm='["rh-kvm5.4-win2k3-sp2-i686","rh-kvm5.4-win2k3-sp2-x86_64","rh-kvm5.4-win2k8-i686","rh-kvm5.4-win2k8-x86_64","rh-kvm5.4-win2k8r2-x86_64"]'
n_ms=$(feed_expect Microsoft | jq length)
check "Microsoft's feed: all $n_ms configurations Microsoft validated or whose guest or hypervisor is Microsoft's, with those roles" \
	feed_is /api/v1/vendors/microsoft/configurations Microsoft
check_eval "... among them the five Windows guests on RHEL 5.4 KVM, Microsoft's as guest vendor only" \
	"jq -e --argjson k '$kvm' '[.items[] | select(.id | startswith(\"rh-kvm5.4-\")) | {id, roles}] | sort_by(.id) == [\$k[] | {id: ., roles: [\"guest_vendor\"]}]' '$TMP/resp' >/dev/null"
check_eval "... and its title says it holds every status" "[ \"\$(jq -r '.title + \"|\" + (.statuses | tostring)' '$TMP/resp')\" = 'Microsoft: configurations (all statuses)|null' ]"
check "Red Hat's feed: all $(feed_expect 'Red Hat' | jq length) of Red Hat's, with their roles" \
	feed_is /api/v1/vendors/red-hat/configurations 'Red Hat'
check_eval "... the five Windows guests on its KVM as validated_by and host_vendor" \
	"jq -e --argjson k '$kvm' '[.items[] | select(.id | startswith(\"rh-kvm5.4-\")) | {id, roles}] | sort_by(.id) == [\$k[] | {id: ., roles: [\"validated_by\", \"host_vendor\"]}]' '$TMP/resp' >/dev/null"
n_valid=$(feed_expect Microsoft validated | jq length)
check "Microsoft's feed ?status=validated: only its $n_valid validated configurations (of $n_ms)" \
	feed_is '/api/v1/vendors/microsoft/configurations?status=validated' Microsoft validated
check_eval "... every item validated, the five KVM rows among them, the title saying so" \
	"jq -e --argjson k '$kvm' 'all(.items[]; .status == \"validated\") and ([.items[].id] | contains(\$k)) and .title == \"Microsoft: validated configurations\" and .statuses == [\"validated\"]' '$TMP/resp' >/dev/null"
check "?status=validated,not_supported: a comma list is either" \
	feed_is '/api/v1/vendors/microsoft/configurations?status=validated,not_supported' Microsoft validated not_supported
check "?status=validated&status=not_supported: so is the parameter repeated" \
	feed_is '/api/v1/vendors/microsoft/configurations?status=validated&status=not_supported' Microsoft validated not_supported
check_eval "... titled with both" "[ \"\$(jq -r .title '$TMP/resp')\" = 'Microsoft: configurations with status validated or not_supported' ]"
check_eval "SUSE's and VMware's feeds: vendors of a guest or a hypervisor have feeds" \
	"feed_is /api/v1/vendors/suse/configurations SUSE && feed_is /api/v1/vendors/vmware/configurations VMware"
for q in 'status=bogus' 'status=validated,bogus' 'status=validated,' 'status=validated&status=Validated'; do
	for f in configurations configurations.atom; do
		check_eval "GET /api/v1/vendors/microsoft/$f?$q: 400 invalid_parameter naming status" "[ \"\$(api GET '/api/v1/vendors/microsoft/$f?$q')\" = 400 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = invalid_parameter ] && jq -r .error.message '$TMP/resp' | grep -q '^status: unknown status'"
	done
done
check_eval "?colour= on a feed: 400 naming it" "[ \"\$(api GET '/api/v1/vendors/microsoft/configurations?colour=red')\" = 400 ] && jq -r .error.message '$TMP/resp' | grep -q colour"
check_eval "GET /api/v1/vendors: the counts of each vendor's roles" "[ \"\$(api GET /api/v1/vendors)\" = 200 ] && jq -e --argjson ms $n_ms --argjson msv \$(jq -s '[.[] | select(.validated_by | index(\"Microsoft\"))] | length' '$CONFIGS') '.items[] | select(.id == \"microsoft\") | .feed_configurations == \$ms and .configurations == \$msv' '$TMP/resp' >/dev/null && jq -e '[.items[].id] | index(\"vmware\") and index(\"suse\")' '$TMP/resp' >/dev/null"
# Atom
check_eval "GET /api/v1/vendors/microsoft/configurations.atom: well-formed Atom" "[ \"\$(api GET /api/v1/vendors/microsoft/configurations.atom)\" = 200 ] && xmllint --noout '$TMP/resp' && grep -q '<feed xmlns=\"http://www.w3.org/2005/Atom\">' '$TMP/resp'"
check "... an entry for each of the $n_ms, its title ending with its status, its summary naming the status and Microsoft's roles" \
	atom_is /api/v1/vendors/microsoft/configurations.atom Microsoft
check "... titled 'Microsoft: configurations (all statuses)'" test "$(atom_title)" = "Microsoft: configurations (all statuses)"
check_eval "... the Windows guests on RHEL KVM: 'Microsoft's role: guest vendor'" "grep -q \"^rh-kvm5.4-win2k8r2-x86_64	validated	Status: validated. Microsoft's role: guest vendor. Validated by Red Hat.\\\$\" '$TMP/atom.got'"
check "?status=validated as Atom: only the $n_valid validated" atom_is '/api/v1/vendors/microsoft/configurations.atom?status=validated' Microsoft validated
check "... titled 'Microsoft: validated configurations'" test "$(atom_title)" = "Microsoft: validated configurations"
check_eval "... every entry's status category validated" "[ \"\$(grep -c '<category scheme=\"urn:covalid:status\" term=\"validated\"/>' '$TMP/atom')\" = $n_valid ] && [ \"\$(grep -c '<entry>' '$TMP/atom')\" = $n_valid ]"
check_eval "... a feed of its own: its id and self link name the status" "grep -q '<id>urn:covalid:vendor:microsoft:status:validated</id>' '$TMP/atom' && grep -q 'rel=\"self\" href=\"/api/v1/vendors/microsoft/configurations.atom?status=validated\"' '$TMP/atom'"
check "?status=supported,supported_limited as Atom: either" atom_is '/api/v1/vendors/microsoft/configurations.atom?status=supported,supported_limited' Microsoft supported supported_limited
check "... titled with both" test "$(atom_title)" = "Microsoft: configurations with status supported or supported_limited"
check "Red Hat's Atom feed: its roles too" atom_is /api/v1/vendors/red-hat/configurations.atom 'Red Hat'
# The cache keys the request target: a filtered feed is not the whole one.
e_all=$(curl -s -D - -o /dev/null "$URL/api/v1/vendors/microsoft/configurations.atom" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
e_val=$(curl -s -D - -o /dev/null "$URL/api/v1/vendors/microsoft/configurations.atom?status=validated" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
check "the filtered and the whole feed have their own ETags" test -n "$e_all" -a -n "$e_val" -a "$e_all" != "$e_val"
check "... each a 304 for its own" test "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $e_val" "$URL/api/v1/vendors/microsoft/configurations.atom?status=validated") $(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $e_val" "$URL/api/v1/vendors/microsoft/configurations.atom")" = "304 200"
check "... and, asked again, the whole feed is still whole" atom_is /api/v1/vendors/microsoft/configurations.atom Microsoft
n_cfg_valid=$(jq -s '[.[] | select(.status == "validated" or .status == "not_supported")] | length' "$CONFIGS")
check_eval "GET /api/v1/configurations?status=validated,not_supported: the $n_cfg_valid of either, the next page keeping the list" "[ \"\$(api GET '/api/v1/configurations?status=validated,not_supported&limit=2')\" = 200 ] && jq -e '.total == $n_cfg_valid and .next == \"/api/v1/configurations?limit=2&after=\" + .items[1].id + \"&status=validated%2Cnot_supported\"' '$TMP/resp' >/dev/null && [ \"\$(api GET '/api/v1/configurations?status=validated&status=not_supported&limit=1')\" = 200 ] && jq -e '.total == $n_cfg_valid' '$TMP/resp' >/dev/null"
check "GET /api/v1/vendors/nobody: 404" test "$(api GET /api/v1/vendors/nobody)" = 404

# ---- POST /api/v1/check: the same verdict as covalid check ----
"$COVALID" probe --json --root "$FX/hyperv2008-rhel53/root" >"$TMP/d.json"
"$COVALID" check --db "$DB" --descriptor "$TMP/d.json" --json >"$TMP/cli.json"
check "POST /api/v1/check: 200" test "$(api POST /api/v1/check "$TMP/d.json")" = 200
check_eval "... the verdict and matches of covalid check (validated, the 2009 pair)" "jq -S 'del(.checked_at)' '$TMP/cli.json' >'$TMP/a' && jq -S 'del(.checked_at)' '$TMP/resp' >'$TMP/b' && cmp -s '$TMP/a' '$TMP/b' && [ \"\$(jq -r .verdict '$TMP/b')\" = validated ]"
"$COVALID" probe --json --root "$FX/hyperv2008-rhel53-2vcpu/root" >"$TMP/d2.json"
"$COVALID" check --db "$DB" --descriptor "$TMP/d2.json" --json >"$TMP/cli2.json"
api POST /api/v1/check "$TMP/d2.json" >/dev/null
check_eval "... and the same nearest configurations and differences for a 2-vCPU guest" "jq -S 'del(.checked_at)' '$TMP/cli2.json' >'$TMP/a' && jq -S 'del(.checked_at)' '$TMP/resp' >'$TMP/b' && cmp -s '$TMP/a' '$TMP/b' && [ \"\$(jq -r .verdict '$TMP/b')\" = not-validated ]"

# ---- the answer cache: right answers, validators ----
api POST /api/v1/check "$TMP/d.json" >/dev/null
api POST /api/v1/check "$TMP/d2.json" >/dev/null
check "a cached check does not answer another descriptor" test "$(jq -r .verdict "$TMP/resp")" = not-validated
check_eval "... and the first, asked again, gets covalid check's answer again" "api POST /api/v1/check '$TMP/d.json' >/dev/null && jq -S 'del(.checked_at)' '$TMP/resp' >'$TMP/b' && jq -S 'del(.checked_at)' '$TMP/cli.json' | cmp -s - '$TMP/b'"
etag=$(curl -s -D - -o /dev/null "$URL/api/v1/vendors" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
check "GET answers carry an ETag ($etag)" test -n "$etag"
check "If-None-Match with it: 304, no body" test "$(curl -s -o "$TMP/304" -w '%{http_code} %{size_download}' -H "If-None-Match: $etag" "$URL/api/v1/vendors")" = "304 0"
check "another ETag: 200" test "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "1-0000"' "$URL/api/v1/vendors")" = 200

# ---- hostile and malformed requests ----
printf '{"schema": "covalid.descriptor/1", ' >"$TMP/trunc.json"
check_eval "malformed JSON: 400 malformed_json" "[ \"\$(api POST /api/v1/check '$TMP/trunc.json')\" = 400 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = malformed_json ]"
echo '[1, 2]' >"$TMP/array.json"
check_eval "a descriptor that is not an object: 400 naming it" "[ \"\$(api POST /api/v1/check '$TMP/array.json')\" = 400 ] && jq -e '.error.message | length > 0' '$TMP/resp' >/dev/null"
head -c 70000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
check_eval "a body over --max-body: 413 body_too_large" "[ \"\$(api POST /api/v1/check '$TMP/big.json')\" = 413 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = body_too_large ]"
check_eval "... also when sent chunked, without a length" "[ \"\$(curl -s -o '$TMP/resp' -w '%{http_code}' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @'$TMP/big.json' '$URL/api/v1/check')\" = 413 ]"
check_eval "a body that is not JSON by type: 415" "[ \"\$(curl -s -o '$TMP/resp' -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary @'$TMP/d.json' '$URL/api/v1/check')\" = 415 ]"
check_eval "a wrong method: 405 with Allow" "curl -s -o /dev/null -D '$TMP/h' -X DELETE '$URL/api/v1/configurations' && head -1 '$TMP/h' | grep -q ' 405' && grep -qi '^Allow: GET' '$TMP/h'"
check_eval "an unknown path: 404 no such resource" "[ \"\$(api GET /api/v2/nothing)\" = 404 ] && [ \"\$(jq -r .error.message '$TMP/resp')\" = 'no such resource' ]"
check_eval "a path escaping the web directory: 404" "[ \"\$(curl -s --path-as-is -o /dev/null -w '%{http_code}' '$URL/static/../../etc/passwd')\" = 404 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' '$URL/static/.hidden')\" = 404 ]"
check_eval "duplicate Content-Length: 400" "raw_http 'POST /api/v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}' | grep -q '^HTTP/1.1 400'"
check_eval "Content-Length with chunked Transfer-Encoding: 400" "raw_http 'POST /api/v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n' | grep -q '^HTTP/1.1 400'"
check_eval "a request line of garbage: 400, no crash" "raw_http 'GARBAGE\r\n\r\n' | grep -Eq '^HTTP/1.[01] 400|^CLOSED'"
long=$(head -c 100000 /dev/zero | tr '\0' a)
check_eval "header flood over the connection's memory: refused, no crash" "raw_http 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: $long\r\n\r\n' | grep -Eq '^HTTP/1.1 4(00|31)|^CLOSED'"
check_eval "query with a bad percent-encoding or NUL: 400 or 200, never 5xx" "st=\$(curl -s -o /dev/null -w '%{http_code}' '$URL/api/v1/configurations?guest=%00%ff%zz'); [ \"\$st\" -lt 500 ]"

# ---- tokens ----
echo "cv_not-a-real-token" >"$TMP/bogus.token"
check_eval "no token on a vendor route: 401 with WWW-Authenticate" "curl -s -o '$TMP/resp' -D '$TMP/h' '$URL/api/v1/submissions' && head -1 '$TMP/h' | grep -q ' 401' && grep -qi '^WWW-Authenticate: Bearer' '$TMP/h'"
check_eval "a wrong token: 401 unauthorized" "[ \"\$(api GET /api/v1/submissions '' '$TMP/bogus.token')\" = 401 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = unauthorized ]"
check_eval "a Basic authorization: 401" "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -u a:b '$URL/api/v1/admin/tokens')\" = 401 ]"

C="$COVALID"
O="--server $URL --token-file $TMP/owner.token"
expect_exit 0 "admin vendor add Red Hat" $C admin vendor add "Red Hat" $O
check "... id red-hat" test "$(jq -r .id "$TMP/out")" = red-hat
expect_exit 0 "admin vendor add Microsoft" $C admin vendor add Microsoft $O
check "after a write the old ETag no longer matches: 200" test "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/api/v1/vendors")" = 200
check_eval "... and the answer is the new one (Red Hat admitted)" "curl -sf '$URL/api/v1/vendors' | jq -e '.items[] | select(.id == \"red-hat\") | .admitted' >/dev/null"
check "Red Hat's feed, Red Hat admitted: the same" feed_is /api/v1/vendors/red-hat/configurations 'Red Hat'
# A vendor admitted under a longer name keeps the catalog's rows that name
# it by its slug ("SUSE" is suse): the feed resolves names as the vendor list does.
expect_exit 0 "admin vendor add 'SUSE LLC' --id suse" $C admin vendor add "SUSE LLC" --id suse $O
check_eval "... its feed holds the catalog's SUSE rows, with their roles" "feed_is /api/v1/vendors/suse/configurations SUSE && jq -e '.vendor.name == \"SUSE LLC\" and .vendor.admitted' '$TMP/resp' >/dev/null"
check_eval "... and the vendor list counts them under it, with no second SUSE" "[ \"\$(api GET /api/v1/vendors)\" = 200 ] && jq -e '[.items[] | select(.name | test(\"suse\"; \"i\"))] | length == 1 and .[0].id == \"suse\" and .[0].feed_configurations == $(feed_expect SUSE | jq length)' '$TMP/resp' >/dev/null"
expect_exit 2 "a second Red Hat: refused (409)" $C admin vendor add "Red Hat" $O
check "... saying it exists" grep -q "exists" "$TMP/err"
echo '{"name": "SUSE", "colour": "green"}' >"$TMP/unknown.json"
check_eval "unknown fields: 400 unknown_field naming it" "[ \"\$(api POST /api/v1/admin/vendors '$TMP/unknown.json' '$TMP/owner.token')\" = 400 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = unknown_field ] && jq -r .error.message '$TMP/resp' | grep -q colour"
echo '{"name": 42}' >"$TMP/badtype.json"
check_eval "a field of the wrong type: 400 invalid_field" "[ \"\$(api POST /api/v1/admin/vendors '$TMP/badtype.json' '$TMP/owner.token')\" = 400 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = invalid_field ]"
"$COVALID" key generate --out "$TMP/rh.key" >/dev/null
"$COVALID" key generate --out "$TMP/ms.key" >/dev/null
expect_exit 0 "admin key add red-hat" $C admin key add red-hat "$TMP/rh.key.pub" $O
expect_exit 0 "admin key add microsoft" $C admin key add microsoft "$TMP/ms.key.pub" $O
expect_exit 2 "a key for an unknown vendor: refused (404)" $C admin key add nobody "$TMP/rh.key.pub" $O
check "... naming the vendor" grep -q "nobody" "$TMP/err"
expect_exit 0 "admin token issue --vendor red-hat" $C admin token issue --vendor red-hat --out "$TMP/rh.token" $O
expect_exit 0 "admin token issue --vendor microsoft" $C admin token issue --vendor microsoft --out "$TMP/ms.token" $O
check "tokens are files of mode 0600" test "$(stat -c %a "$TMP/rh.token")" = 600
expect_exit 0 "admin token list" $C admin token list $O
check_eval "... shows ids and roles, never a secret or its hash" "jq -e '(.items | length) == 3 and all(.items[]; (.id | startswith(\"tok_\")) and .role and (has(\"hash\") | not))' '$TMP/out' >/dev/null && ! grep -q -F -e \"\$(cut -c4-20 '$TMP/rh.token')\" '$TMP/out'"
check_eval "the database holds no token in the clear" "! grep -a -q -F -e \"\$(cat '$TMP/rh.token')\" '$DB'"
check_eval "a vendor token on an owner route: 403 forbidden" "[ \"\$(api GET /api/v1/admin/tokens '' '$TMP/rh.token')\" = 403 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = forbidden ]"
check "the owner's token on a vendor-only route (submit): 403" test "$(api POST /api/v1/submissions "$TMP/d.json" "$TMP/owner.token")" = 403

# ---- submissions: refused, rejected, accepted; isolation ----
"$COVALID" kit run --quick --only env,cpu,time.monotonic --out "$TMP/log.json" --sign "$TMP/rh.key" >/dev/null 2>&1
check_eval "a signed quick test log" "jq -e .signature.key_id '$TMP/log.json' >/dev/null"
check_eval "a log signed with Microsoft's key, sent with Red Hat's token: 422 bad_signature" "'$COVALID' kit sign '$TMP/log.json' --key '$TMP/ms.key' --out '$TMP/log-ms.json' >/dev/null && [ \"\$(api POST /api/v1/submissions '$TMP/log-ms.json' '$TMP/rh.token')\" = 422 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = bad_signature ]"
sed 's/"vcpus":\([0-9]*\)/"vcpus":9\1/' "$TMP/log.json" >"$TMP/tampered.json"
check_eval "a tampered log: 422 bad_signature, saying it changed" "[ \"\$(api POST /api/v1/submissions '$TMP/tampered.json' '$TMP/rh.token')\" = 422 ] && jq -r .error.message '$TMP/resp' | grep -q 'changed after signing'"
check_eval "not a test log: 400 invalid_log" "[ \"\$(api POST /api/v1/submissions '$TMP/d.json' '$TMP/rh.token')\" = 400 ] && [ \"\$(jq -r .error.code '$TMP/resp')\" = invalid_log ]"
check_eval "refused submissions left nothing behind" "[ \"\$(api GET /api/v1/submissions '' '$TMP/owner.token')\" = 200 ] && jq -e '.items | length == 0' '$TMP/resp' >/dev/null"
check_eval "POST /api/v1/submissions: 201 rejected under the default policy, with the reasons" "[ \"\$(api POST /api/v1/submissions '$TMP/log.json' '$TMP/rh.token')\" = 201 ] && jq -e '.status == \"rejected\" and (.reasons | length > 3) and (.reasons | index(\"kit mode quick is not accepted (the policy accepts: full)\"))' '$TMP/resp' >/dev/null"
rejected=$(jq -r .id "$TMP/resp")
cat >"$TMP/policy.json" <<'EOF'
{"schema": "covalid.policy/1", "modes": ["quick", "full"],
 "rules": [{"name": "smoke", "guest": "*", "hypervisor": "*", "required": ["cpu.topology", "time.monotonic"], "may_skip": []}]}
EOF
expect_exit 0 "admin policy set" $C admin policy set "$TMP/policy.json" $O
echo '{"schema": "covalid.policy/1", "modes": ["sometimes"], "rules": []}' >"$TMP/badpolicy.json"
expect_exit 2 "a bad policy is refused" $C admin policy set "$TMP/badpolicy.json" $O
check_eval "... and the policy is unchanged" "'$COVALID' admin policy get $O | jq -e '.modes == [\"quick\", \"full\"]' >/dev/null"
hv=$(jq -r .claim.hypervisor.id "$TMP/log.json")
if [ "$hv" = none ] || [ "$hv" = unknown ]; then
	skip "an accepted submission" "this machine is not a VM (hypervisor: $hv), so no log of it can be accepted"
else
	check_eval "POST /api/v1/submissions: 201 accepted, creating a configuration" "[ \"\$(api POST /api/v1/submissions '$TMP/log.json' '$TMP/rh.token')\" = 201 ] && jq -e '.status == \"accepted\" and .created and (.configuration | startswith(\"red-hat:\"))' '$TMP/resp' >/dev/null"
fi
accepted=$(jq -r .id "$TMP/resp")
config=$(jq -r .configuration "$TMP/resp")
check_eval "Red Hat sees its own submissions" "[ \"\$(api GET /api/v1/submissions '' '$TMP/rh.token')\" = 200 ] && jq -e '[.items[].id] | index(\"$rejected\")' '$TMP/resp' >/dev/null"
check_eval "Microsoft sees none of them" "[ \"\$(api GET /api/v1/submissions '' '$TMP/ms.token')\" = 200 ] && jq -e '.items == []' '$TMP/resp' >/dev/null"
check_eval "Microsoft asking for Red Hat's submission: 404, not its data" "[ \"\$(api GET /api/v1/submissions/$rejected '' '$TMP/ms.token')\" = 404 ] && ! grep -q signature '$TMP/resp'"
check_eval "Red Hat reads its submission with the log and the reasons" "[ \"\$(api GET /api/v1/submissions/$rejected '' '$TMP/rh.token')\" = 200 ] && jq -e '.log.schema == \"covalid.testlog/1\" and .status == \"rejected\"' '$TMP/resp' >/dev/null"
check_eval "?vendor= does not widen a vendor's view" "[ \"\$(api GET '/api/v1/submissions?vendor=red-hat' '' '$TMP/ms.token')\" = 200 ] && jq -e '.items == []' '$TMP/resp' >/dev/null"
if [ -n "$config" ] && [ "$config" != null ]; then
	check "Microsoft revoking Red Hat's configuration: 403" test "$(api POST "/api/v1/configurations/$config/revoke" "" "$TMP/ms.token")" = 403
	check_eval "Red Hat revokes its configuration" "[ \"\$(api POST '/api/v1/configurations/$config/revoke' '' '$TMP/rh.token')\" = 200 ] && [ \"\$(api GET '/api/v1/configurations/$config')\" = 200 ] && jq -e '.configuration.status == \"revoked\"' '$TMP/resp' >/dev/null"
else
	skip "revocation" "no configuration was accepted on this machine"
	skip "revocation by its vendor" "no configuration was accepted on this machine"
fi
$C admin token list $O >"$TMP/tl.json"
tok=$(jq -r '.items[] | select(.vendor == "microsoft") | .id' "$TMP/tl.json")
expect_exit 0 "admin token revoke (Microsoft's)" $C admin token revoke "$tok" $O
check "a revoked token: 401" test "$(api GET /api/v1/submissions '' "$TMP/ms.token")" = 401

# ---- token expiry and last use (docs/server.md, "Tokens") ----
expect_exit 0 "admin token issue --expires 2s" $C admin token issue --vendor red-hat --expires 2s --out "$TMP/short.token" $O
check "... a token before its expiry works" test "$(api GET /api/v1/submissions '' "$TMP/short.token")" = 200
later=$(date -u -d '+400 days' +%Y-%m-%dT00:00:00Z)
expect_exit 0 "admin token add --expires $later (add: issue's other name)" \
	$C admin token add --vendor red-hat --expires "$later" $O
check_eval "... the answer gives expires_at as written" "jq -e '.expires_at == \"$later\"' '$TMP/out' >/dev/null"
expect_exit 2 "--expires in the past: 400, exit 2" $C admin token issue --expires 2001-01-01 $O
check "... naming the field and the value" grep -q "expires: 2001-01-01 is not in the future" "$TMP/err"
expect_exit 2 "--expires 5x: 400 naming the forms" $C admin token issue --expires 5x $O
check "... saying what a duration is" grep -q "expires: a duration" "$TMP/err"
expect_exit 0 "admin user add --expires 30d" $C admin user add Temp --role vendor-engineer --vendor red-hat --expires 30d $O
check_eval "... the user's token has an expiry 30 days ahead (to the minute)" \
	"[ \"\$(jq -r .expires_at '$TMP/out' | cut -c1-16)\" = \"\$(date -u -d '+30 days' +%Y-%m-%dT%H:%M)\" ] || [ \"\$(jq -r .expires_at '$TMP/out' | cut -c1-16)\" = \"\$(date -u -d '+30 days -1 minute' +%Y-%m-%dT%H:%M)\" ]"
sleep 3
check_eval "an expired token: 401, like a revoked one, saying it expired" \
	"[ \"\$(api GET /api/v1/submissions '' '$TMP/short.token')\" = 401 ] && [ \"\$(err_code)\" = unauthorized ] && jq -r .error.message '$TMP/resp' | grep -q 'expired at'"
# Last use: a fresh token used five times within the minute costs one
# write (covalid_token_use_writes_total), and last_used_at is set.
expect_exit 0 "a fresh token" $C admin token issue --vendor red-hat --out "$TMP/fresh.token" $O
expect_exit 0 "a token never used" $C admin token issue --vendor red-hat --description unused $O
unused=$(jq -r .id "$TMP/out")
writes() { curl -s "$URL/metrics" | sed -n 's/^covalid_token_use_writes_total //p'; }
w0=$(writes)
before=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for i in 1 2 3 4 5; do api GET /api/v1/submissions '' "$TMP/fresh.token" >/dev/null; done
w1=$(writes)
check "five uses of a token within a minute: one write of its last use ($w0 -> $w1)" test "$((w1 - w0))" -eq 1
expect_exit 0 "admin token list --sort last-used" $C admin token list --sort last-used $O
check_eval "... every token with expires_at, last_used_at and expired" \
	"jq -e 'all(.items[]; has(\"expires_at\") and has(\"last_used_at\") and has(\"expired\"))' '$TMP/out' >/dev/null"
check_eval "... the expired one marked expired" "jq -e '[.items[] | select(.expired)] | length == 1' '$TMP/out' >/dev/null"
check_eval "... ordered by last use, the most recent first, never used last" \
	"jq -e '[.items[].last_used_at] as \$l | [\$l[] | select(. != null)] as \$u | \$u == (\$u | sort | reverse) and (\$l[(\$u | length):] | all(. == null))' '$TMP/out' >/dev/null"
check_eval "... the unused token among the never used, the owner's used" \
	"jq -e '(.items[] | select(.id == \"$unused\") | .last_used_at) == null and ([.items[] | select(.role == \"owner\") | .last_used_at] | all(. != null))' '$TMP/out' >/dev/null"
check_eval "... the first used since the uses began" "jq -e '.items[0].last_used_at >= \"$before\"' '$TMP/out' >/dev/null"
expect_exit 2 "--sort other: a usage error" $C admin token list --sort name $O
check "?order=bogus: 400" test "$(api GET '/api/v1/admin/tokens?order=bogus' '' "$TMP/owner.token")" = 400

# ---- metrics and the access log ----
check_eval "GET /metrics: Prometheus text with request counts by status" "[ \"\$(api GET /metrics)\" = 200 ] && grep -q '^# TYPE covalid_http_requests_total counter' '$TMP/resp' && grep -Eq '^covalid_http_requests_total\{method=\"POST\",route=\"/api/v1/submissions\",code=\"4xx\"\} [1-9]' '$TMP/resp' && grep -q '^covalid_submissions_total' '$TMP/resp'"
# The process collector's metrics, as Prometheus' client libraries name and
# mean them (client_golang's process_collector.go), and the build's info.
cp "$TMP/resp" "$TMP/metrics"
now=$(date +%s)
proc_metric() {	# proc_metric NAME TYPE AWK-CONDITION-ON-v: HELP and TYPE lines, one sample that holds
	grep -q "^# HELP $1 ." "$TMP/metrics" && grep -qx "# TYPE $1 $2" "$TMP/metrics" &&
		[ "$(grep -c "^$1 " "$TMP/metrics")" = 1 ] &&
		awk -v now="$now" -v m="$1" '$1 == m { v = $2 + 0; ok = ('"$3"') } END { exit !ok }' "$TMP/metrics"
}
check "process_cpu_seconds_total: a counter, >= 0" proc_metric process_cpu_seconds_total counter 'v >= 0'
check "process_resident_memory_bytes: a gauge, > 0" proc_metric process_resident_memory_bytes gauge 'v > 0'
check "process_virtual_memory_bytes: a gauge, at least the resident size" \
	sh -c "r=\$(awk '\$1 == \"process_resident_memory_bytes\" { print \$2 }' '$TMP/metrics'); awk -v r=\"\$r\" '\$1 == \"process_virtual_memory_bytes\" { exit !(\$2 + 0 >= r + 0 && r + 0 > 0) }' '$TMP/metrics'"
check "process_open_fds: a gauge, > 0 (the listening socket at least)" proc_metric process_open_fds gauge 'v > 0'
check "process_max_fds: a gauge, at least the open ones" proc_metric process_max_fds gauge 'v >= 1'
check "process_start_time_seconds: a gauge, within the last hour and not after now" \
	proc_metric process_start_time_seconds gauge 'v <= now + 1 && v > now - 3600'
# The backend: t4011 runs this script on PostgreSQL through tests/lib/pg-wrap.sh
# (PG_WRAP_DIR set); the names are the backends' (store-sqlite.c, store-pg.c).
backend=sqlite
[ -n "${PG_WRAP_DIR:-}" ] && backend=postgresql
check "covalid_build_info: the version (include/covalid/covalid.h) and the backend ($backend), 1" \
	sh -c "grep -q '^# HELP covalid_build_info .' '$TMP/metrics' && grep -qx '# TYPE covalid_build_info gauge' '$TMP/metrics' &&
		grep -qx 'covalid_build_info{version=\"$(sed -n 's/^#define COVALID_VERSION "\(.*\)"$/\1/p' "$SRC/include/covalid/covalid.h")\",backend=\"$backend\"} 1' '$TMP/metrics'"
check_eval "the access log: one JSON object a request, with status and duration" "jq -e -s 'length > 50 and all(.[]; (.status | type == \"number\") and (.duration_ms | type == \"number\") and .method and .path)' '$TMP/access.log' >/dev/null"
check_eval "... and whether the cache answered" "grep -q '\"cache\":\"hit\"' '$TMP/access.log' && grep -q '\"cache\":\"miss\"' '$TMP/access.log'"
# A path with bytes the log escapes (access-log.c, log_string: quotes,
# backslashes, control and non-ASCII bytes; JSON's escapes, RFC 8259 7)
# between bytes it does not; MHD hands the path percent-decoded.  The log
# is written at least once a second: wait for the line.
curl -s -o /dev/null "$URL/api/v1/esc-a%22b%5Cc%01d%FFe"
esc_line() { grep -F '"path":"/api/v1/esc-a' "$TMP/access.log"; }
i=0
while ! esc_line >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
printf '%s\n' '"path":"/api/v1/esc-a\"b\\c\u0001d\u00ffe",' >"$TMP/esc.expected"
check "the access log escapes a path's quote, backslash, control and non-ASCII bytes, keeps the rest" \
	grep -qF -f "$TMP/esc.expected" "$TMP/access.log"
esc_re='^\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",.*"duration_ms":[0-9]+\.[0-9]{3},'
check_eval "... with the time as ISO 8601 UTC to the second and the duration in ms with three decimals" \
	"esc_line | grep -Eq '$esc_re'"
check_eval "GET /metrics counts cache hits" "curl -sf '$URL/metrics' | grep -Eq '^covalid_cache_lookups_total\{result=\"hit\"\} [1-9]'"
check_eval "... naming the token id, never the token" "grep -q '\"token\":\"tok_' '$TMP/access.log' && ! grep -q -F -e \"\$(cat '$TMP/rh.token')\" '$TMP/access.log'"

# ---- graceful shutdown: a request in flight finishes ----
perl -e '
	use IO::Socket::INET;
	my ($hp, $body, $mark) = @ARGV;
	my $s = IO::Socket::INET->new(PeerAddr => $hp, Timeout => 10) or die;
	printf $s "POST /api/v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", length($body);
	print $s substr($body, 0, 10);
	open(my $m, ">", $mark); close($m);
	sleep 1;
	print $s substr($body, 10);
	my $line = <$s>;
	print $line;
' "$HOSTPORT" "$(cat "$TMP/d.json")" "$TMP/mark" >"$TMP/inflight.out" 2>&1 &
client=$!
i=0
while [ ! -e "$TMP/mark" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$SERVER_PID"
wait "$client"
check "SIGTERM: the request in flight is answered (200)" grep -q '^HTTP/1.1 200' "$TMP/inflight.out"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
check "SIGTERM: the server exits 0" test "$rc" = 0
check_eval "SIGTERM: and the database reads back whole" "'$COVALID' catalog export --db '$DB' --output '$TMP/export.jsonl' && [ \$(wc -l <'$TMP/export.jsonl') -gt 100 ]"
check_eval "the port is closed afterwards" "! curl -s -o /dev/null --max-time 2 '$URL/healthz'"

# ---- start-up errors ----
expect_exit 2 "serve --listen on a bad address: usage error" "$COVALID" serve --db "$DB" --listen nonsense
check "... naming it" grep -q "nonsense" "$TMP/err"
# The port is checked whole: digits only, at most 65535 (not cut to 16 bits).
for addr in 127.0.0.1:99999 :8x80; do
	expect_exit 2 "serve --listen $addr: usage error" timeout 10 "$COVALID" serve --db "$DB" --listen "$addr"
	check "... one line naming the option" test "$(wc -l <"$TMP/err")" = 1 -a -n "$(grep -F -- "--listen $addr" "$TMP/err")"
done
expect_exit 2 "serve --max-body 1: usage error" "$COVALID" serve --db "$DB" --max-body 1
done_testing
