/*
 * integration-table.c - the integration components and what each
 * hypervisor version's Linux guests should have (see integration.h).
 *
 * Why bounds at all: a RHEL 5.3 guest with the Linux Integration
 * Components 2.0 on Windows Server 2008 (the seed catalog's headline
 * configuration) has vmbus, storvsc and netvsc and nothing else, because
 * nothing else existed for it: hv_utils came with Linux Integration
 * Services 2.1 in 2010, and hv_balloon needs Dynamic Memory, which no host
 * offered before Windows Server 2008 R2 SP1.  Expecting today's set of
 * every guest fails the very configurations the program validates.
 *
 * Guest kernel bounds are mainline releases.  Distribution kernels
 * backport drivers (RHEL 5.9 carries Hyper-V drivers in a 2.6.18 kernel)
 * and vendor kits bring them to old kernels (LIS 4 builds hv_balloon for
 * RHEL 5); the probe cannot see which kit is installed, so an old kernel
 * is only expected to have what the era's kit always had.  A later
 * driver it does have shows in .present all the same.
 *
 * Sources are stated per row; "inferred" marks a bound not checked
 * against the release itself.  docs/probe.md carries the same table.
 */
#include "covalid/version.h"
#include "probe/integration.h"
#include "util/cv.h"

static const struct probe_component components[] = {
	/* Hyper-V.  The Linux Integration Components for RHEL 5 named their
	 * modules and drivers vmbus, storvsc, netvsc, blkvsc; mainline uses
	 * hv_vmbus, hv_storvsc, ... (LIS/lis-next hv-rhel5.x names its
	 * devices vmbus_0_N). */
	{ "vmbus", PROBE_COMPONENT_BUS, "vmbus", { "hv_vmbus", "vmbus" }, { NULL }, { NULL } },
	{ "storvsc", PROBE_COMPONENT_DRIVER, "vmbus", { "hv_storvsc", "storvsc" }, { "hv_storvsc", "storvsc" }, { NULL } },
	{ "netvsc", PROBE_COMPONENT_DRIVER, "vmbus", { "hv_netvsc", "netvsc" }, { "hv_netvsc", "netvsc" }, { NULL } },
	{ "blkvsc", PROBE_COMPONENT_DRIVER, "vmbus", { "blkvsc", "hv_blkvsc" }, { "blkvsc", "hv_blkvsc" }, { NULL } },
	/* Until it became a vmbus driver, hv_utils hooked its channels
	 * without registering on the bus (drivers/staging/hv/hv_utils.c,
	 * 2010): loaded, it is present with binding not shown. */
	{ "utils", PROBE_COMPONENT_DRIVER, "vmbus", { "hv_utils", "hv_util" }, { "hv_utils", "hv_util" }, { NULL } },
	{ "balloon", PROBE_COMPONENT_DRIVER, "vmbus", { "hv_balloon" }, { "hv_balloon" }, { NULL } },
	{ "kvp_daemon", PROBE_COMPONENT_AGENT, NULL, { NULL }, { NULL },
	  { "usr/sbin/hv_kvp_daemon", "usr/sbin/hypervkvpd", "usr/libexec/hypervkvpd/hypervkvpd" } },
	/* virtio */
	{ "virtio_net", PROBE_COMPONENT_DRIVER, "virtio", { "virtio_net" }, { "virtio_net" }, { NULL } },
	{ "virtio_storage", PROBE_COMPONENT_DRIVER, "virtio", { "virtio_blk", "virtio_scsi" }, { "virtio_blk", "virtio_scsi" },
	  { NULL } },
	{ "virtio_balloon", PROBE_COMPONENT_DRIVER, "virtio", { "virtio_balloon" }, { "virtio_balloon" }, { NULL } },
	{ "qemu-guest-agent", PROBE_COMPONENT_AGENT, NULL, { NULL }, { NULL }, { "usr/bin/qemu-ga", "usr/sbin/qemu-ga" } },
	/* VMware.  pvscsi and vmmemctl are the modules VMware Tools built
	 * before the mainline drivers existed (inferred). */
	{ "vmw_pvscsi", PROBE_COMPONENT_DRIVER, "pci", { "vmw_pvscsi", "pvscsi" }, { "vmw_pvscsi", "pvscsi" }, { NULL } },
	{ "vmxnet3", PROBE_COMPONENT_DRIVER, "pci", { "vmxnet3" }, { "vmxnet3" }, { NULL } },
	{ "vmw_balloon", PROBE_COMPONENT_MODULE, NULL, { "vmw_balloon", "vmmemctl" }, { NULL }, { NULL } },
	{ "open-vm-tools", PROBE_COMPONENT_AGENT, NULL, { NULL }, { NULL }, { "usr/bin/vmtoolsd", "usr/sbin/vmtoolsd" } },
	/* Xen: mainline xen_blkfront/xen_netfront; the XenLinux 2.6.18
	 * kernels (RHEL 5 kernel-xen) call them xenblk/xennet, RHEL 5's
	 * kmod-xenpv for HVM guests xen-vbd/xen-vnif (inferred).  All
	 * register as vbd and vif on the xen bus. */
	{ "xen-blkfront", PROBE_COMPONENT_DRIVER, "xen", { "xen_blkfront", "xenblk", "xen_vbd" }, { "vbd" }, { NULL } },
	{ "xen-netfront", PROBE_COMPONENT_DRIVER, "xen", { "xen_netfront", "xennet", "xen_vnif" }, { "vif" }, { NULL } },
	/* VirtualBox, AWS, Google */
	{ "vboxguest", PROBE_COMPONENT_DRIVER, "pci", { "vboxguest" }, { "vboxguest" }, { NULL } },
	{ "ena", PROBE_COMPONENT_DRIVER, "pci", { "ena" }, { "ena" }, { NULL } },
	{ "nvme", PROBE_COMPONENT_DRIVER, "pci", { "nvme" }, { "nvme" }, { NULL } },
	{ "gve", PROBE_COMPONENT_DRIVER, "pci", { "gve" }, { "gve" }, { NULL } },
};

