/*
 * thresholds.c - the threshold sets: the numbers the kit's checks judge
 * by, versioned (see covalid/testlog.h, docs/policy.md "Thresholds"): the
 * sets the kit was built with, what makes a set valid, and the version a
 * log names.  Which check reads which threshold is derive.c's table.
 */
#include <jansson.h>
#include <math.h>

#include "covalid/testlog.h"
#include "testlog/testlog-internal.h"
#include "util/cv.h"

/*
 * The sets the kit was built with.  Version 1 is the kit's numbers as of
 * covalid 0.1.0, each from the check that uses it (src/kit/kit-internal.h
 * and the criteria of src/kit/registry.c):
 *  - cpu.all_vcpus_execute min_fraction 0.5: KIT_EXECUTE_MIN_FRACTION,
 *    "each vCPU reaches >= 50% of the median rate";
 *  - time.clocksource allowed: the allow-list of check-env.c, clocksources[]
 *    (where each name comes from is said there and in docs/kit.md), and
 *    arch_sys_counter for any hypervisor (arm64's architected counter);
 *  - time.vdso max_ns 200, min_speedup 3: KIT_VDSO_MAX_NS and
 *    KIT_VDSO_MIN_SPEEDUP, "vDSO < 200 ns and >= 3x faster than the syscall";
 *  - time.rate_skew max_abs_ppm 500: KIT_RATE_SKEW_PPM, "the kernel's
 *    maximum frequency correction" (MAXFREQ, 500000 ns/s, include/linux/timex.h);
 *  - time.timer_latency max_overshoot_ms 40: KIT_TIMER_MAX_OVERSHOOT_MS,
 *    "maximum overshoot < 40 ms";
 *  - time.sync max_abs_peer_offset_ms 128: KIT_PEER_OFFSET_MAX_MS, NTP's
 *    step threshold (RFC 5905, appendix A.1.1: STEPT 0.128 s);
 *  - time.reference max_abs_drift_ppm 500: KIT_REFERENCE_DRIFT_PPM, the
 *    same MAXFREQ as time.rate_skew;
 *  - mem.size min_fraction 0.9: KIT_MEM_SIZE_MIN, "90-100% of the expected memory".
 * (time.sync's and time.reference's numbers joined version 1 before any
 * log named a version: logs without kit.thresholds have no time.reference
 * result and no offset to a peer, so they are judged as before.)
 * tests/unit/test-testlog-derive.c holds the kit's constants and
 * clocksources[] to the set of the version the kit writes.
 * A change to any of them is a new version, never an edit of an old one:
 * logs made under the old numbers are judged by them.
 */
#define HYPERV_CLOCKS                                                                                   \
	"\"hyperv_clocksource_tsc_page\", \"hyperv_clocksource_msr\", \"hyperv_clocksource\", "          \
	"\"lis_hyperv_clocksource_tsc_page\", \"lis_hv_clocksource_tsc_page\""

static const char builtin[] =
	"[{\"version\": 1, \"notes\": \"The numbers of the kit's checks as of covalid 0.1.0 (src/testlog/thresholds.c cites "
	"each one's source). Logs without kit.thresholds were made under these.\", \"checks\": {"
	"\"cpu.all_vcpus_execute\": {\"min_fraction\": 0.5},"
	"\"time.clocksource\": {\"allowed\": {"
	"\"microsoft\": [" HYPERV_CLOCKS ", \"tsc\"],"
	"\"kvm\": [\"kvm-clock\", \"tsc\"],"
	"\"qemu\": [\"tsc\", \"hpet\", \"acpi_pm\"],"
	"\"amazon\": [\"kvm-clock\", \"tsc\", \"xen\"],"
	"\"google\": [\"kvm-clock\", \"tsc\"],"
	"\"xen\": [\"xen\", \"tsc\"],"
	"\"vmware\": [\"tsc\", \"vmi-timer\"],"
	"\"oracle\": [\"tsc\", \"kvm-clock\", " HYPERV_CLOCKS "],"
	"\"bhyve\": [\"tsc\", \"hpet\"],"
	"\"parallels\": [\"tsc\", \"kvm-clock\", " HYPERV_CLOCKS "],"
	"\"none\": [\"tsc\", \"hpet\"],"
	"\"*\": [\"tsc\", \"arch_sys_counter\"]},"
	"\"always_allowed\": [\"arch_sys_counter\"]},"
	"\"time.vdso\": {\"max_ns\": 200, \"min_speedup\": 3},"
	"\"time.rate_skew\": {\"max_abs_ppm\": 500},"
	"\"time.timer_latency\": {\"max_overshoot_ms\": 40},"
	"\"time.sync\": {\"max_abs_peer_offset_ms\": 128},"
	"\"time.reference\": {\"max_abs_drift_ppm\": 500},"
	"\"mem.size\": {\"min_fraction\": 0.9}"
	"}}]";

