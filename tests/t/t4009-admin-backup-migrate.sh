#!/bin/sh
# t4009: `covalid admin backup` and `covalid admin migrate` (issue 15,
# docs/deploy.md).
#
# Backup: taken while the server writes (customers added one after
# another through the API), the copy passes sqlite3's PRAGMA
# integrity_check and holds every customer acknowledged before the backup
# began, and the server's writes all went on succeeding; so does a
# migration from that database, whose copy holds one moment of it; a DEST
# that exists, is the database itself, has a log beside it, or is in a
# directory that is missing or cannot be written is refused with nothing
# left behind; a PostgreSQL location is refused, naming pg_dump.
#
# Migrate: a source with rows in every table (the support programme's
# through the API, and the rest inserted with sqlite3, with values a copy
# could get wrong: NULL beside '', newlines, quotes, UTF-8, the largest
# and a negative 64-bit integer, gaps in the identity columns) is copied
# SQLite -> SQLite and SQLite -> PostgreSQL -> SQLite.  What is expected
# comes from sqlite3, not from covalid: the sorted `.dump` of the source
# and of each copy agree, the verification table lists every table of
# sqlite_master with sqlite3's own row count, and PostgreSQL's identity
# columns carry on after the largest copied value.  A destination with rows
# is refused and left as it was; a destination that alters what is
# written (a trigger) fails the verification, exit 1, and keeps nothing;
# a source that is not a database, or is damaged, is refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
. "$(dirname "$0")/../lib/support.sh"
PGDIR=
trap 'server_stop >/dev/null 2>&1; [ -n "$PGDIR" ] && pg_stop "$PGDIR"; rm -rf "$TMP"' EXIT
# The postgres user (PostgreSQL as root) and nobody (the unwritable
# directory) must get through to their directories.
chmod 0711 "$TMP"

support_begin
SRCDB=$DB
if [ "$(as cust POST /api/v1/cases "$(open_body microsoft 3 "$TMP/d-validated.json" "t4009 case")")" = 201 ]; then
	ok "a support case (events)"
else
	not_ok "a support case (events)"
	diag "$(head -c 300 "$TMP/resp")"
fi

# ---- backup while the server writes ----
WRITES=300
: >"$TMP/acked"
(
	i=0
	while [ $i -lt $WRITES ]; do
		printf '{"name": "Writer %d", "id": "w%d"}' $i $i >"$TMP/w.json"
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 20 -H 'Content-Type: application/json' \
			-H "Authorization: Bearer $(cat "$TMP/tok/owner")" --data-binary "@$TMP/w.json" \
			"$URL/api/v1/admin/customers")
		case $code in
		2??) echo "w$i" >>"$TMP/acked" ;;
		*) echo "w$i $code" >>"$TMP/failed" ;;
		esac
		i=$((i + 1))
	done
) &
WPID=$!
n=0
while [ "$(wc -l <"$TMP/acked")" -lt 20 ] && [ $n -lt 300 ]; do
	sleep 0.05
	n=$((n + 1))
done
cp "$TMP/acked" "$TMP/acked.before"
"$COVALID" admin backup --db "$SRCDB" "$TMP/b1.db" >"$TMP/out" 2>"$TMP/err"
rc=$?
during=$(wc -l <"$TMP/acked")
# And a migration from the database the server is writing: its source is
# read in one snapshot, so the verification (which reads the source again)
# agrees with the copy although rows keep coming.
cp "$TMP/acked" "$TMP/acked.mig"
"$COVALID" admin migrate --from "$SRCDB" --to "$TMP/live.db" >"$TMP/live.out" 2>"$TMP/live.err"
mrc=$?
mig_end=$(wc -l <"$TMP/acked")
wait $WPID
if [ $rc -eq 0 ] && [ -s "$TMP/b1.db" ]; then
	ok "admin backup while the server writes: exit 0 ($(cat "$TMP/out"))"
else
	not_ok "admin backup while the server writes"
	diag "exit $rc" "$(cat "$TMP/err")"
