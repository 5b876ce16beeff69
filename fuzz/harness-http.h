/*
 * harness-http.h - the program server in-process, without a client socket,
 * for the HTTP fuzz targets (fuzz-http.c, fuzz-support-body.c).
 *
 * How: this file defines the libmicrohttpd functions src/server/ calls
 * (http.c, and dispatch.c, request.c, access-log.c, guard.c), and the targets are linked without the real libmicrohttpd (see
 * the Makefile's FUZZ_FAKE_MHD), so server_run() starts, unchanged, on
 * this "daemon": MHD_start_daemon() keeps http.c's access handler and
 * completion callback, and harness_request() then plays a connection the
 * way libmicrohttpd does - the handler with the headers, again with the
 * body, once more with nothing; a suspended connection waits for the
 * worker's resume and is called once more - and collects the queued
 * answer.  Everything after libmicrohttpd's own parsing is the real code:
 * framing checks, routing, query checks, authentication, the cache, the
 * worker pool, the handlers, the store.  libmicrohttpd's parsing of the
 * bytes on the wire is not fuzzed here (it is not this project's code).
 * A libmicrohttpd function the server starts to use that is not defined
 * here is a link error of the targets: add it.
 *
 * The store: a database under a temporary directory (/dev/shm when there
 * is one), seeded once - the seed catalog (data/, from $COVALID_SRCDIR or
 * the current directory), the owner, vendors Microsoft and Red Hat,
 * customer Contoso with their agreements, a user of each role, and one
 * case opened by Contoso with Microsoft, Red Hat asked to collaborate -
 * then copied aside.  After a request that may have written (anything
 * but GET and HEAD) the database is restored from that copy (SQLite's
 * backup API), so every run starts from the same state.  If the catalog
 * changed, the restored catalog generation is moved past every one the
 * server has seen, so neither its snapshot nor its answer cache hands
 * out what the undone write left.
 *
 * "$CASE" and "$COLLAB" in a request's target or body stand for the
 * seeded case's and collaboration request's ids (random per process).
 */
#ifndef FUZZ_HARNESS_HTTP_H
#define FUZZ_HARNESS_HTTP_H

#include <ctype.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "covalid/catalog.h"
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "covalid/program.h"
#include "covalid/server.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "util/cv.h"

#define H_MAX_VALUES 64

/* ---- the fake libmicrohttpd ---- */

struct h_kv {
	enum MHD_ValueKind kind;
	char *key, *value;
};

struct MHD_Connection {
	struct h_kv kv[H_MAX_VALUES];
	size_t n_kv;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool suspended;
	unsigned suspends; /* times suspended: a worker may resume before the handler returns */
	bool queued;
	unsigned status;
	char *body; /* the queued answer's, a copy */
	size_t body_len;
	char *content_type, *location;
	void *socket_context; /* what the connection notification set */
};

struct MHD_Response {
	char *data;
	size_t len;
	enum MHD_ResponseMemoryMode mode;
	MHD_ContentReaderFreeCallback free_cb;
	void *free_cls;
	int refs;
	char *content_type, *location;
};

struct MHD_Daemon {
	MHD_AccessHandlerCallback handler;
	void *handler_cls;
	MHD_RequestCompletedCallback completed;
	void *completed_cls;
	MHD_NotifyConnectionCallback notify;
	void *notify_cls;
	void *(*uri_log)(void *cls, const char *uri, struct MHD_Connection *con);
	void *uri_log_cls;
};

