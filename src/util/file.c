/*
 * file.c - bounded reads and crash-safe writes (see covalid/util.h), with
 * POSIX calls; Windows's are in win/file.c.
 */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cv.h"

static int read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct cv_buf b;
	char chunk[65536];
	int r;

	cv_buf_init(&b, max);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		r = cv_buf_append(&b, chunk, (size_t)n);
		if (r < 0)
			goto out;
	}
	*ret = cv_buf_detach(&b, ret_len);
	r = 0;
out:
	cv_buf_release(&b);
	return r;
}

int cv_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int cv_read_stream(FILE *f, size_t max, char **ret, size_t *ret_len)
{
	return read_fd(fileno(f), max, ret, ret_len);
}

static int fsync_dir_of(const char *path)
{
	char *copy = cv_xstrdup(path);
	int fd, r = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
out:
	free(copy);
	return r;
}

int cv_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = cv_xasprintf("%s.tmp", path);
	const char *p = data;
	int fd, r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
		goto out_free;
	}
	/* O_CREAT honours the umask; the caller asked for exactly mode. */
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto out_unlink;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out_unlink;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto out_unlink;
	}
	r = fsync_dir_of(path);
	goto out_free;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out_free:
	free(tmp);
	return r;
}

int cv_mkdir_p(const char *path, mode_t mode)
{
	char *copy;
	int r = 0;

	if (!*path)
		return -ENOENT; /* as mkdir("") answers */
	copy = cv_xstrdup(path);
	for (char *p = copy + 1; ; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			r = -errno;
			goto out;
		}
		if (end)
			break;
		*p = '/';
	}
out:
	free(copy);
	return r;
}
