/*
 * cache.c - answers of the public read routes, kept across catalog
 * generations for as long as what they depend on has not changed
 * (docs/server.md, "Caching").
 *
 * The catalog is read far more often than it is written.  An answer is
 * computed at generation G and carries what it depends on (struct
 * cache_dep): a /check answer its guest OS's configurations, a
 * configuration list its filters, anything else the whole catalog.  The
 * snapshot builder (snapshot.c) tells the cache, for each generation
 * step it catches up with, what changed in it (resp_cache_step(): the old
 * and new versions of the configurations written, or "everything": a
 * product, a vendor, a full rebuild).  A lookup at a later generation
 * accepts the answer when no step since G touched what it depends on, and
 * restamps it; when the steps since G are not all known (past the log's
 * bound, or not caught up yet) it does not.  So a write to one guest OS
 * leaves every other OS's answers served from memory: no SQL beyond
 * reading the generation, no JSON to build.
 *
 * A fixed table of slots, direct-mapped by a hash of the key, one mutex
 * each: no eviction bookkeeping, and two threads only contend when their
 * keys share a slot.  A key is the request itself -- method, target and
 * body (struct cache_key; a large body as a keyed digest) -- kept whole
 * and compared whole, so the hash only picks the slot and need not resist
 * collisions (cache_key_init).
 * Memory is bounded in bytes, not only in slots: the keys and answers the
 * table holds add up to at most CACHE_MAX_BYTES; an answer that would
 * pass that is served but not kept.  (Bounded by slots alone, 1024 slots
 * of 1 MB keys were a gigabyte an anonymous client could make the server
 * hold.)  Entries are reference-counted so an answer being sent survives
 * its replacement in the table.
 *
 * Admission (resp_cache_admit): a POST's answer (a /check) is kept the
 * second time its request is seen, or when others waited for its first
 * computation.  A fleet's checks are mostly bodies seen once (each
 * descriptor has its own probed_at): kept at first sight, each pushed a
 * hot answer out of its slot (1024 of them: a few thousand new
 * descriptors emptied the table of the catalog's answers) and cost the
 * miss a copy of its key and the eviction's free.  First sights are
 * remembered by their hash alone, in a table of CACHE_SEEN words.
 *
 * Single flight: a worker that misses claims the key in its slot
 * (resp_cache_wait); another worker missing the same key meanwhile waits
 * for that answer instead of computing it again, at most
 * CACHE_FLIGHT_WAIT_MS, after which it computes it itself.  The event
 * thread claims without waiting (resp_cache_try): a key in flight
 * elsewhere goes to a worker, which waits for it.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <time.h>

#include "covalid/catalog.h"
#include "server/server-internal.h"
#include "util/cv.h"

#define CACHE_SLOTS 1024
#define CACHE_MAX_ENTRY (2 * 1024 * 1024)
#define CACHE_MAX_BYTES (64 * 1024 * 1024)
/* Generation steps remembered; an answer older than the oldest is not
 * revalidated (recomputed once).  At 10 writes a second, six seconds. */
#define CACHE_LOG_STEPS 64
/* Configurations a step lists; a step with more counts as "everything". */
#define CACHE_STEP_MAX_CONFIGS 1024
/* Request hashes remembered for admission (8 bytes each). */
#define CACHE_SEEN 4096
/* How long a miss waits for another worker's computation of the same key. */
#define CACHE_FLIGHT_WAIT_MS 2000

/* A key as the table keeps it: the parts one after another. */
struct kept_key {
	char *bytes; /* NULL: none */
	size_t len[CACHE_KEY_PARTS];
	bool digested;
	uint64_t hash;
};

struct cache_entry {
	atomic_int refs;
	int64_t generation; /* computed at, or revalidated at (under the slot's lock) */
	struct cache_dep dep;
	struct kept_key key;
	unsigned status;
	const char *content_type; /* static strings only */
	char etag[40];
	size_t len;
	char *body; /* the handler's own buffer, taken over (resp_cache_put) */
};

