/*
 * dispatch.c - from a whole request to its answer: the route (405 with
 * Allow, 404), the query parameters it takes, the body's media type, the
 * answer cache (cache.c) for cacheable routes, and, on a worker (pool.c),
 * the token and the handler.
 *
 * What needs no database runs on the event thread (dispatch_route,
 * dispatch_answer_cached); whatever may block runs on a worker
 * (dispatch_work), which resumes the connection when the answer is ready.
 */
#include <ctype.h>
#include <microhttpd.h>

#include "covalid/catalog.h"
#include "covalid/monitor.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "util/cv.h"

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
	/* At most one write a minute per token (token-use.c). */
	token_uses_note(r->srv->token_uses, r->store, r->auth.token_id);
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

/* A machine's agent credential, checked against the machines it was issued to. */
static void authenticate_agent(struct req *r, bool *ret_ok)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct program_error e = { 0 };

	*ret_ok = false;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		reply_error(r, 401, "unauthorized", "this needs the machine's agent credential (Authorization: Bearer cv_...)");
		return;
	}
	r->agent = cv_xcalloc(1, sizeof(*r->agent));
	if (monitor_agent_authenticate(r->store, h + 7, r->agent, &e) < 0) {
		reply_program_error(r, &e);
		return;
	}
	*ret_ok = true;
}

/* ---- cached answers ---- */

/*
 * The cache key: the route's method, the request target exactly as it
 * was sent (path and query, still percent-encoded), and the body, kept
 * and compared whole (cache.c).  The raw target is unambiguous where
 * decoded parameters joined with '&' and '=' were not
 * ("?guest=rhel%26hypervisor%3Dx" once shared the entry of
 * "?guest=rhel&hypervisor=x").  HEAD shares GET's entries.
 *
 * Why whole, where this was a keyed digest (SipHash-2-4-128, and BLAKE2b
 * before it): a cached hit hashed its whole body with a PRF -- 3 us of a
 * hit's 14 for a 7 kB descriptor, a sixth of its server CPU -- only so
 * that two requests could not be made to share a digest, and so an
 * answer.  Compared whole, no two requests share an answer whatever the
 * hash, which then only picks a slot (a few hundred nanoseconds); the
 * body, already read into memory, is compared with memcmp() on a hit and
 * copied once when an answer is kept (its size counts against the
 * cache's bound).  A body over CACHE_KEY_WHOLE_MAX is still a keyed
 * digest (cache.c): the cache holds answers, not megabytes of bodies.
 */
static void cache_key(struct req *r)
{
	cache_key_init(&r->cache_key, r->srv->cache_secret, r->route->method, r->target, r->body.data, r->body.len);
	r->has_cache_key = true;
}

