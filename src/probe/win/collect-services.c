/*
 * collect-services.c - windows/services.json (every driver and Win32
 * service: EnumServicesStatus, QueryServiceConfig) and windows/files.json
 * (the image of each service the integration table names: its version from
 * VS_FIXEDFILEINFO, its signature by WinVerifyTrust, embedded or through
 * the system's catalogs, and the signer's name).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* windows.h (by collect-internal.h) before the crypto headers. */
#include "probe/win/collect-internal.h"

#include <mscat.h>
#include <softpub.h>
#include <wincrypt.h>
#include <wintrust.h>

#include "probe/integration.h"
#include "util/cv.h"

#define SERVICES_MAX 8192
/* EnumServicesStatus's buffer: 64 KiB, grown up to this when one entry
 * does not fit. */
#define SERVICES_BUF_MAX (4u * 1024 * 1024)

typedef BOOL(WINAPI *wow64_disable_fn)(PVOID *old);
typedef BOOL(WINAPI *wow64_revert_fn)(PVOID old);

static const char *type_name(DWORD t)
{
	if (t & SERVICE_KERNEL_DRIVER)
		return "kernel_driver";
	if (t & SERVICE_FILE_SYSTEM_DRIVER)
		return "file_system_driver";
	if (t & SERVICE_WIN32_OWN_PROCESS)
		return "win32_own";
	if (t & SERVICE_WIN32_SHARE_PROCESS)
		return "win32_share";
	return "other";
}

static const char *state_name(DWORD s)
{
	switch (s) {
	case SERVICE_RUNNING:
		return "running";
	case SERVICE_STOPPED:
		return "stopped";
	case SERVICE_START_PENDING:
		return "start_pending";
	case SERVICE_STOP_PENDING:
		return "stop_pending";
	case SERVICE_PAUSED:
		return "paused";
	case SERVICE_PAUSE_PENDING:
		return "pause_pending";
	case SERVICE_CONTINUE_PENDING:
		return "continue_pending";
	default:
		return "unknown";
	}
}

static json_t *start_name(DWORD s)
{
	static const char *const names[] = { "boot", "system", "auto", "demand", "disabled" };

	return s < CV_ELEMENTSOF(names) ? json_string(names[s]) : json_null();
}

/* QueryServiceConfig: a buffer the caller frees, NULL on failure. */
static QUERY_SERVICE_CONFIGW *service_config(SC_HANDLE scm, const WCHAR *name)
{
	SC_HANDLE svc = OpenServiceW(scm, name, SERVICE_QUERY_CONFIG);
	QUERY_SERVICE_CONFIGW *cfg = NULL;
	DWORD need = 0;

	if (!svc)
		return NULL;
	if (!QueryServiceConfigW(svc, NULL, 0, &need) && GetLastError() == ERROR_INSUFFICIENT_BUFFER &&
	    need <= 64 * 1024) {
		cfg = cv_xmalloc(need);
		if (!QueryServiceConfigW(svc, cfg, need, &need))
			cfg = cv_free(cfg);
	}
	CloseServiceHandle(svc);
	return cfg;
}

static int by_key(const void *a, const void *b, const char *key)
{
	return strcasecmp(json_string_value(json_object_get(*(json_t *const *)a, key)),
			  json_string_value(json_object_get(*(json_t *const *)b, key)));
}

static int by_name(const void *a, const void *b)
{
	return by_key(a, b, "name");
}

static int by_path(const void *a, const void *b)
{
	return by_key(a, b, "path");
}

static json_t *sorted_array(json_t **v, size_t n, int (*cmp)(const void *, const void *))
{
	json_t *arr = json_array();

	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	return arr;
}

