/*
 * snapshot.c - the catalog snapshot handlers answer catalog reads from:
 * the catalog and its check index at one catalog generation, shared,
 * reference-counted, by every request that reads that generation.
 *
 * A new generation is made from the newest snapshot and what changed
 * since (store_catalog_changes(): the rows stamped with a later
 * generation; rows are never deleted, only replaced), not reloaded:
 *
 *  - the catalog: configuration i of the new snapshot is the old one's
 *    record (shared), a replaced record at the same index, or a new one
 *    appended.  Records are owned by chunks of SNAPSHOT_CHUNK indexes,
 *    reference-counted and shared by the snapshots holding them, each
 *    chunk holding one reference on each of its records: a change copies
 *    the one chunk it falls in (SNAPSHOT_CHUNK references), never the
 *    whole catalog's.  Products (few) are shared record by record.
 *  - the check index: check_index_update() rebuilds only the buckets of
 *    the changed configurations (a product change, or a name the index
 *    has never seen, makes a full build).
 *  - the answer cache is told what changed (resp_cache_step()), so the
 *    answers that do not depend on it are kept (cache.c).
 *
 * One thread builds the next snapshot at a time; the others that need it
 * (they read a newer generation than the newest snapshot: they must see
 * that write) wait for it rather than build it again.  Requests that hold
 * an older snapshot go on with it meanwhile.  The server keeps one
 * reference to the newest.
 */
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

#define SNAPSHOT_CHUNK 1024

/* Owns one reference on each of its records. */
struct snapshot_chunk {
	int refs; /* snapshots holding it (__atomic) */
	size_t n;
	struct catalog_config *v[SNAPSHOT_CHUNK];
};

static void chunk_unref(struct snapshot_chunk *k)
{
	if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		for (size_t i = 0; i < k->n; i++)
			catalog_config_free(k->v[i]);
		free(k);
	}
}

/* The catalog's arrays belong to the snapshot; its configurations to the
 * chunks; its products are referenced one by one. */
static void snapshot_free(struct snapshot *s)
{
	check_index_free(s->ix);
	if (s->cat) {
		for (size_t i = 0; i < s->cat->n_products; i++)
			catalog_product_free(s->cat->products[i]);
		free(s->cat->products);
		free(s->cat->configs);
		free(s->cat);
	}
	for (size_t i = 0; i < s->n_chunks; i++)
		chunk_unref(s->chunks[i]);
	free(s->chunks);
	free(s);
}

void snapshot_put(struct server *srv, struct snapshot *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&srv->snap_lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&srv->snap_lock);
	if (last)
		snapshot_free(s);
}

struct snapshot *snapshot_get(struct req *r)
{
	char *why = NULL;
	/* A cached route's request read the generation when it was routed:
	 * not a second read of the database for the same request. */
	struct snapshot *s = snapshot_of(r->srv, r->store, r->has_cache_key ? r->generation : -1, &why);

	if (!s) {
		reply_error(r, 500, "internal", "%s", why ? why : "cannot load the catalog");
		free(why);
	}
	return s;
}

/* ---- a full load ---- */

static void ids_reset(struct server *srv)
{
	cv_hmap_release(&srv->snap_ids);
	cv_hmap_init(&srv->snap_ids);
	srv->snap_ids_valid = false;
}

static int load_full(struct server *srv, struct store *store, int64_t gen, struct snapshot **ret, char **ret_why)
{
	struct snapshot *s = cv_xcalloc(1, sizeof(*s));
	char *why = NULL;
	int r;

	s->generation = gen;
	s->refs = 1;
	ids_reset(srv);
	r = catalog_load(store, CATALOG_LOAD_NO_DOCS, &s->cat, &why);
	if (r < 0) {
		*ret_why = cv_xasprintf("cannot load the catalog: %s", why ? why : "?");
		free(why);
		free(s);
		return r;
	}
	/* The records pass to chunks; the catalog keeps only the array. */
	s->n_chunks = (s->cat->n_configs + SNAPSHOT_CHUNK - 1) / SNAPSHOT_CHUNK;
	s->chunks = cv_xcalloc(s->n_chunks ? s->n_chunks : 1, sizeof(*s->chunks));
	for (size_t i = 0; i < s->cat->n_configs; i++) {
		struct snapshot_chunk **k = &s->chunks[i / SNAPSHOT_CHUNK];

		if (!*k) {
			*k = cv_xcalloc(1, sizeof(**k));
			(*k)->refs = 1;
		}
		(*k)->v[(*k)->n++] = s->cat->configs[i];
		cv_hmap_put(&srv->snap_ids, s->cat->configs[i]->id, (uintptr_t)i + 1);
	}
	srv->snap_ids_valid = true;
	(void)!check_index_build(s->cat, &s->ix);
	*ret = s;
	return 0;
}

