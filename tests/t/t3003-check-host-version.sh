#!/bin/sh
# t3003: the other half of the seed.  Red Hat validated Windows Server 2003
# SP2, 2008 and 2008 R2 guests on RHEL 5.4 KVM through Microsoft's SVVP
# (data/validated-configs.jsonl: the rows whose hypervisor is "Red Hat
# Enterprise Linux KVM" 5.4).  Such a row names only the host product's
# version, which a guest cannot see: it validates when the host version is
# stated (check --host-version, "host_version" in POST /check) or read from
# the vendor's own firmware, and never otherwise (docs/check.md).
#
# Depends on: nothing of this machine (descriptors are written here; the
# server listens on loopback).
. "$(dirname "$0")/../lib/tap.sh"
. "$SRC/tests/lib/server.sh"

export COVALID_DB="$TMP/c.db"
"$COVALID" catalog import "$SRC/data/products.jsonl" "$SRC/data/validated-configs.jsonl" >/dev/null
SEED="$SRC/data/validated-configs.jsonl"

# Every RHEL 5.4 KVM row of the seed, read from the data, not from us.
jq -c 'select(.hypervisor.product == "Red Hat Enterprise Linux KVM" and .hypervisor.version == "5.4")
	| {id, version: .guest.version, arch: .guest.arch[0], vcpus: .limits.max_vcpus,
	   vendors: ([.guest.vendor, .hypervisor.vendor] + .validated_by | unique)}' "$SEED" >"$TMP/rows"
check "the seed has the five Windows-on-RHEL-5.4-KVM rows" test "$(wc -l <"$TMP/rows")" -eq 5

# A Windows guest on KVM as a probe would describe it: SMBIOS of the era's
# KVM names no host product (virt-what's own kvm root: "Bochs").
descriptor() { # VERSION ARCH VCPUS
	jq -n --arg v "$1" --arg a "$2" --argjson n "$3" '{schema: "covalid.descriptor/1",
		hypervisor: {id: "kvm", product: null, version: null},
		guest: {os: {id: "windows", version: $v, name: ("Windows Server " + $v)}, arch: $a},
		vm: {vcpus: $n, memory_mib: 4096}}'
}

while read -r row; do
	id=$(printf '%s' "$row" | jq -r .id)
	v=$(printf '%s' "$row" | jq -r .version)
	a=$(printf '%s' "$row" | jq -r .arch)
	n=$(printf '%s' "$row" | jq -r .vcpus)
	vendors=$(printf '%s' "$row" | jq -c .vendors)
	descriptor "$v" "$a" "$n" >"$TMP/$id.json"

	expect_exit 1 "$id: without the host version, not validated" "$COVALID" check --descriptor "$TMP/$id.json" --json
	check "$id: reason host-version-unknown, nearest is the row" \
		test "$(jq -r '[.verdict, .reason, .nearest[0].id] | join(" ")' "$TMP/out")" = "not-validated host-version-unknown $id"
	check "$id: the summary says the host version is needed and how to state it" \
		sh -c "jq -r .summary '$TMP/out' | grep -q \"host's version is needed.*--host-version\""

	expect_exit 0 "$id: with --host-version 5.4, validated" "$COVALID" check --descriptor "$TMP/$id.json" --host-version 5.4 --json
	check "$id: the row matched, cooperative, by the guest's and the host's vendors" \
		test "$(jq -c '[.verdict, .matches[0].id, .support.cooperative, (.support.vendors | sort)]' "$TMP/out")" = "[\"validated\",\"$id\",true,$vendors]"
	check "$id: the answer says the host version was stated" \
		test "$(jq -r '.machine.hypervisor | [.version, .version_source] | join(" ")' "$TMP/out")" = "5.4 stated"

	expect_exit 1 "$id: with --host-version 5.5, not validated" "$COVALID" check --descriptor "$TMP/$id.json" --host-version 5.5 --json
	check "$id: reason hypervisor-version, naming the stated version" \
		test "$(jq -r '[.reason, .nearest[0].differences[0]] | join(" | ")' "$TMP/out")" = "hypervisor-version | host version 5.5 (stated); validated: Red Hat Enterprise Linux KVM 5.4"
done <"$TMP/rows"

W8="$TMP/rh-kvm5.4-win2k8-x86_64.json"

# Lifecycle: a 2009 validation of products whose support has ended says so.
# The dates are Microsoft's and Red Hat's (data/product-lifecycle.jsonl,
# each with its source), read from the data here.
W3="$TMP/rh-kvm5.4-win2k3-sp2-i686.json"
win3_end=$(jq -r 'select(.id == "win-2003") | .eol_date' "$SRC/data/products.jsonl")
rhel5_end=$(jq -r 'select(.id == "hv-rhel5.4-kvm") | .eol_date' "$SRC/data/products.jsonl")
expect_exit 0 "Windows Server 2003 SP2 on RHEL 5.4 KVM: validated (a fact)" "$COVALID" check --descriptor "$W3" --host-version 5.4 --json
check "but not current: the answer's lifecycle says so" \
	test "$(jq -c '.matches[0].lifecycle | [.current, .valid_from, .guest_end_of_support, .host_end_of_support]' "$TMP/out")" = "[false,\"2009-10\",\"$win3_end\",\"$rhel5_end\"]"
check "in words: validated in 2009; Windows Server 2003 support ended $win3_end" \
	sh -c "jq -r .matches[0].lifecycle.note '$TMP/out' | grep -q '^validated in 2009; Windows Server 2003 support ended $win3_end; Red Hat Enterprise Linux KVM 5.4 support ended $rhel5_end'"
