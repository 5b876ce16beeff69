/*
 * util/compat.h - system calls that work on every kernel from Linux 2.6.18
 * (RHEL 5) on, whichever libc the program is linked with.
 *
 * The guest binaries must start and measure on the seed's oldest guests.
 * Newer one-call forms answer ENOSYS there (a system call the kernel lacks)
 * or EINVAL (a flag it does not know), and glibc does not always fall back
 * (musl mostly does).  Each helper here tries the modern form and, on
 * exactly that answer, does the same the old way:
 *
 *  - pipe2(O_CLOEXEC) (2.6.27), accept4() (2.6.28) and socket types
 *    carrying SOCK_CLOEXEC or SOCK_NONBLOCK (2.6.27): made without the
 *    flags, which are then set with fcntl().  That leaves a window in
 *    which another thread's fork and exec could inherit the descriptor; no
 *    guest-side code execs anything, so the window is harmless there.
 *    For the same reason O_CLOEXEC, which kernels before 2.6.23 ignore
 *    silently, needs no fcntl() anywhere today (docs/kit.md, "Old kernels");
 *  - glibc's adjtimex() is clock_adjtime(CLOCK_REALTIME) (2.6.39): the
 *    adjtimex system call is made instead on ENOSYS.
 *
 * Return values: like the system calls they replace, and in the house
 * form as well: a descriptor (0 for the pipe, the clock state for
 * adjtimex), or -errno -- with errno also set, so a call site written for
 * the system call reads it unchanged.  Thread-safe.
 */
#ifndef CV_UTIL_COMPAT_H
#define CV_UTIL_COMPAT_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "covalid/util.h"

struct timex;

/* pipe2(ret_fds, O_CLOEXEC), falling back to pipe() before 2.6.27. */
int cv_pipe_cloexec(int ret_fds[2]) CV_WUR;

/*
 * socket(domain, type | SOCK_CLOEXEC, protocol); type may carry
 * SOCK_NONBLOCK.  Before 2.6.27 the flags make socket() answer EINVAL:
 * then the socket is made without them and they are set with fcntl().
 */
int cv_socket_cloexec(int domain, int type, int protocol) CV_WUR;

/* accept4(fd, addr, addrlen, SOCK_CLOEXEC), falling back to accept() before 2.6.28. */
int cv_accept_cloexec(int fd, struct sockaddr *addr, socklen_t *addrlen) CV_WUR;

/* adjtimex(tx): the clock state (TIME_OK, ...) or -errno. */
int cv_adjtimex(struct timex *tx) CV_WUR;

/*
 * clock_gettime(c) in ns.  0, or -EINVAL when this kernel has no such
 * clock (CLOCK_MONOTONIC_RAW before 2.6.28, CLOCK_BOOTTIME before 2.6.39;
 * clock_getres(2)); *ret_ns is written only on success.
 */
int cv_clock_ns(clockid_t c, int64_t *ret_ns) CV_WUR;

#endif
