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
	server_metrics_monitor(r, &b);
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

/*
 * ?status= on the configuration list and the feeds: one status, a comma
 * list (?status=validated,supported) or the parameter repeated
 * (?status=validated&status=supported), meaning any of them.  The set has
 * bit (1 << status) for each; 0 when none is asked for (every status).  An
 * unknown status is a 400 naming the parameter, the value and the choices.
 */
static bool req_statuses(struct req *r, unsigned *ret_set)
{
	const char *v[GUARD_MAX_PARAMS];
	size_t n = req_arg_all(r, "status", v, CV_ELEMENTSOF(v));
	unsigned set = 0;

	for (size_t i = 0; i < n; i++) {
		for (const char *p = v[i];; p++) {
			size_t len = strcspn(p, ",");
			char *one = cv_xstrndup(p, len);
			enum catalog_status st;
			int rc = catalog_status_parse(one, &st);

			free(one);
			if (rc < 0) {
				struct cv_buf all;

				cv_buf_init(&all, 1024);
				for (int k = 0; k < CATALOG_STATUS__MAX; k++)
					(void)!cv_buf_printf(&all, "%s%s", k ? ", " : "",
							     catalog_status_name((enum catalog_status)k));
				reply_error(r, 400, "invalid_parameter",
					    "status: unknown status '%.*s'; one or more (comma-separated) of %s",
					    (int)(len < 64 ? len : 64), p, all.data ? all.data : "");
				cv_buf_release(&all);
				return false;
			}
			set |= 1u << st;
			p += len;
			if (!*p)
				break;
		}
	}
	*ret_set = set;
	return true;
}

/* The statuses of a set, comma-separated, in the catalog's order ("validated,supported"); NULL for none. */
static char *statuses_joined(unsigned set, const char *sep)
{
	struct cv_buf b;

	if (!set)
		return NULL;
	cv_buf_init(&b, 1024);
	for (int k = 0; k < CATALOG_STATUS__MAX; k++)
		if (set & (1u << k))
			(void)!cv_buf_printf(&b, "%s%s", b.len ? sep : "", catalog_status_name((enum catalog_status)k));
	return cv_buf_detach(&b, NULL);
}

static void put_query_value(struct cv_buf *b, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		(void)!(isalnum(*p) || strchr("-._~", *p) ? cv_buf_append(b, p, 1) : cv_buf_printf(b, "%%%02X", *p));
}

/*
 * The next page's URL, or null: the same query by key (after= the last
 * id of this page, whichever way this page was asked for), the statuses
 * as one list.  By key because a page by key costs the same at any
 * depth, where an offset is skipped row by row.
 */
static json_t *next_page(struct req *r, int64_t limit, const char *last_id, const char *statuses)
{
	static const char *const keep[] = { "guest", "hypervisor", "vendor", "status", "q" };
	struct cv_buf b;
	json_t *j;

	if (!last_id)
		return json_null();
	cv_buf_init(&b, 4096);
	(void)!cv_buf_printf(&b, "%s?limit=%lld&after=", r->path, (long long)limit);
	put_query_value(&b, last_id);
	for (size_t i = 0; i < CV_ELEMENTSOF(keep); i++) {
		const char *v = cv_streq(keep[i], "status") ? statuses : req_arg(r, keep[i]);

		if (!v)
			continue;
		(void)!cv_buf_printf(&b, "&%s=", keep[i]);
		put_query_value(&b, v);
	}
	j = json_stringn(b.data, b.len);
	cv_buf_release(&b);
	return j ? j : json_null();
}


/*
 * A page of configurations: limit documents, and whether one more
 * follows (the store is asked for limit + 1).  The documents go into the
 * answer as the store holds them (valid JSON: both engines check it on
 * write), not parsed and written again: at 50 a page that was four
 * fifths of an uncached page's time.
 */
struct config_page {
	struct cv_buf items; /* the documents, comma-separated */
	int64_t limit, n;
	char *last_id;
	bool more;
	int r;
};

