/*
 * api-public.c - what anyone may read: health, metrics, the OpenAPI
 * document, products, configurations with their evidence, the check, and
 * the vendors' views and feeds.
 */
#include <ctype.h>
#include <jansson.h>

#include "covalid/catalog.h"
#include "covalid/check.h"
#include "covalid/descriptor.h"
#include "covalid/program.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "server/server-internal.h"
#include "util/cv.h"

void api_healthz(struct req *r)
{
	char *why = NULL;
	int64_t gen;

	if (server_store_health(r, &why) < 0) {
		reply_error(r, 503, "unavailable", "%s", why ? why : "the database is not usable");
		free(why);
		return;
	}
	if (store_catalog_generation(r->store, &gen) < 0) {
		reply_error(r, 503, "unavailable", "the database does not answer: %s", store_errmsg(r->store));
		return;
	}
	reply_json(r, 200, json_pack("{s:s, s:I}", "status", "ok", "catalog_generation", (json_int_t)gen));
}

void api_metrics(struct req *r)
{
	struct cv_buf b;
	int64_t n = 0;

	cv_buf_init(&b, 16 * 1024 * 1024);
	server_metrics(r->srv, &b);
	if (store_config_count(r->store, NULL, &n) == 0)
		(void)!cv_buf_printf(&b, "# HELP covalid_catalog_configurations Configurations in the catalog.\n"
					 "# TYPE covalid_catalog_configurations gauge\ncovalid_catalog_configurations %lld\n",
				     (long long)n);
	{
		int64_t first, update, collab;

		if (support_sla_breaches(r->store, &first, &update, &collab) == 0)
			(void)!cv_buf_printf(&b,
					     "# HELP covalid_support_sla_breaches Open cases whose SLA clock is breached, by clock.\n"
					     "# TYPE covalid_support_sla_breaches gauge\n"
					     "covalid_support_sla_breaches{clock=\"first_response\"} %lld\n"
					     "covalid_support_sla_breaches{clock=\"next_update\"} %lld\n"
					     "covalid_support_sla_breaches{clock=\"collaboration\"} %lld\n",
					     (long long)first, (long long)update, (long long)collab);
	}
	reply_bytes(r, 200, "text/plain; version=0.0.4", b.data ? b.data : "", b.len);
	cv_buf_release(&b);
}

void api_openapi(struct req *r)
{
	const char *web = server_web_dir(r->srv);
	char *path, *text = NULL;
	size_t len;

	/* The document lives with the web UI: one file, also in docs/. */
	path = cv_xasprintf("%s/openapi.json", web ? web : ".");
	if (cv_read_file(path, 4 * 1024 * 1024, &text, &len) < 0)
		reply_error(r, 404, "not_found", "the OpenAPI document is not installed with this server");
	else
		reply_bytes(r, 200, "application/json", text, len);
	free(text);
	free(path);
}

/* ---- lists ---- */

struct collect {
	json_t *items;
};

static int collect_doc(void *userdata, const char *id, const char *doc)
{
	struct collect *c = userdata;
	json_t *j = json_loads(doc, 0, NULL);

	(void)id;
	if (j)
		json_array_append_new(c->items, j);
	return 0;
}

static bool known_status(struct req *r, const char *status)
{
	enum catalog_status st;

	if (status && catalog_status_parse(status, &st) < 0) {
		reply_error(r, 400, "invalid_parameter", "status: unknown status");
		return false;
	}
	return true;
}

/* The next page's URL (the same query, offset moved on), or null. */
static json_t *next_page(struct req *r, int64_t limit, int64_t offset, int64_t total)
{
	static const char *const keep[] = { "guest", "hypervisor", "vendor", "status", "q" };
	struct cv_buf b;
	json_t *j;

	if (offset + limit >= total)
		return json_null();
	cv_buf_init(&b, 4096);
	(void)!cv_buf_printf(&b, "%s?limit=%lld&offset=%lld", r->path, (long long)limit, (long long)(offset + limit));
	for (size_t i = 0; i < CV_ELEMENTSOF(keep); i++) {
		const char *v = req_arg(r, keep[i]);

		if (!v)
			continue;
		(void)!cv_buf_printf(&b, "&%s=", keep[i]);
		for (const unsigned char *p = (const unsigned char *)v; *p; p++)
			(void)!(isalnum(*p) || strchr("-._~", *p) ? cv_buf_append(&b, p, 1) : cv_buf_printf(&b, "%%%02X", *p));
	}
	j = json_stringn(b.data, b.len);
	cv_buf_release(&b);
	return j ? j : json_null();
}

