/*
 * store-support.c - the queries of cooperative support: customers,
 * agreements, cases (docs/support.md).  Same rules as every shared query
 * file (store-internal.h): one static statement per function, every
 * value bound, SQL both engines speak.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

/* ---- customers ---- */

int store_customer_add(struct store *s, const char *id, const char *name)
{
	return db_query(s, "INSERT INTO customers (id, name) VALUES (?1, ?2)", NULL, NULL, "ss", id, name);
}

int store_customer_get(struct store *s, const char *id, char **ret_name)
{
	return db_get_name(s, "SELECT name FROM customers WHERE id = ?1", id, ret_name);
}

int store_customer_list(struct store *s, store_org_cb cb, void *userdata)
{
	return db_walk_orgs(s, "SELECT id, name, created_at FROM customers ORDER BY id", cb, userdata);
}

/* ---- agreements ---- */

int store_agreement_add(struct store *s, const char *id, const char *customer_id, const char *vendor_id,
			const char *doc)
{
	return db_query(s, "INSERT INTO agreements (id, customer_id, vendor_id, doc) VALUES (?1, ?2, ?3, ?4)", NULL, NULL,
			"ssss", id, customer_id, vendor_id, doc);
}

int store_agreement_list(struct store *s, const char *customer_id, const char *vendor_id, store_row_cb cb,
			 void *userdata)
{
	return db_walk_docs(s,
			    "SELECT id, doc FROM agreements WHERE (?1 IS NULL OR customer_id = ?1) "
			    "AND (?2 IS NULL OR vendor_id = ?2) ORDER BY id",
			    cb, userdata, "ss", customer_id, vendor_id);
}

/* ---- cases ---- */

int store_case_add(struct store *s, const struct store_case_row *row)
{
	return db_query(s,
			"INSERT INTO cases (id, customer_id, vendor_id, engaged, state, severity, version, doc, machine_id) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8)",
			NULL, NULL, "sssssiss", row->id, row->customer_id, row->vendor_id, row->engaged ? row->engaged : "",
			row->state, row->severity, row->doc, row->machine_id);
}

#define CASE_COLUMNS "id, customer_id, vendor_id, engaged, state, severity, version, doc, created_at, updated_at"

/* A row and its strings in one allocation. */
static struct store_case_row *case_from(struct store *s, struct db_stmt *st)
{
	static const int text[] = { 0, 1, 2, 3, 4, 7, 8, 9 };
	const char *v[8];
	size_t n = 0;
	struct store_case_row *c;
	char *p;

	for (size_t i = 0; i < 8; i++) {
		v[i] = db_col(s, st, text[i]);
		n += v[i] ? strlen(v[i]) + 1 : 0;
	}
	c = cv_xcalloc(1, sizeof(*c) + n);
	p = (char *)(c + 1);
	for (size_t i = 0; i < 8; i++) {
		const char **f[] = { &c->id, &c->customer_id, &c->vendor_id, &c->engaged,
				     &c->state, &c->doc, &c->created_at, &c->updated_at };

		if (v[i]) {
			*f[i] = p;
			p = stpcpy(p, v[i]) + 1;
		}
	}
	c->severity = s->ops->column_int64(st, 5);
	c->version = s->ops->column_int64(st, 6);
	return c;
}

static int case_take(struct store *s, struct db_stmt *st, void *userdata)
{
	*(struct store_case_row **)userdata = case_from(s, st);
	return 1;
}

int store_case_get(struct store *s, const char *id, struct store_case_row **ret)
{
	struct store_case_row *c = NULL;
	int r = db_query(s, "SELECT " CASE_COLUMNS " FROM cases WHERE id = ?1", case_take, &c, "s", id);

	if (r < 0)
		return r;
	if (!c)
		return -ENOENT;
	*ret = c;
	return 0;
}

void store_case_free(struct store_case_row *row)
{
	free(row);
}

int store_case_update(struct store *s, const struct store_case_row *row)
{
	char now[DB_NOW_SIZE];
	int r = db_query(s,
			 "UPDATE cases SET engaged = ?3, state = ?4, severity = ?5, doc = ?6, version = version + 1, "
			 "updated_at = ?7 WHERE id = ?1 AND version = ?2",
			 NULL, NULL, "sississ", row->id, row->version, row->engaged ? row->engaged : "", row->state,
			 row->severity, row->doc, db_now(now));
	char *id = NULL;

	if (r < 0)
		return r;
	if (s->ops->changes(s->db))
		return 0;
	r = db_get_one(s, "SELECT id FROM cases WHERE id = ?1", row->id, &id);
	free(id);
	return r == -ENOENT ? -ENOENT : r < 0 ? r : -ESTALE;
}

struct case_walk {
	store_case_cb cb;
	void *userdata;
};

static int case_list_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct case_walk *w = userdata;
	struct store_case_row *c = case_from(s, st);
	int r = w->cb(w->userdata, c);

	free(c);
	return r;
}

int store_case_list(struct store *s, const char *customer_id, const char *vendor_id, const char *state, int64_t limit,
		    int64_t offset, store_case_cb cb, void *userdata)
{
	struct case_walk w = { cb, userdata };

	return db_query(s,
			"SELECT " CASE_COLUMNS " FROM cases WHERE (?1 IS NULL OR customer_id = ?1) "
			"AND (?2 IS NULL OR vendor_id = ?2 OR strpos('\n' || engaged || '\n', "
			"'\n' || ?2 || '\n') > 0) AND (?3 IS NULL OR state = ?3) "
			"ORDER BY updated_at DESC, id LIMIT ?4 OFFSET ?5",
			case_list_row, &w, "sssii", customer_id, vendor_id, state, limit > 0 ? limit : DB_NO_LIMIT,
			offset > 0 ? offset : (int64_t)0);
}
