/*
 * covalid/store.h - where covalid keeps its state: one interface, several
 * backends chosen by the location string (docs/catalog.md, "The store"):
 *
 *   "PATH" or "sqlite:PATH"   an SQLite database file (WAL, foreign keys on),
 *                             the embedded default
 *   "postgresql://..."        a PostgreSQL database (a libpq URI, also
 *                             "postgres://..."), which several server
 *                             nodes can share (docs/deploy.md)
 *
 * The store speaks in rows: a record's indexed columns plus its whole
 * JSON document.  What a document means (validation, matching) belongs to
 * the modules above (catalog.h); the store only keeps, finds and returns.
 *
 * Schema migrations are applied on open, in one transaction, from the
 * database's recorded version to the newest this build knows; a database
 * newer than the build is refused (-EPROTO) rather than guessed at.
 *
 * Writes happen inside store_begin()/store_commit(); store_rollback()
 * undoes them all.  Transactions nest: store_begin() inside an open one is
 * a savepoint, whose store_commit() keeps its work in the enclosing
 * transaction and whose store_rollback() undoes only its own; only the
 * outermost commit makes anything durable.  A store is used by one thread at a time; open one per
 * thread.  Functions return 0 or a negative errno; the last backend
 * message is available from store_errmsg() for the edge to report.
 */
#ifndef COVALID_STORE_H
#define COVALID_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/util.h"

struct store;

/* The newest schema version this build knows. */
#define STORE_SCHEMA_VERSION 10

/* Opens (creating if needed) and migrates.  On failure *ret_errmsg (if
 * given) receives the backend's message, to be freed by the caller. */
int store_open(const char *location, struct store **ret, char **ret_errmsg) CV_WUR;
/* The same, for a database that must exist already (-ENOENT otherwise). */
int store_open_existing(const char *location, struct store **ret, char **ret_errmsg) CV_WUR;
/* Whether s failed because its database server cannot be reached (a
 * dropped connection): the request is answered 503, and the next call
 * outside a transaction connects again. */
bool store_unavailable(struct store *s);
/* The backend a location names: "sqlite" or "postgresql" (never NULL). */
const char *store_backend_of(const char *location);
/*
 * Whether the store can serve now: its file is still the one opened (not
 * deleted or replaced), it can be written, and (deep) the database reads
 * whole from a fresh connection.  0, or a negative errno with *ret_why.
 * Writes are refused (store_begin: -ESTALE) once the file is gone or
 * replaced, so they are never acknowledged into an orphaned file.
 */
int store_health(struct store *s, bool deep, char **ret_why) CV_WUR;
/* Which database s has open (for SQLite, its file's device and inode):
 * two stores with different identities are not the same database even at
 * one path.  A new string, or NULL where the backend cannot tell. */
char *store_identity(struct store *s);
struct store *store_close(struct store *s);
/* The default location: $XDG_DATA_HOME/covalid/covalid.db, else
 * ~/.local/share/covalid/covalid.db.  Nothing is created: a command that
 * writes makes the directory (a read-only one must leave no trace). */
int store_default_location(char **ret) CV_WUR;
/* The backends' client libraries, as linked: "SQLite 3.40.1, libpq 15.18"
 * (for `covalid --version --verbose`).  A new string. */
char *store_library_versions(void);
const char *store_errmsg(struct store *s);
int store_schema_version(struct store *s, int *ret) CV_WUR;
/*
 * The log's upkeep, for a server whose writes come in a stream: after
 * store_defer_checkpoints(s), s's commits leave the work of folding the
 * write-ahead log back into the database to store_checkpoint(), run by
 * another thread on its own connection, so that it is not paid inside the
 * commit a request waits for.  (A commit still does it when the log grows
 * far past its usual size: its bound should that thread fall behind.)
 * Both are no-ops for a backend that has no such log to keep.
 */
int store_defer_checkpoints(struct store *s) CV_WUR;
/* Folds what the log holds into the database, without waiting for
 * readers or writers (what they still use stays for the next time). */
int store_checkpoint(struct store *s) CV_WUR;

