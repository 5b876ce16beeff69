/*
 * guard.c - what a hostile client meets before any handler runs
 * (docs/server.md, "Requests and limits").
 *
 * libmicrohttpd (Debian's 0.9.75) parses requests leniently in places
 * where leniency is a smuggling or exhaustion vector, and it has no limit
 * on how long a request head may take to arrive.  This file holds the
 * checks and the one mechanism MHD lacks:
 *
 *  - the request target: its length and its number of query parameters,
 *    checked on the raw request line (MHD's URI log callback), before MHD
 *    parses the parameters: at about a thousand parameters MHD's parser
 *    exhausts the connection's memory pool and the connection hangs;
 *  - the head's framing: header names must be tokens (RFC 9110 §5.1), so
 *    "Content-Length : 5" is refused rather than read as some other
 *    header while the body runs on as a second request (RFC 9112 §5.1);
 *    Transfer-Encoding other than chunked is not implemented (501,
 *    RFC 9112 §6.1); one Content-Length, digits only; one Host, and
 *    one there must be in HTTP/1.1 (RFC 9112 §3.2);
 *  - the head deadline: a request head (from the connection's start, or
 *    from the end of the previous answer on a kept-alive connection) must
 *    arrive whole within --header-timeout.  MHD's own timeout restarts at
 *    every byte, so a client sending one byte every few seconds held its
 *    connection for ever (slowloris); here the main thread looks once a
 *    second and shuts such a connection's socket, which MHD then closes;
 *  - answers written straight to the socket (through the connection's TLS
 *    session on HTTPS: tls.c), for the two cases where MHD
 *    cannot send one: a request line refused before MHD has parsed it,
 *    and an answer a worker computed for a client that half-closed its
 *    side meanwhile (MHD reads the end of input on resuming and drops the
 *    connection with the answer unsent).
 *
 * Connections are tracked in a list under one mutex; MHD tells us of each
 * one's start and end (MHD_OPTION_NOTIFY_CONNECTION), and closes its
 * socket only after the end is told, so the reaper never touches a
 * socket that is gone.
 */
#include <ctype.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "server/server-internal.h"
#include "server/tls.h"
#include "util/cv.h"

struct conn_state {
	struct conn_state *prev, *next;
	int fd;
	atomic_bool in_head;       /* waiting for (the rest of) a request head */
	atomic_ullong since_ns;    /* since when */
	bool shut;                 /* the reaper shut it already */
};

struct guard {
	pthread_mutex_t lock;
	struct conn_state head; /* list sentinel */
	uint64_t deadline_ns;
	atomic_ulong reaped;
};

struct guard *guard_new(unsigned header_timeout_s)
{
	struct guard *g = cv_xcalloc(1, sizeof(*g));

	pthread_mutex_init(&g->lock, NULL);
	g->head.next = g->head.prev = &g->head;
	g->deadline_ns = (uint64_t)header_timeout_s * 1000000000ull;
	return g;
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	/* MHD has told the end of every connection by now; free any left. */
	while (g->head.next != &g->head) {
		struct conn_state *c = g->head.next;

		c->next->prev = c->prev;
		c->prev->next = c->next;
		free(c);
	}
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void guard_conn_started(struct guard *g, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn_state *c = cv_xcalloc(1, sizeof(*c));

	c->fd = ci ? ci->connect_fd : -1;
	atomic_init(&c->in_head, true);
	atomic_init(&c->since_ns, cv_now_ns());
	pthread_mutex_lock(&g->lock);
	c->next = g->head.next;
	c->prev = &g->head;
	g->head.next->prev = c;
	g->head.next = c;
	pthread_mutex_unlock(&g->lock);
	*socket_context = c;
}

void guard_conn_closed(struct guard *g, void *socket_context)
{
	struct conn_state *c = socket_context;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->next->prev = c->prev;
	c->prev->next = c->next;
	pthread_mutex_unlock(&g->lock);
	free(c);
}

static struct conn_state *state_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void guard_head_done(struct MHD_Connection *conn)
{
	struct conn_state *c = state_of(conn);

