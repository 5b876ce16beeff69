#!/bin/sh
# run.sh - `make run`: the program server on the seed catalog, and this
# machine's verdict.
#
# Imports data/ into the embedded SQLite database BUILD/covalid.db, gives
# the owner a token (BUILD/owner.token) the first time, starts
# `covalid serve` on LISTEN (default 127.0.0.1:8080), prints its URL and
# `covalid check` of this machine, then serves until Ctrl-C or SIGTERM.
set -eu
BUILD=${1:-build}
LISTEN=${LISTEN:-127.0.0.1:8080}
COVALID=$BUILD/covalid
DB=$BUILD/covalid.db

# covalid serve opens only an existing database (serve --create makes
# one); importing the seed creates it here the first time.
if [ -e "$DB" ]; then
	echo "== covalid catalog import data/*.jsonl (into the existing $DB)"
else
	echo "== covalid catalog import data/*.jsonl (into a new database, $DB)"
fi
"$COVALID" catalog import --db "$DB" data/products.jsonl data/validated-configs.jsonl
if [ ! -e "$BUILD/owner.token" ]; then
	"$COVALID" admin bootstrap --db "$DB" --token-file "$BUILD/owner.token"
fi

out=$(mktemp)
server=
cleanup() {
	if [ -n "$server" ]; then
		kill -TERM "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -f "$out"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$COVALID" serve --db "$DB" --listen "$LISTEN" --access-log "$BUILD/access.log" >"$out" &
server=$!
i=0
while ! grep -q "listening on" "$out" 2>/dev/null; do
	if ! kill -0 "$server" 2>/dev/null || [ $i -ge 100 ]; then
		wait "$server" 2>/dev/null || true
		server=
		echo "make run: the server did not start on $LISTEN (is the port taken? LISTEN=127.0.0.1:PORT make run)" >&2
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
url=$(sed -n 's/^covalid serve: listening on //p' "$out")

echo "== covalid check (this machine, against $DB)"
"$COVALID" check --db "$DB" || echo "(covalid check exited $?: 0 validated or supported, 1 not)"
echo
echo "== covalid serve: $url"
echo "   web UI         $url"
echo "   API            ${url}api/v1/configurations?guest=rhel   (document: ${url}api/v1/openapi.json)"
echo "   owner's token  $BUILD/owner.token   (covalid admin ... --server $url --token-file $BUILD/owner.token)"
echo "   access log     $BUILD/access.log"
echo "   Ctrl-C stops it."
wait "$server"
