/*
 * test-kit-storage.c - storage.io_integrity, storage.inventory and
 * kernel.pv_drivers on fixture machines (tests/fixtures/kit-*, written by
 * tests/fixtures/make-fixtures.py, which says what real system each
 * imitates and where its paths come from):
 *
 *  - kit-hyperv-storvsc: RHEL 8.6 on Windows Server 2019 Hyper-V, Gen 2,
 *    storvsc/netvsc/hv_utils/hv_balloon bound, root on LVM over sda3:
 *    everything passes, the write lands on the storvsc disk;
 *  - kit-hyperv-storvsc-unbound: the same as Gen 1, the disk on emulated
 *    IDE, the synthetic SCSI controller offered and hv_storvsc bound to
 *    nothing: pv_drivers and inventory fail naming storvsc;
 *  - kit-kvm-virtio-blk: Debian 12 on QEMU/KVM, root on vda1: passes;
 *  - kit-kvm-no-pv-disk: the disk on emulated AHCI: inventory fails;
 *  - kit-kvm-live-tmpfs: a live system, / an overlay on tmpfs, no disk:
 *    io_integrity skips, naming what it refused.
 *
 * The checks read the fixture through kit_ctx.sysroot; io_integrity still
 * writes for real, in the test's temporary directory (so these tests
 * write 16 MiB there each), and judges the filesystem by the fixture's
 * mount table.  A fault hook corrupts a block between write and read-back.
 * Nothing here needs root or a particular hypervisor; the one live test
 * needs /dev/shm to be a tmpfs and says so when it is not.
 */
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "covalid/root.h"
#include "kit/kit-internal.h"
#include "probe-fixture.h"
#include "tap.h"
#include "util/cv.h"

