/*
 * win-version.c - Windows releases by NT version (see win-version.h).
 */
#include "probe/win-version.h"
#include "util/cv.h"

/*
 * Microsoft's "Operating System Version" table, one row per release.
 * NT 10.0 releases differ by build only; the server rows are the
 * long-term releases (Windows Server 2016 is 14393, 2019 17763, 2022
 * 20348, 2025 26100, per each release's "Windows Server release
 * information" page); other 10.0 server builds (the semi-annual channel)
 * are left unnamed rather than guessed.  Windows 11 is 10.0 from build
 * 22000 (its release information page).  osinfo short-ids are
 * osinfo-db's (os/microsoft.com/win-*.xml); it has no Windows Server 2025.
 */
static const struct {
	uint32_t major, minor, build_min, build_max; /* build bounds inclusive, 0 open */
	bool server;
	bool r2;     /* only 5.2 server rows look at it */
	bool amd64;  /* only the 5.2 workstation row looks at it */
	const char *version, *osinfo;
} releases[] = {
	{ 5, 0, 0, 0, false, false, false, "2000", "win2k" },
	{ 5, 0, 0, 0, true, false, false, "2000", "win2k" },
	{ 5, 1, 0, 0, false, false, false, "XP", "winxp" },
	{ 5, 2, 0, 0, false, false, true, "XP", "winxp" }, /* XP Professional x64 Edition */
	{ 5, 2, 0, 0, true, false, false, "2003", "win2k3" },
	{ 5, 2, 0, 0, true, true, false, "2003 R2", "win2k3r2" },
	{ 6, 0, 0, 0, false, false, false, "Vista", "winvista" },
	{ 6, 0, 0, 0, true, false, false, "2008", "win2k8" },
	{ 6, 1, 0, 0, false, false, false, "7", "win7" },
	{ 6, 1, 0, 0, true, false, false, "2008 R2", "win2k8r2" },
	{ 6, 2, 0, 0, false, false, false, "8", "win8" },
	{ 6, 2, 0, 0, true, false, false, "2012", "win2k12" },
	{ 6, 3, 0, 0, false, false, false, "8.1", "win8.1" },
	{ 6, 3, 0, 0, true, false, false, "2012 R2", "win2k12r2" },
	{ 10, 0, 0, 21999, false, false, false, "10", "win10" },
	{ 10, 0, 22000, 0, false, false, false, "11", "win11" },
	{ 10, 0, 14393, 14393, true, false, false, "2016", "win2k16" },
	{ 10, 0, 17763, 17763, true, false, false, "2019", "win2k19" },
	{ 10, 0, 20348, 20348, true, false, false, "2022", "win2k22" },
	{ 10, 0, 26100, 26100, true, false, false, "2025", NULL },
};

bool win_release(uint32_t major, uint32_t minor, uint32_t build, int product_type, bool r2, bool amd64,
		 struct win_release *ret)
{
	bool server = product_type == WIN_NT_SERVER || product_type == WIN_NT_DOMAIN_CONTROLLER;

	if (!server && product_type != WIN_NT_WORKSTATION)
		return false;
	for (size_t i = 0; i < CV_ELEMENTSOF(releases); i++) {
		if (releases[i].major != major || releases[i].minor != minor || releases[i].server != server)
			continue;
		if ((releases[i].build_min && build < releases[i].build_min) ||
		    (releases[i].build_max && build > releases[i].build_max))
			continue;
		if (major == 5 && minor == 2 && server && releases[i].r2 != r2)
			continue;
		if (major == 5 && minor == 2 && !server && !amd64)
			continue; /* no 32-bit workstation release is 5.2 */
		*ret = (struct win_release){ releases[i].version, releases[i].osinfo, server };
		return true;
	}
	return false;
}

/*
 * OSVERSIONINFOEX's wSuiteMask, most specific first: a Datacenter Edition
 * sets VER_SUITE_ENTERPRISE as well (the documentation of
 * GetVersionEx's "Getting the System Version" example tests Datacenter
 * before Enterprise); VER_SUITE_BLADE is the Web Edition.  A server with
 * none of them is Standard; a workstation Professional unless
 * VER_SUITE_PERSONAL (Home).
 */
const char *win_edition_from_suite(uint32_t suite_mask, int product_type)
{
	static const struct {
		uint32_t bit;
		const char *edition;
	} server[] = {
		{ WIN_SUITE_DATACENTER, "Datacenter" },
		{ WIN_SUITE_ENTERPRISE, "Enterprise" },
		{ WIN_SUITE_BLADE, "Web" },
		{ WIN_SUITE_STORAGE_SERVER, "Storage" },
		{ WIN_SUITE_COMPUTE_SERVER, "Compute Cluster" },
		{ WIN_SUITE_SMALLBUSINESS_RESTRICTED, "Small Business" },
		{ WIN_SUITE_SMALLBUSINESS, "Small Business" },
	};

	if (product_type == WIN_NT_WORKSTATION)
		return suite_mask & WIN_SUITE_PERSONAL ? "Home" : "Professional";
	if (product_type != WIN_NT_SERVER && product_type != WIN_NT_DOMAIN_CONTROLLER)
		return NULL;
	for (size_t i = 0; i < CV_ELEMENTSOF(server); i++)
		if (suite_mask & server[i].bit)
			return server[i].edition;
	return "Standard";
}

/* EditionID (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion, Windows
 * Vista / Server 2008 on): "ServerEnterprise", "ServerStandard",
 * "ServerDatacenter", "ServerWeb"; workstations "Ultimate", "Professional". */
char *win_edition_from_id(const char *edition_id)
{
	if (cv_startswith(edition_id, "Server") && edition_id[6])
		return cv_xstrdup(edition_id + 6);
	return cv_xstrdup(edition_id);
}

/* PROCESSOR_ARCHITECTURE_* as os.json names them (docs/probe.md). */
const char *win_arch(const char *native_arch)
{
	static const struct {
		const char *win, *arch;
	} arches[] = {
		{ "amd64", "x86_64" },
		{ "x86", "i686" },
		{ "ia64", "ia64" },
		{ "arm64", "aarch64" },
		{ "arm", "arm" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(arches); i++)
		if (cv_streq(native_arch, arches[i].win))
			return arches[i].arch;
	return NULL;
}
