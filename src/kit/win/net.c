/*
 * win/net.c - the kit's sockets on Windows (Winsock 2, ws2_32 and
 * iphlpapi, as in Windows Server 2003): the client side of the peer
 * protocol that peer-client.c and check-reference.c speak (kit-internal.h),
 * and the checks net.inventory and net.loopback_integrity.
 *
 * A SOCKET is kept in an int: Windows's socket handles are kernel handles,
 * whose values fit in 32 bits on 64-bit Windows too (so that 32- and
 * 64-bit processes can share them).  Winsock's errors are mapped onto
 * errno values, so that the portable code reads them as on Linux.
 *
 * As on Linux, every socket has 10 s send and receive timeouts and
 * connect() is bounded by select(): no network fault hangs a check.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
#include <windows.h>
#include <process.h>
#include <sodium.h>

#include "kit/kit-internal.h"
#include "util/cv.h"
#include "util/win/sock.h"

#define IO_TIMEOUT_S 10
#define MIB (1024ull * 1024)
#define CHUNK (64 * 1024)
#define LOOPBACK_QUICK (32 * MIB)
#define LOOPBACK_FULL (512 * MIB)
/* The network adapter class (devguid.h's GUID_DEVCLASS_NET). */
#define NET_CLASS_KEY "SYSTEM\\CurrentControlSet\\Control\\Class\\{4D36E972-E325-11CE-BFC1-08002BE10318}"

static int last_error(void)
{
	return -cv_wsa_errno(WSAGetLastError());
}

static void set_timeouts(SOCKET s, int seconds)
{
	/* Winsock's SO_RCVTIMEO and SO_SNDTIMEO are a DWORD of milliseconds. */
	DWORD ms = (DWORD)seconds * 1000;

	(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof(ms));
	(void)setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms, sizeof(ms));
}

/* connect() bounded by select(); the socket (blocking again) or -errno. */
static int connect_bounded(const struct addrinfo *a, int seconds)
{
	SOCKET s = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
	u_long on = 1, off = 0;
	int r;

	if (s == INVALID_SOCKET)
		return last_error();
	(void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
	if (ioctlsocket(s, FIONBIO, &on) != 0) {
		r = last_error();
		goto fail;
	}
	if (connect(s, a->ai_addr, (int)a->ai_addrlen) != 0) {
		fd_set wr, ex;
		struct timeval tv = { seconds, 0 };
		int err = 0, len = sizeof(err);

		if (WSAGetLastError() != WSAEWOULDBLOCK) {
			r = last_error();
			goto fail;
		}
		FD_ZERO(&wr);
		FD_ZERO(&ex);
		FD_SET(s, &wr);
		FD_SET(s, &ex);
		r = select(0, NULL, &wr, &ex, &tv);
		if (r == 0) {
			r = -ETIMEDOUT;
			goto fail;
		}
		if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0) {
			r = last_error();
			goto fail;
		}
		if (err || FD_ISSET(s, &ex)) {
			r = -cv_wsa_errno(err ? err : WSAECONNREFUSED);
			goto fail;
		}
	}
	if (ioctlsocket(s, FIONBIO, &off) != 0) {
		r = last_error();
		goto fail;
	}
	set_timeouts(s, IO_TIMEOUT_S);
	/*
	 * The portable code keeps a socket in an int (peer-client.c, as a
	 * Unix descriptor).  A SOCKET is a kernel handle, and Windows keeps
	 * handles in 32 bits even in 64-bit processes so that 32-bit ones can
	 * share them ("Interprocess Communication Between 32-bit and 64-bit
	 * Applications", Microsoft Learn): small positive values in practice.
	 * One that would not survive the round trip through an int is refused
	 * rather than truncated into another handle.
	 */
	if (s > (SOCKET)INT_MAX) {
		r = -EMFILE;
		goto fail;
	}
	return (int)s;
fail:
	closesocket(s);
	return r;
}

int kit_peer_connect(const char *peer, char *addr, size_t size)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char *host = NULL, port[8];
	uint16_t p;
	int r;

	if (cv_parse_host_port(peer, &host, &p) < 0 || !*host) {
		free(host);
		return -EINVAL;
	}
	if ((r = cv_winsock_start()) < 0) {
		free(host);
		return r;
	}
	snprintf(port, sizeof(port), "%u", p);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, port, &hints, &res);
	free(host);
	if (r != 0)
		return -EHOSTUNREACH;
	r = -EHOSTUNREACH;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		char h[INET6_ADDRSTRLEN] = "?";

		r = connect_bounded(a, IO_TIMEOUT_S);
		if (r < 0)
			continue;
		(void)getnameinfo(a->ai_addr, (socklen_t)a->ai_addrlen, h, sizeof(h), NULL, 0, NI_NUMERICHOST);
		snprintf(addr, size, a->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, port);
		break;
	}
	freeaddrinfo(res);
	return r;
}

