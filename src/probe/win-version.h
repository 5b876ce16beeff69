/*
 * win-version.h - which Windows release an NT version is (win-version.c):
 * Microsoft's "Operating System Version" table
 * (learn.microsoft.com/windows/win32/sysinfo/operating-system-version)
 * with OSVERSIONINFOEX's wProductType and wSuiteMask
 * (learn.microsoft.com/windows/win32/api/winnt/ns-winnt-osversioninfoexa).
 * Pure functions over static tables.
 */
#ifndef COVALID_PROBE_WIN_VERSION_H
#define COVALID_PROBE_WIN_VERSION_H

#include <stdbool.h>
#include <stdint.h>

/* OSVERSIONINFOEX wProductType */
#define WIN_NT_WORKSTATION 1
#define WIN_NT_DOMAIN_CONTROLLER 2
#define WIN_NT_SERVER 3

/* OSVERSIONINFOEX wSuiteMask bits */
#define WIN_SUITE_SMALLBUSINESS 0x0001
#define WIN_SUITE_ENTERPRISE 0x0002
#define WIN_SUITE_SMALLBUSINESS_RESTRICTED 0x0020
#define WIN_SUITE_DATACENTER 0x0080
#define WIN_SUITE_PERSONAL 0x0200
#define WIN_SUITE_BLADE 0x0400
#define WIN_SUITE_STORAGE_SERVER 0x2000
#define WIN_SUITE_COMPUTE_SERVER 0x4000

struct win_release {
	const char *version; /* as the catalog writes it: "2008 R2", "7", "XP" */
	const char *osinfo;  /* libosinfo short-id, NULL where osinfo-db has none */
	bool server;
};

/*
 * The release of NT major.minor.build with product_type (a domain
 * controller is a server); r2 is GetSystemMetrics(SM_SERVERR2) != 0 or an
 * "R2" product name, which alone tells 2003 R2 from 2003; amd64 tells
 * Windows XP Professional x64 (NT 5.2 workstation).  False when the table
 * has no such release.
 */
bool win_release(uint32_t major, uint32_t minor, uint32_t build, int product_type, bool r2, bool amd64,
		 struct win_release *ret);

/* The edition a suite mask names on releases without EditionID in the
 * registry (before 2008): "Datacenter", "Enterprise", "Web", ...  */
const char *win_edition_from_suite(uint32_t suite_mask, int product_type);

/* "ServerEnterprise" -> "Enterprise"; other EditionIDs as they are.  A new string. */
char *win_edition_from_id(const char *edition_id);

/* The catalog's architecture word for GetNativeSystemInfo's processor
 * architecture as os.json writes it ("amd64" -> "x86_64"); NULL if unknown. */
const char *win_arch(const char *native_arch);

#endif