fi
check "the backup ran amid the server's writes, which all succeeded (acknowledged when it began: $(wc -l <"$TMP/acked.before"), when it ended: $during, in all: $(wc -l <"$TMP/acked") of $WRITES)" \
	[ "$(wc -l <"$TMP/acked")" -eq $WRITES -a ! -e "$TMP/failed" -a "$(wc -l <"$TMP/acked.before")" -lt $WRITES ]
[ -e "$TMP/failed" ] && diag "failed writes: $(head -5 "$TMP/failed")"
integrity=$(sqlite3 "$TMP/b1.db" 'PRAGMA integrity_check' 2>&1)
check "the backup passes sqlite3's PRAGMA integrity_check ($integrity)" [ "$integrity" = ok ]
sqlite3 "$TMP/b1.db" "SELECT id FROM customers WHERE id LIKE 'w%'" 2>/dev/null | sort >"$TMP/in-backup"
missing=$(sort "$TMP/acked.before" | comm -23 - "$TMP/in-backup" | wc -l)
check "every customer acknowledged before the backup began is in it ($(wc -l <"$TMP/acked.before") acknowledged, $(wc -l <"$TMP/in-backup") in the backup, $missing missing)" \
	[ "$missing" -eq 0 -a "$(wc -l <"$TMP/acked.before")" -ge 20 ]
n_mig=$(wc -l <"$TMP/acked.mig")
n_live=$(sqlite3 "$TMP/live.db" "SELECT count(*) FROM customers WHERE id LIKE 'w%'" 2>/dev/null)
if [ $mrc -eq 0 ] && [ "$(grep -c '  ok$' "$TMP/live.out")" -ge 21 ] && ! grep -q DIFFERS "$TMP/live.out"; then
	ok "admin migrate from the database the server writes: exit 0, every table verified"
else
	not_ok "admin migrate from the database the server writes: exit 0, every table verified"
	diag "exit $mrc" "$(cat "$TMP/live.err" "$TMP/live.out")"
fi
check "... the copy is one moment of the source: customers acknowledged before it began $n_mig <= copied $n_live <= acknowledged when it ended $mig_end (< $WRITES: the writes went on)" \
	[ "$n_mig" -le "${n_live:-0}" -a "${n_live:-0}" -le "$mig_end" -a "$n_mig" -lt $WRITES ]
check "the backup is mode 0600 (it holds token hashes and webhook secrets)" [ "$(stat -c %a "$TMP/b1.db")" = 600 ]
check "no temporary file is left beside the backup" [ -z "$(ls "$TMP" | grep '^b1\.db\.tmp')" ]

expect_exit 2 "a DEST that exists is refused without --force" "$COVALID" admin backup --db "$SRCDB" "$TMP/b1.db"
check "... naming it" grep -q "b1.db: exists" "$TMP/err"
expect_exit 0 "... and replaced with --force" "$COVALID" admin backup --db "$SRCDB" --force "$TMP/b1.db"
expect_exit 2 "the database itself as DEST is refused, even with --force" "$COVALID" admin backup --db "$SRCDB" --force "$SRCDB"
check "... saying so, and the database still whole" \
	sh -c "grep -q 'that is the database being backed up' '$TMP/err' && [ \"\$(sqlite3 '$SRCDB' 'PRAGMA integrity_check')\" = ok ]"
: >"$TMP/b1.db-wal"
expect_exit 2 "a DEST whose log (DEST-wal) is beside it is refused, even with --force" \
	"$COVALID" admin backup --db "$SRCDB" --force "$TMP/b1.db"
check "... as a database in use, and left as it was" \
	sh -c "grep -q 'a database in use' '$TMP/err' && [ \"\$(sqlite3 '$TMP/b1.db' 'PRAGMA integrity_check')\" = ok ]"
rm -f "$TMP/b1.db-wal"
expect_exit 2 "a DEST in a directory that does not exist is refused" "$COVALID" admin backup --db "$SRCDB" "$TMP/no/such/dir/b.db"
check "... naming DEST and the cause" grep -q "no/such/dir/b.db: cannot create a file beside it: No such file or directory" "$TMP/err"

# A directory the user cannot write: as root (who writes anywhere), the
# backup runs as nobody, of a database nobody owns.
mkdir -p "$TMP/ro" "$TMP/nob"
cp "$TMP/b1.db" "$TMP/nob/own.db"
if [ "$(id -u)" -eq 0 ]; then
	chown -R nobody "$TMP/nob"
	chmod 0755 "$TMP/ro"
	AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
