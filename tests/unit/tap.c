/*
 * tap.c - the unit-test runner (see tap.h).
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/compat.h"

#define TAP_TIMEOUT_S 120

static int failed_checks;
static char tmpdir[4096];

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failed_checks++;
}

/* A skipped test exits with this code; the parent prints "# SKIP". */
#define TAP_SKIP_CODE 77

void tap_skip(const char *why)
{
	printf("# skip reason: %s\n", why);
	fflush(stdout);
	_exit(TAP_SKIP_CODE);
}

const char *tap_srcdir(void)
{
	const char *s = getenv("COVALID_SRCDIR");

	return s && *s ? s : TEST_SRCDIR;
}

const char *tap_tmpdir(void)
{
	return tmpdir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int run_one(const struct tap_test *t, int num)
{
	char skipmsg[1024] = "";
	int pipefd[2], status;
	pid_t pid;
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "%s/covalid-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("not ok %d - %s # mkdtemp: %s\n", num, t->name, strerror(errno));
		return 1;
	}
	/* Not pipe(): glibc's is pipe2(), which old kernels lack, and
	 * t7002 runs test-compat under the old-kernel harness. */
	if (cv_pipe_cloexec(pipefd) < 0)
		abort();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[1]);
		alarm(TAP_TIMEOUT_S);
		t->fn();
		fflush(stdout);
		_exit(failed_checks ? 1 : 0);
	}
	close(pipefd[1]);
	/* The child's stdout is captured so that stray output cannot break
	 * the TAP stream; it is passed on as comments. */
	f = fdopen(pipefd[0], "r");
	if (f) {
		char line[1024];

		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "# skip reason: ", 15) == 0) {
				snprintf(skipmsg, sizeof(skipmsg), "%s", line + 15);
				skipmsg[strcspn(skipmsg, "\n")] = '\0';
			} else
				printf("# %s%s", line, strchr(line, '\n') ? "" : "\n");
		}
		fclose(f);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %d - %s\n", num, t->name);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == TAP_SKIP_CODE) {
		printf("ok %d - %s # SKIP %s\n", num, t->name, skipmsg);
		return 0;
	}
	if (WIFSIGNALED(status))
		printf("not ok %d - %s # killed by signal %d (%s)%s\n", num, t->name, WTERMSIG(status),
		       strsignal(WTERMSIG(status)), WTERMSIG(status) == SIGALRM ? ": timed out" : "");
	else
		printf("not ok %d - %s # exit status %d\n", num, t->name, WEXITSTATUS(status));
	return 1;
}

int tap_run(const struct tap_test *tests, size_t n, int argc, char **argv)
{
	int failures = 0, num = 0;
	const char *only = argc > 1 ? argv[1] : NULL;

	if (only) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(tests[i].name, only) == 0) {
				printf("1..1\n");
				return run_one(&tests[i], 1) ? 1 : 0;
			}
		fprintf(stderr, "no test named %s\n", only);
		return 2;
	}
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++)
		failures += run_one(&tests[i], ++num);
	return failures ? 1 : 0;
}