static int page_doc(void *userdata, const char *id, const char *doc)
{
	struct config_page *p = userdata;

	if (p->n == p->limit) {
		p->more = true;
		return 1; /* stops the walk */
	}
	if ((p->n && cv_buf_puts(&p->items, ",") < 0) || cv_buf_puts(&p->items, doc) < 0) {
		p->r = -E2BIG;
		return 1;
	}
	p->n++;
	free(p->last_id);
	p->last_id = cv_xstrdup(id);
	return 0;
}

/* A page's answer: {"total", "limit", "offset", "next", "items"} and "after" when asked by key. */
static void reply_config_page(struct req *r, const struct store_query *q, int64_t total, struct config_page *page,
			      const char *statuses)
{
	json_t *next = next_page(r, page->limit, page->more ? page->last_id : NULL, statuses);
	char *next_text = json_dumps(next, JSON_ENCODE_ANY | JSON_COMPACT);
	struct cv_buf b;
	int rc;

	cv_buf_init(&b, (size_t)page->items.len + 16384);
	rc = cv_buf_printf(&b, "{\"total\":%lld,\"limit\":%lld,\"offset\":%lld,\"next\":%s,\"items\":[", (long long)total,
			   (long long)page->limit, (long long)q->offset, next_text ? next_text : "null");
	if (rc == 0 && page->items.len)
		rc = cv_buf_append(&b, page->items.data, page->items.len);
	if (rc == 0)
		rc = cv_buf_puts(&b, "]");
	/* An id as catalog_id_valid() let it through: nothing in it to escape. */
	if (rc == 0 && q->after)
		rc = cv_buf_printf(&b, ",\"after\":\"%s\"", q->after);
	if (rc == 0)
		rc = cv_buf_puts(&b, "}");
	if (rc < 0)
		reply_error(r, 500, "internal", "the page could not be written");
	else
		reply_bytes(r, 200, "application/json", b.data, b.len);
	cv_buf_release(&b);
	free(next_text);
	json_decref(next);
}

