/*
 * verdict.c - which hypervisor, decided from the detectors' signals.
 *
 * The rules are tried in order; the first that applies decides.  The
 * order is systemd's detect_vm() (src/basic/virt.c), so that our id agrees
 * with systemd-detect-virt wherever systemd can tell, with these additions
 * stated in docs/probe.md:
 *
 *  - rule "cloud-metal": systemd's bare-metal test for Amazon (inside its
 *    detect_vm_dmi()), made a rule of its own and extended to Alibaba.
 *  - rule "kvm-behind-hyperv": KVM and QEMU put Hyper-V's signature at
 *    0x40000000 (for Windows guests) and their own at 0x40000100; the
 *    second signature tells who really runs the guest.
 *  - rule "paravirt-over-cpuid": a paravirtual clock the kernel registered
 *    (kvm-clock, Hyper-V's TSC page) proves which interface answers; a
 *    CPUID signature is only a string the hypervisor chose.
 *
 * Every signal that disagrees with the verdict becomes a conflict that
 * names both sources, the one followed, and why.
 */
#include "probe/probe-internal.h"
#include "util/cv.h"

struct decision {
	const char *id;
	const struct signal *followed;
	const char *rule;
	const char *why;
	char why_buf[256]; /* for a why composed at run time */
};

static const struct signal *find(const struct probe_ctx *ctx, enum signal_kind kind, const char *id)
{
	for (size_t i = 0; i < ctx->n_sig; i++)
		if (ctx->sig[i].kind == kind && (!id || strcmp(ctx->sig[i].id, id) == 0))
			return &ctx->sig[i];
	return NULL;
}

static bool specific(const char *id)
{
	return id && strcmp(id, "vm") != 0 && strcmp(id, "vm-other") != 0 && strcmp(id, "none") != 0;
}

/*
 * Clouds that sell bare-metal instances and keep their own SMBIOS strings
 * on them: Amazon's *.metal ("AWS on baremetal or KVM", virt-what's
 * comment on its aws fact; systemd's detect_vm_dmi() asks the SMBIOS
 * "virtual machine" bit, then the ".metal" product name) and Alibaba's ECS
 * Bare Metal (virt-what believes Alibaba's SMBIOS to be KVM only with the
 * virtual machine bit).  There the firmware names a place, not a
 * hypervisor; the Nitro or X-Dragon cards (ENA, NVMe, virtio) are real
 * PCI devices of the machine.
 */
static const struct {
	const char *cloud;    /* descriptor hypervisor.cloud, set by detect-dmi.c */
	const char *instance;
	const char *product;
} metal_clouds[] = {
	{ "aws", "an EC2 bare-metal instance (*.metal)", "Amazon EC2 bare metal" },
	{ "alibaba", "an ECS Bare Metal (EBM) instance", "Alibaba Cloud ECS Bare Metal" },
};

/*
 * Bare metal by the machine's own word: CPUID without the hypervisor bit
 * (x86), the SMBIOS "virtual machine" bit clear, or Amazon's ".metal"
 * instance type.  A positive sign (either bit set, or Xen's interfaces)
 * outweighs them all: old SeaBIOS and Xen firmware never set the SMBIOS
 * bit in their guests.
 */
static const char *metal_sign(const struct probe_ctx *ctx)
{
	/* Xen PV guests (old EC2 instances among them) never see the
	 * hypervisor bit: Xen's own interfaces outweigh its absence. */
	if ((ctx->have_hv_bit && ctx->hv_bit) || (ctx->have_smbios_vm && ctx->smbios_vm) ||
	    find(ctx, SIG_XEN, "xen"))
		return NULL;
	if (ctx->have_hv_bit)
		return "CPUID has no hypervisor bit";
	if (ctx->have_smbios_vm)
		return "the SMBIOS 'virtual machine' bit is clear";
	if (ctx->dmi_product_name && cv_endswith(ctx->dmi_product_name, ".metal"))
		return "the instance type ends in .metal";
	return NULL;
}

