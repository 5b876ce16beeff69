/*
 * probe-fixture.h - a test's descriptor of one of tests/fixtures/<name>,
 * probed by the real probe (the roots are real machines' sources).
 */
#ifndef COVALID_TESTS_PROBE_FIXTURE_H
#define COVALID_TESTS_PROBE_FIXTURE_H

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

#endif