else
	chmod 0555 "$TMP/ro"
	AS_USER=
fi
expect_exit 2 "a DEST in a directory the user cannot write is refused" \
	$AS_USER "$COVALID" admin backup --db "$TMP/nob/own.db" "$TMP/ro/b.db"
check "... naming DEST and the cause, with nothing written there" \
	sh -c "grep -q 'ro/b.db: cannot create a file beside it: Permission denied' '$TMP/err' && [ -z \"\$(ls -A '$TMP/ro')\" ]"
[ -n "$AS_USER" ] || chmod 0755 "$TMP/ro"

PGLOC='postgresql:///covalid?host=/nonexistent&user=covalid'
expect_exit 2 "a PostgreSQL location is refused (no connection needed)" "$COVALID" admin backup --db "$PGLOC" "$TMP/pg.dump"
check "... naming pg_dump with the command line" \
	grep -qF "pg_dump --format=custom --file='$TMP/pg.dump' --dbname='$PGLOC'" "$TMP/err"
expect_exit 2 "... also when it comes from COVALID_DB" env COVALID_DB="$PGLOC" "$COVALID" admin backup "$TMP/pg.dump"
check "... and nothing was written" [ ! -e "$TMP/pg.dump" ]
expect_exit 2 "a PostgreSQL location with a password is refused too" \
	"$COVALID" admin backup --db 'postgresql://covalid:s3cret@/covalid?host=/nonexistent&password=s3cret' "$TMP/pg.dump"
check "... its password shown as *** (terminals and logs keep what is printed)" \
	sh -c "! grep -q s3cret '$TMP/err' && grep -qF -e \"--dbname='postgresql://covalid:***@/covalid?host=/nonexistent&password=***'\" '$TMP/err'"
expect_exit 2 "migrate to a PostgreSQL server that does not answer is refused" \
	"$COVALID" admin migrate --from "$SRCDB" --to 'postgresql://covalid:s3cret@/covalid?host=/nonexistent'
check "... naming the location without its password" \
	sh -c "! grep -q s3cret '$TMP/err' && grep -qF 'postgresql://covalid:***@/covalid?host=/nonexistent' '$TMP/err'"

server_stop >/dev/null 2>&1

