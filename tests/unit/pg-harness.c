/*
 * pg-harness.c - tests/lib/pg.sh's functions for the C tests (see
 * pg-harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg-harness.h"

/* Where pg.sh is: the source tree the tests run from (tap_srcdir's rule). */
static const char *srcdir(void)
{
	const char *s = getenv("COVALID_SRCDIR");

	return s && *s ? s : TEST_SRCDIR;
}

/*
 * Runs `. pg.sh && CODE` with $1.. = args, its stdout into *ret_out (if
 * given: trailing newline removed), stderr passed on.  0 if the code
 * succeeded, -EIO otherwise.
 */
static int run_pg_sh(const char *code, const char *a1, const char *a2, char **ret_out)
{
	char script[4096], *out = NULL;
	size_t len = 0, cap = 0;
	int fds[2], status;
	pid_t pid;

	snprintf(script, sizeof(script), ". \"$0\" && %s", code);
	if (pipe(fds) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/tests/lib/pg.sh", srcdir());
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", script, path, a1, a2, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n;

		if (len + 1024 > cap) {
			cap = cap ? cap * 2 : 4096;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		n = read(fds[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	out[len] = '\0';
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			free(out);
			return -errno;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(out);
		return -EIO;
	}
	if (ret_out)
		*ret_out = out;
	else
		free(out);
	return 0;
}

int pgh_start(const char *dir, char **ret_uri)
{
	return run_pg_sh("pg_start \"$1\" && echo \"$PG_URI\"", dir, NULL, ret_uri);
}

int pgh_createdb(const char *dir, const char *name, char **ret_uri)
{
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return -EINVAL;
	return run_pg_sh("pg_createdb \"$1\" \"$2\"", dir, name, ret_uri);
}

pid_t pgh_server_pid(const char *dir)
{
	char path[4096], line[64];
	FILE *f;
	long pid = -1;

	snprintf(path, sizeof(path), "%s/data/postmaster.pid", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		pid = strtol(line, NULL, 10);
	fclose(f);
	return pid > 0 ? (pid_t)pid : -1;
}

void pgh_stop(const char *dir)
{
	(void)run_pg_sh("pg_stop \"$1\"", dir, NULL, NULL);
}
