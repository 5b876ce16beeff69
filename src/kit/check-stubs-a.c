/* check-stubs-a.c - TEMPORARY placeholders for the cpu/time/irq checks being written; removed before landing. */
#include "kit/kit-internal.h"
#include "util/cv.h"

#define STUB(name)                                             \
	void name(const struct kit_ctx *ctx, struct kit_out *out) \
	{                                                      \
		(void)ctx;                                     \
		kit_set(out, KIT_SKIP, "not implemented yet"); \
	}

STUB(kit_check_cpu_all_vcpus_execute)
STUB(kit_check_cpu_feature_consistency)
STUB(kit_check_time_monotonic)
STUB(kit_check_time_cross_cpu_warp)
STUB(kit_check_time_vdso)
STUB(kit_check_time_rate_skew)
STUB(kit_check_time_timer_latency)
STUB(kit_check_time_sync)
STUB(kit_check_irq_timer_delivery)
