/*
 * http-internal.h - the HTTP layer's own state (struct server) and what
 * its files share: http.c (libmicrohttpd, threads, the per-thread store,
 * listening), dispatch.c (from a whole request to an answer), request.c
 * (the request and reply API of handlers), snapshot.c, metrics.c and
 * access-log.c.
 *
 * Handlers (api-*.c) do not include this: they see the server only
 * through server-internal.h's functions, so the state stays the HTTP
 * layer's to change.
 */
#ifndef COVALID_SERVER_HTTP_INTERNAL_H
#define COVALID_SERVER_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "server/server-internal.h"

struct MHD_Daemon;
struct route_stats;
struct tls;

struct server {
	struct MHD_Daemon *daemon;
	const struct server_options *opt;
	size_t max_body;
	pthread_key_t store_key;
	pthread_mutex_t snap_lock;
	pthread_cond_t snap_built;  /* a build of the next snapshot ended */
	struct snapshot *snap;      /* the newest */
	bool snap_building;         /* a thread builds the next one: others wait */
	struct cv_hmap snap_ids;    /* configuration id -> index + 1 in snap's catalog: the builder's */
	bool snap_ids_valid;
	atomic_ulong snap_builds[2]; /* incremental, full */
	atomic_ullong snap_build_ns; /* how long the last one took */
	pthread_mutex_t log_lock;
	struct cv_buf log_buf; /* whole lines not yet written */
	atomic_long in_flight;
	struct route_stats *stats;      /* per route, plus one for "no route" */
	atomic_ulong submissions[2];    /* rejected, accepted */
	atomic_ulong connections;
	atomic_ullong next_id;
	struct resp_cache *cache;
	uint64_t cache_secret[2]; /* the cache slots' hash key, random per process (cache.c, cache_key_init) */
	struct pool *pool;
	struct writer *writer; /* group commit, and the threads of writing requests (writer.c) */
	atomic_llong generation;    /* the catalog's, as last read */
	atomic_ullong gen_checked_ns; /* when; 0 after a write */
	struct guard *guard;
	atomic_ulong answered_directly;
	atomic_ulong answered_inline; /* cacheable misses answered on the event thread (dispatch.c) */
	char *identity;           /* store_identity() of the database opened at start */
	pthread_mutex_t health_lock;
	uint64_t health_deep_ns;  /* when the store was last checked in depth */
	char *health_deep_why;    /* what that check found wrong, or NULL */
	struct deliverer *deliverer; /* webhook deliveries (deliver.c) */
	struct sweeper *sweeper;
	struct gauges *gauges;    /* monitoring's /metrics gauges, counted at most once a second (gauges.c) */
	atomic_ulong reports[2];  /* monitoring: heartbeats (no descriptor), reports with a descriptor */
	struct tls *tls;          /* HTTPS's certificate (tls.c), or NULL for plain HTTP */
	struct token_uses *token_uses; /* tokens' last uses recorded lately (token-use.c) */
};

/* ---- threads (http.c) ---- */
/* This thread's database connection, opened on first use; NULL with
 * *ret_err if it cannot be, or is no longer the database the server
 * started on. */
struct store *server_thread_store(struct server *srv, char **ret_err);

/* ---- the catalog snapshot for threads without a request (snapshot.c) ---- */
/* As snapshot_get(), on the caller's store; NULL with *ret_why.  Never
 * older than gen, or, with gen < 0, than the generation the store reads
 * when called (a request routed to a cached route knows it already: the
 * dispatcher's read, at most GENERATION_TTL_MS old, and never older than
 * this server's own last write). */
struct snapshot *snapshot_of(struct server *srv, struct store *store, int64_t gen, char **ret_why);
/* As snapshot_of() if a snapshot was loaded already (none is loaded for
 * it: a server that only lists configurations never loads the catalog),
 * else NULL; failures are NULL too.  After a write, and before a cached
 * route's answer is looked up again on a worker. */
struct snapshot *snapshot_if_loaded(struct server *srv, struct store *store, int64_t gen);
/* The newest snapshot if it is at gen or newer, with a reference, else
 * NULL: never builds one, never reads the database, holds snap_lock only
 * to take the reference (the event thread's, snapshot_of() being for
 * threads that may wait). */