int win_collect_services(char **ret, size_t *ret_len)
{
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT | SC_MANAGER_ENUMERATE_SERVICE);
	DWORD resume = 0, size = 64 * 1024;
	ENUM_SERVICE_STATUSW *buf;
	json_t **v;
	size_t n = 0;
	bool more = true;

	if (!scm)
		return -EACCES;
	buf = cv_xmalloc(size);
	v = cv_xcalloc(SERVICES_MAX, sizeof(*v));
	while (more && n < SERVICES_MAX) {
		DWORD need = 0, count = 0;

		if (EnumServicesStatusW(scm, SERVICE_DRIVER | SERVICE_WIN32, SERVICE_STATE_ALL, buf, size, &need, &count,
					&resume))
			more = false;
		else if (GetLastError() != ERROR_MORE_DATA)
			break;
		else if (count == 0) {
			/* Not one more entry fits (long names): grow the buffer
			 * to what the rest needs, within SERVICES_BUF_MAX, and
			 * ask again from the same place (resume is unchanged when
			 * nothing was returned).  A buffer that cannot grow ends
			 * the list rather than looping. */
			DWORD grow = need > SERVICES_BUF_MAX ? SERVICES_BUF_MAX : need;

			if (grow <= size)
				break;
			free(buf);
			size = grow;
			buf = cv_xmalloc(size);
			continue;
		}
		for (DWORD i = 0; i < count && n < SERVICES_MAX; i++) {
			const ENUM_SERVICE_STATUSW *s = &buf[i];
			QUERY_SERVICE_CONFIGW *cfg = service_config(scm, s->lpServiceName);
			json_t *o = json_object(), *name = win_json_str(s->lpServiceName);
			bool named;

			if (!json_is_string(name)) {
				json_decref(name);
				json_decref(o);
				free(cfg);
				continue;
			}
			named = win_service_named(json_string_value(name));
			json_object_set_new(o, "name", name);
			json_object_set_new(o, "display", win_json_str(s->lpDisplayName));
			json_object_set_new(o, "type", json_string(type_name(s->ServiceStatus.dwServiceType)));
			json_object_set_new(o, "state", json_string(state_name(s->ServiceStatus.dwCurrentState)));
			json_object_set_new(o, "start", cfg ? start_name(cfg->dwStartType) : json_null());
			/* Image paths only where the probe needs them (the
			 * integration table's services): the rest is not ours
			 * to record. */
			json_object_set_new(o, "image", cfg && named ? win_json_str(cfg->lpBinaryPathName) : json_null());
			v[n++] = o;
			free(cfg);
		}
	}
	free(buf);
	CloseServiceHandle(scm);
	{
		json_t *arr = sorted_array(v, n, by_name);

		free(v);
		return win_json_bytes(arr, ret, ret_len);
	}
}

/* ---- files ---- */

static bool wprefix(const WCHAR *s, const WCHAR *p)
{
	return _wcsnicmp(s, p, wcslen(p)) == 0;
}

/*
 * The file a service image names: "\SystemRoot\System32\drivers\x.sys",
 * "System32\DRIVERS\x.sys" (relative to the Windows directory),
 * "\??\C:\...", "%SystemRoot%\...", "\"C:\Program Files\x\y.exe\" -args".
 * A new string, NULL if none.
 */
static WCHAR *image_file(const WCHAR *image)
{
	WCHAR win[MAX_PATH], tmp[2 * MAX_PATH], *out;
	const WCHAR *p = image, *end;
	size_t len;

	if (!image || !*image || !GetSystemWindowsDirectoryW(win, MAX_PATH))
		return NULL;
	if (*p == L'"') {
		p++;
		end = wcschr(p, L'"');
		len = end ? (size_t)(end - p) : wcslen(p);
	} else {
		const WCHAR *exe = NULL;

		for (const WCHAR *q = p; *q; q++)
			if (wprefix(q, L".exe ")) {
				exe = q + 4;
				break;
			}
		len = exe ? (size_t)(exe - p) : wcslen(p);
	}
	if (len >= MAX_PATH)
		return NULL;
	if (wprefix(p, L"\\??\\")) {
		p += 4;
		len -= 4;
	}
	if (wprefix(p, L"\\SystemRoot\\"))
		_snwprintf(tmp, CV_ELEMENTSOF(tmp), L"%ls%.*ls", win, (int)(len - 11), p + 11);
	else if (wprefix(p, L"System32\\") || wprefix(p, L"SysWOW64\\"))
		_snwprintf(tmp, CV_ELEMENTSOF(tmp), L"%ls\\%.*ls", win, (int)len, p);
	else
		_snwprintf(tmp, CV_ELEMENTSOF(tmp), L"%.*ls", (int)len, p);
	tmp[CV_ELEMENTSOF(tmp) - 1] = 0;
	out = cv_xcalloc(4 * MAX_PATH, sizeof(WCHAR));
	if (!ExpandEnvironmentStringsW(tmp, out, 4 * MAX_PATH))
		wcscpy(out, tmp);
	return out;
}

