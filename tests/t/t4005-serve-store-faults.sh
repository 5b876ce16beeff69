#!/bin/sh
# t4005: the server and a database that goes wrong under it.  /healthz
# says so (503 with the reason) when the file is deleted, replaced,
# read-only or damaged; writes are refused (503), never acknowledged into
# a file nobody will read again; `serve` opens only a database that
# exists unless told --create.
#
# Depends on: nothing of the machine (the faults are made to files in the
# test's own directory; mode bits are checked as such, so root, who may
# write a read-only file, is told too).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
program_db "$DB"

# ---- serve opens only an existing database ----
expect_exit 2 "serve --db on a path that does not exist: usage error" \
	timeout 10 "$COVALID" serve --db "$TMP/nonexistent.db" --listen 127.0.0.1:0
check_eval "... naming the path and --create" "grep -q 'nonexistent.db: no such database (--create' '$TMP/err'"
check "... and creating nothing" test ! -e "$TMP/nonexistent.db"
if server_start "$TMP/new.db" --create; then
	check "serve --create makes a new database and serves it" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200
	server_stop
else
	not_ok "serve --create makes a new database and serves it"
fi

health() { curl -s -o "$TMP/resp" -w '%{http_code}' "$URL/healthz"; }
add_vendor() { # NAME: the status of POST /api/v1/admin/vendors
	printf '{"name": "%s"}' "$1" >"$TMP/v.json"
	api POST /api/v1/admin/vendors "$TMP/v.json" "$TMP/owner.token"
}
reason() { jq -r .error.message "$TMP/resp"; }

# ---- deleted, then replaced ----
if ! server_start "$DB"; then
	not_ok "the server starts"
	done_testing
	exit 1
fi
check "healthy: 200" test "$(health)" = 200
check "a write: 201" test "$(add_vendor Before)" = 201
# A copy with its write-ahead log, which holds the write until a checkpoint.
cp "$DB" "$TMP/copy.db"
[ ! -e "$DB-wal" ] || cp "$DB-wal" "$TMP/copy.db-wal"
rm -f "$DB" "$DB-wal" "$DB-shm"
st=$(health)
check_eval "the file deleted: /healthz 503 saying so ($st: $(reason))" "[ $st = 503 ] && reason | grep -q 'gone'"
st=$(add_vendor WhileDeleted)
check_eval "the file deleted: a write is refused with 503, not acknowledged ($st)" "[ $st = 503 ]"
mv "$TMP/copy.db" "$DB"
[ ! -e "$TMP/copy.db-wal" ] || mv "$TMP/copy.db-wal" "$DB-wal"
st=$(health)
check_eval "the file replaced by a copy: /healthz 503 saying so ($st: $(reason))" "[ $st = 503 ] && reason | grep -q 'replaced'"
st=$(add_vendor WhileReplaced)
check_eval "the file replaced: a write is refused with 503 ($st)" "[ $st = 503 ]"
server_stop
server_start "$DB"
check "restarted on the file now there: 200" test "$(health)" = 200
api GET /api/v1/vendors >/dev/null
check_eval "... which holds the write acknowledged before, and none of the refused ones" \
	"jq -e '[.items[].name] | any(. == \"Before\") and all(. != \"WhileDeleted\" and . != \"WhileReplaced\")' '$TMP/resp' >/dev/null"

# ---- read-only ----
chmod a-w "$DB"
st=$(health)
check_eval "the file made read-only: /healthz 503 saying so ($st: $(reason))" "[ $st = 503 ] && reason | grep -q 'read-only'"
chmod u+w "$DB"
check "writable again: 200" test "$(health)" = 200
server_stop

# ---- damaged ----
# A page in the middle overwritten with garbage (the first check of a
# server reads the whole database; later ones at most every 10 s).
size=$(wc -c <"$DB")
perl -e 'my ($f, $at) = @ARGV; open(my $h, "+<", $f) or die; binmode $h; seek($h, $at, 0); print $h "\xa5" x 4096' \
	"$DB" $((size / 4096 / 2 * 4096))
if server_start "$DB"; then
	st=$(health)
	check_eval "a damaged database: /healthz 503 saying so ($st: $(reason))" "[ $st = 503 ] && reason | grep -qi 'damaged\|malformed'"
	st=$(health)
	check_eval "... and says so again until the next deep check ($st)" "[ $st = 503 ]"
else
	ok "a damaged database: serve refuses to start ($(head -c 200 "$TMP/serve.err"))"
	skip "... and says so again until the next deep check" "the server did not start"
fi
done_testing
