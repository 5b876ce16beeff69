/*
 * test-store-support.c - the store's conformance suite (issue 15):
 * customers, agreements and cases (store-support.c), cases' versions and
 * conflicts across connections.  Expected values come from store.h's
 * comments (its contract).  Each test runs once on SQLite and once on a
 * real PostgreSQL (store-suite.h: one cluster per binary, a fresh database
 * per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

/* ---- conformance: customers, agreements, cases ---- */

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

#define BOTH(X)                             \
	X(customers_agreements_cases)       \
	X(case_versions_across_connections)
SUITE_MAIN(BOTH)
