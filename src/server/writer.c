/*
 * writer.c - group commit: the server's durable writes, many requests to a
 * transaction and one fsync (server-internal.h, server_write()).
 *
 * Why: a durable commit waits for the disk (synchronous=FULL: an fsync of
 * the write-ahead log), and SQLite has one writer at a time.  With every
 * request its own transaction, writes queued on the writer lock and each
 * paid its own fsync: signed submissions ran at about a fifth of the rate
 * at which raw SQLite commits rows of their size.
 *
 * How: a handler that writes calls server_write(r, fn, arg).  The job is
 * queued for the writer thread, which owns its own database connection.
 * The writer takes everything queued (at most WRITER_MAX_BATCH jobs),
 * BEGINs, runs each job's fn inside a savepoint of its own -- the
 * library's calls in fn own their transactions as always, and inside the
 * batch those nest as savepoints (store.h) -- and COMMITs once.  Only
 * then is each job's waiter woken with fn's result, so nothing is
 * answered before it is durable (t4003).  A job whose fn fails is rolled
 * back to its savepoint: its own work is undone, the batch's others are
 * not.  If the batch cannot begin or commit, or its transaction is lost
 * under it (SQLite rolls a transaction back whole on a full disk or an
 * I/O error), every job of it gets SERVER_WRITE_LOST and a 503: nothing
 * of the batch was kept, and nothing of it is acknowledged.
 *
 * Batches form by themselves: while one commits (the fsync, ~0.3 ms on
 * this machine's disk, far more on others), the next requests queue, and
 * the writer takes them all at once.  A lone write waits for nobody.
 *
 * Who waits, and where: the worker thread that runs the handler blocks
 * until its job's batch committed (a semaphore each), then answers as
 * before.  The general pool has WORKER_THREADS (8) threads, which would
 * cap a batch at 8 and, with all of them waiting on commits, stall the
 * reads they also serve.  So requests that write (any method but GET and
 * HEAD, on a route whose answers are not cached) run on a pool of their
 * own, WRITER_THREADS strong (writer_push()): a waiting thread costs a
 * stack, mostly untouched, and a wake-up, and a batch can be as large as
 * the writes in flight.  Completing requests asynchronously instead (the
 * writer resuming each connection after the commit, as pool.c's workers
 * do) would save those threads, but split every writing handler, the
 * other helpers' too, in two around its write, for a cost the threads do
 * not show: measured on this 2-core machine, server CPU per signed
 * submission fell (1.28 -> 1.04 ms at 64 connections) and the write is
 * no longer the queue; what remains is the check of the log itself.
 *
 * The CPU work of a write that needs no transaction (parsing, checking a
 * signature) belongs before server_write(), on the request's own worker,
 * so that it runs in parallel rather than inside the batch.
 */
#include <pthread.h>
#include <semaphore.h>

#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

/* Threads for requests that write; each waits for its batch's commit.
 * Each holds a database connection once it has run a request: on a
 * database server, where a connection is a process of its own and every
 * node's count towards max_connections, fewer (docs/deploy.md). */
#define WRITER_THREADS 128
#define WRITER_THREADS_SHARED_DB 16
/* Jobs in one transaction: bounds its size, and how long the batch's
 * first waiter waits for its last. */
#define WRITER_MAX_BATCH 256

struct write_job {
	server_write_fn fn;
	void *arg;
	int result;
	char why[256]; /* SERVER_WRITE_LOST: what went wrong */
	/* server_write: its waiter sleeps on done until the commit.
	 * server_write_async: answer(r, result, arg) answers r instead,
	 * on the answering thread; the job is the heap's then. */
	sem_t done;
	struct req *r;
	server_write_done_fn answer;
	/* server_write_detached: nobody waits; release(arg) once run. */
	void (*release)(void *arg);
	/* The request's Idempotency-Key, recorded before fn (idempotency.c). */
	struct idem *idem;
	bool claimed;
	struct write_job *next;
};

struct writer {
	struct server *srv;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct write_job *head, *tail;
	size_t queued;
	bool stopping;
	pthread_t thread;
	/* The answering thread: ends server_write_async()'s requests. */
	pthread_t answerer;
	pthread_cond_t answer_wake;
	struct write_job *answer_head, *answer_tail; /* under lock */
	bool answerer_stopping;
	struct pool *pool;
	struct checkpointer *checkpointer; /* poked after each commit */
	atomic_ulong batches, jobs, lost_batches;
};

