/*
 * detect-integration.c - the integration components ("enlightenments"):
 * paravirtual drivers and guest agents each hypervisor's guests should
 * have, and which of them this guest has.
 *
 * A component counts as present if any of its names shows as a module in
 * /proc/modules, as a driver registered on its bus (/sys/bus/X/drivers/Y:
 * this also catches built-in drivers, and this build machine has no
 * /proc/modules at all), as /sys/module/Y, or, for agents, as the agent's
 * binary.  Both the names of Microsoft's Linux Integration Components for
 * RHEL 5 (vmbus, storvsc, netvsc, blkvsc) and the upstream hv_* names are
 * known.
 */
#include "probe/probe-internal.h"
#include "util/cv.h"

#define MAX_NAMES 4

struct component {
	const char *name;
	const char *modules[MAX_NAMES];  /* module names */
	const char *drivers[MAX_NAMES];  /* "bus/driver" under /sys/bus */
	const char *files[MAX_NAMES];    /* agent binaries, relative to the root */
};

static const struct component components[] = {
	{ "vmbus", { "hv_vmbus", "vmbus" }, { NULL }, { "sys/bus/vmbus" } },
	{ "storvsc", { "hv_storvsc", "storvsc" }, { "vmbus/hv_storvsc", "vmbus/storvsc" }, { NULL } },
	{ "netvsc", { "hv_netvsc", "netvsc" }, { "vmbus/hv_netvsc", "vmbus/netvsc" }, { NULL } },
	{ "blkvsc", { "blkvsc", "hv_blkvsc" }, { "vmbus/blkvsc", "vmbus/hv_blkvsc" }, { NULL } },
	{ "utils", { "hv_utils", "hv_util" }, { "vmbus/hv_utils", "vmbus/hv_util" }, { NULL } },
	{ "balloon", { "hv_balloon" }, { "vmbus/hv_balloon" }, { NULL } },
	{ "kvp_daemon", { NULL }, { NULL },
	  { "usr/sbin/hv_kvp_daemon", "usr/sbin/hypervkvpd", "usr/libexec/hypervkvpd/hypervkvpd" } },
	{ "virtio_net", { "virtio_net" }, { "virtio/virtio_net" }, { NULL } },
	{ "virtio_storage", { "virtio_blk", "virtio_scsi" }, { "virtio/virtio_blk", "virtio/virtio_scsi" }, { NULL } },
	{ "virtio_balloon", { "virtio_balloon" }, { "virtio/virtio_balloon" }, { NULL } },
	{ "qemu-guest-agent", { NULL }, { NULL }, { "usr/bin/qemu-ga", "usr/sbin/qemu-ga" } },
	{ "vmw_pvscsi", { "vmw_pvscsi" }, { "pci/vmw_pvscsi" }, { NULL } },
	{ "vmxnet3", { "vmxnet3" }, { "pci/vmxnet3" }, { NULL } },
	{ "vmw_balloon", { "vmw_balloon" }, { NULL }, { NULL } },
	{ "open-vm-tools", { NULL }, { NULL }, { "usr/bin/vmtoolsd", "usr/sbin/vmtoolsd" } },
	{ "xen-blkfront", { "xen_blkfront" }, { "xen/vbd" }, { NULL } },
	{ "xen-netfront", { "xen_netfront" }, { "xen/vif" }, { NULL } },
	{ "vboxguest", { "vboxguest" }, { "pci/vboxguest" }, { NULL } },
	{ "ena", { "ena" }, { "pci/ena" }, { NULL } },
	{ "nvme", { "nvme" }, { "pci/nvme" }, { NULL } },
	{ "gve", { "gve" }, { "pci/gve" }, { NULL } },
};

#define MAX_EXPECTED 6

/* What each hypervisor's Linux guests are expected to have; the first
 * matching row applies (product prefix NULL matches any product). */
static const struct {
	const char *id;
	const char *product;
	const char *expected[MAX_EXPECTED];
} expectations[] = {
	{ "microsoft", NULL, { "vmbus", "storvsc", "netvsc", "utils", "balloon" } },
	{ "kvm", "Firecracker", { "virtio_net", "virtio_storage" } },
	{ "kvm", "Google", { "virtio_net", "virtio_storage" } },
	{ "kvm", NULL, { "virtio_net", "virtio_storage", "virtio_balloon", "qemu-guest-agent" } },
	{ "qemu", NULL, { "virtio_net", "virtio_storage", "virtio_balloon", "qemu-guest-agent" } },
	{ "google", NULL, { "virtio_net", "virtio_storage" } },
	{ "bhyve", NULL, { "virtio_net", "virtio_storage" } },
	{ "vmware", NULL, { "vmw_pvscsi", "vmxnet3", "vmw_balloon", "open-vm-tools" } },
	{ "xen", NULL, { "xen-blkfront", "xen-netfront" } },
	{ "amazon", NULL, { "ena", "nvme" } },
	{ "oracle", NULL, { "vboxguest" } },
};

static bool found(struct probe_ctx *ctx, const struct component *c, char **ret_source, char **ret_value)
{
	for (size_t i = 0; i < MAX_NAMES && c->modules[i]; i++)
		if (cv_strv_contains(&ctx->modules, c->modules[i])) {
			*ret_source = cv_xstrdup("/proc/modules");
			*ret_value = cv_xstrdup(c->modules[i]);
			return true;
		}
	for (size_t i = 0; i < MAX_NAMES && c->drivers[i]; i++) {
		const char *slash = strchr(c->drivers[i], '/');
		char *path = cv_xasprintf("sys/bus/%.*s/drivers/%s", (int)(slash - c->drivers[i]), c->drivers[i],
					  slash + 1);

		if (cv_root_exists(ctx->root, path)) {
			*ret_source = cv_xasprintf("/%s", path);
			*ret_value = cv_xstrdup(slash + 1);
			free(path);
			return true;
		}
		free(path);
	}
	for (size_t i = 0; i < MAX_NAMES && c->modules[i]; i++) {
		char *path = cv_xasprintf("sys/module/%s", c->modules[i]);

		if (cv_root_exists(ctx->root, path)) {
			*ret_source = cv_xasprintf("/%s", path);
			*ret_value = cv_xstrdup(c->modules[i]);
			free(path);
			return true;
		}
		free(path);
	}
	for (size_t i = 0; i < MAX_NAMES && c->files[i]; i++)
		if (cv_root_exists(ctx->root, c->files[i])) {
			*ret_source = cv_xasprintf("/%s", c->files[i]);
			*ret_value = cv_xstrdup("present");
			return true;
		}
	return false;
}

void probe_integration(struct probe_ctx *ctx)
{
	struct descriptor *d = ctx->d;
	const char *id = d->hypervisor.id;

	for (size_t i = 0; i < CV_ELEMENTSOF(components); i++) {
		char *src, *val;

		if (!found(ctx, &components[i], &src, &val))
			continue;
		cv_strv_push(&d->integration.present, components[i].name);
		evidence_add(&d->integration.evidence, src, val, components[i].name, NULL);
		free(src);
		free(val);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(expectations); i++) {
		if (!cv_streq(expectations[i].id, id))
			continue;
		if (expectations[i].product && !cv_startswith(d->hypervisor.product, expectations[i].product))
			continue;
		for (size_t k = 0; k < MAX_EXPECTED && expectations[i].expected[k]; k++) {
			cv_strv_push(&d->integration.expected, expectations[i].expected[k]);
			if (!cv_strv_contains(&d->integration.present, expectations[i].expected[k]))
				cv_strv_push(&d->integration.missing, expectations[i].expected[k]);
		}
		break;
	}
}
