/*
 * integration-windows.c - the integration components of Windows guests
 * and what each hypervisor's Windows guests should have (see
 * integration.h).  docs/probe.md ("Windows") carries the same table.
 *
 * Canonical names are Linux's where the role is the same (virtio_net,
 * storvsc, vmxnet3 ...), so a catalog row that requires "virtio_net"
 * means the paravirtual NIC on either system.  Sources are stated per
 * component and per row; "inferred" marks what was not checked against
 * the shipped drivers themselves.
 */
#include "probe/integration.h"
#include "util/cv.h"

#define SRC_VIRTIO_WIN                                                                                         \
	"virtio-win (github.com/virtio-win/kvm-guest-drivers-windows): the INF files install the services "   \
	"netkvm (NetKVM), viostor (virtio-blk), vioscsi (virtio-scsi), BALLOON (Balloon), vioser (vioserial) "  \
	"(BALLOON and vioser inferred)"
#define SRC_QGA_WIN                                                                                            \
	"QEMU's guest agent for Windows runs as a service (qemu qga/service-win32.h QGA_SERVICE_NAME), "      \
	"installed by its MSI as QEMU-GA; recommended, not a driver"
#define SRC_HV_IC                                                                                              \
	"Microsoft, 'Hyper-V Integration Services' (learn.microsoft.com/virtualization/hyper-v-on-windows/"     \
	"reference/integration-services): vmicheartbeat, vmictimesync, vmicshutdown, vmickvpexchange, vmicvss"
#define SRC_HV_VSC                                                                                             \
	"Hyper-V integration services drivers: the services vmbus, storvsc, netvsc (the VMBus, synthetic "    \
	"storage and network drivers; in-box from Windows Server 2008 R2, from the host's vmguest.iso before) " \
	"(service names inferred from installed systems, not from a capture here)"
#define SRC_VMW_TOOLS_WIN                                                                                      \
	"VMware Tools for Windows: vmxnet3 (service vmxnet3ndis6 on NDIS 6, vmxnet3n61x86/x64 on NDIS 5.1), "  \
	"pvscsi, the balloon driver vmmemctl, the service VMTools (VMware KB 1001805 and KB 1010398 for the "  \
	"adapters; service names inferred)"
#define SRC_XEN_WIN                                                                                            \
	"Xen PV drivers for Windows (xenbits.xen.org/pvdrivers/win; Citrix XenServer PV tools): xennet, "     \
	"xenvbd over xenbus (inferred)"

#define SRC_VBOX_WIN                                                                                           \
	"VirtualBox Guest Additions for Windows: the VBoxGuest driver of the VirtualBox Guest Service PCI "   \
	"device 80ee:cafe (VirtualBox manual, chapter 4; service name inferred)"

static const struct integ_win_component components[] = {
	/* Hyper-V */
	{ "vmbus", INTEG_WIN_DEVICE, PROBE_WIN_DRIVER, { "vmbus" }, SRC_HV_VSC },
	{ "storvsc", INTEG_WIN_DEVICE, PROBE_WIN_STORAGE, { "storvsc" }, SRC_HV_VSC },
	{ "netvsc", INTEG_WIN_DEVICE, PROBE_WIN_NET, { "netvsc" }, SRC_HV_VSC },
	{ "hv_heartbeat", INTEG_WIN_SERVICE, PROBE_WIN_SERVICE, { "vmicheartbeat" }, SRC_HV_IC },
	{ "hv_timesync", INTEG_WIN_SERVICE, PROBE_WIN_SERVICE, { "vmictimesync" }, SRC_HV_IC },
	{ "hv_shutdown", INTEG_WIN_SERVICE, PROBE_WIN_SERVICE, { "vmicshutdown" }, SRC_HV_IC },
	{ "hv_kvp", INTEG_WIN_SERVICE, PROBE_WIN_SERVICE, { "vmickvpexchange" }, SRC_HV_IC },
	{ "hv_vss", INTEG_WIN_SERVICE, PROBE_WIN_SERVICE, { "vmicvss" }, SRC_HV_IC },
	/* virtio-win */
	{ "virtio_net", INTEG_WIN_DEVICE, PROBE_WIN_NET, { "netkvm" }, SRC_VIRTIO_WIN },
	{ "virtio_storage", INTEG_WIN_DEVICE, PROBE_WIN_STORAGE, { "viostor", "vioscsi" }, SRC_VIRTIO_WIN },
	{ "virtio_balloon", INTEG_WIN_DEVICE, PROBE_WIN_DRIVER, { "balloon" }, SRC_VIRTIO_WIN },
	{ "virtio_serial", INTEG_WIN_DEVICE, PROBE_WIN_DRIVER, { "vioser" }, SRC_VIRTIO_WIN },
	{ "qemu-guest-agent", INTEG_WIN_SERVICE, PROBE_WIN_AGENT, { "qemu-ga" }, SRC_QGA_WIN },
	/* VMware */
	{ "vmw_pvscsi", INTEG_WIN_DEVICE, PROBE_WIN_STORAGE, { "pvscsi" }, SRC_VMW_TOOLS_WIN },
	{ "vmxnet3", INTEG_WIN_DEVICE, PROBE_WIN_NET, { "vmxnet3ndis6", "vmxnet3n61x64", "vmxnet3n61x86" }, SRC_VMW_TOOLS_WIN },
	{ "vmw_balloon", INTEG_WIN_SERVICE, PROBE_WIN_DRIVER, { "vmmemctl" }, SRC_VMW_TOOLS_WIN },
	{ "open-vm-tools", INTEG_WIN_SERVICE, PROBE_WIN_AGENT, { "VMTools" }, SRC_VMW_TOOLS_WIN },
	/* Xen */
	{ "xen-blkfront", INTEG_WIN_DEVICE, PROBE_WIN_STORAGE, { "xenvbd" }, SRC_XEN_WIN },
	{ "xen-netfront", INTEG_WIN_DEVICE, PROBE_WIN_NET, { "xennet" }, SRC_XEN_WIN },
	/* VirtualBox */
	{ "vboxguest", INTEG_WIN_DEVICE, PROBE_WIN_DRIVER, { "VBoxGuest" }, SRC_VBOX_WIN },
};

