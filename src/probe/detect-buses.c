/*
 * detect-buses.c - devices only one kind of hypervisor makes (PCI vendor
 * ids, VMBus, virtio, Xen's bus) and the machine's disks and NICs with
 * the drivers bound to them.
 *
 * Drivers are read from sysfs links (device/driver), not from
 * /proc/modules, because built-in drivers never appear there: this very
 * build machine has no /proc/modules at all.
 */
#include "probe/pci-vendors.h"
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

/* Driver names that are not the module name users know. */
static const struct {
	const char *driver;
	const char *module;
} driver_aliases[] = {
	{ "vbd", "xen-blkfront" },
	{ "vif", "xen-netfront" },
};

static const char *driver_name(const char *d)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(driver_aliases); i++)
		if (strcmp(driver_aliases[i].driver, d) == 0)
			return driver_aliases[i].module;
	return d;
}

/*
 * Walks from a device directory up to sys/devices and reports the first
 * driver that is not a generic upper-layer one (sd, sr): that is the
 * driver that talks to the hypervisor's device (storvsc, virtio_blk,
 * vmw_pvscsi, ata_piix).
 */
static void device_walk(struct probe_ctx *ctx, const char *devpath, char **ret_driver, char **ret_bus,
			char **ret_model)
{
	char *path = cv_xstrdup(devpath);

	*ret_driver = *ret_bus = *ret_model = NULL;
	while (cv_startswith(path, "sys/devices/") && strlen(path) > strlen("sys/devices/")) {
		char *link = cv_xasprintf("%s/driver", path);
		char *drv = NULL, *slash;

		if (cv_root_readlink_base(ctx->root, link, &drv) == 0 && strcmp(drv, "sd") != 0 &&
		    strcmp(drv, "sr") != 0) {
			char *sub = cv_xasprintf("%s/subsystem", path);

			*ret_driver = cv_xstrdup(driver_name(drv));
			if (cv_root_readlink_base(ctx->root, sub, ret_bus) < 0)
				*ret_bus = NULL;
			if (cv_streq(*ret_bus, "pci")) {
				char *vp = cv_xasprintf("%s/vendor", path), *dp = cv_xasprintf("%s/device", path);
				char *v = probe_read_value(ctx, vp), *dv = probe_read_value(ctx, dp);

				if (v && dv)
					*ret_model = cv_xasprintf("%s:%s", v, dv);
				free(v);
				free(dv);
				free(vp);
				free(dp);
			}
			free(sub);
			free(drv);
			free(link);
			break;
		}
		free(drv);
		free(link);
		slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	free(path);
}

static bool skip_block(const char *name)
{
	static const char *const prefixes[] = { "loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "nullb" };

	for (size_t i = 0; i < CV_ELEMENTSOF(prefixes); i++)
		if (cv_startswith(name, prefixes[i]))
			return true;
	return false;
}

static void list_class(struct probe_ctx *ctx, const char *classdir, bool disks)
{
	struct cv_strv names;

	if (cv_root_list(ctx->root, classdir, &names) < 0)
		return;
	for (size_t i = 0; i < names.n && i < 256; i++) {
		char *link = cv_xasprintf("%s/%s", classdir, names.v[i]);
		char *target = NULL, *dev, *drv, *bus, *model;

		if ((disks && skip_block(names.v[i])) || (!disks && strcmp(names.v[i], "lo") == 0) ||
		    cv_root_readlink(ctx->root, link, &target) < 0) {
			free(link);
			continue;
		}
		dev = cv_path_resolve(classdir, target);
		if (!strstr(dev, "/virtual/")) {
			device_walk(ctx, dev, &drv, &bus, &model);
			device_add(disks ? &ctx->d->vm.disks : &ctx->d->vm.nics, names.v[i], drv, bus, model);
			free(drv);
			free(bus);
			free(model);
		}
		free(dev);
		free(target);
		free(link);
	}
	cv_strv_release(&names);
}

static void pci(struct probe_ctx *ctx)
{
	size_t counts[PROBE_PCI_VENDORS_MAX] = { 0 };
	char *first[PROBE_PCI_VENDORS_MAX] = { NULL };
	struct cv_strv devs;

	if (cv_root_list(ctx->root, "sys/bus/pci/devices", &devs) < 0)
		return;
	ctx->have_pci = devs.n > 0;
	for (size_t i = 0; i < devs.n && i < 1024; i++) {
		char *path = cv_xasprintf("sys/bus/pci/devices/%s/vendor", devs.v[i]);
		char *v = probe_read_value(ctx, path);
		uint64_t vendor;
		int k;

		if (v && cv_parse_u64(v, 16, &vendor) == 0 && vendor <= UINT32_MAX &&
		    (k = probe_pci_vendor_index((uint32_t)vendor)) >= 0 && !counts[k]++)
			first[k] = cv_xasprintf("/%s", path);
		free(v);
		free(path);
	}
	for (size_t k = 0; k < PROBE_PCI_VENDORS_MAX; k++) {
		probe_pci_vendor_evidence(ctx, k, counts[k], first[k]);
		free(first[k]);
	}
	cv_strv_release(&devs);
}

static void bus_count(struct probe_ctx *ctx, const char *dir, const char *id, const char *what, bool *flag)
{
	struct cv_strv devs;
	char *v, *src;

	if (cv_root_list(ctx->root, dir, &devs) < 0)
		return;
	if (devs.n) {
		v = cv_xasprintf("%zu device%s", devs.n, devs.n > 1 ? "s" : "");
		src = cv_xasprintf("/%s", dir);
		probe_evidence(ctx, SIG_BUS, src, v, what, id);
		if (flag)
			*flag = true;
		free(v);
		free(src);
	}
	cv_strv_release(&devs);
}

/*
 * Xen's bus (/sys/bus/xen) without devices (those are counted by
 * bus_count()).  Frontend drivers registered on it mean a Xen guest as well, since
 * they register only when the kernel runs on Xen (xlblk_init() and
 * netif_init() return -ENODEV unless xen_domain()).  An empty bus is weaker:
 * a kernel with Xen support built in registers it on any machine
 * (xenbus_probe_frontend_init() does not ask), but then it registers the
 * backend bus (/sys/bus/xen-backend) beside it.  The frontend bus alone is
 * the PV-on-HVM drivers of a Xen HVM guest, virt-what's test on ia64,
 * where nothing else tells (no CPUID, no device tree); it is believed only
 * where neither exists to say otherwise: not with CPUID (x86 HVM guests set
 * the hypervisor bit and a signature) and not on arm (Xen describes itself
 * in the device tree's /hypervisor node).
 */
static void xen_empty_bus(struct probe_ctx *ctx)
{
	struct cv_strv drivers = { 0 };
	bool arm;

	if (!cv_root_exists(ctx->root, "sys/bus/xen"))
		return;
	if (cv_root_list(ctx->root, "sys/bus/xen/drivers", &drivers) >= 0 && drivers.n > 0) {
		char *v = cv_strv_join(&drivers, " ");

		probe_evidence(ctx, SIG_BUS, "/sys/bus/xen/drivers", v,
			       "Xen frontend drivers registered: they register only on Xen", "xen");
		free(v);
		goto out;
	}
	if (cv_root_exists(ctx->root, "sys/bus/xen-backend")) {
		probe_info(ctx, "/sys/bus/xen", "empty, with /sys/bus/xen-backend",
			   "a kernel built with Xen support; nothing on its bus");
		goto out;
	}
	arm = ctx->kernel_arch && (cv_startswith(ctx->kernel_arch, "arm") || cv_startswith(ctx->kernel_arch, "aarch64"));
	if (ctx->have_cpuid || arm)
		probe_info(ctx, "/sys/bus/xen", "empty, without /sys/bus/xen-backend",
			   "Xen's frontend bus with nothing on it; CPUID or the device tree would name Xen here");
	else
		probe_evidence(ctx, SIG_BUS, "/sys/bus/xen", "present, without /sys/bus/xen-backend",
			       "Xen's frontend bus without its backend bus: PV-on-HVM drivers in a Xen HVM guest", "xen");
out:
	cv_strv_release(&drivers);
}

void probe_buses(struct probe_ctx *ctx)
{
	bool xen_devices = false;

	pci(ctx);
	bus_count(ctx, "sys/bus/vmbus/devices", "microsoft", "VMBus devices: Hyper-V's synthetic device bus",
		  &ctx->have_vmbus);
	bus_count(ctx, "sys/bus/virtio/devices", "vm", "virtio devices (on PCI or MMIO)", &ctx->have_virtio);
	bus_count(ctx, "sys/bus/xen/devices", "xen", "Xen bus devices (xenbus frontends)", &xen_devices);
	if (!xen_devices)
		xen_empty_bus(ctx);
	list_class(ctx, "sys/block", true);
	list_class(ctx, "sys/class/net", false);
}