/*
 * Background jobs that must run on one server node at a time, however
 * many share the database (the monitoring sweep, support's SLA breach
 * events: each reads, decides and writes, and two nodes doing so at once
 * would mark a machine late twice or write two fleet samples).
 * store_try_lead(s, job): 1 if s's connection leads job -- it took the
 * job's lock now or holds it already; it keeps it until it is closed (or
 * its connection to the database is lost: call again before each pass) --
 * 0 if another connection leads it, or a negative errno.  Job names are
 * short words ([a-z]+).  A store whose database nobody else can open (in
 * memory) always leads.
 */
int store_try_lead(struct store *s, const char *job) CV_WUR;

int store_begin(struct store *s) CV_WUR;
int store_commit(struct store *s) CV_WUR;
int store_rollback(struct store *s);
/* How deeply transactions are nested now: 0 none open, 1 one, 2 a savepoint in it... */
unsigned store_txn_depth(const struct store *s);

/* ---- catalog rows ---- */

struct store_product_row {
	const char *id, *kind, *vendor, *product, *version, *osinfo;
	const char *doc; /* the whole record, JSON */
};

struct store_config_row {
	const char *id, *status;
	const char *guest_os, *guest_vendor, *guest_product, *guest_version;
	const char *hv_ids;     /* space-separated hypervisor ids */
	const char *hv_vendor, *hv_product, *hv_version;
	const char *validated_by; /* newline-separated vendor names */
	const char *doc;
};

/*
 * Filters for listing.  NULL fields do not filter.  guest matches the
 * guest OS id exactly or the guest product by substring (case-folded);
 * hypervisor likewise with the hypervisor ids and product; vendor matches
 * any of guest vendor, hypervisor vendor, validated_by, by name or by id
 * ("Red Hat" or "red-hat", case-folded); status is one status or several,
 * comma-separated ("validated,supported": either); text matches the whole
 * document.  limit 0 means no limit.  after (configurations only; NULL:
 * from the first) keeps the ids greater than it, in the list's id order:
 * a page by key, which costs the same at any depth, where offset skips
 * that many rows one by one; both given, offset skips within what follows
 * after.  store_config_count ignores limit, offset and after.
 */
struct store_query {
	const char *guest, *hypervisor, *vendor, *status, *text, *kind;
	int64_t limit, offset;
	const char *after;
};

/* Inserts or replaces by id, bumping the catalog generation and stamping
 * the row with it.  *ret_replaced tells which, if given. */
int store_product_put(struct store *s, const struct store_product_row *row, bool *ret_replaced) CV_WUR;
int store_config_put(struct store *s, const struct store_config_row *row, bool *ret_replaced) CV_WUR;

/*
 * The same without the bump: the row is stamped gen, a generation the
 * caller bumped to with store_catalog_bump() in the same transaction.  For
 * a caller writing many rows (an import): one bump, not one a row.
 * ret_replaced may be NULL, and then the id is not looked up first (a
 * caller that knows already whether the row exists saves a query a row).
 */
int store_product_write(struct store *s, const struct store_product_row *row, int64_t gen,
			bool *ret_replaced) CV_WUR;
int store_config_write(struct store *s, const struct store_config_row *row, int64_t gen, bool *ret_replaced) CV_WUR;

/*
 * Whether the program has decided configuration id since it was put: it is
 * revoked, or submitted test logs are its evidence (a submission made or
 * extended it).  A catalog import never overwrites such a row
 * (catalog_import).  -ENOENT if there is no configuration id.
 */
int store_config_decided(struct store *s, const char *id, bool *ret) CV_WUR;

/* The document of one record; -ENOENT if there is none. */
int store_product_get(struct store *s, const char *id, char **ret_doc) CV_WUR;
int store_config_get(struct store *s, const char *id, char **ret_doc) CV_WUR;

/* Calls cb for each matching record in id order; a non-zero return from
 * cb stops the walk and is returned. */
