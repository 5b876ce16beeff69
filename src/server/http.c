/*
 * http.c - covalid's HTTP server on libmicrohttpd (docs/server.md).
 *
 * Threading: MHD's thread-per-connection mode.  Handlers block on SQLite
 * (each thread has its own connection, opened on first use); measured on
 * this machine that mode served 11.9k req/s with a 5 ms blocking handler
 * where an event loop served 179.
 *
 * Answering: the "two-call" pattern.  MHD calls the access handler first
 * with only the headers; answering then would make MHD close every
 * connection (~9k req/s instead of ~73k).  The first call checks the
 * framing and sets up the request; the body arrives in further calls; the
 * last call (upload size 0) runs the handler and queues the answer.
 *
 * Framing: Debian's libmicrohttpd 0.9.75 accepts two Content-Length
 * headers, Content-Length with chunked encoding, and header names with
 * whitespace before the colon.  All are request smuggling vectors behind
 * a proxy; guard.c checks every head, and they are refused with 400.
 *
 * Shutdown: SIGTERM or SIGINT stops accepting (MHD_quiesce_daemon), waits
 * until requests in flight are answered (at most 10 s), then stops.  Every
 * write is one transaction, so nothing is half-written either way.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "server/server-internal.h"
#include "util/cv.h"

#define DEFAULT_MAX_BODY (4 * 1024 * 1024)
/* A body sent without Content-Length is drained up to this, then cut. */
#define DRAIN_LIMIT (64 * 1024 * 1024)
#define SHUTDOWN_GRACE_S 10
/* A request head must arrive whole within this (--header-timeout). */
#define DEFAULT_HEADER_TIMEOUT_S 10
/* Connections from one client address (--max-client-connections): above
 * a load generator's 64, below the daemon's 1024. */
#define DEFAULT_CLIENT_CONNECTIONS 128
/* Threads for requests that may block (pool.c): SQLite serializes
 * writers, so more would only wait; reads scale to the cores. */
#define WORKER_THREADS 8
#define N_BUCKETS 12

static const double buckets[N_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5 };

struct route_stats {
	atomic_ulong by_class[6]; /* 1xx .. 5xx */
	atomic_ulong hist[N_BUCKETS + 1];
	atomic_ulong sum_us;
};

struct server {
	struct MHD_Daemon *daemon;
	const struct server_options *opt;
	size_t max_body;
	pthread_key_t store_key;
	pthread_mutex_t snap_lock;
	struct snapshot *snap;
	pthread_mutex_t log_lock;
	struct cv_buf log_buf; /* whole lines not yet written */
	atomic_long in_flight;
	struct route_stats *stats;      /* per route, plus one for "no route" */
	atomic_ulong submissions[2];    /* rejected, accepted */
	atomic_ulong connections;
	atomic_ullong next_id;
	struct resp_cache *cache;
	struct pool *pool;
	atomic_llong generation;    /* the catalog's, as last read */
	atomic_ullong gen_checked_ns; /* when; 0 after a write */
	struct guard *guard;
	atomic_ulong answered_directly;
	char *identity;           /* store_identity() of the database opened at start */
	pthread_mutex_t health_lock;
	uint64_t health_deep_ns;  /* when the store was last checked in depth */
	char *health_deep_why;    /* what that check found wrong, or NULL */
};

static volatile sig_atomic_t stop_requested;

/* One event thread per CPU, as nginx's "worker_processes auto". */
static unsigned event_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- per-thread store ---- */

static void close_store(void *p)
{
	store_close(p);
}

static struct store *thread_store(struct server *srv, char **ret_err)
{
	struct store *s = pthread_getspecific(srv->store_key);

	if (s)
		return s;
	char *id;
	int r;

	/* Never create one here: a database deleted under the server is
	 * an error to report, not an empty one to start afresh.  Nor serve
	 * another file put at its path: every thread's connection must be
	 * to the database the server started on. */
	r = store_open_existing(srv->opt->db, &s, ret_err);
	if (r == -ENOENT) {
		free(*ret_err);
		*ret_err = cv_xasprintf("%s: the database file is gone since the server started", srv->opt->db);
		return NULL;
	}
	if (r < 0)
		return NULL;
	id = store_identity(s);
	if (!cv_streq(id, srv->identity)) {
		*ret_err = cv_xasprintf("%s: the database file was replaced since the server started", srv->opt->db);
		free(id);
		store_close(s);
		return NULL;
	}
	free(id);
	pthread_setspecific(srv->store_key, s);
	return s;
}

/* ---- replies ---- */

static void reset_reply(struct req *r)
{
	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
}

void reply_bytes(struct req *r, unsigned status, const char *content_type, const char *data, size_t len)
{
	reset_reply(r);
	r->status = status;
	r->content_type = content_type;
	r->resp = cv_xmalloc(len + 1);
	memcpy(r->resp, data, len);
	r->resp[len] = '\0';
	r->resp_len = len;
	r->answered = true;
}

void reply_json(struct req *r, unsigned status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;

	json_decref(body);
	if (!s) {
		/* A body that could not be built (json_pack refuses strings
		 * that are not UTF-8): a fault of the handler, never a reason
		 * to take the server down. */
		static const char fault[] = "{\"error\":{\"code\":\"internal\",\"message\":\"the answer could not be written\"}}";

		reply_bytes(r, 500, "application/json", fault, sizeof(fault) - 1);
		return;
	}
	reset_reply(r);
	r->status = status;
	r->content_type = "application/json";
	r->resp_len = strlen(s);
	r->resp = s;
	r->answered = true;
}

