/*
 * settings.c - each customer's monitoring thresholds (docs/monitor.md,
 * "Thresholds") and the health flags a report gives under them.  A
 * customer that never set one has the defaults; a document sets only the
 * members it names, so an older document stays valid as members are added.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

/* What each member may be: integers or numbers within bounds. */
static const struct setting {
	const char *name;
	bool integer;
	double min, max, def;
	const char *help;
} settings[] = {
	{ "heartbeat_timeout_s", true, 1, 604800, MONITOR_DEFAULT_HEARTBEAT_TIMEOUT_S,
	  "seconds without a report before a machine is late, 1 to 604800" },
	{ "cpu_pct", false, 1, 100, 90, "CPU use in percent above which a machine is flagged, 1 to 100" },
	{ "mem_pct", false, 1, 100, 90, "memory use in percent above which a machine is flagged, 1 to 100" },
	{ "disk_pct", false, 1, 100, 90, "a disk's use in percent above which a machine is flagged, 1 to 100" },
	{ "load_per_vcpu", false, 0.01, 1000, 4.0, "the 1-minute load per vCPU above which a machine is flagged" },
	{ "clock_offset_ms", true, 1, 86400000, 2000, "clock offset in ms (either way) above which a machine is flagged" },
	{ "errors", true, 0, 1000000, 1, "errors since the last report from which a machine is flagged (0: never)" },
};

static json_t *defaults(void)
{
	json_t *o = json_object();

	for (size_t i = 0; i < CV_ELEMENTSOF(settings); i++)
		json_object_set_new(o, settings[i].name,
				    settings[i].integer ? json_integer((json_int_t)settings[i].def) : json_real(settings[i].def));
	return o;
}

/* Checks a (partial) document and lays it over base: 400 naming the member. */
static int overlay(json_t *base, const json_t *doc, struct program_error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(doc)) {
		program_error_set(err, 400, "invalid_field", "settings: a JSON object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)doc, key, v) {
		const struct setting *st = NULL;
		double x;

		for (size_t i = 0; i < CV_ELEMENTSOF(settings); i++)
			if (strcmp(settings[i].name, key) == 0)
				st = &settings[i];
		if (!st) {
			/* The name comes from the client: printable and short in the answer. */
			char *safe = cv_str_sanitize(key, strlen(key), 64);

			program_error_set(err, 400, "unknown_field", "%s: unknown field", safe);
			free(safe);
			return -EINVAL;
		}
		if (st->integer ? !json_is_integer(v) : !json_is_number(v)) {
			program_error_set(err, 400, "invalid_field", "%s: %s", key, st->help);
			return -EINVAL;
		}
		x = json_number_value(v);
		if (!(x >= st->min && x <= st->max)) {
			program_error_set(err, 400, "invalid_field", "%s: %s", key, st->help);
			return -EINVAL;
		}
		json_object_set_new(base, key, st->integer ? json_integer(json_integer_value(v)) : json_real(x));
	}
	return 0;
}

/* The customer's whole document: defaults under what it set. */
static int load(struct store *s, const char *customer_id, json_t **ret, struct program_error *err)
{
	json_t *o = defaults(), *stored;
	char *doc = NULL;
	int r = store_monitor_settings_get(s, customer_id, &doc);

	if (r == -ENOENT) {
		*ret = o;
		return 0;
	}
	if (r < 0) {
		json_decref(o);
		return monitor_store_error(s, r, "reading the settings", err);
	}
	stored = json_loads(doc, 0, NULL);
	free(doc);
	/* Stored documents were checked when put; one that no longer reads
	 * falls back to the defaults rather than stopping monitoring. */
	if (stored)
		(void)overlay(o, stored, NULL);
	json_decref(stored);
	*ret = o;
	return 0;
}

static int thresholds_read(struct store *s, const char *customer_id, struct monitor_thresholds *ret)
{
	json_t *o = NULL;
	int r = load(s, customer_id, &o, NULL);

	if (r < 0)
		return r;
	ret->heartbeat_timeout_s = json_integer_value(json_object_get(o, "heartbeat_timeout_s"));
	ret->cpu_pct = json_number_value(json_object_get(o, "cpu_pct"));
	ret->mem_pct = json_number_value(json_object_get(o, "mem_pct"));
	ret->disk_pct = json_number_value(json_object_get(o, "disk_pct"));
	ret->load_per_vcpu = json_number_value(json_object_get(o, "load_per_vcpu"));
	ret->clock_offset_ms = json_integer_value(json_object_get(o, "clock_offset_ms"));
	ret->errors = json_integer_value(json_object_get(o, "errors"));
	json_decref(o);
	return 0;
}

/*
 * Every report needs its customer's thresholds, which change only by a
 * PUT: a small per-process cache spares a query and a JSON parse per
 * report.  An entry holds while the generation it was read under is
 * current; monitor_settings_changed() moves the generation when settings
 * are written and again once the write is committed (or lost), so an
 * entry read between the two (the old value, or an uncommitted new one)
 * is never used after.  Entries are a connection's (each reads one
 * database); another process writing the same database is seen within
 * CACHE_TTL_S.
 */
