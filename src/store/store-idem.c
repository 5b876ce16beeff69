/*
 * store-idem.c - the Idempotency-Key of a write request, kept with the
 * answer it got (covalid/store.h, "idempotency keys"; the server's use:
 * src/server/idempotency.c).  Same rules as every shared query file
 * (store-internal.h): one static statement per function, every value
 * bound, SQL both engines speak.
 */
#include "covalid/store.h"
#include "store/store-internal.h"
#include "util/cv.h"

static int idem_row(struct store *s, struct db_stmt *st, void *userdata)
{
	struct store_idem_row **ret = userdata;
	struct store_idem_row *row = cv_xcalloc(1, sizeof(*row));

	row->fingerprint = db_dup_col(s, st, 0);
	row->status = s->ops->column_int64(st, 1);
	row->content_type = db_dup_col(s, st, 2);
	row->location = db_dup_col(s, st, 3);
	row->body = db_dup_col(s, st, 4);
	*ret = row;
	return 1;
}

int store_idem_get(struct store *s, const char *principal, const char *key, struct store_idem_row **ret)
{
	struct store_idem_row *row = NULL;
	int r = db_query(s,
			 "SELECT fingerprint, COALESCE(status, 0), content_type, location, body FROM idempotency_keys "
			 "WHERE principal = ?1 AND key = ?2",
			 idem_row, &row, "ss", principal, key);

	if (r < 0)
		return r;
	if (!row)
		return -ENOENT;
	*ret = row;
	return 0;
}

void store_idem_free(struct store_idem_row *row)
{
	if (!row)
		return;
	free(row->fingerprint);
	free(row->content_type);
	free(row->location);
	free(row->body);
	free(row);
}

int store_idem_claim(struct store *s, const char *principal, const char *key, const char *fingerprint, int64_t now_s)
{
	/* DO NOTHING, not an error: in a savepoint both engines go on, and
	 * a concurrent claim on PostgreSQL waits for the first one's commit. */
	int r = db_query(s,
			 "INSERT INTO idempotency_keys (principal, key, fingerprint, created_at) VALUES (?1, ?2, ?3, ?4) "
			 "ON CONFLICT (principal, key) DO NOTHING",
			 NULL, NULL, "sssi", principal, key, fingerprint, now_s);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -EEXIST;
}

int store_idem_answer(struct store *s, const char *principal, const char *key, int64_t status,
		      const char *content_type, const char *location, const char *body)
{
	int r = db_query(s,
			 "UPDATE idempotency_keys SET status = ?3, content_type = ?4, location = ?5, body = ?6 "
			 "WHERE principal = ?1 AND key = ?2",
			 NULL, NULL, "ssisss", principal, key, status, content_type, location, body);

	if (r < 0)
		return r;
	return s->ops->changes(s->db) ? 0 : -ENOENT;
}

int store_idem_prune(struct store *s, int64_t before_s)
{
	return db_query(s, "DELETE FROM idempotency_keys WHERE created_at < ?1", NULL, NULL, "i", before_s);
}
