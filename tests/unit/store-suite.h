/*
 * store-suite.h - the runner and the shared helpers of the store's
 * conformance suite (issue 15), split by table group into
 * tests/unit/test-store-*.c: what every backend behind covalid/store.h
 * must do, each test run once against SQLite (a file in the test's
 * directory) and once against a real PostgreSQL the binary starts itself
 * (pg-harness.h, one cluster per binary, text sorted by ICU's en-US as a
 * production cluster may), with a fresh database for each test, each test
 * in a child of its own (tap.h), the cluster stopped at the end whatever
 * the tests did and on SIGINT, SIGTERM, SIGHUP.
 *
 * COVALID_TEST_BACKENDS=sqlite (or =postgresql) runs one half only, for
 * development; by default both run, and without PostgreSQL's binaries the
 * PostgreSQL half fails (never skips).
 *
 * A test file lists its conformance tests in an X-macro; SUITE_MAIN(BOTH)
 * makes its main() when they are all, or else it hands the runner both
 * halves itself:
 *
 *   #define BOTH(X) X(catalog)
 *   BOTH(SUITE_ON_BOTH)
 *   int main(int argc, char **argv)
 *   {
 *           static const struct tap_test sqlite[] = { BOTH(SUITE_SQLITE_ENTRY) };
 *           static const struct tap_test pg[] = { BOTH(SUITE_PG_ENTRY) };
 *           return suite_run(argc, argv, sqlite, CV_ELEMENTSOF(sqlite), pg, CV_ELEMENTSOF(pg));
 *   }
 *
 * Tests of one backend only go into its list: TAP_E1(name) for SQLite,
 * SUITE_PG_ONLY(name) for PostgreSQL (named "postgresql:...", so that
 * running one by name starts the cluster).
 */
#ifndef COVALID_TESTS_STORE_SUITE_H
#define COVALID_TESTS_STORE_SUITE_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "tap.h"

enum suite_backend_kind { SUITE_SQLITE, SUITE_PG };

/* The backend of the test running (set in its child before it runs). */
extern enum suite_backend_kind suite_backend;

/* Runs the SQLite tests and the PostgreSQL ones (those COVALID_TEST_BACKENDS
 * names), the cluster started first when a PostgreSQL test is to run. */
int suite_run(int argc, char **argv, const struct tap_test *sqlite, size_t n_sqlite, const struct tap_test *pg,
	      size_t n_pg);

/* The test's child sets its backend, then runs the test. */
#define SUITE_ON_BOTH(name)                        \
	static void name##__sqlite(void)           \
	{                                          \
		suite_backend = SUITE_SQLITE;      \
		name();                            \
	}                                          \
	static void name##__pg(void)               \
	{                                          \
		suite_backend = SUITE_PG;          \
		name();                            \
	}
#define SUITE_SQLITE_ENTRY(name) { "sqlite:" #name, name##__sqlite },
#define SUITE_PG_ENTRY(name) { "postgresql:" #name, name##__pg },
/* A test of PostgreSQL only (it sets suite_backend itself). */
#define SUITE_PG_ONLY(name) { "postgresql:" #name, name }
/* main() of a file whose tests all run on both backends: LIST(X) names them. */
#define SUITE_MAIN(LIST)                                                                                \
	LIST(SUITE_ON_BOTH)                                                                             \
	int main(int argc, char **argv)                                                                 \
	{                                                                                               \
		static const struct tap_test sqlite_[] = { LIST(SUITE_SQLITE_ENTRY) };                  \
		static const struct tap_test pg_[] = { LIST(SUITE_PG_ENTRY) };                          \
		return suite_run(argc, argv, sqlite_, CV_ELEMENTSOF(sqlite_), pg_, CV_ELEMENTSOF(pg_)); \
	}

/*
 * A new empty database for the running test; tag tells a test's several
 * apart.  SQLite: a file in the test's directory; PostgreSQL: a database
 * of its own in the cluster (dropped with it).  Exits the test's child
 * when there is none.
 */
char *new_location(const char *tag);
/* store_open, or the test's child fails and exits. */
struct store *open_db(const char *loc);
bool has_vendor(struct store *s, const char *id);
/* A second connection: what is durable, not what this one sees in its transaction. */
bool durable_vendor(const char *loc, const char *id);
/* "YYYY-MM-DDTHH:MM:SSZ", the store's time format (store-internal.h's db_now). */
bool is_store_time(const char *t);

/* ---- collecting what the walks give, as "a,b,c" ---- */

/* v's strings joined by ",", v emptied. */
char *joined(struct cv_strv *v, bool sorted);

#define CHECK_LIST(v, sorted, expected)              \
	do {                                         \
		char *got_ = joined((v), (sorted));  \
		CHECK_STR(got_, (expected));         \
		free(got_);                          \
	} while (0)

/*
 * A walk's rows as "a,b,c" in the order the walk gives them, and, when the
 * query is not paged (no limit, no offset), its count agreeing with them:
 * list and count are store.h's pair for one table (store_machine_list and
 * store_machine_count, say), qtype their query's struct, push the walk's
 * callback onto a struct cv_strv.
 */
#define CHECK_WALK(list, count, qtype, push, s, expected, ...)              \
	do {                                                                \
		struct qtype q_ = { __VA_ARGS__ };                          \
		struct cv_strv v_;                                          \
		int64_t n_ = -1;                                            \
		cv_strv_init(&v_);                                          \
		CHECK_INT(list((s), &q_, push, &v_), 0);                    \
		if (!q_.limit && !q_.offset) {                              \
			CHECK_INT(count((s), &q_, &n_), 0);                 \
			CHECK_INT(n_, (int64_t)v_.n);                       \
		}                                                           \
		CHECK_LIST(&v_, false, (expected));                         \
		cv_strv_release(&v_);                                       \
	} while (0)

/* Walk callbacks pushing onto a struct cv_strv: the id (push_org also
 * checks created_at's format), a document, a case's id, a machine's name,
 * a verdict as "verdict@at", an event's id. */
int push_org(void *u, const char *id, const char *name, const char *created_at);
int push_doc_org(void *u, const char *id, const char *name, const char *created_at);
int push_doc(void *u, const char *id, const char *doc);
int push_doc_text(void *u, const char *id, const char *doc);
int push_case(void *u, const struct store_case_row *c);
int push_machine_name(void *u, const struct store_machine_row *m);
int push_verdict(void *u, const struct store_verdict_row *r);
int push_event(void *u, const struct store_event_row *e);

/* ---- rows the tests of several groups add ---- */

/* A new configuration (versions "1"), checked not to replace one. */
void put_config(struct store *s, const char *id, const char *status, const char *guest_os, const char *guest_vendor,
		const char *guest_product, const char *hv_ids, const char *hv_vendor, const char *hv_product,
		const char *validated_by, const char *doc);
void add_case(struct store *s, const char *id, const char *customer, const char *vendor, const char *engaged,
	      const char *state, int64_t severity, const char *machine);
void add_machine(struct store *s, const char *id, const char *customer, const char *key, const char *name,
		 const char *cred, int64_t last_seen_s);

#endif