check "and the summary does not pretend it is current" \
	sh -c "jq -r .summary '$TMP/out' | grep -q '^validated: .*; not current: validated in 2009'"
# Too many vCPUs for the row: the limit still holds with the host known.
jq --argjson n "$(jq -r 'select(.id == "rh-kvm5.4-win2k8-x86_64") | .limits.max_vcpus + 1' "$SEED")" '.vm.vcpus = $n' "$W8" >"$TMP/many.json"
expect_exit 1 "above the row's vCPU limit: not validated" "$COVALID" check --descriptor "$TMP/many.json" --host-version 5.4 --json
check "reason vcpus" test "$(jq -r .reason "$TMP/out")" = vcpus

# The version stated in the descriptor itself, as a client may send it.
jq '.hypervisor.version = "5.4" | .hypervisor.version_source = "stated"' "$W8" >"$TMP/stated.json"
expect_exit 0 "a descriptor that states the host version: validated" "$COVALID" check --descriptor "$TMP/stated.json"

# A version from firmware speaks for its own vendor's products only.  RHEV
# Hypervisor 2.1 was built on RHEL 5.4 and its SMBIOS names itself and
# that release ("Red Hat" / "RHEV Hypervisor" / "5.4-2.1..."; the RHEV-H
# 6.5 root in tests/fixtures/rhev-rhel65 shows the same form).
jq '.hypervisor.product = "Red Hat Enterprise Virtualization" | .hypervisor.version = "5.4-2.1.3.el5_4rhev2_1"
	| .hypervisor.version_source = "smbios"' "$W8" >"$TMP/rhevh.json"
expect_exit 0 "RHEV-H 5.4 firmware: the host version is read, validated" "$COVALID" check --descriptor "$TMP/rhevh.json"
jq '.hypervisor.product = "QEMU/KVM" | .hypervisor.version = "5.4" | .hypervisor.version_source = "smbios"' "$W8" >"$TMP/qemu.json"
expect_exit 1 "another vendor's firmware version is not the RHEL release" "$COVALID" check --descriptor "$TMP/qemu.json" --json
check "reason host-version-unknown" test "$(jq -r .reason "$TMP/out")" = host-version-unknown

# A Windows guest may report the kernel's version (Microsoft, "Operating
# System Version": Windows Server 2008 is 6.0, 2008 R2 6.1, 2003 5.2).
jq '.guest.os.version = "6.0.6002"' "$W8" >"$TMP/nt.json"
expect_exit 0 "Windows Server 2008 as NT 6.0.6002: validated with the host version" "$COVALID" check --descriptor "$TMP/nt.json" --host-version 5.4 --json
check "the 2008 row, not 2008 R2" test "$(jq -r '.matches[0].id' "$TMP/out")" = rh-kvm5.4-win2k8-x86_64

# What the catalog lacks is said plainly, not ranked against other guests.
jq '.guest.os = {id: "debian", version: "12", name: "Debian GNU/Linux"} | .guest.arch = "x86_64"' "$W8" >"$TMP/debian.json"
expect_exit 1 "a Debian guest: not validated" "$COVALID" check --descriptor "$TMP/debian.json" --json
check "the catalog has no configuration for this guest OS, named; no nearest" \
	test "$(jq -c '[.reason, .summary, (.nearest | length)]' "$TMP/out")" = '["guest-os-not-in-catalog","not validated: the catalog has no configuration for this guest OS, Debian GNU/Linux 12 (os id \"debian\")",0]'

expect_exit 2 "--host-version that is not a version: usage error" "$COVALID" check --descriptor "$W8" --host-version banana

# ---- the same over HTTP ----
program_db "$TMP/p.db"
if ! server_start "$TMP/p.db"; then
	not_ok "the server starts"
	diag "$(cat "$TMP/serve.err")"
	done_testing
	exit 1
fi
check_eval "POST /check without host_version: 200, host-version-unknown" \
	'[ "$(api POST /api/v1/check "$W8")" = 200 ] && [ "$(jq -r .reason "$TMP/resp")" = host-version-unknown ]'
jq '. + {host_version: "5.4"}' "$W8" >"$TMP/body.json"
check_eval 'POST /check with "host_version": "5.4": validated' \
	'[ "$(api POST /api/v1/check "$TMP/body.json")" = 200 ] && [ "$(jq -r "[.verdict, .matches[0].id] | join(\" \")" "$TMP/resp")" = "validated rh-kvm5.4-win2k8-x86_64" ]'
check_eval "POST /check?host_version=5.4: validated" \
	'[ "$(api POST "/api/v1/check?host_version=5.4" "$W8")" = 200 ] && [ "$(jq -r .verdict "$TMP/resp")" = validated ]'
check_eval "POST /check of a Debian guest: 200, guest-os-not-in-catalog, no nearest" \
	'[ "$(api POST /api/v1/check "$TMP/debian.json")" = 200 ] && [ "$(jq -c "[.verdict, .reason, (.nearest | length)]" "$TMP/resp")" = "[\"not-validated\",\"guest-os-not-in-catalog\",0]" ]'
jq '. + {host_version: "five"}' "$W8" >"$TMP/bad.json"
check_eval "a host_version that is not a version: 400 invalid_parameter" \
	'[ "$(api POST /api/v1/check "$TMP/bad.json")" = 400 ] && [ "$(err_code)" = invalid_parameter ]'
jq '. + {host_version: 5.4}' "$W8" >"$TMP/num.json"
check_eval "a host_version that is a number: 400 invalid_parameter" \
	'[ "$(api POST /api/v1/check "$TMP/num.json")" = 400 ] && [ "$(err_code)" = invalid_parameter ]'
server_stop
done_testing
