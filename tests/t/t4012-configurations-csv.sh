#!/bin/sh
# t4012: GET /api/v1/configurations?format=csv on the real server: every
# match of the filters (not a page), one CSV line each with the columns
# docs/web.md names, RFC 4180 quoting, and a cell a spreadsheet would run
# as a formula prefixed with an apostrophe; a bad format is a 400 naming
# it.  The record with the awkward values is written here, so the line
# expected is spelled out from the rules, not from what the server says.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
cat >"$TMP/awkward.jsonl" <<'EOF2'
{"type": "configuration", "id": "awkward-csv", "status": "supported", "guest": {"vendor": "Acme", "product": "=HYPERLINK(\"http://x\",\"y\")", "os_id": "acmeos", "version": "1", "arch": ["x86_64", "i686"]}, "hypervisor": {"vendor": "Acme", "product": "-2, \"quoted\"\nline two", "ids": ["xen"], "version": "3"}, "limits": {"max_vcpus": 2, "allowed_vcpus": [1, 2], "max_memory_mib": 4096}, "validated_by": ["@Acme", "+Other"], "source": "t4012"}
EOF2
# Its line, from the rules: a formula-like cell gets an apostrophe; a cell
# with a comma, quote or line break is quoted, its quotes doubled; lists
# are joined with spaces (validated_by with "; "); the line ends CRLF (the
# line break inside a cell stays as written: here, shown as |).
cat >"$TMP/awkward.want" <<'EOF2'
"'=HYPERLINK(""http://x"",""y"")",1,x86_64 i686,"'-2, ""quoted""|line two",3,xen,,,1 2,2,4096,'@Acme; +Other,supported,,,awkward-csv|
EOF2
"$COVALID" catalog import --db "$DB" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" "$TMP/awkward.jsonl" >/dev/null
check "the seed and the awkward record are imported" test $? -eq 0
server_start "$DB" || { not_ok "the server starts"; diag "$(cat "$TMP/serve.err")"; done_testing; exit 1; }
ok "the server starts ($URL)"

csv() { curl -s -o "$TMP/out.csv" -w '%{http_code} %{content_type}' "$URL/api/v1/configurations?$1"; }
# Rows: every one ends with CRLF, and no cell holds a CR.
rows() { tr -cd '\r' <"$TMP/out.csv" | wc -c; }
lfs() { tr -cd '\n' <"$TMP/out.csv" | wc -c; }

check "format=csv: 200 text/csv" test "$(csv 'format=csv')" = "200 text/csv; charset=utf-8"
check "the header names the columns" test "$(head -n 1 "$TMP/out.csv" | tr -d '\r')" = \
	"guest,guest_version,arch,hypervisor,hypervisor_version,hypervisor_ids,host_version,builds,allowed_vcpus,max_vcpus,max_memory_mib,validated_by,status,valid_from,valid_until,id"
want=$(($(wc -l <"$SRC/data/validated-configs.jsonl") + 1))
check "every configuration, not a page of 50: $want rows and the header, each ending CRLF" test "$(rows)" -eq $((want + 1))
check "... the only bare LF is the one inside the awkward cell" test "$(lfs)" -eq $((want + 2))
check "the awkward record's line is quoted and guarded as RFC 4180 and the formula rule say" \
	sh -c "tr -d '\r' <'$TMP/out.csv' | tr '\n' '|' | grep -qF \"\$(tr -d '\n' <'$TMP/awkward.want')\""
[ "$(tr -d '\r' <"$TMP/out.csv" | tr '\n' '|' | grep -cF "$(tr -d '\n' <"$TMP/awkward.want")")" = 1 ] ||
	diag "$(grep -A1 awkward "$TMP/out.csv" ; tr -d '\r' <"$TMP/out.csv" | grep -B1 awkward-csv)"

n=$(jq -s '[.[] | select(.status == "validated" and (.guest.os_id == "rhel"))] | length' "$SRC/data/validated-configs.jsonl")
csv 'format=csv&status=validated&guest=rhel' >/dev/null
check "filters apply: status=validated&guest=rhel gives the seed's $n" test "$(rows)" -eq $((n + 1))
check "... each one validated" sh -c "tail -n +2 '$TMP/out.csv' | cut -d, -f13 | sort -u | tr -d '\r' | grep -qx validated"

check "format=xml: 400" test "$(csv 'format=xml' | cut -d' ' -f1)" = 400
check "... naming format" sh -c "jq -e '.error.code == \"invalid_parameter\" and .error.message == \"format: json or csv\"' '$TMP/out.csv' >/dev/null"
check "format=json is the page, as without it" sh -c "[ \"\$(curl -s '$URL/api/v1/configurations?format=json&limit=1' | jq .total)\" = \"\$(curl -s '$URL/api/v1/configurations?limit=1' | jq .total)\" ]"

server_stop
check "the server exits cleanly" test $? -eq 0
done_testing
