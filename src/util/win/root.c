/*
 * win/root.c - file access through a machine root on Windows (see
 * covalid/root.h).
 *
 * On Windows a root is only ever a directory of files: a capture made by
 * `covalid probe --capture` (on Windows or Linux) or a fixture.  The live
 * machine's sources are not files at all (CPUID, the firmware table
 * provider, the registry, SetupAPI, the service manager): the probe reads
 * them through the Windows API and hands their bytes to the same parsers
 * (src/probe/win/), so the live root here has no files and every read of
 * it answers -ENOENT.
 *
 * There is no openat2 to keep a path inside the root: ".." components are
 * clamped at the root as RESOLVE_IN_ROOT does (cv_path_resolve), and a
 * path is refused if any component holds a drive or stream separator
 * (':'), so "C:" or "file:stream" cannot lead outside.  Captures hold no
 * symbolic links on Windows, and readlink answers -EINVAL as POSIX does
 * for a file that is not one.
 */
#include <dirent.h>
#include <direct.h>
#include <stdio.h>
#include <sys/stat.h>

#include "covalid/root.h"
#include "util/cv.h"

#define ROOT_LINE_MAX 65536
#define ROOT_LIST_MAX 65536

struct cv_root {
	char *path;
	bool live;
	char *capture;
};

int cv_root_open(const char *dir, struct cv_root **ret)
{
	struct cv_root *r;
	struct stat st;
	bool live = !dir || !*dir || strcmp(dir, "/") == 0;

	if (!live) {
		if (stat(dir, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	r = cv_xcalloc(1, sizeof(*r));
	r->path = cv_xstrdup(live ? "/" : dir);
	r->live = live;
	*ret = r;
	return 0;
}

struct cv_root *cv_root_free(struct cv_root *r)
{
	if (!r)
		return NULL;
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

/* The path inside the root, ".." clamped; NULL if it may lead outside. */
static char *inside(const char *path)
{
	char *norm;

	if (strchr(path, ':') || strchr(path, '\\'))
		return NULL;
	while (*path == '/')
		path++;
	norm = cv_path_resolve(".", path);
	if (!*norm) {
		free(norm);
		return cv_xstrdup(".");
	}
	return norm;
}

/* The host path of path inside the root; NULL for the live root. */
static char *host_path(const struct cv_root *r, const char *path, int *ret_err)
{
	char *in, *full;

	if (r->live) {
		*ret_err = -ENOENT;
		return NULL;
	}
	in = inside(path);
	if (!in) {
		*ret_err = -EACCES;
		return NULL;
	}
	full = cv_xasprintf("%s/%s", r->path, in);
	free(in);
	return full;
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
	char *in, *full, *slash;
	FILE *f;

	if (!r->capture)
		return;
	in = inside(path);
	if (!in)
		return;
	full = cv_xasprintf("%s/%s", r->capture, in);
	free(in);
	slash = strrchr(full, '/');
	*slash = '\0';
	if (cv_mkdir_p(full, 0755) == 0) {
		*slash = '/';
		f = fopen(full, "wb");
		if (f) {
			fwrite(data, 1, len, f);
			fclose(f);
		}
	}
	free(full);
}

int cv_root_read(struct cv_root *r, const char *path, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	char *full, *data;
	size_t len;
	int res = 0;

	full = host_path(r, path, &res);
	if (!full)
		return res;
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		res = -EISDIR;
		goto out;
	}
	res = cv_read_file(full, max, &data, &len);
	if (res < 0)
		goto out;
	/* A replayed root re-captured: the file as it was read. */
	cv_root_capture_extra(r, path, data, len);
	*ret = data;
	if (ret_len)
		*ret_len = len;
out:
	free(full);
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
	(void)ret;
	return cv_root_exists(r, path) ? -EINVAL : -ENOENT;
}

int cv_root_readlink_base(struct cv_root *r, const char *path, char **ret)
{
	return cv_root_readlink(r, path, ret);
}

int cv_root_list(struct cv_root *r, const char *path, struct cv_strv *ret)
{
	struct cv_strv v;
	struct dirent *de;
	char *full;
	DIR *d;
	int res = 0;

	full = host_path(r, path, &res);
	if (!full)
		return res;
	d = opendir(full);
	free(full);
	if (!d)
		return errno == EINVAL ? -ENOTDIR : -errno;
	cv_strv_init(&v);
	while ((de = readdir(d)) && v.n < ROOT_LIST_MAX) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cv_strv_push(&v, de->d_name);
	}
	closedir(d);
	cv_strv_sort(&v);
	*ret = v;
	return 0;
}

bool cv_root_exists(struct cv_root *r, const char *path)
{
	struct stat st;
	char *full;
	int res = 0;
	bool yes;

	full = host_path(r, path, &res);
	if (!full)
		return false;
	yes = stat(full, &st) == 0;
	free(full);
	return yes;
}
