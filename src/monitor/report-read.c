/*
 * report-read.c - an agent's report body read straight into plain C
 * (struct monitor_report_body, struct monitor_health) with the strict pull
 * tokenizer (util/json-pull.h), without a jansson tree: every report
 * passes here, and the tree's allocations were a large part of ingest.
 *
 * What it accepts, and the message of what it refuses, are those of the
 * tree reader it replaces (json_loadb(JSON_REJECT_DUPLICATES), then
 * program_check_keys() and the member checks of report.c, in a fixed
 * order).  That reader parsed everything first (a syntax error anywhere
 * wins), then checked the members in its order, not the text's.  So this
 * one, like descriptor-stream.c, does not stop at a member's fault: it
 * records it with its rank in the old order, reads on (a later syntax
 * error still wins) and keeps the lowest-ranked.  A rank is (member,
 * health member, item, sub-member, sub-item) packed in 64 bits.
 * tests/unit/test-monitor.c and fuzz/fuzz-report.c hold the two readers
 * side by side.
 *
 * The health's text, as json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER)
 * of its tree gave it, is written while its tokens are read
 * (monitor_json_emit(), json-compact.c).
 */
#include "covalid/monitor.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"
#include "util/json-pull.h"

#define REPORT_SCHEMA "covalid.report/1"
#define PATH_MAX_BYTES 4096
#define COMPONENT_MAX_BYTES 64

/* The old reader's order: top-level members, then health's. */
enum { T_SHAPE, T_KEYS, T_SCHEMA, T_MACHINE, T_SEQ, T_OBSERVED, T_INTERVAL, T_DROPPED, T_DIGEST, T_HEALTH };
enum { H_SHAPE, H_CPU, H_MEM, H_MEM_TOTAL, H_VCPUS, H_LOAD, H_DISKS, H_CLOCK, H_COMPONENTS, H_ERRORS };
enum { D_SHAPE, D_PATH, D_USED, D_FREE };

#define RANK(t, h, i, s, j) \
	(((uint64_t)(t) << 56) | ((uint64_t)(h) << 48) | ((uint64_t)(i) << 32) | ((uint64_t)(s) << 24) | (uint64_t)(j))

/* The lowest-ranked fault so far (rank UINT64_MAX: none). */
struct fault {
	uint64_t rank;
	bool unknown;
	char msg[512];
};

struct reader {
	struct json_pull p;
	struct monitor_health *h;
	struct fault f;
	/* Emitting the health's compact text: while out is set. */
	struct monitor_text *out;
	bool comma;
	struct monitor_text pool;
};

static void fault_in(struct fault *f, uint64_t rank, bool unknown, const char *fmt, va_list ap) CV_PRINTF(4, 0);
static void fault_in(struct fault *f, uint64_t rank, bool unknown, const char *fmt, va_list ap)
{
	if (rank >= f->rank)
		return;
	f->rank = rank;
	f->unknown = unknown;
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
}

static void fault(struct reader *r, uint64_t rank, bool unknown, const char *fmt, ...) CV_PRINTF(4, 5);
static void fault(struct reader *r, uint64_t rank, bool unknown, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fault_in(&r->f, rank, unknown, fmt, ap);
	va_end(ap);
}

static void fault_to(struct fault *f, uint64_t rank, const char *fmt, ...) CV_PRINTF(3, 4);
static void fault_to(struct fault *f, uint64_t rank, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fault_in(f, rank, false, fmt, ap);
	va_end(ap);
}

/* "where.key: unknown field", the key made printable (program_check_keys()). */
static void unknown_key(struct reader *r, uint64_t rank, const char *where)
{
	char *safe;

	if (rank >= r->f.rank)
		return;
	safe = cv_str_sanitize(r->p.str, r->p.len, 64);
	fault(r, rank, true, "%s%s%s: unknown field", where ? where : "", where ? "." : "", safe);
	free(safe);
}

/* ---- reading ---- */

/* The next token; inside the health, also written to its text. */
static int next(struct reader *r)
{
	int tok = json_pull_next(&r->p);

	if (r->out && tok > JSON_PULL_END)
		monitor_json_emit(r->out, &r->comma, &r->p, tok);
	return tok;
}

/* Consumes the rest of a value not kept (a container's contents). */
static bool skip(struct reader *r, int tok)
{
	return json_pull_skip(&r->p, tok) == 0;
}