int kit_peer_read_line(int fd, char *line, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		int n = recv((SOCKET)fd, line + len, 1, 0);

		if (n < 0) {
			line[len] = '\0';
			return last_error();
		}
		if (n == 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	return len ? 0 : -ENODATA;
}

int kit_peer_send_all(const struct kit_faults *f, int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;
		ssize_t w = f && f->send ? f->send(fd, c, (size_t)chunk, 0, f->userdata) : send((SOCKET)fd, c, chunk, 0);

		if (w < 0)
			return last_error();
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t kit_peer_recv(int fd, void *buf, size_t n)
{
	int r = recv((SOCKET)fd, buf, n > INT_MAX ? INT_MAX : (int)n, 0);

	return r < 0 ? last_error() : r;
}

void kit_peer_close(int fd)
{
	closesocket((SOCKET)fd);
}

void kit_peer_nodelay(int fd)
{
	BOOL one = TRUE;

	(void)setsockopt((SOCKET)fd, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
}

json_t *kit_peer_retransmits(int fd)
{
	/* SIO_TCP_INFO is Windows 10 1703 and later: not asked. */
	(void)fd;
	return json_null();
}

static bool is_loopback(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	if (a->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return false;
}

static bool same_address(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

/*
 * A peer is this host when its address is a loopback one or the very
 * address the connection left from: the system routes a connection to
 * one of its own addresses through itself, from that address.
 */
bool kit_peer_is_local(const struct kit_faults *f, int fd)
{
	struct sockaddr_storage peer, self;
	int lp = sizeof(peer), ls = sizeof(self);

	if (f && f->local_peer_counts)
		return false;
	if (getpeername((SOCKET)fd, (struct sockaddr *)&peer, &lp) != 0)
		return false;
	if (is_loopback((struct sockaddr *)&peer))
		return true;
	return getsockname((SOCKET)fd, (struct sockaddr *)&self, &ls) == 0 &&
	       same_address((struct sockaddr *)&peer, (struct sockaddr *)&self);
}

/* The driver service of the network adapter whose NetCfgInstanceId is
 * guid: the Ndi\Service value of its key in the network class; NULL if
 * the registry does not say. */
static char *adapter_service(const char *guid)
{
	HKEY cls;
	char *found = NULL;

	if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, NET_CLASS_KEY, 0, KEY_READ, &cls) != ERROR_SUCCESS)
		return NULL;
	for (DWORD i = 0; !found && i < 1024; i++) {
		char sub[256], id[128], svc[128];
		DWORD n = sizeof(sub), type, len;
		HKEY k, ndi;

		if (RegEnumKeyExA(cls, i, sub, &n, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
			break;
		if (RegOpenKeyExA(cls, sub, 0, KEY_READ, &k) != ERROR_SUCCESS)
			continue;
		len = sizeof(id) - 1;
		if (RegQueryValueExA(k, "NetCfgInstanceId", NULL, &type, (BYTE *)id, &len) == ERROR_SUCCESS &&
		    type == REG_SZ) {
			id[len < sizeof(id) ? len : sizeof(id) - 1] = '\0';
			if (_stricmp(id, guid) == 0 && RegOpenKeyExA(k, "Ndi", 0, KEY_READ, &ndi) == ERROR_SUCCESS) {
				len = sizeof(svc) - 1;
				if (RegQueryValueExA(ndi, "Service", NULL, &type, (BYTE *)svc, &len) == ERROR_SUCCESS &&
				    type == REG_SZ) {
					svc[len < sizeof(svc) ? len : sizeof(svc) - 1] = '\0';
					found = cv_str_sanitize(svc, strlen(svc), 64);
				}
				RegCloseKey(ndi);
			}
		}
		RegCloseKey(k);
	}
	RegCloseKey(cls);
	return found;
}

/* The IPv4 adapters (GetAdaptersInfo, Windows 2000 and later); NULL if none. */
static IP_ADAPTER_INFO *adapters(void)
{
	ULONG len = 16 * 1024;
	IP_ADAPTER_INFO *a = NULL;

	for (int tries = 0; tries < 4; tries++) {
		DWORD r;

		free(a);
		a = cv_xmalloc(len);
		r = GetAdaptersInfo(a, &len);
		if (r == ERROR_SUCCESS)
			return a;
		if (r != ERROR_BUFFER_OVERFLOW)
			break;
	}
	free(a);
	return NULL;
}

int kit_peer_route(const struct kit_ctx *ctx, int fd, struct kit_route *ret)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss), r = -ENODEV;
	IP_ADAPTER_INFO *list;

	(void)ctx;
	if (getsockname((SOCKET)fd, (struct sockaddr *)&ss, &len) != 0)
		return last_error();
	(void)getnameinfo((struct sockaddr *)&ss, len, ret->local, sizeof(ret->local), NULL, 0, NI_NUMERICHOST);
	/* The loopback interface is no adapter of GetAdaptersInfo's. */
	if (is_loopback((struct sockaddr *)&ss)) {
		snprintf(ret->ifname, sizeof(ret->ifname), "loopback");
		return 0;
	}
	list = adapters();
	for (IP_ADAPTER_INFO *a = list; a && r < 0; a = a->Next)
		for (IP_ADDR_STRING *ip = &a->IpAddressList; ip; ip = ip->Next)
			if (strcmp(ip->IpAddress.String, ret->local) == 0) {
				char *desc = cv_str_sanitize(a->Description, strnlen(a->Description, sizeof(a->Description)),
							     sizeof(ret->ifname));

				snprintf(ret->ifname, sizeof(ret->ifname), "%s", desc);
				free(desc);
				ret->driver = adapter_service(a->AdapterName);
				ret->source = ret->driver ? "registry" : NULL;
				r = 0;
				break;
			}
	free(list);
	return r;
}

/* ---- net.inventory ---- */

static const char *adapter_type(UINT t)
{
	switch (t) {
	case MIB_IF_TYPE_ETHERNET: return "ethernet";
	case MIB_IF_TYPE_TOKENRING: return "tokenring";
	case MIB_IF_TYPE_PPP: return "ppp";
	case MIB_IF_TYPE_LOOPBACK: return "loopback";
	case MIB_IF_TYPE_SLIP: return "slip";
	case 71: return "wireless"; /* IF_TYPE_IEEE80211 */
	default: return "other";
	}
}

void kit_check_net_inventory(const struct kit_ctx *ctx, struct kit_out *out)
{
	IP_ADAPTER_INFO *list = adapters();
	json_t *ifaces = json_array();
	struct cv_strv names;
	size_t n = 0;

	(void)ctx;
	cv_strv_init(&names);
	/* Windows runs no containers that hide the VM's adapters from the kit. */
	json_object_set_new(out->measured, "container", json_string("none"));
	json_object_set_new(out->measured, "source", json_string("GetAdaptersInfo"));
	for (IP_ADAPTER_INFO *a = list; a; a = a->Next) {
		char *desc = cv_str_sanitize(a->Description, strnlen(a->Description, sizeof(a->Description)), 132);
		char *driver = adapter_service(a->AdapterName);
		const char *component = kit_nic_component(driver);

		json_array_append_new(ifaces, json_pack("{s:s, s:o, s:s, s:o, s:s}", "name", desc, "driver",
							kit_json_str(driver), "type", adapter_type(a->Type),
							"paravirtual_nic", kit_json_str(component), "address",
							a->IpAddressList.IpAddress.String));
		if (names.n < 8)
			cv_strv_push_take(&names, cv_xasprintf("%s (%s)", desc, driver ? driver : "driver unknown"));
		n++;
		free(desc);
		free(driver);
	}
	json_object_set_new(out->measured, "interfaces", ifaces);
	json_object_set_new(out->measured, "count", json_integer((json_int_t)n));
	json_object_set_new(out->threshold, "min_interfaces", json_integer(1));
	if (!n)
		kit_set(out, KIT_FAIL, "no network adapter is bound to TCP/IP (GetAdaptersInfo lists none)");
	else {
		char *joined = cv_strv_join(&names, ", ");

		kit_set(out, KIT_PASS, "%zu adapter%s: %s", n, n > 1 ? "s" : "", joined);
		free(joined);
	}
	cv_strv_release(&names);
	free(list);
}

/* ---- net.loopback_integrity ---- */

struct sink {
	SOCKET listen_s;
	unsigned char digest[KIT_DIGEST_BYTES];
	uint64_t bytes;
	int error;
};

static unsigned __stdcall sink_main(void *p)
{
	struct sink *s = p;
	crypto_generichash_state st;
	char *buf = cv_xmalloc(CHUNK);
	SOCKET c = accept(s->listen_s, NULL, NULL);

	crypto_generichash_init(&st, NULL, 0, KIT_DIGEST_BYTES);
	if (c == INVALID_SOCKET) {
		s->error = last_error();
		goto out;
	}
	set_timeouts(c, IO_TIMEOUT_S);
	for (;;) {
		int n = recv(c, buf, CHUNK, 0);

		if (n < 0) {
			s->error = last_error();
			break;
		}
		if (n == 0)
			break;
		crypto_generichash_update(&st, (const unsigned char *)buf, (size_t)n);
		s->bytes += (uint64_t)n;
	}
	closesocket(c);
out:
	crypto_generichash_final(&st, s->digest, KIT_DIGEST_BYTES);
	free(buf);
	return 0;
}

void kit_check_net_loopback_integrity(const struct kit_ctx *ctx, struct kit_out *out)
{
	uint64_t bytes = ctx->opt->quick ? LOOPBACK_QUICK : LOOPBACK_FULL;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int len = sizeof(addr), r;
	unsigned char digest[KIT_DIGEST_BYTES];
	struct sink s = { .listen_s = INVALID_SOCKET };
	struct kit_verdict v;
	SOCKET c = INVALID_SOCKET;
	HANDLE t;
	double t0, elapsed;
	bool match;

	json_object_set_new(out->measured, "bytes", json_integer((json_int_t)bytes));
	if (sodium_init() < 0 || cv_winsock_start() < 0) {
		kit_set(out, KIT_ERROR, "%s cannot be initialised", sodium_init() < 0 ? "libsodium" : "Winsock 2.2");
		return;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.listen_s = socket(AF_INET, SOCK_STREAM, 0);
	if (s.listen_s == INVALID_SOCKET || bind(s.listen_s, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(s.listen_s, 1) != 0 || getsockname(s.listen_s, (struct sockaddr *)&addr, &len) != 0) {
		kit_set(out, KIT_ERROR, "cannot listen on 127.0.0.1: %s", strerror(-last_error()));
		goto out;
	}
	t = (HANDLE)_beginthreadex(NULL, 0, sink_main, &s, 0, NULL);
	if (!t) {
		kit_set(out, KIT_ERROR, "cannot start the receiving thread");
		goto out;
	}
	t0 = kit_now();
	c = socket(AF_INET, SOCK_STREAM, 0);
	r = c == INVALID_SOCKET || connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0 ? last_error() : 0;
	if (r == 0) {
		set_timeouts(c, IO_TIMEOUT_S);
		r = kit_send_stream(ctx->faults, (int)c, bytes, digest);
		shutdown(c, SD_SEND);
	}
	if (c != INVALID_SOCKET)
		closesocket(c);
	/* Wake an accept() that would otherwise wait for ever. */
	if (r < 0) {
		closesocket(s.listen_s);
		s.listen_s = INVALID_SOCKET;
	}
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
	elapsed = kit_now() - t0;
	if (r < 0 || s.error < 0) {
		kit_set(out, KIT_ERROR, "the loopback transfer failed while %s: %s", r < 0 ? "sending" : "receiving",
			strerror(r < 0 ? -r : -s.error));
		goto out;
	}
	match = s.bytes == bytes && sodium_memcmp(digest, s.digest, sizeof(digest)) == 0;
	json_object_set_new(out->measured, "received_bytes", json_integer((json_int_t)s.bytes));
	json_object_set_new(out->measured, "mb_per_s", json_real(kit_round(elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0)));
	json_object_set_new(out->measured, "digests_match", json_boolean(match));
	json_object_set_new(out->threshold, "digests_match", json_true());
	kit_decide_mismatches(match ? 0 : 1, 1, "loopback TCP transfer", &v);
	kit_apply(out, &v);
	if (s.bytes != bytes)
		kit_set(out, KIT_FAIL, "%s: the transfer was truncated, %llu of %llu bytes arrived", v.reason,
			(unsigned long long)s.bytes, (unsigned long long)bytes);
out:
	if (s.listen_s != INVALID_SOCKET)
		closesocket(s.listen_s);
}
