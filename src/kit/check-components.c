/*
 * check-components.c - kernel.pv_drivers: each integration component the
 * guest is expected to have (the probe's era-true set, docs/probe.md) is
 * bound to its device and, for the Hyper-V utilities, answers the host.
 *
 * The check reads the buses itself, through ctx->sysroot (the live system,
 * or a fixture in tests), rather than trusting the descriptor's lists: it
 * needs what the probe does not keep, which devices the host offers.
 *
 * A component's devices are known by their class where the bus shows one:
 * a vmbus device's class_id is the interface type GUID the host offered
 * (Documentation/ABI/stable/sysfs-bus-vmbus, since 2.6.31; the GUIDs are
 * include/linux/hyperv.h's HV_*_GUID), a virtio device's `device` file
 * its virtio id (include/uapi/linux/virtio_ids.h).  So the check can tell
 * apart:
 *
 *  - bound: a device with one of the component's drivers bound to it;
 *  - offered and unbound: the host offers the device, no driver of the
 *    component took it (a broken or blacklisted driver): fails;
 *  - not offered: the host offers no such device.  Fails, except for the
 *    balloons, which a host offers only when memory ballooning is enabled
 *    for the VM (Hyper-V Dynamic Memory, a virtio-balloon device);
 *  - registered but unbound where the class is not shown: fails, as the
 *    probe's "unbound";
 *  - loaded, with no driver registered on the bus: present, binding not
 *    shown (hv_utils before it became a vmbus driver, 2010).
 *
 * The Hyper-V utilities are one driver, hv_utils, serving one vmbus
 * device per service: heartbeat, time sync, shutdown, KVP (and VSS, file
 * copy).  Each service the host offers must be bound to hv_utils, and
 * where the kernel counts it (channels/<relid>/events, 4.14+: "number of
 * times we have signaled the host", incremented in vmbus_set_event(),
 * drivers/hv/connection.c) must have signalled the host at least once:
 * every service answers the host's version negotiation when its channel
 * opens (vmbus_prep_negotiate_resp(), drivers/hv/channel_mgmt.c), so a
 * bound service that never signalled has never answered.  A service the
 * host does not offer (turned off in the VM's settings) is reported, not
 * failed.  The services fail only where the era-true set expects "utils".
 *
 * KVP also needs its user-space daemon (hv_kvp_daemon, RHEL's hypervkvpd;
 * tools/hv/hv_kvp_daemon.c keeps its pools in /var/lib/hyperv/.kvp_pool_0
 * to _4).  The check reports whether the daemon runs (a process of that
 * name in /proc) and how many pool files exist; the daemon is a
 * recommended agent, so this never fails.  Whether the pools are "fresh"
 * is not judged: the daemon rewrites a pool only when a value in it
 * changes (kvp_update_file()), so an old pool file proves nothing.
 */
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "covalid/root.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

#define BUS_DEVICES_MAX 512
#define PROCS_MAX 65536
#define MAX_BUSES 4

/* include/linux/hyperv.h */
#define HV_NIC "f8615163-df3e-46c5-913f-f2d2f965ed0e"
#define HV_IDE "32412632-86cb-44a2-9b5c-50d1417354f5"
#define HV_SCSI "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"
#define HV_SHUTDOWN "0e0b6031-5213-4934-818b-38d90ced39db"
#define HV_TIMESYNC "9527e630-d0ae-497b-adce-e80ab0175caf"
#define HV_HEARTBEAT "57164f39-9115-4e78-ab55-382f3bd5422d"
#define HV_KVP "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"
#define HV_VSS "35fa2e29-ea23-4236-96ae-3a6ebacba440"
#define HV_FCOPY "34d14be3-dee4-41c8-9ae7-6b174977c192"
#define HV_DM "525074dc-8985-46e2-8057-a307dc18a502"

