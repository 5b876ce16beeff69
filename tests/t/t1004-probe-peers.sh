#!/bin/sh
# t1004: agreement with the peers on this very machine: systemd-detect-virt
# (--vm and --container) and virt-what (its hypervisor and container facts),
# mapped to our ids as documented in docs/probe.md ("Peers").
#
# What this test depends on, since it runs on whatever machine CI is (the
# start of its output says what it found):
# - the live machine: the answers differ from one machine to the next
#   (KVM: kvm from all three; Hyper-V: microsoft; bare metal: none; in a
#   container, the host's hypervisor and the container manager).  What
#   must hold everywhere is that covalid agrees with each peer, or differs
#   for a reason docs/probe.md lists as deliberate.  The exemptions are one
#   list for both peers (deliberate below), each decided from covalid's
#   own evidence of this run and the peer's answer, never from the
#   machine's name, and each printed as the reason of a skip:
#     * rule paravirt-over-cpuid: the kernel runs one hypervisor's
#       paravirtual clock while the CPUID signature names another (a
#       Firecracker VM whose signature says bhyve over kvm-clock); the
#       peers follow the signature, covalid the clock.  Accepted only when
#       the peer's answer is exactly what the signature names.
#     * Xen's dom0: a peer that says none where covalid (and virt-what)
#       say xen for the control domain (systemd does).
#     * a peer older than covalid's vocabulary: systemd-detect-virt --list
#       lacks covalid's id (systemd before v254 has no google), and the
#       peer names the family's hypervisor (kvm, xen) or vm-other.
#     * virt-what's virt, from a timing test covalid does not make.
#     * lxc-libvirt, which virt-what calls lxc.
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

if ! "$COVALID" probe --json >"$TMP/me.json" 2>"$TMP/err"; then
	not_ok "covalid probe runs on this machine"
	diag "$(cat "$TMP/err")"
	done_testing
	exit 1
fi
vm=$(jq -r .hypervisor.id "$TMP/me.json")
ct=$(jq -r .container.id "$TMP/me.json")
product=$(jq -r '.hypervisor.product // ""' "$TMP/me.json")
rule=$(jq -r '.hypervisor.evidence[] | select(.source == "verdict") | .value' "$TMP/me.json")
signature=$(jq -r '[.hypervisor.evidence[] | select(.source == "cpuid:0x40000000") | .suggests // empty][0] // ""' "$TMP/me.json")
diag "this machine: covalid says hypervisor $rule${product:+ ($product)}, container $ct; running as uid $(id -u)"

# Hypervisors whose own id an older peer lacks, and what it says instead
# (covalid's verdict.c same_family()).
family() {
	case "$1" in
	google) echo kvm ;;
	amazon) echo "kvm xen" ;;
	esac
}

# deliberate KIND PEER THEIRS [FACTS]: prints why covalid's answer (vm or
# ct) differs from PEER's THEIRS on purpose, or fails if the difference is
# not a deliberate one.  The same list for every peer.
deliberate() {
	kind=$1 peer=$2 theirs=$3 facts=${4:-}
	if [ "$kind" = vm ]; then
		case "$rule" in
		*"(rule paravirt-over-cpuid)"*)
			if [ -n "$signature" ] && [ "$theirs" = "$signature" ]; then
				echo "deliberate difference (docs/probe.md, rule paravirt-over-cpuid): the kernel runs $vm's paravirtual clock while the CPUID signature says $signature; covalid follows the clock, $peer the signature"
				return 0
			fi ;;
		esac
		if [ "$product" = "Xen dom0" ] && [ "$theirs" = none ]; then
			echo "deliberate difference (docs/probe.md): in Xen's dom0 $peer says none; covalid says xen, the control domain runs on Xen"
			return 0
		fi
		if [ "$peer" = systemd-detect-virt ] && ! systemd-detect-virt --list 2>/dev/null | grep -qx "$vm"; then
			for f in $(family "$vm") vm-other; do
				if [ "$theirs" = "$f" ]; then
					echo "this systemd-detect-virt has no id '$vm' (not in --list); it names it $theirs"
					return 0
				fi
			done
		fi
		if printf '%s\n' "$facts" | grep -qx virt && [ "$theirs" = vm-other ]; then
			echo "deliberate difference (docs/probe.md): virt-what's 'virt' comes from a timing test (ia64 rdtsc) that covalid does not make"
			return 0
		fi
	else
		if [ "$ct" = lxc-libvirt ] && [ "$theirs" = lxc ]; then
			echo "deliberate difference (docs/probe.md): libvirt's LXC containers are lxc-libvirt to systemd and covalid, lxc to $peer"
			return 0
		fi
	fi
	return 1
}

