/* root.c - file access through a machine root (see covalid/root.h). */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "covalid/root.h"
#include "util/cv.h"
#include "util/root-internal.h"

/* Sysfs and procfs files worth reading are small; the few big ones
 * (cpuinfo, interrupts) pass their own limit. */
#define ROOT_LINE_MAX 65536
#define ROOT_LIST_MAX 65536


int cv_root_open(const char *dir, struct cv_root **ret)
{
	struct cv_root *r;
	int fd;

	if (!dir || !*dir)
		dir = "/";
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = cv_xcalloc(1, sizeof(*r));
	r->path = cv_xstrdup(dir);
	r->dirfd = fd;
	r->live = strcmp(dir, "/") == 0;
	r->have_openat2 = true;
	*ret = r;
	return 0;
}

struct cv_root *cv_root_free(struct cv_root *r)
{
	if (!r)
		return NULL;
	close(r->dirfd);
	free(r->path);
	free(r->capture);
	free(r);
	return NULL;
}

bool cv_root_is_live(const struct cv_root *r)
{
	return r->live;
}

const char *cv_root_path(const struct cv_root *r)
{
	return r->path;
}

static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

/*
 * Opens path inside the root.  For a non-live root, RESOLVE_IN_ROOT makes
 * "/" and ".." stop at the root, so a fixture's absolute symlink such as
 * sys/class/net/eth0 -> /sys/devices/... resolves inside the fixture.
 * Kernels before 5.6 have no openat2; there we refuse absolute links and
 * ".." components by opening with O_NOFOLLOW on the last component only,
 * which is weaker, and say so in the docs.
 */
static int root_openat(struct cv_root *r, const char *path, int flags)
{
	int fd;

	path = rel(path);
	if (!r->live && r->have_openat2) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, r->dirfd, path, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return -errno;
		r->have_openat2 = false;
	}
	fd = openat(r->dirfd, path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cv_root_set_capture(struct cv_root *r, const char *dir)
{
	int res = cv_mkdir_p(dir, 0755);

	if (res < 0)
		return res;
	free(r->capture);
	r->capture = cv_xstrdup(dir);
	return 0;
}

void cv_root_capture_extra(struct cv_root *r, const char *path, const char *data, size_t len)
{
	char *full, *slash;
	FILE *f;

	if (!r->capture)
		return;
	/* Not a file of the machine: written as given, not mirrored. */
	full = cv_xasprintf("%s/%s", r->capture, rel(path));
	slash = strrchr(full, '/');
	*slash = '\0';
	if (cv_mkdir_p(full, 0755) == 0) {
		*slash = '/';
		f = fopen(full, "we");
		if (f) {
			fwrite(data, 1, len, f);
			fclose(f);
		}
	}
	free(full);
}

int cv_root_read(struct cv_root *r, const char *path, size_t max, char **ret, size_t *ret_len)
{
	struct cv_buf b;
	char chunk[16384];
	int fd, res;
	size_t len;
	char *data;

	fd = root_openat(r, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	cv_buf_init(&b, max);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			res = -errno;
			goto out;
		}
		if (n == 0)
			break;
		res = cv_buf_append(&b, chunk, (size_t)n);
		if (res < 0)
			goto out;
	}
	data = cv_buf_detach(&b, &len);
	root_capture(r, path, ROOT_CAPTURE_FILE, data, len);
	*ret = data;
	if (ret_len)
		*ret_len = len;
	res = 0;
out:
	close(fd);
	cv_buf_release(&b);
	return res;
}

int cv_root_read_line(struct cv_root *r, const char *path, char **ret)
{
	char *s;
	int res;

	res = cv_root_read(r, path, ROOT_LINE_MAX, &s, NULL);
	if (res < 0)
		return res;
	*ret = cv_strstrip(s);
	return 0;
}

int cv_root_readlink(struct cv_root *r, const char *path, char **ret)
{
	const char *p = rel(path);
	const char *slash = strrchr(p, '/');
	char *dir = slash ? cv_xstrndup(p, (size_t)(slash - p)) : cv_xstrdup(".");
	const char *base = slash ? slash + 1 : p;
	char target[4096];
	ssize_t n;
	int fd, res;

	fd = root_openat(r, dir, O_RDONLY | O_DIRECTORY | O_PATH);
	if (fd < 0) {
		res = fd;
		goto out;
	}
	n = readlinkat(fd, base, target, sizeof(target) - 1);
	close(fd);
	if (n < 0) {
		res = -errno;
		goto out;
	}
	target[n] = '\0';
	root_capture(r, p, ROOT_CAPTURE_LINK, target, (size_t)n);
	*ret = cv_xstrdup(target);
	res = 0;
out:
	free(dir);
	return res;
}

int cv_root_readlink_base(struct cv_root *r, const char *path, char **ret)
{
	char *t, *slash;
	int res;

	res = cv_root_readlink(r, path, &t);
	if (res < 0)
		return res;
	slash = strrchr(t, '/');
	if (slash) {
		char *b = cv_xstrdup(slash + 1);

		free(t);
		t = b;
	}
	*ret = t;
	return 0;
}

int cv_root_list(struct cv_root *r, const char *path, struct cv_strv *ret)
{
	struct cv_strv v;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = root_openat(r, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		int res = -errno;

		close(fd);
		return res;
	}
	cv_strv_init(&v);
	while ((de = readdir(d)) && v.n < ROOT_LIST_MAX) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cv_strv_push(&v, de->d_name);
	}
	closedir(d);
	cv_strv_sort(&v);
	root_capture(r, path, ROOT_CAPTURE_DIR, NULL, 0);
	*ret = v;
	return 0;
}

/*
 * O_PATH is Linux 2.6.39+: older kernels ignore the flag and open the file
 * for reading, which its mode may refuse (a file that exists would read
 * as absent) and a device would notice.  Where root_openat() would use
 * plain openat() -- a live root, or no openat2 -- fstatat() answers the
 * same question, following links as open does, without opening anything.
 */
bool cv_root_exists(struct cv_root *r, const char *path)
{
	struct stat st;
	int fd;

	if (r->live || !r->have_openat2) {
		if (fstatat(r->dirfd, rel(path), &st, 0) < 0)
			return false;
	} else {
		fd = root_openat(r, path, O_PATH);
		if (fd < 0)
			return false;
		close(fd);
	}
	root_capture(r, path, ROOT_CAPTURE_EXISTS, NULL, 0);
	return true;
}
