/*
 * http.c - covalid's HTTP server on libmicrohttpd (docs/server.md): the
 * daemon and its callbacks, threads and each one's database connection,
 * listening, shutdown.  A whole request is handed to dispatch.c.  The rest
 * of the layer shares struct server (http-internal.h): request.c (what
 * handlers use), snapshot.c, metrics.c, access-log.c; and guard.c,
 * cache.c, pool.c behind their own functions.
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
 * TLS (--tls-cert, --tls-key): MHD's GnuTLS, with the certificate handed
 * over at each handshake by tls.c, so that SIGHUP can swap it without
 * closing the listening socket or any connection (tls.c says why not a
 * new daemon).  Kept-alive connections work as over plain HTTP.
 *
 * Shutdown: SIGTERM or SIGINT stops accepting (MHD_quiesce_daemon), waits
 * until requests in flight are answered (at most 10 s), then stops.  Every
 * write is in a transaction (with others': group commit, writer.c) and is
 * answered only once that committed, so nothing is half-written either way.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "covalid/monitor.h"
#include "covalid/sign.h"
#include "covalid/store.h"
#include "server/http-internal.h"
#include "server/tls.h"
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

/* TLS 1.2 and 1.3 only: RFC 8996 deprecates 1.0 and 1.1. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static volatile sig_atomic_t stop_requested, reload_requested;

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

static void on_reload_signal(int sig)
{
	(void)sig;
	reload_requested = 1;
}

/* Served all the same (clients refuse it; the operator may be renewing
 * it now), but said: at start, and at each reload. */
static void warn_if_expired(struct tls *t)
{
	int64_t end = tls_not_after_s(t);

	if (end >= 0 && end <= (int64_t)time(NULL))
		fprintf(stderr, "covalid serve: warning: the certificate in %s expired at %s\n", tls_cert_path(t),
			tls_not_after(t));
}

/* SIGHUP, on the main thread: the certificate and key read again.  A
 * bad file keeps the ones in service; either way stderr says what. */
static void reload(struct server *srv)
{
	char *err = NULL;

	if (!srv->tls) {
		fprintf(stderr, "covalid serve: SIGHUP: nothing to reload (no --tls-cert)\n");
		return;
	}
	if (tls_reload(srv->tls, &err) < 0) {
		fprintf(stderr, "covalid serve: SIGHUP: keeping the certificate in service: %s\n", err);
		free(err);
		return;
	}
	fprintf(stderr, "covalid serve: SIGHUP: serving the certificate in %s now (valid until %s)\n",
		tls_cert_path(srv->tls), tls_not_after(srv->tls));
	warn_if_expired(srv->tls);
}

/* ---- per-thread store ---- */

static void close_store(void *p)
{
	store_close(p);
}

void server_thread_name(const char *name)
{
	pthread_setname_np(pthread_self(), name);
}

struct store *server_thread_store(struct server *srv, char **ret_err)
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
	/* The checkpoint thread folds the log back (checkpointer.c), not a
	 * commit a request waits for.  Should this fail, the connection
	 * checkpoints as SQLite does by default: slower, not wrong. */
	(void)!store_defer_checkpoints(s);
	pthread_setspecific(srv->store_key, s);
	return s;
}

/* ---- store health ---- */

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
	else if (dispatch_route(r)) {
		/* A cached answer is sent from this event thread, and so is
		 * a small /check's miss when nothing can block (dispatch.c,
		 * dispatch_answer_inline); anything that may block (SQL, a
		 * commit, another cache miss) goes to a worker while this
		 * thread serves other connections. */
		r->store = server_thread_store(srv, &err);
		if (!r->store) {
			reply_error(r, 503, "unavailable", "the database cannot be opened: %s", err ? err : "?");
			free(err);
		} else if (!dispatch_answer_cached(r) && !dispatch_answer_inline(r)) {
			r->store = NULL;
			MHD_suspend_connection(conn);
			writer_push(srv, r);
			return MHD_YES;
		}
	}
	return queue(r);
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
	metrics_record(srv, r, seconds);
	access_log_write(srv, r, seconds);
	atomic_fetch_sub(&srv->in_flight, 1);
	for (size_t i = 0; i < r->n_params; i++)
		free(r->params[i]);
	program_auth_release(&r->auth);
	if (r->agent)
		monitor_agent_release(r->agent);
	free(r->agent);
	idem_free(r->idem);
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