static bool is_number(int tok)
{
	return tok == JSON_PULL_INTEGER || tok == JSON_PULL_REAL;
}

static double number(const struct reader *r, int tok)
{
	return tok == JSON_PULL_INTEGER ? (double)r->p.integer : r->p.real;
}

static bool number_in(const struct reader *r, int tok, double lo, double hi)
{
	return is_number(tok) && number(r, tok) >= lo && number(r, tok) <= hi;
}

static bool key_is(const struct reader *r, const char *k)
{
	return r->p.len == strlen(k) && memcmp(r->p.str, k, r->p.len) == 0;
}

/* Which of keys the current key is, or -1. */
static int key_index(const struct reader *r, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (key_is(r, keys[i]))
			return (int)i;
	return -1;
}

static bool is_hex(const char *s, size_t n, size_t want)
{
	if (n != want)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A client's string of 1..max bytes without control characters (monitor_text_ok()). */
static bool text_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Keeps the current string in the pool; its offset. */
static uint32_t keep(struct reader *r)
{
	uint32_t off = (uint32_t)r->pool.n;

	monitor_text_put(&r->pool, r->p.str, r->p.len);
	monitor_text_put(&r->pool, "", 1);
	return off;
}

/*
 * An array of strings (health.components.*, health.errors.recent): at
 * most max_items, each at most max_bytes (quotes: any text, a machine's
 * own; else 1 printable character or more).  Faults go to f, ranked
 * from base: the array's own at base, item i's at base + 1 + i.
 */
static void strings(struct reader *r, int tok, size_t max_items, size_t max_bytes, bool quotes, const char *where,
		    struct fault *f, uint64_t base, struct monitor_health_list *ret)
{
	size_t i = 0;

	ret->present = true;
	ret->off = (uint32_t)r->pool.n;
	if (tok != JSON_PULL_ARRAY) {
		fault_to(f, base, "%s: an array of at most %zu strings", where, max_items);
		skip(r, tok);
		return;
	}
	for (;; i++) {
		tok = next(r);
		if (tok == JSON_PULL_ARRAY_END || tok == JSON_PULL_ERROR)
			return;
		if (i >= max_items) {
			fault_to(f, base, "%s: an array of at most %zu strings", where, max_items);
			skip(r, tok);
			continue;
		}
		if (tok == JSON_PULL_STRING &&
		    (quotes ? r->p.len <= max_bytes : text_ok(r->p.str, r->p.len, max_bytes))) {
			keep(r);
			ret->n++;
			continue;
		}
		fault_to(f, base + 1 + i, "%s[%zu]: %s %zu bytes", where, i,
		      quotes ? "a string (no NUL) of at most" : "1 printable character to", max_bytes);
		skip(r, tok);
	}
}

static void disk(struct reader *r, int tok, size_t i)
{
	static const char *const keys[] = { "path", "used_pct", "free_mib" };
	struct monitor_health_disk *d = &r->h->disks[i];
	bool path = false, used = false;
	char where[48];

	snprintf(where, sizeof(where), "health.disks[%zu]", i);
	d->free_mib = -1;
	if (tok != JSON_PULL_OBJECT) {
		fault(r, RANK(T_HEALTH, H_DISKS, 1 + i, D_SHAPE, 0), false, "%s: an object", where);
		skip(r, tok);
		return;
	}
	while ((tok = next(r)) == JSON_PULL_KEY) {
		int k = key_index(r, keys, CV_ELEMENTSOF(keys));

		if (k < 0) {
			unknown_key(r, RANK(T_HEALTH, H_DISKS, 1 + i, D_SHAPE, 0), where);
			skip(r, tok);
			continue;
		}
		tok = next(r);
		if (k == 0 && tok == JSON_PULL_STRING && r->p.len <= PATH_MAX_BYTES) {
			d->path = keep(r);
			path = true;
		} else if (k == 1 && number_in(r, tok, 0, 100)) {
			d->used_pct = number(r, tok);
			used = true;
		} else if (k == 2 && tok == JSON_PULL_INTEGER && r->p.integer >= 0) {
			d->free_mib = r->p.integer;
		} else if (k == 2) {
			fault(r, RANK(T_HEALTH, H_DISKS, 1 + i, D_FREE, 0), false, "%s.free_mib: a whole number of MiB, 0 or more",
			      where);
			skip(r, tok);
		} else {
			/* path or used_pct wrong: said below, as when absent */
			skip(r, tok);
		}
	}
	if (tok != JSON_PULL_OBJECT_END)
		return;
	if (!path)
		fault(r, RANK(T_HEALTH, H_DISKS, 1 + i, D_PATH, 0), false, "%s.path: a string (no NUL) of at most %d bytes",
		      where, PATH_MAX_BYTES);
	if (!used)
		fault(r, RANK(T_HEALTH, H_DISKS, 1 + i, D_USED, 0), false, "%s.used_pct: a number from 0 to 100", where);
}

static void components(struct reader *r, int tok)
{
	static const char *const keys[] = { "expected", "present", "missing" };
	struct monitor_health_list *lists[] = { &r->h->expected, &r->h->present, &r->h->missing };

	if (tok != JSON_PULL_OBJECT) {
		fault(r, RANK(T_HEALTH, H_COMPONENTS, 0, 0, 0), false, "health.components: an object");
		skip(r, tok);
		return;
	}
	while ((tok = next(r)) == JSON_PULL_KEY) {
		int k = key_index(r, keys, CV_ELEMENTSOF(keys));
		char where[40];

		if (k < 0) {
			unknown_key(r, RANK(T_HEALTH, H_COMPONENTS, 0, 0, 0), "health.components");
			skip(r, tok);
			continue;
		}
		snprintf(where, sizeof(where), "health.components.%s", keys[k]);
		strings(r, next(r), MONITOR_COMPONENTS_MAX, COMPONENT_MAX_BYTES, false, where, &r->f,
			RANK(T_HEALTH, H_COMPONENTS, 1 + k, 0, 0), lists[k]);
	}
}

/* health.errors: {"count", "recent"} or {"available": false, "why"}. */
static void errors(struct reader *r, int tok)
{
	static const char *const keys[] = { "count", "recent", "available", "why" };
	const uint64_t own = RANK(T_HEALTH, H_ERRORS, 1, 0, 0);
	bool has_count = false, count_ok = false, has_available = false, available_false = false, has_why = false,
	     why_ok = false;
	/* The faults of "recent", told only if the old order came to check it. */
	struct fault recent = { .rank = UINT64_MAX };

	r->h->errors.why = -1;
	if (tok != JSON_PULL_OBJECT) {
		fault(r, RANK(T_HEALTH, H_ERRORS, 0, 0, 0), false, "health.errors: an object");
		skip(r, tok);
		return;
	}
	while ((tok = next(r)) == JSON_PULL_KEY) {
		int k = key_index(r, keys, CV_ELEMENTSOF(keys));

		if (k < 0) {
			unknown_key(r, RANK(T_HEALTH, H_ERRORS, 0, 0, 0), "health.errors");
			skip(r, tok);
			continue;
		}
		tok = next(r);
		if (k == 1) {
			strings(r, tok, MONITOR_ERRORS_RECENT_MAX, MONITOR_ERROR_LINE_MAX, true, "health.errors.recent", &recent,
				own + 1, &r->h->errors.recent);
			continue;
		}
		if (k == 0) {
			has_count = true;
			count_ok = tok == JSON_PULL_INTEGER && r->p.integer >= 0;
			r->h->errors.count = count_ok ? r->p.integer : 0;
		} else if (k == 2) {
			has_available = true;
			available_false = tok == JSON_PULL_FALSE;
		} else {
			has_why = true;
			why_ok = tok == JSON_PULL_STRING && r->p.len <= MONITOR_ERROR_LINE_MAX;
			if (why_ok)
				r->h->errors.why = keep(r);
		}
		skip(r, tok);
	}
	if (tok != JSON_PULL_OBJECT_END)
		return;
	r->h->errors.has_count = has_count && count_ok;
	r->h->errors.unavailable = has_available && available_false;
	if (has_available) {
		/* Not readable on this machine: say why, count nothing. */
		if (!available_false)
			fault(r, own, false, "health.errors.available: false (or absent, when counted)");
		else if (has_count || r->h->errors.recent.present)
			fault(r, own, false, "health.errors: count and recent go with a readable log, not with available: false");
		else if (has_why && !why_ok)
			fault(r, own, false, "health.errors.why: a string (no NUL) of at most %d bytes", MONITOR_ERROR_LINE_MAX);
		return;
	}
	if (has_why)
		fault(r, own, false, "health.errors.why: only with available: false");
	else if (!count_ok)
		fault(r, own, false, "health.errors.count: a whole number, 0 or more");
	else if (recent.rank != UINT64_MAX)
		fault(r, recent.rank, false, "%s", recent.msg);
}

/* The health object, its '{' just read (tok). */
static void health(struct reader *r, int tok)
{
	static const char *const keys[] = { "cpu_pct", "mem_pct", "mem_total_mib", "load", "vcpus", "disks",
					    "clock_offset_ms", "components", "errors" };
	struct monitor_health *h = r->h;

	if (tok != JSON_PULL_OBJECT) {
		fault(r, RANK(T_HEALTH, H_SHAPE, 0, 0, 0), false, "health: an object");
		skip(r, tok);
		return;
	}
	while ((tok = next(r)) == JSON_PULL_KEY) {
		int k = key_index(r, keys, CV_ELEMENTSOF(keys));
		size_t i;

		if (k < 0) {
			unknown_key(r, RANK(T_HEALTH, H_SHAPE, 0, 0, 0), "health");
			skip(r, tok);
			continue;
		}
		tok = next(r);
		switch (k) {
		case 0:
		case 1:
			if (!number_in(r, tok, 0, 100)) {
				fault(r, RANK(T_HEALTH, k == 0 ? H_CPU : H_MEM, 0, 0, 0), false, "health.%s: a number from 0 to 100",
				      keys[k]);
				break;
			}
			*(k == 0 ? &h->cpu_pct : &h->mem_pct) = number(r, tok);
			h->has |= k == 0 ? MONITOR_HEALTH_CPU : MONITOR_HEALTH_MEM;
			break;
		case 2:
			if (!(tok == JSON_PULL_INTEGER && r->p.integer >= 0)) {
				fault(r, RANK(T_HEALTH, H_MEM_TOTAL, 0, 0, 0), false,
				      "health.mem_total_mib: a whole number of MiB, 0 or more");
				break;
			}
			h->mem_total_mib = r->p.integer;
			h->has |= MONITOR_HEALTH_MEM_TOTAL;
			break;
		case 4:
			if (!(tok == JSON_PULL_INTEGER && r->p.integer >= 1 && r->p.integer <= 65536)) {
				fault(r, RANK(T_HEALTH, H_VCPUS, 0, 0, 0), false, "health.vcpus: a whole number from 1 to 65536");
				break;
			}
			h->vcpus = r->p.integer;
			h->has |= MONITOR_HEALTH_VCPUS;
			break;
		case 3:
			h->has |= MONITOR_HEALTH_LOAD;
			if (tok != JSON_PULL_ARRAY) {
				fault(r, RANK(T_HEALTH, H_LOAD, 0, 0, 0), false,
				      "health.load: the 1, 5 and 15 minute loads, an array of at most 3 numbers");
				break;
			}
			for (i = 0; (tok = next(r)) != JSON_PULL_ARRAY_END && tok != JSON_PULL_ERROR; i++) {
				if (i >= CV_ELEMENTSOF(h->load))
					fault(r, RANK(T_HEALTH, H_LOAD, 0, 0, 0), false,
					      "health.load: the 1, 5 and 15 minute loads, an array of at most 3 numbers");
				else if (!number_in(r, tok, 0, 1e9))
					fault(r, RANK(T_HEALTH, H_LOAD, 1 + i, 0, 0), false, "health.load[%zu]: a number, 0 or more", i);
				else
					h->load[h->nload++] = number(r, tok);
				skip(r, tok);
			}
			break;
		case 5:
			h->has |= MONITOR_HEALTH_DISKS;
			if (tok != JSON_PULL_ARRAY) {
				fault(r, RANK(T_HEALTH, H_DISKS, 0, 0, 0), false, "health.disks: an array of at most %d disks",
				      MONITOR_DISKS_MAX);
				break;
			}
			for (i = 0; (tok = next(r)) != JSON_PULL_ARRAY_END && tok != JSON_PULL_ERROR; i++) {
				if (i >= MONITOR_DISKS_MAX) {
					fault(r, RANK(T_HEALTH, H_DISKS, 0, 0, 0), false, "health.disks: an array of at most %d disks",
					      MONITOR_DISKS_MAX);
					skip(r, tok);
					continue;
				}
				disk(r, tok, i);
				h->ndisks = i + 1;
			}
			break;
		case 6:
			/* null: the agent could not tell (its first report, a failed exchange). */
			if (tok == JSON_PULL_NULL) {
				h->clock_null = true;
			} else if (tok == JSON_PULL_INTEGER && r->p.integer >= -86400000000LL && r->p.integer <= 86400000000LL) {
				h->clock_offset_ms = r->p.integer;
			} else {
				fault(r, RANK(T_HEALTH, H_CLOCK, 0, 0, 0), false,
				      "health.clock_offset_ms: whole milliseconds (within a thousand days) or null");
				break;
			}
			h->has |= MONITOR_HEALTH_CLOCK;
			break;
		case 7:
			h->has |= MONITOR_HEALTH_COMPONENTS;
			components(r, tok);
			tok = JSON_PULL_NULL; /* read */
			break;
		case 8:
			h->has |= MONITOR_HEALTH_ERRORS;
			errors(r, tok);
			tok = JSON_PULL_NULL;
			break;
		}
		/* A value not read above (a wrong one): its rest consumed. */
		skip(r, tok);
	}
}

static void reader_init(struct reader *r, const char *text, size_t len, struct monitor_health *h)
{
	memset(r, 0, sizeof(*r));
	json_pull_init(&r->p, text, len);
	r->f.rank = UINT64_MAX;
	r->h = h;
	memset(h, 0, sizeof(*h));
	h->errors.why = -1;
}

/* Ends a read: the pool (and the text, when keep) to h, the fault (or the JSON's) to err. */
static int reader_end(struct reader *r, int tok, struct monitor_text *out, bool keep, struct program_error *err)
{
	int ret = 0;

	if (tok == JSON_PULL_ERROR) {
		program_error_set(err, 400, "malformed_json", "the body is not valid JSON: %s", json_pull_error(&r->p, NULL));
		ret = -EINVAL;
	} else if (r->f.rank != UINT64_MAX) {
		program_error_set(err, 400, r->f.rank == RANK(T_SHAPE, 0, 0, 0, 0) ? "malformed_json"
					    : r->f.unknown                   ? "unknown_field"
									     : "invalid_field",
				  "%s", r->f.msg);
		ret = -EINVAL;
	}
	r->h->pool = r->pool.d;
	r->h->pool_len = r->pool.n;
	r->h->pool_alloc = r->pool.cap;
	if (ret == 0 && keep) {
		r->h->text = out->d;
		r->h->text_len = out->n;
	} else {
		free(out->d);
	}
	json_pull_release(&r->p);
	return ret;
}

int monitor_health_parse(const char *text, size_t len, struct monitor_health *ret, struct program_error *err)
{
	struct reader r;
	struct monitor_text out = { 0 };
	int tok;

	reader_init(&r, text, len, ret);
	r.out = &out;
	tok = next(&r);
	if (tok == JSON_PULL_OBJECT)
		health(&r, tok);
	else if (tok == JSON_PULL_ARRAY && skip(&r, tok))
		fault(&r, RANK(T_HEALTH, H_SHAPE, 0, 0, 0), false, "health: an object");
	if (tok != JSON_PULL_ERROR)
		tok = json_pull_next(&r.p);
	if (tok != JSON_PULL_ERROR && tok != JSON_PULL_END)
		tok = JSON_PULL_ERROR;
	return reader_end(&r, tok, &out, true, err);
}

int monitor_report_read(const char *body, size_t len, struct monitor_report_body *ret, struct program_error *err)
{
	static const char *const keys[] = { "schema", "machine", "seq", "observed_at", "interval", "descriptor_digest",
					    "descriptor", "health", "dropped" };
	struct reader r;
	struct monitor_text out = { 0 };
	bool schema = false, machine = false, seq = false, observed = false, digest = false;
	int tok;

	memset(ret, 0, sizeof(*ret));
	reader_init(&r, body, len, &ret->health);
	tok = next(&r);
	if (tok == JSON_PULL_ARRAY) {
		/* Valid JSON, but not an object: said once the whole text is read. */
		if (skip(&r, tok))
			fault(&r, RANK(T_SHAPE, 0, 0, 0, 0), false, "the body must be a JSON object");
	} else if (tok == JSON_PULL_OBJECT) {
		while ((tok = next(&r)) == JSON_PULL_KEY) {
			int k = key_index(&r, keys, CV_ELEMENTSOF(keys));

			if (k < 0) {
				unknown_key(&r, RANK(T_KEYS, 0, 0, 0, 0), NULL);
				skip(&r, tok);
				continue;
			}
			if (k == 7) {
				/* Its text written as its tokens come. */
				r.out = &out;
				r.comma = false;
				tok = next(&r);
				ret->has_health = tok == JSON_PULL_OBJECT;
				health(&r, tok);
				r.out = NULL;
				continue;
			}
			tok = next(&r);
			switch (k) {
			case 0:
				schema = tok == JSON_PULL_STRING && key_is(&r, REPORT_SCHEMA);
				break;
			case 1:
				machine = tok == JSON_PULL_STRING && r.p.len == 18 && memcmp(r.p.str, "m-", 2) == 0 &&
					  is_hex(r.p.str + 2, 16, 16);
				if (machine)
					memcpy(ret->machine, r.p.str, 18);
				break;
			case 2:
				seq = tok == JSON_PULL_INTEGER && r.p.integer >= 1;
				ret->seq = seq ? r.p.integer : 0;
				break;
			case 3: {
				char t[32];

				observed = tok == JSON_PULL_STRING && r.p.len < sizeof(t);
				if (observed) {
					memcpy(t, r.p.str, r.p.len);
					t[r.p.len] = '\0';
					observed = cv_time_parse(t, &ret->observed_at) == 0;
				}
				break;
			}
			case 4:
				if (tok == JSON_PULL_INTEGER && r.p.integer >= MONITOR_INTERVAL_MIN &&
				    r.p.integer <= MONITOR_INTERVAL_MAX)
					ret->interval = r.p.integer;
				else
					fault(&r, RANK(T_INTERVAL, 0, 0, 0, 0), false, "interval: seconds, %d to %d",
					      MONITOR_INTERVAL_MIN, MONITOR_INTERVAL_MAX);
				break;
			case 5:
				digest = tok == JSON_PULL_STRING && is_hex(r.p.str, r.p.len, 64);
				if (digest)
					memcpy(ret->digest, r.p.str, 64);
				break;
			case 6:
				ret->descriptor_kind = tok == JSON_PULL_OBJECT ? 1 : 2;
				ret->dstart = json_pull_offset(&r.p) - 1;
				break;
			case 8:
				if (tok == JSON_PULL_INTEGER && r.p.integer >= 0)
					ret->dropped = r.p.integer;
				else
					fault(&r, RANK(T_DROPPED, 0, 0, 0, 0), false,
					      "dropped: the reports the agent's full spool dropped, a whole number, 0 or more");
				break;
			}
			skip(&r, tok);
			if (k == 6)
				ret->dend = json_pull_offset(&r.p);
		}
		if (tok == JSON_PULL_OBJECT_END) {
			/* Absent or wrong: said alike, in the old order. */
			if (!schema)
				fault(&r, RANK(T_SCHEMA, 0, 0, 0, 0), false, "schema: \"" REPORT_SCHEMA "\"");
			if (!machine)
				fault(&r, RANK(T_MACHINE, 0, 0, 0, 0), false, "machine: the machine's id (m- and 16 hex digits)");
			if (!seq)
				fault(&r, RANK(T_SEQ, 0, 0, 0, 0), false, "seq: the report's number, a whole number from 1");
			if (!observed)
				fault(&r, RANK(T_OBSERVED, 0, 0, 0, 0), false,
				      "observed_at: when it was measured, YYYY-MM-DDTHH:MM:SSZ");
			if (!digest)
				fault(&r, RANK(T_DIGEST, 0, 0, 0, 0), false,
				      "descriptor_digest: 64 lower-case hex digits (BLAKE2b-256 of the canonical descriptor)");
		}
	}
	if (tok != JSON_PULL_ERROR)
		tok = json_pull_next(&r.p);
	if (tok != JSON_PULL_ERROR && tok != JSON_PULL_END)
		tok = JSON_PULL_ERROR;
	return reader_end(&r, tok, &out, ret->has_health, err);
}

void monitor_health_release(struct monitor_health *h)
{
	free(h->pool);
	free(h->text);
	h->pool = h->text = NULL;
}

const char *monitor_health_string(const struct monitor_health *h, const struct monitor_health_list *l, size_t i)
{
	const char *s = h->pool + l->off;

	while (i--)
		s += strlen(s) + 1;
	return s;
}
