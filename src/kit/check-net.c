/*
 * check-net.c - net.inventory (interfaces, drivers, offloads),
 * net.loopback_integrity (TCP through the guest's own stack) and
 * net.peer_transfer (TCP through the virtual NIC to `covalid kit peer`).
 *
 * Both transfers send an xorshift64 pseudo-random stream and compare
 * BLAKE2b-256 digests of what was sent and what arrived: a checksum
 * offload that the hypervisor gets wrong corrupts data that TCP's own
 * checksum then no longer protects.  The protocol spoken with the peer is
 * described at the top of peer.c.
 *
 * Every socket has send and receive timeouts, and connect() to the peer
 * is bounded by poll(), so that no network fault can hang the check: it
 * ends with an error and the reason instead.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "kit/kit-internal.h"
#include "util/compat.h"
#include "util/cv.h"

#define MIB (1024ull * 1024)
#define CHUNK (64 * 1024)
#define IO_TIMEOUT_S 10
#define MAX_IFACES 256
#define LOOPBACK_QUICK (32 * MIB)
#define LOOPBACK_FULL (512 * MIB)
#define PEER_QUICK (16 * MIB)
#define PEER_FULL (256 * MIB)
#define REPLY_MAX 128

/* ---- net.inventory ---- */

static const struct {
	const char *name;
	uint32_t cmd;
} offloads[] = {
	{ "rx_checksum", ETHTOOL_GRXCSUM }, { "tx_checksum", ETHTOOL_GTXCSUM },
	{ "scatter_gather", ETHTOOL_GSG },  { "tso", ETHTOOL_GTSO },
	{ "gso", ETHTOOL_GGSO },            { "gro", ETHTOOL_GGRO },
};

/* The legacy ethtool "get" ioctls: true/false, or null where the driver
 * or the kernel refuses (the newer netlink interface is not needed for
 * these six, and the ioctls work on every kernel a guest may run). */
static json_t *offload(int sock, const char *ifname, uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;

	if (sock < 0)
		return json_null();
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0)
		return json_null();
	return json_boolean(ev.data != 0);
}

static char *net_value(const char *ifname, const char *attr)
{
	char *path = cv_xasprintf("/sys/class/net/%s/%s", ifname, attr);
	char *s = kit_read(path);

	free(path);
	if (s)
		cv_strstrip(s);
	return s;
}

/* An integer attribute; null when unreadable (speed of a link that is
 * down fails with EINVAL) or negative (SPEED_UNKNOWN is -1). */
static json_t *net_int(const char *ifname, const char *attr)
{
	char *s = net_value(ifname, attr);
	int64_t v;
	json_t *j = json_null();

	if (s && cv_parse_i64(s, 10, &v) == 0 && v >= 0)
		j = json_integer((json_int_t)v);
	free(s);
	return j;
}

/* The driver the probe found, else the name of device/driver's target. */
static char *nic_driver(const struct kit_ctx *ctx, const char *ifname)
{
	char *link, target[4096];
	const char *slash;
	ssize_t n;

	for (size_t i = 0; i < ctx->d->vm.nics.n; i++)
		if (cv_streq(ctx->d->vm.nics.v[i].name, ifname) && ctx->d->vm.nics.v[i].driver)
			return cv_xstrdup(ctx->d->vm.nics.v[i].driver);
	link = cv_xasprintf("/sys/class/net/%s/device/driver", ifname);
	n = readlink(link, target, sizeof(target) - 1);
	free(link);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return cv_xstrdup(slash ? slash + 1 : target);
}

