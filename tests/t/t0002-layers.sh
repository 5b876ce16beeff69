#!/bin/sh
# t0002: the layer rules of docs/ARCHITECTURE.md hold for every #include of
# src/ (scripts/check-layers.pl), and the check itself catches a break.
# Depends on: nothing of this machine (reads the source tree).
. "$(dirname "$0")/../lib/tap.sh"

LAYERS="$SRC/scripts/check-layers.pl"

expect_exit 0 "every #include of src/ keeps the layer rules" perl "$LAYERS" "$SRC"
[ -s "$TMP/out" ] && diag "$(cat "$TMP/out")"

# A tree with the rules and one break of each kind: the check must name
# the file, the line and the rule.
mk() { mkdir -p "$TMP/tree/$(dirname "$1")" && printf '%s\n' "$2" >"$TMP/tree/$1"; }
mkdir -p "$TMP/tree/docs"
cp "$SRC/docs/ARCHITECTURE.md" "$TMP/tree/docs/"
mk src/util/str.c '#include "util/cv.h"'
mk src/probe/probe.c '#include "covalid/descriptor.h"
#include "covalid/store.h"'
mk src/kit/peer.c '#include <microhttpd.h>'
mk src/server/api.c '#include "support/support-internal.h"'
mk src/widget/w.c '#include "util/cv.h"'
expect_exit 1 "a tree that breaks them: exit 1" perl "$LAYERS" "$TMP/tree"
check "the guest-side probe including the store is named, with its line and rule" \
	grep -q '^src/probe/probe.c:2: includes "covalid/store.h": module probe may not include store' "$TMP/out"
check "a guest-side library header (microhttpd.h in the kit) is named" \
	grep -q '^src/kit/peer.c:1: includes <microhttpd.h>: only server may' "$TMP/out"
check "another module's -internal.h is named" \
	grep -q '^src/server/api.c:1: includes "support/support-internal.h": a module.s -internal.h is for its own files' "$TMP/out"
check "a folder without rules is named" grep -q '^src/widget/: no row in docs/ARCHITECTURE.md' "$TMP/out"
check "what keeps the rules is not reported" sh -c "! grep -q 'src/util/str.c' '$TMP/out'"
check "four breaks, four lines" test "$(wc -l <"$TMP/out")" -eq 4

rm "$TMP/tree/docs/ARCHITECTURE.md"
expect_exit 2 "no rules to read: exit 2, naming the file" perl "$LAYERS" "$TMP/tree"
check "... the error names docs/ARCHITECTURE.md" grep -q 'docs/ARCHITECTURE.md' "$TMP/err"
done_testing