/*
 * The version of an image mapped as data (LOAD_LIBRARY_AS_DATAFILE), from
 * its VS_VERSION_INFO resource (id 1, RT_VERSION): what GetFileVersionInfo
 * reads, without calling version.dll while redirection is off.  Chromium's
 * FileVersionInfoWin reads a module's resource the same way and hands a
 * copy to VerQueryValue.
 */
static json_t *file_version(HMODULE data)
{
	HRSRC res = data ? FindResourceW(data, MAKEINTRESOURCEW(1), MAKEINTRESOURCEW(16)) : NULL;
	DWORD size = res ? SizeofResource(data, res) : 0;
	HGLOBAL h = size ? LoadResource(data, res) : NULL;
	const void *p = h ? LockResource(h) : NULL;
	VS_FIXEDFILEINFO *ffi = NULL;
	UINT ffi_len = 0;
	json_t *j = json_null();
	void *buf;

	if (!p || size > 1024 * 1024)
		return j;
	buf = cv_xmalloc(size);
	memcpy(buf, p, size);
	if (VerQueryValueW(buf, L"\\", (void **)&ffi, &ffi_len) && ffi_len >= sizeof(*ffi) &&
	    ffi->dwSignature == 0xFEEF04BD) {
		char *v = cv_xasprintf("%lu.%lu.%lu.%lu", (unsigned long)HIWORD(ffi->dwFileVersionMS),
				       (unsigned long)LOWORD(ffi->dwFileVersionMS), (unsigned long)HIWORD(ffi->dwFileVersionLS),
				       (unsigned long)LOWORD(ffi->dwFileVersionLS));

		json_decref(j);
		j = json_string(v);
		free(v);
	}
	free(buf);
	return j;
}

/* The subject's common name of the leaf certificate that signed it. */
static char *signer_of(HANDLE state)
{
	CRYPT_PROVIDER_DATA *pd = WTHelperProvDataFromStateData(state);
	CRYPT_PROVIDER_SGNR *sg = pd ? WTHelperGetProvSignerFromChain(pd, 0, FALSE, 0) : NULL;
	CRYPT_PROVIDER_CERT *cert = sg ? WTHelperGetProvCertFromChain(sg, 0) : NULL;
	WCHAR name[256];

	if (!cert || !cert->pCert ||
	    CertGetNameStringW(cert->pCert, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, NULL, name, CV_ELEMENTSOF(name)) <= 1)
		return NULL;
	return win_utf8(name);
}

/*
 * WinVerifyTrust on the file's own signature (catalog NULL) or as a
 * member of a catalog.  Catalogs are checked with DRIVER_ACTION_VERIFY,
 * the policy Windows applies to drivers (sigverif's).  Revocation is not
 * checked and nothing is fetched from the network.
 */
