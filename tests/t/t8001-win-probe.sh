#!/bin/sh
# t8001: the Windows guest binary (make win) under wine: it runs, probes
# the Windows that wine presents, captures and replays, replays every
# Windows fixture exactly as the Linux probe does, and shares the key
# format with Linux.
#
# Depends on: Debian's wine64 8.0 and build/win64/covalid.exe (tests/lib/
# wine.sh).  Expected Windows versions come from wine's own table
# (dlls/ntdll/version.c in wine 8.0: "win2003" is NT 5.2.3790 Service Pack
# 2, a server; "win2008" 6.0.6002 SP2, server; "win2008r2" 6.1.7601 SP1,
# server) read against Microsoft's "Operating System Version" table (5.2
# server = Windows Server 2003, 6.0 server = 2008, 6.1 server = 2008 R2).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/wine.sh"
wine_need

if wine_covalid --version >"$TMP/ver" 2>"$TMP/err" && grep -q covalid "$TMP/ver"; then
	ok "covalid.exe --version runs under wine"
else
	not_ok "covalid.exe --version runs under wine"
	diag "$(cat "$TMP/err")"
fi

# ---- the live probe, as each Windows Server version wine can pretend to be ----
for v in "win2003 2003 SP2 5.2.3790 win2k3" "win2008 2008 SP2 6.0.6002 win2k8" "win2008r2 2008 R2 SP1 6.1.7601 win2k8r2"; do
	set -- $v
	winver=$1
	case $winver in
	win2008r2) want_ver="2008 R2" sp=$4 kernel=$5 osinfo=$6 ;;
	*) want_ver=$2 sp=$3 kernel=$4 osinfo=$5 ;;
	esac
	"$WINE64" reg add 'HKCU\Software\Wine' /v Version /d "$winver" /f >/dev/null 2>&1
	if ! wine_covalid probe --json >"$TMP/live.json" 2>"$TMP/err"; then
		not_ok "probe --json as $winver exits 0"
		diag "$(cat "$TMP/err")"
		continue
	fi
	got=$(jq -c '[.guest.os.id, .guest.os.version, .guest.os.service_pack, .guest.kernel, .guest.os.osinfo, .guest.arch]' "$TMP/live.json")
	want=$(jq -nc --arg v "$want_ver" --arg sp "$sp" --arg k "$kernel" --arg o "$osinfo" '["windows", $v, $sp, $k, $o, "x86_64"]')
	if [ "$got" = "$want" ]; then
		ok "probe as $winver: Windows Server $want_ver $sp ($kernel, $osinfo), x86_64"
	else
		not_ok "probe as $winver"
		diag "got $got" "expected $want"
	fi
done
"$WINE64" reg delete 'HKCU\Software\Wine' /v Version /f >/dev/null 2>&1

# What wine's machine is: vCPUs and memory as Linux counts them (wine
# answers GetSystemInfo and GlobalMemoryStatusEx from this machine's).
check_eval "vm.vcpus is this machine's online CPUs ($(getconf _NPROCESSORS_ONLN))" \
	'[ "$(jq .vm.vcpus "$TMP/live.json")" = "$(getconf _NPROCESSORS_ONLN)" ]'
mem_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
check_eval "vm.memory_mib is within 1% of MemTotal ($mem_mib MiB)" \
	'jq -e --argjson m "$mem_mib" ".vm.memory_mib > \$m * 0.99 and .vm.memory_mib < \$m * 1.01" "$TMP/live.json" >/dev/null'
# The hypervisor verdict is this machine's: wine passes CPUID through.
if command -v systemd-detect-virt >/dev/null 2>&1; then
	sdv=$(systemd-detect-virt --vm 2>/dev/null)
	# systemd says "none" and covalid "none" alike; where systemd reads
	# a file wine does not present (DMI is read through SMBIOS on
	# Windows, which wine 8 does from /sys/class/dmi too), they agree.
	check_eval "the hypervisor is the one systemd-detect-virt --vm names ($sdv)" \
		'[ "$(jq -r .hypervisor.id "$TMP/live.json")" = "$sdv" ]'
