/*
 * covalid/program.h - the validation program's rules: who may submit,
 * which test logs the program accepts (the validation policy), and how an
 * accepted log becomes (or extends) a validated configuration.
 *
 * These run inside the server's request handlers but know nothing of
 * HTTP: every function takes a store and returns an error code plus, for
 * the client, a code and a message (struct program_error), so tests drive
 * them directly.  Writes happen in one transaction per call.
 */
#ifndef COVALID_PROGRAM_H
#define COVALID_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>

#include "covalid/util.h"

struct store;

/* What went wrong, for the API's {"error": {"code", "message"}}. */
struct program_error {
	int http;        /* 400, 401, 403, 404, 409, 413, 422 ... */
	char code[48];   /* "bad_signature", "unknown_vendor" ... */
	char message[2048];
	json_t *reasons; /* an array of every reason, or NULL: the caller releases it (program_error_release) */
};

/* Fills *e (NULL: does nothing); error.c. */
void program_error_set(struct program_error *e, int http, const char *code, const char *fmt, ...) CV_PRINTF(4, 5);
void program_error_release(struct program_error *e);

/* The first member of obj (a json_t * object) not among keys, or NULL; fields.c. */
const char *program_unknown_key(const json_t *obj, const char *const *keys, size_t n);
/* False, with a 400 in *err naming the field ("where.field: unknown
 * field"), when obj is not an object or has a member not among keys. */
bool program_check_keys(const json_t *obj, const char *const *keys, size_t n, const char *where,
			struct program_error *err);

/* ---- the validation policy (docs/policy.md) ---- */

struct program_policy;

/* Parses a policy document (text); 400-class errors name the field. */
int program_policy_parse(const char *text, struct program_policy **ret, struct program_error *err) CV_WUR;
struct program_policy *program_policy_free(struct program_policy *p);
/* The store's policy, or the built-in default when none was set: read
 * from the store every time; the policy parsed from the same text last
 * time is handed out again rather than parsed anew (policy.c).  It may be
 * shared between threads: read it, never change it; drop it with
 * program_policy_free().  Thread-safe. */
int program_policy_load(struct store *s, struct program_policy **ret, struct program_error *err) CV_WUR;
/* The built-in default (data/policy.json says the same). */
const char *program_policy_default(void);
/* Parses text as a policy document (400-class errors name the field) and
 * makes it the store's. */
int program_policy_set(struct store *s, const char *text, struct program_error *err) CV_WUR;

/*
 * Evaluates a test log (json_t *) against the policy: every reason it
 * fails, in *reasons (empty when it passes).  Returns the rule's name.
 */
const char *program_policy_evaluate(const struct program_policy *p, const json_t *log, struct cv_strv *reasons);

/* ---- tokens ---- */

/* A new random token ("cv_" + 43 base64url characters) and its id. */
void program_token_new(char **ret_token, char **ret_id);
/* The hash stored for a token: keyed BLAKE2b-256 (hex) under the
 * database's token key (created on first use). */
int program_token_hash(struct store *s, const char *token, char **ret_hash) CV_WUR;

/*
 * Who a token speaks for.  role: "admin" (the program's owner),
 * "vendor" (a vendor's engineer), "vendor-manager", "customer" (a
 * customer's administrator); docs/support.md names them owner,
 * vendor-engineer, vendor-manager, customer-admin.
 */
struct program_auth {
	bool admin;
	char *role;
	char *vendor_id;   /* vendor roles */
	char *customer_id; /* the customer role */
	char *name;        /* the user's name, or NULL */
	char *token_id;
};

/* 401 for a missing, unknown, revoked or expired token. */
int program_authenticate(struct store *s, const char *bearer, struct program_auth *ret, struct program_error *err) CV_WUR;

/*
 * A token's expiry as the owner writes it (`--expires`, docs/server.md,
 * "Tokens"): a time "YYYY-MM-DDTHH:MM:SSZ" or a date "YYYY-MM-DD"
 * (midnight UTC), or a duration from now: digits and one unit, s m h d
 * ("90d", "12h").  It must be in the future and at most
 * PROGRAM_TOKEN_MAX_DAYS ahead.  Into ret as "YYYY-MM-DDTHH:MM:SSZ"; 400 in err otherwise.
 */
#define PROGRAM_TOKEN_MAX_DAYS 3660
int program_token_expiry(const char *text, int64_t now, char ret[static 21], struct program_error *err) CV_WUR;
void program_auth_release(struct program_auth *a);

/*
 * Every call below that writes owns its transaction (src/program/txn.c):
 * callers never begin one around it, and a store that cannot begin or
 * commit is a 503 in err, with nothing changed.
 */

/*
 * The transaction every writing call owns (txn.c), the program's and the
 * modules' above it (support, monitor): begin, then end with the result
 * so far: 0 commits, an error rolls back (err already set by the caller),
 * a failed commit is 503 "busy".  Inside a caller's transaction (the
 * server's group commit) they are a savepoint.
 */
int program_txn_begin(struct store *s, struct program_error *err) CV_WUR;
int program_txn_end(struct store *s, int r, struct program_error *err) CV_WUR;

