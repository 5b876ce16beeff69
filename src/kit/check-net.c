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
	r = kit_send_stream(f, fd, bytes, digest);
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

ssize_t kit_peer_recv(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = recv(fd, buf, n, 0);

		if (r >= 0)
			return r;
		if (errno != EINTR)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
	}
}

void kit_peer_close(int fd)
{
	close(fd);
}

void kit_peer_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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

/* The driver by ETHTOOL_GDRVINFO (it works for interfaces without a
 * device link too, veth among them); NULL where refused (lo). */
static char *ethtool_driver(const char *ifname)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	char *d = NULL;
	int sock = socket(AF_INET, SOCK_DGRAM, 0);

	if (sock < 0 || strlen(ifname) >= sizeof(ifr.ifr_name)) {
		if (sock >= 0)
			close(sock);
		return NULL;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
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
int kit_peer_route(const struct kit_ctx *ctx, int fd, struct kit_route *ret)
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
json_t *kit_peer_retransmits(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(ti.tcpi_total_retrans))
		return json_null();
	return json_integer(ti.tcpi_total_retrans);
}

