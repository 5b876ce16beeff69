#!/bin/sh
# t4006: a signed test log from a Windows guest, submitted to the real
# server, makes a Windows-guest configuration (docs/server.md, "Windows
# guests"); another service pack of the same guest makes another; and
# `covalid check` of the guest says validated against it.
#
# The log is this machine's own kit log (covalid kit run --quick) with
# its descriptor made a Windows guest's and its claim written from that
# descriptor, as the kit writes it, then signed again with covalid kit
# sign (as t4002 forges its logs): so this test needs no Windows and no
# wine.  The guest: Windows Server 2008 R2 Enterprise SP1 x64 (NT 6.1:
# Microsoft, "Operating System Version"; build 7601, 7600 being the
# release without a service pack, the two builds data/validated-configs.jsonl
# lists for Windows Server 2008 R2 Hyper-V) on RHEL KVM with the
# virtio-win drivers.  Its firmware says
# "Red Hat" / "KVM" (src/probe/verdict.c: "Red Hat KVM") and names no
# host release, so the claim has no hypervisor version.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/server.sh"
trap 'server_stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
server_begin "$DB"
O="--server $URL --token-file $TMP/owner.token"
V="--server $URL --token-file $TMP/vendor.token"

"$COVALID" key generate --out "$TMP/vendor.key" >/dev/null &&
	"$COVALID" admin vendor add "Example Virt" --id example $O >/dev/null &&
	"$COVALID" admin key add example "$TMP/vendor.key.pub" $O >/dev/null &&
	"$COVALID" admin token issue --vendor example --out "$TMP/vendor.token" $O >/dev/null
check "a vendor with a key and a token" test -s "$TMP/vendor.token"
cat >"$TMP/policy.json" <<'EOF'
{"schema": "covalid.policy/1", "modes": ["quick", "full"],
 "rules": [{"name": "smoke", "guest": "*", "hypervisor": "*",
            "required": ["env.fingerprint", "cpu.topology", "time.monotonic"], "may_skip": []}]}
EOF
expect_exit 0 "the owner sets t4002's smoke policy" "$COVALID" admin policy set "$TMP/policy.json" $O

"$COVALID" kit run --quick --only env,cpu,time --sign "$TMP/vendor.key" --out "$TMP/linux.json" >"$TMP/kit.out" 2>&1
check "a real kit log of this machine" sh -c "jq -e '[.results[].id] | index(\"env.fingerprint\") and index(\"cpu.topology\") and index(\"time.monotonic\")' '$TMP/linux.json' >/dev/null"

# The guest as the Windows probe describes it (docs/descriptor.md, Windows).
WINDOWS='.descriptor.hypervisor |= (.id = "kvm" | .product = "Red Hat KVM" | .version = null | .version_source = null
    | .build = null | .evidence = [] | .conflicts = [])
  | .descriptor.guest = {os: {id: "windows", version: "2008 R2", name: "Windows Server 2008 R2 Enterprise",
    pretty: "Windows Server 2008 R2 Enterprise Service Pack 1 (6.1.7601)", osinfo: "win2k8r2",
    source: "windows/os.json", service_pack: "SP1", edition: "Enterprise"}, kernel: "6.1.7601", arch: "x86_64"}
  | .descriptor.vm |= (.vcpus = 2 | .vcpus_possible = 2 | .memory_mib = 4096 | .firmware = "bios"
    | .disks = [{name: "Red Hat VirtIO SCSI controller", driver: "viostor", bus: "pci", model: null}]
    | .nics = [{name: "Red Hat VirtIO Ethernet Adapter", driver: "netkvm", bus: "pci", model: null}])
  | .descriptor.integration |= (.expected = ["virtio_net", "virtio_storage", "virtio_balloon"]
    | .present = ["virtio_net", "virtio_storage", "virtio_balloon"] | .missing = [] | .unbound = []
    | .recommended = ["qemu-guest-agent"] | .recommended_missing = ["qemu-guest-agent"]
    | .evidence = [{source: "windows/services.json:netkvm", value: "running", meaning: "virtio_net: netkvm bound to PCI\\VEN_1AF4&DEV_1000", suggests: null}])'
CLAIM_FROM_DESCRIPTOR='.claim = {guest: {os_id: .descriptor.guest.os.id, version: .descriptor.guest.os.version,
  osinfo: .descriptor.guest.os.osinfo, arch: .descriptor.guest.arch},
  hypervisor: {id: .descriptor.hypervisor.id, product: .descriptor.hypervisor.product,
  version: .descriptor.hypervisor.version, build: .descriptor.hypervisor.build},
  vm: {vcpus: .descriptor.vm.vcpus, memory_mib: .descriptor.vm.memory_mib}}'
# The smoke policy's three checks, passed with values src/testlog/derive.c
# (threshold version 1) derives as passing: the claim's hypervisor and
# product, every vCPU online, no clock inversion.
PASSING='. as $log | .results |= map(select(.id | IN("env.fingerprint", "cpu.topology", "time.monotonic"))
  | .status = "pass" | .reason = null
  | if .id == "env.fingerprint" then .measured.hypervisor = $log.claim.hypervisor.id | .measured.product = $log.claim.hypervisor.product
    elif .id == "cpu.topology" then .measured.online = 2 | .measured.present = 2
    else .measured.samples = 1000 | .measured.inversions = 0 end)'
windows_log() {	# windows_log OUT EXTRA-JQ: the Windows guest's log, signed
	jq -c "$WINDOWS | $2 | $CLAIM_FROM_DESCRIPTOR | $PASSING" "$TMP/linux.json" >"$1" &&
		"$COVALID" kit sign "$1" --key "$TMP/vendor.key" >/dev/null
}

