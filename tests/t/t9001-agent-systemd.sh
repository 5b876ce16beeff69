#!/bin/sh
# t9001-agent-systemd: the agent's systemd units (contrib/systemd/) are
# what systemd accepts (`systemd-analyze verify`, with no warning), run
# the agent as the documentation says (the daemon loops, the timer's
# service makes one report), and keep /proc, /sys and /dev/kmsg readable
# (no ProtectKernelLogs=, no PrivateDevices=: systemd.exec(5) says each
# hides /dev/kmsg).
#
# Depends on: systemd-analyze (Debian 12's systemd package; skipped, with
# the reason, where it is absent) and go-md2man (the units' man page, from
# scripts/setup.sh).  No running systemd is needed.
. "$(dirname "$0")/../lib/tap.sh"
UNITS="$SRC/contrib/systemd"

for u in covalid-agent.service covalid-agent-once.service covalid-agent.timer; do
	check "$u exists" test -f "$UNITS/$u"
done
grep -q '^ExecStart=/usr/local/bin/covalid agent run --state /var/lib/covalid-agent$' "$UNITS/covalid-agent.service"
check "the daemon runs the loop on /var/lib/covalid-agent" test $? -eq 0
check "... of Type=simple, with its StateDirectory= made private" \
	sh -c "grep -qx 'Type=simple' '$UNITS/covalid-agent.service' && grep -qx 'StateDirectory=covalid-agent' '$UNITS/covalid-agent.service' && grep -qx 'StateDirectoryMode=0700' '$UNITS/covalid-agent.service'"
check "the timer's service makes one report (--once), oneshot" \
	sh -c "grep -q '^ExecStart=/usr/local/bin/covalid agent run --once .*--state /var/lib/covalid-agent' '$UNITS/covalid-agent-once.service' && grep -qx 'Type=oneshot' '$UNITS/covalid-agent-once.service'"
check "the timer starts it" grep -qx 'Unit=covalid-agent-once.service' "$UNITS/covalid-agent.timer"
for u in covalid-agent.service covalid-agent-once.service; do
	check_eval "$u: hardened (NoNewPrivileges, ProtectSystem=strict, a capability bounding set)" \
		"grep -qx 'NoNewPrivileges=yes' '$UNITS/$u' && grep -qx 'ProtectSystem=strict' '$UNITS/$u' && grep -q '^CapabilityBoundingSet=' '$UNITS/$u'"
	check_eval "$u: /dev/kmsg stays readable (no ProtectKernelLogs=, no PrivateDevices=; DeviceAllow=/dev/kmsg r)" \
		"! grep -Eq '^(ProtectKernelLogs|PrivateDevices)=(yes|true|1)' '$UNITS/$u' && grep -qx 'DeviceAllow=/dev/kmsg r' '$UNITS/$u'"
	check_eval "$u: /proc and /sys stay readable (no ProtectProc=invisible, ProcSubset=pid, InaccessiblePaths=)" \
		"! grep -Eq '^(ProtectProc=invisible|ProcSubset=pid|InaccessiblePaths=)' '$UNITS/$u'"
done

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze verify accepts the units" "systemd-analyze is not installed (Debian: systemd)"
	done_testing
	exit
fi
# verify wants ExecStart='s program to exist: the units point at the
# covalid under test for this.
mkdir "$TMP/units"
for u in covalid-agent.service covalid-agent-once.service covalid-agent.timer; do
	sed "s|/usr/local/bin/covalid|$COVALID|" "$UNITS/$u" >"$TMP/units/$u"
done
# verify also runs man on each Documentation= page: the units name
# covalid-agent(1), made here from docs/man as make install makes it.
mkdir -p "$TMP/man/man1"
go-md2man -in "$SRC/docs/man/covalid-agent.1.md" -out "$TMP/man/man1/covalid-agent.1"
(cd "$TMP/units" && MANPATH="$TMP/man" systemd-analyze verify covalid-agent.service covalid-agent-once.service covalid-agent.timer) \
	>"$TMP/verify.out" 2>&1
rc=$?
check "systemd-analyze verify: exit 0" test "$rc" -eq 0
check "... and no warning (an unknown or misspelt key is only a warning)" test ! -s "$TMP/verify.out"
[ -s "$TMP/verify.out" ] && diag "$(cat "$TMP/verify.out")"
# The check itself sees a broken unit.
sed 's/^ProtectSystem=/ProtectSystm=/' "$TMP/units/covalid-agent.service" >"$TMP/units/broken.service"
(cd "$TMP/units" && MANPATH="$TMP/man" systemd-analyze verify broken.service) >"$TMP/broken.out" 2>&1
check "... a misspelt key is reported (the check can fail)" grep -q "Unknown key 'ProtectSystm'" "$TMP/broken.out"
done_testing