void reply_error(struct req *r, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[512], *safe;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status == 401 && !r->www_authenticate)
		r->www_authenticate = cv_xstrdup("Bearer realm=\"covalid\"");
	/* Messages echo what the client sent (a method, an id): bytes that
	 * are not UTF-8, or controls, become '?', so the JSON can be built. */
	safe = cv_str_sanitize(msg, strlen(msg), sizeof(msg));
	reply_json(r, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", safe));
	free(safe);
}

void reply_program_error(struct req *r, const struct program_error *e)
{
	json_t *body;

	if (!e->reasons) {
		reply_error(r, (unsigned)(e->http ? e->http : 500), e->code[0] ? e->code : "internal", "%s", e->message);
		return;
	}
	/* Every reason, whole, beside the one-line message. */
	body = json_pack("{s:{s:s, s:s, s:O}}", "error", "code", e->code[0] ? e->code : "internal", "message", e->message,
			 "reasons", (json_t *)e->reasons);
	reply_json(r, (unsigned)(e->http ? e->http : 500), body);
}

/* ---- request helpers ---- */

const char *req_arg(struct req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

struct arg_values {
	const char *name;
	const char **v;
	size_t n, max;
};

static enum MHD_Result take_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_values *a = cls;

	(void)kind;
	if (!cv_streq(key, a->name) || !value || !*value)
		return MHD_YES;
	if (a->n == a->max)
		return MHD_NO;
	a->v[a->n++] = value;
	return MHD_YES;
}

size_t req_arg_all(struct req *r, const char *name, const char **ret_values, size_t max)
{
	struct arg_values a = { name, ret_values, 0, max };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, take_arg, &a);
	return a.n;
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

bool req_paging(struct req *r, int64_t *ret_limit, int64_t *ret_offset)
{
	const char *l = req_arg(r, "limit"), *o = req_arg(r, "offset");
	uint64_t v;

	*ret_limit = 50;
	*ret_offset = 0;
	if (l) {
		if (cv_parse_u64(l, 10, &v) < 0 || v < 1 || v > 500) {
			reply_error(r, 400, "invalid_parameter", "limit: expected 1 to 500");
			return false;
		}
		*ret_limit = (int64_t)v;
	}
	if (o) {
		if (cv_parse_u64(o, 10, &v) < 0 || v > INT32_MAX) {
			reply_error(r, 400, "invalid_parameter", "offset: expected a count");
			return false;
		}
		*ret_offset = (int64_t)v;
	}
	return true;
}

json_t *req_body_object(struct req *r, const char *const *keys, size_t n_keys)
{
	struct program_error e = { 0 };
	json_error_t err;
	json_t *j;

	j = r->body.len ? json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &err) : NULL;
	if (!j) {
		reply_error(r, 400, "malformed_json", "the body is not valid JSON%s%s", r->body.len ? ": " : " (empty)",
			    r->body.len ? err.text : "");
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		reply_error(r, 400, "malformed_json", "the body must be a JSON object");
		return NULL;
	}
	if (keys && !program_check_keys(j, keys, n_keys, NULL, &e)) {
		reply_program_error(r, &e);
		json_decref(j);
		return NULL;
	}
	return j;
}

bool req_begin(struct req *r)
{
	if (store_begin(r->store) < 0) {
		reply_error(r, 503, "unavailable", "nothing was changed: %s", store_errmsg(r->store));
		return false;
	}
	return true;
}

bool req_commit(struct req *r)
{
	if (store_commit(r->store) < 0) {
		store_rollback(r->store);
		reply_error(r, 503, "busy", "the write could not be committed; nothing was changed");
		return false;
	}
	return true;
}

/* ---- catalog snapshot ---- */

void snapshot_put(struct server *srv, struct snapshot *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&srv->snap_lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&srv->snap_lock);
	if (last) {
		check_index_free(s->ix);
		catalog_free(s->cat);
		free(s);
	}
}

struct snapshot *snapshot_get(struct req *r)
{
	struct server *srv = r->srv;
	struct snapshot *s, *old = NULL;
	int64_t gen;
	char *why = NULL;

	if (store_catalog_generation(r->store, &gen) < 0) {
		reply_error(r, 500, "internal", "cannot read the catalog: %s", store_errmsg(r->store));
		return NULL;
	}
	pthread_mutex_lock(&srv->snap_lock);
	s = srv->snap;
	if (s && s->generation == gen) {
		s->refs++;
		pthread_mutex_unlock(&srv->snap_lock);
		return s;
	}
	pthread_mutex_unlock(&srv->snap_lock);

	/* Built outside the lock: readers of the old snapshot go on. */
	s = cv_xcalloc(1, sizeof(*s));
	s->generation = gen;
	s->refs = 1;
	if (catalog_load(r->store, 0, &s->cat, &why) < 0 || check_index_build(s->cat, &s->ix) < 0) {
		reply_error(r, 500, "internal", "cannot load the catalog: %s", why ? why : "index");
		free(why);
		catalog_free(s->cat);
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&srv->snap_lock);
	if (!srv->snap || srv->snap->generation < gen) {
		old = srv->snap;
		srv->snap = s;
		s->refs++; /* the server's reference */
	} else {
		/* Another thread built the same or newer meanwhile. */
		struct snapshot *mine = s;

		s = srv->snap;
		s->refs++;
		pthread_mutex_unlock(&srv->snap_lock);
		snapshot_put(srv, mine);
		return s;
	}
	pthread_mutex_unlock(&srv->snap_lock);
	snapshot_put(srv, old);
	return s;
}