typedef int (*store_row_cb)(void *userdata, const char *id, const char *doc);
int store_product_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata) CV_WUR;
int store_config_list(struct store *s, const struct store_query *q, store_row_cb cb, void *userdata) CV_WUR;
int store_config_count(struct store *s, const struct store_query *q, int64_t *ret) CV_WUR;

/*
 * A counter every catalog write bumps, so that caches of catalog answers
 * (the server's, the check index) know when to rebuild.
 */
int store_catalog_generation(struct store *s, int64_t *ret) CV_WUR;
/* Bumps the generation (inside the caller's transaction); *ret_gen is the new value. */
int store_catalog_bump(struct store *s, int64_t *ret_gen) CV_WUR;

/*
 * The catalog rows written after generation since (stamped gen > since):
 * every product to product_cb, then every configuration to config_cb, each
 * in id order (either callback may be NULL).  Rows are never deleted, only
 * replaced, so these are all a holder of generation since needs to catch
 * up.  A vendor's admission bumps the generation without a row: a holder
 * that sees the generation move and no rows knows that much changed.
 */
int store_catalog_changes(struct store *s, int64_t since, store_row_cb config_cb, store_row_cb product_cb,
			  void *userdata) CV_WUR;

/* ---- the program: vendors, their keys and tokens, submissions ---- */

/* Vendors admitted to the program.  id is a slug ("red-hat"). */
/* Adds a vendor and bumps the catalog generation; -EEXIST.  Call in a transaction. */
int store_vendor_add(struct store *s, const char *id, const char *name) CV_WUR;
/* *ret_name (if given) receives the name; -ENOENT if no such vendor. */
int store_vendor_get(struct store *s, const char *id, char **ret_name) CV_WUR;
/* A vendor or a customer. */
typedef int (*store_org_cb)(void *userdata, const char *id, const char *name, const char *created_at);
int store_vendor_list(struct store *s, store_org_cb cb, void *userdata) CV_WUR;

/* Vendors' public keys, by key id. */
int store_key_add(struct store *s, const char *key_id, const char *vendor_id, const char *public_key) CV_WUR;
/* -ENOENT if unknown; *ret_revoked tells a revoked key from a good one. */
int store_key_get(struct store *s, const char *key_id, char **ret_vendor_id, char **ret_public_key,
		  bool *ret_revoked) CV_WUR;
int store_key_revoke(struct store *s, const char *key_id) CV_WUR;
typedef int (*store_key_cb)(void *userdata, const char *key_id, const char *vendor_id, const char *public_key,
			    const char *created_at, const char *revoked_at);
int store_key_list(struct store *s, const char *vendor_id, store_key_cb cb, void *userdata) CV_WUR;

/*
 * API tokens, stored as a hash only, one per user.  role: "admin" (the
 * program's owner), "vendor" (a vendor's engineer), "vendor-manager"
 * (vendor_id set), "customer" (a customer's administrator: customer_id
 * set).  name is the user's.  Times are "YYYY-MM-DDTHH:MM:SSZ" (UTC),
 * which compare as strings in time order: expires_at NULL never expires;
 * last_used_at NULL was never used (or not since schema 7), and is
 * recorded at most about once a minute (store_token_touch).
 */
struct store_token_row {
	const char *id, *role, *vendor_id, *customer_id, *name, *description, *created_at, *revoked_at;
	const char *expires_at, *last_used_at;
};

/* created_at, revoked_at and last_used_at of row are not read. */
int store_token_add(struct store *s, const char *hash, const struct store_token_row *row) CV_WUR;
/* The unrevoked token with this hash, expired or not (the caller compares
 * expires_at with its clock); -ENOENT otherwise.  Free with store_token_free(). */
int store_token_find(struct store *s, const char *hash, struct store_token_row **ret) CV_WUR;
void store_token_free(struct store_token_row *row);
int store_token_revoke(struct store *s, const char *id) CV_WUR; /* -ENOENT */
/*
 * Records a use of token id at now, unless one at or after not_before is
 * recorded already: one cheap UPDATE whose WHERE keeps it to one write per
 * interval however many nodes or threads try.  *ret_written (may be NULL)
 * tells whether it wrote.  Not in a transaction of the caller's.
 */
