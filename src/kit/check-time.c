/*
 * check-time.c - the checks of the guest's clocks and timers:
 * time.monotonic, time.vdso, time.rate_skew, time.timer_latency and
 * time.sync (time.clocksource is in check-env.c; time.cross_cpu_warp, the
 * same on every system, in check-warp.c, over the clock given here).
 *
 * Time is where virtual machines most often go wrong: the TSC of one vCPU
 * drifts from another's after a migration, a clocksource without vDSO
 * support makes every clock_gettime a system call, a host that overcommits
 * delivers timers late.  The ideas come from the kernel's own tests:
 * check_tsc_warp() (arch/x86/kernel/tsc_sync.c) and
 * tools/testing/selftests/timers (inconsistency-check, raw_skew).
 *
 * Every loop here is bounded twice, by the interval and by a count of
 * iterations, so that a clock that stops cannot hang a check.
 */
#include <dirent.h>
#include <math.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <unistd.h>

#include "kit/kit-internal.h"
#include "util/compat.h"
#include "util/cv.h"

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL

/*
 * Clocks on old kernels: CLOCK_MONOTONIC_RAW is Linux 2.6.28+ and
 * CLOCK_BOOTTIME 2.6.39+ (clock_getres(2)); before, clock_gettime()
 * answers EINVAL and writes nothing.  A check that needs one reads it
 * once with judged_read() first and skips (or, time.monotonic, leaves it
 * out) with MISSING_CLOCK's reason.  The vDSO answers clock_gettime()
 * without a system call, so a seccomp filter cannot take a clock away:
 * the unit tests take it away through the clock_ns hook instead
 * (KIT_CLOCK_MISSING, tests/unit/test-kit-time.c).
 */
#define MISSING_CLOCK(name, since) name ": not in this kernel (Linux " since "+)"
#define MISSING_BOOTTIME MISSING_CLOCK("CLOCK_BOOTTIME", "2.6.39")
#define MISSING_RAW MISSING_CLOCK("CLOCK_MONOTONIC_RAW", "2.6.28")

/* A reading of c in ns: 0, or -errno (-EINVAL: the kernel has no such
 * clock, or a test's hook says so); *ret is written only on success. */
static int judged_read(const struct kit_faults *f, clockid_t c, int64_t *ret)
{
	int64_t t;

	if (!f || !f->clock_ns)
		return cv_clock_ns(c, ret);
	t = f->clock_ns(c, f->userdata);
	if (t == KIT_CLOCK_MISSING)
		return -EINVAL;
	*ret = t;
	return 0;
}

/*
 * CLOCK_MONOTONIC, which every Linux has (2.6.0+), read where a failure
 * cannot be told apart from a reading: it would take a broken libc, and
 * reads 0 then rather than uninitialised memory.
 */
static int64_t clock_ns(clockid_t c)
{
	int64_t t = 0;

	if (cv_clock_ns(c, &t) < 0)
		return 0;
	return t;
}

/* The clock the checks judge: the real one, or a test's faulty one.
 * Only for CLOCK_MONOTONIC, as clock_ns(). */
static int64_t judged_ns(const struct kit_faults *f, clockid_t c)
{
	int64_t t = 0;

	if (judged_read(f, c, &t) < 0)
		return 0;
	return t;
}

/* ---- time.monotonic ---- */

struct mono {
	const struct kit_faults *faults;
	int64_t interval_ns;
	bool boottime; /* the kernel has CLOCK_BOOTTIME */
	uint64_t samples, inv_mono, inv_boot;
	int64_t max_back_ns;
	int error; /* -errno of a failed reading */
};

static void mono_step(int64_t now, int64_t *prev, uint64_t *inversions, int64_t *max_back)
{
	if (now < *prev) {
		(*inversions)++;
		if (*prev - now > *max_back)
			*max_back = *prev - now;
	}
	*prev = now;
}

/* Reads CLOCK_MONOTONIC, and CLOCK_BOOTTIME where the kernel has it. */
static int mono_read(const struct mono *w, int64_t *ret_m, int64_t *ret_b)
{
	int r = judged_read(w->faults, CLOCK_MONOTONIC, ret_m);

	if (r < 0 || !w->boottime)
		return r;
	return judged_read(w->faults, CLOCK_BOOTTIME, ret_b);
}

