/*
 * test-kit-peer.c - the checks that need `covalid kit peer`
 * (net.peer_transfer both ways, time.reference, time.sync's offset) and
 * version 2 of the peer protocol (src/kit/peer.c): decisions fed with
 * recorded values, hostile input to the peer, and the checks run against
 * a peer on loopback with faults injected on either side.
 *
 * The faults: a byte flipped or the stream cut by the kit's send hook
 * (upload) or by the peer's (download, kit_peer_serve_faulty()); the
 * guest's CLOCK_REALTIME slowed to 0.99 of its rate.  Loopback here; the
 * same checks through a veth pair between two network namespaces are in
 * tests/t/t2002-kit-peer-netns.sh.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "kit/kit-internal.h"
#include "tap.h"
#include "util/cv.h"

#define CHECK_HAS(s, needle)                                                                         \
	do {                                                                                         \
		const char *s_ = (s);                                                                \
		if (!s_ || !strstr(s_, (needle)))                                                    \
			tap_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", s_ ? s_ : "(null)", (needle)); \
	} while (0)

/* ---- decisions ---- */

TEST(peer_transfer_decisions)
{
	struct kit_transfer ok = { 100, 100, true, NULL }, cut = { 100, 40, false, "the peer ended the stream" },
			    bad = { 100, 100, false, NULL }, more = { 100, 101, false, NULL }, none = { 0, 0, true, NULL };
	struct kit_verdict v;

	kit_decide_peer_transfer(&ok, &ok, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_peer_transfer(&none, &none, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_peer_transfer(&cut, &ok, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "the upload (guest to peer) lost data: 40 of 100 bytes arrived, then the peer ended the stream");
	kit_decide_peer_transfer(&ok, &cut, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "the download (peer to guest) lost data: 40 of 100 bytes arrived");
	kit_decide_peer_transfer(&ok, &bad, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "the download (peer to guest) corrupted data: the digest of the 100 bytes that arrived differs "
			    "from the digest of those sent");
	kit_decide_peer_transfer(&bad, &ok, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "the upload (guest to peer) corrupted data");
	/* More than was sent is not intact either. */
	kit_decide_peer_transfer(&ok, &more, &v);
	CHECK_INT(v.status, KIT_FAIL);
}

TEST(reference_decisions)
{
	struct kit_verdict v;

	kit_decide_reference(3.5, 100, 11, KIT_REFERENCE_DRIFT_PPM, &v);
	CHECK_INT(v.status, KIT_PASS);
	/* The bound is the kernel's MAXFREQ, 500 ppm: on it passes, past it fails. */
	kit_decide_reference(500, 0, 11, 500, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_reference(-500.5, 0, 11, 500, &v);
	CHECK_INT(v.status, KIT_FAIL);
	/* A guest 1 % slow. */
	kit_decide_reference(-10000, 100, 5, 500, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "the guest's clock runs -10000 ppm against the peer's (bound +-500 ppm, the kernel's maximum "
			    "frequency correction)");
	/* Beyond the bound even at the most favourable reading: fails. */
	kit_decide_reference(-10000, 900, 5, 500, &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_reference(650, 100, 5, 500, &v);
	CHECK_INT(v.status, KIT_FAIL);
	/* Either side of the bound within the error: cannot tell. */
	kit_decide_reference(450, 100, 5, 500, &v);
	CHECK_INT(v.status, KIT_ERROR);
	CHECK_HAS(v.reason, "the drift, +450 ppm, is known only to +-100 ppm: it may be on either side of the bound");
	kit_decide_reference(-550, 100, 5, 500, &v);
	CHECK_INT(v.status, KIT_ERROR);
	kit_decide_reference(20, 900, 5, 500, &v);
	CHECK_INT(v.status, KIT_ERROR);
	/* Within the bound whatever the error: passes. */
	kit_decide_reference(-399, 100, 5, 500, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_reference(NAN, 10, 5, 500, &v);
	CHECK_INT(v.status, KIT_ERROR);
	kit_decide_reference(1, NAN, 5, 500, &v);
	CHECK_INT(v.status, KIT_ERROR);
	kit_decide_reference(1, 10, 1, 500, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

TEST(peer_offset_decisions)
{
	struct kit_verdict v;

	/* RFC 5905's STEPT, 128 ms. */
	kit_decide_peer_offset(0.2, KIT_PEER_OFFSET_MAX_MS, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_peer_offset(-128, 128, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_peer_offset(128.5, 128, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "the peer's clock is +128.5 ms from the guest's (bound +-128 ms, NTP's step threshold)");
	kit_decide_peer_offset(NAN, 128, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

/* ---- a peer in a thread, with faults on its sending side ---- */

struct server {
	char listen[64];
	volatile int stop;
	const struct kit_faults *faults;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done;
	int port, ret;
};

static void on_ready(void *ud, int port)
{
	struct server *s = ud;

	pthread_mutex_lock(&s->mu);
	s->port = port;
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static void *server_main(void *p)
{
	struct server *s = p;
	int r = kit_peer_serve_faulty(s->listen, &s->stop, on_ready, s, s->faults);

	pthread_mutex_lock(&s->mu);
	s->ret = r;
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int server_start(struct server *s, const struct kit_faults *f)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->listen, sizeof(s->listen), "127.0.0.1:0");
	s->faults = f;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, server_main, s) != 0)
		abort();
	pthread_mutex_lock(&s->mu);
	while (!s->done)
		pthread_cond_wait(&s->cond, &s->mu);
	pthread_mutex_unlock(&s->mu);
	CHECK(s->port > 0);
	return s->port;
}

static int server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cond);
	return s->ret;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CHECK_INT(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_text(int fd, const char *what, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = send(fd, what + off, len - off, MSG_NOSIGNAL);

		CHECK(w > 0);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* One line from fd (without its newline), "" at the end. */
static char *line_of(int fd)
{
	char line[512];
	size_t n = 0;

	while (n + 1 < sizeof(line) && recv(fd, line + n, 1, 0) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	return cv_xstrdup(line);
}

/* Sends what, returns the peer's first line. */
static char *ask(int port, const char *what, size_t len)
{
	int fd = connect_to(port);
	char *got;

	send_text(fd, what, len);
	got = line_of(fd);
	close(fd);
	return got;
}

/* ---- the protocol, version 2 ---- */

/*
 * The stream's first words, computed here from its definition rather
 * than by kit_stream_fill(): Marsaglia's xorshift64 with the shift triple
 * (13, 7, 17) ("Xorshift RNGs", J. Stat. Software 8(14), 2003), from the
 * seed peer.c documents, little-endian words on x86.
 */
static void reference_stream(unsigned char *out, size_t n)
{
	uint64_t x = UINT64_C(0x2545f4914f6cdd1d);

	for (size_t i = 0; i < n; i += 8) {
		tap_xorshift64(&x);
		for (size_t k = 0; k < 8 && i + k < n; k++)
			out[i + k] = (unsigned char)(x >> (8 * k));
	}
}

TEST(peer_get_sends_the_documented_stream_and_its_digest)
{
	unsigned char want[20], got[20], d[crypto_generichash_BYTES];
	char hex[2 * crypto_generichash_BYTES + 1], *line, *expect;
	struct server s;
	int port = server_start(&s, NULL), fd;
	size_t n = 0;

	CHECK_INT(sodium_init() >= 0, 1);
	reference_stream(want, sizeof(want));
	fd = connect_to(port);
	send_text(fd, "COVALID-PEER 2 GET 20\n", 22);
	line = line_of(fd);
	CHECK_STR(line, "DATA 20");
	free(line);
	while (n < sizeof(got)) {
		ssize_t r = recv(fd, got + n, sizeof(got) - n, 0);

		CHECK(r > 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	CHECK(memcmp(got, want, sizeof(want)) == 0);
	crypto_generichash(d, sizeof(d), want, sizeof(want), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	/* On loopback nothing needs a retransmit... but the count is the
	 * kernel's: any decimal number is the form; check the digest part. */
	line = line_of(fd);
	expect = cv_xasprintf("OK %s ", hex);
	CHECK(strncmp(line, expect, strlen(expect)) == 0);
	CHECK(strspn(line + strlen(expect), "0123456789") == strlen(line + strlen(expect)) || cv_streq(line + strlen(expect), "-"));
	free(expect);
	free(line);
	close(fd);

	/* GET 0: no data, the digest of nothing. */
	fd = connect_to(port);
	send_text(fd, "COVALID-PEER 2 GET 0\n", 21);
	line = line_of(fd);
	CHECK_STR(line, "DATA 0");
	free(line);
	crypto_generichash(d, sizeof(d), NULL, 0, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	line = line_of(fd);
	expect = cv_xasprintf("OK %s ", hex);
	CHECK(strncmp(line, expect, strlen(expect)) == 0);
	free(expect);
	free(line);
	close(fd);

	/* PUT in version 2 is version 1's upload. */
	crypto_generichash(d, sizeof(d), (const unsigned char *)"hello", 5, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	expect = cv_xasprintf("OK %s", hex);
	line = ask(port, "COVALID-PEER 2 PUT 5\nhello", 26);
	CHECK_STR(line, expect);
	free(line);
	free(expect);
	CHECK_INT(server_stop(&s), 0);
}

TEST(peer_time_answers_with_three_timestamps)
{
	struct timespec ts;
	struct server s;
	int port = server_start(&s, NULL), fd;
	long long e, t2, t3, before, after;
	char *line;
	int used = 0;

	fd = connect_to(port);
	send_text(fd, "COVALID-PEER 2 TIME\nT 42\n", 25);
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	line = line_of(fd);
	clock_gettime(CLOCK_REALTIME, &ts);
	after = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	CHECK_INT(sscanf(line, "T %lld %lld %lld%n", &e, &t2, &t3, &used), 3);
	CHECK_INT(line[used], '\0');
	CHECK_INT(e, 42);
	/* The peer's clock is this machine's: t2 <= t3, both within a
	 * second of our own readings (sent before, answered by "after"). */
	CHECK(t2 <= t3);
	CHECK(t3 <= after);
	CHECK(t2 > before - 1000000000LL);
	free(line);
	send_text(fd, "T 43\nEND\n", 9);
	free(line_of(fd));
	line = line_of(fd);
	CHECK_STR(line, "OK 2");
	free(line);
	close(fd);
	CHECK_INT(server_stop(&s), 0);
}

/* Hostile input: each costs an ERR line and the connection; the peer
 * goes on serving. */
TEST(peer_refuses_hostile_version_2_input_and_keeps_serving)
{
	static const struct {
		const char *send, *answer;
	} cases[] = {
		{ "COVALID-PEER 2 GET -1\n", "ERR the length is not a decimal number" },
		{ "COVALID-PEER 2 GET 68719476737\n", "ERR the length is over 64 GiB" },
		{ "COVALID-PEER 2 GET\n", "ERR unknown operation (this peer knows PUT, GET and TIME)" },
		{ "COVALID-PEER 2 PUT 1x\n", "ERR the length is not a decimal number" },
		{ "COVALID-PEER 2 DELETE 5\n", "ERR unknown operation (this peer knows PUT, GET and TIME)" },
		{ "COVALID-PEER 2 TIME \n", "ERR unknown operation (this peer knows PUT, GET and TIME)" },
		{ "COVALID-PEER 2 time\n", "ERR unknown operation (this peer knows PUT, GET and TIME)" },
		{ "COVALID-PEER 9 TIME\n", "ERR unsupported protocol version (this peer speaks 1 and 2)" },
		{ "COVALID-PEER 2 TIME\nT\n", "ERR expected \"T <t1 in ns>\" or \"END\"" },
		{ "COVALID-PEER 2 TIME\nT -5\n", "ERR expected \"T <t1 in ns>\" or \"END\"" },
		{ "COVALID-PEER 2 TIME\nT 1 2\n", "ERR expected \"T <t1 in ns>\" or \"END\"" },
		{ "COVALID-PEER 2 TIME\nT 12345678901234567890\n", "ERR expected \"T <t1 in ns>\" or \"END\"" },
		{ "COVALID-PEER 2 TIME\n\n", "ERR expected \"T <t1 in ns>\" or \"END\"" },
		{ "COVALID-PEER 2 TIME\nT 0000000000000000000000000000000000000000000000000000000000000000000001\n",
		  "ERR the line is longer than 64 bytes" },
		{ "COVALID-PEER 2 TIME\nT 12", "ERR the connection ended inside the line" },
	};
	struct server s;
	int port = server_start(&s, NULL);
	char *got;

	for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
		int fd = connect_to(port);

		send_text(fd, cases[i].send, strlen(cases[i].send));
		if (cv_streq(cases[i].answer, "ERR the connection ended inside the line"))
			shutdown(fd, SHUT_WR);
		got = line_of(fd);
		if (!cv_streq(got, cases[i].answer))
			tap_fail(__FILE__, __LINE__, "case %zu: \"%s\", expected \"%s\"", i, got, cases[i].answer);
		free(got);
		close(fd);
	}
	/* A NUL inside a time line. */
	got = ask(port, "COVALID-PEER 2 TIME\nT 1\0002\n", sizeof("COVALID-PEER 2 TIME\nT 1\0002\n") - 1);
	CHECK_STR(got, "ERR the line holds a NUL byte");
	free(got);
	got = ask(port, "COVALID-PEER 2 GET 5\000\n", sizeof("COVALID-PEER 2 GET 5\000\n") - 1);
	CHECK_STR(got, "ERR the header holds a NUL byte");
	free(got);
	/* Still serving. */
	got = ask(port, "COVALID-PEER 2 GET 0\n", 21);
	CHECK_STR(got, "DATA 0");
	free(got);
	CHECK_INT(server_stop(&s), 0);
}

/* At most 4096 exchanges on one connection (peer.c): the 4097th is refused. */
TEST(peer_bounds_the_exchanges_of_one_connection)
{
	size_t n = 4097, len = 0;
	char *lines = cv_xmalloc(n * 4 + 1), *got = NULL;
	struct server s;
	int port = server_start(&s, NULL), fd;

	for (size_t i = 0; i < n; i++)
		memcpy(lines + (len += 4) - 4, "T 7\n", 4);
	fd = connect_to(port);
	send_text(fd, "COVALID-PEER 2 TIME\n", 20);
	send_text(fd, lines, len);
	for (size_t i = 0; i < n; i++) {
		free(got);
		got = line_of(fd);
		if (!cv_startswith(got, "T 7 "))
			break;
	}
	CHECK_STR(got, "ERR more than 4096 exchanges on one connection");
	free(got);
	free(lines);
	close(fd);
	CHECK_INT(server_stop(&s), 0);
}

/* ---- the checks against the peer ---- */

struct live {
	struct kit_options opt;
	struct descriptor *d;
	int cpu;
	struct kit_ctx ctx;
	struct kit_out out;
	char peer[64];
};

/* The peers here are on loopback, which the checks skip unless told that
 * a peer on this host counts (kit_peer_is_local). */
static const struct kit_faults local_peer_counts = { .local_peer_counts = true };

static void live_init(struct live *l, int port, const struct kit_faults *f)
{
	if (!f)
		f = &local_peer_counts;
	memset(l, 0, sizeof(*l));
	if (port > 0)
		snprintf(l->peer, sizeof(l->peer), "127.0.0.1:%d", port);
	l->opt.quick = true;
	l->opt.peer = port > 0 ? l->peer : NULL;
	cv_strv_init(&l->opt.only);
	cv_strv_init(&l->opt.skip);
	l->d = descriptor_new();
	descriptor_set(&l->d->hypervisor.id, "kvm");
	descriptor_set(&l->d->container.id, "none");
	l->ctx = (struct kit_ctx){ .opt = &l->opt, .d = l->d, .tmpdir = tap_tmpdir(), .cpus = &l->cpu, .n_cpus = 1,
				   .root = geteuid() == 0, .faults = f };
	l->out = (struct kit_out){ KIT_ERROR, "the check set no result", json_object(), json_object() };
}

static void live_run(struct live *l, kit_fn fn)
{
	char *m;

	fn(&l->ctx, &l->out);
	m = json_dumps(l->out.measured, JSON_COMPACT);
	printf("%s: %s\nmeasured: %s\n", kit_status_name(l->out.status), l->out.reason, m ? m : "?");
	free(m);
}

static void live_release(struct live *l)
{
	json_decref(l->out.measured);
	json_decref(l->out.threshold);
	descriptor_free(l->d);
}

static json_t *measured(const struct live *l, const char *key)
{
	return json_object_get(l->out.measured, key);
}

TEST(peer_transfer_both_ways_names_the_interface)
{
	struct server s;
	int port = server_start(&s, NULL);
	struct live l;

	live_init(&l, port, NULL);
	live_run(&l, kit_check_net_peer_transfer);
	CHECK_STR(kit_status_name(l.out.status), "pass");
	/* 127.0.0.1 is on lo, whose driver ethtool does not name (no
	 * drvinfo, no parent device). */
	CHECK_STR(json_string_value(measured(&l, "interface")), "lo");
	CHECK_HAS(l.out.reason, "16 MiB each way intact through lo");
	CHECK_INT(json_integer_value(measured(&l, "upload_received_bytes")), 16 * 1024 * 1024);
	CHECK_INT(json_integer_value(measured(&l, "download_received_bytes")), 16 * 1024 * 1024);
	CHECK(json_is_true(measured(&l, "upload_digests_match")));
	CHECK(json_is_true(measured(&l, "download_digests_match")));
	CHECK(json_is_integer(measured(&l, "upload_retransmits")));
	CHECK(json_is_integer(measured(&l, "download_retransmits")));
	CHECK(json_real_value(measured(&l, "upload_mb_per_s")) > 0);
	CHECK(json_real_value(measured(&l, "download_mb_per_s")) > 0);
	CHECK(json_is_null(measured(&l, "paravirtual_nic")));
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

/* Flips one byte, the 1000th of what passes through, once. */
struct flip {
	uint64_t seen;
	bool done;
};

static ssize_t flip_send(int fd, const void *buf, size_t n, int flags, void *userdata)
{
	struct flip *f = userdata;
	ssize_t w;

	if (!f->done && f->seen + n > 1000) {
		unsigned char *copy = cv_xmalloc(n);

		memcpy(copy, buf, n);
		copy[1000 - f->seen] ^= 0x01;
		w = send(fd, copy, n, flags);
		free(copy);
		if (w > (ssize_t)(1000 - f->seen))
			f->done = true;
	} else
		w = send(fd, buf, n, flags);
	if (w > 0)
		f->seen += (uint64_t)w;
	return w;
}

TEST(fault_upload_corrupted_fails)
{
	struct flip fl = { 0, false };
	struct kit_faults f = { .send = flip_send, .local_peer_counts = true, .userdata = &fl };
	struct server s;
	int port = server_start(&s, NULL);
	struct live l;

	live_init(&l, port, &f);
	live_run(&l, kit_check_net_peer_transfer);
	CHECK_STR(kit_status_name(l.out.status), "fail");
	CHECK_HAS(l.out.reason, "the upload (guest to peer) corrupted data");
	CHECK_HAS(l.out.reason, "through lo");
	CHECK(json_is_false(measured(&l, "upload_digests_match")));
	CHECK(json_is_true(measured(&l, "download_digests_match")));
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

TEST(fault_download_corrupted_fails)
{
	struct flip fl = { 0, false };
	struct kit_faults f = { .send = flip_send, .local_peer_counts = true, .userdata = &fl };
	struct server s;
	int port = server_start(&s, &f);
	struct live l;

	live_init(&l, port, NULL);
	live_run(&l, kit_check_net_peer_transfer);
	CHECK_STR(kit_status_name(l.out.status), "fail");
	CHECK_HAS(l.out.reason, "the download (peer to guest) corrupted data: the digest of the 16777216 bytes");
	CHECK(json_is_true(measured(&l, "upload_digests_match")));
	CHECK(json_is_false(measured(&l, "download_digests_match")));
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

/* The peer's stream cut after 1 MiB and ended there: a NIC path that
 * drops the rest. */
struct cut {
	uint64_t limit, sent;
	bool ended;
};

static ssize_t cut_send(int fd, const void *buf, size_t n, int flags, void *userdata)
{
	struct cut *c = userdata;
	ssize_t w;

	if (c->sent >= c->limit) {
		if (!c->ended)
			c->ended = shutdown(fd, SHUT_WR) == 0;
		return (ssize_t)n;
	}
	w = send(fd, buf, n < c->limit - c->sent ? n : (size_t)(c->limit - c->sent), flags);
	if (w > 0)
		c->sent += (uint64_t)w;
	return w;
}

TEST(fault_download_truncated_fails)
{
	struct cut c = { 1024 * 1024, 0, false };
	struct kit_faults f = { .send = cut_send, .local_peer_counts = true, .userdata = &c };
	struct server s;
	int port = server_start(&s, &f);
	struct live l;

	live_init(&l, port, NULL);
	live_run(&l, kit_check_net_peer_transfer);
	CHECK_STR(kit_status_name(l.out.status), "fail");
	CHECK_HAS(l.out.reason,
		  "the download (peer to guest) lost data: 1048576 of 16777216 bytes arrived, then the peer ended the stream");
	CHECK_INT(json_integer_value(measured(&l, "download_received_bytes")), 1048576);
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

/* A peer on this very host (127.0.0.1, or one of its own addresses)
 * proves nothing about a NIC or a clock: both checks skip and say why. */
TEST(a_peer_on_this_host_is_skipped)
{
	static const struct kit_faults none = { .local_peer_counts = false };
	struct server s;
	int port = server_start(&s, NULL);
	struct kit_verdict v;
	struct live l;

	live_init(&l, port, &none);
	live_run(&l, kit_check_net_peer_transfer);
	CHECK_INT(l.out.status, KIT_SKIP);
	CHECK_HAS(l.out.reason, "is this host (127.0.0.1:");
	CHECK_HAS(l.out.reason, "no NIC is crossed and its clock is the guest's; run `covalid kit peer` on another host");
	live_release(&l);
	live_init(&l, port, &none);
	live_run(&l, kit_check_time_reference);
	CHECK_INT(l.out.status, KIT_SKIP);
	CHECK_HAS(l.out.reason, "is this host");
	live_release(&l);
	live_init(&l, port, &none);
	kit_verdict_set(&v, KIT_PASS, NULL);
	kit_time_sync_peer(&l.ctx, &l.out, &v);
	CHECK_INT(v.status, KIT_PASS);
	CHECK(json_is_true(measured(&l, "peer_is_this_host")));
	CHECK(measured(&l, "peer_offset_ns") == NULL);
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

TEST(time_reference_skips_without_peer)
{
	struct live l;

	live_init(&l, 0, NULL);
	live_run(&l, kit_check_time_reference);
	CHECK_INT(l.out.status, KIT_SKIP);
	CHECK_STR(l.out.reason, "no --peer HOST:PORT given");
	CHECK(json_real_value(json_object_get(l.out.threshold, "max_abs_drift_ppm")) == 500.0);
	live_release(&l);
}

TEST(time_reference_passes_against_the_same_clock)
{
	struct server s;
	int port = server_start(&s, NULL);
	struct live l;

	live_init(&l, port, NULL);
	live_run(&l, kit_check_time_reference);
	/* The peer reads this very clock: no drift but the noise of the
	 * measurement, which the check bounds itself. */
	CHECK_STR(kit_status_name(l.out.status), "pass");
	CHECK_INT(json_integer_value(measured(&l, "points")), 5);
	CHECK_INT(json_integer_value(measured(&l, "exchanges")), 80); /* 5 points of 16 (quick) */
	CHECK(json_is_real(measured(&l, "drift_ppm")));
	CHECK(json_is_integer(measured(&l, "offset_ns")));
	CHECK(json_integer_value(measured(&l, "min_delay_ns")) > 0);
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

/* The guest's CLOCK_REALTIME at `rate` of the real one from `base`, and
 * `shift_ns` off; the other clocks untouched. */
struct slow {
	int64_t base_ns, shift_ns;
	double rate;
};

static int64_t real_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t slow_clock(clockid_t c, void *userdata)
{
	const struct slow *s = userdata;
	int64_t now = real_ns(c);

	if (c != CLOCK_REALTIME)
		return now;
	return s->base_ns + s->shift_ns + (int64_t)((double)(now - s->base_ns) * s->rate);
}

TEST(fault_clock_one_percent_slow_fails_time_reference)
{
	struct slow sl = { real_ns(CLOCK_REALTIME), 0, 0.99 };
	struct kit_faults f = { .clock_ns = slow_clock, .local_peer_counts = true, .userdata = &sl };
	struct server s;
	int port = server_start(&s, NULL);
	struct live l;
	double drift;

	live_init(&l, port, &f);
	live_run(&l, kit_check_time_reference);
	CHECK_STR(kit_status_name(l.out.status), "fail");
	CHECK_HAS(l.out.reason, "the guest's clock runs -");
	/* A clock at 0.99 of the rate runs -10000 ppm; the measurement's own
	 * noise on loopback is far below the 500 ppm each side allowed. */
	drift = json_real_value(measured(&l, "drift_ppm"));
	CHECK(drift > -10500 && drift < -9500);
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

TEST(time_sync_reports_the_offset_to_the_peer)
{
	struct slow sl = { real_ns(CLOCK_REALTIME), 0, 1.0 };
	struct kit_faults f = { .clock_ns = slow_clock, .local_peer_counts = true, .userdata = &sl };
	struct server s;
	int port = server_start(&s, NULL);
	struct kit_verdict v;
	struct live l;

	/* Unfaked: the same clock, the offset well inside 128 ms. */
	live_init(&l, port, NULL);
	kit_verdict_set(&v, KIT_PASS, NULL);
	kit_time_sync_peer(&l.ctx, &l.out, &v);
	CHECK_INT(v.status, KIT_PASS);
	CHECK(json_is_integer(measured(&l, "peer_offset_ns")));
	CHECK(json_is_integer(measured(&l, "peer_delay_ns")));
	CHECK(json_real_value(json_object_get(l.out.threshold, "max_abs_peer_offset_ms")) == 128.0);
	live_release(&l);

	/* The guest's clock 1 s behind: the peer is +1000 ms from it. */
	sl.shift_ns = -1000000000LL;
	live_init(&l, port, &f);
	kit_verdict_set(&v, KIT_PASS, NULL);
	kit_time_sync_peer(&l.ctx, &l.out, &v);
	CHECK_INT(v.status, KIT_FAIL);
	/* 1000 ms give or take the exchange's asymmetry (well under 1 ms on loopback). */
	CHECK_HAS(v.reason, "the peer's clock is +");
	CHECK_HAS(v.reason, " ms from the guest's (bound +-128 ms, NTP's step threshold)");
	CHECK(json_integer_value(measured(&l, "peer_offset_ns")) > 990000000LL);
	CHECK(json_integer_value(measured(&l, "peer_offset_ns")) < 1010000000LL);
	live_release(&l);

	/* The kernel's verdict is kept, the offset's joined to it. */
	live_init(&l, port, &f);
	kit_verdict_set(&v, KIT_FAIL, "unsynchronised");
	kit_time_sync_peer(&l.ctx, &l.out, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_HAS(v.reason, "unsynchronised; the peer's clock is +");
	live_release(&l);

	/* The whole check: measured carries the peer's offset. */
	live_init(&l, port, NULL);
	live_run(&l, kit_check_time_sync);
	CHECK(json_is_integer(measured(&l, "peer_offset_ns")));
	live_release(&l);
	CHECK_INT(server_stop(&s), 0);
}

TEST(time_checks_against_nobody_are_errors)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct kit_verdict v;
	struct live l;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was free a moment ago and is closed now. */
	CHECK_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	live_init(&l, ntohs(a.sin_port), NULL);
	live_run(&l, kit_check_time_reference);
	CHECK_INT(l.out.status, KIT_ERROR);
	CHECK_HAS(l.out.reason, "cannot reach the peer");
	kit_verdict_set(&v, KIT_PASS, NULL);
	kit_time_sync_peer(&l.ctx, &l.out, &v);
	CHECK_INT(v.status, KIT_ERROR);
	CHECK_HAS(v.reason, "cannot reach the peer");
	live_release(&l);
}

/* ---- a hostile or outdated peer: the kit errs, says why, and does not crash ---- */

struct fake {
	int listen_fd, port;
	const char *answer; /* printf format taking the echoed t1 as a string */
	pthread_t thread;
};

/* Serves one connection: reads the header and one line, answers. */
static void *fake_main(void *p)
{
	struct fake *f = p;
	char line[128], out[256], *l;
	int fd = accept(f->listen_fd, NULL, NULL);

	if (fd < 0)
		return NULL;
	free(line_of(fd)); /* the header */
	l = line_of(fd);
	snprintf(line, sizeof(line), "%s", cv_startswith(l, "T ") ? l + 2 : l);
	free(l);
	snprintf(out, sizeof(out), f->answer, line);
	send_text(fd, out, strlen(out));
	close(fd);
	return NULL;
}

static int fake_start(struct fake *f, const char *answer)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	f->answer = answer;
	f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_INT(bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(listen(f->listen_fd, 4), 0);
	CHECK_INT(getsockname(f->listen_fd, (struct sockaddr *)&a, &len), 0);
	f->port = ntohs(a.sin_port);
	if (pthread_create(&f->thread, NULL, fake_main, f) != 0)
		abort();
	return f->port;
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
}

TEST(time_reference_refuses_bad_answers)
{
	static const struct {
		const char *answer, *reason;
	} cases[] = {
		{ "T 1 2 3\n", "the peer's answer is not \"T <t1> <t2> <t3>\"" },                     /* not our t1 */
		{ "T %s 99999999999999999999 99999999999999999999\n", "the peer's answer is not" }, /* out of range */
		{ "T %s 9223372036854775807 9223372036854775807\n", "the peer's answer is not" },   /* past 2116 */
		{ "T %s 5000 4000\n", "the peer's answer is not" },                                  /* answered before it arrived */
		{ "T %s -5 7\n", "the peer's answer is not" },
		{ "T %s 5 6 7\n", "the peer's answer is not" },
		{ "T %s 5\n", "the peer's answer is not" },
		{ "hello %s\n", "the peer's answer is not" },
		{ "ERR unsupported protocol version (this peer speaks 1)\n", "unsupported protocol version (this peer speaks 1)" },
		{ "", "the peer closed the connection" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
		struct fake f;
		struct live l;
		int port = fake_start(&f, cases[i].answer);

		live_init(&l, port, NULL);
		live_run(&l, kit_check_time_reference);
		if (l.out.status != KIT_ERROR || !strstr(l.out.reason, cases[i].reason))
			tap_fail(__FILE__, __LINE__, "case %zu: %s (%s), expected error with \"%s\"", i,
				 kit_status_name(l.out.status), l.out.reason, cases[i].reason);
		live_release(&l);
		fake_stop(&f);
	}
}

/* A version 1 peer refuses version 2 headers: the check errs and says
 * to update it.  (The fake reads the header and one line, answers as a
 * version 1 peer does, and closes.) */
TEST(peer_transfer_to_a_version_1_peer_says_to_update_it)
{
	struct fake f;
	struct live l;
	int port = fake_start(&f, "ERR unsupported protocol version (this peer speaks 1)\n");

	live_init(&l, port, NULL);
	live_run(&l, kit_check_net_peer_transfer);
	CHECK_INT(l.out.status, KIT_ERROR);
	CHECK_HAS(l.out.reason, "unsupported protocol version (this peer speaks 1) (a version 1 peer: update it");
	live_release(&l);
	fake_stop(&f);
}

TAP_MAIN(peer_transfer_decisions, reference_decisions, peer_offset_decisions,
	 peer_get_sends_the_documented_stream_and_its_digest, peer_time_answers_with_three_timestamps,
	 peer_refuses_hostile_version_2_input_and_keeps_serving, peer_bounds_the_exchanges_of_one_connection,
	 peer_transfer_both_ways_names_the_interface, fault_upload_corrupted_fails, fault_download_corrupted_fails,
	 fault_download_truncated_fails, time_reference_skips_without_peer, time_reference_passes_against_the_same_clock,
	 fault_clock_one_percent_slow_fails_time_reference, time_sync_reports_the_offset_to_the_peer,
	 time_checks_against_nobody_are_errors, time_reference_refuses_bad_answers,
	 peer_transfer_to_a_version_1_peer_says_to_update_it, a_peer_on_this_host_is_skipped)