/* Fills the answer from a cache entry (r->cached), or 304 for a matching If-None-Match. */
static void answer_from_entry(struct req *r)
{
	const char *inm, *etag, *ctype;
	size_t len;
	unsigned status;

	(void)cache_entry_body(r->cached, &len, &status, &ctype, &etag);
	req_reset_reply(r);
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

bool dispatch_answer_cached(struct req *r)
{
	if (!(r->route->flags & ROUTE_CACHE) || !current_generation(r, &r->generation))
		return false;
	cache_key(r);
	r->cached = resp_cache_get(r->srv->cache, &r->cache_key, r->generation);
	if (!r->cached)
		return false;
	r->cache_hit = true;
	answer_from_entry(r);
	return true;
}

/*
 * What a configuration list depends on: the configurations its filters
 * may select (cache.c).  Statuses as api-public.c reads them (repeated
 * and comma-separated); one it cannot read leaves ALL (the handler
 * answers 400, which is not kept anyway).
 */
static void list_dependency(struct req *r)
{
	const char *v[GUARD_MAX_PARAMS];
	size_t n = req_arg_all(r, "status", v, CV_ELEMENTSOF(v));
	unsigned set = 0;

	for (size_t i = 0; i < n; i++)
		for (const char *p = v[i]; *p;) {
			size_t len = strcspn(p, ",");
			char *one = cv_xstrndup(p, len);
			enum catalog_status st;
			int rc = catalog_status_parse(one, &st);

			free(one);
			if (rc < 0)
				return;
			set |= 1u << st;
			p += len;
			p += *p == ',';
		}
	cache_dep_list(&r->cache_dep, req_arg(r, "guest"), req_arg(r, "hypervisor"), set);
}

/*
 * A cacheable route's miss, in three parts that the worker
 * (answer_and_keep) and the event thread (dispatch_answer_inline) share:
 *
 * catch_up: the snapshot, caught up with the catalog, tells the cache
 * what changed since its answers were computed, so that one a write did
 * not touch is found now (the event thread's first lookup could not
 * know); a snapshot newer than the request's generation moves it up.
 * answer_hit: the lookup again found it.
 * compute_and_keep: the handler runs and its answer (a 200) is kept,
 * stamped with the generation read before it was computed: never newer
 * than its data.
 */
static void catch_up(struct req *r, const struct snapshot *snap)
{
	if (snap && snap->generation > r->generation)
		r->generation = snap->generation;
}

static void answer_hit(struct req *r, struct cache_entry *e)
{
	r->cached = e;
	r->cache_hit = true;
	answer_from_entry(r);
}

/* claimed: the key is this request's to compute (single flight), released after. */
static void compute_and_keep(struct req *r, bool claimed)
{
	bool get = strcmp(r->route->method, "GET") == 0;

	if (r->route->fn == api_configurations)
		list_dependency(r);
	r->route->fn(r);
	/* A GET's answers are few (the targets of the catalog's pages) and
	 * carry an ETag from their entry (only GET answers send one: http.c,
	 * each_header): kept at once.  A POST's (a /check) when admitted
	 * (cache.c, "Admission"). */
	if (r->answered && r->status == 200 && (get || resp_cache_admit(r->srv->cache, &r->cache_key))) {
		r->cached = resp_cache_put(r->srv->cache, &r->cache_key, r->generation, &r->cache_dep, get, r->status,
					   r->content_type, &r->resp, r->resp_len);
		if (r->cached)
			answer_from_entry(r);
	}
	if (claimed)
		resp_cache_release(r->srv->cache, &r->cache_key);
}

/* On a worker: the lookup waits if another thread is computing the same
 * answer (single flight). */
static void answer_and_keep(struct req *r)
{
	struct snapshot *snap;
	struct cache_entry *e;
	bool claimed = false;

	if (!r->has_cache_key) { /* the generation could not be read: not kept */
		r->route->fn(r);
		return;
	}
	snap = snapshot_if_loaded(r->srv, r->store, r->generation);
	catch_up(r, snap);
	snapshot_put(r->srv, snap);
	e = resp_cache_wait(r->srv->cache, &r->cache_key, r->generation, &claimed);
	if (e)
		answer_hit(r, e);
	else
		compute_and_keep(r, claimed);
}

/*
 * Bodies up to this are answered on the event thread: a /check of a
 * descriptor this size takes well under a millisecond of CPU there.
 * Larger ones go to a worker, so that one large body does not hold up
 * the other connections of its event thread.
 */
#define INLINE_MAX_BODY (64 * 1024)

/*
 * Handing a miss to a worker (a queue, a condition variable, MHD's
 * suspend and resume, two thread switches) cost about a third of an
 * uncached /check's server CPU.  Answered here instead, when nothing can
 * block: the snapshot at the request's generation is loaded already (so
 * no build, no SQL: snapshot_try), and no other thread is computing the
 * same key (resp_cache_try never waits).  Otherwise the worker's path,
 * as before.  The locks taken (the snapshot's reference, the cache slot,
 * the cache's step log) are held for a few instructions by every holder.
 */
bool dispatch_answer_inline(struct req *r)
{
	struct snapshot *snap;
	struct cache_entry *e;
	bool claimed, busy;

	if (!(r->route->flags & ROUTE_INLINE) || !r->has_cache_key || r->body.len > INLINE_MAX_BODY)
		return false;
	snap = snapshot_try(r->srv, r->generation);
	if (!snap)
		return false;
	catch_up(r, snap);
	/* The handler takes its own reference (snapshot_get): the newest,
	 * at r->generation or newer, without building one. */
	snapshot_put(r->srv, snap);
	e = resp_cache_try(r->srv->cache, &r->cache_key, r->generation, &claimed, &busy);
	if (busy)
		return false;
	if (e)
		answer_hit(r, e);
	else
		compute_and_keep(r, claimed);
	atomic_fetch_add(&r->srv->answered_inline, 1);
	return true;
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

bool dispatch_route(struct req *r)
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
	if (r->route->flags & ROUTE_AGENT) {
		bool ok;

		authenticate_agent(r, &ok);
		if (!ok)
			return;
	}
	if (r->route->flags & ROUTE_CACHE)
		answer_and_keep(r);
	else if (idem_begin(r))
		r->route->fn(r);
}

void dispatch_done(struct req *r)
{
	if (!r->answered)
		reply_error(r, 500, "internal", "the handler gave no answer");
	/* A write made with an Idempotency-Key: its answer, for a repeat. */
	idem_keep(r);
	/* A write may have moved the generation: read it afresh next time.
	 * Not after a route that never writes the catalog: an agent's
	 * (machines never change it) or a cached one (a POST /check reads),
	 * or under a stream of them every check would read it from the
	 * database. */
	if (strcmp(r->route->method, "GET") != 0 && !(r->route->flags & (ROUTE_AGENT | ROUTE_CACHE))) {
		/* Catch the snapshot up now, while this worker has a store:
		 * it tells the cache what the write changed, so the reads
		 * after it find what it did not touch on the event thread
		 * (a few hundred microseconds when it changed a row or two;
		 * a generation read when it wrote no catalog row; nothing
		 * before any read asked for a snapshot). */
		if (r->store)
			snapshot_put(r->srv, snapshot_if_loaded(r->srv, r->store, -1));
		atomic_store(&r->srv->gen_checked_ns, 0);
	}
	r->store = NULL;
	r->worked = true;
	if (r->conn) /* none: a request made by a unit test (test-writer) */
		MHD_resume_connection(r->conn);
}

/* On the worker's own database connection. */
void dispatch_work(void *arg)
{
	struct req *r = arg;
	char *err = NULL;

	r->store = server_thread_store(r->srv, &err);
	if (!r->store) {
		reply_error(r, 503, "unavailable", "the database cannot be opened: %s", err ? err : "?");
		free(err);
	} else {
		finish_request(r);
		/* Handed to the writer (server_write_async): r is the
		 * writer's now, and may be answered and gone already. */
		if (writer_took_request())
			return;
	}
	dispatch_done(r);
}