else
	skip "the hypervisor is the one systemd-detect-virt names" "systemd-detect-virt is not installed"
fi

# ---- capture under wine, replay anywhere ----
rm -rf "$TMP/cap"
if wine_covalid probe --json --capture "$TMP/cap" >"$TMP/cap.json" 2>"$TMP/err" && [ -f "$TMP/cap/windows/os.json" ]; then
	ok "probe --capture writes windows/os.json and the other sources"
else
	not_ok "probe --capture writes windows/os.json and the other sources"
	diag "$(cat "$TMP/err")" "$(ls -R "$TMP/cap" 2>&1 | head -20)"
fi
wine_covalid probe --json --root "$TMP/cap" >"$TMP/replay-win.json" 2>"$TMP/err.win"
"$COVALID" probe --json --root "$TMP/cap" >"$TMP/replay-linux.json" 2>"$TMP/err.linux"
check "the capture replays the same under wine and on Linux" cmp -s "$TMP/replay-win.json" "$TMP/replay-linux.json"
strip='del(.probed_at, .probe_root)'
check_eval "... and says what the live probe said" \
	'[ "$(jq -S "$strip" "$TMP/cap.json")" = "$(jq -S "$strip" "$TMP/replay-linux.json")" ]'

# ---- every Windows fixture: the Windows probe and the Linux probe agree ----
n=0
for dir in "$SRC"/tests/fixtures/*/; do
	[ -f "$dir/root/windows/os.json" ] || continue
	n=$((n + 1))
	name=$(basename "$dir")
	"$COVALID" probe --json --root "$dir/root" >"$TMP/l.json" 2>&1
	wine_covalid probe --json --root "$dir/root" >"$TMP/w.json" 2>"$TMP/err"
	if cmp -s "$TMP/l.json" "$TMP/w.json"; then
		ok "$name: the Windows probe replays it byte for byte as the Linux probe"
	else
		not_ok "$name: the Windows probe replays it byte for byte as the Linux probe"
		diag "$(diff "$TMP/l.json" "$TMP/w.json" | head -20)" "$(head -3 "$TMP/err")"
	fi
done
check_eval "there are Windows fixtures (5 or more: $n)" '[ "$n" -ge 5 ]'

# ---- bad input: the same one-line errors as on Linux ----
for args in "probe --root $TMP/nonexistent" "probe --bogus" "key generate"; do
	"$COVALID" $args >/dev/null 2>"$TMP/l.err"
	lrc=$?
	wine_covalid $args >/dev/null 2>"$TMP/w.err"
	wrc=$?
	if [ "$lrc" -ne 0 ] && [ "$wrc" -eq "$lrc" ] && [ "$(wc -l <"$TMP/w.err")" -ge 1 ]; then
		ok "covalid $args: exit $wrc and a message, as on Linux"
	else
		not_ok "covalid $args: exit $wrc (Linux $lrc), as on Linux"
		diag "$(cat "$TMP/w.err")"
	fi
done

# ---- keys: one format on both ----
"$COVALID" key generate --out "$TMP/linux.key" >/dev/null
wine_covalid key generate --out "$TMP/win.key" >"$TMP/out" 2>"$TMP/err"
check "key generate under wine" test -s "$TMP/win.key.pub"
# (src/sign/sign.c: "ed25519:" and 32 bytes in base64; the secret key
# file's first line names its format.)
check_eval "... in Linux's format: ed25519:BASE64 and a named secret key file" \
	'grep -Eq "^ed25519:[A-Za-z0-9+/]{43}=\$" "$TMP/win.key.pub" && [ "$(head -1 "$TMP/win.key")" = "$(head -1 "$TMP/linux.key")" ]'
done_testing
