/*
 * store-machines.c - the queries of monitoring's machines (docs/monitor.md):
 * enrolled machines, their verdicts over time, per-customer thresholds,
 * fleet samples, and reading the event log by scope.  Same rules as every
 * shared query file (store-internal.h): one static statement per
 * function, every value bound, times given by the caller.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

/* A vendor sees a machine attached to a case opened with it or engaging
 * it; engaged is newline-separated, so each side is wrapped in newlines
 * (a literal newline inside the SQL string: every engine's SQL). */
#define VENDOR_SEES(machine_col, param)                                                   \
	"EXISTS (SELECT 1 FROM cases c WHERE c.machine_id = " machine_col " AND (c.vendor_id = " param \
	" OR strpos('\n' || c.engaged || '\n', '\n' || " param " || '\n') > 0))"

/* Flags are space-separated words. */
#define FLAG_LATE "(strpos(' ' || flags || ' ', ' late ') > 0)"

/* A machine with its descriptor (its own table: see migration 6). */
#define MACHINE_COLUMNS                                                                                        \
	"machines.id, customer_id, machine_key, name, credential_hash, enrolled_at, last_seen, d.descriptor, " \
	"descriptor_digest, verdict, reason, differences, config_id, health, flags, last_seen_s, interval_s, seq, " \
	"reports, vcpus"
#define MACHINE_FROM " FROM machines LEFT JOIN machine_descriptors d ON d.machine_id = machines.id"
/* Its state without the descriptor and health (what a report reads). */
#define MACHINE_STATE                                                                                  \
	"SELECT id, customer_id, machine_key, name, credential_hash, enrolled_at, last_seen, NULL, "  \
	"descriptor_digest, verdict, reason, differences, config_id, NULL, flags, last_seen_s, interval_s, seq, " \
	"reports, vcpus FROM machines"
#define MACHINE_TEXT 15

/* A row and its strings in one allocation (as store-support.c's cases). */
static struct store_machine_row *machine_from(struct store *s, struct db_stmt *st)
{
	const char *v[MACHINE_TEXT];
	size_t n = 0;
	struct store_machine_row *m;
	char *p;

	for (int i = 0; i < MACHINE_TEXT; i++) {
		v[i] = db_col(s, st, i);
		n += v[i] ? strlen(v[i]) + 1 : 0;
	}
	m = cv_xcalloc(1, sizeof(*m) + n);
	p = (char *)(m + 1);
	{
		const char **f[MACHINE_TEXT] = { &m->id,	   &m->customer_id, &m->machine_key, &m->name,
						 &m->credential_hash, &m->enrolled_at, &m->last_seen, &m->descriptor,
						 &m->descriptor_digest, &m->verdict, &m->reason, &m->differences,
						 &m->config_id,   &m->health,	&m->flags };

		for (int i = 0; i < MACHINE_TEXT; i++)
			if (v[i]) {
				*f[i] = p;
				p = stpcpy(p, v[i]) + 1;
			}
	}
	m->last_seen_s = s->ops->column_int64(st, 15);
	m->interval_s = s->ops->column_int64(st, 16);
	m->seq = s->ops->column_int64(st, 17);
	m->reports = s->ops->column_int64(st, 18);
	m->vcpus = s->ops->column_int64(st, 19);
	return m;
}

static int machine_take(struct store *s, struct db_stmt *st, void *userdata)
{
	*(struct store_machine_row **)userdata = machine_from(s, st);
	return 1;
}

int store_machine_add(struct store *s, const struct store_machine_row *row)
{
	return db_query(s,
			"INSERT INTO machines (id, customer_id, machine_key, name, credential_hash, enrolled_at, "
			"last_seen_s, interval_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			NULL, NULL, "ssssssii", row->id, row->customer_id, row->machine_key, row->name,
			row->credential_hash, row->enrolled_at, row->last_seen_s, row->interval_s);
}

