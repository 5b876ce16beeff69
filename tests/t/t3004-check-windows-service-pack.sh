#!/bin/sh
# t3004: `covalid check` of Windows guests against the seed catalog: a row
# that names its service pack (data/validated-configs.jsonl,
# rh-kvm5.4-win2k3-sp2-i686: "Red Hat will validate Windows Server 2003
# SP2", virtualization.info, 2009-02-17) matches that service pack or a
# later one (docs/check.md).  The descriptors are written here by hand, as
# the Windows probe writes them (docs/descriptor.md).
. "$(dirname "$0")/../lib/tap.sh"

export COVALID_DB="$TMP/c.db"
"$COVALID" catalog import "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null

# Windows Server 2003 SP2 Enterprise, x86, on the KVM of RHEL 5.4 (whose
# guests see the Bochs BIOS: the host's release is stated, --host-version).
cat >"$TMP/sp2.json" <<'EOF'
{"schema": "covalid.descriptor/1",
 "hypervisor": {"id": "kvm", "product": "KVM", "version": null, "version_source": null, "build": null},
 "guest": {"os": {"id": "windows", "version": "2003", "name": "Microsoft Windows Server 2003",
                  "pretty": "Microsoft Windows Server 2003 Service Pack 2 (5.2.3790)", "osinfo": "win2k3",
                  "source": "windows/os.json", "service_pack": "SP2", "edition": "Enterprise"},
           "kernel": "5.2.3790", "arch": "i686"},
 "vm": {"vcpus": 2, "memory_mib": 2048, "firmware": "bios"},
 "integration": {"expected": [], "present": []}}
EOF

expect_exit 0 "Windows Server 2003 SP2 x86 on RHEL 5.4 KVM: validated (exit 0)" \
	"$COVALID" check --descriptor "$TMP/sp2.json" --host-version 5.4 --json
check "it matches rh-kvm5.4-win2k3-sp2-i686 with no difference" \
	test "$(jq -c '[.verdict, [.matches[] | .id, .differences]]' "$TMP/out")" = '["validated",["rh-kvm5.4-win2k3-sp2-i686",[]]]'
check "the match names its service pack, the machine its own" \
	test "$(jq -r '[.matches[0].guest.service_pack, .machine.guest.service_pack] | join(" ")' "$TMP/out")" = "SP2 SP2"

jq '.guest.os.service_pack = "SP1" | .guest.os.pretty = "Microsoft Windows Server 2003 Service Pack 1 (5.2.3790)"' \
	"$TMP/sp2.json" >"$TMP/sp1.json"
expect_exit 1 "the same at SP1: not validated (exit 1)" "$COVALID" check --descriptor "$TMP/sp1.json" --host-version 5.4 --json
check "reason service-pack, the nearest is the SP2 row" \
	test "$(jq -r '[.verdict, .reason, .nearest[0].id] | join(" ")' "$TMP/out")" = "not-validated service-pack rh-kvm5.4-win2k3-sp2-i686"
check "its one difference is the service pack" \
	test "$(jq -c .nearest[0].differences "$TMP/out")" = '["service pack SP1; validated for SP2"]'
expect_exit 1 "the human answer says it too" "$COVALID" check --descriptor "$TMP/sp1.json" --host-version 5.4
check "  - service pack SP1; validated for SP2" grep -q -- "- service pack SP1; validated for SP2" "$TMP/out"

# Windows Server 2003 as released: the Windows probe's null is "none".
jq '.guest.os.service_pack = null' "$TMP/sp2.json" >"$TMP/rtm.json"
expect_exit 1 "the release without a service pack: not validated" \
	"$COVALID" check --descriptor "$TMP/rtm.json" --host-version 5.4 --json
check "no service pack; validated for SP2" \
	test "$(jq -r '.nearest[0].differences[0]' "$TMP/out")" = "no service pack; validated for SP2"

# A hand-written descriptor (or one from an older probe) that does not say.
jq 'del(.guest.os.service_pack, .guest.os.edition) | .guest.os.source = null' "$TMP/sp2.json" >"$TMP/unstated.json"
expect_exit 0 "a descriptor that states no service pack: matched as before (exit 0)" \
	"$COVALID" check --descriptor "$TMP/unstated.json" --host-version 5.4 --json
check "the match says the service pack was not stated" \
	test "$(jq -c '[.matches[0].id, .matches[0].differences]' "$TMP/out")" = '["rh-kvm5.4-win2k3-sp2-i686",["service pack not stated; validated for SP2 or later"]]'
check "and so does the summary" sh -c "jq -r .summary '$TMP/out' | grep -q 'service pack not stated'"

# SUSE's "SP2+" (this service pack or later) reads as every service pack does:
# Windows Server 2008 x64 on SLES 12 SP4 (suse-sles12sp4-win2k8-x86_64).
jq '.guest.os.version = "2008" | .guest.os.osinfo = "win2k8" | .guest.kernel = "6.0.6002" | .guest.arch = "x86_64"' \
	"$TMP/sp2.json" >"$TMP/w2k8sp2.json"
expect_exit 0 "Windows Server 2008 SP2 on SLES 12 SP4 (SP2+): supported" \
	"$COVALID" check --descriptor "$TMP/w2k8sp2.json" --host-version "12 SP4" --json
check "the SUSE statement matched" sh -c "jq -r '.matches[].id' '$TMP/out' | grep -qx suse-sles12sp4-win2k8-x86_64"
jq '.guest.os.service_pack = "SP1" | .guest.kernel = "6.0.6001"' "$TMP/w2k8sp2.json" >"$TMP/w2k8sp1.json"
"$COVALID" check --descriptor "$TMP/w2k8sp1.json" --host-version "12 SP4" --json >"$TMP/sp1b.json"
check "at SP1 it is not" sh -c "! jq -r '.matches[].id' '$TMP/sp1b.json' | grep -qx suse-sles12sp4-win2k8-x86_64"

# Bad input: a service pack of the wrong type names the field.
jq '.guest.os.service_pack = 2' "$TMP/sp2.json" >"$TMP/bad.json"
expect_exit 2 "a service pack that is not a string: exit 2" "$COVALID" check --descriptor "$TMP/bad.json"
check "the error names the file and the field" grep -q "bad.json: .guest.os.service_pack: expected a string" "$TMP/err"

# A fleet line per machine: the SP1 machine's reason is the service pack.
jq -c . "$TMP/sp2.json" "$TMP/sp1.json" | jq -c '.hypervisor.version = "5.4" | .hypervisor.version_source = "stated"' >"$TMP/fleet.jsonl"
expect_exit 1 "a fleet of the two" "$COVALID" check --fleet "$TMP/fleet.jsonl" --json
check "validated, then not-validated for service-pack" \
	test "$(jq -s -c 'map([.verdict, .reason])' "$TMP/out")" = '[["validated","none"],["not-validated","service-pack"]]'

done_testing
