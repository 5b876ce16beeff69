/*
 * detect-cpuid.c - what CPUID says: the hypervisor bit, the hypervisor
 * signature (and a second one, where a hypervisor presents another's
 * interface first), Hyper-V's version, features and recommendations, and
 * KVM's paravirtual features.
 *
 * Leaf layouts: Intel SDM vol. 2A (leaf 1 ECX bit 31 "reserved for
 * hypervisor use"), Microsoft's Hypervisor Top-Level Functional
 * Specification 6.0 section 2.4 (leaves 0x40000000-0x40000006), the
 * kernel's Documentation/virt/kvm/x86/cpuid.rst (KVM leaves).
 */
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

/* Signatures at 0x40000000 (systemd src/basic/virt.c vm_table[] plus the
 * ones virt-what knows). "vm-other" is systemd's word for a hypervisor it
 * cannot name. */
static const struct {
	const char sig[13];
	const char *id;
	const char *what;
} cpuid_sigs[] = {
	{ "XenVMMXenVMM", "xen", "Xen" },
	{ "KVMKVMKVM", "kvm", "KVM" },
	/* kvmtool (lkvm) sets its own signature (x86/cpuid.c); it runs
	 * guests only on KVM, so the hypervisor is KVM (virt-what: lkvm). */
	{ "LKVMLKVMLKVM", "kvm", "kvmtool (lkvm), a KVM-only VMM" },
	{ "Linux KVM Hv", "kvm", "KVM presenting Hyper-V enlightenments" },
	{ "TCGTCGTCGTCG", "qemu", "QEMU without KVM (TCG)" },
	{ "VMwareVMware", "vmware", "VMware" },
	{ "Microsoft Hv", "microsoft", "Microsoft Hyper-V" },
	{ "bhyve bhyve ", "bhyve", "bhyve" },
	{ "QNXQVMBSQG", "qnx", "QNX hypervisor" },
	{ "ACRNACRNACRN", "acrn", "ACRN" },
	{ "SRESRESRESRE", "sre", "Lockheed Martin SRE" },
	{ "Apple VZ", "apple", "Apple Virtualization" },
	{ "VBoxVBoxVBox", "oracle", "VirtualBox (minimal paravirt provider)" },
	{ "prl hyperv  ", "parallels", "Parallels" },
	{ " lrpepyh  vr", "parallels", "Parallels" },
	{ "Jailhouse", "vm-other", "Jailhouse partitioning hypervisor" },
	{ "HAXMHAXMHAXM", "vm-other", "Intel HAXM" },
	{ "OpenBSDVMM58", "vm-other", "OpenBSD vmm" },
	{ "UnisysSpar64", "vm-other", "Unisys s-Par" },
};

struct bit_name {
	unsigned bit;
	const char *name;
};

/* TLFS 2.4.4: partition privilege mask, low word (EAX). */
static const struct bit_name hv_priv_eax[] = {
	{ 0, "AccessVpRunTimeReg" }, { 1, "AccessPartitionReferenceCounter" },
	{ 2, "AccessSynicRegs" }, { 3, "AccessSyntheticTimerRegs" },
	{ 4, "AccessIntrCtrlRegs" }, { 5, "AccessHypercallMsrs" }, { 6, "AccessVpIndex" },
	{ 7, "AccessResetReg" }, { 8, "AccessStatsReg" }, { 9, "AccessPartitionReferenceTsc" },
	{ 10, "AccessGuestIdleReg" }, { 11, "AccessFrequencyRegs" }, { 12, "AccessDebugRegs" },
	{ 13, "AccessReenlightenmentControls" },
};