	if (c)
		atomic_store(&c->in_head, false);
}

void guard_head_waiting(struct MHD_Connection *conn)
{
	struct conn_state *c = state_of(conn);

	if (c) {
		atomic_store(&c->since_ns, cv_now_ns());
		atomic_store(&c->in_head, true);
	}
}

/*
 * Whether a head waited since since_ns is overdue at now_ns.  An event
 * thread stamps since_ns as it finishes an answer, at any time, so a
 * stamp can be later than the reaper's clock reading (the reaper read it,
 * then was preempted or waited for the lock): that head has just begun
 * waiting.  Unsigned now - since would wrap to about 2^64 there and shut
 * a kept-alive connection whose next request was on its way: the rare
 * "server closed before answering" of bench/agents.sh's closed loop.
 */
bool guard_head_overdue(uint64_t now_ns, uint64_t since_ns, uint64_t deadline_ns)
{
	return deadline_ns && since_ns <= now_ns && now_ns - since_ns >= deadline_ns;
}

void guard_reap(struct guard *g)
{
	uint64_t now = cv_now_ns();

	if (!g->deadline_ns)
		return;
	pthread_mutex_lock(&g->lock);
	for (struct conn_state *c = g->head.next; c != &g->head; c = c->next) {
		if (c->shut || c->fd < 0 || !atomic_load(&c->in_head) ||
		    !guard_head_overdue(now, atomic_load(&c->since_ns), g->deadline_ns))
			continue;
		/* MHD sees the end of input and closes the connection itself. */
		shutdown(c->fd, SHUT_RDWR);
		c->shut = true;
		atomic_fetch_add(&g->reaped, 1);
	}
	pthread_mutex_unlock(&g->lock);
}

unsigned long guard_reaped(struct guard *g)
{
	return atomic_load(&g->reaped);
}

/* ---- checks ---- */

unsigned guard_check_target(const char *uri, const char **ret_why)
{
	const char *q = strchr(uri, '?');
	size_t n = 0;

	if (strlen(uri) > GUARD_MAX_TARGET) {
		*ret_why = "the request target is longer than 8192 bytes";
		return 414;
	}
	/* Parameters are the non-empty pieces between separators. */
	if (q)
		for (q++; *q; q++)
			n += *q != '&' && *q != ';' && (q[-1] == '?' || q[-1] == '&' || q[-1] == ';');
	if (n > GUARD_MAX_PARAMS) {
		*ret_why = "more than 100 query parameters";
		return 414;
	}
	return 0;
}

/* RFC 9110 §5.6.2: token = 1*tchar. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

struct head_scan {
	const char *bad_name;
	unsigned content_length, host, transfer_encoding;
	bool bad_length, chunked_only;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct head_scan *h = cls;

	(void)kind;
	if (!is_token(key)) {
		h->bad_name = key;
		return MHD_NO;
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		h->content_length++;
		if (!value || !*value || strspn(value, "0123456789") != strlen(value))
			h->bad_length = true;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		h->host++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		h->transfer_encoding++;
		h->chunked_only = value && strcasecmp(value, "chunked") == 0;
	}
	return MHD_YES;
}

unsigned guard_check_head(struct MHD_Connection *conn, const char *version, const char **ret_why)
{
	struct head_scan h = { 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &h);
	if (h.bad_name) {
		*ret_why = "a header name that is not a token (whitespace before the colon?)";
		return 400;
	}
	if (h.content_length > 1) {
		*ret_why = "more than one Content-Length header";
		return 400;
	}
	if (h.bad_length) {
		*ret_why = "Content-Length is not a number";
		return 400;
	}
	/* RFC 9112 §3.2: exactly one Host in an HTTP/1.1 request. */
	if (h.host > 1 || (h.host == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)) {
		*ret_why = h.host ? "more than one Host header" : "an HTTP/1.1 request without a Host header";
		return 400;
	}
	if (h.transfer_encoding) {
		/* RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty
		 * framing; with Content-Length, a smuggling attempt. */
		if (strcmp(version, MHD_HTTP_VERSION_1_1) != 0) {
			*ret_why = "Transfer-Encoding in an HTTP/1.0 request";
			return 400;
		}
		if (h.content_length) {
			*ret_why = "both Content-Length and Transfer-Encoding";
			return 400;
		}
		if (h.transfer_encoding > 1 || !h.chunked_only) {
			*ret_why = "a transfer coding other than chunked";
			return 501;
		}
	}
	return 0;
}

/* ---- answers straight to the socket ---- */

#define DIRECT_SEND_MS 1000

void guard_send_direct(struct MHD_Connection *conn, const char *data, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	uint64_t end = cv_now_ns() + (uint64_t)DIRECT_SEND_MS * 1000000;
	int fd = ci ? ci->connect_fd : -1;
	size_t off = 0;

	if (fd < 0)
		return;
	/* On HTTPS the answer goes through the connection's TLS session:
	 * plain bytes on it would be a broken record to the client. */
	if (tls_send_direct(conn, fd, data, len, end)) {
		shutdown(fd, SHUT_RDWR);
		return;
	}
	/* The socket is non-blocking: wait for room, but not for long,
	 * since this runs on an event thread. */
	while (off < len && cv_now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			break;
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			break;
	}
	shutdown(fd, SHUT_RDWR);
}
