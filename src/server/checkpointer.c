/*
 * checkpointer.c - the write-ahead log's upkeep, off the commit path
 * (http-internal.h).
 *
 * Why: SQLite folds its log back into the database (a checkpoint) inside
 * the commit that grows the log past 1,000 pages.  Under a stream of
 * reports that commit is the writer's (writer.c): the checkpoint's page
 * copies and fsync were 7 % of the writer thread's time, paid while every
 * request of the batch, and every one queued behind it, waited.
 *
 * How: every server connection defers checkpoints
 * (store_defer_checkpoints(), in server_thread_store()); the writer pokes
 * this thread after each batch it commits, and the thread runs a passive
 * checkpoint on its own connection -- which copies what no reader still
 * needs and takes no lock the writer waits on -- at most once every
 * CHECKPOINT_INTERVAL_MS, so that one checkpoint takes many batches' pages.
 * If this thread falls behind, the log still has a bound: a connection
 * that defers checkpoints runs one itself far past the usual size.
 */
#include <pthread.h>
#include <time.h>

#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

/* At most one checkpoint this often: at 10,000 log pages a second under
 * load (6,000 reports), about SQLite's own 1,000 pages each. */
#define CHECKPOINT_INTERVAL_MS 100

struct checkpointer {
	struct server *srv;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool poked, stopping;
	pthread_t thread;
	atomic_ulong runs, failed;
	char last_error[256]; /* the last failure told on stderr, "" after a success */
};

/* Waits until stopping or ms have passed; true if stopping.  Under lock. */
static bool pause_ms(struct checkpointer *c, long ms)
{
	struct timespec until;

	server_deadline(CLOCK_REALTIME, ms, &until);
	while (!c->stopping && pthread_cond_timedwait(&c->wake, &c->lock, &until) == 0)
		;
	return c->stopping;
}

static void run_once(struct checkpointer *c)
{
	struct store *s;
	char *err = NULL;
	char why[256];

	s = server_thread_store(c->srv, &err);
	if (s && store_checkpoint(s) == 0) {
		atomic_fetch_add(&c->runs, 1);
		c->last_error[0] = '\0';
		return;
	}
	snprintf(why, sizeof(why), "%s", s ? store_errmsg(s) : err ? err : "the database cannot be opened");
	free(err);
	atomic_fetch_add(&c->failed, 1);
	/* Told once per new trouble, not once every interval. */
	if (strcmp(why, c->last_error) != 0) {
		fprintf(stderr, "covalid serve: checkpoint of the write-ahead log failed (will retry): %s\n", why);
		snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	}
}

static void *checkpointer_main(void *p)
{
	struct checkpointer *c = p;

	server_thread_name("covalid-ckpt");
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->poked && !c->stopping)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stopping)
			break;
		c->poked = false;
		pthread_mutex_unlock(&c->lock);
		run_once(c);
		pthread_mutex_lock(&c->lock);
		if (pause_ms(c, CHECKPOINT_INTERVAL_MS))
			break;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct checkpointer *checkpointer_start(struct server *srv, char **ret_error)
{
	struct checkpointer *c = cv_xcalloc(1, sizeof(*c));
	int r;

	c->srv = srv;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	r = pthread_create(&c->thread, NULL, checkpointer_main, c);
	if (r != 0) {
		*ret_error = cv_xasprintf("cannot start the checkpoint thread: %s", strerror(r));
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	return c;
}

void checkpointer_poke(struct checkpointer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->poked) {
		c->poked = true;
		pthread_cond_signal(&c->wake);
	}
	pthread_mutex_unlock(&c->lock);
}

/* A last checkpoint is SQLite's, as the last connection closes. */
void checkpointer_stop(struct checkpointer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void checkpointer_metrics(struct checkpointer *c, struct cv_buf *b)
{
	if (!c)
		return;
	(void)!cv_buf_printf(b,
			     "# HELP covalid_checkpoints_total Checkpoints of the write-ahead log run off the commit path.\n"
			     "# TYPE covalid_checkpoints_total counter\ncovalid_checkpoints_total %lu\n"
			     "# HELP covalid_checkpoints_failed_total Checkpoints that failed (retried on the next write).\n"
			     "# TYPE covalid_checkpoints_failed_total counter\ncovalid_checkpoints_failed_total %lu\n",
			     atomic_load(&c->runs), atomic_load(&c->failed));
}
