/*
 * test-store.c - the store's conformance suite (issue 15): what every
 * backend behind covalid/store.h must do, run once against SQLite (a file
 * in the test's directory) and once against a real PostgreSQL that this
 * test starts itself (tests/unit/pg-harness.h: initdb into a temporary
 * directory, a Unix socket, the postgres user when run as root; text
 * sorted by ICU's en-US, as a production cluster may, not by bytes), with
 * a fresh database for each test, stopped at the end whatever the tests
 * did.  COVALID_TEST_BACKENDS=sqlite (or =postgresql) runs one half only,
 * for development; by default both run, and without PostgreSQL's binaries
 * the PostgreSQL half fails (never skips).
 *
 * What is held to: every function of store.h (the catalog and its
 * generation, vendors, keys, tokens, submissions, the policy, settings,
 * customers, agreements, cases with versions and conflicts, machines,
 * verdicts, events, webhooks and deliveries, monitor settings, fleet
 * samples), transactions and rollback (nesting: a begin inside an open
 * transaction is a savepoint), migrations from every released schema
 * (store_open_at_schema, rows written as that schema's covalid wrote them,
 * then store_open migrates and they are still there), concurrent writers
 * on connections of their own (every acknowledged write there after, one
 * winner among writers of one case version, the event log's seqs in
 * commit order, a new database migrated once by openers racing), values
 * that come back byte for byte, and on PostgreSQL a dropped connection
 * (its transaction fails whole, the next call reconnects).  Expected
 * values come from store.h's comments (its contract), pg-design.md (the
 * dropped connection, the event log's order), the migrations' documented intent
 * (store-sqlite.c), and SQLite's documented savepoint semantics
 * (sqlite.org/lang_savepoint.html: RELEASE keeps a savepoint's work in
 * the enclosing transaction, ROLLBACK TO undoes it, only the outermost
 * COMMIT is durable), which PostgreSQL's SAVEPOINT shares
 * (postgresql.org/docs/current/sql-savepoint.html).
 *
 * And, SQLite only: the seam between the queries and the engines (no
 * spelling only one engine knows in a shared query file: store-internal.h,
 * "Portable SQL"; what the SQLite backend supplies in its place behaves as
 * SQLite's own, sqlite.org/lang_corefunc.html#instr,
 * sqlite.org/lang_datefunc.html), a full disk inside a savepoint, the
 * location's scheme.
 */
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "pg-harness.h"
#include "store/store-internal.h"
#include "tap.h"

enum backend { BACKEND_SQLITE, BACKEND_PG };

/* The backend of the test running (set in its child before it runs). */
static enum backend backend = BACKEND_SQLITE;
/* The PostgreSQL cluster main() started ("" if none), and why it is not there. */
static char pg_dir[128];
static const char *pg_missing;

/*
 * A new empty database for the running test; tag tells a test's several
 * apart.  SQLite: a file in the test's directory; PostgreSQL: a database
 * of its own in the cluster (dropped with it).
 */
static char *new_location(const char *tag)
{
	char name[64];
	char *uri = NULL;

	if (backend == BACKEND_SQLITE)
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

static struct store *open_db(const char *loc)
{
	struct store *s = NULL;
	char *err = NULL;

	if (store_open(loc, &s, &err) < 0) {
		tap_fail(__FILE__, __LINE__, "store_open %s: %s", loc, err ? err : "?");
		exit(1);
	}
	return s;
}

static bool has_vendor(struct store *s, const char *id)
{
	return store_vendor_get(s, id, NULL) == 0;
}

/* A second connection: what is durable, not what this one sees in its transaction. */
static bool durable_vendor(const char *loc, const char *id)
{
	struct store *o = open_db(loc);
	bool there = has_vendor(o, id);

	store_close(o);
	return there;
}

/* "YYYY-MM-DDTHH:MM:SSZ", the store's time format (store-internal.h's db_now). */
static bool is_store_time(const char *t)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";

	if (!t || strlen(t) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++)
		if (pattern[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != pattern[i])
			return false;
	return true;
}

/* ---- collecting what the walks give, as "a,b,c" ---- */

static char *joined(struct cv_strv *v, bool sorted)
{
	char *s;

	if (sorted)
		cv_strv_sort(v);
	s = cv_strv_join(v, ",");
	cv_strv_release(v);
	cv_strv_init(v);
	return s;
}

#define CHECK_LIST(v, sorted, expected)              \
	do {                                         \
		char *got_ = joined((v), (sorted));  \
		CHECK_STR(got_, (expected));         \
		free(got_);                          \
	} while (0)

static int push_org(void *u, const char *id, const char *name, const char *created_at)
{
	(void)name;
	if (!is_store_time(created_at))
		tap_fail(__FILE__, __LINE__, "%s: created_at \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", id,
			 created_at ? created_at : "(null)");
	cv_strv_push(u, id);
	return 0;
}

static int push_doc_org(void *u, const char *id, const char *name, const char *created_at)
{
	(void)name;
	(void)created_at;
	cv_strv_push(u, id);
	return 0;
}

static int push_doc(void *u, const char *id, const char *doc)
{
	(void)doc;
	cv_strv_push(u, id);
	return 0;
}

static int push_doc_text(void *u, const char *id, const char *doc)
{
	(void)id;
	cv_strv_push(u, doc);
	return 0;
}

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
	if (backend == BACKEND_SQLITE)
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
			   backend == BACKEND_SQLITE ? "PRAGMA user_version = 9999"
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

/* ---- conformance: transactions ---- */

static void nested_commits_keep_everything_and_only_the_outer_is_durable(void)
{
	char *loc = new_location("a");
	struct store *s = open_db(loc);

	CHECK_INT(store_txn_depth(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "outer", "Outer"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_txn_depth(s), 2);
	CHECK_INT(store_vendor_add(s, "inner", "Inner"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_txn_depth(s), 3);
	CHECK_INT(store_vendor_add(s, "innermost", "Innermost"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_txn_depth(s), 1);
	/* Released savepoints are not durable until the outer commit. */
	CHECK(!durable_vendor(loc, "inner"));
	CHECK(has_vendor(s, "inner"));
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(durable_vendor(loc, "outer"));
	CHECK(durable_vendor(loc, "inner"));
	CHECK(durable_vendor(loc, "innermost"));
	store_close(s);
	free(loc);
}

static void inner_rollback_undoes_only_its_own_work(void)
{
	char *loc = new_location("b");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "kept", "Kept"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "undone", "Undone"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "undone-too", "Undone too"), 0);
	CHECK_INT(store_commit(s), 0); /* into "undone"'s level, which is rolled back */
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK(!has_vendor(s, "undone"));
	CHECK(!has_vendor(s, "undone-too"));
	CHECK(has_vendor(s, "kept"));
	/* The same level again: a savepoint rolled back is released, not left behind. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "kept"));
	CHECK(durable_vendor(loc, "after"));
	CHECK(!durable_vendor(loc, "undone"));
	CHECK(!durable_vendor(loc, "undone-too"));
	store_close(s);
	free(loc);
}

static void outer_rollback_undoes_released_savepoints(void)
{
	char *loc = new_location("c");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "gone", "Gone"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(!has_vendor(s, "gone"));
	CHECK(!durable_vendor(loc, "gone"));
	/* The writer lock was let go: a new transaction begins. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_rollback(s), 0);
	store_close(s);
	free(loc);
}

/* A statement that fails (a duplicate: -EEXIST) inside a savepoint is taken
 * back with it; the enclosing transaction goes on and commits the rest.
 * (PostgreSQL marks the whole transaction failed on any error until the
 * savepoint is rolled back to: a backend must do that, not lose the rest.) */
static void a_failed_statement_in_a_savepoint_spares_the_enclosing_work(void)
{
	char *loc = new_location("d");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "first", "First"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "first", "First again"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_customer_add(s, "cust", "Customer"), 0);
	CHECK_INT(store_customer_add(s, "cust", "Customer"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_vendor_add(s, "second", "Second"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "first"));
	CHECK(durable_vendor(loc, "second"));
	CHECK_INT(store_customer_get(s, "cust", NULL), -ENOENT);
	store_close(s);
	free(loc);
}

/* The library's calls own their transactions (src/program/txn.c); inside a
 * caller's they nest, and one that fails takes back only its own. */
static void library_calls_nest_in_a_callers_transaction(void)
{
	char *loc = new_location("e");
	struct store *s = open_db(loc);
	struct program_error e = { 0 };
	char *id = NULL, *tok = NULL, *tid = NULL;

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_vendor_admit(s, "First Vendor", "first", &id, &e), 0);
	free(id);
	id = NULL;
	CHECK_INT(store_txn_depth(s), 1);
	/* A duplicate: 409, and the first stays. */
	CHECK(program_vendor_admit(s, "First Vendor", "first", &id, &e) < 0);
	CHECK_INT(e.http, 409);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK_INT(program_token_issue(s, "first", "ci", &tok, &tid, &e), 0);
	/* A call that fails half-way (the vendor does not exist) leaves nothing. */
	CHECK(program_key_revoke(s, "no-such-key", &e) < 0);
	CHECK_INT(e.http, 404);
	CHECK_INT(store_txn_depth(s), 1);
	CHECK(!durable_vendor(loc, "first"));
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "first"));
	free(tok);
	free(tid);

	/* And the caller's rollback takes back calls that "committed". */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(program_vendor_admit(s, "Second Vendor", "second", &id, &e), 0);
	free(id);
	CHECK_INT(store_rollback(s), 0);
	CHECK(!durable_vendor(loc, "second"));
	CHECK(!has_vendor(s, "second"));
	store_close(s);
	free(loc);
}

/* The engine rolled the transaction back under its savepoints (as SQLite
 * does after some I/O errors): nesting further, releasing or committing
 * fails (-EIO, store-internal.h's db_ops), and nothing meant for that
 * transaction is written alone. */
static void a_lost_transaction_is_never_continued_in_autocommit(void)
{
	char *loc = new_location("f");
	struct store *s = open_db(loc);

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "before", "Before"), 0);
	CHECK_INT(store_begin(s), 0);
	/* What the engine does on its own after such an error. */
	CHECK_INT(db_query(s, "ROLLBACK", NULL, NULL, NULL), 0);
	CHECK_INT(store_begin(s), -EIO);
	CHECK(*store_errmsg(s));
	if (backend == BACKEND_SQLITE)
		CHECK(strstr(store_errmsg(s), "rolled back"));
	CHECK_INT(store_commit(s), -EIO); /* the release */
	CHECK_INT(store_txn_depth(s), 2);
	CHECK_INT(store_rollback(s), -EIO);
	CHECK_INT(store_txn_depth(s), 1);
	/* A savepoint now would have begun a transaction of its own. */
	CHECK_INT(store_begin(s), -EIO);
	CHECK(store_commit(s) < 0);
	store_rollback(s);
	CHECK_INT(store_txn_depth(s), 0);
	CHECK(!durable_vendor(loc, "before"));
	/* And the store works on. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "after"));
	store_close(s);
	free(loc);
}

/* ---- conformance: the catalog ---- */

static void put_config(struct store *s, const char *id, const char *status, const char *guest_os,
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

static char *config_ids(struct store *s, const struct store_query *q)
{
	struct cv_strv v;
	int64_t n = -1;
	char *r;

	cv_strv_init(&v);
	CHECK_INT(store_config_list(s, q, push_doc, &v), 0);
	/* The count agrees with the list (without its limit and offset). */
	if (q && !q->limit && !q->offset) {
		CHECK_INT(store_config_count(s, q, &n), 0);
		CHECK_INT(n, (int64_t)v.n);
	}
	r = joined(&v, false);
	return r;
}

#define CHECK_CONFIGS(s, expected, ...)                                          \
	do {                                                                     \
		struct store_query q_ = { __VA_ARGS__ };                         \
		char *got_ = config_ids((s), &q_);                               \
		CHECK_STR(got_, (expected));                                     \
		free(got_);                                                      \
	} while (0)

static void catalog(void)
{
	char *loc = new_location("cat");
	struct store *s = open_db(loc);
	struct store_product_row p = { .id = "rhel5.3", .kind = "guest_os", .vendor = "Red Hat",
				       .product = "Red Hat Enterprise Linux", .version = "5.3", .osinfo = "rhel5.3",
				       .doc = "{\"id\":\"rhel5.3\"}" };
	struct store_product_row h = { .id = "hyperv2008", .kind = "hypervisor", .vendor = "Microsoft",
				       .product = "Windows Server 2008 Hyper-V", .version = "2008", .osinfo = NULL,
				       .doc = "{\"id\":\"hyperv2008\",\"note\":\"hv\"}" };
	int64_t g0 = -1, g1 = -1, g2 = -1, g3 = -1, g4 = -1;
	bool replaced = false;
	char *doc = NULL;
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_catalog_generation(s, &g0), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_product_put(s, &p, &replaced), 0);
	CHECK(!replaced);
	CHECK_INT(store_product_put(s, &h, &replaced), 0);
	CHECK(!replaced);
	CHECK_INT(store_commit(s), 0);
	/* Every catalog write bumps the generation. */
	CHECK_INT(store_catalog_generation(s, &g1), 0);
	CHECK(g1 > g0);
	CHECK_INT(store_product_get(s, "rhel5.3", &doc), 0);
	CHECK_STR(doc, "{\"id\":\"rhel5.3\"}");
	free(doc);
	doc = NULL;
	CHECK_INT(store_product_get(s, "nope", &doc), -ENOENT);
	/* Put by id again: replaced, and the new document is the one kept. */
	p.doc = "{\"id\":\"rhel5.3\",\"v\":2}";
	CHECK_INT(store_product_put(s, &p, &replaced), 0);
	CHECK(replaced);
	CHECK_INT(store_product_get(s, "rhel5.3", &doc), 0);
	CHECK_STR(doc, "{\"id\":\"rhel5.3\",\"v\":2}");
	free(doc);
	doc = NULL;
	CHECK_INT(store_catalog_generation(s, &g2), 0);
	CHECK(g2 > g1);

	/* Products by filter, in id order. */
	CHECK_INT(store_product_list(s, NULL, push_doc, &v), 0);
	CHECK_LIST(&v, false, "hyperv2008,rhel5.3");
	{
		struct store_query q = { .kind = "hypervisor" };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "hyperv2008");
	}
	{
		struct store_query q = { .vendor = "red hat" };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "rhel5.3");
	}
	{
		struct store_query q = { .text = "note" };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "hyperv2008");
	}
	{
		struct store_query q = { .limit = 1, .offset = 1 };

		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "rhel5.3");
	}

	/* Configurations. */
	CHECK_INT(store_begin(s), 0);
	put_config(s, "c1", "validated", "rhel5.3", "Red Hat", "Red Hat Enterprise Linux", "hyperv2008 hyperv2008r2",
		   "Microsoft", "Windows Server 2008 Hyper-V", "Red Hat\nMicrosoft", "{\"id\":\"c1\",\"n\":\"alpha\"}");
	put_config(s, "c2", "supported", "win2k8", "Microsoft", "Windows Server 2008", "kvm", "Red Hat", "RHEL KVM",
		   "Red Hat", "{\"id\":\"c2\",\"n\":\"beta\"}");
	put_config(s, "c3", "withdrawn", "sles11", "SUSE", "SUSE Linux Enterprise Server", "esxi5", "VMware",
		   "vSphere ESXi", "", "{\"id\":\"c3\",\"n\":\"gamma\"}");
	put_config(s, "c4", "validated", "sles11", "SUSE", "SUSE Linux Enterprise Server", "kvm", "Red Hat", "RHEL KVM",
		   "Acme Corp", "{\"id\":\"c4\",\"n\":\"delta\"}");
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_catalog_generation(s, &g3), 0);
	CHECK(g3 > g2);
	CHECK_INT(store_config_get(s, "c2", &doc), 0);
	CHECK_STR(doc, "{\"id\":\"c2\",\"n\":\"beta\"}");
	free(doc);
	doc = NULL;
	CHECK_INT(store_config_get(s, "c9", &doc), -ENOENT);
	CHECK_CONFIGS(s, "c1,c2,c3,c4", .limit = 0);
	/* guest: the OS id exactly, or the product by substring, case-folded. */
	CHECK_CONFIGS(s, "c1", .guest = "rhel5.3");
	CHECK_CONFIGS(s, "c2", .guest = "WINDOWS server");
	CHECK_CONFIGS(s, "", .guest = "rhel5"); /* neither an id nor in "Red Hat Enterprise Linux" */
	/* hypervisor: one of the ids (a whole word) or the product by substring. */
	CHECK_CONFIGS(s, "c1", .hypervisor = "hyperv2008r2");
	CHECK_CONFIGS(s, "", .hypervisor = "hyperv");
	CHECK_CONFIGS(s, "c1", .hypervisor = "hyper-v");
	CHECK_CONFIGS(s, "c2,c4", .hypervisor = "kvm");
	CHECK_CONFIGS(s, "c3", .hypervisor = "esx");
	/* vendor: guest's, hypervisor's or a validator, by name or by id. */
	CHECK_CONFIGS(s, "c1,c2,c4", .vendor = "Red Hat");
	CHECK_CONFIGS(s, "c1,c2,c4", .vendor = "red-hat");
	CHECK_CONFIGS(s, "c1,c2", .vendor = "microsoft");
	CHECK_CONFIGS(s, "c4", .vendor = "acme-corp");
	CHECK_CONFIGS(s, "c4", .vendor = "Acme Corp");
	CHECK_CONFIGS(s, "", .vendor = "acme");
	/* status: one, or several comma-separated. */
	CHECK_CONFIGS(s, "c1,c4", .status = "validated");
	CHECK_CONFIGS(s, "c1,c2,c4", .status = "validated,supported");
	CHECK_CONFIGS(s, "", .status = "valid");
	/* text: the whole document. */
	CHECK_CONFIGS(s, "c2", .text = "beta");
	/* Filters together. */
	CHECK_CONFIGS(s, "c4", .vendor = "red-hat", .guest = "sles11");
	/* limit and offset, in id order. */
	CHECK_CONFIGS(s, "c2,c3", .limit = 2, .offset = 1);
	CHECK_CONFIGS(s, "c4", .offset = 3, .limit = 10);

	/* Replacing a configuration: its columns follow. */
	put_config(s, "c5", "validated", "x", "X", "X OS", "kvm", "Red Hat", "RHEL KVM", "", "{}");
	{
		struct store_config_row c = { .id = "c5", .status = "withdrawn", .guest_os = "x", .guest_vendor = "X",
					      .guest_product = "X OS", .guest_version = "1", .hv_ids = "kvm",
					      .hv_vendor = "Red Hat", .hv_product = "RHEL KVM", .hv_version = "1",
					      .validated_by = NULL, .doc = "{\"v\":2}" };

		CHECK_INT(store_config_put(s, &c, &replaced), 0);
		CHECK(replaced);
	}
	CHECK_CONFIGS(s, "c3,c5", .status = "withdrawn");
	/* A vendor is part of the catalog too. */
	CHECK_INT(store_catalog_generation(s, &g3), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "acme", "Acme"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_catalog_generation(s, &g4), 0);
	CHECK(g4 > g3);
	/* Another connection sees the same generation. */
	{
		struct store *o = open_db(loc);
		int64_t g = -1;

		CHECK_INT(store_catalog_generation(o, &g), 0);
		CHECK_INT(g, g4);
		store_close(o);
	}
	store_close(s);
	free(loc);
}

