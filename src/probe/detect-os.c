/*
 * detect-os.c - the guest OS, its kernel and architecture.
 *
 * /etc/os-release first (then /usr/lib/os-release, its fallback by
 * os-release(5)); where neither exists, the release files that came before
 * it, in an order that puts specific files before generic ones (Ubuntu has
 * both lsb-release and debian_version; CentOS has centos-release and
 * redhat-release).
 */
#ifndef _WIN32
#include <sys/utsname.h>
#endif

#include "probe/os-release.h"
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

static const char *const legacy_files[] = {
	"etc/oracle-release", "etc/enterprise-release", "etc/centos-release", "etc/fedora-release",
	"etc/sl-release", "etc/redhat-release", "etc/SuSE-release", "etc/lsb-release",
	"etc/debian_version", "etc/alpine-release", "etc/gentoo-release", "etc/slackware-version",
	"etc/arch-release",
};

static void take(struct probe_ctx *ctx, struct os_release *o, const char *source)
{
	struct descriptor *d = ctx->d;

	d->guest.os.id = o->id;
	d->guest.os.version = o->version_id;
	d->guest.os.name = o->name;
	d->guest.os.pretty = o->pretty;
	o->id = o->version_id = o->name = o->pretty = NULL;
	d->guest.os.source = cv_xstrdup(source);
	d->guest.os.osinfo = osinfo_short_id(d->guest.os.id, d->guest.os.version, d->guest.os.name);
}

static bool try_os_release(struct probe_ctx *ctx, const char *path)
{
	struct os_release o;
	char *text;
	size_t len;
	int r;

	r = cv_root_read(ctx->root, path, PROBE_SMALL_MAX, &text, &len);
	if (r < 0) {
		if (r != -ENOENT)
			probe_note(ctx, "/%s: %s", path, r == -E2BIG ? "larger than 64 KiB; not read" : strerror(-r));
		return false;
	}
	os_release_init(&o);
	os_release_parse(text, len, &o);
	free(text);
	if (o.bad_lines)
		probe_note(ctx, "/%s: %zu line(s) not of the form KEY=VALUE; skipped", path, o.bad_lines);
	if (!o.id) {
		probe_note(ctx, "/%s: no ID= line; not used", path);
		os_release_release(&o);
		return false;
	}
	{
		char *src = cv_xasprintf("/%s", path);

		take(ctx, &o, src);
		free(src);
	}
	os_release_release(&o);
	return true;
}

static void legacy(struct probe_ctx *ctx)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(legacy_files); i++) {
		struct os_release o;
		char *text;
		size_t len;
		int r;

		r = cv_root_read(ctx->root, legacy_files[i], PROBE_SMALL_MAX, &text, &len);
		if (r < 0) {
			if (r != -ENOENT)
				probe_note(ctx, "/%s: %s", legacy_files[i], strerror(-r));
			continue;
		}
		os_release_init(&o);
		r = legacy_release_parse(legacy_files[i], text, len, &o);
		free(text);
		if (r == 0 && o.id) {
			char *src = cv_xasprintf("/%s", legacy_files[i]);

			take(ctx, &o, src);
			free(src);
			os_release_release(&o);
			return;
		}
		probe_note(ctx, "/%s: not in a known format; skipped", legacy_files[i]);
		os_release_release(&o);
	}
}

/* Enterprise kernels name their architecture: "2.6.32-754.el6.x86_64". */
static char *arch_from_kernel(const char *release)
{
	static const char *const arches[] = { "x86_64", "i686", "i586", "i386", "aarch64", "ppc64le",
					      "ppc64", "s390x" };

	for (size_t i = 0; i < CV_ELEMENTSOF(arches); i++) {
		char *suffix = cv_xasprintf(".%s", arches[i]);
		bool hit = cv_endswith(release, suffix);

		free(suffix);
		if (hit)
			return cv_xstrdup(arches[i]);
	}
	return NULL;
}

void probe_os(struct probe_ctx *ctx)
{
	struct descriptor *d = ctx->d;

	if (!try_os_release(ctx, "etc/os-release") && !try_os_release(ctx, "usr/lib/os-release"))
		legacy(ctx);
	if (!d->guest.os.id)
		probe_note(ctx, "guest OS: no os-release or known release file");

	d->guest.kernel = probe_read_value(ctx, "proc/sys/kernel/osrelease");
	d->guest.arch = probe_read_value(ctx, "proc/sys/kernel/arch");
#ifndef _WIN32 /* (on Windows this detector only ever reads a Linux capture) */
	if (!d->guest.arch && cv_root_is_live(ctx->root)) {
		/* /proc/sys/kernel/arch is new (Linux 6.1); uname(2) knows too,
		 * and a capture records it where the kernel would have. */
		struct utsname u;

		if (uname(&u) == 0) {
			d->guest.arch = cv_xstrdup(u.machine);
			cv_root_capture_extra(ctx->root, "proc/sys/kernel/arch", u.machine, strlen(u.machine));
		}
	}
#endif
	if (!d->guest.arch && d->guest.kernel)
		d->guest.arch = arch_from_kernel(d->guest.kernel);
}
