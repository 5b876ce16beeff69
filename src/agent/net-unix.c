/*
 * net-unix.c - the agent's sockets on Linux (Winsock's are win/net.c):
 * a blocking TCP connection whose every wait is bounded by poll() against
 * one deadline, so that no server, however slow, holds the agent past it.
 * poll() and non-blocking connect() are in Linux 2.6.18 (the oldest guest).
 */
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent-internal.h"
#include "util/compat.h"
#include "util/cv.h"

struct agent_conn {
	int fd;
};

static int wait_fd(int fd, short events, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = cv_now_ns();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((deadline_ns - now) / 1000000u) + 1);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r < 0 && agent_stopping())
			return -EINTR;
	}
}

static int connect_one(const struct addrinfo *a, uint64_t deadline_ns)
{
	int fd = cv_socket_cloexec(a->ai_family, a->ai_socktype, a->ai_protocol), r, err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			r = -errno;
			goto fail;
		}
		r = wait_fd(fd, POLLOUT, deadline_ns);
		if (r < 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
			r = err ? -err : -errno;
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return r;
}

int agent_net_connect(const char *host, uint16_t port, uint64_t deadline_ns, struct agent_conn **ret)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
	char service[8];
	int r, fd = -ECONNREFUSED;

	snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r != 0)
		return r == EAI_SYSTEM ? -errno : -ENOENT;
	for (const struct addrinfo *a = res; a; a = a->ai_next) {
		fd = connect_one(a, deadline_ns);
		if (fd >= 0 || fd == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fd;
	*ret = cv_xmalloc(sizeof(**ret));
	(*ret)->fd = fd;
	return 0;
}

int agent_net_send(struct agent_conn *c, const void *p, size_t n, uint64_t deadline_ns)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);

		if (w < 0) {
			int r;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			r = wait_fd(c->fd, POLLOUT, deadline_ns);
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
		ssize_t got = recv(c->fd, p, n, 0);
		int r;

		if (got >= 0) {
			*ret_n = (size_t)got;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(c->fd, POLLIN, deadline_ns);
		if (r < 0)
			return r;
	}
}

void agent_net_close(struct agent_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}
