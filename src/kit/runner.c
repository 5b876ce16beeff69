/*
 * runner.c - runs the kit's checks, each in a child process with a time
 * limit, inside a private temporary directory (see covalid/kit.h).  The
 * part every system shares: which checks run, the child's result as one
 * JSON object and its reading, the run itself.
 *
 * Isolation: a check runs in a child process that reports its result as
 * one JSON object (kit_child_result).  How the child is made and waited
 * for is the system's own (kit_os_run_child): fork() and poll() on Linux
 * (runner-unix.c), the executable started again with the hidden command
 * `kit __child` on Windows (win/runner.c, kit_child_main below).  A child
 * that crashes, exits without a result, or overruns is recorded as
 * "error" with the reason, and the run goes on.
 */
#include <time.h>

#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "kit/kit-internal.h"
#include "util/cv.h"

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

char *kit_child_result(const struct kit_check *c, const struct kit_ctx *ctx)
{
	struct kit_out out = { KIT_ERROR, "", json_object(), json_object() };
	json_t *res, *reason;
	char *s;

	snprintf(out.reason, sizeof(out.reason), "the check set no result");
	c->fn(ctx, &out);
	/* A reason that quotes a name of the system (a Windows path in its
	 * ANSI code page) may not be UTF-8: kept with '?' for what is not,
	 * rather than losing the whole result. */
	reason = json_string(out.reason);
	if (!reason) {
		char *clean = cv_str_sanitize(out.reason, strlen(out.reason), sizeof(out.reason));

		reason = json_string(clean);
		free(clean);
	}
	res = json_pack("{s:s, s:o, s:o, s:o}", "status", kit_status_name(out.status), "reason", reason, "measured",
			out.measured, "threshold", out.threshold);
	s = res ? json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(res);
	return s;
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
	double t0 = kit_now();
	struct cv_buf buf;
	char why[512] = "";
	int rr;

	memset(r, 0, sizeof(*r));
	r->id = cv_xstrdup(c->info.id);
	r->measured = json_object();
	r->threshold = json_object();
	cv_buf_init(&buf, KIT_RESULT_MAX);
	rr = kit_os_run_child(c, ctx, limit, &buf, why, sizeof(why));
	r->duration_s = kit_round(kit_now() - t0);
	if (rr < 0)
		error_result(r, "%s", why);
	else if (buf.len == 0)
		error_result(r, "exited without a result");
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
	char *tmpl = NULL, host[256], now[32];
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
	kit_os_host(host, sizeof(host));
	run->host = cv_xstrdup(host);
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	run->started_at = cv_xstrdup(now);

	r = kit_os_mkdtemp(o->dir, &tmpl, ret_error);
	if (r < 0) {
		kit_run_free(run);
		return r;
	}
	ctx.opt = o;
	ctx.d = run->descriptor;
	ctx.tmpdir = tmpl;
	ctx.root = kit_os_privileged();
	kit_os_online_cpus(&ctx.cpus, &ctx.n_cpus);

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

	kit_os_rmtree(tmpl);
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

/* ---- the child's side, where the system starts it as a command ---- */

/* "NAME VALUE" options of `kit __child`; 0 or -EINVAL. */
static int child_option(struct kit_options *o, const char *name, const char *value)
{
	uint64_t n;

	if (strcmp(name, "--peer") == 0)
		o->peer = value;
	else if (strcmp(name, "--dir") == 0)
		o->dir = value;
	else if (strcmp(name, "--expect-vcpus") == 0 && cv_parse_u64(value, 10, &n) == 0 && n <= 65536)
		o->expect_vcpus = (int)n;
	else if (strcmp(name, "--expect-memory") == 0 && cv_parse_u64(value, 10, &n) == 0)
		o->expect_memory_mib = n;
	else
		return -EINVAL;
	return 0;
}

void kit_child_args(const struct kit_check *c, const struct kit_ctx *ctx, struct cv_strv *ret)
{
	const struct kit_options *o = ctx->opt;
	char num[32];

	cv_strv_push(ret, "kit");
	cv_strv_push(ret, "__child");
	cv_strv_push(ret, c->info.id);
	cv_strv_push(ret, ctx->tmpdir);
	if (o->quick)
		cv_strv_push(ret, "--quick");
	if (o->peer) {
		cv_strv_push(ret, "--peer");
		cv_strv_push(ret, o->peer);
	}
	if (o->dir) {
		cv_strv_push(ret, "--dir");
		cv_strv_push(ret, o->dir);
	}
	if (o->expect_vcpus) {
		snprintf(num, sizeof(num), "%d", o->expect_vcpus);
		cv_strv_push(ret, "--expect-vcpus");
		cv_strv_push(ret, num);
	}
	if (o->expect_memory_mib) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)o->expect_memory_mib);
		cv_strv_push(ret, "--expect-memory");
		cv_strv_push(ret, num);
	}
}

int kit_child_main(int argc, char **argv)
{
	struct kit_options o = { 0 };
	struct kit_ctx ctx = { 0 };
	struct descriptor *d = NULL;
	const struct kit_check *t;
	char *path = NULL, *text = NULL, *err = NULL, *res = NULL;
	size_t n, len;
	int i, r, ret = 2;

	/* kit __child ID TMPDIR [--quick] [--peer P] [--dir D] [--expect-vcpus N] [--expect-memory MIB] */
	if (argc < 3) {
		fprintf(stderr, "covalid kit __child: usage: kit __child ID TMPDIR [OPTIONS] (the kit's runner only)\n");
		return 2;
	}
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			o.quick = true;
		else if (i + 1 < argc && child_option(&o, argv[i], argv[i + 1]) == 0)
			i++;
		else {
			fprintf(stderr, "covalid kit __child: bad option '%s'\n", argv[i]);
			return 2;
		}
	}
	kit_os_child_setup();
	t = kit_table(&n);
	for (size_t k = 0; k < n; k++)
		if (strcmp(t[k].info.id, argv[1]) == 0)
			ctx.opt = &o;
	if (!ctx.opt) {
		fprintf(stderr, "covalid kit __child: no check '%s'\n", argv[1]);
		return 2;
	}
	/* The descriptor the parent probed: every check judges against the same one. */
	path = cv_xasprintf("%s/%s", argv[2], KIT_CHILD_DESCRIPTOR);
	r = cv_read_file(path, DESCRIPTOR_MAX_BYTES, &text, &len);
	if (r < 0) {
		fprintf(stderr, "covalid kit __child: %s: %s\n", path, strerror(-r));
		goto out;
	}
	if (descriptor_from_json(text, len, &d, &err) < 0) {
		fprintf(stderr, "covalid kit __child: %s: %s\n", path, err ? err : "not a descriptor");
		goto out;
	}
	ctx.d = d;
	ctx.tmpdir = argv[2];
	ctx.root = kit_os_privileged();
	kit_os_online_cpus(&ctx.cpus, &ctx.n_cpus);
	for (size_t k = 0; k < n && !res; k++)
		if (strcmp(t[k].info.id, argv[1]) == 0)
			res = kit_child_result(&t[k], &ctx);
	if (!res) {
		fprintf(stderr, "covalid kit __child: %s: its result cannot be written\n", argv[1]);
		goto out;
	}
	fputs(res, stdout);
	ret = fflush(stdout) == 0 ? 0 : 3;
out:
	free(res);
	free(ctx.cpus);
	descriptor_free(d);
	free(err);
	free(text);
	free(path);
	return ret;
}
