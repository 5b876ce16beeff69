/*
 * run-as-2.6.18.c - runs a command as if the kernel were Linux 2.6.18
 * (RHEL 5), as far as the system call interface can tell.
 *
 *   run-as-2.6.18 CMD [ARGS...]
 *
 * Installs a seccomp filter (libseccomp) and execs CMD.  The filter is
 * inherited across fork and exec, so the command and everything it starts
 * see the same kernel.  Under it:
 *
 *  - every x86_64 system call numbered 280 or above fails with ENOSYS.
 *    The x86_64 table only ever grows at its end, so "newer than 2.6.18"
 *    is a number: 279 is move_pages, which syscalls(2) dates to 2.6.18,
 *    and 280 utimensat (2.6.22), 281 epoll_pwait (2.6.19), 282 signalfd,
 *    ... are all later (arch/x86/entry/syscalls/syscall_64.tbl, or
 *    <asm/unistd_64.h>: __NR_move_pages 279, __NR_utimensat 280).  That
 *    takes pipe2 (293), dup3 (292), accept4 (288), epoll_create1 (291),
 *    eventfd (284, 290), signalfd, timerfd, fallocate (285), prlimit64
 *    (302), getrandom (318), memfd_create (319), statx (332), rseq (334),
 *    clone3 (435), openat2 (437) and the rest away.  x32 calls (the
 *    0x40000000 bit, 3.4+) and anything else libseccomp does not take
 *    for a native x86_64 call answer ENOSYS too, where libseccomp would
 *    kill the process by default;
 *  - socket(2) and socketpair(2) with SOCK_CLOEXEC or SOCK_NONBLOCK in
 *    the type fail with EINVAL, as before 2.6.27, where the type was
 *    checked against the known socket types only (socket(2), VERSIONS).
 *
 * What the filter cannot do: the vDSO answers clock_gettime() and
 * gettimeofday() without a system call, so a clock 2.6.18 lacks
 * (CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME) still works under it; the kit's
 * unit tests cover that with fault injection instead.  O_CLOEXEC, which
 * 2.6.18 silently ignores, is still honoured; and /proc and /sys still
 * look like this kernel's.
 *
 * execve (59) stays allowed, so the exec below works.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The first x86_64 system call Linux 2.6.18 does not have. */
#define FIRST_NEWER_SYSCALL 280
/* Far above the newest one (Linux 6.x is in the 460s). */
#define LAST_SYSCALL 1023

static int add_socket_rules(scmp_filter_ctx ctx, int nr)
{
	static const int flags[] = { SOCK_CLOEXEC, SOCK_NONBLOCK };
	int r;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), nr, 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, (scmp_datum_t)flags[i], (scmp_datum_t)flags[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

static int build_filter(scmp_filter_ctx ctx)
{
	int r;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return -ENOTSUP;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
	if (r < 0)
		return r;
	for (int nr = FIRST_NEWER_SYSCALL; nr <= LAST_SYSCALL; nr++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		if (r < 0)
			return r;
	}
	r = add_socket_rules(ctx, SCMP_SYS(socket));
	if (r < 0)
		return r;
	r = add_socket_rules(ctx, SCMP_SYS(socketpair));
	if (r < 0)
		return r;
	/* Without NO_NEW_PRIVS an unprivileged process may not load a filter;
	 * with it, a set-uid program under the harness would not gain
	 * privileges, which no test needs. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (r < 0)
		return r;
	return seccomp_load(ctx);
}

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: run-as-2.6.18 CMD [ARGS...]\n");
		return 2;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		fprintf(stderr, "run-as-2.6.18: seccomp_init failed\n");
		return 125;
	}
	r = build_filter(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "run-as-2.6.18: cannot install the seccomp filter: %s\n", strerror(-r));
		return 125;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "run-as-2.6.18: cannot run %s: %s\n", argv[1], strerror(errno));
	return 127;
}
