/*
 * pg-harness.c - tests/lib/pg.sh's functions for the C tests (see
 * pg-harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The running cluster's server, for the signal handler (which has no time
 * to read postmaster.pid). */
static volatile pid_t cluster_server = -1;

static void stop_server_and_die(int sig)
{
	if (cluster_server > 0)
		kill(cluster_server, SIGQUIT);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *pgh_cluster_start(char dir[PGH_DIR_MAX], const char *initdb_opts)
{
	const char *tmp = getenv("TMPDIR");
	char *uri = NULL;

	snprintf(dir, PGH_DIR_MAX, "%s/covalid-pg-XXXXXX", tmp && *tmp && strlen(tmp) < 60 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return "mkdtemp failed for the cluster's directory";
	}
	chmod(dir, 0755);
	signal(SIGINT, stop_server_and_die);
	signal(SIGTERM, stop_server_and_die);
	signal(SIGHUP, stop_server_and_die);
	if (initdb_opts && !getenv("PG_INITDB_OPTS")) {
		setenv("PG_INITDB_OPTS", initdb_opts, 1);
		if (pgh_start(dir, &uri) < 0) {
			printf("# this PostgreSQL does not take PG_INITDB_OPTS=%s: left out\n", initdb_opts);
			unsetenv("PG_INITDB_OPTS");
			remove_tree(dir);
			mkdir(dir, 0755);
		}
	}
	if (!uri && pgh_start(dir, &uri) < 0) {
		remove_tree(dir);
		dir[0] = '\0';
		return "tests/lib/pg.sh's pg_start failed (its messages are above)";
	}
	free(uri);
	cluster_server = pgh_server_pid(dir);
	return NULL;
}

void pgh_cluster_stop(char dir[PGH_DIR_MAX])
{
	if (!dir[0])
		return;
	pgh_stop(dir);
	cluster_server = -1;
	remove_tree(dir);
	dir[0] = '\0';
}
