#!/bin/sh
# t8001: the Windows guest binary (make win) under wine: it runs, probes
# the Windows that wine presents, captures and replays, replays every
# Windows fixture exactly as the Linux probe does, and shares the key
# format with Linux.
#
# Depends on: Debian's wine64 8.0 and build/win64/covalid.exe (tests/lib/
# wine.sh); for the vCPU count, a machine of at most 64 CPUs (one Windows
# processor group) whose CPUs are all this process's (no cpuset narrowing).  Expected Windows versions come from what RtlGetVersion
# answered, read by Microsoft's "Operating System Version" table (below).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/wine.sh"
wine_need
# The Windows version this test sets is the prefix's: undone on any exit,
# so no later test file meets it.
trap '"$WINE64" reg delete "HKCU\\Software\\Wine" /v Version /f >/dev/null 2>&1; "$WINESERVER" -k >/dev/null 2>&1; rm -rf "$TMP"' EXIT

if wine_covalid --version >"$TMP/ver" 2>"$TMP/err" && grep -q covalid "$TMP/ver"; then
	ok "covalid.exe --version runs under wine"
else
	not_ok "covalid.exe --version runs under wine"
	diag "$(cat "$TMP/err")"
fi

# ---- the live probe, as each Windows version wine can pretend to be ----
# The oracle is Microsoft's "Operating System Version" table applied to
# what RtlGetVersion answered (the capture's windows/os.json): NT 5.2 on a
# server (product type 2 or 3) is Windows Server 2003, 6.0 2008, 6.1
# 2008 R2; 6.1 on a workstation (product type 1) is Windows 7.  Not wine's
# names: Debian's wine 8.0 answers its "win2008r2" setting as a
# workstation and "win7" as a server (observed here), and the probe must
# say what the system reports, as it would on Windows.
seen=""
for winver in win2003 win2008 win7 win2008r2; do
	"$WINE64" reg add 'HKCU\Software\Wine' /v Version /d "$winver" /f >/dev/null 2>&1
	rm -rf "$TMP/v"
	if ! wine_covalid probe --json --capture "$TMP/v" >"$TMP/live.json" 2>"$TMP/err"; then
		not_ok "probe --json as $winver exits 0"
		diag "$(cat "$TMP/err")"
		continue
	fi
	rtl=$(jq -r '.rtl | "\(.major).\(.minor) \(.build) \(.product_type) \(.sp_major)"' "$TMP/v/windows/os.json")
	set -- $rtl
	case "$1 $3" in
	"5.2 2" | "5.2 3") want_ver="2003" osinfo=win2k3 ;;
	"6.0 2" | "6.0 3") want_ver="2008" osinfo=win2k8 ;;
	"6.1 2" | "6.1 3") want_ver="2008 R2" osinfo=win2k8r2 ;;
	"6.1 1") want_ver="7" osinfo=win7 ;;
	*) want_ver="?" osinfo="?" ;;
	esac
	[ "$4" -gt 0 ] && sp="SP$4" || sp=""
	got=$(jq -c '[.guest.os.id, .guest.os.version, .guest.os.service_pack // "", .guest.kernel, .guest.os.osinfo, .guest.arch]' "$TMP/live.json")
	want=$(jq -nc --arg v "$want_ver" --arg sp "$sp" --arg k "$1.$2" --arg o "$osinfo" '["windows", $v, $sp, $k, $o, "x86_64"]')
	if [ "$got" = "$want" ]; then
		ok "probe as wine's $winver (NT $1.$2, product type $3): Windows $want_ver $sp, $osinfo, x86_64"
		seen="$seen|$want_ver"
	else
		not_ok "probe as wine's $winver (NT $1.$2, product type $3)"
		diag "got $got" "expected $want"
	fi
done
"$WINE64" reg delete 'HKCU\Software\Wine' /v Version /f >/dev/null 2>&1
check_eval "the live probe named Windows Server 2003, 2008 and 2008 R2 ($seen)" \
	'case "$seen|" in *"|2003|"*) ;; *) false ;; esac && case "$seen|" in *"|2008|"*) ;; *) false ;; esac &&
	 case "$seen|" in *"|2008 R2|"*) ;; *) false ;; esac'

