/*
 * store-suite.c - the store conformance suite's runner and shared helpers
 * (see store-suite.h).
 */
#include <stdio.h>
#include <unistd.h>

#include "pg-harness.h"
#include "store-suite.h"

enum suite_backend_kind suite_backend = SUITE_SQLITE;
/* The PostgreSQL cluster suite_run() started ("" if none), and why it is not there. */
static char pg_dir[PGH_DIR_MAX];
static const char *pg_missing = "no PostgreSQL test was to run";

char *new_location(const char *tag)
{
	char name[64];
	char *uri = NULL;

	if (suite_backend == SUITE_SQLITE)
		return cv_xasprintf("%s/%s.db", tap_tmpdir(), tag);
	if (pg_missing) {
		tap_fail(__FILE__, __LINE__, "no PostgreSQL to test: %s", pg_missing);
		exit(1);
	}
	snprintf(name, sizeof(name), "t%ld_%s", (long)getpid(), tag);
	if (pgh_createdb(pg_dir, name, &uri) < 0) {
		tap_fail(__FILE__, __LINE__, "createdb %s in %s failed", name, pg_dir);
		exit(1);
	}
	return uri;
}

struct store *open_db(const char *loc)
{
	struct store *s = NULL;
	char *err = NULL;

	if (store_open(loc, &s, &err) < 0) {
		tap_fail(__FILE__, __LINE__, "store_open %s: %s", loc, err ? err : "?");
		exit(1);
	}
	return s;
}

bool has_vendor(struct store *s, const char *id)
{
	return store_vendor_get(s, id, NULL) == 0;
}

bool durable_vendor(const char *loc, const char *id)
{
	struct store *o = open_db(loc);
	bool there = has_vendor(o, id);

	store_close(o);
	return there;
}

bool is_store_time(const char *t)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";

	if (!t || strlen(t) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++)
		if (pattern[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != pattern[i])
			return false;
	return true;
}

char *joined(struct cv_strv *v, bool sorted)
{
	char *s;

	if (sorted)
		cv_strv_sort(v);
	s = cv_strv_join(v, ",");
	cv_strv_release(v);
	cv_strv_init(v);
	return s;
}


int push_org(void *u, const char *id, const char *name, const char *created_at)
{
	(void)name;
	if (!is_store_time(created_at))
		tap_fail(__FILE__, __LINE__, "%s: created_at \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", id,
			 created_at ? created_at : "(null)");
	cv_strv_push(u, id);
	return 0;
}

int push_doc_org(void *u, const char *id, const char *name, const char *created_at)
{
	(void)name;
	(void)created_at;
	cv_strv_push(u, id);
	return 0;
}

int push_doc(void *u, const char *id, const char *doc)
{
	(void)doc;
	cv_strv_push(u, id);
	return 0;
}

int push_doc_text(void *u, const char *id, const char *doc)
{
	(void)id;
	cv_strv_push(u, doc);
	return 0;
}

void put_config(struct store *s, const char *id, const char *status, const char *guest_os,
		       const char *guest_vendor, const char *guest_product, const char *hv_ids, const char *hv_vendor,
		       const char *hv_product, const char *validated_by, const char *doc)
{
	struct store_config_row c = { .id = id, .status = status, .guest_os = guest_os, .guest_vendor = guest_vendor,
				      .guest_product = guest_product, .guest_version = "1", .hv_ids = hv_ids,
				      .hv_vendor = hv_vendor, .hv_product = hv_product, .hv_version = "1",
				      .validated_by = validated_by, .doc = doc };
	bool replaced = true;

	CHECK_INT(store_config_put(s, &c, &replaced), 0);
	CHECK(!replaced);
}

int push_case(void *u, const struct store_case_row *c)
{
	cv_strv_push(u, c->id);
	return 0;
}

void add_case(struct store *s, const char *id, const char *customer, const char *vendor, const char *engaged,
		     const char *state, int64_t severity, const char *machine)
{
	struct store_case_row c = { .id = id, .customer_id = customer, .vendor_id = vendor, .engaged = engaged,
				    .state = state, .severity = severity, .version = 99, .doc = "{\"notes\":[]}",
				    .machine_id = machine };

	CHECK_INT(store_case_add(s, &c), 0);
}

void add_machine(struct store *s, const char *id, const char *customer, const char *key, const char *name,
			const char *cred, int64_t last_seen_s)
{
	struct store_machine_row m = { .id = id, .customer_id = customer, .machine_key = key, .name = name,
				       .credential_hash = cred, .enrolled_at = "2026-12-01T00:00:00Z",
				       .last_seen_s = last_seen_s, .interval_s = 60 };

	CHECK_INT(store_machine_add(s, &m), 0);
}

int push_machine_name(void *u, const struct store_machine_row *m)
{
	cv_strv_push(u, m->name);
	return 0;
}

int push_verdict(void *u, const struct store_verdict_row *r)
{
	cv_strv_push_take(u, cv_xasprintf("%s@%s", r->verdict, r->at));
	return 0;
}

int push_event(void *u, const struct store_event_row *e)
{
	cv_strv_push(u, e->id);
	return 0;
}

static bool wants(const char *backends, const char *name)
{
	return !backends || !*backends || strstr(backends, name);
}

int suite_run(int argc, char **argv, const struct tap_test *sqlite, size_t n_sqlite, const struct tap_test *pg,
	      size_t n_pg)
{
	/* COVALID_TEST_BACKENDS: "sqlite", "postgresql", or both (the default). */
	const char *backends = getenv("COVALID_TEST_BACKENDS");
	bool on_sqlite = wants(backends, "sqlite"), on_pg = wants(backends, "postgres");
	struct tap_test *tests = calloc(n_sqlite + n_pg + 1, sizeof(*tests));
	size_t n = 0;
	int r;

	if (!tests)
		abort();
	for (size_t i = 0; on_sqlite && i < n_sqlite; i++)
		tests[n++] = sqlite[i];
	for (size_t i = 0; on_pg && i < n_pg; i++)
		tests[n++] = pg[i];
	/*
	 * The cluster, once for the run, when a PostgreSQL test is to run.
	 * It sorts text as a production one may (ICU's en-US), not by bytes
	 * as pg.sh's default C does: what a backend lists "in id order" must
	 * not depend on it (test-store-values.c).  PG_INITDB_OPTS set by the
	 * caller wins; a PostgreSQL without ICU gets C.
	 */
	if (on_pg && n_pg && (argc < 2 || strncmp(argv[1], "postgresql:", 11) == 0))
		pg_missing = pgh_cluster_start(pg_dir, "--locale-provider=icu --icu-locale=en-US");
	r = tap_run(tests, n, argc, argv);
	pgh_cluster_stop(pg_dir);
	free(tests);
	return r;
}
