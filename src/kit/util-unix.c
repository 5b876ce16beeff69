/*
 * util-unix.c - the kit's threads, CPUs and clocks on Linux (see
 * kit-internal.h; Windows's are win/util.c).
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>

#include "kit/kit-internal.h"
#include "util/compat.h"
#include "util/cv.h"

int kit_pin(int cpu)
{
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	return -r;
}

struct each {
	void *(*fn)(void *);
	void *arg;
	int cpu;
	int pin_error;
};

static void *pinned(void *p)
{
	struct each *e = p;

	e->pin_error = kit_pin(e->cpu);
	if (e->pin_error)
		return NULL;
	return e->fn(e->arg);
}

int kit_on_each_cpu(const struct kit_ctx *ctx, void *(*fn)(void *), void *args, size_t arg_size)
{
	pthread_t *t = cv_xcalloc(ctx->n_cpus, sizeof(*t));
	struct each *e = cv_xcalloc(ctx->n_cpus, sizeof(*e));
	int r = 0;

	for (size_t i = 0; i < ctx->n_cpus; i++) {
		e[i] = (struct each){ fn, (char *)args + i * arg_size, ctx->cpus[i], 0 };
		if (pthread_create(&t[i], NULL, pinned, &e[i]) != 0)
			abort();
	}
	for (size_t i = 0; i < ctx->n_cpus; i++) {
		pthread_join(t[i], NULL);
		if (e[i].pin_error && !r)
			r = e[i].pin_error;
	}
	free(t);
	free(e);
	return r;
}

double kit_now(void)
{
	/* As cv_now_ns(): CLOCK_MONOTONIC cannot be missing; 0 if it fails. */
	struct timespec ts = { 0, 0 };

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int kit_realtime_ns(int64_t *ret)
{
	return cv_clock_ns(CLOCK_REALTIME, ret);
}

void kit_sleep_until(double t)
{
	struct timespec ts = { (time_t)t, (long)((t - (double)(time_t)t) * 1e9) };

	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* MemAvailable in bytes; free + buffer RAM where /proc/meminfo lacks it
 * (kernels before 3.14); 0 if neither is known. */
uint64_t kit_mem_available(void)
{
	char *s = kit_read("/proc/meminfo"), *p;
	struct sysinfo si;
	uint64_t kb = 0;

	if (s && (p = strstr(s, "MemAvailable:"))) {
		char *end;
		unsigned long long v = strtoull(p + strlen("MemAvailable:"), &end, 10);

		if (end != p + strlen("MemAvailable:"))
			kb = v;
	}
	free(s);
	if (kb)
		return kb * 1024;
	if (sysinfo(&si) == 0)
		return ((uint64_t)si.freeram + si.bufferram) * si.mem_unit;
	return 0;
}

void *kit_mem_map(size_t size)
{
	/* MAP_POPULATE faults every page in now, so that the timing is of
	 * memory and not of page faults. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void kit_mem_unmap(void *p, size_t size)
{
	munmap(p, size);
}