/* Sources, shared by rows. */
#define SRC_LIC                                                                                                \
	"Linux Integration Components v2 for Hyper-V (RTM Oct 2009; Read Me of Jan 2010 adds RHEL 5.2-5.4): "  \
	"vmbus, storvsc, blkvsc, netvsc; mainline drivers/staging/hv since 2.6.32"
#define SRC_HV_UTILS                                                                                           \
	"hv_utils (shutdown, time sync, heartbeat): Linux Integration Services 2.1 (beta Mar 2010) for older "  \
	"kernels; mainline drivers/staging/hv/hv_utils.c (2010), first release 2.6.34 (inferred); speaks the "  \
	"Windows Server 2008 framework version too (UTIL_WS2K8_FW_VERSION)"
#define SRC_HV_BALLOON                                                                                         \
	"Dynamic Memory: hosts from Windows Server 2008 R2 SP1 (build 7601; hv_balloon.c "                     \
	"DYNMEM_PROTOCOL_VERSION_WIN7); mainline drivers/hv/hv_balloon.c, in 3.9-based trees (floor inferred)"
#define SRC_HV_KVP                                                                                             \
	"hv_kvp_daemon (hyperv-daemons): a user-space daemon, recommended; mainline tools/hv "                  \
	"(3.10 floor inferred)"
#define SRC_VIRTIO                                                                                             \
	"virtio (R. Russell, 'virtio: towards a de-facto standard for virtual I/O devices', 2008): "            \
	"virtio_net and virtio_blk mainline since 2.6.24"