/* ---- catching up with the changes ---- */

struct delta {
	struct server *srv;
	struct snapshot *base, *s;
	size_t alloc_configs, alloc_products, alloc_chunks;
	bool *copied;          /* chunks of s already its own (copy on write) */
	struct check_change *changes;
	size_t n_changes, alloc_changes;
	struct catalog_config **touched; /* both versions of each change, for the cache */
	size_t n_touched, alloc_touched;
	bool products;
	char *why;
};

static void touch(struct delta *d, struct catalog_config *c)
{
	if (d->n_touched == d->alloc_touched) {
		d->alloc_touched = d->alloc_touched ? d->alloc_touched * 2 : 16;
		d->touched = cv_xreallocarray(d->touched, d->alloc_touched, sizeof(*d->touched));
	}
	d->touched[d->n_touched++] = c;
}

/* The chunk of index i, the new snapshot's own (copied on first write). */
static struct snapshot_chunk *own_chunk(struct delta *d, size_t i)
{
	size_t k = i / SNAPSHOT_CHUNK;
	struct snapshot_chunk *old, *mine;

	if (k >= d->s->n_chunks) { /* the first of a new chunk */
		if (k >= d->alloc_chunks) {
			d->alloc_chunks = (k + 1) * 2;
			d->s->chunks = cv_xreallocarray(d->s->chunks, d->alloc_chunks, sizeof(*d->s->chunks));
			d->copied = cv_xreallocarray(d->copied, d->alloc_chunks, sizeof(*d->copied));
		}
		mine = cv_xcalloc(1, sizeof(*mine));
		mine->refs = 1;
		d->s->chunks[k] = mine;
		d->copied[k] = true;
		d->s->n_chunks = k + 1;
		return mine;
	}
	if (d->copied[k])
		return d->s->chunks[k];
	old = d->s->chunks[k];
	mine = cv_xmalloc(sizeof(*mine));
	mine->refs = 1;
	mine->n = old->n;
	for (size_t j = 0; j < old->n; j++)
		mine->v[j] = catalog_config_ref(old->v[j]);
	chunk_unref(old);
	d->s->chunks[k] = mine;
	d->copied[k] = true;
	return mine;
}

static int delta_config(void *userdata, const char *id, const char *doc)
{
	struct delta *d = userdata;
	struct catalog *cat = d->s->cat;
	struct catalog_config *c;
	struct snapshot_chunk *k;
	char *why = NULL;
	uintptr_t v;
	size_t i;

	if (catalog_config_from_text(doc, &c, &why) < 0) {
		d->why = cv_xasprintf("stored configuration %s: %s", id, why);
		free(why);
		return -EBADMSG;
	}
	json_decref(c->doc); /* as load_full's: CATALOG_LOAD_NO_DOCS */
	c->doc = NULL;
	if (d->n_changes == d->alloc_changes) {
		d->alloc_changes = d->alloc_changes ? d->alloc_changes * 2 : 16;
		d->changes = cv_xreallocarray(d->changes, d->alloc_changes, sizeof(*d->changes));
	}
	if (cv_hmap_get(&d->srv->snap_ids, id, &v)) {
		/* Replaced: at the same index.  The old version stays the
		 * base's (alive while this runs). */
		i = v - 1;
		k = own_chunk(d, i);
		d->changes[d->n_changes++] = (struct check_change){ (uint32_t)i, cat->configs[i] };
		touch(d, cat->configs[i]);
		catalog_config_free(k->v[i % SNAPSHOT_CHUNK]);
		k->v[i % SNAPSHOT_CHUNK] = c;
	} else {
		i = cat->n_configs;
		if (i == d->alloc_configs) {
			d->alloc_configs = d->alloc_configs * 2 + 256;
			cat->configs = cv_xreallocarray(cat->configs, d->alloc_configs, sizeof(*cat->configs));
		}
		k = own_chunk(d, i);
		k->v[k->n++] = c;
		cat->n_configs++;
		cv_hmap_put(&d->srv->snap_ids, c->id, (uintptr_t)i + 1);
		d->changes[d->n_changes++] = (struct check_change){ (uint32_t)i, NULL };
	}
	cat->configs[i] = c;
	touch(d, c);
	return 0;
}