/* ---- conformance: vendors, keys, tokens ---- */

static int push_key(void *u, const char *key_id, const char *vendor_id, const char *public_key,
		    const char *created_at, const char *revoked_at)
{
	(void)public_key;
	CHECK(is_store_time(created_at));
	cv_strv_push_take(u, cv_xasprintf("%s/%s%s", key_id, vendor_id, revoked_at ? "/revoked" : ""));
	if (revoked_at)
		CHECK(is_store_time(revoked_at));
	return 0;
}

static int push_token(void *u, const struct store_token_row *t)
{
	CHECK(is_store_time(t->created_at));
	cv_strv_push_take(u, cv_xasprintf("%s/%s%s", t->id, t->role, t->revoked_at ? "/revoked" : ""));
	return 0;
}

static int stop_at_first(void *u, const char *id, const char *name, const char *created_at)
{
	(void)name;
	(void)created_at;
	cv_strv_push(u, id);
	return 42;
}

static void vendors_keys_tokens(void)
{
	char *loc = new_location("v");
	struct store *s = open_db(loc);
	char *name = NULL, *vid = NULL, *pk = NULL;
	struct store_token_row *t = NULL;
	bool revoked = true;
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "red-hat", "Red Hat"), 0);
	CHECK_INT(store_vendor_add(s, "microsoft", "Microsoft"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "red-hat", "Red Hat again"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_vendor_get(s, "red-hat", &name), 0);
	CHECK_STR(name, "Red Hat");
	free(name);
	CHECK_INT(store_vendor_get(s, "nobody", &name), -ENOENT);
	CHECK_INT(store_vendor_list(s, push_org, &v), 0);
	CHECK_LIST(&v, false, "microsoft,red-hat");
	/* A callback's non-zero return stops the walk and is returned. */
	CHECK_INT(store_vendor_list(s, stop_at_first, &v), 42);
	CHECK_LIST(&v, false, "microsoft");

	/* Keys. */
	CHECK_INT(store_key_add(s, "k1", "red-hat", "pk-one"), 0);
	CHECK_INT(store_key_add(s, "k2", "microsoft", "pk-two"), 0);
	CHECK_INT(store_key_add(s, "k3", "red-hat", "pk-three"), 0);
	CHECK_INT(store_key_get(s, "k1", &vid, &pk, &revoked), 0);
	CHECK_STR(vid, "red-hat");
	CHECK_STR(pk, "pk-one");
	CHECK(!revoked);
	free(vid);
	free(pk);
	CHECK_INT(store_key_get(s, "k9", NULL, NULL, NULL), -ENOENT);
	CHECK_INT(store_key_revoke(s, "k1"), 0);
	CHECK_INT(store_key_get(s, "k1", NULL, NULL, &revoked), 0);
	CHECK(revoked);
	CHECK_INT(store_key_list(s, "red-hat", push_key, &v), 0);
	CHECK_LIST(&v, true, "k1/red-hat/revoked,k3/red-hat");
	CHECK_INT(store_key_list(s, NULL, push_key, &v), 0);
	CHECK_LIST(&v, true, "k1/red-hat/revoked,k2/microsoft,k3/red-hat");

	/* Tokens: a hash each, found while live. */
	CHECK_INT(store_customer_add(s, "contoso", "Contoso"), 0);
	{
		struct store_token_row rows[] = {
			{ .id = "t-admin", .role = "admin", .name = "Owner", .description = "the owner" },
			{ .id = "t-vendor", .role = "vendor", .vendor_id = "red-hat", .name = "Engineer" },
			{ .id = "t-mgr", .role = "vendor-manager", .vendor_id = "microsoft", .name = "Manager" },
			{ .id = "t-cust", .role = "customer", .customer_id = "contoso", .name = "Admin" },
		};
		const char *hashes[] = { "h-admin", "h-vendor", "h-mgr", "h-cust" };

		for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++)
			CHECK_INT(store_token_add(s, hashes[i], &rows[i]), 0);
	}
	CHECK_INT(store_token_find(s, "h-cust", &t), 0);
	if (t) {
		CHECK_STR(t->id, "t-cust");
		CHECK_STR(t->role, "customer");
		CHECK_STR(t->customer_id, "contoso");
		CHECK_STR(t->vendor_id, NULL);
		CHECK_STR(t->name, "Admin");
		CHECK_STR(t->revoked_at, NULL);
		CHECK(is_store_time(t->created_at));
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h-admin", &t), 0);
	if (t) {
		CHECK_STR(t->description, "the owner");
		CHECK_STR(t->vendor_id, NULL);
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h-mgr", &t), 0);
	if (t) {
		CHECK_STR(t->vendor_id, "microsoft");
		CHECK_STR(t->role, "vendor-manager");
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h-none", &t), -ENOENT);
	CHECK_INT(store_token_revoke(s, "t-vendor"), 0);
	CHECK_INT(store_token_find(s, "h-vendor", &t), -ENOENT);
	CHECK_INT(store_token_revoke(s, "t-vendor"), -ENOENT);
	CHECK_INT(store_token_revoke(s, "t-none"), -ENOENT);
	/* Listed whether revoked or not. */
	CHECK_INT(store_token_list(s, STORE_TOKENS_BY_CREATION, push_token, &v), 0);
	CHECK_LIST(&v, true, "t-admin/admin,t-cust/customer,t-mgr/vendor-manager,t-vendor/vendor/revoked");
	store_close(s);
	free(loc);
}

static int push_token_use(void *u, const struct store_token_row *t)
{
	cv_strv_push_take(u, cv_xasprintf("%s@%s", t->id, t->last_used_at ? t->last_used_at : "never"));
	return 0;
}

/* Tokens' expiry and last use (store.h): expires_at kept and returned, an
 * expired token still found (the caller compares); a use recorded at most
 * once per interval; listed by last use, never-used last. */
static void token_expiry_and_last_use(void)
{
	char *loc = new_location("tok");
	struct store *s = open_db(loc);
	struct store_token_row *t = NULL;
	bool written = false;
	struct cv_strv v;

	cv_strv_init(&v);
	{
		struct store_token_row rows[] = {
			{ .id = "t1", .role = "admin", .name = "One", .expires_at = "2000-01-01T00:00:00Z",
			  .last_used_at = "2026-01-01T00:00:00Z" /* not read */ },
			{ .id = "t2", .role = "admin", .name = "Two" },
			{ .id = "t3", .role = "admin", .name = "Three", .expires_at = "2099-12-31T23:59:59Z" },
			{ .id = "t4", .role = "admin", .name = "Four" },
		};
		const char *hashes[] = { "h1", "h2", "h3", "h4" };

		for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++)
			CHECK_INT(store_token_add(s, hashes[i], &rows[i]), 0);
	}
	CHECK_INT(store_token_find(s, "h1", &t), 0); /* expired, still found */
	if (t) {
		CHECK_STR(t->expires_at, "2000-01-01T00:00:00Z");
		CHECK_STR(t->last_used_at, NULL);
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_find(s, "h2", &t), 0);
	if (t) {
		CHECK_STR(t->expires_at, NULL);
		store_token_free(t);
		t = NULL;
	}
	/* A use, then none recorded again within the interval, then one after it. */
	CHECK_INT(store_token_touch(s, "t2", "2026-12-02T10:00:00Z", "2026-12-02T09:59:00Z", &written), 0);
	CHECK(written);
	CHECK_INT(store_token_touch(s, "t2", "2026-12-02T10:00:30Z", "2026-12-02T09:59:30Z", &written), 0);
	CHECK(!written);
	CHECK_INT(store_token_find(s, "h2", &t), 0);
	if (t) {
		CHECK_STR(t->last_used_at, "2026-12-02T10:00:00Z");
		store_token_free(t);
		t = NULL;
	}
	CHECK_INT(store_token_touch(s, "t2", "2026-12-02T10:02:00Z", "2026-12-02T10:01:00Z", &written), 0);
	CHECK(written);
	CHECK_INT(store_token_touch(s, "t3", "2026-12-02T10:01:00Z", "2026-12-02T10:00:00Z", NULL), 0);
	CHECK_INT(store_token_touch(s, "t1", "2026-11-01T00:00:00Z", "2026-10-31T23:59:00Z", &written), 0);
	CHECK(written);
	/* Most recently used first; never used last, oldest first. */
	CHECK_INT(store_token_list(s, STORE_TOKENS_BY_LAST_USE, push_token_use, &v), 0);
	CHECK_LIST(&v, false,
		   "t2@2026-12-02T10:02:00Z,t3@2026-12-02T10:01:00Z,t1@2026-11-01T00:00:00Z,t4@never");
	store_close(s);
	free(loc);
}

/* ---- conformance: customers, agreements, cases ---- */

static int push_case(void *u, const struct store_case_row *c)
{
	cv_strv_push(u, c->id);
	return 0;
}

static void add_case(struct store *s, const char *id, const char *customer, const char *vendor, const char *engaged,
		     const char *state, int64_t severity, const char *machine)
{
	struct store_case_row c = { .id = id, .customer_id = customer, .vendor_id = vendor, .engaged = engaged,
				    .state = state, .severity = severity, .version = 99, .doc = "{\"notes\":[]}",
				    .machine_id = machine };

	CHECK_INT(store_case_add(s, &c), 0);
}

static void customers_agreements_cases(void)
{
	char *loc = new_location("sup");
	struct store *s = open_db(loc);
	struct store_case_row *c = NULL;
	char *name = NULL;
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "v1", "Vendor One"), 0);
	CHECK_INT(store_vendor_add(s, "v2", "Vendor Two"), 0);
	CHECK_INT(store_vendor_add(s, "v22", "Vendor Twenty-two"), 0);
	CHECK_INT(store_customer_add(s, "fabrikam", "Fabrikam"), 0);
	CHECK_INT(store_customer_add(s, "contoso", "Contoso"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_customer_add(s, "contoso", "Contoso"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_customer_get(s, "contoso", &name), 0);
	CHECK_STR(name, "Contoso");
	free(name);
	CHECK_INT(store_customer_get(s, "nobody", &name), -ENOENT);
	CHECK_INT(store_customer_list(s, push_org, &v), 0);
	CHECK_LIST(&v, false, "contoso,fabrikam");

	/* Agreements. */
	CHECK_INT(store_agreement_add(s, "a2", "contoso", "v2", "{\"a\":2}"), 0);
	CHECK_INT(store_agreement_add(s, "a1", "contoso", "v1", "{\"a\":1}"), 0);
	CHECK_INT(store_agreement_add(s, "a3", "fabrikam", "v1", "{\"a\":3}"), 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_agreement_add(s, "a1", "fabrikam", "v2", "{}"), -EEXIST);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_agreement_list(s, NULL, NULL, push_doc, &v), 0);
	CHECK_LIST(&v, false, "a1,a2,a3");
	CHECK_INT(store_agreement_list(s, "contoso", NULL, push_doc, &v), 0);
	CHECK_LIST(&v, false, "a1,a2");
	CHECK_INT(store_agreement_list(s, NULL, "v1", push_doc, &v), 0);
	CHECK_LIST(&v, false, "a1,a3");
	CHECK_INT(store_agreement_list(s, "contoso", "v1", push_doc_text, &v), 0);
	CHECK_LIST(&v, false, "{\"a\":1}");

	/* Cases: version 1 when added, whatever the row said. */
	add_case(s, "k1", "contoso", "v1", "v2\nv3", "open", 2, NULL);
	add_case(s, "k2", "contoso", "v2", "", "closed", 1, NULL);
	add_case(s, "k3", "fabrikam", "v1", "v22", "open", 4, NULL);
	CHECK_INT(store_case_get(s, "k1", &c), 0);
	if (c) {
		CHECK_STR(c->id, "k1");
		CHECK_STR(c->customer_id, "contoso");
		CHECK_STR(c->vendor_id, "v1");
		CHECK_STR(c->engaged, "v2\nv3");
		CHECK_STR(c->state, "open");
		CHECK_INT(c->severity, 2);
		CHECK_INT(c->version, 1);
		CHECK_STR(c->doc, "{\"notes\":[]}");
		CHECK(is_store_time(c->created_at));
		CHECK(is_store_time(c->updated_at));
		store_case_free(c);
		c = NULL;
	}
	CHECK_INT(store_case_get(s, "k9", &c), -ENOENT);

	/* Versions: a write from the stored version wins and makes the next. */
	{
		struct store_case_row u = { .id = "k1", .engaged = "v2\nv3\nv22", .state = "waiting", .severity = 3,
					    .version = 1, .doc = "{\"notes\":[1]}" };

		CHECK_INT(store_case_update(s, &u), 0);
		CHECK_INT(store_case_get(s, "k1", &c), 0);
		if (c) {
			CHECK_INT(c->version, 2);
			CHECK_STR(c->state, "waiting");
			CHECK_INT(c->severity, 3);
			CHECK_STR(c->engaged, "v2\nv3\nv22");
			CHECK_STR(c->doc, "{\"notes\":[1]}");
			CHECK_STR(c->customer_id, "contoso");
			store_case_free(c);
			c = NULL;
		}
		/* The same version again: another write came first. */
		u.doc = "{\"notes\":[\"lost\"]}";
		CHECK_INT(store_case_update(s, &u), -ESTALE);
		u.version = 3; /* nor a version from the future */
		CHECK_INT(store_case_update(s, &u), -ESTALE);
		u.id = "k9";
		u.version = 1;
		CHECK_INT(store_case_update(s, &u), -ENOENT);
		CHECK_INT(store_case_get(s, "k1", &c), 0);
		if (c) {
			CHECK_INT(c->version, 2);
			CHECK_STR(c->doc, "{\"notes\":[1]}");
			store_case_free(c);
			c = NULL;
		}
	}

	/* Who may list which. */
	CHECK_INT(store_case_list(s, NULL, NULL, NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k2,k3");
	CHECK_INT(store_case_list(s, "contoso", NULL, NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k2");
	/* A vendor's own and those engaging it; "v2" is not "v22". */
	CHECK_INT(store_case_list(s, NULL, "v2", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k2");
	CHECK_INT(store_case_list(s, NULL, "v22", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k3");
	CHECK_INT(store_case_list(s, NULL, "v3", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1");
	CHECK_INT(store_case_list(s, NULL, NULL, "open", 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k3");
	CHECK_INT(store_case_list(s, "contoso", "v2", "closed", 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k2");
	CHECK_INT(store_case_list(s, NULL, NULL, NULL, 2, 0, push_case, &v), 0);
	CHECK_INT((int64_t)v.n, 2);
	cv_strv_release(&v);
	cv_strv_init(&v);
	CHECK_INT(store_case_list(s, NULL, NULL, NULL, 2, 2, push_case, &v), 0);
	CHECK_INT((int64_t)v.n, 1);
	cv_strv_release(&v);
	store_close(s);
	free(loc);
}

/* Two connections change one case from the same version: one wins, the
 * other is told -ESTALE, and the winner's write is the one kept. */
static void case_versions_across_connections(void)
{
	char *loc = new_location("ver");
	struct store *a = open_db(loc), *b = open_db(loc);
	struct store_case_row *ca = NULL, *cb = NULL, *c = NULL;

	CHECK_INT(store_begin(a), 0);
	CHECK_INT(store_vendor_add(a, "v1", "V1"), 0);
	CHECK_INT(store_customer_add(a, "cu", "Cu"), 0);
	add_case(a, "k", "cu", "v1", "", "open", 2, NULL);
	CHECK_INT(store_commit(a), 0);
	CHECK_INT(store_case_get(a, "k", &ca), 0);
	CHECK_INT(store_case_get(b, "k", &cb), 0);
	if (!ca || !cb)
		return;
	ca->doc = "{\"by\":\"a\"}";
	cb->doc = "{\"by\":\"b\"}";
	CHECK_INT(store_begin(a), 0);
	CHECK_INT(store_case_update(a, ca), 0);
	CHECK_INT(store_commit(a), 0);
	CHECK_INT(store_begin(b), 0);
	CHECK_INT(store_case_update(b, cb), -ESTALE);
	CHECK_INT(store_rollback(b), 0);
	CHECK_INT(store_case_get(b, "k", &c), 0);
	if (c) {
		CHECK_INT(c->version, 2);
		CHECK_STR(c->doc, "{\"by\":\"a\"}");
		store_case_free(c);
	}
	store_case_free(ca);
	store_case_free(cb);
	store_close(a);
	store_close(b);
	free(loc);
}

/* ---- conformance: submissions, evidence, the policy, settings ---- */

static int push_submission(void *u, const struct store_submission_row *r)
{
	cv_strv_push_take(u, cv_xasprintf("%s/%s%s", r->id, r->status, r->log ? "/log" : ""));
	CHECK(is_store_time(r->received_at));
	return 0;
}

static void submissions_policy_settings(void)
{
	char *loc = new_location("sub");
	struct store *s = open_db(loc);
	struct store_submission_row *r = NULL;
	char *id = NULL, *doc = NULL, *val = NULL;
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "v1", "V1"), 0);
	CHECK_INT(store_vendor_add(s, "v2", "V2"), 0);
	put_config(s, "cfg", "validated", "g", "G", "G OS", "h", "H", "H HV", "V1", "{}");
	CHECK_INT(store_commit(s), 0);
	{
		struct store_submission_row rows[] = {
			{ .id = "s1", .vendor_id = "v1", .key_id = "k1", .status = "accepted", .reasons = "[]",
			  .config_id = "cfg", .log = "log one", .log_digest = "d1" },
			{ .id = "s2", .vendor_id = "v1", .key_id = "k1", .status = "rejected",
			  .reasons = "[\"bad signature\"]", .config_id = NULL, .log = "log two", .log_digest = "d1" },
			{ .id = "s3", .vendor_id = "v2", .key_id = NULL, .status = "accepted", .reasons = "[]",
			  .config_id = "cfg", .log = "log three", .log_digest = NULL },
			{ .id = "s4", .vendor_id = "v2", .key_id = NULL, .status = "accepted", .reasons = "[]",
			  .config_id = NULL, .log = "log four", .log_digest = NULL },
		};

		for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++) {
			CHECK_INT(store_begin(s), 0);
			CHECK_INT(store_submission_add(s, &rows[i]), 0);
			CHECK_INT(store_commit(s), 0);
		}
	}
	/* A log is evidence once: another accepted one with its digest is refused. */
	{
		struct store_submission_row dup = { .id = "s5", .vendor_id = "v2", .status = "accepted", .reasons = "[]",
						    .log = "log one again", .log_digest = "d1" };

		CHECK_INT(store_begin(s), 0);
		CHECK_INT(store_submission_add(s, &dup), -EEXIST);
		CHECK_INT(store_rollback(s), 0);
	}
	CHECK_INT(store_submission_find_digest(s, "d1", &id), 0);
	CHECK_STR(id, "s1");
	free(id);
	CHECK_INT(store_submission_find_digest(s, "d9", &id), -ENOENT);
	CHECK_INT(store_submission_get(s, "s2", &r), 0);
	if (r) {
		CHECK_STR(r->id, "s2");
		CHECK_STR(r->vendor_id, "v1");
		CHECK_STR(r->key_id, "k1");
		CHECK_STR(r->status, "rejected");
		CHECK_STR(r->reasons, "[\"bad signature\"]");
		CHECK_STR(r->config_id, NULL);
		CHECK_STR(r->log, "log two");
		CHECK(is_store_time(r->received_at));
		store_submission_free(r);
		r = NULL;
	}
	CHECK_INT(store_submission_get(s, "s9", &r), -ENOENT);
	/* Newest first; with or without their logs. */
	CHECK_INT(store_submission_list(s, NULL, NULL, false, 0, 0, push_submission, &v), 0);
	CHECK_LIST(&v, false, "s4/accepted,s3/accepted,s2/rejected,s1/accepted");
	CHECK_INT(store_submission_list(s, "v1", NULL, true, 0, 0, push_submission, &v), 0);
	CHECK_LIST(&v, false, "s2/rejected/log,s1/accepted/log");
	CHECK_INT(store_submission_list(s, NULL, "cfg", false, 0, 0, push_submission, &v), 0);
	CHECK_LIST(&v, false, "s3/accepted,s1/accepted");
	CHECK_INT(store_submission_list(s, NULL, NULL, false, 2, 1, push_submission, &v), 0);
	CHECK_LIST(&v, false, "s3/accepted,s2/rejected");

	CHECK_INT(store_evidence_add(s, "cfg", "s1"), 0);
	CHECK_INT(store_evidence_add(s, "cfg", "s3"), 0);

	/* The policy: none until set, then the last one set. */
	CHECK_INT(store_policy_get(s, &doc), -ENOENT);
	CHECK_INT(store_policy_put(s, "{\"p\":1}"), 0);
	CHECK_INT(store_policy_get(s, &doc), 0);
	CHECK_STR(doc, "{\"p\":1}");
	free(doc);
	CHECK_INT(store_policy_put(s, "{\"p\":2}"), 0);
	CHECK_INT(store_policy_get(s, &doc), 0);
	CHECK_STR(doc, "{\"p\":2}");
	free(doc);

	/* Settings. */
	CHECK_INT(store_setting_get(s, "token-key", &val), -ENOENT);
	CHECK_INT(store_setting_get_fixed(s, "token-key", &val), -ENOENT);
	CHECK_INT(store_setting_put(s, "token-key", "abc"), 0);
	CHECK_INT(store_setting_put(s, "other", "x"), 0);
	CHECK_INT(store_setting_get(s, "token-key", &val), 0);
	CHECK_STR(val, "abc");
	free(val);
	CHECK_INT(store_setting_get_fixed(s, "token-key", &val), 0);
	CHECK_STR(val, "abc");
	free(val);
	CHECK_INT(store_setting_put(s, "other", "y"), 0);
	CHECK_INT(store_setting_get(s, "other", &val), 0);
	CHECK_STR(val, "y");
	free(val);
	store_close(s);
	free(loc);
}

/* ---- conformance: machines, verdicts, monitor settings, fleet samples ---- */

static void add_machine(struct store *s, const char *id, const char *customer, const char *key, const char *name,
			const char *cred, int64_t last_seen_s)
{
	struct store_machine_row m = { .id = id, .customer_id = customer, .machine_key = key, .name = name,
				       .credential_hash = cred, .enrolled_at = "2026-12-01T00:00:00Z",
				       .last_seen_s = last_seen_s, .interval_s = 60 };

	CHECK_INT(store_machine_add(s, &m), 0);
}

/* Sets what a report would: verdict, flags, last seen. */
static void set_state(struct store *s, const char *id, const char *verdict, const char *flags, int64_t last_seen_s)
{
	struct store_machine_row *m = NULL;

	CHECK_INT(store_machine_get_state(s, id, &m), 0);
	if (!m)
		return;
	m->verdict = verdict;
	m->flags = flags;
	m->last_seen_s = last_seen_s;
	CHECK_INT(store_machine_update(s, m), 0);
	store_machine_free(m);
}

static int push_machine(void *u, const struct store_machine_row *m)
{
	cv_strv_push(u, m->id);
	return 0;
}

static int push_machine_name(void *u, const struct store_machine_row *m)
{
	cv_strv_push(u, m->name);
	return 0;
}

static int push_count(void *u, const char *key, int64_t n)
{
	cv_strv_push_take(u, cv_xasprintf("%s=%lld", key, (long long)n));
	return 0;
}

static int push_verdict(void *u, const struct store_verdict_row *r)
{
	cv_strv_push_take(u, cv_xasprintf("%s@%s", r->verdict, r->at));
	return 0;
}

struct samples {
	struct cv_strv v;
	char last_at[32];
	bool out_of_order;
};

static int push_sample(void *u, const char *at, const char *verdict, int64_t count)
{
	struct samples *x = u;

	if (strcmp(at, x->last_at) < 0)
		x->out_of_order = true;
	snprintf(x->last_at, sizeof(x->last_at), "%s", at);
	cv_strv_push_take(&x->v, cv_xasprintf("%s/%s=%lld", at, verdict, (long long)count));
	return 0;
}

#define CHECK_MACHINES(s, expected, ...)                                                \
	do {                                                                            \
		struct store_machine_query q_ = { __VA_ARGS__ };            \
		struct cv_strv v_;                                                      \
		int64_t n_ = -1;                                                        \
		cv_strv_init(&v_);                                                      \
		CHECK_INT(store_machine_list((s), &q_, push_machine, &v_), 0);          \
		if (!q_.limit && !q_.offset) {                                          \
			CHECK_INT(store_machine_count((s), &q_, &n_), 0);               \
			CHECK_INT(n_, (int64_t)v_.n);                                   \
		}                                                                       \
		CHECK_LIST(&v_, false, (expected));                                     \
		cv_strv_release(&v_);                                                   \
	} while (0)

static void machines(void)
{
	char *loc = new_location("mach");
	struct store *s = open_db(loc);
	struct store_machine_row *m = NULL;
	struct cv_strv ids;
	char *id = NULL;
	bool visible = true;

	cv_strv_init(&ids);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_customer_add(s, "c1", "C1"), 0);
	CHECK_INT(store_customer_add(s, "c2", "C2"), 0);
	CHECK_INT(store_vendor_add(s, "v1", "V1"), 0);
	CHECK_INT(store_vendor_add(s, "v2", "V2"), 0);
	CHECK_INT(store_commit(s), 0);
	add_machine(s, "m1", "c1", "key1", "beta", "h1", 100);
	add_machine(s, "m2", "c1", "key2", "alpha", "h2", 100);
	add_machine(s, "m3", "c2", "key1", "one", "h3", 100); /* another customer's key1 */
	add_machine(s, "m4", "c1", "key4", "gamma", "h4", 100);
	add_machine(s, "m5", "c1", "key5", "aaa", "h5", 100);
	add_machine(s, "m6", "c2", "key6", "six", "h6", 100);
	{
		struct store_machine_row dup = { .id = "m7", .customer_id = "c1", .machine_key = "key1", .name = "dup",
						 .credential_hash = "h7", .enrolled_at = "2026-12-01T00:00:00Z" };

		CHECK_INT(store_begin(s), 0);
		CHECK_INT(store_machine_add(s, &dup), -EEXIST);
		CHECK_INT(store_rollback(s), 0);
	}
	CHECK_INT(store_machine_find_key(s, "c1", "key1", &id), 0);
	CHECK_STR(id, "m1");
	free(id);
	CHECK_INT(store_machine_find_key(s, "c2", "key1", &id), 0);
	CHECK_STR(id, "m3");
	free(id);
	CHECK_INT(store_machine_find_key(s, "c1", "key9", &id), -ENOENT);

	/* As added: no descriptor, health, verdict or flags yet. */
	CHECK_INT(store_machine_get(s, "m1", &m), 0);
	if (m) {
		CHECK_STR(m->customer_id, "c1");
		CHECK_STR(m->machine_key, "key1");
		CHECK_STR(m->name, "beta");
		CHECK_STR(m->credential_hash, "h1");
		CHECK_STR(m->enrolled_at, "2026-12-01T00:00:00Z");
		CHECK_INT(m->last_seen_s, 100);
		CHECK_INT(m->interval_s, 60);
		CHECK_INT(m->seq, 0);
		CHECK_INT(m->reports, 0);
		CHECK_INT(m->vcpus, 0);
		CHECK_STR(m->descriptor, NULL);
		CHECK_STR(m->health, NULL);
		CHECK_STR(m->verdict, NULL);
		store_machine_free(m);
		m = NULL;
	}
	CHECK_INT(store_machine_get(s, "m9", &m), -ENOENT);
	CHECK_INT(store_machine_get_state(s, "m9", &m), -ENOENT);

	/* A descriptor, replaced by the next. */
	CHECK_INT(store_machine_set_descriptor(s, "m1", "{\"d\":1}"), 0);
	CHECK_INT(store_machine_set_descriptor(s, "m1", "{\"d\":2}"), 0);
	/* The mutable columns. */
	{
		struct store_machine_row u = { .id = "m1", .last_seen = "2026-12-02T10:00:00Z", .last_seen_s = 200,
					       .interval_s = 30, .seq = 5, .reports = 3, .vcpus = 4,
					       .descriptor_digest = "dig", .verdict = "validated", .reason = "matches",
					       .differences = "[]", .config_id = "cfg", .health = "{\"load\":1}",
					       .flags = "" };

		CHECK_INT(store_machine_update(s, &u), 0);
		u.id = "m9";
		CHECK_INT(store_machine_update(s, &u), -ENOENT);
	}
	CHECK_INT(store_machine_get(s, "m1", &m), 0);
	if (m) {
		CHECK_STR(m->descriptor, "{\"d\":2}");
		CHECK_STR(m->last_seen, "2026-12-02T10:00:00Z");
		CHECK_INT(m->last_seen_s, 200);
		CHECK_INT(m->interval_s, 30);
		CHECK_INT(m->seq, 5);
		CHECK_INT(m->reports, 3);
		CHECK_INT(m->vcpus, 4);
		CHECK_STR(m->descriptor_digest, "dig");
		CHECK_STR(m->verdict, "validated");
		CHECK_STR(m->reason, "matches");
		CHECK_STR(m->differences, "[]");
		CHECK_STR(m->config_id, "cfg");
		CHECK_STR(m->health, "{\"load\":1}");
		CHECK_STR(m->flags, "");
		/* health NULL keeps the stored one. */
		m->health = NULL;
		m->reports = 4;
		CHECK_INT(store_machine_update(s, m), 0);
		store_machine_free(m);
		m = NULL;
	}
	/* The state: the same without descriptor and health. */
	CHECK_INT(store_machine_get_state(s, "m1", &m), 0);
	if (m) {
		CHECK_STR(m->descriptor, NULL);
		CHECK_STR(m->health, NULL);
		CHECK_STR(m->verdict, "validated");
		CHECK_INT(m->reports, 4);
		CHECK_STR(m->descriptor_digest, "dig");
		store_machine_free(m);
		m = NULL;
	}
	CHECK_INT(store_machine_get(s, "m1", &m), 0);
	if (m) {
		CHECK_STR(m->health, "{\"load\":1}");
		store_machine_free(m);
		m = NULL;
	}
	/* Credentials; re-enrollment replaces it, keeps the name when NULL. */
	CHECK_INT(store_machine_find_credential(s, "h1", &m), 0);
	if (m) {
		CHECK_STR(m->id, "m1");
		store_machine_free(m);
		m = NULL;
	}
	CHECK_INT(store_machine_find_credential(s, "h9", &m), -ENOENT);
	CHECK_INT(store_machine_reenroll(s, "m1", NULL, "h1b", 120), 0);
	CHECK_INT(store_machine_find_credential(s, "h1", &m), -ENOENT);
	CHECK_INT(store_machine_find_credential(s, "h1b", &m), 0);
	if (m) {
		CHECK_STR(m->id, "m1");
		CHECK_STR(m->name, "beta");
		CHECK_INT(m->interval_s, 120);
		store_machine_free(m);
		m = NULL;
	}
	CHECK_INT(store_machine_reenroll(s, "m2", "alpha2", "h2b", 60), 0);
	CHECK_INT(store_machine_get_state(s, "m2", &m), 0);
	if (m) {
		CHECK_STR(m->name, "alpha2");
		store_machine_free(m);
		m = NULL;
	}

	/* Listing: drifted first, then late, then by name. */
	set_state(s, "m2", "unvalidated", "", 100);
	set_state(s, "m4", "validated", "late", 100);
	set_state(s, "m5", "supported", "", 100);
	CHECK_MACHINES(s, "m2,m4,m5,m1", .customer_id = "c1", .late = -1);
	CHECK_MACHINES(s, "m2", .customer_id = "c1", .verdict = "drifted", .late = -1);
	CHECK_MACHINES(s, "m4,m1", .customer_id = "c1", .verdict = "validated", .late = -1);
	CHECK_MACHINES(s, "m4", .late = 1);
	CHECK_MACHINES(s, "m2,m5,m1", .customer_id = "c1", .late = 0);
	CHECK_MACHINES(s, "m4,m5", .customer_id = "c1", .limit = 2, .offset = 1, .late = -1);
	CHECK_MACHINES(s, "m3,m6", .customer_id = "c2", .late = -1);

	/* Late: not seen since before_s and not flagged yet. */
	CHECK_INT(store_machine_ids_late(s, "c1", 150, &ids), 0);
	CHECK_LIST(&ids, true, "m2,m5");
	CHECK_INT(store_machine_ids_late(s, "c1", 100, &ids), 0);
	CHECK_LIST(&ids, true, "");
	CHECK_INT(store_machine_ids_with_descriptor(s, &ids), 0);
	CHECK_LIST(&ids, true, "m1");

	/* Counts by verdict ("none": none yet) and late. */
	CHECK_INT(store_machine_counts(s, "c1", push_count, &ids), 0);
	CHECK_LIST(&ids, true, "late=1,supported=1,unvalidated=1,validated=2");
	CHECK_INT(store_machine_counts(s, "c2", push_count, &ids), 0);
	CHECK_LIST(&ids, true, "late=0,none=2");
	CHECK_INT(store_machine_counts(s, NULL, push_count, &ids), 0);
	CHECK_LIST(&ids, true, "late=1,none=2,supported=1,unvalidated=1,validated=2");

	/* A vendor sees machines attached to its cases, own or engaged. */
	add_case(s, "k1", "c1", "v1", "v2", "open", 2, "m1");
	CHECK_INT(store_machine_vendor_visible(s, "m1", "v1", &visible), 0);
	CHECK(visible);
	CHECK_INT(store_machine_vendor_visible(s, "m1", "v2", &visible), 0);
	CHECK(visible);
	CHECK_INT(store_machine_vendor_visible(s, "m2", "v1", &visible), 0);
	CHECK(!visible);
	CHECK_MACHINES(s, "m1", .vendor_id = "v2", .late = -1);
	CHECK_MACHINES(s, "", .vendor_id = "v2", .customer_id = "c2", .late = -1);

	/* Verdicts over time: newest first; within one second, the later. */
	{
		struct store_verdict_row rows[] = {
			{ .machine_id = "m1", .at = "2026-12-01T00:00:00Z", .verdict = "validated", .config_id = "cfg" },
			{ .machine_id = "m1", .at = "2026-12-02T00:00:00Z", .verdict = "unvalidated", .reason = "cpu",
			  .differences = "[\"cpu\"]", .descriptor_digest = "d2" },
			{ .machine_id = "m1", .at = "2026-12-02T00:00:00Z", .verdict = "supported" },
			{ .machine_id = "m2", .at = "2026-12-03T00:00:00Z", .verdict = "validated" },
		};
		struct cv_strv v;

		cv_strv_init(&v);
		for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++)
			CHECK_INT(store_machine_verdict_add(s, &rows[i]), 0);
		CHECK_INT(store_machine_verdict_list(s, "m1", 0, push_verdict, &v), 0);
		CHECK_LIST(&v, false,
			   "supported@2026-12-02T00:00:00Z,unvalidated@2026-12-02T00:00:00Z,validated@2026-12-01T00:00:00Z");
		CHECK_INT(store_machine_verdict_list(s, "m1", 2, push_verdict, &v), 0);
		CHECK_LIST(&v, false, "supported@2026-12-02T00:00:00Z,unvalidated@2026-12-02T00:00:00Z");
		CHECK_INT(store_machine_verdict_list(s, "m9", 0, push_verdict, &v), 0);
		CHECK_LIST(&v, false, "");
	}
	cv_strv_release(&ids);
	store_close(s);
	free(loc);
}

static void monitor_settings_and_fleet_samples(void)
{
	char *loc = new_location("fleet");
	struct store *s = open_db(loc);
	struct samples x = { 0 };
	char *doc = NULL;

	cv_strv_init(&x.v);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_customer_add(s, "c1", "C1"), 0);
	CHECK_INT(store_customer_add(s, "c2", "C2"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_monitor_settings_get(s, "c1", &doc), -ENOENT);
	CHECK_INT(store_monitor_settings_put(s, "c1", "{\"late\":3}"), 0);
	CHECK_INT(store_monitor_settings_get(s, "c1", &doc), 0);
	CHECK_STR(doc, "{\"late\":3}");
	free(doc);
	CHECK_INT(store_monitor_settings_put(s, "c1", "{\"late\":5}"), 0);
	CHECK_INT(store_monitor_settings_get(s, "c1", &doc), 0);
	CHECK_STR(doc, "{\"late\":5}");
	free(doc);
	CHECK_INT(store_monitor_settings_get(s, "c2", &doc), -ENOENT);

	CHECK_INT(store_fleet_sample_add(s, "c1", "2026-11-30T00:00:00Z", "validated", 9), 0);
	CHECK_INT(store_fleet_sample_add(s, "c1", "2026-12-02T00:00:00Z", "validated", 4), 0);
	CHECK_INT(store_fleet_sample_add(s, "c1", "2026-12-01T00:00:00Z", "validated", 3), 0);
	CHECK_INT(store_fleet_sample_add(s, "c2", "2026-12-01T00:00:00Z", "validated", 2), 0);
	CHECK_INT(store_fleet_sample_add(s, "c1", "2026-12-01T00:00:00Z", "unvalidated", 1), 0);
	/* Since (inclusive), oldest first, summed over customers. */
	CHECK_INT(store_fleet_samples(s, NULL, "2026-12-01T00:00:00Z", push_sample, &x), 0);
	CHECK(!x.out_of_order);
	CHECK_LIST(&x.v, true,
		   "2026-12-01T00:00:00Z/unvalidated=1,2026-12-01T00:00:00Z/validated=5,2026-12-02T00:00:00Z/validated=4");
	x.last_at[0] = '\0';
	CHECK_INT(store_fleet_samples(s, "c1", "2026-12-01T00:00:00Z", push_sample, &x), 0);
	CHECK(!x.out_of_order);
	CHECK_LIST(&x.v, true,
		   "2026-12-01T00:00:00Z/unvalidated=1,2026-12-01T00:00:00Z/validated=3,2026-12-02T00:00:00Z/validated=4");
	x.last_at[0] = '\0';
	CHECK_INT(store_fleet_samples(s, "c2", "2026-12-02T00:00:00Z", push_sample, &x), 0);
	CHECK_LIST(&x.v, true, "");
	cv_strv_release(&x.v);
	store_close(s);
	free(loc);
}

/* ---- conformance: events, webhooks, deliveries ---- */

static int push_event(void *u, const struct store_event_row *e)
{
	cv_strv_push(u, e->id);
	return 0;
}

static int64_t add_event(struct store *s, const char *id, const char *kind, const char *customer,
			 const char *machine, const char *case_id, const char *vendor_ids, int64_t now_s)
{
	char doc[128];
	struct store_event_row e = { .id = id, .at = "2026-12-02T12:00:00Z", .kind = kind, .customer_id = customer,
				     .machine_id = machine, .case_id = case_id, .vendor_ids = vendor_ids, .doc = doc };
	int64_t seq = -1;

	snprintf(doc, sizeof(doc), "{\"id\":\"%s\",\"kind\":\"%s\"}", id, kind);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_event_add(s, &e, now_s, &seq), 0);
	CHECK_INT(store_commit(s), 0);
	return seq;
}

static int check_e3(void *u, const struct store_event_row *e)
{
	CHECK_STR(e->id, "e3");
	CHECK_STR(e->at, "2026-12-02T12:00:00Z");
	CHECK_STR(e->kind, "late");
	CHECK_STR(e->customer_id, "c2");
	CHECK_STR(e->machine_id, "m2");
	CHECK_STR(e->case_id, NULL);
	CHECK_STR(e->vendor_ids, "");
	CHECK_STR(e->doc, "{\"id\":\"e3\",\"kind\":\"late\"}");
	CHECK(e->seq > 0);
	cv_strv_push(u, e->id);
	return 0;
}

#define CHECK_EVENTS(s, expected, ...)                                                  \
	do {                                                                            \
		struct store_event_query q_ = { __VA_ARGS__ };             \
		struct cv_strv v_;                                                      \
		int64_t n_ = -1;                                                        \
		cv_strv_init(&v_);                                                      \
		CHECK_INT(store_event_list((s), &q_, push_event, &v_), 0);              \
		if (!q_.limit && !q_.offset) {                                          \
			CHECK_INT(store_event_count((s), &q_, &n_), 0);                 \
			CHECK_INT(n_, (int64_t)v_.n);                                   \
		}                                                                       \
		CHECK_LIST(&v_, false, (expected));                                     \
		cv_strv_release(&v_);                                                   \
	} while (0)

static void events(void)
{
	char *loc = new_location("ev");
	struct store *s = open_db(loc);
	int64_t seq[5];
	struct cv_strv v;

	cv_strv_init(&v);
	seq[0] = add_event(s, "e1", "drifted", "c1", "m1", NULL, NULL, 1000);
	seq[1] = add_event(s, "e2", "case.opened", "c1", NULL, "k1", "v1\nv2", 1000);
	seq[2] = add_event(s, "e3", "late", "c2", "m2", NULL, "", 1000);
	seq[3] = add_event(s, "e4", "case.note", "c2", NULL, "k2", "v22", 1000);
	seq[4] = add_event(s, "e5", "case.note", "c1", "m1", "k1", "v1\nv2", 1000);
	/* The log's order is the order of the adds. */
	for (int i = 1; i < 5; i++)
		CHECK(seq[i] > seq[i - 1]);
	/* Newest first, unless paging by seq. */
	CHECK_EVENTS(s, "e5,e4,e3,e2,e1", .after = -1);
	{
		struct store_event_query q = { .after = seq[1] };
		int64_t n = -1;

		CHECK_INT(store_event_list(s, &q, push_event, &v), 0);
		CHECK_LIST(&v, false, "e3,e4,e5");
		CHECK_INT(store_event_count(s, &q, &n), 0);
		CHECK_INT(n, 3);
		q.limit = 1;
		CHECK_INT(store_event_list(s, &q, push_event, &v), 0);
		CHECK_LIST(&v, false, "e3");
		q.after = seq[4];
		CHECK_INT(store_event_list(s, &q, push_event, &v), 0);
		CHECK_LIST(&v, false, "");
	}
	CHECK_EVENTS(s, "e5,e2,e1", .after = -1, .customer_id = "c1");
	/* A vendor: the events naming it ("v2" is not "v22"). */
	CHECK_EVENTS(s, "e5,e2", .after = -1, .vendor_id = "v2");
	CHECK_EVENTS(s, "e4", .after = -1, .vendor_id = "v22");
	/* ... and with machine_events, a machine's own events too. */
	CHECK_EVENTS(s, "e5,e1", .after = -1, .vendor_id = "v1", .machine_id = "m1", .machine_events = true);
	CHECK_EVENTS(s, "e5", .after = -1, .vendor_id = "v1", .machine_id = "m1");
	CHECK_EVENTS(s, "e5,e1", .after = -1, .machine_id = "m1");
	CHECK_EVENTS(s, "e5,e2", .after = -1, .case_id = "k1");
	CHECK_EVENTS(s, "e4", .after = -1, .case_id = "k2", .customer_id = "c2");
	CHECK_EVENTS(s, "", .after = -1, .case_id = "k2", .customer_id = "c1");
	CHECK_EVENTS(s, "e4,e3", .after = -1, .limit = 2, .offset = 1);
	/* A row as stored; its vendor_ids "" when none were given. */
	{
		struct store_event_query q = { .after = -1, .machine_id = "m2" };

		CHECK_INT(store_event_list(s, &q, check_e3, &v), 0);
		CHECK_LIST(&v, false, "e3");
	}
	CHECK_INT(store_event_case_list(s, "k1", "case.note", push_doc_text, &v), 0);
	CHECK_LIST(&v, false, "{\"id\":\"e5\",\"kind\":\"case.note\"}");
	CHECK_INT(store_event_case_list(s, "k1", "case.opened", push_doc, &v), 0);
	CHECK_LIST(&v, false, "e2");
	store_close(s);
	free(loc);
}

static int push_webhook(void *u, const struct store_webhook_row *w)
{
	cv_strv_push_take(u, cv_xasprintf("%s/%s/%s", w->id, w->customer_id ? w->customer_id : "-", w->kinds));
	return 0;
}

static int push_due(void *u, const struct store_delivery_row *d)
{
	char *want_doc = cv_xasprintf("{\"id\":\"%s\",\"kind\":\"%s\"}", d->event_id, d->event_kind);

	/* What the deliverer needs, with each due one. */
	CHECK(d->url && strncmp(d->url, "https://", 8) == 0);
	CHECK(d->secret && strncmp(d->secret, "sec-", 4) == 0);
	CHECK_STR(d->event_doc, want_doc);
	CHECK_STR(d->state, "pending");
	free(want_doc);
	cv_strv_push_take(u, cv_xasprintf("%s>%s", d->event_id, d->webhook_id));
	return 0;
}

struct delivery_seen {
	struct cv_strv v;
	int64_t ids[16];
	size_t n;
	struct store_delivery_row last;
	char state[16];
};

static int push_delivery(void *u, const struct store_delivery_row *d)
{
	struct delivery_seen *x = u;

	if (x->n < CV_ELEMENTSOF(x->ids))
		x->ids[x->n++] = d->id;
	cv_strv_push_take(&x->v, cv_xasprintf("%s:%s:%lld:%lld", d->event_id, d->state, (long long)d->attempts,
					      (long long)d->last_status));
	return 0;
}

static int64_t due_id(struct store *s, int64_t now_s, const char *event_id, const char *webhook_id)
{
	struct cv_strv v;
	struct delivery_seen x = { 0 };
	int64_t id = -1;

	cv_strv_init(&v);
	cv_strv_init(&x.v);
	CHECK_INT(store_delivery_due(s, now_s, 100, push_delivery, &x), 0);
	CHECK_INT(store_delivery_due(s, now_s, 100, push_due, &v), 0);
	for (size_t i = 0; i < v.n && i < x.n; i++) {
		char *want = cv_xasprintf("%s>%s", event_id, webhook_id);

		if (strcmp(v.v[i], want) == 0)
			id = x.ids[i];
		free(want);
	}
	cv_strv_release(&v);
	cv_strv_release(&x.v);
	return id;
}

static void webhooks_and_deliveries(void)
{
	char *loc = new_location("wh");
	struct store *s = open_db(loc);
	struct delivery_seen x = { 0 };
	int64_t n = -1, total = -1, failed = -1, d1, d2, d3;
	struct cv_strv v;

	cv_strv_init(&v);
	cv_strv_init(&x.v);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_customer_add(s, "c1", "C1"), 0);
	CHECK_INT(store_customer_add(s, "c2", "C2"), 0);
	CHECK_INT(store_commit(s), 0);
	{
		struct store_webhook_row rows[] = {
			{ .id = "w-owner", .customer_id = NULL, .url = "https://owner.example/hook", .secret = "sec-o",
			  .kinds = "", .created_by = "admin", .created_at = "2026-12-01T00:00:01Z" },
			{ .id = "w-c1", .customer_id = "c1", .url = "https://c1.example/hook", .secret = "sec-1",
			  .kinds = "drifted late", .created_by = "cust", .created_at = "2026-12-01T00:00:02Z" },
			{ .id = "w-c2", .customer_id = "c2", .url = "https://c2.example/hook", .secret = "sec-2",
			  .kinds = "case.note", .created_by = "cust", .created_at = "2026-12-01T00:00:03Z" },
		};

		for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++)
			CHECK_INT(store_webhook_add(s, &rows[i]), 0);
	}
	CHECK_INT(store_webhook_get(s, "w-c1", push_webhook, &v), 0);
	CHECK_LIST(&v, false, "w-c1/c1/drifted late");
	CHECK_INT(store_webhook_get(s, "w-none", push_webhook, &v), -ENOENT);
	CHECK_INT(store_webhook_list(s, true, NULL, push_webhook, &v), 0);
	CHECK_LIST(&v, false, "w-owner/-/,w-c1/c1/drifted late,w-c2/c2/case.note");
	CHECK_INT(store_webhook_list(s, false, NULL, push_webhook, &v), 0);
	CHECK_LIST(&v, false, "w-owner/-/");
	CHECK_INT(store_webhook_list(s, false, "c2", push_webhook, &v), 0);
	CHECK_LIST(&v, false, "w-c2/c2/case.note");

	/* Each event, one pending delivery for every webhook that covers it:
	 * the owner's all; a customer's its own, of its kinds (whole words). */
	add_event(s, "e1", "drifted", "c1", "m1", NULL, NULL, 1000);
	add_event(s, "e2", "case.opened", "c1", NULL, "k1", "v1", 1001);
	add_event(s, "e3", "late", "c2", "m2", NULL, NULL, 1002);
	add_event(s, "e4", "case.note", "c2", NULL, "k2", "v1", 1003);
	add_event(s, "e5", "drift", "c1", "m1", NULL, NULL, 1004);
	CHECK_INT(store_delivery_count(s, "w-owner", &n), 0);
	CHECK_INT(n, 5);
	CHECK_INT(store_delivery_count(s, "w-c1", &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_delivery_count(s, "w-c2", &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_monitor_delivery_counts(s, &total, &failed), 0);
	CHECK_INT(total, 7);
	CHECK_INT(failed, 0);
	/* Due from their event's time on, oldest due first, at most limit. */
	CHECK_INT(store_delivery_due(s, 999, 100, push_due, &v), 0);
	CHECK_LIST(&v, false, "");
	CHECK_INT(store_delivery_due(s, 1001, 100, push_due, &v), 0);
	CHECK_LIST(&v, true, "e1>w-c1,e1>w-owner,e2>w-owner");
	CHECK_INT(store_delivery_due(s, 5000, 100, push_due, &v), 0);
	CHECK_INT((int64_t)v.n, 7);
	CHECK(v.n == 7 && strcmp(v.v[6], "e5>w-owner") == 0 && strncmp(v.v[5], "e4>", 3) == 0 &&
	      strcmp(v.v[3], "e3>w-owner") == 0 && strcmp(v.v[2], "e2>w-owner") == 0);
	cv_strv_release(&v);
	cv_strv_init(&v);
	CHECK_INT(store_delivery_due(s, 5000, 2, push_due, &v), 0);
	CHECK_LIST(&v, true, "e1>w-c1,e1>w-owner");

	/* A claim: not due before its lease ends, and claimed once (a
	 * second deliverer that read it due too claims nothing). */
	d1 = due_id(s, 1000, "e1", "w-owner");
	CHECK(d1 > 0);
	CHECK_INT(store_delivery_claim(s, d1, 1000, 3000), 1);
	CHECK_INT(store_delivery_claim(s, d1, 1000, 3000), 0);
	CHECK_INT(due_id(s, 2999, "e1", "w-owner"), -1);
	CHECK_INT(due_id(s, 3000, "e1", "w-owner"), d1);
	/* Attempts: pending again later, then delivered; then it is not pending. */
	CHECK_INT(store_delivery_result(s, d1, "pending", 500, "server error", 4000, NULL), 0);
	CHECK_INT(due_id(s, 3999, "e1", "w-owner"), -1);
	CHECK_INT(due_id(s, 4000, "e1", "w-owner"), d1);
	CHECK_INT(store_delivery_result(s, d1, "delivered", 200, NULL, 0, "2026-12-02T12:00:05Z"), 0);
	CHECK_INT(store_delivery_result(s, d1, "delivered", 200, NULL, 0, "2026-12-02T12:00:06Z"), -ENOENT);
	CHECK_INT(due_id(s, 9999, "e1", "w-owner"), -1);
	d2 = due_id(s, 9999, "e2", "w-owner");
	CHECK(d2 > 0);
	CHECK_INT(store_delivery_result(s, d2, "failed", -1, "connection refused", 0, NULL), 0);
	CHECK_INT(store_delivery_result(s, 999999, "failed", -1, "x", 0, NULL), -ENOENT);
	CHECK_INT(store_monitor_delivery_counts(s, &total, &failed), 0);
	CHECK_INT(total, 7);
	CHECK_INT(failed, 1);
	/* The log, newest first. */
	CHECK_INT(store_delivery_list(s, "w-owner", 0, 0, push_delivery, &x), 0);
	CHECK_LIST(&x.v, false,
		   "e5:pending:0:-1,e4:pending:0:-1,e3:pending:0:-1,e2:failed:1:-1,e1:delivered:2:200");
	x.n = 0;
	CHECK_INT(store_delivery_list(s, "w-owner", 2, 1, push_delivery, &x), 0);
	CHECK_LIST(&x.v, false, "e4:pending:0:-1,e3:pending:0:-1");
	x.n = 0;

	/* Disabled: gone from get and list, its pending deliveries no longer due. */
	d3 = due_id(s, 9999, "e4", "w-c2");
	CHECK(d3 > 0);
	CHECK_INT(store_webhook_disable(s, "w-c2", "2026-12-02T13:00:00Z"), 0);
	CHECK_INT(store_webhook_disable(s, "w-c2", "2026-12-02T13:00:01Z"), -ENOENT);
	CHECK_INT(store_webhook_disable(s, "w-none", "2026-12-02T13:00:01Z"), -ENOENT);
	CHECK_INT(store_webhook_get(s, "w-c2", push_webhook, &v), -ENOENT);
	CHECK_INT(store_webhook_list(s, true, NULL, push_webhook, &v), 0);
	CHECK_LIST(&v, false, "w-owner/-/,w-c1/c1/drifted late");
	CHECK_INT(due_id(s, 9999, "e4", "w-c2"), -1);
	/* And a new event does not go to it. */
	add_event(s, "e6", "case.note", "c2", NULL, "k2", "v1", 1005);
	CHECK_INT(store_delivery_count(s, "w-c2", &n), 0);
	CHECK_INT(n, 1);
	cv_strv_release(&v);
	cv_strv_release(&x.v);
	store_close(s);
	free(loc);
}

/* ---- conformance: values come back as they went in ---- */

/* Text a backend might mangle: quotes, backslashes, placeholders of
 * either engine's spelling, newlines and tabs, non-ASCII, and LIKE's
 * wildcards in ids matched as whole words. */
static const char tricky[] = "O'Brien \"quoted\" back\\slash ?1 $1 :name %_ \t tab\nnew line caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x96\xa5";

static void values_round_trip_unchanged(void)
{
	char *loc = new_location("vals");
	struct store *s = open_db(loc);
	char *big = NULL, *doc = NULL, *got = NULL;
	size_t big_len = 1 << 20;
	struct store_machine_row *m = NULL;
	struct cv_strv v;

	cv_strv_init(&v);
	/* A document of a megabyte (a large descriptor or test log). */
	big = cv_xmalloc(big_len + 1);
	{
		size_t n = 0;

		n += (size_t)snprintf(big, big_len, "{\"t\":\"");
		while (n + 16 < big_len) {
			memcpy(big + n, "caf\xc3\xa9 0123456 ", 13);
			n += 13;
		}
		memcpy(big + n, "\"}", 3);
	}
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "a_b", tricky), 0);
	CHECK_INT(store_vendor_add(s, "axb", "Axb"), 0);
	CHECK_INT(store_vendor_add(s, "a%", "A percent"), 0);
	CHECK_INT(store_customer_add(s, "cu", "Cu"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_vendor_get(s, "a_b", &got), 0);
	CHECK_STR(got, tricky);
	free(got);
	got = NULL;
	CHECK_INT(store_setting_put(s, "tricky", tricky), 0);
	CHECK_INT(store_setting_get(s, "tricky", &got), 0);
	CHECK_STR(got, tricky);
	free(got);
	got = NULL;
	CHECK_INT(store_policy_put(s, big), 0);
	CHECK_INT(store_policy_get(s, &doc), 0);
	CHECK(doc && strcmp(doc, big) == 0);
	free(doc);
	doc = NULL;
	add_machine(s, "m1", "cu", tricky, tricky, "cred", 1);
	CHECK_INT(store_machine_set_descriptor(s, "m1", big), 0);
	CHECK_INT(store_machine_get(s, "m1", &m), 0);
	if (m) {
		CHECK(m->descriptor && strcmp(m->descriptor, big) == 0);
		CHECK_STR(m->name, tricky);
		CHECK_STR(m->machine_key, tricky);
		store_machine_free(m);
	}
	CHECK_INT(store_machine_find_key(s, "cu", tricky, &got), 0);
	CHECK_STR(got, "m1");
	free(got);
	got = NULL;
	/* Ids with LIKE's wildcards are matched as they are, whole. */
	add_case(s, "k1", "cu", "axb", "a_b", "open", 1, NULL);
	add_case(s, "k2", "cu", "a_b", "", "open", 1, NULL);
	add_case(s, "k3", "cu", "axb", "a%", "open", 1, NULL);
	CHECK_INT(store_case_list(s, NULL, "a_b", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k2");
	CHECK_INT(store_case_list(s, NULL, "a%", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k3");
	CHECK_INT(store_case_list(s, NULL, "axb", NULL, 0, 0, push_case, &v), 0);
	CHECK_LIST(&v, true, "k1,k3");
	/* Filters find text with the same characters in it. */
	{
		struct store_product_row p = { .id = "p1", .kind = "guest_os", .vendor = "V", .product = tricky,
					       .version = "1", .osinfo = NULL, .doc = "{\"n\":\"caf\xc3\xa9 ?1\"}" };
		struct store_query q = { .text = "caf\xc3\xa9 ?1" };

		CHECK_INT(store_product_put(s, &p, NULL), 0);
		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "p1");
		q.text = "$1";
		CHECK_INT(store_product_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "");
	}
	free(big);
	store_close(s);
	free(loc);
}

/*
 * "In id order" is one order on every backend: SQLite compares text with
 * its BINARY collation, memcmp() of the UTF-8 bytes
 * (sqlite.org/datatype3.html#collation), and a backend whose engine
 * sorts by a language's rules (a PostgreSQL cluster made in en_US, or
 * ICU's) must still list ids so, or pages by offset differ between
 * backends.  Byte order: "B" (0x42) before "a" (0x61), "a-b" (0x2D)
 * before "a.b" (0x2E) before "a_b" (0x5F) before "ab".
 */
static void lists_are_in_byte_order_of_ids(void)
{
	static const char *const ids[] = { "ab", "a_b", "B", "a.b", "a-b", "caf\xc3\xa9", "cafe", "Z" };
	char *loc = new_location("order");
	struct store *s = open_db(loc);
	struct cv_strv v;

	cv_strv_init(&v);
	CHECK_INT(store_begin(s), 0);
	for (size_t i = 0; i < CV_ELEMENTSOF(ids); i++) {
		CHECK_INT(store_vendor_add(s, ids[i], ids[i]), 0);
		CHECK_INT(store_customer_add(s, ids[i], ids[i]), 0);
		put_config(s, ids[i], "validated", "g", "G", "G OS", "h", "H", "H HV", "", "{}");
	}
	CHECK_INT(store_commit(s), 0);
	CHECK_INT(store_vendor_list(s, push_doc_org, &v), 0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	CHECK_INT(store_customer_list(s, push_doc_org, &v), 0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	CHECK_INT(store_config_list(s, NULL, push_doc, &v), 0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	{
		struct store_query q = { .limit = 3, .offset = 2 };

		CHECK_INT(store_config_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "a-b,a.b,a_b");
	}
	/* Machines by name (store.h: "then by name"), as bytes too. */
	for (size_t i = 0; i < CV_ELEMENTSOF(ids); i++) {
		char id[32], cred[32];

		snprintf(id, sizeof(id), "m%zu", i);
		snprintf(cred, sizeof(cred), "cred%zu", i);
		add_machine(s, id, "B", ids[i], ids[i], cred, 1);
	}
	CHECK_INT(store_machine_list(s, &(struct store_machine_query){ .customer_id = "B", .late = -1 }, push_machine_name,
				     &v),
		  0);
	CHECK_LIST(&v, false, "B,Z,a-b,a.b,a_b,ab,cafe,caf\xc3\xa9");
	store_close(s);
	free(loc);
}

/* ---- conformance: migrations from every released schema ---- */

static void exec_sql(struct store *s, const char *sql)
{
	int r = db_query(s, sql, NULL, NULL, NULL);

	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%s: %s (%d)", sql, store_errmsg(s), r);
}

/*
 * Rows as a covalid of schema k wrote them: every table that schema has,
 * with the columns it had (store-sqlite.c's migrations; the same
 * numbering in every backend), in the SQL both engines speak.
 */
static void fill_at_schema(struct store *s, int k)
{
	CHECK_INT(store_begin(s), 0);
	if (k >= 1) {
		exec_sql(s, "INSERT INTO products (id, kind, vendor, product, version, osinfo, doc) VALUES ('p1', "
			    "'guest_os', 'Red Hat', 'Red Hat Enterprise Linux', '5.3', 'rhel5.3', '{\"id\":\"p1\"}')");
		/* Schema 1 had no validated_by column: migration 2 takes it from the document. */
		if (k == 1)
			exec_sql(s, "INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, "
				    "guest_version, hv_ids, hv_vendor, hv_product, hv_version, doc) VALUES ('c1', "
				    "'validated', 'rhel5.3', 'Red Hat', 'Red Hat Enterprise Linux', '5.3', 'kvm', "
				    "'Red Hat', 'RHEL KVM', '5.3', '{\"id\":\"c1\",\"validated_by\":[\"Acme Corp\"]}')");
		else
			exec_sql(s, "INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, "
				    "guest_version, hv_ids, hv_vendor, hv_product, hv_version, validated_by, doc) VALUES "
				    "('c1', 'validated', 'rhel5.3', 'Red Hat', 'Red Hat Enterprise Linux', '5.3', 'kvm', "
				    "'Red Hat', 'RHEL KVM', '5.3', 'Acme Corp', "
				    "'{\"id\":\"c1\",\"validated_by\":[\"Acme Corp\"]}')");
	}
	if (k >= 2)
		exec_sql(s, "INSERT INTO configuration_evidence (config_id, testlog_id) VALUES ('c1', 'log-1')");
	if (k >= 3) {
		exec_sql(s, "INSERT INTO vendors (id, name) VALUES ('acme', 'Acme Corp')");
		exec_sql(s, "INSERT INTO vendor_keys (key_id, vendor_id, public_key) VALUES ('key1', 'acme', 'pk1')");
		/* Schema 3's tokens had a description and no name (migration 4 rebuilt the table). */
		if (k == 3)
			exec_sql(s, "INSERT INTO tokens (id, hash, role, vendor_id, description) VALUES "
				    "('tok1', 'hash1', 'vendor', 'acme', 'ci token')");
		else
			exec_sql(s, "INSERT INTO tokens (id, hash, role, vendor_id, name, description) VALUES "
				    "('tok1', 'hash1', 'vendor', 'acme', 'ci token', 'ci token')");
		if (k < 5)
			exec_sql(s, "INSERT INTO submissions (id, vendor_id, key_id, status, reasons, config_id, log) "
				    "VALUES ('sub1', 'acme', 'key1', 'accepted', '[]', 'c1', 'the log')");
		else
			exec_sql(s, "INSERT INTO submissions (id, vendor_id, key_id, status, reasons, config_id, log, "
				    "log_digest) VALUES ('sub1', 'acme', 'key1', 'accepted', '[]', 'c1', 'the log', 'dig1')");
		exec_sql(s, "INSERT INTO policy (id, doc) VALUES (1, '{\"policy\":1}')");
		exec_sql(s, "INSERT INTO settings (key, value) VALUES ('token-key', 'secret')");
	}
	if (k >= 4) {
		exec_sql(s, "INSERT INTO customers (id, name) VALUES ('cust', 'Customer')");
		exec_sql(s, "INSERT INTO agreements (id, customer_id, vendor_id, doc) VALUES ('ag1', 'cust', 'acme', '{}')");
		exec_sql(s, "INSERT INTO cases (id, customer_id, vendor_id, engaged, state, severity, version, doc) VALUES "
			    "('case1', 'cust', 'acme', '', 'open', 2, 1, '{\"notes\":[]}')");
	}
	if (k >= 6) {
		struct store_event_row e = { .id = "ev1", .at = "2026-12-01T00:00:00Z", .kind = "drifted",
					     .customer_id = "cust", .machine_id = "m1", .doc = "{\"id\":\"ev1\"}" };

		exec_sql(s, "INSERT INTO machines (id, customer_id, machine_key, name, credential_hash, enrolled_at, "
			    "last_seen_s, interval_s, verdict) VALUES ('m1', 'cust', 'key', 'box', 'cred', "
			    "'2026-12-01T00:00:00Z', 100, 60, 'validated')");
		exec_sql(s, "INSERT INTO machine_descriptors (machine_id, descriptor) VALUES ('m1', '{\"d\":1}')");
		/* Two changes within one second: the second is the newer (migration 7 keeps their order). */
		exec_sql(s, "INSERT INTO machine_verdicts (machine_id, at, verdict) VALUES "
			    "('m1', '2026-12-01T00:00:00Z', 'first')");
		exec_sql(s, "INSERT INTO machine_verdicts (machine_id, at, verdict) VALUES "
			    "('m1', '2026-12-01T00:00:00Z', 'second')");
		exec_sql(s, "INSERT INTO webhooks (id, customer_id, url, secret, kinds, created_by, created_at) VALUES "
			    "('wh1', NULL, 'https://owner.example/', 'sec', '', 'admin', '2026-12-01T00:00:00Z')");
		CHECK_INT(store_event_add(s, &e, 1000, NULL), 0);
		exec_sql(s, "INSERT INTO monitor_settings (customer_id, doc) VALUES ('cust', '{\"late\":3}')");
		exec_sql(s, "INSERT INTO fleet_samples (customer_id, at, verdict, count) VALUES "
			    "('cust', '2026-12-01T00:00:00Z', 'validated', 1)");
		exec_sql(s, "UPDATE cases SET machine_id = 'm1' WHERE id = 'case1'");
	}
	CHECK_INT(store_commit(s), 0);
}

/* What fill_at_schema(k) put in, read through store.h after migrating;
 * the first time (not again), new rows of every kind go in too. */
static void check_after_migration(struct store *s, int k, bool again)
{
	struct cv_strv v;
	char *doc = NULL, *x = NULL, *y = NULL;
	int64_t n = -1;

	cv_strv_init(&v);
	if (k >= 1) {
		struct store_query q = { .vendor = "acme-corp" };

		CHECK_INT(store_product_get(s, "p1", &doc), 0);
		CHECK_STR(doc, "{\"id\":\"p1\"}");
		free(doc);
		CHECK_INT(store_config_get(s, "c1", &doc), 0);
		CHECK_STR(doc, "{\"id\":\"c1\",\"validated_by\":[\"Acme Corp\"]}");
		free(doc);
		/* Who validated it, a column since schema 2 (backfilled from the document). */
		CHECK_INT(store_config_list(s, &q, push_doc, &v), 0);
		CHECK_LIST(&v, false, "c1");
	}
	if (k >= 2) {
		CHECK_INT(db_query(s, "SELECT count(*) FROM configuration_evidence WHERE config_id = 'c1'", db_take_int, &n,
				   NULL),
			  1);
		CHECK_INT(n, 1);
	}
	if (k >= 3) {
		struct store_token_row *t = NULL;
		struct store_submission_row *sub = NULL;

		CHECK_INT(store_vendor_get(s, "acme", &x), 0);
		CHECK_STR(x, "Acme Corp");
		free(x);
		x = NULL;
		CHECK_INT(store_key_get(s, "key1", &x, &y, NULL), 0);
		CHECK_STR(x, "acme");
		CHECK_STR(y, "pk1");
		free(x);
		free(y);
		x = y = NULL;
		CHECK_INT(store_token_find(s, "hash1", &t), 0);
		if (t) {
			CHECK_STR(t->id, "tok1");
			CHECK_STR(t->role, "vendor");
			CHECK_STR(t->vendor_id, "acme");
			CHECK_STR(t->description, "ci token");
			/* Migration 4: a token's user is named by its description. */
			CHECK_STR(t->name, "ci token");
			store_token_free(t);
		}
		CHECK_INT(store_submission_get(s, "sub1", &sub), 0);
		if (sub) {
			CHECK_STR(sub->status, "accepted");
			CHECK_STR(sub->log, "the log");
			CHECK_STR(sub->config_id, "c1");
			store_submission_free(sub);
		}
		CHECK_INT(store_policy_get(s, &doc), 0);
		CHECK_STR(doc, "{\"policy\":1}");
		free(doc);
		CHECK_INT(store_setting_get(s, "token-key", &x), 0);
		CHECK_STR(x, "secret");
		free(x);
		x = NULL;
	}
	if (k >= 4) {
		struct store_case_row *c = NULL;

		CHECK_INT(store_customer_get(s, "cust", &x), 0);
		CHECK_STR(x, "Customer");
		free(x);
		x = NULL;
		CHECK_INT(store_agreement_list(s, "cust", "acme", push_doc, &v), 0);
		CHECK_LIST(&v, false, "ag1");
		CHECK_INT(store_case_get(s, "case1", &c), 0);
		if (c) {
			CHECK_INT(c->version, 1);
			CHECK_STR(c->state, "open");
			CHECK_INT(c->severity, 2);
			store_case_free(c);
		}
	}
	if (k >= 5) {
		CHECK_INT(store_submission_find_digest(s, "dig1", &x), 0);
		CHECK_STR(x, "sub1");
		free(x);
		x = NULL;
	}
	if (k >= 6) {
		struct store_machine_row *m = NULL;
		struct store_event_query q = { .after = -1, .customer_id = "cust" };
		bool visible = false;

		CHECK_INT(store_machine_get(s, "m1", &m), 0);
		if (m) {
			CHECK_STR(m->descriptor, "{\"d\":1}");
			CHECK_STR(m->verdict, "validated");
			CHECK_INT(m->last_seen_s, 100);
			store_machine_free(m);
		}
		CHECK_INT(store_machine_verdict_list(s, "m1", 0, push_verdict, &v), 0);
		CHECK_LIST(&v, false, "second@2026-12-01T00:00:00Z,first@2026-12-01T00:00:00Z");
		CHECK_INT(store_event_list(s, &q, push_event, &v), 0);
		CHECK_LIST(&v, false, "ev1");
		CHECK_INT(store_delivery_count(s, "wh1", &n), 0);
		CHECK_INT(n, 1);
		CHECK_INT(store_monitor_settings_get(s, "cust", &doc), 0);
		CHECK_STR(doc, "{\"late\":3}");
		free(doc);
		CHECK_INT(store_machine_vendor_visible(s, "m1", "acme", &visible), 0);
		CHECK(visible);
	}
	/* Whatever the schema was, the store is whole now: the generation
	 * (schema 3's counter), and new rows of every kind go in. */
	CHECK_INT(store_catalog_generation(s, &n), 0);
	CHECK(n >= 1);
	if (again) {
		CHECK(has_vendor(s, "after"));
		cv_strv_release(&v);
		return;
	}
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_customer_add(s, "after-c", "After C"), 0);
	{
		struct store_token_row t = { .id = "tok-after", .role = "customer", .customer_id = "after-c", .name = "n" };
		struct store_machine_row m = { .id = "m-after", .customer_id = "after-c", .machine_key = "k",
					       .name = "m", .credential_hash = "cred-after",
					       .enrolled_at = "2026-12-02T00:00:00Z", .interval_s = 60 };

		CHECK_INT(store_token_add(s, "hash-after", &t), 0);
		CHECK_INT(store_machine_add(s, &m), 0);
	}
	CHECK_INT(store_commit(s), 0);
	cv_strv_release(&v);
}

static void migrations_from_every_released_schema(void)
{
	struct store *s = NULL;
	char *loc = new_location("newest"), *err = NULL, tag[32];
	int newest = -1, v = -1;

	s = open_db(loc);
	CHECK_INT(store_schema_version(s, &newest), 0);
	store_close(s);
	free(loc);
	CHECK(newest >= 7);
	for (int k = 0; k <= newest; k++) {
		snprintf(tag, sizeof(tag), "schema%d", k);
		loc = new_location(tag);
		s = NULL;
		if (store_open_at_schema(loc, k, &s, &err) < 0) {
			tap_fail(__FILE__, __LINE__, "store_open_at_schema(%s, %d): %s", loc, k, err ? err : "?");
			free(err);
			err = NULL;
			free(loc);
			continue;
		}
		CHECK_INT(store_schema_version(s, &v), 0);
		CHECK_INT(v, k);
		fill_at_schema(s, k);
		store_close(s);
		/* Opening it migrates it, and everything written before is there. */
		s = open_db(loc);
		CHECK_INT(store_schema_version(s, &v), 0);
		CHECK_INT(v, newest);
		check_after_migration(s, k, false);
		store_close(s);
		/* And opening it again changes nothing. */
		s = open_db(loc);
		CHECK_INT(store_schema_version(s, &v), 0);
		CHECK_INT(v, newest);
		check_after_migration(s, k, true);
		store_close(s);
		free(loc);
	}
}

/* ---- conformance: concurrent writers ---- */

#define WRITERS 4
#define WRITES 25

struct writer {
	const char *loc;
	int index;
	pthread_barrier_t *go;
	/* What the thread saw: tap_fail is not for threads. */
	int failures;
	char error[512];
	int result; /* the case update's */
};

static void *write_stream(void *userdata)
{
	struct writer *w = userdata;
	struct store *s = NULL;
	char *err = NULL;

	if (store_open(w->loc, &s, &err) < 0) {
		snprintf(w->error, sizeof(w->error), "store_open: %s", err ? err : "?");
		free(err);
		w->failures = WRITES;
		pthread_barrier_wait(w->go);
		return NULL;
	}
	pthread_barrier_wait(w->go);
	for (int i = 0; i < WRITES; i++) {
		char id[32], eid[32];
		struct store_event_row e = { .id = eid, .at = "2026-12-02T00:00:00Z", .kind = "note", .doc = "{}" };
		int r;

		snprintf(id, sizeof(id), "w%d-%d", w->index, i);
		snprintf(eid, sizeof(eid), "e%d-%d", w->index, i);
		r = store_begin(s);
		if (r == 0)
			r = store_vendor_add(s, id, id);
		if (r == 0)
			r = store_event_add(s, &e, 1000, NULL);
		if (r == 0)
			r = store_commit(s);
		if (r < 0) {
			snprintf(w->error, sizeof(w->error), "%s: %s (%s)", id, strerror(-r), store_errmsg(s));
			store_rollback(s);
			w->failures++;
		}
	}
	store_close(s);
	return NULL;
}

struct seq_order {
	int64_t last;
	bool ascending;
	struct cv_strv ids;
};

static int check_seq(void *u, const struct store_event_row *e)
{
	struct seq_order *o = u;

	if (e->seq <= o->last)
		o->ascending = false;
	o->last = e->seq;
	cv_strv_push(&o->ids, e->id);
	return 0;
}

static int count_org(void *u, const char *id, const char *name, const char *created_at)
{
	(void)id;
	(void)name;
	(void)created_at;
	(*(int64_t *)u)++;
	return 0;
}

/* Several threads, a connection each, writing at once: every acknowledged
 * write is there after, the event log's seqs are distinct and in order,
 * and the catalog generation counted every bump (no update lost). */
static void concurrent_writers(void)
{
	char *loc = new_location("conc");
	struct store *s = open_db(loc);
	pthread_t threads[WRITERS];
	struct writer w[WRITERS];
	pthread_barrier_t go;
	struct seq_order o = { .last = 0, .ascending = true };
	int64_t g0 = -1, g1 = -1, n = -1, vendors = 0;
	struct store_event_query q = { .after = 0 };

	CHECK_INT(store_catalog_generation(s, &g0), 0);
	pthread_barrier_init(&go, NULL, WRITERS);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .loc = loc, .index = i, .go = &go };
		CHECK_INT(pthread_create(&threads[i], NULL, write_stream, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		if (w[i].failures)
			tap_fail(__FILE__, __LINE__, "writer %d: %d writes failed, the last: %s", i, w[i].failures,
				 w[i].error);
	}
	pthread_barrier_destroy(&go);
	CHECK_INT(store_vendor_list(s, count_org, &vendors), 0);
	CHECK_INT(vendors, WRITERS * WRITES);
	CHECK_INT(store_catalog_generation(s, &g1), 0);
	CHECK(g1 >= g0 + WRITERS * WRITES);
	CHECK_INT(store_event_count(s, &(struct store_event_query){ .after = -1 }, &n), 0);
	CHECK_INT(n, WRITERS * WRITES);
	cv_strv_init(&o.ids);
	CHECK_INT(store_event_list(s, &q, check_seq, &o), 0);
	CHECK(o.ascending);
	CHECK_INT((int64_t)o.ids.n, WRITERS * WRITES);
	for (int i = 0; i < WRITERS; i++)
		for (int j = 0; j < WRITES; j++) {
			char id[32];

			snprintf(id, sizeof(id), "w%d-%d", i, j);
			if (!has_vendor(s, id))
				tap_fail(__FILE__, __LINE__, "vendor %s, acknowledged, is missing", id);
			snprintf(id, sizeof(id), "e%d-%d", i, j);
			if (!cv_strv_contains(&o.ids, id))
				tap_fail(__FILE__, __LINE__, "event %s, acknowledged, is missing", id);
		}
	cv_strv_release(&o.ids);
	store_close(s);
	free(loc);
}

static void *update_case(void *userdata)
{
	struct writer *w = userdata;
	struct store_case_row *c = NULL;
	struct store *s = NULL;
	char *err = NULL, doc[32];
	int r;

	w->result = -EIO;
	if (store_open(w->loc, &s, &err) < 0 || store_case_get(s, "k", &c) < 0) {
		snprintf(w->error, sizeof(w->error), "open or read: %s", err ? err : s ? store_errmsg(s) : "?");
		free(err);
		pthread_barrier_wait(w->go);
		store_close(s);
		return NULL;
	}
	/* Everyone has read version 1 before anyone writes. */
	pthread_barrier_wait(w->go);
	snprintf(doc, sizeof(doc), "{\"by\":%d}", w->index);
	c->doc = doc;
	r = store_begin(s);
	if (r == 0)
		r = store_case_update(s, c);
	if (r == 0)
		r = store_commit(s);
	if (r < 0) {
		snprintf(w->error, sizeof(w->error), "%s (%s)", strerror(-r), store_errmsg(s));
		store_rollback(s);
	}
	w->result = r;
	store_case_free(c);
	store_close(s);
	return NULL;
}

/* Several connections change one case from the same version at once:
 * exactly one wins; the others are told -ESTALE, never a lost update. */
static void concurrent_case_updates(void)
{
	char *loc = new_location("cconc");
	struct store *s = open_db(loc);
	pthread_t threads[WRITERS];
	struct writer w[WRITERS];
	struct store_case_row *c = NULL;
	pthread_barrier_t go;
	int won = -1, wins = 0;

	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "v", "V"), 0);
	CHECK_INT(store_customer_add(s, "cu", "Cu"), 0);
	add_case(s, "k", "cu", "v", "", "open", 2, NULL);
	CHECK_INT(store_commit(s), 0);
	pthread_barrier_init(&go, NULL, WRITERS);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .loc = loc, .index = i, .go = &go };
		CHECK_INT(pthread_create(&threads[i], NULL, update_case, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		if (w[i].result == 0) {
			wins++;
			won = i;
		} else if (w[i].result != -ESTALE)
			tap_fail(__FILE__, __LINE__, "writer %d: %d, expected 0 or -ESTALE: %s", i, w[i].result,
				 w[i].error);
	}
	pthread_barrier_destroy(&go);
	CHECK_INT(wins, 1);
	CHECK_INT(store_case_get(s, "k", &c), 0);
	if (c) {
		char doc[32];

		snprintf(doc, sizeof(doc), "{\"by\":%d}", won);
		CHECK_INT(c->version, 2);
		CHECK_STR(c->doc, doc);
		store_case_free(c);
	}
	store_close(s);
	free(loc);
}

/* Several nodes starting at once on a new database: every open succeeds,
 * and the schema is the newest, migrated once (store.h: "Schema
 * migrations are applied on open, in one transaction"). */
static void *open_new(void *userdata)
{
	struct writer *w = userdata;
	struct store *s = NULL;
	char *err = NULL;
	int v = -1;

	pthread_barrier_wait(w->go);
	w->result = store_open(w->loc, &s, &err);
	if (w->result < 0) {
		snprintf(w->error, sizeof(w->error), "%s", err ? err : "?");
		free(err);
		return NULL;
	}
	w->result = store_schema_version(s, &v);
	w->failures = v; /* the version it saw */
	store_close(s);
	return NULL;
}

static void concurrent_opens_migrate_once(void)
{
	char *loc = new_location("copen"), *newest_loc = new_location("copen_ref");
	struct store *s = open_db(newest_loc);
	pthread_t threads[WRITERS];
	struct writer w[WRITERS];
	pthread_barrier_t go;
	int newest = -1;

	CHECK_INT(store_schema_version(s, &newest), 0);
	store_close(s);
	/* SQLite makes the file on open: the threads race to create and migrate it. */
	pthread_barrier_init(&go, NULL, WRITERS);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .loc = loc, .index = i, .go = &go };
		CHECK_INT(pthread_create(&threads[i], NULL, open_new, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		if (w[i].result < 0)
			tap_fail(__FILE__, __LINE__, "opener %d: %d: %s", i, w[i].result, w[i].error);
		else
			CHECK_INT(w[i].failures, newest);
	}
	pthread_barrier_destroy(&go);
	/* Migrated once: the generation's first value is there once, and it works. */
	s = open_db(loc);
	{
		int64_t rows = -1;

		CHECK_INT(db_query(s, "SELECT count(*) FROM counters", db_take_int, &rows, NULL), 1);
		CHECK_INT(rows, 1);
	}
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "v", "V"), 0);
	CHECK_INT(store_commit(s), 0);
	store_close(s);
	free(loc);
	free(newest_loc);
}

/*
 * The event log is read by seq (a poller's cursor: after = the last seq
 * seen), so seq order must be commit order: an event added in a
 * transaction still open must not get a seq below one a reader has
 * already seen committed, or that reader's next page skips it
 * (pg-design.md: "readers paging with after=seq miss nothing").
 */
struct late_writer {
	const char *loc;
	int result;
	char error[256];
};

static void *add_second_event(void *userdata)
{
	struct late_writer *w = userdata;
	struct store *s = NULL;
	char *err = NULL;
	struct store_event_row e = { .id = "second", .at = "2026-12-02T00:00:00Z", .kind = "note", .doc = "{}" };

	w->result = store_open(w->loc, &s, &err);
	if (w->result < 0) {
		snprintf(w->error, sizeof(w->error), "%s", err ? err : "?");
		free(err);
		return NULL;
	}
	w->result = store_begin(s);
	if (w->result == 0)
		w->result = store_event_add(s, &e, 1000, NULL);
	if (w->result == 0)
		w->result = store_commit(s);
	if (w->result < 0) {
		snprintf(w->error, sizeof(w->error), "%s", store_errmsg(s));
		store_rollback(s);
	}
	store_close(s);
	return NULL;
}

struct seen {
	int64_t max_seq;
	struct cv_strv ids;
};

static int see_event(void *u, const struct store_event_row *e)
{
	struct seen *x = u;

	if (e->seq > x->max_seq)
		x->max_seq = e->seq;
	cv_strv_push(&x->ids, e->id);
	return 0;
}

static int check_not_skipped(void *u, const struct store_event_row *e)
{
	struct seen *x = u;

	if (e->seq <= x->max_seq && !cv_strv_contains(&x->ids, e->id))
		tap_fail(__FILE__, __LINE__, "event %s (seq %lld) committed below seq %lld, which a reader had already seen: its next page skips it",
			 e->id, (long long)e->seq, (long long)x->max_seq);
	return 0;
}

static void event_seqs_follow_commit_order(void)
{
	char *loc = new_location("seqs");
	struct store *a = open_db(loc), *reader = open_db(loc);
	struct store_event_row e = { .id = "first", .at = "2026-12-02T00:00:00Z", .kind = "note", .doc = "{}" };
	struct store_event_query q = { .after = 0 };
	struct late_writer w = { .loc = loc };
	struct seen x = { 0 };
	pthread_t thread;
	int64_t n = -1;

	cv_strv_init(&x.ids);
	CHECK_INT(store_begin(a), 0);
	CHECK_INT(store_event_add(a, &e, 1000, NULL), 0);
	/* Another writer adds and commits while the first is still open... */
	CHECK_INT(pthread_create(&thread, NULL, add_second_event, &w), 0);
	usleep(300 * 1000);
	/* ... and a reader pages through what is committed now. */
	CHECK_INT(store_event_list(reader, &q, see_event, &x), 0);
	CHECK_INT(store_commit(a), 0);
	pthread_join(thread, NULL);
	if (w.result < 0)
		tap_fail(__FILE__, __LINE__, "the second writer: %d: %s", w.result, w.error);
	/* Everything committed now, in seq order: nothing below what was seen is new. */
	CHECK_INT(store_event_count(reader, &(struct store_event_query){ .after = -1 }, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_event_list(reader, &q, check_not_skipped, &x), 0);
	cv_strv_release(&x.ids);
	store_close(a);
	store_close(reader);
	free(loc);
}

/* ---- PostgreSQL only: a dropped connection ---- */

static int64_t backend_pid(struct store *s)
{
	int64_t pid = -1;

	CHECK_INT(db_query(s, "SELECT pg_backend_pid()", db_take_int, &pid, NULL), 1);
	return pid;
}

static void drop_connection(const char *loc, int64_t pid)
{
	struct store *o = open_db(loc);
	int64_t gone = 0;

	CHECK_INT(db_query(o, "SELECT count(*) FROM (SELECT pg_terminate_backend(CAST(?1 AS integer))) t", db_take_int,
			   &gone, "i", pid),
		  1);
	store_close(o);
	usleep(100 * 1000); /* the backend is gone once its client reads the socket */
}

/*
 * pg-design.md: "A dropped connection: the failing call returns
 * -ECONNRESET/-EIO with a message"; the transaction it was in is gone,
 * never half written, and the store connects again for the next call
 * outside a transaction.
 */
static void a_dropped_connection_fails_its_transaction_and_reconnects(void)
{
	char *loc;
	struct store *s;
	int r;

	backend = BACKEND_PG;
	loc = new_location("drop");
	s = open_db(loc);
	/* Inside a transaction: what it wrote is lost, and the caller learns so. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "lost", "Lost"), 0);
	drop_connection(loc, backend_pid(s));
	r = store_vendor_add(s, "lost-too", "Lost too");
	if (r == 0)
		r = store_commit(s);
	CHECK(r == -ECONNRESET || r == -EIO);
	CHECK(*store_errmsg(s));
	/* What the server answers 503 for (store.h). */
	CHECK(store_unavailable(s));
	store_rollback(s);
	CHECK_INT(store_txn_depth(s), 0);
	/* The next call outside a transaction works (connected again). */
	CHECK_INT(store_vendor_get(s, "lost", NULL), -ENOENT);
	CHECK(!store_unavailable(s));
	CHECK(!durable_vendor(loc, "lost"));
	CHECK(!durable_vendor(loc, "lost-too"));
	/* Outside a transaction: the call that meets the broken connection
	 * may fail, the one after it works. */
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "kept", "Kept"), 0);
	CHECK_INT(store_commit(s), 0);
	drop_connection(loc, backend_pid(s));
	r = store_vendor_get(s, "kept", NULL);
	if (r < 0) {
		CHECK(r == -ECONNRESET || r == -EIO);
		r = store_vendor_get(s, "kept", NULL);
	}
	CHECK_INT(r, 0);
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "after", "After"), 0);
	CHECK_INT(store_commit(s), 0);
	CHECK(durable_vendor(loc, "after"));
	store_close(s);
	free(loc);
}

/* ---- conformance: a backup, and a copy into another store ---- */

static int newest_schema(struct store *s)
{
	int v = -1;

	CHECK_INT(store_schema_version(s, &v), 0);
	return v;
}

/* src's rows (fill_at_schema) copied into a new empty dst: verified, and there. */
static void copy_and_check(struct store *src, const char *dst_loc, int k)
{
	struct store_copy_check *checks = NULL;
	struct store *dst = open_db(dst_loc);
	char *err = NULL;
	size_t n = 0;
	int64_t rows = 0;
	int r;

	r = store_copy(src, dst, &checks, &n, &err);
	CHECK_INT(r, 0);
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "store_copy: %s", err ? err : "?");
	free(err);
	err = NULL;
	CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		if (checks[i].source_rows != checks[i].dest_rows || strcmp(checks[i].source_digest, checks[i].dest_digest))
			tap_fail(__FILE__, __LINE__, "%s: %lld rows %s, copied %lld rows %s", checks[i].table,
				 (long long)checks[i].source_rows, checks[i].source_digest, (long long)checks[i].dest_rows,
				 checks[i].dest_digest);
		rows += checks[i].source_rows;
	}
	CHECK(rows >= 20); /* every table fill_at_schema wrote */
	free(checks);
	checks = NULL;
	check_after_migration(dst, k, false);
	/* Into a store that holds rows: refused, nothing written. */
	r = store_copy(src, dst, &checks, &n, &err);
	CHECK_INT(r, -ENOTEMPTY);
	CHECK(err && *err);
	free(err);
	free(checks);
	store_close(dst);
}

static void backup_and_copy(void)
{
	char *src_loc = new_location("src"), *dst_loc = new_location("dst"), *err = NULL;
	char *bak = cv_xasprintf("%s/backup.db", tap_tmpdir());
	struct store *src = open_db(src_loc);
	int k = newest_schema(src), r;

	fill_at_schema(src, k);
	/* A backup: SQLite's own (its online backup API); none for PostgreSQL (pg_dump). */
	r = store_backup(src, bak, &err);
	if (backend == BACKEND_SQLITE) {
		struct store *b = NULL;

		CHECK_INT(r, 0);
		if (r < 0)
			tap_fail(__FILE__, __LINE__, "store_backup: %s", err ? err : "?");
		CHECK_INT(store_open_existing(bak, &b, NULL), 0);
		if (b) {
			check_after_migration(b, k, false);
			store_close(b);
		}
		free(err);
		err = NULL;
		/* Never over the store's own file. */
		CHECK(store_backup(src, src_loc, &err) < 0);
		CHECK(err && *err);
	} else
		CHECK_INT(r, -EOPNOTSUPP);
	free(err);
	/* A copy into another store of the same backend. */
	copy_and_check(src, dst_loc, k);
	store_close(src);
	/* And across backends: an SQLite store into PostgreSQL (covalid admin migrate). */
	if (backend == BACKEND_PG) {
		char *file = cv_xasprintf("%s/from.db", tap_tmpdir()), *pg_dst = new_location("dst2");

		src = open_db(file);
		fill_at_schema(src, newest_schema(src));
		copy_and_check(src, pg_dst, k);
		store_close(src);
		free(file);
		free(pg_dst);
	}
	free(bak);
	free(src_loc);
	free(dst_loc);
}

static void *touch_token(void *userdata)
{
	struct writer *w = userdata;
	struct store *s = NULL;
	char *err = NULL;
	bool written = false;

	w->result = store_open(w->loc, &s, &err);
	pthread_barrier_wait(w->go);
	if (w->result < 0) {
		snprintf(w->error, sizeof(w->error), "%s", err ? err : "?");
		free(err);
		return NULL;
	}
	w->result = store_token_touch(s, "t", "2026-12-02T10:00:00Z", "2026-12-02T09:59:00Z", &written);
	if (w->result < 0)
		snprintf(w->error, sizeof(w->error), "%s", store_errmsg(s));
	w->failures = written; /* whether this one wrote */
	store_close(s);
	return NULL;
}

/* store.h: a token's use is written "at most ... one write per interval
 * however many nodes or threads try". */
static void concurrent_token_touches_write_once(void)
{
	char *loc = new_location("touch");
	struct store *s = open_db(loc);
	struct store_token_row t = { .id = "t", .role = "admin", .name = "n" };
	pthread_t threads[WRITERS];
	struct writer w[WRITERS];
	pthread_barrier_t go;
	int writes = 0;

	CHECK_INT(store_token_add(s, "h", &t), 0);
	pthread_barrier_init(&go, NULL, WRITERS);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .loc = loc, .index = i, .go = &go };
		CHECK_INT(pthread_create(&threads[i], NULL, touch_token, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		if (w[i].result < 0)
			tap_fail(__FILE__, __LINE__, "toucher %d: %d: %s", i, w[i].result, w[i].error);
		writes += w[i].failures;
	}
	pthread_barrier_destroy(&go);
	CHECK_INT(writes, 1);
	store_close(s);
	free(loc);
}

/* ---- SQLite only: a full disk, a newer schema, the default location ---- */

/* A statement that fails inside a savepoint (a full database) is taken back
 * with its savepoint; the transaction around it commits the rest. */
TEST(a_full_database_in_a_savepoint_spares_the_enclosing_work)
{
	char *loc = new_location("e");
	struct store *s = open_db(loc);
	int64_t pages = 0;
	char big[200000], sql[64];
	int r;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(store_begin(s), 0);
	CHECK_INT(store_vendor_add(s, "small", "Small"), 0);
	CHECK_INT(db_query(s, "PRAGMA page_count", db_take_int, &pages, NULL), 1); /* stopped at its row */
	CHECK(pages > 0);
	/* The database may not grow: a large row does not fit (SQLITE_FULL). */
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages);
	CHECK_INT(db_query(s, sql, NULL, NULL, NULL), 0);
	CHECK_INT(store_begin(s), 0);
	r = store_vendor_add(s, "big", big);
	CHECK_INT(r, -ENOSPC);
	/* SQLite rolls back the statement, or the whole transaction; either
	 * way nothing of "big" is kept, and what the store says next is true. */
	if (store_rollback(s) == 0) {
		CHECK_INT(store_commit(s), 0);
		CHECK(durable_vendor(loc, "small"));
	} else {
		CHECK(store_commit(s) < 0);
		store_rollback(s);
		CHECK(!durable_vendor(loc, "small"));
	}
	CHECK(!durable_vendor(loc, "big"));
	CHECK_INT(store_txn_depth(s), 0);
	store_close(s);
	free(loc);
}

/* $XDG_DATA_HOME/covalid/covalid.db, its directory made. */
TEST(the_default_location_is_under_xdg_data_home)
{
	char *want = cv_xasprintf("%s/xdg/covalid/covalid.db", tap_tmpdir()), *xdg = cv_xasprintf("%s/xdg", tap_tmpdir());
	char *got = NULL;
	struct stat st;

	setenv("XDG_DATA_HOME", xdg, 1);
	CHECK_INT(store_default_location(&got), 0);
	CHECK_STR(got, want);
	CHECK(stat(xdg, &st) == 0 && S_ISDIR(st.st_mode));
	free(got);
	free(want);
	free(xdg);
}

/* ---- SQLite only: the seam, portable SQL in the shared query files ---- */

/* The backends: the only files of src/store that may speak one engine's SQL. */
static const char *const backend_files[] = { "store-sqlite.c", "store-pg.c" };

/*
 * Spellings one engine has and the other lacks or reads differently
 * (sqlite.org/lang_corefunc.html, lang_datefunc.html, lang_insert.html,
 * lang_select.html#limitoffset; postgresql.org/docs/current/functions.html).
 * Matched case-insensitively inside the C string literals, where SQL is.
 */
static const char *const engine_only[] = {
	"strftime(", "datetime(", "julianday(", "date('now", "time('now", "'now'", "unixepoch(", "now()",
	"current_timestamp", "instr(", "char(", "chr(", "ifnull(", " glob ", "insert or ", "replace into",
	"autoincrement", "rowid", "pragma", "limit -1", "group_concat(", "string_agg(", "printf(", "typeof(",
	"last_insert_rowid", "changes()", "randomblob(", "ilike", "::", "serial", "sqlite_",
};

/* Known and documented (store-internal.h): file, spelling, until when. */
static const struct {
	const char *file, *spelling;
} known_exceptions[] = {
	{ NULL, NULL }, /* none now: the table stays for the next one, with its reason */
};

static bool is_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backend_files) / sizeof(backend_files[0]); i++)
		if (strcmp(name, backend_files[i]) == 0)
			return true;
	return false;
}

