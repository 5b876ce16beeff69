/* buf.c - bounded growable buffers (see covalid/util.h). */
#include "util/cv.h"

void cv_buf_init(struct cv_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void cv_buf_release(struct cv_buf *b)
{
	free(b->data);
	cv_buf_init(b, b->max);
}

void cv_buf_reset(struct cv_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void buf_grow(struct cv_buf *b, size_t need)
{
	size_t a = b->alloc ? b->alloc : 64;

	if (need + 1 <= b->alloc)
		return;
	while (a < need + 1)
		a = a > SIZE_MAX / 2 ? need + 1 : a * 2;
	b->data = cv_xrealloc(b->data, a);
	b->alloc = a;
}

void cv_buf_reserve(struct cv_buf *b, size_t n)
{
	buf_grow(b, n < b->max ? n : b->max);
}

int cv_buf_append(struct cv_buf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -E2BIG;
	buf_grow(b, b->len + n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int cv_buf_puts(struct cv_buf *b, const char *s)
{
	return cv_buf_append(b, s, strlen(s));
}

int cv_buf_xml_text(struct cv_buf *b, const char *s)
{
	for (; s && *s; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;
		int r = 0;

		if (rep)
			r = cv_buf_puts(b, rep);
		else if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
			r = cv_buf_append(b, s, 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int cv_buf_vprintf(struct cv_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	/* Formatted straight into the room there is, and only again when
	 * it did not fit: formatting twice (to measure, then to write) was
	 * half of every call's cost. */
	va_copy(cp, ap);
	if (b->alloc > b->len + 1) {
		n = vsnprintf(b->data + b->len, b->alloc - b->len, fmt, cp);
		va_end(cp);
		if (n < 0) {
			b->data[b->len] = '\0';
			return -EINVAL;
		}
		if ((size_t)n < b->alloc - b->len && (size_t)n <= b->max && b->len <= b->max - (size_t)n) {
			b->len += (size_t)n;
			return 0;
		}
		b->data[b->len] = '\0'; /* the cut copy is not kept */
	} else {
		n = vsnprintf(NULL, 0, fmt, cp);
		va_end(cp);
		if (n < 0)
			return -EINVAL;
	}
	if ((size_t)n > b->max || b->len > b->max - (size_t)n)
		return -E2BIG;
	buf_grow(b, b->len + (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int cv_buf_printf(struct cv_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = cv_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *cv_buf_detach(struct cv_buf *b, size_t *ret_len)
{
	char *p;

	if (!b->data)
		buf_grow(b, 0);
	p = b->data;
	p[b->len] = '\0';
	if (ret_len)
		*ret_len = b->len;
	cv_buf_init(b, b->max);
	return p;
}
