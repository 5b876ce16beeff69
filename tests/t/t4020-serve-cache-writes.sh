#!/bin/sh
# t4020: cached answers and catalog writes (docs/server.md, "Caching"): a
# write through the API reaches the next answer that reads what it changed,
# while answers about other guest OSes (and lists the write cannot touch)
# stay served from the cache.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
FX="$SRC/tests/fixtures"
"$COVALID" catalog import --db "$DB" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null
"$COVALID" admin bootstrap --db "$DB" --token-file "$TMP/owner.token" >/dev/null
if ! server_start "$DB"; then
	not_ok "covalid serve starts"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
ok "covalid serve starts ($URL)"

"$COVALID" probe --json --root "$FX/hyperv2008-rhel53/root" >"$TMP/rhel.json"
"$COVALID" probe --json --root "$FX/win-2008r2-hyperv/root" >"$TMP/win.json"
j() { jq -e "$@" "$TMP/resp" >/dev/null; }
metric() { curl -sf "$URL/metrics" | sed -n "s/^$1 //p"; }
hits() { metric 'covalid_cache_lookups_total{result="hit"}'; }
# The configuration the seed validates RHEL 5.3 x86_64 on Hyper-V 2008 with
# (data/validated-configs.jsonl; t4001 reads it too).
CFG=ms-hv2008-ws-rhel5.3-x86_64

check_eval "RHEL 5.3 on Hyper-V 2008: validated by $CFG" \
	"[ \"\$(api POST /api/v1/check '$TMP/rhel.json')\" = 200 ] && j '.verdict == \"validated\" and any(.matches[]; .id == \"$CFG\" and .status == \"validated\")'"
check "Windows Server 2008 R2 on Hyper-V: answered" test "$(api POST /api/v1/check "$TMP/win.json")" = 200
cp "$TMP/resp" "$TMP/win.before"
check "GET /api/v1/configurations?guest=windows: answered" test "$(api GET '/api/v1/configurations?guest=windows&limit=500')" = 200
cp "$TMP/resp" "$TMP/list.before"
# A POST's answer is kept from the second sight of its request (cache.c,
# "Admission"): a fleet's one-off descriptors do not push the catalog's
# answers out.
h=$(hits)
d=$(metric covalid_cache_declined_total)
check "... the Windows check a second time: computed again, now kept (the first was declined)" \
	sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @'$TMP/win.json' '$URL/api/v1/check')\" = 200 ] && [ \$(curl -sf '$URL/metrics' | sed -n 's/^covalid_cache_lookups_total{result=\"hit\"} //p') -eq $h ] && [ \$(curl -sf '$URL/metrics' | sed -n 's/^covalid_cache_declined_total //p') -eq $d ] && [ $d -ge 1 ]"
h=$(hits)
check "... the Windows check again: from the cache" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @'$TMP/win.json' '$URL/api/v1/check')\" = 200 ] && [ \$(curl -sf '$URL/metrics' | sed -n 's/^covalid_cache_lookups_total{result=\"hit\"} //p') -gt $h ]"

# ---- a write to RHEL's configurations ----
check "the owner revokes $CFG through the API" test "$(api POST "/api/v1/configurations/$CFG/revoke" "" "$TMP/owner.token")" = 200
check_eval "the next RHEL check answers the revocation: $CFG is no longer a validated match" \
	"[ \"\$(api POST /api/v1/check '$TMP/rhel.json')\" = 200 ] && j 'all(.matches[]; .id != \"$CFG\" or .status == \"revoked\") and (.verdict != \"validated\" or any(.matches[]; .id != \"$CFG\" and .status == \"validated\"))'"
check_eval "GET /api/v1/configurations/$CFG: revoked" \
	"[ \"\$(api GET /api/v1/configurations/$CFG)\" = 200 ] && j '.configuration.status == \"revoked\"'"
check_eval "GET /api/v1/configurations?guest=rhel lists it revoked" \
	"[ \"\$(api GET '/api/v1/configurations?guest=rhel&limit=500')\" = 200 ] && j 'any(.items[]; .id == \"$CFG\" and .status == \"revoked\")'"
check_eval "... and the unfiltered list too" \
	"[ \"\$(api GET '/api/v1/configurations?limit=500')\" = 200 ] && j 'any(.items[]; .id == \"$CFG\" and .status == \"revoked\")'"
check_eval "... and status=validated no longer holds it" \
	"[ \"\$(api GET '/api/v1/configurations?status=validated&limit=500')\" = 200 ] && j 'all(.items[]; .id != \"$CFG\")'"

# ---- what the write did not touch ----
r=$(metric covalid_cache_revalidated_total)
h=$(hits)
# What the cache and the snapshots did, for a failure to explain itself:
# this check failed once in about 20 runs under ASan and was not caught
# again (a full snapshot drops every answer; so does a slot's collision).
cache_state() { curl -sf "$URL/metrics" | grep -E '^covalid_(cache_[a-z]+_total|catalog_snapshots_total)' | tr '\n' ' '; }
before=$(cache_state)
check "the Windows check after the RHEL write: 200" test "$(api POST /api/v1/check "$TMP/win.json")" = 200
check "... the same answer as before" cmp -s "$TMP/resp" "$TMP/win.before"
if test "$(hits)" -gt "$h" -a "$(metric covalid_cache_revalidated_total)" -gt "$r"; then
	ok "... from the cache, kept across the write (hits and revalidated grew)"
else
	not_ok "... from the cache, kept across the write (hits and revalidated grew)"
	diag "before: $before" "after: $(cache_state)"
fi
h=$(hits)
check "the Windows list after the RHEL write: the same answer" \
	sh -c "[ \"\$(curl -s -o '$TMP/list.after' -w '%{http_code}' '$URL/api/v1/configurations?guest=windows&limit=500')\" = 200 ] && cmp -s '$TMP/list.before' '$TMP/list.after'"
check "... from the cache" test "$(hits)" -gt "$h"

# ---- a write that every answer depends on: a vendor admitted ----
check "the owner admits a vendor" test "$(echo '{"id":"acme","name":"Acme"}' | api POST /api/v1/admin/vendors - "$TMP/owner.token")" = 201
h=$(hits)
check "the Windows check after it: 200, the same answer" \
	sh -c "[ \"\$(curl -s -o '$TMP/win.after' -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @'$TMP/win.json' '$URL/api/v1/check')\" = 200 ] && cmp -s '$TMP/win.before' '$TMP/win.after'"
check "... computed afresh (a vendor may be named in any answer)" test "$(hits)" -eq "$h"
check_eval "GET /api/v1/vendors lists the new vendor at once" \
	"[ \"\$(api GET /api/v1/vendors)\" = 200 ] && j 'any(.items[]; .id == \"acme\")'"

check_eval "/metrics: snapshots made incrementally after the first" \
	"[ \"\$(metric 'covalid_catalog_snapshots_total{kind=\"incremental\"}')\" -ge 1 ]"
server_stop
done_testing
