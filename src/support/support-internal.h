/*
 * support-internal.h - what the files of src/support share.
 */
#ifndef COVALID_SUPPORT_INTERNAL_H
#define COVALID_SUPPORT_INTERNAL_H

#include <jansson.h>

#include "covalid/support.h"

struct support_policy {
	json_t *doc; /* checked by support_policy_parse */
};

/* What a rule's "covers" names: a part of the machine, or a list of them
 * (any one covered meets the rule). */
enum support_covers {
	SUPPORT_COVERS_GUEST = 1 << 0,
	SUPPORT_COVERS_HYPERVISOR = 1 << 1,
	SUPPORT_COVERS_ANY = 1 << 2,
};

/* "guest", "hypervisor", "any", or a list of them without repeats: their
 * bits; 0 for anything else. */
unsigned support_rule_covers(json_t *covers);
/* "support-agreement", "subscription" or "per-call". */
bool support_agreement_kind_ok(const char *kind);
/* Seconds for "first_response_s" / "next_update_s" at (level, severity),
 * "collaboration" by severity, or "reopen". */
int64_t support_policy_seconds(const struct support_policy *p, const char *what, const char *level, int severity);

/* The parties to a case as an actor relates to it. */
enum support_relation {
	REL_NONE,      /* may not know the case exists */
	REL_OWNER,     /* the program's owner: summaries only */
	REL_CUSTOMER,  /* the customer who opened it */
	REL_OPENED,    /* a user of the vendor it was opened with */
	REL_ENGAGED,   /* a user of a vendor with an open (COLLAB_OPEN) request on it */
};

enum support_relation support_relation(const struct program_auth *who, json_t *c);
/* The first collaboration request of case c whose member key ("id",
 * "vendor") is value (NULL: any) and whose state is one of states
 * (space-separated; NULL: any), or NULL. */
json_t *support_collaboration(json_t *c, const char *key, const char *value, const char *states);
/* A case's open states (the public SUPPORT_CASE_OPEN, by its short name
 * inside src/support); a collaboration's states by what they mean. */
#define COLLAB_OPEN "requested accepted working"
#define COLLAB_TAKEN "accepted working"
/* The case as that relation may see it, with its SLA clocks at now. */
json_t *support_view(json_t *c, enum support_relation rel, const struct program_auth *who,
		     const struct support_policy *p, int64_t now, bool summary);
/* The notes of case c that relation may see, from offset, at most limit
 * of them, as it may see them; *ret_total: how many it may see in all. */
json_t *support_notes(json_t *c, enum support_relation rel, const struct program_auth *who, int64_t offset,
		      int64_t limit, int64_t *ret_total);
/* A customer's view (or notes page, or note answer) v without the numbers
 * that count what it may not see: note ids, event sequence numbers. */
void support_customer_numbers(json_t *v);
/* A note or event as another party sees it: without the author's token id. */
json_t *support_entry_view(json_t *entry);
/* The SLA clocks of a case at now: {first_response, next_update, collaborations[]}. */
json_t *support_sla(json_t *c, const struct support_policy *p, int64_t now);

/* An actor as the audit trail and notes name it. */
json_t *support_actor_json(const struct program_auth *who);
/* "vendor:red-hat", "customer:acme", "owner". */
char *support_org(const struct program_auth *who);

/* ---- events (notify.c): call inside the transaction that writes the case ---- */
/* case.opened for the new case c. */
int support_notify_opened(struct store *s, json_t *c, int64_t now);
/* What action did to case c (its state before: from): case.engaged,
 * case.note (a public note), case.state (the state moved). */
int support_notify_change(struct store *s, json_t *c, const char *from, enum support_case_action action, int64_t now);

#endif
