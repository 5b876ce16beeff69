#!/bin/sh
# t3002: `covalid check` on the probe's fixture machines against the seed
# catalog, on descriptors, and on fleets.
. "$(dirname "$0")/../lib/tap.sh"

export COVALID_DB="$TMP/c.db"
"$COVALID" catalog import "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null
FX="$SRC/tests/fixtures"

# The seed's own pair: RHEL 5.3 x64, uni-processor, on Windows Server 2008 Hyper-V.
expect_exit 0 "Hyper-V 2008 + RHEL 5.3 x64, 1 vCPU: validated (exit 0)" "$COVALID" check --root "$FX/hyperv2008-rhel53/root"
check "it names the configuration and cooperative support" sh -c "grep -q '^verdict *validated' '$TMP/out' && grep -q 'ms-hv2008-ws-rhel5.3-x86_64' '$TMP/out' && grep -q '^support *cooperative' '$TMP/out'"
expect_exit 0 "--json" "$COVALID" check --root "$FX/hyperv2008-rhel53/root" --json
check "json: verdict validated" test "$(jq -r .verdict "$TMP/out")" = validated
check "json: both the Windows Server and the Hyper-V Server configurations match" test "$(jq -c '[.matches[].id] | sort' "$TMP/out")" = '["ms-hv2008-hvs-rhel5.3-x86_64","ms-hv2008-ws-rhel5.3-x86_64"]'
check "json: Microsoft and Red Hat give cooperative support" test "$(jq -c '[.support.cooperative, (.support.vendors | sort)]' "$TMP/out")" = '[true,["Microsoft","Red Hat"]]'

expect_exit 1 "the same with 2 vCPUs: not validated (exit 1)" "$COVALID" check --root "$FX/hyperv2008-rhel53-2vcpu/root"
check "the vCPU difference is named" grep -q -- "- 2 vCPUs; validated for 1 (uni-processor)" "$TMP/out"
"$COVALID" check --root "$FX/hyperv2008-rhel53-2vcpu/root" --json >"$TMP/2.json"
check "json: reason vcpus, nearest is the 2009 pair" test "$(jq -r '[.verdict, .reason, .nearest[0].id] | join(" ")' "$TMP/2.json")" = "not-validated vcpus ms-hv2008-hvs-rhel5.3-x86_64"
check "json: the nearest's only difference is the vCPU count" test "$(jq -c .nearest[0].differences "$TMP/2.json")" = '["2 vCPUs; validated for 1 (uni-processor)"]'

# A guest version the seed does not list, on the same host: from a descriptor on stdin.
"$COVALID" probe --json --root "$FX/hyperv2008-rhel53/root" | jq '.guest.os.version = "5.9"' >"$TMP/59.json"
expect_exit 1 "RHEL 5.9 on Hyper-V 2008: not validated" "$COVALID" check --descriptor - --nearest 20 --json <"$TMP/59.json"
check "the nearest: the same guest on a later host (validated: 6.1)" test "$(jq -r '.nearest[0].differences[0]' "$TMP/out")" = "hypervisor Hyper-V 6.0 (build 6002); validated: 6.1 (Windows Server 2008 R2 Hyper-V, builds 7600, 7601)"
check "and the 2009 pairs, by guest version" test "$(jq '[.nearest[].differences[] | select(. == "guest Red Hat Enterprise Linux 5.9; validated: 5.4")] | length > 0' "$TMP/out")" = true
# The host a release later: Microsoft's statement covers 5.2-5.11.
jq '.hypervisor.version = "6.1" | .hypervisor.build = "7601" | .hypervisor.product = "Windows Server 2008 R2 Hyper-V"' "$TMP/59.json" >"$TMP/r2.json"
expect_exit 0 "RHEL 5.9 on Hyper-V 2008 R2: supported by Microsoft's statement (exit 0)" "$COVALID" check --descriptor "$TMP/r2.json" --json
check "the statement matched is supported_historical" test "$(jq -r '[.verdict, .matches[0].status] | join(" ")' "$TMP/out")" = "supported supported_historical"
jq '.guest.os.version = "5.3" | .hypervisor.version = "6.1" | .hypervisor.build = "7601"' "$TMP/59.json" >"$TMP/53r2.json"
expect_exit 0 "RHEL 5.3 on Hyper-V 2008 R2, 1 vCPU: validated" "$COVALID" check --descriptor "$TMP/53r2.json" --json
check "the 2008 R2 configuration matched" test "$(jq -r '.matches[0].id' "$TMP/out")" = ms-hv2008r2-rhel5.3-x86_64
jq '.vm.vcpus = 3' "$TMP/53r2.json" >"$TMP/3vcpu.json"
expect_exit 0 "3 vCPUs on 2008 R2: supported by statement, not validated" "$COVALID" check --descriptor "$TMP/3vcpu.json"
check "what separates it from the validated configuration: the set 1, 2, 4" sh -c "grep -q 'nearest validated configurations (for cooperative support)' '$TMP/out' && grep -q '3 vCPUs; validated for 1, 2 or 4' '$TMP/out'"
jq '.integration.present = ["vmbus", "netvsc"]' "$TMP/53r2.json" >"$TMP/nostor.json"
expect_exit 1 "no storvsc: not validated" "$COVALID" check --descriptor "$TMP/nostor.json"
check "the missing component is named" grep -q "missing integration component storvsc" "$TMP/out"
expect_exit 0 "--host-version states what the guest cannot see" "$COVALID" check --root "$FX/hyperv2008-rhel53/root" --host-version 6.0

