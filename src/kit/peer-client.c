/*
 * peer-client.c - the kit's side of the peer protocol (peer.c has the
 * protocol) and net.peer_transfer, on every system: the upload (PUT), the
 * download (GET) and their decision.  The sockets underneath are the
 * system's own (kit-internal.h, "the client side of the peer protocol"):
 * check-net.c on Linux, win/net.c on Windows (Winsock).
 */
#include <sodium.h>
#include <stdarg.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

#define MIB (1024ull * 1024)
#define CHUNK (64 * 1024)
#define PEER_QUICK (16 * MIB)
#define PEER_FULL (256 * MIB)
#define REPLY_MAX 128

/* Sends bytes of the xorshift64 stream on fd and returns their digest. */
int kit_send_stream(const struct kit_faults *f, int fd, uint64_t bytes, unsigned char digest[KIT_DIGEST_BYTES])
{
	uint64_t *buf = cv_xmalloc(CHUNK), x = KIT_STREAM_SEED, sent = 0;
	crypto_generichash_state st;
	int r = 0;

	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	while (sent < bytes) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;

		kit_stream_fill(&x, buf, CHUNK / 8);
		crypto_generichash_update(&st, (const unsigned char *)buf, n);
		r = kit_peer_send_all(f, fd, buf, n);
		if (r < 0)
			goto out;
		sent += n;
	}
	crypto_generichash_final(&st, digest, crypto_generichash_BYTES);
out:
	free(buf);
	return r;
}

static bool is_hex_digest(const char *s)
{
	return strlen(s) == 2 * crypto_generichash_BYTES && strspn(s, "0123456789abcdef") == strlen(s);
}

/* "ERR the transfer ended after GOT of BYTES bytes" (peer.c) for this
 * transfer, GOT < BYTES: the peer's receiving side saw the stream end. */
static bool peer_got_less(const char *reply, uint64_t bytes, uint64_t *ret_got)
{
	static const char prefix[] = "ERR the transfer ended after ";
	char want[64], *end = NULL;
	uint64_t got;

	if (!cv_startswith(reply, prefix) || reply[sizeof(prefix) - 1] < '0' || reply[sizeof(prefix) - 1] > '9')
		return false;
	errno = 0;
	got = strtoull(reply + sizeof(prefix) - 1, &end, 10);
	snprintf(want, sizeof(want), " of %llu bytes", (unsigned long long)bytes);
	if (errno || strcmp(end, want) != 0 || got >= bytes)
		return false;
	*ret_got = got;
	return true;
}

/* ---- net.peer_transfer: the interface and driver the peer is reached through ---- */

/* Paravirtual NIC drivers as ethtool or sysfs name them, by the
 * integration component they are (docs/probe.md: netvsc, virtio_net,
 * vmxnet3, xen-netfront).  XenLinux 2.6.18's netfront calls itself
 * "netfront" to ethtool; mainline's has no drvinfo and ethtool reports
 * its xenbus driver, "vif". */
static const struct {
	const char *driver, *component;
} pv_nics[] = {
	{ "hv_netvsc", "netvsc" },	{ "netvsc", "netvsc" },		    { "virtio_net", "virtio_net" },
	{ "vmxnet3", "vmxnet3" },	{ "vif", "xen-netfront" },	    { "netfront", "xen-netfront" },
	{ "xen-netfront", "xen-netfront" }, { "xen_netfront", "xen-netfront" }, { "xennet", "xen-netfront" },
	{ "xen_vnif", "xen-netfront" },
	/* Windows's driver services (docs/probe.md, "Windows component names"). */
	{ "netkvm", "virtio_net" },	{ "netvsc60", "netvsc" },	    { "vmxnet3ndis6", "vmxnet3" },
	{ "vmxnet3n61x64", "vmxnet3" }, { "vmxnet3n61x86", "vmxnet3" },
};

const char *kit_nic_component(const char *driver)
{
	for (size_t i = 0; driver && i < CV_ELEMENTSOF(pv_nics); i++)
		if (cv_streq(pv_nics[i].driver, driver))
			return pv_nics[i].component;
	return NULL;
}

/* ---- net.peer_transfer: the decision ---- */

