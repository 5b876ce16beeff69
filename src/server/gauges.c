/*
 * gauges.c - monitoring's gauges for /metrics (docs/monitor.md,
 * "Metrics"): machines by verdict, machines late, webhook deliveries and
 * those given up.  Counting them scans the machines and deliveries
 * tables; /metrics is public and a client may ask in a loop, so the
 * counted text is kept and served again while it is fresh:
 *
 *  - at most GAUGES_MAX_AGE old (a second): a loop of scrapes costs the
 *    database at most one count a second, however fast it asks;
 *  - and no change told since (gauges_changed(): the sweeper's late marks
 *    and re-checks, an enrollment, a delivery made or given up), so those
 *    show at the next scrape; a report's verdict change shows within the
 *    second.
 *
 * One request counts at a time; the others meanwhile take the copy (a
 * count's time older at most).  The count itself is the plain SQL it
 * always was, on the asking request's store.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "covalid/monitor.h"
#include "covalid/store.h"
#include "server/server-internal.h"
#include "util/cv.h"

struct gauges {
	pthread_mutex_t lock;
	uint64_t max_age_ns;
	struct cv_buf text;     /* the last count's Prometheus text */
	bool have;              /* text holds a whole count */
	bool counting;          /* a request is counting now */
	uint64_t at_ns;         /* when text was counted */
	unsigned long text_gen; /* changes told when it was */
	atomic_ulong gen;       /* changes told */
	atomic_ulong counts;    /* counts made (tests, and covalid_monitor_gauge_counts_total) */
};

struct gauges *gauges_new(uint64_t max_age_ns)
{
	struct gauges *g = cv_xcalloc(1, sizeof(*g));

	pthread_mutex_init(&g->lock, NULL);
	g->max_age_ns = max_age_ns;
	cv_buf_init(&g->text, 1024 * 1024);
	return g;
}

void gauges_free(struct gauges *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	cv_buf_release(&g->text);
	free(g);
}

void gauges_changed(struct gauges *g)
{
	if (g)
		atomic_fetch_add(&g->gen, 1);
}

unsigned long gauges_counts(struct gauges *g)
{
	return g ? atomic_load(&g->counts) : 0;
}

struct by_verdict {
	struct cv_buf *b;
	int64_t late;
};

static void verdict_line(void *userdata, const char *key, int64_t count)
{
	struct by_verdict *v = userdata;

	if (strcmp(key, "late") == 0)
		v->late = count;
	else
		(void)!cv_buf_printf(v->b, "covalid_machines{verdict=\"%s\"} %lld\n", key, (long long)count);
}

/* The gauges' text, counted now on s, into b; false if a count failed
 * (its lines are left out, as a scrape without them says). */
static bool count(struct store *s, struct cv_buf *b)
{
	struct by_verdict v = { b, 0 };
	int64_t total = 0, failed = 0;
	bool ok = true;

	(void)!cv_buf_printf(b, "# HELP covalid_machines Enrolled machines by verdict (none: no descriptor yet);\n"
				"# counted at most a second before the scrape.\n"
				"# TYPE covalid_machines gauge\n");
	if (monitor_counts(s, verdict_line, &v) == 0)
		(void)!cv_buf_printf(b,
				     "# HELP covalid_machines_late Machines whose heartbeats are late; counted at most a second\n"
				     "# before the scrape, and after every sweep that marked one.\n"
				     "# TYPE covalid_machines_late gauge\ncovalid_machines_late %lld\n",
				     (long long)v.late);
	else
		ok = false;
	if (store_monitor_delivery_counts(s, &total, &failed) == 0)
		(void)!cv_buf_printf(b,
				     "# HELP covalid_webhook_deliveries_total Webhook deliveries queued, made or given up;\n"
				     "# counted at most a second before the scrape.\n"
				     "# TYPE covalid_webhook_deliveries_total counter\ncovalid_webhook_deliveries_total %lld\n"
				     "# HELP covalid_webhook_deliveries_failed_total Webhook deliveries given up after every retry;\n"
				     "# counted at most a second before the scrape, and after every one given up.\n"
				     "# TYPE covalid_webhook_deliveries_failed_total counter\n"
				     "covalid_webhook_deliveries_failed_total %lld\n",
				     (long long)total, (long long)failed);
	else
		ok = false;
	return ok;
}

static void counts_line(struct gauges *g, struct cv_buf *b)
{
	(void)!cv_buf_printf(b,
			     "# HELP covalid_monitor_gauge_counts_total Times the machine and delivery gauges were counted\n"
			     "# from the database (a scrape within a second of the last count reuses it).\n"
			     "# TYPE covalid_monitor_gauge_counts_total counter\ncovalid_monitor_gauge_counts_total %lu\n",
			     gauges_counts(g));
}

void gauges_metrics(struct gauges *g, struct store *s, uint64_t now_ns, struct cv_buf *b)
{
	struct cv_buf fresh;
	unsigned long gen;
	bool ok;

	if (!g) { /* a server part way up or down: no copy to keep */
		(void)!count(s, b);
		return;
	}
	pthread_mutex_lock(&g->lock);
	gen = atomic_load(&g->gen);
	if (g->have && (g->counting || (g->text_gen == gen && now_ns >= g->at_ns && now_ns - g->at_ns < g->max_age_ns))) {
		(void)!cv_buf_append(b, g->text.data, g->text.len);
		pthread_mutex_unlock(&g->lock);
		counts_line(g, b);
		return;
	}
	g->counting = true;
	pthread_mutex_unlock(&g->lock);

	/* Counted outside the lock: the others take the copy meanwhile. */
	cv_buf_init(&fresh, 1024 * 1024);
	ok = count(s, &fresh);
	atomic_fetch_add(&g->counts, 1);
	pthread_mutex_lock(&g->lock);
	g->counting = false;
	if (ok) {
		/* Stamped with the change count read before counting: a
		 * change told meanwhile makes the next scrape count again. */
		cv_buf_release(&g->text);
		g->text = fresh;
		g->have = true;
		g->at_ns = now_ns;
		g->text_gen = gen;
		(void)!cv_buf_append(b, g->text.data, g->text.len);
	} else {
		(void)!cv_buf_append(b, fresh.data, fresh.len);
		cv_buf_release(&fresh);
	}
	pthread_mutex_unlock(&g->lock);
	counts_line(g, b);
}
