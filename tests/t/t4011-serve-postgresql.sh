#!/bin/sh
# t4011: the server's API tests, again on PostgreSQL (issue 15).  The same
# assertions must hold on either backend; each test below runs whole with
# covalid (tests/lib/pg-wrap.sh) turning every SQLite file it is given
# into a database of its own on a real PostgreSQL this test starts
# (tests/lib/pg.sh) and stops.  One "ok" per test; a failing one shows
# its failing assertions.
#
# Left out, being about SQLite's file itself: t4003 (a killed server's
# file passes sqlite3's integrity_check), t4005 (faults of the file and
# its disk); and tests that run covalid without a server, whose store
# calls the store's conformance suite (tests/unit/test-store-*.c) runs on both backends.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/pg.sh"
trap 'pg_stop "$TMP/pg" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

mkdir -p "$TMP/pg" "$TMP/wrap"
if ! pg_start "$TMP/pg" >"$TMP/pg.out" 2>&1; then
	not_ok "PostgreSQL starts"
	diag "$(cat "$TMP/pg.out")"
	done_testing
	exit 1
fi
ok "PostgreSQL starts"

here=$(cd "$(dirname "$0")" && pwd)
for t in t4001-serve-api t4002-submission-flow t4004-serve-hostile-http t4007-serve-group-commit \
	t6001-support t6002-support-isolation t9002-monitor-api t9003-webhooks; do
	if env COVALID_REAL="$COVALID" COVALID="$here/../lib/pg-wrap.sh" PG_WRAP_DIR="$TMP/wrap" \
		PG_HOST="$PG_HOST" PG_USER="$PG_USER" PG_BINDIR="$PG_BINDIR" \
		sh "$here/$t.sh" >"$TMP/$t.out" 2>&1; then
		ok "$t on PostgreSQL"
	else
		not_ok "$t on PostgreSQL"
		diag "$(grep -A3 '^not ok' "$TMP/$t.out" | head -40)" "$(tail -5 "$TMP/$t.out")"
	fi
done
done_testing
