/*
 * derive.c - each check's status recomputed from its measured values (see
 * covalid/testlog.h, docs/testlog.md "Statuses and measurements").
 *
 * One row per check id, in the kit's run order (src/kit/registry.c): the
 * threshold keys it reads from a set, and its rule.  A rule mirrors the
 * kit's decision (the kit_decide_* function named in its comment) over
 * what the kit records in `measured`, the log's claim and options, and the
 * set's numbers; tests/unit/test-testlog-derive.c runs the real kit and
 * the decisions on recorded values and demands the same status from both,
 * so the two cannot drift apart unnoticed.  A check added to the kit
 * needs a row here (the same test fails until it has one); a threshold
 * it reads needs its number in a threshold set (thresholds.c).
 *
 * The kit rounds reals to 6 significant digits before it logs them
 * (kit_round), and decides on the unrounded value: a real is compared
 * with its bound with a relative slack of 2e-5 in the value's favour (a
 * rounded value is off by up to 5e-6, a ratio of two by up to 1e-5), so
 * that rounding never turns a logged pass into a derived fail.  A value
 * logged exactly at a strict bound ("< 200 ns") therefore derives pass: it
 * may be 199.9999997.  Integers are logged exactly and compared exactly.
 */
#include <jansson.h>
#include <math.h>

#include "covalid/testlog.h"
#include "covalid/version.h"
#include "testlog/testlog-internal.h"
#include "util/cv.h"

#define SLACK 2e-5
/* The largest per-CPU object a rule reads (cpu.all_vcpus_execute, irq.timer_delivery). */
#define MAX_CPUS 65536

const char *testlog_derived_name(enum testlog_derived d)
{
	static const char *const names[] = { "pass", "fail", "skip", "error", "missing", "cannot derive" };

	return (size_t)d < CV_ELEMENTSOF(names) ? names[d] : "?";
}

/* ---- reading measured values ---- */

struct input {
	const json_t *measured, *limits; /* limits: the check's object in the set, or NULL */
	const struct testlog_context *ctx;
	struct testlog_derivation *out;
};

static bool set(struct input *in, enum testlog_derived s, const char *fmt, ...) CV_PRINTF(3, 4);

/* Always false, so that a rule can `return set(...)` from a reader. */
static bool set(struct input *in, enum testlog_derived s, const char *fmt, ...)
{
	va_list ap;

	in->out->status = s;
	in->out->why[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(in->out->why, sizeof(in->out->why), fmt, ap);
		va_end(ap);
	}
	return false;
}

static const json_t *field(struct input *in, const char *name)
{
	const json_t *v = json_is_object(in->measured) ? json_object_get(in->measured, name) : NULL;

	if (!v)
		set(in, TESTLOG_DERIVED_MISSING, "measured.%s is missing", name);
	return v;
}

static bool wrong(struct input *in, const char *name, const char *expected)
{
	return set(in, TESTLOG_DERIVED_MISSING, "measured.%s is not %s", name, expected);
}

/* A finite number (integer or real). */
static bool num(struct input *in, const char *name, double *ret)
{
	const json_t *v = field(in, name);

	if (!v)
		return false;
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return wrong(in, name, "a number");
	*ret = json_number_value(v);
	return true;
}

/* An integer (counts are >= 0 where the kit writes them so; min says). */
static bool integer(struct input *in, const char *name, json_int_t min, json_int_t *ret)
{
	const json_t *v = field(in, name);

	if (!v)
		return false;
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return wrong(in, name, min == 0 ? "an integer >= 0" : "an integer");
	*ret = json_integer_value(v);
	return true;
}

static bool boolean(struct input *in, const char *name, bool *ret)
{
	const json_t *v = field(in, name);

	if (!v)
		return false;
	if (!json_is_boolean(v))
		return wrong(in, name, "true or false");
	*ret = json_is_true(v);
	return true;
}

/* A string or null (*ret NULL): present either way. */
static bool str_or_null(struct input *in, const char *name, const char **ret)
{
	const json_t *v = field(in, name);

	if (!v)
		return false;
	if (!json_is_string(v) && !json_is_null(v))
		return wrong(in, name, "a string or null");
	*ret = json_string_value(v);
	return true;
}

static double limit(const struct input *in, const char *key)
{
	return json_number_value(json_object_get(in->limits, key));
}

static const char *or_null(const char *s)
{
	return s ? s : "null";
}