void api_configurations(struct req *r)
{
	struct store_query q = { .guest = req_arg(r, "guest"), .hypervisor = req_arg(r, "hypervisor"),
				 .vendor = req_arg(r, "vendor"), .status = req_arg(r, "status"), .text = req_arg(r, "q") };
	struct collect c = { json_array() };
	int64_t total = 0;
	char *vendor_name = NULL;

	if (!req_paging(r, &q.limit, &q.offset) || !known_status(r, q.status)) {
		json_decref(c.items);
		return;
	}
	/* An admitted vendor's id stands for its name, which the catalog holds. */
	if (q.vendor && store_vendor_get(r->store, q.vendor, &vendor_name) == 0)
		q.vendor = vendor_name;
	if (store_config_count(r->store, &q, &total) < 0 || store_config_list(r->store, &q, collect_doc, &c) < 0) {
		json_decref(c.items);
		free(vendor_name);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	free(vendor_name);
	reply_json(r, 200, json_pack("{s:I, s:I, s:I, s:o, s:o}", "total", (json_int_t)total, "limit", (json_int_t)q.limit,
				     "offset", (json_int_t)q.offset, "next", next_page(r, q.limit, q.offset, total),
				     "items", c.items));
}

void api_products(struct req *r)
{
	struct store_query q = { .guest = req_arg(r, "q"), .vendor = req_arg(r, "vendor"), .kind = req_arg(r, "kind") };
	struct collect c = { json_array() };

	if (!req_paging(r, &q.limit, &q.offset)) {
		json_decref(c.items);
		return;
	}
	if (q.kind && strcmp(q.kind, "guest_os") != 0 && strcmp(q.kind, "hypervisor") != 0) {
		json_decref(c.items);
		reply_error(r, 400, "invalid_parameter", "kind: guest_os or hypervisor");
		return;
	}
	if (store_product_list(r->store, &q, collect_doc, &c) < 0) {
		json_decref(c.items);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	reply_json(r, 200, json_pack("{s:I, s:I, s:o}", "limit", (json_int_t)q.limit, "offset", (json_int_t)q.offset,
				     "items", c.items));
}

/* The evidence of a configuration: its submissions and their check results. */
static int evidence_row(void *userdata, const struct store_submission_row *row)
{
	json_t *ev = userdata, *log = json_loads(row->log, 0, NULL), *results = json_array(), *x;
	size_t i;

	json_array_foreach(json_object_get(log, "results"), i, x)
		json_array_append_new(results, json_pack("{s:O, s:O, s:O}", "id", json_object_get(x, "id"), "status",
							 json_object_get(x, "status"), "reason", json_object_get(x, "reason")));
	json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:o}", "submission", row->id,
					    "vendor", row->vendor_id, "received_at", row->received_at, "kit_mode",
					    json_object_get(json_object_get(log, "kit"), "mode"), "host",
					    json_object_get(log, "host"), "claim", json_object_get(log, "claim"),
					    "summary", json_object_get(log, "summary"), "results", results));
	json_decref(log);
	return 0;
}

