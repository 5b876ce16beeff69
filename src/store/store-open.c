/*
 * store-open.c - a store's lifecycle: the backend picked from a table by
 * the location (covalid/store.h), open, close, and what the connection
 * says of itself (identity, health, schema version, log upkeep).
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <unistd.h>

#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

/* Numbers each connection the process opens: never reused, unlike a pointer. */
static atomic_uint_fast64_t serials = 1;

/*
 * Which backend a location names, first match wins: libpq's URI schemes
 * (postgresql://, postgres://; the whole location goes to the backend),
 * an explicit "sqlite:" (taken off), and anything else a path to an
 * SQLite file.  A scheme is matched up to its colon so that a mistyped
 * "postgresql:/db" is refused by the PostgreSQL backend, not quietly made
 * an SQLite file of that name.
 */
static const struct {
	const char *prefix;
	bool strip; /* the prefix is not part of the backend's location */
	const struct db_ops *ops;
} backends[] = {
	{ "postgresql:", false, &db_pg },
	{ "postgres:", false, &db_pg },
	{ "sqlite:", true, &db_sqlite },
	{ "", false, &db_sqlite },
};

/* The backend of location, and (*location moved past) what it is given. */
static const struct db_ops *backend_of(const char **location)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (!cv_startswith(*location, backends[i].prefix))
			continue;
		if (backends[i].strip)
			*location += strlen(backends[i].prefix);
		return backends[i].ops;
	}
	return &db_sqlite; /* unreached: the last prefix matches all */
}

const char *store_backend_of(const char *location)
{
	return backend_of(&location)->name;
}

static int open_store(const char *location, bool create, int schema, struct store **ret, char **ret_errmsg)
{
	const struct db_ops *ops;
	struct store *s;
	char *err = NULL;
	int r;

	if (!location || !*location)
		return -EINVAL;
	ops = backend_of(&location);
	s = cv_xcalloc(1, sizeof(*s));
	s->serial = atomic_fetch_add(&serials, 1);
	s->config_count_gen = -1;
	cv_hmap_init(&s->known_groups);
	s->ops = ops;
	r = s->ops->open(location, create, schema, &s->db, &err);
	if (r < 0) {
		if (ret_errmsg)
			*ret_errmsg = err;
		else
			free(err);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int store_open(const char *location, struct store **ret, char **ret_errmsg)
{
	return open_store(location, true, -1, ret, ret_errmsg);
}

int store_open_existing(const char *location, struct store **ret, char **ret_errmsg)
{
	return open_store(location, false, -1, ret, ret_errmsg);
}

int store_open_at_schema(const char *location, int schema, struct store **ret, char **ret_errmsg)
{
	return open_store(location, true, schema < 0 ? 0 : schema, ret, ret_errmsg);
}

char *store_identity(struct store *s)
{
	return s->ops->identity(s->db);
}

int store_health(struct store *s, bool deep, char **ret_why)
{
	return s->ops->health(s->db, deep, ret_why);
}

uint64_t store_serial(const struct store *s)
{
	return s->serial;
}

struct store *store_close(struct store *s)
{
	if (!s)
		return NULL;
	s->ops->close(s->db);
	free(s->fixed_key);
	free(s->fixed_value);
	cv_hmap_release(&s->known_groups);
	free(s);
	return NULL;
}

int store_default_location(char **ret)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg == '/')
		*ret = cv_xasprintf("%s/covalid/covalid.db", xdg);
	else if (home && *home)
		*ret = cv_xasprintf("%s/.local/share/covalid/covalid.db", home);
	else
		return -ENOENT;
	return 0;
}

char *store_library_versions(void)
{
	int pq = PQlibVersion(); /* 10 and later: major * 10000 + minor */

	return cv_xasprintf("SQLite %s, libpq %d.%d", sqlite3_libversion(), pq / 10000, pq % 10000);
}

const char *store_errmsg(struct store *s)
{
	return s->ops->errmsg(s->db);
}

int store_schema_version(struct store *s, int *ret)
{
	return s->ops->schema_version(s->db, ret);
}

bool store_unavailable(struct store *s)
{
	return s && s->ops->lost && s->ops->lost(s->db);
}

int store_defer_checkpoints(struct store *s)
{
	return s->ops->defer_checkpoints(s->db);
}

int store_checkpoint(struct store *s)
{
	return s->ops->checkpoint(s->db);
}

int store_try_lead(struct store *s, const char *job)
{
	if (!job || !*job || strspn(job, "abcdefghijklmnopqrstuvwxyz") != strlen(job))
		return -EINVAL;
	/* A backend without the notion has one node: it leads. */
	return s->ops->try_lead ? s->ops->try_lead(s->db, job) : 1;
}