static void *mono_worker(void *p)
{
	struct mono *w = p;
	int64_t m = 0, b = 0, end;
	/* A reading costs at least ~10 ns: this cap ends the loop at twice
	 * the interval at most if the clock stops. */
	uint64_t cap = (uint64_t)(w->interval_ns / 10), per = w->boottime ? 2 : 1;

	w->error = mono_read(w, &m, &b);
	if (w->error < 0)
		return NULL;
	end = m + w->interval_ns;
	w->samples = per;
	for (uint64_t i = 0; i < cap; i++) {
		int64_t m1 = 0, b1 = 0;

		w->error = mono_read(w, &m1, &b1);
		if (w->error < 0)
			break;
		mono_step(m1, &m, &w->inv_mono, &w->max_back_ns);
		if (w->boottime)
			mono_step(b1, &b, &w->inv_boot, &w->max_back_ns);
		w->samples += per;
		if (m1 >= end)
			break;
	}
	return NULL;
}

void kit_check_time_monotonic(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 0.2, 3.0);
	struct mono *w = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*w));
	uint64_t samples = 0, inv_mono = 0, inv_boot = 0;
	int64_t max_back = 0, t;
	bool boottime;
	struct kit_verdict v;
	int r;

	/* Without CLOCK_BOOTTIME (before 2.6.39) CLOCK_MONOTONIC is checked
	 * alone: on the oldest guests it is the clock that matters most. */
	r = judged_read(ctx->faults, CLOCK_BOOTTIME, &t);
	if (r < 0 && r != -EINVAL) {
		kit_set(out, KIT_ERROR, "cannot read CLOCK_BOOTTIME: %s", strerror(-r));
		goto out;
	}
	boottime = r == 0;
	for (size_t i = 0; i < ctx->n_cpus; i++) {
		w[i].faults = ctx->faults;
		w[i].interval_ns = (int64_t)(interval * NS_PER_S);
		w[i].boottime = boottime;
	}
	r = kit_on_each_cpu(ctx, mono_worker, w, sizeof(*w));
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot pin a worker to each vCPU: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < ctx->n_cpus; i++) {
		if (w[i].error < 0) {
			kit_set(out, KIT_ERROR, "a clock reading failed: %s", strerror(-w[i].error));
			goto out;
		}
		samples += w[i].samples;
		inv_mono += w[i].inv_mono;
		inv_boot += w[i].inv_boot;
		if (w[i].max_back_ns > max_back)
			max_back = w[i].max_back_ns;
	}
	json_object_set_new(out->measured, "samples", json_integer((json_int_t)samples));
	json_object_set_new(out->measured, "inversions", json_integer((json_int_t)(inv_mono + inv_boot)));
	json_object_set_new(out->measured, "monotonic_inversions", json_integer((json_int_t)inv_mono));
	json_object_set_new(out->measured, "boottime_inversions",
			    boottime ? json_integer((json_int_t)inv_boot) : json_null());
	json_object_set_new(out->measured, "max_backstep_ns", json_integer(max_back));
	json_object_set_new(out->measured, "cpus", json_integer((json_int_t)ctx->n_cpus));
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	json_object_set_new(out->threshold, "max_inversions", json_integer(0));
	kit_decide_inversions(inv_mono + inv_boot, samples, &v);
	if (!boottime && v.status == KIT_PASS)
		kit_verdict_set(&v, KIT_PASS, MISSING_BOOTTIME "; CLOCK_MONOTONIC was checked alone");
	kit_apply(out, &v);
out:
	free(w);
}

/* time.cross_cpu_warp (check-warp.c) reads CLOCK_MONOTONIC as the other
 * checks do: through a test's faults where there are any. */
int64_t kit_warp_clock_ns(const struct kit_faults *f)
{
	return judged_ns(f, CLOCK_MONOTONIC);
}

const char *kit_warp_clock_name(void)
{
	return NULL; /* the id's own: CLOCK_MONOTONIC */
}

/* ---- time.vdso ---- */

#define VDSO_FALLBACK "the vDSO falls back to the system call when the clocksource has no vDSO support"

