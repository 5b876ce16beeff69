/*
 * monitor-internal.h - what the files of src/monitor share: the one
 * transaction convention, the verdict of a descriptor in monitoring's
 * words, the thresholds and the health flags they give, a machine's JSON.
 */
#ifndef COVALID_MONITOR_INTERNAL_H
#define COVALID_MONITOR_INTERNAL_H

#include <jansson.h>

#include "covalid/monitor.h"

struct descriptor;
struct store_machine_row;

/* A client's string of 1..max bytes without control characters (names,
 * versions, paths): jansson has refused invalid UTF-8 already, and a NUL
 * inside is refused by its length. */
bool monitor_text_ok(const json_t *v, size_t max);
/* A store error as the API gives it: 500 internal, naming what failed. */
int monitor_store_error(struct store *s, int r, const char *what, struct program_error *err);
/* Whether the credential a's request came with is still the one the
 * machine's row holds (credential_hash): not replaced, nor the row gone. */
bool monitor_agent_still_valid(const struct monitor_agent *a, const char *credential_hash);
/* A credential replaced: no longer remembered by monitor_agent_authenticate. */
void monitor_agent_forget(const char *credential_hash);

/* "YYYY-MM-DDTHH:MM:SSZ" of t. */
void monitor_iso(int64_t t, char ret[static 32]);

/*
 * A descriptor's verdict as monitoring keeps it (verdict.c): the check's
 * verdict and reason names, the matched (or nearest) configuration, every
 * difference from the nearest in plain words ("2 vCPUs; validated for 1
 * (uni-processor)"), the check's summary and its lifecycle note.
 */
struct monitor_verdict {
	const char *verdict, *reason; /* static: check_verdict_name(), check_reason_name() */
	char *config_id;              /* NULL when nothing is near */
	json_t *differences;          /* array of strings; [] when in */
	char *summary, *lifecycle;
};

int monitor_verdict_compute(const struct check_index *ix, const struct descriptor *d, struct monitor_verdict *ret) CV_WUR;
void monitor_verdict_release(struct monitor_verdict *v);
/* validated or supported: where a machine should stay. */
bool monitor_verdict_in(const char *verdict);

/*
 * Moves machine m (a row being rewritten; its strings are re-pointed to
 * storage kept in hold) to verdict v as observed at `at`: when the
 * verdict, configuration or differences change, a history row and, for a
 * machine leaving or drifting further (machine.drifted) or coming back
 * (machine.returned), an event with the exact differences.  In the
 * caller's transaction.  *ret_changed (if given): whether anything changed.
 */
int monitor_verdict_move(struct store *s, struct store_machine_row *m, const struct monitor_verdict *v,
			 const char *digest, int64_t at, struct cv_strv *hold, bool *ret_changed) CV_WUR;

/* A customer's thresholds (settings.c), the defaults where not set. */
struct monitor_thresholds {
	int64_t heartbeat_timeout_s, clock_offset_ms, errors;
	double cpu_pct, mem_pct, disk_pct, load_per_vcpu;
};
int monitor_thresholds_load(struct store *s, const char *customer_id, struct monitor_thresholds *ret) CV_WUR;

/*
 * A report's health (docs/monitor.md, "Reports"), read and checked by
 * report-read.c straight from the body's text, without a JSON tree: plain
 * values for the flags, and the health's text as the store keeps it.
 *
 * has says which members the report carried (enum monitor_health_member).
 * Strings live in pool, each NUL-terminated (a string of a report never
 * holds a NUL); a list is its count and the offset of its first string,
 * the others following one after the other.  text is the health object as
 * json_dumps(health, JSON_COMPACT | JSON_PRESERVE_ORDER) gives it (the
 * members in the body's order, jansson's escapes and number forms), made
 * while reading so that the single writer thread does not build it.
 * Owned by the report; monitor_health_release() frees pool and text.
 */
enum monitor_health_member {
	MONITOR_HEALTH_CPU = 1 << 0,
	MONITOR_HEALTH_MEM = 1 << 1,
	MONITOR_HEALTH_MEM_TOTAL = 1 << 2,
	MONITOR_HEALTH_VCPUS = 1 << 3,
	MONITOR_HEALTH_LOAD = 1 << 4,
	MONITOR_HEALTH_DISKS = 1 << 5,
	MONITOR_HEALTH_CLOCK = 1 << 6, /* clock_null: sent as null (unknown) */
	MONITOR_HEALTH_COMPONENTS = 1 << 7,
	MONITOR_HEALTH_ERRORS = 1 << 8,
};

