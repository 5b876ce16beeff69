/*
 * view.c - who sees what of a case (docs/support.md, "Visibility"), and
 * its SLA clocks.  Every answer about a case is built here from the whole
 * document, by leaving out what the actor's relation may not see; nothing
 * else in covalid hands a case document out.
 *
 *   customer   the case, its public notes and public events
 *   opened     all of it but another organisation's internal notes
 *   engaged    (a request to it requested, accepted or working) summary,
 *              description, descriptor, configuration, its own
 *              entitlement and collaboration, shared notes and its own
 *   owner      the summary and SLA state only
 *   none       nothing: the case does not exist for them (404)
 */
#include <jansson.h>

#include "covalid/support.h"
#include "support/support-internal.h"
#include "util/cv.h"

int64_t support_clock_offset;

int64_t support_now(void)
{
	return (int64_t)time(NULL) + support_clock_offset;
}

char *support_org(const struct program_auth *who)
{
	if (who->admin)
		return cv_xstrdup("owner");
	if (who->customer_id)
		return cv_xasprintf("customer:%s", who->customer_id);
	return cv_xasprintf("vendor:%s", who->vendor_id ? who->vendor_id : "?");
}

json_t *support_actor_json(const struct program_auth *who)
{
	char *org = support_org(who);
	json_t *a = json_pack("{s:s, s:o, s:s, s:s}", "org", org, "name", who->name ? json_string(who->name) : json_null(),
			      "role", program_role_name(who->role), "token", who->token_id ? who->token_id : "-");

	free(org);
	return a;
}

json_t *support_collaboration(json_t *c, const char *key, const char *value, const char *states)
{
	size_t i;
	json_t *col;

	json_array_foreach(json_object_get(c, "collaborations"), i, col)
		if ((!value || cv_streq(json_string_value(json_object_get(col, key)), value)) &&
		    (!states || cv_word_in(states, json_string_value(json_object_get(col, "state")))))
			return col;
	return NULL;
}

enum support_relation support_relation(const struct program_auth *who, json_t *c)
{
	if (who->admin)
		return REL_OWNER;
	if (who->customer_id)
		return cv_streq(who->customer_id, json_string_value(json_object_get(c, "customer"))) ? REL_CUSTOMER
												      : REL_NONE;
	if (!who->vendor_id)
		return REL_NONE;
	if (cv_streq(who->vendor_id, json_string_value(json_object_get(c, "vendor"))))
		return REL_OPENED;
	/* Engaged only while a request to it is open: a vendor that declined,
	 * or whose part is done, is no party to the case any more, and the
	 * case is as gone for it as for a stranger (404).  A new request
	 * engages it again. */
	return support_collaboration(c, "vendor", who->vendor_id, COLLAB_OPEN) ? REL_ENGAGED : REL_NONE;
}

/* ---- SLA ---- */

static int64_t at(json_t *o, const char *key)
{
	int64_t t;

	return cv_time_parse(json_string_value(json_object_get(o, key)), &t) < 0 ? -1 : t;
}

static json_t *iso(int64_t t)
{
	char b[32];

	if (t < 0)
		return json_null();
	cv_time_iso8601(t, b, sizeof(b));
	return json_string(b);
}

/* {"due", "met_at", "state": met | pending | breached} */
static json_t *sla_clock(int64_t due, int64_t met, int64_t now)
{
	const char *state = met >= 0 ? (met <= due ? "met" : "breached") : (now <= due ? "pending" : "breached");

	return json_pack("{s:o, s:o, s:s}", "due", iso(due), "met_at", iso(met), "state", state);
}

static bool active(const char *state)
{
	return cv_word_in("new in-progress engaged", state);
}

/* A clock still running or run out unmet: its due time, else -1. */
static int64_t open_due(json_t *clock)
{
	const char *st = json_string_value(json_object_get(clock, "state"));
	int64_t t;

	if (!json_is_object(clock) || !json_is_null(json_object_get(clock, "met_at")) || !cv_word_in("pending breached", st))
		return -1;
	return cv_time_parse(json_string_value(json_object_get(clock, "due")), &t) < 0 ? -1 : t;
}