static int delta_product(void *userdata, const char *id, const char *doc)
{
	struct delta *d = userdata;
	struct catalog *cat = d->s->cat;
	struct catalog_product *p;
	char *why = NULL;
	size_t i = 0;

	if (catalog_product_from_text(doc, &p, &why) < 0) {
		d->why = cv_xasprintf("stored product %s: %s", id, why);
		free(why);
		return -EBADMSG;
	}
	d->products = true;
	while (i < cat->n_products && strcmp(cat->products[i]->id, p->id) != 0)
		i++;
	if (i < cat->n_products)
		catalog_product_free(cat->products[i]);
	else {
		if (i == d->alloc_products) {
			d->alloc_products = d->alloc_products * 2 + 16;
			cat->products = cv_xreallocarray(cat->products, d->alloc_products, sizeof(*cat->products));
		}
		cat->n_products++;
	}
	cat->products[i] = p;
	return 0;
}

/*
 * The snapshot of generation gen from base and the rows written since.
 * On failure the id map may hold ids of the half-made catalog: the caller
 * makes a full load instead.
 */
static int advance(struct server *srv, struct store *store, struct snapshot *base, int64_t gen,
		   struct snapshot **ret, char **ret_why)
{
	struct delta d = { .srv = srv, .base = base };
	struct snapshot *s = cv_xcalloc(1, sizeof(*s));
	const struct catalog *bc = base->cat;
	bool full = false;
	int r;

	s->generation = gen;
	s->refs = 1;
	s->cat = cv_xcalloc(1, sizeof(*s->cat));
	d.s = s;
	d.alloc_configs = bc->n_configs + 256;
	s->cat->configs = cv_xcalloc(d.alloc_configs, sizeof(*s->cat->configs));
	memcpy(s->cat->configs, bc->configs, bc->n_configs * sizeof(*bc->configs));
	s->cat->n_configs = bc->n_configs;
	d.alloc_products = bc->n_products + 16;
	s->cat->products = cv_xcalloc(d.alloc_products, sizeof(*s->cat->products));
	for (size_t i = 0; i < bc->n_products; i++)
		s->cat->products[i] = catalog_product_ref(bc->products[i]);
	s->cat->n_products = bc->n_products;
	d.alloc_chunks = base->n_chunks + 4;
	s->chunks = cv_xcalloc(d.alloc_chunks, sizeof(*s->chunks));
	d.copied = cv_xcalloc(d.alloc_chunks, sizeof(*d.copied));
	for (size_t i = 0; i < base->n_chunks; i++)
		s->chunks[i] = base->chunks[i], __atomic_add_fetch(&base->chunks[i]->refs, 1, __ATOMIC_RELAXED);
	s->n_chunks = base->n_chunks;

	r = store_catalog_changes(store, base->generation, delta_config, delta_product, &d);
	if (r < 0) {
		*ret_why = d.why ? d.why : cv_xasprintf("cannot read the catalog's changes: %s", store_errmsg(store));
		d.why = NULL;
		snapshot_free(s);
		goto out;
	}
	/* A product's change reaches every answer that names it (life
	 * cycles): a full build, and everything is invalidated. */
	if (d.products) {
		full = true;
		(void)!check_index_build(s->cat, &s->ix);
	} else
		(void)!check_index_update(base->ix, s->cat, d.changes, d.n_changes, &s->ix, &full);
	/* No row at all: a vendor was admitted (or something else the rows
	 * do not say) -- everything. */
	resp_cache_step(srv->cache, base->generation, gen, full || d.products || d.n_changes == 0, d.touched,
			d.n_touched);
	atomic_fetch_add(&srv->snap_builds[full ? 1 : 0], 1);
	*ret = s;
out:
	free(d.copied);
	free(d.changes);
	free(d.touched);
	free(d.why);
	return r;
}

/* ---- the newest snapshot ---- */

void snapshot_init(struct server *srv)
{
	pthread_mutex_init(&srv->snap_lock, NULL);
	pthread_cond_init(&srv->snap_built, NULL);
	cv_hmap_init(&srv->snap_ids);
}

