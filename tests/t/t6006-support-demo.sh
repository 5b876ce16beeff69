#!/bin/sh
# t6006: `covalid admin demo` (issue 16, docs/support.md "Try it in two
# minutes"): on a fresh database it makes the seed's programme - Microsoft
# and Red Hat, a customer with agreements with both, a user of each role
# with a token file (0600) - and the seed's case, a RHEL guest on Hyper-V
# opened with Red Hat; on the real server the demo's tokens walk it: Red
# Hat engages Microsoft, Microsoft responds, Red Hat resolves it.  A
# second run, a database with a programme of its own, a database that is
# not on this machine and token files that exist are refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/demo.db"
D="$TMP/demo"
j() { jq -e "$@" "$TMP/resp" >/dev/null; }
"$COVALID" catalog import --db "$DB" "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null

expect_exit 2 "admin demo on a database that is not there" "$COVALID" admin demo --db "$TMP/none.db" --token-dir "$TMP/d0"
check "... says so, and creates nothing" sh -c "grep -q '^covalid: $TMP/none.db: no database here' '$TMP/err' && [ ! -e '$TMP/none.db' ] && [ ! -e '$TMP/d0' ]"
"$COVALID" catalog import --db "$TMP/empty.db" - </dev/null >/dev/null
expect_exit 2 "admin demo on an empty catalog" "$COVALID" admin demo --db "$TMP/empty.db" --token-dir "$TMP/d0"
check "... asks for the seed first, writing no token files" sh -c "grep -q '^covalid: admin demo: the catalog is empty: import the seed first' '$TMP/err' && [ ! -e '$TMP/d0' ]"
expect_exit 2 "admin demo without --token-dir" "$COVALID" admin demo --db "$DB"
check "... asks where the token files go" grep -q "^covalid: admin demo: .*--token-dir DIR" "$TMP/err"
expect_exit 0 "admin demo on a fresh database" "$COVALID" admin demo --db "$DB" --token-dir "$D"
cp "$TMP/out" "$TMP/demo.out"
check "it says the data is the demo's" grep -q '"(demo)"' "$TMP/demo.out"
for u in owner customer red-hat red-hat-manager microsoft microsoft-manager; do
	check "$u.token: written, mode 0600, a token" sh -c "[ \"\$(stat -c %a '$D/$u.token')\" = 600 ] && grep -q '^cv_' '$D/$u.token'"
	check "... and listed" grep -q "$D/$u.token" "$TMP/demo.out"
done

server_start "$DB"
check "the server starts on the demo's database" test -n "$URL"
C="--server $URL"

# get TOKEN PATH: a GET as that user; ok only when 200 (body in $TMP/resp).
get() { [ "$(api GET "$2" '' "$D/$1.token")" = 200 ]; }

# The owner's view: the two vendors, the customer, its two agreements.
check_eval "Microsoft and Red Hat are vendors" "get owner /api/v1/vendors && j '[.items[].id] | index(\"microsoft\") and index(\"red-hat\")'"
check_eval "one customer, marked as the demo's" "get owner /api/v1/admin/customers && j '[.items // . | .[] | .name] == [\"Contoso (demo)\"]'"
check_eval "its agreements: a Red Hat subscription and Microsoft per call" "get owner /api/v1/agreements && j '[.items // . | .[] | .vendor + \":\" + .kind] | sort == [\"microsoft:per-call\", \"red-hat:subscription\"]'"

# The customer's case: opened with Red Hat, on the seed's configuration.
check_eval "the customer sees one case" "get customer /api/v1/cases && j '(.items | length) == 1'"
id=$(jq -r '.items[0].id' "$TMP/resp")
check_eval "the case is Red Hat's, new, a demo" "get customer /api/v1/cases/$id && j '.vendor == \"red-hat\" and .state == \"new\" and (.title | endswith(\"(demo)\"))'"
check "... on the seed's validated RHEL 5.3 guest on Hyper-V" j 'tostring | test("ms-hv2008-(ws|hvs)-rhel5.3-x86_64")'
check "... entitled with both vendors" j '.entitlement["red-hat"].entitled == true and .entitlement.microsoft.entitled == true'
check "Microsoft does not see it yet" test "$(api GET /api/v1/cases/$id '' "$D/microsoft.token")" = 404

