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

#include <stdatomic.h>
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
	char *machine_id;
	char *credential_hash; /* what the machine's row must still hold (monitor_report_apply) */
};

/*
 * 401 for a missing, malformed or unknown credential.  A credential once
 * known is remembered (it names one machine for good), so that a report
 * costs no lookup; whether it is still the machine's -- not replaced by a
 * later enrollment, the machine not removed -- is checked where the
 * report is written, in its transaction (monitor_report_apply).
 */
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
/* listening_since: when the server began to listen (0: always).  A
 * machine's silence counts only from then: after an outage longer than
 * the timeout, the agents get their timeout to come back before any is
 * called late, instead of the whole fleet going late (and then resuming)
 * at the restart. */
int monitor_sweep_late(struct store *s, int64_t now, int64_t listening_since, size_t *ret_n) CV_WUR;
/* stop (NULL: never) is looked at between machines: a pass over a large
 * fleet must not hold up the server's shutdown (-ECANCELED, the pass
 * unfinished: the next one does it all again). */
int monitor_sweep_reverdict(struct store *s, const struct check_index *ix, int64_t now, const atomic_bool *stop,
			    size_t *ret_n) CV_WUR;
int monitor_sweep_sample(struct store *s, int64_t now) CV_WUR;

/* Counts for /metrics: machines by verdict (cb per verdict) and late. */
int monitor_counts(struct store *s, void (*cb)(void *userdata, const char *key, int64_t count), void *userdata) CV_WUR;

/* ---- webhooks and their deliveries ---- */

/*
 * Webhooks (docs/webhooks.md): a customer's administrator registers URLs
 * for its own events, the owner for any customer's or for every event.
 * Each event is POSTed to each webhook whose scope and kinds cover it,
 * signed "X-Covalid-Signature: sha256=<hex HMAC-SHA256(secret, body)>",
 * retried with backoff (1, 2, 4 ... s, capped at an hour, with jitter)
 * and marked failed after MONITOR_WEBHOOK_ATTEMPTS attempts.
 */
#define MONITOR_WEBHOOK_URL_MAX 2048
#define MONITOR_WEBHOOK_SECRET_MIN 16
#define MONITOR_WEBHOOK_SECRET_MAX 1024
#define MONITOR_WEBHOOK_ATTEMPTS 10
#define MONITOR_WEBHOOK_BACKOFF_CAP_MS (3600 * 1000)
/* Every kind of event (docs/monitor.md, "Events"), space-separated. */
#define MONITOR_EVENT_KINDS                                                                                        \
	"machine.enrolled machine.drifted machine.returned machine.late machine.resumed machine.health "           \
	"machine.health-cleared machine.reports-dropped case.opened case.state case.engaged case.note case.sla-breach"
/* "sha256=" and 64 hex digits, and the NUL. */
#define MONITOR_SIGNATURE_SIZE 72

/* 0, or -EINVAL with *ret_why (static text) saying what is wrong: a URL
 * is http:// or https:// with a host, no user or password, no spaces or
 * control characters, at most MONITOR_WEBHOOK_URL_MAX bytes. */
int monitor_webhook_check_url(const char *url, const char **ret_why) CV_WUR;
/* A secret is MONITOR_WEBHOOK_SECRET_MIN to _MAX bytes, none of them NUL. */
int monitor_webhook_check_secret(const char *secret, size_t len, const char **ret_why) CV_WUR;
bool monitor_event_kind_known(const char *kind);
/* "sha256=<hex HMAC-SHA256>" of body under key (the secret's bytes). */
void monitor_webhook_sign(const void *key, size_t key_len, const void *body, size_t len,
			  char ret_header[MONITOR_SIGNATURE_SIZE]);
/*
 * How long to wait after the attempts-th failed attempt (1, 2, ...):
 * base_ms * 2^(attempts-1), capped at MONITOR_WEBHOOK_BACKOFF_CAP_MS, then
 * moved by up to a tenth either way by jitter (any 32 random bits), so
 * that receivers that failed together are not retried together.
 */
int64_t monitor_webhook_backoff_ms(int64_t attempts, int64_t base_ms, uint32_t jitter);

/*
 * The API's calls (monitor_webhook_*): who is the acting user; a vendor
 * role is 403; another customer's webhook is 404.  Writes own their
 * transaction.
 *
 * add: body {"url", "secret", "kinds": [...]?, "customer": the owner's
 * only}; *ret is {"id", "url", "kinds", "customer", "created_at"} (never
 * the secret).  list: {"items": [...]}.  deliveries: a page of the log,
 * newest first: {"webhook", "total", "limit", "offset", "items"}.
 */
int monitor_webhook_add(struct store *s, const struct program_auth *who, const json_t *body, int64_t now,
			json_t **ret, struct program_error *err) CV_WUR;
int monitor_webhook_list(struct store *s, const struct program_auth *who, const char *customer, json_t **ret,
			 struct program_error *err) CV_WUR;
int monitor_webhook_remove(struct store *s, const struct program_auth *who, const char *id, int64_t now,
			   struct program_error *err) CV_WUR;
int monitor_webhook_deliveries(struct store *s, const struct program_auth *who, const char *id, int64_t limit,
			       int64_t offset, json_t **ret, struct program_error *err) CV_WUR;

/* One delivery to make: the deliverer's (src/server/deliver.c). */
struct monitor_delivery {
	int64_t id, attempts;
	char *webhook_id, *url, *kind, *event_id;
	char *secret;
	size_t secret_len;
	char *body; /* the event's document with its "seq", compact JSON */
	char signature[MONITOR_SIGNATURE_SIZE];
};

/* The pending deliveries due at now_s, oldest first, at most max: a new
 * array in *ret (free with monitor_deliveries_free).  Each is claimed for
 * lease_s seconds (not due again meanwhile, for this server or another
 * on the same database): record its attempt before.  A delivery another
 * deliverer claimed first is left out. */
int monitor_deliveries_due(struct store *s, int64_t now_s, size_t max, int64_t lease_s, struct monitor_delivery **ret,
			   size_t *ret_n) CV_WUR;
void monitor_deliveries_free(struct monitor_delivery *d, size_t n);
/* Frees what one delivery holds (not d itself). */
void monitor_deliveries_free_contents(struct monitor_delivery *d);

enum monitor_delivery_outcome {
	MONITOR_DELIVERED,
	MONITOR_RETRY,
	MONITOR_FAILED,
};
/*
 * Records an attempt: status is the HTTP status (-1: none, error says
 * why).  A 2xx is delivered; otherwise it is retried after
 * monitor_webhook_backoff_ms(attempts, base_ms), or failed when this was
 * attempt MONITOR_WEBHOOK_ATTEMPTS.  *ret_outcome says which.
 */
int monitor_delivery_record(struct store *s, const struct monitor_delivery *d, long status, const char *error,
			    int64_t now_ms, int64_t base_ms, enum monitor_delivery_outcome *ret_outcome) CV_WUR;

#endif
