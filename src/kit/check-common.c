/*
 * check-common.c - the checks whose measurement is the same on every
 * system: env.fingerprint (the probe again, against the run's descriptor)
 * and mem.size (the descriptor's memory against --expect-memory).
 */
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

/* ---- env.fingerprint ---- */

void kit_check_env_fingerprint(const struct kit_ctx *ctx, struct kit_out *out)
{
	struct probe_options po = { 0 };
	struct descriptor *now = NULL;
	struct kit_verdict v;
	int r;

	r = probe_run(&po, &now);
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot probe: %s", strerror(-r));
		return;
	}
	json_object_set_new(out->measured, "hypervisor", kit_json_str(now->hypervisor.id));
	json_object_set_new(out->measured, "product", kit_json_str(now->hypervisor.product));
	json_object_set_new(out->measured, "version", kit_json_str(now->hypervisor.version));
	json_object_set_new(out->measured, "conflicts", json_integer((json_int_t)now->hypervisor.conflicts.n));
	json_object_set_new(out->threshold, "claimed_hypervisor", kit_json_str(ctx->d->hypervisor.id));
	json_object_set_new(out->threshold, "claimed_product", kit_json_str(ctx->d->hypervisor.product));
	kit_decide_fingerprint(ctx->d->hypervisor.id, now->hypervisor.id, ctx->d->hypervisor.product,
			       now->hypervisor.product, &v);
	kit_apply(out, &v);
	descriptor_free(now);
}

/* ---- mem.size ---- */

void kit_check_mem_size(const struct kit_ctx *ctx, struct kit_out *out)
{
	struct kit_verdict v;

	json_object_set_new(out->measured, "memtotal_mib", json_integer((json_int_t)ctx->d->vm.memory_mib));
	json_object_set_new(out->threshold, "expect_memory_mib",
			    ctx->opt->expect_memory_mib ? json_integer((json_int_t)ctx->opt->expect_memory_mib)
							: json_null());
	json_object_set_new(out->threshold, "min_fraction", json_real(KIT_MEM_SIZE_MIN));
	json_object_set_new(out->threshold, "max_fraction", json_real(1.0));
	kit_decide_mem_size(ctx->d->vm.memory_mib, ctx->opt->expect_memory_mib, &v);
	kit_apply(out, &v);
}