void kit_decide_peer_transfer(const struct kit_transfer *up, const struct kit_transfer *down, struct kit_verdict *v)
{
	const struct {
		const struct kit_transfer *t;
		const char *name;
	} dir[] = { { up, "upload (guest to peer)" }, { down, "download (peer to guest)" } };

	for (size_t i = 0; i < CV_ELEMENTSOF(dir); i++) {
		const struct kit_transfer *t = dir[i].t;

		if (t->arrived < t->bytes) {
			kit_verdict_set(v, KIT_FAIL, "the %s lost data: %llu of %llu bytes arrived%s%s", dir[i].name,
					(unsigned long long)t->arrived, (unsigned long long)t->bytes, t->stalled ? ", then " : "",
					t->stalled ? t->stalled : "");
			return;
		}
		if (t->arrived > t->bytes || !t->digests_match) {
			kit_verdict_set(v, KIT_FAIL, "the %s corrupted data: the digest of the %llu bytes that arrived differs from "
					"the digest of those sent", dir[i].name, (unsigned long long)t->arrived);
			return;
		}
	}
	kit_verdict_set(v, KIT_PASS, NULL);
}

/* ---- net.peer_transfer: the two directions ---- */

struct leg {
	struct kit_transfer t;
	double mb_per_s;
	json_t *retransmits;
	char error[200]; /* set: the check could not be made */
};

/* MB/s, 0 for no time at all (JSON has no infinity). */
static double rate(uint64_t bytes, double elapsed)
{
	return elapsed > 0 ? kit_round((double)bytes / 1e6 / elapsed) : 0;
}

static void leg_error(struct leg *l, const char *fmt, ...) CV_PRINTF(2, 3);
static void leg_error(struct leg *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->error, sizeof(l->error), fmt, ap);
	va_end(ap);
}

/* What to do about a peer that speaks only version 1 (peer.c's ERR line). */
static const char *v1_hint(const char *answer)
{
	return strstr(answer, "(this peer speaks 1)") ? " (a version 1 peer: update it to this covalid's `kit peer`)" : "";
}

/* PUT: the kit sends, the peer answers with the digest of what arrived. */
static void peer_upload(const struct kit_ctx *ctx, int fd, uint64_t bytes, struct leg *l)
{
	unsigned char digest[crypto_generichash_BYTES];
	char hex[2 * crypto_generichash_BYTES + 1], header[64], line[REPLY_MAX], *clean = NULL;
	double t0 = kit_now();
	uint64_t got;
	int r;

	l->t.bytes = bytes;
	snprintf(header, sizeof(header), "COVALID-PEER 2 PUT %llu\n", (unsigned long long)bytes);
	r = kit_peer_send_all(ctx->faults, fd, header, strlen(header));
	if (r == 0)
		r = kit_send_stream(ctx->faults, fd, bytes, digest);
	if (r < 0) {
		/* A peer that refused the header says why before closing. */
		int rr = kit_peer_read_line(fd, line, sizeof(line));

		clean = cv_str_sanitize(line, strlen(line), sizeof(line));
		leg_error(l, "the upload failed: %s%s%s%s", strerror(-r), rr == 0 ? "; the peer answered: " : "",
			  rr == 0 ? clean : "", rr == 0 ? v1_hint(clean) : "");
		goto out;
	}
	r = kit_peer_read_line(fd, line, sizeof(line));
	l->mb_per_s = rate(bytes, kit_now() - t0);
	l->retransmits = kit_peer_retransmits(fd);
	if (r < 0) {
		leg_error(l, "no answer to the upload: %s", r == -ENODATA ? "the peer closed the connection" : strerror(-r));
		goto out;
	}
	clean = cv_str_sanitize(line, strlen(line), sizeof(line));
	/* Every byte was sent and the peer saw the stream end early: the
	 * data was lost on the way, which is what the check looks for. */
	if (peer_got_less(clean, bytes, &got)) {
		l->t.arrived = got;
		goto out;
	}
	if (cv_startswith(clean, "ERR ")) {
		leg_error(l, "the peer refused the upload: %s%s", clean + 4, v1_hint(clean));
		goto out;
	}
	if (!cv_startswith(clean, "OK ") || !is_hex_digest(clean + 3)) {
		leg_error(l, "the peer answered the upload with something else than \"OK <digest>\": %s", clean);
		goto out;
	}
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	l->t.arrived = bytes;
	l->t.digests_match = strcmp(hex, clean + 3) == 0;
out:
	free(clean);
}

/* The digest of the first bytes of the stream: what a download must be. */
static void stream_digest(uint64_t bytes, unsigned char digest[crypto_generichash_BYTES])
{
	uint64_t *buf = cv_xmalloc(CHUNK), x = KIT_STREAM_SEED;
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	for (uint64_t done = 0; done < bytes;) {
		size_t n = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;

		kit_stream_fill(&x, buf, CHUNK / 8);
		crypto_generichash_update(&st, (const unsigned char *)buf, n);
		done += n;
	}
	crypto_generichash_final(&st, digest, crypto_generichash_BYTES);
	free(buf);
}

