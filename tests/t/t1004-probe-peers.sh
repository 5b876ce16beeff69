#!/bin/sh
# t1004: agreement with the peers on this very machine: systemd-detect-virt
# (--vm and --container) and virt-what, mapped to our ids as documented in
# docs/probe.md ("Peers").
. "$(dirname "$0")/../lib/tap.sh"

"$COVALID" probe --json >"$TMP/me.json"
vm=$(jq -r .hypervisor.id "$TMP/me.json")
ct=$(jq -r .container.id "$TMP/me.json")

if command -v systemd-detect-virt >/dev/null; then
	theirs=$(systemd-detect-virt --vm 2>/dev/null || true)
	# Deliberate difference: when a paravirtual clock contradicts the CPUID
	# signature we follow the clock (rule paravirt-over-cpuid); systemd
	# follows CPUID.
	rule=$(jq -r '.hypervisor.evidence[] | select(.source == "verdict") | .value' "$TMP/me.json")
	case "$rule" in
	*paravirt-over-cpuid*) skip "hypervisor agrees with systemd-detect-virt --vm" "deliberate difference here: $rule (systemd says $theirs)" ;;
	*) if [ "$vm" = "$theirs" ]; then ok "hypervisor agrees with systemd-detect-virt --vm ($vm)"; else
		not_ok "hypervisor agrees with systemd-detect-virt --vm"; diag "covalid $vm, systemd-detect-virt $theirs"; fi ;;
	esac
	theirs=$(systemd-detect-virt --container 2>/dev/null || true)
	if [ "$ct" = "$theirs" ]; then ok "container agrees with systemd-detect-virt --container ($ct)"; else
		not_ok "container agrees with systemd-detect-virt --container"; diag "covalid $ct, systemd-detect-virt $theirs"; fi
else
	skip "hypervisor agrees with systemd-detect-virt --vm" "systemd-detect-virt is not installed"
	skip "container agrees with systemd-detect-virt --container" "systemd-detect-virt is not installed"
fi

if command -v virt-what >/dev/null && [ "$(id -u)" -eq 0 ]; then
	facts=$(virt-what 2>/dev/null || true)
	want=$(printf '%s\n' "$facts" | perl "$SRC/tests/lib/virt-what-map.pl")
	if [ "$vm" = "$want" ]; then ok "hypervisor agrees with virt-what ($vm)"; else
		not_ok "hypervisor agrees with virt-what"; diag "covalid $vm, virt-what says: $facts (maps to $want)"; fi
else
	skip "hypervisor agrees with virt-what" "virt-what is not installed or needs root"
fi
done_testing