void kit_decide_vdso(double vdso_ns, double syscall_ns, struct kit_verdict *v)
{
	bool slow, no_speedup;

	if (!(vdso_ns > 0) || !(syscall_ns > 0) || !isfinite(vdso_ns) || !isfinite(syscall_ns)) {
		kit_verdict_set(v, KIT_ERROR, "the timings are not usable (%g ns, %g ns)", vdso_ns, syscall_ns);
		return;
	}
	slow = !(vdso_ns < KIT_VDSO_MAX_NS);
	no_speedup = !(syscall_ns / vdso_ns >= KIT_VDSO_MIN_SPEEDUP);
	if (slow && no_speedup)
		kit_verdict_set(v, KIT_FAIL,
				"clock_gettime costs %.0f ns through libc (bound < %.0f ns) and is %.1fx faster than the "
				"system call (%.0f ns; bound >= %.0fx): " VDSO_FALLBACK,
				vdso_ns, KIT_VDSO_MAX_NS, syscall_ns / vdso_ns, syscall_ns, KIT_VDSO_MIN_SPEEDUP);
	else if (slow)
		kit_verdict_set(v, KIT_FAIL, "clock_gettime costs %.0f ns through libc (bound < %.0f ns): " VDSO_FALLBACK,
				vdso_ns, KIT_VDSO_MAX_NS);
	else if (no_speedup)
		kit_verdict_set(v, KIT_FAIL,
				"clock_gettime through libc (%.0f ns) is only %.1fx faster than the system call (%.0f ns; "
				"bound >= %.0fx): " VDSO_FALLBACK,
				vdso_ns, syscall_ns / vdso_ns, syscall_ns, KIT_VDSO_MIN_SPEEDUP);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/* NAN if a call fails (kit_decide_vdso calls that unusable). */
static double mean_ns_libc(uint64_t n)
{
	struct timespec ts;
	int64_t t0 = clock_ns(CLOCK_MONOTONIC);

	for (uint64_t i = 0; i < n; i++)
		if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
			return NAN;
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / (double)n;
}

/*
 * The system call itself.  On 32-bit musl (time64) it is named for its
 * 32-bit time_t, SYS_clock_gettime32; clock_gettime64 is Linux 5.1+.  Its
 * result is not read, and a struct timespec holds either layout.
 */
#ifdef SYS_clock_gettime
#define RAW_CLOCK_GETTIME SYS_clock_gettime
#else
#define RAW_CLOCK_GETTIME SYS_clock_gettime32
#endif

/* -errno if the system call is refused (a seccomp filter may). */
static int mean_ns_syscall(uint64_t n, double *ret)
{
	struct timespec ts;
	int64_t t0 = clock_ns(CLOCK_MONOTONIC);

	for (uint64_t i = 0; i < n; i++)
		if (syscall(RAW_CLOCK_GETTIME, CLOCK_MONOTONIC, &ts) < 0)
			return -errno;
	*ret = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / (double)n;
	return 0;
}

void kit_check_time_vdso(const struct kit_ctx *ctx, struct kit_out *out)
{
	uint64_t n = ctx->opt->quick ? 200000 : 2000000;
	char *cs = kit_read("/sys/devices/system/clocksource/clocksource0/current_clocksource");
	double vdso_ns, syscall_ns = 0;
	struct kit_verdict v;
	int r;

	json_object_set_new(out->threshold, "max_vdso_ns", json_real(KIT_VDSO_MAX_NS));
	json_object_set_new(out->threshold, "min_speedup", json_real(KIT_VDSO_MIN_SPEEDUP));
	json_object_set_new(out->measured, "clocksource", cs ? json_string(cv_strstrip(cs)) : json_null());
	/* Without a vDSO clock_gettime (RHEL 5's x86_64 kernel maps no vDSO,
	 * i386 had none before 3.15: vdso.c) every call is a system call
	 * whatever the clocksource: nothing to judge here. */
	r = kit_vdso_clock_gettime();
	if (r == -ENOENT || r == 0) {
		json_object_set_new(out->measured, "vdso", json_string(r ? "absent" : "no clock_gettime"));
		kit_set(out, KIT_SKIP, "%s: clock_gettime is a system call whatever the clocksource",
			r ? "the kernel maps no vDSO" : "the kernel's vDSO has no clock_gettime");
		goto out;
	}
	mean_ns_libc(1000); /* warm the caches and the vDSO page */
	vdso_ns = mean_ns_libc(n);
	r = mean_ns_syscall(n / 20, &syscall_ns);
	if (r < 0) {
		kit_set(out, KIT_ERROR, "the clock_gettime system call failed: %s", strerror(-r));
		goto out;
	}
	json_object_set_new(out->measured, "vdso_ns", json_real(kit_round(vdso_ns)));
	json_object_set_new(out->measured, "syscall_ns", json_real(kit_round(syscall_ns)));
	json_object_set_new(out->measured, "speedup", json_real(kit_round(vdso_ns > 0 ? syscall_ns / vdso_ns : 0)));
	json_object_set_new(out->measured, "calls", json_integer((json_int_t)n));
	json_object_set_new(out->measured, "syscalls", json_integer((json_int_t)(n / 20)));
	kit_decide_vdso(vdso_ns, syscall_ns, &v);
	kit_apply(out, &v);
out:
	free(cs);
}

/* ---- time.rate_skew ---- */

void kit_decide_rate_skew(double ppm, double bound_ppm, struct kit_verdict *v)
{
	if (!isfinite(ppm))
		kit_verdict_set(v, KIT_ERROR, "the skew could not be computed");
	else if ((ppm < 0 ? -ppm : ppm) > bound_ppm)
		kit_verdict_set(v, KIT_FAIL, "CLOCK_MONOTONIC runs %+.1f ppm from CLOCK_MONOTONIC_RAW (bound +-%.0f ppm)", ppm,
				bound_ppm);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/* Both clocks at one instant. */
struct clock_pair {
	int64_t mono, raw;
	int64_t gap; /* uncertainty: the time between the monotonic readings around raw */
};

/*
 * raw_skew's trick: a raw reading between two monotonic ones, the
 * monotonic instant taken as their middle, and the try with the smallest
 * gap kept (a preempted try has a big one).
 */
static int read_pair(const struct kit_faults *f, struct clock_pair *ret)
{
	ret->gap = INT64_MAX;
	for (int k = 0; k < 8; k++) {
		int64_t a = judged_ns(f, CLOCK_MONOTONIC), r, b;
		int res = judged_read(f, CLOCK_MONOTONIC_RAW, &r);

		if (res < 0)
			return res;
		b = judged_ns(f, CLOCK_MONOTONIC);
		if (b - a < ret->gap) {
			ret->gap = b - a;
			ret->mono = a + (b - a) / 2;
			ret->raw = r;
		}
	}
	return 0;
}

static int sleep_until(int64_t mono_ns)
{
	struct timespec ts = { (time_t)(mono_ns / NS_PER_S), (long)(mono_ns % NS_PER_S) };
	int r;

	while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
		;
	return -r;
}

void kit_check_time_rate_skew(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 0.5, 5.0), ppm;
	struct clock_pair p0, p1;
	int64_t dm, dr;
	struct kit_verdict v;
	int r;

	json_object_set_new(out->threshold, "max_abs_ppm", json_real(KIT_RATE_SKEW_PPM));
	r = judged_read(ctx->faults, CLOCK_MONOTONIC_RAW, &dr);
	if (r == -EINVAL) {
		json_object_set_new(out->measured, "missing_clock", json_string("CLOCK_MONOTONIC_RAW"));
		kit_set(out, KIT_SKIP, MISSING_RAW);
		return;
	}
	r = r < 0 ? r : read_pair(ctx->faults, &p0);
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot read CLOCK_MONOTONIC_RAW: %s", strerror(-r));
		return;
	}
	/* The sleep is on the real clock: a test's faulty one must not stretch it. */
	r = sleep_until((ctx->faults ? clock_ns(CLOCK_MONOTONIC) : p0.mono) + (int64_t)(interval * NS_PER_S));
	if (r < 0) {
		kit_set(out, KIT_ERROR, "clock_nanosleep: %s", strerror(-r));
		return;
	}
	r = read_pair(ctx->faults, &p1);
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot read CLOCK_MONOTONIC_RAW: %s", strerror(-r));
		return;
	}
	dm = p1.mono - p0.mono;
	dr = p1.raw - p0.raw;
	if (dr <= 0) {
		kit_set(out, KIT_ERROR, "CLOCK_MONOTONIC_RAW did not advance in %.1f s", interval);
		return;
	}
	ppm = (double)(dm - dr) / (double)dr * 1e6;
	json_object_set_new(out->measured, "ppm", json_real(kit_round(ppm)));
	json_object_set_new(out->measured, "monotonic_delta_ns", json_integer(dm));
	json_object_set_new(out->measured, "raw_delta_ns", json_integer(dr));
	json_object_set_new(out->measured, "endpoint_gap_ns", json_integer(p0.gap > p1.gap ? p0.gap : p1.gap));
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	kit_decide_rate_skew(ppm, KIT_RATE_SKEW_PPM, &v);
	kit_apply(out, &v);
}