/* ---- metrics ---- */

static const char *status_class(unsigned status)
{
	static const char *const c[] = { "1xx", "1xx", "2xx", "3xx", "4xx", "5xx" };

	return status >= 100 && status < 600 ? c[status / 100] : "5xx";
}

static void record(struct server *srv, struct req *r, double seconds)
{
	struct route_stats *st = &srv->stats[r->route_index >= 0 ? (size_t)r->route_index : server_n_routes];
	size_t b = 0;

	atomic_fetch_add(&st->by_class[r->status >= 100 && r->status < 600 ? r->status / 100 : 5], 1);
	while (b < N_BUCKETS && seconds > buckets[b])
		b++;
	atomic_fetch_add(&st->hist[b], 1);
	atomic_fetch_add(&st->sum_us, (unsigned long)(seconds * 1e6));
}

void server_count_submission(struct server *srv, bool accepted)
{
	atomic_fetch_add(&srv->submissions[accepted], 1);
}

#define M(...) (void)!cv_buf_printf(b, __VA_ARGS__)

void server_metrics(struct server *srv, struct cv_buf *b)
{
	M("# HELP covalid_http_requests_total HTTP requests answered, by route and status class.\n");
	M("# TYPE covalid_http_requests_total counter\n");
	for (size_t i = 0; i <= server_n_routes; i++)
		for (int c = 1; c < 6; c++) {
			unsigned long n = atomic_load(&srv->stats[i].by_class[c]);

			if (n)
				M("covalid_http_requests_total{method=\"%s\",route=\"%s\",code=\"%s\"} %lu\n",
				  i < server_n_routes ? server_routes[i].method : "*",
				  i < server_n_routes ? server_routes[i].pattern : "unmatched", status_class((unsigned)c * 100), n);
		}
	M("# HELP covalid_http_request_duration_seconds Time to answer, by route.\n");
	M("# TYPE covalid_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= server_n_routes; i++) {
		unsigned long cum = 0, total = 0;

		for (size_t k = 0; k <= N_BUCKETS; k++)
			total += atomic_load(&srv->stats[i].hist[k]);
		if (!total)
			continue;
		for (size_t k = 0; k < N_BUCKETS; k++) {
			cum += atomic_load(&srv->stats[i].hist[k]);
			M("covalid_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
			  i < server_n_routes ? server_routes[i].pattern : "unmatched", buckets[k], cum);
		}
		M("covalid_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n",
		  i < server_n_routes ? server_routes[i].pattern : "unmatched", total);
		M("covalid_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		  i < server_n_routes ? server_routes[i].pattern : "unmatched",
		  (double)atomic_load(&srv->stats[i].sum_us) / 1e6);
		M("covalid_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
		  i < server_n_routes ? server_routes[i].pattern : "unmatched", total);
	}
	M("# HELP covalid_http_in_flight Requests being answered now.\n# TYPE covalid_http_in_flight gauge\n");
	M("covalid_http_in_flight %ld\n", atomic_load(&srv->in_flight));
	M("# HELP covalid_http_connections_total Connections accepted.\n# TYPE covalid_http_connections_total counter\n");
	M("covalid_http_connections_total %lu\n", atomic_load(&srv->connections));
	{
		unsigned long hits, misses;
		size_t bytes;

		resp_cache_stats(srv->cache, &hits, &misses, &bytes);
		M("# HELP covalid_cache_lookups_total Answers of cacheable routes, from the cache (hit) or computed (miss).\n"
		  "# TYPE covalid_cache_lookups_total counter\n");
		M("covalid_cache_lookups_total{result=\"hit\"} %lu\ncovalid_cache_lookups_total{result=\"miss\"} %lu\n", hits,
		  misses);
		M("# HELP covalid_cache_bytes Bytes of the answers the cache holds.\n# TYPE covalid_cache_bytes gauge\n");
		M("covalid_cache_bytes %zu\n", bytes);
	}
	M("# HELP covalid_http_answered_directly_total Answers written past MHD: refused request lines, and answers\n"
	  "# to clients that half-closed while a worker ran.\n# TYPE covalid_http_answered_directly_total counter\n");
	M("covalid_http_answered_directly_total %lu\n", atomic_load(&srv->answered_directly));
	M("# HELP covalid_http_slow_heads_closed_total Connections closed because a request head was not whole in time.\n"
	  "# TYPE covalid_http_slow_heads_closed_total counter\n");
	M("covalid_http_slow_heads_closed_total %lu\n", guard_reaped(srv->guard));
	M("# HELP covalid_submissions_total Test logs submitted, by outcome.\n# TYPE covalid_submissions_total counter\n");
	M("covalid_submissions_total{status=\"accepted\"} %lu\n", atomic_load(&srv->submissions[1]));
	M("covalid_submissions_total{status=\"rejected\"} %lu\n", atomic_load(&srv->submissions[0]));
}

/* The deep check reads every page: at most this often (docs/server.md). */
#define HEALTH_DEEP_INTERVAL_S 10