/*
 * The clock that comes due first among those not met (a breached one
 * came due already): {"clock", "due", "state", "vendor"?}, or null when
 * none runs.  Sorting by SLA urgency is sorting by its due; a page says
 * "response due in 2 h" or "breached 40 min ago" from it.
 */
static json_t *next_clock(json_t *sla)
{
	static const char *const clocks[] = { "first_response", "next_update" };
	json_t *best = NULL, *col;
	int64_t best_due = -1, due;
	size_t i;

	for (i = 0; i < CV_ELEMENTSOF(clocks); i++) {
		due = open_due(json_object_get(sla, clocks[i]));
		if (due >= 0 && (best_due < 0 || due < best_due)) {
			json_decref(best);
			best_due = due;
			best = json_pack("{s:s, s:O, s:O}", "clock", clocks[i], "due",
					 json_object_get(json_object_get(sla, clocks[i]), "due"), "state",
					 json_object_get(json_object_get(sla, clocks[i]), "state"));
		}
	}
	json_array_foreach(json_object_get(sla, "collaborations"), i, col) {
		due = open_due(json_object_get(col, "response"));
		if (due >= 0 && (best_due < 0 || due < best_due)) {
			json_decref(best);
			best_due = due;
			best = json_pack("{s:s, s:O, s:O, s:O}", "clock", "collaboration", "due",
					 json_object_get(json_object_get(col, "response"), "due"), "state",
					 json_object_get(json_object_get(col, "response"), "state"), "vendor",
					 json_object_get(col, "vendor"));
		}
	}
	return best ? best : json_null();
}

json_t *support_sla(json_t *c, const struct support_policy *p, int64_t now)
{
	const char *level = json_string_value(json_object_get(c, "level"));
	const char *state = json_string_value(json_object_get(c, "state"));
	int sev = (int)json_integer_value(json_object_get(c, "severity"));
	int64_t created = at(c, "created_at"), first = at(c, "first_response_at"), last = at(c, "last_vendor_update_at");
	json_t *sla = json_object(), *cols = json_array(), *col;
	bool breached;
	size_t i;

	json_object_set_new(sla, "level", json_string(level ? level : "standard"));
	json_object_set_new(sla, "first_response",
			    sla_clock(created + support_policy_seconds(p, "first_response_s", level, sev), first, now));
	if (first >= 0 && active(state)) {
		int64_t since = last > first ? last : first;

		json_object_set_new(sla, "next_update",
				    sla_clock(since + support_policy_seconds(p, "next_update_s", level, sev), -1, now));
	} else
		json_object_set_new(sla, "next_update", json_null());
	json_array_foreach(json_object_get(c, "collaborations"), i, col) {
		int64_t req = at(col, "requested_at"), resp = at(col, "responded_at");

		json_array_append_new(cols, json_pack("{s:O, s:O, s:o}", "id", json_object_get(col, "id"), "vendor",
						      json_object_get(col, "vendor"),
						      "response", sla_clock(req + support_policy_seconds(p, "collaboration", NULL, sev),
									resp, now)));
	}
	json_object_set_new(sla, "collaborations", cols);
	json_object_set_new(sla, "next", next_clock(sla));
	/* A clock of a finished case no longer runs: only a breach that
	 * happened counts. */
	breached = cv_streq(json_string_value(json_object_get(json_object_get(sla, "first_response"), "state")), "breached") ||
		   cv_streq(json_string_value(json_object_get(json_object_get(sla, "next_update"), "state")), "breached");
	json_array_foreach(cols, i, col)
		breached |= cv_streq(json_string_value(json_object_get(json_object_get(col, "response"), "state")), "breached");
	json_object_set_new(sla, "breached", json_boolean(breached));
	return sla;
}

/* ---- the view ---- */

static bool note_visible(json_t *n, enum support_relation rel, const char *org)
{
	const char *vis = json_string_value(json_object_get(n, "visibility"));
	const char *author = json_string_value(json_object_get(json_object_get(n, "author"), "org"));

	switch (rel) {
	case REL_CUSTOMER:
		return cv_streq(vis, "public");
	case REL_OPENED:
		return !cv_streq(vis, "internal") || cv_streq(author, org);
	case REL_ENGAGED:
		return cv_streq(vis, "shared") || cv_streq(author, org);
	default:
		return false;
	}
}

