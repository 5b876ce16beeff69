/*
 * access-log.c - the access log: one JSON object a line per request (time,
 * request id, client address, method, path, status, bytes, duration,
 * route, cache hit or miss, token id), ASCII whatever a client sends.
 *
 * Lines are buffered and written whole, so a reader never sees half a
 * line; server_run flushes the buffer each second and at exit.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <sys/socket.h>

#include "server/http-internal.h"
#include "util/cv.h"

/* Lines wait in memory up to this much, as nginx's "buffer=". */
#define ACCESS_LOG_BUFFER (32 * 1024)

void access_log_init(struct server *srv)
{
	pthread_mutex_init(&srv->log_lock, NULL);
	cv_buf_init(&srv->log_buf, 4 * ACCESS_LOG_BUFFER);
}

void access_log_release(struct server *srv)
{
	pthread_mutex_destroy(&srv->log_lock);
	cv_buf_release(&srv->log_buf);
}

static void write_log_locked(struct server *srv)
{
	if (srv->log_buf.len) {
		fwrite(srv->log_buf.data, 1, srv->log_buf.len, srv->opt->access_log);
		fflush(srv->opt->access_log);
		cv_buf_reset(&srv->log_buf);
	}
}

/* A JSON string of untrusted bytes: quotes, backslashes, control and
 * non-ASCII bytes escaped (the log is ASCII whatever a client sends).
 * Runs of bytes that need no escape are appended whole: byte by byte, the
 * appends were a visible part of a cached answer's cost. */
static void log_string(struct cv_buf *b, const char *v)
{
	const unsigned char *p = (const unsigned char *)v, *run = p;

	(void)!cv_buf_append(b, "\"", 1);
	for (; *p; p++) {
		if (*p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x7f)
			continue;
		(void)!cv_buf_append(b, run, (size_t)(p - run));
		if (*p == '"' || *p == '\\')
			(void)!cv_buf_printf(b, "\\%c", *p);
		else
			(void)!cv_buf_printf(b, "\\u%04x", *p);
		run = p + 1;
	}
	(void)!cv_buf_append(b, run, (size_t)(p - run));
	(void)!cv_buf_append(b, "\"", 1);
}

/* The current second as ISO 8601, formatted once a second per thread
 * (gmtime_r and strftime a request were a visible part of a cached
 * answer's cost). */
static const char *log_now(void)
{
	static _Thread_local time_t last = (time_t)-1;
	static _Thread_local char text[32];
	time_t now = time(NULL);

	if (now != last) {
		cv_time_iso8601((int64_t)now, text, sizeof(text));
		last = now;
	}
	return text;
}

/* A number in decimal.  The line is written without printf: each
 * cv_buf_printf formats twice (to measure, then to write), and the
 * log's printfs were the most of its cost on a cached answer. */
static void log_u64(struct cv_buf *b, unsigned long long v)
{
	char d[20];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while (v /= 10);
	(void)!cv_buf_append(b, d + i, sizeof(d) - i);
}

/* Milliseconds with three decimals (the duration rounded to the nearest
 * microsecond), as "%.3f" wrote them.  A negative or absurd duration (a
 * clock step) is written as 0.000. */
static void log_duration_ms(struct cv_buf *b, double seconds)
{
	double us = seconds * 1e6 + 0.5;
	unsigned long long v = us > 0 && us < 1e18 ? (unsigned long long)us : 0;
	char frac[5] = { '.', (char)('0' + v / 100 % 10), (char)('0' + v / 10 % 10), (char)('0' + v % 10), 0 };

	log_u64(b, v / 1000);
	(void)!cv_buf_append(b, frac, 4);
}

/* One JSON object a line, written by hand: jansson's pack and dump were a
 * sixth of a cached answer's cost. */
void access_log_write(struct server *srv, struct req *r, double seconds)
{
	const union MHD_ConnectionInfo *ci;
	char host[INET6_ADDRSTRLEN] = "-";
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
	cv_buf_init(&b, SIZE_MAX);
	(void)!cv_buf_puts(&b, "{\"ts\":\"");
	(void)!cv_buf_puts(&b, log_now());
	(void)!cv_buf_puts(&b, "\",\"id\":\"");
	(void)!cv_buf_puts(&b, r->request_id); /* hex digits (http.c) */
	(void)!cv_buf_puts(&b, "\",\"remote\":\"");
	(void)!cv_buf_puts(&b, host);
	(void)!cv_buf_puts(&b, "\",\"method\":");
	log_string(&b, r->method);
	(void)!cv_buf_puts(&b, ",\"path\":");
	log_string(&b, r->path);
	(void)!cv_buf_puts(&b, ",\"status\":");
	log_u64(&b, r->status);
	(void)!cv_buf_puts(&b, ",\"bytes\":");
	log_u64(&b, r->resp_len);
	(void)!cv_buf_puts(&b, ",\"duration_ms\":");
	log_duration_ms(&b, seconds);
	(void)!cv_buf_puts(&b, ",\"route\":");
	log_string(&b, r->route ? r->route->pattern : "-");
	if (r->has_cache_key)
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

void access_log_flush(struct server *srv)
{
	if (!srv->opt->access_log)
		return;
	pthread_mutex_lock(&srv->log_lock);
	write_log_locked(srv);
	pthread_mutex_unlock(&srv->log_lock);
}