struct slot {
	pthread_mutex_t lock;
	pthread_cond_t landed; /* the key in flight was put or released */
	struct cache_entry *e;
	struct kept_key flight; /* the key a worker is computing (bytes NULL: none) */
	bool flight_waited;     /* someone waited for it: its answer is wanted twice */
};

/* What changed from generation from to to (snapshot.c). */
struct cache_step {
	int64_t from, to;
	bool global;
	struct catalog_config **configs; /* both versions of each written one, a reference each */
	size_t n_configs;
};

struct resp_cache {
	struct slot slots[CACHE_SLOTS];
	atomic_ulong hits, misses, revalidated, waited, evicted, declined;
	atomic_uint waiting; /* threads waiting for another's computation now */
	_Atomic uint64_t seen[CACHE_SEEN]; /* hashes of requests seen once (0: none) */
	atomic_size_t bytes; /* of the entries in the table */
	atomic_size_t hand;  /* the next slot make_room() looks at */
	pthread_mutex_t log_lock;
	struct cache_step log[CACHE_LOG_STEPS]; /* a ring: log[(first + i) % CACHE_LOG_STEPS] */
	size_t first, n_steps;
};

/* The bytes of a key's parts together. */
static size_t key_size(const size_t len[CACHE_KEY_PARTS])
{
	size_t n = 0;

	for (size_t i = 0; i < CACHE_KEY_PARTS; i++)
		n += len[i];
	return n;
}

static void key_keep(struct kept_key *dst, const struct cache_key *k)
{
	char *p = dst->bytes = cv_xmalloc(key_size(k->len) + 1);

	for (size_t i = 0; i < CACHE_KEY_PARTS; i++) {
		if (k->len[i])
			memcpy(p, k->part[i], k->len[i]);
		p += k->len[i];
	}
	memcpy(dst->len, k->len, sizeof(dst->len));
	dst->digested = k->digested;
	dst->hash = k->hash;
}

static bool key_is(const struct kept_key *kept, const struct cache_key *k)
{
	const char *p = kept->bytes;

	if (!p || kept->hash != k->hash || kept->digested != k->digested ||
	    memcmp(kept->len, k->len, sizeof(kept->len)) != 0)
		return false;
	for (size_t i = 0; i < CACHE_KEY_PARTS; i++) {
		if (k->len[i] && memcmp(p, k->part[i], k->len[i]) != 0)
			return false;
		p += k->len[i];
	}
	return true;
}

static size_t entry_size(const struct cache_entry *e)
{
	return sizeof(*e) + key_size(e->key.len) + e->len + 1;
}

struct resp_cache *resp_cache_new(void)
{
	struct resp_cache *c = cv_xcalloc(1, sizeof(*c));
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		pthread_mutex_init(&c->slots[i].lock, NULL);
		pthread_cond_init(&c->slots[i].landed, &ca);
	}
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&c->log_lock, NULL);
	return c;
}

void cache_entry_unref(struct cache_entry *e)
{
	if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
		free(e->key.bytes);
		free(e->body);
		free(e);
	}
}

static void step_release(struct cache_step *st)
{
	for (size_t i = 0; i < st->n_configs; i++)
		catalog_config_free(st->configs[i]);
	free(st->configs);
	*st = (struct cache_step){ 0 };
}

void resp_cache_free(struct resp_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		cache_entry_unref(c->slots[i].e);
		free(c->slots[i].flight.bytes);
		pthread_mutex_destroy(&c->slots[i].lock);
		pthread_cond_destroy(&c->slots[i].landed);
	}
	for (size_t i = 0; i < c->n_steps; i++)
		step_release(&c->log[(c->first + i) % CACHE_LOG_STEPS]);
	pthread_mutex_destroy(&c->log_lock);
	free(c);
}

