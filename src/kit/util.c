/*
 * util.c - helpers the kit's checks share (see kit-internal.h), on every
 * system; threads, CPUs and clocks are util-unix.c's and win/util.c's.
 */
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

/*
 * A busy integer loop (a linear congruential generator, which the
 * compiler cannot fold) in batches, reading the clock between batches so
 * that reading it costs little of the rate.  A step depends on the one
 * before, so no CPU makes more than a few 10^9 a second: the cap ends the
 * loop within a few intervals if the clock stops.
 */
void *kit_spin_worker(void *p)
{
	struct kit_spin *s = p;
	double t0 = kit_now(), t;
	uint64_t x = 1, n = 0, cap = (uint64_t)(s->interval * 4e9);

	do {
		for (int i = 0; i < 4096; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			__asm__ volatile("" : "+r"(x));
		}
		n += 4096;
		t = kit_now();
	} while (t - t0 < s->interval && n < cap);
	s->iterations = n;
	s->elapsed = t - t0;
	return NULL;
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
