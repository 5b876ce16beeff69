/*
 * test-support.c - the support policy, entitlement, the SLA clocks and the
 * store's migration of tokens to roles, without a server.
 */
#include <jansson.h>
#include <sqlite3.h>

#include "covalid/program.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "support/support-internal.h"
#include "tap.h"

static int64_t day(const char *d)
{
	int64_t t = 0;

	if (cv_time_parse(d, &t) < 0)
		abort();
	return t;
}

static json_t *machine(const char *os, const char *ver, const char *hv, const char *product)
{
	return json_pack("{s:{s:{s:s, s:s}}, s:{s:s, s:s}}", "guest", "os", "id", os, "version", ver, "hypervisor", "id", hv,
			 "product", product);
}

static struct support_policy *default_policy(void)
{
	struct support_policy *p = NULL;
	struct program_error e = { 0 };

	CHECK_INT(support_policy_parse(support_policy_default(), &p, &e), 0);
	return p;
}

TEST(default_policy_is_the_data_file)
{
	struct support_policy *p = default_policy();
	char *path = NULL;
	json_t *file;

	if (asprintf(&path, "%s/data/support-policy.json", tap_srcdir()) < 0)
		abort();
	file = json_load_file(path, 0, NULL);
	CHECK(file != NULL);
	json_object_del(file, "notes");
	CHECK(json_equal(file, p->doc));
	json_decref(file);
	free(path);
	support_policy_free(p);
}