/* ---- what an answer depends on ---- */

static void lower_copy(char *dst, size_t size, const char *src, bool *ret_fits)
{
	size_t n = strlen(src);

	*ret_fits = n < size;
	if (!*ret_fits)
		return;
	for (size_t i = 0; i <= n; i++)
		dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
}

void cache_dep_os(struct cache_dep *d, const char *os_id)
{
	bool fits = false;

	*d = (struct cache_dep){ .kind = CACHE_DEP_ALL };
	if (!os_id)
		return;
	lower_copy(d->os, sizeof(d->os), os_id, &fits);
	if (fits)
		d->kind = CACHE_DEP_OS;
}

/* Only what a byte-wise comparison decides as SQL's lower() and strpos()
 * do: ASCII, and no space (a hypervisor filter "kvm microsoft" matches
 * across two ids of the stored list). */
static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || *s == ' ')
			return false;
	return true;
}

void cache_dep_list(struct cache_dep *d, const char *guest, const char *hypervisor, unsigned statuses)
{
	bool fits = true;

	*d = (struct cache_dep){ .kind = CACHE_DEP_LIST };
	d->statuses = statuses;
	if (guest && plain(guest)) {
		lower_copy(d->guest, sizeof(d->guest), guest, &fits);
		d->have_guest = fits;
	}
	if (hypervisor && plain(hypervisor)) {
		lower_copy(d->hypervisor, sizeof(d->hypervisor), hypervisor, &fits);
		d->have_hypervisor = fits;
	}
}

static bool ascii_contains(const char *hay, const char *needle)
{
	return !plain(needle) || !hay || strcasestr(hay, needle) != NULL;
}

/*
 * Whether a version of a configuration may be in a list with these
 * filters: false only when one filter surely excludes it (the store's
 * CONFIG_WHERE: the guest filter is the guest OS id or part of the guest
 * product's name, the hypervisor filter one of its ids or part of its
 * product's name, the status one of those asked).  The vendor and text
 * filters are not looked at: a list filtered by them is invalidated as if
 * they were absent, which costs a recomputation, never a stale answer.
 */
static bool list_may_hold(const struct cache_dep *d, const struct catalog_config *c)
{
	if (d->statuses && !(d->statuses & (1u << c->status)))
		return false;
	if (d->have_guest && strcasecmp(c->guest.os_id, d->guest) != 0 &&
	    !ascii_contains(c->guest.product, d->guest))
		return false;
	if (d->have_hypervisor) {
		bool hit = ascii_contains(c->hypervisor.product, d->hypervisor);

		for (size_t i = 0; i < c->hypervisor.ids.n && !hit; i++)
			hit = strcasecmp(c->hypervisor.ids.v[i], d->hypervisor) == 0;
		if (!hit)
			return false;
	}
	return true;
}

static bool step_touches(const struct cache_step *st, const struct cache_dep *d)
{
	if (st->global || d->kind == CACHE_DEP_ALL)
		return true;
	for (size_t i = 0; i < st->n_configs; i++) {
		const struct catalog_config *c = st->configs[i];

		if (d->kind == CACHE_DEP_OS ? strcasecmp(c->guest.os_id, d->os) == 0 : list_may_hold(d, c))
			return true;
	}
	return false;
}

/* Whether nothing e depends on changed from its generation to gen: every
 * step in between is known and none touched it. */
static bool still_valid(struct resp_cache *c, const struct cache_entry *e, int64_t gen)
{
	bool ok = false;

	pthread_mutex_lock(&c->log_lock);
	if (c->n_steps && c->log[c->first].from <= e->generation &&
	    c->log[(c->first + c->n_steps - 1) % CACHE_LOG_STEPS].to >= gen) {
		ok = true;
		for (size_t i = 0; i < c->n_steps && ok; i++) {
			const struct cache_step *st = &c->log[(c->first + i) % CACHE_LOG_STEPS];

			if (st->to > e->generation && st->from < gen)
				ok = !step_touches(st, &e->dep);
		}
	}
	pthread_mutex_unlock(&c->log_lock);
	return ok;
}

