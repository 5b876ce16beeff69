/*
 * detect-dmi.c - what the firmware's SMBIOS tables say
 * (the files in /sys/class/dmi/id and the SMBIOS "virtual machine" bit).
 *
 * Vendor strings follow systemd's dmi_vendor_table[] (src/basic/virt.c):
 * a field that starts with one of these names the hypervisor.  The cloud
 * table is separate: a cloud is a place, not a hypervisor (Azure runs
 * Hyper-V, AWS runs Xen or Nitro), so it refines the answer rather than
 * making it.
 */
#include "probe/probe-internal.h"
#include "probe/probe-read.h"
#include "util/cv.h"

static const struct {
	const char *prefix;
	const char *id;
} dmi_vendors[] = {
	{ "KVM", "kvm" },
	{ "OpenStack", "kvm" },
	{ "KubeVirt", "kvm" },
	{ "Amazon EC2", "amazon" },
	{ "QEMU", "qemu" },
	{ "VMware", "vmware" },
	{ "VMW", "vmware" },
	{ "innotek GmbH", "oracle" },
	{ "VirtualBox", "oracle" },
	{ "Xen", "xen" },
	{ "Bochs", "bochs" },
	{ "Parallels", "parallels" },
	{ "BHYVE", "bhyve" },
	{ "Hyper-V", "microsoft" },
	{ "Apple Virtualization", "apple" },
	{ "Google Compute Engine", "google" },
	{ "oVirt", "kvm" },
	{ "RHEV Hypervisor", "kvm" },
	{ "Cloud Hypervisor", "kvm" },
	/* Providers whose platform is KVM, as "Amazon EC2" names Nitro. */
	{ "Alibaba Cloud", "kvm" },
	{ "Nutanix", "kvm" },
	{ "UpCloud", "kvm" },
};

/*
 * The fields systemd reads, in its order, with the evidence source each
 * has when it comes from a raw SMBIOS table (Windows's windows/smbios.bin):
 * "smbios:<type>:<field>", the structure type and the field's name in
 * DMTF DSP0134 (docs/probe.md, "Windows").
 */
static const struct {
	const char *file;
	size_t off; /* where to keep the value in struct probe_ctx */
	const char *smbios;
} dmi_fields[] = {
	{ "product_name", offsetof(struct probe_ctx, dmi_product_name), "smbios:1:product" },
	{ "sys_vendor", offsetof(struct probe_ctx, dmi_sys_vendor), "smbios:1:manufacturer" },
	{ "board_vendor", offsetof(struct probe_ctx, dmi_board_vendor), "smbios:2:manufacturer" },
	{ "bios_vendor", offsetof(struct probe_ctx, dmi_bios_vendor), "smbios:0:vendor" },
	{ "product_version", offsetof(struct probe_ctx, dmi_product_version), "smbios:1:version" },
	{ "bios_version", offsetof(struct probe_ctx, dmi_bios_version), "smbios:0:version" },
	{ "chassis_asset_tag", offsetof(struct probe_ctx, dmi_chassis_asset_tag), "smbios:3:asset_tag" },
	{ "product_uuid", offsetof(struct probe_ctx, dmi_product_uuid), "smbios:1:uuid" },
};

static const struct {
	const char *field; /* file name */
	const char *match;
	bool prefix;       /* startswith rather than equality or substring */
	bool substring;
	const char *cloud;
	const char *what;
} dmi_clouds[] = {
	{ "chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77", false, false, "azure",
	  "Microsoft Azure's chassis asset tag" },
	{ "sys_vendor", "Amazon EC2", true, false, "aws", "Amazon EC2" },
	{ "bios_vendor", "Amazon EC2", true, false, "aws", "Amazon EC2" },
	{ "bios_version", "amazon", false, true, "aws", "Amazon's Xen-era EC2 BIOS" },
	{ "product_name", "Google Compute Engine", true, false, "gce", "Google Compute Engine" },
	{ "sys_vendor", "Google", true, false, "gce", "Google Compute Engine" },
	{ "chassis_asset_tag", "OracleCloud.com", false, false, "oci", "Oracle Cloud Infrastructure" },
	{ "sys_vendor", "Alibaba Cloud", true, false, "alibaba", "Alibaba Cloud ECS" },
	{ "sys_vendor", "DigitalOcean", true, false, "digitalocean", "DigitalOcean" },
	{ "product_name", "OpenStack Nova", true, false, "openstack", "OpenStack Nova" },
	{ "sys_vendor", "OpenStack Foundation", true, false, "openstack", "OpenStack" },
	{ "sys_vendor", "Hetzner", true, false, "hetzner", "Hetzner Cloud" },
	{ "sys_vendor", "Scaleway", true, false, "scaleway", "Scaleway" },
	{ "sys_vendor", "UpCloud", true, false, "upcloud", "UpCloud" },
};

static char **field_slot(struct probe_ctx *ctx, size_t off)
{
	return (char **)((char *)ctx + off);
}

/* The evidence source of field i: its sysfs file, or its SMBIOS name. */
static char *field_source(const struct probe_ctx *ctx, size_t i)
{
	if (ctx->dmi_smbios)
		return cv_xstrdup(dmi_fields[i].smbios);
	return cv_xasprintf("/sys/class/dmi/id/%s", dmi_fields[i].file);
}

static char *field_source_of(const struct probe_ctx *ctx, const char *file)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(dmi_fields); i++)
		if (strcmp(dmi_fields[i].file, file) == 0)
			return field_source(ctx, i);
	abort();
}

static const char *field_value(struct probe_ctx *ctx, const char *file)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(dmi_fields); i++)
		if (strcmp(dmi_fields[i].file, file) == 0)
			return *field_slot(ctx, dmi_fields[i].off);
	return NULL;
}