int server_store_health(struct req *r, char **ret_why)
{
	struct server *srv = r->srv;
	uint64_t now = cv_now_ns();
	bool deep;
	int ret;

	pthread_mutex_lock(&srv->health_lock);
	deep = !srv->health_deep_ns || now - srv->health_deep_ns >= (uint64_t)HEALTH_DEEP_INTERVAL_S * 1000000000ull;
	if (deep)
		srv->health_deep_ns = now;
	pthread_mutex_unlock(&srv->health_lock);
	ret = store_health(r->store, deep, ret_why);
	pthread_mutex_lock(&srv->health_lock);
	if (deep) {
		free(srv->health_deep_why);
		srv->health_deep_why = ret < 0 && *ret_why ? cv_xstrdup(*ret_why) : NULL;
	} else if (ret == 0 && srv->health_deep_why) {
		/* The last deep check's finding stands until the next one. */
		*ret_why = cv_xstrdup(srv->health_deep_why);
		ret = -EIO;
	}
	pthread_mutex_unlock(&srv->health_lock);
	return ret;
}

const char *server_web_dir(const struct server *srv)
{
	return srv->opt->web;
}

/* ---- dispatch ---- */

/* Matches path against a pattern, collecting {params}. */
static bool match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *q = path;
	size_t n = 0;

	while (*p && *q) {
		if (*p == '{') {
			const char *pe = strchr(p, '}'), *qe = q;

			while (*qe && *qe != '/')
				qe++;
			if (!pe || qe == q || n >= REQ_MAX_PARAMS)
				goto no;
			r->params[n++] = cv_xstrndup(q, (size_t)(qe - q));
			p = pe + 1;
			q = qe;
			continue;
		}
		if (*p != *q)
			goto no;
		p++;
		q++;
	}
	if (*p || *q)
		goto no;
	r->n_params = n;
	return true;
no:
	for (size_t i = 0; i < n; i++)
		r->params[i] = cv_free(r->params[i]);
	return false;
}

static void authenticate(struct req *r, unsigned flags, bool *ret_ok)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct program_error e = { 0 };

	*ret_ok = false;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		reply_error(r, 401, "unauthorized", "this needs a bearer token (Authorization: Bearer cv_...)");
		return;
	}
	if (program_authenticate(r->store, h + 7, &r->auth, &e) < 0) {
		reply_program_error(r, &e);
		return;
	}
	if (!((flags & ROUTE_ADMIN) && r->auth.admin) && !((flags & ROUTE_VENDOR) && r->auth.vendor_id) &&
	    !((flags & ROUTE_CUSTOMER) && r->auth.customer_id)) {
		reply_error(r, 403, "forbidden", "this needs %s%s%s%s%s token",
			    flags & ROUTE_ADMIN ? "the program owner's" : "",
			    (flags & ROUTE_ADMIN) && (flags & (ROUTE_VENDOR | ROUTE_CUSTOMER)) ? " or " : "",
			    flags & ROUTE_VENDOR ? "a vendor's" : "",
			    (flags & ROUTE_VENDOR) && (flags & ROUTE_CUSTOMER) ? " or " : "",
			    flags & ROUTE_CUSTOMER ? "a customer's" : "");
		return;
	}
	*ret_ok = true;
}

/* ---- cached answers ---- */

/*
 * The cache key: a BLAKE2b-256 digest of the route's method, the request
 * target exactly as it was sent (path and query, still percent-encoded),
 * and the body.  The raw target is unambiguous where decoded parameters
 * joined with '&' and '=' were not ("?guest=rhel%26hypervisor%3Dx" once
 * shared the entry of "?guest=rhel&hypervisor=x"); fields are separated by
 * NUL, which cannot occur in a request target.  A digest keeps every key
 * 32 bytes, however large the descriptor a client posts.  HEAD shares GET's
 * entries.
 */
static void cache_key(struct req *r)
{
	crypto_generichash_state st;

	r->cache_key = cv_xmalloc(crypto_generichash_BYTES);
	r->cache_key_len = crypto_generichash_BYTES;
	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)r->route->method, strlen(r->route->method) + 1);
	crypto_generichash_update(&st, (const unsigned char *)r->target, strlen(r->target) + 1);
	if (r->body.len)
		crypto_generichash_update(&st, (const unsigned char *)r->body.data, r->body.len);
	crypto_generichash_final(&st, (unsigned char *)r->cache_key, crypto_generichash_BYTES);
}

/* Fills the answer from a cache entry (r->cached), or 304 for a matching If-None-Match. */
static void answer_from_entry(struct req *r)
{
	const char *inm, *etag, *ctype;
	size_t len;
	unsigned status;

	(void)cache_entry_body(r->cached, &len, &status, &ctype, &etag);
	reset_reply(r);
	r->status = status;
	r->content_type = ctype;
	r->resp_len = len;
	r->answered = true;
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm && strcmp(r->route->method, "GET") == 0 && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
		r->not_modified = true;
		r->status = 304;
		r->resp_len = 0;
	}
}

/*
 * The catalog generation, read from the database at most every
 * GENERATION_TTL_MS: this server's own writes reset the clock (so they
 * are seen at once), other processes' writes within that time.
 */
#define GENERATION_TTL_MS 50

static bool current_generation(struct req *r, int64_t *ret)
{
	struct server *srv = r->srv;
	uint64_t now = cv_now_ns(), checked = atomic_load(&srv->gen_checked_ns);

	if (checked && now - checked < (uint64_t)GENERATION_TTL_MS * 1000000) {
		*ret = atomic_load(&srv->generation);
		return true;
	}
	if (store_catalog_generation(r->store, ret) < 0)
		return false;
	atomic_store(&srv->generation, *ret);
	atomic_store(&srv->gen_checked_ns, now);
	return true;
}

