/*
 * test-probe-windows.c - the Windows half of the probe: the SMBIOS
 * decoder against well-formed and hostile tables (DMTF DSP0134 layouts),
 * the NT version table (Microsoft's "Operating System Version" table and
 * OSVERSIONINFOEX's product types and suite masks), component states from
 * services and devices, and malformed windows/ JSON files, which must
 * give a note naming the file and never a crash.
 */
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "covalid/root.h"
#include "probe/smbios.h"
#include "probe/win-devices.h"
#include "probe/win-source.h"
#include "probe/win-version.h"
#include "tap.h"

/* ---- building tables ---- */

struct tbl {
	unsigned char b[8192];
	size_t n;
	size_t ends[16]; /* where each structure ends */
	size_t n_ends;
};

static void put(struct tbl *t, const void *p, size_t n)
{
	if (n) /* (p may be NULL then: memcpy's arguments may not) */
		memcpy(t->b + t->n, p, n);
	t->n += n;
}

/* A structure: header, formatted bytes after the header, strings, "\0\0" or "\0". */
static void st(struct tbl *t, uint8_t type, const unsigned char *fmt, size_t fmt_len, const char *const *strings)
{
	unsigned char h[4] = { type, (uint8_t)(4 + fmt_len), 0x00, type };

	put(t, h, 4);
	put(t, fmt, fmt_len);
	if (!strings || !strings[0])
		put(t, "\0\0", 2);
	else {
		for (size_t i = 0; strings[i]; i++)
			put(t, strings[i], strlen(strings[i]) + 1);
		put(t, "", 1);
	}
	if (t->n_ends < CV_ELEMENTSOF(t->ends))
		t->ends[t->n_ends++] = t->n;
}

/* RawSMBIOSData header for version major.minor over t->b[8..n). */
static void header(struct tbl *t, uint8_t major, uint8_t minor)
{
	uint32_t len = (uint32_t)(t->n - 8);

	t->b[0] = 0;
	t->b[1] = major;
	t->b[2] = minor;
	t->b[3] = 0;
	t->b[4] = (unsigned char)len;
	t->b[5] = (unsigned char)(len >> 8);
	t->b[6] = (unsigned char)(len >> 16);
	t->b[7] = (unsigned char)(len >> 24);
}

/* Type 0 with ext byte 2 at 0x13 (len 0x18), type 1 with a UUID, types 2, 3, 127. */
static void good_table(struct tbl *t, uint8_t major, uint8_t minor, uint8_t ext2)
{
	static const char *const s0[] = { "SeaBIOS", "1.16.3", "04/01/2014", NULL };
	static const char *const s1[] = { "Red Hat", "KVM", "RHEL 7.2.0 PC (i440FX + PIIX, 1996)", "serial", NULL };
	static const char *const s2[] = { "Board Inc.", NULL };
	static const char *const s3[] = { "Chassis Inc.", "7783-7084-3265-9085-8269-3286-77", NULL };
	unsigned char f0[0x14] = { 1, 2, 0x00, 0xe8, 3, 0 };
	/* 04h..07h strings, 08h UUID 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff, 18h wake-up */
	unsigned char f1[0x15] = { 1, 2, 3, 4, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 6 };
	unsigned char f2[4] = { 1, 0, 0, 0 };
	unsigned char f3[5] = { 1, 1, 0, 0, 2 };

	t->n = 8;
	t->n_ends = 0;
	f0[0x13 - 4] = ext2;
	st(t, 0, f0, sizeof(f0), s0);
	st(t, 1, f1, sizeof(f1), s1);
	st(t, 2, f2, sizeof(f2), s2);
	st(t, 3, f3, sizeof(f3), s3);
	st(t, 127, NULL, 0, NULL);
	header(t, major, minor);
}

static bool has_note(const struct smbios_info *s, const char *part)
{
	for (size_t i = 0; i < s->notes.n; i++)
		if (strstr(s->notes.v[i], part))
			return true;
	return false;
}