int store_token_touch(struct store *s, const char *id, const char *now, const char *not_before,
		      bool *ret_written) CV_WUR;
typedef int (*store_token_cb)(void *userdata, const struct store_token_row *row);
enum store_token_order {
	STORE_TOKENS_BY_CREATION,  /* oldest first */
	STORE_TOKENS_BY_LAST_USE,  /* most recently used first; never used last, oldest first */
};
int store_token_list(struct store *s, enum store_token_order order, store_token_cb cb, void *userdata) CV_WUR;

/* Customers of the program's vendors.  id is a slug. */
int store_customer_add(struct store *s, const char *id, const char *name) CV_WUR; /* -EEXIST */
int store_customer_get(struct store *s, const char *id, char **ret_name) CV_WUR; /* -ENOENT */
int store_customer_list(struct store *s, store_org_cb cb, void *userdata) CV_WUR;

/* Support agreements (docs/support.md), documents by customer and vendor. */
int store_agreement_add(struct store *s, const char *id, const char *customer_id, const char *vendor_id,
			const char *doc) CV_WUR; /* -EEXIST */
/* customer_id or vendor_id NULL: any.  cb gets (userdata, id, doc). */
int store_agreement_list(struct store *s, const char *customer_id, const char *vendor_id, store_row_cb cb,
			 void *userdata) CV_WUR;

/* Support cases: one versioned document each. */
struct store_case_row {
	const char *id, *customer_id, *vendor_id;
	const char *engaged; /* vendor ids engaged on it, newline-separated */
	const char *state;
	int64_t severity, version;
	const char *doc, *created_at, *updated_at;
	const char *machine_id; /* the monitored machine it was opened with, or NULL (written by store_case_add) */
};

int store_case_add(struct store *s, const struct store_case_row *row) CV_WUR;
/* Free with store_case_free(); -ENOENT. */
int store_case_get(struct store *s, const char *id, struct store_case_row **ret) CV_WUR;
void store_case_free(struct store_case_row *row);
/* Writes row (its version + 1) if the stored version is row->version;
 * -ESTALE if another write came first, -ENOENT if there is no such case. */
int store_case_update(struct store *s, const struct store_case_row *row) CV_WUR;
/* Cases a party may list: a customer's (customer_id), a vendor's own or
 * engaged (vendor_id), or all (both NULL); state NULL for any. */
typedef int (*store_case_cb)(void *userdata, const struct store_case_row *row);
int store_case_list(struct store *s, const char *customer_id, const char *vendor_id, const char *state, int64_t limit,
		    int64_t offset, store_case_cb cb, void *userdata) CV_WUR;

struct store_submission_row {
	const char *id, *vendor_id, *key_id, *status; /* "accepted" or "rejected" */
	const char *reasons;   /* JSON array of strings */
	const char *config_id; /* the configuration it created or extended, or NULL */
	const char *log;       /* the test log, canonical */
	const char *received_at;
	const char *log_digest; /* hex BLAKE2b-256 of what the log's signature covers, or NULL */
};

/* -EEXIST when an accepted submission has the same log_digest. */
int store_submission_add(struct store *s, const struct store_submission_row *row) CV_WUR;
/* The id of the accepted submission whose log has this digest, or -ENOENT. */
int store_submission_find_digest(struct store *s, const char *digest, char **ret_id) CV_WUR;
/* The row's strings point into *ret_buf's storage; free with store_submission_free(). */
int store_submission_get(struct store *s, const char *id, struct store_submission_row **ret) CV_WUR;
void store_submission_free(struct store_submission_row *row);
/* vendor_id NULL lists everyone's; with_log false leaves row->log NULL. */
typedef int (*store_submission_cb)(void *userdata, const struct store_submission_row *row);
int store_submission_list(struct store *s, const char *vendor_id, const char *config_id, bool with_log,
			  int64_t limit, int64_t offset, store_submission_cb cb, void *userdata) CV_WUR;

/* Test logs behind a configuration. */
int store_evidence_add(struct store *s, const char *config_id, const char *testlog_id) CV_WUR;