/* The writer's store while it runs a batch, on the writer's thread only. */
static _Thread_local struct store *batch_store;
/* Set by server_write_async() on the handler's thread (writer_took_request). */
static _Thread_local bool took_request;

/* Wakes a batch's waiters and hands its asynchronous jobs to the
 * answering thread, all at once; lost: each gets SERVER_WRITE_LOST with why. */
static void finish(struct writer *w, struct write_job *batch, bool lost, const char *why)
{
	struct write_job *head = NULL, *last = NULL;

	while (batch) {
		struct write_job *next = batch->next; /* batch is the waiter's: gone once posted */

		if (lost) {
			batch->result = SERVER_WRITE_LOST;
			snprintf(batch->why, sizeof(batch->why), "%s", why ? why : "?");
		} else if (batch->claimed)
			idem_claimed(batch->idem);
		if (batch->release) {
			batch->release(batch->arg);
			free(batch);
		} else if (batch->answer) {
			batch->next = NULL;
			if (last)
				last->next = batch;
			else
				head = batch;
			last = batch;
		} else
			sem_post(&batch->done);
		batch = next;
	}
	if (!head)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->answer_tail)
		w->answer_tail->next = head;
	else
		w->answer_head = head;
	w->answer_tail = last;
	pthread_cond_signal(&w->answer_wake);
	pthread_mutex_unlock(&w->lock);
}

/* A job not run because its Idempotency-Key was recorded already (a repeat
 * that came in while the first was being carried out). */
#define WRITE_REPEATED (-EALREADY)

/* The answer of a job whose work was not kept (lost, or not run: a
 * repeat); its result becomes SERVER_WRITE_LOST, which tells the handler
 * that it was answered. */
static void write_answer_lost(struct req *r, int *result, const char *why)
{
	if (*result == WRITE_REPEATED) {
		reply_error(r, 409, "idempotency_key_in_use",
			    "a request with this Idempotency-Key is being carried out, or was: read what it wrote");
		*result = SERVER_WRITE_LOST;
	} else if (*result == SERVER_WRITE_LOST)
		reply_error(r, 503, "unavailable", "the write could not be made durable; nothing of it was kept: %s", why);
}

/* Ends a request whose write was asynchronous: the handler's answer, then
 * the connection resumed, as a worker would have (dispatch_done). */
static void answer_one(struct write_job *j)
{
	struct req *r = j->r;

	write_answer_lost(r, &j->result, j->why);
	j->answer(r, j->result, j->arg);
	free(j);
	dispatch_done(r);
}

/* Answers what the writer committed, a batch a wake-up, while the writer
 * goes on with the next: building and sending answers is not the
 * writer's work, and parking a thread per request was what it replaced. */