TEST(smbios_decodes_the_fields_linux_shows)
{
	struct tbl t;
	struct smbios_info s;

	good_table(&t, 2, 8, 0x14);
	smbios_info_init(&s);
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	CHECK_STR(s.bios_vendor, "SeaBIOS");
	CHECK_STR(s.bios_version, "1.16.3");
	CHECK_STR(s.sys_vendor, "Red Hat");
	CHECK_STR(s.product_name, "KVM");
	CHECK_STR(s.product_version, "RHEL 7.2.0 PC (i440FX + PIIX, 1996)");
	CHECK_STR(s.board_vendor, "Board Inc.");
	CHECK_STR(s.chassis_asset_tag, "7783-7084-3265-9085-8269-3286-77");
	/* 2.6+: the first three UUID fields little-endian (DSP0134 7.2.1). */
	CHECK_STR(s.product_uuid, "33221100-5544-7766-8899-aabbccddeeff");
	/* 0x14 = bit 2 (targeted content distribution) | bit 4 (virtual machine) */
	CHECK(s.have_vm_bit);
	CHECK(s.vm_bit);
	CHECK_INT(s.notes.n, 0);
	smbios_info_release(&s);

	good_table(&t, 2, 4, 0x04);
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	/* Before 2.6 the bytes in order, as Linux's dmi_save_uuid() %pUb. */
	CHECK_STR(s.product_uuid, "00112233-4455-6677-8899-aabbccddeeff");
	CHECK(s.have_vm_bit);
	CHECK(!s.vm_bit);
	smbios_info_release(&s);
}

TEST(smbios_short_type0_has_no_vm_bit)
{
	static const char *const s0[] = { "American Megatrends Inc.", "090004", NULL };
	unsigned char f0[0x0f] = { 1, 2 }; /* SMBIOS 2.3: 0x13 bytes, ends with ext byte 1 */
	struct tbl t = { .n = 8 };
	struct smbios_info s;

	st(&t, 0, f0, sizeof(f0), s0);
	header(&t, 2, 3);
	smbios_info_init(&s);
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	CHECK_STR(s.bios_version, "090004");
	CHECK(!s.have_vm_bit);
	smbios_info_release(&s);
}

TEST(smbios_hostile_tables_give_notes)
{
	struct tbl t;
	struct smbios_info s;

	smbios_info_init(&s);
	/* Shorter than the header. */
	CHECK_INT(smbios_decode((const unsigned char *)"\0\2\4", 3, &s), -EINVAL);
	CHECK(has_note(&s, "shorter than the 8-byte RawSMBIOSData header"));
	smbios_info_release(&s);

	/* A Length of 4 GiB over a small table: decoded up to the end. */
	good_table(&t, 2, 8, 0);
	memset(t.b + 4, 0xff, 4);
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	CHECK(has_note(&s, "header says 4294967295 bytes"));
	CHECK_STR(s.sys_vendor, "Red Hat");
	smbios_info_release(&s);

	/* Cut anywhere inside a structure: noted (a cut between two
	 * structures is a shorter table, which is fine). */
	good_table(&t, 2, 8, 0);
	for (size_t cut = 9; cut < t.n; cut++) {
		struct tbl c = t;
		bool boundary = false;

		for (size_t k = 0; k < t.n_ends; k++)
			boundary = boundary || t.ends[k] == cut;
		if (boundary)
			continue;
		c.n = cut;
		header(&c, 2, 8);
		CHECK_INT(smbios_decode(c.b, c.n, &s), 0);
		CHECK(s.notes.n > 0);
		smbios_info_release(&s);
	}

	/* A structure length below the 4-byte header. */
	good_table(&t, 2, 8, 0);
	t.b[8 + 1] = 2;
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	CHECK(has_note(&s, "shorter than its header"));
	CHECK(!s.bios_vendor);
	smbios_info_release(&s);

	/* A structure length running past the end. */
	good_table(&t, 2, 8, 0);
	t.b[8 + 1] = 0xff;
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	CHECK(has_note(&s, "runs past the end"));
	smbios_info_release(&s);
}

