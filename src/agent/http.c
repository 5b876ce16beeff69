/*
 * http.c - the agent's HTTP/1.1 client: one POST per connection
 * ("Connection: close"), over the system's sockets (agent_net_*).
 *
 * Strict on purpose: the agent talks to one kind of server, so an answer
 * that is not what RFC 9112 writes is an error to report, not something to
 * guess about.  The status line must be "HTTP/1.x NNN reason"; header
 * lines "name: value" with a token name; one Content-Length of digits, or
 * "Transfer-Encoding: chunked", never both (a request smuggler's
 * favourite, RFC 9112 6.3); without either the body runs to the close.
 * The whole answer is bounded (AGENT_HTTP_ANSWER_MAX, headers
 * AGENT_HTTP_HEADERS_MAX) and must arrive within the timeout: a server
 * that dribbles a byte a second does not hold the agent.
 */
#include <jansson.h>
#include <stdarg.h>

#include "agent/agent-internal.h"
#include "covalid/covalid.h"
#include "util/cv.h"

int agent_fail(char **ret_why, int r, const char *fmt, ...)
{
	va_list ap;
	struct cv_buf b;

	if (ret_why) {
		cv_buf_init(&b, 4096);
		va_start(ap, fmt);
		if (cv_buf_vprintf(&b, fmt, ap) < 0)
			cv_buf_reset(&b);
		va_end(ap);
		free(*ret_why);
		*ret_why = cv_buf_detach(&b, NULL);
		cv_buf_release(&b);
	}
	return r;
}

void agent_url_release(struct agent_url *u)
{
	u->host = cv_free(u->host);
	u->prefix = cv_free(u->prefix);
	u->text = cv_free(u->text);
}

int agent_url_parse(const char *s, struct agent_url *ret, char **ret_why)
{
	const char *p, *slash;
	char *hostport = NULL, *host = NULL;
	uint16_t port = 80;
	size_t plen;
	int r;

	if (!s || !*s)
		return agent_fail(ret_why, -EINVAL, "server URL: empty");
	if (cv_startswith(s, "https://"))
		return agent_fail(ret_why, -EINVAL, "server URL '%s': https is not supported yet (plain http://)", s);
	if (!cv_startswith(s, "http://"))
		return agent_fail(ret_why, -EINVAL, "server URL '%s': not http://HOST[:PORT][/PATH]", s);
	p = s + strlen("http://");
	slash = strchr(p, '/');
	hostport = slash ? cv_xstrndup(p, (size_t)(slash - p)) : cv_xstrdup(p);
	if (!*hostport || strchr(hostport, '@') || strchr(hostport, '?') || strchr(hostport, '#')) {
		r = agent_fail(ret_why, -EINVAL, "server URL '%s': no host, or user info, query or fragment", s);
		goto out;
	}
	if (strchr(hostport, ':') && (hostport[0] == '[' || strchr(hostport, ':') == strrchr(hostport, ':'))) {
		if (hostport[0] == '[' && hostport[strlen(hostport) - 1] == ']') {
			host = cv_xstrndup(hostport + 1, strlen(hostport) - 2);
		} else if (cv_parse_host_port(hostport, &host, &port) < 0 || port == 0) {
			r = agent_fail(ret_why, -EINVAL, "server URL '%s': bad port", s);
			goto out;
		}
	} else if (strchr(hostport, ':') || strchr(hostport, '[') || strchr(hostport, ']')) {
		r = agent_fail(ret_why, -EINVAL, "server URL '%s': an IPv6 address needs brackets", s);
		goto out;
	} else {
		host = cv_xstrdup(hostport);
	}
	if (!*host || !cv_str_is_clean_utf8(host, strlen(host)) || strchr(host, ' ')) {
		r = agent_fail(ret_why, -EINVAL, "server URL '%s': bad host", s);
		goto out;
	}
	plen = slash ? strlen(slash) : 0;
	while (plen > 0 && slash[plen - 1] == '/')
		plen--;
	if (slash && (strpbrk(slash, "?# \t\r\n") || !cv_str_is_clean_utf8(slash, strlen(slash)))) {
		r = agent_fail(ret_why, -EINVAL, "server URL '%s': the path may not hold a query, fragment or space", s);
		goto out;
	}
	ret->host = host;
	host = NULL;
	ret->port = port;
	ret->prefix = slash ? cv_xstrndup(slash, plen) : cv_xstrdup("");
	ret->text = strchr(ret->host, ':') ? cv_xasprintf("http://[%s]:%u%s", ret->host, port, ret->prefix)
					   : cv_xasprintf("http://%s:%u%s", ret->host, port, ret->prefix);
	r = 0;
out:
	free(hostport);
	free(host);
	return r;
}

