/*
 * run.c - enrolling, and the report cycle: probe, measure, spool, send.
 *
 * Order of durability: the next seq is saved (run.json) before the report
 * is spooled, and the report is spooled before it is sent, so that a
 * crash at any point loses no report and never sends two with one seq (a
 * gap in seqs is harmless; a repeated seq is ignored by the server as a
 * duplicate).
 *
 * The descriptor goes in a report only when its digest differs from the
 * last one put in a report (sent or spooled: the spool is sent in order,
 * so the server sees it before the heartbeats after it), or when the
 * server said need_descriptor.  The digest is BLAKE2b-256 of
 * descriptor_to_json(d, false) without "probed_at" and "root", which say
 * when and from where, not what the machine is.
 */
#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>

#include "agent/agent-internal.h"
#include "covalid/covalid.h"
#include "covalid/descriptor.h"
#include "covalid/probe.h"
#include "util/cv.h"

#define TOKEN_MAX 4096
#define BACKOFF_FIRST_MS 2000
#define BACKOFF_CAP_MS (300 * 1000)

static volatile sig_atomic_t stop_requested;

void agent_stop(void)
{
	stop_requested = 1;
}

bool agent_stopping(void)
{
	return stop_requested != 0;
}

static char *now_iso(void)
{
	char buf[32];

	cv_time_iso8601(agent_sys_wall_ms() / 1000, buf, sizeof(buf));
	return cv_xstrdup(buf);
}

static int read_token(const char *path, char **ret, char **ret_why)
{
	char *text = NULL;
	size_t len;
	int r = cv_read_file(path, TOKEN_MAX, &text, &len);

	if (r < 0)
		return agent_fail(ret_why, r, "token file %s: %s", path, r == -E2BIG ? "larger than 4 KiB" : strerror(-r));
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len == 0 || strlen(text) != len || strpbrk(text, " \t\r\n") || !cv_str_is_clean_utf8(text, len)) {
		free(text);
		return agent_fail(ret_why, -EINVAL, "token file %s: empty, or not one token on one line", path);
	}
	*ret = text;
	return 0;
}

void agent_enrollment_release(struct agent_enrollment *e)
{
	e->machine = cv_free(e->machine);
	e->customer = cv_free(e->customer);
}

/* A state directory that does not exist yet is made private. */
static int prepare_dir(const char *dir, char **ret_why)
{
	int r = cv_mkdir_p(dir, 0700);

	if (r < 0)
		return agent_fail(ret_why, r, "state directory %s: cannot create: %s", dir, strerror(-r));
	return agent_state_check_dir(dir, ret_why);
}

/* Removes what belonged to another machine id: its spool and its seqs. */
static void forget_runs(const char *dir)
{
	struct agent_spool s;
	struct agent_spool_entry *v = NULL;
	size_t n = 0;
	char *run = cv_xasprintf("%s/run.json", dir);

	agent_spool_init(&s, dir, 0, 0);
	if (agent_spool_list(&s, &v, &n) == 0)
		for (size_t i = 0; i < n; i++)
			(void)remove(v[i].path);
	agent_spool_entries_free(v, n);
	agent_spool_release(&s);
	(void)remove(run);
	free(run);
}

/*
 * A machine enrolled again from a new state directory (the agent
 * reinstalled) would start its seqs at 1, which the server takes for
 * duplicates of reports it has: if the enrollment answer says the last
 * seq the server applied ("seq", optional), the next report follows it.
 */
static int continue_seq(const char *dir, const json_t *seq, char **ret_why)
{
	struct agent_runstate st = { 0 };
	int r;

	if (!json_is_integer(seq) || json_integer_value(seq) <= 0)
		return 0;
	r = agent_runstate_load(dir, &st, ret_why);
	if (r == 0 && st.seq < (uint64_t)json_integer_value(seq)) {
		st.seq = (uint64_t)json_integer_value(seq);
		r = agent_runstate_save(dir, &st, ret_why);
	}
	agent_runstate_release(&st);
	return r;
}