TEST(smbios_bad_strings_give_notes)
{
	static const char *const s1[] = { "Vendor", NULL };
	unsigned char f1[4] = { 1, 5, 0, 0 }; /* product is string 5 of 1 */
	char big[400];
	const char *const s2[] = { big, NULL };
	const char *const s3[] = { "Bad\x01\x02" "chars", NULL };
	unsigned char f2[4] = { 1, 0, 0, 0 };
	unsigned char f3[5] = { 1, 1, 0, 0, 1 };
	struct tbl t = { .n = 8 };
	struct smbios_info s;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	st(&t, 1, f1, sizeof(f1), s1);
	st(&t, 2, f2, sizeof(f2), s2);
	st(&t, 3, f3, sizeof(f3), s3);
	header(&t, 2, 8);
	smbios_info_init(&s);
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	CHECK_STR(s.sys_vendor, "Vendor");
	CHECK(!s.product_name);
	CHECK(has_note(&s, "type 1 product: string 5"));
	CHECK_INT(strlen(s.board_vendor), SMBIOS_STRING_MAX);
	CHECK(has_note(&s, "longer than 256 bytes"));
	CHECK(s.chassis_asset_tag && !strchr(s.chassis_asset_tag, '\x01'));
	CHECK(has_note(&s, "non-printable"));
	smbios_info_release(&s);

	/* A string set that never ends. */
	t.n = 8;
	put(&t, "\x01\x08\x00\x01\x01\x02\x00\x00" "NoEnd", 13);
	header(&t, 2, 8);
	CHECK_INT(smbios_decode(t.b, t.n, &s), 0);
	CHECK(has_note(&s, "without its double-NUL end"));
	CHECK(!s.sys_vendor);
	smbios_info_release(&s);
}

/* Random bytes, a fixed seed: no crash, no read outside (ASan), always a result. */
TEST(smbios_random_bytes_never_crash)
{
	uint32_t x = 2463534242u;

	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(round % 300);
		unsigned char *b = cv_xmalloc(n + 1);
		struct smbios_info s;

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			b[i] = (unsigned char)x;
		}
		if (n >= 8 && round % 2) { /* a plausible Length, so structures get walked */
			b[4] = (unsigned char)(n - 8);
			b[5] = b[6] = b[7] = 0;
		}
		smbios_info_init(&s);
		CHECK(smbios_decode(b, n, &s) == 0 || n < 8);
		smbios_info_release(&s);
		free(b);
	}
}

/* ---- NT versions: Microsoft's "Operating System Version" table ---- */

static void rel(uint32_t major, uint32_t minor, uint32_t build, int ptype, bool r2, bool amd64, const char *version,
		const char *osinfo)
{
	struct win_release r = { 0 };
	bool ok = win_release(major, minor, build, ptype, r2, amd64, &r);

	if (!version) {
		if (ok)
			tap_fail(__FILE__, __LINE__, "%u.%u.%u type %d: got %s, expected none", major, minor, build, ptype,
				 r.version);
		return;
	}
	if (!ok || !cv_streq(r.version, version) || !cv_streq(r.osinfo, osinfo))
		tap_fail(__FILE__, __LINE__, "%u.%u.%u type %d r2 %d: got %s/%s, expected %s/%s", major, minor, build,
			 ptype, r2, ok ? r.version : "none", ok && r.osinfo ? r.osinfo : "(null)", version,
			 osinfo ? osinfo : "(null)");
}