# ---- every table with rows, and values a copy could get wrong ----
CFG=$(sqlite3 "$SRCDB" "SELECT id FROM configurations ORDER BY id LIMIT 1")
if sqlite3 "$SRCDB" >"$TMP/fill.out" 2>&1 <<EOF
PRAGMA foreign_keys = ON;
BEGIN;
INSERT INTO configuration_evidence VALUES ('$CFG', 'tl-1', '2026-01-01T00:00:00Z');
INSERT INTO vendor_keys VALUES ('k-1', 'microsoft', 'ed25519:AAAA', '2026-01-01T00:00:00Z', NULL);
INSERT INTO vendor_keys VALUES ('k-2', 'red-hat', 'ed25519:BBBB', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z');
INSERT INTO submissions VALUES ('s-1', 'microsoft', 'k-1', 'accepted', '[]', '$CFG', 'log
with a newline and ''quotes''', '2026-01-02T00:00:00Z', 'digest-1');
INSERT INTO submissions VALUES ('s-2', 'microsoft', NULL, 'rejected', '["no"]', NULL, '', '2026-01-03T00:00:00Z', NULL);
INSERT OR REPLACE INTO policy VALUES (1, '{"schema":"covalid.policy/1"}', '2026-01-01T00:00:00Z');
INSERT INTO settings VALUES ('t4009.unicode', 'Zürich — 東京 ✓');
INSERT INTO settings VALUES ('t4009.empty', '');
INSERT INTO machines VALUES ('m-1', 'contoso', 'key-1', 'host one', 'cred-1', '2026-01-01T00:00:00Z', NULL, 0, 60, 9223372036854775807, -1, NULL, 4, 'validated', NULL, NULL, '$CFG', '{"ok":true}', '');
INSERT INTO machines VALUES ('m-2', 'fabrikam', 'key-2', 'host two', 'cred-2', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z', 1767571200, 30, 3, 7, 'dd', 2, 'unknown', 'why
not', '[]', NULL, NULL, '
late
');
INSERT INTO machine_descriptors VALUES ('m-1', '{"d":1}');
INSERT INTO machine_verdicts VALUES (3, 'm-1', '2026-01-01T00:00:00Z', 'validated', NULL, '$CFG', NULL, 'dd');
INSERT INTO machine_verdicts VALUES (17, 'm-2', '2026-01-01T00:00:00Z', 'unknown', 'r', NULL, '[]', NULL);
INSERT INTO events VALUES (1000, 'ev-1000', '2026-01-06T00:00:00Z', 'machine.late', 'contoso', 'm-1', NULL, '', '{}');
INSERT INTO events VALUES (1005, 'ev-1005', '2026-01-06T00:00:01Z', 'machine.verdict', 'fabrikam', 'm-2', NULL, '
microsoft
', '{"a":"b"}');
INSERT INTO webhooks VALUES ('wh-1', 'contoso', 'https://example.invalid/hook', 'secret', '
machine.late
', 'owner', '2026-01-01T00:00:00Z', NULL);
INSERT INTO deliveries VALUES (40, 'wh-1', 1000, 'pending', 0, 1767657600, NULL, NULL, NULL, '2026-01-06T00:00:00Z');
INSERT INTO deliveries VALUES (41, 'wh-1', 1000, 'delivered', 1, 1767657600, 204, NULL, '2026-01-06T00:00:02Z', '2026-01-06T00:00:00Z');
INSERT INTO deliveries VALUES (42, 'wh-1', 1005, 'failed', 5, 1767657700, 500, 'HTTP 500', NULL, '2026-01-06T00:00:01Z');
INSERT INTO webhooks VALUES ('wh-2', NULL, 'https://example.invalid/all', 's2', '', NULL, '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');
UPDATE tokens SET expires_at = '2027-01-01T00:00:00Z', last_used_at = '2026-01-01T00:00:00Z',
	revoked_at = '2026-06-01T00:00:00Z' WHERE name = 'Fay (Fabrikam IT)';
UPDATE cases SET machine_id = 'm-1';
INSERT INTO monitor_settings VALUES ('contoso', '{"late_after_s":300}');
INSERT INTO fleet_samples VALUES ('contoso', '2026-01-06T00:00:00Z', 'validated', 12);
INSERT INTO fleet_samples VALUES ('contoso', '2026-01-06T00:00:00Z', 'unknown', 0);
INSERT INTO idempotency_keys VALUES ('token:t-1', 'k-1', 'fp1', 1767657600, 201, 'application/json', '/api/v1/cases/c-1', '{"id":"c-1","n":"Zürich"}');
INSERT INTO idempotency_keys VALUES ('agent:m-1', 'k-1', 'fp2', 1767657601, NULL, NULL, NULL, NULL);
COMMIT;
EOF
then
	ok "the source's remaining tables filled with sqlite3"
else
	not_ok "the source's remaining tables filled with sqlite3"
	diag "$(cat "$TMP/fill.out")"
fi
sqlite3 "$SRCDB" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" >"$TMP/tables"
empty=
for t in $(cat "$TMP/tables"); do
	[ "$(sqlite3 "$SRCDB" "SELECT count(*) FROM $t")" -gt 0 ] || empty="$empty $t"
done
check "every one of the source's $(wc -l <"$TMP/tables") tables has rows (empty:${empty:- none})" \
	[ -z "$empty" -a "$(wc -l <"$TMP/tables")" -ge 21 ]

# So that comparing rows compares every column: each holds a value somewhere.
nulls=
for t in $(cat "$TMP/tables"); do
	for c in $(sqlite3 "$SRCDB" "SELECT name FROM pragma_table_info('$t')"); do
		[ "$(sqlite3 "$SRCDB" "SELECT count(*) FROM $t WHERE $c IS NOT NULL")" -gt 0 ] || nulls="$nulls $t.$c"
	done
done
check "every column of the source holds a value in some row (only NULL:${nulls:- none})" [ -z "$nulls" ]

# The rows of a database as sqlite3 sees them, in an order of their own.
rows_of() { sqlite3 "$1" .dump | grep '^INSERT INTO' | LC_ALL=C sort; }
# The verification table agrees with sqlite3's counts for every table of
# the source, each ok: verified_table OUTPUT-FILE
verified_table() {
	_bad=
	for _t in $(cat "$TMP/tables"); do
		_n=$(sqlite3 "$SRCDB" "SELECT count(*) FROM $_t")
		grep -Eq "^$_t +$_n +$_n +[0-9a-f]{16}  ok\$" "$1" || _bad="$_bad $_t"
	done
	[ -z "$_bad" ] && [ "$(grep -c '  ok$' "$1")" -eq "$(wc -l <"$TMP/tables")" ] && return 0
	diag "not verified:$_bad" "$(cat "$1")"
	return 1
}

# ---- migrate SQLite -> SQLite ----
rows_of "$SRCDB" >"$TMP/src.rows"
expect_exit 0 "migrate SQLite -> SQLite: exit 0" "$COVALID" admin migrate --from "$SRCDB" --to "$TMP/m1.db"
cp "$TMP/out" "$TMP/m1.out"
check "... its verification table lists every table with sqlite3's row count, each ok" verified_table "$TMP/m1.out"
rows_of "$TMP/m1.db" >"$TMP/m1.rows"
check "... and the copy holds the source's rows exactly ($(wc -l <"$TMP/src.rows") rows, sqlite3 .dump)" \
	cmp -s "$TMP/src.rows" "$TMP/m1.rows"
check "... its schema too" sh -c "[ \"\$(sqlite3 '$SRCDB' .schema)\" = \"\$(sqlite3 '$TMP/m1.db' .schema)\" ]"

expect_exit 2 "a destination with rows is refused" "$COVALID" admin migrate --from "$SRCDB" --to "$TMP/m1.db"
check "... saying which table has rows" grep -q "the destination is not empty (table products has" "$TMP/err"
rows_of "$TMP/m1.db" >"$TMP/m1.rows2"
check "... and it is left as it was" cmp -s "$TMP/m1.rows" "$TMP/m1.rows2"
expect_exit 2 "the source as its own destination is refused" "$COVALID" admin migrate --from "$SRCDB" --to "$SRCDB"
check "... as the same database" grep -q "are the same database" "$TMP/err"

# A destination that changes what it is given: the digests differ.
# (An empty database: an import of nothing creates it; a read-only command
# such as catalog list never creates one.)
"$COVALID" catalog import --db "$TMP/m2.db" - </dev/null >/dev/null 2>&1
sqlite3 "$TMP/m2.db" "CREATE TRIGGER t4009_alter AFTER INSERT ON vendors BEGIN
	UPDATE vendors SET name = name || ' (altered)' WHERE id = new.id; END;"
expect_exit 1 "a copy that differs from its source fails the verification: exit 1" \
	"$COVALID" admin migrate --from "$SRCDB" --to "$TMP/m2.db"
check "... the table says which table differs" \
	sh -c "grep -Eq '^vendors +2 +2 +[0-9a-f]{16}  DIFFERS' '$TMP/out' && [ \$(grep -c DIFFERS '$TMP/out') -eq 1 ]"
check "... and nothing was committed" \
	[ "$(sqlite3 "$TMP/m2.db" "SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM vendors) + (SELECT count(*) FROM events)")" = 0 ]

printf 'not a database, but long enough to have a header of sorts...............................................' >"$TMP/junk.db"
expect_exit 2 "a source that is not a database is refused" "$COVALID" admin migrate --from "$TMP/junk.db" --to "$TMP/m3.db"
check "... with SQLite's reason, and no destination made" \
	sh -c "grep -q 'junk.db: file is not a database' '$TMP/err' && [ ! -e '$TMP/m3.db' ]"
# A damaged page: the root page of the products table zeroed.
cp "$TMP/b1.db" "$TMP/damaged.db"
root=$(sqlite3 "$TMP/damaged.db" "SELECT rootpage FROM sqlite_master WHERE name = 'products'")
psize=$(sqlite3 "$TMP/damaged.db" "PRAGMA page_size")
dd if=/dev/zero of="$TMP/damaged.db" bs="$psize" seek=$((root - 1)) count=1 conv=notrunc 2>/dev/null
expect_exit 2 "a damaged source (the products table's root page zeroed) is refused" \
	"$COVALID" admin migrate --from "$TMP/damaged.db" --to "$TMP/m4.db"
check "... as damaged, and no destination made" \
	sh -c "grep -q 'the source is damaged or unreadable' '$TMP/err' && [ ! -e '$TMP/m4.db' ]"
expect_exit 2 "migrate without --to is a usage error" "$COVALID" admin migrate --from "$SRCDB"

# ---- migrate SQLite -> PostgreSQL, and back ----
if [ -f "$SRC/tests/lib/pg.sh" ] && . "$SRC/tests/lib/pg.sh" && pg_start "$TMP/pg" >"$TMP/pg.err" 2>&1; then
	PGDIR=$TMP/pg
	ok "PostgreSQL started (tests/lib/pg.sh)"
else
	not_ok "PostgreSQL started (tests/lib/pg.sh)"
	diag "$(cat "$TMP/pg.err" 2>/dev/null)"
	done_testing
	exit 1
fi
expect_exit 0 "migrate SQLite -> PostgreSQL: exit 0" "$COVALID" admin migrate --from "$SRCDB" --to "$PG_URI"
cp "$TMP/out" "$TMP/pg.out"
check "... its verification table lists every table with sqlite3's row count, each ok" verified_table "$TMP/pg.out"
check "... with the digests of the SQLite -> SQLite copy (the same rows on either engine)" \
	sh -c "awk '{print \$1, \$4}' '$TMP/m1.out' >'$TMP/d1'; awk '{print \$1, \$4}' '$TMP/pg.out' >'$TMP/d2'; cmp -s '$TMP/d1' '$TMP/d2'"
expect_exit 0 "migrate PostgreSQL -> SQLite: exit 0" "$COVALID" admin migrate --from "$PG_URI" --to "$TMP/back.db"
rows_of "$TMP/back.db" >"$TMP/back.rows"
check "... and the round trip holds the source's rows exactly (sqlite3 .dump)" cmp -s "$TMP/src.rows" "$TMP/back.rows"

psql_c() { "$PG_BINDIR/psql" -X -q -t -A -v ON_ERROR_STOP=1 -d "$(pg_uri "$PGDIR" covalid)" -c "$1"; }
seq=$(psql_c "INSERT INTO events (id, at, kind, doc) VALUES ('ev-new', '2026-01-07T00:00:00Z', 'x', '{}') RETURNING seq" 2>&1)
check "PostgreSQL's next event seq follows the largest copied (1005 -> $seq)" [ "$seq" = 1006 ]
did=$(psql_c "INSERT INTO deliveries (webhook_id, event_seq, state, next_at_s, created_at) VALUES ('wh-1', 1006, 'pending', 0, 'x') RETURNING id" 2>&1)
check "... its next delivery id too (42 -> $did)" [ "$did" = 43 ]
vid=$(psql_c "INSERT INTO machine_verdicts (machine_id, at, verdict) VALUES ('m-1', 'x', 'unknown') RETURNING id" 2>&1)
check "... and its next verdict id (17 -> $vid)" [ "$vid" = 18 ]

expect_exit 2 "a PostgreSQL destination with rows is refused" "$COVALID" admin migrate --from "$SRCDB" --to "$PG_URI"
check "... saying so" grep -q "the destination is not empty" "$TMP/err"

# The migrated database serves: the owner's token from the SQLite days
# (its hash and the key it is hashed with were copied) lists the customers.
if server_start "$PG_URI" && [ "$(api GET /api/v1/admin/customers "" "$TMP/tok/owner")" = 200 ] &&
	jq -e '[.. | .id? // empty] | index("contoso") and index("w'$((WRITES - 1))'")' "$TMP/resp" >/dev/null; then
	ok "a server on the migrated PostgreSQL database answers the owner's old token with every customer"
else
	not_ok "a server on the migrated PostgreSQL database answers the owner's old token with every customer"
	diag "$(head -c 500 "$TMP/resp" 2>/dev/null)" "$(tail -5 "$TMP/serve.err" 2>/dev/null)"
fi
server_stop >/dev/null 2>&1

done_testing
