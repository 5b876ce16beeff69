/*
 * test-probe-integration.c - the era table of integration components
 * (src/probe/integration-table.c) and how the probe reads binding.
 *
 * Expected values follow the table's sources (docs/probe.md): LIC v2 on
 * Windows Server 2008 gives vmbus, storvsc, netvsc; hv_utils from 2.6.34;
 * hv_balloon needs a 2008 R2 SP1 host (build 7601) and a 3.9 kernel;
 * agents are recommended, never expected.
 */
#include <strings.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "covalid/version.h"
#include "probe/integration.h"
#include "probe-fixture.h"
#include "tap.h"

static char *expected_of(const char *hv, const char *product, int build, const char *kernel, char **ret_rec)
{
	struct integ_guest g = { hv, product, build >= 0, build >= 0 ? (uint32_t)build : 0, kernel };
	struct cv_strv e, r;
	char *s;

	cv_strv_init(&e);
	cv_strv_init(&r);
	probe_integ_expect(&g, &e, &r);
	s = cv_strv_join(&e, " ");
	*ret_rec = cv_strv_join(&r, " ");
	cv_strv_release(&e);
	cv_strv_release(&r);
	return s;
}

static void want(const char *hv, const char *product, int build, const char *kernel, const char *expected,
		 const char *recommended)
{
	char *rec, *exp = expected_of(hv, product, build, kernel, &rec);

	if (strcmp(exp, expected) != 0 || strcmp(rec, recommended) != 0)
		tap_fail(__FILE__, __LINE__, "%s build %d kernel %s: expected '%s' recommended '%s', want '%s' / '%s'", hv,
			 build, kernel ? kernel : "(unknown)", exp, rec, expected, recommended);
	free(exp);
	free(rec);
}

TEST(every_row_is_known_sourced_and_parses)
{
	size_t n;
	const struct integ_profile *p = probe_integ_profiles(&n);

	CHECK(n > 0);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < INTEG_MAX_ROWS && p[i].rows[k].component; k++) {
			const struct integ_row *row = &p[i].rows[k];
			uint64_t v;

			if (!probe_component(row->component))
				tap_fail(__FILE__, __LINE__, "%s: unknown component %s", p[i].hypervisor, row->component);
			if (!row->source || strlen(row->source) < 20)
				tap_fail(__FILE__, __LINE__, "%s %s: no source", p[i].hypervisor, row->component);
			if (row->kernel_min && version_parse(row->kernel_min, &v) < 0)
				tap_fail(__FILE__, __LINE__, "%s %s: bad kernel_min", p[i].hypervisor, row->component);
			if (row->kernel_below && version_parse(row->kernel_below, &v) < 0)
				tap_fail(__FILE__, __LINE__, "%s %s: bad kernel_below", p[i].hypervisor, row->component);
			/* An agent is never expected (issue 10). */
			if (probe_component(row->component) &&
			    probe_component(row->component)->kind == PROBE_COMPONENT_AGENT)
				CHECK_INT(row->want, INTEG_RECOMMENDED);
		}
}

TEST(hyperv_by_host_build_and_kernel)
{
	/* RHEL 5.2 / 5.3 with LIC v2 on Windows Server 2008 (6001, 6002). */
	want("microsoft", "Windows Server 2008 Hyper-V", 6001, "2.6.18-92.el5", "vmbus storvsc netvsc", "");
	want("microsoft", "Windows Server 2008 Hyper-V", 6002, "2.6.18-128.el5", "vmbus storvsc netvsc", "");
	/* hv_utils from 2.6.34, on any host; no balloon before build 7601. */
	want("microsoft", "Windows Server 2008 Hyper-V", 6002, "2.6.34", "vmbus storvsc netvsc utils", "");
	want("microsoft", "Windows Server 2008 R2 Hyper-V", 7600, "3.10.0-1160.el7.x86_64", "vmbus storvsc netvsc utils",
	     "kvp_daemon");
	want("microsoft", "Windows Server 2008 R2 Hyper-V", 7601, "3.10.0-1160.el7.x86_64",
	     "vmbus storvsc netvsc utils balloon", "kvp_daemon");
	/* A 2.6.32 kernel (RHEL 6) on 2012 R2: before hv_utils and hv_balloon. */
	want("microsoft", "Windows Server 2012 R2 Hyper-V", 9600, "2.6.32-431.el6.x86_64", "vmbus storvsc netvsc", "");
	want("microsoft", "Windows Server 2022 Hyper-V", 20348, "5.15.0-1051-azure", "vmbus storvsc netvsc utils balloon",
	     "kvp_daemon");
	/* Unknown host build: the balloon row cannot apply. */
	want("microsoft", "Microsoft Hyper-V", -1, "5.15.0", "vmbus storvsc netvsc utils", "kvp_daemon");
	/* Unknown kernel: only the rows without a kernel floor. */
	want("microsoft", "Microsoft Hyper-V", 20348, NULL, "vmbus storvsc netvsc", "");
}

