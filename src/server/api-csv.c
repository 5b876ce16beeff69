/*
 * api-csv.c - GET /api/v1/configurations?format=csv: every configuration
 * the filters match (not a page of them), as CSV (RFC 4180: CRLF, a cell
 * holding a comma, quote or line break quoted, quotes doubled), the
 * columns of the web UI's CSV (web/csv.js, docs/web.md).  A cell a
 * spreadsheet would read as a formula (it starts with = + - @, a tab or a
 * carriage return) gets a leading apostrophe, so that opening the file
 * runs nothing ("CSV injection").  At most CSV_MAX_ROWS rows: a bigger
 * match is refused, naming the count, rather than cut short silently.
 */
#include <string.h>

#include "covalid/store.h"
#include "server/server-internal.h"
#include "util/cv.h"

#define CSV_MAX_ROWS 100000
#define CSV_MAX_BYTES ((size_t)128 << 20)

static const char *const csv_header = "guest,guest_version,arch,hypervisor,hypervisor_version,hypervisor_ids,"
				      "host_version,builds,allowed_vcpus,max_vcpus,max_memory_mib,validated_by,status,"
				      "valid_from,valid_until,id\r\n";

struct csv {
	struct cv_buf b;
	struct cv_buf cell; /* one cell's text before quoting */
	int r;
};

/* A JSON value as a cell's text: a string as it is, an integer in decimal,
 * an array's items joined with sep, anything else empty. */
static void text_of(struct cv_buf *t, json_t *v, const char *sep)
{
	size_t i;
	json_t *x;

	if (json_is_string(v))
		(void)!cv_buf_append(t, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		(void)!cv_buf_printf(t, "%lld", (long long)json_integer_value(v));
	else if (json_is_array(v))
		json_array_foreach(v, i, x) {
			if (i)
				(void)!cv_buf_printf(t, "%s", sep);
			text_of(t, x, sep);
		}
}

static int put_cell(struct csv *c, json_t *v, const char *sep, bool last)
{
	const char *s;
	size_t n;
	bool quote;

	c->cell.len = 0;
	text_of(&c->cell, v, sep);
	s = c->cell.data ? c->cell.data : "";
	n = c->cell.len;
	quote = memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\r', n) || memchr(s, '\n', n);
	if (quote && cv_buf_append(&c->b, "\"", 1) < 0)
		return -E2BIG;
	if (n && strchr("=+-@\t\r", s[0]) && cv_buf_append(&c->b, "'", 1) < 0)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if ((s[i] == '"' && quote && cv_buf_append(&c->b, "\"", 1) < 0) || cv_buf_append(&c->b, s + i, 1) < 0)
			return -E2BIG;
	if (quote && cv_buf_append(&c->b, "\"", 1) < 0)
		return -E2BIG;
	return cv_buf_append(&c->b, last ? "\r\n" : ",", last ? 2 : 1) < 0 ? -E2BIG : 0;
}

static int csv_row(void *userdata, const char *id, const char *doc)
{
	struct csv *c = userdata;
	json_t *j = json_loads(doc, 0, NULL), *g, *hv, *l;
	json_t *idv = json_string(id);
	int r = 0;

	if (!j) {
		json_decref(idv);
		return 0;
	}
	g = json_object_get(j, "guest");
	hv = json_object_get(j, "hypervisor");
	l = json_object_get(j, "limits");
	{
		json_t *const cells[] = {
			json_object_get(g, "product"), json_object_get(g, "version"), json_object_get(g, "arch"),
			json_object_get(hv, "product"), json_object_get(hv, "version"), json_object_get(hv, "ids"),
			json_object_get(hv, "host_version"), json_object_get(hv, "builds"), json_object_get(l, "allowed_vcpus"),
			json_object_get(l, "max_vcpus"), json_object_get(l, "max_memory_mib"), json_object_get(j, "validated_by"),
			json_object_get(j, "status"), json_object_get(j, "valid_from"), json_object_get(j, "valid_until"), idv,
		};

		for (size_t i = 0; i < CV_ELEMENTSOF(cells) && r == 0; i++)
			r = put_cell(c, cells[i], i == 11 ? "; " : " ", i == CV_ELEMENTSOF(cells) - 1);
	}
	json_decref(idv);
	json_decref(j);
	if (r < 0)
		c->r = r;
	return r;
}

void api_configurations_csv(struct req *r, struct store_query *q)
{
	struct csv c = { .r = 0 };
	int64_t total = 0;
	int rc;

	if (store_config_count(r->store, q, &total) < 0) {
		reply_error(r, 500, "internal", "%s", store_errmsg(r->store));
		return;
	}
	if (total > CSV_MAX_ROWS) {
		reply_error(r, 422, "too_large", "%lld configurations match; a CSV holds at most %d: narrow the filters",
			    (long long)total, CSV_MAX_ROWS);
		return;
	}
	q->limit = CSV_MAX_ROWS;
	q->offset = 0;
	cv_buf_init(&c.b, CSV_MAX_BYTES);
	cv_buf_init(&c.cell, CSV_MAX_BYTES);
	rc = cv_buf_append(&c.b, csv_header, strlen(csv_header));
	if (rc == 0)
		rc = store_config_list(r->store, q, csv_row, &c);
	if (rc < 0 || c.r < 0)
		reply_error(r, c.r == -E2BIG || rc == -E2BIG ? 422 : 500, c.r == -E2BIG || rc == -E2BIG ? "too_large" : "internal",
			    "%s", c.r == -E2BIG || rc == -E2BIG ? "the CSV would be too large: narrow the filters"
								: store_errmsg(r->store));
	else
		reply_bytes(r, 200, "text/csv; charset=utf-8", c.b.data ? c.b.data : "", c.b.len);
	cv_buf_release(&c.b);
	cv_buf_release(&c.cell);
}