# Machines the seed has nothing for, and machines nothing can be said of.
# The seed's configurations are all rhel and windows guests (data/validated-configs.jsonl's guest.os_id).
expect_exit 1 "Ubuntu on Azure: not validated" "$COVALID" check --root "$FX/azure-ubuntu2204/root" --json
check "reason: the catalog has no configuration for this guest OS, no nearest" test "$(jq -c '[.reason, (.nearest | length)]' "$TMP/out")" = '["guest-os-not-in-catalog",0]'
# A Debian VM: the fixture's /etc/os-release says ID=debian, PRETTY_NAME="Debian GNU/Linux 12 (bookworm)".
expect_exit 1 "Debian 12 on QEMU/KVM: not validated (exit 1)" "$COVALID" check --root "$FX/kvm-qemu-debian12-noagent/root"
check "it says the catalog has no configuration for this guest OS, naming it" grep -q '^verdict *not validated: the catalog has no configuration for this guest OS, Debian GNU/Linux 12 (bookworm) (os id "debian")$' "$TMP/out"
check "and offers no unrelated nearest configuration" sh -c "! grep -qi 'nearest' '$TMP/out' && ! grep -q 'Windows' '$TMP/out'"
expect_exit 1 "the same, --json" "$COVALID" check --root "$FX/kvm-qemu-debian12-noagent/root" --json
check "json: not-validated, guest-os-not-in-catalog, nearest empty" test "$(jq -c '[.verdict, .reason, .nearest, .machine.guest.id]' "$TMP/out")" = '["not-validated","guest-os-not-in-catalog",[],"debian"]'
"$COVALID" probe --json --root "$FX/kvm-qemu-debian12-noagent/root" | jq -c . >"$TMP/debian.jsonl"
expect_exit 1 "the same in a fleet" "$COVALID" check --fleet "$TMP/debian.jsonl" --json
check "fleet json: the reason, no nearest" test "$(jq -c '[.verdict, .reason, .nearest]' "$TMP/out")" = '["not-validated","guest-os-not-in-catalog",null]'
expect_exit 1 "fleet summary" "$COVALID" check --fleet "$TMP/debian.jsonl"
check "fleet summary counts the reason" grep -Eq '^  guest-os-not-in-catalog +1 ' "$TMP/out"
expect_exit 0 "RHEL 9.3 on Hyper-V 2022: supported by statement" "$COVALID" check --root "$FX/hyperv-nested/root" --json
check "verdict supported, not cooperative" test "$(jq -c '[.verdict, .support.cooperative]' "$TMP/out")" = '["supported",false]'
mkdir "$TMP/empty"
expect_exit 1 "an empty root: unknown (exit 1), not a crash" "$COVALID" check --root "$TMP/empty" --json
check "verdict unknown, reason unknown-hypervisor" test "$(jq -r '[.verdict, .reason] | join(" ")' "$TMP/out")" = "unknown unknown-hypervisor"

