/*
 * report.c - an agent's report (docs/monitor.md, "Reports"): read strictly
 * (every member known, typed and bounded, the first wrong one named), its
 * descriptor checked against the catalog before any write, then applied
 * to the machine in one read-modify-write transaction.
 *
 * Parsing and the check are the expensive part and need no database, so
 * they happen on the request's thread; the write (monitor_report_apply)
 * is SQL only and can be batched by the server's group commit.
 */
#include <jansson.h>
#include <time.h>

#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"
#include "util/json-pull.h"

#define REPORT_SCHEMA "covalid.report/1"
#define PATH_MAX_BYTES 4096
#define COMPONENT_MAX_BYTES 64
/* A report from further ahead than this is a broken clock, not a report. */
#define FUTURE_SLACK_S 86400

struct monitor_report {
	json_t *doc;
	const char *machine, *digest; /* in doc */
	int64_t seq, interval;        /* interval 0: not sent */
	int64_t observed_at;
	int64_t dropped;              /* reports the agent's full spool dropped since its last report */
	const json_t *health;         /* in doc, or NULL */
	char *descriptor;             /* canonical JSON of the descriptor sent, or NULL */
	struct descriptor *d;         /* the descriptor sent, until checked */
	int vcpus;                    /* of the descriptor sent, -1 */
	bool checked;                 /* verdict holds the descriptor's check */
	struct monitor_verdict verdict;
};

static int bad(struct program_error *err, const char *fmt, ...) CV_PRINTF(2, 3);
static int bad(struct program_error *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	program_error_set(err, 400, strstr(msg, "unknown field") ? "unknown_field" : "invalid_field", "%s", msg);
	return -EINVAL;
}

static bool is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

/* Free text a machine quotes (a log line, a path): at most max bytes and
 * no NUL; tabs and escapes are the machine's own and stay (JSON carries
 * them, readers escape them), so a kernel line never costs a report. */
static bool quote_ok(const json_t *v, size_t max)
{
	const char *p = json_string_value(v);
	size_t n = json_string_length(v);

	return p && n <= max && strlen(p) == n;
}

static bool number_in(const json_t *v, double lo, double hi)
{
	return json_is_number(v) && json_number_value(v) >= lo && json_number_value(v) <= hi;
}

/* An object with only these members; 400 naming the first other one, made printable. */
static bool keys_ok(const json_t *o, const char *const *keys, size_t n, const char *where, struct program_error *err)
{
	if (!json_is_object(o)) {
		bad(err, "%s: an object", where);
		return false;
	}
	return program_check_keys(o, keys, n, where, err);
}

static int strings(const json_t *a, size_t max_items, size_t max_bytes, bool quotes, const char *where,
		   struct program_error *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) > max_items)
		return bad(err, "%s: an array of at most %zu strings", where, max_items);
	json_array_foreach(a, i, v)
		if (quotes ? !quote_ok(v, max_bytes) : !monitor_text_ok(v, max_bytes))
			return bad(err, "%s[%zu]: %s %zu bytes", where, i, quotes ? "a string (no NUL) of at most" :
				   "1 printable character to", max_bytes);
	return 0;
}

static int check_disks(const json_t *disks, struct program_error *err)
{
	static const char *const keys[] = { "path", "used_pct", "free_mib" };
	char where[48];
	size_t i;
	json_t *d;

	if (!json_is_array(disks) || json_array_size(disks) > MONITOR_DISKS_MAX)
		return bad(err, "health.disks: an array of at most %d disks", MONITOR_DISKS_MAX);
	json_array_foreach(disks, i, d) {
		snprintf(where, sizeof(where), "health.disks[%zu]", i);
		if (!keys_ok(d, keys, CV_ELEMENTSOF(keys), where, err))
			return -EINVAL;
		if (!quote_ok(json_object_get(d, "path"), PATH_MAX_BYTES))
			return bad(err, "%s.path: a string (no NUL) of at most %d bytes", where, PATH_MAX_BYTES);
		if (!number_in(json_object_get(d, "used_pct"), 0, 100))
			return bad(err, "%s.used_pct: a number from 0 to 100", where);
		if (json_object_get(d, "free_mib") && !(json_is_integer(json_object_get(d, "free_mib")) &&
							json_integer_value(json_object_get(d, "free_mib")) >= 0))
			return bad(err, "%s.free_mib: a whole number of MiB, 0 or more", where);
	}
	return 0;
}

