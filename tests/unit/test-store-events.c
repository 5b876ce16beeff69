/*
 * test-store-events.c - the store's conformance suite (issue 15): the
 * event log (store-monitor.c), webhooks and deliveries (store-webhooks.c).
 * Expected values come from store.h's comments (its contract).  Each test
 * runs once on SQLite and once on a real PostgreSQL (store-suite.h: one
 * cluster per binary, a fresh database per test).
 */
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "tap.h"

/* ---- conformance: events, webhooks, deliveries ---- */

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

#define CHECK_EVENTS(s, expected, ...) \
	CHECK_WALK(store_event_list, store_event_count, store_event_query, push_event, s, expected, __VA_ARGS__)

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

#define BOTH(X)                    \
	X(events)                  \
	X(webhooks_and_deliveries)
SUITE_MAIN(BOTH)