int agent_enroll(const struct agent_enroll_options *opt, struct agent_enrollment *ret, char **ret_why)
{
	struct agent_url url = { 0 };
	struct agent_http_answer a = { 0 };
	struct agent_config c = { 0 }, old = { 0 };
	char *token = NULL, *name = NULL, *body = NULL, key[65];
	json_t *req = NULL, *ans = NULL;
	const char *machine, *cred, *customer;
	json_t *iv;
	int r;

	r = agent_url_parse(opt->server, &url, ret_why);
	if (r < 0)
		goto out;
	r = read_token(opt->token_file, &token, ret_why);
	if (r < 0)
		goto out;
	if (opt->interval && (opt->interval < AGENT_INTERVAL_MIN || opt->interval > AGENT_INTERVAL_MAX)) {
		r = agent_fail(ret_why, -EINVAL, "--interval %d: not from %d to %d seconds", opt->interval,
			       AGENT_INTERVAL_MIN, AGENT_INTERVAL_MAX);
		goto out;
	}
	name = opt->name ? cv_xstrdup(opt->name) : agent_sys_hostname();
	if (!*name || strlen(name) > AGENT_NAME_MAX || !cv_str_is_clean_utf8(name, strlen(name))) {
		r = agent_fail(ret_why, -EINVAL, "--name: not 1 to %d printable characters", AGENT_NAME_MAX);
		goto out;
	}
	r = prepare_dir(opt->state_dir, ret_why);
	if (r < 0)
		goto out;
	r = agent_machine_key(NULL, key, ret_why);
	if (r < 0)
		goto out;
	req = json_pack("{s:s, s:s, s:{s:s, s:s}}", "machine_key", key, "name", name, "agent", "version", COVALID_VERSION,
			"os", agent_sys_os());
	if (opt->interval)
		json_object_set_new(req, "interval", json_integer(opt->interval));
	if (opt->customer)
		json_object_set_new(req, "customer", json_string(opt->customer));
	body = json_dumps(req, JSON_COMPACT);
	r = agent_http_post(&url, "/api/v1/agent/enroll", token, body, strlen(body), AGENT_HTTP_TIMEOUT_MS, &a, ret_why);
	if (r < 0)
		goto out;
	if (a.status != 200 && a.status != 201) {
		char *e = agent_http_error_text(&a);

		r = agent_fail(ret_why, a.status == 401 || a.status == 403 ? -EACCES : -EPROTO,
			       "%s: enrollment refused: %s", url.text, e);
		free(e);
		goto out;
	}
	ans = json_loadb(a.body, a.len, 0, NULL);
	machine = json_string_value(json_object_get(ans, "machine"));
	cred = json_string_value(json_object_get(ans, "credential"));
	customer = json_string_value(json_object_get(ans, "customer"));
	iv = json_object_get(ans, "interval");
	if (!machine || !cred || !customer || !json_is_integer(iv)) {
		r = agent_fail(ret_why, -EPROTO, "%s: the enrollment answer lacks machine, credential, customer or interval",
			       url.text);
		goto out;
	}
	c.server = cv_xstrdup(url.text);
	c.machine = cv_xstrdup(machine);
	c.credential = cv_xstrdup(cred);
	c.customer = cv_xstrdup(customer);
	c.name = name;
	name = NULL;
	c.machine_key = cv_xstrdup(key);
	c.interval = (int)json_integer_value(iv);
	if (c.interval < AGENT_INTERVAL_MIN || c.interval > AGENT_INTERVAL_MAX)
		c.interval = AGENT_INTERVAL_DEFAULT;
	/* Another machine id (another server, or the machine forgotten there):
	 * the spool and the seqs were the old one's. */
	/* An agent.json that is there but cannot be read (its mode changed,
	 * say, which is why someone enrolls again) keeps the spool: its
	 * reports are this machine's as likely as not, and the server refuses
	 * any that are not. */
	r = agent_config_load(opt->state_dir, &old, NULL);
	if ((r == 0 && (!cv_streq(old.machine, c.machine) || !cv_streq(old.server, c.server))) || r == -ENOENT)
		forget_runs(opt->state_dir);
	r = agent_config_save(opt->state_dir, &c, ret_why);
	if (r < 0)
		goto out;
	r = continue_seq(opt->state_dir, json_object_get(ans, "seq"), ret_why);
	if (r < 0)
		goto out;
	if (ret) {
		ret->machine = cv_xstrdup(c.machine);
		ret->customer = cv_xstrdup(c.customer);
		ret->interval = c.interval;
		ret->created = a.status == 201;
	}
	r = 0;
out:
	agent_config_release(&c);
	agent_config_release(&old);
	agent_url_release(&url);
	agent_http_answer_release(&a);
	json_decref(req);
	json_decref(ans);
	free(token);
	free(name);
	free(body);
	return r;
}

struct agent {
	const struct agent_run_options *opt;
	struct agent_config cfg;
	struct agent_runstate st;
	struct agent_url url;
	struct agent_spool spool;
	int interval; /* in use: --interval, else the server's */
};