#define SRC_VIRTIO_BALLOON "drivers/virtio/virtio_balloon.c (Copyright 2008): mainline since 2.6.25 (inferred)"
#define SRC_QGA "qemu-guest-agent: a user-space daemon the host talks to (QEMU 0.15 on), recommended, not a driver"
#define SRC_VMW_PVSCSI                                                                                         \
	"PVSCSI needs virtual hardware 7 (vSphere 4.0 documentation); drivers/scsi/vmw_pvscsi.c mainline "     \
	"since 2.6.33 (inferred); earlier kernels had VMware Tools' pvscsi"
#define SRC_VMXNET3 "drivers/net/vmxnet3 mainline since 2.6.32 (inferred); earlier kernels had VMware Tools' vmxnet3"
#define SRC_VMW_BALLOON                                                                                        \
	"VMware balloon driver posted to LKML in March 2010 (D. Torokhov); mainline since 2.6.34 (inferred); "  \
	"earlier kernels had VMware Tools' vmmemctl"
#define SRC_VMTOOLS "open-vm-tools / VMware Tools: user space, recommended (VMware KB 1006427 on time sync)"
#define SRC_XEN                                                                                                \
	"Xen guests cannot do I/O without blkfront/netfront: mainline xen-blkfront.c and xen-netfront.c "      \
	"(pv_ops); XenLinux 2.6.18 xenblk/xennet before them"
#define SRC_NITRO                                                                                              \
	"AWS Nitro presents EBS volumes as NVMe devices and its network as ENA (AWS documentation); ena "       \
	"mainline since 4.9, nvme since 3.3 (inferred)"
#define SRC_VBOX "vboxguest mainline since 4.16 (drivers/virt/vboxguest, inferred)"
#define SRC_VBOX_GA "before 4.16 the VirtualBox Guest Additions build vboxguest out of tree: recommended"

#define VIRTIO_CORE                                                                       \
	{ "virtio_net", INTEG_EXPECTED, 0, 0, "2.6.24", NULL, SRC_VIRTIO },               \
	{ "virtio_storage", INTEG_EXPECTED, 0, 0, "2.6.24", NULL, SRC_VIRTIO }

#define VIRTIO_QEMU                                                                          \
	VIRTIO_CORE,                                                                         \
	{ "virtio_balloon", INTEG_EXPECTED, 0, 0, "2.6.25", NULL, SRC_VIRTIO_BALLOON },      \
	{ "qemu-guest-agent", INTEG_RECOMMENDED, 0, 0, NULL, NULL, SRC_QGA }

#define XEN_FRONTS                                                               \
	{ "xen-blkfront", INTEG_EXPECTED, 0, 0, NULL, NULL, SRC_XEN },           \
	{ "xen-netfront", INTEG_EXPECTED, 0, 0, NULL, NULL, SRC_XEN }

