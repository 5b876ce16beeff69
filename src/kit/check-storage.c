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
	{ 0x794c7630, "overlayfs" },
};

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

void kit_check_storage_io_integrity(const struct kit_ctx *ctx, struct kit_out *out)
{
	uint64_t bytes = ctx->opt->quick ? QUICK_BYTES : FULL_BYTES, n_blocks = bytes / BLOCK, bad = 0, first_bad = 0;
	unsigned char (*digests)[crypto_generichash_BYTES] = NULL;
	char *path = cv_xasprintf("%s/storage-io-integrity.bin", ctx->tmpdir);
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
	fs_name(ctx->tmpdir, fs, sizeof(fs));
	json_object_set_new(out->measured, "filesystem", json_string(fs));
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
static char *sys_value(const char *dev, const char *attr)
{
	char *path = cv_xasprintf("/sys/block/%s/%s", dev, attr);
	char *s = kit_read(path);

	free(path);
	if (s)
		cv_strstrip(s);
	return s;
}

static json_t *sys_u64(const char *dev, const char *attr, uint64_t mult)
{
	char *s = sys_value(dev, attr);
	uint64_t v;
	json_t *j = json_null();

	if (s && cv_parse_u64(s, 10, &v) == 0 && v <= (uint64_t)INT64_MAX / mult)
		j = json_integer((json_int_t)(v * mult));
	free(s);
	return j;
}

/* The scheduler in use: "mq-deadline kyber [bfq] none" -> "bfq". */
static json_t *scheduler(const char *dev)
{
	char *s = sys_value(dev, "queue/scheduler"), *open, *close_;
	json_t *j = json_null();

	if (s) {
		open = strchr(s, '[');
		close_ = open ? strchr(open, ']') : NULL;
		if (open && close_)
			j = json_stringn(open + 1, (size_t)(close_ - open - 1));
		else if (*s && !strchr(s, ' '))
			j = json_string(s); /* a single choice is printed bare */
	}
	free(s);
	return j ? j : json_null();
}

/* The driver the probe found, else the sysfs link's name. */
static json_t *disk_driver(const struct kit_ctx *ctx, const char *dev)
{
	char *link, target[4096];
	const char *slash;
	ssize_t n;

	for (size_t i = 0; i < ctx->d->vm.disks.n; i++)
		if (cv_streq(ctx->d->vm.disks.v[i].name, dev) && ctx->d->vm.disks.v[i].driver)
			return json_string(ctx->d->vm.disks.v[i].driver);
	link = cv_xasprintf("/sys/block/%s/device/driver", dev);
	n = readlink(link, target, sizeof(target) - 1);
	free(link);
	if (n <= 0)
		return json_null();
	target[n] = '\0';
	slash = strrchr(target, '/');
	return json_string(slash ? slash + 1 : target);
}

void kit_check_storage_inventory(const struct kit_ctx *ctx, struct kit_out *out)
{
	DIR *dir = opendir("/sys/block");
	struct cv_strv names;
	struct dirent *e;
	json_t *devices = json_array();
	char *list = NULL;

	cv_strv_init(&names);
	if (!dir) {
		kit_set(out, KIT_SKIP, "no block devices visible (a container?): /sys/block: %s", strerror(errno));
		goto out;
	}
	while ((e = readdir(dir)) && names.n < MAX_DEVICES)
		if (!skipped_device(e->d_name))
			cv_strv_push(&names, e->d_name);
	cv_strv_sort(&names);

	for (size_t i = 0; i < names.n; i++) {
		const char *dev = names.v[i];
		json_t *d = json_object();
		char *rot = sys_value(dev, "queue/rotational");

		json_object_set_new(d, "name", json_string(dev));
		json_object_set_new(d, "driver", disk_driver(ctx, dev));
		json_object_set_new(d, "size_bytes", sys_u64(dev, "size", 512));
		json_object_set_new(d, "rotational", rot ? json_boolean(strcmp(rot, "1") == 0) : json_null());
		json_object_set_new(d, "logical_block_size", sys_u64(dev, "queue/logical_block_size", 1));
		json_object_set_new(d, "physical_block_size", sys_u64(dev, "queue/physical_block_size", 1));
		json_object_set_new(d, "scheduler", scheduler(dev));
		json_object_set_new(d, "nr_requests", sys_u64(dev, "queue/nr_requests", 1));
		json_object_set_new(d, "max_sectors_kb", sys_u64(dev, "queue/max_sectors_kb", 1));
		json_array_append_new(devices, d);
		free(rot);
	}
	json_object_set_new(out->measured, "devices", devices);
	devices = NULL;
	json_object_set_new(out->measured, "count", json_integer((json_int_t)names.n));
	json_object_set_new(out->threshold, "min_devices", json_integer(1));
	if (!names.n) {
		kit_set(out, KIT_SKIP, "no block devices visible (a container?)");
		goto out;
	}
	list = cv_strv_join(&names, ", ");
	kit_set(out, KIT_PASS, "%zu block device%s: %s", names.n, names.n > 1 ? "s" : "", list);
out:
	json_decref(devices);
	if (dir)
		closedir(dir);
	cv_strv_release(&names);
	free(list);
}
