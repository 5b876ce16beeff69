/*
 * claim.c - what a test log claims, checked before the program builds on
 * it (see program-internal.h and docs/testlog.md, "What the program
 * checks").
 *
 * The signature says who wrote a log, not that it makes sense: a vendor
 * can sign anything.  A claim whose vCPU count is the string "8" once
 * made a configuration with no vCPU limit at all, so every field the
 * program reads is checked for its type here (400 naming the field), and
 * then against the descriptor the same log carries (a recorded rejection
 * naming both), since the kit writes the claim from that descriptor.
 */
#include <ctype.h>

#include "covalid/catalog.h"
#include "covalid/descriptor.h"
#include "program/program-internal.h"
#include "util/cv.h"

/* Longer than any real os-release ID, version, product name or build. */
#define CLAIM_STRING_MAX 256
#define CLAIM_MAX_VCPUS (INT64_C(1) << 16)       /* the catalog's limit */
#define CLAIM_MAX_MEMORY_MIB (INT64_C(1) << 40)  /* the catalog's limit */

enum claim_kind {
	CLAIM_STRING,   /* required, non-empty */
	CLAIM_OPTIONAL, /* a string or null (or absent) */
	CLAIM_COUNT,    /* required, an integer from 1 to max */
};

static const struct claim_field {
	const char *object, *name;
	enum claim_kind kind;
	int64_t max;
	const char *descriptor; /* where the descriptor says the same, for messages */
} claim_fields[] = {
	{ "guest", "os_id", CLAIM_STRING, 0, "guest.os.id" },
	{ "guest", "version", CLAIM_STRING, 0, "guest.os.version" },
	{ "guest", "arch", CLAIM_STRING, 0, "guest.arch" },
	{ "guest", "osinfo", CLAIM_OPTIONAL, 0, "guest.os.osinfo" },
	/* A kit may repeat the descriptor's; one that does not is taken at
	 * its descriptor's word (program_log_service_pack). */
	{ "guest", "service_pack", CLAIM_OPTIONAL, 0, "guest.os.service_pack" },
	{ "hypervisor", "id", CLAIM_STRING, 0, "hypervisor.id" },
	{ "hypervisor", "product", CLAIM_OPTIONAL, 0, "hypervisor.product" },
	{ "hypervisor", "version", CLAIM_OPTIONAL, 0, "hypervisor.version" },
	{ "hypervisor", "build", CLAIM_OPTIONAL, 0, "hypervisor.build" },
	{ "vm", "vcpus", CLAIM_COUNT, CLAIM_MAX_VCPUS, "vm.vcpus" },
	{ "vm", "memory_mib", CLAIM_COUNT, CLAIM_MAX_MEMORY_MIB, "vm.memory_mib" },
};

static const char *const claim_objects[] = { "guest", "hypervisor", "vm" };

static bool known_field(const char *object, const char *name)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(claim_fields); i++)
		if (cv_streq(claim_fields[i].object, object) && cv_streq(claim_fields[i].name, name))
			return true;
	return false;
}

static int unknown_field(const char *where, const char *name, struct program_error *err)
{
	/* The name comes from the log: printable and short in the answer. */
	char *safe = cv_str_sanitize(name, strlen(name), 64);

	program_error_set(err, 400, "invalid_log", "%s.%s: unknown field", where, safe);
	free(safe);
	return -EINVAL;
}

static bool string_ok(json_t *v)
{
	return json_is_string(v) && json_string_length(v) <= CLAIM_STRING_MAX &&
	       cv_str_is_clean_utf8(json_string_value(v), json_string_length(v));
}

static int check_field(const struct claim_field *f, json_t *v, struct program_error *err)
{
	bool missing = !v || json_is_null(v);

	switch (f->kind) {
	case CLAIM_STRING:
		if (missing)
			break;
		if (string_ok(v) && json_string_length(v) > 0)
			return 0;
		program_error_set(err, 400, "invalid_log", "claim.%s.%s: expected a string of 1 to %d printable characters",
				  f->object, f->name, CLAIM_STRING_MAX);
		return -EINVAL;
	case CLAIM_OPTIONAL:
		if (missing || string_ok(v))
			return 0;
		program_error_set(err, 400, "invalid_log", "claim.%s.%s: expected a string of at most %d printable "
				  "characters, or null", f->object, f->name, CLAIM_STRING_MAX);
		return -EINVAL;
	case CLAIM_COUNT:
		if (missing)
			break;
		if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= f->max)
			return 0;
		program_error_set(err, 400, "invalid_log", "claim.%s.%s: expected an integer from 1 to %lld", f->object,
				  f->name, (long long)f->max);
		return -EINVAL;
	}
	program_error_set(err, 400, "invalid_log", "claim.%s.%s: missing", f->object, f->name);
	return -EINVAL;
}

