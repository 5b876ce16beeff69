/*
 * test-gauges.c - monitoring's /metrics gauges are counted at most once a
 * second however often /metrics is asked, and at once after a change is
 * told (gauges.c; docs/monitor.md, "Metrics").  The database is real: the
 * machines written here are what the gauges must say.
 */
#include <string.h>

#include "covalid/store.h"
#include "server/server-internal.h"
#include "tap.h"
#include "util/cv.h"

#define T0 (1000ull * 1000000000ull) /* a monotonic clock reading, ns */
#define MS 1000000ull

struct world {
	struct store *s;
	struct gauges *g;
	int n; /* machines added */
};

static void world_open(struct world *w)
{
	static int k;
	char *path = cv_xasprintf("%s/gauges-%d.db", tap_tmpdir(), k++), *err = NULL;

	memset(w, 0, sizeof(*w));
	if (store_open(path, &w->s, &err) < 0 || store_customer_add(w->s, "contoso", "Contoso") < 0) {
		tap_fail(__FILE__, __LINE__, "cannot set up %s: %s", path, err ? err : "");
		exit(1);
	}
	free(path);
	w->g = gauges_new(GAUGES_MAX_AGE_NS);
}

static void world_close(struct world *w)
{
	gauges_free(w->g);
	store_close(w->s);
}

/* A machine as a report leaves it: verdict (NULL: no descriptor yet) and flags. */
static void machine(struct world *w, const char *verdict, const char *flags)
{
	char id[32], key[65];
	struct store_machine_row m = { 0 };

	snprintf(id, sizeof(id), "m-%016d", w->n);
	snprintf(key, sizeof(key), "%064d", w->n);
	w->n++;
	m.id = id;
	m.customer_id = "contoso";
	m.machine_key = key;
	m.name = id;
	m.credential_hash = id;
	m.enrolled_at = "2026-12-02T00:00:00Z";
	m.interval_s = 60;
	CHECK_INT(store_machine_add(w->s, &m), 0);
	m.last_seen = m.enrolled_at;
	m.verdict = verdict;
	m.flags = flags;
	CHECK_INT(store_machine_update(w->s, &m), 0);
}

/* The value of the sample line "name value" in a scrape at now; -1 if absent. */
static long long scrape(struct world *w, uint64_t now, const char *name)
{
	struct cv_buf b;
	long long v = -1;
	size_t n = strlen(name);

	cv_buf_init(&b, 1 << 20);
	gauges_metrics(w->g, w->s, now, &b);
	for (const char *p = b.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			v = strtoll(p + n + 1, NULL, 10);
	cv_buf_release(&b);
	return v;
}

#define VALIDATED "covalid_machines{verdict=\"validated\"}"

TEST(the_gauges_say_what_the_tables_hold)
{
	struct world w;

	world_open(&w);
	machine(&w, "validated", "");
	machine(&w, "validated", "late");
	machine(&w, "drifted", "late cpu");
	machine(&w, NULL, "");
	CHECK_INT(scrape(&w, T0, VALIDATED), 2);
	CHECK_INT(scrape(&w, T0, "covalid_machines{verdict=\"drifted\"}"), 1);
	CHECK_INT(scrape(&w, T0, "covalid_machines{verdict=\"none\"}"), 1);
	CHECK_INT(scrape(&w, T0, "covalid_machines_late"), 2);
	CHECK_INT(scrape(&w, T0, "covalid_webhook_deliveries_total"), 0);
	CHECK_INT(scrape(&w, T0, "covalid_webhook_deliveries_failed_total"), 0);
	world_close(&w);
}

TEST(a_thousand_scrapes_within_a_second_count_once)
{
	struct world w;

	world_open(&w);
	machine(&w, "validated", "");
	for (int i = 0; i < 1000; i++)
		CHECK_INT(scrape(&w, T0 + (uint64_t)i * MS, VALIDATED), 1);
	CHECK_INT(gauges_counts(w.g), 1);
	CHECK_INT(scrape(&w, T0 + 999 * MS, "covalid_monitor_gauge_counts_total"), 1);
	world_close(&w);
}

TEST(an_untold_change_shows_within_the_second)
{
	struct world w;

	world_open(&w);
	machine(&w, "validated", "");
	CHECK_INT(scrape(&w, T0, VALIDATED), 1);
	machine(&w, "validated", ""); /* a report's verdict: not told */
	CHECK_INT(scrape(&w, T0 + 999 * MS, VALIDATED), 1); /* the copy: the bound */
	CHECK_INT(gauges_counts(w.g), 1);
	CHECK_INT(scrape(&w, T0 + 1000 * MS, VALIDATED), 2);
	CHECK_INT(gauges_counts(w.g), 2);
	world_close(&w);
}

TEST(a_told_change_shows_at_the_next_scrape)
{
	struct world w;

	world_open(&w);
	machine(&w, "validated", "");
	CHECK_INT(scrape(&w, T0, "covalid_machines_late"), 0);
	machine(&w, "validated", "late"); /* the sweeper marks one, and tells */
	gauges_changed(w.g);
	CHECK_INT(scrape(&w, T0 + 1 * MS, "covalid_machines_late"), 1);
	CHECK_INT(gauges_counts(w.g), 2);
	CHECK_INT(scrape(&w, T0 + 2 * MS, "covalid_machines_late"), 1);
	CHECK_INT(gauges_counts(w.g), 2); /* told once, counted once */
	world_close(&w);
}

TEST(a_clock_reading_before_the_count_counts_again)
{
	struct world w;

	world_open(&w);
	machine(&w, "validated", "");
	CHECK_INT(scrape(&w, T0, VALIDATED), 1);
	machine(&w, "validated", "");
	CHECK_INT(scrape(&w, T0 - 1, VALIDATED), 2);
	world_close(&w);
}

TEST(without_gauges_every_scrape_counts)
{
	struct world w;

	world_open(&w);
	gauges_free(w.g);
	w.g = NULL;
	machine(&w, "validated", "");
	CHECK_INT(scrape(&w, T0, VALIDATED), 1);
	machine(&w, "validated", "");
	CHECK_INT(scrape(&w, T0, VALIDATED), 2);
	CHECK_INT(scrape(&w, T0, "covalid_monitor_gauge_counts_total"), -1);
	world_close(&w);
}

TAP_MAIN(the_gauges_say_what_the_tables_hold, a_thousand_scrapes_within_a_second_count_once,
	 an_untold_change_shows_within_the_second, a_told_change_shows_at_the_next_scrape,
	 a_clock_reading_before_the_count_counts_again, without_gauges_every_scrape_counts)