int store_machine_find_key(struct store *s, const char *customer_id, const char *machine_key, char **ret_id)
{
	char *id = NULL;
	int r = db_query(s, "SELECT id FROM machines WHERE customer_id = ?1 AND machine_key = ?2", db_take_first, &id,
			 "ss", customer_id, machine_key);

	if (r < 0)
		return r;
	if (!id)
		return -ENOENT;
	*ret_id = id;
	return 0;
}

int store_machine_reenroll(struct store *s, const char *id, const char *name, const char *credential_hash,
			   int64_t interval_s)
{
	/* A new credential starts the agent's numbering afresh (an agent
	 * enrolled from a new state directory counts from 1): the old
	 * credential's reports are refused from now on, so none of them can
	 * be taken for a new one. */
	int r = db_query(s,
			 "UPDATE machines SET name = coalesce(?2, name), credential_hash = ?3, interval_s = ?4, seq = 0 "
			 "WHERE id = ?1",
			 NULL, NULL, "sssi", id, name, credential_hash, interval_s);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}

int store_machine_lock(struct store *s, const char *id)
{
	/* The statement that follows in the same transaction (READ
	 * COMMITTED: each statement sees what has committed before it)
	 * reads the row as the last writer, waited for here, left it. */
	int r = db_query(s, "UPDATE machines SET seq = seq WHERE id = ?1", NULL, NULL, "s", id);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}

static int machine_get_by(struct store *s, const char *sql, const char *key, struct store_machine_row **ret)
{
	struct store_machine_row *m = NULL;
	int r = db_query(s, sql, machine_take, &m, "s", key);

	if (r < 0)
		return r;
	if (!m)
		return -ENOENT;
	*ret = m;
	return 0;
}

int store_machine_get(struct store *s, const char *id, struct store_machine_row **ret)
{
	return machine_get_by(s, "SELECT " MACHINE_COLUMNS MACHINE_FROM " WHERE machines.id = ?1", id, ret);
}

int store_machine_get_state(struct store *s, const char *id, struct store_machine_row **ret)
{
	return machine_get_by(s, MACHINE_STATE " WHERE id = ?1", id, ret);
}

int store_machine_find_credential(struct store *s, const char *credential_hash, struct store_machine_row **ret)
{
	return machine_get_by(s, MACHINE_STATE " WHERE credential_hash = ?1", credential_hash, ret);
}

void store_machine_free(struct store_machine_row *row)
{
	free(row);
}

int store_machine_update(struct store *s, const struct store_machine_row *m)
{
	/* health NULL keeps the stored one: a heartbeat without health, or
	 * a row read without it (store_machine_get_state). */
	int r = db_query(s,
			 "UPDATE machines SET last_seen = ?2, last_seen_s = ?3, interval_s = ?4, seq = ?5, reports = ?6, "
			 "vcpus = ?7, descriptor_digest = ?8, verdict = ?9, reason = ?10, differences = ?11, "
			 "config_id = ?12, health = coalesce(?13, health), flags = ?14 WHERE id = ?1",
			 NULL, NULL, "ssiiiiissssssss", m->id, m->last_seen, m->last_seen_s, m->interval_s, m->seq,
			 m->reports, m->vcpus, m->descriptor_digest, m->verdict, m->reason, m->differences, m->config_id,
			 m->health, m->flags ? m->flags : "");

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}

int store_machine_set_descriptor(struct store *s, const char *id, const char *descriptor)
{
	return db_query(s,
			"INSERT INTO machine_descriptors (machine_id, descriptor) VALUES (?1, ?2) "
			"ON CONFLICT (machine_id) DO UPDATE SET descriptor = excluded.descriptor",
			NULL, NULL, "ss", id, descriptor);
}

/* The filters of a listing, as one WHERE clause over ?1..?4. */
#define MACHINE_WHERE                                                                                     \
	" WHERE (?1 IS NULL OR customer_id = ?1) AND (?2 IS NULL OR " VENDOR_SEES("machines.id", "?2") ") " \
	"AND (?3 IS NULL OR verdict = ?3 OR (?3 = 'drifted' AND verdict IS NOT NULL AND "                 \
	"verdict NOT IN ('validated', 'supported'))) "                                                    \
	"AND (?4 < 0 OR (?4 = 1) = " FLAG_LATE ")"

