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

struct store;
struct check_index;

/* ---- machines, reports, events, settings, the fleet ---- */

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
	"machine.health-cleared case.opened case.state case.engaged case.note case.sla-breach"
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
 * array in *ret (free with monitor_deliveries_free). */
int monitor_deliveries_due(struct store *s, int64_t now_s, size_t max, struct monitor_delivery **ret,
			   size_t *ret_n) CV_WUR;
void monitor_deliveries_free(struct monitor_delivery *d, size_t n);

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