/* Authors are named by organisation, user and role: the token they used
 * is for the audit trail in the database, not for other parties. */
json_t *support_entry_view(json_t *entry)
{
	json_t *x = json_deep_copy(entry);

	json_object_del(json_object_get(x, "author"), "token");
	return x;
}

/* The visible entries from offset, at most limit; *ret_total: how many are visible. */
static json_t *filtered(json_t *list, enum support_relation rel, const char *org, int64_t offset, int64_t limit,
			int64_t *ret_total)
{
	json_t *out = json_array(), *x;
	int64_t seen = 0;
	size_t i;

	json_array_foreach(list, i, x) {
		if (!note_visible(x, rel, org))
			continue;
		if (seen >= offset && seen - offset < limit)
			json_array_append_new(out, support_entry_view(x));
		seen++;
	}
	if (ret_total)
		*ret_total = seen;
	return out;
}

json_t *support_notes(json_t *c, enum support_relation rel, const struct program_auth *who, int64_t offset,
		      int64_t limit, int64_t *ret_total)
{
	char *org = support_org(who);
	json_t *out = filtered(json_object_get(c, "notes"), rel, org, offset, limit, ret_total);

	free(org);
	return out;
}

/*
 * What the customer must not read in the numbers of a case: note ids
 * (note_7) and event sequence numbers count every party's entries, its
 * internal notes too, so a gap would tell the customer that something
 * was written it may not see.  Its notes carry no id (it never names a
 * note), its events are numbered as it sees them (1, 2, 3: they never
 * change visibility, so the numbers hold), and an event names no note.
 */
void support_customer_numbers(json_t *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(v, "notes"), i, x)
		json_object_del(x, "id");
	json_array_foreach(json_object_get(v, "items"), i, x)
		json_object_del(x, "id");
	json_object_del(json_object_get(v, "note"), "id");
	json_array_foreach(json_object_get(v, "events"), i, x) {
		json_object_set_new(x, "seq", json_integer((json_int_t)i + 1));
		json_object_del(json_object_get(x, "detail"), "note");
	}
}

/*
 * When the case last changed as the customer sees it: its public events,
 * and the engaging and answers whose effect on the collaborations it
 * sees; not a vendor's internal or shared note.
 */
static json_t *customer_updated(json_t *c)
{
	const char *last = json_string_value(json_object_get(c, "created_at")), *at, *action;
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(c, "events"), i, e) {
		at = json_string_value(json_object_get(e, "at"));
		action = json_string_value(json_object_get(e, "action"));
		if (at && (!last || strcmp(at, last) > 0) &&
		    (cv_streq(json_string_value(json_object_get(e, "visibility")), "public") ||
		     cv_word_in("engage collaboration", action)))
			last = at;
	}
	return last ? json_string(last) : json_null();
}

/*
 * The vendors the one the case was opened with may engage now, as
 * act_engage() decides it: an open case of a validated configuration,
 * another vendor the customer is entitled with, not engaged already.
 */
static json_t *engageable(json_t *c)
{
	json_t *out = json_array(), *ent;
	const char *vendor;

	if (!json_is_true(json_object_get(json_object_get(c, "configuration"), "cooperative")) ||
	    !cv_word_in(SUPPORT_CASE_OPEN, json_string_value(json_object_get(c, "state"))))
		return out;
	json_object_foreach(json_object_get(c, "entitlement"), vendor, ent)
		if (!cv_streq(vendor, json_string_value(json_object_get(c, "vendor"))) &&
		    json_is_true(json_object_get(ent, "entitled")) && !support_collaboration(c, "vendor", vendor, COLLAB_OPEN))
			json_array_append_new(out, json_string(vendor));
	return out;
}

