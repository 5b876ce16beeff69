#!/bin/sh
# t0003: tests/lib/pg.sh, the real PostgreSQL the tests start (issue 15):
# a cluster of the test's own on a socket in its directory, on loopback
# TCP when asked, its server run as the postgres user when the test runs
# as root (PostgreSQL refuses root), durability off, new databases on
# demand, stopped for good by pg_stop; and without PostgreSQL's binaries
# it fails, saying which package to install, rather than letting a test
# skip.  What the server answers is asked of psql, PostgreSQL's own client.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/pg.sh"
trap 'pg_stop "$TMP/pg" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
chmod 700 "$TMP" # as mktemp -d makes it: pg_start must let the postgres user through

if ! pg_start "$TMP/pg" tcp >"$TMP/start.out" 2>&1; then
	not_ok "pg_start makes and starts a cluster"
	diag "$(cat "$TMP/start.out")"
	done_testing
	exit 1
fi
ok "pg_start makes and starts a cluster"
PSQL="$PG_BINDIR/psql"

check "PG_URI names the database covalid on the socket in DIR" \
	test "$PG_URI" = "postgresql:///covalid?host=$TMP/pg&port=$PG_PORT&user=$PG_USER"
check "the socket is in DIR" test -S "$TMP/pg/.s.PGSQL.$PG_PORT"
got=$("$PSQL" "$PG_URI" -Atc "SELECT current_database() || ' ' || current_user" 2>&1)
check "psql reaches it through the socket ($got)" test "$got" = "covalid $PG_USER"
got=$("$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d covalid -Atc "SELECT inet_server_addr()" 2>&1)
check "with tcp it listens on 127.0.0.1:$PG_PORT ($got)" test "$got" = "127.0.0.1"
got=$("$PSQL" "$PG_URI" -Atc "SHOW listen_addresses" 2>&1)
check "and on no other address ($got)" test "$got" = "127.0.0.1"
got=$("$PSQL" "$PG_URI" -Atc "SHOW fsync" 2>&1)
check "durability is off for tests (fsync $got)" test "$got" = off
got=$("$PSQL" "$PG_URI" -Atc "SHOW lc_collate" 2>&1)
check "text sorts by bytes, as SQLite's does (lc_collate $got)" test "$got" = C
pid=$(head -n 1 "$TMP/pg/data/postmaster.pid")
user=$(ps -o user= -p "$pid" | tr -d ' ')
if [ "$(id -u)" -eq 0 ]; then
	check "as root, the server runs as postgres ($user)" test "$user" = postgres
	mode=$(stat -c %a "$TMP")
	check "the test's directory lets it pass, not list ($mode)" test "$mode" = 701
else
	check "the server runs as the test's user ($user)" test "$user" = "$(id -un)"
fi

uri=$(pg_createdb "$TMP/pg" second 2>&1)
check "pg_createdb prints the new database's URI ($uri)" \
	test "$uri" = "postgresql:///second?host=$TMP/pg&port=$PG_PORT&user=$PG_USER"
got=$("$PSQL" "$uri" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" 2>&1)
check "and it is there, empty ($got tables)" test "$got" = 0
expect_exit 1 "pg_createdb of an existing name fails" pg_createdb "$TMP/pg" second

if pg_start "$TMP/pg" >"$TMP/again.out" 2>&1; then
	not_ok "pg_start refuses a directory that has a cluster"
else
	check "pg_start refuses a directory that has a cluster" grep -q "data exists" "$TMP/again.out"
fi

pg_stop "$TMP/pg"
# Gone, or a zombie its parent (init, here perhaps not reaping) has yet to collect.
state=$(ps -o stat= -p "$pid" | tr -d ' ')
check "pg_stop stops the server (state \"$state\")" sh -c 'case "$1" in "" | Z*) exit 0 ;; *) exit 1 ;; esac' sh "$state"
check "and its socket is gone" test ! -e "$TMP/pg/.s.PGSQL.$PG_PORT"
check "pg_stop of a stopped cluster is fine" pg_stop "$TMP/pg"

# Without the binaries: no pg_config answer and no /usr/lib/postgresql.
mkdir -p "$TMP/bin"
printf '#!/bin/sh\necho /nonexistent/bin\n' >"$TMP/bin/pg_config"
chmod +x "$TMP/bin/pg_config"
if (PATH="$TMP/bin:$PATH" PG_LIBDIR="$TMP/none" pg_start "$TMP/pg2") >"$TMP/none.out" 2>&1; then
	not_ok "without PostgreSQL's binaries pg_start fails"
else
	ok "without PostgreSQL's binaries pg_start fails"
fi
check "naming the package to install" grep -q "install Debian's postgresql package" "$TMP/none.out"
check "having made no cluster" test ! -e "$TMP/pg2/data"

long="$TMP/$(printf '%0100d' 0)"
if pg_start "$long" >"$TMP/long.out" 2>&1; then
	not_ok "a directory too long for a socket's path is refused"
	pg_stop "$long"
else
	check "a directory too long for a socket's path is refused" grep -q "too long" "$TMP/long.out"
fi
done_testing
