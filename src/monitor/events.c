/*
 * events.c - reading the event log as an actor may (docs/monitor.md,
 * "Events"): the API's lists, a machine's page, the Atom feed.  Scope is
 * decided here once: a customer's administrator reads its customer's
 * events; the owner all (or one customer's); a vendor the events of cases
 * it is on (their vendor_ids name it) and, for a machine it may see (one
 * attached to such a case), that machine's.
 */
#include <jansson.h>

#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

static int event_row(void *userdata, const struct store_event_row *e)
{
	json_t *doc = json_loads(e->doc, 0, NULL);

	if (!doc)
		return 0; /* written by program_event_emit: never, but never fatal */
	json_object_set_new(doc, "seq", json_integer(e->seq));
	json_array_append_new(userdata, doc);
	return 0;
}

int monitor_events_list(struct store *s, const struct program_auth *who, const struct monitor_event_filter *f,
			json_t **ret, struct program_error *err)
{
	struct store_event_query q = { .customer_id = f->customer_id, .machine_id = f->machine_id,
				       .case_id = f->case_id, .after = f->after, .limit = f->limit,
				       .offset = f->after >= 0 ? 0 : f->offset };
	json_t *items = json_array();
	int64_t total = 0, last = f->after;
	int r;

	if (who->customer_id) {
		if (f->customer_id && strcmp(f->customer_id, who->customer_id) != 0) {
			program_error_set(err, 403, "forbidden", "customer: a customer's administrator reads its own events");
			r = -EPERM;
			goto fail;
		}
		q.customer_id = who->customer_id;
		if (f->machine_id && (r = monitor_machine_visible(s, who, f->machine_id, err)) < 0)
			goto fail;
	} else if (!who->admin) {
		if (!who->vendor_id) {
			program_error_set(err, 403, "forbidden", "events are read by customers, the owner and vendors");
			r = -EPERM;
			goto fail;
		}
		/* Only events naming the vendor (its cases'), and of a machine
		 * it may see, the machine's own events too: never the events
		 * of another vendor's case with that machine. */
		q.vendor_id = who->vendor_id;
		if (f->machine_id) {
			if ((r = monitor_machine_visible(s, who, f->machine_id, err)) < 0)
				goto fail;
			q.machine_events = true;
		}
	} else if (f->machine_id && (r = monitor_machine_visible(s, who, f->machine_id, err)) < 0)
		goto fail;
	r = store_event_count(s, &q, &total);
	if (r == 0)
		r = store_event_list(s, &q, event_row, items);
	if (r < 0) {
		monitor_store_error(s, r, "reading the events", err);
		goto fail;
	}
	if (f->after >= 0 && json_array_size(items))
		last = json_integer_value(json_object_get(json_array_get(items, json_array_size(items) - 1), "seq"));
	*ret = json_pack("{s:I, s:I, s:o}", "total", (json_int_t)total, "limit", (json_int_t)f->limit, "items", items);
	if (f->after >= 0) {
		json_object_set_new(*ret, "after", json_integer(f->after));
		json_object_set_new(*ret, "next_after", json_integer(last));
	} else
		json_object_set_new(*ret, "offset", json_integer(f->offset));
	return 0;
fail:
	json_decref(items);
	return r;
}
