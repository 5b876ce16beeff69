/*
 * test-kit-time.c - the cpu, time and irq checks of the kit: their
 * decisions fed with recorded values (passing, failing and on the
 * bounds), then each check run live on this machine, where only the
 * shape of its result is asserted: a shared CI runner cannot promise a
 * synchronised clock or a fast vDSO.
 */
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <sys/timex.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "kit/kit-internal.h"
#include "tap.h"

/* ---- cpu.topology's MADT (kit_madt_enabled_cpus, decide.c) ---- */

/* A MADT as ACPI 6.5, 5.2.12 lays it out: the 44-byte header, then
 * entries; length and checksum filled in (b must hold 44 + n bytes). */
static size_t madt(uint8_t *b, const uint8_t *entries, size_t n)
{
	uint8_t sum = 0;

	memset(b, 0, 44);
	memcpy(b, "APIC", 4);
	b[4] = (uint8_t)(44 + n);
	b[5] = (uint8_t)((44 + n) >> 8);
	b[8] = 4; /* revision */
	memcpy(b + 10, "BOCHS ", 6);
	if (n) /* (entries may be NULL then: memcpy's arguments may not) */
		memcpy(b + 44, entries, n);
	for (size_t i = 0; i < 44 + n; i++)
		sum = (uint8_t)(sum + b[i]);
	b[9] = (uint8_t)(0x100 - sum);
	return 44 + n;
}

/* QEMU's: two enabled Local APICs (type 0, length 8, flags bit 0), one
 * listed but disabled (a hot-pluggable slot), an I/O APIC (type 1) and an
 * enabled x2APIC (type 9, length 16, flags at 8). */
static const uint8_t madt_entries[] = {
	0, 8, 0, 0, 1, 0, 0, 0,						     /* CPU 0, enabled */
	0, 8, 1, 1, 1, 0, 0, 0,						     /* CPU 1, enabled */
	0, 8, 2, 2, 0, 0, 0, 0,						     /* CPU 2, not enabled */
	1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0,			     /* I/O APIC */
	9, 16, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0,		     /* x2APIC 256, enabled */
};

TEST(madt_counts_enabled_processors)
{
	uint8_t b[256];
	size_t n = madt(b, madt_entries, sizeof(madt_entries));
	unsigned cpus = 0;
	char why[160] = "";

	CHECK_INT(kit_madt_enabled_cpus(b, n, &cpus, why, sizeof(why)), 0);
	CHECK_INT(cpus, 3);
	/* Bytes read past the table's own length are not the table's. */
	CHECK_INT(kit_madt_enabled_cpus(b, sizeof(b), &cpus, why, sizeof(why)), 0);
	CHECK_INT(cpus, 3);
	/* No entry at all: zero processors, for the check to refuse. */
	n = madt(b, NULL, 0);
	CHECK_INT(kit_madt_enabled_cpus(b, n, &cpus, why, sizeof(why)), 0);
	CHECK_INT(cpus, 0);
}