/* The validation policy (docs/policy.md); -ENOENT when none was set. */
int store_policy_get(struct store *s, char **ret_doc) CV_WUR;
int store_policy_put(struct store *s, const char *doc) CV_WUR;

/* ---- idempotency keys (docs/server.md, "Retries") ---- */

/*
 * A write request's Idempotency-Key, per principal (whose token or
 * credential sent it): the fingerprint of the request that used it first
 * (its method, target and body) and, once it was answered, that answer
 * (status 0: not yet, or never: the node died between the commit and
 * the answer).
 */
struct store_idem_row {
	char *fingerprint;
	int64_t status;
	char *content_type, *location, *body; /* each may be NULL */
};

/* The key's row, or -ENOENT.  Free with store_idem_free(). */
int store_idem_get(struct store *s, const char *principal, const char *key, struct store_idem_row **ret) CV_WUR;
void store_idem_free(struct store_idem_row *row);
/* Records the key as used, in the caller's transaction (the write's own,
 * so that the key is kept exactly when the write is): 0, or -EEXIST when
 * it is recorded already. */
int store_idem_claim(struct store *s, const char *principal, const char *key, const char *fingerprint,
		     int64_t now_s) CV_WUR;
/* The answer the claiming request got; -ENOENT if the key is not there. */
int store_idem_answer(struct store *s, const char *principal, const char *key, int64_t status,
		      const char *content_type, const char *location, const char *body) CV_WUR;
/* Forgets the keys claimed before before_s (seconds since the epoch). */
int store_idem_prune(struct store *s, int64_t before_s) CV_WUR;

/* ---- monitoring: the event log (docs/monitor.md) ---- */

/*
 * One event: a machine's (drifted, returned, late, health ...) or a
 * case's (opened, engaged, note, SLA breach).  doc is the event's JSON
 * without its seq, which the log assigns (readers add it).  vendor_ids:
 * the vendors who may see it (a case's own and engaged), newline-separated.
 */
struct store_event_row {
	int64_t seq;
	const char *id, *at, *kind, *customer_id, *machine_id, *case_id, *vendor_ids, *doc;
};

/*
 * Appends an event and, in the same transaction, one pending delivery
 * (due at now_s) for every enabled webhook whose scope (the owner's: all;
 * a customer's: its own) and kinds cover it; *ret_seq (if given) is its
 * place in the log.  Call in a transaction.
 */
int store_event_add(struct store *s, const struct store_event_row *row, int64_t now_s, int64_t *ret_seq) CV_WUR;

/* ---- monitoring: machines (docs/monitor.md) ---- */

/*
 * An enrolled machine.  Times are the caller's: last_seen text
 * ("YYYY-MM-DDTHH:MM:SSZ"), last_seen_s its epoch seconds (what the late
 * sweep compares).  differences: a JSON array of strings; health: the
 * last report's health object (JSON); flags: space-separated ("late cpu").
 */
struct store_machine_row {
	const char *id, *customer_id, *machine_key, *name, *credential_hash, *enrolled_at, *last_seen;
	int64_t last_seen_s, interval_s, seq, reports;
	int64_t vcpus; /* the stored descriptor's (0: none yet), for load per vCPU */
	const char *descriptor, *descriptor_digest, *verdict, *reason, *differences, *config_id, *health, *flags;
};

/* A new machine (-EEXIST: the customer has one with that machine_key). */
int store_machine_add(struct store *s, const struct store_machine_row *row) CV_WUR;
/* The id of the customer's machine with that key, or -ENOENT. */
int store_machine_find_key(struct store *s, const char *customer_id, const char *machine_key, char **ret_id) CV_WUR;
/* Re-enrollment: a new credential (the old stops working), name (NULL: kept), interval. */
int store_machine_reenroll(struct store *s, const char *id, const char *name, const char *credential_hash,
			   int64_t interval_s) CV_WUR;
