/*
 * events.c - the program's event log (docs/monitor.md, "Events"): what
 * monitoring (a machine drifted, went quiet, crossed a threshold) and
 * support (a case opened, engaged, noted, breached its SLA) tell people.
 * Both modules write events here, so an event has one shape wherever it
 * comes from and whoever reads it (the API, the Atom feed, webhooks).
 * The event and its webhook deliveries are one write (store_event_add),
 * made inside the caller's transaction.
 */
#include <jansson.h>
#include <sodium.h>

#include "covalid/program.h"
#include "covalid/store.h"
#include "util/cv.h"

int program_event_emit(struct store *s, const struct program_event *ev, int64_t *ret_seq)
{
	uint8_t raw[8];
	char hex[17], at[32], *id = NULL, *doc = NULL;
	int64_t when = ev->at ? ev->at : (int64_t)time(NULL);
	json_t *j = NULL;
	int r;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	id = cv_xasprintf("ev-%s", hex);
	cv_time_iso8601(when, at, sizeof(at));
	j = json_pack("{s:s, s:s, s:s, s:s}", "schema", "covalid.event/1", "id", id, "kind", ev->kind, "at", at);
	if (!j) {
		r = -ENOMEM;
		goto out;
	}
	if (ev->customer_id)
		json_object_set_new(j, "customer", json_string(ev->customer_id));
	if (ev->machine_id)
		json_object_set_new(j, "machine",
				    json_pack("{s:s, s:s?}", "id", ev->machine_id, "name", ev->machine_name));
	if (ev->case_id)
		json_object_set_new(j, "case", json_string(ev->case_id));
	json_object_set_new(j, "summary", json_string(ev->summary ? ev->summary : ev->kind));
	/* jansson has no const: the object is only referenced, never changed. */
	json_object_set_new(j, "details", ev->details ? json_incref((json_t *)ev->details) : json_object());
	doc = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!doc) {
		r = -ENOMEM;
		goto out;
	}
	r = store_event_add(s,
			    &(struct store_event_row){ .id = id, .at = at, .kind = ev->kind, .customer_id = ev->customer_id,
						       .machine_id = ev->machine_id, .case_id = ev->case_id,
						       .vendor_ids = ev->vendor_ids, .doc = doc },
			    time(NULL), ret_seq);
out:
	json_decref(j);
	free(doc);
	free(id);
	return r;
}
