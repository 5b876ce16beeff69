/*
 * verdict.c - a machine's verdict over time (docs/monitor.md, "Verdicts"):
 * the same check as /api/v1/check (check_explain, lifecycle included) in
 * monitoring's words, and the one place a machine's verdict changes, so a
 * report and the sweep's re-check after a catalog change record history
 * and tell people the same way.
 */
#include <jansson.h>

#include "covalid/check.h"
#include "covalid/catalog.h"
#include "covalid/descriptor.h"
#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

bool monitor_text_ok(const json_t *v, size_t max)
{
	const char *p = json_string_value(v);
	size_t n = json_string_length(v);

	if (!p || n == 0 || n > max || strlen(p) != n)
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int monitor_store_error(struct store *s, int r, const char *what, struct program_error *err)
{
	/* A busy or vanished database is the client's to retry (an agent
	 * spools); anything else is ours. */
	if (r == -EBUSY || r == -ESTALE || r == -EAGAIN)
		program_error_set(err, 503, "unavailable", "%s: the database is busy; try again", what);
	else
		program_error_set(err, 500, "internal", "%s: %s", what, store_errmsg(s));
	return r;
}

void monitor_iso(int64_t t, char ret[static 32])
{
	cv_time_iso8601(t, ret, 32);
}

bool monitor_verdict_in(const char *verdict)
{
	return cv_streq(verdict, "validated") || cv_streq(verdict, "supported");
}

int monitor_verdict_compute(const struct check_index *ix, const struct descriptor *d, struct monitor_verdict *ret)
{
	struct check_result *res = NULL;
	const struct check_candidate *c = NULL;
	int r = check_explain(ix, d, 1, &res);

	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	ret->verdict = check_verdict_name(res->verdict);
	ret->reason = check_reason_name(res->reason);
	ret->summary = cv_xstrdup(res->summary);
	ret->differences = json_array();
	if (res->n_matches)
		c = &res->matches[0];
	else if (res->n_nearest)
		c = &res->nearest[0];
	if (c) {
		ret->config_id = cv_xstrdup(c->config->id);
		if (c->lifecycle.note)
			ret->lifecycle = cv_xstrdup(c->lifecycle.note);
	}
	/* In: nothing differs.  Out: the nearest configuration's every
	 * difference; with nothing near (an unknown guest), the check's own
	 * sentence, so a drift is never told without a reason. */
	if (!monitor_verdict_in(ret->verdict)) {
		if (!res->n_matches && res->n_nearest && res->nearest[0].differences.n)
			for (size_t i = 0; i < res->nearest[0].differences.n; i++)
				json_array_append_new(ret->differences, json_string(res->nearest[0].differences.v[i]));
		else
			json_array_append_new(ret->differences, json_string(res->summary));
	}
	check_result_free(res);
	return 0;
}

void monitor_verdict_release(struct monitor_verdict *v)
{
	free(v->config_id);
	free(v->summary);
	free(v->lifecycle);
	json_decref(v->differences);
	memset(v, 0, sizeof(*v));
}

static char *join_differences(const json_t *a)
{
	struct cv_buf b;
	size_t i;
	json_t *x;

	cv_buf_init(&b, 1500);
	json_array_foreach(a, i, x)
		(void)!cv_buf_printf(&b, "%s%s", i ? "; " : "", json_string_value(x));
	return b.len ? cv_buf_detach(&b, NULL) : (cv_buf_release(&b), cv_xstrdup(""));
}

int monitor_verdict_move(struct store *s, struct store_machine_row *m, const struct monitor_verdict *v,
			 const char *digest, int64_t at, struct cv_strv *hold, bool *ret_changed)
{
	json_t *old_diff = m->differences ? json_loads(m->differences, 0, NULL) : NULL, *details = NULL;
	char *diff_text = json_dumps(v->differences, JSON_COMPACT), *joined = NULL, *summary = NULL, when[32];
	const char *name = monitor_machine_name(m), *kind = NULL, *old_verdict = m->verdict;
	bool was_in = monitor_verdict_in(m->verdict), is_in = monitor_verdict_in(v->verdict);
	bool changed = !cv_streq(m->verdict, v->verdict) || !cv_streq(m->config_id, v->config_id) ||
		       !old_diff || !json_equal(old_diff, v->differences);
	int r = 0;

	if (ret_changed)
		*ret_changed = changed;
	if (!changed)
		goto out;
	monitor_iso(at, when);
	r = store_machine_verdict_add(s, &(struct store_verdict_row){ .machine_id = m->id, .at = when,
								    .verdict = v->verdict, .reason = v->reason,
								    .config_id = v->config_id, .differences = diff_text,
								    .descriptor_digest = digest });
	if (r < 0)
		goto out;
	joined = join_differences(v->differences);
	/* Who is told: a machine leaving (or first seen out of) a validated
	 * or supported configuration, one out whose differences changed, one
	 * coming back.  A move between two good configurations is history only. */
	if (!is_in && !old_verdict) {
		kind = "machine.drifted";
		summary = cv_xasprintf("%s is not in a validated configuration (%s): %s", name, v->verdict, joined);
	} else if (!is_in && was_in) {
		kind = "machine.drifted";
		summary = cv_xasprintf("%s left its %s configuration: %s", name,
				       cv_streq(old_verdict, "supported") ? "supported" : "validated", joined);
	} else if (!is_in) {
		kind = "machine.drifted";
		summary = cv_xasprintf("%s is still out of a validated configuration (%s): %s", name, v->verdict, joined);
	} else if (!was_in && old_verdict) {
		kind = "machine.returned";
		summary = cv_xasprintf("%s is back in a %s configuration (%s)", name, v->verdict,
				       v->config_id ? v->config_id : "?");
	}
	if (kind) {
		details = json_pack("{s:s, s:s?, s:s, s:O, s:s?, s:s?}", "verdict", v->verdict, "previous", old_verdict,
				    "reason", v->reason, "differences", v->differences, "config", v->config_id,
				    "descriptor_digest", digest);
		r = program_event_emit(s,
				       &(struct program_event){ .kind = kind, .customer_id = m->customer_id,
								.machine_id = m->id, .machine_name = name,
								.summary = summary, .details = details, .at = at },
				       NULL);
		if (r < 0)
			goto out;
	}
	/* The row now says the new verdict; its strings live in hold. */
	cv_strv_push(hold, v->verdict);
	m->verdict = hold->v[hold->n - 1];
	cv_strv_push(hold, v->reason);
	m->reason = hold->v[hold->n - 1];
	cv_strv_push_take(hold, diff_text);
	m->differences = hold->v[hold->n - 1];
	diff_text = NULL;
	if (v->config_id) {
		cv_strv_push(hold, v->config_id);
		m->config_id = hold->v[hold->n - 1];
	} else
		m->config_id = NULL;
out:
	json_decref(old_diff);
	json_decref(details);
	free(diff_text);
	free(joined);
	free(summary);
	return r;
}
