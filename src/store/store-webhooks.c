/*
 * store-webhooks.c - the queries of webhooks and their deliveries
 * (docs/webhooks.md).  A delivery is one event for one webhook: pending
 * until it is delivered, or failed after its last attempt; the deliverer
 * picks the due ones oldest first, a bounded batch at a time.  Same rules
 * as every shared query file (store-internal.h): one static statement
 * per function, every value bound, times given by the caller.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

/* ---- webhooks ---- */

int store_webhook_add(struct store *s, const struct store_webhook_row *row)
{
	return db_query(s,
			"INSERT INTO webhooks (id, customer_id, url, secret, kinds, created_by, created_at) "
			"VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), ?6, ?7)",
			NULL, NULL, "sssssss", row->id, row->customer_id, row->url, row->secret, row->kinds, row->created_by,
			row->created_at);
}

#define WEBHOOK_COLUMNS "id, customer_id, url, secret, kinds, created_by, created_at, disabled_at"

static void webhook_from(struct store *s, struct db_stmt *st, struct store_webhook_row *w)
{
	*w = (struct store_webhook_row){ .id = db_col(s, st, 0), .customer_id = db_col(s, st, 1), .url = db_col(s, st, 2),
					 .secret = db_col(s, st, 3), .kinds = db_col(s, st, 4),
					 .created_by = db_col(s, st, 5), .created_at = db_col(s, st, 6),
					 .disabled_at = db_col(s, st, 7) };
}

struct webhook_walk {
	store_webhook_cb cb;
	void *userdata;
	bool found;
};

static int webhook_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct webhook_walk *w = userdata;
	struct store_webhook_row row;

	webhook_from(s, st, &row);
	w->found = true;
	return w->cb(w->userdata, &row);
}

int store_webhook_get(struct store *s, const char *id, store_webhook_cb cb, void *userdata)
{
	struct webhook_walk w = { cb, userdata, false };
	int r = db_query(s, "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1 AND disabled_at IS NULL", webhook_row,
			 &w, "s", id);

	if (r < 0)
		return r;
	return w.found ? 0 : -ENOENT;
}

int store_webhook_list(struct store *s, bool all, const char *customer_id, store_webhook_cb cb, void *userdata)
{
	struct webhook_walk w = { cb, userdata, false };

	return db_query(s,
			"SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE disabled_at IS NULL "
			"AND (?1 = 1 OR customer_id = ?2 OR (?2 IS NULL AND customer_id IS NULL)) ORDER BY created_at, id",
			webhook_row, &w, "is", (int64_t)all, customer_id);
}

int store_webhook_disable(struct store *s, const char *id, const char *at)
{
	int r = db_query(s, "UPDATE webhooks SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL", NULL, NULL, "ss",
			 id, at);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}

/* ---- deliveries ---- */

struct delivery_walk {
	store_delivery_cb cb;
	void *userdata;
};

#define DELIVERY_COLUMNS                                                                                               \
	"d.id, d.webhook_id, d.event_seq, d.state, d.attempts, d.next_at_s, d.last_status, d.last_error, "            \
	"d.delivered_at, d.created_at, e.kind, e.id"

static void delivery_from(struct store *s, struct db_stmt *st, struct store_delivery_row *d)
{
	*d = (struct store_delivery_row){
		.id = s->ops->column_int64(st, 0), .webhook_id = db_col(s, st, 1), .event_seq = s->ops->column_int64(st, 2),
		.state = db_col(s, st, 3), .attempts = s->ops->column_int64(st, 4), .next_at_s = s->ops->column_int64(st, 5),
		.last_status = db_col(s, st, 6) ? s->ops->column_int64(st, 6) : -1, .last_error = db_col(s, st, 7),
		.delivered_at = db_col(s, st, 8), .created_at = db_col(s, st, 9), .event_kind = db_col(s, st, 10),
		.event_id = db_col(s, st, 11),
	};
}

static int delivery_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct delivery_walk *w = userdata;
	struct store_delivery_row row;

	delivery_from(s, st, &row);
	return w->cb(w->userdata, &row);
}

static int due_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct delivery_walk *w = userdata;
	struct store_delivery_row row;

	delivery_from(s, st, &row);
	row.url = db_col(s, st, 12);
	row.secret = db_col(s, st, 13);
	row.event_doc = db_col(s, st, 14);
	return w->cb(w->userdata, &row);
}

int store_delivery_due(struct store *s, int64_t now_s, int64_t limit, store_delivery_cb cb, void *userdata)
{
	struct delivery_walk w = { cb, userdata };

	/* Oldest due first: a receiver that was down gets its events in
	 * the order they happened, as far as retries allow. */
	return db_query(s,
			"SELECT " DELIVERY_COLUMNS ", w.url, w.secret, e.doc FROM deliveries d "
			"JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.seq = d.event_seq "
			"WHERE d.state = 'pending' AND d.next_at_s <= ?1 AND w.disabled_at IS NULL "
			"ORDER BY d.next_at_s, d.id LIMIT ?2",
			due_row, &w, "ii", now_s, limit > 0 ? limit : (int64_t)1);
}

int store_delivery_claim(struct store *s, int64_t id, int64_t now_s, int64_t until_s)
{
	/* "Still due" is checked by the UPDATE itself, not by the read that
	 * found it due: PostgreSQL re-evaluates the WHERE on the row's newest
	 * version once a concurrent claim commits (READ COMMITTED), SQLite
	 * runs writers one at a time; either way the second claim changes
	 * nothing. */
	int r = db_query(s, "UPDATE deliveries SET next_at_s = ?2 WHERE id = ?1 AND state = 'pending' AND next_at_s <= ?3",
			 NULL, NULL, "iii", id, until_s, now_s);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) > 0;
}

int store_delivery_result(struct store *s, int64_t id, const char *state, int64_t status, const char *error,
			  int64_t next_at_s, const char *delivered_at)
{
	int r = db_query(s,
			 "UPDATE deliveries SET state = ?2, attempts = attempts + 1, last_status = ?3, last_error = ?4, "
			 "next_at_s = ?5, delivered_at = ?6 WHERE id = ?1 AND state = 'pending'",
			 NULL, NULL, "isisis", id, state, status, error, next_at_s, delivered_at);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}

int store_delivery_list(struct store *s, const char *webhook_id, int64_t limit, int64_t offset, store_delivery_cb cb,
			void *userdata)
{
	struct delivery_walk w = { cb, userdata };

	return db_query(s,
			"SELECT " DELIVERY_COLUMNS " FROM deliveries d JOIN events e ON e.seq = d.event_seq "
			"WHERE d.webhook_id = ?1 ORDER BY d.id DESC LIMIT ?2 OFFSET ?3",
			delivery_row, &w, "sii", webhook_id, limit > 0 ? limit : DB_NO_LIMIT, offset > 0 ? offset : (int64_t)0);
}

int store_delivery_count(struct store *s, const char *webhook_id, int64_t *ret)
{
	int64_t n = 0;
	int r = db_query(s, "SELECT count(*) FROM deliveries WHERE webhook_id = ?1", db_take_int, &n, "s", webhook_id);

	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

/* ---- events of a case, by kind (support's SLA breaches: once per clock) ---- */

int store_event_case_list(struct store *s, const char *case_id, const char *kind, store_row_cb cb, void *userdata)
{
	return db_walk_docs(s, "SELECT id, doc FROM events WHERE case_id = ?1 AND kind = ?2 ORDER BY seq", cb, userdata,
			    "ss", case_id, kind);
}