/* What each component's devices look like on its bus. */
static const struct {
	const char *component;
	const char *classes[7]; /* vmbus class GUIDs, or virtio ids as the `device` file prints them */
	bool host_optional;     /* offered only where the VM is configured for it */
} device_classes[] = {
	/* storvsc also drives the IDE channel (drivers/scsi/storvsc_drv.c id_table). */
	{ "storvsc", { HV_SCSI, HV_IDE }, false },
	{ "blkvsc", { HV_IDE }, false },
	{ "netvsc", { HV_NIC }, false },
	{ "utils", { HV_SHUTDOWN, HV_TIMESYNC, HV_HEARTBEAT, HV_KVP, HV_VSS, HV_FCOPY }, false },
	{ "balloon", { HV_DM }, true },
	/* VIRTIO_ID_NET 1, VIRTIO_ID_BLOCK 2, VIRTIO_ID_BALLOON 5, VIRTIO_ID_SCSI 8 */
	{ "virtio_net", { "0x0001" }, false },
	{ "virtio_storage", { "0x0002", "0x0008" }, false },
	{ "virtio_balloon", { "0x0005" }, true },
};

/* The Hyper-V utility services hv_utils serves (drivers/hv/hv_util.c util_id_table). */
static const struct {
	const char *service;
	const char *guid;
} hv_services[] = {
	{ "heartbeat", HV_HEARTBEAT }, { "time_sync", HV_TIMESYNC }, { "shutdown", HV_SHUTDOWN },
	{ "kvp", HV_KVP },             { "vss", HV_VSS },            { "fcopy", HV_FCOPY },
};

static const char *const kvp_daemons[] = { "hv_kvp_daemon", "hypervkvpd" };

/* ---- reading the buses ---- */

struct bus_dev {
	char *name;
	char *driver; /* NULL when unbound */
	char *class;  /* normalized class, NULL if not shown */
};

struct bus {
	const char *name;
	bool exists;
	bool classes_shown; /* some device shows its class: absence of one means something */
	struct bus_dev *v;
	size_t n;
};

/* "{BA6163D9-04A1-...}\n" -> "ba6163d9-04a1-..." */
static char *normalize_class(char *s)
{
	char *p = cv_strstrip(s), *out;
	size_t n;

	if (*p == '{')
		p++;
	n = strcspn(p, "}");
	out = cv_xstrndup(p, n);
	for (char *q = out; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return out;
}

static void bus_read(struct cv_root *root, const char *name, struct bus *b)
{
	struct cv_strv devs;
	char *dir = cv_xasprintf("sys/bus/%s", name), *devdir = cv_xasprintf("sys/bus/%s/devices", name);

	*b = (struct bus){ .name = name, .exists = cv_root_exists(root, dir) };
	cv_strv_init(&devs);
	if (cv_root_list(root, devdir, &devs) == 0) {
		b->v = cv_xcalloc(devs.n ? devs.n : 1, sizeof(*b->v));
		for (size_t i = 0; i < devs.n && i < BUS_DEVICES_MAX; i++) {
			struct bus_dev *d = &b->v[b->n++];
			char *link = cv_xasprintf("%s/%s/driver", devdir, devs.v[i]), *cls = NULL, *s = NULL;

			/* Only vmbus and virtio devices say what they are in a
			 * way the class table knows. */
			if (strcmp(name, "vmbus") == 0 || strcmp(name, "virtio") == 0)
				cls = cv_xasprintf("%s/%s/%s", devdir, devs.v[i],
						   strcmp(name, "vmbus") == 0 ? "class_id" : "device");
			d->name = cv_xstrdup(devs.v[i]);
			if (cv_root_readlink_base(root, link, &d->driver) < 0)
				d->driver = NULL;
			if (cls && cv_root_read_line(root, cls, &s) == 0) {
				d->class = normalize_class(s);
				b->classes_shown = true;
			}
			free(s);
			free(cls);
			free(link);
		}
	}
	cv_strv_release(&devs);
	free(dir);
	free(devdir);
}

static void bus_release(struct bus *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].name);
		free(b->v[i].driver);
		free(b->v[i].class);
	}
	free(b->v);
}