windows_log "$TMP/sp1.json" '.'
check "the Windows log verifies" "$COVALID" kit verify "$TMP/sp1.json" --pubkey "$TMP/vendor.key.pub"
expect_exit 0 "covalid submit of the Windows Server 2008 R2 SP1 log: accepted" "$COVALID" submit "$TMP/sp1.json" $V
config=$(sed -n 's/^configuration \([^ ]*\) (new)$/\1/p' "$TMP/out")
check "... a new configuration, its id naming the service pack ($config)" \
	test "$config" = "example:kvm-any-windows2008_R2-sp1-x86_64"

curl -sf "$URL/api/v1/configurations/$config" >"$TMP/c.json"
check "GET: a Windows-guest configuration, Microsoft's Windows Server 2008 R2 at SP1" \
	test "$(jq -c '.configuration.guest | [.vendor, .product, .os_id, .version, .service_pack, .osinfo_short_id, .arch, .editions]' "$TMP/c.json")" = \
	'["Microsoft","Windows Server 2008 R2","windows","2008 R2","SP1","win2k8r2",["x86_64"],["Enterprise"]]'
check "... validated by the vendor, on Red Hat's KVM, with the log as evidence" \
	test "$(jq -c '.configuration | [.status, .validated_by, .hypervisor.vendor, .hypervisor.ids, (.evidence | length)]' "$TMP/c.json")" = \
	'["validated",["Example Virt"],"Red Hat",["kvm"],1]'
check "... requiring the virtio-win drivers the guest had bound" \
	test "$(jq -c '.configuration.required_components' "$TMP/c.json")" = '["virtio_net","virtio_storage","virtio_balloon"]'
check "a catalog search for Windows guests finds it" \
	sh -c "curl -sf '$URL/api/v1/configurations?guest=windows&vendor=example' | jq -e '[.items[].id] == [\"$config\"]' >/dev/null"

# The same guest as released, without a service pack (build 7600): not
# folded into the SP1 configuration, which it would otherwise widen.
windows_log "$TMP/rtm.json" '.descriptor.guest.os.service_pack = null | .descriptor.guest.kernel = "6.1.7600"
  | .descriptor.guest.os.pretty = "Windows Server 2008 R2 Enterprise (6.1.7600)" | .started_at = "2026-11-20T10:00:00Z"'
expect_exit 0 "the same guest without a service pack: accepted" "$COVALID" submit "$TMP/rtm.json" $V
rtm=$(sed -n 's/^configuration \([^ ]*\) (new)$/\1/p' "$TMP/out")
check "... as a configuration of its own ($rtm)" test "$rtm" = "example:kvm-any-windows2008_R2-rtm-x86_64"
check "... which holds no service pack" \
	sh -c "curl -sf '$URL/api/v1/configurations/$rtm' | jq -e '.configuration.guest | has(\"service_pack\") | not' >/dev/null"
check "the SP1 configuration still has its one log" \
	sh -c "curl -sf '$URL/api/v1/configurations/$config' | jq -e '(.configuration.evidence | length) == 1' >/dev/null"

# SP1 again, Datacenter this time: extends the SP1 configuration.
windows_log "$TMP/dc.json" '.descriptor.guest.os.edition = "Datacenter" | .descriptor.guest.os.name = "Windows Server 2008 R2 Datacenter"
  | .started_at = "2026-11-20T11:00:00Z"'
expect_exit 0 "SP1 Datacenter: accepted" "$COVALID" submit "$TMP/dc.json" $V
check "... extending the SP1 configuration" grep -q "^configuration $config (extended)" "$TMP/out"
check "... two logs, two editions" \
	sh -c "curl -sf '$URL/api/v1/configurations/$config' | jq -e '(.configuration.evidence | length) == 2 and .configuration.guest.editions == [\"Enterprise\", \"Datacenter\"]' >/dev/null"

# Bad input: a service pack the catalog cannot hold is 400, naming the field.
windows_log "$TMP/bad.json" '.descriptor.guest.os.service_pack = "Service Pack 1" | .started_at = "2026-11-20T12:00:00Z"'
status=$(api POST /api/v1/submissions "$TMP/bad.json" "$TMP/vendor.token")
check "a descriptor's service pack 'Service Pack 1': 400 invalid_log naming it ($status)" \
	sh -c "[ '$status' = 400 ] && jq -e '.error.message == \"descriptor.guest.os.service_pack: '\"'\"'Service Pack 1'\"'\"' is not a service pack (SP1 to SP99)\"' '$TMP/resp' >/dev/null"

server_stop
expect_exit 0 "covalid catalog show: the configuration, service pack SP1" "$COVALID" catalog show "$config" --db "$DB"
check "... 'service pack SP1'" grep -Eq '^  service pack +SP1$' "$TMP/out"

# covalid check of the guest (its descriptor) against the server's database.
jq '.descriptor' "$TMP/sp1.json" >"$TMP/desc.json"
expect_exit 0 "covalid check of the SP1 guest: validated (exit 0)" "$COVALID" check --db "$DB" --descriptor "$TMP/desc.json" --json
check "... against the submitted configuration, with no difference" \
	sh -c "jq -e '.verdict == \"validated\" and ([.matches[] | select(.id == \"$config\") | .differences] == [[]])' '$TMP/out' >/dev/null"
jq '.descriptor' "$TMP/rtm.json" >"$TMP/desc-rtm.json"
"$COVALID" check --db "$DB" --descriptor "$TMP/desc-rtm.json" --json >"$TMP/check-rtm.json"
check "the guest without a service pack matches its own configuration, not the SP1 one" \
	test "$(jq -c '[.verdict, ([.matches[].id] | index("'"$rtm"'") != null), ([.matches[].id] | index("'"$config"'"))]' "$TMP/check-rtm.json")" = '["validated",true,null]'
done_testing
