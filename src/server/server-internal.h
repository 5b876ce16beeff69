/*
 * server-internal.h - what the HTTP layer (http.c and its pieces) and the
 * API handlers (api-*.c) share.  The server's own state is the HTTP
 * layer's alone (http-internal.h).
 *
 * A request is read whole (bounded) before its handler runs; the handler
 * answers through reply_*() once.  Handlers get this thread's store
 * (connections are thread-per-connection; each thread opens its own
 * database connection) and, for catalog answers, a reference-counted
 * snapshot of the catalog and its check index, rebuilt when the store's
 * catalog generation moves.
 */
#ifndef COVALID_SERVER_INTERNAL_H
#define COVALID_SERVER_INTERNAL_H

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "covalid/program.h"
#include "covalid/server.h"

struct MHD_Connection;
struct server;
struct catalog;
struct check_index;
struct store;
struct monitor_agent;

enum route_flags {
	ROUTE_PUBLIC = 0,
	ROUTE_VENDOR = 1 << 0, /* a vendor token */
	ROUTE_ADMIN = 1 << 1,  /* the owner's token */
	ROUTE_BODY = 1 << 2,   /* reads a JSON body */
	ROUTE_CACHE = 1 << 3,  /* its answer depends only on the request and the catalog generation (cache.c) */
	ROUTE_CUSTOMER = 1 << 4, /* a customer's token */
	ROUTE_AGENT = 1 << 5,    /* a machine's agent credential (checked against machines, not tokens) */
	ROUTE_WRITE_ASYNC = 1 << 6, /* writes through server_write_async(): runs on the general pool */
	/* ROUTE_CACHE, public, and its handler, given a current snapshot,
	 * only computes (no SQL, no lock held long): a miss with a small
	 * body is answered on the event thread (dispatch_answer_inline). */
	ROUTE_INLINE = 1 << 7,
	ROUTE_ANY_USER = ROUTE_ADMIN | ROUTE_VENDOR | ROUTE_CUSTOMER,
};

struct req;
typedef void (*handler_fn)(struct req *r);

struct route {
	const char *method;
	const char *pattern; /* "/api/v1/configurations/{id}" */
	handler_fn fn;
	unsigned flags;
	const char *summary; /* for the route list and the OpenAPI check */
	const char *query;   /* the query parameters it takes, space-separated; others are a 400 */
};

/*
 * What a cached answer depends on (docs/server.md, "Caching"): anything in
 * the catalog (the default), the configurations of one guest OS (a /check
 * answer), or those a list's filters may select.  Fixed-size: an entry
 * holds a copy.
 */
enum cache_dep_kind { CACHE_DEP_ALL, CACHE_DEP_OS, CACHE_DEP_LIST };
struct cache_dep {
	enum cache_dep_kind kind;
	char os[64];              /* CACHE_DEP_OS: the guest OS id, lowercase */
	char guest[128], hypervisor[128]; /* CACHE_DEP_LIST: filters, lowercase, where have_* */
	bool have_guest, have_hypervisor;
	unsigned statuses;        /* CACHE_DEP_LIST: 1 << status of each asked; 0 any */
};

/* The time ms milliseconds from now on clock, for a timed condition wait. */
static inline void server_deadline(clockid_t clock, long ms, struct timespec *ret)
{
	clock_gettime(clock, ret);
	ret->tv_sec += ms / 1000;
	ret->tv_nsec += (ms % 1000) * 1000000L;
	if (ret->tv_nsec >= 1000000000L) {
		ret->tv_sec++;
		ret->tv_nsec -= 1000000000L;
	}
}

#define REQ_MAX_PARAMS 4

/* A cached answer's key: the request's method, target (as sent) and body
 * -- a body larger than CACHE_KEY_WHOLE_MAX as a keyed digest -- pointing
 * into the request (or digest); the cache keeps a copy of what it keeps.
 * Compared whole: the hash only picks a slot (cache.c).  Not to be copied
 * (part[2] may point into it). */
#define CACHE_KEY_PARTS 3
#define CACHE_KEY_WHOLE_MAX (16 * 1024)
struct cache_key {
	const char *part[CACHE_KEY_PARTS];
	size_t len[CACHE_KEY_PARTS];
	bool digested;
	unsigned char digest[16];
	uint64_t hash;
};

