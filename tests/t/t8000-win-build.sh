#!/bin/sh
# t8000: the Windows guest binaries (make win) are what a Windows Server
# 2003 SP2 guest can run: PE executables of the right machine, needing only
# DLLs every Windows has, and importing no function that first came with
# Windows Vista / Server 2008 or later (those are looked up at run time
# with GetProcAddress, with a fallback, so they never appear as imports).
#
# Depends on: build/win64/covalid.exe and build/win32/covalid.exe (make
# win), objdump from Debian's binutils-mingw-w64 (installed with the
# compilers).  No wine: this holds for the x86 binary too, which cannot
# run here.
#
# The denied functions are those whose Microsoft documentation gives
# "Minimum supported server: Windows Server 2008" or later (Vista's
# threading primitives, GetTickCount64, processor groups, the Vista event
# log API in wevtapi.dll, bcrypt.dll, WSAPoll, inet_pton/inet_ntop, ...);
# the allowed DLLs are those of Windows Server 2003 itself.
. "$(dirname "$0")/../lib/tap.sh"
: "${COVALID_BUILD:=$(dirname "$COVALID")}"
WIN_DIR=$(dirname "${COVALID_WIN:-$COVALID_BUILD/win64/covalid.exe}")/..
OBJDUMP=x86_64-w64-mingw32-objdump

DENIED="GetTickCount64 InitializeConditionVariable SleepConditionVariableCS SleepConditionVariableSRW
WakeConditionVariable WakeAllConditionVariable InitializeSRWLock AcquireSRWLockExclusive
AcquireSRWLockShared ReleaseSRWLockExclusive ReleaseSRWLockShared InitOnceExecuteOnce InitOnceBeginInitialize
GetActiveProcessorCount GetActiveProcessorGroupCount GetMaximumProcessorCount SetThreadGroupAffinity
GetThreadGroupAffinity GetLogicalProcessorInformationEx GetCurrentProcessorNumberEx GetFirmwareType
GetFileInformationByHandleEx SetFileInformationByHandle GetFinalPathNameByHandleA GetFinalPathNameByHandleW
CreateSymbolicLinkA CreateSymbolicLinkW QueryFullProcessImageNameA QueryFullProcessImageNameW CancelIoEx
GetProductInfo CreateEventExA CreateEventExW GetSystemTimePreciseAsFileTime IsWow64Process2
InitializeProcThreadAttributeList WSAPoll inet_pton inet_ntop InetPtonA InetNtopA EvtQuery EvtNext EvtRender
BCryptGenRandom GetErrorMode RegGetValueA RegGetValueW GetIfEntry2 GetIfTable2 ConvertInterfaceIndexToLuid
NotifyIpInterfaceChange"
ALLOWED_DLLS="kernel32.dll msvcrt.dll advapi32.dll ntdll.dll setupapi.dll version.dll wintrust.dll
crypt32.dll ws2_32.dll user32.dll iphlpapi.dll"

for arch in win64 win32; do
	exe="$WIN_DIR/$arch/covalid.exe"
	case $arch in win64) machine="x86-64" ;; *) machine="i386" ;; esac
	if [ ! -f "$exe" ]; then
		if [ "${COVALID_REQUIRE_WIN:-0}" = 1 ]; then
			not_ok "$arch: $exe is built (make win)"
		else
			skip "$arch: $exe" "not built (make win)"
		fi
		continue
	fi
	if ! command -v "$OBJDUMP" >/dev/null 2>&1; then
		not_ok "$arch: $OBJDUMP is installed (binutils-mingw-w64, with the compilers)"
		continue
	fi
	"$OBJDUMP" -p "$exe" >"$TMP/pe" 2>&1
	check "$arch: a PE executable for $machine" grep -q "file format pei-$machine" "$TMP/pe"
	# Subsystem 3 is the console (a command-line program); version 4 or
	# lower runs on NT 4 on, so 2003 (5.2) loads it.
	check_eval "$arch: a console program for Windows NT 5.2 or older (subsystem 3, version <= 5.2)" \
		'grep -Eq "^Subsystem[[:space:]]+0+3" "$TMP/pe" &&
		 awk "/^MajorSubsystemVersion/ { ma = \$2 } /^MinorSubsystemVersion/ { mi = \$2 } END { exit !(ma < 5 || (ma == 5 && mi <= 2)) }" "$TMP/pe"'
	dlls=$(awk '/DLL Name:/ { print tolower($3) }' "$TMP/pe" | sort -u | tr '\n' ' ')
	bad=""
	for d in $dlls; do
		case " $(echo $ALLOWED_DLLS) " in *" $d "*) ;; *) bad="$bad $d" ;; esac
	done
	if [ -z "$bad" ]; then ok "$arch: needs only Windows's own DLLs ($dlls)"; else not_ok "$arch: needs only Windows's own DLLs"; diag "not Windows Server 2003's:$bad"; fi
	awk '/^\t[ 0-9a-f]+\t *[0-9]+ +[A-Za-z_]/ { print $NF }' "$TMP/pe" | sort -u >"$TMP/imports"
	check_eval "$arch: imports functions at all (the table was read: $(wc -l <"$TMP/imports"))" '[ "$(wc -l <"$TMP/imports")" -gt 20 ]'
	newer=""
	for f in $DENIED; do
		grep -qx "$f" "$TMP/imports" && newer="$newer $f"
	done
	if [ -z "$newer" ]; then ok "$arch: imports nothing newer than Windows Server 2003"; else not_ok "$arch: imports nothing newer than Windows Server 2003"; diag "imported:$newer"; fi
done
done_testing
