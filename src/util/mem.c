/* mem.c - allocation that aborts on exhaustion (see covalid/util.h). */
#include "util/cv.h"

static void *die_oom(size_t n)
{
	/* Nothing sensible can be done without memory; say so once. */
	fprintf(stderr, "covalid: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *cv_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : die_oom(n);
}

void *cv_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	return p ? p : die_oom(nmemb * size);
}

void *cv_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	return q ? q : die_oom(n);
}

void *cv_xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return die_oom(SIZE_MAX);
	return cv_xrealloc(p, nmemb * size);
}

char *cv_xstrdup(const char *s)
{
	char *p = strdup(s);

	return p ? p : die_oom(strlen(s));
}

char *cv_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	return p ? p : die_oom(n);
}

char *cv_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	return r < 0 ? die_oom(0) : p;
}

void *cv_free(void *p)
{
	free(p);
	return NULL;
}