static bool is_known(const char *file, const char *spelling)
{
	for (size_t i = 0; i < sizeof(known_exceptions) / sizeof(known_exceptions[0]); i++)
		if (known_exceptions[i].file && strcmp(file, known_exceptions[i].file) == 0 &&
		    strcmp(spelling, known_exceptions[i].spelling) == 0)
			return true;
	return false;
}

/* The text inside the line's "..." literals, escapes kept as written. */
static void literals_of(const char *line, char *out, size_t size)
{
	bool in = false;
	size_t n = 0;

	for (const char *p = line; *p && n + 1 < size; p++) {
		if (!in && p[0] == '/' && (p[1] == '*' || p[1] == '/'))
			break; /* a comment after the code (its text is not SQL) */
		if (*p == '"') {
			in = !in;
			if (!in)
				out[n++] = ' ';
			continue;
		}
		if (in && *p == '\\' && p[1]) {
			out[n++] = *p++;
			if (n + 1 < size)
				out[n++] = *p;
			continue;
		}
		if (in)
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* Counts the engine-only spellings in name; each a failure of the test when report. */
static int scan_file(const char *dir, const char *name, bool report)
{
	char *path = cv_xasprintf("%s/%s", dir, name), line[4096], sql[4096];
	FILE *f = fopen(path, "r");
	int lineno = 0, found = 0;
	bool in_comment = false;

	if (!f) {
		if (report)
			tap_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
		free(path);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *code = line;

		lineno++;
		/* Block comments (this file's style): their words are not SQL. */
		if (in_comment) {
			const char *end = strstr(line, "*/");

			if (!end)
				continue;
			in_comment = false;
			code = end + 2;
		} else {
			const char *start = strstr(line, "/*");

			if (start && !strstr(start, "*/") && !memchr(line, '"', (size_t)(start - line))) {
				in_comment = true;
				continue;
			}
		}
		literals_of(code, sql, sizeof(sql));
		for (size_t i = 0; i < sizeof(engine_only) / sizeof(engine_only[0]); i++) {
			size_t len = strlen(engine_only[i]);

			for (const char *p = sql; *p; p++) {
				if (strncasecmp(p, engine_only[i], len) != 0)
					continue;
				if (!is_known(name, engine_only[i])) {
					if (report)
						tap_fail(__FILE__, __LINE__, "%s:%d: \"%s\" is one engine's SQL: it belongs in a backend",
							 path, lineno, engine_only[i]);
					found++;
				}
				break;
			}
		}
	}
	fclose(f);
	free(path);
	return found;
}

TEST(shared_sql_is_portable)
{
	char *dir = cv_xasprintf("%s/src/store", tap_srcdir());
	DIR *dh = opendir(dir);
	struct dirent *de;
	int files = 0;

	CHECK(dh);
	if (!dh) {
		free(dir);
		return;
	}
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);

		if (len < 3 || strcmp(de->d_name + len - 2, ".c") != 0 || is_backend(de->d_name))
			continue;
		files++;
		CHECK_INT(scan_file(dir, de->d_name, true), 0);
	}
	closedir(dh);
	free(dir);
	/* The shared query files were found at all (store.c, store-query.c, ...). */
	CHECK(files >= 2);
}

