/*
 * check-warp.c - time.cross_cpu_warp, the same on every system: threads
 * pinned one to each vCPU hand a lock around and compare the clock they
 * read with the previous holder's reading.  The clock is the system's
 * monotonic one (kit_warp_clock_ns: CLOCK_MONOTONIC in check-time.c,
 * QueryPerformanceCounter in win/check-time.c); the decision is
 * kit_decide_warps (decide.c).
 */
#include <stdatomic.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

#define NS_PER_S 1000000000LL

/*
 * The kernel's check_tsc_warp(): whoever holds the lock reads the clock
 * and compares it with the last reading, taken by whichever vCPU held the
 * lock before.  The lock orders the readings, so a lower one means time
 * on this vCPU is behind time on that one.
 */
struct warp_shared {
	const struct kit_faults *faults;
	atomic_flag lock;
	int64_t end_ns;
	uint64_t cap;
	int64_t last_ns;
	int last_cpu; /* -1 before the first reading */
	uint64_t warps, comparisons, handovers;
	int64_t max_warp_ns;
};

struct warp {
	struct warp_shared *s;
	int cpu;
};

/* Under the lock: one reading compared with the previous one. */
static bool warp_step(struct warp_shared *s, int cpu)
{
	int64_t t = kit_warp_clock_ns(s->faults);

	if (s->last_cpu >= 0) {
		s->comparisons++;
		s->handovers += s->last_cpu != cpu;
		if (t < s->last_ns) {
			s->warps++;
			if (s->last_ns - t > s->max_warp_ns)
				s->max_warp_ns = s->last_ns - t;
		}
	}
	s->last_ns = t;
	s->last_cpu = cpu;
	return t >= s->end_ns;
}

static void *warp_worker(void *p)
{
	struct warp *w = p;
	struct warp_shared *s = w->s;

	for (uint64_t i = 0; i < s->cap; i++) {
		bool done;

		while (atomic_flag_test_and_set_explicit(&s->lock, memory_order_acquire))
			;
		done = warp_step(s, w->cpu);
		atomic_flag_clear_explicit(&s->lock, memory_order_release);
		if (done)
			break;
	}
	return NULL;
}

void kit_check_time_cross_cpu_warp(const struct kit_ctx *ctx, struct kit_out *out)
{
	double interval = kit_interval(ctx, 0.2, 3.0);
	struct warp_shared s = { .faults = ctx->faults, .lock = ATOMIC_FLAG_INIT, .last_cpu = -1 };
	struct warp *w = NULL;
	struct kit_verdict v;
	int r;

	json_object_set_new(out->threshold, "max_warps", json_integer(0));
	if (ctx->n_cpus < 2) {
		kit_set(out, KIT_SKIP, "one vCPU: no other vCPU to exchange timestamps with");
		return;
	}
	w = cv_xcalloc(ctx->n_cpus, sizeof(*w));
	for (size_t i = 0; i < ctx->n_cpus; i++)
		w[i] = (struct warp){ &s, ctx->cpus[i] };
	/* A locked step costs well over 20 ns; the cap stops a stopped clock. */
	s.cap = (uint64_t)(interval * 5e7);
	s.end_ns = kit_warp_clock_ns(ctx->faults) + (int64_t)(interval * NS_PER_S);
	r = kit_on_each_cpu(ctx, warp_worker, w, sizeof(*w));
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot pin a worker to each vCPU: %s", strerror(-r));
		goto out;
	}
	if (kit_warp_clock_name())
		json_object_set_new(out->measured, "clock", json_string(kit_warp_clock_name()));
	json_object_set_new(out->measured, "warps", json_integer((json_int_t)s.warps));
	json_object_set_new(out->measured, "exchanges", json_integer((json_int_t)s.handovers));
	json_object_set_new(out->measured, "comparisons", json_integer((json_int_t)s.comparisons));
	json_object_set_new(out->measured, "max_warp_ns", json_integer(s.max_warp_ns));
	json_object_set_new(out->measured, "cpus", json_integer((json_int_t)ctx->n_cpus));
	json_object_set_new(out->measured, "interval_s", json_real(interval));
	/* Only a reading following another vCPU's proves anything across vCPUs. */
	kit_decide_warps(s.warps, s.handovers, (double)s.max_warp_ns, &v);
	kit_apply(out, &v);
out:
	free(w);
}
