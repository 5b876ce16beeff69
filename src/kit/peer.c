/*
 * peer.c - `covalid kit peer`: the other end of net.peer_transfer.
 *
 * THE PEER PROTOCOL, VERSION 1
 *
 * net.peer_transfer (the client, in the guest under test) proves that TCP
 * carries data intact between the guest and another host, which runs
 * `covalid kit peer` (the peer).  One transfer per TCP connection:
 *
 *   client -> peer   "COVALID-PEER 1 <bytes>\n"
 *                    The header: one ASCII line of at most 64 bytes,
 *                    newline included.  "1" is the protocol version.
 *                    <bytes> is the length of the data in decimal digits
 *                    only (no sign, no spaces, no leading "+"), from 0 to
 *                    68719476736 (64 GiB) inclusive.
 *   client -> peer   exactly <bytes> bytes of data, any content (the kit
 *                    sends an xorshift64 pseudo-random stream).
 *   peer -> client   "OK <digest>\n"
 *                    <digest> is the unkeyed BLAKE2b-256 (32 bytes) of
 *                    the data, as 64 lowercase hexadecimal digits.  The
 *                    client compares it with the digest of what it sent;
 *                    equal digests are the pass.
 *   or               "ERR <reason>\n"
 *                    The header was malformed (bad magic, unsupported
 *                    version, bad or too large length, longer than 64
 *                    bytes), the data ended early, nothing arrived for
 *                    30 s, or the peer is stopping.  <reason> is one line
 *                    of text for people, not for parsing.
 *   The peer then closes the connection.
 *
 * The peer serves one connection at a time; others wait in the listen
 * queue.  Every connection has 30 s socket timeouts so that a stalled or
 * malicious client cannot wedge the peer; a malformed header costs it one
 * ERR line and the connection, and it goes on serving.  The peer stores
 * nothing: it keeps a running digest and a byte count.
 *
 * The accept loop polls with a 200 ms timeout so that it notices *stop
 * (set by a signal handler in the command, by a test's main thread) soon.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
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

/*
 * Checks the header line (without its newline) and returns the length,
 * or NULL and a reason for the ERR line.
 */
static const char *parse_header(const char *line, uint64_t *ret_bytes)
{
	const char *p = line, *digits;
	uint64_t bytes;
	int r;

	if (!cv_startswith(p, MAGIC))
		return "not a covalid peer header (expected \"COVALID-PEER 1 <bytes>\")";
	p += strlen(MAGIC);
	if (!cv_startswith(p, "1 "))
		return "unsupported protocol version (this peer speaks 1)";
	digits = p + 2;
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

/* One connection: header, data, answer. */
static void serve_conn(int fd, volatile int *stop)
{
	char line[HEADER_MAX + 1], hex[crypto_generichash_BYTES * 2 + 1];
	unsigned char digest[crypto_generichash_BYTES];
	crypto_generichash_state st;
	uint8_t *buf = NULL;
	uint64_t bytes = 0, got = 0;
	const char *why;
	size_t len = 0;
	ssize_t r;

	set_timeouts(fd, IDLE_S);
	/* Byte by byte, so that nothing of the data is read with the header:
	 * at most 64 small reads per connection. */
	for (;;) {
		char c;

		if (len == HEADER_MAX) {
			reply(fd, "ERR the header is longer than %d bytes", HEADER_MAX);
			goto out;
		}
		r = conn_read(fd, &c, 1, stop);
		if (r <= 0) {
			reply(fd, "ERR %s", r == 0 ? "the connection ended inside the header"
				  : r == -ECANCELED ? "the peer is stopping" : "no complete header in time");
			goto out;
		}
		if (c == '\n')
			break;
		line[len++] = c;
	}
	line[len] = '\0';
	why = parse_header(line, &bytes);
	if (why) {
		reply(fd, "ERR %s", why);
		goto out;
	}

	buf = cv_xmalloc(CHUNK);
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
		serve_conn(c, stop);
		close(c);
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(host);
	return r;
}