static struct MHD_Daemon h_daemon;
static pthread_mutex_t h_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t h_ready_cond = PTHREAD_COND_INITIALIZER;
static bool h_ready;

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	va_list ap;
	int opt;

	(void)flags;
	(void)port;
	(void)apc;
	(void)apc_cls;
	h_daemon.handler = dh;
	h_daemon.handler_cls = dh_cls;
	va_start(ap, dh_cls);
	while ((opt = va_arg(ap, int)) != MHD_OPTION_END) {
		switch (opt) {
		case MHD_OPTION_NOTIFY_COMPLETED:
			h_daemon.completed = va_arg(ap, MHD_RequestCompletedCallback);
			h_daemon.completed_cls = va_arg(ap, void *);
			break;
		case MHD_OPTION_NOTIFY_CONNECTION:
			h_daemon.notify = va_arg(ap, MHD_NotifyConnectionCallback);
			h_daemon.notify_cls = va_arg(ap, void *);
			break;
		case MHD_OPTION_URI_LOG_CALLBACK:
			h_daemon.uri_log = va_arg(ap, void *(*)(void *, const char *, struct MHD_Connection *));
			h_daemon.uri_log_cls = va_arg(ap, void *);
			break;
		case MHD_OPTION_LISTEN_SOCKET:
			(void)va_arg(ap, MHD_socket);
			break;
		case MHD_OPTION_THREAD_POOL_SIZE:
		case MHD_OPTION_CONNECTION_TIMEOUT:
		case MHD_OPTION_CONNECTION_LIMIT:
		case MHD_OPTION_PER_IP_CONNECTION_LIMIT:
		case MHD_OPTION_LISTEN_BACKLOG_SIZE:
			(void)va_arg(ap, unsigned int);
			break;
		case MHD_OPTION_STRICT_FOR_CLIENT:
			(void)va_arg(ap, int);
			break;
		case MHD_OPTION_CONNECTION_MEMORY_LIMIT:
		case MHD_OPTION_CONNECTION_MEMORY_INCREMENT:
			(void)va_arg(ap, size_t);
			break;
		default:
			/* An option whose arguments this does not know: say so
			 * rather than read the rest wrongly. */
			fprintf(stderr, "harness-http.h: MHD_start_daemon option %d: add it to the harness\n", opt);
			abort();
		}
	}
	va_end(ap);
	return &h_daemon;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	(void)daemon;
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
	(void)daemon;
	return MHD_INVALID_SOCKET;
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	static struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = { .s_addr = 0x0100007f } };
	static union MHD_ConnectionInfo ci = { .client_addr = (struct sockaddr *)&sin };
	/* No socket: answers the server writes past MHD (guard.c) go nowhere. */
	static union MHD_ConnectionInfo no_fd = { .connect_fd = -1 };
	static __thread union MHD_ConnectionInfo ctx;

	switch (info_type) {
	case MHD_CONNECTION_INFO_CLIENT_ADDRESS:
		return &ci;
	case MHD_CONNECTION_INFO_CONNECTION_FD:
		return &no_fd;
	case MHD_CONNECTION_INFO_SOCKET_CONTEXT:
		ctx.socket_context = connection->socket_context;
		return &ctx;
	default:
		return NULL;
	}
}

const char *MHD_get_reason_phrase_for(unsigned int code)
{
	return code < 400 ? "OK" : "Error";
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator,
			      void *iterator_cls)
{
	int n = 0;

	for (size_t i = 0; i < connection->n_kv; i++) {
		if (!(connection->kv[i].kind & kind))
			continue;
		n++;
		if (iterator && iterator(iterator_cls, connection->kv[i].kind, connection->kv[i].key,
					 connection->kv[i].value) != MHD_YES)
			break;
	}
	return n;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	for (size_t i = 0; i < connection->n_kv; i++) {
		const struct h_kv *v = &connection->kv[i];

		if (!(v->kind & kind) || !key)
			continue;
		/* Header names are case-insensitive; argument names are not. */
		if (v->kind == MHD_HEADER_KIND ? strcasecmp(v->key, key) == 0 : strcmp(v->key, key) == 0)
			return v->value;
	}
	return NULL;
}

void MHD_suspend_connection(struct MHD_Connection *connection)
{
	pthread_mutex_lock(&connection->lock);
	connection->suspended = true;
	connection->suspends++;
	pthread_mutex_unlock(&connection->lock);
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
	pthread_mutex_lock(&connection->lock);
	connection->suspended = false;
	pthread_cond_signal(&connection->cond);
	pthread_mutex_unlock(&connection->lock);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	r->data = buffer;
	r->len = size;
	r->mode = mode;
	r->refs = 1;
	if (mode == MHD_RESPMEM_MUST_COPY) {
		r->data = malloc(size ? size : 1);
		if (!r->data)
			abort();
		memcpy(r->data, buffer, size);
	}
	return r;
}

