/*
 * win/net.c - the agent's sockets on Windows (Winsock 2, ws2_32 as in
 * Windows Server 2003; POSIX's are ../net-unix.c): a non-blocking TCP
 * socket whose every wait is bounded by select() against one deadline
 * (WSAPoll is Vista's).  Winsock's errors are mapped onto errno values so
 * that the portable HTTP client words them as on Linux.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include "agent/agent-internal.h"
#include "util/cv.h"
#include "util/win/sock.h"

struct agent_conn {
	SOCKET s;
};

/* Waits until s is writable (write) or readable; -ETIMEDOUT past the deadline. */
static int wait_sock(SOCKET s, bool write, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = cv_now_ns(), left;
		fd_set set, ex;
		struct timeval tv;
		int r;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		if (agent_stopping())
			return -EINTR;
		/* In slices of at most 200 ms, so that a stop is seen. */
		left = (deadline_ns - now) / 1000u;
		if (left > 200000)
			left = 200000;
		tv.tv_sec = 0;
		tv.tv_usec = (long)left + 1;
		FD_ZERO(&set);
		FD_ZERO(&ex);
		FD_SET(s, &set);
		FD_SET(s, &ex);
		r = select(0, write ? NULL : &set, write ? &set : NULL, &ex, &tv);
		if (r == SOCKET_ERROR)
			return -cv_wsa_errno(WSAGetLastError());
		if (r > 0)
			return 0;
	}
}

static int connect_one(const struct addrinfo *a, uint64_t deadline_ns, SOCKET *ret)
{
	SOCKET s = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
	u_long on = 1;
	int r, err = 0, len = sizeof(err);

	if (s == INVALID_SOCKET)
		return -cv_wsa_errno(WSAGetLastError());
	(void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
	if (ioctlsocket(s, FIONBIO, &on) != 0) {
		r = -cv_wsa_errno(WSAGetLastError());
		goto fail;
	}
	if (connect(s, a->ai_addr, (int)a->ai_addrlen) != 0) {
		if (WSAGetLastError() != WSAEWOULDBLOCK) {
			r = -cv_wsa_errno(WSAGetLastError());
			goto fail;
		}
		r = wait_sock(s, true, deadline_ns);
		if (r < 0)
			goto fail;
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0 || err) {
			r = -cv_wsa_errno(err ? err : WSAECONNREFUSED);
			goto fail;
		}
	}
	*ret = s;
	return 0;
fail:
	closesocket(s);
	return r;
}

int agent_net_connect(const char *host, uint16_t port, uint64_t deadline_ns, struct agent_conn **ret)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char service[8];
	SOCKET s = INVALID_SOCKET;
	int r;

	r = cv_winsock_start();
	if (r < 0)
		return r;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return -ENOENT;
	r = -ECONNREFUSED;
	for (const struct addrinfo *a = res; a; a = a->ai_next) {
		r = connect_one(a, deadline_ns, &s);
		if (r == 0 || r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (r < 0)
		return r;
	*ret = cv_xmalloc(sizeof(**ret));
	(*ret)->s = s;
	return 0;
}

int agent_net_send(struct agent_conn *c, const void *p, size_t n, uint64_t deadline_ns)
{
	const char *b = p;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n, w = send(c->s, b, chunk, 0), r;

		if (w == SOCKET_ERROR) {
			if (WSAGetLastError() != WSAEWOULDBLOCK)
				return -cv_wsa_errno(WSAGetLastError());
			r = wait_sock(c->s, true, deadline_ns);
			if (r < 0)
				return r;
			continue;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int agent_net_recv(struct agent_conn *c, void *p, size_t n, uint64_t deadline_ns, size_t *ret_n)
{
	for (;;) {
		int got = recv(c->s, p, n > 65536 ? 65536 : (int)n, 0), r;

		if (got != SOCKET_ERROR) {
			*ret_n = (size_t)got;
			return 0;
		}
		if (WSAGetLastError() != WSAEWOULDBLOCK)
			return -cv_wsa_errno(WSAGetLastError());
		r = wait_sock(c->s, false, deadline_ns);
		if (r < 0)
			return r;
	}
}

void agent_net_close(struct agent_conn *c)
{
	if (!c)
		return;
	closesocket(c->s);
	free(c);
}