/* The scanner itself: it sees SQL in literals, not in comments. */
TEST(the_portability_scan_finds_what_it_must)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/store-bad.c", tap_tmpdir());
	f = fopen(path, "w");
	CHECK(f);
	if (!f)
		return;
	fputs("/* strftime() in a comment is fine,\n * and instr( here too */\n"
	      "static const char *q = \"UPDATE t SET at = strftime('%s', 'now')\"; /* instr( */\n"
	      "static const char *r = \"SELECT 1 WHERE x = ?1\";\n"
	      "static const char *u = \"SELECT a FROM b LIMIT -1\";\n",
	      f);
	fclose(f);
	/* strftime( and 'now' on line 3, limit -1 on line 5. */
	CHECK_INT(scan_file(tap_tmpdir(), "store-bad.c", false), 3);
}

struct text_result {
	char *v;
	bool null;
};

static int take_text(struct store *s, struct db_stmt *st, void *userdata)
{
	struct text_result *t = userdata;
	const char *v = db_col(s, st, 0);

	t->null = !v;
	t->v = v ? cv_xstrdup(v) : NULL;
	return 1;
}

static char *sql_text(struct store *s, const char *sql, const char *a, const char *b)
{
	struct text_result t = { 0 };
	int r = db_query(s, sql, take_text, &t, "ss", a, b);

	if (r < 0)
		return cv_xstrdup("error");
	return t.null ? cv_xstrdup("NULL") : t.v;
}

