/*
 * store-query.c - the few helpers every query of store*.c is written
 * with: run one bound statement over its rows, take a column, one value.
 */
#include <stdarg.h>

#include "store/store-internal.h"
#include "util/cv.h"

/* The strings bound must stay as they are until the call returns: they
 * are bound without a copy (and unbound before it returns). */
int db_vquery(struct store *s, const char *sql, db_row_fn row, void *userdata, const char *fmt, va_list ap)
{
	struct db_stmt *st;
	int r;

	r = s->ops->prepare(s->db, sql, &st);
	if (r < 0)
		return r;
	for (int i = 0; fmt && fmt[i]; i++) {
		if (fmt[i] == 's')
			s->ops->bind_text(st, i + 1, va_arg(ap, const char *));
		else
			s->ops->bind_int64(st, i + 1, va_arg(ap, int64_t));
	}
	while ((r = s->ops->step(st)) == 1) {
		if (!row)
			continue;
		r = row(s, st, userdata);
		if (r)
			break;
	}
	s->ops->finalize(st);
	return r;
}

int db_query(struct store *s, const char *sql, db_row_fn row, void *userdata, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = db_vquery(s, sql, row, userdata, fmt, ap);
	va_end(ap);
	return r;
}

const char *db_col(struct store *s, struct db_stmt *st, int i)
{
	return s->ops->column_text(st, i);
}

char *db_dup_col(struct store *s, struct db_stmt *st, int i)
{
	const char *v = db_col(s, st, i);

	return v ? cv_xstrdup(v) : NULL;
}

int db_take_first(struct store *s, struct db_stmt *st, void *userdata)
{
	*(char **)userdata = db_dup_col(s, st, 0);
	return 1; /* one row is enough */
}

/* One text value, or -ENOENT. */
int db_get_one(struct store *s, const char *sql, const char *key, char **ret)
{
	char *v = NULL;
	int r = db_query(s, sql, db_take_first, &v, "s", key);

	if (r < 0)
		return r;
	if (!v)
		return -ENOENT;
	*ret = v;
	return 0;
}

int db_take_int(struct store *s, struct db_stmt *st, void *userdata)
{
	*(int64_t *)userdata = s->ops->column_int64(st, 0);
	return 1;
}

const char *db_now(char buf[static DB_NOW_SIZE])
{
	/* Whole seconds of the wall clock, as SQLite's strftime(..., 'now')
	 * wrote them before the time became a parameter.  Not time(NULL):
	 * glibc reads it from the coarse clock, which may still say the last
	 * second for a few milliseconds after the precise one has moved on. */
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	cv_time_iso8601((int64_t)ts.tv_sec, buf, DB_NOW_SIZE);
	return buf;
}

int db_update_one(struct store *s, const char *sql, const char *id, const char *now)
{
	int r = db_query(s, sql, NULL, NULL, "ss", id, now);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}


int db_get_name(struct store *s, const char *sql, const char *id, char **ret_name)
{
	char *name = NULL;
	int r = db_get_one(s, sql, id, &name);

	if (r < 0)
		return r;
	if (ret_name)
		*ret_name = name;
	else
		free(name);
	return 0;
}

struct walk {
	store_row_cb row;
	store_org_cb org;
	void *userdata;
};

static int id_doc_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct walk *w = userdata;

	return w->row(w->userdata, db_col(s, st, 0), db_col(s, st, 1));
}

static int org_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct walk *w = userdata;

	return w->org(w->userdata, db_col(s, st, 0), db_col(s, st, 1), db_col(s, st, 2));
}

int db_walk_docs(struct store *s, const char *sql, store_row_cb cb, void *userdata, const char *fmt, ...)
{
	struct walk w = { .row = cb, .userdata = userdata };
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = db_vquery(s, sql, id_doc_row, &w, fmt, ap);
	va_end(ap);
	return r;
}

int db_walk_orgs(struct store *s, const char *sql, store_org_cb cb, void *userdata)
{
	struct walk w = { .org = cb, .userdata = userdata };

	return db_query(s, sql, org_row, &w, NULL);
}
