/*
 * test-kit-env.c - kernel.pv_drivers and time.clocksource on the guests
 * issue 10 is about: the seed's RHEL 5.2/5.3 guests with the Linux
 * Integration Components on Windows Server 2008 pass both (their clock
 * named as the LIC/LIS kernels name it, hyperv_clocksource), while a
 * driver that is genuinely missing, or loaded and bound to nothing, still
 * fails, and a missing agent never does.
 *
 * The descriptors are the probe's own answers on the fixture machines
 * (tests/fixtures), fed to the real check function.
 */
#include <jansson.h>
#include <sys/auxv.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "covalid/version.h"
#include "kit/kit-internal.h"
#include "probe-fixture.h"
#include "tap.h"

/* Runs kernel.pv_drivers on the fixture's descriptor; returns the status
 * and copies the reason and the measured missing list. */
static enum kit_status pv_drivers(const char *fixture, char *reason, size_t size, char **ret_measured)
{
	struct kit_options opt = { 0 };
	struct descriptor *d = probe_fixture(fixture);
	char *root = cv_xasprintf("%s/tests/fixtures/%s/root", tap_srcdir(), fixture);
	struct kit_ctx ctx = { .opt = &opt, .d = d, .tmpdir = tap_tmpdir(), .sysroot = root };
	struct kit_out out = { KIT_ERROR, "the check set no result", json_object(), json_object() };
	enum kit_status s;

	if (!d) {
		json_decref(out.measured);
		json_decref(out.threshold);
		free(root);
		return KIT_ERROR;
	}
	/* The check reads the buses of the fixture, as the probe did. */
	kit_check_kernel_pv_drivers(&ctx, &out);
	free(root);
	s = out.status;
	snprintf(reason, size, "%s", out.reason);
	*ret_measured = json_dumps(out.measured, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out.measured);
	json_decref(out.threshold);
	descriptor_free(d);
	return s;
}

TEST(rhel5_on_hyperv_2008_with_lic_passes_pv_drivers)
{
	static const char *const fixtures[] = { "hyperv2008-rhel53", "hyperv2008-rhel52", "hyperv2008-rhel53-2vcpu" };

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char reason[512], *m = NULL;

		if (pv_drivers(fixtures[i], reason, sizeof(reason), &m) != KIT_PASS)
			tap_fail(__FILE__, __LINE__, "%s: kernel.pv_drivers did not pass: %s", fixtures[i], reason);
		CHECK(m && strstr(m, "\"missing\":[]"));
		free(m);
	}
}

TEST(rhel5_on_hyperv_2008_passes_clocksource_with_its_clock)
{
	struct descriptor *d = probe_fixture("hyperv2008-rhel53");
	struct kit_verdict v;

	if (!d)
		return;
	/* The LIC/LIS kernels for RHEL 5 register "hyperv_clocksource"
	 * (LIS/lis-next hv-rhel5.x/hv/vmbus_drv.c); the fixture's own clock
	 * is tsc, which passes too. */
	kit_decide_clocksource(d->hypervisor.id, "hyperv_clocksource", &v);
	CHECK_INT(v.status, KIT_PASS);
	kit_decide_clocksource(d->hypervisor.id, "tsc", &v);
	CHECK_INT(v.status, KIT_PASS);
	descriptor_free(d);
}

TEST(every_hyperv_clock_name_passes_and_others_still_fail)
{
	static const char *const names[] = { "hyperv_clocksource", "hyperv_clocksource_tsc_page",
					     "hyperv_clocksource_msr", "lis_hyperv_clocksource_tsc_page",
					     "lis_hv_clocksource_tsc_page" };
	struct kit_verdict v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		kit_decide_clocksource("microsoft", names[i], &v);
		if (v.status != KIT_PASS)
			tap_fail(__FILE__, __LINE__, "%s: %s", names[i], v.reason);
	}
	kit_decide_clocksource("microsoft", "kvm-clock", &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_clocksource("microsoft", "hyperv", &v); /* a prefix of a name is not the name */
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_clocksource("kvm", "hyperv_clocksource", &v);
	CHECK_INT(v.status, KIT_FAIL);
	kit_decide_clocksource("vmware", "vmi-timer", &v);
	CHECK_INT(v.status, KIT_PASS);
}