/*
 * The daemon's options but TLS's, in one place for both calls below (MHD
 * takes its options as variable arguments, and TLS adds two).
 *
 * A connection's memory pool holds its request line and headers (and
 * MHD's read and write buffers): CONNECTION_POOL bounds the headers, as
 * nginx's default large_client_header_buffers (4 x 8k) does.  Not more:
 * MHD 0.9.75 zeroes the whole pool for every request of a kept-alive
 * connection (MHD_pool_reset), and at 64 KiB that memset, and the caches
 * it flushed, cost a cached /check a third of its rate (bench/api.sh).
 */
#define CONNECTION_POOL (32 * 1024)

#define DAEMON_OPTIONS(srv, o, fd)                                                                             \
	MHD_OPTION_LISTEN_SOCKET, (fd), MHD_OPTION_THREAD_POOL_SIZE, event_threads(), MHD_OPTION_NOTIFY_COMPLETED, \
		on_completed, (srv), MHD_OPTION_NOTIFY_CONNECTION, on_connection, (srv),                          \
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)((o)->timeout_s ? (o)->timeout_s : 30),               \
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)((o)->max_connections ? (o)->max_connections : 1024),   \
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_POOL, MHD_OPTION_PER_IP_CONNECTION_LIMIT,               \
		(unsigned int)((o)->max_client_connections ? (o)->max_client_connections                          \
							   : DEFAULT_CLIENT_CONNECTIONS),                         \
		MHD_OPTION_URI_LOG_CALLBACK, on_request_line, (srv)

static struct MHD_Daemon *start_daemon(struct server *srv, int fd)
{
	const struct server_options *o = srv->opt;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;

	if (!srv->tls)
		return MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, DAEMON_OPTIONS(srv, o, fd), MHD_OPTION_END);
	return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, srv, DAEMON_OPTIONS(srv, o, fd),
				MHD_OPTION_HTTPS_CERT_CALLBACK, tls_retrieve, MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
				MHD_OPTION_END);
}