TEST(nt_versions_follow_microsofts_table)
{
	rel(5, 0, 2195, WIN_NT_SERVER, false, false, "2000", "win2k");
	rel(5, 1, 2600, WIN_NT_WORKSTATION, false, false, "XP", "winxp");
	/* 5.2: SM_SERVERR2 tells 2003 R2; a workstation 5.2 is XP x64 only on AMD64. */
	rel(5, 2, 3790, WIN_NT_SERVER, false, false, "2003", "win2k3");
	rel(5, 2, 3790, WIN_NT_SERVER, true, false, "2003 R2", "win2k3r2");
	rel(5, 2, 3790, WIN_NT_DOMAIN_CONTROLLER, false, false, "2003", "win2k3");
	rel(5, 2, 3790, WIN_NT_WORKSTATION, false, true, "XP", "winxp");
	rel(5, 2, 3790, WIN_NT_WORKSTATION, false, false, NULL, NULL);
	/* Workstation product types are never Server. */
	rel(6, 0, 6002, WIN_NT_SERVER, false, true, "2008", "win2k8");
	rel(6, 0, 6002, WIN_NT_WORKSTATION, false, true, "Vista", "winvista");
	rel(6, 1, 7601, WIN_NT_SERVER, false, true, "2008 R2", "win2k8r2");
	rel(6, 1, 7601, WIN_NT_DOMAIN_CONTROLLER, false, true, "2008 R2", "win2k8r2");
	rel(6, 1, 7601, WIN_NT_WORKSTATION, false, true, "7", "win7");
	/* R2 means something only on 5.2. */
	rel(6, 1, 7601, WIN_NT_SERVER, true, true, "2008 R2", "win2k8r2");
	rel(6, 2, 9200, WIN_NT_SERVER, false, true, "2012", "win2k12");
	rel(6, 2, 9200, WIN_NT_WORKSTATION, false, true, "8", "win8");
	rel(6, 3, 9600, WIN_NT_SERVER, false, true, "2012 R2", "win2k12r2");
	rel(6, 3, 9600, WIN_NT_WORKSTATION, false, true, "8.1", "win8.1");
	rel(10, 0, 14393, WIN_NT_SERVER, false, true, "2016", "win2k16");
	rel(10, 0, 17763, WIN_NT_SERVER, false, true, "2019", "win2k19");
	rel(10, 0, 20348, WIN_NT_SERVER, false, true, "2022", "win2k22");
	rel(10, 0, 26100, WIN_NT_SERVER, false, true, "2025", NULL);
	rel(10, 0, 19045, WIN_NT_WORKSTATION, false, true, "10", "win10");
	rel(10, 0, 22000, WIN_NT_WORKSTATION, false, true, "11", "win11");
	/* A semi-annual channel server build (1709) is not guessed. */
	rel(10, 0, 16299, WIN_NT_SERVER, false, true, NULL, NULL);
	rel(6, 1, 7601, 0, false, true, NULL, NULL);
	rel(7, 0, 1, WIN_NT_SERVER, false, true, NULL, NULL);
}

TEST(editions_from_suite_mask_and_edition_id)
{
	char *e;

	/* Datacenter sets VER_SUITE_ENTERPRISE too; it wins. */
	CHECK_STR(win_edition_from_suite(WIN_SUITE_DATACENTER | WIN_SUITE_ENTERPRISE, WIN_NT_SERVER), "Datacenter");
	CHECK_STR(win_edition_from_suite(0x0112, WIN_NT_SERVER), "Enterprise");
	CHECK_STR(win_edition_from_suite(WIN_SUITE_BLADE, WIN_NT_SERVER), "Web");
	CHECK_STR(win_edition_from_suite(0x0110, WIN_NT_SERVER), "Standard");
	CHECK_STR(win_edition_from_suite(0, WIN_NT_DOMAIN_CONTROLLER), "Standard");
	CHECK_STR(win_edition_from_suite(WIN_SUITE_PERSONAL, WIN_NT_WORKSTATION), "Home");
	CHECK_STR(win_edition_from_suite(0, WIN_NT_WORKSTATION), "Professional");
	CHECK(!win_edition_from_suite(0, 9));
	e = win_edition_from_id("ServerEnterprise");
	CHECK_STR(e, "Enterprise");
	free(e);
	e = win_edition_from_id("ServerDatacenter");
	CHECK_STR(e, "Datacenter");
	free(e);
	e = win_edition_from_id("Professional");
	CHECK_STR(e, "Professional");
	free(e);
	e = win_edition_from_id("Server");
	CHECK_STR(e, "Server");
	free(e);
	CHECK_STR(win_arch("amd64"), "x86_64");
	CHECK_STR(win_arch("x86"), "i686");
	CHECK(!win_arch("mips"));
}

/* ---- whole probes of small Windows roots ---- */

static void wfile(const char *root, const char *name, const char *text)
{
	char *dir = cv_xasprintf("%s/windows", root), *path = cv_xasprintf("%s/%s", dir, name);

	CHECK_INT(cv_mkdir_p(dir, 0755), 0);
	CHECK_INT(cv_write_file_atomic(path, text, strlen(text), 0644), 0);
	free(dir);
	free(path);
}

#define OS_2008R2                                                                                              \
	"{\"rtl\": {\"major\": 6, \"minor\": 1, \"build\": 7601, \"platform_id\": 2, \"csd\": \"Service Pack 1\", " \
	"\"sp_major\": 1, \"sp_minor\": 0, \"suite_mask\": 274, \"product_type\": 3}, "                         \
	"\"registry\": {\"ProductName\": \"Windows Server 2008 R2 Enterprise\", \"EditionID\": \"ServerEnterprise\"}, " \
	"\"native_arch\": \"amd64\", \"process_arch\": \"x86\", \"wow64\": true}"

