#!/bin/sh
# t0006: one rule for where the database is (issue 16, docs/covalid.md
# "Files"): --db, then $COVALID_DB, then db in the user's config file,
# then in the system's, then the default; `covalid --version --verbose`
# says which and why; a malformed config file is FILE:LINE and exit 2;
# read-only commands never create a database; server and token-file in
# a config file are the program commands' defaults.
. "$(dirname "$0")/../lib/tap.sh"

# A home of the test's own: the default location is under it.
export HOME="$TMP/home"
unset XDG_DATA_HOME COVALID_DB COVALID_SERVER COVALID_TOKEN_FILE
SYS="$COVALID_CONFIG_SYSTEM"
USR="$XDG_CONFIG_HOME/covalid/covalid.conf"
default_db="$HOME/.local/share/covalid/covalid.db"
verbose_db() { sed -n 's/^database: *//p' "$TMP/out"; }
verbose_rule() { sed -n 's/^  chosen by //p' "$TMP/out"; }

# ---- read-only commands create nothing ----
for cmd in "check" "catalog list" "catalog show x" "catalog export" "catalog search rhel"; do
	# shellcheck disable=SC2086
	expect_exit 2 "'covalid $cmd' without a database exits 2" "$COVALID" $cmd
	check "... saying there is no database here, and where" \
		grep -q "^covalid: $default_db: no database here (run 'covalid catalog import' or pass --db" "$TMP/err"
	check "... and creates neither the database nor its directory" test ! -e "$HOME/.local"
done
expect_exit 2 "'covalid serve' without a database exits 2" "$COVALID" serve --listen 127.0.0.1:0
check "... naming the default location, creating nothing" sh -c "grep -q '$default_db: no such database (--create makes a new one)' '$TMP/err' && [ ! -e '$HOME/.local' ]"
expect_exit 2 "'catalog list --db' on a missing file exits 2" "$COVALID" catalog list --db "$TMP/none/x.db"
check "... creating nothing" test ! -e "$TMP/none"

# ---- the rule, as --version --verbose tells it ----
expect_exit 0 "--version --verbose" "$COVALID" --version --verbose
check "it prints the version first" sh -c "head -1 '$TMP/out' | grep -q '^covalid [0-9]'"
check "it names both config files, not found" sh -c "grep -q '^config: *$SYS (system, not found)' '$TMP/out' && grep -q '^config: *$USR (user, not found)' '$TMP/out'"
check "no config, no COVALID_DB: the default location" test "$(verbose_db)" = "$default_db"
check "... chosen by the default" sh -c "grep -q '^  chosen by the default' '$TMP/out'"
check "--version alone is still one line" test "$("$COVALID" --version | wc -l)" = 1

printf '# the system'"'"'s\n\ndb = %s\n' "$TMP/sys.db" >"$SYS"
expect_exit 0 "--version --verbose with a system file" "$COVALID" --version -v
check "the system file's db" test "$(verbose_db)" = "$TMP/sys.db"
check "... chosen by the system file" test "$(verbose_rule)" = "db in $SYS"
check "... which it says it read" grep -q "^config: *$SYS (system, read)" "$TMP/out"

mkdir -p "$(dirname "$USR")"
printf 'db = ~/user.db\n' >"$USR"
expect_exit 0 "with a user file too" "$COVALID" --version --verbose
check "the user's file wins, ~ is the home" test "$(verbose_db)" = "$HOME/user.db"
check "... chosen by the user file" test "$(verbose_rule)" = "db in $USR"

COVALID_DB="$TMP/env.db" "$COVALID" --version --verbose >"$TMP/out"
check "\$COVALID_DB wins over both files" test "$(verbose_db)" = "$TMP/env.db"
check "... chosen by \$COVALID_DB" test "$(verbose_rule)" = "\$COVALID_DB"

# Every command follows the rule: an import goes into the user file's
# database; a read-only command then finds it; --db wins over all.
expect_exit 0 "catalog import without --db" "$COVALID" catalog import "$SRC/data/products.jsonl"
check "... went into the user file's database" test -s "$HOME/user.db"
expect_exit 0 "catalog list products without --db finds it" "$COVALID" catalog list products --json
check "... the imported products" test "$(jq length "$TMP/out")" = "$(grep -c . "$SRC/data/products.jsonl")"
expect_exit 2 "--db wins over the files" "$COVALID" catalog list --db "$TMP/other.db"
check "... naming the --db path" grep -q "^covalid: $TMP/other.db: no database here" "$TMP/err"

# A writing command creates the default's directory (0700).
rm -f "$USR" "$SYS"
expect_exit 0 "catalog import into the default location" "$COVALID" catalog import "$SRC/data/products.jsonl"
check "the database is made at the default location" test -s "$default_db"
check "its directory is the user's only" test "$(stat -c %a "$(dirname "$default_db")")" = 700

# ---- malformed files: FILE:LINE, exit 2 ----
bad() {	# bad DESCRIPTION CONTENT LINE WHY
	printf '%b' "$2" >"$USR"
	expect_exit 2 "$1: exit 2" "$COVALID" catalog list
	check "$1: FILE:LINE: why" grep -q "^covalid: $USR:$3: $4" "$TMP/err"
	check "$1: one line" test "$(wc -l <"$TMP/err")" = 1
}
bad "an unknown key" '# ok\ndb = /x.db\ncolour = blue\n' 3 "unknown key 'colour' (keys: db, server, token-file)"
bad "a line without =" 'db /x.db\n' 1 "expected 'key = value'"
bad "a key without a value" 'server =\n' 1 "server: no value"
bad "a key set twice" 'db = /a.db\ndb = /b.db\n' 2 "db: set twice in this file"
bad "a relative path" 'token-file = tok\n' 1 "token-file: 'tok' is a relative path"
printf 'db = /x.db\n' >"$USR"
rm -f "$SYS"
printf 'nonsense\n' >"$SYS"
expect_exit 2 "a bad system file is an error too" "$COVALID" --version --verbose
check "... naming it" grep -q "^covalid: $SYS:1: expected 'key = value'" "$TMP/err"
rm -f "$SYS" "$USR"

# ---- server and token-file: the program commands' defaults ----
printf 'cv_not-a-real-token\n' >"$TMP/tok"
printf 'server = http://127.0.0.1:9\ntoken-file = %s\n' "$TMP/tok" >"$USR"
expect_exit 3 "the config's server is used (an unreachable port: exit 3)" "$COVALID" admin vendor list
check "... the error names the config file's server" grep -q "127.0.0.1:9" "$TMP/err"
printf 'token-file = %s\n' "$TMP/missing-token" >"$USR"
expect_exit 2 "the config's token-file is used" "$COVALID" case list
check "... the error names the config file's token file" grep -q "$TMP/missing-token" "$TMP/err"
done_testing