static bool rule_cloud_metal(struct probe_ctx *ctx, struct decision *d)
{
	const char *cloud = ctx->d->hypervisor.cloud, *sign;

	if (!cloud || !(sign = metal_sign(ctx)))
		return false;
	for (size_t k = 0; k < CV_ELEMENTSOF(metal_clouds); k++) {
		if (strcmp(metal_clouds[k].cloud, cloud) != 0)
			continue;
		/* CPUID's clear bit is a signal to follow; the SMBIOS bit and
		 * the instance type are evidence without one. */
		d->followed = find(ctx, SIG_HV_BIT, "none");
		d->id = "none";
		snprintf(d->why_buf, sizeof(d->why_buf),
			 "the firmware names a cloud that keeps its SMBIOS on bare metal, and %s: %s", sign,
			 metal_clouds[k].instance);
		d->why = d->why_buf;
		return true;
	}
	return false;
}

static bool rule_dmi_first(struct probe_ctx *ctx, struct decision *d)
{
	static const char *const first[] = { "oracle", "xen", "amazon", "parallels", "google" };

	for (size_t k = 0; k < CV_ELEMENTSOF(first); k++) {
		const struct signal *s = find(ctx, SIG_DMI, first[k]);

		if (!s)
			continue;
		d->followed = s;
		d->id = first[k];
		d->why = "the firmware names a hypervisor known to present another's CPUID interface "
			 "(VirtualBox, Xen, Amazon Nitro, Parallels, Google); systemd follows the firmware here too";
		return true;
	}
	return false;
}

static bool rule_uml(struct probe_ctx *ctx, struct decision *d)
{
	d->followed = find(ctx, SIG_UML, NULL);
	d->id = "uml";
	d->why = "User-Mode Linux runs as a process, inside whatever virtualizes its host";
	return d->followed != NULL;
}

static bool rule_xen(struct probe_ctx *ctx, struct decision *d)
{
	d->followed = find(ctx, SIG_XEN, "xen");
	d->id = "xen";
	d->why = "the kernel talks to Xen (xenfs or /sys/hypervisor): Xen PV guests see the host's CPUID, "
		 "so Xen's own interfaces decide";
	return d->followed != NULL;
}

static bool rule_kvm_behind_hyperv(struct probe_ctx *ctx, struct decision *d)
{
	if (!cv_streq(ctx->cpuid_id, "microsoft") || !cv_streq(ctx->cpuid_alt_id, "kvm"))
		return false;
	d->followed = find(ctx, SIG_CPUID_ALT, "kvm");
	d->id = "kvm";
	d->why = "KVM presents Hyper-V's signature first (enlightenments for Windows guests) and its own "
		 "at the next base; the second signature names the hypervisor";
	return true;
}

