/*
 * collect-devices.c - windows/devices.json: every present PnP device
 * (SetupDiGetClassDevs with DIGCF_PRESENT | DIGCF_ALLCLASSES), with its
 * hardware ids, the service of its function driver, its setup class, its
 * description and its problem code (CM_Get_DevNode_Status), sorted by
 * instance id so that two captures compare equal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* windows.h (by collect-internal.h) before the SetupAPI headers. */
#include "probe/win/collect-internal.h"

#include <cfgmgr32.h>
#include <setupapi.h>

#include "util/cv.h"

#define DEVICES_MAX 4096

/* A registry property as UTF-16, NULL if absent; multi is REG_MULTI_SZ. */
static WCHAR *property(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD prop, DWORD *ret_type, DWORD *ret_size)
{
	DWORD size = 0, type = 0;
	WCHAR *buf;

	SetupDiGetDeviceRegistryPropertyW(set, dev, prop, &type, NULL, 0, &size);
	if (size == 0 || size > 64 * 1024)
		return NULL;
	/* Room for two more NULs: the data need not end in them. */
	buf = cv_xcalloc(size / sizeof(WCHAR) + 2, sizeof(WCHAR));
	if (!SetupDiGetDeviceRegistryPropertyW(set, dev, prop, &type, (BYTE *)buf, size, NULL)) {
		free(buf);
		return NULL;
	}
	*ret_type = type;
	*ret_size = size;
	return buf;
}

static json_t *string_property(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD prop)
{
	DWORD type = 0, size = 0;
	WCHAR *w = property(set, dev, prop, &type, &size);
	json_t *j = w && (type == REG_SZ || type == REG_EXPAND_SZ) ? win_json_str(w) : json_null();

	free(w);
	return j;
}

static json_t *multi_property(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD prop)
{
	DWORD type = 0, size = 0;
	WCHAR *w = property(set, dev, prop, &type, &size);
	json_t *a = json_array();

	if (w && type == REG_MULTI_SZ)
		for (WCHAR *p = w; *p && (size_t)((char *)p - (char *)w) < size; p += wcslen(p) + 1)
			json_array_append_new(a, win_json_str(p));
	free(w);
	return a;
}

static int by_instance(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "instance")),
		      json_string_value(json_object_get(y, "instance")));
}

int win_collect_devices(char **ret, size_t *ret_len)
{
	HDEVINFO set = SetupDiGetClassDevsW(NULL, NULL, NULL, DIGCF_PRESENT | DIGCF_ALLCLASSES);
	json_t **v = NULL, *arr;
	size_t n = 0;

	if (set == INVALID_HANDLE_VALUE)
		return -EIO;
	v = cv_xcalloc(DEVICES_MAX, sizeof(*v));
	for (DWORD i = 0; n < DEVICES_MAX; i++) {
		SP_DEVINFO_DATA dev = { .cbSize = sizeof(dev) };
		WCHAR id[1024];
		ULONG status = 0, problem = 0;
		json_t *o, *inst;

		if (!SetupDiEnumDeviceInfo(set, i, &dev))
			break;
		if (!SetupDiGetDeviceInstanceIdW(set, &dev, id, CV_ELEMENTSOF(id), NULL))
			continue;
		inst = win_json_str(id);
		if (!json_is_string(inst)) {
			json_decref(inst);
			continue;
		}
		o = json_object();
		json_object_set_new(o, "instance", inst);
		json_object_set_new(o, "hardware_ids", multi_property(set, &dev, SPDRP_HARDWAREID));
		json_object_set_new(o, "service", string_property(set, &dev, SPDRP_SERVICE));
		json_object_set_new(o, "class", string_property(set, &dev, SPDRP_CLASS));
		json_object_set_new(o, "description", string_property(set, &dev, SPDRP_DEVICEDESC));
		if (CM_Get_DevNode_Status(&status, &problem, dev.DevInst, 0) != CR_SUCCESS || !(status & DN_HAS_PROBLEM))
			problem = 0;
		json_object_set_new(o, "problem", json_integer(problem));
		v[n++] = o;
	}
	SetupDiDestroyDeviceInfoList(set);
	qsort(v, n, sizeof(*v), by_instance);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	return win_json_bytes(arr, ret, ret_len);
}
