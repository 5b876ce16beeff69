/*
 * blockdev.c - which disk, and which driver, a filesystem lives on; for
 * storage.io_integrity and storage.inventory (see kit-internal.h).
 *
 * Everything is read through a root (covalid/root.h), so that the unit
 * tests can hand the checks a fixture machine:
 *
 *  - the mount table: /proc/self/mountinfo (proc(5); since 2.6.26), else
 *    /proc/mounts, whose lines carry no device number: the device is then
 *    found by the source's name, or by stat() on the live system;
 *  - the block device of a device number: /sys/block/<disk>/dev and
 *    /sys/block/<disk>/<partition>/dev ("MAJ:MIN", Documentation/ABI/
 *    testing/sysfs-block), which every kernel since 2.6 has, rather than
 *    /sys/dev/block (2.6.27) which RHEL 5's does not;
 *  - a device-mapper or md device's disk: its first entry in slaves/;
 *  - the disk's device: /sys/block/<disk> is a link into /sys/devices on
 *    kernels since 2.6.25, a directory with a device link before;
 *  - the drivers on the way from that device up to its bus: a SCSI disk is
 *    driven by "sd", and the paravirtual driver is its host adapter's
 *    (hv_storvsc on the vmbus device, virtio_scsi on the virtio device,
 *    vmw_pvscsi on the PCI function); a virtio or Xen disk's own device is
 *    bound to virtio_blk or vbd.
 *
 * Which drivers are paravirtual comes from the probe's table of
 * integration components (src/probe/integration-table.c), so that the
 * kit and the probe cannot disagree on a driver's name.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "covalid/probe.h"
#include "covalid/root.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

#define MOUNTS_MAX 4096
#define MOUNTINFO_MAX (4u * 1024 * 1024)
#define DISKS_MAX 256
#define PARTS_MAX 256
#define WALK_MAX 32
#define STACK_MAX 4


const char *kit_storage_component(const char *driver)
{
	if (!driver)
		return NULL;
	const char *const *storage_components;
	size_t n = kit_storage_components(&storage_components);

	for (size_t i = 0; i < n; i++) {
		const struct probe_component *c = probe_component(storage_components[i]);

		for (size_t k = 0; c && k < PROBE_COMPONENT_MAX_NAMES && c->drivers[k]; k++)
			if (strcmp(c->drivers[k], driver) == 0)
				return c->name;
	}
	return NULL;
}

/* ---- the mount table ---- */

