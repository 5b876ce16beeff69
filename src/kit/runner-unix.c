/*
 * runner-unix.c - the runner's process part on Linux (kit-internal.h,
 * kit_os_*): each check in a fork()ed child that writes its result on a
 * pipe; the parent waits with poll() up to the check's limit, then kills
 * it.  Children inherit nothing the parent could lose: stdio is flushed
 * before each fork.
 */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit/kit-internal.h"
#include "util/compat.h"
#include "util/cv.h"

static void child(const struct kit_check *c, const struct kit_ctx *ctx, int fd)
{
	char *s;
	size_t n, off = 0;

	/* The parent's handlers (if any) are not the check's. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	s = kit_child_result(c, ctx);
	n = s ? strlen(s) : 0;
	while (off < n) {
		ssize_t w = write(fd, s + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			_exit(3);
		}
		off += (size_t)w;
	}
	_exit(0);
}

int kit_os_run_child(const struct kit_check *c, const struct kit_ctx *ctx, double limit, struct cv_buf *buf,
		     char *why, size_t why_size)
{
	double deadline = kit_now() + limit;
	int fds[2], status = 0;
	bool timed_out = false, too_big = false;
	pid_t pid;

	if (cv_pipe_cloexec(fds) < 0) {
		snprintf(why, why_size, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_size, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		child(c, ctx, fds[1]);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		double left = deadline - kit_now();
		char chunk[8192];
		ssize_t n;
		int pr;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		pr = poll(&p, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (cv_buf_append(buf, chunk, (size_t)n) < 0) {
			too_big = true;
			break;
		}
	}
	close(fds[0]);
	if (timed_out || too_big)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		snprintf(why, why_size, "timed out after %.0f s: killed", limit);
	else if (too_big)
		snprintf(why, why_size, "its result was larger than 4 MiB");
	else if (WIFSIGNALED(status))
		snprintf(why, why_size, "crashed: killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || buf->len == 0)
		snprintf(why, why_size, "exited with status %d without a result",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else
		return 0;
	return -1;
}

void kit_os_child_setup(void)
{
	/* A `kit __child` on Linux dies of its signal as a fork()ed child does. */
}

void kit_os_host(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0)
		snprintf(buf, size, "unknown");
	buf[size - 1] = '\0';
}

int kit_os_mkdtemp(const char *parent, char **ret, char **ret_error)
{
	char *tmpl;
	int r;

	if (!parent)
		parent = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	tmpl = cv_xasprintf("%s/covalid-kit.XXXXXX", parent);
	if (!mkdtemp(tmpl)) {
		r = -errno;
		*ret_error = cv_xasprintf("%s: cannot make the kit's directory: %s", parent, strerror(errno));
		free(tmpl);
		return r;
	}
	*ret = tmpl;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void kit_os_rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool kit_os_privileged(void)
{
	return geteuid() == 0;
}

static void push_cpu(int **v, size_t *n, size_t *alloc, int c)
{
	if (*n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 8;
		*v = cv_xreallocarray(*v, *alloc, sizeof(**v));
	}
	(*v)[(*n)++] = c;
}

void kit_os_online_cpus(int **ret, size_t *ret_n)
{
	char *s = kit_read("/sys/devices/system/cpu/online");
	int *v = NULL;
	size_t n = 0, alloc = 0;

	if (s) {
		char *p = cv_strstrip(s);

		while (*p) {
			char *end;
			long a = strtol(p, &end, 10), b = a;

			if (end == p)
				break;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			for (long c = a; c <= b && c - a < 4096; c++)
				push_cpu(&v, &n, &alloc, (int)c);
			p = *end == ',' ? end + 1 : end;
			if (*end != ',')
				break;
		}
		free(s);
	}
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		for (long i = 0; i < (c > 0 ? c : 1); i++)
			push_cpu(&v, &n, &alloc, (int)i);
	}
	*ret = v;
	*ret_n = n;
}
