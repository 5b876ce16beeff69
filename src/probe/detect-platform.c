/*
 * detect-platform.c - what the running kernel shows of its platform:
 * Xen's interfaces, the clocksource, /proc/cpuinfo, the device tree
 * (arm64, POWER), the POWER platform, SPARC's machine description, and
 * /proc/sysinfo (s390x).
 *
 * A paravirtual clocksource is strong evidence: the kernel registers
 * kvm-clock only after KVM's CPUID leaves answered and the pvclock MSRs
 * worked, so it reflects the interface actually in use, not a string a
 * hypervisor chose to present.
 */
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

static const struct {
	const char *name;
	const char *id;
	const char *what;
} pv_clocks[] = {
	{ "kvm-clock", "kvm", "KVM's paravirtual clock (pvclock)" },
	{ "hyperv_clocksource_tsc_page", "microsoft", "Hyper-V reference TSC page" },
	{ "hyperv_clocksource_msr", "microsoft", "Hyper-V reference counter MSR" },
	{ "hyperv_clocksource", "microsoft", "Hyper-V clocksource (Linux Integration Components)" },
	{ "lis_hv_clocksource_tsc_page", "microsoft", "Hyper-V reference TSC page (LIS)" },
	{ "xen", "xen", "Xen's paravirtual clock" },
};

static const char *pv_clock(const char *name, const char **ret_what)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(pv_clocks); i++)
		if (strcmp(pv_clocks[i].name, name) == 0) {
			if (ret_what)
				*ret_what = pv_clocks[i].what;
			return pv_clocks[i].id;
		}
	return NULL;
}

