/*
 * store-query.c - the few helpers every query of store*.c is written
 * with: run one bound statement over its rows, take a column, one value.
 */
#include <stdarg.h>

#include "store/store-internal.h"
#include "util/cv.h"

int db_query(struct store *s, const char *sql, db_row_fn row, void *userdata, const char *fmt, ...)
{
	struct db_stmt *st;
	va_list ap;
	int r;

	r = s->ops->prepare(s->db, sql, &st);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	for (int i = 0; fmt && fmt[i]; i++) {
		if (fmt[i] == 's')
			s->ops->bind_text(st, i + 1, va_arg(ap, const char *));
		else
			s->ops->bind_int64(st, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
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

/* An UPDATE of one row by id: -ENOENT when there was none. */
int db_update_one(struct store *s, const char *sql, const char *id)
{
	int r = db_query(s, sql, NULL, NULL, "s", id);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}