void resp_cache_step(struct resp_cache *c, int64_t from, int64_t to, bool global, struct catalog_config **configs,
		     size_t n_configs)
{
	struct cache_step st = { from, to, global || n_configs > CACHE_STEP_MAX_CONFIGS, NULL, 0 };

	if (!st.global && n_configs) {
		st.configs = cv_xcalloc(n_configs, sizeof(*st.configs));
		for (size_t i = 0; i < n_configs; i++)
			st.configs[st.n_configs++] = catalog_config_ref(configs[i]);
	}
	pthread_mutex_lock(&c->log_lock);
	/* Steps chain (each from the last one's to); a gap forgets the
	 * past, so nothing older is revalidated across it. */
	if (c->n_steps && c->log[(c->first + c->n_steps - 1) % CACHE_LOG_STEPS].to != from) {
		for (size_t i = 0; i < c->n_steps; i++)
			step_release(&c->log[(c->first + i) % CACHE_LOG_STEPS]);
		c->n_steps = 0;
		c->first = 0;
	}
	if (c->n_steps == CACHE_LOG_STEPS) {
		step_release(&c->log[c->first]);
		c->first = (c->first + 1) % CACHE_LOG_STEPS;
		c->n_steps--;
	}
	c->log[(c->first + c->n_steps++) % CACHE_LOG_STEPS] = st;
	pthread_mutex_unlock(&c->log_lock);
}

/* ---- the table ---- */

/*
 * The slot's hash: keys are compared whole (key_is), so it only spreads
 * them over the slots, and a cached hit hashes its whole body -- a 7 kB
 * descriptor with a keyed PRF (SipHash) was a sixth of a hit's server CPU.
 * Two lanes of 64x64->128-bit multiplies folded (the mixing of wyhash),
 * 32 bytes a round.  Keyed with the process's secret, so a client cannot
 * aim its keys at one slot without trying, and if it could, it would
 * only evict answers, as any 1024 distinct requests do.
 */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;
