/*
 * check-storage.c - storage.io_integrity (what is written comes back) and
 * storage.inventory (the block devices, their drivers and queues).
 *
 * The integrity check writes a file of pseudo-random 1 MiB blocks in the
 * kit's private directory with O_DIRECT, so that the data goes through the
 * virtual disk and its driver rather than stopping in the page cache,
 * fsyncs it, and reads it back (O_DIRECT again) comparing each block's
 * BLAKE2b digest with the one taken before the write.  Filesystems that
 * refuse O_DIRECT (tmpfs before 6.6, some overlay and FUSE set-ups) get
 * buffered I/O with fsync, and the page cache is dropped before the
 * read-back so that it still reads from the device where it can; the
 * result says which was used.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "covalid/root.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

#define MIB (1024u * 1024)
#define BLOCK MIB
#define ALIGN 4096
#define QUICK_BYTES (16ull * MIB)
#define FULL_BYTES (256ull * MIB)
#define MAX_DEVICES 256

/* ---- storage.io_integrity ---- */

static const struct {
	unsigned long magic;
	const char *name;
} fs_types[] = {
	{ 0xef53, "ext4" }, /* ext2, ext3 and ext4 share the magic */
	{ 0x58465342, "xfs" },
	{ 0x9123683e, "btrfs" },
	{ 0x01021994, "tmpfs" },
	{ 0x858458f6, "ramfs" },
	{ 0x794c7630, "overlayfs" },
};

/* statfs f_type of memory-backed filesystems (linux/magic.h TMPFS_MAGIC,
 * RAMFS_MAGIC): refused as evidence whatever the mount table says. */
static bool memory_backed(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 && ((unsigned long)sf.f_type == 0x01021994 || (unsigned long)sf.f_type == 0x858458f6);
}

static void fs_name(const char *dir, char *buf, size_t size)
{
	struct statfs sf;

	if (statfs(dir, &sf) < 0) {
		snprintf(buf, size, "unknown");
		return;
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(fs_types); i++)
		if ((unsigned long)sf.f_type == fs_types[i].magic) {
			snprintf(buf, size, "%s", fs_types[i].name);
			return;
		}
	snprintf(buf, size, "0x%lx", (unsigned long)sf.f_type);
}

/* Block i's contents: xorshift64 seeded by the index, so that every block
 * differs and a block written to the wrong place is caught. */