/* ---- time.timer_latency ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct sleeps {
	double *overshoot_ms;
	size_t n;
	uint64_t early, interrupted;
	bool cut; /* stopped at the time budget */
};

/* Sleeps 1 ms up to max times within budget_ns; -errno on failure. */
static int take_sleeps(size_t max, int64_t budget_ns, struct sleeps *s)
{
	static const struct timespec ms = { 0, NS_PER_MS };
	int64_t start = clock_ns(CLOCK_MONOTONIC);

	s->overshoot_ms = cv_xcalloc(max, sizeof(*s->overshoot_ms));
	for (size_t i = 0; i < max; i++) {
		int64_t t0 = clock_ns(CLOCK_MONOTONIC), t1;
		int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL);

		t1 = clock_ns(CLOCK_MONOTONIC);
		if (r == EINTR)
			s->interrupted++; /* a signal ends a sleep early legitimately */
		else if (r)
			return -r;
		else {
			s->early += t1 - t0 < NS_PER_MS;
			s->overshoot_ms[s->n++] = (double)(t1 - t0 - NS_PER_MS) / 1e6;
		}
		if (t1 - start > budget_ns) {
			s->cut = i + 1 < max;
			break;
		}
	}
	return 0;
}

void kit_check_time_timer_latency(const struct kit_ctx *ctx, struct kit_out *out)
{
	size_t max = ctx->opt->quick ? 100 : 2000;
	struct sleeps s = { 0 };
	double sum = 0, p99, worst;
	struct kit_verdict v;
	int r;

	json_object_set_new(out->threshold, "max_early", json_integer(0));
	json_object_set_new(out->threshold, "max_overshoot_ms", json_real(KIT_TIMER_MAX_OVERSHOOT_MS));
	/* Nominally 0.1 s or 2 s; a host that delivers very late is cut at 5x. */
	r = take_sleeps(max, (int64_t)max * 5 * NS_PER_MS, &s);
	if (r < 0 || !s.n) {
		kit_set(out, KIT_ERROR, "clock_nanosleep: %s", r < 0 ? strerror(-r) : "every sleep was interrupted");
		goto out;
	}
	qsort(s.overshoot_ms, s.n, sizeof(*s.overshoot_ms), cmp_double);
	for (size_t i = 0; i < s.n; i++)
		sum += s.overshoot_ms[i];
	p99 = s.overshoot_ms[(s.n * 99 + 99) / 100 - 1];
	worst = s.overshoot_ms[s.n - 1];
	json_object_set_new(out->measured, "sleeps", json_integer((json_int_t)s.n));
	json_object_set_new(out->measured, "early", json_integer((json_int_t)s.early));
	json_object_set_new(out->measured, "interrupted", json_integer((json_int_t)s.interrupted));
	json_object_set_new(out->measured, "cut_at_time_budget", json_boolean(s.cut));
	json_object_set_new(out->measured, "mean_overshoot_ms", json_real(kit_round(sum / (double)s.n)));
	json_object_set_new(out->measured, "p99_overshoot_ms", json_real(kit_round(p99)));
	json_object_set_new(out->measured, "max_overshoot_ms", json_real(kit_round(worst)));
	kit_decide_timer_latency(s.early, worst, &v);
	kit_apply(out, &v);
out:
	free(s.overshoot_ms);
}

