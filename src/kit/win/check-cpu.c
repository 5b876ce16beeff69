/*
 * win/check-cpu.c - cpu.topology and cpu.all_vcpus_execute on Windows,
 * with Linux's ids and measured fields (src/testlog/derive.c judges them
 * alike).
 *
 * Windows starts every processor the firmware describes at boot and has
 * no offline state before 2008 R2's hot-add: "present" is the count
 * GetSystemInfo reports, "online" the processors in the system's affinity
 * mask (those threads can run on).  A vCPU that the hypervisor gives but
 * that never started is in neither, so --expect-vcpus is what catches it.
 */
#include <windows.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

static int popcount(DWORD_PTR m)
{
	int n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

void kit_check_cpu_topology(const struct kit_ctx *ctx, struct kit_out *out)
{
	SYSTEM_INFO si;
	DWORD_PTR proc = 0, sys = 0;
	int online = -1, present;
	struct kit_verdict v;

	GetSystemInfo(&si);
	present = (int)si.dwNumberOfProcessors;
	if (GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys))
		online = popcount(sys);
	json_object_set_new(out->measured, "source", json_string("GetProcessAffinityMask (system mask), GetSystemInfo"));
	json_object_set_new(out->measured, "online", json_integer(online));
	json_object_set_new(out->measured, "present", json_integer(present));
	json_object_set_new(out->measured, "possible", json_integer(present));
	json_object_set_new(out->measured, "process_cpus", json_integer(popcount(proc)));
	json_object_set_new(out->threshold, "online_equals_present", json_true());
	json_object_set_new(out->threshold, "expect_vcpus",
			    ctx->opt->expect_vcpus ? json_integer(ctx->opt->expect_vcpus) : json_null());
	kit_decide_topology(online, present, ctx->opt->expect_vcpus, &v);
	kit_apply(out, &v);
}

void kit_check_cpu_all_vcpus_execute(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 0.3, 3.0);
	struct kit_spin *w = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*w));
	double *rates = cv_xcalloc(ctx->n_cpus ? ctx->n_cpus : 1, sizeof(*rates));
	json_t *jr = json_object();
	struct kit_verdict v;
	char key[32];
	int r;

	for (size_t i = 0; i < ctx->n_cpus; i++)
		w[i].interval = interval;
	/* SetThreadAffinityMask pins each worker (win/util.c). */
	r = kit_on_each_cpu(ctx, kit_spin_worker, w, sizeof(*w));
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot pin a worker to each processor (SetThreadAffinityMask refused)");
		goto out;
	}
	for (size_t i = 0; i < ctx->n_cpus; i++) {
		rates[i] = w[i].elapsed > 0 ? (double)w[i].iterations / w[i].elapsed : 0;
		snprintf(key, sizeof(key), "cpu%d", ctx->cpus[i]);
		json_object_set_new(jr, key, json_real(kit_round(rates[i])));
	}
	json_object_set(out->measured, "rates", jr);
	/* Windows keeps no per-processor steal time. */
	json_object_set_new(out->measured, "steal_ms", json_null());
	json_object_set_new(out->measured, "median", json_real(kit_round(kit_median(rates, ctx->n_cpus))));
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	json_object_set_new(out->threshold, "min_fraction", json_real(KIT_EXECUTE_MIN_FRACTION));
	kit_decide_rates(rates, ctx->n_cpus, KIT_EXECUTE_MIN_FRACTION, &v);
	kit_apply(out, &v);
out:
	json_decref(jr);
	free(w);
	free(rates);
}
