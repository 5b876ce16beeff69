/*
 * kit-internal.h - what the kit's runner and its checks share.
 *
 * A check is a function filling a struct kit_out in a child process.  Its
 * decision is a separate pure function (kit_decide_*) over measured
 * values, so that tests can feed it recorded values, failing ones
 * included (tests/unit/test-kit-*.c).
 */
#ifndef COVALID_KIT_INTERNAL_H
#define COVALID_KIT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "covalid/kit.h"

struct cv_strv;
struct descriptor;

/*
 * Fault injection for the checks' live tests (tests/unit/test-kit-*.c):
 * what a check reads its clock through, what happens to its file between
 * write and read-back, and what it sends on a socket through.  The runner
 * never sets any (ctx->faults is NULL): every check then uses
 * clock_gettime(), leaves the file alone and calls send().  Hooks may be
 * called from several threads at once.
 */
struct kit_faults {
	/* time.monotonic, time.cross_cpu_warp, time.rate_skew: a reading of c
	 * in ns, or KIT_CLOCK_MISSING for a clock this kernel does not have
	 * (clock_gettime() answers EINVAL: CLOCK_BOOTTIME before 2.6.39,
	 * CLOCK_MONOTONIC_RAW before 2.6.28). */
	int64_t (*clock_ns)(clockid_t c, void *userdata);
	/* storage.io_integrity: the file written, fsync'd and closed, before it is read back; 0 or -errno. */
	int (*after_write)(const char *path, void *userdata);
	/* net.loopback_integrity, net.peer_transfer: send(2) on the sending side. */
	ssize_t (*send)(int fd, const void *buf, size_t n, int flags, void *userdata);
	void *userdata;
};

#define KIT_CLOCK_MISSING INT64_MIN

struct kit_ctx {
	const struct kit_options *opt;
	const struct descriptor *d; /* the probe's descriptor, taken at the start of the run */
	const char *tmpdir;         /* private, removed after the run */
	int *cpus;                  /* online CPU numbers */
	size_t n_cpus;
	bool root;                  /* running as root */
	const struct kit_faults *faults; /* NULL but in tests */
};

/* What a check reports. */
struct kit_out {
	enum kit_status status;
	char reason[512];
	json_t *measured;  /* object, created by the runner */
	json_t *threshold; /* object, created by the runner */
};

/* A pure decision: status and reason. */
struct kit_verdict {
	enum kit_status status;
	char reason[512];
};

typedef void (*kit_fn)(const struct kit_ctx *ctx, struct kit_out *out);

struct kit_check {
	struct kit_check_info info;
	kit_fn fn;
	double timeout_s; /* hard limit for the child (full run; quick runs use a third) */
};

/* The table of checks (registry.c), hidden ones included. */
const struct kit_check *kit_table(size_t *ret_n);
/* COVALID_KIT_SELFTEST=1: the hidden self-test checks are listed and run. */
bool kit_selftest(void);

void kit_set(struct kit_out *out, enum kit_status s, const char *fmt, ...) CV_PRINTF(3, 4);
void kit_verdict_set(struct kit_verdict *v, enum kit_status s, const char *fmt, ...) CV_PRINTF(3, 4);
void kit_apply(struct kit_out *out, const struct kit_verdict *v);
/* The measuring interval: quick or full. */
double kit_interval(const struct kit_ctx *ctx, double quick_s, double full_s);
/* Pins the calling thread to one CPU; -errno. */
int kit_pin(int cpu);
/* Runs fn(arg_i) on one thread pinned to each CPU of ctx and joins them. */
int kit_on_each_cpu(const struct kit_ctx *ctx, void *(*fn)(void *), void *args, size_t arg_size);
double kit_now(void); /* CLOCK_MONOTONIC seconds */
/* A double rounded to 6 significant digits, for logs. */
double kit_round(double v);
/* Median of n values (sorts a copy). */
double kit_median(const double *v, size_t n);
/* Reads a small file of the live system; NULL if absent. */
char *kit_read(const char *path);
/* Whether a kernel release ("2.6.18-92.el5", uname -r) is older than
 * version ("2.6.22"); false if either does not parse. */