# Bad input.
printf '{"vm": {"vcpus": "two"}}' >"$TMP/bad.json"
expect_exit 2 "a malformed descriptor: exit 2" "$COVALID" check --descriptor "$TMP/bad.json"
check "the error names the file and the field" grep -q "bad.json: .vm.vcpus: expected an integer" "$TMP/err"
printf 'not json' >"$TMP/garbage"
expect_exit 2 "garbage on stdin: exit 2" sh -c "'$COVALID' check --descriptor - <'$TMP/garbage'"
expect_exit 2 "a missing descriptor file: exit 2" "$COVALID" check --descriptor "$TMP/nope.json"
expect_exit 2 "two sources: usage error" "$COVALID" check --root "$TMP/empty" --descriptor "$TMP/bad.json"
expect_exit 2 "an empty catalog: exit 2 and how to fill it" "$COVALID" check --db "$TMP/empty.db" --root "$TMP/empty"
check "the message says to import" grep -q "catalog import" "$TMP/err"

# Fleets: a JSON Lines file with bad lines, and a directory.
: >"$TMP/fleet.jsonl"
for m in hyperv2008-rhel53 hyperv2008-rhel53-2vcpu azure-ubuntu2204 hyperv-nested; do
	"$COVALID" probe --json --root "$FX/$m/root" | jq -c . >>"$TMP/fleet.jsonl"
done
echo '{"broken": ' >>"$TMP/fleet.jsonl"
echo '{"vm": {"memory_mib": -5}}' >>"$TMP/fleet.jsonl"
"$COVALID" probe --json --root "$TMP/empty" | jq -c . >>"$TMP/fleet.jsonl"
expect_exit 2 "fleet with bad lines: exit 2, the rest checked" "$COVALID" check --fleet "$TMP/fleet.jsonl"
check "bad lines reported with their numbers" sh -c "grep -q 'fleet.jsonl:5: invalid JSON' '$TMP/err' && grep -q 'fleet.jsonl:6: .vm.memory_mib' '$TMP/err'"
check "summary: 5 checked, 1 validated, 1 supported, 2 not validated, 1 unknown, 2 bad" sh -c "
	grep -Eq '^machines checked +5$' '$TMP/out' && grep -Eq '^validated +1$' '$TMP/out' &&
	grep -Eq '^supported +1$' '$TMP/out' && grep -Eq '^not-validated +2$' '$TMP/out' &&
	grep -Eq '^  vcpus +1 ' '$TMP/out' && grep -Eq '^unknown +1$' '$TMP/out' && grep -Eq '^bad input \(not checked\) +2$' '$TMP/out'"
# The same fleet through a pipe (read in blocks, not mapped): the same answers.
expect_exit 2 "fleet on stdin: exit 2 as for the file" sh -c "cat '$TMP/fleet.jsonl' | '$COVALID' check --fleet -"
check "stdin: bad lines named -:5 and -:6" sh -c "grep -q '^covalid: -:5: invalid JSON' '$TMP/err' && grep -q '^covalid: -:6: .vm.memory_mib' '$TMP/err'"
check "stdin: 5 checked, 2 bad" sh -c "grep -Eq '^machines checked +5$' '$TMP/out' && grep -Eq '^bad input \(not checked\) +2$' '$TMP/out'"
# Line ends: CR LF, blank lines (spaces and tabs only), no line end after the last line.
{ head -1 "$TMP/fleet.jsonl" | sed 's/$/\r/'; printf ' \t\n\n'; sed -n 3p "$TMP/fleet.jsonl" | tr -d '\n'; } >"$TMP/ends.jsonl"
for how in file stdin; do
	if [ $how = file ]; then src="$TMP/ends.jsonl"; else src=-; fi
	expect_exit 1 "CR LF, blank lines, no final LF ($how): exit 1" sh -c "'$COVALID' check --fleet '$src' --json <'$TMP/ends.jsonl'"
	check "2 machines, on lines 1 and 4 ($how)" test "$(jq -sc 'map(.source | sub(".*:"; ""))' "$TMP/out")" = '["1","4"]'