json_t *support_view(json_t *c, enum support_relation rel, const struct program_auth *who,
		     const struct support_policy *p, int64_t now, bool summary)
{
	static const char *const summary_keys[] = { "id", "title", "severity", "state", "customer", "customer_name",
						    "vendor", "created_at", "updated_at", "version" };
	char *org = support_org(who);
	json_t *v = json_object(), *cols, *col, *ent;
	int64_t total;
	size_t i;

	for (i = 0; i < CV_ELEMENTSOF(summary_keys); i++)
		if (json_object_get(c, summary_keys[i]))
			json_object_set(v, summary_keys[i], json_object_get(c, summary_keys[i]));
	json_object_set_new(v, "verdict", json_string(json_string_value(
						  json_object_get(json_object_get(c, "configuration"), "verdict"))));
	json_object_set_new(v, "sla", support_sla(c, p, now));
	cols = json_array();
	json_array_foreach(json_object_get(c, "collaborations"), i, col) {
		if (rel == REL_ENGAGED && !cv_streq(json_string_value(json_object_get(col, "vendor")), who->vendor_id))
			continue;
		if (rel == REL_CUSTOMER || rel == REL_OWNER) {
			/* That another vendor is engaged, and how far: not what
			 * the vendors wrote to each other about it. */
			col = json_deep_copy(col);
			json_object_del(col, "reason");
			json_object_del(col, "decline_reason");
			json_array_append_new(cols, col);
		} else
			json_array_append(cols, col);
	}
	json_object_set_new(v, "collaborations", cols);
	if (rel == REL_ENGAGED) { /* its own clock only */
		json_t *clocks = json_object_get(json_object_get(v, "sla"), "collaborations"), *mine = json_array(), *x;

		json_array_foreach(clocks, i, x)
			if (cv_streq(json_string_value(json_object_get(x, "vendor")), who->vendor_id))
				json_array_append(mine, x);
		json_object_set_new(json_object_get(v, "sla"), "collaborations", mine);
		json_object_set_new(json_object_get(v, "sla"), "next", next_clock(json_object_get(v, "sla")));
	}
	if (rel == REL_CUSTOMER) { /* they count every party's changes, internal notes too */
		json_object_del(v, "version");
		json_object_set_new(v, "updated_at", customer_updated(c));
	}
	if (summary || rel == REL_OWNER)
		goto out;

	json_object_set(v, "description", json_object_get(c, "description"));
	json_object_set(v, "descriptor", json_object_get(c, "descriptor"));
	/* The monitored machine it was opened with: whoever sees the case's
	 * descriptor may see that machine (docs/monitor.md, "What each party sees"). */
	if (json_object_get(c, "machine"))
		json_object_set(v, "machine", json_object_get(c, "machine"));
	/* What the customer stated of the host, which the check and the
	 * entitlement took on its word: every party to the case sees it. */
	json_object_set(v, "host_version",
			json_object_get(c, "host_version") ? json_object_get(c, "host_version") : json_null());
	json_object_set(v, "configuration", json_object_get(c, "configuration"));
	ent = json_object_get(c, "entitlement");
	if (rel == REL_ENGAGED)
		json_object_set_new(v, "entitlement", json_pack("{s:O*}", who->vendor_id, json_object_get(ent, who->vendor_id)));
	else {
		json_object_set(v, "entitlement", ent);
		json_object_set_new(v, "per_call", json_boolean(json_is_true(json_object_get(c, "per_call"))));
		json_object_set(v, "per_call_charge", json_object_get(c, "per_call_charge"));
		json_object_set(v, "resolution", json_object_get(c, "resolution"));
	}
	if (rel == REL_ENGAGED)
		json_object_set(v, "resolution", json_object_get(c, "resolution"));
	/* Notes a page at a time (a case may hold 8 MiB of them); events are
	 * a line each. */
	json_object_set_new(v, "notes", filtered(json_object_get(c, "notes"), rel, org, 0, SUPPORT_NOTES_PAGE, &total));
	json_object_set_new(v, "notes_total", json_integer(total));
	json_object_set_new(v, "events", filtered(json_object_get(c, "events"), rel, org, 0, INT64_MAX, NULL));
	if (rel == REL_CUSTOMER)
		support_customer_numbers(v);
	if (rel == REL_OPENED)
		json_object_set_new(v, "engageable", engageable(c));
	if (json_is_object(json_object_get(v, "resolution"))) {
		json_t *res = json_deep_copy(json_object_get(v, "resolution"));

		json_object_del(json_object_get(res, "by"), "token");
		json_object_set_new(v, "resolution", res);
	}
out:
	free(org);
	return v;
}
