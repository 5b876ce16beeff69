/*
 * test-store-submissions.c - the store's conformance suite (issue 15):
 * submissions and evidence (store-submissions.c), the policy and settings
 * (store-settings.c).  Expected values come from store.h's comments (its
 * contract).  Each test runs once on SQLite and once on a real PostgreSQL
 * (store-suite.h: one cluster per binary, a fresh database per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

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

#define BOTH(X) X(submissions_policy_settings)
SUITE_MAIN(BOTH)
