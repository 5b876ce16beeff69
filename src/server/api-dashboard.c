/*
 * api-dashboard.c - GET /api/v1/admin/dashboard, the owner's dashboard
 * (docs/web.md): support at a glance (support_dashboard: cases by vendor
 * and state, SLA breaches a day) and the catalog's coverage (the number of
 * configurations of each status, and of each admitted vendor validated
 * and in all, as GET /api/v1/configurations?vendor=&status= counts them).
 */
#include <time.h>

#include "covalid/catalog.h"
#include "covalid/store.h"
#include "covalid/support.h"
#include "server/server-internal.h"
#include "util/cv.h"

static int count(struct store *s, const char *vendor, const char *status, int64_t *ret)
{
	struct store_query q = { .vendor = vendor, .status = status };

	return store_config_count(s, &q, ret);
}

struct vendor_walk {
	struct store *s;
	json_t *items;
	int r;
};

static int vendor_row(void *userdata, const char *id, const char *name, const char *created_at)
{
	struct vendor_walk *w = userdata;
	int64_t all = 0, validated = 0;

	(void)created_at;
	/* the catalog names vendors by name (api_configurations does the same) */
	w->r = count(w->s, name, NULL, &all);
	if (w->r == 0)
		w->r = count(w->s, name, "validated", &validated);
	if (w->r < 0)
		return w->r;
	json_array_append_new(w->items, json_pack("{s:s, s:s, s:I, s:I}", "vendor", id, "name", name, "validated",
						  (json_int_t)validated, "total", (json_int_t)all));
	return 0;
}

static int coverage(struct store *s, json_t **ret)
{
	json_t *by_status = json_object();
	struct vendor_walk w = { s, json_array(), 0 };
	int64_t total = 0;
	int r = count(s, NULL, NULL, &total);

	for (int i = 0; i < CATALOG_STATUS__MAX && r == 0; i++) {
		int64_t n = 0;

		r = count(s, NULL, catalog_status_name((enum catalog_status)i), &n);
		json_object_set_new(by_status, catalog_status_name((enum catalog_status)i), json_integer(n));
	}
	if (r == 0)
		r = store_vendor_list(s, vendor_row, &w);
	if (r == 0)
		r = w.r;
	if (r < 0) {
		json_decref(by_status);
		json_decref(w.items);
		return r;
	}
	*ret = json_pack("{s:I, s:o, s:o}", "total", (json_int_t)total, "by_status", by_status, "by_vendor", w.items);
	return 0;
}

void api_admin_dashboard(struct req *r)
{
	const char *d = req_arg(r, "days");
	int64_t now = support_now();
	json_t *out = NULL, *cat = NULL;
	uint64_t days = 30;
	char at[32];

	if (d && (cv_parse_u64(d, 10, &days) < 0 || days < 1 || days > 366)) {
		reply_error(r, 400, "invalid_parameter", "days: 1 to 366");
		return;
	}
	if (support_dashboard(r->store, now, (int)days, &out) < 0 || coverage(r->store, &cat) < 0) {
		json_decref(out);
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	cv_time_iso8601(now, at, sizeof(at));
	json_object_set_new(out, "now", json_string(at));
	json_object_set_new(out, "catalog", cat);
	reply_json(r, 200, out);
}
