/*
 * report-reference.h - the tree reader of agent reports that report-read.c
 * replaced (src/monitor/report.c and settings.c before the pull reader:
 * json_loadb(JSON_REJECT_DUPLICATES), program_check_keys() and the member
 * checks in a fixed order, the health dumped with json_dumps() and its
 * flags walked on the tree), kept as the reference the new reader is held
 * to: fuzz/fuzz-report.c compares the two on every input, and
 * bench/report-parse.c times one against the other.  Not built into the
 * program; the descriptor's catalog check (ix) is left out.
 */
#ifndef COVALID_REPORT_REFERENCE_H
#define COVALID_REPORT_REFERENCE_H

#include <jansson.h>

#include "covalid/descriptor.h"
#include "covalid/monitor.h"
#include "covalid/program.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"
#include "util/json-pull.h"

#define REPORT_SCHEMA "covalid.report/1"
#define PATH_MAX_BYTES 4096
#define COMPONENT_MAX_BYTES 64

static struct ref_report *ref_report_free(struct ref_report *rep);

struct ref_report {
	json_t *doc;
	const char *machine, *digest; /* in doc */
	int64_t seq, interval;        /* interval 0: not sent */
	int64_t observed_at;
	int64_t dropped;              /* reports the agent's full spool dropped since its last report */
	const json_t *health;         /* in doc, or NULL */
	char *descriptor;             /* canonical JSON of the descriptor sent, or NULL */
	struct descriptor *d;         /* the descriptor sent, until checked */
	int vcpus;                    /* of the descriptor sent, -1 */
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
static int take_descriptor(struct ref_report *rep, const json_t *dj, const struct check_index *ix,
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
	(void)ix;
	return 0;
}

/*
 * The same for a descriptor given as its text (an object's exact bytes in
 * the body): read into the struct without a tree (descriptor_parse(), as
 * strict as the tree's readers), and stored as received.  A text it
 * refuses goes the tree's way, for the tree's exact message.
 */
static int take_descriptor_text(struct ref_report *rep, const char *text, size_t len, const struct check_index *ix,
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
		(void)ix;
	return 0;
	}
	rep->descriptor = cv_xstrndup(text, len);
	rep->vcpus = d->vm.vcpus;
	rep->d = d;
	(void)ix;
	return 0;
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

static int ref_report_parse(const char *body, size_t len, size_t max_bytes, const struct check_index *ix,
			 struct ref_report **ret, struct program_error *err)
{
	static const char *const keys[] = { "schema", "machine", "seq", "observed_at", "interval", "descriptor_digest",
					    "descriptor", "health", "dropped" };
	struct ref_report *rep = cv_xcalloc(1, sizeof(*rep));
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
	ref_report_free(rep);
	return r;
}

/* Whether a report's health measured what a flag is about. */
static __attribute__((unused)) bool ref_health_measures(const json_t *h, const char *flag)
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

static void flag(struct cv_strv *flags, json_t *details, const char *name, const char *metric, double value,
		 double threshold)
{
	if (cv_strv_contains(flags, name))
		return;
	cv_strv_push(flags, name);
	json_object_set_new(details, name, json_pack("{s:s, s:f, s:f}", "metric", metric, "value", value, "threshold",
						     threshold));
}

/*
 * Percentages and load are flagged strictly above their threshold (90 %
 * used is at the line, not over it); errors from their count (1: any);
 * the clock by its offset either way; components whenever one expected
 * is missing.  A member a report does not carry flags nothing.
 */
static void ref_health_flags(const json_t *health, const struct monitor_thresholds *t, int vcpus, struct cv_strv *flags,
			  json_t *details)
{
	json_t *h = (json_t *)health, *v, *disks, *load, *errors, *components;
	size_t i;

	if (!json_is_object(h))
		return;
	if (json_is_number(v = json_object_get(h, "cpu_pct")) && json_number_value(v) > t->cpu_pct)
		flag(flags, details, "cpu", "cpu_pct", json_number_value(v), t->cpu_pct);
	if (json_is_number(v = json_object_get(h, "mem_pct")) && json_number_value(v) > t->mem_pct)
		flag(flags, details, "mem", "mem_pct", json_number_value(v), t->mem_pct);
	disks = json_object_get(h, "disks");
	json_array_foreach(disks, i, v) {
		json_t *u = json_object_get(v, "used_pct");

		if (json_is_number(u) && json_number_value(u) > t->disk_pct) {
			flag(flags, details, "disk", "disk_pct", json_number_value(u), t->disk_pct);
			json_object_set(json_object_get(details, "disk"), "path", json_object_get(v, "path"));
		}
	}
	load = json_object_get(h, "load");
	if (vcpus <= 0)
		vcpus = (int)json_integer_value(json_object_get(h, "vcpus"));
	if (vcpus <= 0)
		vcpus = 1;
	if (json_is_number(v = json_array_get(load, 0)) && json_number_value(v) / vcpus > t->load_per_vcpu)
		flag(flags, details, "load", "load_per_vcpu", json_number_value(v) / vcpus, t->load_per_vcpu);
	if (json_is_integer(v = json_object_get(h, "clock_offset_ms")) &&
	    (json_integer_value(v) < 0 ? -json_integer_value(v) : json_integer_value(v)) > t->clock_offset_ms)
		flag(flags, details, "clock", "clock_offset_ms", (double)json_integer_value(v), (double)t->clock_offset_ms);
	errors = json_object_get(h, "errors");
	if (t->errors > 0 && json_is_integer(v = json_object_get(errors, "count")) && json_integer_value(v) >= t->errors)
		flag(flags, details, "errors", "errors", (double)json_integer_value(v), (double)t->errors);
	components = json_object_get(h, "components");
	if (json_array_size(json_object_get(components, "missing")) > 0) {
		flag(flags, details, "components", "components_missing",
		     (double)json_array_size(json_object_get(components, "missing")), 0);
		json_object_set(json_object_get(details, "components"), "missing", json_object_get(components, "missing"));
	}
}


static struct ref_report *ref_report_free(struct ref_report *rep)
{
	if (!rep)
		return NULL;
	json_decref(rep->doc);
	free(rep->descriptor);
	descriptor_free(rep->d);
	free(rep);
	return NULL;
}

#endif
