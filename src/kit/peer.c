/*
 * peer.c - `covalid kit peer`: the other end of net.peer_transfer,
 * time.reference and time.sync's offset.
 *
 * THE PEER PROTOCOL, VERSIONS 1 AND 2
 *
 * The kit (the client, in the guest under test) proves that TCP carries
 * data intact both ways between the guest and another host, which runs
 * `covalid kit peer` (the peer), and measures the guest's clock against
 * the peer's.  One operation per TCP connection, named by a header: one
 * ASCII line of at most 64 bytes, newline included.
 *
 *   "COVALID-PEER 1 <bytes>\n"        version 1: an upload (as PUT below).
 *   "COVALID-PEER 2 PUT <bytes>\n"    upload
 *   "COVALID-PEER 2 GET <bytes>\n"    download
 *   "COVALID-PEER 2 TIME\n"           timestamp exchanges
 *
 * <bytes> is a length in decimal digits only (no sign, no spaces, no
 * leading "+"), from 0 to 68719476736 (64 GiB) inclusive.
 *
 * PUT (and version 1):
 *   client -> peer   exactly <bytes> bytes of data, any content (the kit
 *                    sends the xorshift64 stream of kit_stream_fill()).
 *   peer -> client   "OK <digest>\n": the unkeyed BLAKE2b-256 (32 bytes)
 *                    of the data, as 64 lowercase hexadecimal digits.
 *
 * GET:
 *   peer -> client   "DATA <bytes>\n", then <bytes> bytes of the xorshift64
 *                    stream from its fixed seed (KIT_STREAM_SEED), then
 *                    "OK <digest> <retransmits>\n": the digest of what it
 *                    sent, and the TCP segments it retransmitted on the
 *                    connection (TCP_INFO tcpi_total_retrans once the data
 *                    is sent; "-" where the kernel does not say).  The
 *                    client knows the stream, so it checks what arrived
 *                    against its own digest of it, not only the peer's.
 *
 * TIME (NTP's on-wire exchange, RFC 5905 section 8, over TCP):
 *   client -> peer   "T <t1>\n": t1, the client's clock when it sent the
 *                    line, in decimal nanoseconds (1 to 19 digits).
 *   peer -> client   "T <t1> <t2> <t3>\n": t1 echoed; t2, the peer's
 *                    CLOCK_REALTIME when the line had arrived; t3, when it
 *                    sent the answer (ns since the epoch).
 *   ... at most 4096 exchanges within 120 s, then:
 *   client -> peer   "END\n"
 *   peer -> client   "OK <exchanges>\n"
 *
 * Any operation:
 *   peer -> client   "ERR <reason>\n" instead of the answer above: the
 *                    header or a line was malformed (bad magic, unsupported
 *                    version, unknown operation, bad or too large length,
 *                    longer than 64 bytes), the data ended early, nothing
 *                    arrived for 30 s, too many exchanges, or the peer is
 *                    stopping.  <reason> is one line of text for people,
 *                    not for parsing, except for one form the kit reads:
 *                    "ERR the transfer ended after <got> of <bytes> bytes".
 *   The peer then closes the connection.
 *
 * The peer serves one connection at a time; others wait in the listen
 * queue.  Every connection has 30 s socket timeouts so that a stalled or
 * malicious client cannot wedge the peer; a malformed header or line costs
 * it one ERR line and the connection, and it goes on serving.  The peer
 * stores nothing: it keeps a running digest and a byte count.
 *
 * The accept loop polls with a 200 ms timeout so that it notices *stop
 * (set by a signal handler in the command, by a test's main thread) soon.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kit/kit-internal.h"
#include "util/compat.h"
#include "util/cv.h"

#define HEADER_MAX 64
#define MAGIC "COVALID-PEER "
#define MAX_BYTES (64ull * 1024 * 1024 * 1024)
#define IDLE_S 30
#define POLL_MS 200
#define CHUNK (64 * 1024)
#define PEER_TIME_MAX 4096
#define PEER_TIME_MAX_S 120

/*
 * "HOST:PORT", "[V6]:PORT", ":PORT" or "*:PORT" into a host (NULL: every
 * address) and a port.  0 or -EINVAL.
 */