struct MHD_Response *MHD_create_response_from_buffer_with_free_callback_cls(size_t size, void *buffer,
									    MHD_ContentReaderFreeCallback crfc,
									    void *crfc_cls)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(size, buffer, MHD_RESPMEM_PERSISTENT);

	r->free_cb = crfc;
	r->free_cls = crfc_cls;
	return r;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	/* libmicrohttpd refuses header lines that would split the answer. */
	if (!header || !content || strpbrk(header, "\r\n\t :") || strpbrk(content, "\r\n"))
		return MHD_NO;
	if (strcasecmp(header, MHD_HTTP_HEADER_CONTENT_TYPE) == 0) {
		free(response->content_type);
		response->content_type = strdup(content);
	} else if (strcasecmp(header, MHD_HTTP_HEADER_LOCATION) == 0) {
		free(response->location);
		response->location = strdup(content);
	}
	return MHD_YES;
}

static void h_response_unref(struct MHD_Response *r)
{
	if (!r || --r->refs > 0)
		return;
	if (r->mode == MHD_RESPMEM_MUST_FREE || r->mode == MHD_RESPMEM_MUST_COPY)
		free(r->data);
	if (r->free_cb)
		r->free_cb(r->free_cls);
	free(r->content_type);
	free(r->location);
	free(r);
}

void MHD_destroy_response(struct MHD_Response *response)
{
	h_response_unref(response);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	if (!response || connection->queued)
		return MHD_NO;
	if (status_code < 100 || status_code > 999)
		return MHD_NO;
	connection->queued = true;
	connection->status = status_code;
	/* "Sent" at once: the answer is copied, the response let go. */
	connection->body = malloc(response->len + 1);
	if (!connection->body)
		abort();
	memcpy(connection->body, response->data ? response->data : "", response->len);
	connection->body[response->len] = '\0';
	connection->body_len = response->len;
	connection->content_type = response->content_type ? strdup(response->content_type) : NULL;
	connection->location = response->location ? strdup(response->location) : NULL;
	return MHD_YES;
}

/* ---- requests ---- */

/* %XX decoding as libmicrohttpd does it (a bad escape stays as it is);
 * plus: '+' is a space (in query arguments). */
