/*
 * probe-read.c - what every detector uses (see probe-read.h): recording
 * evidence and the signals it carries, notes, and bounded reads of the
 * root's files.
 */
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
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

void probe_read_modules(struct probe_ctx *ctx)
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