/* TLFS 2.4.4: partition privilege mask, high word (EBX). */
static const struct bit_name hv_priv_ebx[] = {
	{ 0, "CreatePartitions" }, { 1, "AccessPartitionId" }, { 2, "AccessMemoryPool" },
	{ 4, "PostMessages" }, { 5, "SignalEvents" }, { 6, "CreatePort" }, { 7, "ConnectPort" },
	{ 8, "AccessStats" }, { 11, "Debugging" }, { 12, "CpuManagement" },
	{ 16, "AccessVSM" }, { 17, "AccessVpRegisters" }, { 20, "EnableExtendedHypercalls" },
	{ 21, "StartVirtualProcessor" }, { 22, "Isolation" },
};

/* TLFS 2.4.4: feature identification (EDX). */
static const struct bit_name hv_feat_edx[] = {
	{ 0, "MwaitAvailable" }, { 1, "GuestDebugging" }, { 2, "PerformanceMonitor" },
	{ 3, "CpuDynamicPartitioning" }, { 4, "XmmHypercallInput" }, { 5, "GuestIdleState" },
	{ 6, "HypervisorSleepState" }, { 7, "NumaDistanceQuery" }, { 8, "TimerFrequencies" },
	{ 9, "SyntheticMachineCheck" }, { 10, "GuestCrashMsrs" }, { 11, "DebugMsrs" },
	{ 12, "Npiep" }, { 13, "DisableHypervisor" }, { 14, "ExtendedGvaRangesForFlush" },
	{ 15, "XmmHypercallOutput" }, { 17, "SintPollingMode" }, { 18, "HypercallMsrLock" },
	{ 19, "DirectSyntheticTimers" },
};

/* TLFS 2.4.5: implementation recommendations (EAX). */
static const struct bit_name hv_rec_eax[] = {
	{ 0, "HypercallForAddressSpaceSwitch" }, { 1, "HypercallForLocalFlush" },
	{ 2, "HypercallForRemoteFlush" }, { 3, "MsrForApicAccess" }, { 4, "MsrForSystemReset" },
	{ 5, "RelaxedTiming" }, { 6, "DmaRemapping" }, { 7, "InterruptRemapping" },
	{ 8, "X2ApicMsrs" }, { 9, "DeprecateAutoEoi" }, { 10, "SyntheticClusterIpi" },
	{ 11, "ExProcessorMasks" }, { 12, "Nested" }, { 13, "IntForMbecSyscalls" },
	{ 14, "EnlightenedVmcs" },
};

/* TLFS 2.4.7: hardware features in use (EAX). */
static const struct bit_name hv_hw_eax[] = {
	{ 0, "ApicOverlayAssist" }, { 1, "MsrBitmaps" }, { 2, "ArchitecturalPerfCounters" },
	{ 3, "SecondLevelAddressTranslation" }, { 4, "DmaRemapping" },
	{ 5, "InterruptRemapping" }, { 6, "MemoryPatrolScrubber" }, { 7, "DmaProtection" },
	{ 8, "Hpet" }, { 9, "SyntheticTimersVolatile" },
};

/* Documentation/virt/kvm/x86/cpuid.rst, KVM_CPUID_FEATURES EAX. */
static const struct bit_name kvm_feat_eax[] = {
	{ 0, "clocksource" }, { 1, "nop_io_delay" }, { 2, "mmu_op" }, { 3, "clocksource2" },
	{ 4, "async_pf" }, { 5, "steal_time" }, { 6, "pv_eoi" }, { 7, "pv_unhalt" },
	{ 9, "pv_tlb_flush" }, { 10, "async_pf_vmexit" }, { 11, "pv_send_ipi" },
	{ 12, "poll_control" }, { 13, "pv_sched_yield" }, { 14, "async_pf_int" },
	{ 15, "msi_ext_dest_id" }, { 16, "hc_map_gpa_range" }, { 17, "migration_control" },
	{ 24, "clocksource_stable" },
};

static char *decode_bits(uint32_t v, const struct bit_name *t, size_t n, const char *prefix,
			 struct cv_strv *features)
{
	struct cv_strv names;
	char *s;

