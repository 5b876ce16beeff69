/*
 * version.c - versions and version statements (see covalid/version.h).
 */
#include <ctype.h>

#include "covalid/version.h"
#include "util/cv.h"

#define PART_BITS 16
#define PART_MASK 0xffffull

static uint64_t pack(const unsigned *p, int n, unsigned fill)
{
	uint64_t v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << PART_BITS) | (i < n ? p[i] : fill);
	return v;
}

/*
 * Reads the parts of one version at *s and advances it.  Accepts digits
 * separated by '.', and the suffixes Windows and SUSE write: " R2" (minor
 * 2), " SP4" (minor 4).  A trailing ".x" sets *ret_open (the rest of the
 * major).  Returns the number of parts, 0 if none.
 */
static int read_parts(const char **s, unsigned parts[4], bool *ret_open)
{
	const char *p = *s;
	int n = 0;

	*ret_open = false;
	while (*p == ' ')
		p++;
	while (n < 4) {
		unsigned long v;
		char *end;

		if (n > 0 && (*p == 'x' || *p == 'X') && !isalnum((unsigned char)p[1])) {
			*ret_open = true;
			p++;
			break;
		}
		if (!isdigit((unsigned char)*p))
			break;
		v = strtoul(p, &end, 10);
		if (v > VERSION_PART_MAX)
			return -1;
		parts[n++] = (unsigned)v;
		p = end;
		if (*p == '.' && (isdigit((unsigned char)p[1]) || p[1] == 'x' || p[1] == 'X')) {
			p++;
			continue;
		}
		/* "2008 R2", "12 SP4": a named minor after a space. */
		if (n == 1 && p[0] == ' ' && (p[1] == 'R' || p[1] == 'r') && isdigit((unsigned char)p[2])) {
			p += 2;
			continue;
		}
		if (n == 1 && p[0] == ' ' && (p[1] == 'S' || p[1] == 's') && (p[2] == 'P' || p[2] == 'p') &&
		    isdigit((unsigned char)p[3])) {
			p += 3;
			continue;
		}
		break;
	}
	*s = p;
	return n;
}

int version_parse(const char *s, uint64_t *ret)
{
	unsigned parts[4];
	bool open;
	int n;

	if (!s)
		return -EINVAL;
	n = read_parts(&s, parts, &open);
	if (n <= 0 || open)
		return -EINVAL;
	*ret = pack(parts, n, 0);
	return 0;
}

static bool word(const char *s, const char *w)
{
	while (*s == ' ')
		s++;
	return strcasecmp(s, w) == 0;
}

int version_spec_parse(const char *s, struct version_spec *ret, const char **ret_why)
{
	unsigned lo[4], hi[4];
	const char *p = s;
	bool open_lo, open_hi;
	int nlo, nhi;

	*ret_why = NULL;
	if (!s || !*s) {
		*ret_why = "empty version";
		return -EINVAL;
	}
	if (word(s, "unspecified") || word(s, "any") || word(s, "*")) {
		*ret = (struct version_spec){ 0, VERSION_MAX, true };
		return 0;
	}
	nlo = read_parts(&p, lo, &open_lo);
	if (nlo <= 0) {
		*ret_why = nlo < 0 ? "a version part is larger than 65534" : "a version must start with a number";
		return -EINVAL;
	}
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		/* "5.3" exact at its precision; "9.x" the whole major.  A year
		 * ("2008") names that release alone: "2008 R2" is another. */
		if (nlo == 1 && !open_lo && lo[0] >= 1000)
			lo[nlo++] = 0;
		ret->any = false;
		ret->lo = pack(lo, nlo, 0);
		ret->hi = pack(lo, nlo, (unsigned)PART_MASK);
		return 0;
	}
	if (*p == '+' && p[1] == '\0') {
		if (open_lo) {
			*ret_why = "'.x+' makes no sense";
			return -EINVAL;
		}
		ret->any = false;
		ret->lo = pack(lo, nlo, 0);
		/* A floor with a minor stays within its major (the seed lists
		 * each major separately); a bare major is open-ended. */
		ret->hi = nlo >= 2 ? pack(lo, 1, (unsigned)PART_MASK) : VERSION_MAX;
		return 0;
	}
	if (*p == '-' || strncmp(p, "\xe2\x80\x93", 3) == 0) {
		p += *p == '-' ? 1 : 3;
		if (open_lo) {
			*ret_why = "a range cannot start with '.x'";
			return -EINVAL;
		}
		nhi = read_parts(&p, hi, &open_hi);
		while (*p == ' ')
			p++;
		if (nhi <= 0 || *p != '\0') {
			*ret_why = "a range needs a version after '-' and nothing after it";
			return -EINVAL;
		}
		ret->any = false;
		ret->lo = pack(lo, nlo, 0);
		ret->hi = pack(hi, nhi, (unsigned)PART_MASK);
		if (ret->hi < ret->lo) {
			*ret_why = "a range must not end before it starts";
			return -EINVAL;
		}
		return 0;
	}
	*ret_why = "expected N, N.M, N.M-N.M, N.x, N.M+ or unspecified";
	return -EINVAL;
}

void version_format(uint64_t v, char *buf, size_t size)
{
	unsigned p[4];
	int n = 4;

	for (int i = 3; i >= 0; i--, v >>= PART_BITS)
		p[i] = (unsigned)(v & PART_MASK);
	while (n > 1 && (p[n - 1] == 0 || p[n - 1] == PART_MASK))
		n--;
	if (n == 1)
		snprintf(buf, size, "%u", p[0]);
	else if (n == 2)
		snprintf(buf, size, "%u.%u", p[0], p[1]);
	else if (n == 3)
		snprintf(buf, size, "%u.%u.%u", p[0], p[1], p[2]);
	else
		snprintf(buf, size, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

bool version_before(const char *a, const char *b)
{
	uint64_t x, y;

	if (!a || !b || version_parse(a, &x) < 0 || version_parse(b, &y) < 0)
		return false;
	return x < y;
}