struct req {
	struct server *srv;
	struct MHD_Connection *conn;
	char *method, *path;
	char *target;        /* the request target as sent: path and query, percent-encoded */
	bool method_seen;    /* on_request has had its first call */
	struct cv_buf body;
	uint64_t content_length;
	bool have_content_length, body_too_big, answered;
	uint64_t start_ns;
	const struct route *route;
	int route_index;
	char *params[REQ_MAX_PARAMS];
	size_t n_params;
	char request_id[17];
	struct store *store;
	struct program_auth auth;
	struct monitor_agent *agent; /* ROUTE_AGENT: the machine its credential speaks for */
	struct idem *idem;           /* its Idempotency-Key (idempotency.c), or NULL */
	/* The answer. */
	unsigned status;
	char *resp;
	size_t resp_len;
	const char *content_type;
	char *allow;
	char *location;
	char *www_authenticate;
	char *etag;	/* More headers for this answer: name, value, ..., NULL (static storage). */
	const char *const *headers;
	struct cache_entry *cached; /* the answer, from the cache */
	bool not_modified;          /* If-None-Match matched: 304 */
	bool cache_hit;
	struct cache_key cache_key; /* keyed: has_cache_key (dispatch.c, cache_key()) */
	bool has_cache_key;
	struct cache_dep cache_dep; /* what its answer depends on: the handler may narrow it (ALL) */
	int64_t generation;         /* the catalog's, when the request was routed */
	uint64_t received;          /* body bytes, kept or not */
	bool worked;                /* a worker answered it (pool.c) */
	bool queued;                /* the answer is with MHD */
};

/* ---- replies, exactly one per request (request.c) ---- */
void reply_json(struct req *r, unsigned status, json_t *body); /* steals body */
void reply_bytes(struct req *r, unsigned status, const char *content_type, const char *data, size_t len);
/* The same with data taken over (malloc'd, NUL after its len bytes), not copied. */
void reply_take(struct req *r, unsigned status, const char *content_type, char *data, size_t len);
void reply_error(struct req *r, unsigned status, const char *code, const char *fmt, ...) CV_PRINTF(4, 5);
void reply_program_error(struct req *r, const struct program_error *e);

/* ---- request helpers (request.c) ---- */
const char *req_arg(struct req *r, const char *name);
/* Every non-empty value of a parameter given more than once
 * (?status=a&status=b), in order, at most max; their number.  The values
 * live as long as the request. */
size_t req_arg_all(struct req *r, const char *name, const char **ret_values, size_t max);
/* A request header, or NULL. */
const char *req_header(struct req *r, const char *name);
/* Paging: ?limit (1..500, default 50) and ?offset; replies 400 on bad values. */
bool req_paging(struct req *r, int64_t *ret_limit, int64_t *ret_offset);
/* The JSON body as an object with only the given keys (keys NULL: any, the
 * caller checks them); replies 400 otherwise. */
json_t *req_body_object(struct req *r, const char *const *keys, size_t n_keys);
/* Handlers write only through the program's and support's calls, each of
 * which owns its transaction (src/program/txn.c): never the store itself. */

/* A JSON body's "expires" for a new token (api-program.c): absent or null
 * is never (*ret_set false); else until holds the time, by this server's
 * clock.  False if answered (400). */
bool api_token_expiry(struct req *r, const json_t *body, char until[static 21], bool *ret_set);

/* ---- tokens' last use (token-use.c) ---- */
/* A token's last use is recorded at most once per this many seconds. */
#define TOKEN_USE_INTERVAL_S 60
struct token_uses;
struct token_uses *token_uses_new(void);
void token_uses_free(struct token_uses *u);
/* After a token authenticated a request: records its use on s, unless
 * this server (or, in the database, any) recorded one within the interval. */
void token_uses_note(struct token_uses *u, struct store *s, const char *token_id);
/* How many uses were written so far. */
unsigned long token_uses_written(struct token_uses *u);

/* ---- the catalog snapshot (snapshot.c) ---- */
struct snapshot_chunk;
struct snapshot {
	int64_t generation;
	struct catalog *cat;
	struct check_index *ix;
	int refs;
	/* Who owns cat's configurations: chunks shared with the snapshots
	 * before and after (snapshot.c). */
	struct snapshot_chunk **chunks;
	size_t n_chunks;
};
struct snapshot *snapshot_get(struct req *r); /* NULL: replied 500 */
void snapshot_put(struct server *srv, struct snapshot *s);