	cv_strv_init(&names);
	for (size_t i = 0; i < n; i++)
		if (v & (1u << t[i].bit)) {
			cv_strv_push(&names, t[i].name);
			if (features)
				cv_strv_push_take(features, cv_xasprintf("%s%s", prefix, t[i].name));
		}
	s = names.n ? cv_strv_join(&names, ", ") : cv_xstrdup("none");
	cv_strv_release(&names);
	return s;
}

/* The 12 signature bytes as text: NULs dropped, anything unprintable as '.'. */
static void signature(const struct cpuid_regs *r, char raw[13], char shown[13])
{
	uint32_t w[3] = { r->ebx, r->ecx, r->edx };
	size_t o = 0;

	for (int i = 0; i < 3; i++)
		for (int b = 0; b < 4; b++)
			raw[i * 4 + b] = (char)((w[i] >> (8 * b)) & 0xff);
	raw[12] = '\0';
	for (int i = 0; i < 12; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == 0)
			continue;
		shown[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	shown[o] = '\0';
}

static bool lookup_sig(const char raw[13], size_t *ret_i)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(cpuid_sigs); i++)
		if (memcmp(cpuid_sigs[i].sig, raw, 12) == 0 ||
		    /* Shorter signatures are NUL-padded in the registers. */
		    (strlen(cpuid_sigs[i].sig) < 12 && strcmp(cpuid_sigs[i].sig, raw) == 0)) {
			*ret_i = i;
			return true;
		}
	return false;
}

static void decode_hyperv(struct probe_ctx *ctx, uint32_t base)
{
	struct cpuid_regs r;
	char src[32], *s, *v;

	snprintf(src, sizeof(src), "cpuid:0x%08x", base + 1);
	if (cpuid_get(&ctx->cpuid, base + 1, 0, &r)) {
		char iface[5] = { (char)(r.eax & 0xff), (char)((r.eax >> 8) & 0xff),
				  (char)((r.eax >> 16) & 0xff), (char)(r.eax >> 24), 0 };

		for (int i = 0; i < 4; i++)
			if ((unsigned char)iface[i] < 0x20 || (unsigned char)iface[i] >= 0x7f)
				iface[i] = '.';
		v = cv_xasprintf("interface '%s'", iface);
		probe_info(ctx, src, v,
			   r.eax == 0x31237648 ? "Hyper-V interface Hv#1: the TLFS hypercall ABI is offered"
					       : "not the Hv#1 interface: Hyper-V leaves below may not follow the TLFS");
		free(v);
		if (r.eax != 0x31237648)
			return;
	}

	snprintf(src, sizeof(src), "cpuid:0x%08x", base + 2);
	if (cpuid_get(&ctx->cpuid, base + 2, 0, &r)) {
		ctx->hv_have_version = true;
		ctx->hv_major = r.ebx >> 16;
		ctx->hv_minor = r.ebx & 0xffff;
		ctx->hv_build = r.eax;
		ctx->hv_sp = r.ecx;
		v = cv_xasprintf("version %u.%u build %u service pack %u branch %u number %u",
				 ctx->hv_major, ctx->hv_minor, ctx->hv_build, r.ecx, r.edx >> 24,
				 r.edx & 0xffffff);
		probe_info(ctx, src, v, "host Hyper-V version (the host build follows the Windows Server release)");
		free(v);
	}

	snprintf(src, sizeof(src), "cpuid:0x%08x", base + 3);
	if (cpuid_get(&ctx->cpuid, base + 3, 0, &r)) {
		char *a = decode_bits(r.eax, hv_priv_eax, CV_ELEMENTSOF(hv_priv_eax), "hyperv:",
				      &ctx->d->hypervisor.features);
		char *b = decode_bits(r.ebx, hv_priv_ebx, CV_ELEMENTSOF(hv_priv_ebx), "hyperv:",
				      &ctx->d->hypervisor.features);
		char *c = decode_bits(r.edx, hv_feat_edx, CV_ELEMENTSOF(hv_feat_edx), "hyperv:",
				      &ctx->d->hypervisor.features);

		v = cv_xasprintf("privileges eax=0x%08x [%s] ebx=0x%08x [%s]; features edx=0x%08x [%s]",
				 r.eax, a, r.ebx, b, r.edx, c);
		ctx->hv_root = (r.ebx & 1u) != 0;
		probe_info(ctx, src, v,
			   ctx->hv_root ? "CreatePartitions privilege: this OS is Hyper-V's root partition (the host)"
					: "guest partition privileges and features");
		free(a);
		free(b);
		free(c);
		free(v);
	}

	snprintf(src, sizeof(src), "cpuid:0x%08x", base + 4);
	if (cpuid_get(&ctx->cpuid, base + 4, 0, &r)) {
		s = decode_bits(r.eax, hv_rec_eax, CV_ELEMENTSOF(hv_rec_eax), "hyperv-rec:",
				&ctx->d->hypervisor.features);
		v = cv_xasprintf("recommendations eax=0x%08x [%s] spinlock retries 0x%08x", r.eax, s, r.ebx);
		ctx->hv_nested = (r.eax & (1u << 12)) != 0;
		probe_info(ctx, src, v,
			   ctx->hv_nested ? "Nested recommendation: this Hyper-V runs within a Hyper-V partition"
					  : "implementation recommendations");
		free(s);
		free(v);
	}

	snprintf(src, sizeof(src), "cpuid:0x%08x", base + 5);
	if (cpuid_get(&ctx->cpuid, base + 5, 0, &r)) {
		v = cv_xasprintf("max virtual processors %u, max logical processors %u, interrupt vectors %u",
				 r.eax, r.ebx, r.ecx);
		probe_info(ctx, src, v, "hypervisor implementation limits");
		free(v);
	}

	snprintf(src, sizeof(src), "cpuid:0x%08x", base + 6);
	if (cpuid_get(&ctx->cpuid, base + 6, 0, &r)) {
		s = decode_bits(r.eax, hv_hw_eax, CV_ELEMENTSOF(hv_hw_eax), "hyperv-hw:",
				&ctx->d->hypervisor.features);
		v = cv_xasprintf("hardware features in use eax=0x%08x [%s]", r.eax, s);
		probe_info(ctx, src, v, "host hardware features the hypervisor uses");
		free(s);
		free(v);
	}
}