# What wine's machine is: vCPUs and memory as Linux counts them (wine
# answers GetSystemInfo and GlobalMemoryStatusEx from this machine's).
check_eval "vm.vcpus is this machine's online CPUs ($(getconf _NPROCESSORS_ONLN))" \
	'[ "$(jq .vm.vcpus "$TMP/live.json")" = "$(getconf _NPROCESSORS_ONLN)" ]'
mem_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
check_eval "vm.memory_mib is within 1% of MemTotal ($mem_mib MiB)" \
	'jq -e --argjson m "$mem_mib" ".vm.memory_mib > \$m * 0.99 and .vm.memory_mib < \$m * 1.01" "$TMP/live.json" >/dev/null'
# The hypervisor: wine runs CPUID natively, so the Windows probe reads the
# very leaves the Linux probe reads on this machine, and records them
# alike.  Its verdict follows the signature at 0x40000000 (rule cpuid) or,
# where a rule above it applies (SMBIOS first for VirtualBox, Xen, Amazon,
# Parallels, Google), says so in a conflict naming that source.  (The Linux
# probe may decide otherwise on this machine from what wine does not show a
# Windows program: kvm-clock, PCI devices; so its verdict is not the
# oracle, its CPUID evidence is.)
"$COVALID" probe --json >"$TMP/linux-live.json" 2>/dev/null
cpuid_ev='[.hypervisor.evidence[] | select(.source | startswith("cpuid:")) | [.source, .value]]'
check_eval "the Windows probe's CPUID evidence is the Linux probe's, leaf for leaf" \
	'[ "$(jq -c "$cpuid_ev" "$TMP/live.json")" = "$(jq -c "$cpuid_ev" "$TMP/linux-live.json")" ] && [ "$(jq -c "$cpuid_ev | length" "$TMP/live.json")" -gt 0 ]'
sig=$(jq -r '[.hypervisor.evidence[] | select(.source == "cpuid:0x40000000") | .suggests // empty][0] // empty' "$TMP/linux-live.json")
if [ -z "$sig" ]; then
	skip "the verdict follows the CPUID signature" "this machine's CPU shows no hypervisor signature (bare metal, or the bit is clear)"
else
	check_eval "the verdict follows the CPUID signature ($sig), or a conflict says which source won" \
		'jq -e --arg s "$sig" ".hypervisor.id == \$s or ([.hypervisor.conflicts[] | select(.sources | index(\"cpuid:0x40000000\"))] | length > 0)" "$TMP/live.json" >/dev/null'
fi

# ---- files.json: an integration service's image, opened and read ----
# A service named as virtio-win's NIC driver (netkvm) whose image is
# wine's conhost.exe: files.json gives its path and the version of its
# VS_FIXEDFILEINFO.  The oracle is the file's own StringFileInfo
# "FileVersion" string (read by strings(1), not by covalid), which wine's
# resources state alike.  Redirection is off only while the image is
# opened and mapped (collect-services.c); a file read then must still
# reach the signature check, which answers "not signed" for wine's.
conhost="$WINEPREFIX/drive_c/windows/system32/conhost.exe"
want_fv=$(strings -el "$conhost" 2>/dev/null | grep -A1 -x FileVersion | sed -n 2p)
"$WINE64" sc delete netkvm >/dev/null 2>&1
if [ -n "$want_fv" ] && "$WINE64" sc create netkvm binPath= 'C:\windows\system32\conhost.exe' start= demand >/dev/null 2>&1; then
	rm -rf "$TMP/files"
	wine_covalid probe --json --capture "$(wine_path "$TMP/files")" >/dev/null 2>"$TMP/err"
	check_eval "files.json: netkvm's image conhost.exe, version $want_fv, not signed" \
		'jq -e --arg v "$want_fv" "[.[] | select(.path | ascii_downcase == \"c:\\\\windows\\\\system32\\\\conhost.exe\")] | length == 1 and .[0].version == \$v and .[0].signed == false" "$TMP/files/windows/files.json" >/dev/null'
	"$WINE64" sc delete netkvm >/dev/null 2>&1
else
	not_ok "files.json: a service netkvm can be created under wine (FileVersion '$want_fv')"
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
strip='del(.probed_at, .root)'
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
