/*
 * root-capture.c - recording what the probe reads, so that a captured
 * directory replays the same report (`covalid probe --capture DIR`).
 *
 * sysfs is a forest of relative symlinks (/sys/bus/pci/devices/X ->
 * ../../../devices/pci0000:00/X).  A capture that flattened them into
 * directories would break the probe's walks from a disk up to its
 * controller, so the capture mirrors the path the kernel resolved: every
 * symlink met on the way is recreated with the same target, and the data
 * is written where the link leads.  Relative targets then resolve in the
 * capture exactly as on the machine.
 *
 * Capturing is best effort: a failure here changes nothing in the report,
 * and the replay test (tests/t/t1002-probe-capture.sh) catches what a
 * capture missed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covalid/root.h"
#include "util/cv.h"
#include "util/root-internal.h"

#define MIRROR_DEPTH 16

/* Source: the root's dirfd.  Destination: the capture directory. */
struct mirror {
	int src;
	const char *dst;
};

static void ensure_dir(const struct mirror *m, const char *rel)
{
	char *full = cv_xasprintf("%s/%s", m->dst, rel);
	int ignored = cv_mkdir_p(full, 0755);

	(void)ignored;
	free(full);
}

static void make_link(const struct mirror *m, const char *rel, const char *target)
{
	char *full = cv_xasprintf("%s/%s", m->dst, rel);
	int ignored = symlink(target, full);

	(void)ignored; /* EEXIST: recorded already */
	free(full);
}

static void write_file(const struct mirror *m, const char *rel, const char *data, size_t len, bool keep)
{
	char *full = cv_xasprintf("%s/%s", m->dst, rel);
	FILE *f;

	if (!keep || access(full, F_OK) < 0) {
		f = fopen(full, "we");
		if (f) {
			fwrite(data, 1, len, f);
			fclose(f);
		}
	}
	free(full);
}

static bool read_link(const struct mirror *m, const char *rel, char *buf, size_t size)
{
	ssize_t k = readlinkat(m->src, rel, buf, size - 1);

	if (k < 0)
		return false;
	buf[k] = '\0';
	return true;
}

static void split(const char *path, struct cv_strv *parts)
{
	char *copy = cv_xstrdup(path), *save = NULL;

	cv_strv_init(parts);
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (strcmp(c, ".") != 0)
			cv_strv_push(parts, c);
	free(copy);
}

/*
 * Walks path on the source, recreating its directories and symlinks in
 * the capture; returns the physical path (free of symlinks) it leads to,
 * or NULL if it cannot be followed.  With last=false the final component
 * is left alone and the physical path of its parent is returned.
 */
static char *mirror(const struct mirror *m, const char *path, bool last, int depth)
{
	struct cv_strv parts;
	char *cur = cv_xstrdup("");
	size_t n;

	if (depth > MIRROR_DEPTH) {
		free(cur);
		return NULL;
	}
	split(path, &parts);
	n = last ? parts.n : (parts.n ? parts.n - 1 : 0);
	for (size_t i = 0; i < n; i++) {
		char *cand = *cur ? cv_xasprintf("%s/%s", cur, parts.v[i]) : cv_xstrdup(parts.v[i]);
		char target[4096], *resolved;
		struct stat st;

		if (fstatat(m->src, cand, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(cand);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (!read_link(m, cand, target, sizeof(target))) {
				free(cand);
				break;
			}
			make_link(m, cand, target);
			resolved = cv_path_resolve(cur, target);
			free(cand);
			free(cur);
			cur = mirror(m, resolved, true, depth + 1);
			free(resolved);
			if (!cur)
				break;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			ensure_dir(m, cand);
		free(cur);
		cur = cand;
	}
	cv_strv_release(&parts);
	return cur;
}

/* A listed directory: its entries' names matter (the probe counts
 * devices), so each is recreated as what it is, links with their targets. */
static void mirror_entries(const struct mirror *m, const char *phys)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(m->src, *phys ? phys : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char *rel, target[4096];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rel = *phys ? cv_xasprintf("%s/%s", phys, de->d_name) : cv_xstrdup(de->d_name);
		if (fstatat(m->src, rel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISLNK(st.st_mode) && read_link(m, rel, target, sizeof(target)))
				make_link(m, rel, target);
			else if (S_ISDIR(st.st_mode))
				ensure_dir(m, rel);
		}
		free(rel);
	}
	closedir(d);
}

void root_capture(struct cv_root *r, const char *path, enum root_capture_kind kind, const char *data,
		  size_t len)
{
	struct mirror m;
	char *phys;
	struct stat st;

	if (!r->capture)
		return;
	m = (struct mirror){ r->dirfd, r->capture };
	if (kind == ROOT_CAPTURE_LINK) {
		struct cv_strv parts;
		char *parent = mirror(&m, path, false, 0), *rel;

		if (!parent)
			return;
		split(path, &parts);
		if (parts.n) {
			rel = *parent ? cv_xasprintf("%s/%s", parent, parts.v[parts.n - 1])
				      : cv_xstrdup(parts.v[parts.n - 1]);
			make_link(&m, rel, data);
			free(rel);
		}
		cv_strv_release(&parts);
		free(parent);
		return;
	}
	phys = mirror(&m, path, true, 0);
	if (!phys)
		return;
	switch (kind) {
	case ROOT_CAPTURE_FILE:
		write_file(&m, phys, data, len, false);
		break;
	case ROOT_CAPTURE_DIR:
		ensure_dir(&m, phys);
		mirror_entries(&m, phys);
		break;
	case ROOT_CAPTURE_EXISTS:
		if (fstatat(m.src, *phys ? phys : ".", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			write_file(&m, phys, "", 0, true);
		break;
	case ROOT_CAPTURE_LINK:
		break;
	}
	free(phys);
}
