/*
 * probe.c - runs the detectors over a root and assembles the descriptor
 * (see covalid/probe.h).  It only orchestrates: what the detectors share
 * (evidence, notes, bounded reads) is in probe-read.c, so the detectors
 * depend on that and not back on the file that calls them.
 */
#include "covalid/probe.h"
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "probe/win-source.h"
#include "util/cv.h"

static void ctx_release(struct probe_ctx *ctx)
{
	cpuid_table_release(&ctx->cpuid);
	free(ctx->sig);
	free(ctx->dmi_sys_vendor);
	free(ctx->dmi_product_name);
	free(ctx->dmi_product_version);
	free(ctx->dmi_bios_vendor);
	free(ctx->dmi_bios_version);
	free(ctx->dmi_chassis_asset_tag);
	free(ctx->dmi_board_vendor);
	free(ctx->dmi_product_uuid);
	free(ctx->clocksource);
	free(ctx->cpu_platform);
	free(ctx->kernel_arch);
	free(ctx->xen_guest_type);
	free(ctx->xen_version);
	cv_strv_release(&ctx->cpu_flags_hint);
	cv_strv_release(&ctx->modules);
	probe_win_release(ctx);
	cv_root_free(ctx->root);
}

int probe_run(const struct probe_options *opt, struct descriptor **ret)
{
	struct probe_ctx ctx = { 0 };
	int r;

	r = cv_root_open(opt->root, &ctx.root);
	if (r < 0)
		return r;
	if (opt->capture) {
		r = cv_root_set_capture(ctx.root, opt->capture);
		if (r < 0) {
			cv_root_free(ctx.root);
			return r;
		}
	}
	ctx.d = descriptor_new();
	cpuid_table_init(&ctx.cpuid);
	cv_strv_init(&ctx.cpu_flags_hint);
	cv_strv_init(&ctx.modules);
	if (!cv_root_is_live(ctx.root))
		ctx.d->probe_root = cv_xstrdup(cv_root_path(ctx.root));
	else {
		char now[32];

		cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
		ctx.d->probed_at = cv_xstrdup(now);
	}

	ctx.windows = probe_win_root(ctx.root);
	if (ctx.windows) {
		/* A Windows machine: its sources are the files of windows/
		 * (docs/probe.md, "Windows"); CPUID and the verdict are shared. */
		probe_cpuid(&ctx);
		probe_win_smbios(&ctx);
		probe_win_devices(&ctx);
		probe_verdict(&ctx);
		probe_win_os(&ctx);
		probe_win_vm(&ctx);
		probe_win_integration(&ctx);
	} else {
		probe_read_modules(&ctx);
		probe_cpuid(&ctx);
		probe_dmi(&ctx);
		probe_platform(&ctx);
		probe_buses(&ctx);
		probe_verdict(&ctx);
		probe_container(&ctx);
		probe_os(&ctx);
		probe_vm(&ctx);
		probe_integration(&ctx);
	}

	*ret = ctx.d;
	ctx.d = NULL;
	ctx_release(&ctx);
	return 0;
}
