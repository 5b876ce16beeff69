/* hmap.c - string-keyed hash map (see covalid/util.h). */
#include "util/cv.h"

uint64_t cv_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

void cv_hmap_init(struct cv_hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void cv_hmap_release(struct cv_hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	cv_hmap_init(m);
}

static size_t slot(const struct cv_hmap *m, const char *key)
{
	size_t i = (size_t)cv_hash(key, strlen(key)) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void grow(struct cv_hmap *m)
{
	struct cv_hmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->keys = cv_xcalloc(m->cap, sizeof(*m->keys));
	m->vals = cv_xcalloc(m->cap, sizeof(*m->vals));
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			size_t j = slot(m, old.keys[i]);

			m->keys[j] = old.keys[i];
			m->vals[j] = old.vals[i];
		}
	free(old.keys);
	free(old.vals);
}

bool cv_hmap_put(struct cv_hmap *m, const char *key, uintptr_t val)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	i = slot(m, key);
	m->vals[i] = val;
	if (m->keys[i])
		return false;
	m->keys[i] = cv_xstrdup(key);
	m->n++;
	return true;
}

bool cv_hmap_get(const struct cv_hmap *m, const char *key, uintptr_t *ret)
{
	size_t i;

	if (!m->cap)
		return false;
	i = slot(m, key);
	if (!m->keys[i])
		return false;
	if (ret)
		*ret = m->vals[i];
	return true;
}