struct machine_walk {
	store_machine_cb cb;
	void *userdata;
};

static int machine_list_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct machine_walk *w = userdata;
	struct store_machine_row *m = machine_from(s, st);
	int r = w->cb(w->userdata, m);

	free(m);
	return r;
}

int store_machine_list(struct store *s, const struct store_machine_query *q, store_machine_cb cb, void *userdata)
{
	struct machine_walk w = { cb, userdata };
	int r = db_query(s,
			 "SELECT " MACHINE_COLUMNS MACHINE_FROM MACHINE_WHERE
			 " ORDER BY CASE WHEN verdict IS NULL OR verdict IN ('validated', 'supported') THEN 1 ELSE 0 END, "
			 "CASE WHEN " FLAG_LATE " THEN 0 ELSE 1 END, name, id LIMIT ?5 OFFSET ?6",
			 machine_list_row, &w, "sssiii", q->customer_id, q->vendor_id, q->verdict, (int64_t)q->late,
			 q->limit > 0 ? q->limit : DB_NO_LIMIT, q->offset > 0 ? q->offset : (int64_t)0);

	return r < 0 ? r : 0;
}

int store_machine_count(struct store *s, const struct store_machine_query *q, int64_t *ret)
{
	int64_t n = 0;
	int r = db_query(s, "SELECT count(*) FROM machines" MACHINE_WHERE, db_take_int, &n, "sssi", q->customer_id,
			 q->vendor_id, q->verdict, (int64_t)q->late);

	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

int store_machine_vendor_visible(struct store *s, const char *machine_id, const char *vendor_id, bool *ret)
{
	int64_t n = 0;
	int r = db_query(s, "SELECT count(*) FROM machines WHERE id = ?1 AND " VENDOR_SEES("?1", "?2"), db_take_int, &n,
			 "ss", machine_id, vendor_id);

	if (r < 0)
		return r;
	*ret = n > 0;
	return 0;
}

static int push_id(struct store *s, struct db_stmt *st, void *userdata)
{
	const char *id = db_col(s, st, 0);

	if (id)
		cv_strv_push(userdata, id);
	return 0;
}

int store_machine_ids_with_descriptor(struct store *s, struct cv_strv *ret)
{
	return db_query(s, "SELECT machine_id FROM machine_descriptors ORDER BY machine_id", push_id, ret, NULL);
}

int store_machine_ids_late(struct store *s, const char *customer_id, int64_t before_s, struct cv_strv *ret)
{
	return db_query(s,
			"SELECT id FROM machines WHERE customer_id = ?1 AND last_seen_s < ?2 AND NOT " FLAG_LATE
			" ORDER BY id",
			push_id, ret, "si", customer_id, before_s);
}

struct count_walk {
	store_count_cb cb;
	void *userdata;
};

static int count_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct count_walk *w = userdata;
	const char *k = db_col(s, st, 0);

	return w->cb(w->userdata, k ? k : "none", s->ops->column_int64(st, 1));
}

int store_machine_counts(struct store *s, const char *customer_id, store_count_cb cb, void *userdata)
{
	struct count_walk w = { cb, userdata };
	int r = db_query(s,
			 "SELECT verdict, count(*) FROM machines WHERE (?1 IS NULL OR customer_id = ?1) "
			 "GROUP BY verdict ORDER BY verdict",
			 count_row, &w, "s", customer_id);

	if (r < 0)
		return r;
	r = db_query(s,
		     "SELECT 'late', count(*) FROM machines WHERE (?1 IS NULL OR customer_id = ?1) AND " FLAG_LATE,
		     count_row, &w, "s", customer_id);
	return r < 0 ? r : 0;
}