/* strpos() as the SQLite backend supplies it answers what SQLite's instr() does. */
TEST(strpos_is_sqlites_instr)
{
	static const char *const cases[][2] = {
		{ "hello", "llo" }, { "hello", "x" },	{ "hello", "" },  { "", "" },	  { "h\xc3\xa9llo", "llo" },
		{ "a\nb\n", "\nb\n" }, { "abcabc", "c" }, { "ABC", "b" }, { "caf\xc3\xa9", "\xc3\xa9" },
	};
	char *loc = new_location("p");
	struct store *s = open_db(loc);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ours = sql_text(s, "SELECT strpos(?1, ?2)", cases[i][0], cases[i][1]);
		char *theirs = sql_text(s, "SELECT instr(?1, ?2)", cases[i][0], cases[i][1]);

		CHECK_STR(ours, theirs);
		free(ours);
		free(theirs);
	}
	/* Values from SQLite's documentation: characters, not bytes, counted from 1; NULL in, NULL out. */
	{
		char *v = sql_text(s, "SELECT strpos(?1, ?2)", "h\xc3\xa9llo", "llo");

		CHECK_STR(v, "3");
		free(v);
		v = sql_text(s, "SELECT strpos(?1, ?2)", NULL, "a");
		CHECK_STR(v, "NULL");
		free(v);
		v = sql_text(s, "SELECT strpos(?1, ?2)", "a", NULL);
		CHECK_STR(v, "NULL");
		free(v);
	}
	store_close(s);
	free(loc);
}

