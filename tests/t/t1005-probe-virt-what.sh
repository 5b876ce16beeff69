#!/bin/sh
# t1005: the peer's own test suite.  ../shared/fixtures/virt-what/ (when
# present) holds virt-what's test roots, each with upstream's test.sh,
# whose expected= value is what virt-what prints for it
# (tests/lib/virt-what-expected.pl); each root is converted
# (tests/lib/virt-what-root.pl), probed, and our ids compared with
# virt-what's facts mapped to our vocabulary (tests/lib/virt-what-map.pl;
# docs/probe.md "Peers").  Every root must agree exactly, bare metal
# included (no facts: none), or be a deliberate difference listed below
# with covalid's exact answer, which is then checked.
#
# The helpers are tested first, on roots made here, so that they are
# checked on every machine; the shared roots are a skip without
# ../shared (virt-what is GPL: its roots are read from there, never
# copied into this tree).
. "$(dirname "$0")/../lib/tap.sh"

LIB=$SRC/tests/lib

# ---- the expected= reader ----
# expected_is DESCRIPTION SCRIPT_TEXT WANT: the reader prints WANT exactly.
expected_is() {
	printf '%s' "$2" >"$TMP/test.sh"
	if got=$(perl "$LIB/virt-what-expected.pl" "$TMP/test.sh" 2>"$TMP/err"; echo x) && [ "${got%x}" = "$3" ]; then
		ok "expected=: $1"
	else
		not_ok "expected=: $1"
		diag "got '$(printf '%s' "${got%x}" | od -c | head -3)' $(cat "$TMP/err")"
	fi
}
nl='
'
expected_is "one line" 'output="$(virt-what)"
expected="kvm"
' "kvm$nl"
expected_is "several lines, one fact a line" 'expected="xen
xen-hvm
aws"
' "xen${nl}xen-hvm${nl}aws$nl"
expected_is "empty: bare metal, no facts" 'expected=""
if [ "$output" != "$expected" ]; then exit 1; fi
' ""
expected_is "bare word" 'expected=kvm
' "kvm$nl"
expected_is "nothing after =: empty" 'expected=
' ""
expected_is "single quotes kept literally" "expected='bhyve bhyve '
" "bhyve bhyve $nl"
expected_is "escapes inside double quotes" 'expected="a\"b\\c\d"
' "a\"b\\c\\d$nl"
for bad in 'output=x' 'expected="a"
expected="b"' 'expected="$x"' 'expected="kvm'; do
	printf '%s\n' "$bad" >"$TMP/test.sh"
	if perl "$LIB/virt-what-expected.pl" "$TMP/test.sh" >/dev/null 2>"$TMP/err"; then
		not_ok "expected=: refuses $(printf '%s' "$bad" | tr '\n' ' ')"
	else
		ok "expected=: refuses $(printf '%s' "$bad" | tr '\n' ' ') ($(cat "$TMP/err" | sed 's/^[^:]*: //'))"
	fi
done

# ---- the map: a fact it does not know is an error, not none ----
if printf 'kvm\nsomething-new\n' | perl "$LIB/virt-what-map.pl" >/dev/null 2>&1; then
	not_ok "map: an unknown fact is refused"
else
	ok "map: an unknown fact is refused"
fi
check "map: no facts is bare metal" test "$(printf '' | perl "$LIB/virt-what-map.pl")" = none
check "map: aws alone is bare metal" test "$(printf 'aws\n' | perl "$LIB/virt-what-map.pl")" = none

# ---- the converter, on a root made here ----
case_dir=$TMP/selftest
mkdir -p "$case_dir/sbin" "$case_dir/proc"
printf '#!/bin/sh -\n# a comment\necho '\''bhyve bhyve '\''\n' >"$case_dir/sbin/virt-what-cpuid-helper"
printf '#!/bin/sh -\necho x86_64\n' >"$case_dir/sbin/uname"
printf '%s\n' '#!/bin/sh -' "cat <<'EOF'" '# dmidecode 3.4' 'Handle 0x0000, DMI type 0, 24 bytes' 'BIOS Information' \
	'	Vendor: BHYVE' '	Version: 14.0' '	Characteristics:' '		PCI is supported' '		System is a virtual machine' \
	'' 'Handle 0x0001, DMI type 1, 27 bytes' 'System Information' '	Manufacturer: Not Specified' \
	'	Product Name: BHYVE' 'EOF' 'exit 0' >"$case_dir/sbin/dmidecode"
