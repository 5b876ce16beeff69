/*
 * win/libc.h - the few POSIX and GNU string functions covalid uses that
 * Windows's C runtime lacks (win/libc.c), declared with their usual
 * names, so that the portable files call them as they do on Linux.
 * Included by util/cv.h on Windows only.
 */
#ifndef CV_UTIL_WIN_LIBC_H
#define CV_UTIL_WIN_LIBC_H

#include <stddef.h>

char *strndup(const char *s, size_t n);
char *strcasestr(const char *haystack, const char *needle);
void *memmem(const void *haystack, size_t hlen, const void *needle, size_t nlen);

#endif