void api_configurations(struct req *r)
{
	struct store_query q = { .guest = req_arg(r, "guest"), .hypervisor = req_arg(r, "hypervisor"),
				 .vendor = req_arg(r, "vendor"), .text = req_arg(r, "q"), .after = req_arg(r, "after") };
	struct config_page page = { .r = 0 };
	int64_t total = 0;
	char *vendor_name = NULL, *statuses;
	unsigned set;

	const char *format = req_arg(r, "format");

	if (format && !cv_streq(format, "json") && !cv_streq(format, "csv")) {
		reply_error(r, 400, "invalid_parameter", "format: json or csv");
		return;
	}
	if (!req_paging(r, &q.limit, &q.offset) || !req_statuses(r, &set))
		return;
	if (q.after && !catalog_id_valid(q.after)) {
		reply_error(r, 400, "invalid_parameter", "after: expected a configuration id (1 to 128 letters, digits and ._:+-)");
		return;
	}
	q.status = statuses = statuses_joined(set, ",");
	/* An admitted vendor's id stands for its name, which the catalog holds. */
	if (q.vendor && store_vendor_get(r->store, q.vendor, &vendor_name) == 0)
		q.vendor = vendor_name;
	if (format && cv_streq(format, "csv")) { /* every match, not a page (api-csv.c) */
		q.after = NULL;
		api_configurations_csv(r, &q);
		free(vendor_name);
		free(statuses);
		return;
	}
	/* A page holds at most limit records of at most a catalog line each. */
	cv_buf_init(&page.items, (size_t)q.limit * CATALOG_LINE_MAX + 1);
	page.limit = q.limit;
	q.limit++;
	if (store_config_count(r->store, &q, &total) < 0 || store_config_list(r->store, &q, page_doc, &page) < 0 ||
	    page.r < 0)
		reply_error(r, 500, "internal", "%s", page.r < 0 ? "the page could not be written" : store_errmsg(r->store));
	else
		reply_config_page(r, &q, total, &page, statuses);
	cv_buf_release(&page.items);
	free(page.last_id);
	free(vendor_name);
	free(statuses);
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

/*
 * /check's body through a jansson tree: "host_version" beside the
 * descriptor's fields, and the answer to a body that is not a valid
 * descriptor.  0 (*ret, and *ret_hv when the body stated a host version),
 * or -1 when it has answered.
 */
static int check_body_tree(struct req *r, struct descriptor **ret, char **ret_hv)
{
	char *why = NULL;
	json_t *j = req_body_object(r, NULL, 0);
	const char *hv;

	if (!j)
		return -1;
	/* The host's version, where a guest cannot see it: "host_version"
	 * beside the descriptor's fields, or ?host_version=. */
	if (json_object_get(j, "host_version")) {
		hv = json_string_value(json_object_get(j, "host_version"));
		if (!hv) {
			json_decref(j);
			reply_error(r, 400, "invalid_parameter", "host_version: expected a string");
			return -1;
		}
		*ret_hv = cv_xstrdup(hv);
		json_object_del(j, "host_version");
	}
	if (descriptor_check_fields(j, &why) < 0 || descriptor_from_jansson(j, ret, &why) < 0) {
		json_decref(j);
		reply_error(r, 400, cv_startswith(why, ".") && strstr(why, "unknown field") ? "unknown_field" : "invalid_descriptor",
			    "%s", why);
		free(why);
		*ret_hv = cv_free(*ret_hv);
		return -1;
	}
	json_decref(j);
	return 0;
}

void api_check(struct req *r)
{
	struct descriptor *d = NULL;
	struct check_result *res = NULL;
	struct snapshot *snap;
	size_t nearest = 3;
	const char *n = req_arg(r, "nearest"), *hv = req_arg(r, "host_version");
	char *hv_owned = NULL;

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
	/* The fast path: a valid descriptor with nothing beside it, read
	 * without a tree.  descriptor_parse() accepts exactly what the tree
	 * path accepts, with the same descriptor (tests/unit/
	 * test-descriptor-stream.c); a body it refuses, or one carrying
	 * host_version, goes the tree's way for its exact answer.  Only
	 * what the answer reads is built (DESCRIPTOR_PARSE_ANSWER); the
	 * rest -- the evidence, the other lists and strings -- is checked
	 * as strictly and not kept (a third of the parse, then a malloc per
	 * string). */
	if (descriptor_parse(r->body.data, r->body.len, DESCRIPTOR_PARSE_STRICT | DESCRIPTOR_PARSE_ANSWER, &d, NULL) <
		    0 &&
	    check_body_tree(r, &d, &hv_owned) < 0)
		return;
	if (hv_owned)
		hv = hv_owned;
	if (hv) {
		if (!check_host_version_valid(hv)) {
			reply_error(r, 400, "invalid_parameter", "host_version: not a version (e.g. 5.4)");
			free(hv_owned);
			descriptor_free(d);
			return;
		}
		descriptor_state_host_version(d, hv);
		free(hv_owned);
	}
	/* The answer reads only this guest OS's configurations (and the
	 * products: a product change invalidates everything). */
	cache_dep_os(&r->cache_dep, d->guest.os.id);
	snap = snapshot_get(r);
	if (!snap) {
		descriptor_free(d);
		return;
	}
	if (check_explain(snap->ix, d, nearest, &res) < 0)
		reply_error(r, 500, "internal", "the check failed");
	else {
		/* Written without a jansson tree, which cost a quarter of an
		 * uncached check's CPU: the same bytes (tests/unit/
		 * test-check-write.c); where the tree could not be dumped,
		 * reply_json()'s 500 for an answer that could not be written. */
		struct cv_buf b;
		size_t len;

		/* Most answers are a few kB: one allocation rather than a
		 * doubling chain, cut to size (in place) and handed over
		 * whole -- the cache then keeps that very block. */
		cv_buf_init(&b, 64 << 20);
		cv_buf_reserve(&b, 4096);
		if (check_result_write(&b, res, d) < 0)
			reply_json(r, 200, NULL);
		else {
			char *data = cv_buf_detach(&b, &len);

			reply_take(r, 200, "application/json", cv_xrealloc(data, len + 1), len);
		}
		cv_buf_release(&b);
	}
	check_result_free(res);
	snapshot_put(r->srv, snap);
	descriptor_free(d);
}

/* ---- vendors ---- */

/*
 * Vendors are the program's admitted ones and every vendor the catalog
 * names — in validated_by, as a guest OS's vendor or as a hypervisor's —
 * by slug: the seed's "Red Hat" is vendor "red-hat" whether or not it was
 * admitted to submit.  A name is a vendor's when it is that vendor's name
 * exactly, else when its slug is the vendor's id (vendor_touch()): the
 * vendor list, the counts and the feeds all resolve names this one way.
 */
struct vendor_set {
	json_t *by_id;   /* id -> {id, name, admitted, configurations, feed_configurations} */
	json_t *by_name; /* every name resolved so far -> its entry */
};

/* A vendor's part in a configuration; the feeds name them. */
enum feed_role {
	ROLE_VALIDATED_BY = 1 << 0, /* in validated_by */
	ROLE_GUEST_VENDOR = 1 << 1, /* guest.vendor: the guest OS is its product */
	ROLE_HOST_VENDOR = 1 << 2,  /* hypervisor.vendor: the hypervisor is its product */
};

static const struct {
	enum feed_role role;
	const char *name, *words;
} feed_roles[] = {
	{ ROLE_VALIDATED_BY, "validated_by", "validated by" },
	{ ROLE_GUEST_VENDOR, "guest_vendor", "guest vendor" },
	{ ROLE_HOST_VENDOR, "host_vendor", "host vendor" },
};

static void vendor_set_release(struct vendor_set *v)
{
	json_decref(v->by_id);
	json_decref(v->by_name);
}

/* The entry of the vendor of that name, if there is one yet. */
static json_t *vendor_by_name(struct vendor_set *v, const char *name)
{
	const char *k;
	json_t *e = json_object_get(v->by_name, name);

	if (e)
		return e;
	json_object_foreach(v->by_id, k, e)
		if (cv_streq(json_string_value(json_object_get(e, "name")), name))
			return e;
	return NULL;
}

/* An admitted vendor keeps the id it was given; a name only the catalog
 * knows gets its slug.  NULL for a name with no letters or digits.  Once
 * resolved, a name is remembered: a catalog names few vendors many times. */
static json_t *vendor_touch(struct vendor_set *v, const char *name, bool admitted, const char *id_given)
{
	json_t *e;
	char *id;

	if (!name)
		return NULL;
	e = id_given ? NULL : vendor_by_name(v, name);
	if (!e) {
		id = id_given ? cv_xstrdup(id_given) : program_vendor_slug(name);
		if (!*id) {
			free(id);
			return NULL;
		}
		e = json_object_get(v->by_id, id);
		if (!e) {
			e = json_pack("{s:s, s:s, s:b, s:i, s:i}", "id", id, "name", name, "admitted", admitted,
				      "configurations", 0, "feed_configurations", 0);
			json_object_set_new(v->by_id, id, e);
		}
		if (admitted)
			json_object_set_new(e, "admitted", json_true());
		free(id);
	}
	if (!id_given)
		json_object_set(v->by_name, name, e);
	return e;
}

/*
 * The vendors with a part in c, each once, with its roles: ret_e[i] and
 * ret_roles[i] for i below the count returned.  The arrays hold
 * validated_by.n + 2 entries.
 */
static size_t config_parts(struct vendor_set *v, const struct catalog_config *c, json_t **ret_e, unsigned *ret_roles)
{
	size_t n = 0, total = c->validated_by.n + 2;

	for (size_t i = 0; i < total; i++) {
		const char *name = i < c->validated_by.n ? c->validated_by.v[i]
				   : i == c->validated_by.n ? c->guest.vendor : c->hypervisor.vendor;
		unsigned role = i < c->validated_by.n ? ROLE_VALIDATED_BY
				: i == c->validated_by.n ? ROLE_GUEST_VENDOR : ROLE_HOST_VENDOR;
		json_t *e = vendor_touch(v, name, false, NULL);
		size_t k;

		if (!e)
			continue;
		for (k = 0; k < n && ret_e[k] != e; k++)
			;
		if (k == n) {
			ret_e[n] = e;
			ret_roles[n++] = 0;
		}
		ret_roles[k] |= role;
	}
	return n;
}

/* vendor's roles in c, 0 for none. */
static unsigned vendor_roles(struct vendor_set *v, const struct catalog_config *c, const json_t *vendor)
{
	json_t **e = cv_xcalloc(c->validated_by.n + 2, sizeof(*e));
	unsigned *roles = cv_xcalloc(c->validated_by.n + 2, sizeof(*roles)), r = 0;
	size_t n = config_parts(v, c, e, roles);

	for (size_t i = 0; i < n; i++)
		if (e[i] == vendor)
			r = roles[i];
	free(e);
	free(roles);
	return r;
}

static void bump(json_t *e, const char *key)
{
	json_object_set_new(e, key, json_integer(json_integer_value(json_object_get(e, key)) + 1));
}

static int admitted_row(void *userdata, const char *id, const char *name, const char *created_at)
{
	(void)created_at;
	vendor_touch(userdata, name, true, id);
	return 0;
}

/*
 * Every vendor, with the number of configurations it validated
 * ("configurations", as before feeds had roles) and the number its feed
 * lists, whatever its role ("feed_configurations").  The admitted come
 * first, so that a catalog name that is an admitted vendor's name is that
 * vendor's whatever its slug.  false: the store failed.
 */
static bool vendor_set_build(struct req *r, struct snapshot *snap, struct vendor_set *ret)
{
	struct vendor_set v = { json_object(), json_object() };
	json_t **e = NULL;
	unsigned *roles = NULL;
	size_t alloc = 0;

	if (store_vendor_list(r->store, admitted_row, &v) < 0) {
		vendor_set_release(&v);
		return false;
	}
	for (size_t i = 0; i < snap->cat->n_configs; i++) {
		const struct catalog_config *c = snap->cat->configs[i];
		size_t n;

		if (c->validated_by.n + 2 > alloc) {
			alloc = c->validated_by.n + 2;
			e = cv_xreallocarray(e, alloc, sizeof(*e));
			roles = cv_xreallocarray(roles, alloc, sizeof(*roles));
		}
		n = config_parts(&v, c, e, roles);
		for (size_t k = 0; k < n; k++) {
			if (roles[k] & ROLE_VALIDATED_BY)
				bump(e[k], "configurations");
			bump(e[k], "feed_configurations");
		}
	}
	free(e);
	free(roles);
	*ret = v;
	return true;
}

void api_vendors(struct req *r)
{
	struct snapshot *snap = snapshot_get(r);
	struct vendor_set v;
	json_t *items, *e;
	const char *k;
	bool ok;

	if (!snap)
		return;
	ok = vendor_set_build(r, snap, &v);
	snapshot_put(r->srv, snap);
	if (!ok) {
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	items = json_array();
	json_object_foreach(v.by_id, k, e)
		json_array_append(items, e);
	vendor_set_release(&v);
	reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/*
 * A vendor's feed: every configuration of one of the statuses asked for
 * (all when none is) in which the vendor has a part — it validated it, the
 * guest OS is its product, or the hypervisor is — each with its "roles".
 * The seed lists the Windows guests Red Hat validated on its KVM under Red
 * Hat only; they were posted on Microsoft's site too, and are Microsoft's
 * products: Microsoft's feed holds them as guest_vendor.
 */
struct feed {
	json_t *vendor; /* {id, name, ...} */
	unsigned statuses; /* a set as req_statuses() makes it; 0: all */
	char *title;
	json_t *items;  /* configurations, each with its "roles" */
};

static void feed_release(struct feed *f)
{
	json_decref(f->vendor);
	json_decref(f->items);
	free(f->title);
}

/* What the feed lists, in words: "Microsoft: validated configurations". */
static char *feed_title(const char *name, unsigned statuses)
{
	char *list, *t;
	const char *last;

	if (!statuses)
		return cv_xasprintf("%s: configurations (all statuses)", name);
	if (statuses == 1u << CATALOG_VALIDATED)
		return cv_xasprintf("%s: validated configurations", name);
	/* "with status a, b or c" */
	list = statuses_joined(statuses, ", ");
	last = strrchr(list, ',');
	if (last)
		t = cv_xasprintf("%s: configurations with status %.*s or %s", name, (int)(last - list), list, last + 2);
	else
		t = cv_xasprintf("%s: configurations with status %s", name, list);
	free(list);
	return t;
}

static json_t *roles_json(unsigned roles)
{
	json_t *a = json_array();

	for (size_t i = 0; i < CV_ELEMENTSOF(feed_roles); i++)
		if (roles & feed_roles[i].role)
			json_array_append_new(a, json_string(feed_roles[i].name));
	return a;
}

/* Fills f for the vendor r->params[0]; false if answered (404, 400, 500). */
static bool vendor_feed(struct req *r, bool with_items, struct feed *f)
{
	struct snapshot *snap;
	struct vendor_set v;
	json_t *vendor;
	char *text = NULL;

	*f = (struct feed){ 0 };
	if (with_items && !req_statuses(r, &f->statuses))
		return false;
	snap = snapshot_get(r);
	if (!snap)
		return false;
	if (!vendor_set_build(r, snap, &v)) {
		snapshot_put(r->srv, snap);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return false;
	}
	vendor = json_object_get(v.by_id, r->params[0]);
	if (!vendor) {
		snapshot_put(r->srv, snap);
		vendor_set_release(&v);
		reply_error(r, 404, "not_found", "no such vendor");
		return false;
	}
	f->vendor = json_incref(vendor);
	f->title = feed_title(json_string_value(json_object_get(vendor, "name")), f->statuses);
	f->items = json_array();
	for (size_t i = 0; with_items && i < snap->cat->n_configs; i++) {
		const struct catalog_config *c = snap->cat->configs[i];
		unsigned roles;
		json_t *item;

		if (f->statuses && !(f->statuses & (1u << c->status)))
			continue;
		roles = vendor_roles(&v, c, vendor);
		if (!roles)
			continue;
		/* The snapshot keeps no documents (snapshot.c: most of a
		 * large catalog's memory): the item is the stored one. */
		if (store_config_get(r->store, c->id, &text) < 0) {
			vendor_set_release(&v);
			snapshot_put(r->srv, snap);
			feed_release(f);
			reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
			return false;
		}
		item = json_loads(text, 0, NULL);
		text = cv_free(text);
		if (!item)
			continue;
		json_object_set_new(item, "roles", roles_json(roles));
		json_array_append_new(f->items, item);
	}
	vendor_set_release(&v);
	snapshot_put(r->srv, snap);
	return true;
}

void api_vendor(struct req *r)
{
	struct feed f;

	if (!vendor_feed(r, false, &f))
		return;
	reply_json(r, 200, json_incref(f.vendor));
	feed_release(&f);
}

void api_vendor_configurations(struct req *r)
{
	json_t *statuses;
	struct feed f;

	if (!vendor_feed(r, true, &f))
		return;
	/* null: every status */
	statuses = f.statuses ? json_array() : json_null();
	for (int k = 0; k < CATALOG_STATUS__MAX; k++)
		if (f.statuses & (1u << k))
			json_array_append_new(statuses, json_string(catalog_status_name((enum catalog_status)k)));
	reply_json(r, 200, json_pack("{s:O, s:s, s:o, s:O}", "vendor", f.vendor, "title", f.title, "statuses", statuses,
				     "items", f.items));
	feed_release(&f);
}

/* "Windows Server 2008 R2", "Red Hat Enterprise Linux 5.3": the version
 * only when the product's name does not already hold it, and not when it
 * is no version ("unspecified"). */
static void xml_product(struct cv_buf *b, const json_t *part)
{
	const char *product = json_string_value(json_object_get(part, "product"));
	const char *version = json_string_value(json_object_get(part, "version"));

	(void)!cv_buf_xml_text(b, product);
	if (!version || !*version || (product && strstr(product, version)) || cv_word_in("unspecified any *", version))
		return;
	(void)!cv_buf_puts(b, " ");
	(void)!cv_buf_xml_text(b, version);
}

#define A(...) (void)!cv_buf_printf(&b, __VA_ARGS__)

/*
 * The feed as Atom.  The feed's title says what it lists (its statuses),
 * its subtitle the vendor's parts; every entry's title ends with its
 * status and its summary names the status and the vendor's roles, which
 * are also categories (schemes urn:covalid:status and urn:covalid:role).
 * A feed filtered by status is another feed: its id and self link carry
 * the statuses.
 */
void api_vendor_atom(struct req *r)
{
	const char *name;
	struct cv_buf b;
	char now[32], *statuses;
	struct feed f;
	json_t *c;
	size_t i;

	if (!vendor_feed(r, true, &f))
		return;
	name = json_string_value(json_object_get(f.vendor, "name"));
	statuses = statuses_joined(f.statuses, ",");
	cv_time_iso8601((int64_t)time(NULL), now, sizeof(now));
	cv_buf_init(&b, 64 * 1024 * 1024);
	A("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>");
	(void)!cv_buf_xml_text(&b, f.title);
	A("</title>\n  <subtitle>Configurations ");
	(void)!cv_buf_xml_text(&b, name);
	A(" validated, or whose guest operating system or hypervisor is ");
	(void)!cv_buf_xml_text(&b, name);
	A("'s; each entry names its status and ");
	(void)!cv_buf_xml_text(&b, name);
	A("'s role.</subtitle>\n  <id>urn:covalid:vendor:%s%s%s</id>\n  <updated>%s</updated>\n"
	  "  <link rel=\"self\" href=\"/api/v1/vendors/%s/configurations.atom%s%s\"/>\n"
	  "  <author><name>covalid validation program</name></author>\n",
	  r->params[0], statuses ? ":status:" : "", statuses ? statuses : "", now, r->params[0],
	  statuses ? "?status=" : "", statuses ? statuses : "");
	json_array_foreach(f.items, i, c) {
		json_t *g = json_object_get(c, "guest"), *h = json_object_get(c, "hypervisor"), *role;
		const char *from = json_string_value(json_object_get(c, "valid_from"));
		const char *status = json_string_value(json_object_get(c, "status"));
		json_t *vb = json_object_get(c, "validated_by");
		size_t k;

		A("  <entry>\n    <title>");
		xml_product(&b, g);
		A(" on ");
		xml_product(&b, h);
		A(": ");
		(void)!cv_buf_xml_text(&b, status);
		A("</title>\n    <id>urn:covalid:configuration:");
		(void)!cv_buf_xml_text(&b, json_string_value(json_object_get(c, "id")));
		A("</id>\n    <updated>%s%s</updated>\n    <link href=\"/api/v1/configurations/", from ? from : "1970-01-01",
		  !from || strlen(from) == 10 ? "T00:00:00Z" : strlen(from) == 7 ? "-01T00:00:00Z" : "-01-01T00:00:00Z");
		(void)!cv_buf_xml_text(&b, json_string_value(json_object_get(c, "id")));
		A("\"/>\n    <category scheme=\"urn:covalid:status\" term=\"");
		(void)!cv_buf_xml_text(&b, status);
		A("\"/>\n");
		json_array_foreach(json_object_get(c, "roles"), k, role) {
			A("    <category scheme=\"urn:covalid:role\" term=\"");
			(void)!cv_buf_xml_text(&b, json_string_value(role));
			A("\"/>\n");
		}
		A("    <summary>Status: ");
		(void)!cv_buf_xml_text(&b, status);
		A(". ");
		(void)!cv_buf_xml_text(&b, name);
		A("'s %s: ", json_array_size(json_object_get(c, "roles")) == 1 ? "role" : "roles");
		json_array_foreach(json_object_get(c, "roles"), k, role)
			for (size_t n = 0; n < CV_ELEMENTSOF(feed_roles); n++)
				if (cv_streq(json_string_value(role), feed_roles[n].name))
					A("%s%s", k ? ", " : "", feed_roles[n].words);
		A(". Validated by ");
		if (!json_array_size(vb))
			A("nobody");
		json_array_foreach(vb, k, role) {
			A("%s", k ? ", " : "");
			(void)!cv_buf_xml_text(&b, json_string_value(role));
		}
		A(".</summary>\n  </entry>\n");
	}
	A("</feed>\n");
	reply_bytes(r, 200, "application/atom+xml", b.data, b.len);
	cv_buf_release(&b);
	free(statuses);
	feed_release(&f);
}