/*
 * Inside a transaction, before reading a machine to write it back
 * (store_machine_update writes the whole row): locks its row until the
 * transaction ends, so that no other writer -- another server node, the
 * sweeper's connection -- changes it between this transaction's read and
 * its write (PostgreSQL at READ COMMITTED would let the later write undo
 * the earlier; SQLite's writers take turns anyway).  A no-op UPDATE, the
 * row-lock both engines spell alike.  -ENOENT if there is no such machine.
 */
int store_machine_lock(struct store *s, const char *id) CV_WUR;
/* One machine by id, with its descriptor and health; -ENOENT.  Free with store_machine_free(). */
int store_machine_get(struct store *s, const char *id, struct store_machine_row **ret) CV_WUR;
/* The same without descriptor and health (NULL in the row): what a
 * report or a credential check reads, kilobytes fewer.  -ENOENT. */
int store_machine_get_state(struct store *s, const char *id, struct store_machine_row **ret) CV_WUR;
int store_machine_find_credential(struct store *s, const char *credential_hash, struct store_machine_row **ret) CV_WUR;
void store_machine_free(struct store_machine_row *row);
/* Writes the mutable columns of row (by id): last_seen, last_seen_s,
 * interval_s, seq, reports, vcpus, descriptor_digest, verdict, reason,
 * differences, config_id, health (NULL: kept), flags -- not the
 * descriptor, which only a new one rewrites.  -ENOENT. */
int store_machine_update(struct store *s, const struct store_machine_row *row) CV_WUR;
/* Stores a machine's descriptor (canonical JSON), replacing the last. */
int store_machine_set_descriptor(struct store *s, const char *id, const char *descriptor) CV_WUR;

/*
 * Which machines to list.  customer_id: one customer's; vendor_id: only
 * machines attached to a case whose vendor is it or which engaged it;
 * verdict: one verdict, or "drifted" (any but validated and supported);
 * late: -1 any, 0 not late, 1 late.  Drifted first, then late, then by
 * name.  limit 0: no limit.
 */
struct store_machine_query {
	const char *customer_id, *vendor_id, *verdict;
	int late;
	int64_t limit, offset;
};
typedef int (*store_machine_cb)(void *userdata, const struct store_machine_row *row);
int store_machine_list(struct store *s, const struct store_machine_query *q, store_machine_cb cb, void *userdata) CV_WUR;
int store_machine_count(struct store *s, const struct store_machine_query *q, int64_t *ret) CV_WUR;
/* Whether a vendor may see a machine: attached to a case of its own or engaging it. */
int store_machine_vendor_visible(struct store *s, const char *machine_id, const char *vendor_id, bool *ret) CV_WUR;
/* A customer's machines (NULL: everyone's) with a descriptor, by id; for
 * re-verdicting when the catalog changes. */
int store_machine_ids_with_descriptor(struct store *s, struct cv_strv *ret) CV_WUR;
/* A customer's machines not seen since before_s and not yet flagged late. */
int store_machine_ids_late(struct store *s, const char *customer_id, int64_t before_s, struct cv_strv *ret) CV_WUR;
/* Counts of a customer's machines (NULL: all) by verdict ("none" for no
 * verdict yet), and "late": cb(userdata, verdict, count). */
typedef int (*store_count_cb)(void *userdata, const char *key, int64_t count);
int store_machine_counts(struct store *s, const char *customer_id, store_count_cb cb, void *userdata) CV_WUR;

/* For /metrics: webhook deliveries made or being made, and those failed for good. */
int store_monitor_delivery_counts(struct store *s, int64_t *ret_total, int64_t *ret_failed) CV_WUR;

/* Verdicts over time: one row per change. */
struct store_verdict_row {
	const char *machine_id, *at, *verdict, *reason, *config_id, *differences, *descriptor_digest;
};
int store_machine_verdict_add(struct store *s, const struct store_verdict_row *row) CV_WUR;
typedef int (*store_verdict_cb)(void *userdata, const struct store_verdict_row *row);
/* Newest first, at most limit. */
int store_machine_verdict_list(struct store *s, const char *machine_id, int64_t limit, store_verdict_cb cb,
			       void *userdata) CV_WUR;