/* db_now() writes what strftime('%Y-%m-%dT%H:%M:%SZ', 'now') wrote before it. */
TEST(db_now_is_what_strftime_wrote)
{
	char *loc = new_location("n");
	struct store *s = open_db(loc);
	char now[DB_NOW_SIZE], *before, *after;
	const char *sql = "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE ?1 IS NULL AND ?2 IS NULL";

	before = sql_text(s, sql, NULL, NULL);
	db_now(now);
	after = sql_text(s, sql, NULL, NULL);
	CHECK_INT((int64_t)strlen(now), 20);
	/* Within the same second as one of the engine's readings around it. */
	CHECK(strcmp(now, before) == 0 || strcmp(now, after) == 0);
	CHECK(strcmp(before, now) <= 0 && strcmp(now, after) <= 0);
	free(before);
	free(after);
	store_close(s);
	free(loc);
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


/* ---- running it: each conformance test once per backend ---- */

#define CONFORMANCE(X)                                                             \
	X(open_and_schema)                                                         \
	X(a_newer_schema_is_refused)                                               \
	X(nested_commits_keep_everything_and_only_the_outer_is_durable)            \
	X(inner_rollback_undoes_only_its_own_work)                                 \
	X(outer_rollback_undoes_released_savepoints)                               \
	X(a_failed_statement_in_a_savepoint_spares_the_enclosing_work)             \
	X(library_calls_nest_in_a_callers_transaction)                             \
	X(a_lost_transaction_is_never_continued_in_autocommit)                     \
	X(catalog)                                                                 \
	X(vendors_keys_tokens)                                                     \
	X(token_expiry_and_last_use)                                               \
	X(customers_agreements_cases)                                              \
	X(case_versions_across_connections)                                        \
	X(submissions_policy_settings)                                             \
	X(machines)                                                                \
	X(monitor_settings_and_fleet_samples)                                      \
	X(events)                                                                  \
	X(webhooks_and_deliveries)                                                 \
	X(migrations_from_every_released_schema)                                   \
	X(concurrent_writers)                                                      \
	X(concurrent_case_updates)                                                 \
	X(concurrent_opens_migrate_once)                                           \
	X(event_seqs_follow_commit_order)                                          \
	X(values_round_trip_unchanged)                                             \
	X(lists_are_in_byte_order_of_ids)                                          \
	X(backup_and_copy)                                                         \
	X(concurrent_token_touches_write_once)

/* The test's child sets its backend, then runs the test. */
#define ON_SQLITE(name)                            \
	static void name##__sqlite(void)           \
	{                                          \
		backend = BACKEND_SQLITE;          \
		name();                            \
	}
#define ON_PG(name)                                \
	static void name##__pg(void)               \
	{                                          \
		backend = BACKEND_PG;              \
		name();                            \
	}
CONFORMANCE(ON_SQLITE)
CONFORMANCE(ON_PG)
#define SQLITE_ENTRY(name) { "sqlite:" #name, name##__sqlite },
#define PG_ENTRY(name) { "postgresql:" #name, name##__pg },

static const struct tap_test on_sqlite[] = { CONFORMANCE(SQLITE_ENTRY) };
static const struct tap_test on_pg[] = { CONFORMANCE(PG_ENTRY) };
static const struct tap_test sqlite_only[] = {
	TAP_EACH(a_full_database_in_a_savepoint_spares_the_enclosing_work,
		 the_default_location_is_under_xdg_data_home, shared_sql_is_portable,
		 the_portability_scan_finds_what_it_must, strpos_is_sqlites_instr, db_now_is_what_strftime_wrote,
		 a_postgresql_location_goes_to_its_backend, an_sqlite_location_is_a_path_with_or_without_its_scheme)
};

/* The server, should this process be told to stop: an immediate shutdown
 * (SIGQUIT), so that no cluster outlives an interrupted run. */
static const struct tap_test pg_only[] = {
	{ "postgresql:a_dropped_connection_fails_its_transaction_and_reconnects",
	  a_dropped_connection_fails_its_transaction_and_reconnects },
};

static volatile pid_t pg_server = -1;

static void stop_server_and_die(int sig)
{
	if (pg_server > 0)
		kill(pg_server, SIGQUIT);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool wants(const char *backends, const char *name)
{
	return !backends || !*backends || strstr(backends, name);
}

int main(int argc, char **argv)
{
	/* COVALID_TEST_BACKENDS: "sqlite", "postgresql", or both (the default). */
	const char *backends = getenv("COVALID_TEST_BACKENDS");
	bool sqlite = wants(backends, "sqlite"), pg = wants(backends, "postgres");
	struct tap_test tests[CV_ELEMENTSOF(on_sqlite) + CV_ELEMENTSOF(on_pg) + CV_ELEMENTSOF(sqlite_only) +
			      CV_ELEMENTSOF(pg_only)];
	bool started = false;
	size_t n = 0;
	int r;

	if (sqlite) {
		for (size_t i = 0; i < CV_ELEMENTSOF(on_sqlite); i++)
			tests[n++] = on_sqlite[i];
		for (size_t i = 0; i < CV_ELEMENTSOF(sqlite_only); i++)
			tests[n++] = sqlite_only[i];
	}
	if (pg) {
		for (size_t i = 0; i < CV_ELEMENTSOF(on_pg); i++)
			tests[n++] = on_pg[i];
		for (size_t i = 0; i < CV_ELEMENTSOF(pg_only); i++)
			tests[n++] = pg_only[i];
	}
	/* The cluster, once for the run, when a PostgreSQL test is to run. */
	if (pg && (argc < 2 || strncmp(argv[1], "postgresql:", 11) == 0)) {
		const char *tmp = getenv("TMPDIR");
		char *uri = NULL;

		/* Its socket lives in the directory: a short path (pg.sh's limit). */
		snprintf(pg_dir, sizeof(pg_dir), "%s/covalid-pg-XXXXXX", tmp && *tmp && strlen(tmp) < 60 ? tmp : "/tmp");
		if (!mkdtemp(pg_dir)) {
			pg_missing = "mkdtemp failed for the cluster's directory";
			pg_dir[0] = '\0';
		} else {
			/* The postgres user (when run as root) must get through it. */
			chmod(pg_dir, 0755);
			signal(SIGINT, stop_server_and_die);
			signal(SIGTERM, stop_server_and_die);
			signal(SIGHUP, stop_server_and_die);
			started = true;
			/*
			 * The cluster sorts text as a production one may (ICU's
			 * en-US), not by bytes as pg.sh's default C does: what a
			 * backend lists "in id order" must not depend on it
			 * (lists_are_in_byte_order_of_ids).  PG_INITDB_OPTS set
			 * by the caller wins; a PostgreSQL without ICU gets C.
			 */
			if (!getenv("PG_INITDB_OPTS")) {
				setenv("PG_INITDB_OPTS", "--locale-provider=icu --icu-locale=en-US", 1);
				if (pgh_start(pg_dir, &uri) < 0) {
					printf("# this PostgreSQL has no ICU: the cluster sorts text by bytes (C)\n");
					unsetenv("PG_INITDB_OPTS");
					nftw(pg_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
					mkdir(pg_dir, 0755);
				}
			}
			if (!uri && pgh_start(pg_dir, &uri) < 0)
				pg_missing = "tests/lib/pg.sh's pg_start failed (its messages are above)";
			else
				pg_server = pgh_server_pid(pg_dir);
			free(uri);
		}
	}
	r = tap_run(tests, n, argc, argv);
	if (started) {
		pgh_stop(pg_dir);
		pg_server = -1;
		nftw(pg_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	return r;
}