/* Row sources. */
#define ROW_HV_VSC                                                                                             \
	"Hyper-V offers the synthetic devices to every guest with integration services, Windows Server 2003 "  \
	"SP2 on (TechNet, 'About Virtual Machines and Guest Operating Systems', Hyper-V in Windows Server 2008)"
#define ROW_HV_IC                                                                                              \
	"the five services ship in the integration services of every supported guest, Windows Server 2003 SP2 " \
	"on (Microsoft, 'Hyper-V Integration Services'; Backup (volume snapshot) on 2003 SP2 inferred)"
#define ROW_VIRTIO                                                                                             \
	"Red Hat ships WHQL-signed virtio-win network and block drivers for Windows XP, Server 2003 and 2008 " \
	"from Red Hat Enterprise Linux 5.4 (its KVM release; inferred from the release's notes)"
#define ROW_VIRTIO_REC                                                                                         \
	"Balloon and vioserial came to virtio-win after its first release, and the devices are optional in "   \
	"the VM's configuration: recommended (inferred)"
#define ROW_VMW                                                                                                \
	"vmxnet3 and PVSCSI need virtual hardware 7 (ESX 4.0, 2009); VMware Tools bring both and vmmemctl for " \
	"every Windows guest (VMware KB 1001805, KB 1010398)"

#define VIRTIO_WIN                                                                         \
	{ "virtio_net", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_VIRTIO },                    \
	{ "virtio_storage", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_VIRTIO },                \
	{ "virtio_balloon", INTEG_RECOMMENDED, 0, 0, NULL, NULL, ROW_VIRTIO_REC },         \
	{ "virtio_serial", INTEG_RECOMMENDED, 0, 0, NULL, NULL, ROW_VIRTIO_REC },          \
	{ "qemu-guest-agent", INTEG_RECOMMENDED, 0, 0, NULL, NULL, SRC_QGA_WIN }

static const struct integ_profile profiles[] = {
	{ "microsoft", NULL, {
		{ "vmbus", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_VSC },
		{ "storvsc", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_VSC },
		{ "netvsc", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_VSC },
		{ "hv_heartbeat", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_IC },
		{ "hv_timesync", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_IC },
		{ "hv_shutdown", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_IC },
		{ "hv_kvp", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_IC },
		{ "hv_vss", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_HV_IC },
	} },
	{ "kvm", NULL, { VIRTIO_WIN } },
	{ "qemu", NULL, { VIRTIO_WIN } },
	{ "vmware", NULL, {
		{ "vmw_pvscsi", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_VMW },
		{ "vmxnet3", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_VMW },
		{ "vmw_balloon", INTEG_EXPECTED, 0, 0, NULL, NULL, ROW_VMW },
		{ "open-vm-tools", INTEG_RECOMMENDED, 0, 0, NULL, NULL, SRC_VMW_TOOLS_WIN },
	} },
	{ "xen", NULL, {
		{ "xen-blkfront", INTEG_EXPECTED, 0, 0, NULL, NULL, SRC_XEN_WIN },
		{ "xen-netfront", INTEG_EXPECTED, 0, 0, NULL, NULL, SRC_XEN_WIN },
	} },
	/* Windows has no in-box VirtualBox driver: the Additions are
	 * recommended, as for Linux kernels before 4.16. */
	{ "oracle", NULL, {
		{ "vboxguest", INTEG_RECOMMENDED, 0, 0, NULL, NULL, SRC_VBOX_WIN },
	} },
};

const struct integ_win_component *probe_integ_win_components(size_t *ret_n)
{
	*ret_n = CV_ELEMENTSOF(components);
	return components;
}

bool probe_win_component(size_t i, struct probe_win_component *ret)
{
	size_t n = 0;

	if (i >= CV_ELEMENTSOF(components))
		return false;
	while (n < PROBE_COMPONENT_MAX_NAMES && components[i].services[n])
		n++;
	*ret = (struct probe_win_component){
		.name = components[i].name,
		.role = components[i].role,
		.device = components[i].kind == INTEG_WIN_DEVICE,
		.services = components[i].services,
		.n_services = n,
	};
	return true;
}

const struct integ_profile *probe_integ_win_profiles(size_t *ret_n)
{
	*ret_n = CV_ELEMENTSOF(profiles);
	return profiles;
}

const struct integ_profile *probe_integ_win_profile(const struct integ_guest *g)
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

void probe_integ_win_expect(const struct integ_guest *g, struct cv_strv *expected, struct cv_strv *recommended)
{
	probe_integ_expect_profile(probe_integ_win_profile(g), g, expected, recommended);
}
