/*
 * pci-vendors.c - the PCI vendor ids only a hypervisor's devices carry
 * (see pci-vendors.h).
 */
#include "probe/pci-vendors.h"

#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

#define VENDOR_VIRTIO 0x1af4

static const struct {
	uint32_t vendor;
	const char *id;
	const char *what;
} pci_vendors[] = {
	{ VENDOR_VIRTIO, "vm", "virtio (Red Hat/Qumranet vendor id): KVM/QEMU, bhyve, Firecracker, clouds" },
	{ 0x1b36, "qemu", "Red Hat QEMU device" },
	{ 0x15ad, "vmware", "VMware virtual device" },
	{ 0x1414, "microsoft", "Microsoft Hyper-V virtual device" },
	{ 0x80ee, "oracle", "VirtualBox virtual device (InnoTek)" },
	{ 0x5853, "xen", "Xen platform device (XenSource)" },
	{ 0x1ab8, "parallels", "Parallels virtual device" },
	{ 0x1d0f, "amazon", "Amazon device (ENA, EBS NVMe): Nitro" },
	{ 0x1ae0, "google", "Google virtual device (gVNIC, persistent disk)" },
	{ 0x1275, "bhyve", "bhyve host bridge (NetApp vendor id)" },
};

_Static_assert(CV_ELEMENTSOF(pci_vendors) <= PROBE_PCI_VENDORS_MAX, "PROBE_PCI_VENDORS_MAX too small");

int probe_pci_vendor_index(uint32_t vendor)
{
	for (size_t k = 0; k < CV_ELEMENTSOF(pci_vendors); k++)
		if (pci_vendors[k].vendor == vendor)
			return (int)k;
	return -1;
}

void probe_pci_vendor_evidence(struct probe_ctx *ctx, size_t k, size_t count, const char *source)
{
	char *v;

	if (k >= CV_ELEMENTSOF(pci_vendors) || count == 0)
		return;
	v = cv_xasprintf("0x%04x (%zu device%s)", pci_vendors[k].vendor, count, count > 1 ? "s" : "");
	probe_evidence(ctx, SIG_BUS, source, v, pci_vendors[k].what, pci_vendors[k].id);
	if (pci_vendors[k].vendor == VENDOR_VIRTIO)
		ctx->have_virtio = true;
	free(v);
}