static LONG verify(const WCHAR *path, HANDLE file, const WCHAR *catalog, const WCHAR *tag, BYTE *hash, DWORD hash_len,
		   char **ret_signer)
{
	GUID generic = WINTRUST_ACTION_GENERIC_VERIFY_V2, driver = DRIVER_ACTION_VERIFY;
	WINTRUST_FILE_INFO fi = { .cbStruct = sizeof(fi), .pcwszFilePath = path, .hFile = file };
	WINTRUST_CATALOG_INFO ci = { .cbStruct = sizeof(ci) };
	DRIVER_VER_INFO dvi = { .cbStruct = sizeof(dvi) };
	WINTRUST_DATA wd = { .cbStruct = sizeof(wd) };
	LONG r;

	/* Each check reads the file from its start (the catalog hash left
	 * the position at the end). */
	SetFilePointer(file, 0, NULL, FILE_BEGIN);
	wd.dwUIChoice = WTD_UI_NONE;
	wd.fdwRevocationChecks = WTD_REVOKE_NONE;
	wd.dwStateAction = WTD_STATEACTION_VERIFY;
	wd.dwProvFlags = WTD_CACHE_ONLY_URL_RETRIEVAL;
	if (catalog) {
		ci.pcwszCatalogFilePath = catalog;
		ci.pcwszMemberTag = tag;
		ci.pcwszMemberFilePath = path;
		ci.hMemberFile = file;
		ci.pbCalculatedFileHash = hash;
		ci.cbCalculatedFileHash = hash_len;
		wd.dwUnionChoice = WTD_CHOICE_CATALOG;
		wd.pCatalog = &ci;
		wd.pPolicyCallbackData = &dvi;
	} else {
		wd.dwUnionChoice = WTD_CHOICE_FILE;
		wd.pFile = &fi;
	}
	r = WinVerifyTrust((HWND)INVALID_HANDLE_VALUE, catalog ? &driver : &generic, &wd);
	*ret_signer = NULL;
	if (r == 0) {
		if (catalog && dvi.wszSignedBy[0])
			*ret_signer = win_utf8(dvi.wszSignedBy);
		else
			*ret_signer = signer_of(wd.hWVTStateData);
	}
	wd.dwStateAction = WTD_STATEACTION_CLOSE;
	WinVerifyTrust((HWND)INVALID_HANDLE_VALUE, catalog ? &driver : &generic, &wd);
	if (dvi.pcSignerCertContext)
		CertFreeCertificateContext(dvi.pcSignerCertContext);
	return r;
}

/* The catalog that lists the file's hash, if any: LONG as verify(). */
static bool verify_catalog(const WCHAR *path, HANDLE file, LONG *ret, char **ret_signer)
{
	HCATADMIN adm = NULL;
	HCATINFO cat;
	BYTE *hash = NULL;
	DWORD n = 0;
	bool found = false;

	if (!CryptCATAdminAcquireContext(&adm, NULL, 0))
		return false;
	SetFilePointer(file, 0, NULL, FILE_BEGIN);
	if (!CryptCATAdminCalcHashFromFileHandle(file, &n, NULL, 0) && n == 0)
		goto out;
	hash = cv_xmalloc(n ? n : 1);
	if (!CryptCATAdminCalcHashFromFileHandle(file, &n, hash, 0))
		goto out;
	cat = CryptCATAdminEnumCatalogFromHash(adm, hash, n, 0, NULL);
	if (cat) {
		CATALOG_INFO info = { .cbStruct = sizeof(info) };
		WCHAR *tag = cv_xcalloc(2 * n + 1, sizeof(WCHAR));

		for (DWORD i = 0; i < n; i++)
			_snwprintf(tag + 2 * i, 3, L"%02X", hash[i]);
		if (CryptCATCatalogInfoFromContext(cat, &info, 0)) {
			*ret = verify(path, file, info.wszCatalogFile, tag, hash, n, ret_signer);
			found = true;
		}
		free(tag);
		CryptCATAdminReleaseCatalogContext(adm, cat, 0);
	}
out:
	free(hash);
	CryptCATAdminReleaseContext(adm, 0);
	return found;
}