void kit_check_net_inventory(const struct kit_ctx *ctx, struct kit_out *out)
{
	const char *container = ctx->d->container.id;
	DIR *dir = NULL;
	struct cv_strv names, summary;
	struct dirent *e;
	json_t *ifaces = NULL;
	char *list = NULL;
	int sock = -1;

	cv_strv_init(&names);
	cv_strv_init(&summary);
	json_object_set_new(out->measured, "container", kit_json_str(container));
	if (!cv_streq(container, "none")) {
		kit_set(out, KIT_SKIP, "inside a container (%s): the interfaces seen are the container's, not the VM's",
			container ? container : "unknown");
		goto out;
	}
	dir = opendir("/sys/class/net");
	if (!dir) {
		kit_set(out, KIT_ERROR, "/sys/class/net: %s", strerror(errno));
		goto out;
	}
	/* Only interfaces backed by a device: lo, bridges, tunnels and
	 * other virtual interfaces have no device link. */
	while ((e = readdir(dir)) && names.n < MAX_IFACES) {
		char *dev;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
			continue;
		dev = cv_xasprintf("/sys/class/net/%s/device", e->d_name);
		if (access(dev, F_OK) == 0)
			cv_strv_push(&names, e->d_name);
		free(dev);
	}
	cv_strv_sort(&names);

	sock = cv_socket_cloexec(AF_INET, SOCK_DGRAM, 0);
	ifaces = json_array();
	for (size_t i = 0; i < names.n; i++) {
		const char *ifname = names.v[i];
		char *driver = nic_driver(ctx, ifname), *state = net_value(ifname, "operstate");
		json_t *j = json_object(), *off = json_object();

		for (size_t k = 0; k < CV_ELEMENTSOF(offloads); k++)
			json_object_set_new(off, offloads[k].name, offload(sock, ifname, offloads[k].cmd));
		json_object_set_new(j, "name", json_string(ifname));
		json_object_set_new(j, "driver", kit_json_str(driver));
		json_object_set_new(j, "mtu", net_int(ifname, "mtu"));
		json_object_set_new(j, "speed_mbps", net_int(ifname, "speed"));
		json_object_set_new(j, "operstate", kit_json_str(state));
		json_object_set_new(j, "offloads", off);
		json_array_append_new(ifaces, j);
		cv_strv_push_take(&summary, cv_xasprintf("%s (%s)", ifname, driver ? driver : "driver unknown"));
		free(driver);
		free(state);
	}
	json_object_set_new(out->measured, "interfaces", ifaces);
	ifaces = NULL;
	json_object_set_new(out->measured, "count", json_integer((json_int_t)names.n));
	json_object_set_new(out->threshold, "min_interfaces", json_integer(1));
	if (!names.n) {
		kit_set(out, KIT_FAIL, "no network interface with a driver");
		goto out;
	}
	list = cv_strv_join(&summary, ", ");
	kit_set(out, KIT_PASS, "%zu interface%s: %s", names.n, names.n > 1 ? "s" : "", list);
out:
	json_decref(ifaces);
	if (sock >= 0)
		close(sock);
	if (dir)
		closedir(dir);
	cv_strv_release(&names);
	cv_strv_release(&summary);
	free(list);
}