static char *h_unescape(const char *s, size_t len, bool plus)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], '\0' };

			*o++ = (char)strtoul(hex, NULL, 16);
			i += 2;
		} else if (plus && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static void h_add(struct MHD_Connection *c, enum MHD_ValueKind kind, char *key, char *value)
{
	if (c->n_kv == H_MAX_VALUES) {
		free(key);
		free(value);
		return;
	}
	c->kv[c->n_kv++] = (struct h_kv){ kind, key, value };
}

struct h_request {
	const char *method;
	const char *target; /* path?query, as sent */
	const char *const *headers; /* name, value, ..., NULL */
	const char *body;
	size_t body_len;
};

struct h_answer {
	unsigned status;
	char *body;
	size_t body_len;
	char *content_type, *location;
};

static void h_answer_release(struct h_answer *a)
{
	free(a->body);
	free(a->content_type);
	free(a->location);
	memset(a, 0, sizeof(*a));
}

/* One request through the server, as libmicrohttpd would play it. */
static void harness_request(const struct h_request *q, struct h_answer *ret)
{
	struct MHD_Connection *c = calloc(1, sizeof(*c));
	const char *qm = strchr(q->target, '?');
	char *path, *url;
	void *con_cls = NULL, *sock_ctx = NULL;
	enum MHD_RequestTerminationCode toe = MHD_REQUEST_TERMINATED_COMPLETED_OK;
	size_t zero = 0;

	if (!c)
		abort();
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	path = h_unescape(q->target, qm ? (size_t)(qm - q->target) : strlen(q->target), false);
	bool host = false;

	for (const char *const *h = q->headers; h && h[0] && h[1]; h += 2) {
		h_add(c, MHD_HEADER_KIND, strdup(h[0]), strdup(h[1]));
		host |= strcasecmp(h[0], "Host") == 0;
	}
	/* HTTP/1.1 needs one (guard.c), as every client sends. */
	if (!host)
		h_add(c, MHD_HEADER_KIND, strdup("Host"), strdup("fuzz"));
	if (qm) {
		const char *p = qm + 1;

		while (*p) {
			size_t n = strcspn(p, "&");
			const char *eq = memchr(p, '=', n);

			if (n)
				h_add(c, MHD_GET_ARGUMENT_KIND, h_unescape(p, eq ? (size_t)(eq - p) : n, true),
				      eq ? h_unescape(eq + 1, n - (size_t)(eq + 1 - p), true) : NULL);
			p += n;
			if (*p == '&')
				p++;
		}
	}
	url = path;
	if (h_daemon.notify)
		h_daemon.notify(h_daemon.notify_cls, c, &sock_ctx, MHD_CONNECTION_NOTIFY_STARTED);
	c->socket_context = sock_ctx;
	/* The request line, before MHD parses the query. */
	if (h_daemon.uri_log)
		con_cls = h_daemon.uri_log(h_daemon.uri_log_cls, q->target, c);
	/* The headers. */
	if (h_daemon.handler(h_daemon.handler_cls, c, url, q->method, "HTTP/1.1", NULL, &zero, &con_cls) != MHD_YES)
		toe = MHD_REQUEST_TERMINATED_WITH_ERROR;
	/* The body, in two pieces when it has two. */
	for (size_t off = 0; toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !c->queued && off < q->body_len;) {
		size_t piece = off == 0 && q->body_len > 1 ? q->body_len / 2 : q->body_len - off, left = piece;

		if (h_daemon.handler(h_daemon.handler_cls, c, url, q->method, "HTTP/1.1", q->body + off, &left,
				     &con_cls) != MHD_YES)
			toe = MHD_REQUEST_TERMINATED_WITH_ERROR;
		else if (left != 0) {
			fprintf(stderr, "harness-http.h: the handler left %zu body bytes unread\n", left);
			abort();
		}
		off += piece;
	}
	/* The end of the request; again after a resume. */
	while (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !c->queued) {
		unsigned suspends;

		pthread_mutex_lock(&c->lock);
		suspends = c->suspends;
		pthread_mutex_unlock(&c->lock);
		zero = 0;
		if (h_daemon.handler(h_daemon.handler_cls, c, url, q->method, "HTTP/1.1", NULL, &zero, &con_cls) !=
		    MHD_YES) {
			toe = MHD_REQUEST_TERMINATED_WITH_ERROR;
			break;
		}
		pthread_mutex_lock(&c->lock);
		if (c->suspends == suspends && !c->queued) {
			pthread_mutex_unlock(&c->lock);
			fprintf(stderr, "harness-http.h: the handler neither answered nor suspended\n");
			abort();
		}
		while (c->suspended)
			pthread_cond_wait(&c->cond, &c->lock);
		pthread_mutex_unlock(&c->lock);
	}
	if (h_daemon.completed)
		h_daemon.completed(h_daemon.completed_cls, c, &con_cls, toe);
	if (h_daemon.notify)
		h_daemon.notify(h_daemon.notify_cls, c, &sock_ctx, MHD_CONNECTION_NOTIFY_CLOSED);
	ret->status = c->queued ? c->status : 0;
	ret->body = c->body;
	ret->body_len = c->body_len;
	ret->content_type = c->content_type;
	ret->location = c->location;
	for (size_t i = 0; i < c->n_kv; i++) {
		free(c->kv[i].key);
		free(c->kv[i].value);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
	free(path);
}

/*
 * What every answer must be, whatever was asked: a status, and a body
 * that is JSON when it says it is.  A 500 is a bug: the server did not
 * foresee what it was sent.
 */
static void harness_check_answer(const struct h_answer *a, const char *method)
{
	if (a->status == 0)
		return; /* the connection was cut (a flood): allowed */
	if (a->status < 100 || a->status > 599 || a->status == 500) {
		fprintf(stderr, "harness-http.h: %s answered %u: %.*s\n", method, a->status, (int)a->body_len,
			a->body ? a->body : "");
		abort();
	}
	if (a->content_type && strncmp(a->content_type, "application/json", 16) == 0 && a->body_len) {
		json_t *j = json_loadb(a->body, a->body_len, 0, NULL);

		if (!j) {
			fprintf(stderr, "harness-http.h: a JSON answer that is not JSON: %.*s\n", (int)a->body_len,
				a->body);
			abort();
		}
		json_decref(j);
	}
}

/* ---- the server and its store ---- */

static char h_dir[64], h_db[96];
static sqlite3 *h_live, *h_template;
static int64_t h_generation0, h_generation_next;
static char *h_tokens[8]; /* see enum h_actor */
static char *h_case_id, *h_collab_id;
static struct server_options h_opt;

enum h_actor { H_NOBODY, H_OWNER, H_CUSTOMER, H_MS, H_MSMGR, H_RH, H_RHMGR, H_FABRIKAM, H_N_ACTORS };

static void h_fail(const char *what, const char *why)
{
	fprintf(stderr, "harness-http.h: %s: %s\n", what, why ? why : "failed");
	abort();
}

static void h_ready_cb(void *userdata, const char *host, int port)
{
	(void)userdata;
	(void)host;
	(void)port;
	pthread_mutex_lock(&h_ready_lock);
	h_ready = true;
	pthread_cond_signal(&h_ready_cond);
	pthread_mutex_unlock(&h_ready_lock);
}

static void *h_server_thread(void *arg)
{
	char *err = NULL;

	(void)arg;
	if (server_run(&h_opt, &err) < 0)
		h_fail("server_run", err);
	return NULL;
}

static void h_cleanup(void)
{
	char *p;

	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
		p = cv_xasprintf("%s%s", h_db, *s);
		unlink(p);
		free(p);
	}
	rmdir(h_dir);
}

static int64_t h_generation(void)
{
	sqlite3_stmt *st;
	int64_t g = -1;

	if (sqlite3_prepare_v2(h_live, "SELECT value FROM counters WHERE name = 'catalog_generation'", -1, &st, NULL) !=
	    SQLITE_OK)
		h_fail("generation", sqlite3_errmsg(h_live));
	if (sqlite3_step(st) == SQLITE_ROW)
		g = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return g;
}

/* Back to the seeded state (see the top of this file). */
static void harness_restore(void)
{
	int64_t g = h_generation();
	sqlite3_backup *b = sqlite3_backup_init(h_live, "main", h_template, "main");

	if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE)
		h_fail("restore", sqlite3_errmsg(h_live));
	sqlite3_backup_finish(b);
	if (g != h_generation0) {
		char sql[128];

		snprintf(sql, sizeof(sql), "UPDATE counters SET value = %lld WHERE name = 'catalog_generation'",
			 (long long)++h_generation_next);
		if (sqlite3_exec(h_live, sql, NULL, NULL, NULL) != SQLITE_OK)
			h_fail("restore", sqlite3_errmsg(h_live));
	}
}