/* ---- the answer cache (cache.c) ---- */
/* An answer about a machine of that guest OS (NULL or too long: ALL). */
void cache_dep_os(struct cache_dep *d, const char *os_id);
/* A configuration list with those filters (a filter NULL: absent). */
void cache_dep_list(struct cache_dep *d, const char *guest, const char *hypervisor, unsigned statuses);

struct resp_cache;
struct cache_entry;
struct catalog_config;
/* secret: random per process, so that clients cannot choose keys' slots. */
void cache_key_init(struct cache_key *k, const uint64_t secret[2], const char *method, const char *target,
		    const char *body, size_t body_len);
struct resp_cache *resp_cache_new(void);
void resp_cache_free(struct resp_cache *c);
/* The entry for key valid at generation (computed then, or earlier with
 * nothing it depends on changed since), with a reference, or NULL.
 * Never waits: the event thread's lookup. */
struct cache_entry *resp_cache_get(struct resp_cache *c, const struct cache_key *k, int64_t generation);
/* A worker's lookup after a miss: as resp_cache_get, but if another
 * worker is computing key it waits for that answer (bounded).  NULL: the
 * caller computes it; *ret_claimed then says whether others wait for it,
 * in which case the caller must resp_cache_release() it (after its put,
 * or instead). */
struct cache_entry *resp_cache_wait(struct resp_cache *c, const struct cache_key *k, int64_t generation,
				    bool *ret_claimed);
/* The event thread's lookup after a miss: as resp_cache_wait, but never
 * waits.  NULL and *ret_busy: another thread is computing key (nothing
 * claimed or counted: hand the request to a worker, which waits for it);
 * NULL otherwise: the caller computes it (released as after a wait). */
struct cache_entry *resp_cache_try(struct resp_cache *c, const struct cache_key *k, int64_t generation,
				   bool *ret_claimed, bool *ret_busy);
void resp_cache_release(struct resp_cache *c, const struct cache_key *k);
/* Whether to keep a POST's answer (cache.c, "Admission"): its request was
 * seen before, or others waited for this computation; else it is
 * remembered, counted as declined, and false. */
bool resp_cache_admit(struct resp_cache *c, const struct cache_key *k);
/* Keeps an answer computed at generation (dep NULL: ALL); returns it with
 * a reference for the caller (NULL if too big to keep).  *body (len
 * bytes, from malloc) is taken over and set NULL, unless NULL is
 * returned.  etag: compute its ETag (a digest of the bytes), for answers
 * that send one; else the entry's ETag is "". */
struct cache_entry *resp_cache_put(struct resp_cache *c, const struct cache_key *k, int64_t generation,
				   const struct cache_dep *dep, bool etag, unsigned status, const char *content_type,
				   char **body, size_t len);
/*
 * The catalog went from generation from to to, writing these
 * configurations (both versions of each replaced one; the cache takes its
 * own references); global: something else or more changed (a product, a
 * vendor, a full rebuild), which every answer depends on.  Steps must
 * chain; a gap forgets the earlier ones.
 */
void resp_cache_step(struct resp_cache *c, int64_t from, int64_t to, bool global, struct catalog_config **configs,
		     size_t n_configs);
void cache_entry_unref(struct cache_entry *e);
const char *cache_entry_body(const struct cache_entry *e, size_t *ret_len, unsigned *ret_status,
			     const char **ret_content_type, const char **ret_etag);
struct resp_cache_stats {
	unsigned long hits, misses;
	unsigned long revalidated; /* hits on an answer from an earlier generation */
	unsigned long waited;      /* misses answered by another worker's computation */
	unsigned long evicted;     /* answers dropped to make room for another */
	unsigned long declined;    /* POST answers not kept: their request's first sight */
	unsigned waiting;          /* threads waiting for another's computation now */
	size_t bytes;
};
void resp_cache_stats(struct resp_cache *c, struct resp_cache_stats *ret);

/* ---- what a hostile client meets first (guard.c) ---- */
/* The request target: bytes, and query parameters (docs/server.md). */
#define GUARD_MAX_TARGET 8192
#define GUARD_MAX_PARAMS 100
_Static_assert(GUARD_MAX_TARGET == 8192 && GUARD_MAX_PARAMS == 100, "guard.c's messages name these numbers");
struct guard;
/* header_timeout_s: a request head must arrive whole within it (0: no limit). */
struct guard *guard_new(unsigned header_timeout_s);
void guard_free(struct guard *g);
/* MHD's connection notifications: track the connection, forget it. */
void guard_conn_started(struct guard *g, struct MHD_Connection *conn, void **socket_context);
void guard_conn_closed(struct guard *g, void *socket_context);
/* A request's head has arrived whole / the connection waits for the next one. */
void guard_head_done(struct MHD_Connection *conn);
void guard_head_waiting(struct MHD_Connection *conn);
/* Shuts the sockets of connections whose head is past its deadline (call
 * about once a second); how many it has shut so far. */