const char *testlog_thresholds_builtin(void)
{
	return builtin;
}

int testlog_thresholds_builtin_checks(int64_t version, json_t **ret)
{
	json_t *sets = json_loads(builtin, 0, NULL), *s, *found = NULL;
	size_t i;

	if (!sets)
		abort(); /* the program's own text */
	json_array_foreach(sets, i, s)
		if (json_integer_value(json_object_get(s, "version")) == version)
			found = json_incref(json_object_get(s, "checks"));
	json_decref(sets);
	if (!found)
		return -ENOENT;
	*ret = found;
	return 0;
}

/* allowed: {HYPERVISOR: [CLOCKSOURCE...]} with "*"; always_allowed: [CLOCKSOURCE...]. */
static bool string_list(const json_t *a)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) > 256)
		return false;
	json_array_foreach(a, i, v)
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)
			return false;
	return true;
}

static bool allow_list(const json_t *v)
{
	const char *k;
	json_t *x;

	if (!json_is_object(v) || !json_object_get(v, "*") || json_object_size(v) > 256)
		return false;
	json_object_foreach((json_t *)v, k, x)
		if (!string_list(x))
			return false;
	return true;
}

static int check_limit(const char *id, const char *key, const json_t *v, char **ret_why)
{
	if (strcmp(key, "allowed") == 0) {
		if (allow_list(v))
			return 0;
		*ret_why = cv_xasprintf("%s.allowed: expected {\"HYPERVISOR\": [\"CLOCKSOURCE\", ...], \"*\": [...]}", id);
		return -EINVAL;
	}
	if (strcmp(key, "always_allowed") == 0) {
		if (string_list(v))
			return 0;
		*ret_why = cv_xasprintf("%s.always_allowed: expected an array of clocksource names", id);
		return -EINVAL;
	}
	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0) {
		*ret_why = cv_xasprintf("%s.%s: expected a number >= 0", id, key);
		return -EINVAL;
	}
	return 0;
}

/* The keys of check id in a threshold set; *ret_known: whether it is a check at all. */
static const char *const *keys_of(const char *id, bool *ret_known)
{
	const char *rid, *const *keys;
	int64_t since;

	*ret_known = false;
	for (size_t i = 0; testlog__row(i, &rid, &keys, &since); i++)
		if (strcmp(rid, id) == 0) {
			*ret_known = true;
			return keys;
		}
	return NULL;
}

int testlog_thresholds_check(const json_t *checks, int64_t version, char **ret_why)
{
	const char *id, *key, *rid, *const *keys;
	int64_t since;
	json_t *o, *v;
	bool known;
	int r;

	if (!json_is_object(checks)) {
		*ret_why = cv_xstrdup("checks: expected an object of check ids");
		return -EINVAL;
	}
	json_object_foreach((json_t *)checks, id, o) {
		keys = keys_of(id, &known);
		if (!keys) {
			*ret_why = cv_xasprintf("%s: %s", id, known ? "this check reads no thresholds" : "unknown check id");
			return -EINVAL;
		}
		if (!json_is_object(o)) {
			*ret_why = cv_xasprintf("%s: expected an object of thresholds", id);
			return -EINVAL;
		}
		json_object_foreach(o, key, v) {
			bool ours = false;

			for (const char *const *k = keys; *k; k++)
				ours |= strcmp(*k, key) == 0;
			if (!ours) {
				*ret_why = cv_xasprintf("%s.%s: unknown threshold", id, key);
				return -EINVAL;
			}
		}
	}
	for (size_t i = 0; testlog__row(i, &rid, &keys, &since); i++)
		for (const char *const *k = keys; k && *k; k++) {
			if (version < since && !json_object_get(checks, rid))
				break;
			v = json_object_get(json_object_get(checks, rid), *k);
			if (!v) {
				*ret_why = cv_xasprintf("%s.%s: missing", rid, *k);
				return -EINVAL;
			}
			r = check_limit(rid, *k, v, ret_why);
			if (r < 0)
				return r;
		}
	return 0;
}

int testlog_thresholds_version(const json_t *log, int64_t *ret, char **ret_why)
{
	const json_t *v = json_object_get(json_object_get(log, "kit"), "thresholds");

	if (!v) {
		*ret = 1; /* logs made before the field: today's numbers, version 1 */
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > TESTLOG_THRESHOLDS_VERSION_MAX) {
		*ret_why = cv_xasprintf("kit.thresholds: expected the threshold version, an integer from 1 to %d",
					TESTLOG_THRESHOLDS_VERSION_MAX);
		return -EINVAL;
	}
	*ret = json_integer_value(v);
	return 0;
}