static char *new_root(const char *name)
{
	char *root = cv_xasprintf("%s/%s", tap_tmpdir(), name);

	wfile(root, "os.json", OS_2008R2);
	/* KVM's CPUID signature: "KVMKVMKVM" in ebx, ecx, edx of 0x40000000. */
	{
		char *p = cv_xasprintf("%s/cpuid.txt", root);
		const char *c = "CPU:\n   0x00000001 0x00: eax=0x000306f2 ebx=0x00010800 ecx=0xfffafbbf edx=0x1f8bfbff\n"
				"   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n";

		CHECK_INT(cv_write_file_atomic(p, c, strlen(c), 0644), 0);
		free(p);
	}
	return root;
}

static struct descriptor *probe_root(const char *root)
{
	struct probe_options po = { .root = root };
	struct descriptor *d = NULL;

	CHECK_INT(probe_run(&po, &d), 0);
	return d;
}

static bool note_has(const struct descriptor *d, const char *part)
{
	for (size_t i = 0; i < d->notes.n; i++)
		if (strstr(d->notes.v[i], part))
			return true;
	return false;
}

static const struct evidence *integ_ev(const struct descriptor *d, const char *source)
{
	for (size_t i = 0; i < d->integration.evidence.n; i++)
		if (cv_streq(d->integration.evidence.v[i].source, source))
			return &d->integration.evidence.v[i];
	return NULL;
}

TEST(wow64_process_reports_the_native_arch)
{
	char *root = new_root("wow64");
	struct descriptor *d = probe_root(root);

	CHECK_STR(d->guest.os.id, "windows");
	CHECK_STR(d->guest.os.version, "2008 R2");
	CHECK_STR(d->guest.arch, "x86_64");
	CHECK_STR(d->guest.kernel, "6.1.7601");
	CHECK_STR(d->guest.os.service_pack, "SP1");
	CHECK_STR(d->guest.os.edition, "Enterprise");
	CHECK_STR(d->hypervisor.id, "kvm");
	descriptor_free(d);
	free(root);
}

TEST(component_states_from_services_and_devices)
{
	char *root = new_root("states");
	struct descriptor *d;
	const struct evidence *e;

	/* The NIC is an emulated e1000 while netkvm is installed: unbound, and
	 * virtio_net missing.  The disk's device has problem code 10: unbound.
	 * QEMU-GA is installed but stopped: not present. */
	wfile(root, "devices.json",
	      "[{\"instance\": \"PCI\\\\VEN_8086&DEV_100E&SUBSYS_11001AF4&REV_03\\\\3&1\", \"class\": \"Net\", "
	      "\"service\": \"E1G60\", \"description\": \"Intel(R) PRO/1000 MT Network Connection\", \"problem\": 0},"
	      " {\"instance\": \"PCI\\\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00\\\\3&2\", \"class\": \"SCSIAdapter\", "
	      "\"service\": \"viostor\", \"description\": \"Red Hat VirtIO SCSI controller\", \"problem\": 10}]");
	wfile(root, "services.json",
	      "[{\"name\": \"netkvm\", \"type\": \"kernel_driver\", \"state\": \"running\", \"start\": \"demand\", "
	      "\"image\": \"system32\\\\DRIVERS\\\\netkvm.sys\"},"
	      " {\"name\": \"viostor\", \"type\": \"kernel_driver\", \"state\": \"stopped\", \"start\": \"boot\", "
	      "\"image\": \"\\\\SystemRoot\\\\system32\\\\DRIVERS\\\\viostor.sys\"},"
	      " {\"name\": \"QEMU-GA\", \"type\": \"win32_own\", \"state\": \"stopped\", \"start\": \"auto\", "
	      "\"image\": \"\\\"C:\\\\Program Files\\\\Qemu-ga\\\\qemu-ga.exe\\\" -d\"}]");
	wfile(root, "files.json",
	      "[{\"path\": \"C:\\\\Windows\\\\system32\\\\DRIVERS\\\\netkvm.sys\", \"version\": \"61.63.103.3000\", "
	      "\"signed\": false, \"signer\": null},"
	      " {\"path\": \"C:\\\\Windows\\\\system32\\\\DRIVERS\\\\viostor.sys\", \"version\": null, "
	      "\"signed\": null, \"signer\": null},"
	      " {\"path\": \"C:\\\\Program Files\\\\Qemu-ga\\\\qemu-ga.exe\", \"version\": \"100.0.0.0\", "
	      "\"signed\": true, \"signer\": \"Red Hat, Inc.\"}]");
	d = probe_root(root);
	CHECK_INT(d->integration.present.n, 0);
	CHECK(cv_strv_contains(&d->integration.unbound, "virtio_net"));
	CHECK(cv_strv_contains(&d->integration.unbound, "virtio_storage"));
	CHECK(cv_strv_contains(&d->integration.missing, "virtio_net"));
	CHECK(cv_strv_contains(&d->integration.missing, "virtio_storage"));
	CHECK(cv_strv_contains(&d->integration.recommended_missing, "qemu-guest-agent"));
	e = integ_ev(d, "windows/services.json:netkvm");
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->value, "running, 61.63.103.3000, not signed");
		CHECK_STR(e->meaning, "virtio_net: netkvm installed, bound to no present device");
	}
	e = integ_ev(d, "windows/services.json:viostor");
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->value, "stopped, version unknown, signature unknown");
		CHECK_STR(e->meaning, "virtio_storage: viostor's device Red Hat VirtIO SCSI controller has problem code 10");
	}
	e = integ_ev(d, "windows/services.json:QEMU-GA");
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->value, "stopped, 100.0.0.0, signed by Red Hat, Inc.");
		CHECK_STR(e->meaning, "qemu-guest-agent: service QEMU-GA installed, not running");
	}
	/* A device with a problem drives nothing: no driver in vm.disks. */
	CHECK_INT(d->vm.disks.n, 1);
	if (d->vm.disks.n)
		CHECK(d->vm.disks.v[0].driver == NULL);
	CHECK_INT(d->notes.n, 0);
	descriptor_free(d);
	free(root);
}