static void fill_block(uint8_t *buf, uint64_t index)
{
	uint64_t x = (index + 1) * UINT64_C(0x9e3779b97f4a7c15), *w = (uint64_t *)(void *)buf;

	for (size_t i = 0; i < BLOCK / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 0, -errno, or -ENODATA at an early end of file. */
static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ENODATA;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Writes, fsyncs, reads back and verifies the file in dir. */
static void integrity_test(const struct kit_ctx *ctx, const char *dir, struct kit_out *out)
{
	uint64_t bytes = ctx->opt->quick ? QUICK_BYTES : FULL_BYTES, n_blocks = bytes / BLOCK, bad = 0, first_bad = 0;
	unsigned char (*digests)[crypto_generichash_BYTES] = NULL;
	char *path = cv_xasprintf("%s/storage-io-integrity.bin", dir);
	double *lat = NULL, t0, write_s, read_s, sum = 0;
	uint8_t *buf = NULL;
	char fs[32];
	bool direct = true;
	struct kit_verdict v;
	json_t *latency;
	int fd = -1, r;

	if (sodium_init() < 0) {
		kit_set(out, KIT_ERROR, "libsodium cannot be initialised");
		goto out;
	}
	fs_name(dir, fs, sizeof(fs));
	json_object_set_new(out->measured, "statfs_type", json_string(fs));
	if (posix_memalign((void **)&buf, ALIGN, BLOCK) != 0) {
		buf = NULL;
		kit_set(out, KIT_ERROR, "cannot allocate an aligned buffer");
		goto out;
	}
	digests = cv_xcalloc(n_blocks, sizeof(*digests));
	lat = cv_xcalloc(n_blocks, sizeof(*lat));

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0600);
	if (fd < 0 && errno == EINVAL) {
		direct = false;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		kit_set(out, KIT_ERROR, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}

	t0 = kit_now();
	for (uint64_t i = 0; i < n_blocks; i++) {
		double w0;

		fill_block(buf, i);
		crypto_generichash(digests[i], sizeof(digests[i]), buf, BLOCK, NULL, 0);
		w0 = kit_now();
		r = write_all(fd, buf, BLOCK);
		/* Some filesystems accept O_DIRECT at open() and refuse it at
		 * the first write: start again buffered. */
		if (r == -EINVAL && i == 0 && direct) {
			close(fd);
			direct = false;
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0) {
				kit_set(out, KIT_ERROR, "cannot reopen %s: %s", path, strerror(errno));
				goto out;
			}
			t0 = w0 = kit_now();
			r = write_all(fd, buf, BLOCK);
		}
		lat[i] = kit_now() - w0;
		if (r < 0) {
			kit_set(out, KIT_ERROR, "writing block %llu of %s: %s", (unsigned long long)i, path, strerror(-r));
			goto out;
		}
	}
	if (fsync(fd) < 0) {
		kit_set(out, KIT_ERROR, "fsync of %s: %s", path, strerror(errno));
		goto out;
	}
	write_s = kit_now() - t0;
	/* Buffered: drop the file's clean pages so the read-back comes from
	 * the device, not from the cache that was just written. */
	if (!direct)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	fd = -1;
	if (ctx->faults && ctx->faults->after_write) {
		r = ctx->faults->after_write(path, ctx->faults->userdata);
		if (r < 0) {
			kit_set(out, KIT_ERROR, "the injected fault failed: %s", strerror(-r));
			goto out;
		}
	}

	fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		kit_set(out, KIT_ERROR, "cannot reopen %s: %s", path, strerror(errno));
		goto out;
	}
	t0 = kit_now();
	for (uint64_t i = 0; i < n_blocks; i++) {
		unsigned char d[crypto_generichash_BYTES];

		r = read_all(fd, buf, BLOCK);
		if (r < 0) {
			kit_set(out, KIT_ERROR, "reading block %llu of %s: %s", (unsigned long long)i, path,
				r == -ENODATA ? "the file ends early" : strerror(-r));
			goto out;
		}
		crypto_generichash(d, sizeof(d), buf, BLOCK, NULL, 0);
		if (sodium_memcmp(d, digests[i], sizeof(d)) != 0 && !bad++)
			first_bad = i;
	}
	read_s = kit_now() - t0;

	for (uint64_t i = 0; i < n_blocks; i++)
		sum += lat[i];
	qsort(lat, n_blocks, sizeof(*lat), cmp_double);
	latency = json_object();
	json_object_set_new(latency, "mean", json_real(kit_round(sum / (double)n_blocks * 1e3)));
	json_object_set_new(latency, "p99", json_real(kit_round(lat[(n_blocks * 99 + 99) / 100 - 1] * 1e3)));
	json_object_set_new(latency, "max", json_real(kit_round(lat[n_blocks - 1] * 1e3)));
	json_object_set_new(out->measured, "direct", json_boolean(direct));
	json_object_set_new(out->measured, "bytes", json_integer((json_int_t)bytes));
	json_object_set_new(out->measured, "blocks", json_integer((json_int_t)n_blocks));
	json_object_set_new(out->measured, "block_bytes", json_integer(BLOCK));
	json_object_set_new(out->measured, "mismatching_blocks", json_integer((json_int_t)bad));
	json_object_set_new(out->measured, "first_mismatching_block", bad ? json_integer((json_int_t)first_bad) : json_null());
	json_object_set_new(out->measured, "write_mb_per_s", json_real(kit_round(write_s > 0 ? (double)bytes / 1e6 / write_s : 0)));
	json_object_set_new(out->measured, "read_mb_per_s",
			    json_real(kit_round(read_s > 0 ? (double)bytes / 1e6 / read_s : 0)));
	json_object_set_new(out->measured, "write_latency_ms", latency);
	json_object_set_new(out->threshold, "mismatching_blocks", json_integer(0));
	kit_decide_mismatches(bad, n_blocks, "storage blocks", &v);
	kit_apply(out, &v);
	if (out->status == KIT_FAIL)
		kit_set(out, KIT_FAIL, "%s: block %llu read back differs from what was written", v.reason,
			(unsigned long long)first_bad);
	if (out->status == KIT_PASS && !direct)
		kit_set(out, KIT_PASS, "O_DIRECT refused by %s: buffered with fsync", fs);
	else if (out->status == KIT_FAIL && !direct) {
		char why[sizeof(out->reason)];

		snprintf(why, sizeof(why), "%s", out->reason);
		kit_set(out, KIT_FAIL, "%s; O_DIRECT refused by %s: buffered with fsync", why, fs);
	}
out:
	if (fd >= 0)
		close(fd);
	/* Also when only the refused O_DIRECT open() created it. */
	unlink(path);
	free(path);
	free(buf);
	free(digests);
	free(lat);
}