static const struct bus *bus_get(struct cv_root *root, struct bus *cache, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(cache[i].name, name) == 0)
			return &cache[i];
	if (*n == MAX_BUSES)
		return NULL;
	bus_read(root, name, &cache[*n]);
	return &cache[(*n)++];
}

static bool has_driver(const struct probe_component *c, const char *driver)
{
	for (size_t k = 0; driver && k < PROBE_COMPONENT_MAX_NAMES && c->drivers[k]; k++)
		if (strcmp(c->drivers[k], driver) == 0)
			return true;
	return false;
}

static size_t class_index(const char *component)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(device_classes); i++)
		if (strcmp(device_classes[i].component, component) == 0)
			return i;
	return SIZE_MAX;
}

static bool of_class(size_t ci, const char *cls)
{
	for (size_t k = 0; cls && k < CV_ELEMENTSOF(device_classes[ci].classes) && device_classes[ci].classes[k]; k++)
		if (strcmp(device_classes[ci].classes[k], cls) == 0)
			return true;
	return false;
}

static bool module_loaded(struct cv_root *root, const struct probe_component *c)
{
	char *mods = NULL;
	bool r = false;

	for (size_t i = 0; i < PROBE_COMPONENT_MAX_NAMES && c->modules[i] && !r; i++) {
		char *path = cv_xasprintf("sys/module/%s", c->modules[i]);

		r = cv_root_exists(root, path);
		free(path);
	}
	if (!r && cv_root_read(root, "proc/modules", 1 << 20, &mods, NULL) == 0) {
		for (char *line = mods; line && *line && !r;) {
			size_t n = strcspn(line, " ");

			for (size_t i = 0; i < PROBE_COMPONENT_MAX_NAMES && c->modules[i] && !r; i++)
				r = strlen(c->modules[i]) == n && strncmp(line, c->modules[i], n) == 0;
			line = strchr(line, '\n');
			if (line)
				line++;
		}
	}
	free(mods);
	return r;
}

/* One finding, with the strings its component and detail point to. */
struct finding {
	struct kit_component c;
	char *detail;
	char *driver, *device;
	json_int_t events; /* -1: not shown */
};

static void finding_set(struct finding *f, enum kit_comp_state s, const char *driver, const char *device, char *detail)
{
	f->c.state = s;
	f->driver = driver ? cv_xstrdup(driver) : NULL;
	f->device = device ? cv_xstrdup(device) : NULL;
	f->detail = detail;
	f->c.detail = detail;
}

/*
 * Sum of the vmbus device's channels' events counters; -1 if not shown.
 * A channel signalling through the monitor page (storage, network: the
 * ones with a monitor_id or latency file, sysfs-bus-vmbus) does not count
 * its signals there (vmbus_setevent(), drivers/hv/channel.c): left out.
 */
static json_int_t vmbus_events(struct cv_root *root, const char *dev)
{
	char *dir = cv_xasprintf("sys/bus/vmbus/devices/%s/channels", dev);
	struct cv_strv ch;
	json_int_t sum = -1;

	cv_strv_init(&ch);
	if (cv_root_list(root, dir, &ch) == 0)
		for (size_t i = 0; i < ch.n && i < 64; i++) {
			char *path = cv_xasprintf("%s/%s/events", dir, ch.v[i]), *s = NULL;
			char *mon = cv_xasprintf("%s/%s/monitor_id", dir, ch.v[i]);
			char *lat = cv_xasprintf("%s/%s/latency", dir, ch.v[i]);
			bool monitored = cv_root_exists(root, mon) || cv_root_exists(root, lat);
			uint64_t v;

			free(mon);
			free(lat);
			if (monitored) {
				free(path);
				continue;
			}

			if (cv_root_read_line(root, path, &s) == 0 && cv_parse_u64(s, 10, &v) == 0 && v < INT64_MAX / 2)
				sum = (sum < 0 ? 0 : sum) + (json_int_t)v;
			free(s);
			free(path);
		}
	cv_strv_release(&ch);
	free(dir);
	return sum;
}

