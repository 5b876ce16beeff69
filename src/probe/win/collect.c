/*
 * collect.c - the live sources of a Windows machine (see win-collect.h):
 * dispatch and the helpers the collectors share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe/integration.h"
#include "probe/win/collect-internal.h"
#include "util/cv.h"

char *win_utf8(const WCHAR *w)
{
	int n;
	char *s;

	if (!w)
		return NULL;
	n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	if (n <= 0)
		return cv_xstrdup("");
	s = cv_xmalloc((size_t)n);
	if (WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) <= 0)
		s[0] = '\0';
	return s;
}

json_t *win_json_str(const WCHAR *w)
{
	char *s = win_utf8(w);
	json_t *j;

	if (!s || !*s) {
		free(s);
		return json_null();
	}
	/* WideCharToMultiByte replaces unpaired surrogates, so this is UTF-8;
	 * json_string() checks all the same. */
	j = json_string(s);
	free(s);
	return j ? j : json_null();
}

FARPROC win_proc(const WCHAR *dll, const char *name)
{
	HMODULE m = GetModuleHandleW(dll);

	if (!m)
		m = LoadLibraryW(dll);
	return m ? GetProcAddress(m, name) : NULL;
}

int win_json_bytes(json_t *j, char **ret, size_t *ret_len)
{
	char *s;
	size_t n;

	if (!j)
		return -ENOMEM;
	s = json_dumps(j, PROBE_WIN_JSON_FLAGS);
	json_decref(j);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	*ret = cv_xrealloc(s, n + 2);
	(*ret)[n] = '\n';
	(*ret)[n + 1] = '\0';
	*ret_len = n + 1;
	return 0;
}

bool win_service_named(const char *name)
{
	size_t n;
	const struct integ_win_component *c = probe_integ_win_components(&n);

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < PROBE_COMPONENT_MAX_NAMES && c[i].services[k]; k++)
			if (strcasecmp(c[i].services[k], name) == 0)
				return true;
	return false;
}

int probe_win_collect(const char *name, char **ret, size_t *ret_len)
{
	static const struct {
		const char *name;
		int (*fn)(char **ret, size_t *ret_len);
	} sources[] = {
		{ "smbios.bin", win_collect_smbios },   { "os.json", win_collect_os },
		{ "system.json", win_collect_system },  { "devices.json", win_collect_devices },
		{ "services.json", win_collect_services }, { "files.json", win_collect_files },
	};

	*ret = NULL;
	*ret_len = 0;
	for (size_t i = 0; i < CV_ELEMENTSOF(sources); i++)
		if (strcmp(sources[i].name, name) == 0)
			return sources[i].fn(ret, ret_len);
	return -ENOENT;
}
