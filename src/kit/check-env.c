/*
 * check-env.c - Linux's checks that read what the probe found:
 * cpu.topology, time.clocksource, kernel.pv_drivers; and the self-test
 * checks that prove isolation (env.fingerprint and mem.size: check-common.c).
 */
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

/* ---- cpu.topology ---- */

static int count_cpulist(const char *path)
{
	char *s = kit_read(path), *p;
	int n = 0;

	if (!s)
		return -1;
	p = cv_strstrip(s);
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p) {
			n = -1;
			break;
		}
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

/*
 * Before the cpu/online and cpu/present lists (RHEL 5's 2.6.18 has none:
 * its drivers/base/cpu.c makes only cpuN/online), the same counts come
 * from where that kernel keeps them: a cpuN directory per present CPU
 * (topology_init(): for_each_present_cpu) and a cpuN line in /proc/stat
 * per online one (show_stat(): for_each_online_cpu).  -1 if unreadable.
 */
int kit_cpus_present_from_dirs(void)
{
	DIR *d = opendir("/sys/devices/system/cpu");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < 65536) {
		const char *p = e->d_name;

		if (!cv_startswith(p, "cpu") || !p[3])
			continue;
		for (p += 3; *p >= '0' && *p <= '9'; p++)
			;
		n += !*p;
	}
	closedir(d);
	return n;
}

int kit_cpus_online_from_stat(void)
{
	char *s = kit_read("/proc/stat"), *line, *next;
	int n = 0;

	if (!s)
		return -1;
	for (line = s; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "cpu0 ..." but not the "cpu " total. */
		n += cv_startswith(line, "cpu") && line[3] >= '0' && line[3] <= '9';
	}
	free(s);
	return n;
}

void kit_check_cpu_topology(const struct kit_ctx *ctx, struct kit_out *out)
{
	int online = count_cpulist("/sys/devices/system/cpu/online");
	int present = count_cpulist("/sys/devices/system/cpu/present");
	int possible = count_cpulist("/sys/devices/system/cpu/possible");
	const char *source = "/sys/devices/system/cpu/{online,present}";
	struct kit_verdict v;

	if (online < 0 && present < 0) {
		online = kit_cpus_online_from_stat();
		present = kit_cpus_present_from_dirs();
		source = "/proc/stat cpuN lines, /sys/devices/system/cpu/cpuN directories";
	}
	json_object_set_new(out->measured, "source", json_string(source));
	json_object_set_new(out->measured, "online", json_integer(online));
	json_object_set_new(out->measured, "present", json_integer(present));
	json_object_set_new(out->measured, "possible", json_integer(possible));
	json_object_set_new(out->threshold, "online_equals_present", json_true());
	json_object_set_new(out->threshold, "expect_vcpus",
			    ctx->opt->expect_vcpus ? json_integer(ctx->opt->expect_vcpus) : json_null());
	kit_decide_topology(online, present, ctx->opt->expect_vcpus, &v);
	kit_apply(out, &v);
}

/* ---- time.clocksource ---- */

/*
 * Every name a hypervisor's paravirtual clock has had, so that a guest
 * kernel of any era passes with its hypervisor's clock:
 *  - Hyper-V: "hyperv_clocksource" (the MSR reference counter: the
 *    Linux Integration Services for RHEL 5, LIS/lis-next hv-rhel5.x
 *    vmbus_drv.c; mainline arch/x86/kernel/cpu/mshyperv.c before the TSC
 *    page; Microsoft's LISAv2 Core_Time_Clocksource.sh expects it on RHEL
 *    6 before 6.9 and 7 before 7.2), "hyperv_clocksource_tsc_page" and
 *    "hyperv_clocksource_msr" (mainline since the TSC page, and LIS 4 for
 *    RHEL 6, hv-rhel6.x arch/x86/hyperv/hv_init.c),
 *    "lis_hyperv_clocksource_tsc_page" (another LIS 4 build) and
 *    "lis_hv_clocksource_tsc_page" (LISAv2's name for LIS on RHEL 7.0-7.4);
 *  - KVM: "kvm-clock"; Xen: "xen" (XenLinux and pv_ops alike);
 *  - VMware: "vmi-timer" (the VMI paravirtual clock, arch/x86/kernel/
 *    vmiclock_32.c, 32-bit kernels until 2.6.37; VMware KB 1006427 asks
 *    for a VMI kernel on SLES 10 SP2/SP3 on ESX 3.5 and later).
 * "tsc" is a hypervisor's clock too where the hypervisor keeps it stable.
 */
#define HYPERV_CLOCKS                                                                                  \
	"hyperv_clocksource_tsc_page hyperv_clocksource_msr hyperv_clocksource lis_hyperv_clocksource_tsc_page " \
	"lis_hv_clocksource_tsc_page"

