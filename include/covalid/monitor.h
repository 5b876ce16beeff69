/*
 * covalid/monitor.h - monitoring (docs/monitor.md): machines enrolled by
 * their agents, their reports, verdicts over time and health; the event
 * log people are told from (webhooks, the Atom feed, the web UI).
 *
 * Like covalid/program.h these know nothing of HTTP: each takes a store,
 * the acting user (struct program_auth) and JSON, returns JSON, and on
 * failure fills a struct program_error with the HTTP status to give.
 * Every write owns its transaction.
 */
#ifndef COVALID_MONITOR_H
#define COVALID_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/program.h"
#include "covalid/util.h"

struct store;
struct check_index;

/* ---- machines, reports, events, settings, the fleet ---- */

/*
 * Scope (docs/monitor.md, "What each party sees"): a customer's
 * administrator sees its own machines and events; the owner all (or one
 * customer's, by the caller's filter); a vendor's users only machines
 * attached to a case opened with that vendor or engaging it.  A machine an
 * actor may not see is a 404, exactly as one that does not exist.
 */

/* Limits of what an agent may send (docs/monitor.md, "Reports"). */
#define MONITOR_NAME_MAX 128
#define MONITOR_INTERVAL_MIN 10
#define MONITOR_INTERVAL_MAX 86400
#define MONITOR_DISKS_MAX 64
#define MONITOR_COMPONENTS_MAX 64
#define MONITOR_ERRORS_RECENT_MAX 5
#define MONITOR_ERROR_LINE_MAX 256

/*
 * Enrolls a machine: body {"machine_key": 64 hex, "name", "interval",
 * "agent": {"version", "os"}, "customer" (the owner only)}.  A customer's
 * administrator enrolls for its customer, the owner for the one named.
 * The same customer and machine_key again is the same machine with a new
 * credential (the old one stops working): *ret_created false.  *ret is
 * {"machine", "credential", "customer", "interval"}; the credential is
 * never stored, only its keyed hash.  now: epoch seconds.
 */
int monitor_enroll(struct store *s, const struct program_auth *who, const json_t *body, int64_t now, json_t **ret,
		   bool *ret_created, struct program_error *err) CV_WUR;

/* The machine an agent's credential speaks for. */
struct monitor_agent {
	char *machine_id, *customer_id, *name;
};

/* 401 for a missing, malformed, unknown or replaced credential. */
int monitor_agent_authenticate(struct store *s, const char *credential, struct monitor_agent *ret,
			       struct program_error *err) CV_WUR;
void monitor_agent_release(struct monitor_agent *a);

/*
 * A report, parsed and checked strictly (every field known, typed and
 * bounded; 400 naming the field, 413 for a body over max_bytes) and, when
 * it carries a descriptor and ix is given, that descriptor checked
 * against ix: the expensive part happens here, outside the write.  With
 * ix NULL, monitor_report_check() does the check later (a heartbeat
 * carries no descriptor and needs no catalog).
 */
struct monitor_report;
int monitor_report_parse(const char *body, size_t len, size_t max_bytes, const struct check_index *ix,
			 struct monitor_report **ret, struct program_error *err) CV_WUR;
struct monitor_report *monitor_report_free(struct monitor_report *rep);
/* Checks the report's descriptor against ix, once; 0 when it has none. */
int monitor_report_check(struct monitor_report *rep, const struct check_index *ix, struct program_error *err) CV_WUR;
/* Whether it carried a descriptor (else it is a heartbeat). */
bool monitor_report_has_descriptor(const struct monitor_report *rep);

/*
 * Applies a parsed report to the agent's machine in one transaction: a
 * seq at or below the stored one is acknowledged, not applied; a new
 * descriptor (or the stored one, when only the digest came) gives the
 * verdict; a change of verdict or differences is a row of history and a
 * machine.drifted or machine.returned event; thresholds crossed or
 * cleared are machine.health / machine.health-cleared; a late machine
 * reporting is machine.resumed; "dropped" above 0 is machine.reports-dropped.  ix checks a stored descriptor whose
 * verdict predates the catalog (NULL: keep the stored verdict).  *ret:
 * {"machine", "seq", "applied", "need_descriptor", "verdict",
 * "server_time_ms", "interval"}.  403 when the report names another
 * machine than the agent's.
 */
