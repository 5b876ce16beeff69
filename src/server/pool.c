/*
 * pool.c - the worker threads that run requests which may block: writes
 * (a durable commit waits for the disk), authentication, and reads the
 * cache cannot answer.  MHD's event threads suspend such a connection,
 * hand the request here and go on serving other connections; the worker
 * resumes the connection when the answer is ready (docs/server.md).
 *
 * A plain FIFO under one mutex: jobs are few and long next to the cost of
 * the lock.
 */
#include <pthread.h>

#include "server/http-internal.h"
#include "util/cv.h"

struct job {
	void *arg;
	struct job *next;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;
	bool stopping;
	void (*fn)(void *arg);
	const char *name;
	pthread_t *threads;
	size_t n_threads;
};

static void *worker(void *p)
{
	struct pool *pl = p;

	server_thread_name(pl->name);
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&pl->lock);
		while (!pl->head && !pl->stopping)
			pthread_cond_wait(&pl->wake, &pl->lock);
		j = pl->head;
		if (!j) { /* stopping, and nothing left to do */
			pthread_mutex_unlock(&pl->lock);
			return NULL;
		}
		pl->head = j->next;
		if (!pl->head)
			pl->tail = NULL;
		pthread_mutex_unlock(&pl->lock);
		pl->fn(j->arg);
		free(j);
	}
}

struct pool *pool_start(size_t n_threads, const char *name, void (*fn)(void *arg), char **ret_error)
{
	struct pool *pl = cv_xcalloc(1, sizeof(*pl));

	pl->name = name;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->wake, NULL);
	pl->fn = fn;
	pl->threads = cv_xcalloc(n_threads, sizeof(*pl->threads));
	for (; pl->n_threads < n_threads; pl->n_threads++)
		if (pthread_create(&pl->threads[pl->n_threads], NULL, worker, pl) != 0) {
			*ret_error = cv_xasprintf("cannot start worker thread %zu: %s", pl->n_threads, strerror(errno));
			pool_stop(pl);
			return NULL;
		}
	return pl;
}

void pool_push(struct pool *pl, void *arg)
{
	struct job *j = cv_xcalloc(1, sizeof(*j));

	j->arg = arg;
	pthread_mutex_lock(&pl->lock);
	if (pl->tail)
		pl->tail->next = j;
	else
		pl->head = j;
	pl->tail = j;
	pthread_cond_signal(&pl->wake);
	pthread_mutex_unlock(&pl->lock);
}

/* Runs what is queued, then joins the workers. */
void pool_stop(struct pool *pl)
{
	if (!pl)
		return;
	pthread_mutex_lock(&pl->lock);
	pl->stopping = true;
	pthread_cond_broadcast(&pl->wake);
	pthread_mutex_unlock(&pl->lock);
	for (size_t i = 0; i < pl->n_threads; i++)
		pthread_join(pl->threads[i], NULL);
	pthread_cond_destroy(&pl->wake);
	pthread_mutex_destroy(&pl->lock);
	free(pl->threads);
	free(pl);
}