static void decode_kvm(struct probe_ctx *ctx, uint32_t base)
{
	struct cpuid_regs r;
	char src[32], *s, *v;

	snprintf(src, sizeof(src), "cpuid:0x%08x", base + 1);
	if (!cpuid_get(&ctx->cpuid, base + 1, 0, &r))
		return;
	s = decode_bits(r.eax, kvm_feat_eax, CV_ELEMENTSOF(kvm_feat_eax), "kvm:",
			&ctx->d->hypervisor.features);
	v = cv_xasprintf("features eax=0x%08x [%s] hints edx=0x%08x%s", r.eax, s, r.edx,
			 (r.edx & 1) ? " [realtime]" : "");
	probe_info(ctx, src, v, "KVM paravirtual features offered to the guest");
	free(s);
	free(v);
}

/* Reads one hypervisor base; returns the mapped id or NULL. */
static const char *read_base(struct probe_ctx *ctx, uint32_t base, bool alt)
{
	struct cpuid_regs r;
	char raw[13], shown[13], src[32];
	const char *id;
	char *v, *m;
	size_t i;

	if (!cpuid_get(&ctx->cpuid, base, 0, &r))
		return NULL;
	signature(&r, raw, shown);
	if (!shown[0])
		return NULL; /* an empty base: nothing there */
	snprintf(src, sizeof(src), "cpuid:0x%08x", base);
	v = cv_xasprintf("signature '%s', max leaf 0x%08x", shown, r.eax);
	if (lookup_sig(raw, &i)) {
		id = cpuid_sigs[i].id;
		m = cv_xasprintf("%shypervisor signature of %s", alt ? "second " : "", cpuid_sigs[i].what);
	} else {
		id = "vm-other";
		m = cv_xstrdup("a hypervisor signature covalid does not know");
	}
	probe_evidence(ctx, alt ? SIG_CPUID_ALT : SIG_CPUID, src, v, m, id);
	free(v);
	free(m);
	if (strcmp(raw, "Microsoft Hv") == 0)
		decode_hyperv(ctx, base);
	else if (strcmp(id, "kvm") == 0)
		decode_kvm(ctx, base);
	return id;
}

