/*
 * health-linux.c - what a Linux guest measures of itself for the report:
 * CPU use since the last report (/proc/stat), memory (/proc/meminfo),
 * load (/proc/loadavg), space on the local filesystems (/proc/mounts and
 * statvfs()), kernel errors since the last report (/dev/kmsg, priority
 * err or worse).  Everything read goes through the root (covalid/root.h),
 * so a captured or hand-made machine (--root) is measured as the live one
 * would be; a source that is absent leaves its value null.
 *
 * Disks of a fixture: statvfs() is a system call, not a file, so for a
 * root other than "/" each mount point is measured at ROOT/MOUNTPOINT
 * when that directory exists (the test reads the fixture's own
 * filesystem), and skipped otherwise.
 */
#include <fcntl.h>
#include <jansson.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent/agent-internal.h"
#include "covalid/root.h"
#include "util/cv.h"

#define PROC_MAX (1024 * 1024)
#define KMSG_MAX_RECORDS 100000
#define ERRORS_RECENT 5
#define DISKS_MAX 32

static bool live(const char *root)
{
	return !root || strcmp(root, "/") == 0;
}

static double round1(double v)
{
	return (double)(long long)(v * 10 + 0.5) / 10;
}

static void cpu(struct cv_root *root, struct agent_runstate *st, json_t *h)
{
	char *text = NULL;
	uint64_t total, idle;

	if (cv_root_read(root, "proc/stat", PROC_MAX, &text, NULL) < 0 || agent_parse_proc_stat(text, &total, &idle) < 0)
		goto out;
	/* A share of the time since the last report; unknown on the first
	 * (or after a reboot, when the counters went back). */
	if (st->have_cpu && total > st->cpu_total && idle >= st->cpu_idle && idle - st->cpu_idle <= total - st->cpu_total)
		json_object_set_new(h, "cpu_pct",
				    json_real(round1(100.0 * (double)((total - st->cpu_total) - (idle - st->cpu_idle)) /
						     (double)(total - st->cpu_total))));
	st->have_cpu = true;
	st->cpu_total = total;
	st->cpu_idle = idle;
out:
	free(text);
}

static void mem(struct cv_root *root, json_t *h)
{
	char *text = NULL;
	uint64_t total, avail;

	if (cv_root_read(root, "proc/meminfo", PROC_MAX, &text, NULL) == 0 &&
	    agent_parse_meminfo(text, &total, &avail) == 0) {
		json_object_set_new(h, "mem_pct", json_real(round1(100.0 * (double)(total - avail) / (double)total)));
		json_object_set_new(h, "mem_total_mib", json_integer((json_int_t)(total / 1024)));
	}
	free(text);
}

static void load(struct cv_root *root, json_t *h)
{
	char *text = NULL;
	double v[3];

	if (cv_root_read(root, "proc/loadavg", PROC_MAX, &text, NULL) == 0 && agent_parse_loadavg(text, v) == 0)
		json_object_set_new(h, "load", json_pack("[f, f, f]", v[0], v[1], v[2]));
	free(text);
}

/* Filesystems backed by a local device; the rest (proc, tmpfs, nfs, ...) hold no disk. */
static bool local_fs(const char *dev, const char *type)
{
	static const char *const types[] = { "ext2", "ext3", "ext4", "xfs", "btrfs", "jfs", "reiserfs", "vfat",
					      "f2fs", "ntfs", "ntfs3", "zfs" };

	for (size_t i = 0; i < CV_ELEMENTSOF(types); i++)
		if (strcmp(type, types[i]) == 0)
			return cv_startswith(dev, "/dev/") || strcmp(type, "zfs") == 0 || strcmp(type, "btrfs") == 0;
	return false;
}

/* /proc/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

static void disk(const char *root, const char *mnt, json_t *disks)
{
	char *at = live(root) ? cv_xstrdup(mnt) : cv_xasprintf("%s%s", root, mnt);
	struct statvfs sv;

	if (statvfs(at, &sv) == 0 && sv.f_blocks > 0) {
		double frsize = sv.f_frsize ? (double)sv.f_frsize : (double)sv.f_bsize;
		/* df's "Use%": used / (used + available to users). */
		double used = (double)(sv.f_blocks - sv.f_bfree) * frsize, avail = (double)sv.f_bavail * frsize;

		json_array_append_new(disks, json_pack("{s:s, s:f, s:I}", "path", mnt, "used_pct",
						       used + avail > 0 ? round1(100.0 * used / (used + avail)) : 0.0,
						       "free_mib", (json_int_t)(avail / (1024.0 * 1024.0))));
	}
	free(at);
}

