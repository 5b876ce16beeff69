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
 * The health flags a report's health gives under t (settings.c): words
 * among "cpu mem disk load clock errors components" in *flags, and for
 * each a detail {metric, value, threshold} in details (an object by flag).
 * vcpus: the machine's, for load per vCPU (<= 0: health's own, else 1).
 */
void monitor_health_flags(const json_t *health, const struct monitor_thresholds *t, int vcpus, struct cv_strv *flags,
			  json_t *details);

/* The machine as the API lists it (machines.c). */
json_t *monitor_machine_item(const struct store_machine_row *m);
/* A machine's name for people: its name, else its id. */
const char *monitor_machine_name(const struct store_machine_row *m);

/* Flags kept as space-separated words. */
void monitor_flags_parse(const char *text, struct cv_strv *ret);
char *monitor_flags_join(const struct cv_strv *flags);

#endif