static void say(struct agent *a, const char *fmt, ...) CV_PRINTF(2, 3);
static void say(struct agent *a, const char *fmt, ...)
{
	struct cv_buf b;
	va_list ap;

	if (!a->opt->on_result)
		return;
	cv_buf_init(&b, 1024);
	va_start(ap, fmt);
	if (cv_buf_vprintf(&b, fmt, ap) == 0)
		a->opt->on_result(a->opt->userdata, b.data);
	va_end(ap);
	cv_buf_release(&b);
}

static void set_last(struct agent *a, const char *fmt, ...) CV_PRINTF(2, 3);
static void set_last(struct agent *a, const char *fmt, ...)
{
	struct cv_buf b;
	va_list ap;

	cv_buf_init(&b, 1024);
	va_start(ap, fmt);
	if (cv_buf_vprintf(&b, fmt, ap) < 0)
		cv_buf_reset(&b);
	va_end(ap);
	free(a->st.last_result);
	a->st.last_result = cv_buf_detach(&b, NULL);
	cv_buf_release(&b);
	free(a->st.last_at);
	a->st.last_at = now_iso();
}

/* Takes what the server said of an acknowledged report. */
static void take_answer(struct agent *a, const struct agent_spool_entry *e, const struct agent_http_answer *ans,
			int64_t sent_ms, int64_t recv_ms)
{
	json_t *o = json_loadb(ans->body, ans->len, 0, NULL), *v;
	const char *verdict = json_string_value(json_object_get(o, "verdict"));

	if (json_is_true(json_object_get(o, "need_descriptor"))) {
		a->st.need_descriptor = true;
		a->st.sent_digest = cv_free(a->st.sent_digest);
	}
	/* Clock offset: the server's time against the midpoint of the
	 * exchange (NTP's and Cristian's estimate; the error is at most
	 * half the round trip). */
	v = json_object_get(o, "server_time_ms");
	if (json_is_integer(v)) {
		a->st.have_clock = true;
		a->st.clock_offset_ms = json_integer_value(v) - (sent_ms + recv_ms) / 2;
	}
	/* A duplicate of a report the server applied long ago: this agent's
	 * count went back (run.json restored with a snapshot, a checkpoint
	 * reverted).  Number on from the server's last, and send the
	 * descriptor again, or every report until the count caught up
	 * would be acknowledged and never applied. */
	v = json_object_get(o, "last_seq");
	if (json_is_false(json_object_get(o, "applied")) && json_is_integer(v) && json_integer_value(v) > 0 &&
	    (uint64_t)json_integer_value(v) > a->st.seq) {
		a->st.seq = (uint64_t)json_integer_value(v);
		a->st.need_descriptor = true;
	}
	v = json_object_get(o, "interval");
	if (!a->opt->interval && json_is_integer(v) && json_integer_value(v) >= AGENT_INTERVAL_MIN &&
	    json_integer_value(v) <= AGENT_INTERVAL_MAX)
		a->interval = (int)json_integer_value(v);
	free(a->st.last_verdict);
	a->st.last_verdict = verdict ? cv_str_sanitize(verdict, strlen(verdict), 64) : NULL;
	a->st.last_acked_seq = e->seq;
	free(a->st.last_acked_at);
	a->st.last_acked_at = now_iso();
	set_last(a, "report %llu delivered%s", (unsigned long long)e->seq,
		 json_is_false(json_object_get(o, "applied")) ? " (a duplicate: already applied)" : "");
	say(a, "report %llu delivered (%s)%s%s%s%s", (unsigned long long)e->seq,
	    e->heartbeat ? "heartbeat" : "descriptor",
	    json_is_false(json_object_get(o, "applied")) ? ", a duplicate: already applied" : "",
	    verdict ? ": verdict " : "", verdict ? a->st.last_verdict : "",
	    a->st.need_descriptor ? "; the server asks for the descriptor" : "");
	json_decref(o);
}

/* How many rejected reports DIR/rejected/ keeps (the newest): a cause
 * that lasts (a clock a day ahead) rejects every report, and the folder
 * must not fill the disk. */
#define REJECTED_KEEP 16

/* Leaves the newest REJECTED_KEEP files of dir: their names begin with
 * the time they were rejected, so the oldest sort first. */