done
# A line over 1 MiB (DESCRIPTOR_MAX_BYTES) is bad input; the lines after it are still read.
{ head -1 "$TMP/fleet.jsonl"; head -c 1100000 /dev/zero | tr '\0' x; echo; sed -n 3p "$TMP/fleet.jsonl"; } >"$TMP/long.jsonl"
for how in file stdin; do
	if [ $how = file ]; then src="$TMP/long.jsonl"; else src=-; fi
	expect_exit 2 "a line over 1 MiB ($how): exit 2" sh -c "'$COVALID' check --fleet '$src' <'$TMP/long.jsonl'"
	check "it is named by its number ($how)" grep -q ':2: line longer than 1 MiB' "$TMP/err"
	check "the lines around it checked ($how)" sh -c "grep -Eq '^machines checked +2$' '$TMP/out' && grep -Eq '^bad input \(not checked\) +1$' '$TMP/out'"
done
{ head -1 "$TMP/fleet.jsonl"; head -c 1100000 /dev/zero | tr '\0' x; } >"$TMP/long-last.jsonl"
expect_exit 2 "an over-long last line without a line end, on stdin" sh -c "'$COVALID' check --fleet - <'$TMP/long-last.jsonl'"
check "named -:2, the line before it checked" sh -c "grep -q '^covalid: -:2: line longer than 1 MiB' '$TMP/err' && grep -Eq '^machines checked +1$' '$TMP/out'"
head -4 "$TMP/fleet.jsonl" >"$TMP/good.jsonl"
expect_exit 1 "fleet --json: a line per machine" "$COVALID" check --fleet "$TMP/good.jsonl" --json
check "4 lines, each with source and verdict" test "$(jq -s 'map(select(.source and .verdict)) | length' "$TMP/out")" = 4
check "each record names the machine by its guest OS and hypervisor (its /etc/redhat-release line, the probe's product for build 6002)" \
	test "$(jq -sr '.[1].machine' "$TMP/out")" = "Red Hat Enterprise Linux Server release 5.3 (Tikanga) on Windows Server 2008 Hyper-V"
check "no progress on stderr when it is not a terminal" sh -c "! grep -q 'machines, ' '$TMP/err' && ! grep -q \"\$(printf '\\r')\" '$TMP/err'"
script -qec "COVALID_DB='$COVALID_DB' '$COVALID' check --fleet '$TMP/good.jsonl' >/dev/null" /dev/null </dev/null >"$TMP/tty" 2>&1
tr '\r' '\n' <"$TMP/tty" >"$TMP/tty.lines"
check "on a terminal: the progress line (machines, a rate, the share of the file read)" grep -Eq '^[0-9]+ machines, [0-9]+/s, [0-9]+%' "$TMP/tty.lines"
check "erased at the end" grep -q "$(printf '\033')\\[K" "$TMP/tty.lines"
check "the 2-vCPU machine's nearest names the difference" test "$(jq -sr '.[1].nearest.differences[0]' "$TMP/out")" = "2 vCPUs; validated for 1 (uni-processor)"
mkdir "$TMP/dir"
head -1 "$TMP/fleet.jsonl" >"$TMP/dir/a.json"
sed -n 3p "$TMP/fleet.jsonl" >"$TMP/dir/b.json"
echo nonsense >"$TMP/dir/c.json"
echo ignored >"$TMP/dir/notes.txt"
expect_exit 2 "fleet directory: bad file counted" "$COVALID" check --fleet "$TMP/dir" --stats
check "directory summary: 2 checked, 1 bad" sh -c "grep -Eq '^machines checked +2$' '$TMP/out' && grep -Eq '^bad input \(not checked\) +1$' '$TMP/out' && grep -q 'c.json' '$TMP/err'"
check "--stats reports rates and peak RSS" grep -q "stats: configurations 137.*match .*read+parse+match .*peak RSS" "$TMP/err"
expect_exit 2 "fleet that does not exist: exit 2" "$COVALID" check --fleet "$TMP/nope"
done_testing