if perl "$LIB/virt-what-root.pl" "$case_dir" "$TMP/selfroot" 2>"$TMP/err" &&
	"$COVALID" probe --json --root "$TMP/selfroot" >"$TMP/self.json" 2>>"$TMP/err"; then
	check "converter: 'bhyve bhyve ' keeps its trailing space" \
		test "$(jq -r '.hypervisor.evidence[] | select(.source == "cpuid:0x40000000") | .value' "$TMP/self.json")" \
		= "signature 'bhyve bhyve ', max leaf 0x40000001"
	check "converter: the dump's 'System is a virtual machine' is the SMBIOS bit" \
		test "$(jq -r '.hypervisor.evidence[] | select(.source == "/sys/firmware/dmi/entries/0-0/raw") | .suggests' "$TMP/self.json")" = vm
	check "converter: 'Not Specified' is an empty field (as sysfs shows a string the entry lacks)" \
		test -f "$TMP/selfroot/sys/class/dmi/id/sys_vendor" -a "$(cat "$TMP/selfroot/sys/class/dmi/id/sys_vendor")" = ""
	check "converter: the architecture from uname" test "$(cat "$TMP/selfroot/proc/sys/kernel/arch")" = x86_64
else
	not_ok "converter: converts a root made here"
	diag "$(cat "$TMP/err")"
fi
printf '#!/bin/sh -\necho "$SIG"\n' >"$case_dir/sbin/virt-what-cpuid-helper"
if perl "$LIB/virt-what-root.pl" "$case_dir" "$TMP/selfroot2" 2>"$TMP/err"; then
	not_ok "converter: refuses a stub it would have to expand"
else
	ok "converter: refuses a stub it would have to expand ($(cat "$TMP/err"))"
fi

# deliberate CASE_DIR FACTS: where covalid differs from virt-what on
# purpose, prints "vm ID" or "ct ID" (covalid's exact answer, which is
# checked) and why, tab-separated; fails otherwise.  Decided by virt-what's
# facts and the root's own files, never by covalid's answer.  Documented
# in docs/probe.md ("Peers", deliberate differences).
deliberate() {
	case "$nl$2$nl" in
	*"${nl}virt$nl"*)
		# virt-what says virt on ia64 with no Xen bus (else it says xen),
		# from its timing helper; covalid reads no timing, so it says what
		# the root's firmware tables show (none), or unknown without them.
		vm=unknown
		grep -q '^Handle 0x' "$1/sbin/dmidecode" 2>/dev/null && vm=none
		printf 'vm %s\t%s\n' "$vm" "virt-what's 'virt' comes from a timing test (ia64 rdtsc) run on the live machine; a root holds nothing covalid could read it from"
		return 0 ;;
	*"${nl}lxc$nl"*)
		if tr '\0' '\n' <"$1/proc/1/environ" 2>/dev/null | grep -qx 'container=lxc-libvirt'; then
			printf 'ct lxc-libvirt\t%s\n' "libvirt's LXC driver sets container=lxc-libvirt, which systemd (and covalid) name lxc-libvirt; virt-what calls every container=lxc* lxc"
			return 0
		fi ;;
	esac
	return 1
}