static void *answerer_main(void *p)
{
	struct writer *w = p;

	server_thread_name("covalid-answer");
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct write_job *list;

		while (!w->answer_head && !w->answerer_stopping)
			pthread_cond_wait(&w->answer_wake, &w->lock);
		list = w->answer_head;
		w->answer_head = w->answer_tail = NULL;
		if (!list) /* stopping, and nothing left to answer */
			break;
		pthread_mutex_unlock(&w->lock);
		while (list) {
			struct write_job *next = list->next;

			answer_one(list);
			list = next;
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Runs a batch in one transaction; false if it could not be kept. */
static bool run_batch(struct store *s, struct write_job *batch)
{
	bool ok = true;

	if (store_begin(s) < 0)
		return false;
	for (struct write_job *j = batch; j && ok; j = j->next) {
		/* Each job in a savepoint of its own: its failure undoes its work only. */
		if (store_begin(s) < 0) {
			ok = false; /* the transaction is gone: the rest would not be in it */
			break;
		}
		/* The request's key first, in the same savepoint: kept
		 * exactly when fn's work is. */
		j->claimed = false;
		if (j->idem) {
			int rc = idem_claim(s, j->idem);

			if (rc < 0) {
				if (rc == -EEXIST)
					j->result = WRITE_REPEATED;
				else {
					j->result = SERVER_WRITE_LOST;
					snprintf(j->why, sizeof(j->why), "its Idempotency-Key: %s", store_errmsg(s));
				}
				ok = store_rollback(s) == 0;
				continue;
			}
			j->claimed = true;
		}
		j->result = j->fn(s, j->arg);
		if (j->result < 0)
			j->claimed = false;
		/* A fn that left its transactions unbalanced (a bug) could
		 * have released the batch's savepoints: trust nothing of it. */
		if (store_txn_depth(s) != 2)
			ok = false;
		else if (j->result < 0)
			ok = store_rollback(s) == 0;
		else
			ok = store_commit(s) == 0;
	}
	if (ok && store_commit(s) == 0)
		return true;
	return false;
}

static void *writer_main(void *p)
{
	struct writer *w = p;

	server_thread_name("covalid-writer");
	for (;;) {
		struct write_job *batch, *last;
		struct store *s;
		char *err = NULL;
		size_t n = 1;
		bool ok;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		batch = w->head;
		if (!batch) { /* stopping, and nothing queued */
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		for (last = batch; last->next && n < WRITER_MAX_BATCH; last = last->next)
			n++;
		w->head = last->next;
		if (!w->head)
			w->tail = NULL;
		last->next = NULL;
		w->queued -= n;
		pthread_mutex_unlock(&w->lock);

		atomic_fetch_add(&w->batches, 1);
		atomic_fetch_add(&w->jobs, n);
		/* The writer's own connection, opened on first use, checked as every thread's. */
		s = server_thread_store(w->srv, &err);
		if (!s) {
			atomic_fetch_add(&w->lost_batches, 1);
			finish(w, batch, true, err ? err : "the database cannot be opened");
			free(err);
			continue;
		}
		batch_store = s;
		ok = run_batch(s, batch);
		batch_store = NULL;
		if (!ok) {
			char why[256];

			snprintf(why, sizeof(why), "%s", store_errmsg(s));
			while (store_txn_depth(s) > 0)
				store_rollback(s);
			atomic_fetch_add(&w->lost_batches, 1);
			finish(w, batch, true, why);
			continue;
		}
		finish(w, batch, false, NULL);
		checkpointer_poke(w->checkpointer);
	}
}

/* w->lock held. */
static void enqueue_locked(struct writer *w, struct write_job *j)
{
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	pthread_cond_signal(&w->wake);
}

static void enqueue(struct writer *w, struct write_job *j)
{
	pthread_mutex_lock(&w->lock);
	enqueue_locked(w, j);
	pthread_mutex_unlock(&w->lock);
}

/* Without the writer (not started: a unit test's server): fn on s in a
 * transaction of its own when the request's key is recorded with it. */
static int write_here(struct req *r, struct store *s, server_write_fn fn, void *arg)
{
	struct idem *ik = idem_to_claim(r);
	char why[256] = "";
	int rc;

	if (!ik)
		return fn(s, arg);
	if (store_begin(s) < 0) {
		snprintf(why, sizeof(why), "%s", store_errmsg(s));
		rc = SERVER_WRITE_LOST;
		goto answer;
	}
	rc = idem_claim(s, ik);
	if (rc < 0) {
		snprintf(why, sizeof(why), "its Idempotency-Key: %s", store_errmsg(s));
		rc = rc == -EEXIST ? WRITE_REPEATED : SERVER_WRITE_LOST;
		goto undo;
	}
	rc = fn(s, arg);
	if (rc < 0) {
		(void)store_rollback(s);
		return rc;
	}
	if (store_commit(s) < 0) {
		snprintf(why, sizeof(why), "%s", store_errmsg(s));
		rc = SERVER_WRITE_LOST;
		goto undo;
	}
	idem_claimed(ik);
	return rc;
undo:
	while (store_txn_depth(s) > 0)
		(void)store_rollback(s);
answer:
	write_answer_lost(r, &rc, why);
	return rc;
}

int server_write(struct req *r, server_write_fn fn, void *arg)
{
	struct writer *w = r->srv->writer;
	struct write_job j = { .fn = fn, .arg = arg };

	if (!w) /* no writer (not started): the request's own connection */
		return write_here(r, r->store, fn, arg);
	if (batch_store) /* a job's fn writing again: it would wait on itself; nest instead */
		return fn(batch_store, arg);
	j.idem = idem_to_claim(r);
	sem_init(&j.done, 0, 0);
	enqueue(w, &j);
	while (sem_wait(&j.done) < 0 && errno == EINTR)
		;
	sem_destroy(&j.done);
	write_answer_lost(r, &j.result, j.why);
	return j.result;
}

void server_write_async(struct req *r, server_write_fn fn, server_write_done_fn done, void *arg)
{
	struct writer *w = r->srv->writer;
	struct write_job *j;

	if (!w || batch_store) { /* as server_write() would, then answered here */
		done(r, server_write(r, fn, arg), arg);
		return;
	}
	j = cv_xcalloc(1, sizeof(*j));
	j->fn = fn;
	j->arg = arg;
	j->r = r;
	j->answer = done;
	j->idem = idem_to_claim(r);
	r->store = NULL; /* the worker's connection: not the answering thread's */
	took_request = true;
	enqueue(w, j);
}

void server_write_detached(struct server *srv, server_write_fn fn, void (*release)(void *arg), void *arg)
{
	struct writer *w = srv->writer;
	struct write_job *j;
	bool gone;

	if (!w || batch_store) {
		/* No writer (a unit test's server), or on its thread already:
		 * nothing to hand it to; what is detached is worth losing. */
		release(arg);
		return;
	}
	j = cv_xcalloc(1, sizeof(*j));
	j->fn = fn;
	j->arg = arg;
	j->release = release;
	pthread_mutex_lock(&w->lock);
	/* Once stopping, the writer may have taken its last batch. */
	gone = w->stopping;
	if (!gone)
		enqueue_locked(w, j);
	pthread_mutex_unlock(&w->lock);
	if (gone) {
		release(arg);
		free(j);
	}
}

bool writer_took_request(void)
{
	bool took = took_request;

	took_request = false;
	return took;
}

/* ---- the writer's life, with the server's (http.c) ---- */

/* Once the writer has handed over its last batch: answers what is left. */
static void stop_answerer(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->answerer_stopping = true;
	pthread_cond_signal(&w->answer_wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->answerer, NULL);
}

struct writer *writer_start(struct server *srv, char **ret_error)
{
	struct writer *w = cv_xcalloc(1, sizeof(*w));
	int r;

	w->srv = srv;
	w->checkpointer = checkpointer_start(srv, ret_error);
	if (!w->checkpointer) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->answer_wake, NULL);
	r = pthread_create(&w->answerer, NULL, answerer_main, w);
	if (r != 0) {
		*ret_error = cv_xasprintf("cannot start the answering thread: %s", strerror(r));
		goto fail;
	}
	r = pthread_create(&w->thread, NULL, writer_main, w);
	if (r != 0) {
		*ret_error = cv_xasprintf("cannot start the writer thread: %s", strerror(r));
		stop_answerer(w);
		goto fail;
	}
	w->pool = pool_start(strcmp(store_backend_of(srv->opt->db), "sqlite") == 0 ? WRITER_THREADS
										   : WRITER_THREADS_SHARED_DB,
			     "covalid-write", dispatch_work, ret_error);
	if (!w->pool) {
		writer_stop(w);
		return NULL;
	}
	return w;
fail:
	checkpointer_stop(w->checkpointer);
	pthread_cond_destroy(&w->answer_wake);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

/* The writing requests' threads first (they may wait on the writer),
 * then the writer, once it has committed whatever they queued, then the
 * answering thread, once it has answered that.  (The general pool, whose
 * handlers write asynchronously, is stopped before: http.c.) */
void writer_stop(struct writer *w)
{
	if (!w)
		return;
	pool_stop(w->pool);
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	stop_answerer(w);
	checkpointer_stop(w->checkpointer);
	pthread_cond_destroy(&w->answer_wake);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void writer_push(struct server *srv, struct req *r)
{
	const char *m = r->route->method;
	bool writes = strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
		      !(r->route->flags & (ROUTE_CACHE | ROUTE_WRITE_ASYNC));

	pool_push(writes && srv->writer ? srv->writer->pool : srv->pool, r);
}

size_t writer_queued(struct writer *w)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->queued;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void writer_metrics(struct server *srv, struct cv_buf *b)
{
	struct writer *w = srv->writer;

	if (!w)
		return;
	(void)!cv_buf_printf(b,
			     "# HELP covalid_write_batches_total Transactions the writer committed or lost, each holding\n"
			     "# one or more requests' writes (group commit).\n# TYPE covalid_write_batches_total counter\n"
			     "covalid_write_batches_total %lu\n"
			     "# HELP covalid_write_jobs_total Requests' writes run in those transactions.\n"
			     "# TYPE covalid_write_jobs_total counter\ncovalid_write_jobs_total %lu\n"
			     "# HELP covalid_write_batches_lost_total Transactions that could not be committed: every\n"
			     "# write in them was answered 503, none kept.\n"
			     "# TYPE covalid_write_batches_lost_total counter\ncovalid_write_batches_lost_total %lu\n"
			     "# HELP covalid_write_queue Writes waiting for the next transaction.\n"
			     "# TYPE covalid_write_queue gauge\ncovalid_write_queue %zu\n",
			     atomic_load(&w->batches), atomic_load(&w->jobs), atomic_load(&w->lost_batches), writer_queued(w));
	checkpointer_metrics(w->checkpointer, b);
}