/* "OK <64 hex> <retransmits or ->": the peer's retransmits, or null. */
static bool parse_get_trailer(const char *line, json_t **ret_retrans)
{
	char hexpart[2 * crypto_generichash_BYTES + 1];
	const char *tail;
	uint64_t n;

	if (!cv_startswith(line, "OK ") || strlen(line) < 3 + sizeof(hexpart))
		return false;
	memcpy(hexpart, line + 3, sizeof(hexpart) - 1);
	hexpart[sizeof(hexpart) - 1] = '\0';
	tail = line + 3 + sizeof(hexpart) - 1;
	if (!is_hex_digest(hexpart) || *tail != ' ')
		return false;
	if (cv_streq(tail + 1, "-"))
		*ret_retrans = json_null();
	else if (strspn(tail + 1, "0123456789") == strlen(tail + 1) && cv_parse_u64(tail + 1, 10, &n) == 0 && n <= UINT32_MAX)
		*ret_retrans = json_integer((json_int_t)n);
	else
		return false;
	return true;
}

/* GET: the peer sends the stream, the kit checks it against its own. */
static void peer_download(int fd, uint64_t bytes, struct leg *l)
{
	unsigned char want[crypto_generichash_BYTES], got_digest[crypto_generichash_BYTES];
	char header[64], line[REPLY_MAX], expect[48], *clean = NULL;
	crypto_generichash_state st;
	char *buf = cv_xmalloc(CHUNK);
	double t0;
	int r;

	l->t.bytes = bytes;
	stream_digest(bytes, want);
	snprintf(header, sizeof(header), "COVALID-PEER 2 GET %llu\n", (unsigned long long)bytes);
	t0 = kit_now();
	/* The faults' send hook is for the data the kit sends; here the
	 * peer sends it (kit_peer_serve_faulty() takes faults for that). */
	r = kit_peer_send_all(NULL, fd, header, strlen(header));
	if (r == 0)
		r = kit_peer_read_line(fd, line, sizeof(line));
	if (r < 0) {
		leg_error(l, "the download could not start: %s", r == -ENODATA ? "the peer closed the connection" : strerror(-r));
		goto out;
	}
	clean = cv_str_sanitize(line, strlen(line), sizeof(line));
	snprintf(expect, sizeof(expect), "DATA %llu", (unsigned long long)bytes);
	if (cv_startswith(clean, "ERR ")) {
		leg_error(l, "the peer refused the download: %s%s", clean + 4, v1_hint(clean));
		goto out;
	}
	if (!cv_streq(clean, expect)) {
		leg_error(l, "the peer answered the download with something else than \"%s\": %s", expect, clean);
		goto out;
	}
	crypto_generichash_init(&st, NULL, 0, sizeof(got_digest));
	while (l->t.arrived < bytes) {
		size_t want_n = bytes - l->t.arrived < CHUNK ? (size_t)(bytes - l->t.arrived) : CHUNK;
		ssize_t n = kit_peer_recv(fd, buf, want_n);

		if (n < 0) {
			l->t.stalled = n == -ETIMEDOUT ? "nothing more for 10 s" : "the connection failed";
			break;
		}
		if (n == 0) {
			l->t.stalled = "the peer ended the stream";
			break;
		}
		crypto_generichash_update(&st, (const unsigned char *)buf, (size_t)n);
		l->t.arrived += (uint64_t)n;
	}
	crypto_generichash_final(&st, got_digest, sizeof(got_digest));
	l->mb_per_s = rate(l->t.arrived, kit_now() - t0);
	l->t.digests_match = l->t.arrived == bytes && sodium_memcmp(want, got_digest, sizeof(want)) == 0;
	if (l->t.arrived < bytes)
		goto out;
	/* The peer's count of its retransmits; a missing or odd trailer
	 * after intact data is the peer's problem, not the path's. */
	l->retransmits = json_null();
	if (kit_peer_read_line(fd, line, sizeof(line)) == 0) {
		json_t *rt = NULL;

		if (parse_get_trailer(line, &rt)) {
			json_decref(l->retransmits);
			l->retransmits = rt;
		}
	}
out:
	free(clean);
	free(buf);
}

static void put_leg(json_t *m, const char *dir, const struct leg *l)
{
	char key[48];

	snprintf(key, sizeof(key), "%s_received_bytes", dir);
	json_object_set_new(m, key, json_integer((json_int_t)l->t.arrived));
	snprintf(key, sizeof(key), "%s_digests_match", dir);
	json_object_set_new(m, key, json_boolean(l->t.digests_match));
	snprintf(key, sizeof(key), "%s_mb_per_s", dir);
	json_object_set_new(m, key, json_real(l->mb_per_s));
	snprintf(key, sizeof(key), "%s_retransmits", dir);
	json_object_set_new(m, key, l->retransmits ? json_incref(l->retransmits) : json_null());
}

static json_t *retrans_or_null(const json_t *j)
{
	return json_is_integer(j) ? (json_t *)j : NULL;
}

