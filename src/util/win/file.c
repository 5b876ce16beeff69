/*
 * win/file.c - bounded reads and crash-safe writes on Windows (see
 * covalid/util.h; POSIX's are in ../file.c).
 *
 * The write is the same promise as on Linux: the new contents or the old,
 * never half.  The data go to PATH.tmp, are flushed to the disk
 * (FlushFileBuffers, through the CRT's _commit) and replace PATH with
 * MoveFileEx(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH), which
 * returns only once the rename is on disk; Windows has no directory fsync.
 *
 * Modes: Windows has ACLs, not mode bits.  A file the caller asks to be
 * private (no group or other bits, the secret key's 0600) gets a protected
 * DACL granting access to its owner, SYSTEM and Administrators only, so it
 * does not inherit a readable-by-everyone ACL from its folder; other modes
 * keep the folder's.
 */
#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <windows.h>
#include <sddl.h>

#include "util/cv.h"

static int read_stream(FILE *f, size_t max, char **ret, size_t *ret_len)
{
	struct cv_buf b;
	char chunk[65536];
	size_t n;
	int r = 0;

	cv_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		r = cv_buf_append(&b, chunk, n);
		if (r < 0)
			goto out;
	}
	if (ferror(f)) {
		r = -EIO;
		goto out;
	}
	*ret = cv_buf_detach(&b, ret_len);
out:
	cv_buf_release(&b);
	return r;
}

int cv_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	int r;

	if (!f)
		return -errno;
	r = read_stream(f, max, ret, ret_len);
	fclose(f);
	return r;
}

int cv_read_stream(FILE *f, size_t max, char **ret, size_t *ret_len)
{
	return read_stream(f, max, ret, ret_len);
}

/* The SDDL of a DACL for the calling user, SYSTEM and Administrators; NULL if unknown. */
static char *private_sddl(void)
{
	HANDLE tok = NULL;
	char buf[256], *sid = NULL, *sddl = NULL;
	DWORD n = 0;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return NULL;
	if (GetTokenInformation(tok, TokenUser, buf, sizeof(buf), &n) &&
	    ConvertSidToStringSidA(((TOKEN_USER *)(void *)buf)->User.Sid, &sid)) {
		sddl = cv_xasprintf("D:P(A;;FA;;;%s)(A;;FA;;;SY)(A;;FA;;;BA)", sid);
		LocalFree(sid);
	}
	CloseHandle(tok);
	return sddl;
}

/* A security descriptor for a private file (see the top of this file),
 * to free with LocalFree; NULL if it cannot be made. */
static PSECURITY_DESCRIPTOR private_sd(void)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	char *sddl = private_sddl();

	if (sddl && !ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &sd, NULL))
		sd = NULL;
	free(sddl);
	return sd;
}

/* Creates path for writing, private from its first moment if asked: the
 * DACL is given to CreateFile, so no other user ever opens the file under
 * the folder's ACL.  -errno. */
static int create(const char *path, bool private, FILE **ret)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	HANDLE h;
	FILE *f;
	int fd, r = 0;

	if (private) {
		sa.lpSecurityDescriptor = private_sd();
		if (!sa.lpSecurityDescriptor)
			return -EACCES;
	}
	h = CreateFileA(path, GENERIC_WRITE, 0, &sa, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (sa.lpSecurityDescriptor)
		LocalFree(sa.lpSecurityDescriptor);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();

		return e == ERROR_ACCESS_DENIED ? -EACCES : e == ERROR_PATH_NOT_FOUND ? -ENOENT : -EIO;
	}
	fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
		return -EIO;
	}
	f = _fdopen(fd, "wb");
	if (!f) {
		r = -errno;
		_close(fd);
		return r;
	}
	*ret = f;
	return 0;
}

int cv_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = cv_xasprintf("%s.tmp", path);
	FILE *f = NULL;
	int r;

	r = create(tmp, (mode & 077) == 0, &f);
	if (r < 0)
		goto out_free;
	if (len && fwrite(data, 1, len, f) != len) {
		r = -EIO;
		goto out_unlink;
	}
	if (fflush(f) != 0 || _commit(_fileno(f)) != 0) {
		r = -EIO;
		goto out_unlink;
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = -EIO;
		goto out_unlink;
	}
	f = NULL;
	if (!MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		r = GetLastError() == ERROR_ACCESS_DENIED ? -EACCES : -EIO;
		goto out_unlink;
	}
	goto out_free;
out_unlink:
	if (f)
		fclose(f);
	remove(tmp);
out_free:
	free(tmp);
	return r;
}

static bool is_sep(char c)
{
	return c == '/' || c == '\\';
}

int cv_mkdir_p(const char *path, mode_t mode)
{
	char *copy, *p;
	int r = 0;

	(void)mode; /* the folder's ACL is inherited */
	if (!*path)
		return -ENOENT;
	copy = cv_xstrdup(path);
	p = copy;
	/* What is there already is not made: a drive ("C:", "C:\") or a
	 * UNC share (\\server\share\). */
	if (is_sep(p[0]) && is_sep(p[1])) {
		int seps = 0;

		for (p += 2; *p && seps < 2; p++)
			seps += is_sep(*p);
	} else {
		if (p[0] && p[1] == ':')
			p += 2;
		if (is_sep(*p))
			p++;
	}
	if (!*p)
		goto out;
	for (p++; ; p++) {
		bool end = *p == '\0';
		char sep = *p;

		if (!is_sep(*p) && !end)
			continue;
		*p = '\0';
		if (_mkdir(copy) < 0 && errno != EEXIST) {
			r = -errno;
			goto out;
		}
		if (end)
			break;
		*p = sep;
	}
out:
	free(copy);
	return r;
}