/* A cacheable route's answer from the cache, if it is there: true if answered. */
static bool answer_cached(struct req *r)
{
	if (!(r->route->flags & ROUTE_CACHE) || !current_generation(r, &r->generation))
		return false;
	cache_key(r);
	r->cached = resp_cache_get(r->srv->cache, r->cache_key, r->cache_key_len, r->generation);
	if (!r->cached)
		return false;
	r->cache_hit = true;
	answer_from_entry(r);
	return true;
}

/* Runs a cacheable route's handler and keeps its answer (a 200). */
static void answer_and_keep(struct req *r)
{
	r->route->fn(r);
	if (!r->cache_key || !r->answered || r->status != 200)
		return;
	r->cached = resp_cache_put(r->srv->cache, r->cache_key, r->cache_key_len, r->generation, r->status,
				   r->content_type, r->resp, r->resp_len);
	if (r->cached)
		answer_from_entry(r);
}

struct arg_check {
	const char *allowed;
	char bad[64];
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_check *a = cls;

	(void)kind;
	(void)value;
	if (cv_word_in(a->allowed, key))
		return MHD_YES;
	snprintf(a->bad, sizeof(a->bad), "%s", key);
	return MHD_NO;
}

/* A misspelt filter would otherwise silently return everything: refuse
 * query parameters the route does not take. */
static bool known_arguments(struct req *r)
{
	struct arg_check a = { r->route->query ? r->route->query : "", "" };

	if (cv_streq(r->route->query, "*"))
		return true;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &a);
	if (!a.bad[0])
		return true;
	for (char *p = a.bad; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-.", *p))
			*p = '?';
	reply_error(r, 400, "invalid_parameter", "unknown query parameter '%s'%s%s", a.bad,
		    r->route->query ? "; this resource takes: " : "", r->route->query ? r->route->query : "");
	return false;
}

/* Finds the route and checks what needs no database; false if answered. */
static bool route_request(struct req *r)
{
	struct cv_buf allow;
	bool path_found = false;

	r->route_index = -1;
	cv_buf_init(&allow, 256);
	for (size_t i = 0; i < server_n_routes; i++) {
		const struct route *rt = &server_routes[i];

		if (!match(rt->pattern, r->path, r))
			continue;
		path_found = true;
		if (strcmp(rt->method, r->method) != 0 &&
		    !(strcmp(rt->method, "GET") == 0 && strcmp(r->method, "HEAD") == 0)) {
			if (!allow.data || !strstr(allow.data, rt->method))
				(void)!cv_buf_printf(&allow, "%s%s", allow.len ? ", " : "", rt->method);
			for (size_t k = 0; k < r->n_params; k++)
				r->params[k] = cv_free(r->params[k]);
			r->n_params = 0;
			continue;
		}
		r->route = rt;
		r->route_index = (int)i;
		break;
	}
	if (!r->route) {
		if (path_found) {
			r->allow = cv_buf_detach(&allow, NULL);
			reply_error(r, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)", r->method, r->allow);
		} else
			reply_error(r, 404, "not_found", "no such resource");
		cv_buf_release(&allow);
		return false;
	}
	cv_buf_release(&allow);
	if (!known_arguments(r))
		return false;
	if ((r->route->flags & ROUTE_BODY) && r->body.len) {
		const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

		if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
			reply_error(r, 415, "unsupported_media_type", "send the body as application/json");
			return false;
		}
	}
	return true;
}

/* What may block: the token, the handler.  Runs on a worker thread. */
static void finish_request(struct req *r)
{
	if (r->route->flags & (ROUTE_VENDOR | ROUTE_ADMIN | ROUTE_CUSTOMER)) {
		bool ok;

		authenticate(r, r->route->flags, &ok);
		if (!ok)
			return;
	}
	if (r->route->flags & ROUTE_CACHE)
		answer_and_keep(r);
	else
		r->route->fn(r);
	if (!r->answered)
		reply_error(r, 500, "internal", "the handler gave no answer");
	/* A write may have moved the generation: read it afresh next time. */
	if (strcmp(r->route->method, "GET") != 0)
		atomic_store(&r->srv->gen_checked_ns, 0);
}

/* A worker's job: finish the request on the worker's own database
 * connection, then let MHD send the answer. */
static void work(void *arg)
{
	struct req *r = arg;
	char *err = NULL;

	r->store = thread_store(r->srv, &err);
	if (!r->store) {
		reply_error(r, 503, "unavailable", "the database cannot be opened: %s", err ? err : "?");
		free(err);
	} else
		finish_request(r);
	r->store = NULL;
	r->worked = true;
	MHD_resume_connection(r->conn);
}

/* ---- MHD callbacks ---- */

static void release_entry(void *cls)
{
	cache_entry_unref(cls);
}

/* An answer that ends the connection: its framing cannot be trusted. */
static bool closes(unsigned status)
{
	return status == 400 || status == 413 || status == 414 || status == 431 || status == 501;
}

