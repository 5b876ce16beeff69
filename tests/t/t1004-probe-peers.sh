#!/bin/sh
# t1004: agreement with the peers on this very machine: systemd-detect-virt
# (--vm and --container) and virt-what, mapped to our ids as documented in
# docs/probe.md ("Peers").
#
# What this test depends on, since it runs on whatever machine CI is:
# - the live machine: the answers differ from one machine to the next
#   (KVM: kvm from all three; Hyper-V: microsoft; bare metal: none; in a
#   container, the host's hypervisor and the container manager).  What
#   must hold everywhere is that covalid agrees with each peer, or differs
#   for a reason docs/probe.md lists as deliberate, checked from covalid's
#   own evidence of this run, never assumed from the machine's name:
#     * rule paravirt-over-cpuid: the kernel runs one hypervisor's
#       paravirtual clock while the CPUID signature names another (a
#       Firecracker VM whose signature says bhyve over kvm-clock); the
#       peers follow the signature, covalid the clock.  Accepted only when
#       the peer's answer is exactly what the signature names.
#     * Xen's dom0: systemd says none where covalid (and virt-what) say xen.
# - the peers being installed (each comparison is skipped without its peer);
# - root for virt-what (it refuses to run otherwise); as another user that
#   comparison is skipped.  covalid and systemd-detect-virt run either way:
#   both read the same world-readable sources for the hypervisor, and for
#   the container both try /run/host/container-manager,
#   /run/systemd/container and PID 1's environment, which only root (with
#   ptrace rights over PID 1) may read;
# - a peer that fails (an error rather than an answer) is skipped with its
#   error, not counted as a disagreement.
. "$(dirname "$0")/../lib/tap.sh"

"$COVALID" probe --json >"$TMP/me.json"
vm=$(jq -r .hypervisor.id "$TMP/me.json")
ct=$(jq -r .container.id "$TMP/me.json")
product=$(jq -r '.hypervisor.product // ""' "$TMP/me.json")
rule=$(jq -r '.hypervisor.evidence[] | select(.source == "verdict") | .value' "$TMP/me.json")
signature=$(jq -r '[.hypervisor.evidence[] | select(.source == "cpuid:0x40000000") | .suggests // empty][0] // ""' "$TMP/me.json")

# deliberate PEER THEIRS: prints why covalid's $vm differs from PEER's
# THEIRS on purpose, or fails if the difference is not a deliberate one.
deliberate() {
	case "$rule" in
	*"(rule paravirt-over-cpuid)"*)
		if [ -n "$signature" ] && [ "$2" = "$signature" ]; then
			echo "deliberate difference (docs/probe.md, rule paravirt-over-cpuid): the kernel runs $vm's paravirtual clock while the CPUID signature says $signature; covalid follows the clock, $1 the signature"
			return 0
		fi ;;
	esac
	if [ "$1" = systemd-detect-virt ] && [ "$product" = "Xen dom0" ] && [ "$2" = none ]; then
		echo "deliberate difference (docs/probe.md): in Xen's dom0 systemd says none; covalid says xen, the control domain runs on Xen"
		return 0
	fi
	return 1
}

# compare_vm PEER THEIRS [DETAIL]
compare_vm() {
	if [ "$vm" = "$2" ]; then
		ok "hypervisor agrees with $1 ($vm)"
	elif why=$(deliberate "$1" "$2"); then
		skip "hypervisor agrees with $1" "$why"
	else
		not_ok "hypervisor agrees with $1"
		diag "covalid says $rule, $1 says ${3:-$2}"
	fi
}

if command -v systemd-detect-virt >/dev/null; then
	# It prints none and exits 1 when there is none; on an error it
	# prints nothing on stdout.
	theirs=$(systemd-detect-virt --vm 2>"$TMP/sdv.err")
	if [ -n "$theirs" ]; then compare_vm systemd-detect-virt "$theirs"
	else skip "hypervisor agrees with systemd-detect-virt --vm" "systemd-detect-virt --vm failed: $(head -c 300 "$TMP/sdv.err")"; fi
	theirs=$(systemd-detect-virt --container 2>"$TMP/sdv.err")
	if [ -z "$theirs" ]; then
		skip "container agrees with systemd-detect-virt --container" "systemd-detect-virt --container failed: $(head -c 300 "$TMP/sdv.err")"
	elif [ "$ct" = "$theirs" ]; then ok "container agrees with systemd-detect-virt --container ($ct)"; else
		not_ok "container agrees with systemd-detect-virt --container"; diag "covalid $ct, systemd-detect-virt $theirs"; fi
else
	skip "hypervisor agrees with systemd-detect-virt --vm" "systemd-detect-virt is not installed"
	skip "container agrees with systemd-detect-virt --container" "systemd-detect-virt is not installed"
fi

if ! command -v virt-what >/dev/null; then
	skip "hypervisor agrees with virt-what" "virt-what is not installed"
elif [ "$(id -u)" -ne 0 ]; then
	skip "hypervisor agrees with virt-what" "virt-what needs root (running as uid $(id -u))"
elif ! facts=$(virt-what 2>"$TMP/vw.err"); then
	skip "hypervisor agrees with virt-what" "virt-what failed: $(head -c 300 "$TMP/vw.err")"
else
	want=$(printf '%s\n' "$facts" | perl "$SRC/tests/lib/virt-what-map.pl")
	compare_vm virt-what "$want" "'$(printf '%s' "$facts" | tr '\n' ' ')' (maps to $want)"
fi
done_testing
