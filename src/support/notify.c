/*
 * notify.c - what support tells people through the event log
 * (docs/webhooks.md, "Case events"): a case opened, its state moved, a
 * vendor engaged, a note the customer can see, an SLA clock breached.
 * Each is recorded with program_event_emit() inside the transaction that
 * writes the case, so the event and the change are one write; the
 * customer's webhooks and feed get it, and the vendors of the case (its
 * own and those engaged) may list it.
 *
 * An event says what happened and where to look, never what a party may
 * not see: a note's event names the note and its author's organisation,
 * not its text (the owner's webhooks get every event, and the owner takes
 * no part in cases).
 */
#include <jansson.h>

#include "covalid/store.h"
#include "covalid/support.h"
#include "support/support-internal.h"
#include "util/cv.h"

/* The case's vendor and those with an open request on it, newline-separated. */
static char *vendors_of(json_t *c)
{
	struct cv_buf b;
	size_t i;
	json_t *col;

	cv_buf_init(&b, 64 * 1024);
	(void)!cv_buf_puts(&b, json_string_value(json_object_get(c, "vendor")));
	json_array_foreach(json_object_get(c, "collaborations"), i, col)
		if (cv_word_in(COLLAB_OPEN, json_string_value(json_object_get(col, "state"))))
			(void)!cv_buf_printf(&b, "\n%s", json_string_value(json_object_get(col, "vendor")));
	return cv_buf_detach(&b, NULL);
}

static int emit(struct store *s, json_t *c, const char *kind, const char *summary, json_t *details, int64_t now)
{
	char *vendors = vendors_of(c);
	json_t *title = json_object_get(c, "title");
	int r;

	json_object_set(details, "title", title ? title : json_null());
	r = program_event_emit(s,
			       &(struct program_event){ .kind = kind,
							.customer_id = json_string_value(json_object_get(c, "customer")),
							.case_id = json_string_value(json_object_get(c, "id")),
							/* A case opened with a monitored machine: its events are the machine's too. */
							.machine_id = json_string_value(json_object_get(c, "machine")),
							.vendor_ids = vendors, .summary = summary, .details = details, .at = now },
			       NULL);
	json_decref(details);
	free(vendors);
	return r;
}

int support_notify_opened(struct store *s, json_t *c, int64_t now)
{
	char *summary = cv_xasprintf("Case %s opened with %s (severity %lld)", json_string_value(json_object_get(c, "id")),
				     json_string_value(json_object_get(c, "vendor")),
				     (long long)json_integer_value(json_object_get(c, "severity")));
	int r = emit(s, c, "case.opened", summary,
		     json_pack("{s:O, s:O, s:O, s:O}", "vendor", json_object_get(c, "vendor"), "severity",
			       json_object_get(c, "severity"), "state", json_object_get(c, "state"), "verdict",
			       json_object_get(json_object_get(c, "configuration"), "verdict")),
		     now);

	free(summary);
	return r;
}

int support_notify_change(struct store *s, json_t *c, const char *from, enum support_case_action action, int64_t now)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	const char *to = json_string_value(json_object_get(c, "state"));
	char *summary;
	int r = 0;

	if (action == SUPPORT_ACT_ENGAGE) {
		json_t *cols = json_object_get(c, "collaborations");
		json_t *col = json_array_get(cols, json_array_size(cols) - 1);

		summary = cv_xasprintf("%s engaged %s on case %s", json_string_value(json_object_get(c, "vendor")),
				       json_string_value(json_object_get(col, "vendor")), id);
		r = emit(s, c, "case.engaged", summary,
			 json_pack("{s:O, s:O, s:O}", "vendor", json_object_get(col, "vendor"), "collaboration",
				   json_object_get(col, "id"), "by", json_object_get(c, "vendor")),
			 now);
		free(summary);
	}
	if (r == 0 && action == SUPPORT_ACT_NOTE) {
		json_t *notes = json_object_get(c, "notes");
		json_t *n = json_array_get(notes, json_array_size(notes) - 1);

		/* Only what the customer can see is news for the customer. */
		if (cv_streq(json_string_value(json_object_get(n, "visibility")), "public")) {
			const char *org = json_string_value(json_object_get(json_object_get(n, "author"), "org"));
			size_t i, number = 0;
			json_t *x;

			/* Numbered among the public notes, as the customer sees
			 * them: its id (note_7) counts the internal ones too. */
			json_array_foreach(notes, i, x)
				number += cv_streq(json_string_value(json_object_get(x, "visibility")), "public");
			summary = cv_xasprintf("New note on case %s from %s", id, org ? org : "?");
			r = emit(s, c, "case.note", summary,
				 json_pack("{s:I, s:s?, s:s}", "public_note", (json_int_t)number, "author", org, "visibility",
					   "public"),
				 now);
			free(summary);
		}
	}
	if (r == 0 && !cv_streq(from, to)) {
		summary = cv_xasprintf("Case %s is %s (was %s)", id, to, from);
		r = emit(s, c, "case.state", summary, json_pack("{s:s, s:s}", "from", from, "to", to), now);
		free(summary);
	}
	return r;
}