# compare KIND PEER THEIRS [SHOWN [FACTS]]
compare() {
	if [ "$1" = vm ]; then ours=$vm what=hypervisor; else ours=$ct what=container; fi
	if [ "$ours" = "$3" ]; then
		ok "$what agrees with $2 ($ours)"
	elif why=$(deliberate "$1" "$2" "$3" "${5:-}"); then
		skip "$what agrees with $2" "$why"
	else
		not_ok "$what agrees with $2"
		if [ "$1" = vm ]; then diag "covalid says $rule, $2 says ${4:-$3}"; else diag "covalid says $ct, $2 says ${4:-$3}"; fi
	fi
}

if command -v systemd-detect-virt >/dev/null; then
	diag "systemd-detect-virt $(systemd-detect-virt --version 2>/dev/null | head -1)"
	# It prints none and exits 1 when there is none; on an error it
	# prints nothing on stdout.
	for kind in vm ct; do
		if [ $kind = vm ]; then opt=--vm what=hypervisor; else opt=--container what=container; fi
		theirs=$(systemd-detect-virt $opt 2>"$TMP/sdv.err")
		if [ -n "$theirs" ]; then compare $kind systemd-detect-virt "$theirs"
		else skip "$what agrees with systemd-detect-virt" "systemd-detect-virt $opt failed: $(head -c 300 "$TMP/sdv.err")"; fi
	done
else
	skip "hypervisor agrees with systemd-detect-virt" "systemd-detect-virt is not installed"
	skip "container agrees with systemd-detect-virt" "systemd-detect-virt is not installed"
fi

if ! command -v virt-what >/dev/null; then
	skip "hypervisor agrees with virt-what" "virt-what is not installed"
	skip "container agrees with virt-what" "virt-what is not installed"
elif [ "$(id -u)" -ne 0 ]; then
	skip "hypervisor agrees with virt-what" "virt-what needs root (running as uid $(id -u))"
	skip "container agrees with virt-what" "virt-what needs root (running as uid $(id -u))"
elif ! facts=$(virt-what 2>"$TMP/vw.err"); then
	skip "hypervisor agrees with virt-what" "virt-what failed: $(head -c 300 "$TMP/vw.err")"
	skip "container agrees with virt-what" "virt-what failed: $(head -c 300 "$TMP/vw.err")"
else
	diag "virt-what $(virt-what --version 2>/dev/null) says: $(printf '%s' "$facts" | tr '\n' ' ')"
	[ -s "$TMP/vw.err" ] && diag "virt-what's complaints (it answered all the same): $(head -c 300 "$TMP/vw.err" | tr '\n' ' ')"
	for kind in vm ct; do
		if want=$(printf '%s\n' "$facts" | perl "$SRC/tests/lib/virt-what-map.pl" $([ $kind = ct ] && echo --container) 2>"$TMP/map.err"); then
			compare $kind virt-what "$want" "'$(printf '%s' "$facts" | tr '\n' ' ')' (maps to $want)" "$facts"
		else
			not_ok "virt-what's facts map to our ids ($kind)"
			diag "$(cat "$TMP/map.err")"
		fi
	done
fi
done_testing