/* Every header of the answer, to fn (MHD's response, or a direct answer). */
static void each_header(struct req *r, void (*fn)(void *cls, const char *name, const char *value), void *cls)
{
	fn(cls, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type ? r->content_type : "text/plain");
	fn(cls, "X-Request-Id", r->request_id);
	fn(cls, "X-Content-Type-Options", "nosniff");
	if (r->cached && strcmp(r->route->method, "GET") == 0) {
		const char *ctype, *etag;
		size_t len;
		unsigned status;

		(void)cache_entry_body(r->cached, &len, &status, &ctype, &etag);
		fn(cls, MHD_HTTP_HEADER_ETAG, etag);
		/* Clients may keep it, asking again with If-None-Match. */
		fn(cls, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	if (r->allow)
		fn(cls, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->location)
		fn(cls, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->www_authenticate)
		fn(cls, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate);
	if (r->etag && !r->cached)
		fn(cls, MHD_HTTP_HEADER_ETAG, r->etag);
	for (const char *const *h = r->headers; h && h[0] && h[1]; h += 2)
		fn(cls, h[0], h[1]);
	if (closes(r->status))
		fn(cls, MHD_HTTP_HEADER_CONNECTION, "close");
}

static void add_to_response(void *cls, const char *name, const char *value)
{
	MHD_add_response_header(cls, name, value);
}

static enum MHD_Result queue(struct req *r)
{
	struct MHD_Response *resp;
	struct cache_entry *sent = NULL;
	enum MHD_Result ret;

	r->queued = true;
	if (r->cached) {
		const char *body, *ctype, *etag;
		size_t len;
		unsigned status;

		body = cache_entry_body(r->cached, &len, &status, &ctype, &etag);
		if (r->not_modified)
			resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		else {
			/* The entry is sent in place; its reference goes with the response. */
			/* MHD takes a non-const buffer but only reads it. */
			resp = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)(uintptr_t)body,
										      release_entry, r->cached);
			if (resp)
				sent = r->cached;
		}
	} else {
		resp = MHD_create_response_from_buffer(r->resp_len, r->resp, MHD_RESPMEM_MUST_FREE);
		if (resp)
			r->resp = NULL; /* MHD frees it */
	}
	if (!resp)
		return MHD_NO;
	each_header(r, add_to_response, resp);
	if (sent)
		r->cached = NULL; /* its reference went with the response */
	ret = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void add_to_buf(void *cls, const char *name, const char *value)
{
	(void)!cv_buf_printf(cls, "%s: %s\r\n", name, value);
}

/* The answer, written to the socket by us: for when MHD cannot send it
 * (guard.c).  The connection closes after it. */
static void answer_directly(struct req *r)
{
	const char *body = r->resp, *ctype, *etag;
	size_t len = r->resp_len;
	unsigned status = r->status;
	struct cv_buf b;

	if (r->cached)
		body = cache_entry_body(r->cached, &len, &status, &ctype, &etag);
	if (r->not_modified)
		len = 0;
	cv_buf_init(&b, SIZE_MAX);
	(void)!cv_buf_printf(&b, "HTTP/1.1 %u %s\r\n", r->status, MHD_get_reason_phrase_for(r->status));
	each_header(r, add_to_buf, &b);
	if (!closes(r->status))
		add_to_buf(&b, MHD_HTTP_HEADER_CONNECTION, "close");
	(void)!cv_buf_printf(&b, "Content-Length: %zu\r\n\r\n", len);
	if (strcmp(r->method, "HEAD") != 0 && len)
		(void)!cv_buf_append(&b, body, len);
	guard_send_direct(r->conn, b.data, b.len);
	cv_buf_release(&b);
	atomic_fetch_add(&r->srv->answered_directly, 1);
}

/*
 * MHD's URI log callback: the request line has arrived, and MHD has not yet
 * parsed its query.  The request starts here (its return value becomes the
 * request's context); a target too long, or with too many parameters, is
 * answered now and the connection closed (guard.c).
 */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct server *srv = cls;
	struct req *r = cv_xcalloc(1, sizeof(*r));
	const char *why = NULL;
	unsigned status;

	r->srv = srv;
	r->conn = conn;
	r->start_ns = cv_now_ns();
	r->route_index = -1;
	snprintf(r->request_id, sizeof(r->request_id), "%016llx",
		 (unsigned long long)atomic_fetch_add(&srv->next_id, 1));
	cv_buf_init(&r->body, srv->max_body);
	atomic_fetch_add(&srv->in_flight, 1);
	/* What the access log shows if MHD answers the request itself (a
	 * head too large, say) and on_request never runs. */
	r->method = cv_xstrdup("-");
	r->path = cv_xstrndup(uri, 256);
	status = guard_check_target(uri, &why);
	if (status) {
		r->target = cv_xstrdup(r->path);
		reply_error(r, status, "uri_too_long", "%s", why);
		r->queued = true;
		answer_directly(r);
		return r;
	}
	r->target = cv_xstrdup(uri);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct req *r = *con_cls;
	char *err = NULL;

	if (!r) /* MHD calls on_request_line first, always */
		return MHD_NO;
	if (r->queued && !r->method_seen)
		return MHD_NO; /* answered from the request line: close */
	if (!r->method_seen) {
		const char *cl, *why = NULL;
		unsigned status;

		r->method_seen = true;
		guard_head_done(conn);
		free(r->method);
		r->method = cv_xstrdup(method);
		/* MHD hands the path decoded and without the query: a '?'
		 * in it was sent as %3F and is part of the path. */
		free(r->path);
		r->path = cv_xstrdup(url);
		status = guard_check_head(conn, version, &why);
		if (status) {
			/* Answered on the first call: MHD then closes the
			 * connection, which is what a smuggling attempt gets. */
			reply_error(r, status, status == 501 ? "not_implemented" : "bad_request", "%s", why);
			return queue(r);
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && cv_parse_u64(cl, 10, &r->content_length) == 0) {
			r->have_content_length = true;
			if (r->content_length > srv->max_body) {
				r->body_too_big = true;
				reply_error(r, 413, "body_too_large", "the body is larger than %zu bytes", srv->max_body);
				return queue(r);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		r->received += *upload_data_size;
		if (!r->body_too_big && cv_buf_append(&r->body, upload_data, *upload_data_size) < 0)
			r->body_too_big = true;
		if (r->body_too_big && r->received > DRAIN_LIMIT)
			return MHD_NO; /* a chunked flood: cut the connection */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->queued)
		return MHD_YES; /* queued on the first call */
	if (r->worked)
		return queue(r); /* resumed: a worker has the answer */
	if (r->body_too_big)
		reply_error(r, 413, "body_too_large", "the body is larger than %zu bytes", srv->max_body);
	else if (route_request(r)) {
		/* A cached answer is sent from this event thread; anything
		 * that may block (SQL, a commit, a cache miss) goes to a
		 * worker while this thread serves other connections. */
		r->store = thread_store(srv, &err);
		if (!r->store) {
			reply_error(r, 503, "unavailable", "the database cannot be opened: %s", err ? err : "?");
			free(err);
		} else if (!answer_cached(r)) {
			r->store = NULL;
			MHD_suspend_connection(conn);
			pool_push(srv->pool, r);
			return MHD_YES;
		}
	}
	return queue(r);
}

#define ACCESS_LOG_BUFFER (32 * 1024)

static void write_log_locked(struct server *srv)
{
	if (srv->log_buf.len) {
		fwrite(srv->log_buf.data, 1, srv->log_buf.len, srv->opt->access_log);
		fflush(srv->opt->access_log);
		cv_buf_reset(&srv->log_buf);
	}
}

/* A JSON string of untrusted bytes: quotes, backslashes, control and
 * non-ASCII bytes escaped (the log is ASCII whatever a client sends). */
static void log_string(struct cv_buf *b, const char *v)
{
	(void)!cv_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			(void)!cv_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			(void)!cv_buf_printf(b, "\\u%04x", *p);
		else
			(void)!cv_buf_append(b, (const char *)p, 1);
	}
	(void)!cv_buf_append(b, "\"", 1);
}

/* One JSON object a line, written by hand: jansson's pack and dump were a
 * sixth of a cached answer's cost. */
static void access_log(struct server *srv, struct req *r, double seconds)
{
	const union MHD_ConnectionInfo *ci;
	char host[INET6_ADDRSTRLEN] = "-", now[32];
	struct cv_buf b;

	if (!srv->opt->access_log)
		return;
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, host, sizeof(host));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, host, sizeof(host));
	}
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	cv_buf_init(&b, SIZE_MAX);
	(void)!cv_buf_printf(&b, "{\"ts\":\"%s\",\"id\":\"%s\",\"remote\":\"%s\",\"method\":", now, r->request_id, host);
	log_string(&b, r->method);
	(void)!cv_buf_puts(&b, ",\"path\":");
	log_string(&b, r->path);
	(void)!cv_buf_printf(&b, ",\"status\":%u,\"bytes\":%zu,\"duration_ms\":%.3f,\"route\":", r->status, r->resp_len,
			     seconds * 1000.0);
	log_string(&b, r->route ? r->route->pattern : "-");
	if (r->cache_key)
		(void)!cv_buf_puts(&b, r->cache_hit ? ",\"cache\":\"hit\"" : ",\"cache\":\"miss\"");
	if (r->auth.token_id) {
		(void)!cv_buf_puts(&b, ",\"token\":");
		log_string(&b, r->auth.token_id);
	}
	(void)!cv_buf_puts(&b, "}\n");
	/* Buffered like nginx's "buffer=": a write(2) per request is a third
	 * of a cheap request's cost.  Only whole lines reach the file, so a
	 * reader never sees half a line; server_run writes the rest each
	 * second and at exit. */
	pthread_mutex_lock(&srv->log_lock);
	if (srv->log_buf.len + b.len > ACCESS_LOG_BUFFER)
		write_log_locked(srv);
	if (cv_buf_append(&srv->log_buf, b.data, b.len) < 0) { /* a line longer than the buffer */
		fwrite(b.data, 1, b.len, srv->opt->access_log);
		fflush(srv->opt->access_log);
	}
	pthread_mutex_unlock(&srv->log_lock);
	cv_buf_release(&b);
}