#define CACHE_ENTRIES 64
#define CACHE_TTL_S 5
#define CACHE_ID_MAX 64
static struct cache_entry {
	uint64_t store; /* the connection it was read through: one database */
	char customer_id[CACHE_ID_MAX + 1];
	unsigned long generation;
	int64_t read_at;
	struct monitor_thresholds t;
} cache[CACHE_ENTRIES];
static unsigned cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong generation = 1;

static int64_t monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void monitor_settings_changed(void)
{
	atomic_fetch_add(&generation, 1);
}

int monitor_thresholds_load(struct store *s, const char *customer_id, struct monitor_thresholds *ret)
{
	unsigned long g = atomic_load(&generation);
	uint64_t serial = store_serial(s);
	int64_t now = monotonic_s();
	bool cacheable = customer_id && strlen(customer_id) <= CACHE_ID_MAX;
	int r;

	if (cacheable) {
		bool hit = false;

		pthread_mutex_lock(&cache_lock);
		for (size_t i = 0; i < CV_ELEMENTSOF(cache) && !hit; i++)
			if (cache[i].store == serial && cache[i].generation == g && now - cache[i].read_at < CACHE_TTL_S &&
			    strcmp(cache[i].customer_id, customer_id) == 0) {
				*ret = cache[i].t;
				hit = true;
			}
		pthread_mutex_unlock(&cache_lock);
		if (hit)
			return 0;
	}
	r = thresholds_read(s, customer_id, ret);
	if (r < 0 || !cacheable)
		return r;
	pthread_mutex_lock(&cache_lock);
	{
		struct cache_entry *e = NULL;

		for (size_t i = 0; i < CV_ELEMENTSOF(cache) && !e; i++)
			if (cache[i].store == serial && strcmp(cache[i].customer_id, customer_id) == 0)
				e = &cache[i];
		if (!e)
			e = &cache[cache_next++ % CACHE_ENTRIES];
		e->store = serial;
		snprintf(e->customer_id, sizeof(e->customer_id), "%s", customer_id);
		e->generation = g; /* read under g: stale once it moves */
		e->read_at = now;
		e->t = *ret;
	}
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

/* Raises a flag once; its detail made only now (a health under every
 * threshold allocates nothing).  The detail of a flag raised already. */
static json_t *flag(struct cv_strv *flags, json_t **details, const char *name, const char *metric, double value,
		    double threshold)
{
	if (!cv_strv_contains(flags, name)) {
		cv_strv_push(flags, name);
		if (!*details)
			*details = json_object();
		json_object_set_new(*details, name, json_pack("{s:s, s:f, s:f}", "metric", metric, "value", value,
							      "threshold", threshold));
	}
	return json_object_get(*details, name);
}

/*
 * Percentages and load are flagged strictly above their threshold (90 %
 * used is at the line, not over it); errors from their count (1: any);
 * the clock by its offset either way; components whenever one expected
 * is missing.  A member a report does not carry flags nothing.
 */
void monitor_health_flags(const struct monitor_health *h, const struct monitor_thresholds *t, int vcpus,
			  struct cv_strv *flags, json_t **details)
{
	if (!h)
		return;
	if ((h->has & MONITOR_HEALTH_CPU) && h->cpu_pct > t->cpu_pct)
		flag(flags, details, "cpu", "cpu_pct", h->cpu_pct, t->cpu_pct);
	if ((h->has & MONITOR_HEALTH_MEM) && h->mem_pct > t->mem_pct)
		flag(flags, details, "mem", "mem_pct", h->mem_pct, t->mem_pct);
	{
		/* One flag for the disks: the fullest one's value and path. */
		size_t fullest = h->ndisks;

		for (size_t i = 0; i < h->ndisks; i++)
			if (h->disks[i].used_pct > t->disk_pct &&
			    (fullest == h->ndisks || h->disks[i].used_pct > h->disks[fullest].used_pct))
				fullest = i;
		if (fullest < h->ndisks) {
			json_t *d = flag(flags, details, "disk", "disk_pct", h->disks[fullest].used_pct, t->disk_pct);

			json_object_set_new(d, "path", json_string(h->pool + h->disks[fullest].path));
		}
	}
	if (vcpus <= 0)
		vcpus = (h->has & MONITOR_HEALTH_VCPUS) ? (int)h->vcpus : 0;
	if (vcpus <= 0)
		vcpus = 1;
	if (h->nload > 0 && h->load[0] / vcpus > t->load_per_vcpu)
		flag(flags, details, "load", "load_per_vcpu", h->load[0] / vcpus, t->load_per_vcpu);
	if ((h->has & MONITOR_HEALTH_CLOCK) && !h->clock_null &&
	    (h->clock_offset_ms < 0 ? -h->clock_offset_ms : h->clock_offset_ms) > t->clock_offset_ms)
		flag(flags, details, "clock", "clock_offset_ms", (double)h->clock_offset_ms, (double)t->clock_offset_ms);
	if (t->errors > 0 && h->errors.has_count && h->errors.count >= t->errors)
		flag(flags, details, "errors", "errors", (double)h->errors.count, (double)t->errors);
	if (h->missing.n > 0) {
		json_t *d = flag(flags, details, "components", "components_missing", (double)h->missing.n, 0), *a = json_array();

		for (size_t i = 0; i < h->missing.n; i++)
			json_array_append_new(a, json_string(monitor_health_string(h, &h->missing, i)));
		json_object_set_new(d, "missing", a);
	}
}

bool monitor_health_measures(const struct monitor_health *h, const char *flag)
{
	static const struct {
		const char *flag;
		unsigned member;
	} members[] = {
		{ "cpu", MONITOR_HEALTH_CPU },	   { "mem", MONITOR_HEALTH_MEM },
		{ "disk", MONITOR_HEALTH_DISKS },  { "load", MONITOR_HEALTH_LOAD },
		{ "clock", MONITOR_HEALTH_CLOCK }, { "errors", MONITOR_HEALTH_ERRORS },
		{ "components", MONITOR_HEALTH_COMPONENTS },
	};

	if (!h)
		return false;
	for (size_t i = 0; i < CV_ELEMENTSOF(members); i++) {
		if (strcmp(members[i].flag, flag) != 0)
			continue;
		if (!(h->has & members[i].member))
			return false;
		/* A clock that could not be told, an event log that could not
		 * be read: they say nothing of their flag. */
		if (members[i].member == MONITOR_HEALTH_CLOCK)
			return !h->clock_null;
		if (members[i].member == MONITOR_HEALTH_ERRORS)
			return h->errors.has_count;
		return true;
	}
	return false;
}

/* Whose settings: the owner names a customer; a customer's administrator its own. */
static int whose(struct store *s, const struct program_auth *who, const char *customer_id, const char **ret,
		 struct program_error *err)
{
	int r;

	if (who->customer_id) {
		if (customer_id && strcmp(customer_id, who->customer_id) != 0) {
			program_error_set(err, 403, "forbidden", "customer: a customer's administrator has its own settings");
			return -EPERM;
		}
		*ret = who->customer_id;
		return 0;
	}
	if (!who->admin) {
		program_error_set(err, 403, "forbidden", "monitoring settings are a customer's administrator's or the owner's");
		return -EPERM;
	}
	if (!customer_id) {
		program_error_set(err, 400, "invalid_parameter", "customer: the owner names whose settings (?customer=ID)");
		return -EINVAL;
	}
	r = store_customer_get(s, customer_id, NULL);
	if (r == -ENOENT) {
		program_error_set(err, 404, "not_found", "no customer '%.64s'", customer_id);
		return r;
	}
	if (r < 0)
		return monitor_store_error(s, r, "reading the customer", err);
	*ret = customer_id;
	return 0;
}

int monitor_settings_get(struct store *s, const struct program_auth *who, const char *customer_id, json_t **ret,
			 struct program_error *err)
{
	const char *c = NULL;
	json_t *o = NULL;
	int r = whose(s, who, customer_id, &c, err);

	if (r < 0)
		return r;
	r = load(s, c, &o, err);
	if (r < 0)
		return r;
	json_object_set_new(o, "customer", json_string(c));
	*ret = o;
	return 0;
}

int monitor_settings_put(struct store *s, const struct program_auth *who, const char *customer_id, const json_t *body,
			 json_t **ret, struct program_error *err)
{
	const char *c = NULL;
	json_t *o = NULL, *clean = NULL;
	char *doc = NULL;
	int r = whose(s, who, customer_id, &c, err);

	if (r < 0)
		return r;
	/* "customer" in the body names whose, as ?customer= does: it must agree. */
	clean = json_deep_copy(body);
	if (json_is_object(clean) && json_object_get(clean, "customer")) {
		if (!cv_streq(json_string_value(json_object_get(clean, "customer")), c)) {
			program_error_set(err, 400, "invalid_field", "customer: these settings are %.64s's", c);
			r = -EINVAL;
			goto out;
		}
		json_object_del(clean, "customer");
	}
	r = program_txn_begin(s, err);
	if (r < 0)
		goto out;
	r = load(s, c, &o, err);
	if (r == 0)
		r = overlay(o, clean, err);
	if (r == 0) {
		doc = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		r = store_monitor_settings_put(s, c, doc);
		if (r < 0)
			monitor_store_error(s, r, "writing the settings", err);
	}
	r = program_txn_end(s, r, err);
	/* The cached thresholds: stale from here (the caller moves the
	 * generation again once an enclosing transaction is committed). */
	monitor_settings_changed();
	if (r < 0)
		goto out;
	json_object_set_new(o, "customer", json_string(c));
	*ret = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(clean);
	free(doc);
	return r;
}