int store_monitor_delivery_counts(struct store *s, int64_t *ret_total, int64_t *ret_failed)
{
	int64_t total = 0, failed = 0;
	int r = db_query(s, "SELECT count(*) FROM deliveries", db_take_int, &total, NULL);

	if (r >= 0)
		r = db_query(s, "SELECT count(*) FROM deliveries WHERE state = 'failed'", db_take_int, &failed, NULL);
	if (r < 0)
		return r;
	*ret_total = total;
	*ret_failed = failed;
	return 0;
}

/* ---- verdicts over time ---- */

int store_machine_verdict_add(struct store *s, const struct store_verdict_row *v)
{
	return db_query(s,
			"INSERT INTO machine_verdicts (machine_id, at, verdict, reason, config_id, differences, "
			"descriptor_digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			NULL, NULL, "sssssss", v->machine_id, v->at, v->verdict, v->reason, v->config_id, v->differences,
			v->descriptor_digest);
}

struct verdict_walk {
	store_verdict_cb cb;
	void *userdata;
};

static int verdict_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct verdict_walk *w = userdata;
	struct store_verdict_row v = { db_col(s, st, 0), db_col(s, st, 1), db_col(s, st, 2), db_col(s, st, 3),
				       db_col(s, st, 4), db_col(s, st, 5), db_col(s, st, 6) };

	return w->cb(w->userdata, &v);
}

int store_machine_verdict_list(struct store *s, const char *machine_id, int64_t limit, store_verdict_cb cb,
			       void *userdata)
{
	struct verdict_walk w = { cb, userdata };
	/* The id breaks ties between changes within one second (migration 7). */
	int r = db_query(s,
			 "SELECT machine_id, at, verdict, reason, config_id, differences, descriptor_digest "
			 "FROM machine_verdicts WHERE machine_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
			 verdict_row, &w, "si", machine_id, limit > 0 ? limit : DB_NO_LIMIT);

	return r < 0 ? r : 0;
}

/* ---- settings ---- */

int store_monitor_settings_get(struct store *s, const char *customer_id, char **ret_doc)
{
	return db_get_one(s, "SELECT doc FROM monitor_settings WHERE customer_id = ?1", customer_id, ret_doc);
}

int store_monitor_settings_put(struct store *s, const char *customer_id, const char *doc)
{
	int r = db_query(s, "UPDATE monitor_settings SET doc = ?2 WHERE customer_id = ?1", NULL, NULL, "ss", customer_id,
			 doc);

	if (r < 0 || s->ops->changes(s->db))
		return r < 0 ? r : 0;
	return db_query(s, "INSERT INTO monitor_settings (customer_id, doc) VALUES (?1, ?2)", NULL, NULL, "ss",
			customer_id, doc);
}

/* ---- fleet samples ---- */

int store_fleet_sample_add(struct store *s, const char *customer_id, const char *at, const char *verdict,
			   int64_t count)
{
	/* A sample already there for that second (a restart, or a sweep
	 * that changed nodes) stands, and is no error: PostgreSQL would
	 * abort the whole transaction on the unique key's violation, and
	 * with it the customer's other counts. */
	return db_query(s,
			"INSERT INTO fleet_samples (customer_id, at, verdict, count) VALUES (?1, ?2, ?3, ?4) "
			"ON CONFLICT DO NOTHING",
			NULL, NULL, "sssi", customer_id, at, verdict, count);
}

struct sample_walk {
	store_sample_cb cb;
	void *userdata;
};

static int sample_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct sample_walk *w = userdata;

	return w->cb(w->userdata, db_col(s, st, 0), db_col(s, st, 1), s->ops->column_int64(st, 2));
}

int store_fleet_samples(struct store *s, const char *customer_id, const char *since, store_sample_cb cb,
			void *userdata)
{
	struct sample_walk w = { cb, userdata };
	int r = db_query(s,
			 "SELECT at, verdict, sum(count) FROM fleet_samples WHERE (?1 IS NULL OR customer_id = ?1) "
			 "AND at >= ?2 GROUP BY at, verdict ORDER BY at, verdict",
			 sample_row, &w, "ss", customer_id, since);

	return r < 0 ? r : 0;
}

/* ---- reading the event log ---- */