static int parse_listen(const char *s, char **ret_host, uint16_t *ret_port)
{
	char *host;
	int r;

	r = cv_parse_host_port(s, &host, ret_port);
	if (r < 0)
		return r;
	if (!*host || cv_streq(host, "*"))
		host = cv_free(host);
	*ret_host = host;
	return 0;
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = { seconds, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Best effort: the client may be gone.  MSG_NOSIGNAL: a vanished client
 * must not kill the peer with SIGPIPE. */
static void reply(int fd, const char *fmt, ...) CV_PRINTF(2, 3);
static void reply(int fd, const char *fmt, ...)
{
	char line[160];
	va_list ap;
	size_t off = 0, n;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	n = (size_t)len < sizeof(line) - 1 ? (size_t)len : sizeof(line) - 2;
	line[n++] = '\n';
	while (off < n) {
		ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/*
 * Reads up to n bytes, waiting in POLL_MS steps so that *stop is noticed.
 * Returns the count (0 at end of stream), -ETIMEDOUT after IDLE_S without
 * data, -ECANCELED on *stop, or -errno.
 */
static ssize_t conn_read(int fd, void *buf, size_t n, volatile int *stop)
{
	double deadline = kit_now() + IDLE_S;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;
		int pr;

		if (*stop)
			return -ECANCELED;
		if (kit_now() > deadline)
			return -ETIMEDOUT;
		pr = poll(&p, 1, POLL_MS);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr <= 0)
			continue;
		r = recv(fd, buf, n, 0);
		if (r >= 0)
			return r;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

enum peer_op { PEER_PUT, PEER_GET, PEER_TIME };

struct peer_request {
	enum peer_op op;
	uint64_t bytes; /* PUT, GET */
};

/* "<bytes>": decimal digits, at most MAX_BYTES; NULL or the reason. */
static const char *parse_length(const char *digits, uint64_t *ret_bytes)
{
	uint64_t bytes;
	int r;

	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return "the length is not a decimal number";
	r = cv_parse_u64(digits, 10, &bytes);
	if (r == -ERANGE || (r == 0 && bytes > MAX_BYTES))
		return "the length is over 64 GiB";
	if (r < 0)
		return "the length is not a decimal number";
	*ret_bytes = bytes;
	return NULL;
}

/* Waits until fd is readable (or at its end): 0, -ETIMEDOUT after
 * IDLE_S, -ECANCELED on *stop, or -errno. */
static int conn_wait(int fd, volatile int *stop)
{
	double deadline = kit_now() + IDLE_S;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int pr;

		if (*stop)
			return -ECANCELED;
		if (kit_now() > deadline)
			return -ETIMEDOUT;
		pr = poll(&p, 1, POLL_MS);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr > 0)
			return 0;
	}
}

/*
 * Checks the header line (without its newline) and returns the request,
 * or NULL and a reason for the ERR line.
 */
static const char *parse_header(const char *line, struct peer_request *ret)
{
	const char *p = line;

	if (!cv_startswith(p, MAGIC))
		return "not a covalid peer header (expected \"COVALID-PEER 2 PUT|GET <bytes>\" or \"COVALID-PEER 2 TIME\")";
	p += strlen(MAGIC);
	if (cv_startswith(p, "1 ")) {
		ret->op = PEER_PUT;
		return parse_length(p + 2, &ret->bytes);
	}
	if (!cv_startswith(p, "2 "))
		return "unsupported protocol version (this peer speaks 1 and 2)";
	p += 2;
	if (cv_streq(p, "TIME")) {
		ret->op = PEER_TIME;
		ret->bytes = 0;
		return NULL;
	}
	if (cv_startswith(p, "PUT "))
		ret->op = PEER_PUT;
	else if (cv_startswith(p, "GET "))
		ret->op = PEER_GET;
	else
		return "unknown operation (this peer knows PUT, GET and TIME)";
	return parse_length(p + 4, &ret->bytes);
}

/*
 * One line of at most HEADER_MAX bytes, newline included, into line
 * (HEADER_MAX + 1 bytes), without its newline.  What has arrived is
 * peeked at (MSG_PEEK) and only the line taken, so that nothing after it
 * is read with it, and a line that came in one segment costs two reads,
 * not one per byte (the time exchange's delay counts them).
 * 0, -E2BIG (too long), -EPIPE (the stream ended inside it), -EILSEQ
 * (it holds a NUL byte), or
 * conn_read()'s -ETIMEDOUT, -ECANCELED, -errno.
 */
static int read_line(int fd, char *line, volatile int *stop)
{
	size_t len = 0;

	for (;;) {
		char peek[HEADER_MAX];
		const char *nl;
		size_t take;
		ssize_t r;

		if (len == HEADER_MAX)
			return -E2BIG;
		r = conn_wait(fd, stop);
		if (r < 0)
			return (int)r;
		r = recv(fd, peek, HEADER_MAX - len, MSG_PEEK | MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		nl = memchr(peek, '\n', (size_t)r);
		take = nl ? (size_t)(nl - peek) + 1 : (size_t)r;
		r = recv(fd, line + len, take, MSG_DONTWAIT);
		if (r < 0)
			return -errno;
		if ((size_t)r != take)
			return -EIO; /* what was peeked is there: cannot happen */
		len += take;
		if (nl) {
			line[len - 1] = '\0';
			/* A NUL would end the line early for every string
			 * function after this, hiding what follows it. */
			return memchr(line, '\0', len - 1) ? -EILSEQ : 0;
		}
	}
}

/* The ERR line for read_line()'s failure r on the header or a line. */
static void reply_line_error(int fd, int r, const char *what)
{
	if (r == -E2BIG)
		reply(fd, "ERR the %s is longer than %d bytes", what, HEADER_MAX);
	else if (r == -EPIPE)
		reply(fd, "ERR the connection ended inside the %s", what);
	else if (r == -EILSEQ)
		reply(fd, "ERR the %s holds a NUL byte", what);
	else if (r == -ECANCELED)
		reply(fd, "ERR the peer is stopping");
	else
		reply(fd, "ERR no complete %s in time", what);
}

/* PUT: reads the data, answers with its digest. */
static void serve_put(int fd, uint64_t bytes, volatile int *stop)
{
	char hex[crypto_generichash_BYTES * 2 + 1];
	unsigned char digest[crypto_generichash_BYTES];
	crypto_generichash_state st;
	uint8_t *buf = cv_xmalloc(CHUNK);
	uint64_t got = 0;
	ssize_t r;

	crypto_generichash_init(&st, NULL, 0, sizeof(digest));
	while (got < bytes) {
		size_t want = bytes - got < CHUNK ? (size_t)(bytes - got) : CHUNK;

		r = conn_read(fd, buf, want, stop);
		if (r <= 0) {
			reply(fd, "ERR %s after %llu of %llu bytes",
			      r == 0 ? "the transfer ended" : r == -ECANCELED ? "the peer is stopping" : r == -ETIMEDOUT ? "no data for 30 s" : "the connection failed",
			      (unsigned long long)got, (unsigned long long)bytes);
			goto out;
		}
		crypto_generichash_update(&st, buf, (size_t)r);
		got += (uint64_t)r;
	}
	crypto_generichash_final(&st, digest, sizeof(digest));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	reply(fd, "OK %s", hex);
out:
	free(buf);
}

/* send() all of n bytes through the faults' hook; 0 or -errno. */
static int send_all(const struct kit_faults *f, int fd, const void *p, size_t n, volatile int *stop)
{
	const char *c = p;

	while (n) {
		ssize_t w;

		if (*stop)
			return -ECANCELED;
		w = f && f->send ? f->send(fd, c, n, MSG_NOSIGNAL, f->userdata) : send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* GET: "DATA <bytes>", the stream, "OK <digest>".  A failure on the way
 * ends the connection: the client sees the stream end early. */
static void serve_get(int fd, uint64_t bytes, const struct kit_faults *f, volatile int *stop)
{
	char hex[crypto_generichash_BYTES * 2 + 1], head[48];
	unsigned char digest[crypto_generichash_BYTES];
	crypto_generichash_state st;
	uint64_t *buf = cv_xmalloc(CHUNK), x = KIT_STREAM_SEED, sent = 0;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	snprintf(head, sizeof(head), "DATA %llu\n", (unsigned long long)bytes);
	if (send_all(NULL, fd, head, strlen(head), stop) < 0)
		goto out;
	crypto_generichash_init(&st, NULL, 0, sizeof(digest));
	while (sent < bytes) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;

		kit_stream_fill(&x, buf, CHUNK / 8);
		crypto_generichash_update(&st, (const unsigned char *)buf, n);
		if (send_all(f, fd, buf, n, stop) < 0)
			goto out;
		sent += n;
	}
	crypto_generichash_final(&st, digest, sizeof(digest));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(ti.tcpi_total_retrans))
		reply(fd, "OK %s %u", hex, (unsigned)ti.tcpi_total_retrans);
	else
		reply(fd, "OK %s -", hex);
out:
	free(buf);
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "T <t1>": t1 is 1 to 19 decimal digits. */
static bool is_time_line(const char *line)
{
	size_t n;

	if (line[0] != 'T' || line[1] != ' ')
		return false;
	n = strlen(line + 2);
	return n >= 1 && n <= 19 && strspn(line + 2, "0123456789") == n;
}

/* TIME: "T <t1>" answered with "T <t1> <t2> <t3>" until "END". */
static void serve_time(int fd, volatile int *stop)
{
	char line[HEADER_MAX + 1];
	double deadline = kit_now() + PEER_TIME_MAX_S;
	int one = 1;

	/* Each answer goes out at once: Nagle's delay would be counted in
	 * the exchange's delay and, being one-sided, in its offset. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* One line every 29 s would hold the peer for a day and a half
	 * within the count: the session has a deadline too (the kit's
	 * longest, time.reference in a full run, takes about 10 s). */
	for (unsigned n = 0;; n++) {
		int r = read_line(fd, line, stop);
		int64_t t2 = realtime_ns(), t3;

		if (r < 0) {
			reply_line_error(fd, r, "line");
			return;
		}
		if (cv_streq(line, "END")) {
			reply(fd, "OK %u", n);
			return;
		}
		if (!is_time_line(line)) {
			reply(fd, "ERR expected \"T <t1 in ns>\" or \"END\"");
			return;
		}
		if (n == PEER_TIME_MAX) {
			reply(fd, "ERR more than %d exchanges on one connection", PEER_TIME_MAX);
			return;
		}
		if (kit_now() > deadline) {
			reply(fd, "ERR the exchanges lasted over %d s", PEER_TIME_MAX_S);
			return;
		}
		if (t2 < 0) {
			reply(fd, "ERR the peer cannot read its clock");
			return;
		}
		t3 = realtime_ns();
		reply(fd, "T %s %lld %lld", line + 2, (long long)t2, (long long)t3);
	}
}

/* One connection: header, then the operation. */
static void serve_conn(int fd, const struct kit_faults *f, volatile int *stop)
{
	char line[HEADER_MAX + 1];
	struct peer_request req;
	const char *why;
	int r;

	set_timeouts(fd, IDLE_S);
	r = read_line(fd, line, stop);
	if (r < 0) {
		reply_line_error(fd, r, "header");
		return;
	}
	why = parse_header(line, &req);
	if (why) {
		reply(fd, "ERR %s", why);
		return;
	}
	switch (req.op) {
	case PEER_PUT: serve_put(fd, req.bytes, stop); break;
	case PEER_GET: serve_get(fd, req.bytes, f, stop); break;
	case PEER_TIME: serve_time(fd, stop); break;
	}
}

/* Binds and listens on the first address that works; fd or -errno. */
static int listen_on(const char *host, uint16_t port_num)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char port[8];
	int fd = -1, r, one = 1;

	snprintf(port, sizeof(port), "%u", port_num);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		r = r == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
		goto out;
	}
	r = -EADDRNOTAVAIL;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = cv_socket_cloexec(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 16) == 0) {
			r = fd;
			goto out;
		}
		r = -errno;
		close(fd);
		fd = -1;
	}
out:
	if (res)
		freeaddrinfo(res);
	return r;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

int kit_peer_serve(const char *listen_addr, volatile int *stop, void (*ready)(void *ud, int port), void *ud)
{
	return kit_peer_serve_faulty(listen_addr, stop, ready, ud, NULL);
}

int kit_peer_serve_faulty(const char *listen_addr, volatile int *stop, void (*ready)(void *ud, int port), void *ud,
			  const struct kit_faults *faults)
{
	char *host = NULL;
	uint16_t port;
	int fd = -1, r;

	if (!listen_addr || !stop)
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOTRECOVERABLE;
	r = parse_listen(listen_addr, &host, &port);
	if (r < 0)
		goto out;
	fd = listen_on(host, port);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	r = bound_port(fd);
	if (r < 0)
		goto out;
	if (ready)
		ready(ud, r);

	while (!*stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		int c, pr = poll(&p, 1, POLL_MS);

		if (pr < 0 && errno != EINTR) {
			r = -errno; /* would fail again at once: not a spin */
			goto out;
		}
		if (pr <= 0)
			continue; /* timeout or EINTR: look at *stop again */
		c = cv_accept_cloexec(fd, NULL, NULL);
		if (c < 0) {
			/* Out of descriptors: wait rather than spin; every other
			 * failure (an aborted connection) concerns one client. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				(void)poll(NULL, 0, POLL_MS);
			continue;
		}
		serve_conn(c, faults, stop);
		close(c);
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(host);
	return r;
}