static void prune_rejected(const char *dir)
{
	struct cv_strv names = { 0 };
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			cv_strv_push(&names, de->d_name);
	closedir(d);
	cv_strv_sort(&names);
	for (size_t i = 0; i + REJECTED_KEEP < names.n; i++) {
		char *p = cv_xasprintf("%s/%s", dir, names.v[i]);

		(void)remove(p);
		free(p);
	}
	cv_strv_release(&names);
}

/* A report the server will never take (400, 413, 415, 422) is moved to
 * DIR/rejected/ (the newest REJECTED_KEEP kept), named by when. */
static void reject(struct agent *a, const struct agent_spool_entry *e, const char *why)
{
	char *dir = cv_xasprintf("%s/rejected", a->opt->state_dir), *to;
	const char *base = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;

	to = cv_xasprintf("%s/%016lld-%s", dir, (long long)agent_sys_wall_ms(), base);
	if (cv_mkdir_p(dir, 0700) < 0 || rename(e->path, to) < 0)
		(void)remove(e->path);
	prune_rejected(dir);
	set_last(a, "report %llu rejected: %s", (unsigned long long)e->seq, why);
	say(a, "report %llu rejected by the server, kept in %s: %s", (unsigned long long)e->seq, to, why);
	free(dir);
	free(to);
}

/*
 * Sends the spool, oldest first, stopping at the first that is not
 * acknowledged.  0 all sent, -EAGAIN the server is unreachable or
 * answered 5xx (retry later), -EACCES the credential is refused.
 */