/* The first profile matching the hypervisor and product applies. */
static const struct integ_profile profiles[] = {
	{ "microsoft", NULL, {
		/* Any host and any kernel: LIC for kernels before 2.6.32. */
		{ "vmbus", INTEG_EXPECTED, 0, 0, NULL, NULL, SRC_LIC },
		{ "storvsc", INTEG_EXPECTED, 0, 0, NULL, NULL, SRC_LIC },
		{ "netvsc", INTEG_EXPECTED, 0, 0, NULL, NULL, SRC_LIC },
		{ "utils", INTEG_EXPECTED, 0, 0, "2.6.34", NULL, SRC_HV_UTILS },
		{ "balloon", INTEG_EXPECTED, 7601, 0, "3.9", NULL, SRC_HV_BALLOON },
		{ "kvp_daemon", INTEG_RECOMMENDED, 0, 0, "3.10", NULL, SRC_HV_KVP },
	} },
	/* Firecracker offers virtio-net and virtio-block over MMIO only. */
	{ "kvm", "Firecracker", { VIRTIO_CORE } },
	{ "kvm", "Google", { VIRTIO_CORE } },
	{ "kvm", NULL, { VIRTIO_QEMU } },
	{ "qemu", NULL, { VIRTIO_QEMU } },
	{ "google", NULL, { VIRTIO_CORE } },
	{ "bhyve", NULL, { VIRTIO_CORE } },
	{ "vmware", NULL, {
		{ "vmw_pvscsi", INTEG_EXPECTED, 0, 0, "2.6.33", NULL, SRC_VMW_PVSCSI },
		{ "vmxnet3", INTEG_EXPECTED, 0, 0, "2.6.32", NULL, SRC_VMXNET3 },
		{ "vmw_balloon", INTEG_EXPECTED, 0, 0, "2.6.34", NULL, SRC_VMW_BALLOON },
		{ "open-vm-tools", INTEG_RECOMMENDED, 0, 0, NULL, NULL, SRC_VMTOOLS },
	} },
	{ "xen", NULL, { XEN_FRONTS } },
	/* Older EC2 instance types are Xen HVM guests. */
	{ "amazon", "Amazon EC2 (Xen)", { XEN_FRONTS } },
	{ "amazon", NULL, {
		{ "ena", INTEG_EXPECTED, 0, 0, "4.9", NULL, SRC_NITRO },
		{ "nvme", INTEG_EXPECTED, 0, 0, "3.3", NULL, SRC_NITRO },
	} },
	{ "oracle", NULL, {
		{ "vboxguest", INTEG_EXPECTED, 0, 0, "4.16", NULL, SRC_VBOX },
		{ "vboxguest", INTEG_RECOMMENDED, 0, 0, NULL, "4.16", SRC_VBOX_GA },
	} },
};

const struct probe_component *probe_components(size_t *ret_n)
{
	*ret_n = CV_ELEMENTSOF(components);
	return components;
}

const struct probe_component *probe_component(const char *name)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(components); i++)
		if (cv_streq(components[i].name, name))
			return &components[i];
	return NULL;
}

const struct integ_profile *probe_integ_profiles(size_t *ret_n)
{
	*ret_n = CV_ELEMENTSOF(profiles);
	return profiles;
}

const struct integ_profile *probe_integ_profile(const struct integ_guest *g)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(profiles); i++) {
		if (!cv_streq(profiles[i].hypervisor, g->hypervisor))
			continue;
		if (profiles[i].product && !cv_startswith(g->product, profiles[i].product))
			continue;
		return &profiles[i];
	}
	return NULL;
}

bool probe_integ_row_applies(const struct integ_row *row, const struct integ_guest *g)
{
	uint64_t kernel, bound;

	if (row->build_min || row->build_max) {
		if (!g->have_build)
			return false;
		if (row->build_min && g->build < row->build_min)
			return false;
		if (row->build_max && g->build > row->build_max)
			return false;
	}
	if (!row->kernel_min && !row->kernel_below)
		return true;
	if (version_parse(g->kernel, &kernel) < 0)
		return false;
	if (row->kernel_min && (version_parse(row->kernel_min, &bound) < 0 || kernel < bound))
		return false;
	if (row->kernel_below && (version_parse(row->kernel_below, &bound) < 0 || kernel >= bound))
		return false;
	return true;
}

void probe_integ_expect_profile(const struct integ_profile *p, const struct integ_guest *g,
				struct cv_strv *expected, struct cv_strv *recommended)
{
	for (size_t i = 0; p && i < INTEG_MAX_ROWS && p->rows[i].component; i++) {
		const struct integ_row *row = &p->rows[i];
		struct cv_strv *v = row->want == INTEG_EXPECTED ? expected : recommended;

		if (probe_integ_row_applies(row, g) && !cv_strv_contains(v, row->component))
			cv_strv_push(v, row->component);
	}
}

void probe_integ_expect(const struct integ_guest *g, struct cv_strv *expected, struct cv_strv *recommended)
{
	probe_integ_expect_profile(probe_integ_profile(g), g, expected, recommended);
}
