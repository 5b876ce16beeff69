/*
 * store-monitor.c - the queries of monitoring's event log (docs/monitor.md):
 * every event, a machine's or a case's, in one ordered log, fanned out to
 * the webhooks that want it in the same transaction, so an event is never
 * recorded without its deliveries nor delivered without being recorded.
 * Same rules as every shared query file (store-internal.h): one static
 * statement per function, every value bound, times given by the caller.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

int store_event_add(struct store *s, const struct store_event_row *row, int64_t now_s, int64_t *ret_seq)
{
	char at[32];
	int64_t seq = -1;
	int r;

	r = db_query(s,
		     "INSERT INTO events (id, at, kind, customer_id, machine_id, case_id, vendor_ids, doc) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, ''), ?8) RETURNING seq",
		     db_take_int, &seq, "ssssssss", row->id, row->at, row->kind, row->customer_id, row->machine_id,
		     row->case_id, row->vendor_ids, row->doc);
	if (r < 0)
		return r;
	if (seq < 0)
		return -EIO;
	cv_time_iso8601(now_s, at, sizeof(at));
	/* A kinds filter is space-separated words, matched whole. */
	r = db_query(s,
		     "INSERT INTO deliveries (webhook_id, event_seq, state, attempts, next_at_s, created_at) "
		     "SELECT id, ?1, 'pending', 0, ?2, ?3 FROM webhooks "
		     "WHERE disabled_at IS NULL AND (customer_id IS NULL OR customer_id = ?4) "
		     "AND (kinds = '' OR strpos(' ' || kinds || ' ', ' ' || ?5 || ' ') > 0)",
		     NULL, NULL, "iisss", seq, now_s, at, row->customer_id, row->kind);
	if (r < 0)
		return r;
	if (ret_seq)
		*ret_seq = seq;
	return 0;
}