/*
 * Where to write: a directory on a disk whose driver is the paravirtual
 * one.  The candidates, in order: the kit's own directory (under --dir,
 * $TMPDIR or /var/tmp), /var/tmp, /tmp, then every read-write mount.  Each
 * is judged by the mount holding it: memory (tmpfs, ramfs, an overlay
 * whose upper directory is on one) and anything not on a block device are
 * refused and listed; of the rest, the first on a paravirtual disk wins,
 * else the first on any disk (recorded as not paravirtual).  With --dir
 * only the user's directory is a candidate.
 *
 * Outside the kit's directory the check makes its own (covalid-kit-
 * storage.XXXXXX, removed afterwards), which needs write permission
 * there: unprivileged, the paravirtual disk may be out of reach, and the
 * reason says so.  With a fixture root (tests) nothing is written outside
 * the kit's directory: the candidate is judged from the fixture and the
 * file written in tmpdir.
 */
struct place {
	char *shown;       /* the candidate directory, as judged */
	char *dir;         /* where the file is written */
	char *made;        /* a directory made for the check, removed afterwards */
	char *mount_point;
	char *fstype;
	struct kit_blockdev b;
	bool have_b;
	bool paravirtual;
};

static void place_release(struct place *p)
{
	if (p->made)
		rmdir(p->made);
	free(p->shown);
	free(p->dir);
	free(p->made);
	free(p->mount_point);
	free(p->fstype);
	kit_blockdev_release(&p->b);
	*p = (struct place){ 0 };
}

/* nvme is paravirtual where the hypervisor presents its volumes so (AWS
 * Nitro: the probe then expects it); elsewhere it is an emulated device. */
static bool is_paravirtual(const struct kit_ctx *ctx, const char *component)
{
	if (!component)
		return false;
	if (strcmp(component, "nvme") == 0)
		return cv_strv_contains(&ctx->d->integration.expected, "nvme");
	return true;
}

static void refuse(json_t *refused, const char *dir, const char *what, const char *why)
{
	json_t *r = json_object();

	json_object_set_new(r, "directory", json_string(dir));
	json_object_set_new(r, "filesystem", json_string(what));
	json_object_set_new(r, "why", json_string(why));
	json_array_append_new(refused, r);
}

/* Makes the check's directory in dir; false if it cannot be written. */
static bool make_dir(const struct kit_ctx *ctx, const char *dir, bool kit_dir, struct place *p)
{
	char *tmpl;

	if (ctx->sysroot || kit_dir) {
		p->dir = cv_xstrdup(ctx->tmpdir);
		return true;
	}
	tmpl = cv_xasprintf("%s/covalid-kit-storage.XXXXXX", strcmp(dir, "/") == 0 ? "" : dir);
	if (!mkdtemp(tmpl)) {
		free(tmpl);
		return false;
	}
	p->dir = cv_xstrdup(tmpl);
	p->made = tmpl;
	return true;
}

/*
 * Chooses the place; 0, or -ENOENT with *ret_why saying why there is
 * none (a skip).  Refused candidates are appended to refused.
 */
static int locate(const struct kit_ctx *ctx, struct cv_root *root, const struct kit_mounts *m, json_t *refused,
		  struct place *ret, char **ret_why)
{
	struct cv_strv cands;
	bool *seen = cv_xcalloc(m->n ? m->n : 1, sizeof(*seen));
	struct place fallback = { 0 };
	bool found = false, unwritable_pv = false;
	char *canon;
	int r = -ENOENT;

