/*
 * clock-syscall.c - clock_gettime as the system call itself, not the
 * vDSO (see covalid/util.h), for every libc and word size the project
 * builds with: glibc, and musl on x86_64 and i686 (the guest binaries).
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cv.h"

int cv_clock_gettime_syscall(int clock, struct timespec *ret)
{
#if defined(SYS_clock_gettime)
	struct timespec ts;

	if (syscall(SYS_clock_gettime, clock, &ts) < 0)
		return -errno;
	*ret = ts;
#elif defined(SYS_clock_gettime32)
	/*
	 * musl on a 32-bit target (i686): its time_t has 64 bits, so its
	 * struct timespec is not the one the old system call fills, and it
	 * names that call SYS_clock_gettime32.  clock_gettime64 would take
	 * the 64-bit struct but only exists since Linux 5.1, and the guest
	 * binaries run on 2.6.18: call the old one with its own layout.
	 */
	long ts32[2];

	if (syscall(SYS_clock_gettime32, clock, ts32) < 0)
		return -errno;
	ret->tv_sec = ts32[0];
	ret->tv_nsec = ts32[1];
#else
#error "no clock_gettime system call number for this target"
#endif
	return 0;
}
