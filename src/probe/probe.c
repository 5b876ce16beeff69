/*
 * probe.c - runs the detectors over a root and assembles the descriptor
 * (see covalid/probe.h).
 */
#include "covalid/probe.h"
#include "probe/probe-internal.h"
#include "util/cv.h"

struct evidence *probe_evidence(struct probe_ctx *ctx, enum signal_kind kind, const char *source,
				const char *value, const char *meaning, const char *id)
{
	struct evidence *e = evidence_add(&ctx->d->hypervisor.evidence, source, value, meaning, id);

	if (id) {
		if (ctx->n_sig == ctx->alloc_sig) {
			ctx->alloc_sig = ctx->alloc_sig ? ctx->alloc_sig * 2 : 16;
			ctx->sig = cv_xreallocarray(ctx->sig, ctx->alloc_sig, sizeof(*ctx->sig));
		}
		/* e->source is heap-owned by the evidence and outlives the ctx. */
		ctx->sig[ctx->n_sig++] = (struct signal){ kind, id, e->source };
	}
	ctx->any_source = true;
	return e;
}

struct evidence *probe_info(struct probe_ctx *ctx, const char *source, const char *value,
			    const char *meaning)
{
	ctx->any_source = true;
	return evidence_add(&ctx->d->hypervisor.evidence, source, value, meaning, NULL);
}

void probe_note(struct probe_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (!cv_strv_contains(&ctx->d->notes, s))
		cv_strv_push_take(&ctx->d->notes, s);
	else
		free(s);
}

/*
 * A sysfs value that is absent is simply absent.  One that exists but
 * cannot be read, is too long or holds binary junk is a note, because a
 * user comparing two reports wants to know why a field went unknown.
 */
char *probe_read_value(struct probe_ctx *ctx, const char *path)
{
	char *s = NULL, *clean;
	size_t len;
	int r;

	r = cv_root_read(ctx->root, path, PROBE_SMALL_MAX, &s, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return NULL;
	if (r < 0) {
		probe_note(ctx, "/%s: %s", path, strerror(-r));
		return NULL;
	}
	cv_strstrip(s);
	len = strlen(s);
	if (len == 0) {
		free(s);
		return NULL;
	}
	if (!cv_str_is_clean_utf8(s, len)) {
		probe_note(ctx, "/%s: not text; non-printable bytes replaced", path);
		clean = cv_str_sanitize(s, len, 256);
		free(s);
		return clean;
	}
	if (len > 256) {
		probe_note(ctx, "/%s: value longer than 256 bytes, cut", path);
		s[256] = '\0';
	}
	return s;
}

bool probe_have_module(struct probe_ctx *ctx, const char *name)
{
	char *path;
	bool r;

	if (cv_strv_contains(&ctx->modules, name))
		return true;
	/* Built-in drivers with parameters, and loaded modules, both show
	 * under /sys/module even where /proc/modules does not exist. */
	path = cv_xasprintf("sys/module/%s", name);
	r = cv_root_exists(ctx->root, path);
	free(path);
	return r;
}

static void read_modules(struct probe_ctx *ctx)
{
	char *text, *save = NULL;
	int r;

	r = cv_root_read(ctx->root, "proc/modules", PROBE_BIG_MAX, &text, NULL);
	if (r < 0) {
		if (r != -ENOENT)
			probe_note(ctx, "/proc/modules: %s", strerror(-r));
		return;
	}
	ctx->have_modules = true;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (sp)
			*sp = '\0';
		if (*line && strlen(line) < 64)
			cv_strv_push(&ctx->modules, line);
	}
	free(text);
}

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

	read_modules(&ctx);
	probe_cpuid(&ctx);
	probe_dmi(&ctx);
	probe_platform(&ctx);
	probe_buses(&ctx);
	probe_verdict(&ctx);
	probe_container(&ctx);
	probe_os(&ctx);
	probe_vm(&ctx);
	probe_integration(&ctx);

	*ret = ctx.d;
	ctx.d = NULL;
	ctx_release(&ctx);
	return 0;
}
