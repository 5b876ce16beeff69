/*
 * detect-integration.c - which integration components ("enlightenments")
 * this guest has, and which its hypervisor version and kernel say it
 * should have (the table is integration-table.c).
 *
 * A driver counts as present only when it is bound to a device: a module
 * can be loaded, or a driver built in, on a machine whose hypervisor
 * offers no such device (virtio_net loaded while the NIC is an emulated
 * e1000), and then the guest does not use it.  Binding is read where the
 * system shows it, /sys/bus/<bus>/devices/<dev>/driver and the device
 * links in /sys/bus/<bus>/drivers/<drv>/:
 *
 *  - a device bound to one of the component's drivers: present;
 *  - the driver registered on its bus with no device bound: unbound, not
 *    present (reported in .integration.unbound);
 *  - the module loaded but no driver of that name registered on the bus
 *    (a root without /sys/bus, or a module that binds nothing, like
 *    hv_utils before it became a vmbus driver): present, binding not
 *    shown, and its evidence says so.
 *
 * Buses and modules that bind no device (vmbus itself, vmw_balloon) are
 * present when loaded; agents when their binary exists.
 */
#include "probe/integration.h"
#include "probe/probe-internal.h"
#include "util/cv.h"

enum state {
	ABSENT,
	PRESENT,
	UNBOUND,
};

/* The devices of one bus and the driver each is bound to, read once. */
struct bus_devices {
	const char *bus;
	struct cv_strv devices;
	struct cv_strv drivers; /* parallel to devices; "" when unbound */
};

#define MAX_BUSES 8

struct found {
	char *source;
	char *value;
	char *meaning;
};

static void found_set(struct found *f, char *source, const char *value, char *meaning)
{
	f->source = source;
	f->value = cv_xstrdup(value);
	f->meaning = meaning;
}

static void found_release(struct found *f)
{
	free(f->source);
	free(f->value);
	free(f->meaning);
	*f = (struct found){ 0 };
}

static const struct bus_devices *bus_devices(struct probe_ctx *ctx, struct bus_devices *cache, size_t *n,
					     const char *bus)
{
	struct bus_devices *b;
	char *dir;

	for (size_t i = 0; i < *n; i++)
		if (strcmp(cache[i].bus, bus) == 0)
			return &cache[i];
	if (*n == MAX_BUSES)
		return NULL;
	b = &cache[(*n)++];
	b->bus = bus;
	cv_strv_init(&b->devices);
	cv_strv_init(&b->drivers);
	dir = cv_xasprintf("sys/bus/%s/devices", bus);
	if (cv_root_list(ctx->root, dir, &b->devices) < 0)
		cv_strv_init(&b->devices);
	for (size_t i = 0; i < b->devices.n; i++) {
		char *link = cv_xasprintf("%s/%s/driver", dir, b->devices.v[i]), *drv = NULL;

		if (cv_root_readlink_base(ctx->root, link, &drv) < 0)
			drv = NULL;
		cv_strv_push(&b->drivers, drv ? drv : "");
		free(drv);
		free(link);
	}
	free(dir);
	return b;
}

static bool module_loaded(struct probe_ctx *ctx, const struct probe_component *c, struct found *f)
{
	for (size_t i = 0; i < PROBE_COMPONENT_MAX_NAMES && c->modules[i]; i++)
		if (cv_strv_contains(&ctx->modules, c->modules[i])) {
			found_set(f, cv_xstrdup("/proc/modules"), c->modules[i], NULL);
			return true;
		}
	/* Loaded modules, and built-in ones with parameters, show under
	 * /sys/module even where /proc/modules does not exist. */
	for (size_t i = 0; i < PROBE_COMPONENT_MAX_NAMES && c->modules[i]; i++) {
		char *path = cv_xasprintf("sys/module/%s", c->modules[i]);

		if (cv_root_exists(ctx->root, path)) {
			found_set(f, cv_xasprintf("/%s", path), c->modules[i], NULL);
			free(path);
			return true;
		}
		free(path);
	}
	return false;
}

/* A device link in the driver's own directory: everything there that is
 * a symlink, except the one to its module, is a bound device. */
static bool driver_dir_binds(struct probe_ctx *ctx, const char *dir, struct found *f)
{
	struct cv_strv entries;
	bool r = false;

	cv_strv_init(&entries);
	if (cv_root_list(ctx->root, dir, &entries) < 0)
		return false;
	for (size_t i = 0; i < entries.n && !r; i++) {
		char *path, *target = NULL;

		if (strcmp(entries.v[i], "module") == 0)
			continue;
		path = cv_xasprintf("%s/%s", dir, entries.v[i]);
		if (cv_root_readlink(ctx->root, path, &target) == 0) {
			found_set(f, cv_xasprintf("/%s", path), entries.v[i], NULL);
			r = true;
		}
		free(target);
		free(path);
	}
	cv_strv_release(&entries);
	return r;
}