# Red Hat works it and engages Microsoft.
expect_exit 0 "Red Hat takes it (case state in-progress)" "$COVALID" case state "$id" in-progress $C --token-file "$D/red-hat.token"
expect_exit 0 "Red Hat engages Microsoft (case engage)" "$COVALID" case engage "$id" --vendor microsoft --reason "netvsc on the Hyper-V host side" $C --token-file "$D/red-hat.token"
check_eval "Microsoft now sees the case, engaged" "get microsoft /api/v1/cases/$id && j '.state == \"engaged\" and .collaborations[0].vendor == \"microsoft\" and .collaborations[0].state == \"requested\"'"
col=$(jq -r '.collaborations[0].id' "$TMP/resp")
expect_exit 0 "Microsoft accepts (case accept)" "$COVALID" case accept "$id" "$col" $C --token-file "$D/microsoft.token"
expect_exit 0 "Microsoft writes a shared note" "$COVALID" case note "$id" "Update the Linux Integration Components to v2.1" --visibility shared $C --token-file "$D/microsoft.token"
expect_exit 0 "Microsoft is done (case done)" "$COVALID" case done "$id" "$col" $C --token-file "$D/microsoft.token"
expect_exit 0 "Red Hat resolves it (case resolve)" "$COVALID" case resolve "$id" "Linux Integration Components v2.1 fix the adapter" $C --token-file "$D/red-hat.token"
check_eval "the customer sees it resolved, Microsoft's part done" "get customer /api/v1/cases/$id && j '.state == \"resolved\" and .collaborations[0].vendor == \"microsoft\" and .collaborations[0].state == \"done\"'"
server_stop

# A second run: refused, and nothing more made.
expect_exit 2 "a second admin demo is refused" "$COVALID" admin demo --db "$DB" --token-dir "$TMP/demo2"
check "... saying the database has the demo already" grep -q "^covalid: admin demo: this database has the demo already" "$TMP/err"
check "... writing no token files" test ! -e "$TMP/demo2"
expect_exit 2 "existing token files are not overwritten" "$COVALID" admin demo --db "$TMP/fresh.db" --token-dir "$D"
check "... saying which" grep -q "^covalid: $D/owner.token: exists; not overwriting a token (use --force)" "$TMP/err"
check "... and nothing was created" test ! -e "$TMP/fresh.db"

# A database with a programme of its own: refused, left as it was.
program_db "$TMP/real.db" "$TMP/real-owner.token"
server_start "$TMP/real.db"
"$COVALID" admin vendor add Acme --server "$URL" --token-file "$TMP/real-owner.token" >/dev/null
server_stop
expect_exit 2 "a database with vendors of its own is refused" "$COVALID" admin demo --db "$TMP/real.db" --token-dir "$TMP/demo3"
check "... saying why" grep -q "^covalid: admin demo: this database has vendors or customers already (1)" "$TMP/err"
check "... writing no token files" test ! -e "$TMP/demo3"

# Not on this machine: refused before anything is opened.
expect_exit 2 "a PostgreSQL database on another host is refused" "$COVALID" admin demo --db "postgresql://covalid@db.example.com/covalid" --token-dir "$TMP/demo4"
check "... saying the demo goes only into a local database" grep -q "^covalid: admin demo: the database (--db) is not on this machine" "$TMP/err"
COVALID_DB="postgres://u:pw@10.1.2.3:5432/c" "$COVALID" admin demo --token-dir "$TMP/demo4" 2>"$TMP/err" >/dev/null
check "... by \$COVALID_DB too, exit 2" sh -c "[ $? = 2 ] && grep -q 'is not on this machine' '$TMP/err'"
done_testing