/*
 * SMBIOS 2.7+ type 0, BIOS characteristics extension byte 2 (offset
 * 0x13), bit 4: "the system is a virtual machine".  Only root can read
 * the raw entry; absent or short means unknown, never "bare metal".
 */
static void smbios_vm_bit(struct probe_ctx *ctx)
{
	const char *path = "sys/firmware/dmi/entries/0-0/raw";
	unsigned char *raw;
	size_t len;
	int r;

	r = cv_root_read(ctx->root, path, PROBE_SMALL_MAX, (char **)&raw, &len);
	if (r < 0) {
		if (r == -EACCES || r == -EPERM)
			probe_note(ctx, "/%s: permission denied (root only); SMBIOS VM bit not read", path);
		return;
	}
	if (len > 0x13 && raw[0] == 0 && raw[1] > 0x13) {
		bool vm = raw[0x13] & (1u << 4);

		ctx->have_smbios_vm = true;
		ctx->smbios_vm = vm;
		probe_evidence(ctx, SIG_HV_BIT, "/sys/firmware/dmi/entries/0-0/raw",
			       vm ? "BIOS characteristics ext. byte 2 bit 4 set" :
				    "BIOS characteristics ext. byte 2 bit 4 clear",
			       vm ? "SMBIOS says this is a virtual machine" :
				    "SMBIOS does not flag a virtual machine",
			       vm ? "vm" : NULL);
	}
	free(raw);
}

void probe_dmi_judge(struct probe_ctx *ctx)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(dmi_fields); i++) {
		const char *v = *field_slot(ctx, dmi_fields[i].off);
		char *src;

		if (!v)
			continue;
		src = field_source(ctx, i);
		if (strcmp(dmi_fields[i].file, "product_uuid") == 0) {
			/* The UUID identifies the machine, which the report does
			 * not need; EC2 ones start with "ec2". */
			if (strncasecmp(v, "ec2", 3) == 0)
				probe_info(ctx, src, "ec2...", "EC2 instance UUID prefix");
			free(src);
			continue;
		}
		for (size_t k = 0; k < CV_ELEMENTSOF(dmi_vendors); k++)
			if (cv_startswith(v, dmi_vendors[k].prefix)) {
				char *m = cv_xasprintf("firmware names '%s'", dmi_vendors[k].prefix);

				probe_evidence(ctx, SIG_DMI, src, v, m, dmi_vendors[k].id);
				free(m);
				goto next;
			}
		probe_info(ctx, src, v, NULL);
	next:
		free(src);
	}

	/* Microsoft's own VMs say "Microsoft Corporation" + "Virtual
	 * Machine"; the vendor alone is also a Surface laptop. */
	if (cv_streq(ctx->dmi_product_name, "Virtual Machine") &&
	    cv_startswith(ctx->dmi_sys_vendor, "Microsoft Corporation")) {
		char *src = field_source_of(ctx, "sys_vendor");

		probe_evidence(ctx, SIG_DMI, src, ctx->dmi_sys_vendor,
			       "firmware of a Hyper-V virtual machine ('Microsoft Corporation' 'Virtual Machine')",
			       "microsoft");
		free(src);
	}

	/* Hitachi's Virtage partitions its blades in firmware and says so in
	 * the product name ("... LPAR"), the test virt-what makes (virtage);
	 * systemd has no name for it. */
	if ((strstr(ctx->dmi_sys_vendor ? ctx->dmi_sys_vendor : "", "HITACHI") ||
	     strstr(ctx->dmi_board_vendor ? ctx->dmi_board_vendor : "", "HITACHI")) &&
	    strstr(ctx->dmi_product_name ? ctx->dmi_product_name : "", " LPAR")) {
		char *src = field_source_of(ctx, "product_name");

		probe_evidence(ctx, SIG_DMI, src, ctx->dmi_product_name, "a Hitachi Virtage logical partition",
			       "vm-other");
		free(src);
	}

	for (size_t i = 0; i < CV_ELEMENTSOF(dmi_clouds); i++) {
		const char *v = field_value(ctx, dmi_clouds[i].field);
		bool hit;

		if (!v)
			continue;
		if (dmi_clouds[i].substring)
			hit = strcasestr(v, dmi_clouds[i].match) != NULL;
		else if (dmi_clouds[i].prefix)
			hit = cv_startswith(v, dmi_clouds[i].match);
		else
			hit = strcmp(v, dmi_clouds[i].match) == 0;
		if (hit && !ctx->d->hypervisor.cloud) {
			char *src = field_source_of(ctx, dmi_clouds[i].field);
			char *m = cv_xasprintf("cloud: %s", dmi_clouds[i].what);

			ctx->d->hypervisor.cloud = cv_xstrdup(dmi_clouds[i].cloud);
			probe_info(ctx, src, v, m);
			free(src);
			free(m);
		}
	}
}

void probe_dmi(struct probe_ctx *ctx)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(dmi_fields); i++) {
		char *path = cv_xasprintf("sys/class/dmi/id/%s", dmi_fields[i].file);
		char *v = probe_read_value(ctx, path);

		free(path);
		if (!v)
			continue;
		ctx->have_dmi = true;
		*field_slot(ctx, dmi_fields[i].off) = v;
	}
	probe_dmi_judge(ctx);
	smbios_vm_bit(ctx);
	if (!ctx->have_dmi)
		evidence_add(&ctx->d->hypervisor.evidence, "/sys/class/dmi/id", "absent",
			     "no SMBIOS/DMI tables (direct kernel boot, or not x86/arm64 UEFI)", NULL);
}