/* Families: a verdict that legitimately shows another id's evidence. */
static bool same_family(const char *verdict, const char *other)
{
	static const struct {
		const char *verdict, *other;
	} fam[] = {
		{ "kvm", "qemu" },     /* QEMU devices and firmware under KVM acceleration */
		{ "amazon", "kvm" },   /* Nitro is KVM-based */
		{ "amazon", "xen" },   /* older EC2 instances are Xen HVM */
		{ "google", "kvm" },   /* GCE is KVM-based */
		{ "qemu", "bochs" },   /* QEMU's old BIOS called itself Bochs */
		{ "kvm", "bochs" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(fam); i++)
		if (strcmp(fam[i].verdict, verdict) == 0 && strcmp(fam[i].other, other) == 0)
			return true;
	return false;
}

static bool rule_paravirt_over_cpuid(struct probe_ctx *ctx, struct decision *d)
{
	const struct signal *cpu = find(ctx, SIG_CPUID, NULL);

	if (!cpu)
		return false;
	for (size_t i = 0; i < ctx->n_sig; i++) {
		const struct signal *s = &ctx->sig[i];

		if (s->kind != SIG_PARAVIRT || strcmp(s->id, cpu->id) == 0 || same_family(cpu->id, s->id))
			continue;
		d->followed = s;
		d->id = s->id;
		d->why = "a paravirtual interface the kernel uses (its clocksource) proves which hypervisor answers; "
			 "the CPUID signature is only a string the hypervisor chose to present";
		return true;
	}
	return false;
}

static bool rule_kind(struct probe_ctx *ctx, struct decision *d, enum signal_kind kind, const char *why)
{
	for (size_t i = 0; i < ctx->n_sig; i++)
		if (ctx->sig[i].kind == kind && specific(ctx->sig[i].id)) {
			d->followed = &ctx->sig[i];
			d->id = ctx->sig[i].id;
			d->why = why;
			return true;
		}
	return false;
}

static bool rule_cpuid(struct probe_ctx *ctx, struct decision *d)
{
	return rule_kind(ctx, d, SIG_CPUID, "the hypervisor's CPUID signature names it (systemd's second test)");
}

static bool rule_cpu_model(struct probe_ctx *ctx, struct decision *d)
{
	return rule_kind(ctx, d, SIG_CPU_MODEL, "the CPU model is one only this hypervisor presents");
}

static bool rule_dmi(struct probe_ctx *ctx, struct decision *d)
{
	return rule_kind(ctx, d, SIG_DMI, "the firmware (SMBIOS) names the hypervisor");
}

static bool rule_firmware(struct probe_ctx *ctx, struct decision *d)
{
	return rule_kind(ctx, d, SIG_FIRMWARE, "the platform firmware (device tree, sysinfo) names the hypervisor");
}

static bool rule_paravirt(struct probe_ctx *ctx, struct decision *d)
{
	return rule_kind(ctx, d, SIG_PARAVIRT, "a paravirtual interface in use names the hypervisor");
}

static bool rule_bus(struct probe_ctx *ctx, struct decision *d)
{
	return rule_kind(ctx, d, SIG_BUS, "devices only this hypervisor makes are present");
}

static bool rule_vm_other(struct probe_ctx *ctx, struct decision *d)
{
	for (size_t i = 0; i < ctx->n_sig; i++)
		if (strcmp(ctx->sig[i].id, "vm") == 0 || strcmp(ctx->sig[i].id, "vm-other") == 0) {
			d->followed = &ctx->sig[i];
			d->id = "vm-other";
			d->why = "something says a hypervisor is present but nothing names it";
			return true;
		}
	return false;
}

static const struct {
	const char *name;
	bool (*apply)(struct probe_ctx *ctx, struct decision *d);
} rules[] = {
	{ "cloud-metal", rule_cloud_metal },
	{ "dmi-first", rule_dmi_first },
	{ "uml", rule_uml },
	{ "xen", rule_xen },
	{ "kvm-behind-hyperv", rule_kvm_behind_hyperv },
	{ "paravirt-over-cpuid", rule_paravirt_over_cpuid },
	{ "cpuid", rule_cpuid },
	{ "cpu-model", rule_cpu_model },
	{ "dmi", rule_dmi },
	{ "firmware", rule_firmware },
	{ "paravirt", rule_paravirt },
	{ "bus", rule_bus },
	{ "vm-other", rule_vm_other },
};

/* Explanations for disagreements seen in the field, by (verdict, other). */
static const struct {
	const char *verdict, *other;
	enum signal_kind kind;
	const char *why;
} known_conflicts[] = {
	{ "oracle", "kvm", SIG_CPUID, "VirtualBox's KVM paravirtualization provider presents KVM's CPUID signature; the firmware names VirtualBox" },
	{ "oracle", "kvm", SIG_PARAVIRT, "VirtualBox's KVM paravirtualization provider offers kvm-clock; the firmware names VirtualBox" },
	{ "oracle", "microsoft", SIG_CPUID, "VirtualBox's Hyper-V paravirtualization provider presents Hyper-V's CPUID signature; the firmware names VirtualBox" },
	{ "oracle", "microsoft", SIG_PARAVIRT, "VirtualBox's Hyper-V paravirtualization provider offers Hyper-V's clock; the firmware names VirtualBox" },
	{ "kvm", "microsoft", SIG_CPUID, "KVM with Hyper-V enlightenments presents Hyper-V's signature at 0x40000000 and its own at 0x40000100" },
	{ "kvm", "microsoft", SIG_PARAVIRT, "KVM with Hyper-V enlightenments offers Hyper-V's reference TSC page" },
	{ "xen", "microsoft", SIG_CPUID, "Xen's Viridian enlightenments present Hyper-V's signature; Xen's own interfaces decide" },
	{ "xen", "none", SIG_HV_BIT, "Xen PV guests see the host CPU's CPUID, without the hypervisor bit; Xen's interfaces decide" },
	{ "none", "amazon", SIG_DMI, "Amazon's firmware strings stay on its bare-metal instances" },
	{ "none", "amazon", SIG_BUS, "the Nitro cards (ENA, EBS NVMe) are real PCI devices of an EC2 bare-metal instance" },
	{ "none", "kvm", SIG_DMI, "a cloud's firmware strings (read as its KVM platform) stay on its bare-metal instances" },
	{ "kvm", "bhyve", SIG_CPUID, "the CPUID signature says bhyve, but the kernel runs KVM's paravirtual clock, which bhyve does not offer: the signature is presented, not the interface" },
};

static void add_conflicts(struct probe_ctx *ctx, const struct decision *dec)
{
	for (size_t i = 0; i < ctx->n_sig; i++) {
		const struct signal *s = &ctx->sig[i];
		const char *why = dec->why;
		struct conflict *c;
		bool agree;

		if (s == dec->followed)
			continue;
		if (strcmp(s->id, "vm") == 0)
			agree = specific(dec->id) || strcmp(dec->id, "vm-other") == 0;
		else if (strcmp(s->id, "none") == 0)
			agree = !specific(dec->id) && strcmp(dec->id, "vm-other") != 0;
		else if (strcmp(s->id, "vm-other") == 0)
			agree = strcmp(dec->id, "none") != 0 && strcmp(dec->id, "unknown") != 0;
		else
			agree = strcmp(s->id, dec->id) == 0 || same_family(dec->id, s->id);
		if (agree)
			continue;
		/* One conflict per disagreeing source; repeated sources (the
		 * same file suggesting twice) are folded. */
		for (size_t k = 0; k < ctx->d->hypervisor.conflicts.n; k++)
			if (cv_strv_contains(&ctx->d->hypervisor.conflicts.v[k].sources, s->source))
				goto next;
		for (size_t k = 0; k < CV_ELEMENTSOF(known_conflicts); k++)
			if (strcmp(known_conflicts[k].verdict, dec->id) == 0 &&
			    strcmp(known_conflicts[k].other, s->id) == 0 && known_conflicts[k].kind == s->kind) {
				why = known_conflicts[k].why;
				break;
			}
		if (strcmp(s->id, "none") == 0 && why == dec->why)
			why = "CPUID leaf 1 lacks the hypervisor bit (a hypervisor hiding itself); the named hypervisor's own evidence decides";
		c = conflict_add(&ctx->d->hypervisor.conflicts);
		if (dec->followed) {
			cv_strv_push(&c->sources, dec->followed->source);
			cv_strv_push(&c->suggests, dec->followed->id);
		}
		cv_strv_push(&c->sources, s->source);
		cv_strv_push(&c->suggests, s->id);
		c->followed = dec->followed ? cv_xstrdup(dec->followed->source) : NULL;
		c->why = cv_xstrdup(why);
	next:;
	}
}

/* Windows Server releases by Hyper-V host build (TLFS leaf 0x40000002). */
static const struct {
	uint32_t major, minor, build_min, build_max;
	const char *release;
} hyperv_releases[] = {
	{ 6, 0, 6001, 6003, "Windows Server 2008" },
	{ 6, 1, 7600, 7601, "Windows Server 2008 R2" },
	{ 6, 2, 9200, 9200, "Windows Server 2012" },
	{ 6, 3, 9600, 9600, "Windows Server 2012 R2" },
	{ 10, 0, 14393, 14393, "Windows Server 2016" },
	{ 10, 0, 17763, 17763, "Windows Server 2019" },
	{ 10, 0, 20348, 20348, "Windows Server 2022" },
	{ 10, 0, 26100, 26100, "Windows Server 2025" },
};

static const struct {
	const char *id;
	const char *product;
} default_products[] = {
	{ "microsoft", "Microsoft Hyper-V" },
	{ "kvm", "KVM" },
	{ "qemu", "QEMU (TCG emulation)" },
	{ "vmware", "VMware" },
	{ "xen", "Xen" },
	{ "oracle", "Oracle VM VirtualBox" },
	{ "bhyve", "bhyve" },
	{ "parallels", "Parallels" },
	{ "amazon", "AWS Nitro" },
	{ "google", "Google Compute Engine" },
	{ "acrn", "ACRN" },
	{ "powervm", "IBM PowerVM" },
	{ "zvm", "IBM z/VM" },
	{ "bochs", "Bochs" },
	{ "uml", "User-Mode Linux" },
	{ "qnx", "QNX Hypervisor" },
	{ "apple", "Apple Virtualization" },
	{ "sre", "Lockheed Martin SRE" },
};

/* KVM-based platforms named by their firmware (sys_vendor, product_name). */
static const struct {
	const char *sys_vendor; /* prefix, NULL = any */
	const char *product;    /* prefix, NULL = any */
	const char *name;
} kvm_platforms[] = {
	{ "Red Hat", "RHEV Hypervisor", "Red Hat Enterprise Virtualization" },
	{ "oVirt", NULL, "oVirt" },
	{ NULL, "oVirt Node", "oVirt" },
	{ "Red Hat", "OpenStack", "Red Hat OpenStack Platform" },
	{ "Red Hat", NULL, "Red Hat KVM" },
	{ "OpenStack", NULL, "OpenStack Nova (KVM)" },
	{ NULL, "OpenStack Nova", "OpenStack Nova (KVM)" },
	{ "KubeVirt", NULL, "KubeVirt" },
	{ "Cloud Hypervisor", NULL, "Cloud Hypervisor" },
	{ "QEMU", NULL, "QEMU/KVM" },
	{ "Google", NULL, "Google Compute Engine" },
	{ "DigitalOcean", NULL, "DigitalOcean (KVM)" },
	{ "Alibaba Cloud", NULL, "Alibaba Cloud ECS (KVM)" },
	{ "Hetzner", NULL, "Hetzner Cloud (KVM)" },
	{ "Nutanix", NULL, "Nutanix AHV" },
	{ "UpCloud", NULL, "UpCloud (KVM)" },
};

static void name_product(struct probe_ctx *ctx, const char *id)
{
	struct descriptor *d = ctx->d;

	for (size_t i = 0; i < CV_ELEMENTSOF(default_products); i++)
		if (strcmp(default_products[i].id, id) == 0)
			descriptor_set(&d->hypervisor.product, default_products[i].product);

	if (strcmp(id, "microsoft") == 0 && ctx->hv_have_version) {
		char v[32], b[16];

		snprintf(v, sizeof(v), "%u.%u", ctx->hv_major, ctx->hv_minor);
		snprintf(b, sizeof(b), "%u", ctx->hv_build);
		descriptor_set(&d->hypervisor.version, v);
		descriptor_set(&d->hypervisor.version_source, "cpuid");
		descriptor_set(&d->hypervisor.build, b);
		for (size_t i = 0; i < CV_ELEMENTSOF(hyperv_releases); i++)
			if (hyperv_releases[i].major == ctx->hv_major && hyperv_releases[i].minor == ctx->hv_minor &&
			    ctx->hv_build >= hyperv_releases[i].build_min && ctx->hv_build <= hyperv_releases[i].build_max) {
				char *p = cv_xasprintf("%s Hyper-V", hyperv_releases[i].release);

				descriptor_set(&d->hypervisor.product, p);
				free(p);
			}
	} else if (strcmp(id, "kvm") == 0) {
		bool named = false;

		for (size_t i = 0; i < CV_ELEMENTSOF(kvm_platforms) && !named; i++) {
			if (kvm_platforms[i].sys_vendor && !cv_startswith(ctx->dmi_sys_vendor, kvm_platforms[i].sys_vendor))
				continue;
			if (kvm_platforms[i].product && !cv_startswith(ctx->dmi_product_name, kvm_platforms[i].product))
				continue;
			descriptor_set(&d->hypervisor.product, kvm_platforms[i].name);
			if (ctx->dmi_product_version && strcmp(ctx->dmi_product_version, "None") != 0) {
				descriptor_set(&d->hypervisor.version, ctx->dmi_product_version);
				descriptor_set(&d->hypervisor.version_source, "smbios");
			}
			named = true;
		}
		/* Firecracker gives its guests neither SMBIOS tables nor
		 * anything but virtio devices: a KVM guest with virtio and no
		 * firmware tables is that machine model. */
		if (!named && !ctx->have_dmi && ctx->have_virtio)
			descriptor_set(&d->hypervisor.product, "Firecracker");
	} else if (strcmp(id, "xen") == 0) {
		const char *mode = ctx->xen_guest_type;
		char *p;

		if (ctx->xen_dom0)
			p = cv_xstrdup("Xen dom0");
		else if (mode)
			p = cv_xasprintf("Xen %s", mode);
		else
			p = cv_xstrdup("Xen");
		descriptor_set(&d->hypervisor.product, p);
		free(p);
		descriptor_set(&d->hypervisor.version, ctx->xen_version);
		if (ctx->xen_version)
			descriptor_set(&d->hypervisor.version_source, "sysfs");
		if (!d->hypervisor.cloud && ctx->dmi_bios_version && strcasestr(ctx->dmi_bios_version, "amazon"))
			descriptor_set(&d->hypervisor.cloud, "aws");
	} else if (strcmp(id, "amazon") == 0) {
		descriptor_set(&d->hypervisor.product, cv_streq(ctx->cpuid_id, "xen") ? "Amazon EC2 (Xen)" : "AWS Nitro");
		descriptor_set(&d->hypervisor.cloud, "aws");
	} else if (strcmp(id, "google") == 0) {
		descriptor_set(&d->hypervisor.cloud, "gce");
	}
	if (cv_streq(d->hypervisor.cloud, "azure") && strcmp(id, "microsoft") == 0 && !d->hypervisor.product)
		descriptor_set(&d->hypervisor.product, "Microsoft Hyper-V");
}

void probe_verdict(struct probe_ctx *ctx)
{
	struct decision dec = { 0 };
	bool decided = false;

	for (size_t i = 0; i < CV_ELEMENTSOF(rules) && !decided; i++) {
		memset(&dec, 0, sizeof(dec));
		decided = rules[i].apply(ctx, &dec);
		if (decided)
			dec.rule = rules[i].name;
	}
	if (!decided) {
		memset(&dec, 0, sizeof(dec));
		dec.id = ctx->any_source ? "none" : "unknown";
		dec.rule = dec.id;
		dec.why = ctx->any_source ? "no source suggests a hypervisor" : "no source could be read";
	}
	descriptor_set(&ctx->d->hypervisor.id, dec.id);
	{
		char *v = cv_xasprintf("%s (rule %s)", dec.id, dec.rule);

		evidence_add(&ctx->d->hypervisor.evidence, "verdict", v, dec.why, dec.id);
		free(v);
	}
	if (specific(dec.id))
		name_product(ctx, dec.id);
	else if (strcmp(dec.rule, "cloud-metal") == 0)
		for (size_t k = 0; k < CV_ELEMENTSOF(metal_clouds); k++)
			if (cv_streq(ctx->d->hypervisor.cloud, metal_clouds[k].cloud))
				descriptor_set(&ctx->d->hypervisor.product, metal_clouds[k].product);
	ctx->d->hypervisor.nested = ctx->hv_nested;
	add_conflicts(ctx, &dec);
}