/* Undoes the octal escapes of mountinfo ("\040" for a space). */
static char *unescape(const char *s)
{
	char *out = cv_xmalloc(strlen(s) + 1), *o = out;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static bool has_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncmp(p, opt, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static void push_mount(struct kit_mounts *m, struct kit_mount *e)
{
	if (m->n % 16 == 0)
		m->v = cv_xreallocarray(m->v, m->n + 16, sizeof(*m->v));
	m->v[m->n++] = *e;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static int parse_mountinfo_line(char *line, struct kit_mount *ret)
{
	char *f[6], *sep, *rest, *save = NULL;
	unsigned maj, min;
	size_t n = 0;

	sep = strstr(line, " - ");
	if (!sep)
		return -EINVAL;
	*sep = '\0';
	rest = sep + 3;
	for (char *t = strtok_r(line, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n < 6 || sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	save = NULL;
	{
		char *fstype = strtok_r(rest, " ", &save), *source = strtok_r(NULL, " ", &save);
		char *super = strtok_r(NULL, " ", &save);

		if (!fstype || !source)
			return -EINVAL;
		*ret = (struct kit_mount){
			.point = unescape(f[4]),
			.fstype = cv_xstrdup(fstype),
			.source = unescape(source),
			.super = cv_xstrdup(super ? super : ""),
			.major = maj,
			.minor = min,
			.rw = has_option(f[5], "rw") && !(super && has_option(super, "ro")),
		};
	}
	return 0;
}

/* "/dev/sda1 / ext3 rw,data=ordered 0 0": no device number. */
static int parse_mounts_line(char *line, struct kit_mount *ret)
{
	char *save = NULL, *source = strtok_r(line, " ", &save), *point = strtok_r(NULL, " ", &save);
	char *fstype = strtok_r(NULL, " ", &save), *opts = strtok_r(NULL, " ", &save);

	if (!source || !point || !fstype || !opts)
		return -EINVAL;
	*ret = (struct kit_mount){
		.point = unescape(point),
		.fstype = cv_xstrdup(fstype),
		.source = unescape(source),
		.super = cv_xstrdup(opts),
		.rw = has_option(opts, "rw"),
	};
	return 0;
}

int kit_mounts_read(struct cv_root *root, struct kit_mounts *ret)
{
	struct kit_mounts m = { 0 };
	bool info = true;
	char *text = NULL, *save = NULL;
	int r;

	r = cv_root_read(root, "proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL);
	if (r < 0) {
		info = false;
		r = cv_root_read(root, "proc/mounts", MOUNTINFO_MAX, &text, NULL);
		if (r < 0)
			return r;
	}
	for (char *line = strtok_r(text, "\n", &save); line && m.n < MOUNTS_MAX; line = strtok_r(NULL, "\n", &save)) {
		struct kit_mount e;

		if ((info ? parse_mountinfo_line(line, &e) : parse_mounts_line(line, &e)) < 0)
			continue;
		/* /proc/mounts has no device numbers: on the live system the
		 * mount point's own says which device it is. */
		if (!info && cv_root_is_live(root)) {
			struct stat st;

			if (stat(e.point, &st) == 0) {
				e.major = major(st.st_dev);
				e.minor = minor(st.st_dev);
			}
		}
		push_mount(&m, &e);
	}
	free(text);
	*ret = m;
	return 0;
}

void kit_mounts_release(struct kit_mounts *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].point);
		free(m->v[i].fstype);
		free(m->v[i].source);
		free(m->v[i].super);
	}
	free(m->v);
	*m = (struct kit_mounts){ 0 };
}

const struct kit_mount *kit_mounts_find(const struct kit_mounts *m, const char *path)
{
	const struct kit_mount *best = NULL;
	size_t best_len = 0;

	/* The longest mount point that is a prefix of path; of equal ones
	 * the last mounted, which hides the others. */
	for (size_t i = 0; i < m->n; i++) {
		const char *p = m->v[i].point;
		size_t n = strlen(p);

		if (strcmp(p, "/") == 0)
			n = 0;
		else if (strncmp(path, p, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			continue;
		if (!best || n >= best_len) {
			best = &m->v[i];
			best_len = n;
		}
	}
	return best;
}

/* ---- block devices ---- */

static bool dev_matches(struct cv_root *root, const char *dir, unsigned maj, unsigned min)
{
	char *path = cv_xasprintf("%s/dev", dir), *s = NULL;
	unsigned a, b;
	bool r = false;

	if (cv_root_read_line(root, path, &s) == 0 && sscanf(s, "%u:%u", &a, &b) == 2)
		r = a == maj && b == min;
	free(s);
	free(path);
	return r;
}

/*
 * Finds the block device by number (maj:min, when name is NULL) or by
 * name: sets *ret_name to it and *ret_disk to its whole disk.
 */
static int find_block(struct cv_root *root, const char *name, unsigned maj, unsigned min, char **ret_name,
		      char **ret_disk)
{
	struct cv_strv disks;
	int r = -ENOENT;

	cv_strv_init(&disks);
	if (cv_root_list(root, "sys/block", &disks) < 0)
		return -ENOENT;
	for (size_t i = 0; i < disks.n && i < DISKS_MAX && r < 0; i++) {
		char *dir = cv_xasprintf("sys/block/%s", disks.v[i]);
		struct cv_strv parts;

		if (name ? strcmp(disks.v[i], name) == 0 : dev_matches(root, dir, maj, min)) {
			*ret_name = cv_xstrdup(disks.v[i]);
			*ret_disk = cv_xstrdup(disks.v[i]);
			r = 0;
		}
		cv_strv_init(&parts);
		if (r < 0 && cv_root_list(root, dir, &parts) == 0)
			for (size_t k = 0; k < parts.n && k < PARTS_MAX && r < 0; k++) {
				char *pdir;

				/* Partitions are named after their disk: sda1, nvme0n1p1. */
				if (!cv_startswith(parts.v[k], disks.v[i]) || strcmp(parts.v[k], disks.v[i]) == 0)
					continue;
				pdir = cv_xasprintf("%s/%s", dir, parts.v[k]);
				if (name ? strcmp(parts.v[k], name) == 0 && cv_root_exists(root, pdir)
					 : dev_matches(root, pdir, maj, min)) {
					*ret_name = cv_xstrdup(parts.v[k]);
					*ret_disk = cv_xstrdup(disks.v[i]);
					r = 0;
				}
				free(pdir);
			}
		cv_strv_release(&parts);
		free(dir);
	}
	cv_strv_release(&disks);
	return r;
}

/* The disk's device directory in /sys/devices; NULL if it has none. */
static char *disk_device(struct cv_root *root, const char *disk)
{
	char *link = cv_xasprintf("sys/block/%s", disk), *target = NULL, *path = NULL, *cut;

	if (cv_root_readlink(root, link, &target) == 0) {
		/* sys/devices/.../virtio1/block/vda: the device is above
		 * block/; an NVMe namespace sits in its controller's directory
		 * (.../0000:00:04.0/nvme/nvme0/nvme0n1). */
		path = cv_path_resolve("sys/block", target);
		cut = strstr(path, "/block/");
		if (!(cut && strcmp(cut + 7, disk) == 0))
			cut = strrchr(path, '/');
		if (cut)
			*cut = '\0';
		else
			path = cv_free(path);
	} else {
		char *dev = cv_xasprintf("sys/block/%s/device", disk);

		if (cv_root_readlink(root, dev, &target) == 0)
			path = cv_path_resolve(link, target);
		free(dev);
	}
	free(target);
	free(link);
	return path;
}

/* The drivers from the disk's device up: the nearest, and the first
 * paravirtual one. */
static void walk_drivers(struct cv_root *root, const char *device, struct kit_blockdev *b)
{
	char *dir = cv_xstrdup(device);

	for (int depth = 0; depth < WALK_MAX && cv_startswith(dir, "sys/devices/"); depth++) {
		char *link = cv_xasprintf("%s/driver", dir), *drv = NULL, *slash;

		if (cv_root_readlink_base(root, link, &drv) == 0) {
			const char *comp = kit_storage_component(drv);

			if (!b->driver)
				b->driver = cv_xstrdup(drv);
			else if (!b->controller && strcmp(drv, b->driver) != 0)
				b->controller = cv_xstrdup(drv);
			if (comp && !b->pv_driver) {
				b->pv_driver = cv_xstrdup(drv);
				b->component = comp;
			}
		}
		free(drv);
		free(link);
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	free(dir);
}

static int resolve(struct cv_root *root, const char *name, unsigned maj, unsigned min, int depth,
		   struct kit_blockdev *ret)
{
	struct kit_blockdev b = { 0 };
	struct cv_strv slaves;
	char *dev, *slaves_dir;
	int r;

	r = find_block(root, name, maj, min, &b.name, &b.disk);
	if (r < 0)
		return r;
	/* Device-mapper (LVM) and md: the disk under the first slave. */
	slaves_dir = cv_xasprintf("sys/block/%s/slaves", b.disk);
	cv_strv_init(&slaves);
	if (depth < STACK_MAX && cv_root_list(root, slaves_dir, &slaves) == 0 && slaves.n) {
		struct kit_blockdev under = { 0 };

		if (resolve(root, slaves.v[0], 0, 0, depth + 1, &under) == 0) {
			free(b.disk);
			b.disk = under.disk;
			b.driver = under.driver;
			b.controller = under.controller;
			b.pv_driver = under.pv_driver;
			b.component = under.component;
			free(under.name);
			goto out;
		}
	}
	dev = disk_device(root, b.disk);
	if (dev)
		walk_drivers(root, dev, &b);
	free(dev);
out:
	cv_strv_release(&slaves);
	free(slaves_dir);
	*ret = b;
	return 0;
}

int kit_blockdev_by_devnum(struct cv_root *root, unsigned maj, unsigned min, struct kit_blockdev *ret)
{
	if (maj == 0)
		return -ENOENT; /* anonymous: not a block device */
	return resolve(root, NULL, maj, min, 0, ret);
}

int kit_blockdev_by_name(struct cv_root *root, const char *name, struct kit_blockdev *ret)
{
	if (!name || !*name || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	return resolve(root, name, 0, 0, 0, ret);
}

int kit_blockdev_of_mount(struct cv_root *root, const struct kit_mount *m, struct kit_blockdev *ret)
{
	const char *base;

	if (kit_blockdev_by_devnum(root, m->major, m->minor, ret) == 0)
		return 0;
	/* btrfs reports an anonymous device number; /proc/mounts none at
	 * all: the source names the device. */
	if (!cv_startswith(m->source, "/dev/"))
		return -ENOENT;
	base = strrchr(m->source, '/') + 1;
	return kit_blockdev_by_name(root, base, ret);
}

void kit_blockdev_release(struct kit_blockdev *b)
{
	free(b->name);
	free(b->disk);
	free(b->driver);
	free(b->controller);
	free(b->pv_driver);
	*b = (struct kit_blockdev){ 0 };
}

/* ---- what a filesystem is backed by ---- */

/* Memory, not a disk: writing there proves nothing about storage. */
static const char *const memory_fs[] = { "tmpfs", "ramfs", "rootfs", "devtmpfs", "shm" };
/* The kernel's own interfaces: no one's place to write data. */
static const char *const kernel_fs[] = {
	"proc", "sysfs", "devpts", "devtmpfs", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "pstore",
	"bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "binfmt_misc", "autofs", "efivarfs", "selinuxfs", "nsfs",
};
/* Neither a disk nor memory: network, host-shared and image filesystems. */
static const char *const pseudo_fs[] = {
	"nfs", "nfs4", "cifs", "smb3", "9p", "virtiofs", "squashfs", "iso9660", "udf", "fuse", "fuseblk",
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (cv_streq(list[i], s))
			return true;
	return false;
}

bool kit_fs_is_kernel_interface(const char *fstype)
{
	return in_list(kernel_fs, CV_ELEMENTSOF(kernel_fs), fstype);
}

/* The upperdir= of an overlay's super options, or NULL. */
static char *overlay_upper(const char *super)
{
	const char *p = super;

	while (p && *p) {
		if (cv_startswith(p, "upperdir=")) {
			const char *v = p + 9;
			size_t n = strcspn(v, ",");
			char *raw = cv_xstrndup(v, n), *s = unescape(raw);

			free(raw);
			return s;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

enum kit_backing kit_mount_backing(const struct kit_mounts *m, const struct kit_mount *mnt, char **ret_what,
				   const struct kit_mount **ret_backing)
{
	const struct kit_mount *cur = mnt;

	for (int depth = 0; cur && depth < STACK_MAX; depth++) {
		char *upper;

		if (in_list(memory_fs, CV_ELEMENTSOF(memory_fs), cur->fstype)) {
			*ret_what = cur == mnt ? cv_xstrdup(cur->fstype)
					       : cv_xasprintf("%s on %s (%s)", mnt->fstype, cur->fstype, cur->point);
			return KIT_BACKING_MEMORY;
		}
		if (strcmp(cur->fstype, "overlay") != 0 && strcmp(cur->fstype, "aufs") != 0) {
			*ret_what = cur == mnt ? cv_xstrdup(cur->fstype)
					       : cv_xasprintf("%s on %s (%s)", mnt->fstype, cur->fstype, cur->point);
			*ret_backing = cur;
			if (in_list(pseudo_fs, CV_ELEMENTSOF(pseudo_fs), cur->fstype) ||
			    in_list(kernel_fs, CV_ELEMENTSOF(kernel_fs), cur->fstype) || cv_startswith(cur->fstype, "fuse."))
				return KIT_BACKING_OTHER;
			/* btrfs has an anonymous device number, and a source in /dev. */
			if (cur->major == 0 && !cv_startswith(cur->source, "/dev/"))
				return KIT_BACKING_OTHER;
			return KIT_BACKING_DISK;
		}
		/* An overlay writes to its upper directory: what is that on? */
		upper = overlay_upper(cur->super);
		if (!upper) {
			*ret_what = cv_xasprintf("%s without an upper directory", cur->fstype);
			return KIT_BACKING_OTHER;
		}
		cur = kit_mounts_find(m, upper);
		free(upper);
		if (cur == mnt)
			break;
	}
	*ret_what = cv_xasprintf("%s on an unknown filesystem", mnt->fstype);
	return KIT_BACKING_OTHER;
}

int kit_root_open(const struct kit_ctx *ctx, struct cv_root **ret)
{
	return cv_root_open(ctx->sysroot, ret);
}