TEST(policy_errors_name_the_field)
{
	static const struct {
		const char *doc, *needle;
	} bad[] = {
		{ "nope", "not valid JSON" },
		{ "{\"schema\": \"x\"}", "schema" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"colour\": 1}", "colour" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"entitlement\": {}}", "entitlement" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"entitlement\": {\"ms\": [{\"name\": \"x\", \"kind\": \"gift\", "
		  "\"covers\": \"any\"}]}}",
		  "entitlement.ms[0]" },
		{ "{\"schema\": \"covalid.support-policy/1\", \"entitlement\": {\"ms\": [{\"name\": \"x\", \"kind\": \"per-call\", "
		  "\"covers\": \"any\"}]}, \"sla\": {\"standard\": {\"1\": {\"first_response_s\": 0, \"next_update_s\": 1}}}}",
		  "sla.standard" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct support_policy *p = NULL;
		struct program_error e = { 0 };

		CHECK(support_policy_parse(bad[i].doc, &p, &e) < 0);
		CHECK(p == NULL);
		CHECK_INT(e.http, 400);
		if (!strstr(e.message, bad[i].needle))
			tap_fail(__FILE__, __LINE__, "policy %zu: \"%s\" does not name %s", i, e.message, bad[i].needle);
	}
}

/* The seed: Microsoft by a support agreement for the host or per call; Red Hat by a subscription for the guest version. */
TEST(entitlement_rules_of_the_seed)
{
	struct support_policy *p = default_policy();
	json_t *rhel53 = machine("rhel", "5.3", "microsoft", "Windows Server 2008 Hyper-V");
	json_t *rhel59 = machine("rhel", "5.9", "microsoft", "Windows Server 2008 Hyper-V");
	json_t *a = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[s, s]}]},"
			      " {s:s, s:s, s:s, s:s, s:s, s:s}]",
			      "id", "sub", "customer", "c", "vendor", "red-hat", "kind", "subscription", "valid_from",
			      "2009-01-01", "valid_to", "2010-12-31", "covers", "guest", "rhel", "versions", "5.2", "5.3",
			      "id", "pc", "customer", "c", "vendor", "microsoft", "kind", "per-call", "valid_from", "2009-01-01",
			      "valid_to", "2030-12-31");
	json_t *r;

	r = support_entitlement(p, "red-hat", a, rhel53, day("2009-06-01"));
	CHECK(json_is_true(json_object_get(r, "entitled")));
	CHECK_STR(json_string_value(json_object_get(r, "agreement")), "sub");
	CHECK_STR(json_string_value(json_object_get(r, "level")), "standard");
	CHECK(json_is_false(json_object_get(r, "charge")));
	json_decref(r);

	/* The last day counts; the next does not. */
	r = support_entitlement(p, "red-hat", a, rhel53, day("2010-12-31") + 86399);
	CHECK(json_is_true(json_object_get(r, "entitled")));
	json_decref(r);
	r = support_entitlement(p, "red-hat", a, rhel53, day("2011-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "sub expired (valid 2009-01-01 to 2010-12-31)"));
	json_decref(r);
	r = support_entitlement(p, "red-hat", a, rhel53, day("2008-12-31"));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "not valid yet"));
	json_decref(r);

	r = support_entitlement(p, "red-hat", a, rhel59, day("2009-06-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "does not cover the guest rhel 5.9"));
	json_decref(r);

	/* Per call from Microsoft: entitled, with the charge. */
	r = support_entitlement(p, "microsoft", a, rhel53, day("2020-01-01"));
	CHECK(json_is_true(json_object_get(r, "entitled")));
	CHECK_STR(json_string_value(json_object_get(r, "rule")), "per-call support");
	CHECK(json_is_true(json_object_get(r, "charge")));
	json_decref(r);

	/* A vendor without rules of its own gets "*"'s; no agreement: every rule says why. */
	r = support_entitlement(p, "suse", a, rhel53, day("2020-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK_INT(json_array_size(json_object_get(r, "reasons")), 2);
	json_decref(r);
	json_decref(a);
	json_decref(rhel53);
	json_decref(rhel59);
	support_policy_free(p);
}

TEST(entitlement_by_host_product_and_version)
{
	struct support_policy *p = default_policy();
	json_t *a = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[s]}]}]", "id", "sa", "vendor", "microsoft", "kind",
			      "support-agreement", "valid_from", "2009-01-01", "valid_to", "2030-12-31", "covers",
			      "hypervisor", "microsoft", "versions", "2008");
	json_t *hv2008 = machine("rhel", "5.3", "microsoft", "Windows Server 2008 Hyper-V");
	json_t *hv2012 = machine("rhel", "5.3", "microsoft", "Windows Server 2012 Hyper-V");
	json_t *kvm = machine("rhel", "5.3", "kvm", "KVM");
	json_t *r;

	r = support_entitlement(p, "microsoft", a, hv2008, day("2010-01-01"));
	CHECK(json_is_true(json_object_get(r, "entitled")));
	CHECK_STR(json_string_value(json_object_get(r, "rule")), "support agreement for the host product");
	json_decref(r);
	r = support_entitlement(p, "microsoft", a, hv2012, day("2010-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	json_decref(r);
	r = support_entitlement(p, "microsoft", a, kvm, day("2010-01-01"));
	CHECK(json_is_false(json_object_get(r, "entitled")));
	CHECK(strstr(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "does not cover the hypervisor kvm"));
	json_decref(r);
	json_decref(a);
	json_decref(hv2008);
	json_decref(hv2012);
	json_decref(kvm);
	support_policy_free(p);
}

TEST(sla_clocks)
{
	struct support_policy *p = default_policy();
	json_t *c = json_pack("{s:s, s:s, s:i, s:s, s:n, s:n, s:[{s:s, s:s, s:s, s:n}]}", "state", "in-progress", "level",
			      "standard", "severity", 1, "created_at", "2020-01-01T00:00:00Z", "first_response_at",
			      "last_vendor_update_at", "collaborations", "id", "col_1", "vendor", "red-hat", "requested_at",
			      "2020-01-01T00:00:00Z", "responded_at");
	json_t *sla;

	/* Severity 1, standard: first response within 2 h, collaboration within 2 h. */
	sla = support_sla(c, p, day("2020-01-01") + 3600);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "pending");
	CHECK(json_is_false(json_object_get(sla, "breached")));
	CHECK(json_is_null(json_object_get(sla, "next_update")));
	json_decref(sla);
	sla = support_sla(c, p, day("2020-01-01") + 7201);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "breached");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(sla, "collaborations"), 0),
								    "response"),
						    "state")),
		  "breached");
	CHECK(json_is_true(json_object_get(sla, "breached")));
	json_decref(sla);
	/* Answered in time: met, and the next update clock (4 h) runs from then. */
	json_object_set_new(c, "first_response_at", json_string("2020-01-01T01:00:00Z"));
	sla = support_sla(c, p, day("2020-01-01") + 3 * 3600);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "met");
	CHECK_STR(json_string_value(json_object_get(json_object_get(sla, "next_update"), "due")), "2020-01-01T05:00:00Z");
	json_decref(sla);
	json_decref(c);
	support_policy_free(p);
}

