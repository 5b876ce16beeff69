/*
 * covalid/support.h - cooperative support (docs/support.md): customers
 * and their agreements with the program's vendors, entitlement, cases
 * opened with either vendor, collaboration requests that engage the other,
 * notes by visibility, states, SLA clocks and the audit trail.
 *
 * Like covalid/program.h these know nothing of HTTP: each takes a store,
 * the acting user (struct program_auth) and JSON, returns JSON, and on
 * failure fills a struct program_error with the HTTP status to give.
 * Every write is one transaction; a case is one versioned document, so
 * concurrent writers never lose an update (a stale expected version is a
 * 409).  What an actor may see is decided here, once, in support_case_view().
 */
#ifndef COVALID_SUPPORT_H
#define COVALID_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "covalid/program.h"

struct store;
struct check_index;

/* ---- the support policy: entitlement rules, SLA targets ---- */

struct support_policy;

int support_policy_parse(const char *text, struct support_policy **ret, struct program_error *err) CV_WUR;
struct support_policy *support_policy_free(struct support_policy *p);
/* The store's, or the built-in default (data/support-policy.json). */
int support_policy_load(struct store *s, struct support_policy **ret, struct program_error *err) CV_WUR;
const char *support_policy_default(void);
/* Checks text as support_policy_parse does and, if it passes, makes it the
 * store's policy (the owner's: PUT /api/v1/admin/support-policy). */
int support_policy_store(struct store *s, const char *text, struct program_error *err) CV_WUR;
/* The policy as its JSON document (json_t *), as parsed: owned by p, so
 * json_incref it to keep it past support_policy_free(p). */
json_t *support_policy_document(const struct support_policy *p);

/*
 * What entitlement is decided on: the customer's agreements, the machine
 * and what the customer said when opening the case.  All json_t *, owned
 * by the caller.
 */
struct support_claim {
	const json_t *agreements; /* array of the customer's agreement documents */
	/* The descriptor; its hypervisor.version counts only when a person
	 * stated it (version_source "stated": a guest cannot see its host's
	 * product release). */
	const json_t *descriptor;
	/* The catalog configurations the machine matches (the check's
	 * "matches": {guest, hypervisor: {product, version}}), or NULL: the
	 * releases of guest and host in the catalog's words. */
	const json_t *matches;
	bool per_call;          /* the customer will buy per-call support */
	int64_t now;            /* the day, epoch seconds */
};

/*
 * Whether the customer is entitled to support from a vendor for the
 * machine (docs/support.md, "Agreements and entitlement").  Returns a new
 * json_t *: {"vendor", "entitled", "agreement", "rule", "level", "charge",
 * "per_call_stated", "reasons": [...]} - the reasons say, rule by rule,
 * why not.
 */
json_t *support_entitlement(const struct support_policy *p, const char *vendor_id, const struct support_claim *claim);

/* ---- customers and agreements (the owner's) ---- */

int support_customer_add(struct store *s, const char *name, const char *id, char **ret_id,
			 struct program_error *err) CV_WUR;
/* An agreement document (json_t *): customer, vendor, kind, level,
 * valid_from, valid_to, covers.  Checked, given an id, stored. */
int support_agreement_add(struct store *s, const json_t *doc, char **ret_id, struct program_error *err) CV_WUR;

/* ---- cases ---- */

/*
 * The bounds of one case (docs/support.md, "Limits"): every change reads
 * and writes the whole case, so what one case may hold is what one write
 * may cost, and the database's one writer waits for it (a note on a case
 * with 8 MiB of notes took 0.4 s here; with 2 MiB, about a quarter).  A note above SUPPORT_NOTE_MAX bytes is a 413; a note past
 * either bound of the case a 409 "case_full" (the case can still move on).
 * A case's view holds its first SUPPORT_NOTES_PAGE notes; the others are
 * read a page at a time (support_case_notes).
 */
#define SUPPORT_NOTE_MAX (64 * 1024)
#define SUPPORT_CASE_NOTES_MAX 1000
#define SUPPORT_CASE_NOTE_BYTES_MAX (2 * 1024 * 1024)
#define SUPPORT_NOTES_PAGE 50

/* A case's states (docs/support.md), as space-separated words for
 * cv_word_in(): those in which it is open, and all of them. */
#define SUPPORT_CASE_OPEN "new in-progress waiting-on-customer engaged"
#define SUPPORT_CASE_STATES SUPPORT_CASE_OPEN " resolved closed"

/*
 * Opens a case: a customer's administrator, with a vendor of the program,
 * for a machine.  body (json_t *): vendor, severity (1-4), title,
 * description, descriptor; or "machine", one of the customer's monitored
 * machines (docs/monitor.md), whose stored descriptor is used when none
 * is given and which the case records (its vendors may then see the
 * machine).  The configuration is checked against ix (the
 * catalog) and the entitlement with every vendor computed; not entitled
 * with the vendor it is opened with: 422 with the reasons.  *ret_view is
 * the case as the opener sees it.
 */