bool kit_kernel_before(const char *release, const char *version);
/* cpu.topology's counts on kernels without the cpu/online and cpu/present
 * lists (RHEL 5's 2.6.18 has none): cpuN lines of /proc/stat, cpuN directories of
 * /sys/devices/system/cpu; -1 if unreadable. */
int kit_cpus_online_from_stat(void);
int kit_cpus_present_from_dirs(void);
/* Whether the kernel's vDSO has clock_gettime (vdso.c): 1 yes, 0 no,
 * -ENOENT no vDSO mapped, -EPROTO cannot tell. */
int kit_vdso_clock_gettime(void);

/* The checks, by family (check-*.c). */
void kit_check_env_fingerprint(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_cpu_topology(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_cpu_all_vcpus_execute(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_cpu_feature_consistency(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_monotonic(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_cross_cpu_warp(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_clocksource(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_vdso(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_rate_skew(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_timer_latency(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_time_sync(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_irq_timer_delivery(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_kernel_health(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_kernel_pv_drivers(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_mem_size(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_mem_pattern(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_storage_io_integrity(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_storage_inventory(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_net_inventory(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_net_loopback_integrity(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_net_peer_transfer(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_platform_security(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_firmware_smbios(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_selftest_crash(const struct kit_ctx *ctx, struct kit_out *out);
void kit_check_selftest_hang(const struct kit_ctx *ctx, struct kit_out *out);

/* ---- decisions (pure; tested with recorded values) ---- */

void kit_decide_fingerprint(const char *claimed_id, const char *probed_id, const char *claimed_product,
			    const char *probed_product, struct kit_verdict *v);
void kit_decide_topology(int online, int present, int expect, struct kit_verdict *v);
/* Each rate must reach min_fraction of the median. */
void kit_decide_rates(const double *rates, size_t n, double min_fraction, struct kit_verdict *v);
void kit_decide_feature_consistency(size_t n_cpus, size_t n_differing, const char *first_difference,
				    struct kit_verdict *v);
void kit_decide_inversions(uint64_t inversions, uint64_t samples, struct kit_verdict *v);
void kit_decide_warps(uint64_t warps, uint64_t exchanges, double max_warp_ns, struct kit_verdict *v);
/* Allow-list of clocksources per hypervisor id. */
bool kit_clocksource_allowed(const char *hypervisor, const char *clocksource, const char **ret_allowed);
void kit_decide_clocksource(const char *hypervisor, const char *clocksource, struct kit_verdict *v);
void kit_decide_vdso(double vdso_ns, double syscall_ns, struct kit_verdict *v);
void kit_decide_rate_skew(double ppm, double bound_ppm, struct kit_verdict *v);
void kit_decide_timer_latency(uint64_t early, double max_overshoot_ms, struct kit_verdict *v);
void kit_decide_sync(int adjtimex_state, long status_bits, long maxerror_us, struct kit_verdict *v);
void kit_decide_timer_delivery(const uint64_t *before, const uint64_t *after, size_t n_cpus, struct kit_verdict *v);
void kit_decide_health(uint64_t tainted, size_t n_signatures, const char *first_signature, bool log_readable,
		       struct kit_verdict *v);
/* Fails on missing components (era-true, docs/probe.md); unbound ones among them are named. */
void kit_decide_pv_drivers(const char *hypervisor, const struct cv_strv *missing, const struct cv_strv *unbound,
			   struct kit_verdict *v);
void kit_decide_mem_size(uint64_t memtotal_mib, uint64_t expect_mib, struct kit_verdict *v);
void kit_decide_mismatches(uint64_t mismatches, uint64_t checked, const char *what, struct kit_verdict *v);
void kit_decide_security(size_t n_vulnerable, const char *first_vulnerable, bool nx_known, bool nx,
			 struct kit_verdict *v);
void kit_decide_smbios(bool root, bool present, const char *uuid, struct kit_verdict *v);

/* Bounds the checks use, stated in the log as thresholds. */
#define KIT_VDSO_MAX_NS 200.0
#define KIT_VDSO_MIN_SPEEDUP 3.0
#define KIT_RATE_SKEW_PPM 500.0
#define KIT_TIMER_MAX_OVERSHOOT_MS 40.0
#define KIT_EXECUTE_MIN_FRACTION 0.5
#define KIT_MEM_SIZE_MIN 0.90

#endif