struct monitor_health_list {
	uint32_t n, off; /* n strings from pool + off */
	bool present;
};

struct monitor_health_disk {
	uint32_t path;     /* offset in pool */
	double used_pct;
	int64_t free_mib;  /* -1: not sent */
};

struct monitor_health {
	unsigned has;
	double cpu_pct, mem_pct;
	int64_t mem_total_mib, vcpus;
	size_t nload;
	double load[3];
	size_t ndisks;
	struct monitor_health_disk disks[MONITOR_DISKS_MAX];
	bool clock_null;
	int64_t clock_offset_ms;
	struct monitor_health_list expected, present, missing; /* components */
	struct {
		bool has_count, unavailable; /* unavailable: "available": false */
		int64_t count;
		struct monitor_health_list recent;
		int64_t why; /* offset in pool, -1: none */
	} errors;
	char *pool;
	size_t pool_len, pool_alloc;
	char *text;
	size_t text_len;
};

void monitor_health_release(struct monitor_health *h);
/* The i-th string of a list (i < l->n). */
const char *monitor_health_string(const struct monitor_health *h, const struct monitor_health_list *l, size_t i);
/*
 * Reads a health object's text (a stored one: machines.health) with the
 * reader reports use, as strictly: 0, or -EINVAL with a 400 in err naming
 * the member ("health.cpu_pct: ...").  *ret is released by the caller
 * either way.
 */
int monitor_health_parse(const char *text, size_t len, struct monitor_health *ret, struct program_error *err) CV_WUR;
/* A growable text (json-compact.c): always NUL-terminated once written. */
struct monitor_text {
	char *d;
	size_t n, cap;
};
void monitor_text_put(struct monitor_text *t, const void *s, size_t n);
/* Writes the token tok just read from p to t in compact form; *comma
 * carries whether a ',' comes before the next value (false at the start). */
struct json_pull;
void monitor_json_emit(struct monitor_text *t, bool *comma, const struct json_pull *p, int tok);
/*
 * The compact text of any JSON document, exactly as jansson 2.14 dumps it
 * with JSON_COMPACT | JSON_PRESERVE_ORDER (what the health text follows;
 * tests and fuzz/fuzz-report.c hold the two side by side).  NULL when
 * the text is not valid JSON (as json_loadb(JSON_REJECT_DUPLICATES)).
 */
char *monitor_json_compact(const char *text, size_t len, size_t *ret_len);

/*
 * The health flags a report's health gives under t (settings.c): words
 * among "cpu mem disk load clock errors components" in *flags, and for
 * each a detail {metric, value, threshold} in *details (an object by flag,
 * made at the first flag: a health that raises none allocates nothing).
 * vcpus: the machine's, for load per vCPU (<= 0: health's own, else 1).
 * health NULL: none.
 */
void monitor_health_flags(const struct monitor_health *health, const struct monitor_thresholds *t, int vcpus,
			  struct cv_strv *flags, json_t **details);
/* Whether a health measured what a flag is about (one that did not keeps it). */
bool monitor_health_measures(const struct monitor_health *health, const char *flag);

/*
 * A report as report-read.c reads it (report.c owns the rest): the body's
 * members, checked, and where its "descriptor" member's text is
 * (descriptor_kind: 0 none, 1 an object at [dstart, dend), 2 not an
 * object).
 */
struct monitor_report_body {
	char machine[19], digest[65];
	int64_t seq, interval, observed_at, dropped; /* interval 0: not sent */
	bool has_health;
	struct monitor_health health;
	int descriptor_kind;
	size_t dstart, dend;
};
/* 0, or -EINVAL with err set (400: malformed_json, unknown_field, invalid_field). */
int monitor_report_read(const char *body, size_t len, struct monitor_report_body *ret, struct program_error *err) CV_WUR;

/* The machine as the API lists it (machines.c). */
json_t *monitor_machine_item(const struct store_machine_row *m);
/* A machine's name for people: its name, else its id. */
const char *monitor_machine_name(const struct store_machine_row *m);

/* Flags kept as space-separated words. */
void monitor_flags_parse(const char *text, struct cv_strv *ret);
char *monitor_flags_join(const struct cv_strv *flags);

#endif
