/*
 * stores.c - the database connections request workers share (http-internal.h,
 * "connections").
 *
 * Each thread of the server once opened its own connection on first use
 * (server_thread_store) and kept it: with the workers (8) and the threads
 * of writing requests (128, writer.c) that is up to some 140 connections
 * a process.  For SQLite that costs little; a PostgreSQL connection is a
 * server process of its own, and the server refuses more than its
 * max_connections (100 by default) across every node -- three nodes of a
 * deployment behind a load balancer reached it within a minute of steady
 * writes (t4010).  So the workers take a connection from here for one
 * request and give it back: at most STORES_MAX_PG connections open for
 * a PostgreSQL location, and a worker past that waits for one to come
 * back (a commit's time: a connection is held for one request only).  For
 * SQLite the bound is the number of worker threads, so none ever waits,
 * as before.  Threads with work of their own (the event threads' cached
 * answers, the writer, the sweeper, the deliverer, the checkpointer) keep
 * their own connection.
 */
#include <pthread.h>

#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

struct stores {
	struct server *srv;
	pthread_mutex_t lock;
	pthread_cond_t back;
	size_t max, open, n_idle;
	struct store **idle;
	atomic_ulong waits;
};

struct stores *stores_new(struct server *srv, size_t max)
{
	struct stores *p = cv_xcalloc(1, sizeof(*p));

	p->srv = srv;
	p->max = max ? max : 1;
	p->idle = cv_xcalloc(p->max, sizeof(*p->idle));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->back, NULL);
	return p;
}

void stores_free(struct stores *p)
{
	if (!p)
		return;
	/* Every worker has stopped: every connection is back. */
	for (size_t i = 0; i < p->n_idle; i++)
		store_close(p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->back);
	free(p->idle);
	free(p);
}

struct store *stores_take(struct stores *p, char **ret_err)
{
	struct store *s;

	pthread_mutex_lock(&p->lock);
	if (!p->n_idle && p->open >= p->max)
		atomic_fetch_add(&p->waits, 1);
	while (!p->n_idle && p->open >= p->max)
		pthread_cond_wait(&p->back, &p->lock);
	if (p->n_idle) {
		s = p->idle[--p->n_idle];
		pthread_mutex_unlock(&p->lock);
		return s;
	}
	p->open++; /* a place held for the one opened now, outside the lock */
	pthread_mutex_unlock(&p->lock);
	s = server_open_store(p->srv, ret_err);
	if (!s) {
		pthread_mutex_lock(&p->lock);
		p->open--;
		pthread_cond_signal(&p->back);
		pthread_mutex_unlock(&p->lock);
	}
	return s;
}

void stores_give(struct stores *p, struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&p->lock);
	p->idle[p->n_idle++] = s; /* n_idle <= open <= max */
	pthread_cond_signal(&p->back);
	pthread_mutex_unlock(&p->lock);
}

void stores_counts(struct stores *p, size_t *ret_open, unsigned long *ret_waits)
{
	pthread_mutex_lock(&p->lock);
	*ret_open = p->open;
	pthread_mutex_unlock(&p->lock);
	*ret_waits = atomic_load(&p->waits);
}