static void load_table(struct probe_ctx *ctx)
{
	char *text = NULL;
	size_t len;
	int r;

	if (cv_root_is_live(ctx->root)) {
		r = cpuid_read_live(&ctx->cpuid);
		if (r < 0) {
			evidence_add(&ctx->d->hypervisor.evidence, "cpuid", "not available",
				     "this architecture has no CPUID instruction", NULL);
			return;
		}
		ctx->have_cpuid = true;
		text = cpuid_format(&ctx->cpuid);
		cv_root_capture_extra(ctx->root, "cpuid.txt", text, strlen(text));
		free(text);
		return;
	}
	r = cv_root_read(ctx->root, "cpuid.txt", CPUID_TEXT_MAX, &text, &len);
	if (r == -ENOENT) {
		evidence_add(&ctx->d->hypervisor.evidence, "cpuid.txt", "absent",
			     "no CPUID capture: treated as a machine without CPUID", NULL);
		return;
	}
	if (r < 0) {
		probe_note(ctx, "cpuid.txt: %s; CPUID ignored", r == -E2BIG ? "larger than 1 MiB" : strerror(-r));
		return;
	}
	r = cpuid_parse(text, len, &ctx->cpuid);
	if (r < 0)
		probe_note(ctx, "cpuid.txt: no line in the format of `cpuid -r -1`; CPUID ignored");
	else {
		ctx->have_cpuid = true;
		if (ctx->cpuid.bad_lines)
			probe_note(ctx, "cpuid.txt: %zu malformed line(s), first at line %zu; skipped",
				   ctx->cpuid.bad_lines, ctx->cpuid.first_bad_line);
	}
	free(text);
}

void probe_cpuid(struct probe_ctx *ctx)
{
	struct cpuid_regs r;

	load_table(ctx);
	if (!ctx->have_cpuid)
		return;

	if (cpuid_get(&ctx->cpuid, 0, 0, &r)) {
		char vendor[13], shown[13];

		signature(&(struct cpuid_regs){ 0, r.ebx, r.edx, r.ecx }, vendor, shown);
		probe_info(ctx, "cpuid:0x00000000", shown, "CPU vendor");
	}
	if (!cpuid_get(&ctx->cpuid, 1, 0, &r)) {
		probe_note(ctx, "cpuid: leaf 0x00000001 missing; hypervisor bit unknown");
		return;
	}
	ctx->have_hv_bit = true;
	ctx->hv_bit = (r.ecx & (1u << 31)) != 0;
	probe_evidence(ctx, SIG_HV_BIT, "cpuid:0x00000001", ctx->hv_bit ? "ecx bit 31 set" : "ecx bit 31 clear",
		       ctx->hv_bit ? "hypervisor present bit" :
				     "no hypervisor bit: bare metal, or a hypervisor hiding itself",
		       ctx->hv_bit ? "vm" : "none");
	/* Without the bit the 0x40000000 range holds whatever the CPU
	 * returns for out-of-range leaves, not a signature. */
	if (!ctx->hv_bit)
		return;
	ctx->cpuid_id = read_base(ctx, 0x40000000, false);
	for (uint32_t base = 0x40000100; base <= 0x40000300; base += 0x100) {
		const char *id = read_base(ctx, base, true);

		if (id && !ctx->cpuid_alt_id)
			ctx->cpuid_alt_id = id;
	}
}