/* ---- SLA breaches: once per case per clock ---- */

struct seen {
	json_t *keys; /* the clocks already told, as "clock due collaboration" */
};

static char *clock_key(const char *clock, const char *due, const char *collaboration)
{
	return cv_xasprintf("%s %s %s", clock, due ? due : "-", collaboration ? collaboration : "-");
}

static int seen_cb(void *userdata, const char *id, const char *doc)
{
	struct seen *sn = userdata;
	json_t *j = json_loads(doc, 0, NULL), *d = json_object_get(j, "details");
	char *k;

	(void)id;
	k = clock_key(json_string_value(json_object_get(d, "clock")), json_string_value(json_object_get(d, "due")),
		      json_string_value(json_object_get(d, "collaboration")));
	json_object_set_new(sn->keys, k, json_true());
	free(k);
	json_decref(j);
	return 0;
}

static int breach(struct store *s, json_t *c, json_t *seen, const char *clock, json_t *state, const char *collaboration,
		  const char *vendor, int64_t now)
{
	const char *due = json_string_value(json_object_get(state, "due"));
	char *key, *summary;
	int r;

	if (!cv_streq(json_string_value(json_object_get(state, "state")), "breached"))
		return 0;
	key = clock_key(clock, due, collaboration);
	if (json_object_get(seen, key)) {
		free(key);
		return 0;
	}
	summary = collaboration ? cv_xasprintf("Case %s: %s's response to the collaboration request was due %s",
					       json_string_value(json_object_get(c, "id")), vendor, due)
				: cv_xasprintf("Case %s: the %s was due %s", json_string_value(json_object_get(c, "id")),
					       cv_streq(clock, "first_response") ? "first response" : "next update", due);
	r = emit(s, c, "case.sla-breach", summary,
		 json_pack("{s:s, s:s?, s:s?, s:s?}", "clock", clock, "due", due, "collaboration", collaboration, "vendor",
			   vendor),
		 now);
	if (r == 0)
		json_object_set_new(seen, key, json_true());
	free(summary);
	free(key);
	return r;
}

static int collect_case(void *userdata, const struct store_case_row *row)
{
	json_t *c = json_loads(row->doc, 0, NULL);

	if (c)
		json_array_append_new(userdata, c);
	return 0;
}

int support_sla_events(struct store *s, int64_t now)
{
	static const char *const open_states[] = { "new", "in-progress", "waiting-on-customer", "engaged" };
	struct support_policy *p = NULL;
	json_t *cases = json_array(), *c, *col;
	size_t i, k;
	int r = support_policy_load(s, &p, NULL);

	if (r < 0) {
		json_decref(cases);
		return r;
	}
	r = store_begin(s);
	if (r < 0)
		goto out;
	for (i = 0; i < CV_ELEMENTSOF(open_states) && r == 0; i++)
		r = store_case_list(s, NULL, NULL, open_states[i], 0, 0, collect_case, cases);
	json_array_foreach(cases, i, c) {
		struct seen sn = { json_object() };
		json_t *sla;

		if (r < 0)
			break;
		sla = support_sla(c, p, now);
		if (!json_is_true(json_object_get(sla, "breached"))) {
			json_decref(sla);
			json_decref(sn.keys);
			continue;
		}
		r = store_event_case_list(s, json_string_value(json_object_get(c, "id")), "case.sla-breach", seen_cb, &sn);
		if (r == 0)
			r = breach(s, c, sn.keys, "first_response", json_object_get(sla, "first_response"), NULL, NULL, now);
		if (r == 0)
			r = breach(s, c, sn.keys, "next_update", json_object_get(sla, "next_update"), NULL, NULL, now);
		json_array_foreach(json_object_get(sla, "collaborations"), k, col)
			if (r == 0)
				r = breach(s, c, sn.keys, "collaboration", json_object_get(col, "response"),
					   json_string_value(json_object_get(col, "id")),
					   json_string_value(json_object_get(col, "vendor")), now);
		json_decref(sla);
		json_decref(sn.keys);
	}
	if (r == 0)
		r = store_commit(s);
	if (r < 0)
		store_rollback(s);
out:
	support_policy_free(p);
	json_decref(cases);
	return r;
}