	cv_strv_init(&cands);
	/* The mount table holds absolute, resolved paths. */
	if (!ctx->sysroot && (canon = realpath(ctx->tmpdir, NULL)))
		cv_strv_push_take(&cands, canon);
	else
		cv_strv_push(&cands, ctx->tmpdir);
	if (!ctx->opt->dir) {
		cv_strv_push(&cands, "/var/tmp");
		cv_strv_push(&cands, "/tmp");
		for (size_t i = 0; i < m->n; i++)
			if (m->v[i].rw && !kit_fs_is_kernel_interface(m->v[i].fstype))
				cv_strv_push(&cands, m->v[i].point);
	}
	for (size_t i = 0; i < cands.n && !found; i++) {
		const struct kit_mount *mnt = kit_mounts_find(m, cands.v[i]), *backing = NULL;
		struct place p = { 0 };
		char *what = NULL;
		enum kit_backing kind;

		if (!mnt || seen[mnt - m->v])
			continue; /* none, or the same mount as an earlier candidate */
		seen[mnt - m->v] = true;
		kind = kit_mount_backing(m, mnt, &what, &backing);
		if (!mnt->rw) {
			refuse(refused, cands.v[i], what, "read-only");
			free(what);
			continue;
		}
		if (kind == KIT_BACKING_MEMORY) {
			refuse(refused, cands.v[i], what, "memory, not a disk");
			free(what);
			continue;
		}
		if (kind != KIT_BACKING_DISK) {
			refuse(refused, cands.v[i], what, "not on a block device");
			free(what);
			continue;
		}
		p.shown = cv_xstrdup(cands.v[i]);
		p.mount_point = cv_xstrdup(mnt->point);
		p.fstype = what;
		p.have_b = kit_blockdev_of_mount(root, backing, &p.b) == 0;
		p.paravirtual = p.have_b && is_paravirtual(ctx, p.b.component);
		if (p.paravirtual || !fallback.shown) {
			if (!make_dir(ctx, cands.v[i], i == 0, &p)) {
				refuse(refused, cands.v[i], p.fstype, "not writable by this user");
				unwritable_pv |= p.paravirtual;
				place_release(&p);
				continue;
			}
			if (p.paravirtual) {
				*ret = p;
				found = true;
				r = 0;
			} else
				fallback = p;
		} else
			place_release(&p);
	}
	if (found)
		place_release(&fallback);
	else if (fallback.shown) {
		*ret = fallback;
		r = 0;
	} else
		*ret_why = unwritable_pv ? cv_xstrdup("no filesystem on a disk is writable by this user: run as root or give "
						     "--dir on the paravirtual disk")
					 : cv_xasprintf("no writable filesystem on a disk: %s",
							ctx->opt->dir ? "--dir is not on one" : "give --dir on the paravirtual disk");
	cv_strv_release(&cands);
	free(seen);
	return r;
}

/* "tmpfs at /tmp, overlay on tmpfs (/run/live/overlay) at /": the refused, for the reason. */
static char *refused_list(json_t *refused)
{
	struct cv_buf b;
	size_t i;
	json_t *e;

	cv_buf_init(&b, 300);
	json_array_foreach(refused, i, e)
		if (cv_buf_printf(&b, "%s%s at %s (%s)", i ? ", " : "", json_string_value(json_object_get(e, "filesystem")),
				  json_string_value(json_object_get(e, "directory")),
				  json_string_value(json_object_get(e, "why"))) < 0)
			break;
	return cv_buf_detach(&b, NULL);
}

