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

/* Makes path private (see the top of this file); -errno. */
static int make_private(const char *path)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	char *sddl = private_sddl();
	int r = 0;

	if (!sddl)
		return -EACCES;
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &sd, NULL) ||
	    !SetFileSecurityA(path, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, sd))
		r = -EACCES;
	if (sd)
		LocalFree(sd);
	free(sddl);
	return r;
}

int cv_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = cv_xasprintf("%s.tmp", path);
	FILE *f;
	int r = 0;

	f = fopen(tmp, "wb");
	if (!f) {
		r = -errno;
		goto out_free;
	}
	if ((mode & 077) == 0) {
		r = make_private(tmp);
		if (r < 0)
			goto out_unlink;
	}
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

int cv_mkdir_p(const char *path, mode_t mode)
{
	char *copy = cv_xstrdup(path);
	char *p = copy;
	int r = 0;

	(void)mode; /* the folder's ACL is inherited */
	/* A drive ("C:\") or a UNC share's root is there already. */
	if (p[0] && p[1] == ':')
		p += 2;
	for (p++; ; p++) {
		bool end = *p == '\0';
		char sep = *p;

		if (*p != '/' && *p != '\\' && !end)
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
