/*
 * test-store-migrate.c - the store's conformance suite (issue 15):
 * migrations from every released schema (store_open_at_schema, rows
 * written as that schema's covalid wrote them, then store_open migrates
 * and they are still there), a backup, and a copy into another store
 * (store-copy.c).  Expected values come from store.h's comments and the
 * migrations' documented intent (store-sqlite.c).  Each test runs once on
 * SQLite and once on a real PostgreSQL (store-suite.h: one cluster per
 * binary, a fresh database per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "store/store-internal.h"
#include "tap.h"

/* ---- conformance: migrations from every released schema ---- */

/* The schema whose migration added the catalog's indexes (issue 17:
 * groups, configuration_vendors): a covalid from it on writes
 * them with each configuration.  Renumbered with the migration. */
#define SCHEMA_CATALOG_INDEX 9

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
		else if (k < SCHEMA_CATALOG_INDEX)
			exec_sql(s, "INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, "
				    "guest_version, hv_ids, hv_vendor, hv_product, hv_version, validated_by, doc) VALUES "
				    "('c1', 'validated', 'rhel5.3', 'Red Hat', 'Red Hat Enterprise Linux', '5.3', 'kvm', "
				    "'Red Hat', 'RHEL KVM', '5.3', 'Acme Corp', "
				    "'{\"id\":\"c1\",\"validated_by\":[\"Acme Corp\"]}')");
		else {
			/* Since the catalog's indexes, a write fills the groups and
			 * who validated (one row a line, as the filter spells it). */
			exec_sql(s, "INSERT INTO guest_groups (os, product, vendor) VALUES "
				    "('rhel5.3', 'Red Hat Enterprise Linux', 'Red Hat')");
			exec_sql(s, "INSERT INTO hv_groups (ids, product, vendor) VALUES ('kvm', 'RHEL KVM', 'Red Hat')");
			exec_sql(s, "INSERT INTO configurations (id, status, guest_os, guest_vendor, guest_product, "
				    "guest_version, hv_ids, hv_vendor, hv_product, hv_version, validated_by, doc, "
				    "guest_group, hv_group) VALUES "
				    "('c1', 'validated', 'rhel5.3', 'Red Hat', 'Red Hat Enterprise Linux', '5.3', 'kvm', "
				    "'Red Hat', 'RHEL KVM', '5.3', 'Acme Corp', "
				    "'{\"id\":\"c1\",\"validated_by\":[\"Acme Corp\"]}', "
				    "(SELECT id FROM guest_groups), (SELECT id FROM hv_groups))");
			exec_sql(s, "INSERT INTO configuration_vendors (config_id, vendor) VALUES ('c1', 'acme-corp')");
		}
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
		/* Every filter reads what migration SCHEMA_CATALOG_INDEX
		 * backfilled (store-catalog.c): the groups and who validated,
		 * with the meaning each filter had (store.h). */
		{
			static const struct store_query hit[] = {
				{ .guest = "rhel5.3" },	       { .guest = "ENTERPRISE linux" }, { .hypervisor = "kvm" },
				{ .hypervisor = "rhel k" },    { .vendor = "red-hat" },		{ .vendor = "Acme Corp" },
				{ .status = "revoked,validated" }, { .after = "c0" },
			};
			static const struct store_query miss[] = {
				{ .guest = "rhel5" },	{ .hypervisor = "esxi" }, { .vendor = "acme" },
				{ .status = "revoked" }, { .after = "c1" },
			};

			for (size_t i = 0; i < CV_ELEMENTSOF(hit); i++) {
				CHECK_INT(store_config_list(s, &hit[i], push_doc, &v), 0);
				CHECK_LIST(&v, false, "c1");
				CHECK_INT(store_config_count(s, &hit[i], &n), 0);
				CHECK_INT(n, 1);
			}
			for (size_t i = 0; i < CV_ELEMENTSOF(miss); i++) {
				CHECK_INT(store_config_list(s, &miss[i], push_doc, &v), 0);
				CHECK_LIST(&v, false, "");
			}
			CHECK_INT(store_config_count(s, NULL, &n), 0);
			CHECK_INT(n, 1);
		}
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
	if (suite_backend == SUITE_SQLITE) {
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
	if (suite_backend == SUITE_PG) {
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

#define BOTH(X)                                  \
	X(migrations_from_every_released_schema) \
	X(backup_and_copy)
SUITE_MAIN(BOTH)