static void flush_access_log(struct server *srv)
{
	if (!srv->opt->access_log)
		return;
	pthread_mutex_lock(&srv->log_lock);
	write_log_locked(srv);
	pthread_mutex_unlock(&srv->log_lock);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct req *r = *con_cls;
	double seconds;

	if (!r)
		return;
	/* A worker's answer MHD never sent: the client half-closed its side
	 * while the worker ran, and MHD, reading the end of input as it
	 * resumed the connection, closed it.  The request was whole; answer
	 * it before the socket goes. */
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->worked && r->answered && !r->queued) {
		r->queued = true;
		answer_directly(r);
	}
	guard_head_waiting(conn);
	seconds = (double)(cv_now_ns() - r->start_ns) / 1e9;
	if (!r->answered)
		r->status = 499; /* the client went away */
	record(srv, r, seconds);
	access_log(srv, r, seconds);
	atomic_fetch_sub(&srv->in_flight, 1);
	for (size_t i = 0; i < r->n_params; i++)
		free(r->params[i]);
	program_auth_release(&r->auth);
	cv_buf_release(&r->body);
	free(r->method);
	free(r->path);
	free(r->target);
	free(r->resp);
	free(r->allow);
	free(r->location);
	free(r->www_authenticate);
	free(r->etag);
	cache_entry_unref(r->cached);
	free(r->cache_key);
	free(r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct server *srv = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&srv->connections, 1);
		guard_conn_started(srv->guard, conn, socket_context);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		guard_conn_closed(srv->guard, *socket_context);
		*socket_context = NULL;
	}
}

