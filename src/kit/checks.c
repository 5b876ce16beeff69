/*
 * checks.c - the lookups over the check table that every system shares
 * (covalid/kit.h): the table itself is the system's own (registry.c on
 * Linux, win/registry.c on Windows), reached through kit_table().
 */
#include "kit/kit-internal.h"
#include "util/cv.h"

/* No system has more checks than this; kit_checks() lists into a fixed array. */
#define MAX_CHECKS 64

bool kit_selftest(void)
{
	const char *s = getenv("COVALID_KIT_SELFTEST");

	return s && strcmp(s, "1") == 0;
}

size_t kit_checks(const struct kit_check_info *const **ret)
{
	static const struct kit_check_info *list[MAX_CHECKS];
	size_t n_table, n = 0;
	const struct kit_check *t = kit_table(&n_table);

	for (size_t i = 0; i < n_table && n < MAX_CHECKS; i++)
		if (!t[i].info.hidden || kit_selftest())
			list[n++] = &t[i].info;
	*ret = list;
	return n;
}

const struct kit_check_info *kit_check_find(const char *id)
{
	size_t n;
	const struct kit_check *t = kit_table(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].info.id, id) == 0 && (!t[i].info.hidden || kit_selftest()))
			return &t[i].info;
	return NULL;
}

const char *kit_status_name(enum kit_status s)
{
	static const char *const names[KIT_STATUS__MAX] = { "pass", "fail", "skip", "error" };

	return s < KIT_STATUS__MAX ? names[s] : "?";
}