void kit_check_storage_io_integrity(const struct kit_ctx *ctx, struct kit_out *out)
{
	struct cv_root *root = NULL;
	struct kit_mounts m = { 0 };
	struct place p = { 0 };
	json_t *refused = json_array();
	char *why = NULL, *list = NULL;
	int r;

	json_object_set_new(out->threshold, "mismatching_blocks", json_integer(0));
	json_object_set_new(out->threshold, "refused", json_string("memory-backed (tmpfs, ramfs, overlay on them), "
								   "not block-backed, read-only"));
	r = kit_root_open(ctx, &root);
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot open %s: %s", ctx->sysroot ? ctx->sysroot : "/", strerror(-r));
		goto out;
	}
	r = kit_mounts_read(root, &m);
	if (r < 0) {
		kit_set(out, KIT_SKIP, "the mount table is not readable (%s): which disk a write lands on is unknown",
			strerror(-r));
		goto out;
	}
	r = locate(ctx, root, &m, refused, &p, &why);
	list = refused_list(refused);
	json_object_set_new(out->measured, "refused", refused);
	refused = NULL;
	if (r < 0) {
		kit_set(out, KIT_SKIP, "%s; refused: %s", why, list && *list ? list : "none");
		goto out;
	}
	/* Live: the mount table may be stale or bind-mounted over; statfs
	 * says what the directory really is. */
	if (!ctx->sysroot && memory_backed(p.dir)) {
		kit_set(out, KIT_SKIP, "%s is in memory (statfs: tmpfs or ramfs), not on a disk", p.dir);
		goto out;
	}
	json_object_set_new(out->measured, "directory", json_string(p.shown));
	json_object_set_new(out->measured, "mount_point", json_string(p.mount_point));
	json_object_set_new(out->measured, "filesystem", json_string(p.fstype));
	json_object_set_new(out->measured, "device", kit_json_str(p.b.name));
	json_object_set_new(out->measured, "disk", kit_json_str(p.b.disk));
	json_object_set_new(out->measured, "driver", kit_json_str(p.b.driver));
	json_object_set_new(out->measured, "controller", kit_json_str(p.b.controller));
	json_object_set_new(out->measured, "pv_driver", kit_json_str(p.b.pv_driver));
	json_object_set_new(out->measured, "component", kit_json_str(p.b.component));
	json_object_set_new(out->measured, "paravirtual", json_boolean(p.paravirtual));
	integrity_test(ctx, p.dir, out);
	if (!p.paravirtual && (out->status == KIT_PASS || out->status == KIT_FAIL)) {
		char was[sizeof(out->reason)];

		snprintf(was, sizeof(was), "%s", out->reason);
		kit_set(out, out->status, "%s%snot a paravirtual disk: %s is on %s (%s)", was, *was ? "; " : "", p.shown,
			p.b.disk ? p.b.disk : "an unknown device",
			p.b.controller ? p.b.controller : p.b.driver ? p.b.driver : "driver unknown");
	}
out:
	json_decref(refused);
	place_release(&p);
	kit_mounts_release(&m);
	cv_root_free(root);
	free(why);
	free(list);
}

/* ---- storage.inventory ---- */

/* Not disks: loop devices, RAM disks, device-mapper and md layers over
 * real disks, optical drives and network block devices. */
static const char *const skipped_prefixes[] = { "loop", "ram", "zram", "dm-", "md", "sr", "nbd" };

static bool skipped_device(const char *name)
{
	if (name[0] == '.')
		return true;
	for (size_t i = 0; i < CV_ELEMENTSOF(skipped_prefixes); i++)
		if (cv_startswith(name, skipped_prefixes[i]))
			return true;
	return false;
}

/* A trimmed sysfs value, or NULL. */
static char *sys_value(struct cv_root *root, const char *dev, const char *attr)
{
	char *path = cv_xasprintf("sys/block/%s/%s", dev, attr), *s = NULL;

	if (cv_root_read_line(root, path, &s) < 0)
		s = NULL;
	free(path);
	return s;
}

static json_t *sys_u64(struct cv_root *root, const char *dev, const char *attr, uint64_t mult)
{
	char *s = sys_value(root, dev, attr);
	uint64_t v;
	json_t *j = json_null();

	if (s && cv_parse_u64(s, 10, &v) == 0 && v <= (uint64_t)INT64_MAX / mult)
		j = json_integer((json_int_t)(v * mult));
	free(s);
	return j;
}

/* The scheduler in use: "mq-deadline kyber [bfq] none" -> "bfq". */
static json_t *scheduler(struct cv_root *root, const char *dev)
{
	char *s = sys_value(root, dev, "queue/scheduler");
	json_t *j = NULL;
	size_t lb, rb;

	if (s) {
		lb = strcspn(s, "[");
		rb = s[lb] ? lb + strcspn(s + lb, "]") : lb;
		if (s[lb] && s[rb])
			j = json_stringn(s + lb + 1, rb - lb - 1);
		else if (*s && !strchr(s, ' '))
			j = json_string(s); /* a single choice is printed bare */
	}
	free(s);
	return j ? j : json_null();
}

/* Hyper-V disks of the Linux Integration Components era are blkvsc's
 * (the IDE ones) as well as storvsc's; mainline storvsc took both over
 * (drivers/scsi/storvsc_drv.c id_table: SCSI and IDE). */