static void disks(struct cv_root *r, const char *root, json_t *h)
{
	json_t *a = json_object_get(h, "disks");
	struct cv_strv seen;
	char *text = NULL, *save = NULL;

	cv_strv_init(&seen);
	if (cv_root_read(r, "proc/mounts", PROC_MAX, &text, NULL) == 0) {
		for (char *line = strtok_r(text, "\n", &save); line && json_array_size(a) < DISKS_MAX;
		     line = strtok_r(NULL, "\n", &save)) {
			char dev[512], mnt[1024], type[64];

			if (sscanf(line, "%511s %1023s %63s", dev, mnt, type) != 3 || !local_fs(dev, type))
				continue;
			unescape(mnt);
			if (mnt[0] != '/' || !cv_strv_add_unique(&seen, mnt))
				continue;
			disk(root, mnt, a);
		}
	}
	/* "/" at least, even where /proc/mounts is not to be had. */
	if (!cv_strv_contains(&seen, "/"))
		disk(root, "/", a);
	cv_strv_release(&seen);
	free(text);
}

/*
 * Kernel log records of priority err (3) or worse since the last one
 * read.  Live: /dev/kmsg (Linux 3.5 on), read non-blocking, one record
 * per read(), until EAGAIN; older kernels have none and say so.  A
 * fixture: dev/kmsg as a file of records, one a line.
 */
static void kmsg_record(const char *rec, size_t len, struct agent_runstate *st, uint64_t *max_seq, json_t *recent,
			int *count)
{
	int level;
	uint64_t seq;
	char *msg;

	if (len == 0 || rec[0] == ' ' || agent_parse_kmsg(rec, len, &level, &seq, &msg) < 0)
		return;
	if (!st->have_kmsg || seq > st->kmsg_seq) {
		if (level <= 3) {
			(*count)++;
			json_array_append_new(recent, json_string(msg));
			if (json_array_size(recent) > ERRORS_RECENT)
				json_array_remove(recent, 0);
		}
	}
	if (seq > *max_seq)
		*max_seq = seq;
	free(msg);
}

/* The kernel log's numbers start again at each boot: a report after a
 * reboot counts every error of the new boot, not those past the old
 * boot's last number (the boot's own errors, a storvsc failing, are
 * the ones that matter).  Linux's boot_id tells one boot from another. */
static void kmsg_boot(struct cv_root *r, struct agent_runstate *st)
{
	char *id = NULL;

	if (cv_root_read(r, "proc/sys/kernel/random/boot_id", 64, &id, NULL) < 0)
		return;
	cv_strstrip(id);
	if (st->kmsg_boot && !cv_streq(st->kmsg_boot, id))
		st->have_kmsg = false;
	free(st->kmsg_boot);
	st->kmsg_boot = id;
}

static void errors(struct cv_root *r, const char *root, struct agent_runstate *st, json_t *h)
{
	json_t *recent = json_array();
	uint64_t max_seq = 0;
	int count = 0;
	const char *why = NULL;

	kmsg_boot(r, st);

	if (live(root)) {
		int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		char rec[8192];

		if (fd < 0) {
			why = errno == ENOENT ? "/dev/kmsg: absent (Linux before 3.5)" : NULL;
			if (!why) {
				json_object_set_new(h, "errors", json_pack("{s:b, s:s+}", "available", 0, "why",
									   "/dev/kmsg: ", strerror(errno)));
				json_decref(recent);
				return;
			}
			goto unavailable;
		}
		for (int i = 0; i < KMSG_MAX_RECORDS; i++) {
			ssize_t n = read(fd, rec, sizeof(rec));

			if (n < 0 && errno == EPIPE) /* overwritten while reading: go on with the next */
				continue;
			if (n <= 0)
				break;
			kmsg_record(rec, (size_t)n, st, &max_seq, recent, &count);
		}
		close(fd);
	} else {
		char *text = NULL, *save = NULL;
		int e = cv_root_read(r, "dev/kmsg", 16 * 1024 * 1024, &text, NULL);

		if (e < 0) {
			why = "dev/kmsg: absent in the root";
			goto unavailable;
		}
		for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			kmsg_record(line, strlen(line), st, &max_seq, recent, &count);
		free(text);
	}
	/* The newest record read is where the next report starts; after a
	 * reboot the sequence starts again, lower. */
	if (max_seq > 0 || !st->have_kmsg) {
		st->have_kmsg = true;
		st->kmsg_seq = max_seq;
	}
	json_object_set_new(h, "errors", json_pack("{s:i, s:o}", "count", count, "recent", recent));
	return;
unavailable:
	json_decref(recent);
	json_object_set_new(h, "errors", json_pack("{s:b, s:s}", "available", 0, "why", why));
}

void agent_health_sys(struct agent_health_ctx *ctx, json_t *h)
{
	struct cv_root *r = NULL;

	if (cv_root_open(ctx->root, &r) < 0)
		return;
	cpu(r, ctx->state, h);
	mem(r, h);
	load(r, h);
	disks(r, ctx->root, h);
	errors(r, ctx->root, ctx->state, h);
	cv_root_free(r);
}
