/*
 * detect-windows-integration.c - which integration components a Windows
 * guest has (windows/services.json, devices.json, files.json) and which
 * its hypervisor says it should have (integration-windows.c).
 *
 * As on Linux, a device driver counts only when it drives a device: its
 * service running and a present device, working (problem 0), bound to
 * it.  A driver service running with no such device, or whose device has
 * a problem code or is assigned to it while it does not run, is unbound
 * (an emulated e1000 NIC with netkvm loaded); one merely installed, not
 * running and with no device, is absent: Windows ships drivers in the box
 * for hardware the machine lacks (2008 R2's vmbus, storvsc, netvsc on
 * every machine).  A service that binds no device (vmicheartbeat, vmmemctl, QEMU-GA) is present when
 * running.  Each component found gets evidence with its service state,
 * its file's version and its signature: "running, 61.63.103.3000, signed
 * by Microsoft Windows Hardware Compatibility Publisher" is a WHQL-signed
 * driver (that publisher signs what passed Microsoft's hardware
 * certification, the WHQL program).
 */
#include "probe/integration.h"
#include "probe/probe-read.h"
#include "probe/win-devices.h"
#include "probe/win-source.h"
#include "util/cv.h"

#define WHQL_SIGNER "Microsoft Windows Hardware Compatibility Publisher"

enum state {
	ABSENT,
	PRESENT,
	UNBOUND,
};

struct sources {
	json_t *services, *files;
	const struct win_device *dev;
	size_t n_dev;
};

static const json_t *find_service(struct probe_ctx *ctx, const json_t *services, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(services, i, e) {
		const char *n = json_is_object(e) ? probe_win_str(ctx, "services.json", "service", e, "name") : NULL;

		if (n && strcasecmp(n, name) == 0)
			return e;
	}
	return NULL;
}

/* The file name of a service's image: "\SystemRoot\system32\DRIVERS\netkvm.sys"
 * and "\"C:\Program Files\qemu-ga\qemu-ga.exe\" -d" give netkvm.sys and
 * qemu-ga.exe.  A new string, NULL if there is none. */
static char *image_base(const char *image)
{
	const char *start = image, *end, *slash;

	if (!image)
		return NULL;
	if (*start == '"') {
		start++;
		end = strchr(start, '"');
		if (!end)
			end = start + strlen(start);
	} else {
		/* An unquoted image path ends at the first space after its
		 * last backslash-separated ".exe" or ".sys". */
		end = strcasestr(start, ".exe");
		if (!end)
			end = strcasestr(start, ".sys");
		end = end ? end + 4 : start + strlen(start);
	}
	for (slash = start; slash < end; slash++)
		if (*slash == '\\' || *slash == '/')
			start = slash + 1;
	return end > start ? cv_xstrndup(start, (size_t)(end - start)) : NULL;
}

/* "running, 61.63.103.3000, signed by ..." from the file whose name is the image's. */
static char *describe(struct probe_ctx *ctx, const struct sources *src, const char *state, const char *image,
		      bool *ret_whql)
{
	char *base = image_base(image), *v = NULL;
	const json_t *e;
	size_t i;

	*ret_whql = false;
	json_array_foreach(src->files, i, e) {
		const char *path, *version, *signer;
		char *fbase;
		bool signed_ = false, have_signed;

		if (!base)
			break;
		/* Noted once, by probe_win_integration(): one bad entry hides
		 * no other file. */
		if (!json_is_object(e))
			continue;
		path = probe_win_str(ctx, "files.json", "file", e, "path");
		fbase = image_base(path);
		if (!fbase || strcasecmp(fbase, base) != 0) {
			free(fbase);
			continue;
		}
		free(fbase);
		version = probe_win_str(ctx, "files.json", "file", e, "version");
		signer = probe_win_str(ctx, "files.json", "file", e, "signer");
		have_signed = probe_win_bool(ctx, "files.json", "file", e, "signed", &signed_);
		*ret_whql = have_signed && signed_ && cv_streq(signer, WHQL_SIGNER);
		v = cv_xasprintf("%s, %s, %s%s", state, version ? version : "version unknown",
				 !have_signed ? "signature unknown" : !signed_ ? "not signed" : signer ? "signed by " : "signed",
				 have_signed && signed_ && signer ? signer : "");
		break;
	}
	free(base);
	return v ? v : cv_xstrdup(state);
}

/* Each files.json entry describe() skips, named once by its index. */
static void note_bad_files(struct probe_ctx *ctx, const json_t *files)
{
	const json_t *e;
	size_t i;

	json_array_foreach(files, i, e)
		if (!json_is_object(e))
			probe_note(ctx, "windows/files.json: entry %zu is not an object; skipped", i);
}

