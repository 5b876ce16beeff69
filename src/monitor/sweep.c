/*
 * sweep.c - what happens when nobody reports (docs/monitor.md, "The
 * sweep"): machines silent past their customer's heartbeat timeout become
 * late (machine.late, once: the flag stays until a report clears it with
 * machine.resumed); after a catalog change every stored descriptor is
 * checked again, so a revoked configuration makes its machines drift
 * without waiting for them to send a new descriptor.
 *
 * Each machine is read and written inside one transaction, so a report
 * arriving meanwhile is either before (and the machine is not late) or
 * after (and it resumes).
 */
#include <jansson.h>

#include "covalid/descriptor.h"
#include "covalid/store.h"
#include "monitor/monitor-internal.h"
#include "util/cv.h"

static int collect_customer(void *userdata, const char *id, const char *name, const char *created_at)
{
	(void)name;
	(void)created_at;
	cv_strv_push(userdata, id);
	return 0;
}

/* Flags one machine late, if it still is, in the caller's transaction. */
static int mark_late(struct store *s, const char *id, int64_t before_s, int64_t timeout_s, int64_t now, bool *ret_marked)
{
	struct store_machine_row *m = NULL;
	struct cv_strv flags = { 0 };
	char *joined = NULL, *summary = NULL;
	json_t *d = NULL;
	/* Locked before it is read: a report committed meanwhile (on any
	 * node) is seen, and clears the silence, rather than overwritten. */
	int r = store_machine_lock(s, id);

	*ret_marked = false;
	if (r == 0)
		r = store_machine_get_state(s, id, &m);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	monitor_flags_parse(m->flags, &flags);
	if (m->last_seen_s >= before_s || cv_strv_contains(&flags, "late"))
		goto out; /* it reported meanwhile */
	cv_strv_push(&flags, "late");
	joined = monitor_flags_join(&flags);
	m->flags = joined;
	r = store_machine_update(s, m);
	if (r < 0)
		goto out;
	d = json_pack("{s:s?, s:I, s:I}", "last_seen", m->last_seen, "silent_s", (json_int_t)(now - m->last_seen_s),
		      "heartbeat_timeout_s", (json_int_t)timeout_s);
	summary = m->last_seen ? cv_xasprintf("%s has not reported for %lld s (heartbeat timeout %lld s)",
					      monitor_machine_name(m), (long long)(now - m->last_seen_s), (long long)timeout_s)
			       : cv_xasprintf("%s has not reported since it enrolled %lld s ago (heartbeat timeout %lld s)",
					      monitor_machine_name(m), (long long)(now - m->last_seen_s), (long long)timeout_s);
	r = program_event_emit(s,
			       &(struct program_event){ .kind = "machine.late", .customer_id = m->customer_id,
							.machine_id = m->id, .machine_name = monitor_machine_name(m),
							.summary = summary, .details = d, .at = now },
			       NULL);
	*ret_marked = r == 0;
out:
	cv_strv_release(&flags);
	json_decref(d);
	free(joined);
	free(summary);
	store_machine_free(m);
	return r;
}

int monitor_sweep_late(struct store *s, int64_t now, int64_t listening_since, size_t *ret_n)
{
	struct cv_strv customers = { 0 };
	size_t n = 0;
	int r = store_customer_list(s, collect_customer, &customers);

	for (size_t c = 0; r >= 0 && c < customers.n; c++) {
		struct monitor_thresholds t;
		struct cv_strv ids = { 0 };
		int64_t before;

		r = monitor_thresholds_load(s, customers.v[c], &t);
		if (r < 0)
			break;
		before = now - t.heartbeat_timeout_s;
		if (before < listening_since)
			continue; /* the server has not heard long enough to tell */
		r = store_machine_ids_late(s, customers.v[c], before, &ids);
		for (size_t i = 0; r >= 0 && i < ids.n; i++) {
			bool marked = false;

			r = program_txn_begin(s, NULL);
			if (r < 0)
				break;
			r = program_txn_end(s, mark_late(s, ids.v[i], before, t.heartbeat_timeout_s, now, &marked), NULL);
			if (r == 0)
				n += marked;
		}
		cv_strv_release(&ids);
	}
	cv_strv_release(&customers);
	if (ret_n)
		*ret_n = n;
	return r < 0 ? r : 0;
}

/* One machine checked again, in the caller's transaction. */
static int reverdict_one(struct store *s, const struct check_index *ix, const char *id, int64_t now, bool *ret_changed)
{
	struct store_machine_row *m = NULL;
	struct descriptor *d = NULL;
	struct monitor_verdict v = { 0 };
	struct cv_strv hold = { 0 };
	int r = store_machine_lock(s, id); /* as mark_late's */

	*ret_changed = false;
	if (r == 0)
		r = store_machine_get(s, id, &m);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	/* Stored descriptors were read strictly when they came; one that no
	 * longer reads (an older schema) keeps its verdict. */
	if (!m->descriptor || descriptor_from_json(m->descriptor, strlen(m->descriptor), &d, NULL) < 0)
		goto out;
	r = monitor_verdict_compute(ix, d, &v);
	if (r < 0)
		goto out;
	r = monitor_verdict_move(s, m, &v, m->descriptor_digest, now, &hold, ret_changed);
	if (r == 0 && *ret_changed)
		r = store_machine_update(s, m);
out:
	monitor_verdict_release(&v);
	descriptor_free(d);
	cv_strv_release(&hold);
	store_machine_free(m);
	return r;
}

int monitor_sweep_reverdict(struct store *s, const struct check_index *ix, int64_t now, const atomic_bool *stop,
			    size_t *ret_n)
{
	struct cv_strv ids = { 0 };
	size_t n = 0;
	int r = store_machine_ids_with_descriptor(s, &ids);

	/* A transaction per machine: a long pass never holds the writer
	 * lock from the reports arriving meanwhile. */
	for (size_t i = 0; r >= 0 && i < ids.n; i++) {
		bool changed = false;

		if (stop && atomic_load(stop)) {
			r = -ECANCELED;
			break;
		}
		r = program_txn_begin(s, NULL);
		if (r < 0)
			break;
		r = program_txn_end(s, reverdict_one(s, ix, ids.v[i], now, &changed), NULL);
		if (r == 0)
			n += changed;
	}
	cv_strv_release(&ids);
	if (ret_n)
		*ret_n = n;
	return r < 0 ? r : 0;
}
