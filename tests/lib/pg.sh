# pg.sh - a real PostgreSQL for the tests (issue 15): a cluster made by
# initdb in a directory of the test's, listening on a Unix socket in that
# directory (and on 127.0.0.1 only when asked), stopped by the test.
# POSIX sh: sourced by the t*.sh tests and run by tests/unit/pg-harness.c.
#
#   pg_start DIR [tcp]   initdb into DIR/data, start it (socket in DIR, log
#                        DIR/log), create the database "covalid"; sets
#                        PG_URI (a libpq URI for --db / COVALID_DB), PG_HOST
#                        (DIR), PG_PORT, PG_USER, PG_BINDIR.  With tcp it also
#                        listens on 127.0.0.1:PG_PORT (a free port), for
#                        haproxy and pgbench.
#   pg_createdb DIR NAME a new empty database NAME in DIR's cluster; prints its URI
#   pg_uri DIR NAME      the URI of database NAME in DIR's cluster
#   pg_stop DIR          stops DIR's cluster (the files stay, for the test's
#                        own clean-up)
#
# PG_INITDB_OPTS: more options for initdb (say, another collation:
# --locale-provider=icu --icu-locale=en-US, for what a production cluster
# may sort by).
# PG_MAX_CONNECTIONS (default 200) bounds the server's connections: a
# covalid server opens one per worker thread, and a test of several nodes
# needs them all.
#
# Who runs the server: PostgreSQL refuses to run as root, so as root the
# cluster belongs to Debian's "postgres" user (made by the postgresql
# package) and every server command runs as that user (setpriv, else
# runuser); DIR is chowned to it, and its parents are made to let it
# through (o+x on those that did not: a test's mktemp -d is 0700).  As
# anyone else it runs as oneself.  Either way clients connect through the
# socket as that user, trusted (initdb -A trust): a test cluster on a
# socket in a private directory.
#
# The binaries: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin
# (PG_LIBDIR stands for /usr/lib/postgresql: t0003 points it elsewhere).
# Without them pg_start fails, naming the package: scripts/setup.sh installs
# it, and a tool the set-up installs is never quietly skipped.
#
# Durability is off (fsync, synchronous_commit, full_page_writes): a test
# cluster is thrown away, and a crash of this machine is not what the tests
# test.  The cluster's locale is C (byte order, as SQLite compares text).

pg_bindir() {
	_pg_d=
	if command -v pg_config >/dev/null 2>&1; then
		_pg_d=$(pg_config --bindir 2>/dev/null)
		if [ -x "$_pg_d/initdb" ] && [ -x "$_pg_d/postgres" ] && [ -x "$_pg_d/pg_ctl" ]; then
			echo "$_pg_d"
			return 0
		fi
	fi
	# pg_config comes with libpq-dev, the server with postgresql-NN: look
	# for the server itself, newest version first.
	for _pg_d in $(ls -d "${PG_LIBDIR:-/usr/lib/postgresql}"/*/bin 2>/dev/null | sort -rV); do
		if [ -x "$_pg_d/initdb" ] && [ -x "$_pg_d/postgres" ] && [ -x "$_pg_d/pg_ctl" ]; then
			echo "$_pg_d"
			return 0
		fi
	done
	echo "pg.sh: no PostgreSQL server (initdb, postgres, pg_ctl) in \`pg_config --bindir\` or /usr/lib/postgresql/*/bin: install Debian's postgresql package (scripts/setup.sh does)" >&2
	return 1
}

# The user the server runs as and clients connect as.
pg_user() {
	if [ "$(id -u)" -eq 0 ]; then
		echo postgres
	else
		id -un
	fi
}

# Runs a command as the server's user.
pg_as() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	else
		runuser -u postgres -- "$@"
	fi
}

# A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick).
pg_free_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1)
			or die "pg.sh: no free port: $!\n";
		print $s->sockport, "\n";'
}

pg_uri() {
	echo "postgresql:///$2?host=$1&port=$(cat "$1/port")&user=$(pg_user)"
}

