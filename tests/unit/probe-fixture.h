/*
 * probe-fixture.h - a test's descriptor of one of tests/fixtures/<name>,
 * probed by the real probe (the roots are real machines' sources).
 */
#ifndef COVALID_TESTS_PROBE_FIXTURE_H
#define COVALID_TESTS_PROBE_FIXTURE_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "tap.h"

static inline struct descriptor *probe_fixture(const char *name)
{
	char *root = cv_xasprintf("%s/tests/fixtures/%s/root", tap_srcdir(), name);
	struct probe_options po = { .root = root };
	struct descriptor *d = NULL;

	CHECK_INT(probe_run(&po, &d), 0);
	free(root);
	return d;
}

static inline int probe_fixture_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the machines under tests/fixtures (each has a root/),
 * sorted, so that a limited run takes the same ones every time; *ret_n
 * of them, each and the array the caller's to free. */
static inline char **probe_fixture_names(size_t *ret_n)
{
	char *dir = cv_xasprintf("%s/tests/fixtures", tap_srcdir());
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	CHECK(dh != NULL);
	while (dh && (de = readdir(dh))) {
		char *root = cv_xasprintf("%s/%s/root", dir, de->d_name);
		DIR *r = de->d_name[0] != '.' ? opendir(root) : NULL;

		if (r) {
			closedir(r);
			names = cv_xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = cv_xstrdup(de->d_name);
		}
		free(root);
	}
	if (dh)
		closedir(dh);
	free(dir);
	if (n)
		qsort(names, n, sizeof(*names), probe_fixture_cmp);
	CHECK(n >= 60); /* tests/fixtures has 69 machines */
	*ret_n = n;
	return names;
}

#endif