void agent_http_answer_release(struct agent_http_answer *a)
{
	a->body = cv_free(a->body);
	a->len = 0;
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Decodes a chunked body starting at p (n bytes); -EAGAIN if incomplete. */
static int dechunk(const char *p, size_t n, bool eof, struct cv_buf *out, char **ret_why)
{
	size_t i = 0;

	for (;;) {
		uint64_t size = 0;
		size_t digits = 0;
		const char *eol = memmem(p + i, n - i, "\r\n", 2);

		if (!eol)
			goto more;
		while (p + i + digits < eol && strchr("0123456789abcdefABCDEF", p[i + digits]) && p[i + digits]) {
			char c = p[i + digits];
			int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

			if (size > AGENT_HTTP_ANSWER_MAX)
				return agent_fail(ret_why, -E2BIG, "a chunk larger than %d bytes", AGENT_HTTP_ANSWER_MAX);
			size = size * 16 + (uint64_t)v;
			digits++;
		}
		/* Chunk extensions (";name=value") are allowed and ignored. */
		if (digits == 0 || (p + i + digits != eol && p[i + digits] != ';'))
			return agent_fail(ret_why, -EPROTO, "a malformed chunk size line");
		i = (size_t)(eol - p) + 2;
		if (size == 0) {
			/* Trailer fields, then an empty line. */
			for (;;) {
				const char *e = memmem(p + i, n - i, "\r\n", 2);

				if (!e)
					goto more;
				if (e == p + i)
					return 0;
				i = (size_t)(e - p) + 2;
			}
		}
		if (size > AGENT_HTTP_ANSWER_MAX)
			return agent_fail(ret_why, -E2BIG, "a chunk larger than %d bytes", AGENT_HTTP_ANSWER_MAX);
		if (n - i < size + 2)
			goto more;
		if (memcmp(p + i + size, "\r\n", 2) != 0)
			return agent_fail(ret_why, -EPROTO, "a chunk not ended by CRLF");
		if (cv_buf_append(out, p + i, (size_t)size) < 0)
			return agent_fail(ret_why, -E2BIG, "an answer larger than %d bytes", AGENT_HTTP_ANSWER_MAX);
		i += (size_t)size + 2;
	}
more:
	return eof ? agent_fail(ret_why, -EPROTO, "the answer ended inside a chunk") : -EAGAIN;
}

int agent_http_parse(const char *buf, size_t len, bool eof, struct agent_http_answer *ret, char **ret_why)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *p, *body;
	bool chunked = false, have_cl = false;
	uint64_t cl = 0;
	int status, nheaders = 0, r;
	struct cv_buf out;

	if (!end) {
		if (len > AGENT_HTTP_HEADERS_MAX)
			return agent_fail(ret_why, -E2BIG, "answer headers larger than %d bytes", AGENT_HTTP_HEADERS_MAX);
		if (!eof)
			return -EAGAIN;
		return agent_fail(ret_why, -EPROTO, len ? "the answer ended inside its headers" : "an empty answer");
	}
	if ((size_t)(end - buf) > AGENT_HTTP_HEADERS_MAX)
		return agent_fail(ret_why, -E2BIG, "answer headers larger than %d bytes", AGENT_HTTP_HEADERS_MAX);
	/* "HTTP/1.1 200 OK": the version, one space, three digits, a space or the end of the line. */
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9' ||
	    (buf[12] != ' ' && buf[12] != '\r'))
		return agent_fail(ret_why, -EPROTO, "a malformed status line");
	status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	p = (const char *)memmem(buf, (size_t)(end - buf) + 2, "\r\n", 2) + 2;
	for (const char *s = buf; s < p - 2; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return agent_fail(ret_why, -EPROTO, "a control character in the status line");
	while (p < end + 2) {
		const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2), *colon, *v, *ve;
		size_t nlen;

		if (++nheaders > 100)
			return agent_fail(ret_why, -E2BIG, "more than 100 header fields");
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return agent_fail(ret_why, -EPROTO, "a header line without a name");
		for (const char *s = p; s < colon; s++)
			if (!is_tchar(*s))
				return agent_fail(ret_why, -EPROTO, "a malformed header name");
		nlen = (size_t)(colon - p);
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		for (const char *s = v; s < ve; s++)
			if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
				return agent_fail(ret_why, -EPROTO, "a control character in a header value");
		if (nlen == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
			char num[24];
			uint64_t n;

			if (have_cl || ve - v == 0 || ve - v >= (long)sizeof(num))
				return agent_fail(ret_why, -EPROTO, "a missing, repeated or malformed Content-Length");
			memcpy(num, v, (size_t)(ve - v));
			num[ve - v] = '\0';
			if (strspn(num, "0123456789") != strlen(num) || cv_parse_u64(num, 10, &n) < 0)
				return agent_fail(ret_why, -EPROTO, "a malformed Content-Length");
			have_cl = true;
			cl = n;
		} else if (nlen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
			if (chunked || ve - v != 7 || strncasecmp(v, "chunked", 7) != 0)
				return agent_fail(ret_why, -EPROTO, "a Transfer-Encoding other than chunked");
			chunked = true;
		}
		p = eol + 2;
	}
	if (chunked && have_cl)
		return agent_fail(ret_why, -EPROTO, "both Content-Length and Transfer-Encoding");
	body = end + 4;
	len -= (size_t)(body - buf);
	cv_buf_init(&out, AGENT_HTTP_ANSWER_MAX);
	if (chunked) {
		r = dechunk(body, len, eof, &out, ret_why);
		if (r < 0)
			goto out;
	} else if (have_cl) {
		if (cl > AGENT_HTTP_ANSWER_MAX) {
			r = agent_fail(ret_why, -E2BIG, "an answer of %llu bytes (at most %d)", (unsigned long long)cl,
				       AGENT_HTTP_ANSWER_MAX);
			goto out;
		}
		if (len < cl) {
			r = eof ? agent_fail(ret_why, -EPROTO, "the answer ended after %zu of its %llu bytes", len,
					     (unsigned long long)cl)
				: -EAGAIN;
			goto out;
		}
		if (cv_buf_append(&out, body, (size_t)cl) < 0) {
			r = -E2BIG;
			goto out;
		}
	} else if (status == 204 || status == 304) {
		/* No body. */
	} else {
		if (!eof) {
			r = len > AGENT_HTTP_ANSWER_MAX ? agent_fail(ret_why, -E2BIG, "an answer larger than %d bytes",
								      AGENT_HTTP_ANSWER_MAX)
							: -EAGAIN;
			goto out;
		}
		if (cv_buf_append(&out, body, len) < 0) {
			r = agent_fail(ret_why, -E2BIG, "an answer larger than %d bytes", AGENT_HTTP_ANSWER_MAX);
			goto out;
		}
	}
	ret->status = status;
	ret->body = cv_buf_detach(&out, &ret->len);
	r = 0;
