#!/bin/sh
# pg-wrap.sh - runs $COVALID_REAL with each SQLite database it is given
# (--db PATH, --db=PATH, COVALID_DB) turned into a PostgreSQL database of
# its own on the server at $PG_HOST (a socket directory) as $PG_USER:
# t4011 runs the server's API tests through it, so that the same
# assertions hold on both backends.  The database is named for the path
# and made on first use (createdb); a location that is already a URI is
# left alone.
set -eu

map() {
	case $1 in
	postgresql:* | postgres:*) printf '%s' "$1"; return ;;
	esac
	abs=$(realpath -m -- "$1")
	name=t_$(printf '%s' "$abs" | md5sum | cut -c1-16)
	if [ ! -e "$PG_WRAP_DIR/$name" ]; then
		# Two commands may race to make it: the loser's createdb fails,
		# the database is there all the same.
		"$PG_BINDIR/createdb" -h "$PG_HOST" -U "$PG_USER" "$name" 2>/dev/null || true
		: >"$PG_WRAP_DIR/$name"
	fi
	printf 'postgresql:///%s?host=%s&user=%s' "$name" "$PG_HOST" "$PG_USER"
}

if [ -n "${COVALID_DB:-}" ]; then
	COVALID_DB=$(map "$COVALID_DB")
	export COVALID_DB
fi
n=$#
i=0
next_is_db=
for a in "$@"; do
	i=$((i + 1))
	if [ -n "$next_is_db" ]; then
		a=$(map "$a")
		next_is_db=
	else
		case $a in
		--db) next_is_db=1 ;;
		--db=*) a=--db=$(map "${a#--db=}") ;;
		esac
	fi
	set -- "$@" "$a"
done
shift "$n"
exec "$COVALID_REAL" "$@"