int monitor_report_apply(struct store *s, const struct monitor_agent *agent, const struct monitor_report *rep,
			 int64_t now, json_t **ret, struct program_error *err) CV_WUR;

/* The listing filters of GET /api/v1/machines. */
struct monitor_machine_filter {
	const char *customer_id; /* the owner's ?customer= */
	const char *verdict;     /* a verdict, or "drifted" */
	int late;                /* -1 any, 0, 1 */
	int64_t limit, offset;
};

/* {"total", "limit", "offset", "items": [...]} as docs/monitor.md shows. */
int monitor_machine_list(struct store *s, const struct program_auth *who, const struct monitor_machine_filter *f,
			 json_t **ret, struct program_error *err) CV_WUR;
/* One machine with its descriptor, check (ix: the catalog's index; NULL
 * leaves "check" out), health, events and history; 404 if not visible. */
int monitor_machine_get(struct store *s, const struct program_auth *who, const char *id, const struct check_index *ix,
			json_t **ret, struct program_error *err) CV_WUR;
/* 0 if who may see the machine, else 404 in err. */
int monitor_machine_visible(struct store *s, const struct program_auth *who, const char *id,
			    struct program_error *err) CV_WUR;

/*
 * Events as an actor may see them: machine_id or case_id narrow to one
 * (a machine or case the actor may not see: 404); after >= 0 pages
 * forward by seq (oldest first), otherwise newest first from offset.
 * A customer's administrator: its customer's events; the owner: all (or
 * customer_id's); a vendor: events of cases it is on (and, for a machine
 * it may see, that machine's).  *ret: {"total", "limit", "offset" or
 * "after", "items": [event docs with "seq"], "next_after"}.
 */
struct monitor_event_filter {
	const char *customer_id, *machine_id, *case_id;
	int64_t after; /* -1: not by seq */
	int64_t limit, offset;
};
int monitor_events_list(struct store *s, const struct program_auth *who, const struct monitor_event_filter *f,
			json_t **ret, struct program_error *err) CV_WUR;

/*
 * Per-customer thresholds (docs/monitor.md, "Thresholds"): a document
 * {"heartbeat_timeout_s", "cpu_pct", "mem_pct", "disk_pct",
 * "load_per_vcpu", "clock_offset_ms", "errors"}; members not set take the
 * defaults.  customer_id: the owner's choice, or NULL for the actor's own.
 */
#define MONITOR_DEFAULT_HEARTBEAT_TIMEOUT_S 300
int monitor_settings_get(struct store *s, const struct program_auth *who, const char *customer_id, json_t **ret,
			 struct program_error *err) CV_WUR;
/* A partial document: named members change, others stay.  *ret: the whole. */
int monitor_settings_put(struct store *s, const struct program_auth *who, const char *customer_id,
			 const json_t *body, json_t **ret, struct program_error *err) CV_WUR;
/* Thresholds are cached per process: call after a transaction that put
 * settings ended (committed or not), so what was read during it is not
 * used after.  monitor_settings_put() calls it too. */
void monitor_settings_changed(void);

/* The fleet: {"now": {verdict: count, ..., "late": n}, "series": [{"at", "counts"}]}, days back from now. */
int monitor_fleet(struct store *s, const struct program_auth *who, const char *customer_id, int64_t days, int64_t now,
		  json_t **ret, struct program_error *err) CV_WUR;

/*
 * The sweeper's jobs (the server runs them on a thread; tests call them):
 * machines silent past their customer's heartbeat_timeout_s become late
 * (machine.late, once until they report again); every machine with a
 * descriptor re-checked against ix when the catalog changed (a revoked
 * configuration makes its machines drift); a fleet sample per customer.
 * Each owns its transaction(s); *ret_n (if given) counts what changed.
 */
int monitor_sweep_late(struct store *s, int64_t now, size_t *ret_n) CV_WUR;
int monitor_sweep_reverdict(struct store *s, const struct check_index *ix, int64_t now, size_t *ret_n) CV_WUR;
int monitor_sweep_sample(struct store *s, int64_t now) CV_WUR;

/* Counts for /metrics: machines by verdict (cb per verdict) and late. */
int monitor_counts(struct store *s, void (*cb)(void *userdata, const char *key, int64_t count), void *userdata) CV_WUR;

/* ---- webhooks and their deliveries ---- */

#endif