static const struct win_device *bound_device(const struct sources *src, const char *service)
{
	const struct win_device *broken = NULL;

	for (size_t i = 0; i < src->n_dev; i++)
		if (src->dev[i].service && strcasecmp(src->dev[i].service, service) == 0) {
			if (!src->dev[i].problem)
				return &src->dev[i];
			broken = broken ? broken : &src->dev[i];
		}
	return broken;
}

static enum state find(struct probe_ctx *ctx, const struct sources *src, const struct integ_win_component *c)
{
	for (size_t k = 0; k < PROBE_COMPONENT_MAX_NAMES && c->services[k]; k++) {
		const json_t *svc = find_service(ctx, src->services, c->services[k]);
		const char *name, *state, *image;
		const struct win_device *dev = NULL;
		char *source, *value, *meaning;
		enum state r;
		bool whql, running;

		if (!svc)
			continue;
		name = probe_win_str(ctx, "services.json", "service", svc, "name");
		state = probe_win_str(ctx, "services.json", "service", svc, "state");
		image = probe_win_str(ctx, "services.json", "service", svc, "image");
		running = cv_streq(state, "running");
		if (c->kind == INTEG_WIN_DEVICE)
			dev = bound_device(src, name);
		value = describe(ctx, src, state ? state : "state unknown", image, &whql);
		if (c->kind == INTEG_WIN_SERVICE) {
			r = running ? PRESENT : ABSENT;
			meaning = cv_xasprintf("%s: service %s %s", c->name, name, running ? "running" : "installed, not running");
		} else if (!dev && !running) {
			/* Installed and never started for want of a device: Windows
			 * Server 2008 R2 has vmbus, storvsc and netvsc in the box on
			 * every machine, so this is no driver of this VM's. */
			r = ABSENT;
			meaning = NULL;
		} else if (dev && running && !dev->problem) {
			r = PRESENT;
			meaning = cv_xasprintf("%s: %s bound to %s%s", c->name, name,
					       dev->description ? dev->description : dev->instance,
					       whql ? "; WHQL-signed" : "");
		} else {
			r = UNBOUND;
			if (dev && dev->problem)
				meaning = cv_xasprintf("%s: %s's device %s has problem code %d", c->name, name,
						       dev->description ? dev->description : dev->instance, dev->problem);
			else if (dev)
				meaning = cv_xasprintf("%s: %s assigned to %s but not running", c->name, name,
						       dev->description ? dev->description : dev->instance);
			else
				meaning = cv_xasprintf("%s: %s installed, bound to no present device", c->name, name);
		}
		if (meaning) {
			source = cv_xasprintf("windows/services.json:%s", name);
			evidence_add(&ctx->d->integration.evidence, source, value, meaning, NULL);
			free(source);
		}
		free(value);
		free(meaning);
		return r;
	}
	return ABSENT;
}

void probe_win_integration(struct probe_ctx *ctx)
{
	struct descriptor *d = ctx->d;
	struct sources src = { 0 };
	size_t n;
	const struct integ_win_component *c = probe_integ_win_components(&n);
	struct integ_guest g = {
		.hypervisor = d->hypervisor.id,
		.product = d->hypervisor.product,
		.have_build = ctx->hv_have_version,
		.build = ctx->hv_build,
		.kernel = d->guest.kernel,
	};

	src.services = probe_win_json(ctx, "services.json", JSON_ARRAY);
	src.files = probe_win_json(ctx, "files.json", JSON_ARRAY);
	note_bad_files(ctx, src.files);
	win_devices_get(ctx, &src.dev, &src.n_dev);
	if (src.services) {
		for (size_t i = 0; i < n; i++)
			switch (find(ctx, &src, &c[i])) {
			case PRESENT:
				cv_strv_push(&d->integration.present, c[i].name);
				break;
			case UNBOUND:
				cv_strv_push(&d->integration.unbound, c[i].name);
				break;
			case ABSENT:
				break;
			}
	} else
		probe_note(ctx, "integration: windows/services.json absent or unusable; components unknown");
	probe_integ_win_expect(&g, &d->integration.expected, &d->integration.recommended);
	/* Without the services nothing is known missing: an unreadable
	 * source is not an absent driver. */
	for (size_t i = 0; src.services && i < d->integration.expected.n; i++)
		if (!cv_strv_contains(&d->integration.present, d->integration.expected.v[i]))
			cv_strv_push(&d->integration.missing, d->integration.expected.v[i]);
	for (size_t i = 0; src.services && i < d->integration.recommended.n; i++)
		if (!cv_strv_contains(&d->integration.present, d->integration.recommended.v[i]))
			cv_strv_push(&d->integration.recommended_missing, d->integration.recommended.v[i]);
	json_decref(src.services);
	json_decref(src.files);
}