/* ---- time.sync ---- */

#define UNSYNC_REASON "the kernel reports the clock unsynchronised: no NTP or PTP daemon disciplines it"

void kit_decide_sync(int adjtimex_state, long status_bits, long maxerror_us, struct kit_verdict *v)
{
	if (adjtimex_state < 0)
		kit_verdict_set(v, KIT_SKIP, "adjtimex failed: the kernel's synchronisation state is not readable here");
	else if ((status_bits & STA_UNSYNC) || adjtimex_state == TIME_ERROR)
		kit_verdict_set(v, KIT_FAIL, UNSYNC_REASON " (maximum error %ld us)", maxerror_us);
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

static const struct {
	long bit;
	const char *name;
} sta_bits[] = {
	{ STA_PLL, "STA_PLL" },		  { STA_PPSFREQ, "STA_PPSFREQ" },	{ STA_PPSTIME, "STA_PPSTIME" },
	{ STA_FLL, "STA_FLL" },		  { STA_INS, "STA_INS" },		{ STA_DEL, "STA_DEL" },
	{ STA_UNSYNC, "STA_UNSYNC" },	  { STA_FREQHOLD, "STA_FREQHOLD" },	{ STA_PPSSIGNAL, "STA_PPSSIGNAL" },
	{ STA_PPSJITTER, "STA_PPSJITTER" }, { STA_PPSWANDER, "STA_PPSWANDER" }, { STA_PPSERROR, "STA_PPSERROR" },
	{ STA_CLOCKERR, "STA_CLOCKERR" }, { STA_NANO, "STA_NANO" },		{ STA_MODE, "STA_MODE" },
	{ STA_CLK, "STA_CLK" },
};

static const char *const time_states[] = {
	[TIME_OK] = "TIME_OK",	   [TIME_INS] = "TIME_INS",   [TIME_DEL] = "TIME_DEL",
	[TIME_OOP] = "TIME_OOP", [TIME_WAIT] = "TIME_WAIT", [TIME_ERROR] = "TIME_ERROR",
};

/* PTP clocks by device ("ptp0": "ptp_kvm"); at most 64 are listed. */
static json_t *ptp_clocks(void)
{
	json_t *o = json_object();
	struct cv_strv devs;
	struct dirent *e;
	DIR *d = opendir("/sys/class/ptp");

	cv_strv_init(&devs);
	while (d && (e = readdir(d)) && devs.n < 64)
		if (cv_startswith(e->d_name, "ptp"))
			cv_strv_push(&devs, e->d_name);
	if (d)
		closedir(d);
	cv_strv_sort(&devs);
	for (size_t i = 0; i < devs.n; i++) {
		char *path = cv_xasprintf("/sys/class/ptp/%s/clock_name", devs.v[i]);
		char *name = kit_read(path), *clean = NULL;

		if (name) {
			const char *stripped = cv_strstrip(name);

			clean = cv_str_sanitize(stripped, strlen(stripped), 64);
		}

		json_object_set_new(o, devs.v[i], clean ? json_string(clean) : json_null());
		free(clean);
		free(name);
		free(path);
	}
	cv_strv_release(&devs);
	return o;
}

static void put_timex(json_t *o, int state, const struct timex *tx)
{
	json_t *bits = json_array();

	for (size_t i = 0; i < CV_ELEMENTSOF(sta_bits); i++)
		if (tx->status & sta_bits[i].bit)
			json_array_append_new(bits, json_string(sta_bits[i].name));
	json_object_set_new(o, "state", json_integer(state));
	json_object_set_new(o, "state_name", state >= 0 && (size_t)state < CV_ELEMENTSOF(time_states) && time_states[state]
							? json_string(time_states[state])
							: json_null());
	json_object_set_new(o, "status", json_integer(tx->status));
	json_object_set_new(o, "status_bits", bits);
	json_object_set_new(o, "maxerror_us", json_integer(tx->maxerror));
	json_object_set_new(o, "esterror_us", json_integer(tx->esterror));
	/* offset is in ns with STA_NANO, in us without. */
	json_object_set_new(o, "offset_ns", json_integer(tx->status & STA_NANO ? tx->offset : tx->offset * 1000));
	json_object_set_new(o, "freq_ppm", json_real(kit_round((double)tx->freq / 65536.0)));
}

void kit_check_time_sync(const struct kit_ctx *ctx, struct kit_out *out)
{
	struct timex tx = { .modes = 0 }; /* read only */
	struct kit_verdict v;
	int state;

	state = cv_adjtimex(&tx);
	if (state < 0)
		json_object_set_new(out->measured, "adjtimex_error", json_string(strerror(errno)));
	else
		put_timex(out->measured, state, &tx);
	json_object_set_new(out->measured, "ptp_clocks", ptp_clocks());
	json_object_set_new(out->threshold, "sta_unsync", json_false());
	kit_decide_sync(state, state < 0 ? 0 : tx.status, state < 0 ? 0 : tx.maxerror, &v);
	kit_time_sync_peer(ctx, out, &v);
	kit_apply(out, &v);
}
