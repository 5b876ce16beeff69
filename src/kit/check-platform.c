/*
 * check-platform.c - platform.security (CPU vulnerabilities mitigated, NX
 * on) and firmware.smbios (the hypervisor provides SMBIOS tables with a
 * usable system UUID).
 *
 * Both depend on the hypervisor more than on the guest: a host that hides
 * the microcode's mitigation bits (md_clear, ssbd...) from the guest
 * leaves the guest kernel "Vulnerable", and a host without NX exposure
 * leaves every page executable.  The SMBIOS UUID is what cloud agents and
 * licence managers identify a VM by; all zeros or all ones means the
 * hypervisor did not set one.
 */
#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "covalid/version.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

#define VULN_DIR "/sys/devices/system/cpu/vulnerabilities"
#define MAX_VULN_FILES 256
#define CPUINFO_MAX (8u * 1024 * 1024)

/* ---- platform.security ---- */

void kit_decide_security(size_t n_vulnerable, const char *first_vulnerable, bool nx_known, bool nx,
			 struct kit_verdict *v)
{
	bool no_nx = nx_known && !nx;

	if (n_vulnerable)
		kit_verdict_set(v, KIT_FAIL, "%zu CPU vulnerabilit%s reported Vulnerable, the first: %s%s", n_vulnerable,
				n_vulnerable > 1 ? "ies" : "y", first_vulnerable ? first_vulnerable : "(unnamed)",
				no_nx ? "; and NX is off" : "");
	else if (no_nx)
		kit_verdict_set(v, KIT_FAIL, "NX (no-execute) is off: the hypervisor does not expose it to the guest");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/* Does the first "flags" line of /proc/cpuinfo have "nx"?  -ENOENT if
 * unreadable or without a flags line. */
static int cpuinfo_nx(bool *ret_nx)
{
	char *s = NULL, *line, *save = NULL, *tok, *tsave = NULL;
	size_t n;
	int r;

	r = cv_read_file("/proc/cpuinfo", CPUINFO_MAX, &s, &n);
	if (r < 0)
		goto out;
	r = -ENOENT;
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!cv_startswith(line, "flags") || !strchr(line, ':'))
			continue;
		*ret_nx = false;
		for (tok = strtok_r(strchr(line, ':') + 1, " \t", &tsave); tok; tok = strtok_r(NULL, " \t", &tsave))
			if (strcmp(tok, "nx") == 0)
				*ret_nx = true;
		r = 0;
		break;
	}
out:
	free(s);
	return r;
}

void kit_check_platform_security(const struct kit_ctx *ctx, struct kit_out *out)
{
	DIR *dir = opendir(VULN_DIR);
	struct cv_strv names;
	struct dirent *e;
	json_t *vulns = NULL;
	char *first = NULL;
	size_t n_vulnerable = 0;
	bool nx = false, nx_known = false;
	struct kit_verdict v;

	(void)ctx;
	cv_strv_init(&names);
	if (dir) {
		while ((e = readdir(dir)) && names.n < MAX_VULN_FILES)
			if (e->d_name[0] != '.')
				cv_strv_push(&names, e->d_name);
		cv_strv_sort(&names);
		vulns = json_object();
		for (size_t i = 0; i < names.n; i++) {
			char *path = cv_xasprintf("%s/%s", VULN_DIR, names.v[i]), *text = kit_read(path);

			if (text) {
				cv_strstrip(text);
				json_object_set_new(vulns, names.v[i], json_string(text));
				if (cv_startswith(text, "Vulnerable") && n_vulnerable++ == 0)
					first = cv_xasprintf("%s (%s)", names.v[i], text);
			}
			free(text);
			free(path);
		}
		json_object_set_new(out->measured, "vulnerabilities", vulns);
	} else {
		json_object_set_new(out->measured, "vulnerabilities", json_null());
		json_object_set_new(out->measured, "note", json_string("the kernel reports no vulnerability files"));
	}
#if defined(__x86_64__) || defined(__i386__)
	nx_known = cpuinfo_nx(&nx) == 0;
#endif
	json_object_set_new(out->measured, "vulnerable", json_integer((json_int_t)n_vulnerable));
	json_object_set_new(out->measured, "nx", nx_known ? json_boolean(nx) : json_null());
	json_object_set_new(out->threshold, "vulnerable", json_integer(0));
	json_object_set_new(out->threshold, "nx", nx_known ? json_true() : json_null());
	kit_decide_security(n_vulnerable, first, nx_known, nx, &v);
	/* Kernels before 4.15 (RHEL 5's 2.6.18 among them) report no
	 * vulnerabilities: NX is then all there is to judge, if that. */
	if (!dir && v.status == KIT_PASS)
		kit_verdict_set(&v, nx_known ? KIT_PASS : KIT_SKIP, "%s",
				nx_known ? "NX checked alone: no " VULN_DIR " (Linux 4.15+)"
					 : "nothing to judge: no " VULN_DIR " (Linux 4.15+) and no NX flag");
	kit_apply(out, &v);
	if (dir)
		closedir(dir);
	cv_strv_release(&names);
	free(first);
}