void api_configuration(struct req *r)
{
	char *doc = NULL;
	json_t *c, *ev;
	int rc;

	rc = store_config_get(r->store, r->params[0], &doc);
	if (rc == -ENOENT) {
		reply_error(r, 404, "not_found", "no such configuration");
		return;
	}
	if (rc < 0 || !(c = json_loads(doc, 0, NULL))) {
		free(doc);
		reply_error(r, 500, "internal", "cannot read the configuration");
		return;
	}
	free(doc);
	ev = json_array();
	if (store_submission_list(r->store, NULL, r->params[0], true, 100, 0, evidence_row, ev) < 0) {
		json_decref(ev);
		json_decref(c);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	reply_json(r, 200, json_pack("{s:o, s:o}", "configuration", c, "test_logs", ev));
}

void api_check(struct req *r)
{
	struct descriptor *d = NULL;
	struct check_result *res = NULL;
	struct snapshot *snap;
	char *why = NULL;
	size_t nearest = 3;
	const char *n = req_arg(r, "nearest"), *hv = req_arg(r, "host_version");
	char *hv_owned = NULL;
	json_t *j;

	if (n) {
		uint64_t v;

		if (cv_parse_u64(n, 10, &v) < 0 || v > 20) {
			reply_error(r, 400, "invalid_parameter", "nearest: 0 to 20");
			return;
		}
		nearest = (size_t)v;
	}
	/* Parsed once, checked strictly: an unknown field is a 400 here as on
	 * every route (the file reader tolerates them, for newer probes). */
	if (r->body.len > DESCRIPTOR_MAX_BYTES) {
		reply_error(r, 400, "invalid_descriptor", "descriptor larger than 1 MiB");
		return;
	}
	j = req_body_object(r, NULL, 0);
	if (!j)
		return;
	/* The host's version, where a guest cannot see it: "host_version"
	 * beside the descriptor's fields, or ?host_version=. */
	if (json_object_get(j, "host_version")) {
		hv = json_string_value(json_object_get(j, "host_version"));
		if (!hv) {
			json_decref(j);
			reply_error(r, 400, "invalid_parameter", "host_version: expected a string");
			return;
		}
		hv_owned = cv_xstrdup(hv);
		hv = hv_owned;
		json_object_del(j, "host_version");
	}
	if (descriptor_check_fields(j, &why) < 0 || descriptor_from_jansson(j, &d, &why) < 0) {
		json_decref(j);
		reply_error(r, 400, cv_startswith(why, ".") && strstr(why, "unknown field") ? "unknown_field" : "invalid_descriptor",
			    "%s", why);
		free(why);
		free(hv_owned);
		return;
	}
	json_decref(j);
	if (hv) {
		uint64_t v;

		if (version_parse(hv, &v) < 0 || strlen(hv) > 64) {
			reply_error(r, 400, "invalid_parameter", "host_version: not a version (e.g. 5.4)");
			free(hv_owned);
			descriptor_free(d);
			return;
		}
		descriptor_state_host_version(d, hv);
		free(hv_owned);
	}
	snap = snapshot_get(r);
	if (!snap) {
		descriptor_free(d);
		return;
	}
	if (check_explain(snap->ix, d, nearest, &res) < 0)
		reply_error(r, 500, "internal", "the check failed");
	else {
		j = check_result_to_json(res, d);
		reply_json(r, 200, j);
	}
	check_result_free(res);
	snapshot_put(r->srv, snap);
	descriptor_free(d);
}

/* ---- vendors ---- */

/*
 * Vendors are the program's admitted ones and every name in the catalog's
 * validated_by, by slug: the seed's "Red Hat" is vendor "red-hat" whether
 * or not it was admitted to submit.
 */
struct vendor_set {
	json_t *by_id; /* id -> {id, name, admitted, configurations} */
};

/* The entry of the vendor of that name, if there is one yet. */
static json_t *vendor_by_name(struct vendor_set *v, const char *name)
{
	const char *k;
	json_t *e;

	json_object_foreach(v->by_id, k, e)
		if (cv_streq(json_string_value(json_object_get(e, "name")), name))
			return e;
	return NULL;
}

/* An admitted vendor keeps the id it was given; a name only the catalog
 * knows gets its slug. */
static json_t *vendor_touch(struct vendor_set *v, const char *name, bool admitted, const char *id_given)
{
	json_t *e = id_given ? NULL : vendor_by_name(v, name);
	char *id;

	if (e)
		return e;
	id = id_given ? cv_xstrdup(id_given) : program_vendor_slug(name);
	e = json_object_get(v->by_id, id);

	if (!*id) {
		free(id);
		return NULL;
	}
	if (!e) {
		e = json_pack("{s:s, s:s, s:b, s:i}", "id", id, "name", name, "admitted", admitted, "configurations", 0);
		json_object_set_new(v->by_id, id, e);
	}
	if (admitted)
		json_object_set_new(e, "admitted", json_true());
	free(id);
	return e;
}

static int admitted_row(void *userdata, const char *id, const char *name, const char *created_at)
{
	(void)created_at;
	vendor_touch(userdata, name, true, id);
	return 0;
}

static json_t *vendor_set_build(struct req *r, struct snapshot *snap)
{
	struct vendor_set v = { json_object() };

	if (store_vendor_list(r->store, admitted_row, &v) < 0) {
		json_decref(v.by_id);
		return NULL;
	}
	for (size_t i = 0; i < snap->cat->n_configs; i++) {
		const struct catalog_config *c = snap->cat->configs[i];

		for (size_t k = 0; k < c->validated_by.n; k++) {
			json_t *e = vendor_touch(&v, c->validated_by.v[k], false, NULL);

			if (e)
				json_object_set_new(e, "configurations",
						    json_integer(json_integer_value(json_object_get(e, "configurations")) + 1));
		}
	}
	return v.by_id;
}

void api_vendors(struct req *r)
{
	struct snapshot *snap = snapshot_get(r);
	json_t *set, *items, *e;
	const char *k;

	if (!snap)
		return;
	set = vendor_set_build(r, snap);
	snapshot_put(r->srv, snap);
	if (!set) {
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	items = json_array();
	json_object_foreach(set, k, e)
		json_array_append(items, e);
	json_decref(set);
	reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The vendor and the configurations it validated, or NULL (replied 404). */
static json_t *vendor_feed(struct req *r, json_t **ret_vendor)
{
	struct snapshot *snap = snapshot_get(r);
	json_t *set, *vendor, *items;

	if (!snap)
		return NULL;
	set = vendor_set_build(r, snap);
	vendor = set ? json_object_get(set, r->params[0]) : NULL;
	if (!vendor) {
		snapshot_put(r->srv, snap);
		json_decref(set);
		reply_error(r, 404, "not_found", "no such vendor");
		return NULL;
	}
	items = json_array();
	for (size_t i = 0; i < snap->cat->n_configs; i++) {
		const struct catalog_config *c = snap->cat->configs[i];

		for (size_t k = 0; k < c->validated_by.n; k++) {
			if (cv_streq(c->validated_by.v[k], json_string_value(json_object_get(vendor, "name")))) {
				json_array_append(items, c->doc);
				break;
			}
		}
	}
	*ret_vendor = json_incref(vendor);
	json_decref(set);
	snapshot_put(r->srv, snap);
	return items;
}

void api_vendor(struct req *r)
{
	json_t *vendor = NULL, *items = vendor_feed(r, &vendor);

	if (!items)
		return;
	json_decref(items);
	reply_json(r, 200, vendor);
}

void api_vendor_configurations(struct req *r)
{
	json_t *vendor = NULL, *items = vendor_feed(r, &vendor);

	if (!items)
		return;
	reply_json(r, 200, json_pack("{s:o, s:o}", "vendor", vendor, "items", items));
}

static void xml_escape(struct cv_buf *b, const char *s)
{
	for (; s && *s; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;

		if (rep)
			(void)!cv_buf_puts(b, rep);
		else if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
			(void)!cv_buf_append(b, s, 1);
	}
}

#define A(...) (void)!cv_buf_printf(&b, __VA_ARGS__)

void api_vendor_atom(struct req *r)
{
	json_t *vendor = NULL, *items = vendor_feed(r, &vendor), *c;
	struct cv_buf b;
	char now[32];
	size_t i;

	if (!items)
		return;
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	cv_buf_init(&b, 64 * 1024 * 1024);
	A("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>");
	xml_escape(&b, json_string_value(json_object_get(vendor, "name")));
	A(": validated configurations</title>\n  <id>urn:covalid:vendor:%s</id>\n  <updated>%s</updated>\n"
	  "  <link rel=\"self\" href=\"/api/v1/vendors/%s/configurations.atom\"/>\n"
	  "  <author><name>covalid validation program</name></author>\n",
	  r->params[0], now, r->params[0]);
	json_array_foreach(items, i, c) {
		json_t *g = json_object_get(c, "guest"), *h = json_object_get(c, "hypervisor");
		const char *from = json_string_value(json_object_get(c, "valid_from"));

		A("  <entry>\n    <title>");
		xml_escape(&b, json_string_value(json_object_get(g, "product")));
		A(" ");
		xml_escape(&b, json_string_value(json_object_get(g, "version")));
		A(" on ");
		xml_escape(&b, json_string_value(json_object_get(h, "product")));
		A("</title>\n    <id>urn:covalid:configuration:");
		xml_escape(&b, json_string_value(json_object_get(c, "id")));
		A("</id>\n    <updated>%s%s</updated>\n    <link href=\"/api/v1/configurations/", from ? from : "1970-01-01",
		  !from || strlen(from) == 10 ? "T00:00:00Z" : strlen(from) == 7 ? "-01T00:00:00Z" : "-01-01T00:00:00Z");
		xml_escape(&b, json_string_value(json_object_get(c, "id")));
		A("\"/>\n    <summary>status ");
		xml_escape(&b, json_string_value(json_object_get(c, "status")));
		A("</summary>\n  </entry>\n");
	}
	A("</feed>\n");
	reply_bytes(r, 200, "application/atom+xml", b.data, b.len);
	cv_buf_release(&b);
	json_decref(items);
	json_decref(vendor);
}
