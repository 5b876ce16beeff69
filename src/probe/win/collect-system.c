/*
 * collect-system.c - windows/smbios.bin, os.json and system.json from the
 * Windows API (formats: docs/probe.md, "Windows").  Everything newer than
 * Windows Server 2003 SP2 is resolved with GetProcAddress and has a
 * fallback or a null.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe/win/collect-internal.h"
#include "util/cv.h"

/* 'RSMB', the raw SMBIOS firmware table provider (GetSystemFirmwareTable). */
#define RSMB 0x52534D42u

typedef UINT(WINAPI *gsft_fn)(DWORD provider, DWORD id, PVOID buf, DWORD size);
typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOEXW *info);
typedef void(WINAPI *native_info_fn)(SYSTEM_INFO *info);
typedef BOOL(WINAPI *is_wow64_fn)(HANDLE process, BOOL *wow64);
typedef DWORD(WINAPI *active_cpus_fn)(WORD group);
typedef BOOL(WINAPI *firmware_type_fn)(int *type);
typedef DWORD(WINAPI *firmware_var_fn)(LPCWSTR name, LPCWSTR guid, PVOID buf, DWORD size);

/* GetSystemFirmwareTable: Windows Server 2003 SP1 and XP x64 on. */
int win_collect_smbios(char **ret, size_t *ret_len)
{
	gsft_fn gsft = (gsft_fn)(void (*)(void))win_proc(L"kernel32.dll", "GetSystemFirmwareTable");
	UINT n, got;
	char *buf;

	if (!gsft)
		return -ENOENT;
	n = gsft(RSMB, 0, NULL, 0);
	if (n == 0)
		return -EIO;
	buf = cv_xmalloc(n + 1);
	got = gsft(RSMB, 0, buf, n);
	if (got == 0 || got > n) {
		free(buf);
		return -EIO;
	}
	buf[got] = '\0';
	*ret = buf;
	*ret_len = got;
	return 0;
}

static const char *arch_name(WORD a)
{
	switch (a) {
	case PROCESSOR_ARCHITECTURE_AMD64:
		return "amd64";
	case PROCESSOR_ARCHITECTURE_INTEL:
		return "x86";
	case PROCESSOR_ARCHITECTURE_IA64:
		return "ia64";
	case 5: /* PROCESSOR_ARCHITECTURE_ARM */
		return "arm";
	case 12: /* PROCESSOR_ARCHITECTURE_ARM64 */
		return "arm64";
	default:
		return "unknown";
	}
}

static bool is_wow64(void)
{
	is_wow64_fn f = (is_wow64_fn)(void (*)(void))win_proc(L"kernel32.dll", "IsWow64Process");
	BOOL w = FALSE;

	return f && f(GetCurrentProcess(), &w) && w;
}

/* The values of HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion the
 * probe reads; only those present are written. */
static json_t *registry(bool wow64)
{
	static const WCHAR *const names[] = { L"ProductName", L"EditionID", L"CurrentVersion",
					      L"CurrentBuildNumber", L"CSDVersion", L"InstallationType" };
	json_t *o = json_object();
	HKEY key;
	/* A 32-bit process on 64-bit Windows would read the WOW64 view;
	 * KEY_WOW64_64KEY asks for the native one (2003 SP1 / XP x64 on). */
	REGSAM sam = KEY_QUERY_VALUE | (wow64 ? KEY_WOW64_64KEY : 0);

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", 0, sam, &key) !=
	    ERROR_SUCCESS)
		return o;
	for (size_t i = 0; i < CV_ELEMENTSOF(names); i++) {
		WCHAR buf[512];
		DWORD type = 0, size = sizeof(buf) - sizeof(WCHAR);
		char *name;

		if (RegQueryValueExW(key, names[i], NULL, &type, (BYTE *)buf, &size) != ERROR_SUCCESS ||
		    (type != REG_SZ && type != REG_EXPAND_SZ))
			continue;
		buf[size / sizeof(WCHAR)] = 0; /* registry strings need not end in NUL */
		name = win_utf8(names[i]);
		json_object_set_new(o, name, win_json_str(buf));
		free(name);
	}
	RegCloseKey(key);
	return o;
}