int server_run(const struct server_options *o, char **ret_error)
{
	struct server srv = { 0 };
	struct sigaction sa = { 0 }, hup = { 0 }, old_int, old_term, old_hup;
	sigset_t ours, old_mask;
	struct store *s = NULL;
	char *host = NULL, *err = NULL;
	int fd = -1, port = 0, r;

	if (sign_init() < 0) {
		*ret_error = cv_xstrdup("libsodium did not initialise");
		return -EIO;
	}
	/* The certificate first: a bad file is the quickest error to report. */
	if (!o->tls_cert != !o->tls_key) {
		*ret_error = cv_xstrdup("--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (o->tls_cert) {
		r = tls_new(o->tls_cert, o->tls_key, &srv.tls, ret_error);
		if (r < 0)
			return r;
	}
	/* Open (and migrate) the database once before serving, so that a
	 * bad database is an error now rather than 503s later. */
	r = o->create ? store_open(o->db, &s, &err) : store_open_existing(o->db, &s, &err);
	if (r == -ENOENT) {
		*ret_error = cv_xasprintf("%s: no such database (--create makes a new one)", o->db);
		free(err);
		tls_free(srv.tls);
		return r;
	}
	if (r < 0) {
		*ret_error = cv_xasprintf("%s: %s", o->db, err ? err : strerror(-r));
		free(err);
		tls_free(srv.tls);
		return r;
	}
	srv.identity = store_identity(s);
	store_close(s);
	r = listen_on(o->listen, &fd, &host, &port, ret_error);
	if (r < 0) {
		free(srv.identity);
		tls_free(srv.tls);
		return r;
	}

	srv.opt = o;
	srv.max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;
	srv.stats = metrics_stats_new();
	pthread_key_create(&srv.store_key, close_store);
	snapshot_init(&srv);
	pthread_mutex_init(&srv.health_lock, NULL);
	access_log_init(&srv);
	srv.cache = resp_cache_new();
	randombytes_buf(srv.cache_secret, sizeof(srv.cache_secret));
	srv.guard = guard_new(o->header_timeout_s ? o->header_timeout_s : DEFAULT_HEADER_TIMEOUT_S);
	srv.gauges = gauges_new(GAUGES_MAX_AGE_NS);
	srv.token_uses = token_uses_new();
	atomic_init(&srv.next_id, ((unsigned long long)time(NULL) << 24) ^ (unsigned long long)getpid());

	stop_requested = 0;
	reload_requested = 0;
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	hup.sa_handler = on_reload_signal;
	sigaction(SIGHUP, &hup, &old_hup);
	tls_activate(srv.tls);
	signal(SIGPIPE, SIG_IGN);

	/* Only the main thread takes SIGHUP, SIGINT and SIGTERM: every
	 * thread started from here inherits them blocked, so a reload or a
	 * stop never interrupts a worker's system call (EINTR) or lands on
	 * a thread that would not look at the flag. */
	sigemptyset(&ours);
	sigaddset(&ours, SIGHUP);
	sigaddset(&ours, SIGINT);
	sigaddset(&ours, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ours, &old_mask);
	srv.pool = pool_start(WORKER_THREADS, "covalid-work", dispatch_work, ret_error);
	if (srv.pool)
		srv.writer = writer_start(&srv, ret_error);
	if (!srv.writer) {
		close(fd);
		r = -EAGAIN;
		goto out;
	}
	srv.daemon = start_daemon(&srv, fd);
	if (!srv.daemon) {
		*ret_error = cv_xasprintf("%s: the HTTP daemon did not start%s", o->listen,
					  srv.tls ? " (is libmicrohttpd built with GnuTLS?)" : "");
		close(fd);
		r = -EIO;
		goto out;
	}
	srv.sweeper = sweeper_start(&srv, ret_error);
	if (!srv.sweeper) {
		MHD_stop_daemon(srv.daemon);
		pool_stop(srv.pool);
		srv.pool = NULL;
		close(fd);
		r = -EIO;
		goto out;
	}
	srv.deliverer = deliverer_start(&srv, ret_error);
	if (!srv.deliverer) {
		MHD_quiesce_daemon(srv.daemon);
		pool_stop(srv.pool);
		srv.pool = NULL;
		sweeper_stop(srv.sweeper);
		srv.sweeper = NULL;
		MHD_stop_daemon(srv.daemon);
		close(fd);
		r = -EAGAIN;
		goto out;
	}
	if (srv.tls)
		warn_if_expired(srv.tls);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL); /* signals pending meanwhile arrive now */
	if (o->ready)
		o->ready(o->userdata, host, port);
	while (!stop_requested) {
		sleep(1); /* a signal cuts it short */
		if (reload_requested) {
			reload_requested = 0;
			reload(&srv);
		}
		access_log_flush(&srv);
		guard_reap(srv.guard);
	}

	/* Graceful: stop accepting, let requests in flight finish. */
	MHD_quiesce_daemon(srv.daemon);
	for (int i = 0; i < SHUTDOWN_GRACE_S * 100 && atomic_load(&srv.in_flight) > 0; i++)
		usleep(10000);
	sweeper_stop(srv.sweeper);
	srv.sweeper = NULL;
	/* Workers finish what they hold (and resume those connections)
	 * before MHD may stop. */
	pool_stop(srv.pool);
	srv.pool = NULL;
	deliverer_stop(srv.deliverer);
	srv.deliverer = NULL;
	writer_stop(srv.writer);
	srv.writer = NULL;
	MHD_stop_daemon(srv.daemon);
	close(fd);
	access_log_flush(&srv);
	r = 0;
out:
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	pool_stop(srv.pool); /* both NULL once stopped above */
	writer_stop(srv.writer);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	/* The daemon has stopped: no handshake asks for the certificate now. */
	tls_free(srv.tls);
	snapshot_release(&srv);
	/* The main thread never opened a store; connection threads closed theirs. */
	pthread_key_delete(srv.store_key);
	pthread_mutex_destroy(&srv.health_lock);
	free(srv.health_deep_why);
	free(srv.identity);
	access_log_release(&srv);
	resp_cache_free(srv.cache);
	guard_free(srv.guard);
	gauges_free(srv.gauges);
	token_uses_free(srv.token_uses);
	free(srv.stats);
	free(host);
	return r;
}