static const char *h_src(const char *rel)
{
	static char buf[4096];
	const char *src = getenv("COVALID_SRCDIR");

	snprintf(buf, sizeof(buf), "%s/%s", src && *src ? src : ".", rel);
	return buf;
}

/* A set-up request as actor: its answer must be status. */
static void h_setup_request(enum h_actor who, const char *method, const char *target, const char *body,
			    unsigned status, struct h_answer *ret)
{
	char *auth = who ? cv_xasprintf("Bearer %s", h_tokens[who]) : NULL;
	const char *headers[] = { "Content-Type", "application/json", "Authorization", auth, NULL };
	struct h_request q = { method, target, headers, body, body ? strlen(body) : 0 };

	if (!auth)
		headers[2] = NULL;
	harness_request(&q, ret);
	if (ret->status != status) {
		fprintf(stderr, "harness-http.h: set-up %s %s: %u, not %u: %s\n", method, target, ret->status, status,
			ret->body ? ret->body : "");
		abort();
	}
	free(auth);
}

static void harness_init(void)
{
	static const struct {
		enum h_actor who;
		const char *name, *role, *org;
	} users[] = {
		{ H_CUSTOMER, "Carol (Contoso IT)", "customer-admin", "contoso" },
		{ H_FABRIKAM, "Fay (Fabrikam IT)", "customer-admin", "fabrikam" },
		{ H_MS, "Mike (Microsoft)", "vendor-engineer", "microsoft" },
		{ H_MSMGR, "Mona (Microsoft)", "vendor-manager", "microsoft" },
		{ H_RH, "Rita (Red Hat)", "vendor-engineer", "red-hat" },
		{ H_RHMGR, "Ron (Red Hat)", "vendor-manager", "red-hat" },
	};
	struct program_error e = { 0 };
	struct probe_options po = { 0 };
	struct descriptor *d = NULL;
	struct store *s = NULL;
	struct h_answer a = { 0 };
	char *err = NULL, *id = NULL, *tid = NULL, *ds, *body;
	const char *shm = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	pthread_t t;
	json_t *j;
	FILE *f;

	snprintf(h_dir, sizeof(h_dir), "%s/covalid-fuzz-XXXXXX", shm);
	if (!mkdtemp(h_dir))
		h_fail("mkdtemp", h_dir);
	snprintf(h_db, sizeof(h_db), "%s/program.db", h_dir);
	atexit(h_cleanup);

	/* The catalog, the owner, vendors, customers, agreements, users. */
	if (store_open(h_db, &s, &err) < 0)
		h_fail(h_db, err);
	for (const char *const *p = (const char *const[]){ "data/products.jsonl", "data/validated-configs.jsonl", NULL };
	     *p; p++) {
		f = fopen(h_src(*p), "r");
		if (!f || catalog_import(s, f, NULL, &err) < 0)
			h_fail(h_src(*p), err ? err : "cannot open (set COVALID_SRCDIR)");
		fclose(f);
	}
	/* Each call owns its transaction (docs/ARCHITECTURE.md): none is
	 * held around them (the store's writer lock is not recursive). */
	if (program_vendor_admit(s, "Microsoft", NULL, &id, &e) < 0 ||
	    (free(id), program_vendor_admit(s, "Red Hat", NULL, &id, &e)) < 0 ||
	    program_token_issue(s, NULL, "owner", &h_tokens[H_OWNER], &tid, &e) < 0 ||
	    support_customer_add(s, "Contoso", "contoso", (free(id), &id), &e) < 0 ||
	    support_customer_add(s, "Fabrikam", "fabrikam", (free(id), &id), &e) < 0)
		h_fail("set-up", e.message);
	free(id);
	free(tid);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		if (program_user_add(s, users[i].name, users[i].role, users[i].org, &h_tokens[users[i].who], &tid, &e) < 0)
			h_fail(users[i].name, e.message);
		free(tid);
	}
	for (const char *const *p = (const char *const[]){
		     "{\"id\": \"contoso-rhel-sub\", \"customer\": \"contoso\", \"vendor\": \"red-hat\", \"kind\": "
		     "\"subscription\", \"level\": \"premium\", \"valid_from\": \"2009-01-01\", \"valid_to\": \"2030-12-31\", "
		     "\"covers\": [{\"guest\": \"rhel\", \"versions\": [\"5.2\", \"5.3\"]}]}",
		     "{\"id\": \"contoso-ms-percall\", \"customer\": \"contoso\", \"vendor\": \"microsoft\", \"kind\": "
		     "\"per-call\", \"valid_from\": \"2009-01-01\", \"valid_to\": \"2030-12-31\"}",
		     NULL };
	     *p; p++) {
		j = json_loads(*p, 0, NULL);
		if (!j || support_agreement_add(s, j, &id, &e) < 0)
			h_fail("agreement", e.message);
		json_decref(j);
		free(id);
	}
	store_close(s);

	/* The server, on this file's libmicrohttpd. */
	h_opt.listen = "127.0.0.1:0";
	h_opt.db = h_db;
	h_opt.web = h_src("web");
	h_opt.access_log = fopen("/dev/null", "w"); /* every field of the log line is formatted */
	h_opt.ready = h_ready_cb;
	if (pthread_create(&t, NULL, h_server_thread, NULL) != 0)
		h_fail("pthread_create", NULL);
	pthread_detach(t);
	pthread_mutex_lock(&h_ready_lock);
	while (!h_ready)
		pthread_cond_wait(&h_ready_cond, &h_ready_lock);
	pthread_mutex_unlock(&h_ready_lock);

	/* A case: Contoso with Microsoft on a validated RHEL 5.3 guest of
	 * Hyper-V 2008; Microsoft asks Red Hat to collaborate. */
	po.root = h_src("tests/fixtures/hyperv2008-rhel53/root");
	if (probe_run(&po, &d) < 0)
		h_fail(po.root, "probe");
	ds = descriptor_to_json(d, false);
	body = cv_xasprintf("{\"vendor\": \"microsoft\", \"severity\": 2, \"title\": \"RHEL 5.3 guest hangs\", "
			    "\"description\": \"the guest hangs at boot\", \"descriptor\": %s}",
			    ds);
	h_setup_request(H_CUSTOMER, "POST", "/api/v1/cases", body, 201, &a);
	j = json_loadb(a.body, a.body_len, 0, NULL);
	h_case_id = cv_xstrdup(json_string_value(json_object_get(j, "id")));
	json_decref(j);
	h_answer_release(&a);
	free(body);
	body = cv_xasprintf("/api/v1/cases/%s/engage", h_case_id);
	h_setup_request(H_MS, "POST", body, "{\"vendor\": \"red-hat\", \"reason\": \"the guest kernel\"}", 200, &a);
	j = json_loadb(a.body, a.body_len, 0, NULL);
	h_collab_id = cv_xstrdup(
		json_string_value(json_object_get(json_array_get(json_object_get(j, "collaborations"), 0), "id")));
	if (!h_collab_id || !*h_collab_id)
		h_fail("engage", a.body);
	json_decref(j);
	h_answer_release(&a);
	free(body);
	free(ds);
	descriptor_free(d);

	/* The copy every run starts from. */
	if (sqlite3_open_v2(h_db, &h_live, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_open(":memory:", &h_template) != SQLITE_OK)
		h_fail("sqlite3_open", NULL);
	sqlite3_busy_timeout(h_live, 5000);
	{
		sqlite3_backup *b = sqlite3_backup_init(h_template, "main", h_live, "main");

		if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE)
			h_fail("template", sqlite3_errmsg(h_template));
		sqlite3_backup_finish(b);
	}
	h_generation0 = h_generation();
	h_generation_next = h_generation0 + 1000000;
}

/* "$CASE" and "$COLLAB" replaced by the seeded ids; a new string. */
static char *harness_expand(const char *s, size_t len, size_t *ret_len)
{
	struct cv_buf b;
	size_t n;

	cv_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < len;) {
		if (len - i >= 5 && memcmp(s + i, "$CASE", 5) == 0) {
			(void)!cv_buf_puts(&b, h_case_id);
			i += 5;
		} else if (len - i >= 7 && memcmp(s + i, "$COLLAB", 7) == 0) {
			(void)!cv_buf_puts(&b, h_collab_id);
			i += 7;
		} else {
			(void)!cv_buf_append(&b, s + i, 1);
			i++;
		}
	}
	if (!b.data)
		(void)!cv_buf_append(&b, "", 0);
	return cv_buf_detach(&b, ret_len ? ret_len : &n);
}

#endif