static int check_errors(const json_t *e, struct program_error *err)
{
	static const char *const keys[] = { "count", "recent", "available", "why" };
	json_t *v;

	if (!keys_ok(e, keys, CV_ELEMENTSOF(keys), "health.errors", err))
		return -EINVAL;
	if ((v = json_object_get(e, "available"))) {
		/* Not readable on this machine: say why, count nothing. */
		if (!json_is_false(v))
			return bad(err, "health.errors.available: false (or absent, when counted)");
		if (json_object_get(e, "count") || json_object_get(e, "recent"))
			return bad(err, "health.errors: count and recent go with a readable log, not with available: false");
		if (json_object_get(e, "why") && !quote_ok(json_object_get(e, "why"), MONITOR_ERROR_LINE_MAX))
			return bad(err, "health.errors.why: a string (no NUL) of at most %d bytes", MONITOR_ERROR_LINE_MAX);
		return 0;
	}
	if (json_object_get(e, "why"))
		return bad(err, "health.errors.why: only with available: false");
	v = json_object_get(e, "count");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(err, "health.errors.count: a whole number, 0 or more");
	if ((v = json_object_get(e, "recent")))
		return strings(v, MONITOR_ERRORS_RECENT_MAX, MONITOR_ERROR_LINE_MAX, true, "health.errors.recent", err);
	return 0;
}

static int check_health(const json_t *h, struct program_error *err)
{
	static const char *const keys[] = { "cpu_pct", "mem_pct", "mem_total_mib", "load", "vcpus", "disks",
					    "clock_offset_ms", "components", "errors" };
	static const char *const comp_keys[] = { "expected", "present", "missing" };
	json_t *v;
	size_t i;

	if (!keys_ok(h, keys, CV_ELEMENTSOF(keys), "health", err))
		return -EINVAL;
	if ((v = json_object_get(h, "cpu_pct")) && !number_in(v, 0, 100))
		return bad(err, "health.cpu_pct: a number from 0 to 100");
	if ((v = json_object_get(h, "mem_pct")) && !number_in(v, 0, 100))
		return bad(err, "health.mem_pct: a number from 0 to 100");
	if ((v = json_object_get(h, "mem_total_mib")) && !(json_is_integer(v) && json_integer_value(v) >= 0))
		return bad(err, "health.mem_total_mib: a whole number of MiB, 0 or more");
	if ((v = json_object_get(h, "vcpus")) && !(json_is_integer(v) && json_integer_value(v) >= 1 &&
						   json_integer_value(v) <= 65536))
		return bad(err, "health.vcpus: a whole number from 1 to 65536");
	if ((v = json_object_get(h, "load"))) {
		json_t *x;

		if (!json_is_array(v) || json_array_size(v) > 3)
			return bad(err, "health.load: the 1, 5 and 15 minute loads, an array of at most 3 numbers");
		json_array_foreach(v, i, x)
			if (!number_in(x, 0, 1e9))
				return bad(err, "health.load[%zu]: a number, 0 or more", i);
	}
	if ((v = json_object_get(h, "disks")) && check_disks(v, err) < 0)
		return -EINVAL;
	/* null: the agent could not tell (its first report, a failed exchange). */
	if ((v = json_object_get(h, "clock_offset_ms")) && !json_is_null(v) &&
	    !(json_is_integer(v) && json_integer_value(v) >= -86400000000LL && json_integer_value(v) <= 86400000000LL))
		return bad(err, "health.clock_offset_ms: whole milliseconds (within a thousand days) or null");
	if ((v = json_object_get(h, "components"))) {
		if (!keys_ok(v, comp_keys, CV_ELEMENTSOF(comp_keys), "health.components", err))
			return -EINVAL;
		for (i = 0; i < CV_ELEMENTSOF(comp_keys); i++) {
			char where[40];
			json_t *a = json_object_get(v, comp_keys[i]);

			snprintf(where, sizeof(where), "health.components.%s", comp_keys[i]);
			if (a && strings(a, MONITOR_COMPONENTS_MAX, COMPONENT_MAX_BYTES, false, where, err) < 0)
				return -EINVAL;
		}
	}
	if ((v = json_object_get(h, "errors")) && check_errors(v, err) < 0)
		return -EINVAL;
	return 0;
}

/* The descriptor member: strictly read, canonical text kept, checked against ix. */
static int take_descriptor(struct monitor_report *rep, const json_t *dj, const struct check_index *ix,
			   struct program_error *err)
{
	struct descriptor *d = NULL;
	char *why = NULL;