/* Malformed files: a note that names the file, the rest still probed. */
TEST(malformed_json_files_give_notes)
{
	static const struct {
		const char *file, *text, *note;
	} cases[] = {
		{ "os.json", "{\"rtl\": {", "windows/os.json: not JSON (line 1" },
		{ "os.json", "[1, 2]", "windows/os.json: not a JSON object" },
		{ "os.json", "{\"rtl\": {\"major\": \"six\", \"minor\": 1, \"build\": 7601}}", "windows/os.json: rtl.major is not a whole number" },
		{ "os.json", "{\"rtl\": 5}", "windows/os.json: rtl is not an object" },
		{ "os.json", "{\"native_arch\": \"mips\"}", "windows/os.json: native_arch 'mips' unknown" },
		{ "system.json", "{\"processors\": -4}", "windows/system.json: processors is not a whole number" },
		{ "system.json", "{\"processors\": 0}", "windows/system.json: processors 0 is out of range" },
		{ "system.json", "\x01\x02\xff", "windows/system.json: not JSON" },
		{ "devices.json", "{}", "windows/devices.json: not a JSON array" },
		{ "devices.json", "[3, {\"class\": \"Net\"}]", "windows/devices.json: entry 0 is not an object" },
		{ "devices.json", "[{\"instance\": 7}]", "windows/devices.json: device.instance is not a string" },
		{ "services.json", "[{\"name\": \"netkvm\", \"state\": 1}]", "windows/services.json: service.state is not a string" },
		{ "services.json", "{\"a\": 1, \"a\": 2}", "windows/services.json: not JSON" },
		{ "files.json", "[{\"path\": \"netkvm.sys\", \"signed\": \"yes\"}]", "windows/files.json: file.signed is not true or false" },
		{ "files.json", "", "windows/files.json: not JSON" },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(cases); i++) {
		char *name = cv_xasprintf("bad%zu", i), *root = new_root(name);
		struct descriptor *d;

		/* A netkvm service so that files.json gets read. */
		if (strcmp(cases[i].file, "services.json") != 0)
			wfile(root, "services.json",
			      "[{\"name\": \"netkvm\", \"state\": \"running\", \"image\": \"netkvm.sys\"}]");
		wfile(root, cases[i].file, cases[i].text);
		d = probe_root(root);
		if (!note_has(d, cases[i].note)) {
			char *all = cv_strv_join(&d->notes, " | ");

			tap_fail(__FILE__, __LINE__, "%s '%s': no note '%s' in: %s", cases[i].file, cases[i].text,
				 cases[i].note, all);
			free(all);
		}
		CHECK_STR(d->guest.os.id, "windows");
		CHECK_STR(d->hypervisor.id, "kvm");
		descriptor_free(d);
		free(root);
		free(name);
	}
}