/* A customer's monitoring thresholds (JSON); -ENOENT when never set. */
int store_monitor_settings_get(struct store *s, const char *customer_id, char **ret_doc) CV_WUR;
int store_monitor_settings_put(struct store *s, const char *customer_id, const char *doc) CV_WUR;

/* Fleet samples for the chart: a customer's count by verdict at a time
 * (one already there for that time and verdict stands). */
int store_fleet_sample_add(struct store *s, const char *customer_id, const char *at, const char *verdict,
			   int64_t count) CV_WUR;
/* Samples since at (inclusive), oldest first, summed over customers when
 * customer_id is NULL: cb(userdata, at, verdict, count) per row. */
typedef int (*store_sample_cb)(void *userdata, const char *at, const char *verdict, int64_t count);
int store_fleet_samples(struct store *s, const char *customer_id, const char *since, store_sample_cb cb,
			void *userdata) CV_WUR;

/*
 * Reading the event log.  Scope: customer_id (its own), vendor_id (events
 * naming it among vendor_ids), both NULL (all).  machine_id / case_id
 * narrow to one.  after: only seq > after, oldest first; otherwise newest
 * first.  limit 0: no limit.
 */
struct store_event_query {
	const char *customer_id, *vendor_id, *machine_id, *case_id;
	/* With vendor_id: also the events that are no case's (a machine's own,
	 * for a vendor that may see the machine); case events still only of
	 * the vendor's cases. */
	bool machine_events;
	int64_t after; /* -1: not paging by seq */
	int64_t limit, offset;
};
typedef int (*store_event_cb)(void *userdata, const struct store_event_row *row);
int store_event_list(struct store *s, const struct store_event_query *q, store_event_cb cb, void *userdata) CV_WUR;
int store_event_count(struct store *s, const struct store_event_query *q, int64_t *ret) CV_WUR;

/* ---- monitoring: webhooks and their deliveries (store-webhooks.c, docs/webhooks.md) ---- */

/*
 * A webhook: where events go, signed with its secret.  customer_id NULL is
 * the owner's (every event); kinds is space-separated ("" for every kind).
 * The strings of a row handed to a callback live until it returns.
 */
struct store_webhook_row {
	const char *id, *customer_id, *url, *secret, *kinds, *created_by, *created_at, *disabled_at;
};
typedef int (*store_webhook_cb)(void *userdata, const struct store_webhook_row *row);

int store_webhook_add(struct store *s, const struct store_webhook_row *row) CV_WUR;
/* Calls cb with the enabled webhook id; -ENOENT if there is none. */
int store_webhook_get(struct store *s, const char *id, store_webhook_cb cb, void *userdata) CV_WUR;
/* Enabled webhooks, oldest first: every one (all), else customer_id's
 * (NULL: the owner's own). */
int store_webhook_list(struct store *s, bool all, const char *customer_id, store_webhook_cb cb, void *userdata) CV_WUR;
/* Disables (removes) it as of at: its pending deliveries are no longer
 * due.  -ENOENT if there is no enabled webhook id. */
int store_webhook_disable(struct store *s, const char *id, const char *at) CV_WUR;

/*
 * A delivery: state "pending", "delivered" or "failed"; last_status -1
 * when no HTTP answer was had.  url, secret and event_doc are set only by
 * store_delivery_due (what the deliverer needs to send it).
 */
struct store_delivery_row {
	int64_t id, event_seq, attempts, next_at_s, last_status;
	const char *webhook_id, *state, *last_error, *delivered_at, *created_at;
	const char *event_kind, *event_id;
	const char *url, *secret, *event_doc;
};
typedef int (*store_delivery_cb)(void *userdata, const struct store_delivery_row *row);

/* Pending deliveries of enabled webhooks due at now_s (next_at_s <= now_s),
 * oldest due first, at most limit. */