void guard_reap(struct guard *g);
unsigned long guard_reaped(struct guard *g);
/* A head waiting since since_ns is past its deadline at now_ns (a stamp later than now: not). */
bool guard_head_overdue(uint64_t now_ns, uint64_t since_ns, uint64_t deadline_ns);
/* 0 if the raw request target is acceptable, else 414 with *ret_why. */
unsigned guard_check_target(const char *uri, const char **ret_why);
/* 0 if the head's framing is acceptable, else 400 or 501 with *ret_why. */
unsigned guard_check_head(struct MHD_Connection *conn, const char *version, const char **ret_why);
/* Writes data (a whole HTTP answer) to the connection's socket, waiting
 * at most a second, then shuts the socket: for answers MHD cannot send. */
void guard_send_direct(struct MHD_Connection *conn, const char *data, size_t len);

/* ---- workers for requests that may block (pool.c) ---- */
struct pool;
/* n_threads threads named name (server_thread_name) running fn on what is pushed. */
struct pool *pool_start(size_t n_threads, const char *name, void (*fn)(void *arg), char **ret_error);
void pool_push(struct pool *pl, void *arg);
void pool_stop(struct pool *pl);

/* ---- group commit (writer.c) ---- */
/*
 * Runs fn(store, arg) for a request that writes, on the writer thread, in
 * a transaction shared with other requests' writes (its library calls own
 * their transactions as always: there they nest as savepoints), and
 * returns once that transaction committed: fn's result.  fn gets the
 * writer's store, never r->store, must not touch r (nor reply), and must
 * not return SERVER_WRITE_LOST; what it needs comes in arg, what it
 * produces goes out in arg.  A fn that fails (< 0) has its own work
 * undone, and only its own.
 *
 * SERVER_WRITE_LOST: the shared transaction could not be committed, so
 * nothing of fn's work was kept, whatever fn returned; server_write has
 * answered 503 already, and the handler answers nothing more.
 */
#define SERVER_WRITE_LOST (-ENOTRECOVERABLE)
typedef int (*server_write_fn)(struct store *s, void *arg);
int server_write(struct req *r, server_write_fn fn, void *arg);
/*
 * The same without holding the handler's thread until the commit, for
 * the writes that come by the thousand (an agent's report: a thread
 * parked per request in flight, and its wake-up, cost more than the
 * report's own work).  Queues fn and returns at once; the handler then
 * returns too, and must not touch r or arg again.  Once fn's transaction
 * committed, done(r, result, arg) runs -- on the writer's answering
 * thread, never the writer's own -- and answers r as the handler would
 * have, then releases arg.  For SERVER_WRITE_LOST r has its 503 already
 * and done only releases.  Its route is flagged ROUTE_WRITE_ASYNC.
 */
typedef void (*server_write_done_fn)(struct req *r, int result, void *arg);
void server_write_async(struct req *r, server_write_fn fn, server_write_done_fn done, void *arg);
/*
 * fn(store, arg) in the writer's next transaction, for nobody: no request
 * waits for it, and release(arg) runs once it ran, or instead, when the
 * server is stopping (what it writes must be worth losing then: a kept
 * answer, idempotency.c).
 */
void server_write_detached(struct server *srv, server_write_fn fn, void (*release)(void *arg), void *arg);

/* ---- Idempotency-Key (idempotency.c) ---- */
struct idem;
/* Before a write request's handler, on its worker: true to run it; false
 * when the key answered it (a replay, 409, 422, or 400 for a bad key). */
bool idem_begin(struct req *r);
/* The key the writer records with r's first write, or NULL. */
struct idem *idem_to_claim(struct req *r);
/* Records it in s's open transaction: 0, -EEXIST (a repeat), or an error. */
int idem_claim(struct store *s, struct idem *ik);
/* Its write committed. */
void idem_claimed(struct idem *ik);
/* After the answer: keeps it with the key, for a repeat. */
void idem_keep(struct req *r);
void idem_free(struct idem *ik);