/* The SMBIOS file of a root: truncated, it gives a note and no strings. */
TEST(truncated_smbios_file_is_noted)
{
	char *root = new_root("smbios"), *path = cv_xasprintf("%s/windows/smbios.bin", root);
	struct descriptor *d;
	struct tbl t;

	good_table(&t, 2, 8, 0x14);
	CHECK_INT(cv_write_file_atomic(path, t.b, 30, 0644), 0);
	d = probe_root(root);
	CHECK(note_has(d, "windows/smbios.bin: header says"));
	CHECK_STR(d->hypervisor.id, "kvm");
	descriptor_free(d);
	CHECK_INT(cv_write_file_atomic(path, t.b, t.n, 0644), 0);
	d = probe_root(root);
	CHECK(!note_has(d, "smbios"));
	/* This root has no services.json: said so, nothing reported missing. */
	CHECK(note_has(d, "integration: windows/services.json absent or unusable"));
	CHECK_INT(d->integration.missing.n, 0);
	CHECK_STR(d->hypervisor.product, "Red Hat KVM");
	CHECK_STR(d->hypervisor.version, "RHEL 7.2.0 PC (i440FX + PIIX, 1996)");
	descriptor_free(d);
	free(path);
	free(root);
}

/* Devices are bus signals as on Linux: VMware's firmware and CPUID with a
 * virtio device present decide vmware, and the virtio device becomes a
 * conflict naming its instance id; the VMBus count names Hyper-V. */
TEST(devices_are_bus_signals_in_the_verdict)
{
	char *root = new_root("buses"), *cpuid = cv_xasprintf("%s/cpuid.txt", root);
	const char *vmware = "CPU:\n   0x00000001 0x00: eax=0x000306f2 ebx=0x00010800 ecx=0xfffafbbf edx=0x1f8bfbff\n"
			     "   0x40000000 0x00: eax=0x40000010 ebx=0x61774d56 ecx=0x4d566572 edx=0x65726177\n";
	struct descriptor *d;
	bool found = false;

	CHECK_INT(cv_write_file_atomic(cpuid, vmware, strlen(vmware), 0644), 0);
	wfile(root, "devices.json",
	      "[{\"instance\": \"PCI\\\\VEN_15AD&DEV_07B0&SUBSYS_07B015AD&REV_01\\\\FF\", \"class\": \"Net\", "
	      "\"service\": \"vmxnet3ndis6\", \"description\": \"vmxnet3 Ethernet Adapter\", \"problem\": 0},"
	      " {\"instance\": \"PCI\\\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00\\\\3&2\", \"class\": \"SCSIAdapter\", "
	      "\"service\": null, \"description\": \"SCSI Controller\", \"problem\": 28}]");
	d = probe_root(root);
	CHECK_STR(d->hypervisor.id, "vmware");
	for (size_t i = 0; i < d->hypervisor.conflicts.n; i++)
		found = found || cv_strv_contains(&d->hypervisor.conflicts.v[i].sources,
						  "windows/devices.json:PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00\\3&2");
	CHECK(!found); /* "vm" (virtio: some hypervisor) agrees with any named one */
	CHECK_INT(d->vm.nics.n, 1);
	if (d->vm.nics.n) {
		CHECK_STR(d->vm.nics.v[0].model, "0x15ad:0x07b0");
		CHECK_STR(d->vm.nics.v[0].driver, "vmxnet3ndis6");
	}
	descriptor_free(d);

	/* A Hyper-V synthetic NIC under a KVM signature: a conflict that names
	 * the VMBus devices. */
	{
		const char *kvm = "CPU:\n   0x00000001 0x00: eax=0x000306f2 ebx=0x00010800 ecx=0xfffafbbf edx=0x1f8bfbff\n"
				  "   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d\n";

		CHECK_INT(cv_write_file_atomic(cpuid, kvm, strlen(kvm), 0644), 0);
	}
	wfile(root, "devices.json",
	      "[{\"instance\": \"VMBUS\\\\{F8615163-DF3E-46C5-913F-F2D2F965ED0E}\\\\{1}\", \"class\": \"Net\", "
	      "\"service\": \"netvsc\", \"description\": \"Microsoft Virtual Machine Bus Network Adapter\", \"problem\": 0}]");
	d = probe_root(root);
	CHECK_STR(d->hypervisor.id, "kvm");
	found = false;
	for (size_t i = 0; i < d->hypervisor.conflicts.n; i++)
		found = found || cv_strv_contains(&d->hypervisor.conflicts.v[i].sources, "windows/devices.json:VMBUS");
	CHECK(found);
	CHECK_INT(d->vm.nics.n, 1);
	if (d->vm.nics.n)
		CHECK_STR(d->vm.nics.v[0].bus, "vmbus");
	descriptor_free(d);
	free(cpuid);
	free(root);
}