int store_delivery_due(struct store *s, int64_t now_s, int64_t limit, store_delivery_cb cb, void *userdata) CV_WUR;
/*
 * Claims a pending delivery that is due at now_s for an attempt: not due
 * again before until_s.  1: claimed by this call; 0: not (another
 * deliverer -- another server node on the same database -- claimed it
 * first, or it is no longer pending).  Portable compare-and-set: the
 * UPDATE's own WHERE re-checks that it is still due, under the row's
 * write lock, so of two nodes that read it due only one claims it.
 */
int store_delivery_claim(struct store *s, int64_t id, int64_t now_s, int64_t until_s) CV_WUR;
/*
 * Records an attempt of a pending delivery: attempts + 1, its answer
 * (status, or -1 and error) and what it is now: state "pending" (again at
 * next_at_s), "delivered" (at delivered_at) or "failed".  -ENOENT if it
 * is not pending.
 */
int store_delivery_result(struct store *s, int64_t id, const char *state, int64_t status, const char *error,
			  int64_t next_at_s, const char *delivered_at) CV_WUR;
/* A webhook's delivery log, newest first; limit 0: no limit. */
int store_delivery_list(struct store *s, const char *webhook_id, int64_t limit, int64_t offset, store_delivery_cb cb,
			void *userdata) CV_WUR;
int store_delivery_count(struct store *s, const char *webhook_id, int64_t *ret) CV_WUR;

/* The events of kind about case_id, in order: cb gets (userdata, id, doc). */
int store_event_case_list(struct store *s, const char *case_id, const char *kind, store_row_cb cb,
			  void *userdata) CV_WUR;

/* Small named values (the token hashing key). */
int store_setting_get(struct store *s, const char *key, char **ret_value) CV_WUR; /* -ENOENT */
/* This connection's number, unique in the process (never reused): a key
 * for caches of what was read through it. */
uint64_t store_serial(const struct store *s);
/* The same for a setting that never changes once written (the token
 * hashing key): read once a connection, outside a transaction. */
int store_setting_get_fixed(struct store *s, const char *key, char **ret_value) CV_WUR; /* -ENOENT */
int store_setting_put(struct store *s, const char *key, const char *value) CV_WUR;

/*
 * A store's data as a whole (store-copy.c): a backup of it, and a copy of
 * it into another store (`covalid admin backup`, `covalid admin migrate`;
 * docs/deploy.md).  A backup is a backend's own (SQLite's online backup
 * API); a backend without one (PostgreSQL: pg_dump is the tool) answers
 * -EOPNOTSUPP.  A copy goes through the store interface only, so any
 * backend copies to any other: every table, parents before children, read
 * from the source in one read snapshot where the backend has one and
 * written to the destination in one transaction.  The destination must
 * hold no rows (a freshly made schema); the copy is verified, before that
 * transaction commits, by each table's row count and digest computed the
 * same way on both sides, and rolled back on any difference.
 */
/*
 * Writes a consistent copy of the store to the file dest: a temporary
 * file in dest's directory, checked, fsync'd and renamed over dest, so
 * dest is never half written; safe while other connections (a server)
 * write.  dest must not be the store's own file.  0, -EOPNOTSUPP (the
 * backend has no backup of its own), or a negative errno with
 * *ret_errmsg (allocated) saying why.
 */
int store_backup(struct store *s, const char *dest, char **ret_errmsg) CV_WUR;

/* One table's verification: rows and digests (BLAKE2b-256, hex) on each side. */
struct store_copy_check {
	const char *table; /* static */
	int64_t source_rows, dest_rows;
	char source_digest[65], dest_digest[65];
};

/*
 * Copies every table of src into dst and verifies the copy (above).
 * Returns 0 (verified and committed); -EBADE (a table differs: nothing
 * committed); -ENOTEMPTY (dst holds rows: nothing written; *ret_errmsg
 * names the table); -EBADMSG (the source does not read whole: its deep
 * health check failed); or another negative errno with *ret_errmsg.  The
 * checks (*ret_checks, *ret_n; free with free()) are written on 0 and
 * -EBADE.
 */
int store_copy(struct store *src, struct store *dst, struct store_copy_check **ret_checks, size_t *ret_n,
	       char **ret_errmsg) CV_WUR;

#endif
