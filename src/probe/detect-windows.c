/*
 * detect-windows.c - a Windows machine's firmware, OS and VM parameters:
 * windows/smbios.bin, windows/os.json and windows/system.json (their
 * formats are in docs/probe.md, "Windows").
 *
 * The SMBIOS table fills the same facts as Linux's /sys/class/dmi/id, so
 * the DMI rules (detect-dmi.c) and the verdict apply unchanged; only the
 * evidence sources differ ("smbios:1:manufacturer").
 */
#include "probe/probe-read.h"
#include "probe/smbios.h"
#include "probe/win-source.h"
#include "probe/win-version.h"
#include "util/cv.h"

#define SMBIOS_FILE_MAX (1024 * 1024)

void probe_win_smbios(struct probe_ctx *ctx)
{
	struct smbios_info s;
	char *raw;
	size_t len;
	int r;

	r = probe_win_read(ctx, "smbios.bin", SMBIOS_FILE_MAX, &raw, &len);
	if (r < 0) {
		if (r == -ENOENT)
			evidence_add(&ctx->d->hypervisor.evidence, "windows/smbios.bin", "absent",
				     "no SMBIOS table: GetSystemFirmwareTable exists from Windows Server 2003 SP1 "
				     "and XP x64 on, or the capture did not include it", NULL);
		return;
	}
	smbios_info_init(&s);
	r = smbios_decode((const unsigned char *)raw, len, &s);
	free(raw);
	for (size_t i = 0; i < s.notes.n; i++)
		probe_note(ctx, "windows/smbios.bin: %s", s.notes.v[i]);
	if (r < 0)
		goto out;
	ctx->dmi_smbios = true;
	ctx->dmi_sys_vendor = s.sys_vendor;
	ctx->dmi_product_name = s.product_name;
	ctx->dmi_product_version = s.product_version;
	ctx->dmi_bios_vendor = s.bios_vendor;
	ctx->dmi_bios_version = s.bios_version;
	ctx->dmi_chassis_asset_tag = s.chassis_asset_tag;
	ctx->dmi_board_vendor = s.board_vendor;
	ctx->dmi_product_uuid = s.product_uuid;
	s.sys_vendor = s.product_name = s.product_version = s.bios_vendor = s.bios_version = NULL;
	s.chassis_asset_tag = s.board_vendor = s.product_uuid = NULL;
	ctx->have_dmi = ctx->dmi_sys_vendor || ctx->dmi_product_name || ctx->dmi_product_version ||
			ctx->dmi_bios_vendor || ctx->dmi_bios_version || ctx->dmi_chassis_asset_tag ||
			ctx->dmi_board_vendor || ctx->dmi_product_uuid;
	probe_dmi_judge(ctx);
	if (s.have_vm_bit) {
		ctx->have_smbios_vm = true;
		ctx->smbios_vm = s.vm_bit;
		probe_evidence(ctx, SIG_HV_BIT, "smbios:0:characteristics_ext2",
			       s.vm_bit ? "BIOS characteristics ext. byte 2 bit 4 set" :
					  "BIOS characteristics ext. byte 2 bit 4 clear",
			       s.vm_bit ? "SMBIOS says this is a virtual machine" :
					  "SMBIOS does not flag a virtual machine",
			       s.vm_bit ? "vm" : NULL);
	}
	if (!ctx->have_dmi)
		evidence_add(&ctx->d->hypervisor.evidence, "windows/smbios.bin", "no system strings",
			     "the SMBIOS table names no vendor or product", NULL);
out:
	smbios_info_release(&s);
}

/*
 * "SP2" from the service pack major number RtlGetVersion gives.  The minor
 * is left out: a service pack minor is no release a catalog names (the
 * catalogs, and catalog_service_pack_parse, know SP1 .. SP99 only), and
 * pretty keeps the CSD version for the human reader.
 */
static char *service_pack(struct probe_ctx *ctx, int64_t major)
{
	if (major <= 0)
		return NULL;
	if (major > 99) {
		probe_note(ctx, "windows/os.json: rtl.sp_major %lld is out of range; service pack unknown", (long long)major);
		return NULL;
	}
	return cv_xasprintf("SP%d", (int)major);
}

