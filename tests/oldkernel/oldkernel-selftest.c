/*
 * oldkernel-selftest.c - what run-as-2.6.18 must change, and what not.
 *
 *   oldkernel-selftest old   under run-as-2.6.18: new calls refused
 *   oldkernel-selftest new   without it: the same calls work
 *
 * Prints TAP.  Running both ways shows the filter, not this machine,
 * refuses the calls.  The expectations come from the harness's rules
 * (run-as-2.6.18.c): x86_64 system calls from 280 on answer ENOSYS, socket
 * types with SOCK_CLOEXEC or SOCK_NONBLOCK answer EINVAL, and everything
 * 2.6.18 had still works.  System calls are made with syscall(2) so that
 * no libc fallback hides the answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int n_test, n_fail;

static void ok(int cond, const char *what, int err)
{
	n_test++;
	if (!cond)
		n_fail++;
	printf("%sok %d - %s", cond ? "" : "not ", n_test, what);
	if (!cond)
		printf(" (errno %d: %s)", err, strerror(err));
	printf("\n");
}

/* -errno of a raw system call, or the non-negative result. */
static long raw(long r)
{
	return r < 0 ? -errno : r;
}

static void close_pair(long r, const int fds[2])
{
	if (r >= 0) {
		close(fds[0]);
		close(fds[1]);
	}
}

int main(int argc, char **argv)
{
	int old, fds[2];
	long r;
	char buf[8];

	if (argc != 2 || (strcmp(argv[1], "old") && strcmp(argv[1], "new"))) {
		fprintf(stderr, "usage: oldkernel-selftest old|new\n");
		return 2;
	}
	old = strcmp(argv[1], "old") == 0;

	r = raw(syscall(SYS_pipe2, fds, O_CLOEXEC));
	ok(old ? r == -ENOSYS : r == 0, old ? "pipe2 (293) answers ENOSYS" : "pipe2 works", (int)-r);
	close_pair(r, fds);

	r = raw(syscall(SYS_utimensat, AT_FDCWD, ".", NULL, 0));
	/* 280, the first refused number; "." may not be ours to touch. */
	ok(old ? r == -ENOSYS : r != -ENOSYS, old ? "utimensat (280) answers ENOSYS" : "utimensat exists", (int)-r);

	r = raw(syscall(SYS_getrandom, buf, sizeof(buf), 0));
	ok(old ? r == -ENOSYS : r == (long)sizeof(buf), old ? "getrandom (318) answers ENOSYS" : "getrandom works",
	   (int)-r);

	/* 279, the last number 2.6.18 had: zero pages is a valid request. */
	r = raw(syscall(SYS_move_pages, 0, 0UL, NULL, NULL, NULL, 0));
	ok(r != -ENOSYS, "move_pages (279) is still there", (int)-r);

	/* x32 (3.4+): ENOSYS on 2.6.18; on a kernel without x32 support too. */
	r = raw(syscall(0x40000000 | SYS_getpid));
	ok(old ? r == -ENOSYS : 1, old ? "an x32 call answers ENOSYS" : "an x32 call returns", (int)-r);

	r = raw(syscall(SYS_pipe, fds));
	ok(r == 0, "pipe works", (int)-r);
	if (r == 0) {
		ok(write(fds[1], "x", 1) == 1 && read(fds[0], buf, 1) == 1 && buf[0] == 'x', "data passes the pipe", errno);
		close_pair(r, fds);
	}

	r = raw(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	ok(old ? r == -EINVAL : r >= 0, old ? "socket(SOCK_CLOEXEC) answers EINVAL" : "socket(SOCK_CLOEXEC) works",
	   (int)-r);
	if (r >= 0)
		close((int)r);

	r = raw(syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	ok(old ? r == -EINVAL : r >= 0, old ? "socket(SOCK_NONBLOCK) answers EINVAL" : "socket(SOCK_NONBLOCK) works",
	   (int)-r);
	if (r >= 0)
		close((int)r);

	r = raw(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
	ok(old ? r == -EINVAL : r == 0, old ? "socketpair(SOCK_CLOEXEC) answers EINVAL" : "socketpair(SOCK_CLOEXEC) works",
	   (int)-r);
	close_pair(r, fds);

	r = raw(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
	ok(r >= 0, "socket without flags works", (int)-r);
	if (r >= 0)
		close((int)r);

	r = raw(syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM, 0, fds));
	ok(r == 0, "socketpair without flags works", (int)-r);
	close_pair(r, fds);

	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}
