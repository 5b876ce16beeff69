/* str.c - small string helpers (see covalid/util.h). */
#include "util/cv.h"

bool cv_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool cv_startswith(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool cv_endswith(const char *s, const char *suffix)
{
	size_t a, b;

	if (!s)
		return false;
	a = strlen(s);
	b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *cv_strstrip(char *s)
{
	size_t n = strlen(s);
	size_t i = 0;

	while (n && is_space(s[n - 1]))
		s[--n] = '\0';
	while (i < n && is_space(s[i]))
		i++;
	if (i)
		memmove(s, s + i, n - i + 1);
	return s;
}

/* Returns the length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	size_t n;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Whether the valid sequence of n bytes at p is a control character: C0,
 * DEL, or C1 (U+0080..U+009F, "\xc2\x80".."\xc2\x9f").  A terminal
 * takes C1 as it takes ESC: U+009B is CSI, U+009D OSC.
 */
static bool is_control(const unsigned char *p, size_t n)
{
	return (n == 1 && (p[0] < 0x20 || p[0] == 0x7f)) || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
}

bool cv_str_is_clean_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);

		if (!n || is_control(p + i, n))
			return false;
		i += n;
	}
	return true;
}

char *cv_str_sanitize_text(const char *s, size_t len, const char *indent)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t ilen = indent ? strlen(indent) : 0, i = 0, o = 0, lines = 0;
	char *out;

	for (i = 0; i < len; i++)
		lines += p[i] == '\n';
	out = cv_xmalloc(len + lines * ilen + 1);
	for (i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);

		if (n == 1 && p[i] == '\n' && indent) {
			out[o++] = '\n';
			memcpy(out + o, indent, ilen);
			o += ilen;
		} else if (n == 1 && p[i] == '\t')
			out[o++] = ' ';
		else if (!n || is_control(p + i, n))
			out[o++] = '?';
		else {
			memcpy(out + o, p + i, n);
			o += n;
		}
		i += n ? n : 1;
	}
	out[o] = '\0';
	return out;
}

char *cv_str_sanitize(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = cv_xmalloc((len < max ? len : max) + 1);
	size_t i = 0, o = 0;

	while (i < len && o < max) {
		size_t n = utf8_seq(p + i, len - i);

		if (!n || is_control(p + i, n)) {
			out[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

bool cv_word_in(const char *list, const char *word)
{
	size_t n = word ? strlen(word) : 0;

	if (!n || !list)
		return false;
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

bool cv_uuid_well_formed(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

bool cv_uuid_all(const char *s, char c)
{
	for (; *s; s++)
		if (*s != '-' && (*s | 0x20) != (c | 0x20))
			return false;
	return true;
}