int win_collect_os(char **ret, size_t *ret_len)
{
	rtl_get_version_fn rtl = (rtl_get_version_fn)(void (*)(void))win_proc(L"ntdll.dll", "RtlGetVersion");
	native_info_fn native = (native_info_fn)(void (*)(void))win_proc(L"kernel32.dll", "GetNativeSystemInfo");
	OSVERSIONINFOEXW v;
	SYSTEM_INFO nsi, psi;
	json_t *o = json_object(), *r = json_object();
	bool wow64 = is_wow64();

	/* RtlGetVersion is not subject to GetVersionEx's compatibility shims
	 * (which report 6.2 to unmanifested programs on 8.1 and later). */
	memset(&v, 0, sizeof(v));
	v.dwOSVersionInfoSize = sizeof(v);
	if (!(rtl && rtl(&v) == 0) && !GetVersionExW((OSVERSIONINFOW *)&v)) {
		json_decref(r);
		r = json_null();
	} else {
		json_object_set_new(r, "major", json_integer(v.dwMajorVersion));
		json_object_set_new(r, "minor", json_integer(v.dwMinorVersion));
		json_object_set_new(r, "build", json_integer(v.dwBuildNumber));
		json_object_set_new(r, "platform_id", json_integer(v.dwPlatformId));
		json_object_set_new(r, "csd", win_json_str(v.szCSDVersion));
		json_object_set_new(r, "sp_major", json_integer(v.wServicePackMajor));
		json_object_set_new(r, "sp_minor", json_integer(v.wServicePackMinor));
		json_object_set_new(r, "suite_mask", json_integer(v.wSuiteMask));
		json_object_set_new(r, "product_type", json_integer(v.wProductType));
	}
	json_object_set_new(o, "rtl", r);
	json_object_set_new(o, "registry", registry(wow64));
	GetSystemInfo(&psi);
	if (native)
		native(&nsi);
	else
		nsi = psi;
	json_object_set_new(o, "native_arch", json_string(arch_name(nsi.wProcessorArchitecture)));
	json_object_set_new(o, "process_arch", json_string(arch_name(psi.wProcessorArchitecture)));
	json_object_set_new(o, "wow64", json_boolean(wow64));
	/* SM_SERVERR2 (89): nonzero on Windows Server 2003 R2 only. */
	json_object_set_new(o, "sm_serverr2", json_integer(GetSystemMetrics(89)));
	return win_json_bytes(o, ret, ret_len);
}

/*
 * The firmware: GetFirmwareType (Windows 8 on), else the documented test
 * for older systems: asking for a firmware variable on a BIOS machine
 * fails with ERROR_INVALID_FUNCTION, on UEFI with another error (or
 * succeeds).  Null when neither function exists.
 */
static json_t *firmware(json_t *o)
{
	firmware_type_fn ft = (firmware_type_fn)(void (*)(void))win_proc(L"kernel32.dll", "GetFirmwareType");
	firmware_var_fn fv;
	int type = 0;

	if (ft && ft(&type)) {
		json_object_set_new(o, "firmware_source", json_string("GetFirmwareType"));
		return type == 1 ? json_string("bios") : type == 2 ? json_string("uefi") : json_null();
	}
	fv = (firmware_var_fn)(void (*)(void))win_proc(L"kernel32.dll", "GetFirmwareEnvironmentVariableW");
	if (fv) {
		json_object_set_new(o, "firmware_source", json_string("GetFirmwareEnvironmentVariable"));
		if (fv(L"", L"{00000000-0000-0000-0000-000000000000}", NULL, 0) == 0 &&
		    GetLastError() == ERROR_INVALID_FUNCTION)
			return json_string("bios");
		return json_string("uefi");
	}
	json_object_set_new(o, "firmware_source", json_null());
	return json_null();
}

int win_collect_system(char **ret, size_t *ret_len)
{
	active_cpus_fn active = (active_cpus_fn)(void (*)(void))win_proc(L"kernel32.dll", "GetActiveProcessorCount");
	json_t *o = json_object();
	MEMORYSTATUSEX mem;
	SYSTEM_INFO si;

	/* GetActiveProcessorCount (Windows 7 / 2008 R2 on) counts every
	 * processor group; GetSystemInfo only the caller's. */
	if (active) {
		json_object_set_new(o, "processors", json_integer(active(0xffff /* ALL_PROCESSOR_GROUPS */)));
		json_object_set_new(o, "processors_source", json_string("GetActiveProcessorCount"));
	} else {
		GetSystemInfo(&si);
		json_object_set_new(o, "processors", json_integer(si.dwNumberOfProcessors));
		json_object_set_new(o, "processors_source", json_string("GetSystemInfo"));
	}
	mem.dwLength = sizeof(mem);
	json_object_set_new(o, "memory_bytes",
			    GlobalMemoryStatusEx(&mem) ? json_integer((json_int_t)mem.ullTotalPhys) : json_null());
	json_object_set_new(o, "firmware_type", firmware(o));
	return win_json_bytes(o, ret, ret_len);
}