out:
	cv_buf_release(&out);
	return r;
}

int agent_http_post(const struct agent_url *url, const char *path, const char *bearer, const char *body,
		    size_t len, int timeout_ms, struct agent_http_answer *ret, char **ret_why)
{
	uint64_t deadline = cv_now_ns() + (uint64_t)timeout_ms * 1000000u;
	struct agent_conn *c = NULL;
	struct cv_buf req, in;
	char chunk[16384], *why = NULL;
	int r;

	cv_buf_init(&req, len + 4096);
	/* Answer bytes: the body, its headers and chunk framing. */
	cv_buf_init(&in, AGENT_HTTP_ANSWER_MAX + AGENT_HTTP_HEADERS_MAX + 65536);
	if (cv_buf_printf(&req,
			  "POST %s%s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUser-Agent: covalid-agent/%s\r\n"
			  "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			  "%s%s%sConnection: close\r\n\r\n",
			  url->prefix, path, strchr(url->host, ':') ? "[" : "", url->host,
			  strchr(url->host, ':') ? "]" : "", url->port, COVALID_VERSION, len,
			  bearer ? "Authorization: Bearer " : "", bearer ? bearer : "", bearer ? "\r\n" : "") < 0 ||
	    cv_buf_append(&req, body, len) < 0) {
		r = agent_fail(ret_why, -E2BIG, "%s: the request is too large", url->text);
		goto out;
	}
	r = agent_net_connect(url->host, url->port, deadline, &c);
	if (r < 0) {
		r = agent_fail(ret_why, r, "%s: cannot connect: %s", url->text,
			       r == -ETIMEDOUT ? "timed out" : r == -ENOENT ? "unknown host" : strerror(-r));
		goto out;
	}
	r = agent_net_send(c, req.data, req.len, deadline);
	if (r < 0) {
		r = agent_fail(ret_why, r, "%s: sending the request: %s", url->text,
			       r == -ETIMEDOUT ? "timed out" : strerror(-r));
		goto out;
	}
	for (;;) {
		size_t n;

		r = agent_net_recv(c, chunk, sizeof(chunk), deadline, &n);
		if (r < 0) {
			r = agent_fail(ret_why, r, "%s: reading the answer: %s", url->text,
				       r == -ETIMEDOUT ? "timed out" : strerror(-r));
			goto out;
		}
		if (n > 0 && cv_buf_append(&in, chunk, n) < 0) {
			r = agent_fail(ret_why, -E2BIG, "%s: an answer larger than %d bytes", url->text,
				       AGENT_HTTP_ANSWER_MAX);
			goto out;
		}
		r = agent_http_parse(in.data, in.len, n == 0, ret, &why);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			r = agent_fail(ret_why, r, "%s: %s", url->text, why ? why : "a malformed answer");
		goto out;
	}
out:
	free(why);
	if (c)
		agent_net_close(c);
	cv_buf_release(&req);
	cv_buf_release(&in);
	return r;
}

char *agent_http_error_text(const struct agent_http_answer *a)
{
	/* {"error": {"code": "...", "message": "..."}}: the server's own words, sanitized. */
	json_t *j = a->body && a->len ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	char *s = m ? cv_xasprintf("HTTP %d: %s", a->status, m) : cv_xasprintf("HTTP %d", a->status);
	char *clean = cv_str_sanitize(s, strlen(s), 300);

	free(s);
	json_decref(j);
	return clean;
}