/* A database made by schema 3 keeps its tokens (as users) through schema 4. */
TEST(tokens_survive_the_migration_to_roles)
{
	char *path = NULL, *err = NULL, *token = NULL, *id = NULL;
	struct program_auth a = { 0 };
	struct program_error e = { 0 };
	struct store *s = NULL;
	sqlite3 *db;

	CHECK_INT(sign_init(), 0);
	if (asprintf(&path, "%s/old.db", tap_tmpdir()) < 0)
		abort();
	/* Make a database of the newest schema, issue a vendor token, then
	 * take it back to its schema-3 shape and version 3. */
	CHECK_INT(store_open(path, &s, &err), 0);
	CHECK_INT(program_vendor_admit(s, "Red Hat", NULL, &id, &e), 0);
	free(id);
	CHECK_INT(program_token_issue(s, "red-hat", "ci", &token, &id, &e), 0);
	store_close(s);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db,
			       "PRAGMA foreign_keys = OFF; BEGIN;"
			       "CREATE TABLE t3 (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
			       " role TEXT NOT NULL CHECK (role IN ('admin', 'vendor')), vendor_id TEXT, description TEXT,"
			       " created_at TEXT NOT NULL, revoked_at TEXT);"
			       "INSERT INTO t3 SELECT id, hash, role, vendor_id, description, created_at, revoked_at FROM tokens;"
			       "DROP TABLE tokens; ALTER TABLE t3 RENAME TO tokens;"
			       "DROP TABLE cases; DROP TABLE agreements; DROP TABLE customers;"
			       /* and what schema 5 added */
			       "DROP INDEX submissions_accepted_digest; ALTER TABLE submissions DROP COLUMN log_digest;"
			       "PRAGMA user_version = 3; COMMIT;",
			       NULL, NULL, NULL),
		  SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open(path, &s, &err), 0);
	CHECK_INT(program_authenticate(s, token, &a, &e), 0);
	CHECK_STR(a.role, "vendor");
	CHECK_STR(a.vendor_id, "red-hat");
	CHECK_STR(a.name, "ci");
	program_auth_release(&a);
	store_close(s);
	free(token);
	free(id);
	free(path);
}

/* Issue 9, D14: "2009-02-30" was taken as 2 March. */
TEST(agreement_dates_must_exist)
{
	static const struct {
		const char *from, *to, *needle;
	} cases[] = {
		{ "2009-02-30", "2030-12-31", "valid_from: '2009-02-30' is not a date" },
		{ "2009-01-01", "2009-02-29", "valid_to: '2009-02-29' is not a date" },
		{ "2009-13-01", "2030-12-31", "valid_from: '2009-13-01'" },
		{ "2009-01-00", "2030-12-31", "valid_from: '2009-01-00'" },
		{ "2009-04-31", "2030-12-31", "valid_from: '2009-04-31'" },
		{ "2009-01-01", "2030-12-31T24:00:00Z", "valid_to: " },
	};
	struct program_error e = { 0 };
	struct store *s = NULL;
	char *path = NULL, *err = NULL, *id = NULL;
	json_t *doc;

	CHECK_INT(sign_init(), 0);
	if (asprintf(&path, "%s/agreements.db", tap_tmpdir()) < 0)
		abort();
	CHECK_INT(store_open(path, &s, &err), 0);
	CHECK_INT(program_vendor_admit(s, "Red Hat", NULL, &id, &e), 0);
	free(id);
	id = NULL;
	CHECK_INT(support_customer_add(s, "Contoso", "contoso", &id, &e), 0);
	free(id);
	id = NULL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "customer", "contoso", "vendor", "red-hat", "kind", "subscription",
				"valid_from", cases[i].from, "valid_to", cases[i].to);
		CHECK_INT(support_agreement_add(s, doc, &id, &e), -EINVAL);
		CHECK_INT(e.http, 400);
		CHECK(strstr(e.message, cases[i].needle) != NULL);
		CHECK(id == NULL);
		json_decref(doc);
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "customer", "contoso", "vendor", "red-hat", "kind", "subscription",
			"valid_from", "2008-02-29", "valid_to", "2030-12-31");
	CHECK_INT(support_agreement_add(s, doc, &id, &e), 0);
	json_decref(doc);
	free(id);
	store_close(s);
	free(path);
}

TAP_MAIN(default_policy_is_the_data_file, policy_errors_name_the_field, entitlement_rules_of_the_seed,
	 entitlement_by_host_product_and_version, sla_clocks, tokens_survive_the_migration_to_roles,
	 agreement_dates_must_exist)