	if (!json_is_object(dj))
		return bad(err, "descriptor: an object (covalid probe --json)");
	if (descriptor_check_fields(dj, &why) < 0 || descriptor_from_jansson(dj, &d, &why) < 0) {
		program_error_set(err, 400, why && strstr(why, "unknown field") ? "unknown_field" : "invalid_descriptor",
				  "descriptor%s%s", why && why[0] == '.' ? "" : ": ", why ? why : "not a descriptor");
		free(why);
		return -EINVAL;
	}
	rep->descriptor = descriptor_to_json(d, false);
	rep->vcpus = d->vm.vcpus;
	rep->d = d;
	return ix ? monitor_report_check(rep, ix, err) : 0;
}

/*
 * The same for a descriptor given as its text (an object's exact bytes in
 * the body): read into the struct without a tree (descriptor_parse(), as
 * strict as the tree's readers), and stored as received.  A text it
 * refuses goes the tree's way, for the tree's exact message.
 */
static int take_descriptor_text(struct monitor_report *rep, const char *text, size_t len, const struct check_index *ix,
				struct program_error *err)
{
	struct descriptor *d = NULL;
	json_t *dj;
	int r;

	if (descriptor_parse(text, len, DESCRIPTOR_PARSE_STRICT, &d, NULL) < 0) {
		dj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
		r = dj ? take_descriptor(rep, dj, NULL, err) : bad(err, "descriptor: an object (covalid probe --json)");
		json_decref(dj);
		if (r < 0)
			return r;
		/* Accepted by the tree (a list past DESCRIPTOR_MAX_ITEMS): its
		 * canonical text, as take_descriptor keeps it. */
		return ix ? monitor_report_check(rep, ix, err) : 0;
	}
	rep->descriptor = cv_xstrndup(text, len);
	rep->vcpus = d->vm.vcpus;
	rep->d = d;
	return ix ? monitor_report_check(rep, ix, err) : 0;
}

/*
 * Where the body's top-level "descriptor" member is, when it is an object:
 * its text [*start, *end).  False when there is none, or the body is not
 * one valid JSON object (json_loadb() then says why, in its words).
 */
static bool descriptor_span(const char *body, size_t len, size_t *start, size_t *end)
{
	struct json_pull p;
	bool found = false, ok = false;
	int tok;

	json_pull_init(&p, body, len);
	if (json_pull_next(&p) != JSON_PULL_OBJECT)
		goto out;
	for (;;) {
		bool is_descriptor;

		tok = json_pull_next(&p);
		if (tok == JSON_PULL_OBJECT_END)
			break;
		if (tok != JSON_PULL_KEY)
			goto out;
		is_descriptor = p.len == strlen("descriptor") && memcmp(p.str, "descriptor", p.len) == 0;
		tok = json_pull_next(&p);
		if (tok == JSON_PULL_ERROR)
			goto out;
		if (is_descriptor && tok == JSON_PULL_OBJECT) {
			*start = json_pull_offset(&p) - 1;
			found = true;
		}
		if (json_pull_skip(&p, tok) < 0)
			goto out;
		if (is_descriptor && found)
			*end = json_pull_offset(&p);
	}
	ok = json_pull_next(&p) == JSON_PULL_END;
out:
	json_pull_release(&p);
	return ok && found;
}

int monitor_report_check(struct monitor_report *rep, const struct check_index *ix, struct program_error *err)
{
	int r;

	if (!rep->d || rep->checked)
		return 0;
	r = monitor_verdict_compute(ix, rep->d, &rep->verdict);
	if (r < 0) {
		program_error_set(err, 500, "internal", "the descriptor could not be checked");
		return r;
	}
	rep->checked = true;
	rep->d = descriptor_free(rep->d);
	return 0;
}

int monitor_report_parse(const char *body, size_t len, size_t max_bytes, const struct check_index *ix,
			 struct monitor_report **ret, struct program_error *err)
{
	static const char *const keys[] = { "schema", "machine", "seq", "observed_at", "interval", "descriptor_digest",
					    "descriptor", "health", "dropped" };
	struct monitor_report *rep = cv_xcalloc(1, sizeof(*rep));
	json_error_t je;
	json_t *v;
	size_t dstart = 0, dend = 0;
	bool dtext = false;
	int r = -EINVAL;

