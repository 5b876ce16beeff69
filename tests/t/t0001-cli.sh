#!/bin/sh
# t0001: the command line itself: help, version, exit codes, error style.
. "$(dirname "$0")/../lib/tap.sh"

expect_exit 0 "--help exits 0" "$COVALID" --help
check "--help lists probe and the exit codes" grep -q "probe" "$TMP/out"
check "--help documents exit status 3" grep -q "3 internal error" "$TMP/out"
expect_exit 0 "--version exits 0" "$COVALID" --version
check "--version prints the version" grep -Eq '^covalid [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out"
expect_exit 0 "help probe exits 0" "$COVALID" help probe
check "help probe shows probe's usage" grep -q "usage: covalid probe" "$TMP/out"
expect_exit 0 "probe --help is help probe" "$COVALID" probe --help
expect_exit 2 "no command is a usage error" "$COVALID"
expect_exit 2 "unknown command is a usage error" "$COVALID" frobnicate
check "unknown command: one line in the error style" sh -c "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q '^covalid: ' '$TMP/err'"
expect_exit 2 "help for an unknown command is a usage error" "$COVALID" help frobnicate
expect_exit 2 "unknown option is a usage error" "$COVALID" probe --frobnicate
check "unknown option names the option" grep -q "'--frobnicate'" "$TMP/err"
expect_exit 2 "a stray argument is a usage error" "$COVALID" probe extra
done_testing