#define EVENT_FILTERS                                                                             \
	"(?1 IS NULL OR customer_id = ?1) "                                                        \
	"AND (?2 IS NULL OR (?6 = 1 AND case_id IS NULL) "                                         \
	"     OR strpos('\n' || vendor_ids || '\n', '\n' || ?2 || '\n') > 0) "                         \
	"AND (?3 IS NULL OR machine_id = ?3) AND (?4 IS NULL OR case_id = ?4) AND (?5 < 0 OR seq > ?5)"

/*
 * One statement per filter shape, the most selective filter given leading
 * as a plain equality: "?N IS NULL OR col = ?N" alone makes SQLite scan
 * the whole log, a leading "col = ?N" lets it search the index.  EXPLAIN
 * QUERY PLAN (SQLite 3.40, the schema of migration 6):
 *   machine:  SEARCH events USING INDEX events_machine (machine_id=?)
 *   case:     SEARCH events USING INDEX events_case (case_id=?)
 *   customer: SEARCH events USING INDEX events_customer (customer_id=?)
 *   none:     SCAN events (every event: the owner's log, newest first by seq)
 */
enum event_shape { BY_MACHINE, BY_CASE, BY_CUSTOMER, BY_NONE };
#define EVENT_SELECT "SELECT seq, id, at, kind, customer_id, machine_id, case_id, vendor_ids, doc FROM events"
#define EVENT_SHAPES(head, tail)                                                   \
	{ head " WHERE machine_id = ?3 AND " EVENT_FILTERS tail,                   \
	  head " WHERE case_id = ?4 AND " EVENT_FILTERS tail,                      \
	  head " WHERE customer_id = ?1 AND " EVENT_FILTERS tail,                  \
	  head " WHERE " EVENT_FILTERS tail }

static enum event_shape event_shape(const struct store_event_query *q)
{
	return q->machine_id ? BY_MACHINE : q->case_id ? BY_CASE : q->customer_id ? BY_CUSTOMER : BY_NONE;
}

struct event_walk {
	store_event_cb cb;
	void *userdata;
};

static int event_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct event_walk *w = userdata;
	struct store_event_row e = { .seq = s->ops->column_int64(st, 0),
				     .id = db_col(s, st, 1),
				     .at = db_col(s, st, 2),
				     .kind = db_col(s, st, 3),
				     .customer_id = db_col(s, st, 4),
				     .machine_id = db_col(s, st, 5),
				     .case_id = db_col(s, st, 6),
				     .vendor_ids = db_col(s, st, 7),
				     .doc = db_col(s, st, 8) };

	return w->cb(w->userdata, &e);
}

int store_event_list(struct store *s, const struct store_event_query *q, store_event_cb cb, void *userdata)
{
	static const char *const forward[] = EVENT_SHAPES(EVENT_SELECT, " ORDER BY seq LIMIT ?7 OFFSET ?8");
	static const char *const newest[] = EVENT_SHAPES(EVENT_SELECT, " ORDER BY seq DESC LIMIT ?7 OFFSET ?8");
	struct event_walk w = { cb, userdata };
	/* Paging by seq reads forward (a poller's cursor); otherwise newest first. */
	int r = db_query(s, (q->after >= 0 ? forward : newest)[event_shape(q)], event_row, &w, "ssssiiii", q->customer_id,
			 q->vendor_id, q->machine_id, q->case_id, q->after, (int64_t)q->machine_events,
			 q->limit > 0 ? q->limit : DB_NO_LIMIT,
			 q->offset > 0 ? q->offset : (int64_t)0);

	return r < 0 ? r : 0;
}

int store_event_count(struct store *s, const struct store_event_query *q, int64_t *ret)
{
	int64_t n = 0;
	static const char *const count[] = EVENT_SHAPES("SELECT count(*) FROM events", "");
	int r = db_query(s, count[event_shape(q)], db_take_int, &n, "ssssii", q->customer_id, q->vendor_id, q->machine_id,
			 q->case_id, q->after, (int64_t)q->machine_events);

	if (r < 0)
		return r;
	*ret = n;
	return 0;
}