static inline uint64_t fold(uint64_t a, uint64_t b)
{
	u128 r = (u128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}
#else
static inline uint64_t fold(uint64_t a, uint64_t b)
{
	uint64_t r = a * (b | 1);

	return r ^ (r >> 32) ^ b;
}
#endif

static inline uint64_t word(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static uint64_t hash_bytes(const unsigned char *p, size_t n, uint64_t seed, const uint64_t secret[2])
{
	uint64_t a = seed ^ secret[0], b = seed ^ secret[1] ^ n;
	unsigned char tail[32] = { 0 };
	size_t left = n;

	for (; left > 32; p += 32, left -= 32) {
		a = fold(word(p) ^ secret[0], word(p + 8) ^ a);
		b = fold(word(p + 16) ^ secret[1], word(p + 24) ^ b);
	}
	if (left)
		memcpy(tail, p, left);
	a = fold(word(tail) ^ secret[0], word(tail + 8) ^ a);
	b = fold(word(tail + 16) ^ secret[1], word(tail + 24) ^ b);
	return fold(a ^ 0x9e3779b97f4a7c15ull, b ^ n);
}

/*
 * A body up to CACHE_KEY_WHOLE_MAX (a descriptor is 5-7 kB) is kept
 * whole; a larger one as its SipHash-2-4-128 under the secret, so that 40
 * distinct 1 MB descriptors make the cache hold 40 answers, not 40 MB of
 * keys (t4004).  Two bodies share such a key only by a collision of a
 * keyed PRF, which a client cannot aim at without the secret (2^-128 a
 * pair); at that size the digest's cost is a small part of the request's.
 */
_Static_assert(crypto_shorthash_siphashx24_KEYBYTES == 2 * sizeof(uint64_t), "the secret is a SipHash key");
_Static_assert(crypto_shorthash_siphashx24_BYTES == sizeof(((struct cache_key *)0)->digest), "a digest");

void cache_key_init(struct cache_key *k, const uint64_t secret[2], const char *method, const char *target,
		    const char *body, size_t body_len)
{
	uint64_t h = 0;

	k->part[0] = method;
	k->len[0] = strlen(method);
	k->part[1] = target;
	k->len[1] = strlen(target);
	k->part[2] = body ? body : "";
	k->len[2] = body ? body_len : 0;
	k->digested = k->len[2] > CACHE_KEY_WHOLE_MAX;
	if (k->digested) {
		unsigned char sk[crypto_shorthash_siphashx24_KEYBYTES];

		memcpy(sk, secret, sizeof(sk));
		crypto_shorthash_siphashx24(k->digest, (const unsigned char *)k->part[2], k->len[2], sk);
		sodium_memzero(sk, sizeof(sk));
		k->part[2] = (const char *)k->digest;
		k->len[2] = sizeof(k->digest);
		h = 1; /* a digest and a body of its 16 bytes differ (key_is too) */
	}
	/* Each part seeds the next, and its length is hashed with it:
	 * ("GET", "/ab") and ("GE", "T/ab") differ. */
	for (size_t i = 0; i < CACHE_KEY_PARTS; i++)
		h = hash_bytes((const unsigned char *)k->part[i], k->len[i], h, secret);
	k->hash = h ? h : 1; /* 0 marks an empty word of the admission table */
}

static struct slot *slot_of(struct resp_cache *c, const struct cache_key *k)
{
	return &c->slots[(k->hash ^ (k->hash >> 32)) % CACHE_SLOTS];
}

/* The slot's entry for key if it holds at generation, with a reference;
 * the slot's lock held. */
static struct cache_entry *entry_at(struct resp_cache *c, struct slot *s, const struct cache_key *k,
				    int64_t generation)
{
	struct cache_entry *e = s->e;

	/* An answer stamped later than asked is at least as new as asked
	 * (a worker revalidated it at a generation this lookup has not read
	 * yet): served. */
	if (!e || !key_is(&e->key, k))
		return NULL;
	if (e->generation < generation) {
		if (!still_valid(c, e, generation))
			return NULL;
		/* Valid at generation: the next lookup starts from there.
		 * The ETag stays: the bytes are the same. */
		e->generation = generation;
		atomic_fetch_add(&c->revalidated, 1);
	}
	atomic_fetch_add(&e->refs, 1);
	return e;
}

struct cache_entry *resp_cache_get(struct resp_cache *c, const struct cache_key *k, int64_t generation)
{
	struct slot *s = slot_of(c, k);
	struct cache_entry *e;

	pthread_mutex_lock(&s->lock);
	e = entry_at(c, s, k, generation);
	pthread_mutex_unlock(&s->lock);
	/* A miss is counted by the worker's resp_cache_wait(), which may
	 * still find it. */
	if (e)
		atomic_fetch_add(&c->hits, 1);
	return e;
}

static bool in_flight(const struct slot *s, const struct cache_key *k)
{
	return key_is(&s->flight, k);
}

/*
 * The lookup after a miss: the entry if it holds now, else the key
 * claimed if no one computes it (*ret_claimed).  With wait, a key in
 * flight is waited for (bounded); without, it is left to its computer:
 * NULL, unclaimed, uncounted, *ret_busy (the caller's worker looks
 * again).  Another key in flight in the slot is not waited for: the
 * caller computes, unclaimed.
 */
static struct cache_entry *lookup_or_claim(struct resp_cache *c, const struct cache_key *k, int64_t generation,
					   bool wait, bool *ret_claimed, bool *ret_busy)
{
	struct slot *s = slot_of(c, k);
	struct cache_entry *e;
	struct timespec until;
	bool waited = false, busy = false;
	int rc;

	*ret_claimed = false;
	if (wait)
		server_deadline(CLOCK_MONOTONIC, CACHE_FLIGHT_WAIT_MS, &until);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		e = entry_at(c, s, k, generation);
		if (e || !in_flight(s, k))
			break;
		if (!wait) {
			busy = true;
			break;
		}
		waited = true;
		s->flight_waited = true;
		atomic_fetch_add(&c->waiting, 1);
		rc = pthread_cond_timedwait(&s->landed, &s->lock, &until);
		atomic_fetch_sub(&c->waiting, 1);
		if (rc != 0) {
			/* Waited long enough: compute it here too. */
			e = entry_at(c, s, k, generation);
			break;
		}
	}
	if (!e && !s->flight.bytes && !busy) {
		/* Ours to compute: others missing it now wait for it. */
		key_keep(&s->flight, k);
		s->flight_waited = false;
		*ret_claimed = true;
	}
	pthread_mutex_unlock(&s->lock);
	*ret_busy = busy;
	if (busy)
		return NULL;
	if (waited && e)
		atomic_fetch_add(&c->waited, 1);
	atomic_fetch_add(e ? &c->hits : &c->misses, 1);
	return e;
}

struct cache_entry *resp_cache_wait(struct resp_cache *c, const struct cache_key *k, int64_t generation,
				    bool *ret_claimed)
{
	bool busy;

	return lookup_or_claim(c, k, generation, true, ret_claimed, &busy);
}

struct cache_entry *resp_cache_try(struct resp_cache *c, const struct cache_key *k, int64_t generation,
				   bool *ret_claimed, bool *ret_busy)
{
	return lookup_or_claim(c, k, generation, false, ret_claimed, ret_busy);
}

bool resp_cache_admit(struct resp_cache *c, const struct cache_key *k)
{
	_Atomic uint64_t *seen = &c->seen[(k->hash >> 40) % CACHE_SEEN];
	struct slot *s = slot_of(c, k);
	bool waited;

	if (atomic_load_explicit(seen, memory_order_relaxed) == k->hash)
		return true;
	pthread_mutex_lock(&s->lock);
	waited = s->flight_waited && key_is(&s->flight, k);
	pthread_mutex_unlock(&s->lock);
	if (waited)
		return true;
	atomic_store_explicit(seen, k->hash, memory_order_relaxed);
	atomic_fetch_add(&c->declined, 1);
	return false;
}

void resp_cache_release(struct resp_cache *c, const struct cache_key *k)
{
	struct slot *s = slot_of(c, k);

	pthread_mutex_lock(&s->lock);
	if (in_flight(s, k)) {
		s->flight.bytes = cv_free(s->flight.bytes);
		pthread_cond_broadcast(&s->landed);
	}
	pthread_mutex_unlock(&s->lock);
}

/*
 * Room for need more bytes: the entries of other slots are dropped, in
 * the order of a hand going round the table, until the answers fit (or
 * once round).  Without it a full table kept what filled it for good:
 * slots are replaced only by their own keys, and an answer larger than
 * the one its slot held was refused for as long as the table was full
 * (bench/api.sh, 1x: after the runs of deep pages had filled it with
 * pages, the catalog GET, invalidated by a write, was never kept again
 * and ran at a twelfth of its cached rate).  A slot whose lock is held is
 * passed over: never wait here, and never on two locks.
 */
static void make_room(struct resp_cache *c, const struct slot *mine, size_t need)
{
	for (size_t n = 0; n < CACHE_SLOTS && atomic_load(&c->bytes) + need > CACHE_MAX_BYTES; n++) {
		struct slot *s = &c->slots[atomic_fetch_add(&c->hand, 1) % CACHE_SLOTS];
		struct cache_entry *e;

		if (s == mine || pthread_mutex_trylock(&s->lock) != 0)
			continue;
		e = s->e;
		s->e = NULL;
		if (e)
			atomic_fetch_sub(&c->bytes, entry_size(e));
		pthread_mutex_unlock(&s->lock);
		if (e) {
			atomic_fetch_add(&c->evicted, 1);
			cache_entry_unref(e);
		}
	}
}

struct cache_entry *resp_cache_put(struct resp_cache *c, const struct cache_key *k, int64_t generation,
				   const struct cache_dep *dep, bool etag, unsigned status, const char *content_type,
				   char **body, size_t len)
{
	struct slot *s = slot_of(c, k);
	struct cache_entry *e, *old = NULL;
	unsigned char digest[8];

	if (len + key_size(k->len) > CACHE_MAX_ENTRY)
		return NULL;
	e = cv_xmalloc(sizeof(*e));
	atomic_init(&e->refs, 2); /* the table's and the caller's */
	e->generation = generation;
	e->dep = dep ? *dep : (struct cache_dep){ .kind = CACHE_DEP_ALL };
	e->key = (struct kept_key){ .digested = k->digested, .hash = k->hash }; /* its bytes below */
	memcpy(e->key.len, k->len, sizeof(e->key.len));
	e->status = status;
	e->content_type = content_type;
	e->len = len;
	/* Taken, not copied: an answer of a few kB copied into a fresh
	 * block was a malloc (and glibc's consolidation of its free lists)
	 * and a memcpy on every miss. */
	e->body = *body;
	*body = NULL;
	/* A strong validator: the generation and a digest of the bytes.
	 * Only for answers that send it: a POST's answer carries no ETag
	 * (http.c, each_header) and If-None-Match is honoured for GET only
	 * (dispatch.c), so its digest would serve no one -- a few
	 * microseconds of an uncached /check. */
	e->etag[0] = '\0';
	if (etag) {
		crypto_generichash(digest, sizeof(digest), (const unsigned char *)e->body, len, NULL, 0);
		snprintf(e->etag, sizeof(e->etag), "\"%" PRId64 "-%02x%02x%02x%02x%02x%02x%02x%02x\"", generation,
			 digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7]);
	}
	if (atomic_load(&c->bytes) + entry_size(e) > CACHE_MAX_BYTES)
		make_room(c, s, entry_size(e));
	pthread_mutex_lock(&s->lock);
	/* The key in flight is this one (the caller's claim): its copy
	 * becomes the entry's -- a malloc and a 7 kB memcpy less on every
	 * miss -- and those waiting for it wake now (resp_cache_release then
	 * finds nothing in flight). */
	if (key_is(&s->flight, k)) {
		e->key.bytes = s->flight.bytes;
		s->flight.bytes = NULL;
		pthread_cond_broadcast(&s->landed);
	} else
		key_keep(&e->key, k);
	if ((!s->e || s->e->generation <= generation) &&
	    atomic_load(&c->bytes) + entry_size(e) - (s->e ? entry_size(s->e) : 0) <= CACHE_MAX_BYTES) {
		old = s->e;
		s->e = e;
		atomic_fetch_add(&c->bytes, entry_size(e));
		if (old)
			atomic_fetch_sub(&c->bytes, entry_size(old));
	} else
		/* A newer answer is there, or the table is still full (the
		 * other slots busy): keep what is there, hand this one back
		 * only. */
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

void resp_cache_stats(struct resp_cache *c, struct resp_cache_stats *ret)
{
	ret->hits = atomic_load(&c->hits);
	ret->misses = atomic_load(&c->misses);
	ret->bytes = atomic_load(&c->bytes);
	ret->revalidated = atomic_load(&c->revalidated);
	ret->waited = atomic_load(&c->waited);
	ret->evicted = atomic_load(&c->evicted);
	ret->declined = atomic_load(&c->declined);
	ret->waiting = atomic_load(&c->waiting);
}