/* Issues a token: admin (vendor_id NULL) or for a vendor's engineer.  The
 * token is returned once and never stored.  It never expires. */
int program_token_issue(struct store *s, const char *vendor_id, const char *description, char **ret_token,
			char **ret_id, struct program_error *err) CV_WUR;
/* The same, expiring at expires_at ("YYYY-MM-DDTHH:MM:SSZ", from
 * program_token_expiry), or never (NULL). */
int program_token_issue_until(struct store *s, const char *vendor_id, const char *description,
			      const char *expires_at, char **ret_token, char **ret_id, struct program_error *err) CV_WUR;

/* A user of any role, with a token: role as in program_auth (or its
 * docs/support.md name), org the vendor or customer id it needs. */
int program_user_add(struct store *s, const char *name, const char *role, const char *org_id, char **ret_token,
		     char **ret_id, struct program_error *err) CV_WUR;
/* The same, the token expiring at expires_at (or never: NULL). */
int program_user_add_until(struct store *s, const char *name, const char *role, const char *org_id,
			   const char *expires_at, char **ret_token, char **ret_id, struct program_error *err) CV_WUR;

/* Revokes a token by id: 404 when there is none, or it is revoked already. */
int program_token_revoke(struct store *s, const char *id, struct program_error *err) CV_WUR;

/* "owner", "vendor-engineer", ... for a stored role. */
const char *program_role_name(const char *role);

/* ---- vendors ---- */

/* A vendor id from its name: "Red Hat" -> "red-hat". */
char *program_vendor_slug(const char *name);
/* Lower-case letters, digits and inner dashes, 1 to 64 of them. */
bool program_slug_ok(const char *id);
/* A vendor's or customer's id: the one given, or the slug of its name;
 * 400 for a name or id that will not do. */
int program_org_id(const char *name, const char *id, char **ret_id, struct program_error *err) CV_WUR;
int program_vendor_admit(struct store *s, const char *name, const char *id, char **ret_id, struct program_error *err) CV_WUR;
/* Registers a public key ("ed25519:BASE64") for a vendor; *ret_key_id. */
int program_key_register(struct store *s, const char *vendor_id, const char *public_key, char **ret_key_id,
			 struct program_error *err) CV_WUR;
/* Revokes a key by id: 404 when there is none, or it is revoked already. */
int program_key_revoke(struct store *s, const char *key_id, struct program_error *err) CV_WUR;

/* ---- submissions ---- */

struct program_submission {
	char *id;
	bool accepted;
	struct cv_strv reasons;
	char *config_id; /* created or extended, when accepted */
	bool created;    /* a new configuration, not an extension */
};

/*
 * A vendor submits a signed test log (its bytes).  The signature must be
 * by one of the vendor's registered, unrevoked keys (else 422, nothing
 * recorded); the log is checked against the policy and recorded as
 * accepted (creating or extending the validated configuration it proves,
 * with the log as evidence) or rejected with every reason.  One
 * transaction.
 */
/* A configuration's "evidence" names its latest test logs, this many. */
#define PROGRAM_EVIDENCE_IN_DOC 32

int program_submit(struct store *s, const char *vendor_id, const char *log, size_t len,
		   struct program_submission *ret, struct program_error *err) CV_WUR;
void program_submission_release(struct program_submission *sub);
/*
 * program_submit in its two steps, for a server that records many
 * submissions in one transaction (group commit): check (parse, the
 * signature, the policy's judgement: reads, no transaction, the errors
 * program_submit gives for these) and record (the transaction: a replay's
 * 409, the configuration, the row).  log must outlive the checked
 * submission; a record that failed may not be retried with it.
 */
struct program_submit_checked;
int program_submit_check(struct store *s, const char *vendor_id, const char *log, size_t len,
			 struct program_submit_checked **ret, struct program_error *err) CV_WUR;
int program_submit_record(struct store *s, struct program_submit_checked *c, struct program_submission *ret,
			  struct program_error *err) CV_WUR;
struct program_submit_checked *program_submit_checked_free(struct program_submit_checked *c);

/* Revokes a configuration: by a vendor that validated it, or the owner (vendor_id NULL). */
int program_revoke(struct store *s, const char *config_id, const char *vendor_id, const char *reason,
		   struct program_error *err) CV_WUR;

/* ---- the event log (events.c, docs/monitor.md "Events") ---- */

/* One event; strings are copied, details (a json_t * object, or NULL) is
 * only read.  kind: "machine.drifted", "case.opened" ... (docs/monitor.md). */
struct program_event {
	const char *kind, *customer_id, *machine_id, *machine_name, *case_id;
	const char *vendor_ids; /* vendors who may see it, newline-separated, or NULL */
	const char *summary;    /* one sentence for people */
	const json_t *details;
	int64_t at;             /* epoch seconds; 0: now */
};

/* Records an event and its webhook deliveries; call inside the caller's
 * transaction.  *ret_seq (if given): its place in the log. */
int program_event_emit(struct store *s, const struct program_event *ev, int64_t *ret_seq) CV_WUR;

#endif
