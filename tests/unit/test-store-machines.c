/*
 * test-store-machines.c - the store's conformance suite (issue 15):
 * machines and their verdicts (store-machines.c), monitor settings and
 * fleet samples (store-monitor.c).  Expected values come from store.h's
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

/* ---- conformance: machines, verdicts, monitor settings, fleet samples ---- */

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

static int push_count(void *u, const char *key, int64_t n)
{
	cv_strv_push_take(u, cv_xasprintf("%s=%lld", key, (long long)n));
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

#define CHECK_MACHINES(s, expected, ...) \
	CHECK_WALK(store_machine_list, store_machine_count, store_machine_query, push_machine, s, expected, __VA_ARGS__)

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

#define BOTH(X)                               \
	X(machines)                           \
	X(monitor_settings_and_fleet_samples)
SUITE_MAIN(BOTH)
