/*
 * test-store-open.c - the store's conformance suite (issue 15): opening a
 * store: the schema and its version, a newer schema refused (-EPROTO), a
 * store's identity and health; and, SQLite only, the location: its scheme
 * (libpq's URI schemes go to PostgreSQL whole,
 * postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING-URIS; sqlite:
 * or a plain path to SQLite) and the default under $XDG_DATA_HOME.
 * Expected values come from store.h's comments (its contract).  The others
 * run once on SQLite and once on a real PostgreSQL (store-suite.h: one
 * cluster per binary, a fresh database per test).
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "store/store-internal.h"
#include "tap.h"

/* ---- conformance: opening, identity, health ---- */

static void open_and_schema(void)
{
	char *loc = new_location("a"), *loc2 = new_location("b"), *none = NULL, *err = NULL;
	struct store *s = NULL, *t = NULL, *u = NULL;
	char *id1, *id2, *id3, *why = NULL;
	int v = -1;

	/* A new database is made and migrated to the newest schema. */
	CHECK_INT(store_open(loc, &s, &err), 0);
	CHECK(!err);
	CHECK_INT(store_schema_version(s, &v), 0);
	CHECK_INT(v, STORE_SCHEMA_VERSION);
	/* An existing one opens as it is. */
	CHECK_INT(store_open_existing(loc, &t, &err), 0);
	CHECK_INT(store_open(loc2, &u, &err), 0);
	/* Two connections to one database say so; two databases differ. */
	id1 = store_identity(s);
	id2 = store_identity(t);
	id3 = store_identity(u);
	if (id1 && id2)
		CHECK_STR(id1, id2);
	if (id1 && id3)
		CHECK(strcmp(id1, id3) != 0);
	free(id1);
	free(id2);
	free(id3);
	/* Each connection its own serial, never reused. */
	CHECK(store_serial(s) != store_serial(t));
	CHECK(store_serial(t) != store_serial(u));
	CHECK(!store_unavailable(s));
	CHECK_INT(store_health(s, false, &why), 0);
	CHECK_INT(store_health(s, true, &why), 0);
	CHECK(!why);
	/* The log's upkeep: a no-op or done, never an error on a healthy store. */
	CHECK_INT(store_defer_checkpoints(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "v", "V"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_checkpoint(t), 0);
	CHECK(has_vendor(t, "v"));
	store_close(s);
	store_close(t);
	store_close(u);

	/* A database that must exist and does not: -ENOENT, with a message. */
	if (suite_backend == SUITE_SQLITE)
		none = cv_xasprintf("%s/none.db", tap_tmpdir());
	else {
		/* loc with another database name, never made. */
		const char *q = strchr(loc, '?');

		none = cv_xasprintf("postgresql:///t%ld_none%s", (long)getpid(), q ? q : "");
	}
	s = NULL;
	CHECK_INT(store_open_existing(none, &s, &err), -ENOENT);
	CHECK(!s);
	CHECK(err && *err);
	free(err);
	free(none);
	free(loc);
	free(loc2);
}

/* A database newer than the build is refused (-EPROTO), not guessed at.
 * Where each backend records the version: SQLite's user_version
 * (store-sqlite.c), PostgreSQL's covalid_schema table (pg-design.md). */
static void a_newer_schema_is_refused(void)
{
	char *loc = new_location("new"), *err = NULL;
	struct store *s = open_db(loc);

	CHECK_INT(db_query(s,
			   suite_backend == SUITE_SQLITE ? "PRAGMA user_version = 9999"
						     : "UPDATE covalid_schema SET version = 9999",
			   NULL, NULL, NULL),
		  0);
	store_close(s);
	s = NULL;
	CHECK_INT(store_open(loc, &s, &err), -EPROTO);
	CHECK(!s);
	CHECK(err && strstr(err, "newer"));
	free(err);
	free(loc);
}

/* $XDG_DATA_HOME/covalid/covalid.db; nothing made (issue 16: a read-only
 * command leaves no trace). */
TEST(the_default_location_is_under_xdg_data_home)
{
	char *want = cv_xasprintf("%s/xdg/covalid/covalid.db", tap_tmpdir()), *xdg = cv_xasprintf("%s/xdg", tap_tmpdir());
	char *got = NULL;
	struct stat st;

	setenv("XDG_DATA_HOME", xdg, 1);
	CHECK_INT(store_default_location(&got), 0);
	CHECK_STR(got, want);
	CHECK(stat(xdg, &st) < 0 && errno == ENOENT);
	free(got);
	free(want);
	free(xdg);
}

/* A postgresql:// or postgres:// location goes to the PostgreSQL backend
 * whole (libpq's URI schemes, postgresql.org/docs/15/libpq-connect.html
 * #LIBPQ-CONNSTRING-URIS), even mistyped: where no server answers it is
 * refused with libpq's message, never made an SQLite file of that name. */
TEST(a_postgresql_location_goes_to_its_backend)
{
	/* Port 1 on loopback: nothing listens there, the connection is refused at once. */
	static const char *const locations[] = { "postgresql://127.0.0.1:1/covalid", "postgres://u@127.0.0.1:1/db",
						 "postgresql:/typo" };

	for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
		struct store *s = NULL;
		char *err = NULL;

		CHECK(store_open(locations[i], &s, &err) < 0);
		CHECK(err && *err);
		CHECK(!s);
		free(err);
		err = NULL;
		CHECK(store_open_existing(locations[i], &s, &err) < 0);
		CHECK(err && *err);
		CHECK(!s);
		free(err);
	}
	/* Nothing was made of them as SQLite files (in the tests' working directory). */
	CHECK(access("postgresql:", F_OK) < 0 && access("postgres:", F_OK) < 0);
	/* Which backend each names (store.h's store_backend_of). */
	for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++)
		CHECK_STR(store_backend_of(locations[i]), "postgresql");
	CHECK_STR(store_backend_of("/var/lib/covalid/covalid.db"), "sqlite");
	CHECK_STR(store_backend_of("sqlite:/var/lib/covalid/covalid.db"), "sqlite");
	CHECK_STR(store_backend_of("covalid.db"), "sqlite");
}