# compare_root NAME CASE_DIR TEST_SCRIPT: one virt-what root, one test.
agree=0 differ=0 fail=0
compare_root() {
	name=$1 dir=$2 script=$3
	if ! facts=$(perl "$LIB/virt-what-expected.pl" "$script" 2>"$TMP/err"); then
		not_ok "$name: virt-what's expected facts"
		diag "$(cat "$TMP/err")"
		fail=$((fail + 1))
		return
	fi
	shown=$(printf '%s' "$facts" | tr '\n' ' ')
	[ -n "$facts" ] || shown="nothing: bare metal"
	root="$TMP/root-$name"
	if ! perl "$LIB/virt-what-root.pl" "$dir" "$root" 2>"$TMP/err"; then
		not_ok "$name: converted"
		diag "$(cat "$TMP/err")"
		fail=$((fail + 1))
		return
	fi
	if ! "$COVALID" probe --json --root "$root" >"$TMP/$name.json" 2>"$TMP/err"; then
		not_ok "$name: probe exits 0"
		diag "$(cat "$TMP/err")"
		fail=$((fail + 1))
		return
	fi
	if ! want_vm=$(printf '%s\n' "$facts" | perl "$LIB/virt-what-map.pl" 2>"$TMP/err") ||
		! want_ct=$(printf '%s\n' "$facts" | perl "$LIB/virt-what-map.pl" --container 2>>"$TMP/err"); then
		not_ok "$name: virt-what's facts ($shown) map to our ids"
		diag "$(cat "$TMP/err")"
		fail=$((fail + 1))
		return
	fi
	got_vm=$(jq -r .hypervisor.id "$TMP/$name.json")
	got_ct=$(jq -r .container.id "$TMP/$name.json")
	if d=$(deliberate "$dir" "$facts"); then
		what=${d%%"	"*}
		why=${d#*"	"}
		exact_vm=$want_vm exact_ct=$want_ct
		case "$what" in vm\ *) exact_vm=${what#vm } ;; ct\ *) exact_ct=${what#ct } ;; esac
		if [ "$exact_vm/$exact_ct" = "$want_vm/$want_ct" ]; then
			not_ok "$name: listed as a deliberate difference but covalid's stated answer $exact_vm/$exact_ct is virt-what's; remove it from the list"
			fail=$((fail + 1))
		elif [ "$got_vm/$got_ct" = "$exact_vm/$exact_ct" ]; then
			ok "$name: covalid says $got_vm/$got_ct where virt-what's facts ($shown) map to $want_vm/$want_ct, on purpose: $why"
			differ=$((differ + 1))
		else
			not_ok "$name: a deliberate difference where covalid should say $exact_vm/$exact_ct; it says $got_vm/$got_ct"
			fail=$((fail + 1))
		fi
		return
	fi
	if [ "$got_vm" = "$want_vm" ] && [ "$got_ct" = "$want_ct" ]; then
		ok "$name: $got_vm/$got_ct as virt-what ($shown)"
		agree=$((agree + 1))
	else
		not_ok "$name: covalid says $got_vm/$got_ct, virt-what's facts ($shown) map to $want_vm/$want_ct"
		diag "$(jq -r '.hypervisor.evidence[] | select(.source == "verdict") | .value + ": " + .meaning' "$TMP/$name.json")"
		fail=$((fail + 1))
	fi
}

# ---- the comparison itself, on roots made here in virt-what's layout ----
# Bare metal (no facts) is compared like any other root, and a deliberate
# difference must give covalid's stated answer.
mkroot() {	# mkroot DIR EXPECTED_LINE ARCH SIGNATURE_ECHO
	mkdir -p "$1/sbin" "$1/proc"
	printf '#!/bin/sh -\n%s\n' "$2" >"$1/test.sh"
	printf '#!/bin/sh -\necho %s\n' "$3" >"$1/sbin/uname"
	printf '#!/bin/sh -\n%s\n' "$4" >"$1/sbin/virt-what-cpuid-helper"
	printf '#!/bin/sh -\necho "/dev/mem: Operation not permitted"\nexit 1\n' >"$1/sbin/dmidecode"
}
mkroot "$TMP/vw-bare" 'expected=""' x86_64 echo
printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc msr vmx\n' >"$TMP/vw-bare/proc/cpuinfo"
compare_root made-bare-metal "$TMP/vw-bare" "$TMP/vw-bare/test.sh"
mkroot "$TMP/vw-lxc" 'expected="lxc"' x86_64 echo
mkdir -p "$TMP/vw-lxc/proc/1"
printf 'container=lxc-libvirt\0PATH=/bin\0' >"$TMP/vw-lxc/proc/1/environ"
compare_root made-lxc-libvirt "$TMP/vw-lxc" "$TMP/vw-lxc/test.sh"
mkroot "$TMP/vw-virt" 'expected="virt"' ia64 ''
printf '%s\n' '#!/bin/sh -' "cat <<'EOF'" 'Handle 0x0001, DMI type 1, 27 bytes' 'System Information' \
	'	Manufacturer: HP' '	Product Name: server rx2660' 'EOF' >"$TMP/vw-virt/sbin/dmidecode"
printf 'processor  : 0\nvendor     : GenuineIntel\narch       : IA-64\nfamily     : 32\n' >"$TMP/vw-virt/proc/cpuinfo"
compare_root made-ia64-virt "$TMP/vw-virt" "$TMP/vw-virt/test.sh"

# ---- virt-what's own roots ----
VW=${COVALID_VIRT_WHAT_FIXTURES:-$SHARED/fixtures/virt-what}
if [ ! -d "$VW" ]; then
	skip "virt-what's test roots" "$VW is absent (the shared fixtures are not on this machine)"
	done_testing
	exit 0
fi
agree=0 differ=0 fail=0 n=0
for dir in "$VW"/*/; do
	name=$(basename "$dir")
	n=$((n + 1))
	script=$dir/test.sh
	[ -f "$script" ] || script=$VW/test-$name.sh
	compare_root "$name" "$dir" "$script"
done
if [ "$n" -eq 0 ]; then
	skip "virt-what's test roots" "no test roots under $VW"
else
	diag "virt-what's roots under $VW: $n; $agree agree, $differ differ on purpose, $fail fail"
fi
done_testing
