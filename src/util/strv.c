/* strv.c - vectors of owned strings (see covalid/util.h). */
#include "util/cv.h"

void cv_strv_init(struct cv_strv *s)
{
	s->v = NULL;
	s->n = 0;
	s->alloc = 0;
}

void cv_strv_release(struct cv_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	cv_strv_init(s);
}

void cv_strv_push_take(struct cv_strv *s, char *str)
{
	if (s->n + 2 > s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 8;
		s->v = cv_xreallocarray(s->v, s->alloc, sizeof(*s->v));
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void cv_strv_push(struct cv_strv *s, const char *str)
{
	cv_strv_push_take(s, cv_xstrdup(str));
}

bool cv_strv_contains(const struct cv_strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

bool cv_strv_add_unique(struct cv_strv *s, const char *str)
{
	if (cv_strv_contains(s, str))
		return false;
	cv_strv_push(s, str);
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cv_strv_sort(struct cv_strv *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_str);
}

char *cv_strv_join(const struct cv_strv *s, const char *sep)
{
	struct cv_buf b;

	cv_buf_init(&b, SIZE_MAX / 2);
	for (size_t i = 0; i < s->n; i++) {
		if ((i && cv_buf_puts(&b, sep) < 0) || cv_buf_puts(&b, s->v[i]) < 0)
			abort(); /* cannot happen below SIZE_MAX / 2 */
	}
	return cv_buf_detach(&b, NULL);
}
