/*
 * dashboard.c - the owner's view of support at a glance (GET
 * /api/v1/admin/dashboard, docs/web.md): every case counted by the vendor
 * it was opened with and its state, and the SLA breaches of the last days,
 * one bucket a UTC day.  A clock is breached at its due time (met late, or
 * still unmet past it: support_sla), so a breach is counted on the day it
 * became due; the clocks of every case count, open or not, since a breach
 * that happened stays one.
 */
#include <string.h>

#include "covalid/store.h"
#include "support/support-internal.h"
#include "util/cv.h"

#define DAY 86400

/* SUPPORT_CASE_STATES, in the order a case goes through them. */
static const char *const case_states[] = { "new", "in-progress", "waiting-on-customer", "engaged", "resolved", "closed" };

struct dash {
	const struct support_policy *p;
	int64_t now, from; /* from: the first day's midnight */
	int days;
	json_t *vendors;   /* vendor id -> {state: n} */
	int64_t total, open_breached;
	int64_t (*breaches)[3]; /* [day][first_response, next_update, collaboration] */
};

static void count_breach(struct dash *d, json_t *clock, int which)
{
	int64_t due;

	if (!cv_streq(json_string_value(json_object_get(clock, "state")), "breached") ||
	    cv_time_parse(json_string_value(json_object_get(clock, "due")), &due) < 0)
		return;
	if (due < d->from || due > d->now)
		return;
	d->breaches[(due - d->from) / DAY][which]++;
}

static int case_cb(void *userdata, const struct store_case_row *row)
{
	struct dash *d = userdata;
	json_t *c = json_loads(row->doc, 0, NULL), *sla, *states, *col;
	size_t i;

	const char *vendor = row->vendor_id ? row->vendor_id : "", *state = row->state ? row->state : "";

	d->total++;
	states = json_object_get(d->vendors, vendor);
	if (!states) {
		states = json_object();
		json_object_set_new(d->vendors, vendor, states);
	}
	json_object_set_new(states, state, json_integer(json_integer_value(json_object_get(states, state)) + 1));
	if (!c)
		return 0;
	sla = support_sla(c, d->p, d->now);
	count_breach(d, json_object_get(sla, "first_response"), 0);
	count_breach(d, json_object_get(sla, "next_update"), 1);
	json_array_foreach(json_object_get(sla, "collaborations"), i, col)
		count_breach(d, json_object_get(col, "response"), 2);
	if (cv_word_in(SUPPORT_CASE_OPEN, state) && json_is_true(json_object_get(sla, "breached")))
		d->open_breached++;
	json_decref(sla);
	json_decref(c);
	return 0;
}

int support_dashboard(struct store *s, int64_t now, int days, json_t **ret)
{
	struct support_policy *p = NULL;
	struct dash d = { .now = now, .days = days };
	json_t *out = NULL, *by_vendor, *series, *states, *v;
	const char *id;
	int r;

	if (days < 1 || days > 366)
		return -EINVAL;
	r = support_policy_load(s, &p, NULL);
	if (r < 0)
		return r;
	d.p = p;
	d.from = (now / DAY - (days - 1)) * DAY;
	d.vendors = json_object();
	d.breaches = cv_xcalloc((size_t)days, sizeof(*d.breaches));
	r = store_case_list(s, NULL, NULL, NULL, 0, 0, case_cb, &d);
	if (r < 0)
		goto out;
	by_vendor = json_array();
	json_object_foreach(d.vendors, id, v) {
		int64_t n = 0;
		const char *st;
		json_t *x;

		json_object_foreach(v, st, x)
			n += json_integer_value(x);
		json_array_append_new(by_vendor, json_pack("{s:s, s:O, s:I}", "vendor", id, "states", v, "total", (json_int_t)n));
	}
	states = json_array();
	for (size_t i = 0; i < CV_ELEMENTSOF(case_states); i++)
		json_array_append_new(states, json_string(case_states[i]));
	series = json_array();
	for (int i = 0; i < days; i++) {
		char day[32];

		cv_time_iso8601(d.from + (int64_t)i * DAY, day, sizeof(day));
		day[10] = '\0';
		json_array_append_new(series, json_pack("{s:s, s:I, s:I, s:I}", "day", day, "first_response",
							(json_int_t)d.breaches[i][0], "next_update", (json_int_t)d.breaches[i][1],
							"collaboration", (json_int_t)d.breaches[i][2]));
	}
	out = json_pack("{s:{s:I, s:o, s:o}, s:{s:i, s:I, s:o}}", "cases", "total", (json_int_t)d.total, "states",
			states, "by_vendor", by_vendor, "sla", "days", days, "open_breached",
			(json_int_t)d.open_breached, "breaches", series);
	*ret = out;
	r = 0;
out:
	json_decref(d.vendors);
	free(d.breaches);
	support_policy_free(p);
	return r;
}