	rep->vcpus = -1;
	if (max_bytes && len > max_bytes) {
		program_error_set(err, 413, "body_too_large", "a report is at most %zu bytes", max_bytes);
		r = -EFBIG;
		goto fail;
	}
	/* The descriptor (most of a changed-descriptor report) is read from
	 * its text, not through a tree: the rest of the body is loaded with
	 * an empty object in its place, and checked as before. */
	if (descriptor_span(body, len, &dstart, &dend)) {
		char *rest = cv_xmalloc(len - (dend - dstart) + 3);

		memcpy(rest, body, dstart);
		memcpy(rest + dstart, "{}", 2);
		memcpy(rest + dstart + 2, body + dend, len - dend);
		rep->doc = json_loadb(rest, len - (dend - dstart) + 2, JSON_REJECT_DUPLICATES, &je);
		free(rest);
		dtext = true;
	} else
		rep->doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!rep->doc) {
		program_error_set(err, 400, "malformed_json", "the body is not valid JSON: %s", je.text);
		goto fail;
	}
	if (!json_is_object(rep->doc)) {
		program_error_set(err, 400, "malformed_json", "the body must be a JSON object");
		goto fail;
	}
	if (!program_check_keys(rep->doc, keys, CV_ELEMENTSOF(keys), NULL, err))
		goto fail;
	if (!cv_streq(json_string_value(json_object_get(rep->doc, "schema")), REPORT_SCHEMA)) {
		bad(err, "schema: \"" REPORT_SCHEMA "\"");
		goto fail;
	}
	rep->machine = json_string_value(json_object_get(rep->doc, "machine"));
	if (!rep->machine || !cv_startswith(rep->machine, "m-") || !is_hex(rep->machine + 2, 16)) {
		bad(err, "machine: the machine's id (m- and 16 hex digits)");
		goto fail;
	}
	v = json_object_get(rep->doc, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		bad(err, "seq: the report's number, a whole number from 1");
		goto fail;
	}
	rep->seq = json_integer_value(v);
	v = json_object_get(rep->doc, "observed_at");
	if (!json_is_string(v) || cv_time_parse(json_string_value(v), &rep->observed_at) < 0) {
		bad(err, "observed_at: when it was measured, YYYY-MM-DDTHH:MM:SSZ");
		goto fail;
	}
	if ((v = json_object_get(rep->doc, "interval"))) {
		if (!json_is_integer(v) || json_integer_value(v) < MONITOR_INTERVAL_MIN ||
		    json_integer_value(v) > MONITOR_INTERVAL_MAX) {
			bad(err, "interval: seconds, %d to %d", MONITOR_INTERVAL_MIN, MONITOR_INTERVAL_MAX);
			goto fail;
		}
		rep->interval = json_integer_value(v);
	}
	if ((v = json_object_get(rep->doc, "dropped"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			bad(err, "dropped: the reports the agent's full spool dropped, a whole number, 0 or more");
			goto fail;
		}
		rep->dropped = json_integer_value(v);
	}
	rep->digest = json_string_value(json_object_get(rep->doc, "descriptor_digest"));
	if (!is_hex(rep->digest, 64)) {
		bad(err, "descriptor_digest: 64 lower-case hex digits (BLAKE2b-256 of the canonical descriptor)");
		goto fail;
	}
	if ((v = json_object_get(rep->doc, "health"))) {
		if (check_health(v, err) < 0)
			goto fail;
		rep->health = v;
	}
	if ((v = json_object_get(rep->doc, "descriptor")) &&
	    (dtext ? take_descriptor_text(rep, body + dstart, dend - dstart, ix, err) : take_descriptor(rep, v, ix, err)) < 0)
		goto fail;
	*ret = rep;
	return 0;
fail:
	monitor_report_free(rep);
	return r;
}

struct monitor_report *monitor_report_free(struct monitor_report *rep)
{
	if (!rep)
		return NULL;
	json_decref(rep->doc);
	free(rep->descriptor);
	descriptor_free(rep->d);
	monitor_verdict_release(&rep->verdict);
	free(rep);
	return NULL;
}

bool monitor_report_has_descriptor(const struct monitor_report *rep)
{
	return rep->descriptor != NULL;
}