static int flush(struct agent *a, char **ret_why)
{
	struct agent_spool_entry *v = NULL;
	size_t n = 0;
	char *rejected = NULL;
	int r;

	r = agent_spool_list(&a->spool, &v, &n);
	if (r < 0) {
		r = agent_fail(ret_why, r, "%s: cannot list: %s", a->spool.dir, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n && !agent_stopping(); i++) {
		struct agent_http_answer ans = { 0 };
		char *body = NULL, *why = NULL;
		size_t len;
		int64_t t0, t1;

		r = cv_read_file(v[i].path, a->spool.max_bytes, &body, &len);
		if (r < 0) {
			r = agent_fail(ret_why, r, "%s: %s", v[i].path, strerror(-r));
			goto out;
		}
		t0 = agent_sys_wall_ms();
		r = agent_http_post(&a->url, "/api/v1/agent/report", a->cfg.credential, body, len, AGENT_HTTP_TIMEOUT_MS,
				    &ans, &why);
		t1 = agent_sys_wall_ms();
		free(body);
		if (r < 0) {
			set_last(a, "report %llu not delivered: %s", (unsigned long long)v[i].seq, why);
			say(a, "report %llu spooled: %s", (unsigned long long)v[i].seq, why);
			r = agent_fail(ret_why, -EAGAIN, "%s", why);
			free(why);
			goto out;
		}
		free(why);
		why = NULL;
		if (ans.status == 200) {
			take_answer(a, &v[i], &ans, t0, t1);
			if (remove(v[i].path) < 0 && errno != ENOENT) {
				r = agent_fail(ret_why, -errno, "%s: cannot remove: %s", v[i].path, strerror(errno));
				agent_http_answer_release(&ans);
				goto out;
			}
		} else {
			char *e = agent_http_error_text(&ans);
			int st = ans.status;

			agent_http_answer_release(&ans);
			if (st == 401 || st == 403) {
				set_last(a, "credential refused: %s", e);
				r = agent_fail(ret_why, -EACCES, "%s: the machine's credential was refused (%s): enroll again",
					       a->url.text, e);
				free(e);
				goto out;
			}
			if (st == 400 || st == 413 || st == 415 || st == 422) {
				/* The rest of the spool still goes; the run says so at the end. */
				reject(a, &v[i], e);
				free(rejected);
				rejected = cv_xasprintf("%s: report %llu rejected: %s", a->url.text, (unsigned long long)v[i].seq, e);
				free(e);
				continue;
			}
			set_last(a, "report %llu not delivered: %s", (unsigned long long)v[i].seq, e);
			say(a, "report %llu spooled: %s: %s", (unsigned long long)v[i].seq, a->url.text, e);
			r = agent_fail(ret_why, -EAGAIN, "%s: %s", a->url.text, e);
			free(e);
			goto out;
		}
		agent_http_answer_release(&ans);
	}
	r = agent_stopping() && n > 0 ? -EINTR : 0;
	if (r == 0 && rejected)
		r = agent_fail(ret_why, -EPROTO, "%s (kept in %s/rejected)", rejected, a->opt->state_dir);
out:
	free(rejected);
	agent_spool_entries_free(v, n);
	if (agent_runstate_save(a->opt->state_dir, &a->st, r == 0 ? ret_why : NULL) < 0 && r == 0)
		r = -EIO;
	return r;
}

/* Probes, measures, and spools one report. */
static int make_report(struct agent *a, char **ret_why)
{
	struct probe_options po = { .root = a->opt->root };
	struct descriptor *d = NULL;
	struct agent_health_ctx hc = { .root = a->opt->root, .state = &a->st };
	char *djson = NULL, *body = NULL, digest[65], at[32];
	json_t *rep = NULL;
	bool with_descriptor;
	uint64_t seq;
	int r;

	r = probe_run(&po, &d);
	if (r < 0) {
		r = agent_fail(ret_why, r, "--root %s: cannot probe: %s", a->opt->root ? a->opt->root : "/", strerror(-r));
		goto out;
	}
	d->probed_at = cv_free(d->probed_at);
	d->probe_root = cv_free(d->probe_root);
	djson = descriptor_to_json(d, false);
	agent_blake2b_hex(djson, strlen(djson), digest);
	with_descriptor = a->st.need_descriptor || !cv_streq(a->st.sent_digest, digest);
	hc.d = d;
	cv_time_iso8601(agent_sys_wall_ms() / 1000, at, sizeof(at));
	seq = ++a->st.seq;
	rep = json_pack("{s:s, s:s, s:I, s:s, s:i, s:s}", "schema", "covalid.report/1", "machine", a->cfg.machine, "seq",
			(json_int_t)seq, "observed_at", at, "interval", a->interval, "descriptor_digest", digest);
	if (with_descriptor)
		json_object_set_new(rep, "descriptor", json_loads(djson, 0, NULL));
	json_object_set_new(rep, "health", agent_health(&hc));
	/* Reports the full spool dropped go with this one ("dropped"): the
	 * count moves into it, and comes back if the spool drops it too
	 * (agent_spool_add), so the server is told each drop once. */
	if (a->st.dropped > 0)
		json_object_set_new(rep, "dropped", json_integer((json_int_t)a->st.dropped));
	body = json_dumps(rep, JSON_COMPACT);
	a->st.dropped = 0;
	if (with_descriptor) {
		free(a->st.sent_digest);
		a->st.sent_digest = cv_xstrdup(digest);
		a->st.need_descriptor = false;
	}
	/* The seq is on disk before a report carries it. */
	r = agent_runstate_save(a->opt->state_dir, &a->st, ret_why);
	if (r < 0)
		goto out;
	r = agent_spool_add(&a->spool, seq, !with_descriptor, body, strlen(body), &a->st.dropped);
	if (r < 0) {
		r = agent_fail(ret_why, r, "%s: cannot spool report %llu: %s", a->spool.dir, (unsigned long long)seq,
			       strerror(-r));
		goto out;
	}
	r = agent_runstate_save(a->opt->state_dir, &a->st, ret_why);
out:
	json_decref(rep);
	free(body);
	free(djson);
	descriptor_free(d);
	return r;
}

static void agent_release(struct agent *a)
{
	agent_config_release(&a->cfg);
	agent_runstate_release(&a->st);
	agent_url_release(&a->url);
	agent_spool_release(&a->spool);
}

static int64_t jittered_ms(int interval_s)
{
	/* +-10 %: agents started together do not stay in step. */
	int64_t ms = (int64_t)interval_s * 1000, span = ms / 5;

	return ms - ms / 10 + (span > 0 ? (int64_t)randombytes_uniform((uint32_t)span + 1) : 0);
}

int agent_run(const struct agent_run_options *opt, char **ret_why)
{
	struct agent a = { .opt = opt };
	int64_t next_report = 0, backoff = 0;
	int r;

	if (opt->interval && (opt->interval < AGENT_INTERVAL_MIN || opt->interval > AGENT_INTERVAL_MAX))
		return agent_fail(ret_why, -EINVAL, "--interval %d: not from %d to %d seconds", opt->interval,
				  AGENT_INTERVAL_MIN, AGENT_INTERVAL_MAX);
	if (sodium_init() < 0)
		return agent_fail(ret_why, -EIO, "libsodium: cannot initialize");
	r = agent_config_load(opt->state_dir, &a.cfg, ret_why);
	if (r < 0)
		goto out;
	r = agent_runstate_load(opt->state_dir, &a.st, ret_why);
	if (r < 0)
		goto out;
	r = agent_url_parse(a.cfg.server, &a.url, ret_why);
	if (r < 0)
		goto out;
	agent_spool_init(&a.spool, opt->state_dir, opt->spool_max_count, opt->spool_max_bytes);
	a.interval = opt->interval ? opt->interval : a.cfg.interval;
	if (opt->once) {
		/* The spool first, so that what the server says of it (need the
		 * descriptor) shapes the new report; if the server is down,
		 * the new report is spooled without a second try. */
		int first = flush(&a, ret_why), made;

		/* A report the server rejected (moved aside) does not stop the new one. */
		if (first < 0 && first != -EAGAIN && first != -EPROTO) {
			r = first;
			goto out;
		}
		made = make_report(&a, ret_why);
		if (made < 0) {
			r = made;
			goto out;
		}
		r = first == -EAGAIN ? first : flush(&a, ret_why);
		if (r == 0)
			r = first;
		goto out;
	}
	while (!agent_stopping()) {
		int64_t now = (int64_t)(cv_now_ns() / 1000000u), wait;

		if (now >= next_report) {
			r = make_report(&a, ret_why);
			if (r < 0)
				goto out;
			next_report = now + jittered_ms(a.interval);
		}
		r = flush(&a, ret_why);
		/* A rejected report was moved aside and said; the loop goes on. */
		if (r == -EACCES || (r < 0 && r != -EAGAIN && r != -EINTR && r != -EPROTO))
			goto out;
		now = (int64_t)(cv_now_ns() / 1000000u);
		wait = next_report - now;
		if (r == -EAGAIN) {
			/* The server is down: retry sooner than the next report,
			 * doubling the wait up to the cap (or the interval). */
			backoff = backoff ? backoff * 2 : BACKOFF_FIRST_MS;
			if (backoff > BACKOFF_CAP_MS)
				backoff = BACKOFF_CAP_MS;
			if (backoff < wait)
				wait = backoff;
		} else {
			backoff = 0;
		}
		if (ret_why)
			*ret_why = cv_free(*ret_why);
		agent_sys_sleep_ms(wait);
	}
	r = 0;
out:
	agent_release(&a);
	return r;
}

int agent_status(const char *state_dir, json_t **ret, char **ret_why)
{
	struct agent_config c = { 0 };
	struct agent_runstate st = { 0 };
	struct agent_spool s;
	struct agent_spool_entry *v = NULL;
	size_t n = 0, bytes = 0, heartbeats = 0;
	json_t *o;
	int r;

	r = agent_config_load(state_dir, &c, ret_why);
	if (r < 0)
		return r;
	r = agent_runstate_load(state_dir, &st, ret_why);
	if (r < 0)
		goto out;
	agent_spool_init(&s, state_dir, 0, 0);
	r = agent_spool_list(&s, &v, &n);
	agent_spool_release(&s);
	if (r < 0) {
		r = agent_fail(ret_why, r, "%s/spool: %s", state_dir, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		bytes += v[i].bytes;
		heartbeats += v[i].heartbeat;
	}
#define S(x) ((x) ? json_string(x) : json_null())
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "server", c.server, "machine", c.machine, "customer", c.customer,
		      "name", c.name, "machine_key", c.machine_key, "interval", c.interval);
	json_object_set_new(o, "seq", json_integer((json_int_t)st.seq));
	json_object_set_new(o, "spool", json_pack("{s:I, s:I, s:I, s:o, s:o}", "reports", (json_int_t)n, "bytes",
						  (json_int_t)bytes, "heartbeats", (json_int_t)heartbeats, "oldest_seq",
						  n ? json_integer((json_int_t)v[0].seq) : json_null(), "newest_seq",
						  n ? json_integer((json_int_t)v[n - 1].seq) : json_null()));
	json_object_set_new(o, "dropped_unreported", json_integer((json_int_t)st.dropped));
	json_object_set_new(o, "last", json_pack("{s:o, s:o}", "at", S(st.last_at), "result", S(st.last_result)));
	json_object_set_new(o, "last_acknowledged",
			    json_pack("{s:o, s:o, s:o}", "seq", st.last_acked_seq ? json_integer((json_int_t)st.last_acked_seq) : json_null(),
				      "at", S(st.last_acked_at), "verdict", S(st.last_verdict)));
	json_object_set_new(o, "clock_offset_ms", st.have_clock ? json_integer(st.clock_offset_ms) : json_null());
#undef S
	*ret = o;
	r = 0;
out:
	agent_spool_entries_free(v, n);
	agent_config_release(&c);
	agent_runstate_release(&st);
	return r;
}
