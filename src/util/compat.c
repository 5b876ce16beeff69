/*
 * compat.c - system calls with their fallbacks for old kernels (see
 * util/compat.h), and the monotonic clock (cv_now_ns, covalid/util.h).
 * Windows's are in win/compat.c.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <unistd.h>

#include "util/compat.h"
#include "util/cv.h"

/* The house return value, with errno set to match. */
static int fail(int err)
{
	errno = err;
	return -err;
}

/* Sets FD_CLOEXEC, and O_NONBLOCK if asked; closes fd on failure. */
static int set_flags(int fd, bool nonblock)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	if (nonblock) {
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			goto fail;
	}
	return fd;
fail:
	fl = errno;
	close(fd);
	return fail(fl);
}

/*
 * pipe(2) as the kernel has always had it: glibc 2.36's pipe() is
 * pipe2(fds, 0), ENOSYS before 2.6.27 (strace shows it), so the old system
 * call is made directly where the architecture has one (x86_64 22, i386 42).
 */
static int old_pipe(int fds[2])
{
#ifdef SYS_pipe
	return (int)syscall(SYS_pipe, fds);
#else
	return pipe(fds);
#endif
}

int cv_pipe_cloexec(int ret_fds[2])
{
	int fds[2], r;

	if (pipe2(fds, O_CLOEXEC) == 0)
		goto done;
	if (errno != ENOSYS)
		return fail(errno);
	if (old_pipe(fds) < 0)
		return fail(errno);
	r = set_flags(fds[0], false);
	if (r < 0) {
		close(fds[1]);
		return r;
	}
	r = set_flags(fds[1], false);
	if (r < 0) {
		close(fds[0]);
		return r;
	}
done:
	ret_fds[0] = fds[0];
	ret_fds[1] = fds[1];
	return 0;
}

int cv_socket_cloexec(int domain, int type, int protocol)
{
	bool nonblock = type & SOCK_NONBLOCK;
	int fd;

	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	if (fd >= 0)
		return fd;
	/* Before 2.6.27 the type was checked against the known socket types
	 * only: the flag bits make it unknown, hence EINVAL.  A type that is
	 * really invalid answers EINVAL again below. */
	if (errno != EINVAL)
		return fail(errno);
	fd = socket(domain, type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK), protocol);
	if (fd < 0)
		return fail(errno);
	return set_flags(fd, nonblock);
}

int cv_accept_cloexec(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	int c;

	c = accept4(fd, addr, addrlen, SOCK_CLOEXEC);
	if (c >= 0)
		return c;
	if (errno != ENOSYS)
		return fail(errno);
	c = accept(fd, addr, addrlen);
	if (c < 0)
		return fail(errno);
	return set_flags(c, false);
}

int cv_adjtimex(struct timex *tx)
{
	int r;

	r = adjtimex(tx);
	if (r >= 0)
		return r;
	if (errno != ENOSYS)
		return fail(errno);
#ifdef SYS_adjtimex
	r = (int)syscall(SYS_adjtimex, tx);
	if (r >= 0)
		return r;
#endif
	return fail(errno);
}

int cv_clock_ns(clockid_t c, int64_t *ret_ns)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) < 0)
		return fail(errno);
	*ret_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return 0;
}

uint64_t cv_now_ns(void)
{
	/* CLOCK_MONOTONIC exists on every Linux (2.6.0+): a failure would take
	 * a broken libc, and reads 0 rather than uninitialised memory. */
	struct timespec ts = { 0, 0 };

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
