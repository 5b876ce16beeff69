#!/bin/sh
# t0007: scripts/setup.sh's profiles (issue 16): `make run` installs what
# running needs and nothing of the tests', benchmarks' or fuzzing's; each
# profile's list is printed by -n, which changes nothing.  The expected
# lists come from the script's own package variables.
. "$(dirname "$0")/../lib/tap.sh"

setup="$SRC/scripts/setup.sh"
# Each NAME_PACKAGES="..." assignment, over as many lines as its quotes span.
eval "$(awk '/^[A-Z_]*_PACKAGES="/ { on = 1; q = 0 }
	on { print; q += gsub(/"/, "&"); if (q % 2 == 0) on = 0 }' "$setup")"
check "the script's package lists are read" test -n "$BUILD_PACKAGES" -a -n "$TEST_PACKAGES" -a -n "$BENCH_PACKAGES"

needs() { sed -n "s/^setup: $1: needs: //p" "$TMP/out" | tr ' ' '\n' | sort -u; }
words() { echo "$@" | tr ' \n' '\n\n' | sed '/^$/d' | sort -u; }
has_all() { [ -z "$(comm -23 "$1" "$2")" ]; }	# every line of $1 is in $2
has_none() { [ -z "$(comm -12 "$1" "$2")" ]; }	# no line of $1 is in $2

for p in run check bench fuzz deb; do
	expect_exit 0 "setup.sh -n $p" "$setup" -n $p
	needs $p >"$TMP/$p.needs"
	check "$p: prints what it needs" test -s "$TMP/$p.needs"
	sed -n "s/^setup: $p: missing: //p" "$TMP/out" | tr ' ' '\n' | sed '/^$/d' | sort -u >"$TMP/$p.missing"
	check "$p: what is missing is among what it needs" has_all "$TMP/$p.missing" "$TMP/$p.needs"
	check "$p: says missing or nothing missing" grep -Eq "^setup: $p: (missing: |nothing missing)" "$TMP/out"
done
words "$BUILD_PACKAGES" >"$TMP/build"
words "$TEST_PACKAGES" >"$TMP/test"
words "$GUEST_PACKAGES" >"$TMP/guest"
words "$BENCH_PACKAGES" >"$TMP/benchp"
words "$FUZZ_PACKAGES" >"$TMP/fuzzp"
words "$DEB_PACKAGES" >"$TMP/debp"
# The issue's list of what `make run` must not install.
words chromium clang nodejs npm nginx-light wrk hyperfine >"$TMP/not-run"
check "run needs exactly the build packages" cmp -s "$TMP/run.needs" "$TMP/build"
check "run needs the libraries' -dev packages" sh -c "grep -q -- '-dev\$' '$TMP/run.needs' && [ \$(grep -c -- '-dev\$' '$TMP/run.needs') = \$(grep -c -- '-dev\$' '$TMP/build') ]"
check "run needs none of chromium, clang, nodejs, npm, nginx, wrk, hyperfine" has_none "$TMP/not-run" "$TMP/run.needs"
comm -23 "$TMP/test" "$TMP/build" >"$TMP/test-only"
check "run needs no test-only package" has_none "$TMP/test-only" "$TMP/run.needs"
check "run needs no guest toolchain" has_none "$TMP/guest" "$TMP/run.needs"
# check also needs the packaging tools: t0004 and t0005 test make install and make deb.
check "check needs the build, guest, test and packaging packages" sh -c "cat '$TMP/build' '$TMP/guest' '$TMP/test' '$TMP/debp' | sort -u >'$TMP/bgt' && cmp -s '$TMP/bgt' '$TMP/check.needs'"
check "check needs no benchmark-only or fuzz tool" sh -c "! grep -qx -e hyperfine -e wrk -e nginx-light -e clang '$TMP/check.needs'"
check "bench needs the build, guest, test and benchmark packages" sh -c "cat '$TMP/build' '$TMP/guest' '$TMP/test' '$TMP/benchp' | sort -u | cmp -s - '$TMP/bench.needs'"
check "fuzz needs the build packages and clang only" sh -c "cat '$TMP/build' '$TMP/fuzzp' | sort -u | cmp -s - '$TMP/fuzz.needs'"
check "fuzz needs clang" grep -qx clang "$TMP/fuzz.needs"
check "deb needs the build packages" has_all "$TMP/build" "$TMP/deb.needs"
check "deb needs exactly the build and packaging packages" sh -c "cat '$TMP/build' '$TMP/debp' | sort -u | cmp -s - '$TMP/deb.needs'"

expect_exit 2 "an unknown profile exits 2" "$setup" -n everything
check "... naming it and the profiles" grep -q "usage: scripts/setup.sh \[-n|--dry-run\] run|check|bench|fuzz|deb (not 'everything')" "$TMP/err"
expect_exit 2 "no profile exits 2" "$setup"
check "... with the usage" grep -q "^usage: scripts/setup.sh" "$TMP/err"
# The Makefile runs the profile each target is for.
check "make run sets up the run profile" sh -c "make -n -C '$SRC' run 2>/dev/null | grep -q 'scripts/setup.sh run'"
check "make run builds only the two programs" sh -c "make -n -C '$SRC' run 2>/dev/null | grep -Eq 'MAKE.*-j[0-9]+ .*covalid .*covalid-server|-j[0-9]+ [^ ]*/covalid [^ ]*/covalid-server'"
check "make check sets up the check profile" sh -c "make -n -C '$SRC' check 2>/dev/null | grep -q 'scripts/setup.sh check'"
done_testing