void snapshot_release(struct server *srv)
{
	if (srv->snap)
		snapshot_put(srv, srv->snap);
	srv->snap = NULL;
	cv_hmap_release(&srv->snap_ids);
	pthread_cond_destroy(&srv->snap_built);
	pthread_mutex_destroy(&srv->snap_lock);
}

struct snapshot *snapshot_of(struct server *srv, struct store *store, int64_t gen, char **ret_why)
{
	struct snapshot *s, *base, *old = NULL;
	uint64_t start;
	char *why = NULL;
	int r = -EAGAIN;

	if (gen < 0 && store_catalog_generation(store, &gen) < 0) {
		*ret_why = cv_xasprintf("cannot read the catalog: %s", store_errmsg(store));
		return NULL;
	}
	pthread_mutex_lock(&srv->snap_lock);
	for (;;) {
		s = srv->snap;
		/* Newer than read is as good: it holds this write too. */
		if (s && s->generation >= gen) {
			s->refs++;
			pthread_mutex_unlock(&srv->snap_lock);
			return s;
		}
		if (!srv->snap_building)
			break;
		/* Another thread builds it: wait rather than build it twice.
		 * The builder always ends (its store calls do), and wakes us
		 * whether it succeeded or not. */
		pthread_cond_wait(&srv->snap_built, &srv->snap_lock);
	}
	srv->snap_building = true;
	base = s;
	if (base)
		base->refs++;
	pthread_mutex_unlock(&srv->snap_lock);

	/* Built outside the lock: readers of the old snapshot go on. */
	start = cv_now_ns();
	if (base && srv->snap_ids_valid) {
		r = advance(srv, store, base, gen, &s, &why);
		if (r < 0)
			why = cv_free(why); /* a full load says it again if it is real */
	}
	if (r < 0) {
		r = load_full(srv, store, gen, &s, &why);
		if (r == 0) {
			/* Nothing is known of what changed: every answer goes. */
			resp_cache_step(srv->cache, base ? base->generation : 0, gen, true, NULL, 0);
			atomic_fetch_add(&srv->snap_builds[1], 1);
		}
	}
	atomic_store(&srv->snap_build_ns, cv_now_ns() - start);

	pthread_mutex_lock(&srv->snap_lock);
	if (r == 0) {
		old = srv->snap;
		srv->snap = s;
		s->refs++; /* the server's reference */
	}
	srv->snap_building = false;
	pthread_cond_broadcast(&srv->snap_built);
	pthread_mutex_unlock(&srv->snap_lock);
	snapshot_put(srv, base);
	snapshot_put(srv, old);
	if (r < 0) {
		*ret_why = why;
		return NULL;
	}
	return s;
}

struct snapshot *snapshot_if_loaded(struct server *srv, struct store *store, int64_t gen)
{
	bool have;
	char *why = NULL;
	struct snapshot *s = NULL;

	pthread_mutex_lock(&srv->snap_lock);
	have = srv->snap != NULL;
	pthread_mutex_unlock(&srv->snap_lock);
	if (have)
		s = snapshot_of(srv, store, gen, &why);
	free(why);
	return s;
}

struct snapshot *snapshot_try(struct server *srv, int64_t gen)
{
	struct snapshot *s;

	pthread_mutex_lock(&srv->snap_lock);
	s = srv->snap;
	if (s && s->generation >= gen)
		s->refs++;
	else
		s = NULL;
	pthread_mutex_unlock(&srv->snap_lock);
	return s;
}

void snapshot_metrics(struct server *srv, struct cv_buf *b)
{
	(void)!cv_buf_printf(b,
			     "# HELP covalid_catalog_snapshots_total Catalog snapshots made, from the last one and "
			     "its changes (incremental) or loaded whole (full).\n"
			     "# TYPE covalid_catalog_snapshots_total counter\n"
			     "covalid_catalog_snapshots_total{kind=\"incremental\"} %lu\n"
			     "covalid_catalog_snapshots_total{kind=\"full\"} %lu\n"
			     "# HELP covalid_catalog_snapshot_seconds How long the last snapshot took to make.\n"
			     "# TYPE covalid_catalog_snapshot_seconds gauge\n"
			     "covalid_catalog_snapshot_seconds %.6f\n",
			     atomic_load(&srv->snap_builds[0]), atomic_load(&srv->snap_builds[1]),
			     (double)atomic_load(&srv->snap_build_ns) / 1e9);
}