int support_case_open(struct store *s, const struct program_auth *who, const json_t *body, const struct check_index *ix,
		      json_t **ret_view, struct program_error *err) CV_WUR;

/* The case as this actor may see it; 404 if it may not see it at all. */
int support_case_get(struct store *s, const struct program_auth *who, const char *id, json_t **ret_view,
		     struct program_error *err) CV_WUR;

/*
 * A page of the notes of a case this actor may see, in the order they
 * were written: {"case", "version", "total" (the notes it may see),
 * "limit", "offset", "items"}.  404 as support_case_get.
 */
int support_case_notes(struct store *s, const struct program_auth *who, const char *id, int64_t limit,
		       int64_t offset, json_t **ret_page, struct program_error *err) CV_WUR;

/*
 * Which of the cases an actor may see a list holds (GET /api/v1/cases).
 * With only state and paging, the store pages them, newest change first;
 * with q, mine, by_sla, state "open" or several states every case of the actor's is read
 * and judged here, from what the actor may see of it (a search never
 * finds words of a note it may not read), then paged, and the list
 * counts them (*ret_total).
 */
#define SUPPORT_QUERY_MAX 200 /* bytes of q */
struct support_case_query {
	const char *state; /* SUPPORT_CASE_STATES or "open" (any of SUPPORT_CASE_OPEN), comma-separated; NULL: any */
	const char *q;     /* in the id, title or description (case-insensitive), or NULL */
	bool mine;         /* only the cases waiting on the actor's organisation (docs/support.md) */
	bool by_sla;       /* the SLA clock due first (sla.next.due) first; cases with none running last */
	int64_t limit, offset;
};

/* The cases this actor may see (their summaries, with SLA state) that q
 * asks for; *ret_total: how many in all, or -1 when the store paged them
 * (not counted). */
int support_case_list(struct store *s, const struct program_auth *who, const struct support_case_query *q,
		      json_t **ret_items, int64_t *ret_total, struct program_error *err) CV_WUR;

/* The changes a case takes (support_case_act), and what each body holds. */
enum support_case_action {
	SUPPORT_ACT_NOTE,    /* {visibility: public|shared|internal, body} */
	SUPPORT_ACT_STATE,   /* {to: in-progress|waiting-on-customer|resolved|closed|reopened, resolution?} */
	SUPPORT_ACT_ENGAGE,  /* {vendor, reason?}: the owning vendor asks another */
	SUPPORT_ACT_RESPOND, /* {action: accept|decline|working|done, reason?}: to collaboration */
};

/*
 * A change to case id.  version, if not NULL, must be the case's current
 * version, else 409.  collaboration is the request SUPPORT_ACT_RESPOND
 * answers (NULL for the others).  body is the change (above); it may also
 * hold the "version" (every action) and "collaboration" (a response) the
 * HTTP API's bodies admit, but those are the caller's to read and pass:
 * they are not read here.  Each checks the actor's role and relation to
 * the case (403, or 404 where the actor may not know the case exists),
 * records an audit event and returns the case as the actor sees it; but a
 * note returns only {"case", "version", "note"}: a note's answer does not
 * grow with the case.
 */
int support_case_act(struct store *s, const struct program_auth *who, const char *id,
		     enum support_case_action action, const int64_t *version, const char *collaboration,
		     const json_t *body, json_t **ret_view, struct program_error *err) CV_WUR;

/* SLA breaches now, over open cases: first response, next update, collaboration. */
int support_sla_breaches(struct store *s, int64_t *ret_first, int64_t *ret_update, int64_t *ret_collab) CV_WUR;

/*
 * Records a case.sla-breach event (docs/webhooks.md) for every clock of an
 * open case that is breached at now and has not been told yet: once per
 * case and clock (a next-update clock once per due time).  One
 * transaction; the server's deliverer calls it every half minute.
 */
int support_sla_events(struct store *s, int64_t now) CV_WUR;

/*
 * The owner's dashboard at now: {"cases": {"total", "states": [...],
 * "by_vendor": [{"vendor", "states": {state: n}, "total"}]}, "sla": {"days",
 * "open_breached", "breaches": [{"day", "first_response", "next_update",
 * "collaboration"}] (one a UTC day, oldest first, a breach on the day its
 * clock fell due)}}.  days 1 to 366, else -EINVAL.
 */
int support_dashboard(struct store *s, int64_t now, int days, json_t **ret) CV_WUR;

/* Now, in epoch seconds; tests move it with support_clock_offset. */
int64_t support_now(void);
extern int64_t support_clock_offset;

#endif