static void find_component(struct cv_root *root, const struct descriptor *d, struct bus *cache, size_t *n_cache,
			   const struct probe_component *c, struct finding *f)
{
	const struct bus *b;
	size_t ci = class_index(c->name);
	const struct bus_dev *offered = NULL;
	bool registered = false;

	f->c.name = c->name;
	f->events = -1;
	if (c->kind != PROBE_COMPONENT_DRIVER) {
		bool present = cv_strv_contains(&d->integration.present, c->name);

		finding_set(f, present ? KIT_COMP_PRESENT : KIT_COMP_ABSENT, NULL, NULL,
			    present ? NULL : cv_xstrdup("not found"));
		return;
	}
	b = bus_get(root, cache, n_cache, c->bus);
	for (size_t i = 0; b && i < b->n; i++)
		if (has_driver(c, b->v[i].driver)) {
			finding_set(f, KIT_COMP_BOUND, b->v[i].driver, b->v[i].name, NULL);
			return;
		}
	for (size_t k = 0; k < PROBE_COMPONENT_MAX_NAMES && c->drivers[k] && !registered; k++) {
		char *dir = cv_xasprintf("sys/bus/%s/drivers/%s", c->bus, c->drivers[k]);

		registered = cv_root_exists(root, dir);
		free(dir);
	}
	if (!registered && module_loaded(root, c)) {
		finding_set(f, KIT_COMP_NOT_SHOWN, NULL, NULL,
			    cv_xasprintf("module loaded; it registers no driver on the %s bus, so binding is not shown",
					 c->bus));
		return;
	}
	for (size_t i = 0; b && ci != SIZE_MAX && i < b->n && !offered; i++)
		if (of_class(ci, b->v[i].class))
			offered = &b->v[i];
	if (offered) {
		finding_set(f, KIT_COMP_OFFERED_UNBOUND, offered->driver, offered->name,
			    cv_xasprintf("the host offers %s device %s; %s%s", c->bus, offered->name,
					 offered->driver ? "it is bound to " : "no driver is bound to it",
					 offered->driver ? offered->driver : ""));
		return;
	}
	if (b && b->classes_shown && ci != SIZE_MAX) {
		if (device_classes[ci].host_optional)
			finding_set(f, KIT_COMP_NOT_OFFERED, NULL, NULL,
				    cv_xasprintf("the host offers no such %s device (not enabled for this VM)", c->bus));
		else
			finding_set(f, KIT_COMP_ABSENT, NULL, NULL,
				    cv_xasprintf("the host offers no %s device of its class%s", c->bus,
						 registered ? ", and its driver is bound to nothing" : ""));
		return;
	}
	if (registered)
		finding_set(f, KIT_COMP_UNBOUND, NULL, NULL,
			    cv_xasprintf("its driver is registered on the %s bus, bound to no device", c->bus));
	else
		finding_set(f, KIT_COMP_ABSENT, NULL, NULL, cv_xstrdup("no driver loaded and no device bound"));
}