void kit_check_net_peer_transfer(const struct kit_ctx *ctx, struct kit_out *out)
{
	uint64_t bytes = ctx->opt->quick ? PEER_QUICK : PEER_FULL;
	char addr[KIT_ADDR_MAX] = "";
	const char *peer = ctx->opt->peer, *component;
	struct kit_route route = { .driver = NULL };
	struct leg up = { .t.digests_match = false }, down = { .t.digests_match = false };
	struct kit_verdict v;
	int fd = -1, r;

	json_object_set_new(out->measured, "peer", kit_json_str(peer));
	json_object_set_new(out->threshold, "digests_match", json_true());
	json_object_set_new(out->threshold, "bytes_each_way", json_integer((json_int_t)bytes));
	if (!peer) {
		kit_set(out, KIT_SKIP, "no --peer HOST:PORT given");
		goto out;
	}
	if (sodium_init() < 0) {
		kit_set(out, KIT_ERROR, "libsodium cannot be initialised");
		goto out;
	}
	fd = kit_peer_connect(peer, addr, sizeof(addr));
	if (fd == -EINVAL) {
		kit_set(out, KIT_ERROR, "--peer %s is not HOST:PORT (or [IPV6]:PORT)", peer);
		goto out;
	}
	if (fd < 0) {
		kit_set(out, KIT_ERROR, "cannot reach the peer at %s: %s", peer, strerror(-fd));
		goto out;
	}
	json_object_set_new(out->measured, "address", json_string(addr));
	json_object_set_new(out->measured, "bytes", json_integer((json_int_t)bytes));
	r = kit_peer_route(ctx, fd, &route);
	if (r == 0 && kit_peer_is_local(ctx->faults, fd)) {
		json_object_set_new(out->measured, "interface", json_string(route.ifname));
		kit_set(out, KIT_SKIP, KIT_LOCAL_PEER_REASON, peer, addr);
		goto out;
	}
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot tell which interface reaches the peer at %s: %s", peer, strerror(-r));
		goto out;
	}
	component = kit_nic_component(route.driver);
	json_object_set_new(out->measured, "interface", json_string(route.ifname));
	json_object_set_new(out->measured, "local_address", json_string(route.local));
	json_object_set_new(out->measured, "driver", kit_json_str(route.driver));
	json_object_set_new(out->measured, "driver_source", kit_json_str(route.source));
	json_object_set_new(out->measured, "paravirtual_nic", kit_json_str(component));

	peer_upload(ctx, fd, bytes, &up);
	kit_peer_close(fd);
	fd = -1;
	if (!up.error[0]) {
		fd = kit_peer_connect(peer, addr, sizeof(addr));
		if (fd < 0)
			leg_error(&down, "cannot reach the peer again: %s", strerror(-fd));
		else
			peer_download(fd, bytes, &down);
	}
	put_leg(out->measured, "upload", &up);
	put_leg(out->measured, "download", &down);
	/* Kept from version 1 of the check: both directions intact. */
	json_object_set_new(out->measured, "digests_match", json_boolean(up.t.digests_match && down.t.digests_match));
	if (up.error[0] || down.error[0]) {
		kit_set(out, KIT_ERROR, "%s (peer %s, through %s, driver %s)", up.error[0] ? up.error : down.error, peer,
			route.ifname, route.driver ? route.driver : "unknown");
		goto out;
	}
	kit_decide_peer_transfer(&up.t, &down.t, &v);
	if (v.status != KIT_PASS) {
		kit_set(out, v.status, "%s (peer %s, through %s, driver %s)", v.reason, peer, route.ifname,
			route.driver ? route.driver : "unknown");
		goto out;
	}
	{
		json_t *ru = retrans_or_null(up.retransmits), *rd = retrans_or_null(down.retransmits);
		char rus[24] = "?", rds[24] = "?";

		if (ru)
			snprintf(rus, sizeof(rus), "%lld", (long long)json_integer_value(ru));
		if (rd)
			snprintf(rds, sizeof(rds), "%lld", (long long)json_integer_value(rd));
		kit_set(out, KIT_PASS,
			"%llu MiB each way intact through %s (driver %s%s%s) to %s: %.0f MB/s up, %.0f MB/s down; "
			"TCP retransmits %s up, %s down",
			(unsigned long long)(bytes / MIB), route.ifname, route.driver ? route.driver : "unknown",
			component ? ", paravirtual " : "", component ? component : "", addr, up.mb_per_s, down.mb_per_s, rus,
			rds);
	}
out:
	if (fd >= 0)
		kit_peer_close(fd);
	json_decref(up.retransmits);
	json_decref(down.retransmits);
	free(route.driver);
}
