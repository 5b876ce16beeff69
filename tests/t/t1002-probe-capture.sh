#!/bin/sh
# t1002: capture and replay: `probe --capture DIR` then `probe --root DIR`
# gives the same report; a --root report holds nothing of the real machine.
#
# Depends on the machine only for what is captured: whatever this machine
# is, its replay must equal it.  Sources it may not read (as another user
# than root: PID 1's environment, the SMBIOS raw entry) are absent from
# both reports alike; their notes, which a replay cannot repeat, are left
# out of the comparison.  The start of the output says what was captured.
. "$(dirname "$0")/../lib/tap.sh"

strip='del(.probed_at, .root, .notes)'
if "$COVALID" probe --json --capture "$TMP/cap" >"$TMP/live.json" 2>"$TMP/err"; then
	ok "probe --capture exits 0"
	diag "this machine: $(jq -r '"hypervisor " + .hypervisor.id + ", container " + .container.id + ", " + (.notes | length | tostring) + " note(s)"' "$TMP/live.json"), uid $(id -u)"
else
	not_ok "probe --capture exits 0"
	diag "$(cat "$TMP/err")"
fi
"$COVALID" probe --json --root "$TMP/cap" >"$TMP/replay.json"
jq -S "$strip" "$TMP/live.json" >"$TMP/a"
jq -S "$strip" "$TMP/replay.json" >"$TMP/b"
if cmp -s "$TMP/a" "$TMP/b"; then
	ok "replay of the capture equals the live report"
else
	not_ok "replay of the capture equals the live report"
	diag "$(diff "$TMP/a" "$TMP/b" | head -40)"
fi
check "the replay says where it was read from" test "$(jq -r .root "$TMP/replay.json")" = "$TMP/cap"
check "a replay has no probe time" test "$(jq -r .probed_at "$TMP/replay.json")" = null
check "the live report has a probe time" sh -c "jq -r .probed_at '$TMP/live.json' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'"

# An empty root: nothing may come from the real machine.
mkdir "$TMP/empty"
"$COVALID" probe --json --root "$TMP/empty" >"$TMP/empty.json"
check "empty root: hypervisor unknown" test "$(jq -r .hypervisor.id "$TMP/empty.json")" = unknown
check "empty root: no kernel, arch, vCPUs or memory" test "$(jq -c '[.guest.kernel, .guest.arch, .vm.vcpus, .vm.memory_mib, .guest.os.id]' "$TMP/empty.json")" = '[null,null,null,null,null]'
check "empty root: no CPUID read" test "$(jq '[.hypervisor.evidence[] | select(.source | startswith("cpuid:"))] | length' "$TMP/empty.json")" = 0
check "empty root: the human report says unknown" sh -c "'$COVALID' probe --root '$TMP/empty' | grep -q '^hypervisor *unknown'"

# Absolute symlinks resolve inside the root, not on this machine.
mkdir -p "$TMP/abs/etc" "$TMP/abs/proc/sys/kernel" "$TMP/abs/srv"
printf 'ID=fixture\nVERSION_ID=1\n' >"$TMP/abs/srv/os-release"
ln -s /srv/os-release "$TMP/abs/etc/os-release"
ln -s /proc/sys/kernel/osrelease "$TMP/abs/proc/sys/kernel/arch"
"$COVALID" probe --json --root "$TMP/abs" >"$TMP/abs.json"
check "absolute symlink resolves inside the root" test "$(jq -r .guest.os.id "$TMP/abs.json")" = fixture
check "a link to a file the root lacks is absent, not the host's" test "$(jq -r .guest.arch "$TMP/abs.json")" = null
ln -s ../../../../../../../../etc/os-release "$TMP/abs/proc/escape"
check "dot-dot links cannot climb out of the root" test "$(jq -r .guest.os.id "$TMP/abs.json")" = fixture
done_testing