static void clocksource(struct probe_ctx *ctx)
{
	const char *base = "sys/devices/system/clocksource/clocksource0";
	char *path, *cur, *avail, *save = NULL;
	const char *what = NULL, *id;

	path = cv_xasprintf("%s/current_clocksource", base);
	cur = probe_read_value(ctx, path);
	free(path);
	if (cur) {
		id = pv_clock(cur, &what);
		if (id)
			probe_evidence(ctx, SIG_PARAVIRT, "/sys/devices/system/clocksource/clocksource0/current_clocksource",
				       cur, what, id);
		else
			probe_info(ctx, "/sys/devices/system/clocksource/clocksource0/current_clocksource", cur,
				   "current clocksource (not a paravirtual one)");
		ctx->clocksource = cur;
	}

	path = cv_xasprintf("%s/available_clocksource", base);
	avail = probe_read_value(ctx, path);
	free(path);
	if (!avail)
		return;
	probe_info(ctx, "/sys/devices/system/clocksource/clocksource0/available_clocksource", avail,
		   "clocksources the kernel registered");
	for (char *c = strtok_r(avail, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		if (cur && strcmp(c, cur) == 0)
			continue;
		id = pv_clock(c, &what);
		if (id) {
			char *m = cv_xasprintf("%s registered (available, not current)", what);

			probe_evidence(ctx, SIG_PARAVIRT,
				       "/sys/devices/system/clocksource/clocksource0/available_clocksource", c, m, id);
			free(m);
		}
	}
	free(avail);
}

static void xen(struct probe_ctx *ctx)
{
	char *type, *caps, *feat, *maj, *min, *extra;

	if (cv_root_exists(ctx->root, "proc/xen")) {
		probe_evidence(ctx, SIG_XEN, "/proc/xen", "present", "Xen's guest interface (xenfs)", "xen");
		caps = probe_read_value(ctx, "proc/xen/capabilities");
		if (caps) {
			if (strstr(caps, "control_d"))
				ctx->xen_dom0 = true;
			probe_info(ctx, "/proc/xen/capabilities", caps,
				   ctx->xen_dom0 ? "control_d: this is dom0, Xen's control domain" : "domU");
			free(caps);
		}
	}
	type = probe_read_value(ctx, "sys/hypervisor/type");
	if (type) {
		probe_evidence(ctx, SIG_XEN, "/sys/hypervisor/type", type, "the kernel's hypervisor type",
			       strcmp(type, "xen") == 0 ? "xen" : "vm-other");
		free(type);
	}
	ctx->xen_guest_type = probe_read_value(ctx, "sys/hypervisor/guest_type");
	if (ctx->xen_guest_type)
		probe_info(ctx, "/sys/hypervisor/guest_type", ctx->xen_guest_type, "Xen guest mode (HVM, PV, PVH)");
	feat = probe_read_value(ctx, "sys/hypervisor/properties/features");
	if (feat) {
		uint64_t f;

		/* XENFEAT_dom0 is bit 11 (xen/include/public/features.h). */
		if (cv_parse_u64(feat, 16, &f) == 0 && (f & (1u << 11))) {
			ctx->xen_dom0 = true;
			probe_info(ctx, "/sys/hypervisor/properties/features", feat, "XENFEAT_dom0: this is dom0");
		}
		free(feat);
	}
	maj = probe_read_value(ctx, "sys/hypervisor/version/major");
	min = probe_read_value(ctx, "sys/hypervisor/version/minor");
	extra = probe_read_value(ctx, "sys/hypervisor/version/extra");
	if (maj && min) {
		ctx->xen_version = cv_xasprintf("%s.%s%s", maj, min, extra ? extra : "");
		probe_info(ctx, "/sys/hypervisor/version", ctx->xen_version, "Xen version");
	}
	free(maj);
	free(min);
	free(extra);
}

/* The first line of /proc/cpuinfo starting with key. */
static char *cpuinfo_field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *colon;
		const char *nl;

		if (strncmp(p, key, klen) != 0 || (p[klen] != ' ' && p[klen] != '\t' && p[klen] != ':'))
			continue;
		colon = strchr(p, ':');
		nl = strchr(p, '\n');
		if (!colon || (nl && colon > nl))
			continue;
		colon++;
		return cv_strstrip(cv_xstrndup(colon, nl ? (size_t)(nl - colon) : strlen(colon)));
	}
	return NULL;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static void cpuinfo(struct probe_ctx *ctx)
{
	char *text = NULL, *v, *m;
	size_t len;
	int r;

	r = cv_root_read(ctx->root, "proc/cpuinfo", PROBE_BIG_MAX, &text, &len);
	if (r < 0) {
		if (r != -ENOENT)
			probe_note(ctx, "/proc/cpuinfo: %s", r == -E2BIG ? "larger than 4 MiB; not read" : strerror(-r));
		return;
	}
	if (memchr(text, '\0', len)) {
		probe_note(ctx, "/proc/cpuinfo: binary data; not read");
		goto out;
	}
	/* User-Mode Linux's show_cpuinfo() (arch/um/kernel/um_arch.c) says
	 * "vendor_id: User Mode Linux" and "model name: UML"; virt-what
	 * looks for "UML" anywhere in the file. */
	v = cpuinfo_field(text, "vendor_id");
	m = cpuinfo_field(text, "model name");
	if (cv_streq(v, "User Mode Linux") || cv_streq(m, "UML")) {
		char *val = cv_xasprintf("%s: %s", cv_streq(v, "User Mode Linux") ? "vendor_id" : "model name",
					 cv_streq(v, "User Mode Linux") ? v : m);

		probe_evidence(ctx, SIG_UML, "/proc/cpuinfo", val, "User-Mode Linux", "uml");
		free(val);
	}
	/* PowerVM Lx86 runs x86 Linux binaries, translated, in a POWER
	 * partition; its /proc/cpuinfo names it (virt-what: powervm_lx86). */
	if (v && cv_startswith(v, "PowerVM Lx86"))
		probe_evidence(ctx, SIG_CPU_MODEL, "/proc/cpuinfo", v,
			       "IBM PowerVM Lx86, an x86 translator inside a PowerVM partition", "powervm");
	free(v);

	/* QEMU's own CPU models ("QEMU Virtual CPU version 2.5+", "QEMU TCG
	 * CPU"); virt-what's last resort is "QEMU" anywhere in the file. */
	if (m && (cv_startswith(m, "QEMU ") || cv_startswith(m, "Common KVM processor") ||
		  cv_startswith(m, "Common 32-bit KVM processor")))
		probe_evidence(ctx, SIG_CPU_MODEL, "/proc/cpuinfo", m,
			       cv_startswith(m, "QEMU") ? "a CPU model QEMU presents" : "a CPU model KVM presents",
			       cv_startswith(m, "QEMU") ? "qemu" : "kvm");
	free(m);

	v = cpuinfo_field(text, "flags");
	if (!v)
		v = cpuinfo_field(text, "Features"); /* arm64 */
	if (v) {
		if (has_word(v, "hypervisor"))
			probe_evidence(ctx, SIG_HV_BIT, "/proc/cpuinfo", "flags: hypervisor",
				       "the kernel saw the hypervisor bit", "vm");
		if (has_word(v, "vmx") || has_word(v, "svm")) {
			cv_strv_push(&ctx->cpu_flags_hint, has_word(v, "vmx") ? "vmx" : "svm");
			probe_info(ctx, "/proc/cpuinfo", has_word(v, "vmx") ? "flags: vmx" : "flags: svm",
				   "hardware virtualization exposed: this machine can run guests (nested if it is a guest)");
		}
		free(v);
	}

	/* POWER guests: "platform : pSeries" and the model says who emulates it. */
	v = cpuinfo_field(text, "model");
	if (v && strstr(v, "emulated by qemu")) {
		ctx->cpu_model_qemu = true;
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/cpuinfo", v, "POWER machine emulated by QEMU/KVM", "kvm");
	}
	free(v);
	ctx->cpu_platform = cpuinfo_field(text, "platform");
out:
	free(text);
}