TEST(agents_are_recommended_and_drivers_follow_the_kernel)
{
	want("kvm", "QEMU/KVM", -1, "5.14.0-284.11.1.el9_2.x86_64", "virtio_net virtio_storage virtio_balloon",
	     "qemu-guest-agent");
	/* Before virtio (2.6.24) a KVM guest has no paravirtual drivers to expect. */
	want("kvm", "QEMU/KVM", -1, "2.6.18-92.el5", "", "qemu-guest-agent");
	want("kvm", "QEMU/KVM", -1, "2.6.24", "virtio_net virtio_storage", "qemu-guest-agent");
	want("kvm", "Firecracker", -1, "6.1.102", "virtio_net virtio_storage", "");
	want("vmware", "VMware", -1, "3.0.101-63-default", "vmw_pvscsi vmxnet3 vmw_balloon", "open-vm-tools");
	want("vmware", "VMware", -1, "2.6.32", "vmxnet3", "open-vm-tools");
	want("vmware", "VMware", -1, "2.6.18-128.el5", "", "open-vm-tools");
	want("xen", "Xen PV", -1, "2.6.18-128.el5xen", "xen-blkfront xen-netfront", "");
	want("amazon", "AWS Nitro", -1, "6.1.61-85.141.amzn2023.x86_64", "ena nvme", "");
	want("amazon", "Amazon EC2 (Xen)", -1, "4.14.0", "xen-blkfront xen-netfront", "");
	want("oracle", "Oracle VM VirtualBox", -1, "4.15.0", "", "vboxguest");
	want("oracle", "Oracle VM VirtualBox", -1, "4.16", "vboxguest", "");
	want("none", NULL, -1, "6.1.0", "", "");
}

TEST(a_loaded_driver_bound_to_nothing_is_unbound_not_present)
{
	struct descriptor *d = probe_fixture("kvm-centos7-e1000");

	if (!d)
		return;
	CHECK(!cv_strv_contains(&d->integration.present, "virtio_net"));
	CHECK(cv_strv_contains(&d->integration.unbound, "virtio_net"));
	CHECK(cv_strv_contains(&d->integration.missing, "virtio_net"));
	CHECK(cv_strv_contains(&d->integration.present, "virtio_storage"));
	descriptor_free(d);
}

TEST(without_sys_bus_a_loaded_driver_is_present)
{
	struct descriptor *d = probe_fixture("hyperv2008-rhel53-modules-only");

	if (!d)
		return;
	CHECK(cv_strv_contains(&d->integration.present, "storvsc"));
	CHECK_INT((int)d->integration.unbound.n, 0);
	CHECK_INT((int)d->integration.missing.n, 0);
	descriptor_free(d);
}

/*
 * The Windows component table as covalid/probe.h gives it to the kit.
 * Expected names are the sources' (docs/probe.md, "Windows component
 * names"): virtio-win's viostor and vioscsi, Hyper-V's storvsc, VMware's
 * pvscsi, Xen's xenvbd are the storage drivers; the Hyper-V integration
 * services, QEMU-GA, VMTools and VMware's balloon driver vmmemctl bind no
 * device.
 */
TEST(windows_components_for_the_kit)
{
	static const char *const storage[][3] = {
		{ "storvsc", "storvsc", NULL },
		{ "virtio_storage", "viostor", "vioscsi" },
		{ "vmw_pvscsi", "pvscsi", NULL },
		{ "xen-blkfront", "xenvbd", NULL },
	};
	static const char *const deviceless[][2] = {
		{ "hv_heartbeat", "vmicheartbeat" }, { "hv_timesync", "vmictimesync" }, { "hv_shutdown", "vmicshutdown" },
		{ "hv_kvp", "vmickvpexchange" },     { "hv_vss", "vmicvss" },	     { "qemu-guest-agent", "qemu-ga" },
		{ "vmw_balloon", "vmmemctl" },	     { "open-vm-tools", "VMTools" },
	};
	struct probe_win_component c;
	size_t n_internal, i, n_storage = 0, n_deviceless = 0;
	const struct integ_win_component *w = probe_integ_win_components(&n_internal);

	for (i = 0; probe_win_component(i, &c); i++) {
		CHECK(i < n_internal);
		if (i >= n_internal)
			break;
		CHECK_STR(c.name, w[i].name);
		CHECK(c.device == (w[i].kind == INTEG_WIN_DEVICE));
		CHECK(c.n_services >= 1 && c.n_services <= PROBE_COMPONENT_MAX_NAMES);
		for (size_t k = i + 1; k < n_internal; k++)
			CHECK(strcmp(c.name, w[k].name) != 0);
		if (c.role == PROBE_WIN_STORAGE) {
			bool found = false;

			CHECK(c.device);
			for (size_t k = 0; k < CV_ELEMENTSOF(storage); k++)
				if (strcmp(storage[k][0], c.name) == 0) {
					found = true;
					CHECK_STR(c.services[0], storage[k][1]);
					if (storage[k][2])
						CHECK_STR(c.n_services > 1 ? c.services[1] : NULL, storage[k][2]);
				}
			if (!found)
				tap_fail(__FILE__, __LINE__, "storage component %s not expected", c.name);
			n_storage++;
		}
		if (!c.device) {
			bool found = false;

			for (size_t k = 0; k < CV_ELEMENTSOF(deviceless); k++)
				if (strcmp(deviceless[k][0], c.name) == 0) {
					found = true;
					CHECK(c.n_services == 1 && strcasecmp(c.services[0], deviceless[k][1]) == 0);
				}
			if (!found)
				tap_fail(__FILE__, __LINE__, "component %s without a device not expected", c.name);
			n_deviceless++;
		}
		if (c.role == PROBE_WIN_SERVICE || c.role == PROBE_WIN_AGENT)
			CHECK(!c.device);
	}
	CHECK_INT(i, n_internal);
	CHECK_INT(n_storage, CV_ELEMENTSOF(storage));
	CHECK_INT(n_deviceless, CV_ELEMENTSOF(deviceless));
	CHECK(!probe_win_component(n_internal, &c));
}

TAP_MAIN(every_row_is_known_sourced_and_parses, hyperv_by_host_build_and_kernel,
	 agents_are_recommended_and_drivers_follow_the_kernel, a_loaded_driver_bound_to_nothing_is_unbound_not_present,
	 without_sys_bus_a_loaded_driver_is_present, windows_components_for_the_kit)
