#!/bin/sh
# t3005: importing a catalog again never undoes what the program decided
# (issue 16): a configuration the owner revoked through the real server
# stays revoked after the seed is imported again, with or without
# --merge; --merge adds new rows only; the summary line says what was
# added, updated and kept.  And `make run`'s script (scripts/run.sh),
# started twice on one database with a revocation in between, imports
# the seed only the first time and serves the revocation the second.
. "$(dirname "$0")/../lib/tap.sh"
. "$SRC/tests/lib/server.sh"

DB="$TMP/c.db"
products="$SRC/data/products.jsonl"
configs="$SRC/data/validated-configs.jsonl"
# A configuration of the seed, and how many the seed has (from the file).
victim=ms-hv2008-ws-rhel5.3-x86_64
n=$(grep -c '"type": *"configuration"' "$configs")
status() { "$COVALID" catalog show --db "$DB" "$1" --json | jq -r .status; }

program_db "$DB" "$TMP/owner.token"
check "the seed's configuration is validated at first" test "$(status $victim)" = validated
server_start "$DB"
O="--server $URL --token-file $TMP/owner.token"
expect_exit 0 "the owner revokes it through the server" "$COVALID" admin revoke $victim --reason "test" $O
server_stop
check "it is revoked" test "$(status $victim)" = revoked

expect_exit 0 "the seed imported again" "$COVALID" catalog import --db "$DB" "$configs"
check "the summary: every other row updated, the revoked one kept" \
	grep -q "^$configs: configurations: 0 added, $((n - 1)) updated, 1 kept as the program decided them" "$TMP/out"
check "the revocation stands after a re-import" test "$(status $victim)" = revoked
check "the revocation's note stands too" sh -c "'$COVALID' catalog show --db '$DB' $victim --json | jq -r .notes | grep -q 'revoked by the program owner'"

# --merge: a file with one new configuration (the victim's record under a
# new id) and the seed's: only the new one is added.
grep "\"id\": *\"$victim\"" "$configs" | sed "s/\"$victim\"/\"t3005-new\"/" >"$TMP/new.jsonl"
check "a new configuration made from the seed's" test -s "$TMP/new.jsonl"
cat "$configs" "$TMP/new.jsonl" >"$TMP/merge.jsonl"
expect_exit 0 "catalog import --merge" "$COVALID" catalog import --db "$DB" --merge "$TMP/merge.jsonl"
check "--merge: one added, none updated, the rest kept" \
	grep -q "configurations: 1 added, 0 updated, 1 kept as the program decided them (revoked or with submitted evidence), $((n - 1)) kept (--merge)" "$TMP/out"
check "--merge adds the new row" test "$(status t3005-new)" = validated
check "--merge keeps the revocation" test "$(status $victim)" = revoked
expect_exit 0 "--merge of products: nothing replaced" "$COVALID" catalog import --db "$DB" --merge "$products"
check "--merge: every product kept" grep -q "products: 0 added, 0 updated, $(grep -c . "$products") kept (--merge)" "$TMP/out"

# A bad line still aborts with FILE:LINE, --merge or not, and writes nothing.
printf '{"type":"configuration"}\n' >"$TMP/bad.jsonl"
expect_exit 2 "a bad file with --merge is refused" "$COVALID" catalog import --db "$DB" --merge "$TMP/bad.jsonl"
check "naming FILE:LINE" grep -q "^covalid: $TMP/bad.jsonl:1: " "$TMP/err"

# ---- scripts/run.sh restarted: the seed only into a new database ----
B="$TMP/build"
mkdir -p "$B"
cp "$COVALID_BUILD/covalid" "$COVALID_BUILD/covalid-server" "$B/"
RDB="$TMP/run/covalid.db"
# run_sh OUT: starts scripts/run.sh on a free port; RUN_PID, RUN_URL once it serves.
run_sh() {
	COVALID_DB="$RDB" LISTEN=127.0.0.1:0 "$SRC/scripts/run.sh" "$B" >"$1" 2>&1 &
	RUN_PID=$!
	RUN_URL=
	i=0
	while [ $i -lt 300 ]; do
		RUN_URL=$(sed -n 's|^== covalid serve: \(http://[^ ]*\)/$|\1|p' "$1")
		grep -q "Ctrl-C stops it" "$1" && [ -n "$RUN_URL" ] && return 0
		kill -0 "$RUN_PID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
run_stop() {
	kill -TERM "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
}
mkdir -p "$TMP/run"
if run_sh "$TMP/run1.out"; then ok "run.sh starts on a new database"; else not_ok "run.sh starts on a new database"; diag "$(cat "$TMP/run1.out")"; fi
check "it says the seed went into a new database" grep -q "seed imported into a new database $RDB" "$TMP/run1.out"
check "it names the database and the rule" grep -q "chosen by \$COVALID_DB" "$TMP/run1.out"
check "it prints how to sign in to the web UI as the demo's customer" \
	grep -q "open $RUN_URL/#/signin, paste the token in a file below" "$TMP/run1.out"
check "... naming the customer's token file, which the server takes" sh -c "grep -q 'the customer (Contoso) *$B/demo/customer.token' '$TMP/run1.out' && '$COVALID' case list --server '$RUN_URL' --token-file '$B/demo/customer.token' >/dev/null"
expect_exit 0 "the owner revokes a configuration on run.sh's server" \
	"$COVALID" admin revoke $victim --server "$RUN_URL" --token-file "$B/owner.token"
run_stop
check "the first run.sh stopped its server" sh -c "! curl -s -o /dev/null --max-time 5 '$RUN_URL/healthz'"
if run_sh "$TMP/run2.out"; then ok "run.sh starts again on that database"; else not_ok "run.sh starts again on that database"; diag "$(cat "$TMP/run2.out")"; fi
check "the second start says the seed is not re-imported" \
	grep -q "$RDB exists: the seed is not re-imported; \`covalid catalog import --merge data/...\` adds new rows only" "$TMP/run2.out"
check "the demo's sign-in is printed again (same database)" grep -q "$B/demo/red-hat.token" "$TMP/run2.out"
check "the server still serves the revocation" \
	sh -c "curl -s --max-time 10 '$RUN_URL/api/v1/configurations/$victim' | jq -e '.configuration.status == \"revoked\"' >/dev/null"
run_stop
check "and the database says revoked" sh -c "'$COVALID' catalog show --db '$RDB' $victim --json | jq -e '.status == \"revoked\"' >/dev/null"
done_testing