static bool satisfies(const char *expected, const char *component)
{
	return cv_streq(expected, component) ||
	       (cv_streq(expected, "storvsc") && cv_streq(component, "blkvsc"));
}

void kit_check_storage_inventory(const struct kit_ctx *ctx, struct kit_out *out)
{
	struct cv_root *root = NULL;
	struct cv_strv names, all, expected, missing, seen_v;
	json_t *devices = json_array();
	char *seen = NULL;
	struct kit_verdict v;
	int r;

	cv_strv_init(&names);
	cv_strv_init(&all);
	cv_strv_init(&expected);
	cv_strv_init(&missing);
	cv_strv_init(&seen_v);
	r = kit_root_open(ctx, &root);
	if (r < 0) {
		kit_set(out, KIT_ERROR, "cannot open %s: %s", ctx->sysroot ? ctx->sysroot : "/", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < ctx->d->integration.expected.n; i++)
		if (kit_is_storage_component(ctx->d->integration.expected.v[i]))
			cv_strv_push(&expected, ctx->d->integration.expected.v[i]);
	if (cv_root_list(root, "sys/block", &all) < 0) {
		kit_set(out, KIT_SKIP, "no block devices visible (a container?): /sys/block is not readable");
		goto out;
	}
	for (size_t i = 0; i < all.n && names.n < MAX_DEVICES; i++)
		if (!skipped_device(all.v[i]))
			cv_strv_push(&names, all.v[i]);

	for (size_t i = 0; i < names.n; i++) {
		const char *dev = names.v[i];
		json_t *d = json_object();
		char *rot = sys_value(root, dev, "queue/rotational");
		struct kit_blockdev b = { 0 };

		if (kit_blockdev_by_name(root, dev, &b) < 0)
			b = (struct kit_blockdev){ 0 };
		json_object_set_new(d, "name", json_string(dev));
		json_object_set_new(d, "driver", kit_json_str(b.driver));
		json_object_set_new(d, "controller", kit_json_str(b.controller));
		json_object_set_new(d, "pv_driver", kit_json_str(b.pv_driver));
		json_object_set_new(d, "component", kit_json_str(b.component));
		json_object_set_new(d, "size_bytes", sys_u64(root, dev, "size", 512));
		json_object_set_new(d, "rotational", rot ? json_boolean(strcmp(rot, "1") == 0) : json_null());
		json_object_set_new(d, "logical_block_size", sys_u64(root, dev, "queue/logical_block_size", 1));
		json_object_set_new(d, "physical_block_size", sys_u64(root, dev, "queue/physical_block_size", 1));
		json_object_set_new(d, "scheduler", scheduler(root, dev));
		json_object_set_new(d, "nr_requests", sys_u64(root, dev, "queue/nr_requests", 1));
		json_object_set_new(d, "max_sectors_kb", sys_u64(root, dev, "queue/max_sectors_kb", 1));
		json_array_append_new(devices, d);
		cv_strv_push_take(&seen_v, cv_xasprintf("%s (%s)", dev,
							b.pv_driver    ? b.pv_driver
							: b.controller ? b.controller
							: b.driver     ? b.driver
								       : "no driver"));
		free(rot);
		kit_blockdev_release(&b);
	}
	for (size_t k = 0; k < expected.n; k++) {
		bool driven = false;
		size_t i;
		json_t *d;

		json_array_foreach(devices, i, d)
			driven |= satisfies(expected.v[k], json_string_value(json_object_get(d, "component")));
		if (!driven)
			cv_strv_push(&missing, expected.v[k]);
	}
	json_object_set_new(out->measured, "devices", devices);
	devices = NULL;
	json_object_set_new(out->measured, "count", json_integer((json_int_t)names.n));
	json_object_set_new(out->measured, "missing_storage", kit_json_strv(&missing));
	json_object_set_new(out->threshold, "min_devices", json_integer(1));
	json_object_set_new(out->threshold, "expected_storage", kit_json_strv(&expected));
	seen = cv_strv_join(&seen_v, ", ");
	kit_decide_storage_inventory(names.n, &missing, seen, &v);
	kit_apply(out, &v);
out:
	json_decref(devices);
	cv_root_free(root);
	cv_strv_release(&names);
	cv_strv_release(&all);
	cv_strv_release(&expected);
	cv_strv_release(&missing);
	cv_strv_release(&seen_v);
	free(seen);
}