/* The Hyper-V utility services, each offered or not, bound, answering. */
static size_t find_services(struct cv_root *root, const struct bus *vmbus, bool expected, struct finding *out)
{
	bool classes_shown = false;
	size_t n = 0;

	for (size_t i = 0; vmbus && i < vmbus->n; i++)
		classes_shown |= vmbus->v[i].class != NULL;
	for (size_t s = 0; s < CV_ELEMENTSOF(hv_services); s++) {
		struct finding *f = &out[n++];
		const struct bus_dev *dev = NULL;

		*f = (struct finding){ .events = -1 };
		f->c.name = hv_services[s].service;
		for (size_t i = 0; vmbus && i < vmbus->n && !dev; i++)
			if (cv_streq(vmbus->v[i].class, hv_services[s].guid))
				dev = &vmbus->v[i];
		if (!dev && !classes_shown) {
			finding_set(f, KIT_COMP_NOT_SHOWN, NULL, NULL,
				    cv_xstrdup("the kernel shows no vmbus device classes (class_id, 2.6.31+)"));
			continue;
		}
		if (!dev) {
			finding_set(f, KIT_COMP_NOT_OFFERED, NULL, NULL, cv_xstrdup("not offered by the host"));
			continue;
		}
		f->events = vmbus_events(root, dev->name);
		if (!cv_streq(dev->driver, "hv_utils") && !cv_streq(dev->driver, "hv_util"))
			finding_set(f, KIT_COMP_OFFERED_UNBOUND, dev->driver, dev->name,
				    cv_xasprintf("the host offers vmbus device %s; %s%s", dev->name,
						 dev->driver ? "it is bound to " : "hv_utils is not bound to it",
						 dev->driver ? dev->driver : ""));
		else if (f->events == 0)
			finding_set(f, KIT_COMP_SILENT, dev->driver, dev->name,
				    cv_xasprintf("bound to %s on %s, but it never signalled the host (0 channel events)",
						 dev->driver, dev->name));
		else
			finding_set(f, KIT_COMP_BOUND, dev->driver, dev->name, NULL);
		/* Where the era has no hv_utils, its services are only reported. */
		if (!expected && kit_comp_state_fails(f->c.state)) {
			char *d = cv_xasprintf("%s; not expected of this guest's era", f->detail);

			free(f->detail);
			f->detail = d;
			f->c.detail = d;
			f->c.state = KIT_COMP_NOT_SHOWN;
		}
	}
	return n;
}

static json_t *kvp_daemon(struct cv_root *root)
{
	struct cv_strv procs;
	const char *running = NULL;
	json_t *j = json_object();
	int pools = 0;

	cv_strv_init(&procs);
	if (cv_root_list(root, "proc", &procs) == 0)
		for (size_t i = 0; i < procs.n && i < PROCS_MAX && !running; i++) {
			char *path, *comm = NULL;

			if (procs.v[i][0] < '0' || procs.v[i][0] > '9')
				continue;
			path = cv_xasprintf("proc/%s/comm", procs.v[i]);
			if (cv_root_read_line(root, path, &comm) == 0)
				for (size_t k = 0; k < CV_ELEMENTSOF(kvp_daemons); k++)
					if (strcmp(comm, kvp_daemons[k]) == 0)
						running = kvp_daemons[k];
			free(comm);
			free(path);
		}
	for (int i = 0; i < 5; i++) {
		char *path = cv_xasprintf("var/lib/hyperv/.kvp_pool_%d", i);

		pools += cv_root_exists(root, path);
		free(path);
	}
	json_object_set_new(j, "running", json_boolean(running != NULL));
	json_object_set_new(j, "process", running ? json_string(running) : json_null());
	json_object_set_new(j, "pool_files", json_integer(pools));
	cv_strv_release(&procs);
	return j;
}

static json_t *finding_json(const struct finding *f, const char *key)
{
	json_t *j = json_object();

	json_object_set_new(j, key, json_string(f->c.name));
	json_object_set_new(j, "state", json_string(kit_comp_state_name(f->c.state)));
	json_object_set_new(j, "driver", kit_json_str(f->driver));
	json_object_set_new(j, "device", kit_json_str(f->device));
	if (f->events >= 0 || strcmp(key, "service") == 0)
		json_object_set_new(j, "events", f->events >= 0 ? json_integer(f->events) : json_null());
	json_object_set_new(j, "detail", kit_json_str(f->detail));
	return j;
}

