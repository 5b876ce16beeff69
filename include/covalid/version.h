/*
 * covalid/version.h - software versions and the version statements of
 * support matrices ("5.3", "7.0-7.9", "8.1-8.x", "9.x", "5.11+",
 * "2008 R2", "2012 R2+", "12 SP4", "unspecified").
 *
 * A version is up to four numeric parts, each 0..65534, packed into a
 * uint64_t so that comparing two versions is one integer comparison:
 * "5.3" is (5, 3, 0, 0), "22.04" is (22, 4, 0, 0), "7.9.2009" is
 * (7, 9, 2009, 0).  Windows releases use their year as the major part and
 * "R2" as minor 2 ("2008 R2" is (2008, 2)); SUSE's "12 SP4" is (12, 4).
 *
 * A statement (struct version_spec) is an inclusive interval [lo, hi]
 * precompiled from its text, so matching is two comparisons:
 *   "5.3"          exact, at the precision written: 5.3, 5.3.1 ... not 5.30
 *   "7"            every 7.x; but a year ("2008") is that release only,
 *                  since "2008 R2" is a different one
 *   "7.0-7.9"      closed range (also with an en dash)
 *   "8.1-8.x"      from 8.1 to the end of major 8; "9.x" is all of 9
 *   "5.11+"        a floor within its major (5.11 .. 5.x); "2012+" (no
 *                  minor) is a floor with no ceiling
 *   "unspecified", "any", "*"   every version
 * The grammar is documented in docs/catalog.md.  Pure functions, no state.
 */
#ifndef COVALID_VERSION_H
#define COVALID_VERSION_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/util.h"

#define VERSION_PART_MAX 65534u
#define VERSION_MAX UINT64_MAX

struct version_spec {
	uint64_t lo, hi;
	bool any;
};

/* Parses a version; -EINVAL if s holds no leading number or a part is too big. */
int version_parse(const char *s, uint64_t *ret) CV_WUR;
/* Whether version a (a kernel release, "2.6.18-92.el5") is older than b
 * ("2.6.22"); false if either does not parse. */
bool version_before(const char *a, const char *b);
/* Parses a statement; -EINVAL with a reason in *ret_why (static text). */
int version_spec_parse(const char *s, struct version_spec *ret, const char **ret_why) CV_WUR;
static inline bool version_spec_match(const struct version_spec *s, uint64_t v)
{
	return s->any || (v >= s->lo && v <= s->hi);
}
/* Formats a packed version ("5.3", "2008 R2" is not reconstructed: "2008.2"). */
void version_format(uint64_t v, char *buf, size_t size);
/* The major part. */
static inline unsigned version_major(uint64_t v)
{
	return (unsigned)(v >> 48);
}

#endif