static int check_claim(json_t *claim, struct program_error *err)
{
	const char *key;
	json_t *v, *member;
	int r;

	if (!claim || json_is_null(claim)) {
		program_error_set(err, 400, "invalid_log", "claim: missing");
		return -EINVAL;
	}
	if (!json_is_object(claim)) {
		program_error_set(err, 400, "invalid_log", "claim: expected an object");
		return -EINVAL;
	}
	json_object_foreach(claim, key, v) {
		size_t i = 0;

		while (i < CV_ELEMENTSOF(claim_objects) && !cv_streq(claim_objects[i], key))
			i++;
		if (i == CV_ELEMENTSOF(claim_objects))
			return unknown_field("claim", key, err);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(claim_objects); i++) {
		char *where;

		v = json_object_get(claim, claim_objects[i]);
		if (!v || json_is_null(v) || !json_is_object(v)) {
			program_error_set(err, 400, "invalid_log", "claim.%s: %s", claim_objects[i],
					  !v || json_is_null(v) ? "missing" : "expected an object");
			return -EINVAL;
		}
		where = cv_xasprintf("claim.%s", claim_objects[i]);
		json_object_foreach(v, key, member)
			if (!known_field(claim_objects[i], key)) {
				r = unknown_field(where, key, err);
				free(where);
				return r;
			}
		free(where);
	}
	for (size_t i = 0; i < CV_ELEMENTSOF(claim_fields); i++) {
		const struct claim_field *f = &claim_fields[i];

		r = check_field(f, json_object_get(json_object_get(claim, f->object), f->name), err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * An RFC 3339 UTC date and time as the kit writes it,
 * "YYYY-MM-DDTHH:MM:SS" with optional fractional seconds and "Z", on a
 * day the calendar has.  *ret: seconds since 1970 (a second of 60, a leap
 * second, counts as 59: only the order of two times is used).
 */
static bool parse_utc(const char *s, int64_t *ret)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	int64_t y, m, d, hh, mm, ss, days;
	size_t n = strlen(s), i = 19;

	if (n < 20)
		return false;
	for (size_t k = 0; k < 19; k++)
		if (pattern[k] == 'd' ? !isdigit((unsigned char)s[k]) : s[k] != pattern[k])
			return false;
	if (s[i] == '.') {
		i++;
		if (!isdigit((unsigned char)s[i]))
			return false;
		while (isdigit((unsigned char)s[i]))
			i++;
	}
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return false;
#define NUM(a, b) (((int64_t)(s[a] - '0') * 10) + (s[b] - '0'))
	y = NUM(0, 1) * 100 + NUM(2, 3);
	m = NUM(5, 6);
	d = NUM(8, 9);
	hh = NUM(11, 12);
	mm = NUM(14, 15);
	ss = NUM(17, 18);
#undef NUM
	if (m < 1 || m > 12 || d < 1 || hh > 23 || mm > 59 || ss > 60)
		return false;
	if (d > mdays[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	/* Days from the civil date (Howard Hinnant's algorithm). */
	{
		int64_t yy = m <= 2 ? y - 1 : y, era = yy / 400, yoe = yy - era * 400;
		int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		days = era * 146097 + doe - 719468;
	}
	*ret = days * 86400 + hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss);
	return true;
}

static int check_times(json_t *log, struct program_error *err)
{
	json_t *started = json_object_get(log, "started_at"), *finished = json_object_get(log, "finished_at");
	int64_t t0, t1;

	if (!started || json_is_null(started)) {
		program_error_set(err, 400, "invalid_log", "started_at: missing");
		return -EINVAL;
	}
	if (!json_is_string(started) || !parse_utc(json_string_value(started), &t0)) {
		program_error_set(err, 400, "invalid_log",
				  "started_at: expected a UTC date and time on a real date, YYYY-MM-DDTHH:MM:SSZ");
		return -EINVAL;
	}
	if (!finished || json_is_null(finished))
		return 0;
	if (!json_is_string(finished) || !parse_utc(json_string_value(finished), &t1)) {
		program_error_set(err, 400, "invalid_log",
				  "finished_at: expected a UTC date and time on a real date, YYYY-MM-DDTHH:MM:SSZ");
		return -EINVAL;
	}
	if (t1 < t0) {
		program_error_set(err, 400, "invalid_log", "finished_at: earlier than started_at");
		return -EINVAL;
	}
	return 0;
}

static int parse_descriptor(json_t *log, struct descriptor **ret, struct program_error *err)
{
	json_t *desc = json_object_get(log, "descriptor");
	char *why = NULL;
	int r;

	if (!desc || json_is_null(desc)) {
		program_error_set(err, 400, "invalid_log", "descriptor: missing");
		return -EINVAL;
	}
	r = descriptor_from_jansson(desc, ret, &why);
	if (r < 0) {
		/* The reader names fields from the descriptor's root: ".vm.vcpus: ..." */
		program_error_set(err, 400, "invalid_log", "%s%s", why && why[0] == '.' ? "descriptor" : "",
				  why ? why : "descriptor: not a descriptor");
		free(why);
		return -EINVAL;
	}
	return 0;
}

/*
 * A service pack a configuration can hold and matching compare: "SP1" to
 * "SP99", as the Windows probe writes it (the catalog's "SP2+" is a
 * statement's word, not a machine's).
 */
static int check_service_pack(const char *where, const char *sp, struct program_error *err)
{
	unsigned n;
	bool plus;
	char *safe;

	if (!sp || (catalog_service_pack_parse(sp, &n, &plus) == 0 && !plus))
		return 0;
	safe = cv_str_sanitize(sp, strlen(sp), 64);
	program_error_set(err, 400, "invalid_log", "%s: '%s' is not a service pack (SP1 to SP%d)", where, safe,
			  CATALOG_SERVICE_PACK_MAX);
	free(safe);
	return -EINVAL;
}

int program_claim_check(json_t *log, struct descriptor **ret_descriptor, struct program_error *err)
{
	struct descriptor *d = NULL;
	int r;

	r = check_claim(json_object_get(log, "claim"), err);
	if (r == 0)
		r = parse_descriptor(log, &d, err);
	if (r == 0)
		r = check_service_pack("descriptor.guest.os.service_pack", d->guest.os.service_pack, err);
	if (r == 0)
		r = check_service_pack("claim.guest.service_pack",
				       json_string_value(json_object_get(json_object_get(json_object_get(log, "claim"),
											     "guest"),
									 "service_pack")),
				       err);
	/* It joins the configuration's editions: a bounded, printable name. */
	if (r == 0 && d->guest.os.edition &&
	    (strlen(d->guest.os.edition) > CLAIM_STRING_MAX ||
	     !cv_str_is_clean_utf8(d->guest.os.edition, strlen(d->guest.os.edition)))) {
		program_error_set(err, 400, "invalid_log",
				  "descriptor.guest.os.edition: expected a string of at most %d printable characters, or null",
				  CLAIM_STRING_MAX);
		r = -EINVAL;
	}
	if (r == 0)
		r = check_times(log, err);
	if (r == 0 && ret_descriptor) {
		*ret_descriptor = d;
		d = NULL;
	}
	descriptor_free(d);
	return r;
}

/* ---- agreement with the descriptor ---- */

static const char *descriptor_string(const struct descriptor *d, const char *path)
{
	static const struct {
		const char *path;
		size_t off;
	} t[] = {
		{ "guest.os.id", offsetof(struct descriptor, guest.os.id) },
		{ "guest.os.version", offsetof(struct descriptor, guest.os.version) },
		{ "guest.arch", offsetof(struct descriptor, guest.arch) },
		{ "guest.os.osinfo", offsetof(struct descriptor, guest.os.osinfo) },
		{ "guest.os.service_pack", offsetof(struct descriptor, guest.os.service_pack) },
		{ "hypervisor.id", offsetof(struct descriptor, hypervisor.id) },
		{ "hypervisor.product", offsetof(struct descriptor, hypervisor.product) },
		{ "hypervisor.version", offsetof(struct descriptor, hypervisor.version) },
		{ "hypervisor.build", offsetof(struct descriptor, hypervisor.build) },
	};

	for (size_t i = 0; i < CV_ELEMENTSOF(t); i++)
		if (cv_streq(t[i].path, path))
			return *(const char *const *)((const char *)d + t[i].off);
	return NULL;
}

/* A value from the log, quoted and made printable for a reason. */
static char *shown(const char *s)
{
	char *safe, *q;

	if (!s)
		return cv_xstrdup("nothing");
	safe = cv_str_sanitize(s, strlen(s), 64);
	q = cv_xasprintf("'%s'", safe);
	free(safe);
	return q;
}

static void disagrees(struct cv_strv *reasons, const struct claim_field *f, const char *claimed, const char *found,
		      const char *why)
{
	char *r = cv_xasprintf("claim.%s.%s %s disagrees with the log's descriptor, %s %s%s", f->object, f->name,
			       claimed, f->descriptor, found, why ? why : "");

	cv_strv_push(reasons, r);
	free(r);
}

void program_claim_agreement(json_t *log, const struct descriptor *d, struct cv_strv *reasons)
{
	json_t *claim = json_object_get(log, "claim");

	for (size_t i = 0; i < CV_ELEMENTSOF(claim_fields); i++) {
		const struct claim_field *f = &claim_fields[i];
		json_t *v = json_object_get(json_object_get(claim, f->object), f->name);

		/* Optional: a claim without it takes the descriptor's. */
		if (!v && cv_streq(f->name, "service_pack"))
			continue;
		if (f->kind != CLAIM_COUNT) {
			const char *c = json_string_value(v), *x = descriptor_string(d, f->descriptor);

			if (!cv_streq(c, x) && (c || x)) {
				char *a = shown(c), *b = shown(x);

				disagrees(reasons, f, a, b, NULL);
				free(a);
				free(b);
			}
		} else {
			int64_t c = json_integer_value(v);
			int64_t x = cv_streq(f->name, "vcpus") ? (int64_t)d->vm.vcpus : (int64_t)d->vm.memory_mib;
			bool unknown = x <= 0, ok;
			char a[32], b[32];

			/* The VM's memory as the kit takes it: MemTotal is 90 to
			 * 100% of what the VM was given (docs/kit.md, mem.size). */
			ok = cv_streq(f->name, "vcpus") ? c == x : x <= c && x * 10 >= c * 9;
			if (ok && !unknown)
				continue;
			snprintf(a, sizeof(a), "%lld", (long long)c);
			snprintf(b, sizeof(b), "%lld", (long long)x);
			disagrees(reasons, f, a, unknown ? "nothing" : b,
				  unknown || cv_streq(f->name, "vcpus") ? NULL
									 : " (MemTotal is 90 to 100% of the VM's memory)");
		}
	}
}

bool program_log_service_pack(json_t *log, char ret[static PROGRAM_SERVICE_PACK_SIZE])
{
	json_t *os = json_object_get(json_object_get(json_object_get(log, "descriptor"), "guest"), "os");
	const char *sp = json_string_value(json_object_get(os, "service_pack"));
	unsigned n;

	ret[0] = '\0';
	if (sp && catalog_service_pack_parse(sp, &n, NULL) == 0) {
		snprintf(ret, PROGRAM_SERVICE_PACK_SIZE, "SP%u", n % 100); /* n <= 99 */
		return true;
	}
	return !sp && cv_streq(json_string_value(json_object_get(os, "source")), "windows/os.json");
}

char *program_claim_key(json_t *claim, const char *service_pack)
{
	json_t *hv = json_object_get(claim, "hypervisor"), *g = json_object_get(claim, "guest");
	const char *build = json_string_value(json_object_get(hv, "build"));
	const char *hver = json_string_value(json_object_get(hv, "version"));
	json_t *key;
	char *s;

	/* The build decides when there is one, as it does in matching. */
	key = json_pack("[s, s, s, s, s, s]", json_string_value(json_object_get(hv, "id")),
			build ? "build" : hver ? "version" : "any", build ? build : hver ? hver : "",
			json_string_value(json_object_get(g, "os_id")), json_string_value(json_object_get(g, "version")),
			json_string_value(json_object_get(g, "arch")));
	if (!key)
		abort(); /* program_claim_check saw to the strings */
	/* Another service pack is another configuration: a log at SP1 must
	 * not lower, nor one at SP2 raise, what a configuration proves. */
	if (service_pack)
		json_array_append_new(key, json_string(service_pack));
	s = json_dumps(key, JSON_COMPACT);
	json_decref(key);
	if (!s)
		abort();
	return s;
}