void kit_check_kernel_pv_drivers(const struct kit_ctx *ctx, struct kit_out *out)
{
	const struct descriptor *d = ctx->d;
	const size_t n_exp = d->integration.expected.n, n_svc = CV_ELEMENTSOF(hv_services);
	struct finding *f = cv_xcalloc(n_exp + n_svc + 1, sizeof(*f));
	struct kit_component *c = cv_xcalloc(n_exp + n_svc + 1, sizeof(*c));
	struct bus cache[MAX_BUSES];
	struct cv_root *root = NULL;
	struct cv_strv missing, unbound, states;
	json_t *components = json_array(), *services = NULL;
	size_t n = 0, n_cache = 0, n_c = 0;
	bool hyperv = cv_streq(d->hypervisor.id, "microsoft");
	struct kit_verdict v;
	int r;

	cv_strv_init(&missing);
	cv_strv_init(&unbound);
	cv_strv_init(&states);
	r = kit_root_open(ctx, &root);
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot open %s: %s", ctx->sysroot ? ctx->sysroot : "/", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n_exp; i++) {
		const struct probe_component *ic = probe_component(d->integration.expected.v[i]);

		if (!ic)
			continue;
		find_component(root, d, cache, &n_cache, ic, &f[n]);
		json_array_append_new(components, finding_json(&f[n], "name"));
		c[n_c++] = f[n].c;
		if (kit_comp_state_fails(f[n].c.state))
			cv_strv_push(&missing, f[n].c.name);
		if (f[n].c.state == KIT_COMP_UNBOUND || f[n].c.state == KIT_COMP_OFFERED_UNBOUND)
			cv_strv_push(&unbound, f[n].c.name);
		n++;
	}
	if (hyperv) {
		const struct bus *vmbus = bus_get(root, cache, &n_cache, "vmbus");
		size_t first = n;

		services = json_array();
		n += find_services(root, vmbus, cv_strv_contains(&d->integration.expected, "utils"), &f[n]);
		for (size_t i = first; i < n; i++) {
			char *name = cv_xasprintf("utils/%s", f[i].c.name);

			json_array_append_new(services, finding_json(&f[i], "service"));
			/* What the host does not offer is in measured, not in the reason. */
			if (f[i].c.state == KIT_COMP_NOT_OFFERED) {
				free(name);
				continue;
			}
			cv_strv_push_take(&states, name); /* owns the name c[] points to */
			c[n_c] = f[i].c;
			c[n_c++].name = states.v[states.n - 1];
			if (kit_comp_state_fails(f[i].c.state))
				cv_strv_push(&missing, states.v[states.n - 1]);
		}
	}
	json_object_set_new(out->measured, "hypervisor", kit_json_str(d->hypervisor.id));
	json_object_set_new(out->measured, "components", components);
	components = NULL;
	if (services) {
		json_object_set_new(out->measured, "hv_services", services);
		json_object_set_new(out->measured, "kvp_daemon", kvp_daemon(root));
	}
	json_object_set_new(out->measured, "present", kit_json_strv(&d->integration.present));
	json_object_set_new(out->measured, "missing", kit_json_strv(&missing));
	json_object_set_new(out->measured, "unbound", kit_json_strv(&unbound));
	json_object_set_new(out->measured, "recommended_missing", kit_json_strv(&d->integration.recommended_missing));
	json_object_set_new(out->threshold, "expected", kit_json_strv(&d->integration.expected));
	json_object_set_new(out->threshold, "recommended", kit_json_strv(&d->integration.recommended));
	{
		json_t *failing = json_array();

		for (int s = 0; s < KIT_COMP__MAX; s++)
			if (kit_comp_state_fails((enum kit_comp_state)s))
				json_array_append_new(failing, json_string(kit_comp_state_name((enum kit_comp_state)s)));
		json_object_set_new(out->threshold, "failing_states", failing);
	}
	kit_decide_components(d->hypervisor.id, c, n_c, &v);
	kit_apply(out, &v);
out:
	json_decref(components);
	for (size_t i = 0; i < n_cache; i++)
		bus_release(&cache[i]);
	for (size_t i = 0; i < n; i++) {
		free(f[i].detail);
		free(f[i].driver);
		free(f[i].device);
	}
	free(f);
	free(c);
	cv_strv_release(&missing);
	cv_strv_release(&unbound);
	cv_strv_release(&states);
	cv_root_free(root);
}