/*
 * POWER platforms by the name the kernel gives them in /proc/cpuinfo
 * (ppc_md.name: arch/powerpc/platforms/pseries/setup.c, .../powernv/setup.c).
 * "pSeries" is a PAPR partition: under PowerVM, or under KVM/QEMU, whose
 * machine model then says "IBM pSeries (emulated by qemu)" (QEMU
 * hw/ppc/spapr.c); "PowerNV" is the OPAL firmware on bare metal.  virt-what
 * decides the same way (ibm_power-lpar_* versus ibm_power-kvm); systemd
 * asks the device tree (ibm,partition-name, hmc-managed?), which is tried
 * first.  A partition without an HMC (managed by IVM or NovaLink) lacks
 * hmc-managed? but is a PowerVM LPAR all the same.
 *
 * /proc/ppc64/lparcfg exists only on the pSeries platform (lparcfg_init()
 * is a machine_device_initcall(pseries, ...) in
 * arch/powerpc/platforms/pseries/lparcfg.c), so it marks a partition by
 * itself where cpuinfo's platform line is missing; its system_type is the
 * device tree's model, "IBM pSeries (emulated by qemu)" under QEMU/KVM, and
 * shared_processor_mode says how the processors are allotted (virt-what's
 * lpar_shared / lpar_dedicated).
 */
static void power_platform(struct probe_ctx *ctx)
{
	const char *p = ctx->cpu_platform;
	char *cfg = NULL;
	bool lparcfg, emulated;

	if (cv_streq(p, "PowerNV")) {
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/cpuinfo", "platform: PowerNV",
			       "OPAL firmware: a POWER machine without a hypervisor beneath", "none");
		return;
	}
	lparcfg = cv_root_read(ctx->root, "proc/ppc64/lparcfg", PROBE_SMALL_MAX, &cfg, NULL) >= 0;
	if (!cv_streq(p, "pSeries") && !lparcfg)
		goto out;
	emulated = ctx->cpu_model_qemu;
	if (lparcfg && !emulated && strstr(cfg, "emulated by qemu")) {
		emulated = true;
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/ppc64/lparcfg", "system_type: IBM pSeries (emulated by qemu)",
			       "POWER machine emulated by QEMU/KVM", "kvm");
	}
	if (emulated)
		goto out;
	if (cv_streq(p, "pSeries"))
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/cpuinfo", "platform: pSeries",
			       "a PAPR logical partition not emulated by QEMU: PowerVM", "powervm");
	else
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/ppc64/lparcfg", "present",
			       "partition configuration, which only the pSeries platform has, not emulated by QEMU: "
			       "a PowerVM logical partition", "powervm");
	if (lparcfg)
		probe_info(ctx, "/proc/ppc64/lparcfg",
			   strstr(cfg, "shared_processor_mode=1") ? "shared processors" : "dedicated processors",
			   "how the partition's processors are allotted");
out:
	free(cfg);
}

/*
 * The top of the device tree, on machines that boot with one (arm, POWER,
 * RISC-V).  An fw-cfg node is QEMU's firmware configuration device: systemd
 * (detect_vm_device_tree()) and virt-what both take any node whose name
 * holds "fw-cfg" for QEMU, whatever the machine (KVM acceleration cannot be
 * told from it).  "linux,dummy-virt" is the machine compatible of both
 * QEMU's arm "virt" board (hw/arm/virt.c) and kvmtool's arm guests
 * (arm/fdt.c); QEMU's always has fw-cfg, so without one it is kvmtool
 * (virt-what: lkvm), which runs guests only on KVM.  Any other tree
 * describes a board: the machine's own firmware, no hypervisor node.
 */