#define CHECK_HAS(s, needle)                                                                            \
	do {                                                                                            \
		const char *s_ = (s);                                                                   \
		if (!s_ || !strstr(s_, (needle)))                                                       \
			tap_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", s_ ? s_ : "(null)", (needle)); \
	} while (0)

struct run {
	struct kit_options opt;
	struct descriptor *d;
	char *root;
	struct kit_ctx ctx;
	struct kit_out out;
};

/* Probes the fixture (its descriptor is the run's claim) and points the
 * check at it. */
static bool run_init(struct run *r, const char *fixture)
{
	memset(r, 0, sizeof(*r));
	r->opt.quick = true;
	cv_strv_init(&r->opt.only);
	cv_strv_init(&r->opt.skip);
	r->d = probe_fixture(fixture);
	r->root = cv_xasprintf("%s/tests/fixtures/%s/root", tap_srcdir(), fixture);
	r->ctx = (struct kit_ctx){ .opt = &r->opt, .d = r->d, .tmpdir = tap_tmpdir(), .sysroot = r->root };
	r->out = (struct kit_out){ KIT_ERROR, "the check set no result", json_object(), json_object() };
	return r->d != NULL;
}

static void run_release(struct run *r)
{
	json_decref(r->out.measured);
	json_decref(r->out.threshold);
	descriptor_free(r->d);
	free(r->root);
}

static const char *m_str(const struct run *r, const char *key)
{
	return json_string_value(json_object_get(r->out.measured, key));
}

static char *m_dump(const struct run *r, const char *key)
{
	return json_dumps(json_object_get(r->out.measured, key), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void show(const char *what, const struct run *r)
{
	char *m = json_dumps(r->out.measured, JSON_COMPACT);

	fprintf(stderr, "# %s: %s (%s)\n# measured: %s\n", what, kit_status_name(r->out.status), r->out.reason, m);
	free(m);
}

/* ---- Hyper-V, storvsc bound: everything passes ---- */

TEST(hyperv_storvsc_io_integrity_writes_on_the_storvsc_disk)
{
	struct run r;

	if (!run_init(&r, "kit-hyperv-storvsc"))
		goto out;
	kit_check_storage_io_integrity(&r.ctx, &r.out);
	show("storage.io_integrity", &r);
	CHECK_STR(kit_status_name(r.out.status), "pass");
	/* The fixture: / is xfs on dm-0, LVM over sda3, sda a SCSI disk
	 * (sd) on the vmbus device hv_storvsc drives. */
	CHECK_STR(m_str(&r, "mount_point"), "/");
	CHECK_STR(m_str(&r, "filesystem"), "xfs");
	CHECK_STR(m_str(&r, "device"), "dm-0");
	CHECK_STR(m_str(&r, "disk"), "sda");
	CHECK_STR(m_str(&r, "driver"), "sd");
	CHECK_STR(m_str(&r, "pv_driver"), "hv_storvsc");
	CHECK_STR(m_str(&r, "component"), "storvsc");
	CHECK(json_is_true(json_object_get(r.out.measured, "paravirtual")));
	CHECK_INT(json_integer_value(json_object_get(r.out.measured, "mismatching_blocks")), 0);
	CHECK_INT(json_integer_value(json_object_get(r.out.measured, "blocks")), 16);
out:
	run_release(&r);
}

TEST(hyperv_storvsc_inventory_passes)
{
	struct run r;
	char *m = NULL;

	if (!run_init(&r, "kit-hyperv-storvsc"))
		goto out;
	kit_check_storage_inventory(&r.ctx, &r.out);
	show("storage.inventory", &r);
	CHECK_STR(kit_status_name(r.out.status), "pass");
	CHECK_STR(r.out.reason, "1 block device: sda (hv_storvsc)"); /* dm-0 is a layer, not a disk */
	m = m_dump(&r, "missing_storage");
	CHECK_STR(m, "[]");
	free(m);
	m = json_dumps(json_object_get(r.out.threshold, "expected_storage"), JSON_COMPACT);
	CHECK_STR(m, "[\"storvsc\"]");
out:
	free(m);
	run_release(&r);
}

TEST(hyperv_storvsc_components_bound_and_answering)
{
	struct run r;
	json_t *svc, *e;
	size_t i;

	if (!run_init(&r, "kit-hyperv-storvsc"))
		goto out;
	kit_check_kernel_pv_drivers(&r.ctx, &r.out);
	show("kernel.pv_drivers", &r);
	CHECK_STR(kit_status_name(r.out.status), "pass");
	/* vmbus, storvsc, netvsc, utils, balloon: the probe's era-true set
	 * for a 4.18 kernel on build 17763 (integration-table.c). */
	CHECK_INT(json_array_size(json_object_get(r.out.measured, "components")), 5);
	json_array_foreach(json_object_get(r.out.measured, "components"), i, e) {
		const char *state = json_string_value(json_object_get(e, "state"));

		if (!cv_streq(state, "bound") && !cv_streq(state, "present"))
			tap_fail(__FILE__, __LINE__, "%s is %s", json_string_value(json_object_get(e, "name")), state);
	}
	svc = json_object_get(r.out.measured, "hv_services");
	CHECK_INT(json_array_size(svc), 6);
	/* heartbeat: the fixture's first utility device, 120 events. */
	e = json_array_get(svc, 0);
	CHECK_STR(json_string_value(json_object_get(e, "service")), "heartbeat");
	CHECK_STR(json_string_value(json_object_get(e, "state")), "bound");
	CHECK_STR(json_string_value(json_object_get(e, "driver")), "hv_utils");
	CHECK_INT(json_integer_value(json_object_get(e, "events")), 120);
	/* The fixture offers no file-copy device. */
	e = json_array_get(svc, 5);
	CHECK_STR(json_string_value(json_object_get(e, "service")), "fcopy");
	CHECK_STR(json_string_value(json_object_get(e, "state")), "not_offered");
	e = json_object_get(r.out.measured, "kvp_daemon");
	CHECK(json_is_true(json_object_get(e, "running")));
	CHECK_STR(json_string_value(json_object_get(e, "process")), "hypervkvpd");
	CHECK_INT(json_integer_value(json_object_get(e, "pool_files")), 5);
out:
	run_release(&r);
}

/* ---- the same with hv_storvsc bound to nothing ---- */

TEST(hyperv_storvsc_unbound_fails_pv_drivers_naming_it)
{
	struct run r;
	char *m = NULL;

	if (!run_init(&r, "kit-hyperv-storvsc-unbound"))
		goto out;
	kit_check_kernel_pv_drivers(&r.ctx, &r.out);
	show("kernel.pv_drivers", &r);
	CHECK_STR(kit_status_name(r.out.status), "fail");
	CHECK_STR(r.out.reason, "integration components not working: storvsc (the host offers vmbus device "
				"f8b3781b-1e82-4818-a1c3-63d806ec15bb; no driver is bound to it)");
	m = m_dump(&r, "unbound");
	CHECK_STR(m, "[\"storvsc\"]");
out:
	free(m);
	run_release(&r);
}

TEST(hyperv_storvsc_unbound_fails_inventory_naming_it)
{
	struct run r;

	if (!run_init(&r, "kit-hyperv-storvsc-unbound"))
		goto out;
	kit_check_storage_inventory(&r.ctx, &r.out);
	show("storage.inventory", &r);
	CHECK_STR(kit_status_name(r.out.status), "fail");
	CHECK_STR(r.out.reason, "no disk is driven by storvsc, which this guest is expected to have; disks seen: sda (ata_piix)");
out:
	run_release(&r);
}

TEST(hyperv_storvsc_unbound_io_integrity_says_the_disk_is_not_paravirtual)
{
	struct run r;

	if (!run_init(&r, "kit-hyperv-storvsc-unbound"))
		goto out;
	kit_check_storage_io_integrity(&r.ctx, &r.out);
	show("storage.io_integrity", &r);
	/* The data still comes back: integrity passes, and says on what. */
	CHECK_STR(kit_status_name(r.out.status), "pass");
	CHECK_HAS(r.out.reason, "not a paravirtual disk: ");
	CHECK_HAS(r.out.reason, " is on sda (ata_piix)");
	CHECK(json_is_false(json_object_get(r.out.measured, "paravirtual")));
	CHECK(json_is_null(json_object_get(r.out.measured, "pv_driver")));
	CHECK_STR(m_str(&r, "controller"), "ata_piix");
out:
	run_release(&r);
}

/* ---- Hyper-V utilities that do not answer; a balloon the host does not offer ---- */

TEST(hyperv_utilities_silent_or_unbound_fail_naming_the_service)
{
	struct run r;
	char *m = NULL;

	if (!run_init(&r, "kit-hyperv-utils-broken"))
		goto out;
	kit_check_kernel_pv_drivers(&r.ctx, &r.out);
	show("kernel.pv_drivers", &r);
	CHECK_STR(kit_status_name(r.out.status), "fail");
	/* The fixture: the heartbeat device (class 57164f39-...) bound with 0
	 * events, the KVP device (a9a0f4e7-...) offered with no driver. */
	CHECK_STR(r.out.reason,
		  "integration components not working: utils/heartbeat (bound to hv_utils on "
		  "57164f39-9115-4e78-ab55-382f3bd5422d, but it never signalled the host (0 channel events)); "
		  "utils/kvp (the host offers vmbus device a9a0f4e7-5a45-4d96-b827-8a841e8c03e6; hv_utils is not bound to it)");
	m = m_dump(&r, "missing");
	CHECK_STR(m, "[\"utils/heartbeat\",\"utils/kvp\"]");
	free(m);
	/* Dynamic Memory is not enabled: hv_balloon registered and idle is
	 * no fault (the probe's own lists call it missing). */
	m = m_dump(&r, "components");
	CHECK_HAS(m, "\"name\":\"balloon\",\"state\":\"not_offered\"");
	CHECK(!strstr(r.out.reason, "balloon"));
	CHECK(cv_strv_contains(&r.d->integration.missing, "balloon"));
out:
	free(m);
	run_release(&r);
}

/* ---- KVM ---- */

TEST(kvm_virtio_blk_passes)
{
	struct run r;

	if (!run_init(&r, "kit-kvm-virtio-blk"))
		goto out;
	kit_check_storage_io_integrity(&r.ctx, &r.out);
	show("storage.io_integrity", &r);
	CHECK_STR(kit_status_name(r.out.status), "pass");
	CHECK_STR(m_str(&r, "device"), "vda1");
	CHECK_STR(m_str(&r, "disk"), "vda");
	CHECK_STR(m_str(&r, "driver"), "virtio_blk");
	CHECK_STR(m_str(&r, "pv_driver"), "virtio_blk");
	CHECK_STR(m_str(&r, "component"), "virtio_storage");
	CHECK_STR(m_str(&r, "filesystem"), "ext4");
	run_release(&r);

	if (!run_init(&r, "kit-kvm-virtio-blk"))
		goto out;
	kit_check_storage_inventory(&r.ctx, &r.out);
	CHECK_STR(kit_status_name(r.out.status), "pass");
	CHECK_STR(r.out.reason, "1 block device: vda (virtio_blk)");
	run_release(&r);

	if (!run_init(&r, "kit-kvm-virtio-blk"))
		goto out;
	kit_check_kernel_pv_drivers(&r.ctx, &r.out);
	show("kernel.pv_drivers", &r);
	CHECK_STR(kit_status_name(r.out.status), "pass");
	CHECK(json_object_get(r.out.measured, "hv_services") == NULL);
out:
	run_release(&r);
}

TEST(kvm_without_a_paravirtual_disk_fails_inventory)
{
	struct run r;

	if (!run_init(&r, "kit-kvm-no-pv-disk"))
		goto out;
	kit_check_storage_inventory(&r.ctx, &r.out);
	show("storage.inventory", &r);
	CHECK_STR(kit_status_name(r.out.status), "fail");
	CHECK_STR(r.out.reason,
		  "no disk is driven by virtio_storage, which this guest is expected to have; disks seen: sda (ahci)");
	run_release(&r);

	if (!run_init(&r, "kit-kvm-no-pv-disk"))
		goto out;
	kit_check_kernel_pv_drivers(&r.ctx, &r.out);
	show("kernel.pv_drivers", &r);
	CHECK_STR(kit_status_name(r.out.status), "fail");
	CHECK_STR(r.out.reason, "integration components not working: virtio_storage (the host offers no virtio device "
				"of its class, and its driver is bound to nothing)");
out:
	run_release(&r);
}

/* ---- nowhere to write but memory ---- */

TEST(tmpfs_as_the_only_writable_place_skips_with_the_reason)
{
	struct run r;
	char *m = NULL;

	if (!run_init(&r, "kit-kvm-live-tmpfs"))
		goto out;
	kit_check_storage_io_integrity(&r.ctx, &r.out);
	show("storage.io_integrity", &r);
	CHECK_STR(kit_status_name(r.out.status), "skip");
	CHECK_HAS(r.out.reason, "no writable filesystem on a disk: give --dir on the paravirtual disk; refused: ");
	/* / is the overlay: the kit's directory or /var/tmp, whichever comes first, is on it. */
	CHECK_HAS(r.out.reason, "overlay on tmpfs (/run/live/overlay) at /");
	CHECK_HAS(r.out.reason, "tmpfs at /run (memory, not a disk)");
	/* Read-only mounts and the kernel's own filesystems are no candidates. */
	CHECK(!strstr(r.out.reason, "/run/live/medium") && !strstr(r.out.reason, "/proc"));
	/* Never a pass, and nothing measured as if written. */
	CHECK(json_object_get(r.out.measured, "mismatching_blocks") == NULL);
	m = m_dump(&r, "refused");
	CHECK_HAS(m, "\"filesystem\":\"overlay on tmpfs (/run/live/overlay)\"");
out:
	free(m);
	run_release(&r);
}

TEST(dir_on_a_tmpfs_skips_live)
{
	struct kit_options opt = { .quick = true, .dir = "/dev/shm" };
	struct descriptor *d = descriptor_new();
	struct kit_ctx ctx = { .opt = &opt, .d = d };
	struct kit_out out = { KIT_ERROR, "", json_object(), json_object() };
	char tmpl[] = "/dev/shm/covalid-test-XXXXXX";
	struct statfs sf;

	/* Depends on /dev/shm being a tmpfs, as systemd and Debian's initscripts mount it. */
	if (statfs("/dev/shm", &sf) < 0 || (unsigned long)sf.f_type != 0x01021994 || !mkdtemp(tmpl)) {
		tap_skip("/dev/shm is not a writable tmpfs here");
		goto out;
	}
	ctx.tmpdir = tmpl;
	kit_check_storage_io_integrity(&ctx, &out);
	fprintf(stderr, "# %s: %s\n", kit_status_name(out.status), out.reason);
	CHECK_STR(kit_status_name(out.status), "skip");
	CHECK_HAS(out.reason, "--dir is not on one");
	CHECK_HAS(out.reason, "tmpfs at /dev/shm/covalid-test-");
	CHECK(rmdir(tmpl) == 0); /* empty: nothing was written there */
out:
	json_decref(out.measured);
	json_decref(out.threshold);
	descriptor_free(d);
}

/* ---- a disk write that does not read back ---- */

static int corrupt_block_3(const char *path, void *userdata)
{
	unsigned char byte;
	int fd = open(path, O_RDWR), r = 0;

	(void)userdata;
	if (fd < 0)
		return -errno;
	if (pread(fd, &byte, 1, 3 * 1048576 + 17) != 1)
		r = -EIO;
	byte ^= 0x40;
	if (!r && pwrite(fd, &byte, 1, 3 * 1048576 + 17) != 1)
		r = -EIO;
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

TEST(corrupted_read_back_on_the_storvsc_disk_fails)
{
	struct kit_faults f = { .after_write = corrupt_block_3 };
	struct run r;

	if (!run_init(&r, "kit-hyperv-storvsc"))
		goto out;
	r.ctx.faults = &f;
	kit_check_storage_io_integrity(&r.ctx, &r.out);
	show("storage.io_integrity", &r);
	CHECK_STR(kit_status_name(r.out.status), "fail");
	CHECK_HAS(r.out.reason, "1 mismatch in 16 checked (storage blocks): block 3 read back differs from what was written");
	CHECK_INT(json_integer_value(json_object_get(r.out.measured, "first_mismatching_block")), 3);
	CHECK_STR(m_str(&r, "pv_driver"), "hv_storvsc");
out:
	run_release(&r);
}

/* ---- bad input ---- */

TEST(a_root_that_does_not_exist_is_an_error_naming_it)
{
	struct run r;

	if (!run_init(&r, "kit-kvm-virtio-blk"))
		goto out;
	free(r.root);
	r.root = cv_xasprintf("%s/no-such-root", tap_tmpdir());
	r.ctx.sysroot = r.root;
	kit_check_storage_inventory(&r.ctx, &r.out);
	CHECK_STR(kit_status_name(r.out.status), "error");
	CHECK_HAS(r.out.reason, "no-such-root: No such file or directory");
out:
	run_release(&r);
}

/* ---- the mount table ---- */

TEST(mountinfo_escapes_and_the_longest_mount_point)
{
	char *dir = cv_xasprintf("%s/mountinfo-root", tap_tmpdir()), *proc = cv_xasprintf("%s/proc/self", dir);
	char *file = cv_xasprintf("%s/mountinfo", proc);
	static const char text[] = "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
				   "21 20 8:17 / /mnt/my\\040disk rw,relatime - xfs /dev/sdb1 rw\n"
				   "22 20 8:33 / /mnt/my ro,relatime - ext4 /dev/sdc1 ro\n"
				   "garbage line\n";
	struct cv_root *root = NULL;
	struct kit_mounts m = { 0 };
	const struct kit_mount *f;

	CHECK_INT(cv_mkdir_p(proc, 0755), 0);
	CHECK_INT(cv_write_file_atomic(file, text, sizeof(text) - 1, 0644), 0);
	CHECK_INT(cv_root_open(dir, &root), 0);
	CHECK_INT(kit_mounts_read(root, &m), 0);
	CHECK_INT(m.n, 3); /* the malformed line is left out */
	f = kit_mounts_find(&m, "/mnt/my disk/x");
	CHECK(f && cv_streq(f->point, "/mnt/my disk") && f->major == 8 && f->minor == 17 && f->rw);
	f = kit_mounts_find(&m, "/mnt/my");
	CHECK(f && cv_streq(f->fstype, "ext4") && !f->rw);
	f = kit_mounts_find(&m, "/mnt/mydisk"); /* a prefix of a name is not the directory */
	CHECK(f && cv_streq(f->point, "/"));
	kit_mounts_release(&m);
	cv_root_free(root);
	free(file);
	free(proc);
	free(dir);
}

/* ---- sysfs layouts of other eras and buses, written here ---- */

static void put(const char *root, const char *path, const char *text)
{
	char *full = cv_xasprintf("%s/%s", root, path), *dir = cv_xstrdup(full);

	*strrchr(dir, '/') = '\0';
	CHECK_INT(cv_mkdir_p(dir, 0755), 0);
	CHECK_INT(cv_write_file_atomic(full, text, strlen(text), 0644), 0);
	free(dir);
	free(full);
}

static void link_to(const char *root, const char *path, const char *target)
{
	char *full = cv_xasprintf("%s/%s", root, path), *dir = cv_xstrdup(full);

	*strrchr(dir, '/') = '\0';
	CHECK_INT(cv_mkdir_p(dir, 0755), 0);
	CHECK_INT(symlink(target, full), 0);
	free(dir);
	free(full);
}

TEST(an_old_kernel_xen_disk_and_an_nvme_namespace)
{
	char *dir = cv_xasprintf("%s/layouts-root", tap_tmpdir());
	struct cv_root *root = NULL;
	struct kit_mounts m = { 0 };
	struct kit_blockdev b = { 0 };

	/*
	 * RHEL 5's 2.6.18 XenLinux kernel: /sys/block/xvda is a directory
	 * (the links into /sys/devices came with 2.6.25), its device link
	 * leads to the vbd device xenblk binds as "vbd" (drivers/xen/
	 * blkfront), and there is no /proc/self/mountinfo (2.6.26): the mount
	 * table is /proc/mounts, found by the source's name.
	 */
	put(dir, "proc/mounts", "rootfs / rootfs rw 0 0\n/dev/root / ext3 rw,data=ordered 0 0\n"
				"/dev/xvda1 /boot ext3 rw,data=ordered 0 0\nproc /proc proc rw 0 0\n");
	put(dir, "sys/block/xvda/dev", "202:0\n");
	put(dir, "sys/block/xvda/xvda1/dev", "202:1\n");
	link_to(dir, "sys/block/xvda/device", "../../devices/xen/vbd-51712");
	put(dir, "sys/devices/xen/vbd-51712/nodename", "device/vbd/51712\n");
	link_to(dir, "sys/devices/xen/vbd-51712/driver", "../../../bus/xen/drivers/vbd");
	put(dir, "sys/bus/xen/drivers/vbd/.keep", "");
	/* An NVMe namespace on a Nitro instance (drivers/nvme/host/core.c
	 * puts it under its controller's class device). */
	link_to(dir, "sys/block/nvme0n1", "../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1");
	put(dir, "sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1/dev", "259:0\n");
	put(dir, "sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1/nvme0n1p1/dev", "259:1\n");
	link_to(dir, "sys/devices/pci0000:00/0000:00:04.0/driver", "../../../bus/pci/drivers/nvme");
	put(dir, "sys/bus/pci/drivers/nvme/.keep", "");
	CHECK_INT(cv_root_open(dir, &root), 0);

	CHECK_INT(kit_mounts_read(root, &m), 0);
	CHECK_INT(m.n, 4);
	CHECK_INT(kit_blockdev_of_mount(root, kit_mounts_find(&m, "/boot/grub"), &b), 0);
	CHECK_STR(b.name, "xvda1");
	CHECK_STR(b.disk, "xvda");
	CHECK_STR(b.driver, "vbd");
	CHECK_STR(b.component, "xen-blkfront");
	kit_blockdev_release(&b);
	/* "/dev/root" names no device: not found, not guessed. */
	CHECK_INT(kit_blockdev_of_mount(root, kit_mounts_find(&m, "/etc"), &b), -ENOENT);

	CHECK_INT(kit_blockdev_by_devnum(root, 259, 1, &b), 0);
	CHECK_STR(b.name, "nvme0n1p1");
	CHECK_STR(b.disk, "nvme0n1");
	CHECK_STR(b.driver, "nvme");
	CHECK_STR(b.component, "nvme");
	kit_blockdev_release(&b);
	CHECK_INT(kit_blockdev_by_devnum(root, 259, 7, &b), -ENOENT);
	CHECK_INT(kit_blockdev_by_name(root, "../etc", &b), -EINVAL);

	kit_mounts_release(&m);
	cv_root_free(root);
	free(dir);
}

/* ---- decisions ---- */

TEST(components_decision)
{
	struct kit_component ok[] = { { "storvsc", KIT_COMP_BOUND, NULL },
				      { "balloon", KIT_COMP_NOT_OFFERED, "the host offers no such vmbus device" } };
	struct kit_component silent[] = { { "storvsc", KIT_COMP_BOUND, NULL },
					  { "utils/heartbeat", KIT_COMP_SILENT, "never signalled the host" } };
	struct kit_verdict v;

	kit_decide_components("microsoft", ok, 2, &v);
	CHECK_INT(v.status, KIT_PASS);
	CHECK_STR(v.reason, "balloon (the host offers no such vmbus device)");
	kit_decide_components("microsoft", ok, 1, &v);
	CHECK_INT(v.status, KIT_PASS);
	CHECK_STR(v.reason, "");
	kit_decide_components("microsoft", silent, 2, &v);
	CHECK_INT(v.status, KIT_FAIL);
	CHECK_STR(v.reason, "integration components not working: utils/heartbeat (never signalled the host)");
	kit_decide_components("none", silent, 2, &v);
	CHECK_INT(v.status, KIT_SKIP);
	{
		struct kit_component unsigned_driver[] = { { "virtio_net", KIT_COMP_UNSIGNED, "netkvm.sys is not signed" } };

		kit_decide_components("kvm", unsigned_driver, 1, &v);
		CHECK_INT(v.status, KIT_FAIL);
		CHECK_STR(v.reason, "integration components not working: virtio_net (netkvm.sys is not signed)");
		CHECK_STR(kit_comp_state_name(KIT_COMP_UNSIGNED), "unsigned");
	}
	for (int s = 0; s < KIT_COMP__MAX; s++) {
		/* UNSIGNED: a Windows driver without a valid signature (src/kit/win/check-system.c). */
		bool fails = s == KIT_COMP_UNBOUND || s == KIT_COMP_OFFERED_UNBOUND || s == KIT_COMP_ABSENT ||
			     s == KIT_COMP_SILENT || s == KIT_COMP_UNSIGNED;

		CHECK_INT(kit_comp_state_fails((enum kit_comp_state)s), fails);
	}
}

TEST(storage_component_names_come_from_the_probe_table)
{
	CHECK_STR(kit_storage_component("hv_storvsc"), "storvsc");
	CHECK_STR(kit_storage_component("storvsc"), "storvsc");
	CHECK_STR(kit_storage_component("virtio_scsi"), "virtio_storage");
	CHECK_STR(kit_storage_component("vbd"), "xen-blkfront");
	CHECK_STR(kit_storage_component("vmw_pvscsi"), "vmw_pvscsi");
	CHECK(kit_storage_component("ata_piix") == NULL);
	CHECK(kit_storage_component("hv_netvsc") == NULL);
	CHECK(kit_storage_component(NULL) == NULL);
}

TAP_MAIN(hyperv_storvsc_io_integrity_writes_on_the_storvsc_disk, hyperv_storvsc_inventory_passes,
	 hyperv_storvsc_components_bound_and_answering, hyperv_storvsc_unbound_fails_pv_drivers_naming_it,
	 hyperv_storvsc_unbound_fails_inventory_naming_it,
	 hyperv_storvsc_unbound_io_integrity_says_the_disk_is_not_paravirtual,
	 hyperv_utilities_silent_or_unbound_fail_naming_the_service, kvm_virtio_blk_passes,
	 kvm_without_a_paravirtual_disk_fails_inventory, tmpfs_as_the_only_writable_place_skips_with_the_reason,
	 dir_on_a_tmpfs_skips_live, corrupted_read_back_on_the_storvsc_disk_fails,
	 a_root_that_does_not_exist_is_an_error_naming_it, mountinfo_escapes_and_the_longest_mount_point,
	 an_old_kernel_xen_disk_and_an_nvme_namespace,
	 components_decision, storage_component_names_come_from_the_probe_table)
