/* parse.c - strict number and HOST:PORT parsing (see covalid/util.h). */
#include "util/cv.h"

#include <ctype.h>

/* strtoull() accepts "-1" and wraps it; refuse any sign for unsigned. */
int cv_parse_u64(const char *s, int base, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base ? base : 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cv_parse_i64(const char *s, int base, int64_t *ret)
{
	long long v;
	char *end;

	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, base ? base : 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int cv_parse_int(const char *s, int *ret)
{
	int64_t v;
	int r = cv_parse_i64(s, 10, &v);

	if (r < 0)
		return r;
	if (v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*ret = (int)v;
	return 0;
}

int cv_parse_host_port(const char *s, char **ret_host, uint16_t *ret_port)
{
	const char *host = s, *colon, *port;
	size_t host_len, port_len;
	unsigned long v = 0;

	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		host = s + 1;
		host_len = (size_t)(end - host);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		host_len = (size_t)(colon - s);
	}
	/* A stray bracket is a mistyped IPv6 address, not a name to look up. */
	if (memchr(host, '[', host_len) || memchr(host, ']', host_len))
		return -EINVAL;
	port = colon + 1;
	port_len = strlen(port);
	/* Digits only: strtoul() would take a sign or spaces, and
	 * getaddrinfo() a port above 65535, cut to 16 bits. */
	if (port_len < 1 || port_len > 5 || strspn(port, "0123456789") != port_len)
		return -EINVAL;
	for (size_t i = 0; i < port_len; i++)
		v = v * 10 + (unsigned long)(port[i] - '0');
	if (v > 65535)
		return -EINVAL;
	*ret_host = cv_xstrndup(host, host_len);
	*ret_port = (uint16_t)v;
	return 0;
}