/* An object whose values are all numbers (ints: integers >= 0), with 1 to MAX_CPUS members. */
static bool numbers_object(struct input *in, const char *name, bool ints, const json_t **ret)
{
	const json_t *o = field(in, name), *v;
	const char *k;

	if (!o)
		return false;
	if (!json_is_object(o) || json_object_size(o) > MAX_CPUS)
		return wrong(in, name, "an object of per-CPU values");
	json_object_foreach((json_t *)o, k, v)
		if (ints ? !json_is_integer(v) || json_integer_value(v) < 0 : !json_is_number(v) || !isfinite(json_number_value(v)))
			return set(in, TESTLOG_DERIVED_MISSING, "measured.%s.%s is not %s", name, k,
				   ints ? "an integer >= 0" : "a number");
	*ret = o;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- the rules, one per check ---- */

/* kit_decide_fingerprint: the hypervisor probed during the run is the one the log claims. */
static void env_fingerprint(struct input *in)
{
	const char *h, *p;

	if (!str_or_null(in, "hypervisor", &h) || !str_or_null(in, "product", &p))
		return;
	if (!h || strcmp(h, "unknown") == 0)
		set(in, TESTLOG_DERIVED_FAIL, "hypervisor %s: none was detected", or_null(h));
	else if (strcmp(h, "none") == 0)
		set(in, TESTLOG_DERIVED_FAIL, "hypervisor none: bare metal");
	else if (!cv_streq(h, in->ctx->hypervisor))
		set(in, TESTLOG_DERIVED_FAIL, "hypervisor %s, the claim's %s", h, or_null(in->ctx->hypervisor));
	else if (!cv_streq(p, in->ctx->product))
		set(in, TESTLOG_DERIVED_FAIL, "product %s, the claim's %s", or_null(p), or_null(in->ctx->product));
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_topology, with kit.options.expect_vcpus. */
static void cpu_topology(struct input *in)
{
	json_int_t online, present;

	/* Windows: the firmware's processor list (the ACPI MADT) was not read,
	 * and the check skipped (present_unreadable says why). */
	if (json_is_object(in->measured) && json_is_null(json_object_get(in->measured, "present"))) {
		set(in, TESTLOG_DERIVED_SKIP, "present null: the firmware's processor list was not read");
		return;
	}
	if (!integer(in, "online", INT64_MIN, &online) || !integer(in, "present", INT64_MIN, &present))
		return;
	if (online < 1 || present < 1)
		set(in, TESTLOG_DERIVED_ERROR, "online %lld, present %lld: the CPU lists were unreadable", (long long)online,
		    (long long)present);
	else if (online != present)
		set(in, TESTLOG_DERIVED_FAIL, "online %lld != present %lld", (long long)online, (long long)present);
	else if (in->ctx->expect_vcpus > 0 && online != in->ctx->expect_vcpus)
		set(in, TESTLOG_DERIVED_FAIL, "online %lld != kit.options.expect_vcpus %lld", (long long)online,
		    (long long)in->ctx->expect_vcpus);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_rates: every vCPU's rate reaches min_fraction of the median. */
static void cpu_all_vcpus_execute(struct input *in)
{
	const json_t *rates, *v;
	const char *k, *slowest = NULL;
	double *r, median, min = limit(in, "min_fraction"), worst = 0;
	size_t n, i = 0;

	if (!numbers_object(in, "rates", false, &rates))
		return;
	n = json_object_size(rates);
	if (!n) {
		set(in, TESTLOG_DERIVED_ERROR, "measured.rates is empty: no vCPU rate was measured");
		return;
	}
	r = cv_xcalloc(n, sizeof(*r));
	json_object_foreach((json_t *)rates, k, v)
		r[i++] = json_number_value(v);
	qsort(r, n, sizeof(*r), cmp_double);
	median = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
	free(r);
	if (!(median > 0)) {
		set(in, TESTLOG_DERIVED_ERROR, "median rate %g: the workers did not run", median);
		return;
	}
	json_object_foreach((json_t *)rates, k, v)
		if (json_number_value(v) * (1 + SLACK) < min * median && (!slowest || json_number_value(v) < worst)) {
			slowest = k;
			worst = json_number_value(v);
		}
	if (slowest)
		set(in, TESTLOG_DERIVED_FAIL, "rates.%s %g < %g x median %g", slowest, worst, min, median);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_feature_consistency, over the kit's tally of differing vCPUs
 * (the CPUID registers themselves are not in the log). */
static void cpu_feature_consistency(struct input *in)
{
	json_int_t cpus, differing;

	if (!integer(in, "cpus", 0, &cpus))
		return;
	if (cpus < 2) {
		set(in, TESTLOG_DERIVED_SKIP, "cpus %lld: nothing to compare", (long long)cpus);
		return;
	}
	if (!integer(in, "differing_cpus", 0, &differing))
		return;
	if (differing)
		set(in, TESTLOG_DERIVED_FAIL, "differing_cpus %lld > 0", (long long)differing);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_inversions, kit_decide_warps, kit_decide_mismatches: zero
 * bad events among a non-zero number of observations. */
static void zero_of(struct input *in, const char *bad_name, const char *seen_name)
{
	json_int_t bad, seen;

	if (!integer(in, seen_name, 0, &seen) || !integer(in, bad_name, 0, &bad))
		return;
	if (!seen)
		set(in, TESTLOG_DERIVED_ERROR, "%s 0: nothing was observed", seen_name);
	else if (bad)
		set(in, TESTLOG_DERIVED_FAIL, "%s %lld > 0", bad_name, (long long)bad);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

static void time_monotonic(struct input *in)
{
	zero_of(in, "inversions", "samples");
}

static void time_cross_cpu_warp(struct input *in)
{
	zero_of(in, "warps", "exchanges");
}

static void mem_pattern(struct input *in)
{
	zero_of(in, "mismatches", "checked");
}

/* check-storage.c: a write it could place on a disk reads back whole;
 * without one (only memory-backed or unwritable filesystems, or an
 * unreadable mount table) it skips and records no blocks. */
static void storage_io_integrity(struct input *in)
{
	if (json_is_object(in->measured) && !json_object_get(in->measured, "mismatching_blocks")) {
		set(in, TESTLOG_DERIVED_SKIP, "mismatching_blocks is absent: nothing was written to a disk");
		return;
	}
	zero_of(in, "mismatching_blocks", "blocks");
}

static bool in_list(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (cv_streq(json_string_value(v), s))
			return true;
	return false;
}

/* kit_decide_clocksource: the current clocksource is in the claimed
 * hypervisor's allow-list ("*" for one the list does not name). */
static void time_clocksource(struct input *in)
{
	const json_t *allowed = json_object_get(in->limits, "allowed"), *list;
	const char *cur, *hv = in->ctx->hypervisor;

	if (!str_or_null(in, "current", &cur))
		return;
	list = hv ? json_object_get(allowed, hv) : NULL;
	if (!list)
		list = json_object_get(allowed, "*");
	if (!cur)
		set(in, TESTLOG_DERIVED_SKIP, "current is null: not readable");
	else if (in_list(list, cur) || in_list(json_object_get(in->limits, "always_allowed"), cur))
		set(in, TESTLOG_DERIVED_PASS, NULL);
	else
		set(in, TESTLOG_DERIVED_FAIL, "current %s is not allowed on hypervisor %s", cur, or_null(hv));
}

/* kit_decide_vdso: under max_ns, and min_speedup times faster than the system call. */
static void time_vdso(struct input *in)
{
	double vdso, sys, max = limit(in, "max_ns"), speedup = limit(in, "min_speedup");
	bool slow, no_speedup;

	/* No vDSO, or one without clock_gettime (RHEL 5's kernels): nothing to time. */
	if (json_is_object(in->measured) && json_object_get(in->measured, "vdso")) {
		set(in, TESTLOG_DERIVED_SKIP, "vdso: the kernel's vDSO serves no clock_gettime");
		return;
	}
	if (!num(in, "vdso_ns", &vdso) || !num(in, "syscall_ns", &sys))
		return;
	if (!(vdso > 0) || !(sys > 0)) {
		set(in, TESTLOG_DERIVED_ERROR, "vdso_ns %g, syscall_ns %g: not usable timings", vdso, sys);
		return;
	}
	slow = !(vdso < max * (1 + SLACK));
	no_speedup = !(sys / vdso * (1 + SLACK) >= speedup);
	if (slow)
		set(in, TESTLOG_DERIVED_FAIL, "vdso_ns %g >= %g", vdso, max);
	else if (no_speedup)
		set(in, TESTLOG_DERIVED_FAIL, "syscall_ns %g / vdso_ns %g = %.3g < %g", sys, vdso, sys / vdso, speedup);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_rate_skew: |ppm| <= max_abs_ppm. */
static void time_rate_skew(struct input *in)
{
	double ppm, max = limit(in, "max_abs_ppm");

	/* A kernel without the reference clock: CLOCK_MONOTONIC_RAW is in
	 * every Linux since 2.6.28 (clock_gettime(2)), so a log whose own
	 * descriptor names a later kernel cannot be missing it. */
	if (json_is_object(in->measured) && json_object_get(in->measured, "missing_clock")) {
		uint64_t have;

		if (in->ctx->kernel && version_parse(in->ctx->kernel, &have) == 0 && !version_before(in->ctx->kernel, "2.6.28"))
			set(in, TESTLOG_DERIVED_FAIL, "missing_clock, but kernel %.64s has CLOCK_MONOTONIC_RAW (Linux 2.6.28+)",
			    in->ctx->kernel);
		else
			set(in, TESTLOG_DERIVED_SKIP, "missing_clock: the reference clock is not in this kernel");
		return;
	}
	if (!num(in, "ppm", &ppm))
		return;
	if (fabs(ppm) > max * (1 + SLACK))
		set(in, TESTLOG_DERIVED_FAIL, "|ppm| %g > %g", fabs(ppm), max);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_timer_latency: no early wake-up; worst overshoot under max_overshoot_ms. */
static void time_timer_latency(struct input *in)
{
	double worst, max = limit(in, "max_overshoot_ms");
	json_int_t early;

	if (!integer(in, "early", 0, &early) || !num(in, "max_overshoot_ms", &worst))
		return;
	if (early)
		set(in, TESTLOG_DERIVED_FAIL, "early %lld > 0", (long long)early);
	else if (!(worst < max * (1 + SLACK)))
		set(in, TESTLOG_DERIVED_FAIL, "max_overshoot_ms %g >= %g", worst, max);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/*
 * kit_decide_sync: adjtimex's state and status bits.  The values are
 * Linux's ABI (include/uapi/linux/timex.h): STA_UNSYNC 0x0040, TIME_ERROR
 * 5; spelled out so that this file builds where <sys/timex.h> is absent.
 */
#define STA_UNSYNC_BIT 0x0040
#define TIME_ERROR_STATE 5

static void time_sync_kernel(struct input *in)
{
	json_int_t state, status;

	if (json_is_object(in->measured) && json_object_get(in->measured, "adjtimex_error")) {
		set(in, TESTLOG_DERIVED_SKIP, "adjtimex_error: the state was not readable");
		return;
	}
	if (!integer(in, "state", INT64_MIN, &state) || !integer(in, "status", INT64_MIN, &status))
		return;
	if ((status & STA_UNSYNC_BIT) || state == TIME_ERROR_STATE)
		set(in, TESTLOG_DERIVED_FAIL, "status 0x%llx, state %lld: the clock is unsynchronised",
		    (unsigned long long)status, (long long)state);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_sync, then kit_decide_peer_offset where a peer was asked
 * (kit_time_sync_peer): an offset past the bound fails whatever the
 * kernel said; within it, the kernel's verdict stands. */
static void time_sync(struct input *in)
{
	const json_t *off = json_is_object(in->measured) ? json_object_get(in->measured, "peer_offset_ns") : NULL;
	double max = limit(in, "max_abs_peer_offset_ms"), ns;

	time_sync_kernel(in);
	if (in->out->status == TESTLOG_DERIVED_MISSING || !off)
		return;
	if (!num(in, "peer_offset_ns", &ns))
		return;
	if (fabs(ns) / 1e6 > max * (1 + SLACK))
		set(in, TESTLOG_DERIVED_FAIL, "|peer_offset_ns| %g ms > %g ms", fabs(ns) / 1e6, max);
}

/* kit_decide_reference: the drift against the peer is within the bound
 * even at the worst of its uncertainty; past it even at the best fails;
 * in between the network could not tell (error).  Skipped without a peer
 * or with one on this host. */
static void time_reference(struct input *in)
{
	double drift, unc, max = limit(in, "max_abs_drift_ppm");
	const char *peer;
	json_int_t points;

	if (!str_or_null(in, "peer", &peer))
		return;
	if (!peer) {
		set(in, TESTLOG_DERIVED_SKIP, "peer null: no --peer given");
		return;
	}
	if (!json_object_get(in->measured, "drift_ppm") && !json_object_get(in->measured, "points")) {
		set(in, TESTLOG_DERIVED_SKIP, "no exchange was measured (a peer on this host, or none reached)");
		return;
	}
	if (!integer(in, "points", 0, &points))
		return;
	if (points < 2 || json_is_null(json_object_get(in->measured, "drift_ppm")) ||
	    json_is_null(json_object_get(in->measured, "drift_uncertainty_ppm"))) {
		set(in, TESTLOG_DERIVED_ERROR, "points %lld: the drift could not be computed", (long long)points);
		return;
	}
	if (!num(in, "drift_ppm", &drift) || !num(in, "drift_uncertainty_ppm", &unc))
		return;
	if (unc < 0)
		set(in, TESTLOG_DERIVED_ERROR, "drift_uncertainty_ppm %g < 0", unc);
	else if (fabs(drift) - unc > max * (1 + SLACK))
		set(in, TESTLOG_DERIVED_FAIL, "|drift_ppm| %g - uncertainty %g > %g", fabs(drift), unc, max);
	else if (fabs(drift) + unc > max * (1 + SLACK))
		set(in, TESTLOG_DERIVED_ERROR, "|drift_ppm| %g + uncertainty %g > %g: the network could not tell",
		    fabs(drift), unc, max);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_timer_delivery: the timer count rose on every vCPU. */
static void irq_timer_delivery(struct input *in)
{
	const json_t *deltas, *v;
	const char *k;

	if (!numbers_object(in, "deltas", true, &deltas))
		return;
	if (!json_object_size(deltas)) {
		set(in, TESTLOG_DERIVED_ERROR, "measured.deltas is empty: no CPU to compare");
		return;
	}
	json_object_foreach((json_t *)deltas, k, v)
		if (json_integer_value(v) == 0) {
			set(in, TESTLOG_DERIVED_FAIL, "deltas.%s 0: no timer interrupt", k);
			return;
		}
	set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_health, over the taint flags and the kit's tally of signs of
 * trouble per kind (the log lines themselves are not in the log). */
static void kernel_health(struct input *in)
{
	const json_t *sig = json_is_object(in->measured) ? json_object_get(in->measured, "signatures") : NULL, *v;
	const char *k;
	json_int_t tainted;

	if (!integer(in, "tainted", 0, &tainted))
		return;
	if (tainted) {
		set(in, TESTLOG_DERIVED_FAIL, "tainted %lld != 0", (long long)tainted);
		return;
	}
	/* Absent when the kernel log was not readable: the taint alone decides. */
	if (sig && !json_is_object(sig)) {
		wrong(in, "signatures", "an object of counts");
		return;
	}
	json_object_foreach((json_t *)sig, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			set(in, TESTLOG_DERIVED_MISSING, "measured.signatures.%s is not an integer >= 0", k);
			return;
		}
		if (json_integer_value(v)) {
			set(in, TESTLOG_DERIVED_FAIL, "signatures.%s %lld > 0", k, (long long)json_integer_value(v));
			return;
		}
	}
	set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_comp_state_fails (src/kit/decide.c): the states of a component
 * or Hyper-V service that fail kernel.pv_drivers ("unsigned": a Windows
 * driver without a valid signature, src/kit/win/check-system.c). */
static const char *const failing_states[] = { "unbound", "offered_unbound", "absent", "silent", "unsigned" };

/* True (and the status set) when measured.NAME, a list of findings, has
 * one in a failing state; an absent list is an older log's, without. */
static bool failing_state(struct input *in, const char *name)
{
	const json_t *list = json_is_object(in->measured) ? json_object_get(in->measured, name) : NULL, *x;
	size_t i;

	if (!list)
		return false;
	if (!json_is_array(list)) {
		wrong(in, name, "an array");
		return true;
	}
	json_array_foreach((json_t *)list, i, x) {
		const char *state = json_string_value(json_object_get(x, "state"));

		for (size_t k = 0; state && k < CV_ELEMENTSOF(failing_states); k++)
			if (strcmp(state, failing_states[k]) == 0) {
				set(in, TESTLOG_DERIVED_FAIL, "%s[%zu].state %s", name, i, state);
				return true;
			}
	}
	return false;
}

/* kit_decide_components: no expected component missing or failing, on a hypervisor. */
static void kernel_pv_drivers(struct input *in)
{
	const char *hv = in->ctx->hypervisor;
	const json_t *missing;

	if (!hv || strcmp(hv, "none") == 0 || strcmp(hv, "unknown") == 0) {
		set(in, TESTLOG_DERIVED_SKIP, "the claim's hypervisor is %s: nothing to expect", or_null(hv));
		return;
	}
	if (!(missing = field(in, "missing")))
		return;
	if (!json_is_array(missing)) {
		wrong(in, "missing", "an array");
		return;
	}
	if (json_array_size(missing)) {
		set(in, TESTLOG_DERIVED_FAIL, "missing has %zu component%s, the first %s", json_array_size(missing),
		    json_array_size(missing) > 1 ? "s" : "", or_null(json_string_value(json_array_get(missing, 0))));
		return;
	}
	/* The per-component findings the kit records since it reads the
	 * buses itself (check-components.c): a state it fails on fails here,
	 * whatever missing says. */
	if (!failing_state(in, "components") && !failing_state(in, "hv_services"))
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_mem_size: MemTotal min_fraction to 100 % of kit.options.expect_memory_mib. */
static void mem_size(struct input *in)
{
	int64_t expect = in->ctx->expect_memory_mib;
	double min = limit(in, "min_fraction");
	json_int_t total;

	if (expect <= 0) {
		set(in, TESTLOG_DERIVED_SKIP, "kit.options.expect_memory_mib is not given: nothing to compare");
		return;
	}
	if (!integer(in, "memtotal_mib", 0, &total))
		return;
	if (!total)
		set(in, TESTLOG_DERIVED_ERROR, "memtotal_mib 0: not readable");
	else if (total > expect)
		set(in, TESTLOG_DERIVED_FAIL, "memtotal_mib %lld > expect_memory_mib %lld", (long long)total,
		    (long long)expect);
	else if ((double)total < min * (double)expect)
		set(in, TESTLOG_DERIVED_FAIL, "memtotal_mib %lld < %g x expect_memory_mib %lld", (long long)total, min,
		    (long long)expect);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_storage_inventory: fails when an expected paravirtual disk
 * driver drives no disk (missing_storage, recorded since the check can
 * fail; older logs lack it); passes with at least one block device. */
static void storage_inventory(struct input *in)
{
	const json_t *missing = json_is_object(in->measured) ? json_object_get(in->measured, "missing_storage") : NULL;
	json_int_t count;

	if (missing && !json_is_array(missing)) {
		wrong(in, "missing_storage", "an array");
		return;
	}
	if (json_array_size(missing)) {
		set(in, TESTLOG_DERIVED_FAIL, "missing_storage has %s: no disk is driven by it",
		    or_null(json_string_value(json_array_get(missing, 0))));
		return;
	}
	if (!integer(in, "count", 0, &count))
		return;
	if (!count)
		set(in, TESTLOG_DERIVED_SKIP, "count 0: no block device visible");
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* check-net.c: skipped in a container; passes with an interface that has a driver. */
static void net_inventory(struct input *in)
{
	const char *container;
	json_int_t count;

	if (!str_or_null(in, "container", &container))
		return;
	if (!cv_streq(container, "none")) {
		set(in, TESTLOG_DERIVED_SKIP, "container %s", or_null(container));
		return;
	}
	if (!integer(in, "count", 0, &count))
		return;
	if (!count)
		set(in, TESTLOG_DERIVED_FAIL, "count 0: no interface with a driver");
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* check-net.c: every byte arrived and the digests match. */
static void net_loopback_integrity(struct input *in)
{
	json_int_t bytes, received;
	bool match;

	if (!boolean(in, "digests_match", &match) || !integer(in, "bytes", 0, &bytes) ||
	    !integer(in, "received_bytes", 0, &received))
		return;
	if (received != bytes)
		set(in, TESTLOG_DERIVED_FAIL, "received_bytes %lld != bytes %lld", (long long)received, (long long)bytes);
	else if (!match)
		set(in, TESTLOG_DERIVED_FAIL, "digests_match false");
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_peer_transfer: each direction delivered every byte, and the
 * digest of what arrived is the digest of what was sent. */
static bool leg_whole(struct input *in, const char *dir, json_int_t bytes)
{
	char received[40], match[40];
	json_int_t got;
	bool same;

	snprintf(received, sizeof(received), "%s_received_bytes", dir);
	snprintf(match, sizeof(match), "%s_digests_match", dir);
	if (!integer(in, received, 0, &got) || !boolean(in, match, &same))
		return false;
	if (got != bytes)
		return set(in, TESTLOG_DERIVED_FAIL, "%s %lld != bytes %lld", received, (long long)got, (long long)bytes);
	if (!same)
		return set(in, TESTLOG_DERIVED_FAIL, "%s false", match);
	return true;
}

/* check-net.c: skipped without a peer, or with one on this host (then no
 * NIC is crossed: kit_peer_is_local); both directions whole.  Logs of the
 * kit before the download (no upload_* fields) are judged as they were
 * made: the digest the peer computed is ours. */
static void net_peer_transfer(struct input *in)
{
	const char *peer, *mine, *theirs;
	json_int_t bytes;
	bool match;

	if (!str_or_null(in, "peer", &peer))
		return;
	if (!peer) {
		set(in, TESTLOG_DERIVED_SKIP, "peer null: no --peer given");
		return;
	}
	if (json_object_get(in->measured, "upload_received_bytes")) {
		if (integer(in, "bytes", 0, &bytes) && leg_whole(in, "upload", bytes) && leg_whole(in, "download", bytes))
			set(in, TESTLOG_DERIVED_PASS, NULL);
		return;
	}
	if (json_object_get(in->measured, "peer_received_bytes")) {
		set(in, TESTLOG_DERIVED_FAIL, "peer_received_bytes: the transfer was truncated");
		return;
	}
	if (!boolean(in, "digests_match", &match) || !str_or_null(in, "digest", &mine) ||
	    !str_or_null(in, "peer_digest", &theirs))
		return;
	if (!match || !mine || !theirs || strcmp(mine, theirs) != 0)
		set(in, TESTLOG_DERIVED_FAIL, "digest %s, peer_digest %s, digests_match %s", or_null(mine), or_null(theirs),
		    match ? "true" : "false");
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_security: nothing "Vulnerable" (by the files' own text, not
 * only the kit's count), and NX not known to be off. */
static void platform_security(struct input *in)
{
	const json_t *vulns = json_is_object(in->measured) ? json_object_get(in->measured, "vulnerabilities") : NULL;
	const json_t *nx, *v;
	const char *k, *first = NULL;
	json_int_t counted;

	if (!integer(in, "vulnerable", 0, &counted) || !(nx = field(in, "nx")))
		return;
	if (!json_is_boolean(nx) && !json_is_null(nx)) {
		wrong(in, "nx", "true, false or null");
		return;
	}
	json_object_foreach((json_t *)vulns, k, v)
		if (!first && cv_startswith(json_string_value(v) ? json_string_value(v) : "", "Vulnerable"))
			first = k;
	if (first)
		set(in, TESTLOG_DERIVED_FAIL, "vulnerabilities.%s is Vulnerable", first);
	else if (counted)
		set(in, TESTLOG_DERIVED_FAIL, "vulnerable %lld > 0", (long long)counted);
	else if (json_is_false(nx))
		set(in, TESTLOG_DERIVED_FAIL, "nx false");
	/* Before 4.15 no vulnerability files; without an NX flag as well
	 * there is nothing to judge. */
	else if (json_is_null(vulns) && json_is_null(nx))
		set(in, TESTLOG_DERIVED_SKIP, "vulnerabilities and nx are null: nothing to judge");
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_smbios. */
static void firmware_smbios(struct input *in)
{
	const char *uuid;
	bool root, present;

	if (!boolean(in, "root", &root))
		return;
	if (!root) {
		set(in, TESTLOG_DERIVED_SKIP, "root false: the UUID was not readable");
		return;
	}
	if (!boolean(in, "present", &present) || !str_or_null(in, "uuid", &uuid))
		return;
	/* Kernels before 2.6.22 export no SMBIOS data (no /sys/class/dmi/id). */
	if (!present && json_is_false(json_object_get(in->measured, "kernel_exports_dmi")))
		set(in, TESTLOG_DERIVED_SKIP, "kernel_exports_dmi false: this kernel exports no SMBIOS data");
	else if (!present)
		set(in, TESTLOG_DERIVED_FAIL, "present false: no SMBIOS tables");
	else if (!uuid)
		set(in, TESTLOG_DERIVED_FAIL, "uuid null");
	else if (!cv_uuid_well_formed(uuid) || cv_uuid_all(uuid, '0') || cv_uuid_all(uuid, 'f'))
		set(in, TESTLOG_DERIVED_FAIL, "uuid \"%.64s\" is malformed or unset", uuid);
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_event_log (Windows, src/kit/win/check-system.c): any
 * counted event fails, even in a log read only in part; else a log that
 * could not be read (whole) skips: measured.unreadable says why. */
static void windows_event_log(struct input *in)
{
	const json_t *counts, *v;
	const char *k;
	json_int_t read;
	bool unreadable = json_is_object(in->measured) && json_object_get(in->measured, "unreadable");

	/* Not opened, or no record at all: nothing was counted. */
	if (unreadable && !json_object_get(in->measured, "counts")) {
		set(in, TESTLOG_DERIVED_SKIP, "unreadable: the System log was not read");
		return;
	}
	if (!integer(in, "records_read", 0, &read) || !(counts = field(in, "counts")))
		return;
	if (!json_is_object(counts) || !json_object_size(counts)) {
		wrong(in, "counts", "an object of counts");
		return;
	}
	json_object_foreach((json_t *)counts, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			set(in, TESTLOG_DERIVED_MISSING, "measured.counts.%s is not an integer >= 0", k);
			return;
		}
		if (json_integer_value(v)) {
			set(in, TESTLOG_DERIVED_FAIL, "counts.%s %lld > 0", k, (long long)json_integer_value(v));
			return;
		}
	}
	if (unreadable)
		set(in, TESTLOG_DERIVED_SKIP, "unreadable: the System log since boot was read only in part");
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* kit_decide_services (Windows): an expected integration service not
 * running fails; none expected skips. */
static void windows_services(struct input *in)
{
	const json_t *not_running;
	json_int_t checked;

	if (json_is_object(in->measured) && json_object_get(in->measured, "unreadable")) {
		set(in, TESTLOG_DERIVED_SKIP, "unreadable: the Service Control Manager was not read");
		return;
	}
	if (!integer(in, "checked", 0, &checked) || !(not_running = field(in, "not_running")))
		return;
	if (!json_is_array(not_running)) {
		wrong(in, "not_running", "an array");
		return;
	}
	if (json_array_size(not_running))
		set(in, TESTLOG_DERIVED_FAIL, "not_running has %s", or_null(json_string_value(json_array_get(not_running, 0))));
	else if (!checked)
		set(in, TESTLOG_DERIVED_SKIP, "checked 0: no integration service is expected");
	else
		set(in, TESTLOG_DERIVED_PASS, NULL);
}

/* The self-tests measure nothing and never pass: the runner records how
 * their child died. */
static void selftest(struct input *in)
{
	set(in, TESTLOG_DERIVED_ERROR, "a self-test never passes");
}

/* ---- the table ---- */

static const char *const k_min_fraction[] = { "min_fraction", NULL };
static const char *const k_clocksource[] = { "allowed", "always_allowed", NULL };
static const char *const k_vdso[] = { "max_ns", "min_speedup", NULL };
static const char *const k_rate_skew[] = { "max_abs_ppm", NULL };
static const char *const k_timer[] = { "max_overshoot_ms", NULL };
static const char *const k_sync[] = { "max_abs_peer_offset_ms", NULL };
static const char *const k_reference[] = { "max_abs_drift_ppm", NULL };

static const struct row {
	const char *id;
	const char *const *limits; /* its keys in a threshold set; NULL: it reads none */
	/* The first threshold version whose sets hold its keys; an older
	 * set may lack them, and a pass judged by it is then refused. */
	int64_t since;
	/*
	 * The rule; NULL for a check whose status is not a function of its
	 * measured values: then a pass must carry at least pass_fields.
	 * (Every check of the kit today has a rule.)
	 */
	void (*rule)(struct input *in);
	const char *const *pass_fields;
} rows[] = {
	{ "env.fingerprint", NULL, 1, env_fingerprint, NULL },
	{ "cpu.topology", NULL, 1, cpu_topology, NULL },
	{ "cpu.all_vcpus_execute", k_min_fraction, 1, cpu_all_vcpus_execute, NULL },
	{ "cpu.feature_consistency", NULL, 1, cpu_feature_consistency, NULL },
	{ "time.monotonic", NULL, 1, time_monotonic, NULL },
	{ "time.cross_cpu_warp", NULL, 1, time_cross_cpu_warp, NULL },
	{ "time.clocksource", k_clocksource, 1, time_clocksource, NULL },
	{ "time.vdso", k_vdso, 1, time_vdso, NULL },
	{ "time.rate_skew", k_rate_skew, 1, time_rate_skew, NULL },
	{ "time.timer_latency", k_timer, 1, time_timer_latency, NULL },
	{ "time.sync", k_sync, 1, time_sync, NULL },
	{ "time.reference", k_reference, 1, time_reference, NULL },
	{ "irq.timer_delivery", NULL, 1, irq_timer_delivery, NULL },
	{ "kernel.health", NULL, 1, kernel_health, NULL },
	{ "kernel.pv_drivers", NULL, 1, kernel_pv_drivers, NULL },
	{ "mem.size", k_min_fraction, 1, mem_size, NULL },
	{ "mem.pattern", NULL, 1, mem_pattern, NULL },
	{ "storage.io_integrity", NULL, 1, storage_io_integrity, NULL },
	{ "storage.inventory", NULL, 1, storage_inventory, NULL },
	{ "net.inventory", NULL, 1, net_inventory, NULL },
	{ "net.loopback_integrity", NULL, 1, net_loopback_integrity, NULL },
	{ "net.peer_transfer", NULL, 1, net_peer_transfer, NULL },
	{ "platform.security", NULL, 1, platform_security, NULL },
	{ "firmware.smbios", NULL, 1, firmware_smbios, NULL },
	/* Windows's own checks (src/kit/win/registry.c). */
	{ "windows.services", NULL, 1, windows_services, NULL },
	{ "windows.event_log", NULL, 1, windows_event_log, NULL },
	{ "selftest.crash", NULL, 1, selftest, NULL },
	{ "selftest.hang", NULL, 1, selftest, NULL },
};

static const struct row *find_row(const char *id)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(rows); i++)
		if (cv_streq(rows[i].id, id))
			return &rows[i];
	return NULL;
}

bool testlog__row(size_t i, const char **ret_id, const char *const **ret_keys, int64_t *ret_since)
{
	if (i >= CV_ELEMENTSOF(rows))
		return false;
	*ret_id = rows[i].id;
	*ret_keys = rows[i].limits;
	*ret_since = rows[i].since;
	return true;
}

/* For a row without a rule: a pass carries its fields, and then cannot be
 * contradicted. */
static void fields_only(const struct row *row, struct input *in)
{
	for (const char *const *f = row->pass_fields; f && *f; f++)
		if (!field(in, *f))
			return;
	set(in, TESTLOG_DERIVED_UNKNOWN, "its status is not a function of its measured values");
}

int testlog_derive(const char *id, const json_t *measured, const struct testlog_context *ctx, const json_t *checks,
		   struct testlog_derivation *ret)
{
	const struct row *row = find_row(id);
	struct testlog_derivation d = { TESTLOG_DERIVED_MISSING, "" };
	/* A measured that is not an object reads as one without members:
	 * a rule that needs none (a skip for want of an option) still derives. */
	struct input in = { measured, NULL, ctx, &d };

	if (!row)
		return -ENOENT;
	if (row->limits)
		in.limits = json_object_get(checks, id);
	if (row->limits && !json_is_object(in.limits))
		set(&in, TESTLOG_DERIVED_MISSING, "the threshold set has no %s (it is older than the check)", id);
	else if (row->rule)
		row->rule(&in);
	else
		fields_only(row, &in);
	*ret = d;
	return 0;
}

/* ---- a whole log ---- */

static int64_t positive_or_zero(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

void testlog_context_of(const json_t *log, struct testlog_context *ret)
{
	const json_t *hv = json_object_get(json_object_get(log, "claim"), "hypervisor");
	const json_t *opt = json_object_get(json_object_get(log, "kit"), "options");

	ret->hypervisor = json_string_value(json_object_get(hv, "id"));
	ret->product = json_string_value(json_object_get(hv, "product"));
	ret->expect_vcpus = positive_or_zero(json_object_get(opt, "expect_vcpus"));
	ret->expect_memory_mib = positive_or_zero(json_object_get(opt, "expect_memory_mib"));
	ret->kernel = json_string_value(
		json_object_get(json_object_get(json_object_get(log, "descriptor"), "guest"), "kernel"));
}

/* Appends the sentence to v, made safe to echo: the check id and any
 * member name quoted in it are the log's, so untrusted. */
static void push_safe(struct cv_strv *v, char *sentence)
{
	cv_strv_push_take(v, cv_str_sanitize(sentence, strlen(sentence), 512));
	free(sentence);
}

void testlog_contradictions(const json_t *log, const json_t *checks, struct cv_strv *contradictions)
{
	struct testlog_context ctx;
	size_t i;
	json_t *x;

	testlog_context_of(log, &ctx);
	json_array_foreach(json_object_get(log, "results"), i, x) {
		const char *id = json_string_value(json_object_get(x, "id"));
		const char *status = json_string_value(json_object_get(x, "status"));
		struct testlog_derivation d;
		char *safe;

		/* What the policy cannot count as a pass is not judged. */
		if (!id || !status || (strcmp(status, "pass") != 0 && strcmp(status, "skip") != 0))
			continue;
		safe = cv_str_sanitize(id, strlen(id), 64);
		if (testlog_derive(id, json_object_get(x, "measured"), &ctx, checks, &d) < 0) {
			if (strcmp(status, "pass") == 0)
				push_safe(contradictions,
					  cv_xasprintf("%s: status pass, but the program knows no rule to derive it from "
						       "measurements",
						       safe));
		} else if (strcmp(status, "pass") == 0 && d.status != TESTLOG_DERIVED_PASS &&
			   d.status != TESTLOG_DERIVED_UNKNOWN) {
			push_safe(contradictions, cv_xasprintf("%s: status pass but %s", safe, d.why));
		} else if (strcmp(status, "skip") == 0 &&
			   (d.status == TESTLOG_DERIVED_PASS || d.status == TESTLOG_DERIVED_FAIL)) {
			push_safe(contradictions, cv_xasprintf("%s: status skip but the measurements decide it: %s", safe,
							       d.status == TESTLOG_DERIVED_PASS ? "they pass" : d.why));
		}
		free(safe);
	}
}