TEST(a_genuinely_missing_driver_still_fails)
{
	char reason[512], *m = NULL;

	/* WSL2's utility VM has no netvsc (the fixture's description): the era
	 * table expects it of a 5.15 kernel on a Hyper-V host. */
	CHECK_INT(pv_drivers("wsl2-ubuntu2204", reason, sizeof(reason), &m), KIT_FAIL);
	CHECK_STR(reason, "integration components not working: netvsc (no driver loaded and no device bound)");
	CHECK(m && strstr(m, "\"missing\":[\"netvsc\"]"));
	free(m);
	m = NULL;
	/* Loaded and registered, bound to nothing: missing, and said so. */
	CHECK_INT(pv_drivers("kvm-centos7-e1000", reason, sizeof(reason), &m), KIT_FAIL);
	CHECK_STR(reason, "integration components not working: virtio_net (its driver is registered on the virtio bus, "
			  "bound to no device)");
	CHECK(m && strstr(m, "\"unbound\":[\"virtio_net\"]"));
	free(m);
}

TEST(a_missing_agent_never_fails)
{
	static const char *const fixtures[] = { "kvm-qemu-debian12-noagent", "vmware-rhel79-noagent" };

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char reason[512], *m = NULL;

		if (pv_drivers(fixtures[i], reason, sizeof(reason), &m) != KIT_PASS)
			tap_fail(__FILE__, __LINE__, "%s: kernel.pv_drivers did not pass: %s", fixtures[i], reason);
		/* The agent is reported, under recommended_missing. */
		CHECK(m && strstr(m, "\"recommended_missing\":[\""));
		free(m);
	}
}

/*
 * cpu.topology on RHEL 5, whose 2.6.18 has no cpu/online or cpu/present
 * list: the counts come from /proc/stat's cpuN lines (online) and the
 * cpuN directories (present; x86's topology_init() registers one per
 * present CPU).  Where the lists exist they are the expected values.
 */
static int count_list(const char *path)
{
	char *s = kit_read(path), *p;
	int n = 0;

	if (!s)
		return -1;
	for (p = s;;) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		n += (int)(b - a + 1);
		if (*end != ',')
			break;
		p = end + 1;
	}
	free(s);
	return n;
}

TEST(topology_counts_without_the_cpu_lists)
{
	int online = count_list("/sys/devices/system/cpu/online");
	int present = count_list("/sys/devices/system/cpu/present");

	printf("lists: %d online, %d present; fallback: %d, %d\n", online, present, kit_cpus_online_from_stat(),
	       kit_cpus_present_from_dirs());
	if (online < 1 || present < 1)
		tap_skip("no cpu/online or cpu/present list here to compare with");
	CHECK_INT(kit_cpus_online_from_stat(), online);
	CHECK_INT(kit_cpus_present_from_dirs(), present);
}

/* firmware.smbios skips, rather than fails, on kernels before /sys/class/dmi/id (2.6.22). */
TEST(kernel_release_comparison)
{
	CHECK(version_before("2.6.18-92.el5", "2.6.22"));
	CHECK(version_before("2.6.18-128.el5xen", "2.6.22"));
	CHECK(!version_before("2.6.22", "2.6.22"));
	CHECK(!version_before("2.6.32-754.el6.x86_64", "2.6.22"));
	CHECK(!version_before("6.1.0-28-amd64", "2.6.22"));
	CHECK(!version_before("not a version", "2.6.22"));
}

/*
 * time.vdso skips where the vDSO has no clock_gettime.  On this x86_64
 * machine the vDSO exports __vdso_clock_gettime (vdso(7), "x86-64
 * functions"), unless the kernel maps no vDSO at all.
 */
TEST(vdso_clock_gettime_found_here)
{
	int r = kit_vdso_clock_gettime();

	printf("kit_vdso_clock_gettime: %d\n", r);
#if defined(__x86_64__)
	if (!getauxval(AT_SYSINFO_EHDR))
		CHECK_INT(r, -ENOENT);
	else
		CHECK_INT(r, 1);
#else
	tap_skip("the expectation is x86_64's");
#endif
}

TAP_MAIN(rhel5_on_hyperv_2008_with_lic_passes_pv_drivers, rhel5_on_hyperv_2008_passes_clocksource_with_its_clock,
	 every_hyperv_clock_name_passes_and_others_still_fail, a_genuinely_missing_driver_still_fails,
	 a_missing_agent_never_fails, topology_counts_without_the_cpu_lists, kernel_release_comparison,
	 vdso_clock_gettime_found_here)
