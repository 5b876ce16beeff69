/*
 * test-compat.c - util/compat.h: descriptors made close-on-exec, adjtimex
 * and clock readings, on this kernel and on an old one.
 *
 * Run as it is (make test), the modern calls answer.  t7002 runs it again
 * under tests/oldkernel/run-as-2.6.18, where pipe2, accept4 and
 * clock_adjtime answer ENOSYS and SOCK_CLOEXEC/SOCK_NONBLOCK EINVAL: the
 * same expectations then hold for the fallbacks.  They come from the
 * header's contract: every descriptor has FD_CLOEXEC, O_NONBLOCK exactly
 * when asked (an accepted socket does not inherit it: accept(2)), and
 * failures are -errno with errno set alike.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "util/compat.h"

static bool cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

static bool nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

TEST(pipe_is_cloexec_and_works)
{
	int fds[2] = { -1, -1 };
	char c = 0;

	CHECK_INT(cv_pipe_cloexec(fds), 0);
	CHECK(cloexec(fds[0]) && cloexec(fds[1]));
	CHECK(!nonblock(fds[0]) && !nonblock(fds[1]));
	CHECK(write(fds[1], "x", 1) == 1 && read(fds[0], &c, 1) == 1 && c == 'x');
	close(fds[0]);
	close(fds[1]);
}

TEST(socket_is_cloexec)
{
	int fd = cv_socket_cloexec(AF_UNIX, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	CHECK(cloexec(fd));
	CHECK(!nonblock(fd));
	close(fd);
}

TEST(socket_nonblock_when_asked)
{
	int fd = cv_socket_cloexec(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	CHECK(fd >= 0);
	CHECK(cloexec(fd));
	CHECK(nonblock(fd));
	close(fd);
}

/* A type no kernel knows stays EINVAL after the fallback strips the flags. */
TEST(socket_bad_type_is_einval)
{
	errno = 0;
	CHECK_INT(cv_socket_cloexec(AF_UNIX, 0x77, 0), -EINVAL);
	CHECK_INT(errno, EINVAL);
}

TEST(accept_is_cloexec)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l, c, s;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/sock", tap_tmpdir());
	l = cv_socket_cloexec(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(l >= 0);
	CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0);
	c = cv_socket_cloexec(AF_UNIX, SOCK_STREAM, 0);
	CHECK(c >= 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
	s = cv_accept_cloexec(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK(cloexec(s));
	CHECK(!nonblock(s));
	close(s);
	close(c);
	close(l);
}

TEST(accept_without_listen_is_einval)
{
	int fd = cv_socket_cloexec(AF_UNIX, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	errno = 0;
	CHECK_INT(cv_accept_cloexec(fd, NULL, NULL), -EINVAL);
	CHECK_INT(errno, EINVAL);
	close(fd);
}

TEST(adjtimex_reads)
{
	struct timex tx = { .modes = 0 }; /* read only: no privilege needed (adjtimex(2)) */
	int r = cv_adjtimex(&tx);

	printf("adjtimex: %d\n", r);
	CHECK(r >= TIME_OK && r <= TIME_ERROR);
}

TEST(clock_reads)
{
	int64_t a = 0, b = 0;

	CHECK_INT(cv_clock_ns(CLOCK_MONOTONIC, &a), 0);
	CHECK_INT(cv_clock_ns(CLOCK_MONOTONIC, &b), 0);
	CHECK(a > 0 && b >= a);
}

/* A clock id no kernel has answers as a missing clock does on an old one:
 * EINVAL (clock_gettime(2)), and the output is left alone. */
TEST(missing_clock_is_einval)
{
	int64_t t = 42;

	CHECK_INT(cv_clock_ns((clockid_t)1000, &t), -EINVAL);
	CHECK_INT(t, 42);
}

TAP_MAIN(pipe_is_cloexec_and_works, socket_is_cloexec, socket_nonblock_when_asked, socket_bad_type_is_einval,
	 accept_is_cloexec, accept_without_listen_is_einval, adjtimex_reads, clock_reads, missing_clock_is_einval)