/* ---- listening ---- */

static int listen_on(const char *addr, int *ret_fd, char **ret_host, int *ret_port, char **ret_error)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char *host, port[8], hbuf[INET6_ADDRSTRLEN];
	uint16_t port_num;
	int fd = -1, one = 1, r;

	if (cv_parse_host_port(addr, &host, &port_num) < 0) {
		*ret_error = cv_xasprintf("%s: expected HOST:PORT or [IPV6]:PORT, the port 0 to 65535", addr);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%u", port_num);
	/* An empty host (":8080") is every address. */
	r = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (r != 0) {
		*ret_error = cv_xasprintf("%s: %s", addr, gai_strerror(r));
		free(host);
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = -errno;
		*ret_error = cv_xasprintf("%s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		free(host);
		return r;
	}
	freeaddrinfo(ai);
	getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof(hbuf), NULL, 0, NI_NUMERICHOST);
	*ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	*ret_host = cv_xstrdup(hbuf);
	*ret_fd = fd;
	free(host);
	return 0;
}

int server_run(const struct server_options *o, char **ret_error)
{
	struct server srv = { 0 };
	struct sigaction sa = { 0 }, old_int, old_term;
	struct store *s = NULL;
	char *host = NULL, *err = NULL;
	int fd = -1, port = 0, r;

	if (sign_init() < 0) {
		*ret_error = cv_xstrdup("libsodium did not initialise");
		return -EIO;
	}
	/* Open (and migrate) the database once before serving, so that a
	 * bad database is an error now rather than 503s later. */
	r = o->create ? store_open(o->db, &s, &err) : store_open_existing(o->db, &s, &err);
	if (r == -ENOENT) {
		*ret_error = cv_xasprintf("%s: no such database (--create makes a new one)", o->db);
		free(err);
		return r;
	}
	if (r < 0) {
		*ret_error = cv_xasprintf("%s: %s", o->db, err ? err : strerror(-r));
		free(err);
		return r;
	}
	srv.identity = store_identity(s);
	store_close(s);
	r = listen_on(o->listen, &fd, &host, &port, ret_error);
	if (r < 0) {
		free(srv.identity);
		return r;
	}

	srv.opt = o;
	srv.max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;
	srv.stats = cv_xcalloc(server_n_routes + 1, sizeof(*srv.stats));
	pthread_key_create(&srv.store_key, close_store);
	pthread_mutex_init(&srv.snap_lock, NULL);
	pthread_mutex_init(&srv.log_lock, NULL);
	pthread_mutex_init(&srv.health_lock, NULL);
	cv_buf_init(&srv.log_buf, 4 * ACCESS_LOG_BUFFER);
	srv.cache = resp_cache_new();
	srv.guard = guard_new(o->header_timeout_s ? o->header_timeout_s : DEFAULT_HEADER_TIMEOUT_S);
	atomic_init(&srv.next_id, ((unsigned long long)time(NULL) << 24) ^ (unsigned long long)getpid());

	stop_requested = 0;
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);

	srv.pool = pool_start(WORKER_THREADS, work, ret_error);
	if (!srv.pool) {
		close(fd);
		r = -EAGAIN;
		goto out;
	}
	srv.daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
				      on_request, &srv, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
				      event_threads(),
				      MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv, MHD_OPTION_NOTIFY_CONNECTION,
				      on_connection, &srv, MHD_OPTION_CONNECTION_TIMEOUT,
				      (unsigned int)(o->timeout_s ? o->timeout_s : 30), MHD_OPTION_CONNECTION_LIMIT,
				      (unsigned int)(o->max_connections ? o->max_connections : 1024),
				      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				      MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				      (unsigned int)(o->max_client_connections ? o->max_client_connections
									: DEFAULT_CLIENT_CONNECTIONS),
				      MHD_OPTION_URI_LOG_CALLBACK, on_request_line, &srv, MHD_OPTION_END);
	if (!srv.daemon) {
		*ret_error = cv_xasprintf("%s: the HTTP daemon did not start", o->listen);
		close(fd);
		r = -EIO;
		goto out;
	}
	if (o->ready)
		o->ready(o->userdata, host, port);
	while (!stop_requested) {
		sleep(1); /* a signal cuts it short */
		flush_access_log(&srv);
		guard_reap(srv.guard);
	}

	/* Graceful: stop accepting, let requests in flight finish. */
	MHD_quiesce_daemon(srv.daemon);
	for (int i = 0; i < SHUTDOWN_GRACE_S * 100 && atomic_load(&srv.in_flight) > 0; i++)
		usleep(10000);
	/* Workers finish what they hold (and resume those connections)
	 * before MHD may stop. */
	pool_stop(srv.pool);
	srv.pool = NULL;
	MHD_stop_daemon(srv.daemon);
	close(fd);
	flush_access_log(&srv);
	r = 0;
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (srv.snap)
		snapshot_put(&srv, srv.snap);
	/* The main thread never opened a store; connection threads closed theirs. */
	pthread_key_delete(srv.store_key);
	pthread_mutex_destroy(&srv.snap_lock);
	pthread_mutex_destroy(&srv.log_lock);
	pthread_mutex_destroy(&srv.health_lock);
	free(srv.health_deep_why);
	free(srv.identity);
	cv_buf_release(&srv.log_buf);
	resp_cache_free(srv.cache);
	guard_free(srv.guard);
	free(srv.stats);
	free(host);
	return r;
}
