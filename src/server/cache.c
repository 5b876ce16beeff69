/*
 * cache.c - answers of the public read routes, kept per catalog
 * generation (docs/server.md, "Caching").
 *
 * The catalog is read far more often than it is written, and every write
 * bumps its generation; an answer computed at generation G stays right
 * until the generation moves.  So a GET of the catalog, or a check of a
 * descriptor already checked, is answered from memory: no SQL beyond
 * reading the generation, no JSON to build.
 *
 * A fixed table of slots, direct-mapped by a hash of the key, one mutex
 * each: no eviction bookkeeping, and two threads only contend when their
 * keys share a slot.  Memory is bounded in bytes, not only in slots: keys
 * are digests (32 bytes, dispatch.c), and the answers the table holds add up
 * to at most CACHE_MAX_BYTES; an answer that would pass that is served but
 * not kept.  (Bounded by slots alone, 1024 slots of 1 MB keys were a
 * gigabyte an anonymous client could make the server hold.)  Entries are
 * reference-counted so an answer being sent survives its replacement in
 * the table.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>

#include "server/server-internal.h"
#include "util/cv.h"

#define CACHE_SLOTS 1024
#define CACHE_MAX_ENTRY (2 * 1024 * 1024)
#define CACHE_MAX_BYTES (64 * 1024 * 1024)

struct cache_entry {
	atomic_int refs;
	int64_t generation;
	char *key;
	size_t key_len;
	unsigned status;
	const char *content_type; /* static strings only */
	char etag[40];
	size_t len;
	char body[];
};

struct slot {
	pthread_mutex_t lock;
	struct cache_entry *e;
};

struct resp_cache {
	struct slot slots[CACHE_SLOTS];
	atomic_ulong hits, misses;
	atomic_size_t bytes; /* of the entries in the table */
};

static size_t entry_size(const struct cache_entry *e)
{
	return sizeof(*e) + e->key_len + e->len + 1;
}

struct resp_cache *resp_cache_new(void)
{
	struct resp_cache *c = cv_xcalloc(1, sizeof(*c));

	for (size_t i = 0; i < CACHE_SLOTS; i++)
		pthread_mutex_init(&c->slots[i].lock, NULL);
	return c;
}

void cache_entry_unref(struct cache_entry *e)
{
	if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
		free(e->key);
		free(e);
	}
}

void resp_cache_free(struct resp_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		cache_entry_unref(c->slots[i].e);
		pthread_mutex_destroy(&c->slots[i].lock);
	}
	free(c);
}

/* Keys are compared whole, so the hash only spreads them over the slots:
 * FNV-1a, eight bytes at a time (keys are digests today, but the table
 * does not rely on it). */
static struct slot *slot_of(struct resp_cache *c, const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, key + i, 8);
		h = (h ^ w) * 1099511628211ull;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
	h ^= h >> 29;
	return &c->slots[h % CACHE_SLOTS];
}

struct cache_entry *resp_cache_get(struct resp_cache *c, const char *key, size_t key_len, int64_t generation)
{
	struct slot *s = slot_of(c, key, key_len);
	struct cache_entry *e;

	pthread_mutex_lock(&s->lock);
	e = s->e;
	if (e && e->generation == generation && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
		atomic_fetch_add(&e->refs, 1);
	else
		e = NULL;
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add(e ? &c->hits : &c->misses, 1);
	return e;
}

struct cache_entry *resp_cache_put(struct resp_cache *c, const char *key, size_t key_len, int64_t generation,
				   unsigned status, const char *content_type, const char *body, size_t len)
{
	struct slot *s = slot_of(c, key, key_len);
	struct cache_entry *e, *old = NULL;
	unsigned char digest[8];

	if (len > CACHE_MAX_ENTRY)
		return NULL;
	e = cv_xmalloc(sizeof(*e) + len + 1);
	atomic_init(&e->refs, 2); /* the table's and the caller's */
	e->generation = generation;
	e->key = cv_xmalloc(key_len);
	memcpy(e->key, key, key_len);
	e->key_len = key_len;
	e->status = status;
	e->content_type = content_type;
	e->len = len;
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	/* A strong validator: the generation and a digest of the bytes. */
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)body, len, NULL, 0);
	snprintf(e->etag, sizeof(e->etag), "\"%" PRId64 "-%02x%02x%02x%02x%02x%02x%02x%02x\"", generation, digest[0],
		 digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7]);
	pthread_mutex_lock(&s->lock);
	if ((!s->e || s->e->generation <= generation) &&
	    atomic_load(&c->bytes) + entry_size(e) - (s->e ? entry_size(s->e) : 0) <= CACHE_MAX_BYTES) {
		old = s->e;
		s->e = e;
		atomic_fetch_add(&c->bytes, entry_size(e));
		if (old)
			atomic_fetch_sub(&c->bytes, entry_size(old));
	} else
		/* A newer answer is there, or the table is full: keep what
		 * is there, hand this one back only. */
		atomic_fetch_sub(&e->refs, 1);
	pthread_mutex_unlock(&s->lock);
	cache_entry_unref(old);
	return e;
}

const char *cache_entry_body(const struct cache_entry *e, size_t *ret_len, unsigned *ret_status,
			     const char **ret_content_type, const char **ret_etag)
{
	*ret_len = e->len;
	*ret_status = e->status;
	*ret_content_type = e->content_type;
	*ret_etag = e->etag;
	return e->body;
}

void resp_cache_stats(struct resp_cache *c, unsigned long *ret_hits, unsigned long *ret_misses, size_t *ret_bytes)
{
	*ret_hits = atomic_load(&c->hits);
	*ret_misses = atomic_load(&c->misses);
	*ret_bytes = atomic_load(&c->bytes);
}