static enum state find_driver(struct probe_ctx *ctx, struct bus_devices *cache, size_t *n_cache,
			      const struct probe_component *c, struct found *f)
{
	const struct bus_devices *b = bus_devices(ctx, cache, n_cache, c->bus);
	char *registered = NULL;
	enum state r = ABSENT;

	for (size_t i = 0; b && i < b->devices.n; i++)
		for (size_t k = 0; k < PROBE_COMPONENT_MAX_NAMES && c->drivers[k]; k++)
			if (strcmp(b->drivers.v[i], c->drivers[k]) == 0) {
				found_set(f, cv_xasprintf("/sys/bus/%s/devices/%s/driver", c->bus, b->devices.v[i]),
					  c->drivers[k],
					  cv_xasprintf("%s: %s bound to %s", c->name, c->drivers[k], b->devices.v[i]));
				return PRESENT;
			}
	for (size_t k = 0; k < PROBE_COMPONENT_MAX_NAMES && c->drivers[k] && r == ABSENT; k++) {
		char *dir = cv_xasprintf("sys/bus/%s/drivers/%s", c->bus, c->drivers[k]);

		if (driver_dir_binds(ctx, dir, f)) {
			f->meaning = cv_xasprintf("%s: %s bound to %s", c->name, c->drivers[k], f->value);
			r = PRESENT;
		} else if (!registered && cv_root_exists(ctx->root, dir)) {
			registered = dir;
			dir = NULL;
		}
		free(dir);
	}
	if (r == PRESENT)
		goto out;
	if (registered) {
		const char *drv = strrchr(registered, '/') + 1;

		found_set(f, cv_xasprintf("/%s", registered), drv,
			  cv_xasprintf("%s: %s registered on the %s bus, bound to no device", c->name, drv, c->bus));
		r = UNBOUND;
		goto out;
	}
	if (module_loaded(ctx, c, f)) {
		char *bus = cv_xasprintf("sys/bus/%s", c->bus);

		if (cv_root_exists(ctx->root, bus))
			f->meaning = cv_xasprintf("%s: module loaded; it registers no driver on the %s bus, so binding "
						  "is not shown", c->name, c->bus);
		else
			f->meaning = cv_xasprintf("%s: module loaded; /%s is absent, so binding is not shown", c->name,
						  bus);
		free(bus);
		r = PRESENT;
	}
out:
	free(registered);
	return r;
}

static enum state find(struct probe_ctx *ctx, struct bus_devices *cache, size_t *n_cache,
		       const struct probe_component *c, struct found *f)
{
	switch (c->kind) {
	case PROBE_COMPONENT_DRIVER:
		return find_driver(ctx, cache, n_cache, c, f);
	case PROBE_COMPONENT_BUS: {
		char *path = cv_xasprintf("sys/bus/%s", c->bus);
		bool bus = cv_root_exists(ctx->root, path);

		if (bus)
			found_set(f, cv_xasprintf("/%s", path), c->bus, NULL);
		free(path);
		return bus || module_loaded(ctx, c, f) ? PRESENT : ABSENT;
	}
	case PROBE_COMPONENT_MODULE:
		return module_loaded(ctx, c, f) ? PRESENT : ABSENT;
	case PROBE_COMPONENT_AGENT:
		for (size_t i = 0; i < PROBE_COMPONENT_MAX_NAMES && c->files[i]; i++)
			if (cv_root_exists(ctx->root, c->files[i])) {
				found_set(f, cv_xasprintf("/%s", c->files[i]), "present", NULL);
				return PRESENT;
			}
		return ABSENT;
	}
	return ABSENT;
}

static void expect(struct descriptor *d, const struct integ_guest *g)
{
	probe_integ_expect(g, &d->integration.expected, &d->integration.recommended);
	for (size_t i = 0; i < d->integration.expected.n; i++)
		if (!cv_strv_contains(&d->integration.present, d->integration.expected.v[i]))
			cv_strv_push(&d->integration.missing, d->integration.expected.v[i]);
	for (size_t i = 0; i < d->integration.recommended.n; i++)
		if (!cv_strv_contains(&d->integration.present, d->integration.recommended.v[i]))
			cv_strv_push(&d->integration.recommended_missing, d->integration.recommended.v[i]);
}

void probe_integration(struct probe_ctx *ctx)
{
	struct descriptor *d = ctx->d;
	struct bus_devices cache[MAX_BUSES];
	size_t n_cache = 0, n;
	const struct probe_component *c = probe_components(&n);
	struct integ_guest g = {
		.hypervisor = d->hypervisor.id,
		.product = d->hypervisor.product,
		.have_build = ctx->hv_have_version,
		.build = ctx->hv_build,
		.kernel = d->guest.kernel,
	};

	for (size_t i = 0; i < n; i++) {
		struct found f = { 0 };

		switch (find(ctx, cache, &n_cache, &c[i], &f)) {
		case PRESENT:
			cv_strv_push(&d->integration.present, c[i].name);
			break;
		case UNBOUND:
			cv_strv_push(&d->integration.unbound, c[i].name);
			break;
		case ABSENT:
			continue;
		}
		evidence_add(&d->integration.evidence, f.source, f.value, f.meaning ? f.meaning : c[i].name, NULL);
		found_release(&f);
	}
	for (size_t i = 0; i < n_cache; i++) {
		cv_strv_release(&cache[i].devices);
		cv_strv_release(&cache[i].drivers);
	}
	expect(d, &g);
}
