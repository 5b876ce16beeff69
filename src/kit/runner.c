/*
 * runner.c - runs the kit's checks, each in a child process with a time
 * limit, inside a private temporary directory (see covalid/kit.h).
 *
 * Isolation: a check runs in fork()ed child that reports its result as
 * one JSON object on a pipe.  The parent waits for it with poll() up to
 * the check's limit, then kills it.  A child that dies by a signal, exits
 * without a result, or overruns is recorded as "error" with the reason,
 * and the run goes on.  Children inherit nothing the parent could lose:
 * stdio is flushed before each fork.
 */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "kit/kit-internal.h"
#include "util/compat.h"
#include "util/cv.h"

#define RESULT_MAX (4 * 1024 * 1024)

/* Does id match an --only/--skip entry (an id, or a family: "time")? */
static bool selects(const char *entry, const char *id)
{
	size_t n = strlen(entry);

	return strcmp(entry, id) == 0 || (strncmp(entry, id, n) == 0 && id[n] == '.');
}

static bool any_selects(const struct cv_strv *v, const char *id)
{
	for (size_t i = 0; i < v->n; i++)
		if (selects(v->v[i], id))
			return true;
	return false;
}

static int validate_selection(const struct cv_strv *v, const char *option, char **ret_error)
{
	size_t n;
	const struct kit_check *t = kit_table(&n);

	for (size_t i = 0; i < v->n; i++) {
		bool found = false;

		for (size_t k = 0; k < n && !found; k++)
			found = selects(v->v[i], t[k].info.id) && (!t[k].info.hidden || kit_selftest());
		if (!found) {
			*ret_error = cv_xasprintf("%s: no check or family '%s' (see covalid kit list)", option, v->v[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static void online_cpus(int **ret, size_t *ret_n)
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
			for (long c = a; c <= b && c - a < 4096; c++) {
				if (n == alloc) {
					alloc = alloc ? alloc * 2 : 8;
					v = cv_xreallocarray(v, alloc, sizeof(*v));
				}
				v[n++] = (int)c;
			}
			p = *end == ',' ? end + 1 : end;
			if (*end != ',' )
				break;
		}
		free(s);
	}
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		for (long i = 0; i < (c > 0 ? c : 1); i++) {
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 8;
				v = cv_xreallocarray(v, alloc, sizeof(*v));
			}
			v[n++] = (int)i;
		}
	}
	*ret = v;
	*ret_n = n;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void child(const struct kit_check *c, const struct kit_ctx *ctx, int fd)
{
	struct kit_out out = { KIT_ERROR, "", json_object(), json_object() };
	json_t *res;
	char *s;
	size_t n, off = 0;

	/* The parent's handlers (if any) are not the check's. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	snprintf(out.reason, sizeof(out.reason), "the check set no result");
	c->fn(ctx, &out);
	res = json_pack("{s:s, s:s, s:o, s:o}", "status", kit_status_name(out.status), "reason", out.reason,
			"measured", out.measured, "threshold", out.threshold);
	s = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(15));
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

static void error_result(struct kit_result *r, const char *fmt, ...) CV_PRINTF(2, 3);
static void error_result(struct kit_result *r, const char *fmt, ...)
{
	va_list ap;

	r->status = KIT_ERROR;
	free(r->reason);
	va_start(ap, fmt);
	if (vasprintf(&r->reason, fmt, ap) < 0)
		abort();
	va_end(ap);
}

static void run_one(const struct kit_check *c, const struct kit_ctx *ctx, struct kit_result *r)
{
	double limit = ctx->opt->quick ? (c->timeout_s / 3 > 2 ? c->timeout_s / 3 : 2) : c->timeout_s;
	double t0 = kit_now(), deadline = t0 + limit;
	struct cv_buf buf;
	int fds[2], status = 0;
	bool timed_out = false, too_big = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->id = cv_xstrdup(c->info.id);
	r->measured = json_object();
	r->threshold = json_object();
	if (cv_pipe_cloexec(fds) < 0) {
		error_result(r, "cannot create a pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		error_result(r, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		child(c, ctx, fds[1]);
	}
	close(fds[1]);
	cv_buf_init(&buf, RESULT_MAX);
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
		if (cv_buf_append(&buf, chunk, (size_t)n) < 0) {
			too_big = true;
			break;
		}
	}
	close(fds[0]);
	if (timed_out || too_big)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->duration_s = kit_round(kit_now() - t0);
	if (timed_out)
		error_result(r, "timed out after %.0f s: killed", limit);
	else if (too_big)
		error_result(r, "its result was larger than 4 MiB");
	else if (WIFSIGNALED(status))
		error_result(r, "crashed: killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || buf.len == 0)
		error_result(r, "exited with status %d without a result", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else {
		json_t *res = json_loadb(buf.data, buf.len, 0, NULL);
		json_t *st = res ? json_object_get(res, "status") : NULL;
		bool known = false;

		for (int s = 0; st && json_is_string(st) && s < KIT_STATUS__MAX; s++)
			if (strcmp(json_string_value(st), kit_status_name((enum kit_status)s)) == 0) {
				r->status = (enum kit_status)s;
				known = true;
			}
		if (!known)
			error_result(r, "its result could not be read");
		else {
			const char *reason = json_string_value(json_object_get(res, "reason"));

			r->reason = reason && *reason ? cv_xstrdup(reason) : NULL;
			if (json_is_object(json_object_get(res, "measured"))) {
				json_decref(r->measured);
				r->measured = json_incref(json_object_get(res, "measured"));
			}
			if (json_is_object(json_object_get(res, "threshold"))) {
				json_decref(r->threshold);
				r->threshold = json_incref(json_object_get(res, "threshold"));
			}
		}
		json_decref(res);
	}
	cv_buf_release(&buf);
}

int kit_run(const struct kit_options *o, struct kit_run **ret, char **ret_error)
{
	struct probe_options po = { 0 };
	struct kit_run *run;
	struct kit_ctx ctx = { 0 };
	const struct kit_check *t;
	const char *parent;
	char *tmpl, host[256], now[32];
	size_t n, selected = 0, i_sel = 0;
	double t0 = kit_now();
	int r;

	if ((r = validate_selection(&o->only, "--only", ret_error)) < 0 ||
	    (r = validate_selection(&o->skip, "--skip", ret_error)) < 0)
		return r;
	run = cv_xcalloc(1, sizeof(*run));
	run->options = *o;
	r = probe_run(&po, &run->descriptor);
	if (r < 0) {
		*ret_error = cv_xasprintf("cannot probe this machine: %s", strerror(-r));
		free(run);
		return r;
	}
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	run->host = cv_xstrdup(host);
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	run->started_at = cv_xstrdup(now);

	parent = o->dir ? o->dir : getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	tmpl = cv_xasprintf("%s/covalid-kit.XXXXXX", parent);
	if (!mkdtemp(tmpl)) {
		r = -errno;
		*ret_error = cv_xasprintf("%s: cannot make the kit's directory: %s", parent, strerror(errno));
		free(tmpl);
		kit_run_free(run);
		return r;
	}
	ctx.opt = o;
	ctx.d = run->descriptor;
	ctx.tmpdir = tmpl;
	ctx.root = geteuid() == 0;
	online_cpus(&ctx.cpus, &ctx.n_cpus);

	t = kit_table(&n);
	for (size_t i = 0; i < n; i++)
		if ((!t[i].info.hidden || kit_selftest()) && (!o->only.n || any_selects(&o->only, t[i].info.id)) &&
		    !any_selects(&o->skip, t[i].info.id))
			selected++;
	run->results = cv_xcalloc(selected ? selected : 1, sizeof(*run->results));
	for (size_t i = 0; i < n; i++) {
		struct kit_result *res;

		if (!((!t[i].info.hidden || kit_selftest()) && (!o->only.n || any_selects(&o->only, t[i].info.id)) &&
		      !any_selects(&o->skip, t[i].info.id)))
			continue;
		if (o->progress)
			o->progress(o->userdata, &t[i].info, NULL, i_sel, selected);
		res = &run->results[run->n_results++];
		run_one(&t[i], &ctx, res);
		run->counts[res->status]++;
		if (o->progress)
			o->progress(o->userdata, &t[i].info, res, i_sel, selected);
		i_sel++;
	}

	nftw(tmpl, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmpl);
	free(ctx.cpus);
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	run->finished_at = cv_xstrdup(now);
	run->duration_s = kit_round(kit_now() - t0);
	*ret = run;
	return 0;
}

struct kit_run *kit_run_free(struct kit_run *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_results; i++) {
		free(r->results[i].id);
		free(r->results[i].reason);
		json_decref(r->results[i].measured);
		json_decref(r->results[i].threshold);
	}
	free(r->results);
	descriptor_free(r->descriptor);
	free(r->host);
	free(r->started_at);
	free(r->finished_at);
	free(r);
	return NULL;
}
