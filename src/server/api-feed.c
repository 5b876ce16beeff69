/*
 * api-feed.c - the event log as an Atom 1.0 feed (RFC 4287;
 * docs/webhooks.md, "The Atom feed"): GET /api/v1/events.atom, for those
 * who would rather poll than be called.  The same events, scope and token
 * as GET /api/v1/events (monitor_events_list decides who sees what),
 * newest first.
 *
 * Each entry's content is the event's JSON document as text
 * (type="text"): RFC 4287 §4.1.3.3 would have any other non-XML media
 * type, application/json included, Base64-encoded, which no feed reader
 * shows.  Every text is XML-escaped, and characters XML 1.0 cannot carry
 * (controls other than tab and newline) are dropped.
 */
#include <jansson.h>

#include "covalid/monitor.h"
#include "server/server-internal.h"
#include "util/cv.h"

#define A(...) (void)!cv_buf_printf(&b, __VA_ARGS__)

void api_events_atom(struct req *r)
{
	struct monitor_event_filter f = { .customer_id = req_arg(r, "customer"), .after = -1 };
	struct program_error e = { 0 };
	json_t *out = NULL, *items, *ev;
	const char *scope, *updated;
	struct cv_buf b;
	char now[32];
	size_t i;

	if (!req_paging(r, &f.limit, &f.offset))
		return;
	if (monitor_events_list(r->store, &r->auth, &f, &out, &e) < 0) {
		reply_program_error(r, &e);
		program_error_release(&e);
		return;
	}
	items = json_object_get(out, "items");
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	/* The newest event is when the feed last changed (RFC 4287 §4.2.15). */
	updated = json_string_value(json_object_get(json_array_get(items, 0), "at"));
	scope = r->auth.admin ? (f.customer_id ? f.customer_id : "all")
		: r->auth.customer_id ? r->auth.customer_id : r->auth.vendor_id ? r->auth.vendor_id : "none";
	cv_buf_init(&b, 64 * 1024 * 1024);
	A("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
	A("  <id>urn:covalid:events:%s:", r->auth.admin ? "owner" : r->auth.customer_id ? "customer" : "vendor");
	(void)!cv_buf_xml_text(&b, scope);
	A("</id>\n  <title>covalid events: ");
	(void)!cv_buf_xml_text(&b, r->auth.admin && !f.customer_id ? "every customer" : scope);
	A("</title>\n  <updated>");
	(void)!cv_buf_xml_text(&b, updated ? updated : now);
	A("</updated>\n  <author><name>covalid validation program</name></author>\n"
	  "  <link rel=\"self\" href=\"/api/v1/events.atom");
	if (f.customer_id) {
		A("?customer=");
		(void)!cv_buf_xml_text(&b, f.customer_id);
	}
	A("\"/>\n");
	json_array_foreach(items, i, ev) {
		const char *machine = json_string_value(json_object_get(json_object_get(ev, "machine"), "id"));
		const char *kase = json_string_value(json_object_get(ev, "case"));
		char *doc = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);

		A("  <entry>\n    <id>urn:covalid:event:");
		(void)!cv_buf_xml_text(&b, json_string_value(json_object_get(ev, "id")));
		A("</id>\n    <title>");
		(void)!cv_buf_xml_text(&b, json_string_value(json_object_get(ev, "summary")));
		A("</title>\n    <updated>");
		(void)!cv_buf_xml_text(&b, json_string_value(json_object_get(ev, "at")));
		A("</updated>\n    <category scheme=\"urn:covalid:event-kind\" term=\"");
		(void)!cv_buf_xml_text(&b, json_string_value(json_object_get(ev, "kind")));
		A("\"/>\n");
		if (kase || machine) {
			A("    <link href=\"/api/v1/%s/", kase ? "cases" : "machines");
			(void)!cv_buf_xml_text(&b, kase ? kase : machine);
			A("\"/>\n");
		}
		A("    <content type=\"text\">");
		(void)!cv_buf_xml_text(&b, doc);
		A("</content>\n  </entry>\n");
		free(doc);
	}
	A("</feed>\n");
	reply_bytes(r, 200, "application/atom+xml", b.data ? b.data : "", b.len);
	cv_buf_release(&b);
	json_decref(out);
}