/* The signature of the image open as file (closed here). */
static void signature(json_t *o, const WCHAR *path, HANDLE file)
{
	char *signer = NULL;
	LONG r;

	if (file == INVALID_HANDLE_VALUE) {
		json_object_set_new(o, "signed", json_null());
		json_object_set_new(o, "signer", json_null());
		return;
	}
	r = verify(path, file, NULL, NULL, NULL, 0, &signer);
	if (r != 0) {
		LONG rc;
		char *cs = NULL;

		/* Drivers are mostly catalog-signed (the WHQL signature is
		 * the catalog's); a catalog's verdict wins over the file's
		 * own missing signature. */
		if (verify_catalog(path, file, &rc, &cs)) {
			r = rc;
			free(signer);
			signer = cs;
		}
	}
	CloseHandle(file);
	if (r == 0)
		json_object_set_new(o, "signed", json_true());
	else if (r == (LONG)TRUST_E_NOSIGNATURE || r == (LONG)TRUST_E_SUBJECT_FORM_UNKNOWN)
		json_object_set_new(o, "signed", json_false());
	else {
		/* Signed, but not to a root this system trusts, or the check
		 * failed: cannot tell. */
		char *e = cv_xasprintf("0x%08lX", (unsigned long)r);

		json_object_set_new(o, "signed", json_null());
		json_object_set_new(o, "trust_error", json_string(e));
		free(e);
	}
	json_object_set_new(o, "signer", signer ? json_string(signer) : json_null());
	free(signer);
}

/*
 * A 32-bit probe on 64-bit Windows must see the real System32, not
 * SysWOW64: file-system redirection is turned off for this thread, but
 * only while the image is opened and mapped as data.  Anything that may
 * load a DLL (version.dll's queries, WinVerifyTrust, CryptCATAdmin*) runs
 * with it back on: DLL loading depends on redirection, and Microsoft's
 * advice is to disable it immediately before the file functions that must
 * not be redirected and re-enable it immediately after
 * ("Wow64DisableWow64FsRedirection").  Those take the open handle instead
 * of the path; the catalogs (System32\CatRoot) are exempt from
 * redirection ("File System Redirector").  Windows Server 2003 x86 has
 * neither function (GetProcAddress): there is nothing to redirect.
 */
struct fs_redirection {
	wow64_disable_fn disable;
	wow64_revert_fn revert;
};

static void image(json_t *o, const WCHAR *path, const struct fs_redirection *fs)
{
	PVOID old = NULL;
	bool off = fs->disable && fs->revert && fs->disable(&old);
	HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	HMODULE data = LoadLibraryExW(path, NULL, LOAD_LIBRARY_AS_DATAFILE);

	if (off)
		fs->revert(old);
	json_object_set_new(o, "version", file_version(data));
	if (data)
		FreeLibrary(data);
	signature(o, path, file);
}

int win_collect_files(char **ret, size_t *ret_len)
{
	const struct fs_redirection fs = {
		(wow64_disable_fn)(void (*)(void))win_proc(L"kernel32.dll", "Wow64DisableWow64FsRedirection"),
		(wow64_revert_fn)(void (*)(void))win_proc(L"kernel32.dll", "Wow64RevertWow64FsRedirection"),
	};
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
	const struct integ_win_component *c;
	size_t nc, n = 0;
	json_t *v[4 * 64];

	if (!scm)
		return -EACCES;
	c = probe_integ_win_components(&nc);
	for (size_t i = 0; i < nc; i++)
		for (size_t k = 0; k < PROBE_COMPONENT_MAX_NAMES && c[i].services[k] && n < CV_ELEMENTSOF(v); k++) {
			WCHAR wname[64], *path;
			QUERY_SERVICE_CONFIGW *cfg;
			json_t *o, *jp;

			MultiByteToWideChar(CP_UTF8, 0, c[i].services[k], -1, wname, CV_ELEMENTSOF(wname));
			cfg = service_config(scm, wname);
			path = cfg ? image_file(cfg->lpBinaryPathName) : NULL;
			free(cfg);
			if (!path)
				continue;
			jp = win_json_str(path);
			if (!json_is_string(jp)) {
				json_decref(jp);
				free(path);
				continue;
			}
			o = json_object();
			json_object_set_new(o, "path", jp);
			image(o, path, &fs);
			v[n++] = o;
			free(path);
		}
	CloseServiceHandle(scm);
	return win_json_bytes(sorted_array(v, n, by_path), ret, ret_len);
}
