/*
 * util.c - helpers the kit's checks share (see kit-internal.h).
 */
#include <pthread.h>
#include <sched.h>

#include "covalid/version.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

void kit_set(struct kit_out *out, enum kit_status s, const char *fmt, ...)
{
	va_list ap;

	out->status = s;
	out->reason[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
		va_end(ap);
	}
}

void kit_verdict_set(struct kit_verdict *v, enum kit_status s, const char *fmt, ...)
{
	va_list ap;

	v->status = s;
	v->reason[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
		va_end(ap);
	}
}

void kit_apply(struct kit_out *out, const struct kit_verdict *v)
{
	out->status = v->status;
	snprintf(out->reason, sizeof(out->reason), "%s", v->reason);
}

double kit_interval(const struct kit_ctx *ctx, double quick_s, double full_s)
{
	return ctx->opt->quick ? quick_s : full_s;
}

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

double kit_round(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6g", v);
	return strtod(buf, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double kit_median(const double *v, size_t n)
{
	double *c, m;

	if (!n)
		return 0;
	c = cv_xmalloc(n * sizeof(*c));
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

char *kit_read(const char *path)
{
	char *s;
	size_t n;

	if (cv_read_file(path, 1 << 20, &s, &n) < 0)
		return NULL;
	return s;
}

void kit_stream_fill(uint64_t *x, uint64_t *buf, size_t words)
{
	uint64_t v = *x;

	for (size_t i = 0; i < words; i++) {
		v ^= v << 13;
		v ^= v >> 7;
		v ^= v << 17;
		buf[i] = v;
	}
	*x = v;
}

json_t *kit_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *kit_json_strv(const struct cv_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}
