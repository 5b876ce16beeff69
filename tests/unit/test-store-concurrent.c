/*
 * test-store-concurrent.c - the store's conformance suite (issue 15):
 * concurrent writers on connections of their own: every acknowledged write
 * there after, one winner among writers of one case version, a new
 * database migrated once by openers racing, the event log's seqs in commit
 * order, a token's use written at most once per interval.  Expected values
 * come from store.h's comments (its contract) and pg-design.md (the event
 * log's order).  Each test runs once on SQLite and once on a real
 * PostgreSQL (store-suite.h: one cluster per binary, a fresh database per
 * test).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "store-suite.h"
#include "store/store-internal.h"
#include "tap.h"

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

#define BOTH(X)                                \
	X(concurrent_writers)                  \
	X(concurrent_case_updates)             \
	X(concurrent_opens_migrate_once)       \
	X(event_seqs_follow_commit_order)      \
	X(concurrent_token_touches_write_once)
SUITE_MAIN(BOTH)
