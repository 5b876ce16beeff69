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
mk src/probe/detect-x.c '#include <windows.h>'
mk src/probe/win/collect-x.c '#include <windows.h>
#include "covalid/store.h"'
expect_exit 1 "a tree that breaks them: exit 1" perl "$LAYERS" "$TMP/tree"
check "the guest-side probe including the store is named, with its line and rule" \
	grep -q '^src/probe/probe.c:2: includes "covalid/store.h": module probe may not include store' "$TMP/out"
check "a guest-side library header (microhttpd.h in the kit) is named" \
	grep -q '^src/kit/peer.c:1: includes <microhttpd.h>: only server may' "$TMP/out"
check "another module's -internal.h is named" \
	grep -q '^src/server/api.c:1: includes "support/support-internal.h": a module.s -internal.h is for its own files' "$TMP/out"
check "a folder without rules is named" grep -q '^src/widget/: no row in docs/ARCHITECTURE.md' "$TMP/out"
check "a Windows header outside a win/ folder is named" \
	grep -q '^src/probe/detect-x.c:1: includes <windows.h>: only a win/ folder may' "$TMP/out"
check "a win/ folder is its module: the probe's may not include the store" \
	grep -q '^src/probe/win/collect-x.c:2: includes "covalid/store.h": module probe may not include store' "$TMP/out"
check "what keeps the rules is not reported (windows.h in a win/ folder among them)" \
	sh -c "! grep -q 'src/util/str.c\|collect-x.c:1' '$TMP/out'"
check "six breaks, six lines" test "$(wc -l <"$TMP/out")" -eq 6

# Links, not only includes: what the guest-side objects need must come
# from guest-side objects or from system libraries, never from an object of
# the store, the catalog, the check, the program, support or the server.
# (Depends on the build tree: $COVALID_BUILD/obj, made by make before the tests.)
GUEST="util descriptor probe sign testlog kit agent"
OBJ="$COVALID_BUILD/obj/src"
if [ -d "$OBJ/probe" ] && command -v nm >/dev/null 2>&1; then
	for m in $GUEST; do nm -u "$OBJ/$m"/*.o; done 2>/dev/null | awk 'NF == 2 { print $2 }' | sort -u >"$TMP/needed"
	for m in $GUEST; do nm --defined-only "$OBJ/$m"/*.o; done 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$TMP/guest-defs"
	for d in "$OBJ"/*/; do
		case " $GUEST " in *" $(basename "$d") "*) continue ;; esac
		nm --defined-only "$d"*.o 2>/dev/null | awk -v m="$(basename "$d")" 'NF == 3 && $2 ~ /[TDBR]/ { print $3 "\t" m }'
	done | sort -u >"$TMP/other-defs"
	comm -23 "$TMP/needed" "$TMP/guest-defs" >"$TMP/outside"
	awk -F'\t' 'NR == FNR { need[$1] = 1; next } need[$1] { print $1 " (defined in src/" $2 "/)" }' \
		"$TMP/outside" "$TMP/other-defs" >"$TMP/breaks"
	check "guest-side objects ($GUEST) link nothing of the store, catalog, check, program, support or server" \
		test ! -s "$TMP/breaks"
	[ -s "$TMP/breaks" ] && diag "$(cat "$TMP/breaks")"
	check "... and the check sees the guest side's own symbols (probe_run is defined there)" grep -qx probe_run "$TMP/guest-defs"
else
	not_ok "the build tree's objects ($OBJ) and nm are here (make builds them before the tests; binutils comes with gcc)"
fi

rm "$TMP/tree/docs/ARCHITECTURE.md"
expect_exit 2 "no rules to read: exit 2, naming the file" perl "$LAYERS" "$TMP/tree"
check "... the error names docs/ARCHITECTURE.md" grep -q 'docs/ARCHITECTURE.md' "$TMP/err"
done_testing