void probe_win_os(struct probe_ctx *ctx)
{
	static const char file[] = "os.json";
	struct descriptor *d = ctx->d;
	json_t *os = probe_win_json(ctx, file, JSON_OBJECT), *rtl, *reg;
	int64_t major = 0, minor = 0, build = 0, ptype = 0, suite = 0, sp_major = 0, r2m = 0;
	bool have_ver, have_ptype, have_suite, have_r2m, r2;
	const char *product, *edition_id, *csd, *native;
	struct win_release rel;

	/* The root is Windows because windows/os.json exists (or this is
	 * Windows): that much is known even when the file is unusable. */
	descriptor_set(&d->guest.os.id, "windows");
	if (!os) {
		probe_note(ctx, "guest OS: windows/os.json unusable; Windows version unknown");
		return;
	}
	rtl = json_object_get(os, "rtl");
	reg = json_object_get(os, "registry");
	if (rtl && !json_is_object(rtl)) {
		probe_note(ctx, "windows/os.json: rtl is not an object; ignored");
		rtl = NULL;
	}
	if (reg && !json_is_object(reg)) {
		probe_note(ctx, "windows/os.json: registry is not an object; ignored");
		reg = NULL;
	}
	have_ver = rtl && probe_win_int(ctx, file, "rtl", rtl, "major", &major) &&
		   probe_win_int(ctx, file, "rtl", rtl, "minor", &minor) &&
		   probe_win_int(ctx, file, "rtl", rtl, "build", &build) && major < 256 && minor < 256 &&
		   build < 0x10000000;
	have_ptype = rtl && probe_win_int(ctx, file, "rtl", rtl, "product_type", &ptype);
	have_suite = rtl && probe_win_int(ctx, file, "rtl", rtl, "suite_mask", &suite);
	if (rtl) {
		if (!probe_win_int(ctx, file, "rtl", rtl, "sp_major", &sp_major))
			sp_major = 0;
	}
	csd = rtl ? probe_win_str(ctx, file, "rtl", rtl, "csd") : NULL;
	product = reg ? probe_win_str(ctx, file, "registry", reg, "ProductName") : NULL;
	edition_id = reg ? probe_win_str(ctx, file, "registry", reg, "EditionID") : NULL;
	if (!csd && reg)
		csd = probe_win_str(ctx, file, "registry", reg, "CSDVersion");
	have_r2m = probe_win_int(ctx, file, NULL, os, "sm_serverr2", &r2m);
	native = probe_win_str(ctx, file, NULL, os, "native_arch");
	r2 = (have_r2m && r2m != 0) || (product && strstr(product, " R2"));

	descriptor_set(&d->guest.os.source, "windows/os.json");
	descriptor_set(&d->guest.os.name, product);
	if (!have_ver)
		probe_note(ctx, "windows/os.json: no rtl major, minor and build; Windows version unknown");
	else {
		char *kernel = cv_xasprintf("%d.%d.%d", (int)major, (int)minor, (int)build);

		descriptor_set(&d->guest.kernel, kernel);
		if (have_ptype && win_release((uint32_t)major, (uint32_t)minor, (uint32_t)build, (int)ptype, r2,
					      cv_streq(native, "amd64"), &rel)) {
			descriptor_set(&d->guest.os.version, rel.version);
			descriptor_set(&d->guest.os.osinfo, rel.osinfo);
			if (!d->guest.os.name) {
				char *n = cv_xasprintf("Windows %s%s", rel.server ? "Server " : "", rel.version);

				descriptor_set(&d->guest.os.name, n);
				free(n);
			}
		} else
			probe_note(ctx, "windows/os.json: NT %s with product type %d is no Windows release covalid knows",
				   kernel, have_ptype ? (int)ptype : -1);
		d->guest.os.pretty = cv_xasprintf("%s%s%s (%s)", d->guest.os.name ? d->guest.os.name : "Windows",
						  csd ? " " : "", csd ? csd : "", kernel);
		free(kernel);
	}
	d->guest.os.service_pack = service_pack(ctx, sp_major);
	if (edition_id)
		d->guest.os.edition = win_edition_from_id(edition_id);
	else if (have_suite && have_ptype && win_edition_from_suite((uint32_t)suite, (int)ptype))
		d->guest.os.edition = cv_xstrdup(win_edition_from_suite((uint32_t)suite, (int)ptype));
	if (native) {
		const char *arch = win_arch(native);

		if (arch)
			descriptor_set(&d->guest.arch, arch);
		else
			probe_note(ctx, "windows/os.json: native_arch '%.40s' unknown; architecture unknown", native);
	}
	json_decref(os);
}

void probe_win_vm(struct probe_ctx *ctx)
{
	static const char file[] = "system.json";
	struct descriptor *d = ctx->d;
	json_t *sys = probe_win_json(ctx, file, JSON_OBJECT);
	const char *fw;
	int64_t n;

	/* Windows's container kinds (Server 2016 on) are not detected; none
	 * of Linux's container sources exist here. */
	descriptor_set(&d->container.id, "none");
	evidence_add(&d->container.evidence, "windows/os.json", "Windows",
		     "a Windows machine: Linux container sources do not apply, Windows containers are not detected",
		     "none");
	if (!sys)
		return;
	if (probe_win_int(ctx, file, NULL, sys, "processors", &n)) {
		if (n >= 1 && n <= 65536)
			d->vm.vcpus = (int)n;
		else
			probe_note(ctx, "windows/system.json: processors %lld is out of range; ignored", (long long)n);
	}
	if (probe_win_int(ctx, file, NULL, sys, "memory_bytes", &n))
		d->vm.memory_mib = (uint64_t)n / (1024 * 1024);
	fw = probe_win_str(ctx, file, NULL, sys, "firmware_type");
	if (cv_streq(fw, "bios") || cv_streq(fw, "uefi"))
		descriptor_set(&d->vm.firmware, fw);
	else if (fw)
		probe_note(ctx, "windows/system.json: firmware_type '%.40s' is neither bios nor uefi; ignored", fw);
	json_decref(sys);
}
