/* win/libc.c - POSIX and GNU string functions Windows's C runtime lacks (see win/libc.h). */
#include <ctype.h>

#include "util/cv.h"

char *strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = malloc(len + 1);

	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *strcasestr(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack; haystack++)
		if (strncasecmp(haystack, needle, n) == 0)
			return (char *)haystack;
	return n == 0 ? (char *)haystack : NULL;
}

void *memmem(const void *haystack, size_t hlen, const void *needle, size_t nlen)
{
	const char *h = haystack;

	if (nlen == 0)
		return (void *)h;
	for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (h[i] == *(const char *)needle && memcmp(h + i, needle, nlen) == 0)
			return (void *)(h + i);
	return NULL;
}
