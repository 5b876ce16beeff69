#!/bin/sh
# t1005: the peer's own test suite.  ../shared/fixtures/virt-what/ (when
# present) holds virt-what's test roots, each with the facts virt-what
# prints for it; each root is converted (tests/lib/virt-what-root.pl),
# probed, and our ids compared with virt-what's facts mapped to our
# vocabulary (tests/lib/virt-what-map.pl; docs/probe.md "Peers").
. "$(dirname "$0")/../lib/tap.sh"

VW=${COVALID_VIRT_WHAT_FIXTURES:-$SHARED/fixtures/virt-what}
if [ ! -d "$VW" ]; then
	skip "virt-what's test roots" "$VW is absent (the shared fixtures are not on this machine)"
	done_testing
	exit 0
fi

# Cases where we differ on purpose, by the facts virt-what prints (families,
# not roots), and why; checked: they must still differ.
deliberate() {
	case " $(printf '%s\n' "$1" | tr '\n' ' ')" in
	*" virt "*) echo "virt-what's 'virt' comes from a timing test (ia64 rdtsc) run on the live machine, which a captured root cannot replay" ;;
	*) return 1 ;;
	esac
}

# Expected facts: <case>/expected, else the value of the expected= assignment
# in upstream's test script (<case>/test.sh, or test-<case>.sh beside it).
# The value is quoted and may span lines (one fact a line):
#     expected="aws"                expected="xen
#                                   xen-hvm"
# so it runs from the opening quote to the matching closing one, not to the
# end of a line.  An empty value (expected="") is a fact too: virt-what
# prints nothing.  Fails when there is no expected value at all.
expected_facts() {
	if [ -f "$1/expected" ]; then cat "$1/expected"; return 0; fi
	for t in "$1/test.sh" "$VW/test-$(basename "$1").sh"; do
		[ -f "$t" ] || continue
		perl -0777 -ne '
			/^expected=(?:"((?:[^"\\]|\\.)*)"|\x27([^\x27]*)\x27)/m or exit 1;
			my $v = defined $1 ? $1 : $2;
			$v =~ s/\\(.)/$1/g if defined $1;
			print $v, (length $v ? "\n" : "");
		' "$t"
		return
	done
	return 1
}

n=0
for dir in "$VW"/*/; do
	name=$(basename "$dir")
	facts=$(expected_facts "$dir") || continue
	n=$((n + 1))
	root="$TMP/$name"
	if ! perl "$SRC/tests/lib/virt-what-root.pl" "$dir" "$root" 2>"$TMP/err"; then
		not_ok "$name: converted"
		diag "$(cat "$TMP/err")"
		continue
	fi
	if ! "$COVALID" probe --json --root "$root" >"$TMP/$name.json" 2>"$TMP/err"; then
		not_ok "$name: probe exits 0"
		diag "$(cat "$TMP/err")"
		continue
	fi
	want_vm=$(printf '%s\n' "$facts" | perl "$SRC/tests/lib/virt-what-map.pl")
	want_ct=$(printf '%s\n' "$facts" | perl "$SRC/tests/lib/virt-what-map.pl" --container)
	got_vm=$(jq -r .hypervisor.id "$TMP/$name.json")
	got_ct=$(jq -r .container.id "$TMP/$name.json")
	if why=$(deliberate "$facts"); then
		if [ "$got_vm" != "$want_vm" ] || [ "$got_ct" != "$want_ct" ]; then
			ok "$name: differs on purpose ($why)"
		else
			not_ok "$name: listed as a deliberate difference but now agrees; remove it from the list"
		fi
		continue
	fi
	# A root with no hypervisor source at all is "unknown" to us; virt-what
	# says nothing, which our map reads as none.
	[ "$got_vm" = unknown ] && [ "$want_vm" = none ] && got_vm=none
	if [ "$got_vm" = "$want_vm" ] && [ "$got_ct" = "$want_ct" ]; then
		ok "$name: $got_vm/$got_ct as virt-what ($(printf '%s' "$facts" | tr '\n' ' '))"
	else
		not_ok "$name: covalid says $got_vm/$got_ct, virt-what's facts ($(printf '%s' "$facts" | tr '\n' ' ')) map to $want_vm/$want_ct"
	fi
done
[ "$n" -gt 0 ] || skip "virt-what's test roots" "no test roots under $VW"
done_testing
