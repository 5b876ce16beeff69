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
# "did you mean": one edit from a command (git's help.c suggests the same way).
expect_exit 2 "a mistyped command: exit 2" "$COVALID" chek
check "... suggests the command" test "$(cat "$TMP/err")" = "covalid: 'chek' is not a covalid command. did you mean 'check'?"
expect_exit 2 "a mistyped server command, through covalid: exit 2" "$COVALID" submt
check "... suggests submit" grep -q "did you mean 'submit'?" "$TMP/err"
expect_exit 2 "covalid-server itself: a mistyped command" "$(dirname "$COVALID")/covalid-server" cse
check "... suggests case" test "$(cat "$TMP/err")" = "covalid: 'cse' is not a covalid-server command. did you mean 'case'?"
check "nothing near: no suggestion" sh -c "'$COVALID' frobnicate 2>&1 | grep -vq 'did you mean'"
expect_exit 2 "a mistyped subcommand of catalog" "$COVALID" catalog lsit
check "... suggests list, one line" sh -c "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q \"^covalid: catalog: 'lsit' is not a subcommand of covalid catalog. did you mean 'list'?\" '$TMP/err'"
expect_exit 2 "a mistyped subcommand of case (run by covalid-server)" "$COVALID" case shwo
check "... suggests show" grep -q "did you mean 'show'?" "$TMP/err"
expect_exit 2 "a mistyped area of admin" "$COVALID" admin vendr list
check "... suggests vendor" grep -q "did you mean 'vendor'?" "$TMP/err"
expect_exit 2 "a mistyped subcommand of kit" "$COVALID" kit rn
check "... suggests run" grep -q "did you mean 'run'?" "$TMP/err"

# A token file that is not there says it is the token file (no server needed: it is read first).
expect_exit 2 "a missing token file: exit 2" "$COVALID" case list --server http://127.0.0.1:9 --token-file "$TMP/nope"
check "... names it as the token file" test "$(cat "$TMP/err")" = "covalid: $TMP/nope: cannot read the token file: No such file or directory"
expect_exit 2 "help for an unknown command is a usage error" "$COVALID" help frobnicate
expect_exit 2 "unknown option is a usage error" "$COVALID" probe --frobnicate
check "unknown option names the option" grep -q "'--frobnicate'" "$TMP/err"
expect_exit 2 "a stray argument is a usage error" "$COVALID" probe extra
done_testing