/* Health flags that appeared (machine.health) or went (machine.health-cleared). */
static int health_events(struct store *s, const struct store_machine_row *m, const struct cv_strv *before,
			 const struct cv_strv *after, json_t *details, int64_t at)
{
	int r = 0;

	for (size_t i = 0; i < after->n && r == 0; i++) {
		json_t *d = json_object_get(details, after->v[i]);
		char *summary;

		if (cv_strv_contains(before, after->v[i]))
			continue;
		summary = cv_xasprintf("%s: %s %g over the threshold %g", monitor_machine_name(m),
				       json_string_value(json_object_get(d, "metric")),
				       json_number_value(json_object_get(d, "value")),
				       json_number_value(json_object_get(d, "threshold")));
		if (cv_streq(after->v[i], "components"))
			summary = (free(summary), cv_xasprintf("%s: integration components missing", monitor_machine_name(m)));
		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.health", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = at },
				       NULL);
		free(summary);
	}
	for (size_t i = 0; i < before->n && r == 0; i++) {
		json_t *d;
		char *summary;

		if (cv_streq(before->v[i], "late") || cv_strv_contains(after, before->v[i]))
			continue;
		d = json_pack("{s:s}", "metric", before->v[i]);
		summary = cv_xasprintf("%s: %s back within its threshold", monitor_machine_name(m), before->v[i]);
		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.health-cleared", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = at },
				       NULL);
		free(summary);
		json_decref(d);
	}
	return r;
}

/* Whether a report's health measured what a flag is about. */
static bool health_measures(const json_t *h, const char *flag)
{
	static const struct {
		const char *flag, *member;
	} members[] = {
		{ "cpu", "cpu_pct" },	{ "mem", "mem_pct" },		 { "disk", "disks" },		{ "load", "load" },
		{ "clock", "clock_offset_ms" }, { "errors", "errors" }, { "components", "components" },
	};
	json_t *v;

	for (size_t i = 0; i < CV_ELEMENTSOF(members); i++) {
		if (strcmp(members[i].flag, flag) != 0)
			continue;
		v = json_object_get(h, members[i].member);
		if (!v || json_is_null(v))
			return false;
		/* An event log that could not be read says nothing of errors. */
		if (strcmp(flag, "errors") == 0)
			return json_object_get(v, "count") != NULL;
		return true;
	}
	return false;
}

/* The server's clock in milliseconds, for the agent's clock offset. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The write: in the caller's transaction.  *ret_need, *ret_applied. */
static int apply(struct store *s, struct store_machine_row *m, const struct monitor_report *rep, int64_t now,
		 bool *ret_applied, bool *ret_need, char **ret_verdict, struct program_error *err)
{
	struct monitor_thresholds t;
	struct cv_strv before = { 0 }, after = { 0 }, hold = { 0 };
	json_t *details = json_object();
	char when[32], *flags = NULL, *health = NULL;
	bool was_late;
	int r;

	*ret_applied = false;
	*ret_need = false;
	/* A seq at or below the stored one was applied already (a spooled
	 * report sent twice): acknowledged, not counted again. */
	if (rep->seq <= m->seq) {
		*ret_need = !rep->descriptor && !cv_streq(rep->digest, m->descriptor_digest);
		*ret_verdict = m->verdict ? cv_xstrdup(m->verdict) : NULL;
		r = 0;
		goto out;
	}
	r = monitor_thresholds_load(s, m->customer_id, &t);
	if (r < 0) {
		monitor_store_error(s, r, "reading the thresholds", err);
		goto out;
	}
	monitor_iso(now, when);
	monitor_flags_parse(m->flags, &before);
	was_late = cv_strv_contains(&before, "late");
	if (rep->descriptor) {
		r = store_machine_set_descriptor(s, m->id, rep->descriptor);
		if (r < 0) {
			monitor_store_error(s, r, "recording the descriptor", err);
			goto out;
		}
		m->descriptor_digest = rep->digest;
		m->vcpus = rep->vcpus > 0 ? rep->vcpus : 0;
		if (rep->checked) {
			r = monitor_verdict_move(s, m, &rep->verdict, rep->digest, rep->observed_at, &hold, NULL);
			if (r < 0) {
				monitor_store_error(s, r, "recording the verdict", err);
				goto out;
			}
		}
	} else if (!cv_streq(rep->digest, m->descriptor_digest))
		/* A digest the server has no descriptor for: the heartbeat
		 * counts, the verdict stays until the descriptor comes. */
		*ret_need = true;
	monitor_health_flags(rep->health, &t, (int)m->vcpus, &after, details);
	/* A flag is cleared only by a report that measured it again: one
	 * without health, or without that member, keeps it, untold. */
	for (size_t i = 0; i < before.n; i++)
		if (!cv_streq(before.v[i], "late") && !cv_strv_contains(&after, before.v[i]) &&
		    !health_measures(rep->health, before.v[i]))
			cv_strv_push(&after, before.v[i]);
	r = health_events(s, m, &before, &after, details, rep->observed_at);
	if (r == 0 && was_late) {
		json_t *d = json_pack("{s:s?, s:I}", "last_seen", m->last_seen, "silent_s",
				      (json_int_t)(now - m->last_seen_s));
		char *summary = cv_xasprintf("%s reported again after %lld s without a report", monitor_machine_name(m),
					     (long long)(now - m->last_seen_s));

		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.resumed", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = now },
				       NULL);
		free(summary);
		json_decref(d);
	}
	if (r == 0 && rep->dropped > 0) {
		/* Reports lost before they reached the server: their health
		 * and verdicts are gone, and the customer should know. */
		json_t *d = json_pack("{s:I}", "dropped", (json_int_t)rep->dropped);
		char *summary = cv_xasprintf("%s: its agent dropped %lld report%s its full spool could not keep",
					     monitor_machine_name(m), (long long)rep->dropped, rep->dropped == 1 ? "" : "s");

		r = program_event_emit(s,
				       &(struct program_event){ .kind = "machine.reports-dropped", .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = monitor_machine_name(m),
								.summary = summary, .details = d, .at = rep->observed_at },
				       NULL);
		free(summary);
		json_decref(d);
	}
	if (r < 0) {
		monitor_store_error(s, r, "recording the events", err);
		goto out;
	}
	flags = monitor_flags_join(&after);
	health = rep->health ? json_dumps(rep->health, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	m->flags = flags;
	m->health = health; /* NULL: a heartbeat without health keeps the last */
	m->last_seen = when;
	m->last_seen_s = now;
	m->seq = rep->seq;
	m->reports++;
	if (rep->interval)
		m->interval_s = rep->interval;
	r = store_machine_update(s, m);
	if (r < 0) {
		monitor_store_error(s, r, "recording the report", err);
		goto out;
	}
	*ret_applied = true;
	/* m's strings may live in hold: copy what the caller reads. */
	*ret_verdict = m->verdict ? cv_xstrdup(m->verdict) : NULL;
out:
	cv_strv_release(&before);
	cv_strv_release(&after);
	cv_strv_release(&hold);
	json_decref(details);
	free(flags);
	free(health);
	return r;
}

