/*
 * snapshot.c - the catalog snapshot handlers answer catalog reads from:
 * the catalog and its check index, loaded once per catalog generation and
 * shared, reference-counted, by every request that reads that generation.
 *
 * A new generation is loaded outside the lock, so requests holding the
 * old snapshot go on while it is built; the server keeps one reference to
 * the newest.
 */
#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

void snapshot_put(struct server *srv, struct snapshot *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&srv->snap_lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&srv->snap_lock);
	if (last) {
		check_index_free(s->ix);
		catalog_free(s->cat);
		free(s);
	}
}

struct snapshot *snapshot_get(struct req *r)
{
	char *why = NULL;
	struct snapshot *s = snapshot_of(r->srv, r->store, &why);

	if (!s) {
		reply_error(r, 500, "internal", "%s", why ? why : "cannot load the catalog");
		free(why);
	}
	return s;
}

struct snapshot *snapshot_of(struct server *srv, struct store *store, char **ret_why)
{
	struct snapshot *s, *old = NULL;
	int64_t gen;
	char *why = NULL;

	if (store_catalog_generation(store, &gen) < 0) {
		*ret_why = cv_xasprintf("cannot read the catalog: %s", store_errmsg(store));
		return NULL;
	}
	pthread_mutex_lock(&srv->snap_lock);
	s = srv->snap;
	if (s && s->generation == gen) {
		s->refs++;
		pthread_mutex_unlock(&srv->snap_lock);
		return s;
	}
	pthread_mutex_unlock(&srv->snap_lock);

	/* Built outside the lock: readers of the old snapshot go on. */
	s = cv_xcalloc(1, sizeof(*s));
	s->generation = gen;
	s->refs = 1;
	if (catalog_load(store, 0, &s->cat, &why) < 0 || check_index_build(s->cat, &s->ix) < 0) {
		*ret_why = cv_xasprintf("cannot load the catalog: %s", why ? why : "index");
		free(why);
		catalog_free(s->cat);
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&srv->snap_lock);
	if (!srv->snap || srv->snap->generation < gen) {
		old = srv->snap;
		srv->snap = s;
		s->refs++; /* the server's reference */
	} else {
		/* Another thread built the same or newer meanwhile. */
		struct snapshot *mine = s;

		s = srv->snap;
		s->refs++;
		pthread_mutex_unlock(&srv->snap_lock);
		snapshot_put(srv, mine);
		return s;
	}
	pthread_mutex_unlock(&srv->snap_lock);
	snapshot_put(srv, old);
	return s;
}