static void device_tree_machine(struct probe_ctx *ctx)
{
	struct cv_strv nodes = { 0 };
	char *compat = NULL, *fw_cfg = NULL;
	size_t len = 0;
	bool have_compat;

	if (cv_root_list(ctx->root, "proc/device-tree", &nodes) < 0)
		return;
	for (size_t i = 0; i < nodes.n && !fw_cfg; i++)
		if (strstr(nodes.v[i], "fw-cfg"))
			fw_cfg = cv_xasprintf("/proc/device-tree/%s", nodes.v[i]);
	have_compat = cv_root_read(ctx->root, "proc/device-tree/compatible", PROBE_SMALL_MAX, &compat, &len) >= 0;
	if (fw_cfg)
		probe_evidence(ctx, SIG_FIRMWARE, fw_cfg, "present",
			       "QEMU's firmware configuration device (fw-cfg): a QEMU machine", "qemu");
	else if (have_compat && memmem(compat, len, "dummy-virt", strlen("dummy-virt")))
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/device-tree/compatible", "linux,dummy-virt, no fw-cfg node",
			       "a kvmtool (lkvm) guest: QEMU's virt machine would have fw-cfg", "kvm");
	else if (have_compat && len > 0 && compat[0]) {
		/* The first string of the list names the board. */
		char *board = cv_str_sanitize(compat, strnlen(compat, len), 128);

		probe_info(ctx, "/proc/device-tree/compatible", board,
			   "the device tree describes this board, with no hypervisor node and no fw-cfg");
		free(board);
	}
	free(fw_cfg);
	free(compat);
	cv_strv_release(&nodes);
}

static void device_tree(struct probe_ctx *ctx)
{
	char *compat;

	compat = probe_read_value(ctx, "proc/device-tree/hypervisor/compatible");
	if (compat) {
		const char *id = strstr(compat, "linux,kvm") ? "kvm" :
				 strstr(compat, "xen") ? "xen" :
				 strstr(compat, "vmware") ? "vmware" : "vm-other";

		probe_evidence(ctx, SIG_FIRMWARE, "/proc/device-tree/hypervisor/compatible", compat,
			       "device tree hypervisor node", id);
		free(compat);
		return;
	}
	if (cv_root_exists(ctx->root, "proc/device-tree/ibm,partition-name") &&
	    cv_root_exists(ctx->root, "proc/device-tree/hmc-managed?") &&
	    !cv_root_exists(ctx->root, "proc/device-tree/chosen/qemu,graphic-width")) {
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/device-tree/ibm,partition-name", "present",
			       "an HMC-managed logical partition", "powervm");
		return;
	}
	power_platform(ctx);
	device_tree_machine(ctx);
}

/*
 * SPARC sun4v machines run every operating system in a logical domain of
 * the sun4v hypervisor (Oracle VM Server for SPARC, "LDoms"), the control
 * domain included; the hypervisor hands each domain its machine
 * description, which Linux's sun4v code exports as /dev/mdesc
 * (arch/sparc/kernel/mdesc.c).  virt-what says ldoms on the same test;
 * systemd has no name for it, hence vm-other.
 */
static void sparc_ldoms(struct probe_ctx *ctx)
{
	const char *arch = ctx->kernel_arch;

	if ((!arch || cv_startswith(arch, "sparc")) && cv_root_exists(ctx->root, "dev/mdesc"))
		probe_evidence(ctx, SIG_FIRMWARE, "/dev/mdesc", "present",
			       "the sun4v hypervisor's machine description: a SPARC logical domain (LDoms)", "vm-other");
}

/*
 * s390: /proc/sysinfo lists the levels the machine runs under.  A
 * "VM00 Control Program" line names a second-level hypervisor (z/VM, or
 * KVM/Linux); without one the system runs in a PR/SM logical partition
 * directly, which systemd (detect_vm_zvm()) and virt-what
 * (ibm_systemz-lpar, not a hypervisor of its own) both report as no
 * virtualization.
 */
static void sysinfo(struct probe_ctx *ctx)
{
	char *text;
	const char *line;
	int r;

	r = cv_root_read(ctx->root, "proc/sysinfo", PROBE_SMALL_MAX, &text, NULL);
	if (r < 0)
		return;
	line = strstr(text, "Control Program:");
	if (line) {
		const char *nl = strchr(line, '\n');
		char *v = cv_xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));

		cv_strstrip(v);
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/sysinfo", v, "s390 control program",
			       strstr(v, "KVM") ? "kvm" : strstr(v, "z/VM") ? "zvm" : "vm-other");
		free(v);
	} else if ((line = strstr(text, "LPAR Number:"))) {
		const char *nl = strchr(line, '\n');
		char *v = cv_xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));

		cv_strstrip(v);
		probe_evidence(ctx, SIG_FIRMWARE, "/proc/sysinfo", v,
			       "a PR/SM logical partition with no control program above it: no hypervisor "
			       "in systemd's and virt-what's sense", "none");
		free(v);
	}
	free(text);
}

void probe_platform(struct probe_ctx *ctx)
{
	ctx->kernel_arch = probe_read_value(ctx, "proc/sys/kernel/arch");
	xen(ctx);
	clocksource(ctx);
	cpuinfo(ctx);
	device_tree(ctx);
	sparc_ldoms(ctx);
	sysinfo(ctx);
}