TEST(an_sqlite_location_is_a_path_with_or_without_its_scheme)
{
	char *plain = cv_xasprintf("%s/plain.db", tap_tmpdir());
	char *schemed = cv_xasprintf("sqlite:%s/schemed.db", tap_tmpdir());
	struct store *s = NULL;
	char *err = NULL;

	CHECK_INT(store_open(plain, &s, &err), 0);
	CHECK_INT(store_vendor_add(s, "v", "V"), 0);
	s = store_close(s);
	CHECK_INT(store_open(schemed, &s, &err), 0);
	s = store_close(s);
	/* "sqlite:" is the scheme, not part of the file's name. */
	CHECK(access(schemed + strlen("sqlite:"), F_OK) == 0);
	/* The same file by either spelling. */
	free(schemed);
	schemed = cv_xasprintf("sqlite:%s", plain);
	CHECK_INT(store_open_existing(schemed, &s, &err), 0);
	CHECK(s && has_vendor(s, "v"));
	s = store_close(s);
	CHECK(!err);
	free(plain);
	free(schemed);
}

#define BOTH(X)                      \
	X(open_and_schema)           \
	X(a_newer_schema_is_refused)
BOTH(SUITE_ON_BOTH)

int main(int argc, char **argv)
{
	static const struct tap_test sqlite[] = {
		BOTH(SUITE_SQLITE_ENTRY)
		TAP_E1(the_default_location_is_under_xdg_data_home),
		TAP_E1(a_postgresql_location_goes_to_its_backend),
		TAP_E1(an_sqlite_location_is_a_path_with_or_without_its_scheme),
	};
	static const struct tap_test pg[] = {
		BOTH(SUITE_PG_ENTRY)
	};

	return suite_run(argc, argv, sqlite, CV_ELEMENTSOF(sqlite), pg, CV_ELEMENTSOF(pg));
}
