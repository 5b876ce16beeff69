#!/bin/sh
# t8003: a test log the Windows kit wrote and signed (under wine) goes to
# the real program server unchanged and makes a Windows-guest
# configuration, as the seed asks: "once Red Hat submits test logs
# indicating that Windows Server 2008 runs properly ... the specific
# version ... along with parameters of the virtual machine tested will be
# posted".
#
# Depends on: wine64 and build/win64/covalid.exe (tests/lib/wine.sh), a
# real `covalid serve` (tests/lib/server.sh), and a virtual machine: on
# bare metal a log says "no hypervisor", which no programme validates, so
# the test stops there with that reason.  Wine is told to be Windows
# Server 2008 (its "win2008" setting: NT 6.0.6002 SP2, a server, as
# t8001 checks); the hypervisor is whatever this machine runs on, so the
# configuration's hypervisor is read back from the log, not assumed.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/wine.sh"
. "$(dirname "$0")/../lib/server.sh"
wine_need
jqe() { jq -e "$@" >/dev/null; }
trap 'server_stop >/dev/null 2>&1; "$WINE64" reg delete "HKCU\\Software\\Wine" /v Version /f >/dev/null 2>&1
	"$WINESERVER" -k >/dev/null 2>&1; rm -rf "$TMP"' EXIT

DB="$TMP/program.db"
server_begin "$DB"
O="--server $URL --token-file $TMP/owner.token"
V="--server $URL --token-file $TMP/vendor.token"

# The vendor's key is made on Windows: the server and Linux's verify take it.
wine_covalid key generate --out "$TMP/vendor.key" >/dev/null 2>"$TMP/err"
check "the vendor generates its key on Windows" test -s "$TMP/vendor.key.pub"
expect_exit 0 "the owner admits the vendor" "$COVALID" admin vendor add "Red Hat" --id red-hat $O
expect_exit 0 "... registers its Windows-made public key" "$COVALID" admin key add red-hat "$TMP/vendor.key.pub" $O
expect_exit 0 "... and issues it a token" "$COVALID" admin token issue --vendor red-hat --out "$TMP/vendor.token" $O
# A smoke programme like t4002's: quick runs, three checks required, each
# one that genuinely passes under wine.  Not cpu.topology (t4002's third):
# on Windows its "present" is the firmware's ACPI MADT, which wine does not
# have, so there it skips (src/kit/win/check-cpu.c); mem.pattern instead.
cat >"$TMP/policy.json" <<'EOF'
{"schema": "covalid.policy/1", "modes": ["quick", "full"],
 "rules": [{"name": "smoke", "guest": "*", "hypervisor": "*",
            "required": ["env.fingerprint", "time.monotonic", "mem.pattern"], "may_skip": []}]}
EOF
expect_exit 0 "the owner sets the smoke policy" "$COVALID" admin policy set "$TMP/policy.json" $O

"$WINE64" reg add 'HKCU\Software\Wine' /v Version /d win2008 /f >/dev/null 2>&1
wine_covalid kit run --quick --sign "$TMP/vendor.key" --out "$TMP/win.json" >"$TMP/kit.out" 2>&1
rc=$?
check "the Windows kit runs --quick and signs its log (exit $rc)" test -s "$TMP/win.json"
check "... a Windows Server 2008 SP2 guest's log" \
	jqe '.descriptor.guest.os.id == "windows" and .descriptor.guest.os.version == "2008" and .descriptor.guest.os.service_pack == "SP2"' "$TMP/win.json"
expect_exit 0 "Linux's covalid kit verify accepts it" "$COVALID" kit verify "$TMP/win.json" --pubkey "$TMP/vendor.key.pub"
hv=$(jq -r .descriptor.hypervisor.id "$TMP/win.json")
if [ "$hv" = none ]; then
	skip "the submission of the Windows log" "this machine is bare metal: its log says no hypervisor, which a programme never validates"
	done_testing
	exit $?
fi

expect_exit 0 "covalid submit: the Windows log is accepted" "$COVALID" submit "$TMP/win.json" $V
config=$(sed -n 's/^configuration \([^ ]*\) (new)$/\1/p' "$TMP/out")
check "... into a configuration ($config)" test -n "$config"
curl -sf "$URL/api/v1/configurations/$config" >"$TMP/config.json"
check "... of Microsoft's Windows Server 2008 SP2, x86_64, on this machine's hypervisor ($hv)" \
	jqe --arg hv "$hv" '.configuration | .guest.vendor == "Microsoft" and .guest.os_id == "windows"
	  and .guest.version == "2008" and .guest.service_pack == "SP2" and .guest.arch == ["x86_64"]
	  and .guest.osinfo_short_id == "win2k8" and (.hypervisor.ids | index($hv) != null)' "$TMP/config.json"
check "... validated by the vendor, with the log as its evidence" \
	jqe '.configuration.validated_by == ["Red Hat"] and (.configuration.evidence | length) == 1' "$TMP/config.json"
check "... whose vCPUs are the log's" \
	jqe --slurpfile log "$TMP/win.json" '.configuration.limits.max_vcpus == $log[0].descriptor.vm.vcpus' "$TMP/config.json"

"$WINE64" reg delete 'HKCU\Software\Wine' /v Version /f >/dev/null 2>&1

# covalid check of the guest's own descriptor: validated, by this configuration.
server_stop
jq .descriptor "$TMP/win.json" >"$TMP/guest.json"
"$COVALID" check --db "$DB" --descriptor "$TMP/guest.json" --json >"$TMP/check.json" 2>"$TMP/err"
check "covalid check of the Windows guest: validated by $config, no difference" \
	jqe --arg c "$config" '.verdict == "validated" and ([.matches[] | select(.id == $c) | .differences] == [[]])' "$TMP/check.json"
done_testing