/* ---- transfers: what the loopback and the peer checks share ---- */

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = { seconds, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int send_all(const struct kit_faults *f, int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		/* MSG_NOSIGNAL: a vanished receiver is an error to report, not
		 * a SIGPIPE that kills the check. */
		ssize_t w = f && f->send ? f->send(fd, c, n, MSG_NOSIGNAL, f->userdata) : send(fd, c, n, MSG_NOSIGNAL);

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

/* Sends bytes of the xorshift64 stream on fd and returns their digest. */
static int send_stream(const struct kit_faults *f, int fd, uint64_t bytes,
		       unsigned char digest[crypto_generichash_BYTES])
{
	uint64_t *buf = cv_xmalloc(CHUNK), x = KIT_STREAM_SEED, sent = 0;
	crypto_generichash_state st;
	int r = 0;

	crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	while (sent < bytes) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;

		kit_stream_fill(&x, buf, CHUNK / 8);
		crypto_generichash_update(&st, (const unsigned char *)buf, n);
		r = send_all(f, fd, buf, n);
		if (r < 0)
			goto out;
		sent += n;
	}
	crypto_generichash_final(&st, digest, crypto_generichash_BYTES);
out:
	free(buf);
	return r;
}

/* ---- net.loopback_integrity ---- */

struct sink {
	int listen_fd;
	unsigned char digest[crypto_generichash_BYTES];
	uint64_t bytes;
	int error; /* 0 or -errno */
};

/* The receiving side: accepts one connection, reads to its end, hashes. */
static void *sink_main(void *p)
{
	struct sink *s = p;
	crypto_generichash_state st;
	char *buf = cv_xmalloc(CHUNK);
	int fd;

	/* SO_RCVTIMEO on the listening socket bounds accept() too. */
	fd = cv_accept_cloexec(s->listen_fd, NULL, NULL);
	if (fd < 0) {
		s->error = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	set_timeouts(fd, IO_TIMEOUT_S);
	crypto_generichash_init(&st, NULL, 0, sizeof(s->digest));
	for (;;) {
		ssize_t n = recv(fd, buf, CHUNK, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			s->error = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n == 0)
			break;
		crypto_generichash_update(&st, (const unsigned char *)buf, (size_t)n);
		s->bytes += (uint64_t)n;
	}
	crypto_generichash_final(&st, s->digest, sizeof(s->digest));
	close(fd);
out:
	free(buf);
	return NULL;
}

/* Connects to addr, sends the stream and ends it; 0 or -errno. */
static int loopback_send(const struct kit_faults *f, const struct sockaddr_in *addr, uint64_t bytes,
			 unsigned char digest[crypto_generichash_BYTES])
{
	int fd, r;

	fd = cv_socket_cloexec(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	set_timeouts(fd, IO_TIMEOUT_S);
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		r = -errno;
		goto out;
	}
	r = send_stream(f, fd, bytes, digest);
	/* The end of the stream tells the receiver it has it all. */
	if (r == 0 && shutdown(fd, SHUT_WR) < 0)
		r = -errno;
out:
	close(fd);
	return r;
}

void kit_check_net_loopback_integrity(const struct kit_ctx *ctx, struct kit_out *out)
{
	uint64_t bytes = ctx->opt->quick ? LOOPBACK_QUICK : LOOPBACK_FULL;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	unsigned char digest[crypto_generichash_BYTES];
	struct sink s = { .listen_fd = -1 };
	struct kit_verdict v;
	double t0, elapsed;
	bool match;
	pthread_t t;
	int r;

	json_object_set_new(out->measured, "bytes", json_integer((json_int_t)bytes));
	if (sodium_init() < 0) {
		kit_set(out, KIT_ERROR, "libsodium cannot be initialised");
		goto out;
	}
	s.listen_fd = cv_socket_cloexec(AF_INET, SOCK_STREAM, 0);
	if (s.listen_fd < 0 || bind(s.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(s.listen_fd, 1) < 0 || getsockname(s.listen_fd, (struct sockaddr *)&addr, &len) < 0) {
		kit_set(out, KIT_ERROR, "cannot listen on 127.0.0.1: %s", strerror(errno));
		goto out;
	}
	set_timeouts(s.listen_fd, IO_TIMEOUT_S);
	r = pthread_create(&t, NULL, sink_main, &s);
	if (r != 0) {
		kit_set(out, KIT_ERROR, "cannot start the receiving thread: %s", strerror(r));
		goto out;
	}
	t0 = kit_now();
	r = loopback_send(ctx->faults, &addr, bytes, digest);
	/* Wake an accept() that would otherwise wait for its timeout. */
	if (r < 0)
		shutdown(s.listen_fd, SHUT_RDWR);
	pthread_join(t, NULL);
	elapsed = kit_now() - t0;
	if (r < 0 || s.error < 0) {
		kit_set(out, KIT_ERROR, "the loopback transfer failed while %s: %s", r < 0 ? "sending" : "receiving",
			strerror(r < 0 ? -r : -s.error));
		goto out;
	}
	match = s.bytes == bytes && sodium_memcmp(digest, s.digest, sizeof(digest)) == 0;
	json_object_set_new(out->measured, "received_bytes", json_integer((json_int_t)s.bytes));
	json_object_set_new(out->measured, "mb_per_s",
			    json_real(kit_round(elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0)));
	json_object_set_new(out->measured, "digests_match", json_boolean(match));
	json_object_set_new(out->threshold, "digests_match", json_true());
	kit_decide_mismatches(match ? 0 : 1, 1, "loopback TCP transfer", &v);
	kit_apply(out, &v);
	if (s.bytes != bytes)
		kit_set(out, KIT_FAIL, "%s: the transfer was truncated, %llu of %llu bytes arrived", v.reason,
			(unsigned long long)s.bytes, (unsigned long long)bytes);
out:
	if (s.listen_fd >= 0)
		close(s.listen_fd);
}

/* ---- net.peer_transfer ---- */

/* "HOST:PORT" or "[V6]:PORT" into host and port; 0 or -EINVAL.  A peer
 * to connect to needs a host. */
static int parse_peer(const char *s, char **ret_host, char **ret_port)
{
	char *host;
	uint16_t port;
	int r;

	r = cv_parse_host_port(s, &host, &port);
	if (r < 0)
		return r;
	if (!*host) {
		free(host);
		return -EINVAL;
	}
	*ret_host = host;
	*ret_port = cv_xasprintf("%u", port);
	return 0;
}

/* connect() bounded by poll(): an unreachable host would otherwise
 * hold the check for the kernel's SYN retries (two minutes). */
static int connect_bounded(const struct addrinfo *a, int seconds)
{
	int fd, r, err = 0, flags;
	socklen_t len = sizeof(err);

	fd = cv_socket_cloexec(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, a->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
		struct pollfd p = { fd, POLLOUT, 0 };

		if (errno != EINPROGRESS) {
			r = -errno;
			goto out;
		}
		do
			r = poll(&p, 1, seconds * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
			r = -errno;
			goto out;
		}
		if (err) {
			r = -err;
			goto out;
		}
	}
	/* Blocking again: the transfer is bounded by the socket timeouts. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		r = -errno;
		goto out;
	}
	set_timeouts(fd, IO_TIMEOUT_S);
	r = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* Tries each address of host:port; the fd, its numeric form, or -errno. */
static int connect_peer(const char *host, const char *port, char *ret_addr, size_t size)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	int r;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return r == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	r = -EHOSTUNREACH;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		char h[INET6_ADDRSTRLEN] = "?";

		r = connect_bounded(a, IO_TIMEOUT_S);
		if (r < 0)
			continue;
		(void)getnameinfo(a->ai_addr, a->ai_addrlen, h, sizeof(h), NULL, 0, NI_NUMERICHOST);
		snprintf(ret_addr, size, a->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, port);
		break;
	}
	freeaddrinfo(res);
	return r;
}

/* The peer's answer line, without its newline; 0 or -errno. */
static int read_reply(int fd, char *line, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		ssize_t n = recv(fd, line + len, 1, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			line[len] = '\0';
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (n == 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	return len ? 0 : -ENODATA;
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

/* ---- the peer client, shared with time.reference and time.sync ---- */

int kit_peer_connect(const char *peer, char *addr, size_t size)
{
	char *host = NULL, *port = NULL;
	int r;

	if (parse_peer(peer, &host, &port) < 0)
		return -EINVAL;
	r = connect_peer(host, port, addr, size);
	free(host);
	free(port);
	return r;
}

int kit_peer_read_line(int fd, char *line, size_t size)
{
	return read_reply(fd, line, size);
}

int kit_peer_send_all(const struct kit_faults *f, int fd, const void *p, size_t n)
{
	return send_all(f, fd, p, n);
}

static bool is_loopback_address(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	if (a->sa_family == AF_INET6) {
		const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(v6) || (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127);
	}
	return false;
}

static bool same_address(const struct sockaddr *a, const struct sockaddr *b);

bool kit_peer_is_local(const struct kit_faults *f, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ifaddrs *ifa = NULL;
	bool local = false;

	if (f && f->local_peer_counts)
		return false;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (is_loopback_address((struct sockaddr *)&ss))
		return true;
	if (getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *i = ifa; i && !local; i = i->ifa_next)
		local = same_address(i->ifa_addr, (struct sockaddr *)&ss);
	freeifaddrs(ifa);
	return local;
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
};

static const char *pv_component(const char *driver)
{
	for (size_t i = 0; driver && i < CV_ELEMENTSOF(pv_nics); i++)
		if (cv_streq(pv_nics[i].driver, driver))
			return pv_nics[i].component;
	return NULL;
}

struct route {
	char ifname[IFNAMSIZ];
	char local[INET6_ADDRSTRLEN];
	char *driver;          /* NULL: unknown */
	const char *source;    /* "ethtool" or "sysfs" */
};

/* The driver by ETHTOOL_GDRVINFO (it works for interfaces without a
 * device link too, veth among them); NULL where refused (lo). */
static char *ethtool_driver(const char *ifname)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	char *d = NULL;
	int sock = socket(AF_INET, SOCK_DGRAM, 0);

	if (sock < 0)
		return NULL;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(sock, SIOCETHTOOL, &ifr) == 0 && info.driver[0]) {
		info.driver[sizeof(info.driver) - 1] = '\0';
		d = cv_str_sanitize(info.driver, strlen(info.driver), sizeof(info.driver));
	}
	close(sock);
	return d;
}

static bool same_address(const struct sockaddr *a, const struct sockaddr *b)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

/*
 * The interface a connected socket leaves through: the kernel chose the
 * local address by its route to the peer; the interface holding that
 * address is the one the data crosses.  0 or -errno (-ENODEV: no
 * interface holds it).
 */
static int route_of(const struct kit_ctx *ctx, int fd, struct route *ret)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ifaddrs *ifa = NULL;
	int r = -ENODEV;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	(void)getnameinfo((struct sockaddr *)&ss, len, ret->local, sizeof(ret->local), NULL, 0, NI_NUMERICHOST);
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
		if (same_address(i->ifa_addr, (struct sockaddr *)&ss) && strlen(i->ifa_name) < IFNAMSIZ) {
			snprintf(ret->ifname, sizeof(ret->ifname), "%s", i->ifa_name);
			r = 0;
			break;
		}
	freeifaddrs(ifa);
	if (r < 0)
		return r;
	ret->driver = ethtool_driver(ret->ifname);
	ret->source = "ethtool";
	if (!ret->driver) {
		ret->driver = nic_driver(ctx, ret->ifname);
		ret->source = ret->driver ? "sysfs" : NULL;
	}
	return 0;
}

/* TCP segments this socket retransmitted (TCP_INFO); null if unknown. */
static json_t *retransmits(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(ti.tcpi_total_retrans))
		return json_null();
	return json_integer(ti.tcpi_total_retrans);
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
	r = send_all(ctx->faults, fd, header, strlen(header));
	if (r == 0)
		r = send_stream(ctx->faults, fd, bytes, digest);
	if (r < 0) {
		/* A peer that refused the header says why before closing. */
		int rr = read_reply(fd, line, sizeof(line));

		clean = cv_str_sanitize(line, strlen(line), sizeof(line));
		leg_error(l, "the upload failed: %s%s%s%s", strerror(-r), rr == 0 ? "; the peer answered: " : "",
			  rr == 0 ? clean : "", rr == 0 ? v1_hint(clean) : "");
		goto out;
	}
	r = read_reply(fd, line, sizeof(line));
	l->mb_per_s = rate(bytes, kit_now() - t0);
	l->retransmits = retransmits(fd);
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
	r = send_all(NULL, fd, header, strlen(header));
	if (r == 0)
		r = read_reply(fd, line, sizeof(line));
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
		ssize_t n = recv(fd, buf, want_n, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			l->t.stalled = errno == EAGAIN ? "nothing more for 10 s" : "the connection failed";
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
	if (read_reply(fd, line, sizeof(line)) == 0) {
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
	char addr[INET6_ADDRSTRLEN + 16] = "";
	const char *peer = ctx->opt->peer, *component;
	struct route route = { .driver = NULL };
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
	r = route_of(ctx, fd, &route);
	if (r == 0 && kit_peer_is_local(ctx->faults, fd)) {
		json_object_set_new(out->measured, "interface", json_string(route.ifname));
		kit_set(out, KIT_SKIP, KIT_LOCAL_PEER_REASON, peer, addr);
		goto out;
	}
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot tell which interface reaches the peer at %s: %s", peer, strerror(-r));
		goto out;
	}
	component = pv_component(route.driver);
	json_object_set_new(out->measured, "interface", json_string(route.ifname));
	json_object_set_new(out->measured, "local_address", json_string(route.local));
	json_object_set_new(out->measured, "driver", kit_json_str(route.driver));
	json_object_set_new(out->measured, "driver_source", kit_json_str(route.source));
	json_object_set_new(out->measured, "paravirtual_nic", kit_json_str(component));

	peer_upload(ctx, fd, bytes, &up);
	close(fd);
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
		close(fd);
	json_decref(up.retransmits);
	json_decref(down.retransmits);
	free(route.driver);
}