/* ---- routes (routes.c) ---- */
extern const struct route server_routes[];
extern const size_t server_n_routes;

/* ---- handlers (api-*.c) ---- */
void api_me(struct req *r);
void api_cases(struct req *r);
void api_case_open(struct req *r);
void api_case(struct req *r);
void api_case_notes(struct req *r);
void api_case_note(struct req *r);
void api_case_state(struct req *r);
void api_case_engage(struct req *r);
void api_case_respond(struct req *r);
void api_agreements(struct req *r);
void api_admin_agreement_add(struct req *r);
void api_admin_customers(struct req *r);
void api_admin_customer_add(struct req *r);
void api_admin_user_add(struct req *r);
void api_admin_support_policy_get(struct req *r);
void api_admin_support_policy_put(struct req *r);
void api_healthz(struct req *r);
void api_metrics(struct req *r);
void api_openapi(struct req *r);
void api_products(struct req *r);
void api_configurations(struct req *r);
void api_configuration(struct req *r);
void api_check(struct req *r);
void api_vendors(struct req *r);
void api_vendor(struct req *r);
void api_vendor_configurations(struct req *r);
void api_vendor_atom(struct req *r);
void api_revoke(struct req *r);
void api_submit(struct req *r);
void api_submissions(struct req *r);
void api_submission(struct req *r);
void api_admin_vendor_add(struct req *r);
void api_admin_key_add(struct req *r);
void api_admin_key_revoke(struct req *r);
void api_admin_tokens(struct req *r);
void api_admin_token_add(struct req *r);
void api_admin_token_revoke(struct req *r);
void api_admin_policy_get(struct req *r);
void api_admin_policy_put(struct req *r);
void api_events_atom(struct req *r);
void api_webhooks(struct req *r);
void api_webhook_add(struct req *r);
void api_webhook_remove(struct req *r);
void api_webhook_deliveries(struct req *r);
void api_web(struct req *r);
void api_agent_enroll(struct req *r);
void api_agent_report(struct req *r);
void api_machines(struct req *r);
void api_machine(struct req *r);
void api_machine_events(struct req *r);
void api_events(struct req *r);
void api_fleet(struct req *r);
void api_admin_dashboard(struct req *r); /* api-dashboard.c */
struct store_query;
/* GET /api/v1/configurations?format=csv: every match of q as CSV (api-csv.c). */
void api_configurations_csv(struct req *r, struct store_query *q);
void api_monitor_settings_get(struct req *r);
void api_monitor_settings_put(struct req *r);

/* ---- server state the handlers read ---- */
const char *server_web_dir(const struct server *srv);
/* Prometheus text of the server's counters, appended to b (metrics.c). */
void server_metrics(struct server *srv, struct cv_buf *b);
/* process_* and covalid_build_info (metrics-process.c). */
void metrics_process(struct server *srv, struct cv_buf *b);
void server_count_submission(struct server *srv, bool accepted);
/* A report applied: with_descriptor false is a heartbeat. */
void server_count_report(struct server *srv, bool with_descriptor);
/* Monitoring's gauges (machines by verdict, late, webhook deliveries),
 * appended to b: counted on the request's store at most once a second
 * (gauges.c). */
void server_metrics_monitor(struct req *r, struct cv_buf *b);
/* Something the gauges count has changed: the next scrape counts afresh. */
void server_gauges_changed(struct server *srv);

/* ---- monitoring's gauges, counted at most once a second (gauges.c) ---- */
struct gauges;
#define GAUGES_MAX_AGE_NS 1000000000ull
struct gauges *gauges_new(uint64_t max_age_ns);
void gauges_free(struct gauges *g);
/* Appends the gauges' Prometheus text to b: the copy counted less than
 * max_age before now_ns with no gauges_changed() since, else counted now
 * on s (one caller at a time; the others take the copy meanwhile).  g NULL:
 * counted now. */
void gauges_metrics(struct gauges *g, struct store *s, uint64_t now_ns, struct cv_buf *b);
/* Something they count has changed (a late mark, an enrollment, a
 * delivery's end): the next gauges_metrics() counts afresh. */
void gauges_changed(struct gauges *g);
/* How many times gauges_metrics() has counted. */
unsigned long gauges_counts(struct gauges *g);
/* store_health() of the request's store, the deep check rationed across
 * the server (its last finding is repeated until the next). */
int server_store_health(struct req *r, char **ret_why);

#endif