pg_start() {
	_pg_dir=$1
	_pg_tcp=${2:-}
	case "$_pg_dir" in
	/*) ;;
	*) _pg_dir="$(pwd)/$_pg_dir" ;;
	esac
	PG_BINDIR=$(pg_bindir) || return 1
	PG_USER=$(pg_user)
	if [ "$PG_USER" = postgres ] && ! id postgres >/dev/null 2>&1; then
		echo "pg.sh: running as root, but there is no \"postgres\" user to run the server (Debian's postgresql package makes it)" >&2
		return 1
	fi
	# The socket's path must fit in sockaddr_un (107 bytes with its name).
	if [ ${#_pg_dir} -gt 80 ]; then
		echo "pg.sh: $_pg_dir: too long for a Unix socket's directory (at most 80 characters)" >&2
		return 1
	fi
	mkdir -p "$_pg_dir" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		# The postgres user must pass through DIR's parents: a test's
		# directory (mktemp -d) is 0700.  Each one it cannot pass gets
		# o+x, from the root down: passing through, not listing.
		_pg_p=
		for _pg_part in $(dirname "$_pg_dir" | tr '/' ' '); do
			_pg_p="$_pg_p/$_pg_part"
			if ! pg_as test -x "$_pg_p"; then
				chmod o+x "$_pg_p" || return 1
			fi
		done
		chown postgres: "$_pg_dir" || return 1
		if ! pg_as test -w "$_pg_dir" -a -x "$_pg_dir"; then
			echo "pg.sh: $_pg_dir: the postgres user cannot write there (a parent directory's mode?)" >&2
			return 1
		fi
	fi
	if [ -e "$_pg_dir/data" ]; then
		echo "pg.sh: $_pg_dir/data exists: pg_start makes a new cluster" >&2
		return 1
	fi
	if [ -n "$_pg_tcp" ]; then
		PG_PORT=$(pg_free_port) || return 1
		_pg_listen=127.0.0.1
	else
		PG_PORT=5432 # names the socket (DIR/.s.PGSQL.5432) only
		_pg_listen=
	fi
	echo "$PG_PORT" >"$_pg_dir/port"
	if ! pg_as "$PG_BINDIR/initdb" -D "$_pg_dir/data" -U "$PG_USER" -A trust -E UTF8 --locale=C --no-sync ${PG_INITDB_OPTS:-} \
		>"$_pg_dir/initdb.log" 2>&1; then
		echo "pg.sh: initdb failed:" >&2
		cat "$_pg_dir/initdb.log" >&2
		return 1
	fi
	cat >>"$_pg_dir/data/postgresql.conf" <<EOF
# pg.sh (covalid's tests)
listen_addresses = '$_pg_listen'
port = $PG_PORT
unix_socket_directories = '$_pg_dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = ${PG_MAX_CONNECTIONS:-200}
EOF
	if ! pg_as "$PG_BINDIR/pg_ctl" -D "$_pg_dir/data" -l "$_pg_dir/log" -w -t 60 start >/dev/null 2>&1; then
		echo "pg.sh: the server did not start:" >&2
		tail -n 20 "$_pg_dir/log" >&2
		return 1
	fi
	if ! "$PG_BINDIR/createdb" -h "$_pg_dir" -p "$PG_PORT" -U "$PG_USER" covalid >"$_pg_dir/createdb.log" 2>&1; then
		echo "pg.sh: createdb covalid failed:" >&2
		cat "$_pg_dir/createdb.log" >&2
		pg_stop "$_pg_dir"
		return 1
	fi
	PG_HOST=$_pg_dir
	PG_URI=$(pg_uri "$_pg_dir" covalid)
	export PG_URI PG_HOST PG_PORT PG_USER PG_BINDIR
}

pg_createdb() {
	_pg_bin=$(pg_bindir) || return 1
	"$_pg_bin/createdb" -h "$1" -p "$(cat "$1/port")" -U "$(pg_user)" "$2" || return 1
	pg_uri "$1" "$2"
}

pg_stop() {
	_pg_bin=$(pg_bindir) || return 1
	[ -f "$1/data/postmaster.pid" ] || return 0
	# fast: clients are cut off and the server is down within a second;
	# immediate (no checkpoint) if that did not do it.
	pg_as "$_pg_bin/pg_ctl" -D "$1/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		pg_as "$_pg_bin/pg_ctl" -D "$1/data" -m immediate -w -t 30 stop >/dev/null 2>&1
}