/* ---- firmware.smbios ---- */

void kit_decide_smbios(bool root, bool present, const char *uuid, struct kit_verdict *v)
{
	if (!root)
		kit_verdict_set(v, KIT_SKIP, "reading the SMBIOS UUID needs root");
	else if (!present)
		kit_verdict_set(v, KIT_FAIL, "no SMBIOS tables (the hypervisor provides none)");
	else if (!uuid)
		kit_verdict_set(v, KIT_FAIL, "SMBIOS tables without a readable system UUID");
	else if (!cv_uuid_well_formed(uuid))
		kit_verdict_set(v, KIT_FAIL, "the SMBIOS UUID \"%.64s\" is not 8-4-4-4-12 hexadecimal digits", uuid);
	else if (cv_uuid_all(uuid, '0'))
		kit_verdict_set(v, KIT_FAIL, "the SMBIOS UUID is all zeros: the hypervisor did not set one");
	else if (cv_uuid_all(uuid, 'f'))
		kit_verdict_set(v, KIT_FAIL, "the SMBIOS UUID is all ones (FF...): the hypervisor did not set one");
	else
		kit_verdict_set(v, KIT_PASS, NULL);
}

/*
 * The kernel exports SMBIOS in sysfs since Linux 2.6.22 (/sys/class/dmi/id,
 * drivers/firmware/dmi-id.c; /sys/firmware/dmi/tables is 4.2).  RHEL 5's
 * 2.6.18 has neither (its source, 2.6.18-92 to -274, has no dmi-id.c): there
 * an absent file says nothing about the hypervisor.
 */
static bool kernel_exports_no_dmi(void)
{
	struct utsname u;

	return uname(&u) == 0 && version_before(u.release, "2.6.22");
}

void kit_check_firmware_smbios(const struct kit_ctx *ctx, struct kit_out *out)
{
	const char *uuid_path = "/sys/class/dmi/id/product_uuid";
	bool present = access(uuid_path, F_OK) == 0 || access("/sys/firmware/dmi/tables/DMI", F_OK) == 0;
	char *raw = ctx->root ? kit_read(uuid_path) : NULL, *uuid = NULL;
	struct kit_verdict v;

	/* What the file holds is echoed: keep it printable and short. */
	if (raw)
		uuid = cv_str_sanitize(cv_strstrip(raw), strlen(raw), 64);
	json_object_set_new(out->measured, "root", json_boolean(ctx->root));
	json_object_set_new(out->measured, "present", json_boolean(present));
	json_object_set_new(out->measured, "uuid", uuid ? json_string(uuid) : json_null());
	json_object_set_new(out->threshold, "uuid_format", json_string("8-4-4-4-12 hex, not all 0 or all F"));
	kit_decide_smbios(ctx->root, present, uuid, &v);
	if (!present && kernel_exports_no_dmi()) {
		json_object_set_new(out->measured, "kernel_exports_dmi", json_false());
		if (ctx->root)
			kit_verdict_set(&v, KIT_SKIP, "this kernel exports no SMBIOS data (/sys/class/dmi/id is Linux 2.6.22+)");
	}
	kit_apply(out, &v);
	free(raw);
	free(uuid);
}