TEST(madt_refuses_hostile_bytes)
{
	static const uint8_t zero_len[] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t past_end[] = { 0, 200, 0, 0, 1, 0, 0, 0 };
	static const uint8_t short_lapic[] = { 0, 6, 0, 0, 1, 0 };
	static const uint8_t short_x2apic[] = { 9, 8, 0, 0, 0, 1, 0, 0 };
	static const uint8_t cut[] = { 0, 8, 0, 0, 1, 0, 0, 0, 0 };
	static const struct {
		const uint8_t *e;
		size_t n;
		const char *why;
	} bad[] = {
		{ zero_len, sizeof(zero_len), "at offset 44 (type 0) has length 0" },
		{ past_end, sizeof(past_end), "at offset 44 (type 0) has length 200" },
		{ short_lapic, sizeof(short_lapic), "processor entry at offset 44 (type 0) is 6 bytes" },
		{ short_x2apic, sizeof(short_x2apic), "processor entry at offset 44 (type 9) is 8 bytes" },
		{ cut, sizeof(cut), "entry at offset 52 is cut off" },
	};
	uint8_t b[256];
	unsigned cpus = 77;
	char why[160];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = madt(b, bad[i].e, bad[i].n);
		why[0] = '\0';
		CHECK_INT(kit_madt_enabled_cpus(b, n, &cpus, why, sizeof(why)), -EBADMSG);
		CHECK(strstr(why, bad[i].why) != NULL);
		CHECK_INT(cpus, 77); /* written only on success */
	}
	n = madt(b, madt_entries, sizeof(madt_entries));
	/* Shorter than the header, and nothing at all. */
	CHECK_INT(kit_madt_enabled_cpus(b, 43, &cpus, why, sizeof(why)), -EBADMSG);
	CHECK(strstr(why, "43 bytes, shorter than its 44-byte header") != NULL);
	CHECK_INT(kit_madt_enabled_cpus(NULL, 0, &cpus, why, sizeof(why)), -EBADMSG);
	/* Cut off before its own length. */
	CHECK_INT(kit_madt_enabled_cpus(b, n - 1, &cpus, why, sizeof(why)), -EBADMSG);
	CHECK(strstr(why, "outside its header") != NULL);
	/* A length below the header's. */
	b[4] = 40;
	CHECK_INT(kit_madt_enabled_cpus(b, n, &cpus, why, sizeof(why)), -EBADMSG);
	CHECK(strstr(why, "length 40 is outside") != NULL);
	/* One flipped bit: the checksum. */
	n = madt(b, madt_entries, sizeof(madt_entries));
	b[48] ^= 1;
	CHECK_INT(kit_madt_enabled_cpus(b, n, &cpus, why, sizeof(why)), -EBADMSG);
	CHECK(strstr(why, "checksum") != NULL);
	/* Another table (the FADT). */
	n = madt(b, madt_entries, sizeof(madt_entries));
	memcpy(b, "FACP", 4);
	CHECK_INT(kit_madt_enabled_cpus(b, n, &cpus, why, sizeof(why)), -EBADMSG);
	CHECK(strstr(why, "signature") != NULL);
	CHECK_INT(cpus, 77);
	/* Every length byte of every entry, every value: never a read out of
	 * bounds (ASan's build runs this too), 0 or -EBADMSG. */
	for (size_t at = 45; at < 44 + sizeof(madt_entries); at++)
		for (unsigned x = 0; x < 256; x++) {
			uint8_t h[256], was;
			int r;

			n = madt(h, madt_entries, sizeof(madt_entries));
			was = h[at];
			h[at] = (uint8_t)x;
			h[9] = (uint8_t)(h[9] - (uint8_t)(x - was)); /* the checksum still holds */
			r = kit_madt_enabled_cpus(h, n, &cpus, why, sizeof(why));
			CHECK(r == 0 || r == -EBADMSG);
		}
}

/* ---- decisions ---- */

