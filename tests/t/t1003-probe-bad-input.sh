#!/bin/sh
# t1003: bad input to the probe: missing, empty, truncated, binary and
# oversized files give a report with unknowns and notes, never a crash;
# a --root that is not a directory is a usage error (exit 2).
. "$(dirname "$0")/../lib/tap.sh"

base="$SRC/tests/fixtures/hyperv2008-rhel53/root"

# run NAME: probe $TMP/NAME, which must exit 0 with valid JSON.
run() {
	if "$COVALID" probe --json --root "$TMP/$1" >"$TMP/$1.json" 2>"$TMP/$1.err" &&
		jq -e .schema "$TMP/$1.json" >/dev/null; then
		ok "$1: report produced"
	else
		not_ok "$1: report produced (exit $?)"
		diag "$(head -c 2000 "$TMP/$1.err")"
	fi
}
field() { jq -r "$2" "$TMP/$1.json"; }
has_note() { jq -e --arg p "$2" '[.notes[] | select(contains($p))] | length > 0' "$TMP/$1.json" >/dev/null; }
copy() { cp -a "$base" "$TMP/$1"; }

copy binary-os
rm -f "$TMP/binary-os/etc/redhat-release"
head -c 4096 /dev/urandom >"$TMP/binary-os/etc/os-release"
printf '\nID=\x01\x02\xff\n' >>"$TMP/binary-os/etc/os-release"
run binary-os
check "binary os-release: the OS id is sanitized text" sh -c "jq -r '.guest.os.id // \"\"' '$TMP/binary-os.json' | LC_ALL=C grep -qv '[^[:print:]]' || [ \"\$(jq -r .guest.os.id '$TMP/binary-os.json')\" = null ]"

copy empty-files
for f in etc/redhat-release proc/cpuinfo proc/meminfo cpuid.txt sys/class/dmi/id/sys_vendor proc/sys/kernel/osrelease; do
	: >"$TMP/empty-files/$f"
done
run empty-files
check "empty files: memory unknown" test "$(field empty-files .vm.memory_mib)" = null
check "empty files: empty cpuid.txt is noted" has_note empty-files "cpuid.txt"
check "empty files: empty redhat-release is noted" has_note empty-files "redhat-release"
check "empty files: kernel unknown" test "$(field empty-files .guest.kernel)" = null

copy missing
rm -rf "$TMP/missing/proc" "$TMP/missing/cpuid.txt" "$TMP/missing/etc"
run missing
check "missing /proc, /etc and cpuid.txt: OS unknown" test "$(field missing .guest.os.id)" = null
check "missing: the hypervisor still follows what remains (vmbus, DMI)" test "$(field missing .hypervisor.id)" = microsoft

copy long-line
awk 'BEGIN { printf "processor\t: 0\nflags\t\t: "; for (i = 0; i < 1048576; i++) printf "x"; printf "\n" }' >"$TMP/long-line/proc/cpuinfo"
run long-line
check "1 MB cpuinfo line: vCPUs still counted" test "$(field long-line .vm.vcpus)" = 1

copy huge
head -c 5000000 /dev/zero | tr '\0' 'a' >"$TMP/huge/proc/cpuinfo"
run huge
check "cpuinfo over 4 MiB is noted, not read" has_note huge "/proc/cpuinfo: larger than 4 MiB"

copy bad-cpuid
printf 'CPU:\n   0x40000000 0x00: eax=0xZZ ebx=1\nthis is not cpuid\n   0x00000001 0x00: eax=0x0 ebx=0x0 ecx=0x80000000 edx=0x0\n' >"$TMP/bad-cpuid/cpuid.txt"
run bad-cpuid
check "bad cpuid.txt: the malformed lines are noted with their line number" has_note bad-cpuid "cpuid.txt: 2 malformed line(s), first at line 2"
check "bad cpuid.txt: the good line is still used" test "$(jq '[.hypervisor.evidence[] | select(.source == "cpuid:0x00000001")] | length' "$TMP/bad-cpuid.json")" = 1

copy garbage-cpuid
head -c 2048 /dev/urandom >"$TMP/garbage-cpuid/cpuid.txt"
run garbage-cpuid
check "garbage cpuid.txt: CPUID ignored with a note" has_note garbage-cpuid "cpuid.txt"

copy truncated
printf 'MemTot' >"$TMP/truncated/proc/meminfo"
printf 'Red Hat Enterprise Linux Server rel' >"$TMP/truncated/etc/redhat-release"
run truncated
check "truncated meminfo: noted" has_note truncated "/proc/meminfo"
check "truncated release file: noted, OS unknown" sh -c "[ \"\$(jq -r .guest.os.id '$TMP/truncated.json')\" = null ]"

copy unreadable
rm -f "$TMP/unreadable/etc/redhat-release" "$TMP/unreadable/proc/meminfo"
mkdir "$TMP/unreadable/etc/redhat-release"   # a directory where a file belongs: EISDIR
ln -s meminfo "$TMP/unreadable/proc/meminfo" # a symlink loop: ELOOP
mkfifo "$TMP/unreadable/etc/os-release"      # a FIFO with no writer must not hang
run unreadable
check "unreadable: a directory in place of a file is noted" has_note unreadable "redhat-release"
check "unreadable: a symlink loop is noted" has_note unreadable "/proc/meminfo"
if [ "$(id -u)" -ne 0 ]; then
	copy noperm
	chmod 000 "$TMP/noperm/proc/cpuinfo"
	run noperm
	check "no permission: noted" has_note noperm "/proc/cpuinfo: Permission denied"
else
	skip "no permission: noted" "running as root, which reads mode-000 files"
fi

expect_exit 2 "--root that does not exist: exit 2" "$COVALID" probe --root "$TMP/nonexistent"
check "--root that does not exist: one line naming it" sh -c "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q 'nonexistent' '$TMP/err'"
: >"$TMP/plainfile"
expect_exit 2 "--root that is a file: exit 2" "$COVALID" probe --root "$TMP/plainfile"
done_testing