int monitor_report_apply(struct store *s, const struct monitor_agent *agent, const struct monitor_report *rep,
			 int64_t now, json_t **ret, struct program_error *err)
{
	struct store_machine_row *m = NULL;
	bool applied = false, need = false;
	char *verdict = NULL;
	int64_t interval = 0, last_seq = 0;
	int r;

	if (strcmp(rep->machine, agent->machine_id) != 0) {
		program_error_set(err, 403, "wrong_machine", "machine: this credential is %s's, not %s's", agent->machine_id,
				  rep->machine);
		return -EPERM;
	}
	if (rep->observed_at > now + FUTURE_SLACK_S) {
		program_error_set(err, 422, "invalid_field", "observed_at: more than a day ahead of the server's clock");
		return -EINVAL;
	}
	r = program_txn_begin(s, err);
	if (r < 0)
		return r;
	r = store_machine_get_state(s, agent->machine_id, &m);
	if (r == -ENOENT)
		program_error_set(err, 401, "unauthorized", "the machine is no longer enrolled");
	else if (r < 0)
		monitor_store_error(s, r, "reading the machine", err);
	else if (!monitor_agent_still_valid(agent, m->credential_hash)) {
		/* Replaced by a later enrollment since the credential was
		 * first seen (monitor_agent_authenticate remembers it). */
		program_error_set(err, 401, "unauthorized", "unknown or replaced agent credential (enroll again)");
		r = -EACCES;
	} else
		r = apply(s, m, rep, now, &applied, &need, &verdict, err);
	if (r == 0) {
		interval = m->interval_s;
		/* The machine's last applied report: an agent whose own count
		 * went back (its state restored from a snapshot, a checkpoint
		 * reverted) learns from a duplicate's answer where to go on. */
		last_seq = applied ? rep->seq : m->seq;
	}
	r = program_txn_end(s, r, err);
	if (r == 0)
		*ret = json_pack("{s:s, s:I, s:b, s:I, s:b, s:s?, s:I, s:I}", "machine", agent->machine_id, "seq",
				 (json_int_t)rep->seq, "applied", applied, "last_seq", (json_int_t)last_seq,
				 "need_descriptor", need, "verdict", verdict, "server_time_ms", (json_int_t)now_ms(),
				 "interval", (json_int_t)interval);
	free(verdict);
	store_machine_free(m);
	return r;
}
