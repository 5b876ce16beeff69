/*
 * store-pg.c - the PostgreSQL backend's place in the table of backends
 * (store-open.c).  Not built yet (issue 15, step 3): a postgresql:// or
 * postgres:// location is recognised and answered with a clear message
 * instead of being taken for an SQLite file of that name.  The real
 * backend (libpq) replaces this file's open and fills in the rest of the
 * operations; until then nothing else can be called, since no store is
 * ever opened with it.
 */
#include "store/store-internal.h"
#include "util/cv.h"

static int pg_open(const char *location, bool create, int schema, void **ret_db, char **ret_errmsg)
{
	(void)location;
	(void)create;
	(void)schema;
	(void)ret_db;
	*ret_errmsg = cv_xstrdup("the PostgreSQL backend is not built into this covalid yet");
	return -EPROTONOSUPPORT;
}

const struct db_ops db_pg = {
	.name = "postgresql",
	.open = pg_open,
};
