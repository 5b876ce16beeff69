/*
 * win/compat.c - the system calls of util/compat.c, on Windows: the
 * monotonic clock (cv_now_ns, covalid/util.h).
 *
 * QueryPerformanceCounter is Windows's monotonic clock on every version
 * (2000 on); its frequency is fixed at boot and never 0 on XP and later
 * (Microsoft, "Acquiring high-resolution time stamps").  The count is
 * split before scaling so that counts of years at a 10 MHz or 3 GHz
 * frequency do not overflow 64 bits.
 */
#include <windows.h>

#include "util/cv.h"

uint64_t cv_now_ns(void)
{
	static LARGE_INTEGER freq;
	LARGE_INTEGER now;
	uint64_t f, c;

	if (!freq.QuadPart && !QueryPerformanceFrequency(&freq))
		return 0;
	if (!QueryPerformanceCounter(&now))
		return 0;
	f = (uint64_t)freq.QuadPart;
	c = (uint64_t)now.QuadPart;
	return c / f * 1000000000ull + c % f * 1000000000ull / f;
}
