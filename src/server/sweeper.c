/*
 * sweeper.c - monitoring's clock (docs/monitor.md, "The sweep"): a thread
 * of the server, with its own database connection, that marks machines
 * late when their heartbeats stop, re-checks stored descriptors when the
 * catalog's generation moves (a revoked configuration makes its machines
 * drift though none of them sent anything), and writes a fleet sample per
 * customer every sample interval for the chart.
 *
 * Nothing of this answers a request, so failures are retried on the next
 * tick rather than reported: a busy database delays a late mark by one
 * interval, it does not lose it.
 *
 * Several server nodes on one database (docs/deploy.md): every node runs
 * this thread, but only the one whose connection leads the "sweep" job
 * (store_try_lead) does the work; the others ask again each tick and
 * take over within one interval of the leader's end (its connection
 * closes with it).  Two sweepers at once would each read a machine as
 * not yet late and both emit machine.late, and write a fleet sample
 * each.
 */
#include <pthread.h>
#include <time.h>

#include "covalid/monitor.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

#define DEFAULT_SWEEP_INTERVAL_S 10
#define DEFAULT_SAMPLE_INTERVAL_S 300
/* The setting naming the catalog generation every stored descriptor was last checked at. */
#define CHECKED_GENERATION "monitor.checked_generation"

struct sweeper {
	struct server *srv;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	atomic_bool stopping; /* stop, for the long passes to look at */
	struct store *store;
	int64_t generation; /* the catalog's at the last re-check; -1 none yet */
	int64_t sampled_s;  /* when the last fleet sample was written */
	int64_t started_s;  /* when it started: silence counts from then */
	bool leading;       /* led the sweep at the last tick */
	uint64_t reverdict_end_ns; /* when the last re-check pass ended */
	uint64_t reverdict_ns;     /* how long it took */
};

/*
 * A re-check pass reads every stored descriptor (a transaction each).
 * Under a stream of catalog writes (10 accepted submissions a second) the
 * generation moves at every tick, and passes back to back would be the
 * sweeper's whole work: the next pass waits at least REVERDICT_IDLE times
 * the last one's length after it, so re-checking takes at most a tenth of
 * the sweeper's time however large the fleet.  A small fleet's pass takes
 * milliseconds: it still runs at every tick.
 */
#define REVERDICT_IDLE 9

/* The catalog generation every stored descriptor was checked at, as the
 * database says (this node's or an earlier leader's pass); -1 if none. */
static int64_t checked_generation(struct store *s)
{
	char *text = NULL;
	int64_t g = -1;

	if (store_setting_get(s, CHECKED_GENERATION, &text) < 0 || cv_parse_i64(text, 10, &g) < 0)
		g = -1;
	free(text);
	return g;
}

static void tick(struct sweeper *sw)
{
	const struct server_options *o = sw->srv->opt;
	int64_t now = (int64_t)time(NULL), gen;
	unsigned sample = o->sample_interval_s ? o->sample_interval_s : DEFAULT_SAMPLE_INTERVAL_S;
	size_t marked = 0;

	if (store_try_lead(sw->store, "sweep") != 1) {
		sw->leading = false; /* another node sweeps (or the database is away) */
		return;
	}
	if (!sw->leading) {
		/* Taking over (or starting): what an earlier leader did is in
		 * the database, not here.  The first sample one interval
		 * after, not at once: a node restarted often, or a lead
		 * changing hands, would otherwise crowd the chart. */
		sw->leading = true;
		sw->generation = checked_generation(sw->store);
		sw->sampled_s = now;
	}
	/* Machines marked late (each in its own transaction, so a failed
	 * pass may have marked some): /metrics counts afresh (gauges.c). */
	(void)!monitor_sweep_late(sw->store, now, sw->started_s, &marked);
	if (marked)
		server_gauges_changed(sw->srv);
	if (store_catalog_generation(sw->store, &gen) == 0 && gen != sw->generation &&
	    cv_now_ns() - sw->reverdict_end_ns >= REVERDICT_IDLE * sw->reverdict_ns) {
		char *why = NULL;
		uint64_t start = cv_now_ns();
		struct snapshot *snap = snapshot_of(sw->srv, sw->store, gen, &why);

		/* A failed pass is tried again on the next tick.  The
		 * generation checked is kept in the database, so a restart
		 * does not check every machine again for nothing. */
		int rc = snap ? monitor_sweep_reverdict(sw->store, snap->ix, now, &sw->stopping, NULL) : -1;

		if (snap) /* verdicts may have moved, even in a pass cut short */
			server_gauges_changed(sw->srv);
		if (rc == 0) {
			char text[32];

			sw->generation = gen;
			snprintf(text, sizeof(text), "%lld", (long long)gen);
			(void)!store_setting_put(sw->store, CHECKED_GENERATION, text);
		}
		snapshot_put(sw->srv, snap);
		free(why);
		sw->reverdict_end_ns = cv_now_ns();
		sw->reverdict_ns = sw->reverdict_end_ns - start;
	}
	if (now - sw->sampled_s >= (int64_t)sample && monitor_sweep_sample(sw->store, now) == 0)
		sw->sampled_s = now;
}

static void *run(void *arg)
{
	struct sweeper *sw = arg;
	unsigned interval = sw->srv->opt->sweep_interval_s ? sw->srv->opt->sweep_interval_s : DEFAULT_SWEEP_INTERVAL_S;

	pthread_mutex_lock(&sw->lock);
	while (!sw->stop) {
		struct timespec until;

		pthread_mutex_unlock(&sw->lock);
		tick(sw);
		pthread_mutex_lock(&sw->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += interval;
		while (!sw->stop && pthread_cond_timedwait(&sw->cond, &sw->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

struct sweeper *sweeper_start(struct server *srv, char **ret_error)
{
	struct sweeper *sw = cv_xcalloc(1, sizeof(*sw));
	char *err = NULL;
	int r = store_open_existing(srv->opt->db, &sw->store, &err);

	if (r < 0) {
		*ret_error = cv_xasprintf("%s: the monitoring sweeper cannot open the database: %s", srv->opt->db,
					  err ? err : strerror(-r));
		free(err);
		free(sw);
		return NULL;
	}
	sw->srv = srv;
	sw->generation = -1; /* read from the database when it takes the lead (tick) */
	sw->started_s = (int64_t)time(NULL);
	sw->sampled_s = sw->started_s;
	pthread_mutex_init(&sw->lock, NULL);
	pthread_cond_init(&sw->cond, NULL);
	if (pthread_create(&sw->thread, NULL, run, sw) != 0) {
		*ret_error = cv_xstrdup("the monitoring sweeper thread did not start");
		pthread_mutex_destroy(&sw->lock);
		pthread_cond_destroy(&sw->cond);
		store_close(sw->store);
		free(sw);
		return NULL;
	}
	return sw;
}

void sweeper_stop(struct sweeper *sw)
{
	if (!sw)
		return;
	atomic_store(&sw->stopping, true);
	pthread_mutex_lock(&sw->lock);
	sw->stop = true;
	pthread_cond_signal(&sw->cond);
	pthread_mutex_unlock(&sw->lock);
	pthread_join(sw->thread, NULL);
	pthread_mutex_destroy(&sw->lock);
	pthread_cond_destroy(&sw->cond);
	store_close(sw->store);
	free(sw);
}
