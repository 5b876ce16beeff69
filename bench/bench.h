/*
 * bench.h - what the C benches share: a thread's CPU time, and the
 * comparator their medians sort with.
 */
#ifndef COVALID_BENCH_H
#define COVALID_BENCH_H

#include <stdint.h>
#include <time.h>

/* This thread's CPU time, ns: what a bench reports, since wall time on a
 * shared 2-core machine counts the others' work too. */
static inline uint64_t bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* qsort() of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
