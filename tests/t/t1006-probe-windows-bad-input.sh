#!/bin/sh
# t1006: bad input to the Windows probe (a root with windows/os.json):
# malformed, truncated, binary, oversized or missing windows/ files give a
# report with unknowns and a one-line note naming the file, exit 0, never a
# crash, as the Linux path does for its files (t1003).
. "$(dirname "$0")/../lib/tap.sh"

base="$SRC/tests/fixtures/win-2008r2-hyperv/root"

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

copy broken-os
printf '{"rtl": {"major": 6,' >"$TMP/broken-os/windows/os.json"
run broken-os
check "broken os.json: the note names the file and the line" has_note broken-os "windows/os.json: not JSON (line 1"
check "broken os.json: still a Windows guest, version unknown" test "$(field broken-os '.guest.os.id + "/" + (.guest.os.version // "null")')" = "windows/null"
check "broken os.json: the hypervisor still decided" test "$(field broken-os .hypervisor.id)" = microsoft
check "broken os.json: the note is one line in the human report" sh -c "'$COVALID' probe --root '$TMP/broken-os' | grep -c '^  - windows/os.json: not JSON' | grep -qx 1"

copy binary-devices
head -c 4096 /dev/urandom >"$TMP/binary-devices/windows/devices.json"
run binary-devices
check "binary devices.json: noted" has_note binary-devices "windows/devices.json: not JSON"
check "binary devices.json: no disks" test "$(field binary-devices '.vm.disks | length')" = 0

copy wrong-types
printf '[{"name": 5}, 7, {"name": "vmbus", "state": ["running"]}]' >"$TMP/wrong-types/windows/services.json"
run wrong-types
check "services.json of wrong types: noted by field" has_note wrong-types "windows/services.json: service.name is not a string"
check "services.json of wrong types: vmbus not present" test "$(field wrong-types '.integration.present | index("vmbus")')" = null

copy truncated-smbios
head -c 40 "$base/windows/smbios.bin" >"$TMP/truncated-smbios/windows/smbios.bin"
run truncated-smbios
check "truncated smbios.bin: noted" has_note truncated-smbios "windows/smbios.bin: header says"

copy huge-smbios
head -c 2000000 /dev/zero >"$TMP/huge-smbios/windows/smbios.bin"
run huge-smbios
check "smbios.bin over 1 MiB: noted, not read" has_note huge-smbios "windows/smbios.bin: too large"

copy dir-system
rm "$TMP/dir-system/windows/system.json"
mkdir "$TMP/dir-system/windows/system.json"
run dir-system
check "a directory in place of system.json: noted" has_note dir-system "windows/system.json"
check "a directory in place of system.json: vCPUs unknown" test "$(field dir-system .vm.vcpus)" = null

copy missing
rm "$TMP/missing/windows/services.json" "$TMP/missing/windows/smbios.bin" "$TMP/missing/cpuid.txt"
run missing
check "missing services.json: said so, nothing reported missing" sh -c "jq -e '.integration.missing == [] and ([.notes[] | select(contains(\"services.json absent or unusable\"))] | length == 1)' '$TMP/missing.json' >/dev/null"
check "missing smbios.bin and cpuid.txt: the VMBus still names Hyper-V" test "$(field missing .hypervisor.id)" = microsoft

copy dir-os
rm "$TMP/dir-os/windows/os.json"
mkdir "$TMP/dir-os/windows/os.json"
run dir-os
check "a directory in place of os.json: noted" has_note dir-os "windows/os.json"

# A service pack's minor number is no release the catalogs name
# (catalog_service_pack_parse knows SP1 .. SP99): SP1.1 is reported SP1.
copy sp-minor
jq '.rtl.sp_minor = 1' "$base/windows/os.json" >"$TMP/sp-minor/windows/os.json"
run sp-minor
check "sp_minor 1: service_pack is SP1" test "$(field sp-minor .guest.os.service_pack)" = SP1
copy sp-huge
jq '.rtl.sp_major = 100' "$base/windows/os.json" >"$TMP/sp-huge/windows/os.json"
run sp-huge
check "sp_major 100 (past SP99): noted" has_note sp-huge "windows/os.json: rtl.sp_major 100 is out of range"
check "sp_major 100 (past SP99): service_pack absent" test "$(field sp-huge .guest.os.service_pack)" = null

# One bad files.json entry skips that entry only: the drivers after it keep
# their version and signature, and the note names the entry.
copy bad-file-entry
jq '[7] + .' "$base/windows/files.json" >"$TMP/bad-file-entry/windows/files.json"
run bad-file-entry
check "files.json entry 0 not an object: noted by index" has_note bad-file-entry "windows/files.json: entry 0 is not an object"
check "files.json entry 0 not an object: netvsc still has its version and signer" \
	test "$(field bad-file-entry '[.integration.evidence[] | select(.source == "windows/services.json:netvsc") | .value][0]')" = \
	"running, 6.1.7601.17514, signed by Microsoft Windows"

# devices.json is parsed once per probe, so a bad entry is noted once
# (both the devices and the integration detectors read the file).
copy bad-device-entry
jq '[7] + .' "$base/windows/devices.json" >"$TMP/bad-device-entry/windows/devices.json"
run bad-device-entry
check "devices.json entry 0 not an object: noted exactly once" \
	test "$(jq '[.notes[] | select(contains("windows/devices.json: entry 0 is not an object"))] | length' "$TMP/bad-device-entry.json")" = 1
check "devices.json entry 0 not an object: storvsc still bound and present" \
	test "$(field bad-device-entry '.integration.present | index("storvsc") != null')" = true

# The human report of a whole fixture names the release's service pack and
# edition (the fixture's os.json: "Service Pack 2", Enterprise).
"$COVALID" probe --root "$SRC/tests/fixtures/win-2003sp2-x86-rhel-kvm/root" >"$TMP/human" 2>&1
check "the human report names the service pack and the edition" \
	grep -q '^guest .*\[id windows, version 2003, service pack SP2, edition Enterprise, osinfo win2k3\]' "$TMP/human"
done_testing
