/*
 * win/sys.c - the agent's system calls on Windows (Linux's: ../sys-unix.c):
 * the computer name, the machine's identity (the MachineGuid Windows
 * setup writes, and the SMBIOS system UUID), time and sleep.
 *
 * Permissions: Windows has ACLs, not mode bits.  agent.json is written
 * with mode 0600, which util/win/file.c turns into a protected DACL for
 * its owner, SYSTEM and the Administrators; the state directory is only
 * checked to be a directory (an ACL audit is not done here).
 */
#include <windows.h>

#include "agent/agent-internal.h"
#include "util/cv.h"

/* 'RSMB', the raw SMBIOS firmware table provider (GetSystemFirmwareTable). */
#define RSMB 0x52534D42u

char *agent_sys_hostname(void)
{
	char name[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD n = sizeof(name);

	if (!GetComputerNameA(name, &n) || n == 0)
		return cv_xstrdup("localhost");
	return cv_xstrndup(name, n);
}

const char *agent_sys_os(void)
{
	return "windows";
}

static char *machine_guid(void)
{
	HKEY k;
	char buf[128];
	DWORD type = 0, n = sizeof(buf) - 1;
	char *r = NULL;

	/* The 64-bit view from a 32-bit process too: the key is not
	 * redirected, but WOW64 would otherwise give the 32-bit hive. */
	if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, "SOFTWARE\\Microsoft\\Cryptography", 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY,
			  &k) != ERROR_SUCCESS)
		return NULL;
	if (RegQueryValueExA(k, "MachineGuid", NULL, &type, (BYTE *)buf, &n) == ERROR_SUCCESS && type == REG_SZ && n > 1) {
		buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = '\0';
		r = cv_xstrdup(cv_strstrip(buf));
		if (!*r)
			r = cv_free(r);
	}
	RegCloseKey(k);
	return r;
}

/*
 * The system UUID of the SMBIOS type 1 structure (DSP0134 7.2, offset
 * 08h, 16 bytes; the first three fields little-endian from SMBIOS 2.6, as
 * Linux's dmi_save_uuid() prints it).  The raw table is RawSMBIOSData: 8
 * bytes of header (version at 1 and 2, length at 4), then the structures.
 */
static char *smbios_uuid(void)
{
	typedef UINT(WINAPI * gsft_fn)(DWORD, DWORD, PVOID, DWORD);
	gsft_fn gsft = (gsft_fn)(void (*)(void))GetProcAddress(GetModuleHandleA("kernel32.dll"), "GetSystemFirmwareTable");
	unsigned char *buf = NULL;
	UINT n;
	size_t i, end;
	char *r = NULL;

	if (!gsft || (n = gsft(RSMB, 0, NULL, 0)) < 8 || n > 16 * 1024 * 1024)
		return NULL;
	buf = cv_xmalloc(n);
	if (gsft(RSMB, 0, buf, n) != n)
		goto out;
	end = 8 + (size_t)(buf[4] | buf[5] << 8 | buf[6] << 16 | (uint32_t)buf[7] << 24);
	if (end > n)
		end = n;
	for (i = 8; i + 4 <= end;) {
		unsigned type = buf[i], len = buf[i + 1];
		size_t j;

		if (len < 4 || i + len > end)
			break;
		if (type == 1 && len >= 0x19) {
			const unsigned char *u = buf + i + 8;
			bool le = buf[1] > 2 || (buf[1] == 2 && buf[2] >= 6);
			bool all0 = true, allf = true;

			for (int k = 0; k < 16; k++) {
				all0 = all0 && u[k] == 0;
				allf = allf && u[k] == 0xff;
			}
			if (all0 || allf)
				break;
			if (le)
				r = cv_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[3], u[2],
						 u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
						 u[15]);
			else
				r = cv_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
						 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
						 u[15]);
			break;
		}
		/* The string set after the formatted part ends with two NULs. */
		for (j = i + len; j + 1 < end && (buf[j] || buf[j + 1]); j++)
			;
		i = j + 2;
	}
out:
	free(buf);
	return r;
}

int agent_sys_identity(const char *root, char **ret, char **ret_why)
{
	char *guid, *uuid;

	if (root && strcmp(root, "/") != 0)
		return agent_fail(ret_why, -EINVAL, "--root: the machine key of a Windows machine is read live only");
	guid = machine_guid();
	uuid = smbios_uuid();
	if (!guid && !uuid)
		return agent_fail(ret_why, -ENOENT, "no machine identity: neither the MachineGuid nor an SMBIOS UUID is readable");
	for (char *p = guid; p && *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	*ret = cv_xasprintf("%s\n%s", guid ? guid : "", uuid ? uuid : "");
	free(guid);
	free(uuid);
	return 0;
}

int agent_sys_check_private_dir(const char *dir, char **ret_why)
{
	DWORD a = GetFileAttributesA(dir);

	if (a == INVALID_FILE_ATTRIBUTES)
		return agent_fail(ret_why, -ENOENT, "state directory %s: does not exist", dir);
	if (!(a & FILE_ATTRIBUTE_DIRECTORY))
		return agent_fail(ret_why, -ENOTDIR, "state directory %s: not a directory", dir);
	return 0;
}

int agent_sys_check_private_file(const char *path, char **ret_why)
{
	(void)path;
	(void)ret_why;
	return 0;
}

int64_t agent_sys_wall_ms(void)
{
	FILETIME ft;
	ULARGE_INTEGER u;

	/* 100 ns units since 1601-01-01; the Unix epoch is 11644473600 s later. */
	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	return (int64_t)(u.QuadPart / 10000u) - 11644473600000LL;
}

void agent_sys_sleep_ms(int64_t ms)
{
	while (ms > 0 && !agent_stopping()) {
		int64_t step = ms < 200 ? ms : 200;

		Sleep((DWORD)step);
		ms -= step;
	}
}