/* 2003 R2 shares 5.2.3790 with 2003: SM_SERVERR2, or the registry's
 * product name where a capture lacks the metric. */
TEST(windows_2003_r2_by_metric_or_product_name)
{
	static const char *const os[] = {
		"{\"rtl\": {\"major\": 5, \"minor\": 2, \"build\": 3790, \"sp_major\": 2, \"suite_mask\": 128, "
		"\"product_type\": 3}, \"registry\": {\"ProductName\": \"Microsoft Windows Server 2003\"}, "
		"\"native_arch\": \"x86\", \"sm_serverr2\": 1}",
		"{\"rtl\": {\"major\": 5, \"minor\": 2, \"build\": 3790, \"sp_major\": 2, \"suite_mask\": 128, "
		"\"product_type\": 3}, \"registry\": {\"ProductName\": \"Microsoft Windows Server 2003 R2\"}, "
		"\"native_arch\": \"x86\"}",
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(os); i++) {
		char *name = cv_xasprintf("r2-%zu", i), *root = new_root(name);
		struct descriptor *d;

		wfile(root, "os.json", os[i]);
		d = probe_root(root);
		CHECK_STR(d->guest.os.version, "2003 R2");
		CHECK_STR(d->guest.os.osinfo, "win2k3r2");
		CHECK_STR(d->guest.os.edition, "Datacenter");
		CHECK_STR(d->guest.os.service_pack, "SP2");
		CHECK_STR(d->guest.arch, "i686");
		descriptor_free(d);
		free(root);
		free(name);
	}
}

/* devices.json is parsed once per probe: the devices and the integration
 * detectors get the same array, kept until probe_win_release(). */
TEST(devices_json_is_parsed_once_per_probe)
{
	char *root = new_root("devices-once");
	struct probe_ctx ctx = { 0 };
	const struct win_device *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;

	wfile(root, "devices.json",
	      "[{\"instance\": \"PCI\\\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00\\\\3&13C0B0C5&0&18\", "
	      "\"service\": \"netkvm\", \"class\": \"Net\"}, 5]");
	CHECK_INT(cv_root_open(root, &ctx.root), 0);
	ctx.d = descriptor_new();
	CHECK(win_devices_get(&ctx, &a, &na));
	CHECK(win_devices_get(&ctx, &b, &nb));
	CHECK(a != NULL && a == b);
	CHECK_INT(na, 1);
	CHECK_INT(nb, 1);
	CHECK_STR(a ? a[0].service : NULL, "netkvm");
	CHECK_INT(ctx.d->notes.n, 1);
	probe_win_release(&ctx);
	CHECK(ctx.win_devices == NULL && !ctx.win_devices_read);
	descriptor_free(ctx.d);
	cv_root_free(ctx.root);
	free(root);
}

TAP_MAIN(windows_2003_r2_by_metric_or_product_name, devices_are_bus_signals_in_the_verdict, smbios_decodes_the_fields_linux_shows, smbios_short_type0_has_no_vm_bit, smbios_hostile_tables_give_notes,
	 smbios_bad_strings_give_notes, smbios_random_bytes_never_crash, nt_versions_follow_microsofts_table,
	 editions_from_suite_mask_and_edition_id, wow64_process_reports_the_native_arch,
	 component_states_from_services_and_devices, malformed_json_files_give_notes, truncated_smbios_file_is_noted,
	 devices_json_is_parsed_once_per_probe)