struct snapshot *snapshot_try(struct server *srv, int64_t gen);
/* The snapshot's state in srv: at start, and at exit (drops the newest). */
void snapshot_init(struct server *srv);
void snapshot_release(struct server *srv);
/* covalid_catalog_snapshot* as Prometheus text (metrics.c). */
void snapshot_metrics(struct server *srv, struct cv_buf *b);

/* ---- the monitoring sweeper (sweeper.c) ---- */
/* A thread with its own store: late machines every sweep interval, a
 * re-check of stored descriptors when the catalog changes, fleet samples
 * every sample interval.  NULL with *ret_error if it cannot start. */
struct sweeper;
struct sweeper *sweeper_start(struct server *srv, char **ret_error);
void sweeper_stop(struct sweeper *sw);

/* ---- dispatch (dispatch.c) ---- */
/* Finds the route and checks what needs no database; false if answered. */
bool dispatch_route(struct req *r);
/* A cacheable route's answer from the cache, if it is there: true if answered. */
bool dispatch_answer_cached(struct req *r);
/* After dispatch_answer_cached() missed: a ROUTE_INLINE route's answer
 * computed here, on the event thread, when that cannot block (dispatch.c
 * says when); true if answered, false: hand the request to a worker. */
bool dispatch_answer_inline(struct req *r);
/* The worker pool's job: authenticate, run the handler, then resume the
 * connection so that MHD sends the answer (dispatch_done). */
void dispatch_work(void *arg);
/* A request's end on a worker: 500 if the handler gave no answer, then
 * the connection resumed, for MHD to send the answer. */
void dispatch_done(struct req *r);

/* Names the calling thread (at most 15 bytes): what ps -L, top -H and
 * perf show of it. */
void server_thread_name(const char *name);

/* ---- the log's upkeep off the commit path (checkpointer.c) ---- */
struct checkpointer;
struct checkpointer *checkpointer_start(struct server *srv, char **ret_error);
/* After a commit: a checkpoint soon (at most one every 100 ms). */
void checkpointer_poke(struct checkpointer *c);
void checkpointer_stop(struct checkpointer *c);
void checkpointer_metrics(struct checkpointer *c, struct cv_buf *b);

/* ---- group commit (writer.c) ---- */
struct writer;
/* The writer thread and the pool of threads writing requests run on. */
struct writer *writer_start(struct server *srv, char **ret_error);
/* Runs what is queued, then stops (after srv->pool: its requests may write). */
void writer_stop(struct writer *w);
/* Hands a request to a worker: the writer's pool if it writes and waits
 * for its commit, else srv->pool (ROUTE_WRITE_ASYNC routes write without
 * waiting: server_write_async). */
void writer_push(struct server *srv, struct req *r);
/* On a worker, after the handler returned: whether it handed its request
 * to server_write_async(), which then ends it (dispatch_done) -- the
 * worker must not touch it again.  Clears the mark. */
bool writer_took_request(void);
/* Writes queued for the next batch now. */
size_t writer_queued(struct writer *w);
/* The writer's counters, as Prometheus text (metrics.c). */
void writer_metrics(struct server *srv, struct cv_buf *b);

/* ---- replies (request.c) ---- */
/* Drops an answer's body, before another is set. */
void req_reset_reply(struct req *r);

/* ---- metrics (metrics.c) ---- */
/* Zeroed counters for every route and "no route"; freed with free(). */
struct route_stats *metrics_stats_new(void);
/* Counts an answered request: its route's status class and time. */
void metrics_record(struct server *srv, struct req *r, double seconds);

/* ---- webhook deliveries and SLA breach events (deliver.c) ---- */
struct deliverer;
/* Starts the deliverer's thread (NULL with *ret_error if it cannot). */
struct deliverer *deliverer_start(struct server *srv, char **ret_error);
/* Wakes it now (events were recorded); NULL does nothing. */
void deliverer_poke(struct deliverer *dl);
/* Stops it (an attempt in flight is cut short) and frees it; NULL does nothing. */
void deliverer_stop(struct deliverer *dl);
/* Attempts so far, by outcome. */
void deliverer_counts(struct deliverer *dl, unsigned long *ret_delivered, unsigned long *ret_retried,
		      unsigned long *ret_failed);

/* ---- the access log (access-log.c) ---- */
void access_log_init(struct server *srv);
void access_log_release(struct server *srv);
/* One line for the request, buffered; whole lines only reach the file. */
void access_log_write(struct server *srv, struct req *r, double seconds);
/* Writes what is buffered (server_run calls it each second and at exit). */
void access_log_flush(struct server *srv);

#endif