TEST(rates_decisions)
{
	static const double even[] = { 1e9, 1.02e9, 0.98e9, 1.01e9 };
	static const double one_slow[] = { 1e9, 1e9, 0.3e9, 1e9 };
	static const double two_slow[] = { 1e9, 0.1e9, 1e9, 0.2e9, 1e9 };
	static const double on_bound[] = { 1e9, 0.5e9, 1e9 };
	static const double zeros[] = { 0, 0, 0 };
	double many[200];
	struct kit_verdict v;

	kit_decide_rates(even, 4, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_rates(even, 1, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_rates(one_slow, 4, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "1 vCPU below 50% of the median rate: cpu2 (30%)"));
	kit_decide_rates(two_slow, 5, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "2 vCPUs below 50% of the median rate: cpu1 (10%), cpu3 (20%)"));
	/* Exactly half the median passes; just below fails. */
	kit_decide_rates(on_bound, 3, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_rates((const double[]){ 1e9, 0.4999e9, 1e9 }, 3, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_rates(NULL, 0, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_ERROR);
	kit_decide_rates(zeros, 3, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_ERROR);
	/* 100 slow vCPUs: the list is cut, the count is not. */
	for (size_t i = 0; i < 200; i++)
		many[i] = i % 2 ? 1e9 : 1e6;
	many[0] = 1e9;
	kit_decide_rates(many, 200, KIT_EXECUTE_MIN_FRACTION, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "99 vCPUs below"));
	CHECK(strstr(v.reason, ", ..."));
	CHECK(strlen(v.reason) < sizeof(v.reason) - 1);
}

TEST(feature_consistency_decisions)
{
	struct kit_verdict v;

	kit_decide_feature_consistency(1, 0, NULL, &v);
	CHECK_INT(v.status, KIT_SKIP);
	CHECK_STR(v.reason, "one vCPU: nothing to compare");
	kit_decide_feature_consistency(0, 0, NULL, &v);
	CHECK_INT(v.status, KIT_SKIP);
	kit_decide_feature_consistency(2, 0, NULL, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_feature_consistency(4, 1, "cpu1 leaf 0x7 ebx 0x009c4fbb != cpu0 0x029c6fbf", &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "1 of 4 vCPUs differ"));
	CHECK(strstr(v.reason, "cpu1 leaf 0x7 ebx 0x009c4fbb != cpu0 0x029c6fbf"));
	kit_decide_feature_consistency(2, 1, NULL, &v);
	CHECK_INT(v.status, KIT_FAIL);
}

TEST(inversion_decisions)
{
	struct kit_verdict v;

	kit_decide_inversions(0, 12345678, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_inversions(1, 12345678, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "the clock went backwards 1 time in 12345678 readings");
	kit_decide_inversions(3, 100, &v);
	CHECK(strstr(v.reason, "3 times in 100 readings"));
	kit_decide_inversions(0, 0, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

TEST(warp_decisions)
{
	struct kit_verdict v;

	kit_decide_warps(0, 2500000, 0, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_warps(0, 1, 0, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_warps(7, 2500000, 1834, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "7 times in 2500000 exchanges"));
	CHECK(strstr(v.reason, "1834 ns"));
	kit_decide_warps(0, 0, 0, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

TEST(vdso_decisions)
{
	struct kit_verdict v;

	/* tsc / kvm-clock / Hyper-V TSC page: ~20 ns against ~300 ns. */
	kit_decide_vdso(21.5, 310, &v);
	CHECK_INT(v.status, KIT_PASS);
	/* acpi_pm or hpet: no vDSO, both paths are a system call. */
	kit_decide_vdso(650, 640, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "bound < 200 ns"));
	CHECK(strstr(v.reason, "bound >= 3x"));
	CHECK(strstr(v.reason, "falls back to the system call"));
	/* Fast but no faster than a cheap syscall. */
	kit_decide_vdso(50, 100, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "only 2.0x faster"));
	CHECK(!strstr(v.reason, "bound < 200 ns"));
	CHECK(strstr(v.reason, "falls back to the system call"));
	/* Slow but still a vDSO (a loaded host). */
	kit_decide_vdso(250, 5000, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "250 ns through libc (bound < 200 ns)"));
	/* The bounds: < 200 ns and >= 3x. */
	kit_decide_vdso(199.9, 600, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_vdso(200, 600, &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_vdso(100, 300, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_vdso(100, 299, &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_vdso(0, 300, &v);
	CHECK_INT(v.status, KIT_ERROR);
	kit_decide_vdso(NAN, 300, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

TEST(rate_skew_decisions)
{
	struct kit_verdict v;

	kit_decide_rate_skew(0.0, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_rate_skew(-12.7, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_rate_skew(500, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_rate_skew(-500, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_rate_skew(500.1, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "+500.1 ppm"));
	kit_decide_rate_skew(-2400, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "-2400.0 ppm"));
	kit_decide_rate_skew(NAN, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_ERROR);
	kit_decide_rate_skew(INFINITY, KIT_RATE_SKEW_PPM, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

TEST(timer_latency_decisions)
{
	struct kit_verdict v;

	kit_decide_timer_latency(0, 0.08, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_timer_latency(0, 39.99, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_timer_latency(0, 40.0, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "overshot by 40.0 ms (bound < 40 ms)"));
	kit_decide_timer_latency(1, 0.05, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "1 sleep of 1 ms woke early");
	kit_decide_timer_latency(4, 120, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "4 sleeps"));
	CHECK(strstr(v.reason, "120.0 ms"));
	kit_decide_timer_latency(0, NAN, &v);
	CHECK_INT(v.status, KIT_FAIL);
}

TEST(sync_decisions)
{
	struct kit_verdict v;

	/* chronyd disciplining the clock: PLL, nanosecond resolution. */
	kit_decide_sync(TIME_OK, STA_PLL | STA_NANO, 1500, &v);
	CHECK_INT(v.status, KIT_PASS);
	/* A leap second announced is still synchronised. */
	kit_decide_sync(TIME_INS, STA_PLL | STA_INS, 1500, &v);
	CHECK_INT(v.status, KIT_PASS);
	/* No daemon: the kernel's default after boot. */
	kit_decide_sync(TIME_ERROR, STA_UNSYNC, 16000000, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "the kernel reports the clock unsynchronised: no NTP or PTP daemon disciplines it"));
	CHECK(strstr(v.reason, "16000000 us"));
	kit_decide_sync(TIME_OK, STA_UNSYNC | STA_NANO, 16000000, &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_sync(TIME_ERROR, STA_PLL, 500, &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_sync(-1, 0, 0, &v);
	CHECK_INT(v.status, KIT_SKIP);
	CHECK(strstr(v.reason, "adjtimex"));
}

TEST(timer_delivery_decisions)
{
	static const uint64_t before[] = { 1000, 2000, 3000, 4000 };
	static const uint64_t all[] = { 1300, 2301, 3299, 4300 };
	static const uint64_t two_silent[] = { 1300, 2000, 3299, 4000 };
	static const uint64_t one_tick[] = { 1001, 2001, 3001, 4001 };
	/* The kernel's counters are 32-bit: a wrap is an increase. */
	static const uint64_t wrap_before[] = { 4294967290u, 10 };
	static const uint64_t wrap_after[] = { 5, 20 };
	struct kit_verdict v;

	kit_decide_timer_delivery(before, all, 4, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_timer_delivery(before, one_tick, 4, &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_timer_delivery(before, two_silent, 4, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "2 of 4 vCPUs: cpu1, cpu3"));
	kit_decide_timer_delivery(before, before, 4, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK(strstr(v.reason, "cpu0, cpu1, cpu2, cpu3"));
	kit_decide_timer_delivery(wrap_before, wrap_after, 2, &v);
	CHECK_INT(v.status, KIT_PASS);
	/* A count going down without a 32-bit wrap is no delivery. */
	kit_decide_timer_delivery((const uint64_t[]){ 1ull << 40 }, (const uint64_t[]){ 5 }, 1, &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_timer_delivery(before, all, 0, &v);
	CHECK_INT(v.status, KIT_ERROR);
}

/* ---- live smoke tests ---- */

struct live {
	struct kit_options opt;
	struct descriptor *d;
	struct kit_ctx ctx;
	struct kit_out out;
};

static void live_init(struct live *l)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(l, 0, sizeof(*l));
	l->opt.quick = true;
	l->d = descriptor_new();
	descriptor_set(&l->d->hypervisor.id, "kvm");
	l->ctx.opt = &l->opt;
	l->ctx.d = l->d;
	l->ctx.tmpdir = tap_tmpdir();
	l->ctx.n_cpus = n > 0 ? (size_t)n : 1;
	l->ctx.cpus = cv_xcalloc(l->ctx.n_cpus, sizeof(int));
	for (size_t i = 0; i < l->ctx.n_cpus; i++)
		l->ctx.cpus[i] = (int)i;
	l->ctx.root = geteuid() == 0;
	l->out = (struct kit_out){ KIT_ERROR, "the check set no result", json_object(), json_object() };
}

/* Runs fn, prints its result as a TAP comment, checks its shape. */
static void live_run(struct live *l, kit_fn fn, const char *must_measure)
{
	char *m, *t;

	fn(&l->ctx, &l->out);
	m = json_dumps(l->out.measured, JSON_COMPACT | JSON_REAL_PRECISION(6));
	t = json_dumps(l->out.threshold, JSON_COMPACT | JSON_REAL_PRECISION(6));
	printf("%s: %s\nmeasured %s\nthreshold %s\n", kit_status_name(l->out.status), l->out.reason, m, t);
	CHECK(l->out.status == KIT_PASS || l->out.status == KIT_FAIL || l->out.status == KIT_SKIP);
	CHECK(l->out.status == KIT_PASS || *l->out.reason);
	if (must_measure && l->out.status != KIT_SKIP)
		CHECK(json_object_get(l->out.measured, must_measure) != NULL);
	free(m);
	free(t);
}

static void live_release(struct live *l)
{
	json_decref(l->out.measured);
	json_decref(l->out.threshold);
	free(l->ctx.cpus);
	descriptor_free(l->d);
}

TEST(live_all_vcpus_execute)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_cpu_all_vcpus_execute, "rates");
	CHECK_INT(json_object_size(json_object_get(l.out.measured, "rates")), l.ctx.n_cpus);
	live_release(&l);
}

TEST(live_feature_consistency)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_cpu_feature_consistency, NULL);
#if defined(__x86_64__) || defined(__i386__)
	if (l.ctx.n_cpus > 1)
		CHECK(json_integer_value(json_object_get(l.out.measured, "leaves_compared")) >= 8);
#endif
	live_release(&l);
}

TEST(live_feature_consistency_one_cpu)
{
	struct live l;

	live_init(&l);
	l.ctx.n_cpus = 1;
	live_run(&l, kit_check_cpu_feature_consistency, NULL);
	CHECK_INT(l.out.status, KIT_SKIP);
	live_release(&l);
}

TEST(live_monotonic)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_time_monotonic, "samples");
	CHECK(json_integer_value(json_object_get(l.out.measured, "samples")) > 1000);
	live_release(&l);
}

TEST(live_cross_cpu_warp)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_time_cross_cpu_warp, "exchanges");
	live_release(&l);
}

TEST(live_cross_cpu_warp_one_cpu)
{
	struct live l;

	live_init(&l);
	l.ctx.n_cpus = 1;
	live_run(&l, kit_check_time_cross_cpu_warp, NULL);
	CHECK_INT(l.out.status, KIT_SKIP);
	live_release(&l);
}

TEST(live_vdso)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_time_vdso, "vdso_ns");
	live_release(&l);
}

TEST(live_rate_skew)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_time_rate_skew, "ppm");
	live_release(&l);
}

TEST(live_timer_latency)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_time_timer_latency, "max_overshoot_ms");
	live_release(&l);
}

TEST(live_sync)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_time_sync, "ptp_clocks");
	live_release(&l);
}

TEST(live_timer_delivery)
{
	struct live l;

	live_init(&l);
	live_run(&l, kit_check_irq_timer_delivery, "deltas");
	live_release(&l);
}

/* ---- injected faults: the check must fail and say why ---- */

/* A clock stepped back: every CLOCK_MONOTONIC reading after the first
 * `after` is `back_ns` behind the real clock (struct kit_faults). */
struct stepped {
	atomic_ullong readings;
	unsigned long long after;
	int64_t back_ns;
};

static int64_t stepped_clock(clockid_t c, void *userdata)
{
	struct stepped *s = userdata;
	struct timespec ts;
	int64_t ns;

	if (clock_gettime(c, &ts) < 0)
		return KIT_CLOCK_MISSING; /* as the kernel would answer */
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (c == CLOCK_MONOTONIC && atomic_fetch_add(&s->readings, 1) >= s->after)
		ns -= s->back_ns;
	return ns;
}

static json_int_t measured_int(const struct live *l, const char *key)
{
	return json_integer_value(json_object_get(l->out.measured, key));
}

TEST(fault_monotonic_clock_stepped_back)
{
	struct stepped st = { 0, 1000, 1000000 };
	struct kit_faults f = { .clock_ns = stepped_clock, .userdata = &st };
	struct live l;

	live_init(&l);
	l.ctx.n_cpus = 1;
	l.ctx.faults = &f;
	kit_check_time_monotonic(&l.ctx, &l.out);
	printf("%s: %s\n", kit_status_name(l.out.status), l.out.reason);
	CHECK_INT(l.out.status, KIT_FAIL);
	CHECK(strstr(l.out.reason, "the clock went backwards 1 time in "));
	CHECK_INT(measured_int(&l, "monotonic_inversions"), 1);
	CHECK_INT(measured_int(&l, "boottime_inversions"), 0);
	/* The step, less the time between two readings. */
	CHECK(measured_int(&l, "max_backstep_ns") > 500000 && measured_int(&l, "max_backstep_ns") <= 1000000);
	live_release(&l);
}

TEST(fault_cross_cpu_warp_clock_stepped_back)
{
	struct stepped st = { 0, 1000, 1000000 };
	struct kit_faults f = { .clock_ns = stepped_clock, .userdata = &st };
	struct live l;

	live_init(&l);
	if (l.ctx.n_cpus < 2) {
		live_release(&l);
		tap_skip("one vCPU: time.cross_cpu_warp skips");
	}
	l.ctx.faults = &f;
	kit_check_time_cross_cpu_warp(&l.ctx, &l.out);
	printf("%s: %s\n", kit_status_name(l.out.status), l.out.reason);
	/* A busy shared host may never run the two workers at once. */
	if (measured_int(&l, "exchanges") == 0) {
		live_release(&l);
		tap_skip("the workers never took turns on this host");
	}
	CHECK_INT(l.out.status, KIT_FAIL);
	CHECK(strstr(l.out.reason, "time went backwards 1 time in "));
	CHECK(strstr(l.out.reason, "exchanges between vCPUs (largest step back "));
	CHECK_INT(measured_int(&l, "warps"), 1);
	live_release(&l);
}

TEST(fault_rate_skew_clock_stepped_back)
{
	/* The first pair of readings takes 16 of CLOCK_MONOTONIC: the
	 * second pair is 50 ms behind, -100000 ppm over the quick 0.5 s. */
	struct stepped st = { 0, 16, 50000000 };
	struct kit_faults f = { .clock_ns = stepped_clock, .userdata = &st };
	struct live l;
	double ppm;

	live_init(&l);
	l.ctx.faults = &f;
	kit_check_time_rate_skew(&l.ctx, &l.out);
	printf("%s: %s\n", kit_status_name(l.out.status), l.out.reason);
	CHECK_INT(l.out.status, KIT_FAIL);
	CHECK(strstr(l.out.reason, "CLOCK_MONOTONIC runs -"));
	CHECK(strstr(l.out.reason, " ppm from CLOCK_MONOTONIC_RAW (bound +-500 ppm)"));
	ppm = json_real_value(json_object_get(l.out.measured, "ppm"));
	CHECK(ppm < -90000 && ppm > -110000);
	live_release(&l);
}

/*
 * ---- clocks an old kernel lacks ----
 *
 * Before Linux 2.6.28 clock_gettime(CLOCK_MONOTONIC_RAW) answers EINVAL,
 * before 2.6.39 CLOCK_BOOTTIME does (clock_getres(2)).  The old-kernel
 * harness (tests/oldkernel, t7002) cannot take a clock away -- the vDSO
 * answers clock_gettime without a system call -- so the clock_ns hook
 * does: KIT_CLOCK_MISSING is its "this kernel has no such clock".
 */
struct missing {
	clockid_t clock;       /* the clock the kernel lacks */
	struct stepped *steps; /* and the others stepped back, if set */
};

static int64_t missing_clock(clockid_t c, void *userdata)
{
	struct missing *m = userdata;
	struct timespec ts;

	if (c == m->clock)
		return KIT_CLOCK_MISSING;
	if (m->steps)
		return stepped_clock(c, m->steps);
	if (clock_gettime(c, &ts) < 0)
		return KIT_CLOCK_MISSING;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

TEST(old_kernel_monotonic_without_boottime)
{
	struct missing m = { CLOCK_BOOTTIME, NULL };
	struct kit_faults f = { .clock_ns = missing_clock, .userdata = &m };
	struct live l;

	live_init(&l);
	l.ctx.n_cpus = 1;
	l.ctx.faults = &f;
	kit_check_time_monotonic(&l.ctx, &l.out);
	printf("%s: %s\n", kit_status_name(l.out.status), l.out.reason);
	CHECK_INT(l.out.status, KIT_PASS);
	CHECK_STR(l.out.reason, "CLOCK_BOOTTIME: not in this kernel (Linux 2.6.39+); CLOCK_MONOTONIC was checked alone");
	CHECK(json_is_null(json_object_get(l.out.measured, "boottime_inversions")));
	CHECK_INT(measured_int(&l, "monotonic_inversions"), 0);
	CHECK(measured_int(&l, "samples") > 0);
	live_release(&l);
}

/* CLOCK_MONOTONIC alone is still judged: a step back fails the check. */
TEST(old_kernel_monotonic_without_boottime_still_fails)
{
	struct stepped st = { 0, 1000, 1000000 };
	struct missing m = { CLOCK_BOOTTIME, &st };
	struct kit_faults f = { .clock_ns = missing_clock, .userdata = &m };
	struct live l;

	live_init(&l);
	l.ctx.n_cpus = 1;
	l.ctx.faults = &f;
	kit_check_time_monotonic(&l.ctx, &l.out);
	printf("%s: %s\n", kit_status_name(l.out.status), l.out.reason);
	CHECK_INT(l.out.status, KIT_FAIL);
	CHECK(strstr(l.out.reason, "the clock went backwards 1 time in "));
	CHECK_INT(measured_int(&l, "monotonic_inversions"), 1);
	live_release(&l);
}

TEST(old_kernel_rate_skew_without_raw)
{
	struct missing m = { CLOCK_MONOTONIC_RAW, NULL };
	struct kit_faults f = { .clock_ns = missing_clock, .userdata = &m };
	struct live l;

	live_init(&l);
	l.ctx.faults = &f;
	kit_check_time_rate_skew(&l.ctx, &l.out);
	printf("%s: %s\n", kit_status_name(l.out.status), l.out.reason);
	CHECK_INT(l.out.status, KIT_SKIP);
	CHECK_STR(l.out.reason, "CLOCK_MONOTONIC_RAW: not in this kernel (Linux 2.6.28+)");
	CHECK(json_object_get(l.out.measured, "ppm") == NULL);
	CHECK_STR(json_string_value(json_object_get(l.out.measured, "missing_clock")), "CLOCK_MONOTONIC_RAW");
	live_release(&l);
}

/* The quick checks together stay inside the quick run's budget. */
/* Every quick cpu/time/irq check runs to a verdict on this machine.  How
 * long they take is bench/kit.sh's business: no timing asserts here. */
TEST(live_quick_checks_all_decide)
{
	static const kit_fn fns[] = {
		kit_check_cpu_all_vcpus_execute, kit_check_cpu_feature_consistency, kit_check_time_monotonic,
		kit_check_time_cross_cpu_warp,	 kit_check_time_vdso,		    kit_check_time_rate_skew,
		kit_check_time_timer_latency,	 kit_check_time_sync,		    kit_check_irq_timer_delivery,
	};
	struct live l;

	live_init(&l);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		l.out.status = KIT_STATUS__MAX; /* "no verdict" */
		l.out.reason[0] = '\0';
		fns[i](&l.ctx, &l.out);
		CHECK(l.out.status < KIT_STATUS__MAX);
		CHECK(l.out.status == KIT_PASS || l.out.reason[0]); /* anything but a pass says why */
		json_object_clear(l.out.measured);
		json_object_clear(l.out.threshold);
	}
	live_release(&l);
}

TAP_MAIN(madt_counts_enabled_processors, madt_refuses_hostile_bytes, rates_decisions, feature_consistency_decisions, inversion_decisions, warp_decisions, vdso_decisions,
	 rate_skew_decisions, timer_latency_decisions, sync_decisions, timer_delivery_decisions,
	 live_all_vcpus_execute, live_feature_consistency, live_feature_consistency_one_cpu, live_monotonic,
	 live_cross_cpu_warp, live_cross_cpu_warp_one_cpu, live_vdso, live_rate_skew, live_timer_latency, live_sync,
	 live_timer_delivery, live_quick_checks_all_decide, fault_monotonic_clock_stepped_back,
	 fault_cross_cpu_warp_clock_stepped_back, fault_rate_skew_clock_stepped_back, old_kernel_monotonic_without_boottime,
	 old_kernel_monotonic_without_boottime_still_fails, old_kernel_rate_skew_without_raw)