static const struct {
	const char *hypervisor;
	const char *allowed; /* space-separated */
} clocksources[] = {
	{ "microsoft", HYPERV_CLOCKS " tsc" },
	{ "kvm", "kvm-clock tsc" },
	{ "qemu", "tsc hpet acpi_pm" },
	{ "amazon", "kvm-clock tsc xen" },
	{ "google", "kvm-clock tsc" },
	{ "xen", "xen tsc" },
	{ "vmware", "tsc vmi-timer" },
	/* VirtualBox's KVM and Hyper-V paravirtualization providers. */
	{ "oracle", "tsc kvm-clock " HYPERV_CLOCKS },
	{ "bhyve", "tsc hpet" },
	{ "parallels", "tsc kvm-clock " HYPERV_CLOCKS },
	{ "none", "tsc hpet" },
	{ "*", "tsc arch_sys_counter" }, /* arm64 guests use the architected counter */
};

bool kit_clocksource_allowed(const char *hypervisor, const char *clocksource, const char **ret_allowed)
{
	const char *list = NULL;

	for (size_t i = 0; i < CV_ELEMENTSOF(clocksources) && !list; i++)
		if (cv_streq(clocksources[i].hypervisor, hypervisor))
			list = clocksources[i].allowed;
	if (!list)
		list = clocksources[CV_ELEMENTSOF(clocksources) - 1].allowed;
	if (ret_allowed)
		*ret_allowed = list;
	if (!clocksource)
		return false;
	if (strcmp(clocksource, "arch_sys_counter") == 0)
		return true;
	for (const char *p = list; (p = strstr(p, clocksource)); p++)
		if ((p == list || p[-1] == ' ') && (p[strlen(clocksource)] == ' ' || p[strlen(clocksource)] == '\0'))
			return true;
	return false;
}

void kit_decide_clocksource(const char *hypervisor, const char *clocksource, struct kit_verdict *v)
{
	const char *allowed;

	if (!clocksource)
		kit_verdict_set(v, KIT_SKIP, "the current clocksource is not readable");
	else if (kit_clocksource_allowed(hypervisor, clocksource, &allowed))
		kit_verdict_set(v, KIT_PASS, NULL);
	else
		kit_verdict_set(v, KIT_FAIL, "clocksource %s on %s; expected one of: %s", clocksource,
				hypervisor ? hypervisor : "an unknown hypervisor", allowed);
}

void kit_check_time_clocksource(const struct kit_ctx *ctx, struct kit_out *out)
{
	char *cur = kit_read("/sys/devices/system/clocksource/clocksource0/current_clocksource");
	char *avail = kit_read("/sys/devices/system/clocksource/clocksource0/available_clocksource");
	const char *allowed;
	struct kit_verdict v;

	if (cur)
		cv_strstrip(cur);
	if (avail)
		cv_strstrip(avail);
	kit_clocksource_allowed(ctx->d->hypervisor.id, NULL, &allowed);
	json_object_set_new(out->measured, "current", kit_json_str(cur));
	json_object_set_new(out->measured, "available", kit_json_str(avail));
	json_object_set_new(out->measured, "hypervisor", kit_json_str(ctx->d->hypervisor.id));
	json_object_set_new(out->threshold, "allowed", json_string(allowed));
	kit_decide_clocksource(ctx->d->hypervisor.id, cur, &v);
	kit_apply(out, &v);
	free(cur);
	free(avail);
}

/* ---- kernel.pv_drivers ---- */

/*
 * The probe's expected set is era-true (docs/probe.md): what this
 * hypervisor version and guest kernel should have.  Missing ones fail;
 * recommended agents never do.  A missing driver that is loaded but bound
 * to no device is said so, since the fix differs (give the VM the device,
 * not install the driver).
 */
void kit_decide_pv_drivers(const char *hypervisor, const struct cv_strv *missing, const struct cv_strv *unbound,
			   struct kit_verdict *v)
{
	char *list, *idle = NULL;
	struct cv_strv both;

	if (!hypervisor || strcmp(hypervisor, "none") == 0 || strcmp(hypervisor, "unknown") == 0) {
		kit_verdict_set(v, KIT_SKIP, "no hypervisor, so no integration components to expect");
		return;
	}
	if (!missing->n) {
		kit_verdict_set(v, KIT_PASS, NULL);
		return;
	}
	cv_strv_init(&both);
	for (size_t i = 0; i < missing->n; i++)
		if (unbound && cv_strv_contains(unbound, missing->v[i]))
			cv_strv_push(&both, missing->v[i]);
	list = cv_strv_join(missing, ", ");
	if (both.n)
		idle = cv_strv_join(&both, ", ");
	kit_verdict_set(v, KIT_FAIL, "missing integration component%s: %s%s%s%s", missing->n > 1 ? "s" : "", list,
			idle ? " (loaded but bound to no device: " : "", idle ? idle : "", idle ? ")" : "");
	free(idle);
	free(list);
	cv_strv_release(&both);
}

/* kit_check_kernel_pv_drivers(): check-components.c, which reads the buses itself. */

/* ---- self-tests: isolation works ---- */

void kit_check_selftest_crash(const struct kit_ctx *ctx, struct kit_out *out)
{
	(void)ctx;
	(void)out;
	/* A segmentation fault the same way in every build: sanitizers would
	 * turn a real NULL store into a report and exit(1). */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

void kit_check_selftest_hang(const struct kit_ctx *ctx, struct kit_out *out)
{
	(void)ctx;
	(void)out;
	for (;;)
		pause();
}
