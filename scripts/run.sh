#!/bin/sh
# run.sh - `make run`: the program server on the seed catalog, with the
# support demo to try, and this machine's verdict.
#
#   scripts/run.sh [BUILD]        (BUILD: where covalid is, default build)
#
# The database is the one every covalid command finds by itself (the rule
# `covalid --version --verbose` prints: --db, $COVALID_DB, the config
# files, then ~/.local/share/covalid/covalid.db), so that `covalid check`,
# `covalid catalog list`... see what `make run` serves.  COVALID_DB=PATH
# picks another; LISTEN=HOST:PORT moves the server (default
# 127.0.0.1:8080).
#
# A new database gets the seed catalog (data/), an owner's token
# (BUILD/owner.token) and the support demo (`covalid admin demo`, token
# files in BUILD/demo/).  An existing one is served as it is: the seed is
# never imported again, so nothing the program decided since (a
# revocation, a submission) is undone by a restart.  Serves until Ctrl-C
# or SIGTERM.
set -eu
BUILD=${1:-build}
LISTEN=${LISTEN:-127.0.0.1:8080}
COVALID=$BUILD/covalid
SRC=$(cd "$(dirname "$0")/.." && pwd)

# Where the database is, and which rule chose it: covalid's own answer.
info=$("$COVALID" --version --verbose) || exit 2
DB=$(printf '%s\n' "$info" | sed -n 's/^database: *//p')
rule=$(printf '%s\n' "$info" | sed -n 's/^  chosen by //p')
echo "== database $DB"
echo "   (chosen by $rule; 'covalid --version --verbose' shows the rule)"

# A new database is one whose file is not there; a PostgreSQL one is
# taken as existing (its schema is made by whoever made the database).
case $DB in
postgres*://* | "(a PostgreSQL"*) new=false ;;
sqlite:*) [ -e "${DB#sqlite:}" ] && new=false || new=true ;;
*) [ -e "$DB" ] && new=false || new=true ;;
esac

if $new; then
	"$COVALID" catalog import "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null
	echo "   seed imported into a new database $DB"
	"$COVALID" admin bootstrap --token-file "$BUILD/owner.token" --force >/dev/null
	echo "   the owner's token: $BUILD/owner.token"
	# The support demo (docs/support.md, "Try it in two minutes"): its
	# token files belong to this new database; older ones are replaced.
	"$COVALID" admin demo --token-dir "$BUILD/demo" --force >"$BUILD/demo.txt"
	echo "   the support demo made (covalid admin demo; $BUILD/demo.txt lists its users)"
else
	echo "   $DB exists: the seed is not re-imported; \`covalid catalog import --merge data/...\` adds new rows only"
	if [ ! -e "$BUILD/owner.token" ]; then
		"$COVALID" admin bootstrap --token-file "$BUILD/owner.token" >/dev/null
		echo "   the owner's token: $BUILD/owner.token (new)"
	fi
fi
if [ "$DB" != "$BUILD/covalid.db" ] && [ -e "$BUILD/covalid.db" ]; then
	echo "   (an older make run's database is $BUILD/covalid.db: COVALID_DB=$BUILD/covalid.db make run serves it)"
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

"$COVALID" serve --web "$SRC/web" --listen "$LISTEN" --access-log "$BUILD/access.log" >"$out" &
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

echo "== covalid check (this machine)"
"$COVALID" check || echo "(covalid check exited $?: 0 validated or supported, 1 not)"
echo
echo "== covalid serve: $url"
echo "   web UI         $url"
echo "   API            ${url}api/v1/configurations?guest=rhel   (document: ${url}api/v1/openapi.json)"
echo "   owner's token  $BUILD/owner.token   (covalid admin ... --server $url --token-file $BUILD/owner.token)"
echo "   access log     $BUILD/access.log"
# The demo's token files are a database's: shown only if this server
# takes them (an older make run's may belong to another database).
if [ -e "$BUILD/demo/customer.token" ] &&
	! "$COVALID" case list --server "$url" --token-file "$BUILD/demo/customer.token" >/dev/null 2>&1; then
	echo "   (the demo's token files in $BUILD/demo/ belong to another database; 'covalid admin demo"
	echo "    --token-dir DIR' makes the demo in a new one, e.g. COVALID_DB=/tmp/try.db make run)"
elif [ -e "$BUILD/demo/customer.token" ]; then
	echo
	echo "== the support demo (docs/support.md, \"Try it in two minutes\")"
	echo "   open ${url}#/signin, paste the token in a file below into \"Your token\", press Sign in:"
	echo "     the customer (Contoso)         $BUILD/demo/customer.token"
	echo "     Red Hat's support engineer     $BUILD/demo/red-hat.token"
	echo "     Microsoft's support engineer   $BUILD/demo/microsoft.token"
	echo "   (Sign out, top right, to change user; every user's file: $BUILD/demo.txt)"
fi
echo
echo "   Ctrl-C stops it."
wait "$server"
